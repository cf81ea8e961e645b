//! `PaymentObject`: one SQLite-backed Durable Object per payment, so that
//! everything that happens to a payment is serialized in one place: its
//! creation, each attempt (one card tried), the authorization, the capture,
//! the idempotency keys of its confirmations and the outbox of events to
//! the merchant.
//!
//! A Durable Object lets other requests in while it awaits I/O. So every
//! decision about the payment's state is taken and written in one
//! synchronous stretch: a confirmation claims the payment (status
//! `processing`, its attempt row, its idempotency key) before its first
//! await, and any other confirmation meanwhile sees `processing` (or, with
//! the same key, waits for the first one's answer). No borrow of the state
//! is held across an await: each stretch reads the rows again.
//!
//! The card reaches this object only as the keyring's opened plaintext, in
//! memory, and leaves it only towards the connector; the object stores the
//! card's brand, last four and a keyed fingerprint, never its number or CVC.

use std::cell::Cell;

use serde::Deserialize;
use sha2::{Digest, Sha256};
use shared::card::Brand;
use shared::decline::DeclineCode;
use shared::encoding::to_base64url;
use shared::money::Money;
use shared::receipt::{AuthorizationRecord, PaymentEvent, PaymentEventKind};
use shared::seal::{PaymentPlaintext, SealedPayment};
use shared::sign::Signed;
use shared::wire::{
    AttemptOutcome, AttemptView, CaptureMethod, ConfirmAnswer, ConfirmPayment, Payment,
    PaymentStatus, SHOPPER_ADDRESS_BYTES_MAX,
};
use worker::wasm_bindgen::JsValue;
use worker::{
    DurableObject, Env, Headers, Method, Request, RequestInit, Response, Result, SqlStorageValue,
    State, durable_object,
};

use crate::error::ApiError;
use crate::gateway::connector::{
    BuiltInIssuer, CardConnector, ConnectorAuthorization, ConnectorAuthorize, ConnectorOutcome,
};
use crate::gateway::gateway_keyring::OpenedPayment;
use crate::gateway::idempotency::IDEMPOTENCY_KEY_TTL_MS;
use crate::gateway::{db, keys, risk};
use crate::http::{error_response as error, now_ms};
use crate::log;

mod aftersale;

/// The largest request body the object reads.
const PAYMENT_BODY_BYTES_MAX: usize = 8 * 1024;

/// How old a sealed payment may be when it arrives: the wallet seals it
/// when the shopper presses pay, so ten minutes is generous.
pub const SEALED_PAYMENT_AGE_MS_MAX: u64 = 10 * 60 * 1000;

/// How far ahead of the gateway's clock a wallet's clock may run.
pub const CLOCK_SKEW_MS_MAX: u64 = 2 * 60 * 1000;

/// A duplicate confirmation (same Idempotency-Key) waits this long for the
/// first one's answer, polling every `DUPLICATE_POLL_MS`.
const DUPLICATE_WAIT_MS: u64 = 15_000;
const DUPLICATE_POLL_MS: u64 = 25;

/// An attempt still being checked after this long was abandoned (its
/// request died); the alarm releases the payment for another attempt.
const CHECKING_ABANDONED_MS: i64 = 60_000;

/// How soon the alarm asks again about an unknown outcome, a capture or an
/// undelivered event, doubling per try up to `RETRY_MS_MAX`.
const RETRY_MS: i64 = 2_000;
const RETRY_MS_MAX: i64 = 10 * 60 * 1000;

/// Deliveries of one event before the outbox stops trying (about a day).
const OUTBOX_DELIVERIES_MAX: i64 = 160;

/// The binding webhooks travel over in the demo (see ARCHITECTURE.md).
const WEBHOOKS_BINDING: &str = "WEBHOOKS";

