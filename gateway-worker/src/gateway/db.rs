//! The gateway's SQL, all of it, on `GATEWAY_DB`: merchants, their API keys
//! (hashes only) and which merchant owns which payment.

use serde::Deserialize;
use shared::wire::CaptureMethod;
use worker::Env;
use worker::wasm_bindgen::JsValue;

use crate::error::ApiError;

const GATEWAY_DB: &str = "GATEWAY_DB";

/// The merchant a key belongs to, if the key is active.
pub struct KeyOwner {
    pub merchant_id: String,
    pub capture_method: CaptureMethod,
    pub stored_hash: String,
}

pub async fn key_owner(env: &Env, key_hash: &str) -> Result<Option<KeyOwner>, ApiError> {
    #[derive(Deserialize)]
    struct Row {
        merchant_id: String,
        capture_method: String,
        key_hash: String,
    }
    let statement = crate::meter::d1(env, GATEWAY_DB)?
        .prepare(
            "SELECT k.merchant_id, m.capture_method, k.key_hash FROM api_keys k
             JOIN merchants m ON m.merchant_id = k.merchant_id
             WHERE k.key_hash = ?1 AND k.status = 'active'",
        )
        .bind(&[JsValue::from_str(key_hash)])?;
    Ok(statement.first::<Row>(None).await?.map(|row| KeyOwner {
        merchant_id: row.merchant_id,
        capture_method: if row.capture_method == "manual" {
            CaptureMethod::Manual
        } else {
            CaptureMethod::Automatic
        },
        stored_hash: row.key_hash,
    }))
}

#[cfg(feature = "operator")]
pub async fn merchant_exists(env: &Env, merchant_id: &str) -> Result<bool, ApiError> {
    let statement = crate::meter::d1(env, GATEWAY_DB)?
        .prepare("SELECT merchant_id FROM merchants WHERE merchant_id = ?1")
        .bind(&[JsValue::from_str(merchant_id)])?;
    Ok(statement.first::<serde_json::Value>(None).await?.is_some())
}

#[cfg(feature = "operator")]
pub async fn active_key_count(env: &Env, merchant_id: &str) -> Result<u32, ApiError> {
    #[derive(Deserialize)]
    struct Row {
        active: u32,
    }
    let statement = crate::meter::d1(env, GATEWAY_DB)?
        .prepare(
            "SELECT COUNT(*) AS active FROM api_keys WHERE merchant_id = ?1 AND status = 'active'",
        )
        .bind(&[JsValue::from_str(merchant_id)])?;
    Ok(statement
        .first::<Row>(None)
        .await?
        .map_or(0, |row| row.active))
}

#[cfg(feature = "operator")]
pub async fn insert_key(
    env: &Env,
    key_hash: &str,
    key_prefix: &str,
    merchant_id: &str,
    now_ms: u64,
) -> Result<(), ApiError> {
    crate::meter::d1(env, GATEWAY_DB)?
        .prepare(
            "INSERT INTO api_keys (key_hash, key_prefix, merchant_id, status, created_at_ms)
             VALUES (?1, ?2, ?3, 'active', ?4)",
        )
        .bind(&[
            JsValue::from_str(key_hash),
            JsValue::from_str(key_prefix),
            JsValue::from_str(merchant_id),
            JsValue::from_f64(now_ms as f64),
        ])?
        .run()
        .await?;
    Ok(())
}

/// Revokes a merchant's active key by its prefix; answers whether one was.
#[cfg(feature = "operator")]
pub async fn revoke_key(
    env: &Env,
    merchant_id: &str,
    key_prefix: &str,
    now_ms: u64,
) -> Result<bool, ApiError> {
    let result = crate::meter::d1(env, GATEWAY_DB)?
        .prepare(
            "UPDATE api_keys SET status = 'revoked', revoked_at_ms = ?3
             WHERE merchant_id = ?1 AND key_prefix = ?2 AND status = 'active'",
        )
        .bind(&[
            JsValue::from_str(merchant_id),
            JsValue::from_str(key_prefix),
            JsValue::from_f64(now_ms as f64),
        ])?
        .run()
        .await?;
    let changes = result.meta()?.and_then(|meta| meta.changes).unwrap_or(0);
    Ok(changes > 0)
}

