//! The issuer's SQL, all of it: the card registry and the record of every
//! authorization, in `ISSUER_DB`. Card numbers never reach this module; it
//! sees registry keys (HMACs), first six and last four digits.

use std::cell::Cell;

use serde::{Deserialize, Serialize};
use shared::card::{CardNumber, Expiry};
use shared::decline::DeclineCode;
use shared::issuer::card_registry_key;
use worker::Env;
use worker::wasm_bindgen::JsValue;

use crate::error::ApiError;
use shared::demo_cards::DEMO_CARDS;

const ISSUER_DB: &str = "ISSUER_DB";

thread_local! {
    /// Whether this isolate has made sure the demo cards are issued.
    static DEMO_CARDS_ISSUED: Cell<bool> = const { Cell::new(false) };
}

#[derive(Clone, Debug, Deserialize)]
pub struct CardRow {
    pub expiry_month: u8,
    pub expiry_year: u16,
    pub status: String,
    pub bank_id: String,
    pub account_id: String,
}

shared::code_enum! {
    /// Where an authorization stands at the issuer.
    pub enum Outcome {
        /// Checked; the cardholder's bank is being asked for the hold.
        Pending = "pending",
        Approved = "approved",
        Declined = "declined",
        /// Given up by the gateway: never approved after this.
        Reversed = "reversed",
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AuthorizationRow {
    pub authorization_id: String,
    pub card_key: Option<String>,
    pub last_four: Option<String>,
    pub merchant_id: String,
    pub amount_minor: i64,
    pub currency: String,
    pub outcome: Outcome,
    pub decline_code: Option<DeclineCode>,
    pub authorization_code: Option<String>,
    pub bank_id: Option<String>,
    /// The account at `bank_id` the card draws on (NULL for rows recorded
    /// before the bank was sharded).
    #[serde(default)]
    pub account_id: Option<String>,
    pub hold_id: Option<String>,
    pub created_at_ms: i64,
    pub request_digest: Option<String>,
    #[serde(default)]
    pub security_failure: i64,
    /// 1 when the customer was verified by the card's passkey.
    #[serde(default)]
    pub verified_by_passkey: i64,
}

/// Failed security checks (wrong expiry or CVC) that lock a card's checks
/// within `SECURITY_WINDOW_MS`; ARCHITECTURE.md gives the arithmetic.
pub const SECURITY_FAILURES_MAX: i64 = 3;

/// The window failed security checks count in: a day.
pub const SECURITY_WINDOW_MS: i64 = 24 * 60 * 60 * 1000;

fn optional(value: Option<&str>) -> JsValue {
    value.map_or(JsValue::null(), JsValue::from_str)
}

/// Issues the demo cards once per database (idempotent inserts), keyed
/// under the current card key.
pub async fn ensure_demo_cards(env: &Env, card_key: &[u8; 32]) -> Result<(), ApiError> {
    if DEMO_CARDS_ISSUED.with(Cell::get) {
        return Ok(());
    }
    let db = crate::meter::d1(env, ISSUER_DB)?;
    let mut statements = Vec::with_capacity(DEMO_CARDS.len());
    for card in &DEMO_CARDS {
        let number = CardNumber::parse(card.number)
            .map_err(|error| ApiError::internal(format!("demo card {}: {error}", card.name)))?;
        Expiry::new(card.expiry_month, card.expiry_year)
            .map_err(|error| ApiError::internal(format!("demo card {}: {error}", card.name)))?;
        let statement = db
            .prepare(
                "INSERT OR IGNORE INTO cards (card_key, first_six, last_four, brand, expiry_month, expiry_year,
                                              status, bank_id, account_id, cardholder)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )
            .bind(&[
                JsValue::from_str(&card_registry_key(card_key, &number)),
                JsValue::from_str(number.first_six()),
                JsValue::from_str(number.last_four()),
                JsValue::from_str(number.brand().code()),
                JsValue::from(card.expiry_month),
                JsValue::from(card.expiry_year),
                JsValue::from_str(card.status.code()),
                JsValue::from_str(card.bank_id),
                JsValue::from_str(card.account_id),
                JsValue::from_str(card.cardholder),
            ])?;
        statements.push(statement);
    }
    db.batch(statements).await?;
    DEMO_CARDS_ISSUED.with(|issued| issued.set(true));
    Ok(())
}

pub async fn find_card(env: &Env, registry_key: &str) -> Result<Option<CardRow>, ApiError> {
    let db = crate::meter::d1(env, ISSUER_DB)?;
    let statement = db
        .prepare(
            "SELECT expiry_month, expiry_year, status, bank_id, account_id FROM cards WHERE card_key = ?1",
        )
        .bind(&[JsValue::from_str(registry_key)])?;
    Ok(statement.first::<CardRow>(None).await?)
}

/// The cardholder's name on a card, by registry key.
#[cfg(feature = "operator")]
pub async fn cardholder(env: &Env, registry_key: &str) -> Result<Option<String>, ApiError> {
    #[derive(Deserialize)]
    struct Row {
        cardholder: String,
    }
    let statement = crate::meter::d1(env, ISSUER_DB)?
        .prepare("SELECT cardholder FROM cards WHERE card_key = ?1")
        .bind(&[JsValue::from_str(registry_key)])?;
    Ok(statement
        .first::<Row>(None)
        .await?
        .map(|row| row.cardholder))
}

pub async fn authorization(
    env: &Env,
    authorization_id: &str,
) -> Result<Option<AuthorizationRow>, ApiError> {
    let db = crate::meter::d1(env, ISSUER_DB)?;
    let statement = db
        .prepare("SELECT * FROM authorizations WHERE authorization_id = ?1")
        .bind(&[JsValue::from_str(authorization_id)])?;
    Ok(statement.first::<AuthorizationRow>(None).await?)
}

/// The authorization recorded under `authorization_id`, if any, and the
/// card registered under `registry_key`, if any: two independent reads in
/// one round trip.
/// The passkey enrolled for a card.
#[derive(Clone, Debug, Deserialize)]
pub struct PasskeyRow {
    /// Base64url.
    pub credential_id: String,
    /// SPKI DER, base64url.
    pub public_key: String,
    pub sign_count: i64,
}

/// What the issuer knows of an authorization id and a card, read at once:
/// the authorization recorded under the id, the card, and its passkey.
pub struct Known {
    pub authorization: Option<AuthorizationRow>,
    pub card: Option<CardRow>,
    pub passkey: Option<PasskeyRow>,
}

pub async fn authorization_and_card(
    env: &Env,
    authorization_id: &str,
    registry_key: &str,
) -> Result<Known, ApiError> {
    let db = crate::meter::d1(env, ISSUER_DB)?;
    let authorization = db
        .prepare("SELECT * FROM authorizations WHERE authorization_id = ?1")
        .bind(&[JsValue::from_str(authorization_id)])?;
    let card = db
        .prepare(
            "SELECT expiry_month, expiry_year, status, bank_id, account_id FROM cards WHERE card_key = ?1",
        )
        .bind(&[JsValue::from_str(registry_key)])?;
    let passkey = db
        .prepare(
            "SELECT credential_id, public_key, sign_count FROM card_passkeys WHERE card_key = ?1",
        )
        .bind(&[JsValue::from_str(registry_key)])?;
    let mut results = db
        .batch(vec![authorization, card, passkey])
        .await?
        .into_iter();
    let (Some(authorization), Some(card), Some(passkey)) =
        (results.next(), results.next(), results.next())
    else {
        return Err(ApiError::internal("batch answered too little"));
    };
    Ok(Known {
        authorization: authorization
            .results::<AuthorizationRow>()?
            .into_iter()
            .next(),
        card: card.results::<CardRow>()?.into_iter().next(),
        passkey: passkey.results::<PasskeyRow>()?.into_iter().next(),
    })
}

/// Whether a statement changed exactly one row.
fn changed_one_row(result: &worker::D1Result) -> Result<bool, ApiError> {
    Ok(result.meta()?.and_then(|meta| meta.changes) == Some(1))
}

/// Enrolls a passkey for a card that has none (a card's first enrollment
/// stands: a later one, or one racing it, changes nothing). Answers
/// whether this one was enrolled.
pub async fn enroll_passkey(
    env: &Env,
    registry_key: &str,
    credential_id: &str,
    public_key: &str,
    now_ms: u64,
) -> Result<bool, ApiError> {
    let result = crate::meter::d1(env, ISSUER_DB)?
        .prepare(
            "INSERT OR IGNORE INTO card_passkeys (card_key, credential_id, public_key, sign_count, enrolled_at_ms)
             VALUES (?1, ?2, ?3, 0, ?4)",
        )
        .bind(&[
            JsValue::from_str(registry_key),
            JsValue::from_str(credential_id),
            JsValue::from_str(public_key),
            JsValue::from_f64(now_ms as f64),
        ])?
        .run()
        .await?;
    changed_one_row(&result)
}

/// Moves a card's passkey counter from `seen` to `count` in one guarded
/// statement: of two assertions with the same counter, one moves it.
/// Answers whether this one did.
pub async fn advance_passkey_count(
    env: &Env,
    registry_key: &str,
    seen: i64,
    count: u32,
) -> Result<bool, ApiError> {
    let result = crate::meter::d1(env, ISSUER_DB)?
        .prepare("UPDATE card_passkeys SET sign_count = ?3 WHERE card_key = ?1 AND sign_count = ?2")
        .bind(&[
            JsValue::from_str(registry_key),
            JsValue::from_f64(seen as f64),
            JsValue::from_f64(f64::from(count)),
        ])?
        .run()
        .await?;
    changed_one_row(&result)
}

/// Records a checked authorization in one statement, so that checks that
/// run together are counted one after another: when the card already has
/// `SECURITY_FAILURES_MAX` failed security checks in the window, the row
/// is stored declined `security_checks_locked` whatever was presented (and
/// counts as no new failure). An id already recorded keeps its first row.
/// Answers the row as stored.
pub async fn record_checked(
    env: &Env,
    row: &AuthorizationRow,
) -> Result<AuthorizationRow, ApiError> {
    let db = crate::meter::d1(env, ISSUER_DB)?;
    let amount = crate::http::minor_units_value(row.amount_minor)?;
    let created = JsValue::from_f64(row.created_at_ms as f64);
    let since = JsValue::from_f64((row.created_at_ms - SECURITY_WINDOW_MS) as f64);
    let inserted = db
        .prepare(
            "INSERT OR IGNORE INTO authorizations (authorization_id, card_key, last_four, merchant_id, amount_minor,
                 currency, outcome, decline_code, authorization_code, bank_id, hold_id, created_at_ms,
                 request_digest, security_failure, account_id, verified_by_passkey)
             SELECT ?1, ?2, ?3, ?4, ?5, ?6,
                 CASE WHEN locked THEN 'declined' ELSE ?7 END,
                 CASE WHEN locked THEN 'security_checks_locked' ELSE ?8 END,
                 NULL, ?9, NULL, ?10, ?11,
                 CASE WHEN locked THEN 0 ELSE ?12 END, ?15, ?16
             FROM (SELECT ?2 IS NOT NULL AND (SELECT COUNT(*) FROM authorizations
                       WHERE card_key = ?2 AND security_failure = 1 AND created_at_ms > ?13) >= ?14 AS locked)
             RETURNING *",
        )
        .bind(&[
            JsValue::from_str(&row.authorization_id),
            optional(row.card_key.as_deref()),
            optional(row.last_four.as_deref()),
            JsValue::from_str(&row.merchant_id),
            amount,
            JsValue::from_str(&row.currency),
            JsValue::from_str(row.outcome.code()),
            optional(row.decline_code.map(DeclineCode::code)),
            optional(row.bank_id.as_deref()),
            created,
            optional(row.request_digest.as_deref()),
            JsValue::from_f64(row.security_failure as f64),
            since,
            JsValue::from(SECURITY_FAILURES_MAX as f64),
            optional(row.account_id.as_deref()),
            JsValue::from_f64(row.verified_by_passkey as f64),
        ])?
        .first::<AuthorizationRow>(None)
        .await?;
    match inserted {
        Some(stored) => Ok(stored),
        None => authorization(env, &row.authorization_id)
            .await?
            .ok_or_else(|| ApiError::internal("authorization vanished")),
    }
}

