//! Local secrets for `wrangler dev`, kept in the git-ignored `.dev.vars`.
//! Each missing secret is generated from the operating system's random
//! source; existing ones are never changed (that would invalidate what was
//! signed or sealed with them). For a deploy, the same names are set with
//! `wrangler secret put` (see README.md).

use std::io::Read;
use std::os::unix::fs::PermissionsExt;

use crate::command::{Failure, workspace_root};

/// Every secret the worker reads, with its size in random bytes.
/// Each party has its own keys; no key serves two purposes.
/// (The worker's list is `REQUIRED` in `gateway-worker/src/secrets.rs`.)
pub const SECRETS: [(&str, usize); 4] = [
    // Ed25519 seed of the store's quote and receipt signing key.
    ("STORE_SIGNING_KEY_SEED", 32),
    // Bearer token of the operator routes (ledger checks, test accounts).
    ("OPERATOR_TOKEN", 32),
    // HMAC key of the issuer's card registry.
    ("ISSUER_CARD_KEY", 32),
    // The issuer's CVC derivation key.
    ("ISSUER_CVC_KEY", 32),
];

pub fn ensure_dev_vars() -> Result<(), Failure> {
    let path = workspace_root().join(".dev.vars");
    let existing = std::fs::read_to_string(&path).unwrap_or_default();
    let mut text = existing.clone();
    for (name, bytes) in SECRETS {
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
        text.push_str(&format!("{name}={}\n", random_hex(bytes)?));
        println!("xtask: generated {name} in .dev.vars");
    }
    if text != existing {
        std::fs::write(&path, text)?;
    }
    // Only the owner may read the secrets.
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
    Ok(())
}

fn random_hex(bytes: usize) -> Result<String, Failure> {
    let mut buffer = vec![0_u8; bytes];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut buffer)?;
    Ok(buffer.iter().map(|byte| format!("{byte:02x}")).collect())
}
