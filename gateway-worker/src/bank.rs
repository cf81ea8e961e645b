//! The commercial bank: every account of one bank (customers' debit
//! accounts, credit-card accounts, merchant accounts, the bank's own equity
//! and settlement accounts) in one double-entry ledger inside one
//! SQLite-backed Durable Object, so that every transfer is one atomic write
//! sequence.
//!
//! Architecture invariant: balances change only inside `BankLedger`
//! (`bank_ledger.rs`), and only by appending double-entry rows in
//! `ledger.rs`, the bank's only SQL. Other parties reach a bank through
//! `client.rs` with the bank's own wire types (`wire.rs`).

pub mod bank_ledger;
pub mod client;
mod demo;
mod ledger;
pub mod wire;