/// Reverses `row.authorization_id`: recorded `reversed` when the issuer
/// never saw it (so a late request under it is declined), moved from
/// `pending` to `reversed` when the bank's answer is outstanding. Answers
/// the row as it now stands: `reversed`, or the final outcome it already had.
pub async fn reverse(env: &Env, row: &AuthorizationRow) -> Result<AuthorizationRow, ApiError> {
    let db = crate::meter::d1(env, ISSUER_DB)?;
    let amount = crate::http::minor_units_value(row.amount_minor)?;
    let id = JsValue::from_str(&row.authorization_id);
    let statements = vec![
        db.prepare(
            "INSERT OR IGNORE INTO authorizations (authorization_id, merchant_id, amount_minor, currency,
                 outcome, decline_code, created_at_ms)
             VALUES (?1, ?2, ?3, ?4, 'reversed', 'processing_error', ?5)",
        )
        .bind(&[
            id.clone(),
            JsValue::from_str(&row.merchant_id),
            amount,
            JsValue::from_str(&row.currency),
            JsValue::from_f64(row.created_at_ms as f64),
        ])?,
        db.prepare(
            "UPDATE authorizations SET outcome = 'reversed', decline_code = 'processing_error'
             WHERE authorization_id = ?1 AND outcome = 'pending'",
        )
        .bind(&[id])?,
    ];
    db.batch(statements).await?;
    authorization(env, &row.authorization_id)
        .await?
        .ok_or_else(|| ApiError::internal("authorization vanished"))
}

