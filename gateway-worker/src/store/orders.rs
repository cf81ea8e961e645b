//! The shopper's order routes, each with the client secret the quote
//! answered (header `x-client-secret`): `GET /api/orders/{id}` follows the
//! order and its money events, `GET /api/orders/{id}/receipt` answers the
//! signed receipt once paid. A missing or wrong secret answers 404, the
//! same as an order that does not exist.

use sha2::{Digest, Sha256};
use shared::encoding::to_base64url;
use shared::money::{Currency, Money};
use shared::receipt::Receipt;
use shared::sign::Signed;
use shared::wire::{OrderEventView, OrderStatus, OrderView};
use worker::{Env, Request, Response};

use crate::error::ApiError;
use crate::store::db::{self, OrderRow};

/// The header that carries an order's client secret.
pub const CLIENT_SECRET_HEADER: &str = "x-client-secret";

fn status(code: &str) -> OrderStatus {
    match code {
        "paid" => OrderStatus::Paid,
        "shipped" => OrderStatus::Shipped,
        "delivered" => OrderStatus::Delivered,
        "canceled" => OrderStatus::Canceled,
        _ => OrderStatus::AwaitingPayment,
    }
}

/// The order `order_id`, if the request carries its client secret.
pub async fn authenticated(
    request: &Request,
    env: &Env,
    order_id: &str,
) -> Result<OrderRow, ApiError> {
    let not_found = || ApiError::not_found("order_not_found", "no such order");
    let secret = request
        .headers()
        .get(CLIENT_SECRET_HEADER)?
        .unwrap_or_default();
    let presented = to_base64url(&Sha256::digest(secret.as_bytes()));
    let Some(order) = db::order(env, order_id).await? else {
        return Err(not_found());
    };
    if secret.is_empty()
        || !crate::http::constant_time_eq(presented.as_bytes(), order.client_secret_hash.as_bytes())
    {
        return Err(not_found());
    }
    Ok(order)
}

/// The order as the shopper sees it, with its events.
pub async fn view(env: &Env, order: &OrderRow) -> Result<OrderView, ApiError> {
    let currency = Currency::from_code(&order.currency).map_err(ApiError::internal)?;
    let total = Money::from_minor(order.total_minor, currency).map_err(ApiError::internal)?;
    let events = db::order_events(env, &order.order_id)
        .await?
        .into_iter()
        .map(|event| {
            let amount = event
                .amount_minor
                .and_then(|minor| Money::from_minor(minor, currency).ok())
                .map(|money| money.amount_string());
            OrderEventView {
                kind: event.kind,
                amount,
                at_ms: u64::try_from(event.at_ms).unwrap_or(0),
            }
        })
        .collect();
    Ok(OrderView {
        order_id: order.order_id.clone(),
        status: status(&order.status),
        payment_id: order.payment_id.clone(),
        total: total.amount_string(),
        currency,
        created_at_ms: order.created_at_ms,
        events,
    })
}

/// The order's signed receipt, once it is paid.
pub fn receipt_of(order: &OrderRow) -> Result<Option<Signed<Receipt>>, ApiError> {
    order
        .receipt
        .as_deref()
        .map(|text| serde_json::from_str(text).map_err(ApiError::internal))
        .transpose()
}

pub async fn get(request: Request, env: &Env, order_id: &str) -> Result<Response, ApiError> {
    let order = authenticated(&request, env, order_id).await?;
    Ok(crate::http::json(&view(env, &order).await?, 200))
}

pub async fn receipt(request: Request, env: &Env, order_id: &str) -> Result<Response, ApiError> {
    let order = authenticated(&request, env, order_id).await?;
    match receipt_of(&order)? {
        Some(receipt) => Ok(crate::http::json(&receipt, 200)),
        None => Err(ApiError::not_found(
            "receipt_not_found",
            "this order has no receipt yet; it is issued once the payment succeeds",
        )),
    }
}