pub async fn record_payment(
    env: &Env,
    payment_id: &str,
    merchant_id: &str,
    now_ms: u64,
) -> Result<(), ApiError> {
    crate::meter::d1(env, GATEWAY_DB)?
        .prepare(
            "INSERT INTO payments (payment_id, merchant_id, created_at_ms) VALUES (?1, ?2, ?3)",
        )
        .bind(&[
            JsValue::from_str(payment_id),
            JsValue::from_str(merchant_id),
            JsValue::from_f64(now_ms as f64),
        ])?
        .run()
        .await?;
    Ok(())
}

pub async fn payment_owner(env: &Env, payment_id: &str) -> Result<Option<String>, ApiError> {
    #[derive(Deserialize)]
    struct Row {
        merchant_id: String,
    }
    let statement = crate::meter::d1(env, GATEWAY_DB)?
        .prepare("SELECT merchant_id FROM payments WHERE payment_id = ?1")
        .bind(&[JsValue::from_str(payment_id)])?;
    Ok(statement
        .first::<Row>(None)
        .await?
        .map(|row| row.merchant_id))
}

/// A stored idempotency key: its request fingerprint and, once the first
/// request finished, its answer.
pub struct StoredIdempotencyKey {
    pub fingerprint: String,
    pub status: Option<u16>,
    pub answer: Option<String>,
    pub created_at_ms: u64,
}

/// An idempotency key's identity, bound as ?1, ?2, ?3.
fn key_bindings(merchant_id: &str, route: &str, key: &str) -> [JsValue; 3] {
    [
        JsValue::from_str(merchant_id),
        JsValue::from_str(route),
        JsValue::from_str(key),
    ]
}

/// Claims a key for a new request; answers false if it was already there.
pub async fn insert_idempotency_key(
    env: &Env,
    merchant_id: &str,
    route: &str,
    key: &str,
    fingerprint: &str,
    now_ms: u64,
) -> Result<bool, ApiError> {
    let result = crate::meter::d1(env, GATEWAY_DB)?
        .prepare(
            "INSERT OR IGNORE INTO idempotency_keys (merchant_id, route, key, fingerprint, created_at_ms)
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )
        .bind(&[
            key_bindings(merchant_id, route, key).as_slice(),
            &[JsValue::from_str(fingerprint), JsValue::from_f64(now_ms as f64)],
        ]
        .concat())?
        .run()
        .await?;
    Ok(result.meta()?.and_then(|meta| meta.changes).unwrap_or(0) > 0)
}

pub async fn idempotency_key(
    env: &Env,
    merchant_id: &str,
    route: &str,
    key: &str,
) -> Result<Option<StoredIdempotencyKey>, ApiError> {
    #[derive(Deserialize)]
    struct Row {
        fingerprint: String,
        status: Option<u16>,
        answer: Option<String>,
        created_at_ms: u64,
    }
    let statement = crate::meter::d1(env, GATEWAY_DB)?
        .prepare(
            "SELECT fingerprint, status, answer, created_at_ms FROM idempotency_keys
             WHERE merchant_id = ?1 AND route = ?2 AND key = ?3",
        )
        .bind(&key_bindings(merchant_id, route, key))?;
    Ok(statement
        .first::<Row>(None)
        .await?
        .map(|row| StoredIdempotencyKey {
            fingerprint: row.fingerprint,
            status: row.status,
            answer: row.answer,
            created_at_ms: row.created_at_ms,
        }))
}

