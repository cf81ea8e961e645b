//! The credit card company (issuer). It keeps a registry of its cards
//! without their numbers (keyed by an HMAC of the number), checks status,
//! expiry and the CVC (derived from its secret key, never stored), and asks
//! the cardholder's bank to hold, capture, release or refund funds.
//!
//! Architecture invariant: the issuer's SQL lives in `registry.rs` and
//! touches only `ISSUER_DB`. Plaintext card data reaches the issuer only as
//! the argument of `authorize::authorize`, and is neither stored nor logged.

pub mod authorize;
pub mod demo;
mod passkeys;
mod registry;
#[cfg(feature = "operator")]
pub mod test_cards;

#[cfg(feature = "operator")]
pub use registry::dump;
