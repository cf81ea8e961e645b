//! The gateway's keys. `GET /api/gateway/v1/keys` answers the key set,
//! signed by the gateway's long-term Ed25519 key (`GATEWAY_ROOT_SIGNING_SEED`,
//! key id `gateway-root`), whose public half the wallet compiles in: the
//! HPKE keys payments are sealed to, and the certified public halves of the
//! key that signs authorizations (`GATEWAY_AUTHORIZATION_SIGNING_SEED`) and
//! of the key that signs payment events (`GATEWAY_EVENT_SIGNING_SEED`). Each
//! signing key's id names its purpose and a digest of its public half, so a
//! rotated key gets a new id. Operator routes rotate and retire HPKE keys.

use sha2::{Digest, Sha256};
use shared::keyset::{
    AUTHORIZATION_KEY_PURPOSE, CertifiedKey, GatewayKeySet, PAYMENT_EVENT_KEY_PURPOSE,
};
use shared::sign::{KeyId, SigningKeyPair};
use worker::{Env, Headers, Method, Request, RequestInit, Response};

use crate::error::ApiError;
use crate::gateway::gateway_keyring::{KEYRING_SHARDS, KeyStatus, SHARD_HEADER};
use crate::secrets;

const KEYRING_BINDING: &str = "GATEWAY_KEYRING";

/// The id of the gateway's long-term key-set signing key.
pub const ROOT_KEY_ID: &str = shared::keyset::GATEWAY_ROOT_KEY_ID;

/// The long-term key: it signs key sets, nothing else.
pub fn root_signing_key(env: &Env) -> Result<SigningKeyPair, ApiError> {
    let seed = secrets::bytes32(env, secrets::GATEWAY_ROOT_SIGNING_SEED)?;
    let kid = KeyId::new(ROOT_KEY_ID).map_err(ApiError::internal)?;
    Ok(SigningKeyPair::from_seed(kid, &seed))
}

/// A purpose key from its seed: id `gw-<purpose>-<first 8 bytes of
/// SHA-256(public key), hex>`.
fn purpose_key(env: &Env, secret: &str, purpose: &str) -> Result<SigningKeyPair, ApiError> {
    let seed = zeroize::Zeroizing::new(secrets::bytes32(env, secret)?);
    let provisional = KeyId::new("provisional").map_err(ApiError::internal)?;
    let public = SigningKeyPair::from_seed(provisional, &seed).public_key();
    let digest = Sha256::digest(public.key.0);
    let hex: String = digest
        .iter()
        .take(8)
        .map(|byte| format!("{byte:02x}"))
        .collect();
    let kid = KeyId::new(&format!("gw-{purpose}-{hex}")).map_err(ApiError::internal)?;
    Ok(SigningKeyPair::from_seed(kid, &seed))
}

/// The key that signs authorization records.
pub fn authorization_signing_key(env: &Env) -> Result<SigningKeyPair, ApiError> {
    purpose_key(
        env,
        secrets::GATEWAY_AUTHORIZATION_SIGNING_SEED,
        AUTHORIZATION_KEY_PURPOSE,
    )
}

/// The key that signs payment events.
pub fn event_signing_key(env: &Env) -> Result<SigningKeyPair, ApiError> {
    purpose_key(
        env,
        secrets::GATEWAY_EVENT_SIGNING_SEED,
        PAYMENT_EVENT_KEY_PURPOSE,
    )
}

/// The signing keys the key set certifies: the current key of each
/// purpose, and its previous one while its seed is still configured.
fn signing_keys(env: &Env) -> Result<Vec<CertifiedKey>, ApiError> {
    let mut keys = vec![
        certified(AUTHORIZATION_KEY_PURPOSE, &authorization_signing_key(env)?),
        certified(PAYMENT_EVENT_KEY_PURPOSE, &event_signing_key(env)?),
    ];
    for (secret, purpose) in [
        (
            secrets::GATEWAY_AUTHORIZATION_SIGNING_SEED_PREVIOUS,
            AUTHORIZATION_KEY_PURPOSE,
        ),
        (
            secrets::GATEWAY_EVENT_SIGNING_SEED_PREVIOUS,
            PAYMENT_EVENT_KEY_PURPOSE,
        ),
    ] {
        if env.secret(secret).is_ok() {
            keys.push(certified(purpose, &purpose_key(env, secret, purpose)?));
        }
    }
    Ok(keys)
}

fn certified(purpose: &str, pair: &SigningKeyPair) -> CertifiedKey {
    let public = pair.public_key();
    CertifiedKey {
        purpose: purpose.to_owned(),
        kid: public.kid,
        public_key: public.key,
    }
}

/// Sends one request to keyring shard `shard` and answers its response.
pub async fn keyring_call(
    env: &Env,
    shard: u8,
    method: Method,
    path: &str,
    body: Option<String>,
) -> Result<Response, ApiError> {
    crate::meter::count("do.GatewayKeyring");
    let stub = env
        .durable_object(KEYRING_BINDING)?
        .id_from_name(&format!("keyring-{shard}"))?
        .get_stub()?;
    let headers = Headers::new();
    headers.set(SHARD_HEADER, &shard.to_string())?;
    let mut init = RequestInit::new();
    init.with_method(method).with_headers(headers);
    if let Some(body) = body {
        init.with_body(Some(worker::wasm_bindgen::JsValue::from_str(&body)));
    }
    let request = Request::new_with_init(&format!("https://keyring.internal{path}"), &init)?;
    Ok(stub.fetch_with_request(request).await?)
}

