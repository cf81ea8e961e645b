//! `GatewayKeyring`: one Durable Object that keeps the gateway's HPKE key
//! pairs. A key seals new payments for `HPKE_KEY_LIFETIME_MS` (a day); a new
//! key is made when the newest one has passed its lifetime. A key's private
//! half is kept until every quote that could have been sealed to it has
//! expired (`HPKE_KEY_GRACE_MS` after its lifetime), then deleted, so an
//! archived ciphertext can no longer be opened. The private halves never
//! leave this object: opening a sealed payment will happen here too.

use shared::refusal::RefusalCode;
use std::cell::Cell;

use serde::{Deserialize, Serialize};
use shared::encoding::{Bytes, to_base64url};
use shared::keyset::GatewayKey;
use shared::seal::{GatewayPrivateKey, SealError, SealedPayment};
use shared::sign::KeyId;
use worker::{
    DurableObject, Env, Method, Request, Response, Result, SqlStorageValue, State, durable_object,
};
use zeroize::Zeroizing;

/// How long a key seals new payments: one day.
pub const HPKE_KEY_LIFETIME_MS: i64 = 24 * 60 * 60 * 1000;

/// How long a key still opens payments after its lifetime: as long as a
/// quote lives (15 minutes) plus 5 minutes for clocks and retries.
pub const HPKE_KEY_GRACE_MS: i64 = 20 * 60 * 1000;

/// An opened payment, handed from the keyring to the payment object: the
/// plaintext's canonical bytes, base64url. Never stored by either.
#[derive(Serialize, Deserialize)]
pub struct OpenedPayment {
    pub plaintext: String,
}

/// What the keyring answers about one key (never its private half).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct KeyStatus {
    pub key: GatewayKey,
    pub has_private_half: bool,
}

/// The largest sealed payment the keyring reads (one is about 1.5 kB).
const SEALED_PAYMENT_BYTES_MAX: usize = 8 * 1024;

#[durable_object]
pub struct GatewayKeyring {
    state: State,
    /// Whether this instance has created its table (once per instance).
    schema_ready: Cell<bool>,
}

#[derive(Deserialize)]
struct KeyRow {
    kid: String,
    ikm: Option<String>,
    public_key: String,
    created_at_ms: i64,
    not_after_ms: i64,
}

use crate::http::{error_response as error, now_ms};

fn status_of(row: &KeyRow) -> Option<KeyStatus> {
    let kid = KeyId::new(&row.kid).ok()?;
    let public_key = Bytes::<32>::from_base64url(&row.public_key).ok()?;
    Some(KeyStatus {
        key: GatewayKey {
            kid,
            suite: shared::keyset::PAYMENT_SUITE.to_owned(),
            public_key,
            not_after_ms: u64::try_from(row.not_after_ms).unwrap_or(0),
        },
        has_private_half: row.ikm.is_some(),
    })
}

