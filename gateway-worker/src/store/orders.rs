//! The shopper's order routes, each with the client secret the quote
//! answered (header `x-client-secret`): `GET /api/orders/{id}` follows the
//! order and its money events, `GET /api/orders/{id}/receipt` answers the
//! signed receipt once paid, `POST /api/orders/{id}/cancel` cancels a paid
//! order that has not shipped and refunds it in full. A missing or wrong
//! secret answers 404, the same as an order that does not exist.

use sha2::{Digest, Sha256};
use shared::encoding::to_base64url;
use shared::money::{Currency, Money};
use shared::receipt::Receipt;
use shared::sign::Signed;
use shared::wire::{OrderEventView, OrderStatus, OrderView, PaymentStatus};
use worker::{Env, Request, Response};

use crate::error::ApiError;
use crate::store::db::{self, OrderRow};

/// The header that carries an order's client secret.
pub const CLIENT_SECRET_HEADER: &str = "x-client-secret";

pub fn status(code: &str) -> OrderStatus {
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
            let tracking = (event.kind == "shipped").then_some(event.detail).flatten();
            OrderEventView {
                kind: event.kind,
                amount,
                at_ms: u64::try_from(event.at_ms).unwrap_or(0),
                tracking,
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

/// `POST /api/orders/{id}/cancel`: the shopper cancels a paid order that
/// has not shipped. The order moves from `paid` to `canceled` in one
/// guarded statement first, so the back office can no longer ship it (and
/// an order shipped meanwhile is not canceled); then the store refunds
/// what is left of the payment at the gateway, under an idempotency key of
/// the order's own, so a repeat (or a retry after the gateway did not
/// answer) refunds once.
pub async fn cancel(request: Request, env: &Env, order_id: &str) -> Result<Response, ApiError> {
    let order = authenticated(&request, env, order_id).await?;
    let not_cancelable = || ApiError::Conflict {
        code: "order_not_cancelable",
        message: "only a paid order that has not shipped can be canceled".to_owned(),
    };
    let order = match order.status.as_str() {
        "paid" if db::transition(env, &order.order_id, "paid", "canceled").await? => OrderRow {
            status: "canceled".to_owned(),
            ..order
        },
        // Moved meanwhile: canceled by a request like this one, or shipped.
        "paid" => db::order(env, order_id)
            .await?
            .filter(|now| now.status == "canceled")
            .ok_or_else(not_cancelable)?,
        "canceled" => order,
        _ => return Err(not_cancelable()),
    };
    refund_what_is_left(env, &order).await?;
    let order = db::order(env, order_id)
        .await?
        .ok_or_else(|| ApiError::internal("order vanished"))?;
    Ok(crate::http::json(&view(env, &order).await?, 200))
}

/// Gives the shopper's money back, as the gateway's own record of the
/// payment says is left: a hold never captured is released; what was
/// captured and not refunded yet is refunded, under an idempotency key
/// that names the order and the amount (a repeat with the same amount
/// refunds once; after a back-office refund meanwhile the amount, so the
/// key, is new, and the gateway still never refunds more than was
/// captured). A refund or release under way counts as done here: the
/// gateway's event records how it ends.
async fn refund_what_is_left(env: &Env, order: &OrderRow) -> Result<(), ApiError> {
    let payment = crate::store::gateway_client::payment(env, &order.payment_id).await?;
    match payment.status {
        PaymentStatus::RequiresCapture => {
            let key = format!("{}.shopper-cancel", order.order_id);
            let (status, text) =
                crate::store::gateway_client::cancel(env, &order.payment_id, &key).await?;
            settled(status, &text, "a cancel")
        }
        PaymentStatus::Succeeded => {
            let currency = Currency::from_code(&order.currency).map_err(ApiError::internal)?;
            let amount = |text: Option<&str>| -> Result<i64, ApiError> {
                text.map_or(Ok(0), |text| {
                    Money::parse_non_negative(text, currency)
                        .map(|money| money.to_minor())
                        .map_err(|error| ApiError::BadGateway(error.to_string()))
                })
            };
            let left = amount(Some(&payment.amount))? - amount(payment.amount_refunded.as_deref())?;
            if left <= 0 {
                return Ok(());
            }
            let left = Money::from_minor(left, currency).map_err(ApiError::internal)?;
            let body = shared::wire::RefundRequest {
                amount: left.amount_string(),
            };
            let key = format!("{}.shopper-cancel.{}", order.order_id, left.to_minor());
            let (status, text) =
                crate::store::gateway_client::refund(env, &order.payment_id, &body, &key).await?;
            if status == 200 {
                let refunded: shared::wire::RefundAnswer = serde_json::from_str(&text)
                    .map_err(|error| ApiError::BadGateway(error.to_string()))?;
                let refund = &refunded.refund;
                crate::store::records::record_refund(env, order, &refund.refund_id, &refund.amount)
                    .await?;
                return Ok(());
            }
            settled(status, &text, "a refund")
        }
        // Refunded or released already, or never charged.
        PaymentStatus::Refunded
        | PaymentStatus::Canceled
        | PaymentStatus::RequiresPaymentMethod
        | PaymentStatus::Processing => Ok(()),
    }
}

/// Whether the gateway's answer to a refund or release means it is done
/// or under way (pending at the bank, being made by a request like this
/// one, already made in full, or covered by refunds under way): the
/// gateway's events record how it ends. Anything else is an error, and a
/// repeat of the cancel asks again.
fn settled(status: u16, text: &str, what: &str) -> Result<(), ApiError> {
    let code = error_code(text);
    let under_way = matches!(status, 200 | 202)
        || (status == 409
            && matches!(code.as_str(), "already_refunded" | "idempotency_key_in_use"))
        || (status == 422 && code == "refund_exceeds_payment");
    if under_way {
        Ok(())
    } else {
        Err(ApiError::BadGateway(format!(
            "gateway answered {status} to {what}: {code}"
        )))
    }
}

/// The `code` of a gateway's error answer (empty if it has none).
fn error_code(text: &str) -> String {
    serde_json::from_str::<shared::wire::ErrorBody>(text)
        .map(|body| body.code)
        .unwrap_or_default()
}
