//! The payment gateway: between the store, the shopper's sealed payment and
//! the card networks. Its merchant API (`payments.rs`, authenticated by
//! `merchant_auth.rs`), one `PaymentObject` per payment, its own database
//! (`db.rs`, `GATEWAY_DB`), one `AttemptBudget` per card and per shopper
//! address, the keyring that opens sealed payments, and its connector to
//! the issuer.

pub mod attempt_budget;
pub mod connector;
mod db;
pub mod gateway_keyring;
pub mod idempotency;
pub mod keys;
pub mod merchant_auth;
pub mod payment_command;
pub mod payment_object;
pub mod payments;
pub mod retention;
pub mod risk;
