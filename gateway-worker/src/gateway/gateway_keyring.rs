//! `GatewayKeyring`: the gateway's HPKE key pairs, in `KEYRING_SHARDS`
//! Durable Objects (`keyring-0` …), each with its own keys, so opening
//! sealed payments is spread over several objects instead of funnelled
//! through one. A key's id names its shard (`gw-<shard>-<random>`), and the
//! payment object asks that shard to open a payment sealed to it.
//!
//! Each shard's key seals new payments for `HPKE_KEY_LIFETIME_MS` (a day).
//! The shard's alarm makes the next key `SUCCESSOR_LEAD_MS` before the
//! current one's lifetime ends, so a published key set always holds a
//! current key, and deletes a key's private half when every quote that
//! could have been sealed to it has expired (`HPKE_KEY_GRACE_MS` after its
//! lifetime), so an archived ciphertext can no longer be opened. Reading
//! the keys and opening a payment write nothing. The private halves never
//! leave their shard: opening a sealed payment happens here.

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

/// How long before a key's lifetime ends its shard makes the next one, so
/// key sets published (and cached) before the end already list it.
pub const SUCCESSOR_LEAD_MS: i64 = 60 * 60 * 1000;

/// How many keyring objects share the opening of sealed payments. Each
/// serves its own keys; the key set lists every shard's current key.
pub const KEYRING_SHARDS: u8 = 8;

// The key set lists each shard's current key and, in its last hour, the
// next one: a wallet refuses a set with more than `KEY_SET_KEYS_MAX`, so
// more shards need a larger limit (and a rebuilt wallet).
const _: () = assert!(2 * KEYRING_SHARDS as usize <= shared::keyset::KEY_SET_KEYS_MAX);

/// The request header through which the gateway names the shard it calls.
pub const SHARD_HEADER: &str = "x-keyring-shard";

/// The shard whose key `kid` is (`gw-<shard>-<random>`), if it names one.
pub fn shard_of(kid: &str) -> Option<u8> {
    let (text, _) = kid.strip_prefix("gw-")?.split_once('-')?;
    let shard: u8 = text.parse().ok()?;
    // One spelling per shard: `gw-03-…` is not shard 3's.
    (shard < KEYRING_SHARDS && shard.to_string() == text).then_some(shard)
}

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
    /// Whether this instance has created its tables (once per instance).
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

impl KeyRow {
    /// Whether this key still opens payments at `now_ms`: its private half
    /// exists and its grace has not ended (the alarm deletes the half soon
    /// after; opening does not wait for it).
    fn opens_at(&self, now_ms: i64) -> bool {
        self.ikm.is_some() && self.not_after_ms + HPKE_KEY_GRACE_MS > now_ms
    }
}