impl GatewayKeyring {
    /// Creates the table, once per instance.
    fn ensure_schema(&self) -> Result<()> {
        if !self.schema_ready.get() {
            self.state.storage().sql().exec(
                "CREATE TABLE IF NOT EXISTS hpke_keys (
                    kid TEXT PRIMARY KEY, ikm TEXT, public_key TEXT NOT NULL,
                    created_at_ms INTEGER NOT NULL, not_after_ms INTEGER NOT NULL, deleted_at_ms INTEGER
                ) STRICT",
                None,
            )?;
            self.schema_ready.set(true);
        }
        Ok(())
    }

    fn rows(&self) -> Result<Vec<KeyRow>> {
        self.ensure_schema()?;
        self.state
            .storage()
            .sql()
            .exec(
                "SELECT kid, ikm, public_key, created_at_ms, not_after_ms FROM hpke_keys ORDER BY created_at_ms",
                None,
            )?
            .to_array()
    }

    /// Makes a new key pair, valid from `now_ms` for a day.
    fn create_key(&self, now_ms: i64) -> Result<()> {
        let mut ikm = [0_u8; 32];
        getrandom::fill(&mut ikm).map_err(|_| worker::Error::RustError("no randomness".into()))?;
        let mut id = [0_u8; 6];
        getrandom::fill(&mut id).map_err(|_| worker::Error::RustError("no randomness".into()))?;
        let kid_text = format!("gw-{}", to_base64url(&id));
        let kid =
            KeyId::new(&kid_text).map_err(|error| worker::Error::RustError(error.to_string()))?;
        let public_key = GatewayPrivateKey::derive(kid, &ikm)
            .public_key(0)
            .public_key;
        self.state.storage().sql().exec(
            "INSERT INTO hpke_keys (kid, ikm, public_key, created_at_ms, not_after_ms) VALUES (?, ?, ?, ?, ?)",
            vec![
                SqlStorageValue::from(kid_text),
                SqlStorageValue::from(to_base64url(&ikm)),
                SqlStorageValue::from(public_key.to_base64url()),
                SqlStorageValue::Integer(now_ms),
                SqlStorageValue::Integer(now_ms + HPKE_KEY_LIFETIME_MS),
            ],
        )?;
        Ok(())
    }

    /// Deletes private halves past their grace, and makes a new key when
    /// none is within its lifetime. Answers every key that still opens.
    fn maintain(&self, now_ms: i64) -> Result<Vec<KeyStatus>> {
        self.ensure_schema()?;
        self.state.storage().sql().exec(
            "UPDATE hpke_keys SET ikm = NULL, deleted_at_ms = ? WHERE ikm IS NOT NULL AND not_after_ms + ? <= ?",
            vec![
                SqlStorageValue::Integer(now_ms),
                SqlStorageValue::Integer(HPKE_KEY_GRACE_MS),
                SqlStorageValue::Integer(now_ms),
            ],
        )?;
        let mut rows = self.rows()?;
        if !rows
            .iter()
            .any(|row| row.ikm.is_some() && row.not_after_ms > now_ms)
        {
            self.create_key(now_ms)?;
            rows = self.rows()?;
        }
        Ok(rows
            .iter()
            .filter(|row| row.ikm.is_some())
            .filter_map(status_of)
            .collect())
    }

    /// The alarm wakes the object when the next private half is due for
    /// deletion, even if nobody asks for the key set.
    async fn schedule(&self, now_ms: i64) -> Result<()> {
        let next = self
            .rows()?
            .iter()
            .filter(|row| row.ikm.is_some())
            .map(|row| row.not_after_ms + HPKE_KEY_GRACE_MS)
            .min();
        match next {
            Some(due) => self.state.storage().set_alarm((due - now_ms).max(0)).await,
            None => Ok(()),
        }
    }

    /// Opens a sealed payment; answers the plaintext's canonical bytes
    /// (base64url) to the payment object, in memory only. Failures name the
    /// reason class, never any decrypted content.
    async fn open(&self, mut request: Request, now: i64) -> Result<Response> {
        let bytes = crate::http::read_body(&mut request, SEALED_PAYMENT_BYTES_MAX)
            .await
            .unwrap_or_default();
        let Ok(sealed) = serde_json::from_slice::<SealedPayment>(&bytes) else {
            return Ok(error(
                422,
                RefusalCode::MalformedPayment.code(),
                "not a sealed payment",
            ));
        };
        self.maintain(now)?;
        let Some(row) = self
            .rows()?
            .into_iter()
            .find(|row| row.kid == sealed.kid.as_str())
        else {
            return Ok(error(
                422,
                RefusalCode::UnknownKey.code(),
                "the payment is sealed to an unknown key",
            ));
        };
        let Some(ikm) = row.ikm.as_deref() else {
            return Ok(error(
                422,
                RefusalCode::KeyRetired.code(),
                "the payment is sealed to a retired key; seal it again to a current one",
            ));
        };
        let ikm = Zeroizing::new(
            Bytes::<32>::from_base64url(ikm)
                .map_err(|_| worker::Error::RustError("stored key is damaged".into()))?
                .0,
        );
        let private_key = GatewayPrivateKey::derive(sealed.kid.clone(), &ikm);
        match private_key.open(&sealed) {
            Ok(plaintext) => {
                let opened = OpenedPayment {
                    plaintext: to_base64url(&plaintext.encode()),
                };
                Ok(crate::http::json(&opened, 200))
            }
            Err(SealError::InvalidCard(_)) => Ok(error(
                422,
                RefusalCode::InvalidCard.code(),
                "the sealed card details are not a valid card",
            )),
            Err(SealError::BindingMismatch) => Ok(error(
                422,
                RefusalCode::BindingMismatch.code(),
                "the sealed payment's inner binding differs from its envelope",
            )),
            Err(_) => Ok(error(
                422,
                RefusalCode::PaymentDoesNotOpen.code(),
                "the sealed payment does not open; it was altered or sealed to another key",
            )),
        }
    }

    async fn route(&self, request: Request) -> Result<Response> {
        let now = now_ms();
        match (request.method(), request.path().as_str()) {
            (Method::Get, "/keys") => {
                let keys = self.maintain(now)?;
                self.schedule(now).await?;
                Ok(crate::http::json(&keys, 200))
            }
            // Operator: start a new key now, and end the lifetime of the
            // keys before it at once (they keep their grace).
            (Method::Post, "/rotate") => {
                self.maintain(now)?;
                self.state.storage().sql().exec(
                    "UPDATE hpke_keys SET not_after_ms = ? WHERE ikm IS NOT NULL AND not_after_ms > ?",
                    vec![SqlStorageValue::Integer(now), SqlStorageValue::Integer(now)],
                )?;
                self.create_key(now)?;
                let keys = self.maintain(now)?;
                self.schedule(now).await?;
                Ok(crate::http::json(&keys, 200))
            }
            // Operator: end the grace of every key but the newest now, as if
            // their quotes had all expired.
            (Method::Post, "/retire") => {
                let rows = self.rows()?;
                let newest = rows.iter().map(|row| row.created_at_ms).max().unwrap_or(0);
                self.state.storage().sql().exec(
                    "UPDATE hpke_keys SET not_after_ms = ? WHERE created_at_ms < ?",
                    vec![
                        SqlStorageValue::Integer(now - HPKE_KEY_GRACE_MS),
                        SqlStorageValue::Integer(newest),
                    ],
                )?;
                let keys = self.maintain(now)?;
                Ok(crate::http::json(&keys, 200))
            }
            // The payment object: open a sealed payment with the key it
            // names, if that key's private half still exists.
            (Method::Post, "/open") => self.open(request, now).await,
            // Operator: every key ever made, with whether its private half
            // still exists (never the half itself).
            (Method::Get, "/history") => {
                let history: Vec<KeyStatus> = self.rows()?.iter().filter_map(status_of).collect();
                Ok(crate::http::json(&history, 200))
            }
            _ => Ok(error(404, "route_not_found", "no such keyring route")),
        }
    }
}

impl DurableObject for GatewayKeyring {
    fn new(state: State, _env: Env) -> Self {
        GatewayKeyring {
            state,
            schema_ready: Cell::new(false),
        }
    }

    async fn fetch(&self, request: Request) -> Result<Response> {
        match self.route(request).await {
            Ok(response) => Ok(response),
            Err(failure) => {
                worker::console_error!("gateway keyring: {failure}");
                Ok(error(500, "internal_error", "internal error"))
            }
        }
    }

    async fn alarm(&self) -> Result<Response> {
        let now = now_ms();
        self.maintain(now)?;
        self.schedule(now).await?;
        Response::ok("maintained")
    }
}
