//! The commercial bank: every account of one bank (customers' debit
//! accounts, credit-card accounts, merchant accounts, the bank's own equity,
//! settlement and transit accounts) in a double-entry ledger split over
//! `shards::BANK_SHARDS` SQLite-backed Durable Objects by account, so that
//! every transfer on one shard is one atomic write sequence, and a capture
//! or refund between two shards is all or nothing by the bank's two-phase
//! protocol (`ledger/movements.rs`).
//!
//! Architecture invariant: balances change only inside `BankLedger`
//! (`bank_ledger.rs`), and only by appending double-entry rows in
//! `ledger.rs` and `ledger/movements.rs`, the bank's only SQL. Other parties reach a bank through
//! `client.rs` with the bank's own wire types (`wire.rs`); it routes each
//! request to the shard that keeps its account.

pub mod bank_ledger;
pub mod client;
mod demo;
mod ledger;
pub mod shards;
pub mod wire;
