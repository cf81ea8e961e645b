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
/// ASCII, every character taken literally), ordered by name, at most
/// `limit` of them after skipping `offset`. `instr`, not `LIKE`: a pattern
/// has wildcards to escape and a length D1 refuses (a hundred characters
/// were "too complex"), a plain substring has neither.
pub async fn search_products(
    env: &Env,
    text: Option<&str>,
    limit: u32,
    offset: u32,
) -> Result<Vec<ProductRow>, ApiError> {
    let db = crate::meter::d1(env, STORE_DB)?;
    let needle = text.map_or(JsValue::null(), JsValue::from_str);
    let limit = JsValue::from(limit);
    let offset = JsValue::from(offset);
    let statement = db
        .prepare(
            "SELECT sku, name, description, unit_price_minor, currency, stock \
             FROM products \
             WHERE ?1 IS NULL OR instr(lower(name), lower(?1)) > 0 \
                OR instr(lower(description), lower(?1)) > 0 \
             ORDER BY name, sku \
             LIMIT ?2 OFFSET ?3",
        )
        .bind(&[needle, limit, offset])?;
    Ok(statement.all().await?.results::<ProductRow>()?)
}

/// The products with these skus (any order; missing skus are absent).
pub async fn products_by_sku(env: &Env, skus: &[String]) -> Result<Vec<ProductRow>, ApiError> {
    let db = crate::meter::d1(env, STORE_DB)?;
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
    let db = crate::meter::d1(env, STORE_DB)?;
    let now = JsValue::from_f64(order.now_ms as f64);
    let total = crate::http::minor_units_value(order.total_minor)?;
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
    pub signed_quote: String,
    pub receipt: Option<String>,
    pub created_at_ms: u64,
}

const ORDER_COLUMNS: &str = "order_id, payment_id, client_secret_hash, status, total_minor, currency, signed_quote, receipt, created_at_ms";

pub async fn order(env: &Env, order_id: &str) -> Result<Option<OrderRow>, ApiError> {
    let statement = crate::meter::d1(env, STORE_DB)?
        .prepare(format!(
            "SELECT {ORDER_COLUMNS} FROM orders WHERE order_id = ?1"
        ))
        .bind(&[JsValue::from_str(order_id)])?;
    Ok(statement.first::<OrderRow>(None).await?)
}

pub async fn order_by_payment(env: &Env, payment_id: &str) -> Result<Option<OrderRow>, ApiError> {
    let statement = crate::meter::d1(env, STORE_DB)?
        .prepare(format!(
            "SELECT {ORDER_COLUMNS} FROM orders WHERE payment_id = ?1"
        ))
        .bind(&[JsValue::from_str(payment_id)])?;
    Ok(statement.first::<OrderRow>(None).await?)
}

/// One money event of an order, recorded once per (kind, detail).
pub struct OrderEvent<'a> {
    pub kind: &'a str,
    pub amount_minor: i64,
    pub detail: &'a str,
}