/// A card the operator issues for a test: an active card on `account_id`.
#[cfg(feature = "operator")]
pub struct IssuedCard<'a> {
    pub registry_key: &'a str,
    pub number: &'a CardNumber,
    pub expiry: &'a Expiry,
    pub bank_id: &'a str,
    pub account_id: &'a str,
    pub cardholder: &'a str,
}

#[cfg(feature = "operator")]
pub async fn issue_card(env: &Env, card: &IssuedCard<'_>) -> Result<(), ApiError> {
    crate::meter::d1(env, ISSUER_DB)?
        .prepare(
            "INSERT INTO cards (card_key, first_six, last_four, brand, expiry_month, expiry_year,
                                status, bank_id, account_id, cardholder)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'active', ?7, ?8, ?9)",
        )
        .bind(&[
            JsValue::from_str(card.registry_key),
            JsValue::from_str(card.number.first_six()),
            JsValue::from_str(card.number.last_four()),
            JsValue::from_str(card.number.brand().code()),
            JsValue::from(card.expiry.month()),
            JsValue::from(card.expiry.year()),
            JsValue::from_str(card.bank_id),
            JsValue::from_str(card.account_id),
            JsValue::from_str(card.cardholder),
        ])?
        .run()
        .await?;
    Ok(())
}

