//! The store (the merchant in the seed): its catalog, and later its quotes,
//! orders and records. It owns the `STORE_DB` D1 database and reaches the
//! gateway only through the merchant HTTP API.

pub mod catalog;
mod db;