pub async fn complete_idempotency_key(
    env: &Env,
    merchant_id: &str,
    route: &str,
    key: &str,
    status: u16,
    answer: &str,
) -> Result<(), ApiError> {
    crate::meter::d1(env, GATEWAY_DB)?
        .prepare(
            "UPDATE idempotency_keys SET status = ?4, answer = ?5
             WHERE merchant_id = ?1 AND route = ?2 AND key = ?3",
        )
        .bind(
            &[
                key_bindings(merchant_id, route, key).as_slice(),
                &[JsValue::from(status), JsValue::from_str(answer)],
            ]
            .concat(),
        )?
        .run()
        .await?;
    Ok(())
}

/// Deletes the key only if it was created before `expired_before_ms`: a
/// request that found it expired never deletes a fresh claim that another
/// request made meanwhile.
pub async fn delete_expired_idempotency_key(
    env: &Env,
    merchant_id: &str,
    route: &str,
    key: &str,
    expired_before_ms: u64,
) -> Result<(), ApiError> {
    let mut bindings = key_bindings(merchant_id, route, key).to_vec();
    bindings.push(JsValue::from_f64(expired_before_ms as f64));
    crate::meter::d1(env, GATEWAY_DB)?
        .prepare(
            "DELETE FROM idempotency_keys
             WHERE merchant_id = ?1 AND route = ?2 AND key = ?3 AND created_at_ms <= ?4",
        )
        .bind(&bindings)?
        .run()
        .await?;
    Ok(())
}

pub async fn delete_idempotency_key(
    env: &Env,
    merchant_id: &str,
    route: &str,
    key: &str,
) -> Result<(), ApiError> {
    crate::meter::d1(env, GATEWAY_DB)?
        .prepare("DELETE FROM idempotency_keys WHERE merchant_id = ?1 AND route = ?2 AND key = ?3")
        .bind(&key_bindings(merchant_id, route, key))?
        .run()
        .await?;
    Ok(())
}

/// Remembers that a sealed payment reached an issuer for `payment_id`;
/// answers the payment that first sent it (this one, unless replayed).
pub async fn claim_sealed_payment(
    env: &Env,
    sealed_hash: &str,
    payment_id: &str,
    now_ms: u64,
) -> Result<String, ApiError> {
    #[derive(Deserialize)]
    struct Row {
        payment_id: String,
    }
    // One statement: a new hash is inserted; a known one is left as it is
    // (the update sets nothing new), and either way the row's payment is
    // returned.
    let statement = crate::meter::d1(env, GATEWAY_DB)?
        .prepare(
            "INSERT INTO sealed_payments (sealed_hash, payment_id, at_ms) VALUES (?1, ?2, ?3)
             ON CONFLICT (sealed_hash) DO UPDATE SET payment_id = sealed_payments.payment_id
             RETURNING payment_id",
        )
        .bind(&[
            JsValue::from_str(sealed_hash),
            JsValue::from_str(payment_id),
            JsValue::from_f64(now_ms as f64),
        ])?;
    statement
        .first::<Row>(None)
        .await?
        .map(|row| row.payment_id)
        .ok_or_else(|| ApiError::internal("sealed payment row missing"))
}

/// The payment a sealed payment was first sent for, if it reached an issuer.
pub async fn sealed_payment_owner(
    env: &Env,
    sealed_hash: &str,
) -> Result<Option<String>, ApiError> {
    #[derive(Deserialize)]
    struct Row {
        payment_id: String,
    }
    let statement = crate::meter::d1(env, GATEWAY_DB)?
        .prepare("SELECT payment_id FROM sealed_payments WHERE sealed_hash = ?1")
        .bind(&[JsValue::from_str(sealed_hash)])?;
    Ok(statement
        .first::<Row>(None)
        .await?
        .map(|row| row.payment_id))
}

/// How long an isolate keeps a merchant's webhook address before reading
/// it again: a changed address is used within a minute.
const WEBHOOK_URL_CACHE_MS: u64 = 60 * 1000;

