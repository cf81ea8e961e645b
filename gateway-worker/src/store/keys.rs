//! The store's signing key (quotes and receipts), from its secret seed, and
//! `GET /api/store/keys`, which publishes the public half so a shopper can
//! check that a quote really is the store's.

use shared::sign::{KeyId, SigningKeyPair};
use shared::wire::StoreKeys;
use worker::{Env, Response};

use crate::error::ApiError;
use crate::secrets;

/// The id of the store's current signing key.
const STORE_KEY_ID: &str = "store-1";

pub fn signing_key(env: &Env) -> Result<SigningKeyPair, ApiError> {
    let seed = secrets::bytes32(env, secrets::STORE_SIGNING_KEY_SEED)?;
    let kid = KeyId::new(STORE_KEY_ID).map_err(ApiError::internal)?;
    Ok(SigningKeyPair::from_seed(kid, &seed))
}

pub fn list(env: &Env) -> Result<Response, ApiError> {
    let keys = StoreKeys {
        keys: vec![signing_key(env)?.public_key()],
    };
    Ok(crate::http::json(&keys, 200))
}
