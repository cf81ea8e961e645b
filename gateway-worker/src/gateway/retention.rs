//! What the gateway forgets, and when: a scheduled sweep (cron, every 30
//! minutes) deletes what no rule needs any more, so that its tables do not
//! grow without end. Each rule's window is the reason for its retention.

use worker::Env;

use crate::error::ApiError;
use crate::gateway::db;
use crate::gateway::gateway_keyring::{HPKE_KEY_GRACE_MS, HPKE_KEY_LIFETIME_MS};
use crate::gateway::idempotency::IDEMPOTENCY_KEY_TTL_MS;

/// How long the hash of a sealed payment that reached an issuer is kept:
/// longer than any key can open it (its lifetime plus grace), after which a
/// replay could not be opened anyway. Two days.
pub const SEALED_PAYMENT_RETENTION_MS: u64 = 2 * 24 * 60 * 60 * 1000;

const _: () = assert!(
    SEALED_PAYMENT_RETENTION_MS > (HPKE_KEY_LIFETIME_MS + HPKE_KEY_GRACE_MS) as u64,
    "a sealed payment's hash must outlive every key that could open it"
);

/// Deletes merchant-API idempotency keys older than 24 hours and
/// sealed-payment hashes older than `SEALED_PAYMENT_RETENTION_MS`. Payment
/// objects forget their own keys, and attempt budgets their own slots, by
/// alarm.
pub async fn sweep(env: &Env, now_ms: u64) -> Result<(), ApiError> {
    db::forget_before(
        env,
        now_ms.saturating_sub(IDEMPOTENCY_KEY_TTL_MS),
        now_ms.saturating_sub(SEALED_PAYMENT_RETENTION_MS),
    )
    .await
}