#[durable_object]
pub struct PaymentObject {
    state: State,
    env: Env,
    /// Whether this instance has created its tables (once per instance).
    schema_ready: Cell<bool>,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS payment (id INTEGER PRIMARY KEY CHECK (id = 1), body TEXT NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS attempts (
    sequence INTEGER PRIMARY KEY,
    state TEXT NOT NULL CHECK (state IN ('checking', 'authorizing', 'approved', 'declined', 'rejected')),
    sealed_hash TEXT NOT NULL,
    idempotency_key TEXT,
    attempt_id TEXT,
    reference TEXT,
    brand TEXT,
    last_four TEXT,
    card_fingerprint TEXT,
    address_fingerprint TEXT,
    code TEXT,
    authorization_code TEXT,
    tries INTEGER NOT NULL DEFAULT 0,
    created_at_ms INTEGER NOT NULL,
    updated_at_ms INTEGER NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS authorization (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    attempt_sequence INTEGER NOT NULL,
    signed TEXT NOT NULL,
    capture TEXT NOT NULL CHECK (capture IN ('manual', 'pending', 'done', 'refused', 'voiding', 'voided')),
    capture_tries INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE TABLE IF NOT EXISTS idempotency (
    key TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    status INTEGER,
    answer TEXT,
    created_at_ms INTEGER NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS refunds (
    refund_id TEXT PRIMARY KEY,
    amount_minor INTEGER NOT NULL CHECK (amount_minor > 0),
    state TEXT NOT NULL CHECK (state IN ('pending', 'done', 'refused')),
    idempotency_key TEXT NOT NULL,
    code TEXT,
    tries INTEGER NOT NULL DEFAULT 0,
    created_at_ms INTEGER NOT NULL,
    updated_at_ms INTEGER NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS outbox (
    event_id TEXT PRIMARY KEY,
    body TEXT NOT NULL,
    deliveries INTEGER NOT NULL DEFAULT 0,
    next_at_ms INTEGER NOT NULL,
    delivered_at_ms INTEGER
) STRICT;
";

#[derive(Deserialize)]
struct AttemptRow {
    sequence: i64,
    state: String,
    sealed_hash: String,
    idempotency_key: Option<String>,
    attempt_id: Option<String>,
    reference: Option<String>,
    brand: Option<String>,
    last_four: Option<String>,
    card_fingerprint: Option<String>,
    address_fingerprint: Option<String>,
    code: Option<String>,
    tries: i64,
    updated_at_ms: i64,
}

#[derive(Deserialize)]
struct AuthorizationRow {
    attempt_sequence: i64,
    signed: String,
    capture: String,
    capture_tries: i64,
}

#[derive(Deserialize)]
struct IdempotencyRow {
    fingerprint: String,
    status: Option<i64>,
    answer: Option<String>,
}

#[derive(Deserialize)]
struct OutboxRow {
    event_id: String,
    body: String,
    deliveries: i64,
}

/// An answer decided before the issuer was asked: a status and `{code,
/// message}`.
struct Rejection {
    status: u16,
    code: &'static str,
    message: String,
}

impl Rejection {
    fn new(status: u16, code: &'static str, message: impl Into<String>) -> Rejection {
        Rejection {
            status,
            code,
            message: message.into(),
        }
    }

    fn response(&self) -> Response {
        error(self.status, self.code, &self.message)
    }
}

impl From<ApiError> for Rejection {
    fn from(failure: ApiError) -> Rejection {
        match failure {
            ApiError::TooManyRequests { code, message } => Rejection::new(429, code, message),
            ApiError::Conflict { code, message } => Rejection::new(409, code, message),
            ApiError::Unprocessable { code, message } => Rejection::new(422, code, message),
            other => {
                worker::console_error!("payment object: {other}");
                Rejection::new(500, "internal_error", "internal error")
            }
        }
    }
}

fn sql_text(value: &str) -> SqlStorageValue {
    SqlStorageValue::from(value.to_owned())
}

fn retry_delay(tries: i64) -> i64 {
    let shift = u32::try_from(tries.clamp(0, 20)).unwrap_or(20);
    RETRY_MS.saturating_mul(1_i64 << shift).min(RETRY_MS_MAX)
}

fn hash_of(sealed: &SealedPayment) -> String {
    let mut hasher = Sha256::new();
    hasher.update(sealed.enc.0);
    hasher.update(&sealed.ciphertext.0);
    to_base64url(&hasher.finalize())
}

fn brand_of(code: &str) -> Option<Brand> {
    Brand::from_code(code)
}

impl PaymentObject {
    fn ensure_schema(&self) -> Result<()> {
        if !self.schema_ready.get() {
            self.state.storage().sql().exec(SCHEMA, None)?;
            self.schema_ready.set(true);
        }
        Ok(())
    }

    fn exec(&self, query: &str, values: Vec<SqlStorageValue>) -> Result<()> {
        self.ensure_schema()?;
        self.state.storage().sql().exec(query, Some(values))?;
        Ok(())
    }

    fn query<T: serde::de::DeserializeOwned>(
        &self,
        query: &str,
        values: Vec<SqlStorageValue>,
    ) -> Result<Vec<T>> {
        self.ensure_schema()?;
        self.state
            .storage()
            .sql()
            .exec(query, Some(values))?
            .to_array()
    }

    fn stored(&self) -> Result<Option<Payment>> {
        #[derive(Deserialize)]
        struct Row {
            body: String,
        }
        let rows: Vec<Row> = self.query("SELECT body FROM payment WHERE id = 1", vec![])?;
        Ok(rows
            .into_iter()
            .next()
            .and_then(|row| serde_json::from_str(&row.body).ok()))
    }

    fn set_status(&self, status: PaymentStatus) -> Result<Payment> {
        let mut payment = self
            .stored()?
            .ok_or_else(|| worker::Error::RustError("payment missing".into()))?;
        payment.status = status;
        self.exec(
            "UPDATE payment SET body = ? WHERE id = 1",
            vec![SqlStorageValue::from(serde_json::to_string(&payment)?)],
        )?;
        Ok(payment)
    }

    fn attempts(&self) -> Result<Vec<AttemptRow>> {
        self.query("SELECT * FROM attempts ORDER BY sequence", vec![])
    }

    fn attempt(&self, sequence: i64) -> Result<Option<AttemptRow>> {
        Ok(self
            .query::<AttemptRow>(
                "SELECT * FROM attempts WHERE sequence = ?",
                vec![SqlStorageValue::Integer(sequence)],
            )?
            .into_iter()
            .next())
    }

    fn authorization(&self) -> Result<Option<AuthorizationRow>> {
        Ok(self
            .query::<AuthorizationRow>("SELECT * FROM authorization WHERE id = 1", vec![])?
            .into_iter()
            .next())
    }

    fn idempotency(&self, key: &str) -> Result<Option<IdempotencyRow>> {
        Ok(self
            .query::<IdempotencyRow>(
                "SELECT fingerprint, status, answer FROM idempotency WHERE key = ?",
                vec![sql_text(key)],
            )?
            .into_iter()
            .next())
    }

    /// Stores the final answer of an attempt under its idempotency key.
    fn complete_key(&self, key: Option<&str>, status: u16, answer: &str) -> Result<()> {
        if let Some(key) = key {
            self.exec(
                "UPDATE idempotency SET status = ?, answer = ? WHERE key = ? AND answer IS NULL",
                vec![
                    SqlStorageValue::Integer(i64::from(status)),
                    sql_text(answer),
                    sql_text(key),
                ],
            )?;
        }
        Ok(())
    }

    fn forget_key(&self, key: Option<&str>) -> Result<()> {
        if let Some(key) = key {
            self.exec("DELETE FROM idempotency WHERE key = ?", vec![sql_text(key)])?;
        }
        Ok(())
    }

    async fn schedule(&self, delay_ms: i64) -> Result<()> {
        let storage = self.state.storage();
        let due = now_ms() + delay_ms;
        match storage.get_alarm().await? {
            Some(existing) if existing <= due => Ok(()),
            _ => storage.set_alarm(delay_ms.max(0)).await,
        }
    }

    async fn route(&self, mut request: Request) -> Result<Response> {
        self.ensure_schema()?;
        match (request.method(), request.path().as_str()) {
            (Method::Post, "/create") => {
                let bytes = request.bytes().await?;
                if bytes.len() > PAYMENT_BODY_BYTES_MAX {
                    return Ok(error(413, "body_too_large", "request body is too large"));
                }
                let Ok(payment) = serde_json::from_slice::<Payment>(&bytes) else {
                    return Ok(error(422, "invalid_body", "not a payment"));
                };
                match self.stored()? {
                    Some(existing) if existing == payment => Ok(crate::http::json(&existing, 201)),
                    Some(_) => Ok(error(
                        409,
                        "payment_exists",
                        "a different payment has this id",
                    )),
                    None => {
                        self.exec(
                            "INSERT INTO payment (id, body) VALUES (1, ?)",
                            vec![SqlStorageValue::from(serde_json::to_string(&payment)?)],
                        )?;
                        Ok(crate::http::json(&payment, 201))
                    }
                }
            }
            (Method::Get, "/") => match self.stored()? {
                Some(payment) => Ok(crate::http::json(&payment, 200)),
                None => Ok(error(404, "payment_not_found", "no such payment")),
            },
            (Method::Post, "/confirm") => {
                let key = request.headers().get("idempotency-key")?;
                let request_id = request.headers().get("x-request-id")?.unwrap_or_default();
                let bytes = request.bytes().await?;
                if bytes.len() > PAYMENT_BODY_BYTES_MAX {
                    return Ok(error(413, "body_too_large", "request body is too large"));
                }
                self.confirm(key, &request_id, &bytes).await
            }
            (Method::Post, "/capture") => self.capture_by_merchant().await,
            (Method::Post, "/cancel") => self.cancel().await,
            (Method::Post, "/refunds") => {
                let key = request.headers().get("idempotency-key")?;
                let bytes = request.bytes().await?;
                if bytes.len() > PAYMENT_BODY_BYTES_MAX {
                    return Ok(error(413, "body_too_large", "request body is too large"));
                }
                self.refund(key, &bytes).await
            }
            (Method::Get, "/attempts") => {
                let views: Vec<AttemptView> = self.attempts()?.iter().filter_map(view_of).collect();
                Ok(crate::http::json(&views, 200))
            }
            // Operator: every row of every table, for the storage scan.
            (Method::Get, "/dump") => {
                let mut tables = serde_json::Map::new();
                for table in [
                    "payment",
                    "attempts",
                    "authorization",
                    "refunds",
                    "idempotency",
                    "outbox",
                ] {
                    let rows: Vec<serde_json::Value> =
                        self.query(&format!("SELECT * FROM {table}"), vec![])?;
                    tables.insert(
                        table.to_owned(),
                        crate::http::expand_stored_json(serde_json::Value::Array(rows)),
                    );
                }
                Ok(crate::http::json(&tables, 200))
            }
            _ => Ok(error(404, "route_not_found", "no such payment route")),
        }
    }

    /// A duplicate of a request with this key answers what the first
    /// answered, waiting for it if it is still running; `None` when the key
    /// is new. After it answers `None`, the caller must claim the key
    /// before its next await.
    async fn earlier_answer(&self, key: &str, fingerprint: &str) -> Result<Option<Response>> {
        let mut waited = 0;
        loop {
            match self.idempotency(key)? {
                None => return Ok(None),
                Some(row) if row.fingerprint != fingerprint => {
                    return Ok(Some(error(
                        422,
                        "idempotency_key_reused",
                        "this Idempotency-Key was used with a different request",
                    )));
                }
                Some(IdempotencyRow {
                    status: Some(status),
                    answer: Some(answer),
                    ..
                }) => {
                    let status = u16::try_from(status).unwrap_or(500);
                    return Ok(Some(crate::http::raw_json(answer, status)));
                }
                Some(_) if waited >= DUPLICATE_WAIT_MS => {
                    return Ok(Some(error(
                        409,
                        "idempotency_key_in_use",
                        "a request with this Idempotency-Key is still being processed; retry shortly",
                    )));
                }
                Some(_) => {
                    worker::Delay::from(std::time::Duration::from_millis(DUPLICATE_POLL_MS)).await;
                    waited += DUPLICATE_POLL_MS;
                }
            }
        }
    }

    /// A confirmation: the sealed payment with the merchant's billing.
    async fn confirm(
        &self,
        key: Option<String>,
        request_id: &str,
        bytes: &[u8],
    ) -> Result<Response> {
        let fingerprint = crate::gateway::idempotency::fingerprint(bytes);
        if let Some(key) = key.as_deref()
            && let Some(answer) = self.earlier_answer(key, &fingerprint).await?
        {
            return Ok(answer);
        }
        // From here to `claim`, no await: the checks and the claim are one
        // step that no other request can interleave with.
        let Ok(body) = serde_json::from_slice::<ConfirmPayment>(bytes) else {
            return Ok(error(
                422,
                "invalid_body",
                "body is not a payment confirmation",
            ));
        };
        let Some(payment) = self.stored()? else {
            return Ok(error(404, "payment_not_found", "no such payment"));
        };
        let now = now_ms();
        let sealed_hash = hash_of(&body.sealed);
        if let Err(rejection) = self.precheck(&payment, &body, &sealed_hash, now) {
            return Ok(rejection.response());
        }
        if body.sealed.payment_id != payment.payment_id {
            // Not this payment's: a replay if it reached an issuer before.
            return match db::sealed_payment_owner(&self.env, &sealed_hash).await {
                Ok(Some(_)) => Ok(replayed().response()),
                Ok(None) => Ok(error(
                    422,
                    "payment_mismatch",
                    "the sealed payment is for another payment",
                )),
                Err(failure) => Ok(Rejection::from(failure).response()),
            };
        }
        let sequence = self.claim(key.as_deref(), &fingerprint, &sealed_hash, now)?;
        self.schedule(CHECKING_ABANDONED_MS).await?;

        // The payment is ours until this attempt ends.
        let outcome = self
            .check_and_authorize(&payment, &body, sequence, request_id)
            .await;
        match outcome {
            Ok(()) => self.answer_of_attempt(sequence, key.as_deref()),
            Err(rejection) => {
                self.reject(sequence, &rejection)?;
                if rejection.status >= 500 {
                    // Nothing was decided: the same request may be retried.
                    self.forget_key(key.as_deref())?;
                } else {
                    let answer = serde_json::to_string(&shared::wire::ErrorBody {
                        code: rejection.code.to_owned(),
                        message: rejection.message.clone(),
                    })?;
                    self.complete_key(key.as_deref(), rejection.status, &answer)?;
                }
                log::event(
                    "payment.attempt_rejected",
                    request_id,
                    serde_json::json!({
                        "payment_id": payment.payment_id,
                        "attempt": sequence,
                        "code": rejection.code,
                    }),
                );
                Ok(rejection.response())
            }
        }
    }

    /// The checks that need no I/O, before the payment is claimed.
    fn precheck(
        &self,
        payment: &Payment,
        body: &ConfirmPayment,
        sealed_hash: &str,
        now: i64,
    ) -> std::result::Result<(), Rejection> {
        match payment.status {
            PaymentStatus::Succeeded | PaymentStatus::RequiresCapture | PaymentStatus::Refunded => {
                return Err(Rejection::new(
                    409,
                    "already_paid",
                    "this payment has already been paid",
                ));
            }
            PaymentStatus::Canceled => {
                return Err(Rejection::new(
                    409,
                    "payment_canceled",
                    "this payment was canceled",
                ));
            }
            PaymentStatus::Processing => {
                return Err(Rejection::new(
                    409,
                    "payment_processing",
                    "another attempt on this payment is in progress; wait for its answer",
                ));
            }
            PaymentStatus::RequiresPaymentMethod => {}
        }
        if u64::try_from(now).unwrap_or(u64::MAX) >= payment.expires_at_ms {
            return Err(Rejection::new(
                422,
                "quote_expired",
                "the quote for this payment has expired; ask the store for a new one",
            ));
        }
        let billed = Money::parse_non_negative(&body.amount, body.currency).ok();
        let held = Money::parse_non_negative(&payment.amount, payment.currency).ok();
        if billed.is_none() || billed != held {
            return Err(Rejection::new(
                422,
                "amount_mismatch",
                "the billed amount differs from the payment's amount",
            ));
        }
        if body.quote_digest != payment.quote_digest
            || body.order_reference != payment.order_reference
        {
            return Err(Rejection::new(
                422,
                "billing_mismatch",
                "the billing names another quote or order than the payment",
            ));
        }
        if body
            .shopper_address
            .as_ref()
            .is_some_and(|address| address.is_empty() || address.len() > SHOPPER_ADDRESS_BYTES_MAX)
        {
            return Err(Rejection::new(
                422,
                "invalid_shopper_address",
                "shopper_address must be 1 to 64 bytes",
            ));
        }
        let attempts = self
            .attempts()
            .map_err(|failure| Rejection::from(ApiError::internal(failure)))?;
        let reached_issuer = |row: &&AttemptRow| {
            matches!(row.state.as_str(), "authorizing" | "approved" | "declined")
        };
        if attempts
            .iter()
            .filter(reached_issuer)
            .any(|row| row.sealed_hash == sealed_hash)
        {
            return Err(replayed());
        }
        let asked = attempts.iter().filter(reached_issuer).count();
        if asked >= usize::try_from(risk::PAYMENT_ATTEMPTS_MAX).unwrap_or(usize::MAX) {
            return Err(Rejection::new(
                429,
                "too_many_attempts",
                "this payment has had too many attempts; ask the store for a new order",
            ));
        }
        Ok(())
    }

    /// Claims the payment for one attempt: status `processing`, the attempt
    /// row and the idempotency key, written together before any await.
    /// Called only after `precheck` passed (the payment awaits a payment
    /// method), with no await between the two.
    fn claim(
        &self,
        key: Option<&str>,
        fingerprint: &str,
        sealed_hash: &str,
        now: i64,
    ) -> Result<i64> {
        let sequence = self.attempts()?.last().map_or(1, |row| row.sequence + 1);
        self.exec(
            "INSERT INTO attempts (sequence, state, sealed_hash, idempotency_key, created_at_ms, updated_at_ms)
             VALUES (?, 'checking', ?, ?, ?, ?)",
            vec![
                SqlStorageValue::Integer(sequence),
                sql_text(sealed_hash),
                SqlStorageValue::from(key.map(str::to_owned)),
                SqlStorageValue::Integer(now),
                SqlStorageValue::Integer(now),
            ],
        )?;
        if let Some(key) = key {
            self.exec(
                "INSERT INTO idempotency (key, fingerprint, created_at_ms) VALUES (?, ?, ?)",
                vec![
                    sql_text(key),
                    sql_text(fingerprint),
                    SqlStorageValue::Integer(now),
                ],
            )?;
        }
        self.set_status(PaymentStatus::Processing)?;
        Ok(sequence)
    }

    /// Ends an attempt that never reached the issuer; the payment is free
    /// for another attempt.
    fn reject(&self, sequence: i64, rejection: &Rejection) -> Result<()> {
        let checking = self
            .attempt(sequence)?
            .is_some_and(|attempt| attempt.state == "checking");
        if !checking {
            // It reached the issuer: its outcome is settled there, not here.
            return Ok(());
        }
        self.exec(
            "UPDATE attempts SET state = 'rejected', code = ?, updated_at_ms = ? WHERE sequence = ? AND state = 'checking'",
            vec![
                sql_text(rejection.code),
                SqlStorageValue::Integer(now_ms()),
                SqlStorageValue::Integer(sequence),
            ],
        )?;
        self.set_status(PaymentStatus::RequiresPaymentMethod)?;
        Ok(())
    }

    /// Opens the sealed payment, checks it against the payment, then asks
    /// the issuer. Errors are rejections decided before the issuer was
    /// asked; once it is asked, every outcome is written to the attempt.
    async fn check_and_authorize(
        &self,
        payment: &Payment,
        body: &ConfirmPayment,
        sequence: i64,
        request_id: &str,
    ) -> std::result::Result<(), Rejection> {
        let internal = |failure: worker::Error| Rejection::from(ApiError::internal(failure));
        let plaintext = open(&self.env, &body.sealed).await?;
        let binding = &plaintext.binding;
        let amount = Money::parse_non_negative(&payment.amount, payment.currency)
            .map_err(|failure| Rejection::from(ApiError::internal(failure)))?;
        if binding.payment_id != payment.payment_id
            || binding.merchant_id != payment.merchant_id
            || binding.amount != amount
            || binding.quote_digest != payment.quote_digest
        {
            return Err(Rejection::new(
                422,
                "binding_mismatch",
                "the sealed payment was made for another amount, merchant or quote",
            ));
        }
        let now = u64::try_from(now_ms()).unwrap_or(0);
        if binding
            .created_at_ms
            .saturating_add(SEALED_PAYMENT_AGE_MS_MAX)
            < now
            || binding.created_at_ms > now.saturating_add(CLOCK_SKEW_MS_MAX)
        {
            return Err(Rejection::new(
                422,
                "stale_payment",
                "the sealed payment is too old; the wallet should seal it again",
            ));
        }
        let attempt_reused = self
            .attempts()
            .map_err(internal)?
            .iter()
            .any(|row| row.attempt_id.as_deref() == Some(binding.attempt_id.as_str()));
        if attempt_reused {
            return Err(Rejection::new(
                409,
                "attempt_reused",
                "this attempt id was already used on this payment",
            ));
        }
        let fingerprints = risk::fingerprints(
            &self.env,
            &plaintext.card.number,
            body.shopper_address.as_deref(),
        )?;
        risk::check(&self.env, &fingerprints, now).await?;
        let sealed_hash = hash_of(&body.sealed);
        let first_payment =
            db::claim_sealed_payment(&self.env, &sealed_hash, &payment.payment_id, now).await?;
        if first_payment != payment.payment_id {
            return Err(replayed());
        }

        // Asking the issuer: written first, so that a crash or a duplicate
        // finds the attempt under way and never asks twice with new ids.
        let reference = format!("{}.a{sequence}", payment.payment_id);
        let card = &plaintext.card;
        self.exec(
            "UPDATE attempts SET state = 'authorizing', attempt_id = ?, reference = ?, brand = ?, last_four = ?,
                 card_fingerprint = ?, address_fingerprint = ?, updated_at_ms = ?
             WHERE sequence = ?",
            vec![
                sql_text(&binding.attempt_id),
                sql_text(&reference),
                sql_text(card.number.brand().code()),
                sql_text(card.number.last_four()),
                sql_text(&fingerprints.card),
                SqlStorageValue::from(fingerprints.address.clone()),
                SqlStorageValue::Integer(now_ms()),
                SqlStorageValue::Integer(sequence),
            ],
        )
        .map_err(internal)?;
        let connector = BuiltInIssuer { env: &self.env };
        let answer = connector
            .authorize(&ConnectorAuthorize {
                reference: &reference,
                card,
                amount,
                merchant_id: &payment.merchant_id,
                now_ms: now,
            })
            .await
            .unwrap_or_else(|failure| {
                worker::console_error!("payment object: connector failed: {failure}");
                ConnectorAuthorization::Unknown
            });
        log::event(
            "payment.attempt",
            request_id,
            serde_json::json!({
                "payment_id": payment.payment_id,
                "attempt": sequence,
                "brand": card.number.brand().code(),
                "last_four": card.number.last_four(),
                "outcome": match &answer {
                    ConnectorAuthorization::Approved { .. } => "approved",
                    ConnectorAuthorization::Declined { .. } => "declined",
                    ConnectorAuthorization::Unknown => "pending",
                },
                "decline_code": match &answer {
                    ConnectorAuthorization::Declined { code } => Some(code.code()),
                    _ => None,
                },
            }),
        );
        self.settle_attempt(sequence, answer)
            .await
            .map_err(internal)
    }

    /// Writes what the issuer answered to an attempt that asked it, and
    /// moves the payment on: approved (then captured, for automatic
    /// capture), declined (free for another card), or still pending.
    async fn settle_attempt(&self, sequence: i64, answer: ConnectorAuthorization) -> Result<()> {
        let Some(attempt) = self.attempt(sequence)? else {
            return Ok(());
        };
        if attempt.state != "authorizing" {
            return Ok(());
        }
        let Some(payment) = self.stored()? else {
            return Ok(());
        };
        let now = now_ms();
        match answer {
            ConnectorAuthorization::Unknown => {
                self.exec(
                    "UPDATE attempts SET tries = tries + 1, updated_at_ms = ? WHERE sequence = ?",
                    vec![
                        SqlStorageValue::Integer(now),
                        SqlStorageValue::Integer(sequence),
                    ],
                )?;
                self.schedule(retry_delay(attempt.tries)).await?;
            }
            ConnectorAuthorization::Declined { code } => {
                self.exec(
                    "UPDATE attempts SET state = 'declined', code = ?, updated_at_ms = ? WHERE sequence = ?",
                    vec![
                        sql_text(code.code()),
                        SqlStorageValue::Integer(now),
                        SqlStorageValue::Integer(sequence),
                    ],
                )?;
                self.set_status(PaymentStatus::RequiresPaymentMethod)?;
                self.finish_key_of(sequence)?;
                let fingerprints = risk::Fingerprints {
                    card: attempt.card_fingerprint.clone().unwrap_or_default(),
                    address: attempt.address_fingerprint.clone(),
                };
                let at = u64::try_from(now).unwrap_or(0);
                if let Err(failure) =
                    risk::record_decline(&self.env, &fingerprints, &payment.payment_id, at).await
                {
                    worker::console_error!("payment object: decline not counted: {failure}");
                }
            }
            ConnectorAuthorization::Approved { authorization_code } => {
                let record =
                    AuthorizationRecord {
                        payment_id: payment.payment_id.clone(),
                        merchant_id: payment.merchant_id.clone(),
                        quote_digest: payment.quote_digest,
                        amount: payment.amount.clone(),
                        currency: payment.currency,
                        brand: attempt.brand.as_deref().and_then(brand_of).ok_or_else(|| {
                            worker::Error::RustError("attempt has no brand".into())
                        })?,
                        last_four: attempt.last_four.clone().unwrap_or_default(),
                        authorization_code: authorization_code.clone(),
                        attempt_id: attempt.attempt_id.clone().unwrap_or_default(),
                        authorized_at_ms: u64::try_from(now).unwrap_or(0),
                    };
                let signed = keys::root_signing_key(&self.env)
                    .map_err(|failure| worker::Error::RustError(failure.to_string()))?
                    .sign(record);
                let capture = match payment.capture_method {
                    CaptureMethod::Automatic => "pending",
                    CaptureMethod::Manual => "manual",
                };
                self.exec(
                    "UPDATE attempts SET state = 'approved', authorization_code = ?, updated_at_ms = ? WHERE sequence = ?",
                    vec![
                        sql_text(&authorization_code),
                        SqlStorageValue::Integer(now),
                        SqlStorageValue::Integer(sequence),
                    ],
                )?;
                self.exec(
                    "INSERT INTO authorization (id, attempt_sequence, signed, capture) VALUES (1, ?, ?, ?)",
                    vec![
                        SqlStorageValue::Integer(sequence),
                        SqlStorageValue::from(serde_json::to_string(&signed)?),
                        sql_text(capture),
                    ],
                )?;
                match payment.capture_method {
                    CaptureMethod::Manual => {
                        self.set_status(PaymentStatus::RequiresCapture)?;
                        self.enqueue_event(PaymentEventKind::Authorized, &signed, None, None)?;
                        self.finish_key_of(sequence)?;
                        self.schedule(0).await?;
                    }
                    CaptureMethod::Automatic => self.capture().await?,
                }
            }
        }
        Ok(())
    }

    /// Captures the authorized amount (automatic capture). On an unknown
    /// outcome the alarm asks again with the same capture id.
    async fn capture(&self) -> Result<()> {
        let Some(authorization) = self.authorization()? else {
            return Ok(());
        };
        if authorization.capture != "pending" {
            return Ok(());
        }
        let Some(attempt) = self.attempt(authorization.attempt_sequence)? else {
            return Ok(());
        };
        let Some(payment) = self.stored()? else {
            return Ok(());
        };
        let reference = attempt.reference.unwrap_or_default();
        let amount = Money::parse_non_negative(&payment.amount, payment.currency)
            .map_err(|failure| worker::Error::RustError(failure.to_string()))?;
        let capture_id = format!("{reference}.capture");
        let connector = BuiltInIssuer { env: &self.env };
        let outcome = connector
            .capture(&reference, &capture_id, &amount)
            .await
            .unwrap_or(ConnectorOutcome::Unknown);
        // Read again after the await: the alarm may have finished it.
        let Some(authorization) = self.authorization()? else {
            return Ok(());
        };
        if authorization.capture != "pending" {
            return Ok(());
        }
        let signed: Signed<AuthorizationRecord> = serde_json::from_str(&authorization.signed)?;
        match outcome {
            ConnectorOutcome::Done => {
                self.exec(
                    "UPDATE authorization SET capture = 'done' WHERE id = 1",
                    vec![],
                )?;
                self.set_status(PaymentStatus::Succeeded)?;
                self.enqueue_event(
                    PaymentEventKind::Succeeded,
                    &signed,
                    Some(payment.amount.clone()),
                    None,
                )?;
                self.finish_key_of(authorization.attempt_sequence)?;
                self.schedule(0).await?;
            }
            ConnectorOutcome::Refused { code } => {
                // The funds stay held; the merchant may capture by hand.
                worker::console_error!("payment object: capture refused: {code}");
                self.exec(
                    "UPDATE authorization SET capture = 'refused' WHERE id = 1",
                    vec![],
                )?;
                self.set_status(PaymentStatus::RequiresCapture)?;
                self.enqueue_event(PaymentEventKind::Authorized, &signed, None, None)?;
                self.finish_key_of(authorization.attempt_sequence)?;
                self.schedule(0).await?;
            }
            ConnectorOutcome::Unknown => {
                self.exec(
                    "UPDATE authorization SET capture_tries = capture_tries + 1 WHERE id = 1",
                    vec![],
                )?;
                self.schedule(retry_delay(authorization.capture_tries))
                    .await?;
            }
        }
        Ok(())
    }

    /// Stores the final answer of an attempt under the key it came with, so
    /// a duplicate gets it too (also when the alarm decided it).
    fn finish_key_of(&self, sequence: i64) -> Result<()> {
        let Some(attempt) = self.attempt(sequence)? else {
            return Ok(());
        };
        if attempt.idempotency_key.is_none() {
            return Ok(());
        }
        let (status, answer) = self.answer_body(sequence)?;
        if status != 202 {
            self.complete_key(attempt.idempotency_key.as_deref(), status, &answer)?;
        }
        Ok(())
    }

    /// The merchant's answer for an attempt that reached the issuer.
    fn answer_body(&self, sequence: i64) -> Result<(u16, String)> {
        let attempt = self
            .attempt(sequence)?
            .ok_or_else(|| worker::Error::RustError("attempt missing".into()))?;
        let payment = self
            .stored()?
            .ok_or_else(|| worker::Error::RustError("payment missing".into()))?;
        let view = view_of(&attempt)
            .ok_or_else(|| worker::Error::RustError("attempt has no card".into()))?;
        let authorization = match self.authorization()? {
            Some(row) if row.attempt_sequence == sequence => {
                Some(serde_json::from_str(&row.signed)?)
            }
            _ => None,
        };
        let decline = view.decline_code;
        let (status, code, message) = match (view.outcome, payment.status) {
            (AttemptOutcome::Declined, _) => (
                402,
                Some("card_declined".to_owned()),
                Some(
                    decline
                        .map_or("the card was declined", DeclineCode::shopper_message)
                        .to_owned(),
                ),
            ),
            (
                AttemptOutcome::Approved,
                PaymentStatus::Succeeded | PaymentStatus::RequiresCapture,
            ) => (200, None, None),
            _ => (202, None, None),
        };
        let answer = ConfirmAnswer {
            code,
            message,
            payment,
            attempt: view,
            authorization,
            another_card_may_help: decline.map(DeclineCode::another_card_may_help),
        };
        Ok((status, serde_json::to_string(&answer)?))
    }

    fn answer_of_attempt(&self, sequence: i64, key: Option<&str>) -> Result<Response> {
        let (status, answer) = self.answer_body(sequence)?;
        if status != 202 {
            self.complete_key(key, status, &answer)?;
        }
        Ok(crate::http::raw_json(answer, status))
    }

    /// Queues the merchant's event in the same step as the state it
    /// reports; the alarm delivers it until the merchant acknowledges it.
    fn enqueue_event(
        &self,
        kind: PaymentEventKind,
        authorization: &Signed<AuthorizationRecord>,
        amount: Option<String>,
        refund_id: Option<String>,
    ) -> Result<()> {
        let payment = self
            .stored()?
            .ok_or_else(|| worker::Error::RustError("payment missing".into()))?;
        let event = PaymentEvent {
            event_id: match &refund_id {
                Some(refund_id) => format!("evt_{refund_id}"),
                None => format!("evt_{}_{}", payment.payment_id, kind.code()),
            },
            kind,
            order_reference: payment.order_reference.clone(),
            amount,
            refund_id,
            authorization: authorization.clone(),
            created_at_ms: u64::try_from(now_ms()).unwrap_or(0),
        };
        let signed = keys::root_signing_key(&self.env)
            .map_err(|failure| worker::Error::RustError(failure.to_string()))?
            .sign(event.clone());
        self.exec(
            "INSERT OR IGNORE INTO outbox (event_id, body, next_at_ms) VALUES (?, ?, ?)",
            vec![
                sql_text(&event.event_id),
                SqlStorageValue::from(serde_json::to_string(&signed)?),
                SqlStorageValue::Integer(now_ms()),
            ],
        )
    }

    /// Delivers due events to the merchant's webhook; answers whether any
    /// remain to deliver.
    async fn drain_outbox(&self) -> Result<Option<i64>> {
        let now = now_ms();
        let due: Vec<OutboxRow> = self.query(
            "SELECT event_id, body, deliveries FROM outbox
             WHERE delivered_at_ms IS NULL AND deliveries < ? AND next_at_ms <= ?",
            vec![
                SqlStorageValue::Integer(OUTBOX_DELIVERIES_MAX),
                SqlStorageValue::Integer(now),
            ],
        )?;
        if !due.is_empty() {
            let merchant = self.stored()?.map(|payment| payment.merchant_id);
            let url = match merchant {
                Some(merchant) => db::webhook_url(&self.env, &merchant)
                    .await
                    .map_err(|failure| worker::Error::RustError(failure.to_string()))?,
                None => None,
            };
            for row in due {
                let delivered = match &url {
                    Some(url) => deliver(&self.env, url, &row.body).await,
                    // A merchant without a webhook reads its payments.
                    None => true,
                };
                if delivered {
                    self.exec(
                        "UPDATE outbox SET delivered_at_ms = ?, deliveries = deliveries + 1 WHERE event_id = ?",
                        vec![SqlStorageValue::Integer(now_ms()), sql_text(&row.event_id)],
                    )?;
                } else {
                    self.exec(
                        "UPDATE outbox SET deliveries = deliveries + 1, next_at_ms = ? WHERE event_id = ?",
                        vec![
                            SqlStorageValue::Integer(now + retry_delay(row.deliveries)),
                            sql_text(&row.event_id),
                        ],
                    )?;
                }
            }
        }
        #[derive(Deserialize)]
        struct Next {
            next_at_ms: Option<i64>,
        }
        let next: Vec<Next> = self.query(
            "SELECT MIN(next_at_ms) AS next_at_ms FROM outbox WHERE delivered_at_ms IS NULL AND deliveries < ?",
            vec![SqlStorageValue::Integer(OUTBOX_DELIVERIES_MAX)],
        )?;
        Ok(next.into_iter().next().and_then(|row| row.next_at_ms))
    }

    /// The alarm: heals what a crash or a lost answer left open, delivers
    /// the outbox and forgets idempotency keys after 24 hours.
    async fn maintain(&self) -> Result<()> {
        let now = now_ms();
        let mut next: Vec<i64> = Vec::new();
        for attempt in self.attempts()? {
            match attempt.state.as_str() {
                "checking" if attempt.updated_at_ms + CHECKING_ABANDONED_MS <= now => {
                    let rejection = Rejection::new(500, "abandoned", "the attempt was abandoned");
                    self.reject(attempt.sequence, &rejection)?;
                    self.forget_key(attempt.idempotency_key.as_deref())?;
                }
                "checking" => next.push(attempt.updated_at_ms + CHECKING_ABANDONED_MS),
                "authorizing" => {
                    let due = attempt.updated_at_ms + retry_delay(attempt.tries);
                    if due <= now {
                        let reference = attempt.reference.clone().unwrap_or_default();
                        let connector = BuiltInIssuer { env: &self.env };
                        let answer = connector
                            .retrieve(&reference)
                            .await
                            .unwrap_or(ConnectorAuthorization::Unknown);
                        self.settle_attempt(attempt.sequence, answer).await?;
                    } else {
                        next.push(due);
                    }
                }
                _ => {}
            }
        }
        if let Some(authorization) = self.authorization()?
            && authorization.capture == "pending"
        {
            self.capture().await?;
        }
        next.extend(self.retry_aftersale(now).await?);
        if let Some(due) = self.drain_outbox().await? {
            next.push(due);
        }
        let expired_before = now - i64::try_from(IDEMPOTENCY_KEY_TTL_MS).unwrap_or(i64::MAX);
        self.exec(
            "DELETE FROM idempotency WHERE created_at_ms < ? AND answer IS NOT NULL",
            vec![SqlStorageValue::Integer(expired_before)],
        )?;
        #[derive(Deserialize)]
        struct Oldest {
            oldest: Option<i64>,
        }
        let oldest: Vec<Oldest> = self.query(
            "SELECT MIN(created_at_ms) AS oldest FROM idempotency",
            vec![],
        )?;
        if let Some(oldest) = oldest.into_iter().next().and_then(|row| row.oldest) {
            next.push(oldest + i64::try_from(IDEMPOTENCY_KEY_TTL_MS).unwrap_or(i64::MAX));
        }
        if let Some(pending) = self.authorization()?
            && pending.capture == "pending"
        {
            next.push(now + retry_delay(pending.capture_tries));
        }
        if let Some(due) = next.into_iter().min() {
            self.state.storage().set_alarm((due - now).max(0)).await?;
        }
        Ok(())
    }
}

fn replayed() -> Rejection {
    Rejection::new(
        409,
        "payment_replayed",
        "this sealed payment was already used; the wallet must seal a new one",
    )
}

/// An attempt as the merchant sees it, once it has reached the issuer.
fn view_of(row: &AttemptRow) -> Option<AttemptView> {
    let outcome = match row.state.as_str() {
        "approved" => AttemptOutcome::Approved,
        "declined" => AttemptOutcome::Declined,
        "authorizing" => AttemptOutcome::Pending,
        _ => return None,
    };
    Some(AttemptView {
        attempt_id: row.attempt_id.clone()?,
        sequence: u32::try_from(row.sequence).ok()?,
        outcome,
        brand: brand_of(row.brand.as_deref()?)?,
        last_four: row.last_four.clone()?,
        decline_code: row.code.as_deref().and_then(DeclineCode::from_code),
    })
}

/// Asks the keyring to open a sealed payment; the plaintext stays in memory.
async fn open(
    env: &Env,
    sealed: &SealedPayment,
) -> std::result::Result<PaymentPlaintext, Rejection> {
    let internal = |failure: worker::Error| Rejection::from(ApiError::internal(failure));
    let body = serde_json::to_string(sealed)
        .map_err(|failure| Rejection::from(ApiError::internal(failure)))?;
    let mut answer = keys::keyring_call(env, Method::Post, "/open", Some(body))
        .await
        .map_err(Rejection::from)?;
    if answer.status_code() == 422 {
        let failure: shared::wire::ErrorBody = answer.json().await.map_err(internal)?;
        let code = match failure.code.as_str() {
            "unknown_key" => "unknown_key",
            "key_retired" => "key_retired",
            "invalid_card" => "invalid_card",
            "binding_mismatch" => "binding_mismatch",
            "malformed_payment" => "malformed_payment",
            _ => "payment_does_not_open",
        };
        return Err(Rejection::new(422, code, failure.message));
    }
    if answer.status_code() != 200 {
        return Err(Rejection::from(ApiError::internal(format!(
            "keyring answered {}",
            answer.status_code()
        ))));
    }
    let opened: OpenedPayment = answer.json().await.map_err(internal)?;
    let bytes = zeroize::Zeroizing::new(
        shared::encoding::from_base64url(&opened.plaintext, PAYMENT_BODY_BYTES_MAX)
            .map_err(|failure| Rejection::from(ApiError::internal(failure)))?,
    );
    PaymentPlaintext::decode(&bytes).map_err(|_| {
        Rejection::new(
            422,
            "invalid_card",
            "the sealed card details are not a valid card",
        )
    })
}

/// Posts one signed event to the merchant's webhook; true on a 2xx.
async fn deliver(env: &Env, url: &str, body: &str) -> bool {
    let attempt = async {
        let headers = Headers::new();
        headers.set("content-type", "application/json")?;
        let mut init = RequestInit::new();
        init.with_method(Method::Post)
            .with_headers(headers)
            .with_body(Some(JsValue::from_str(body)));
        let request = Request::new_with_init(url, &init)?;
        let response = env
            .service(WEBHOOKS_BINDING)?
            .fetch_request(request)
            .await?;
        Ok::<bool, worker::Error>((200..300).contains(&response.status_code()))
    };
    match attempt.await {
        Ok(delivered) => delivered,
        Err(failure) => {
            worker::console_error!("payment object: webhook delivery failed: {failure}");
            false
        }
    }
}

impl DurableObject for PaymentObject {
    fn new(state: State, env: Env) -> Self {
        PaymentObject {
            state,
            env,
            schema_ready: Cell::new(false),
        }
    }

    async fn fetch(&self, request: Request) -> Result<Response> {
        match self.route(request).await {
            Ok(response) => Ok(response),
            Err(failure) => {
                worker::console_error!("payment object: {failure}");
                Ok(error(500, "internal_error", "internal error"))
            }
        }
    }

    async fn alarm(&self) -> Result<Response> {
        self.maintain().await?;
        Response::ok("maintained")
    }
}
