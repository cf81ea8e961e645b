//! The issuer's SQL, all of it: the card registry and the record of every
//! authorization, in `ISSUER_DB`. Card numbers never reach this module; it
//! sees registry keys (HMACs), first six and last four digits.

use std::cell::Cell;

use serde::{Deserialize, Serialize};
use shared::card::{CardNumber, Expiry};
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

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AuthorizationRow {
    pub authorization_id: String,
    pub card_key: Option<String>,
    pub last_four: Option<String>,
    pub merchant_id: String,
    pub amount_minor: i64,
    pub currency: String,
    pub outcome: String,
    pub decline_code: Option<String>,
    pub authorization_code: Option<String>,
    pub bank_id: Option<String>,
    pub hold_id: Option<String>,
    pub created_at_ms: i64,
}

fn optional(value: Option<&str>) -> JsValue {
    value.map_or(JsValue::null(), JsValue::from_str)
}

/// Issues the demo cards once per database (idempotent inserts), keyed
/// under the current card key.
pub async fn ensure_demo_cards(env: &Env, card_key: &[u8; 32]) -> Result<(), ApiError> {
    if DEMO_CARDS_ISSUED.with(Cell::get) {
        return Ok(());
    }
    let db = env.d1(ISSUER_DB)?;
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
    let db = env.d1(ISSUER_DB)?;
    let statement = db
        .prepare(
            "SELECT expiry_month, expiry_year, status, bank_id, account_id FROM cards WHERE card_key = ?1",
        )
        .bind(&[JsValue::from_str(registry_key)])?;
    Ok(statement.first::<CardRow>(None).await?)
}

pub async fn authorization(
    env: &Env,
    authorization_id: &str,
) -> Result<Option<AuthorizationRow>, ApiError> {
    let db = env.d1(ISSUER_DB)?;
    let statement = db
        .prepare("SELECT * FROM authorizations WHERE authorization_id = ?1")
        .bind(&[JsValue::from_str(authorization_id)])?;
    Ok(statement.first::<AuthorizationRow>(None).await?)
}

/// Records an answer; a second answer for the same id is ignored, so the
/// first one stands.
pub async fn record_authorization(env: &Env, row: &AuthorizationRow) -> Result<(), ApiError> {
    let db = env.d1(ISSUER_DB)?;
    let amount = crate::http::minor_units_value(row.amount_minor)?;
    let created = JsValue::from_f64(row.created_at_ms as f64);
    db.prepare(
        "INSERT OR IGNORE INTO authorizations (authorization_id, card_key, last_four, merchant_id, amount_minor,
             currency, outcome, decline_code, authorization_code, bank_id, hold_id, created_at_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    )
    .bind(&[
        JsValue::from_str(&row.authorization_id),
        optional(row.card_key.as_deref()),
        optional(row.last_four.as_deref()),
        JsValue::from_str(&row.merchant_id),
        amount,
        JsValue::from_str(&row.currency),
        JsValue::from_str(&row.outcome),
        optional(row.decline_code.as_deref()),
        optional(row.authorization_code.as_deref()),
        optional(row.bank_id.as_deref()),
        optional(row.hold_id.as_deref()),
        created,
    ])?
    .run()
    .await?;
    Ok(())
}

/// Every row of the issuer's tables, for the operator's storage scan.
pub async fn dump(env: &Env) -> Result<serde_json::Value, ApiError> {
    let db = env.d1(ISSUER_DB)?;
    let tables = crate::http::dump_tables(&db, &["cards", "authorizations"]).await?;
    Ok(serde_json::Value::Object(tables))
}

/// Writes the final outcome of an authorization recorded as `pending`;
/// an outcome already final stands.
pub async fn finish_authorization(env: &Env, row: &AuthorizationRow) -> Result<(), ApiError> {
    env.d1(ISSUER_DB)?
        .prepare(
            "UPDATE authorizations SET outcome = ?2, decline_code = ?3, authorization_code = ?4, hold_id = ?5
             WHERE authorization_id = ?1 AND outcome = 'pending'",
        )
        .bind(&[
            JsValue::from_str(&row.authorization_id),
            JsValue::from_str(&row.outcome),
            optional(row.decline_code.as_deref()),
            optional(row.authorization_code.as_deref()),
            optional(row.hold_id.as_deref()),
        ])?
        .run()
        .await?;
    Ok(())
}
