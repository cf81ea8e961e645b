//! Merchant API keys: `sk_test_` and 43 base64url characters (256 random
//! bits). The gateway stores only the key's SHA-256 and a readable prefix;
//! the merchant id always comes from the key, never from a request body.
//! A merchant may have two active keys at once, for rotation.

use sha2::{Digest, Sha256};
use shared::encoding::to_base64url;
use worker::{Env, Request};

use crate::error::ApiError;
use crate::gateway::db::{self, KeyOwner};

pub const API_KEY_PREFIX: &str = "sk_test_";

/// How much of a key is kept readable, to tell keys apart.
#[cfg(feature = "operator")]
const KEY_PREFIX_CHARS: usize = 12;

/// Active keys a merchant may hold at once.
#[cfg(feature = "operator")]
pub const ACTIVE_KEYS_MAX: u32 = 2;

const KEY_CHARS: usize = 8 + 43;

pub fn key_hash(key: &str) -> String {
    to_base64url(&Sha256::digest(key.as_bytes()))
}

#[cfg(feature = "operator")]
pub fn key_prefix(key: &str) -> String {
    key.chars().take(KEY_PREFIX_CHARS).collect()
}

/// A fresh key from the platform's CSPRNG.
#[cfg(feature = "operator")]
pub fn new_key() -> Result<String, ApiError> {
    let mut bytes = [0_u8; 32];
    getrandom::fill(&mut bytes).map_err(|_| ApiError::internal("no randomness"))?;
    Ok(format!("{API_KEY_PREFIX}{}", to_base64url(&bytes)))
}

/// The merchant behind the request's bearer key, or 401.
pub async fn authenticate(request: &Request, env: &Env) -> Result<KeyOwner, ApiError> {
    let presented = request
        .headers()
        .get("authorization")?
        .and_then(|value| value.strip_prefix("Bearer ").map(str::to_owned))
        .unwrap_or_default();
    let well_formed = presented.len() == KEY_CHARS && presented.starts_with(API_KEY_PREFIX);
    if !well_formed {
        return Err(ApiError::Unauthorized);
    }
    let hash = key_hash(&presented);
    match db::key_owner(env, &hash).await? {
        // The lookup matched by hash; compare again in constant time so the
        // decision never depends on an early-exit string comparison.
        Some(owner)
            if crate::http::constant_time_eq(owner.stored_hash.as_bytes(), hash.as_bytes()) =>
        {
            Ok(owner)
        }
        _ => Err(ApiError::Unauthorized),
    }
}

/// Issues a new key to a merchant (at most two active at once, so a key can
/// be rotated without downtime). The key is answered once; only its hash
/// is kept.
#[cfg(feature = "operator")]
pub async fn issue_key(
    env: &Env,
    merchant_id: &str,
    now_ms: u64,
) -> Result<(String, String), ApiError> {
    if !db::merchant_exists(env, merchant_id).await? {
        return Err(ApiError::not_found(
            "merchant_not_found",
            "no such merchant",
        ));
    }
    if db::active_key_count(env, merchant_id).await? >= ACTIVE_KEYS_MAX {
        return Err(ApiError::Conflict {
            code: "too_many_keys",
            message: "a merchant may have two active keys; revoke one first".to_owned(),
        });
    }
    let key = new_key()?;
    let prefix = key_prefix(&key);
    db::insert_key(env, &key_hash(&key), &prefix, merchant_id, now_ms).await?;
    Ok((key, prefix))
}

/// Revokes a merchant's active key, named by its prefix.
#[cfg(feature = "operator")]
pub async fn revoke_key(
    env: &Env,
    merchant_id: &str,
    prefix: &str,
    now_ms: u64,
) -> Result<(), ApiError> {
    if db::revoke_key(env, merchant_id, prefix, now_ms).await? {
        Ok(())
    } else {
        Err(ApiError::not_found(
            "key_not_found",
            "no active key has that prefix",
        ))
    }
}
