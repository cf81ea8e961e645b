//! The payment gateway: between the store, the shopper's sealed payment and
//! the card networks. Its merchant API (`payments.rs`, authenticated by
//! `merchant_auth.rs`), one `PaymentObject` per payment, its own database
//! (`db.rs`, `GATEWAY_DB`) and its connector to the issuer. Opening sealed
//! payments and authorizing arrive with the payment path.

pub mod connector;
mod db;
pub mod gateway_keyring;
pub mod idempotency;
pub mod keys;
pub mod merchant_auth;
pub mod payment_object;
pub mod payments;
pub mod retention;
pub mod risk;
