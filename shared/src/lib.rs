//! The pure core that the wallet (in the browser) and the worker (store,
//! gateway, issuer, bank) both compile, so that every rule about money and
//! every wire format is written exactly once.
//!
//! Architecture invariant: this crate does no I/O, reads no clock and draws no
//! randomness of its own; it depends on neither `worker` nor `web-sys`/`yew`.
//! Time, random bytes and keys are always arguments.

pub mod money;
pub mod wire;

pub use money::{Currency, Money, MoneyError};

#[cfg(test)]
mod tests;
