//! `cargo xtask provision [--persist-to DIR]`: the demo's merchant
//! onboarding. It registers the store's API key (from `.dev.vars`) with the
//! gateway, as the gateway keeps it: only its SHA-256 and a readable prefix,
//! in the local `GATEWAY_DB`. Idempotent.

use sha2::{Digest, Sha256};
use shared::encoding::to_base64url;

use crate::build;
use crate::command::Failure;
use crate::secrets;

/// The store's merchant id at the gateway.
const STORE_MERCHANT_ID: &str = "m_teashop";
const STORE_KEY_SECRET: &str = "STORE_GATEWAY_API_KEY";
const KEY_PREFIX_CHARS: usize = 12;

/// `cargo xtask provision --remote`: the same onboarding for a deployed
/// gateway, which has no operator routes. It makes a fresh store key,
/// registers its hash in the remote `GATEWAY_DB`, and prints the key once,
/// to be set as the `STORE_GATEWAY_API_KEY` secret.
pub fn provision_remote() -> Result<(), Failure> {
    let key = format!(
        "sk_test_{}",
        shared::encoding::to_base64url(&secrets::random_bytes(32)?)
    );
    build::wrangler([
        "d1",
        "execute",
        "GATEWAY_DB",
        "--remote",
        "--command",
        &register_sql(&key),
    ])
    .run()?;
    println!("xtask: the store's key is registered; set it as a secret (shown once):");
    println!("{key}");
    println!("  printf %s '<the key>' | npx wrangler secret put {STORE_KEY_SECRET}");
    Ok(())
}

/// The row the gateway keeps of a merchant key: its hash and prefix.
fn register_sql(key: &str) -> String {
    let hash = to_base64url(&Sha256::digest(key.as_bytes()));
    let prefix: String = key.chars().take(KEY_PREFIX_CHARS).collect();
    // Both values are base64url characters only, so quoting them is safe.
    format!(
        "INSERT OR IGNORE INTO api_keys (key_hash, key_prefix, merchant_id, status, created_at_ms) \
         VALUES ('{hash}', '{prefix}', '{STORE_MERCHANT_ID}', 'active', 0)"
    )
}

pub fn provision(persist_to: Option<&str>) -> Result<(), Failure> {
    secrets::ensure_dev_vars()?;
    let key = secrets::dev_var(STORE_KEY_SECRET)?;
    let well_formed = key.starts_with("sk_test_")
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if !well_formed {
        return Err(Failure::new(format!(
            "{STORE_KEY_SECRET} in .dev.vars is not an sk_test_ key"
        )));
    }
    let sql = register_sql(&key);
    let mut arguments = vec!["d1", "execute", "GATEWAY_DB", "--local", "--command", &sql];
    if let Some(directory) = persist_to {
        arguments.extend(["--persist-to", directory]);
    }
    build::wrangler(arguments).env("CI", "true").run()
}
