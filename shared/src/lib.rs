//! The pure core that the wallet (in the browser) and the worker (store,
//! gateway, issuer, bank) both compile, so that every rule about money, card
//! data and every wire and crypto format is written exactly once.
//!
//! Architecture invariant: this crate does no I/O, reads no clock and draws
//! no randomness of its own; it depends on neither `worker` nor
//! `web-sys`/`yew`. Time, random bytes (`&mut impl CryptoRng`) and keys are
//! always arguments. Every decoder returns a typed error, never panics, and
//! no error carries the input it rejected.

pub mod argon2id;
pub mod assertion;
pub mod card;
pub mod codes;
pub mod decline;
pub mod demo_cards;
pub mod encoding;
#[cfg(any(test, feature = "fuzzing"))]
pub mod fuzzing;
pub mod issuer;
pub mod keyset;
pub mod money;
pub mod quote;
pub mod receipt;
pub mod refusal;
pub mod seal;
pub mod sign;
pub mod vault;
pub mod wire;

pub use money::{Currency, Money, MoneyError};

/// Re-exported so callers name the same `CryptoRng` trait this crate takes.
pub use rand_core;

#[cfg(test)]
mod tests;
