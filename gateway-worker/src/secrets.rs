//! The worker's secrets: their names and how they are read. Locally they
//! come from `.dev.vars` (written by `cargo xtask`), deployed from
//! `wrangler secret put`. Each key has one purpose and one owner.

use worker::Env;

use crate::error::ApiError;

/// Ed25519 seed of the store's quote and receipt signing key (the store).
pub const STORE_SIGNING_KEY_SEED: &str = "STORE_SIGNING_KEY_SEED";
/// The store's API key at the gateway's merchant API (the store).
pub const STORE_GATEWAY_API_KEY: &str = "STORE_GATEWAY_API_KEY";
/// Ed25519 seed of the gateway's long-term key, which signs key sets only
/// (the gateway).
pub const GATEWAY_ROOT_SIGNING_SEED: &str = "GATEWAY_ROOT_SIGNING_SEED";
/// Ed25519 seed of the key that signs authorization records (the gateway).
pub const GATEWAY_AUTHORIZATION_SIGNING_SEED: &str = "GATEWAY_AUTHORIZATION_SIGNING_SEED";
/// Ed25519 seed of the key that signs payment events (the gateway).
pub const GATEWAY_EVENT_SIGNING_SEED: &str = "GATEWAY_EVENT_SIGNING_SEED";
/// Optional: the seeds these two keys had before a rotation. While set,
/// the key set certifies the previous keys too, so what they signed
/// (receipts, events still queued) keeps verifying.
pub const GATEWAY_AUTHORIZATION_SIGNING_SEED_PREVIOUS: &str =
    "GATEWAY_AUTHORIZATION_SIGNING_SEED_PREVIOUS";
pub const GATEWAY_EVENT_SIGNING_SEED_PREVIOUS: &str = "GATEWAY_EVENT_SIGNING_SEED_PREVIOUS";
/// HMAC key of the gateway's card and address fingerprints (attempt budgets).
pub const GATEWAY_FINGERPRINT_KEY: &str = "GATEWAY_FINGERPRINT_KEY";
/// The gateway's long-term public key, as the store knows it (64 hex
/// digits; not secret, but configured beside the secrets). The store checks
/// the gateway's key set with it, and the gateway's authorizations and
/// payment events with the keys that set certifies.
pub const GATEWAY_ROOT_PUBLIC_KEY: &str = "GATEWAY_ROOT_PUBLIC_KEY";
/// Bearer token of the store's back office (shipping, refunds) (the store).
pub const STORE_STAFF_TOKEN: &str = "STORE_STAFF_TOKEN";
/// Bearer token of the operator routes.
pub const OPERATOR_TOKEN: &str = "OPERATOR_TOKEN";
/// HMAC key of the issuer's card registry (the issuer).
pub const ISSUER_CARD_KEY: &str = "ISSUER_CARD_KEY";
/// The issuer's CVC derivation key (the issuer).
pub const ISSUER_CVC_KEY: &str = "ISSUER_CVC_KEY";

/// Every secret the deployable worker needs; `/api/health` reports whether
/// all are set (with the operator routes compiled in, `OPERATOR_TOKEN` too).
pub const REQUIRED: [&str; 10] = [
    STORE_SIGNING_KEY_SEED,
    STORE_GATEWAY_API_KEY,
    STORE_STAFF_TOKEN,
    GATEWAY_ROOT_SIGNING_SEED,
    GATEWAY_AUTHORIZATION_SIGNING_SEED,
    GATEWAY_EVENT_SIGNING_SEED,
    GATEWAY_FINGERPRINT_KEY,
    GATEWAY_ROOT_PUBLIC_KEY,
    ISSUER_CARD_KEY,
    ISSUER_CVC_KEY,
];

/// The secrets this build needs: `REQUIRED`, and the operator's token when
/// the operator routes are compiled in.
pub fn required() -> impl Iterator<Item = &'static str> {
    let operator: &[&str] = if cfg!(feature = "operator") {
        &[OPERATOR_TOKEN]
    } else {
        &[]
    };
    REQUIRED.iter().chain(operator).copied()
}

pub fn text(env: &Env, name: &str) -> Result<String, ApiError> {
    env.secret(name)
        .map(|secret| secret.to_string())
        .map_err(|_| ApiError::internal(format!("secret {name} is not configured")))
}

/// A 32-byte secret written as 64 hex digits.
pub fn bytes32(env: &Env, name: &str) -> Result<[u8; 32], ApiError> {
    let hex = text(env, name)?;
    let hex = hex.trim();
    let invalid = || ApiError::internal(format!("secret {name} is not 64 hex digits"));
    if hex.len() != 64 {
        return Err(invalid());
    }
    let mut bytes = [0_u8; 32];
    for (index, byte) in bytes.iter_mut().enumerate() {
        let pair = hex.get(index * 2..index * 2 + 2).ok_or_else(invalid)?;
        *byte = u8::from_str_radix(pair, 16).map_err(|_| invalid())?;
    }
    Ok(bytes)
}