/// Every row of the issuer's tables, for the operator's storage scan.
#[cfg(feature = "operator")]
pub async fn dump(env: &Env) -> Result<serde_json::Value, ApiError> {
    let db = crate::meter::d1(env, ISSUER_DB)?;
    let tables = crate::http::dump_tables(&db, &["cards", "authorizations"]).await?;
    Ok(serde_json::Value::Object(tables))
}

/// Writes the final outcome of an authorization recorded as `pending`;
/// an outcome already final (or reversed) stands. Answers whether this
/// call wrote it.
pub async fn finish_authorization(env: &Env, row: &AuthorizationRow) -> Result<bool, ApiError> {
    let result = crate::meter::d1(env, ISSUER_DB)?
        .prepare(
            "UPDATE authorizations SET outcome = ?2, decline_code = ?3, authorization_code = ?4, hold_id = ?5
             WHERE authorization_id = ?1 AND outcome = 'pending'",
        )
        .bind(&[
            JsValue::from_str(&row.authorization_id),
            JsValue::from_str(row.outcome.code()),
            optional(row.decline_code.map(DeclineCode::code)),
            optional(row.authorization_code.as_deref()),
            optional(row.hold_id.as_deref()),
        ])?
        .run()
        .await?;
    let written = result
        .meta()?
        .and_then(|meta| meta.changes)
        .ok_or_else(|| ApiError::internal("D1 did not say what it changed"))?;
    Ok(written > 0)
}