thread_local! {
    /// Merchant id → (webhook address, until when it is kept).
    static WEBHOOK_URLS: std::cell::RefCell<std::collections::HashMap<String, (Option<String>, u64)>> =
        std::cell::RefCell::new(std::collections::HashMap::new());
}

/// Where a merchant's payment events go, if anywhere; read from D1 at most
/// once a minute per merchant and isolate.
pub async fn webhook_url(env: &Env, merchant_id: &str) -> Result<Option<String>, ApiError> {
    let now_ms = worker::Date::now().as_millis();
    let cached = WEBHOOK_URLS.with(|urls| {
        urls.borrow()
            .get(merchant_id)
            .filter(|(_, until_ms)| *until_ms > now_ms)
            .map(|(url, _)| url.clone())
    });
    if let Some(url) = cached {
        return Ok(url);
    }
    let url = stored_webhook_url(env, merchant_id).await?;
    WEBHOOK_URLS.with(|urls| {
        let mut urls = urls.borrow_mut();
        // Merchants are few; a full table is simply started afresh.
        if urls.len() >= WEBHOOK_URLS_CACHED_MAX {
            urls.clear();
        }
        urls.insert(
            merchant_id.to_owned(),
            (url.clone(), now_ms + WEBHOOK_URL_CACHE_MS),
        );
    });
    Ok(url)
}

/// The most merchants whose webhook address an isolate keeps.
const WEBHOOK_URLS_CACHED_MAX: usize = 1024;

async fn stored_webhook_url(env: &Env, merchant_id: &str) -> Result<Option<String>, ApiError> {
    #[derive(Deserialize)]
    struct Row {
        webhook_url: Option<String>,
    }
    let statement = crate::meter::d1(env, GATEWAY_DB)?
        .prepare("SELECT webhook_url FROM merchants WHERE merchant_id = ?1")
        .bind(&[JsValue::from_str(merchant_id)])?;
    Ok(statement
        .first::<Row>(None)
        .await?
        .and_then(|row| row.webhook_url))
}

/// Every row of the gateway's tables (operator storage scan).
#[cfg(feature = "operator")]
pub async fn dump(env: &Env) -> Result<serde_json::Map<String, serde_json::Value>, ApiError> {
    let db = crate::meter::d1(env, GATEWAY_DB)?;
    crate::http::dump_tables(
        &db,
        &[
            "merchants",
            "api_keys",
            "payments",
            "idempotency_keys",
            "sealed_payments",
        ],
    )
    .await
}

/// The ids of up to `limit` payments, newest first.
#[cfg(feature = "operator")]
pub async fn payment_ids(env: &Env, limit: usize) -> Result<Vec<String>, ApiError> {
    #[derive(Deserialize)]
    struct Row {
        payment_id: String,
    }
    let statement = crate::meter::d1(env, GATEWAY_DB)?
        .prepare("SELECT payment_id FROM payments ORDER BY created_at_ms DESC LIMIT ?1")
        .bind(&[JsValue::from_f64(limit as f64)])?;
    Ok(statement
        .all()
        .await?
        .results::<Row>()?
        .into_iter()
        .map(|row| row.payment_id)
        .collect())
}

/// The retention sweep's deletes, in one batch.
pub async fn forget_before(
    env: &Env,
    idempotency_before_ms: u64,
    sealed_before_ms: u64,
) -> Result<(), ApiError> {
    let db = crate::meter::d1(env, GATEWAY_DB)?;
    let statements = vec![
        db.prepare("DELETE FROM idempotency_keys WHERE created_at_ms < ?1")
            .bind(&[JsValue::from_f64(idempotency_before_ms as f64)])?,
        db.prepare("DELETE FROM sealed_payments WHERE at_ms < ?1")
            .bind(&[JsValue::from_f64(sealed_before_ms as f64)])?,
    ];
    db.batch(statements).await?;
    Ok(())
}
