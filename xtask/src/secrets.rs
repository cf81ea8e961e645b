//! Local secrets for `wrangler dev`, kept in the git-ignored `.dev.vars`.
//! Each missing secret is generated from the operating system's random
//! source; existing ones are never changed (that would invalidate what was
//! signed or sealed with them). For a deploy, the same names are set with
//! `wrangler secret put` (see README.md).

use std::io::Read;
use std::os::unix::fs::PermissionsExt;

use crate::command::{Failure, workspace_root};

/// How a secret is written.
#[derive(Clone, Copy)]
pub enum Format {
    /// This many random bytes, as hex.
    Hex(usize),
    /// A merchant API key: `sk_test_` and 32 random bytes in base64url.
    MerchantApiKey,
}

/// Every secret the worker reads. Each party has its own keys; no key
/// serves two purposes. (The worker's list is `REQUIRED` in
/// `gateway-worker/src/secrets.rs`.)
pub const SECRETS: [(&str, Format); 10] = [
    // Ed25519 seed of the store's quote and receipt signing key.
    ("STORE_SIGNING_KEY_SEED", Format::Hex(32)),
    // The store's API key at the gateway (its hash is provisioned there).
    ("STORE_GATEWAY_API_KEY", Format::MerchantApiKey),
    // Bearer token of the store's back office (shipping, refunds).
    ("STORE_STAFF_TOKEN", Format::Hex(32)),
    // Ed25519 seed of the gateway's long-term key, which signs key sets only.
    ("GATEWAY_ROOT_SIGNING_SEED", Format::Hex(32)),
    // Ed25519 seeds of the gateway's authorization and payment-event keys
    // (certified by the long-term key in the published key set).
    ("GATEWAY_AUTHORIZATION_SIGNING_SEED", Format::Hex(32)),
    ("GATEWAY_EVENT_SIGNING_SEED", Format::Hex(32)),
    // HMAC key of the gateway's card and address fingerprints.
    ("GATEWAY_FINGERPRINT_KEY", Format::Hex(32)),
    // Bearer token of the operator routes (ledger checks, test accounts).
    ("OPERATOR_TOKEN", Format::Hex(32)),
    // HMAC key of the issuer's card registry.
    ("ISSUER_CARD_KEY", Format::Hex(32)),
    // The issuer's CVC derivation key.
    ("ISSUER_CVC_KEY", Format::Hex(32)),
];

pub fn ensure_dev_vars() -> Result<(), Failure> {
    let path = workspace_root().join(".dev.vars");
    let existing = std::fs::read_to_string(&path).unwrap_or_default();
    let mut text = existing.clone();
    for (name, format) in SECRETS {
        let present = existing.lines().any(|line| {
            line.split_once('=')
                .is_some_and(|(key, _)| key.trim() == name)
        });
        if present {
            continue;
        }
        if !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
        let value = match format {
            Format::Hex(bytes) => random_hex(bytes)?,
            Format::MerchantApiKey => format!(
                "sk_test_{}",
                shared::encoding::to_base64url(&random_bytes(32)?)
            ),
        };
        text.push_str(&format!("{name}={value}\n"));
        println!("xtask: generated {name} in .dev.vars");
    }
    // The store's copy of the gateway's public key, derived from the seed
    // (in separate deployments the gateway publishes it to its merchants).
    let has_public_key = text.lines().any(|line| {
        line.split_once('=')
            .is_some_and(|(key, _)| key.trim() == GATEWAY_ROOT_PUBLIC_KEY)
    });
    if !has_public_key {
        let seed = text
            .lines()
            .find_map(|line| line.strip_prefix("GATEWAY_ROOT_SIGNING_SEED="))
            .ok_or_else(|| Failure::new("no GATEWAY_ROOT_SIGNING_SEED to derive from"))?;
        let public_key = root_public_key_hex(seed.trim())?;
        if !text.ends_with('\n') {
            text.push('\n');
        }
        text.push_str(&format!("{GATEWAY_ROOT_PUBLIC_KEY}={public_key}\n"));
        println!("xtask: derived {GATEWAY_ROOT_PUBLIC_KEY} in .dev.vars");
    }
    if text != existing {
        std::fs::write(&path, text)?;
    }
    // Only the owner may read the secrets.
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
    Ok(())
}

/// The public half of the gateway's long-term key, as the store reads it.
const GATEWAY_ROOT_PUBLIC_KEY: &str = "GATEWAY_ROOT_PUBLIC_KEY";

/// The Ed25519 public key of a 64-hex-digit seed, as 64 hex digits.
fn root_public_key_hex(seed_hex: &str) -> Result<String, Failure> {
    let invalid = || Failure::new("GATEWAY_ROOT_SIGNING_SEED is not 64 hex digits");
    if seed_hex.len() != 64 {
        return Err(invalid());
    }
    let mut seed = [0_u8; 32];
    for (index, byte) in seed.iter_mut().enumerate() {
        let pair = seed_hex.get(index * 2..index * 2 + 2).ok_or_else(invalid)?;
        *byte = u8::from_str_radix(pair, 16).map_err(|_| invalid())?;
    }
    let kid = shared::sign::KeyId::new(shared::keyset::GATEWAY_ROOT_KEY_ID)
        .map_err(|error| Failure::new(error.to_string()))?;
    let public_key = shared::sign::SigningKeyPair::from_seed(kid, &seed).public_key();
    Ok(public_key
        .key
        .0
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect())
}

pub fn random_bytes(count: usize) -> Result<Vec<u8>, Failure> {
    let mut buffer = vec![0_u8; count];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut buffer)?;
    Ok(buffer)
}

fn random_hex(count: usize) -> Result<String, Failure> {
    Ok(random_bytes(count)?
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect())
}

/// A secret's value from `.dev.vars`.
pub fn dev_var(name: &str) -> Result<String, Failure> {
    let vars = std::fs::read_to_string(workspace_root().join(".dev.vars"))?;
    vars.lines()
        .find_map(|line| {
            line.strip_prefix(&format!("{name}="))
                .map(|value| value.trim().to_owned())
        })
        .ok_or_else(|| Failure::new(format!(".dev.vars has no {name}")))
}