/// Records the payment of an order in one transaction: its events (each
/// once) and, if the order awaits payment, the status `paid` with the
/// receipt. A second call with the same events changes nothing. Answers
/// whether this call paid the order (wrote the receipt).
pub async fn record_payment(
    env: &Env,
    order: &OrderRow,
    events: &[OrderEvent<'_>],
    receipt: Option<&str>,
    now_ms: u64,
) -> Result<bool, ApiError> {
    let db = crate::meter::d1(env, STORE_DB)?;
    let now = JsValue::from_f64(now_ms as f64);
    let mut statements = event_statements(&db, order, events, &now)?;
    if let Some(receipt) = receipt {
        statements.push(
            db.prepare(
                "UPDATE orders SET status = 'paid', receipt = ?2, paid_at_ms = ?3
                 WHERE order_id = ?1 AND status = 'awaiting_payment' AND receipt IS NULL",
            )
            .bind(&[
                JsValue::from_str(&order.order_id),
                JsValue::from_str(receipt),
                now,
            ])?,
        );
    }
    let results = db.batch(statements).await?;
    if receipt.is_none() {
        return Ok(false);
    }
    // The receipt's update is the batch's last statement.
    changed_one_row(results.last())
}

/// Whether a statement's result says it changed exactly one row.
fn changed_one_row(result: Option<&worker::D1Result>) -> Result<bool, ApiError> {
    let changes = result
        .map(worker::D1Result::meta)
        .transpose()?
        .flatten()
        .and_then(|meta| meta.changes);
    Ok(changes == Some(1))
}

/// One insert per event, each recorded once per (kind, detail).
fn event_statements(
    db: &crate::meter::MeteredD1,
    order: &OrderRow,
    events: &[OrderEvent<'_>],
    now: &JsValue,
) -> Result<Vec<worker::D1PreparedStatement>, ApiError> {
    let mut statements = Vec::with_capacity(events.len() + 1);
    for event in events {
        statements.push(
            db.prepare(
                "INSERT OR IGNORE INTO order_events (order_id, sequence, kind, amount_minor, currency, detail, at_ms)
                 SELECT ?1, COALESCE(MAX(sequence), 0) + 1, ?2, ?3, ?4, ?5, ?6 FROM order_events WHERE order_id = ?1",
            )
            .bind(&[
                JsValue::from_str(&order.order_id),
                JsValue::from_str(event.kind),
                crate::http::minor_units_value(event.amount_minor)?,
                JsValue::from_str(&order.currency),
                JsValue::from_str(event.detail),
                now.clone(),
            ])?,
        );
    }
    Ok(statements)
}

/// Records events of an order in one transaction (each once), and moves
/// its status from one of `from` to `to` if it is in one of them.
pub async fn record_events(
    env: &Env,
    order: &OrderRow,
    events: &[OrderEvent<'_>],
    transition: Option<(&[&str], &str)>,
    now_ms: u64,
) -> Result<(), ApiError> {
    let db = crate::meter::d1(env, STORE_DB)?;
    let now = JsValue::from_f64(now_ms as f64);
    let mut statements = event_statements(&db, order, events, &now)?;
    if let Some((from, to)) = transition {
        let placeholders: Vec<String> = (0..from.len())
            .map(|index| format!("?{}", index + 3))
            .collect();
        let mut values = vec![JsValue::from_str(&order.order_id), JsValue::from_str(to)];
        values.extend(from.iter().map(|status| JsValue::from_str(status)));
        statements.push(
            db.prepare(format!(
                "UPDATE orders SET status = ?2 WHERE order_id = ?1 AND status IN ({})",
                placeholders.join(", ")
            ))
            .bind(&values)?,
        );
    }
    db.batch(statements).await?;
    Ok(())
}

/// Ships an order in one transaction: its status moves to `shipped` if it
/// is `paid` (or `shipped` already: a new tracking reference), and the
/// `shipped` event is written only if it did, so an order the shopper
/// canceled meanwhile is neither shipped nor recorded shipped. Answers
/// whether it shipped.
pub async fn ship(
    env: &Env,
    order: &OrderRow,
    tracking: &str,
    now_ms: u64,
) -> Result<bool, ApiError> {
    let db = crate::meter::d1(env, STORE_DB)?;
    let id = JsValue::from_str(&order.order_id);
    let update = db
        .prepare(
            "UPDATE orders SET status = 'shipped' WHERE order_id = ?1 AND status IN ('paid', 'shipped')",
        )
        .bind(std::slice::from_ref(&id))?;
    let event = db
        .prepare(
            "INSERT OR IGNORE INTO order_events (order_id, sequence, kind, amount_minor, currency, detail, at_ms)
             SELECT ?1, next, 'shipped', 0, ?2, ?3, ?4
             FROM (SELECT COALESCE(MAX(sequence), 0) + 1 AS next FROM order_events WHERE order_id = ?1)
             WHERE EXISTS (SELECT 1 FROM orders WHERE order_id = ?1 AND status = 'shipped')",
        )
        .bind(&[
            id,
            JsValue::from_str(&order.currency),
            JsValue::from_str(tracking),
            JsValue::from_f64(now_ms as f64),
        ])?;
    let results = db.batch(vec![update, event]).await?;
    changed_one_row(results.first())
}

/// An order as the back office lists it, with its money totals and its
/// latest tracking reference.
#[derive(Debug, Deserialize)]
pub struct StaffOrderRow {
    pub order_id: String,
    pub status: String,
    pub total_minor: i64,
    pub currency: String,
    pub signed_quote: String,
    pub created_at_ms: u64,
    pub captured_minor: i64,
    pub refunded_minor: i64,
    pub tracking: Option<String>,
}

/// Which orders a back-office page holds.
pub struct StaffOrderQuery<'a> {
    /// One status only, if given.
    pub status: Option<&'a str>,
    /// Only orders with a refund recorded.
    pub refunded: bool,
    /// Orders older than this (created at, order id), for the next page.
    pub before: Option<(u64, &'a str)>,
    pub limit: u32,
}

/// One page of the back office's list, newest first, in one statement.
/// The statement is put together from fixed parts by what is asked, with
/// every value bound, so that SQLite walks `orders_by_status` (a status)
/// or `orders_by_time` (none) from the cursor on, rather than a query that
/// could use neither.
pub async fn staff_orders(
    env: &Env,
    query: &StaffOrderQuery<'_>,
) -> Result<Vec<StaffOrderRow>, ApiError> {
    let mut conditions: Vec<String> = Vec::new();
    let mut values: Vec<JsValue> = Vec::new();
    if let Some(status) = query.status {
        values.push(JsValue::from_str(status));
        conditions.push(format!("o.status = ?{}", values.len()));
    }
    if query.refunded {
        conditions.push(
            "EXISTS (SELECT 1 FROM order_events e WHERE e.order_id = o.order_id AND e.kind = 'refunded')"
                .to_owned(),
        );
    }
    if let Some((ms, id)) = query.before {
        values.push(JsValue::from_f64(ms as f64));
        values.push(JsValue::from_str(id));
        conditions.push(format!(
            "(o.created_at_ms, o.order_id) < (?{}, ?{})",
            values.len() - 1,
            values.len()
        ));
    }
    values.push(JsValue::from_f64(f64::from(query.limit)));
    let limit = values.len();
    let filter = if conditions.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", conditions.join(" AND "))
    };
    let statement = crate::meter::d1(env, STORE_DB)?
        .prepare(format!(
            "SELECT o.order_id, o.status, o.total_minor, o.currency, o.signed_quote, o.created_at_ms,
                (SELECT COALESCE(SUM(amount_minor), 0) FROM order_events e
                  WHERE e.order_id = o.order_id AND e.kind = 'captured') AS captured_minor,
                (SELECT COALESCE(SUM(amount_minor), 0) FROM order_events e
                  WHERE e.order_id = o.order_id AND e.kind = 'refunded') AS refunded_minor,
                (SELECT detail FROM order_events e
                  WHERE e.order_id = o.order_id AND e.kind = 'shipped'
                  ORDER BY sequence DESC LIMIT 1) AS tracking
             FROM orders o
             {filter}
             ORDER BY o.created_at_ms DESC, o.order_id DESC
             LIMIT ?{limit}"
        ))
        .bind(&values)?;
    Ok(statement.all().await?.results::<StaffOrderRow>()?)
}

/// Moves an order from status `from` to `to` in one guarded statement;
/// answers whether it moved (another request may have moved it first).
pub async fn transition(env: &Env, order_id: &str, from: &str, to: &str) -> Result<bool, ApiError> {
    let result = crate::meter::d1(env, STORE_DB)?
        .prepare("UPDATE orders SET status = ?3 WHERE order_id = ?1 AND status = ?2")
        .bind(&[
            JsValue::from_str(order_id),
            JsValue::from_str(from),
            JsValue::from_str(to),
        ])?
        .run()
        .await?;
    changed_one_row(Some(&result))
}

/// Every money event of an order, in order.
#[derive(Debug, Deserialize, serde::Serialize)]
pub struct OrderEventRow {
    pub sequence: i64,
    pub kind: String,
    pub amount_minor: Option<i64>,
    pub currency: Option<String>,
    pub detail: Option<String>,
    pub at_ms: i64,
}

pub async fn order_events(env: &Env, order_id: &str) -> Result<Vec<OrderEventRow>, ApiError> {
    let statement = crate::meter::d1(env, STORE_DB)?
        .prepare(
            "SELECT sequence, kind, amount_minor, currency, detail, at_ms FROM order_events
             WHERE order_id = ?1 ORDER BY sequence",
        )
        .bind(&[JsValue::from_str(order_id)])?;
    Ok(statement.all().await?.results::<OrderEventRow>()?)
}

/// Every row of the store's tables (operator storage scan, and the e2e
/// suite's view of what the store stored).
#[cfg(feature = "operator")]
pub async fn dump(env: &Env) -> Result<serde_json::Value, ApiError> {
    let db = crate::meter::d1(env, STORE_DB)?;
    let tables = crate::http::dump_tables(&db, &["products", "orders", "order_events"]).await?;
    Ok(serde_json::Value::Object(tables))
}
