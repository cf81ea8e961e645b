//! The store (the merchant in the seed): its catalog, signed quotes, orders
//! and its own records of each order's money events. It owns the `STORE_DB` D1 database and reaches the
//! gateway only through the merchant HTTP API.

pub mod catalog;
pub mod db;
mod gateway_client;
pub mod keys;
pub mod orders;
pub mod pay;
pub mod quote;
pub mod quote_budget;
mod records;
pub mod staff;
pub mod webhooks;
