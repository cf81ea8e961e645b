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
use worker::{Env, Method, Request, RequestInit, Response};

use crate::error::ApiError;
use crate::gateway::gateway_keyring::KeyStatus;
use crate::secrets;

const KEYRING_BINDING: &str = "GATEWAY_KEYRING";
const KEYRING_NAME: &str = "keyring";

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

/// Sends one request to the keyring object and answers its response.
pub async fn keyring_call(
    env: &Env,
    method: Method,
    path: &str,
    body: Option<String>,
) -> Result<Response, ApiError> {
    let stub = env
        .durable_object(KEYRING_BINDING)?
        .id_from_name(KEYRING_NAME)?
        .get_stub()?;
    let mut init = RequestInit::new();
    init.with_method(method);
    if let Some(body) = body {
        init.with_body(Some(worker::wasm_bindgen::JsValue::from_str(&body)));
    }
    let request = Request::new_with_init(&format!("https://keyring.internal{path}"), &init)?;
    Ok(stub.fetch_with_request(request).await?)
}

/// Calls the keyring object; answers the keys it reports.
pub async fn keyring(env: &Env, method: Method, path: &str) -> Result<Vec<KeyStatus>, ApiError> {
    let mut answer = keyring_call(env, method, path, None).await?;
    if answer.status_code() != 200 {
        return Err(ApiError::internal(format!(
            "keyring answered {}",
            answer.status_code()
        )));
    }
    answer.json().await.map_err(ApiError::internal)
}

/// `GET /api/gateway/v1/keys`.
pub async fn key_set(env: &Env) -> Result<Response, ApiError> {
    let keys = keyring(env, Method::Get, "/keys").await?;
    let key_set = GatewayKeySet {
        keys: keys.into_iter().map(|status| status.key).collect(),
        signing_keys: signing_keys(env)?,
        issued_at_ms: worker::Date::now().as_millis(),
    };
    let signed = root_signing_key(env)?.sign(key_set);
    Ok(crate::http::json(&signed, 200))
}

/// `/api/operator/gateway/keys/{rotate|retire|history}`.
#[cfg(feature = "operator")]
pub async fn operator(request: &Request, env: &Env, action: &str) -> Result<Response, ApiError> {
    let (method, path) = match (request.method(), action) {
        (Method::Post, "rotate") => (Method::Post, "/rotate"),
        (Method::Post, "retire") => (Method::Post, "/retire"),
        (Method::Get, "history") => (Method::Get, "/history"),
        _ => return Err(ApiError::RouteNotFound),
    };
    Ok(crate::http::json(&keyring(env, method, path).await?, 200))
}