#[derive(Deserialize)]
struct ShardRow {
    shard: i64,
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

fn no_randomness() -> worker::Error {
    worker::Error::RustError("no randomness".into())
}

impl GatewayKeyring {
    /// Creates the tables, once per instance.
    fn ensure_schema(&self) -> Result<()> {
        if !self.schema_ready.get() {
            let sql = self.state.storage().sql();
            sql.exec(
                "CREATE TABLE IF NOT EXISTS hpke_keys (
                    kid TEXT PRIMARY KEY, ikm TEXT, public_key TEXT NOT NULL,
                    created_at_ms INTEGER NOT NULL, not_after_ms INTEGER NOT NULL, deleted_at_ms INTEGER
                ) STRICT",
                None,
            )?;
            sql.exec(
                "CREATE TABLE IF NOT EXISTS shard (
                    only_row INTEGER PRIMARY KEY CHECK (only_row = 1), shard INTEGER NOT NULL
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

    fn row(&self, kid: &str) -> Result<Option<KeyRow>> {
        self.ensure_schema()?;
        let rows: Vec<KeyRow> = self
            .state
            .storage()
            .sql()
            .exec(
                "SELECT kid, ikm, public_key, created_at_ms, not_after_ms FROM hpke_keys WHERE kid = ?",
                vec![SqlStorageValue::from(kid.to_owned())],
            )?
            .to_array()?;
        Ok(rows.into_iter().next())
    }

    /// Which shard this object is: recorded from the first request that
    /// names it, so the alarm (which no request names) can make keys too.
    fn shard(&self, named: Option<u8>) -> Result<u8> {
        self.ensure_schema()?;
        let sql = self.state.storage().sql();
        let stored: Vec<ShardRow> = sql
            .exec("SELECT shard FROM shard WHERE only_row = 1", None)?
            .to_array()?;
        if let Some(row) = stored.first() {
            return u8::try_from(row.shard)
                .map_err(|_| worker::Error::RustError("stored shard is damaged".into()));
        }
        let shard = named.ok_or_else(|| worker::Error::RustError("shard not named".into()))?;
        sql.exec(
            "INSERT INTO shard (only_row, shard) VALUES (1, ?)",
            vec![SqlStorageValue::Integer(i64::from(shard))],
        )?;
        Ok(shard)
    }

    /// Whether this object has recorded which shard it is.
    fn has_shard(&self) -> Result<bool> {
        self.ensure_schema()?;
        let stored: Vec<ShardRow> = self
            .state
            .storage()
            .sql()
            .exec("SELECT shard FROM shard WHERE only_row = 1", None)?
            .to_array()?;
        Ok(!stored.is_empty())
    }

    /// Makes a new key pair of shard `shard`, valid from `from_ms` for a day.
    fn create_key(&self, shard: u8, from_ms: i64) -> Result<()> {
        let mut ikm = Zeroizing::new([0_u8; 32]);
        getrandom::fill(ikm.as_mut_slice()).map_err(|_| no_randomness())?;
        let mut id = [0_u8; 6];
        getrandom::fill(&mut id).map_err(|_| no_randomness())?;
        let kid_text = format!("gw-{shard}-{}", to_base64url(&id));
        let kid =
            KeyId::new(&kid_text).map_err(|error| worker::Error::RustError(error.to_string()))?;
        let public_key = GatewayPrivateKey::derive(kid, &ikm)
            .public_key(0)
            .public_key;
        self.state.storage().sql().exec(
            "INSERT INTO hpke_keys (kid, ikm, public_key, created_at_ms, not_after_ms) VALUES (?, ?, ?, ?, ?)",
            vec![
                SqlStorageValue::from(kid_text),
                SqlStorageValue::from(to_base64url(ikm.as_slice())),
                SqlStorageValue::from(public_key.to_base64url()),
                SqlStorageValue::Integer(from_ms),
                SqlStorageValue::Integer(from_ms + HPKE_KEY_LIFETIME_MS),
            ],
        )?;
        Ok(())
    }

    /// The upkeep, run by the alarm (and after an operator's rotation or
    /// retirement): deletes private halves past their grace, and makes the
    /// next key when the newest is within `SUCCESSOR_LEAD_MS` of its end
    /// (or already past it).
    fn maintain(&self, shard: u8, now_ms: i64) -> Result<()> {
        self.delete_due_halves(now_ms)?;
        let newest_end = self
            .rows()?
            .iter()
            .filter(|row| row.ikm.is_some())
            .map(|row| row.not_after_ms)
            .max();
        match newest_end {
            Some(end) if end - SUCCESSOR_LEAD_MS > now_ms => {}
            // The successor starts when the newest key ends, or now if it
            // has ended already.
            Some(end) => self.create_key(shard, end.max(now_ms))?,
            None => self.create_key(shard, now_ms)?,
        }
        Ok(())
    }

    /// Deletes the private halves whose grace has ended. Needs no shard
    /// number: it runs even in an object that never recorded one (the
    /// single keyring before the shards), so no private half outlives its
    /// grace.
    fn delete_due_halves(&self, now_ms: i64) -> Result<()> {
        self.ensure_schema()?;
        self.state.storage().sql().exec(
            "UPDATE hpke_keys SET ikm = NULL, deleted_at_ms = ? WHERE ikm IS NOT NULL AND not_after_ms + ? <= ?",
            vec![
                SqlStorageValue::Integer(now_ms),
                SqlStorageValue::Integer(HPKE_KEY_GRACE_MS),
                SqlStorageValue::Integer(now_ms),
            ],
        )?;
        Ok(())
    }

    /// Sets the alarm for the next upkeep: the next private half due for
    /// deletion, or the next key due to be made, whichever comes first.
    async fn schedule(&self, now_ms: i64) -> Result<()> {
        let rows = self.rows()?;
        let live = rows.iter().filter(|row| row.ikm.is_some());
        let next_deletion = live
            .clone()
            .map(|row| row.not_after_ms + HPKE_KEY_GRACE_MS)
            .min();
        let next_successor = live.map(|row| row.not_after_ms - SUCCESSOR_LEAD_MS).max();
        match next_deletion.into_iter().chain(next_successor).min() {
            Some(due) => self.state.storage().set_alarm((due - now_ms).max(0)).await,
            None => Ok(()),
        }
    }

    /// The keys within their lifetime: what the key set publishes. Writes
    /// nothing, unless this shard has no key at all yet (its first request
    /// ever, or an alarm long overdue): then it makes one and schedules.
    async fn current_keys(&self, shard: u8, now_ms: i64) -> Result<Vec<KeyStatus>> {
        let current = |rows: &[KeyRow]| -> Vec<KeyStatus> {
            rows.iter()
                .filter(|row| row.ikm.is_some() && row.not_after_ms > now_ms)
                .filter_map(status_of)
                .collect()
        };
        let keys = current(&self.rows()?);
        if !keys.is_empty() {
            return Ok(keys);
        }
        let shard = self.shard(Some(shard))?;
        self.maintain(shard, now_ms)?;
        self.schedule(now_ms).await?;
        Ok(current(&self.rows()?))
    }

    /// Opens a sealed payment; answers the plaintext's canonical bytes
    /// (base64url) to the payment object, in memory only. Failures name the
    /// reason class, never any decrypted content. Writes nothing.
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
        let Some(row) = self.row(sealed.kid.as_str())? else {
            return Ok(error(
                422,
                RefusalCode::UnknownKey.code(),
                "the payment is sealed to an unknown key",
            ));
        };
        let (true, Some(ikm)) = (row.opens_at(now), row.ikm.as_deref()) else {
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
        let named = request
            .headers()
            .get(SHARD_HEADER)?
            .and_then(|text| text.parse::<u8>().ok())
            .filter(|shard| *shard < KEYRING_SHARDS);
        let Some(named) = named else {
            return Ok(error(404, "route_not_found", "no such keyring shard"));
        };
        match (request.method(), request.path().as_str()) {
            (Method::Get, "/keys") => Ok(crate::http::json(
                &self.current_keys(named, now).await?,
                200,
            )),
            // Operator: start a new key now, and end the lifetime of the
            // keys before it at once (they keep their grace).
            (Method::Post, "/rotate") => {
                let shard = self.shard(Some(named))?;
                self.state.storage().sql().exec(
                    "UPDATE hpke_keys SET not_after_ms = ? WHERE ikm IS NOT NULL AND not_after_ms > ?",
                    vec![SqlStorageValue::Integer(now), SqlStorageValue::Integer(now)],
                )?;
                self.create_key(shard, now)?;
                self.maintain(shard, now)?;
                self.schedule(now).await?;
                Ok(crate::http::json(&self.opening_keys(now)?, 200))
            }
            // Operator: end the grace of every key but the newest now, as if
            // their quotes had all expired.
            (Method::Post, "/retire") => {
                let shard = self.shard(Some(named))?;
                let rows = self.rows()?;
                let newest = rows.iter().map(|row| row.created_at_ms).max().unwrap_or(0);
                self.state.storage().sql().exec(
                    "UPDATE hpke_keys SET not_after_ms = ? WHERE created_at_ms < ?",
                    vec![
                        SqlStorageValue::Integer(now - HPKE_KEY_GRACE_MS),
                        SqlStorageValue::Integer(newest),
                    ],
                )?;
                self.maintain(shard, now)?;
                self.schedule(now).await?;
                Ok(crate::http::json(&self.opening_keys(now)?, 200))
            }
            // The payment object: open a sealed payment with the key it
            // names, if that key still opens.
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

    /// Every key that still opens payments (current ones and those in
    /// grace), for the operator's answers.
    fn opening_keys(&self, now_ms: i64) -> Result<Vec<KeyStatus>> {
        Ok(self
            .rows()?
            .iter()
            .filter(|row| row.opens_at(now_ms))
            .filter_map(status_of)
            .collect())
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
        self.delete_due_halves(now)?;
        // Only a shard makes keys; an object that is no shard (the single
        // keyring of before) just lets its private halves expire.
        if self.has_shard()? {
            let shard = self.shard(None)?;
            self.maintain(shard, now)?;
        }
        self.schedule(now).await?;
        Response::ok("maintained")
    }
}

#[cfg(test)]
mod tests {
    use super::{KEYRING_SHARDS, shard_of};

    #[test]
    fn a_key_id_names_one_shard_in_one_spelling() {
        assert_eq!(shard_of("gw-0-AbCd"), Some(0));
        assert_eq!(shard_of("gw-7-x-y"), Some(7));
        assert_eq!(shard_of(&format!("gw-{KEYRING_SHARDS}-AbCd")), None);
        for kid in [
            "gw-07-AbCd",
            "gw-+1-AbCd",
            "gw--1-AbCd",
            "gw-AbCd",
            "gw-1",
            "kr-1-AbCd",
            "",
        ] {
            assert_eq!(shard_of(kid), None, "{kid}");
        }
    }
}