/// Calls every keyring shard at once; answers each shard's keys, or why
/// it gave none.
async fn every_shard(
    env: &Env,
    method: Method,
    path: &str,
) -> Vec<Result<Vec<KeyStatus>, ApiError>> {
    let calls = (0..KEYRING_SHARDS).map(|shard| {
        let method = method.clone();
        async move {
            let mut answer = keyring_call(env, shard, method, path, None).await?;
            if answer.status_code() != 200 {
                return Err(ApiError::internal(format!(
                    "keyring shard {shard} answered {}",
                    answer.status_code()
                )));
            }
            answer
                .json::<Vec<KeyStatus>>()
                .await
                .map_err(ApiError::internal)
        }
    });
    futures_util::future::join_all(calls).await
}

/// The keys every shard reports; any shard's failure fails it.
#[cfg(feature = "operator")]
async fn keyring(env: &Env, method: Method, path: &str) -> Result<Vec<KeyStatus>, ApiError> {
    let mut keys = Vec::new();
    for answer in every_shard(env, method, path).await {
        keys.extend(answer?);
    }
    Ok(keys)
}

/// The current keys of every shard that answers: a shard that does not
/// is left out of the key set (wallets seal to the others) and logged; only
/// when none answers is there no key set.
async fn current_keys(env: &Env) -> Result<Vec<KeyStatus>, ApiError> {
    let mut keys = Vec::new();
    let mut failure = None;
    for answer in every_shard(env, Method::Get, "/keys").await {
        match answer {
            Ok(shard_keys) => keys.extend(shard_keys),
            Err(error) => {
                worker::console_error!("gateway key set: a keyring shard gave no keys: {error}");
                failure = Some(error);
            }
        }
    }
    match failure {
        Some(error) if keys.is_empty() => Err(error),
        _ => Ok(keys),
    }
}

/// How long this isolate serves the key set it signed before asking the
/// keyring shards and signing again. Well inside the wallet's
/// `KEY_SET_AGE_MS_MAX`, and far inside `SUCCESSOR_LEAD_MS`: a set served
/// from memory always lists the keys to seal with.
pub const KEY_SET_CACHE_MS: u64 = 60 * 1000;

/// The signed key set this isolate serves, as JSON, and until when.
struct CachedKeySet {
    body: Vec<u8>,
    until_ms: u64,
}

thread_local! {
    static KEY_SET: std::cell::RefCell<Option<CachedKeySet>> = const { std::cell::RefCell::new(None) };
}

/// Forgets the cached key set (after an operator's rotation or
/// retirement, so this isolate publishes the change at once).
#[cfg(feature = "operator")]
fn forget_key_set() {
    KEY_SET.with(|cached| cached.replace(None));
}

/// `GET /api/gateway/v1/keys`: served from this isolate's memory for up to
/// `KEY_SET_CACHE_MS`; otherwise every shard's current keys, signed afresh.
pub async fn key_set(env: &Env) -> Result<Response, ApiError> {
    let now_ms = worker::Date::now().as_millis();
    let cached = KEY_SET.with(|cached| {
        cached
            .borrow()
            .as_ref()
            .filter(|set| set.until_ms > now_ms)
            .map(|set| set.body.clone())
    });
    let body = match cached {
        Some(body) => body,
        None => {
            crate::meter::count("keyring.key_set_signed");
            let keys = current_keys(env).await?;
            let until_ms = keys
                .iter()
                .map(|status| status.key.not_after_ms)
                .min()
                .unwrap_or(now_ms)
                .min(now_ms + KEY_SET_CACHE_MS);
            let key_set = GatewayKeySet {
                keys: keys.into_iter().map(|status| status.key).collect(),
                signing_keys: signing_keys(env)?,
                issued_at_ms: now_ms,
            };
            let signed = root_signing_key(env)?.sign(key_set);
            let body = serde_json::to_vec(&signed).map_err(ApiError::internal)?;
            KEY_SET.with(|cached| {
                cached.replace(Some(CachedKeySet {
                    body: body.clone(),
                    until_ms,
                }))
            });
            body
        }
    };
    Ok(crate::http::json_bytes(body, 200))
}

/// `/api/operator/gateway/keys/{rotate|retire|history}`, on every shard.
#[cfg(feature = "operator")]
pub async fn operator(request: &Request, env: &Env, action: &str) -> Result<Response, ApiError> {
    let (method, path) = match (request.method(), action) {
        (Method::Post, "rotate") => (Method::Post, "/rotate"),
        (Method::Post, "retire") => (Method::Post, "/retire"),
        (Method::Get, "history") => (Method::Get, "/history"),
        _ => return Err(ApiError::RouteNotFound),
    };
    let keys = keyring(env, method, path).await?;
    forget_key_set();
    Ok(crate::http::json(&keys, 200))
}
