//! `GET /api/orders/{id}`: the shopper follows an order with the client
//! secret the quote answered. A missing or wrong secret answers 404, the
//! same as an order that does not exist.

use sha2::{Digest, Sha256};
use shared::encoding::to_base64url;
use shared::money::{Currency, Money};
use shared::wire::{OrderStatus, OrderView};
use worker::{Env, Request, Response};

use crate::error::ApiError;
use crate::store::db;

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

pub async fn get(request: Request, env: &Env, order_id: &str) -> Result<Response, ApiError> {
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
    let currency = Currency::from_code(&order.currency).map_err(ApiError::internal)?;
    let total = Money::from_minor(order.total_minor, currency).map_err(ApiError::internal)?;
    let view = OrderView {
        order_id: order.order_id,
        status: status(&order.status),
        payment_id: order.payment_id,
        total: total.amount_string(),
        currency,
        created_at_ms: order.created_at_ms,
    };
    Ok(crate::http::json(&view, 200))
}
