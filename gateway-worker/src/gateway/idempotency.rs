//! Idempotency keys for the merchant API, after Stripe's: a request with an
//! `Idempotency-Key` header gets the answer of the first request with that
//! key (same merchant, same route), if it had the same body; another body
//! under the same key is refused. A duplicate that arrives while the first
//! is still being worked on waits for the first's answer. Keys are kept
//! `IDEMPOTENCY_KEY_TTL_MS` (24 hours): an older one is ignored here and
//! deleted by the retention sweep.

use sha2::{Digest, Sha256};
use shared::encoding::to_base64url;
use worker::{Env, Request};

use crate::error::ApiError;
use crate::gateway::db;

/// How long a key is remembered: 24 hours.
pub const IDEMPOTENCY_KEY_TTL_MS: u64 = 24 * 60 * 60 * 1000;

/// The longest key accepted, in bytes.
pub const IDEMPOTENCY_KEY_BYTES_MAX: usize = 255;

/// How long a duplicate waits for the first request's answer.
const IN_PROGRESS_WAIT_MS: u64 = 10_000;
const IN_PROGRESS_POLL_MS: u64 = 100;

pub const IDEMPOTENCY_HEADER: &str = "idempotency-key";

/// What to do with a request that carries a key.
pub enum Claim {
    /// This request owns the key: do the work, then `complete`.
    Owner,
    /// An earlier request with this key and body answered this.
    Replay { status: u16, answer: String },
}

/// The request's idempotency key, if any, checked for length and charset.
pub fn key_of(request: &Request) -> Result<Option<String>, ApiError> {
    let Some(key) = request.headers().get(IDEMPOTENCY_HEADER)? else {
        return Ok(None);
    };
    let valid = !key.is_empty()
        && key.len() <= IDEMPOTENCY_KEY_BYTES_MAX
        && key.bytes().all(|b| b.is_ascii_graphic());
    if valid {
        Ok(Some(key))
    } else {
        Err(ApiError::unprocessable(
            "invalid_idempotency_key",
            "Idempotency-Key must be 1 to 255 printable ASCII characters",
        ))
    }
}

pub fn fingerprint(body: &[u8]) -> String {
    to_base64url(&Sha256::digest(body))
}

/// Claims `key` for this request, or finds the answer it already has.
pub async fn claim(
    env: &Env,
    merchant_id: &str,
    route: &str,
    key: &str,
    fingerprint: &str,
    now_ms: u64,
) -> Result<Claim, ApiError> {
    // Every way to become the owner goes through the one insert: a key
    // found forgotten or expired is tried again, never taken as owned, so
    // two requests can never both own one key.
    let expired_before = now_ms.saturating_sub(IDEMPOTENCY_KEY_TTL_MS);
    let mut waited = 0;
    loop {
        if db::insert_idempotency_key(env, merchant_id, route, key, fingerprint, now_ms).await? {
            return Ok(Claim::Owner);
        }
        let stored = db::idempotency_key(env, merchant_id, route, key).await?;
        match stored {
            // Forgotten (released, swept) since the insert: try it again.
            None => {}
            // Past its 24 hours: forgotten, even before the sweep deletes it
            // (`retention.rs`); deleted only while it is still that old row.
            Some(stored) if stored.created_at_ms <= expired_before => {
                db::delete_expired_idempotency_key(env, merchant_id, route, key, expired_before)
                    .await?;
            }
            Some(stored) if stored.fingerprint != fingerprint => {
                return Err(ApiError::unprocessable(
                    "idempotency_key_reused",
                    "this Idempotency-Key was used with a different request",
                ));
            }
            Some(stored) => {
                if let (Some(status), Some(answer)) = (stored.status, stored.answer) {
                    return Ok(Claim::Replay { status, answer });
                }
            }
        }
        if waited >= IN_PROGRESS_WAIT_MS {
            return Err(ApiError::Conflict {
                code: "idempotency_key_in_use",
                message:
                    "a request with this Idempotency-Key is still being processed; retry shortly"
                        .to_owned(),
            });
        }
        worker::Delay::from(std::time::Duration::from_millis(IN_PROGRESS_POLL_MS)).await;
        waited += IN_PROGRESS_POLL_MS;
    }
}

/// Records the owner's answer for later duplicates.
pub async fn complete(
    env: &Env,
    merchant_id: &str,
    route: &str,
    key: &str,
    status: u16,
    answer: &str,
) -> Result<(), ApiError> {
    db::complete_idempotency_key(env, merchant_id, route, key, status, answer).await
}

/// Lets a failed owner's key be used again (nothing was done under it).
pub async fn release(env: &Env, merchant_id: &str, route: &str, key: &str) -> Result<(), ApiError> {
    db::delete_idempotency_key(env, merchant_id, route, key).await
}
