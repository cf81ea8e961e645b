//! The store's SQL, all of it: the only code that talks to `STORE_DB`.

use serde::Deserialize;
use worker::{Env, wasm_bindgen::JsValue};

use crate::error::ApiError;

const STORE_DB: &str = "STORE_DB";

/// A product as stored: money in integer minor units.
#[derive(Debug, Deserialize)]
pub struct ProductRow {
    pub sku: String,
    pub name: String,
    pub description: String,
    pub unit_price_minor: i64,
    pub currency: String,
    pub stock: i64,
}

/// Products whose name or description contains `text` (case-insensitive for
/// ASCII, LIKE wildcards in `text` taken literally), ordered by name, at
/// most `limit` of them after skipping `offset`.
pub async fn search_products(
    env: &Env,
    text: Option<&str>,
    limit: u32,
    offset: u32,
) -> Result<Vec<ProductRow>, ApiError> {
    let db = env.d1(STORE_DB)?;
    let pattern = match text {
        Some(text) => JsValue::from_str(&format!("%{}%", escape_like(text))),
        None => JsValue::null(),
    };
    let limit = JsValue::from(limit);
    let offset = JsValue::from(offset);
    let statement = db
        .prepare(
            "SELECT sku, name, description, unit_price_minor, currency, stock \
             FROM products \
             WHERE ?1 IS NULL OR name LIKE ?1 ESCAPE '\\' OR description LIKE ?1 ESCAPE '\\' \
             ORDER BY name, sku \
             LIMIT ?2 OFFSET ?3",
        )
        .bind(&[pattern, limit, offset])?;
    Ok(statement.all().await?.results::<ProductRow>()?)
}

/// Escapes LIKE's wildcards so that search text matches literally.
fn escape_like(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        if matches!(character, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(character);
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::escape_like;

    #[test]
    fn like_wildcards_are_literal() {
        assert_eq!(escape_like("tea"), "tea");
        assert_eq!(escape_like("100%_\\"), "100\\%\\_\\\\");
    }
}

/// The products with these skus (any order; missing skus are absent).
pub async fn products_by_sku(env: &Env, skus: &[String]) -> Result<Vec<ProductRow>, ApiError> {
    let db = env.d1(STORE_DB)?;
    let placeholders: Vec<String> = (1..=skus.len()).map(|index| format!("?{index}")).collect();
    let values: Vec<JsValue> = skus.iter().map(|sku| JsValue::from_str(sku)).collect();
    let statement = db
        .prepare(format!(
            "SELECT sku, name, description, unit_price_minor, currency, stock FROM products WHERE sku IN ({})",
            placeholders.join(", ")
        ))
        .bind(&values)?;
    Ok(statement.all().await?.results::<ProductRow>()?)
}

/// A new order, awaiting payment.
pub struct NewOrder<'a> {
    pub order_id: &'a str,
    pub quote_id: &'a str,
    pub payment_id: &'a str,
    pub client_secret_hash: &'a str,
    pub total_minor: i64,
    pub currency: &'a str,
    pub signed_quote: &'a str,
    pub now_ms: u64,
}

/// Writes the order and its first money event in one batch (D1 runs a
/// batch as one transaction).
pub async fn insert_order(env: &Env, order: &NewOrder<'_>) -> Result<(), ApiError> {
    let db = env.d1(STORE_DB)?;
    let now = JsValue::from_f64(order.now_ms as f64);
    // Minor units stay below 2^53 (shared::money), so a JavaScript number
    // carries them exactly; D1 binds numbers, not BigInts.
    let total = JsValue::from_f64(order.total_minor as f64);
    let insert_order = db
        .prepare(
            "INSERT INTO orders (order_id, quote_id, payment_id, client_secret_hash, status, total_minor, currency,
                                 signed_quote, created_at_ms)
             VALUES (?1, ?2, ?3, ?4, 'awaiting_payment', ?5, ?6, ?7, ?8)",
        )
        .bind(&[
            JsValue::from_str(order.order_id),
            JsValue::from_str(order.quote_id),
            JsValue::from_str(order.payment_id),
            JsValue::from_str(order.client_secret_hash),
            total.clone(),
            JsValue::from_str(order.currency),
            JsValue::from_str(order.signed_quote),
            now.clone(),
        ])?;
    let insert_event = db
        .prepare(
            "INSERT INTO order_events (order_id, sequence, kind, amount_minor, currency, detail, at_ms)
             VALUES (?1, 1, 'intent_created', ?2, ?3, ?4, ?5)",
        )
        .bind(&[
            JsValue::from_str(order.order_id),
            total,
            JsValue::from_str(order.currency),
            JsValue::from_str(order.payment_id),
            now,
        ])?;
    db.batch(vec![insert_order, insert_event]).await?;
    Ok(())
}

#[derive(Debug, Deserialize)]
pub struct OrderRow {
    pub order_id: String,
    pub payment_id: String,
    pub client_secret_hash: String,
    pub status: String,
    pub total_minor: i64,
    pub currency: String,
    pub created_at_ms: u64,
}

pub async fn order(env: &Env, order_id: &str) -> Result<Option<OrderRow>, ApiError> {
    let statement = env
        .d1(STORE_DB)?
        .prepare(
            "SELECT order_id, payment_id, client_secret_hash, status, total_minor, currency, created_at_ms
             FROM orders WHERE order_id = ?1",
        )
        .bind(&[JsValue::from_str(order_id)])?;
    Ok(statement.first::<OrderRow>(None).await?)
}
