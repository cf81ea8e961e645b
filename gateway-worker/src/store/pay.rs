//! `POST /api/orders/{id}/pay`: the shopper's sealed payment, with the
//! order's client secret and an `Idempotency-Key`. The store cannot read
//! the card; it checks that the sealed payment names its order's payment
//! and quote, adds its billing (the quote's total) and forwards it to the
//! gateway's merchant API. On approval it records the payment and answers
//! its signed receipt; on a decline it answers what the shopper may know,
//! and the order stays open for another card.

use shared::receipt::PaymentEventKind;
use shared::wire::{
    ConfirmAnswer, ConfirmPayment, ErrorBody, PayAnswer, PayDeclined, PayRequest, PaymentStatus,
    SHOPPER_ADDRESS_BYTES_MAX,
};
use worker::{Env, Request, Response};

use crate::error::ApiError;
use crate::store::{gateway_client, orders, records};

/// The largest pay body, in bytes (a sealed payment is about 1.5 kB).
const PAY_BODY_BYTES_MAX: usize = 6 * 1024;

/// The longest shopper Idempotency-Key, in bytes (the store prefixes it
/// with the order id before it forwards it).
pub const SHOPPER_IDEMPOTENCY_KEY_BYTES_MAX: usize = 128;

fn shopper_key(request: &Request) -> Result<String, ApiError> {
    let key = request
        .headers()
        .get("idempotency-key")?
        .unwrap_or_default();
    let valid = !key.is_empty()
        && key.len() <= SHOPPER_IDEMPOTENCY_KEY_BYTES_MAX
        && key.bytes().all(|b| b.is_ascii_graphic());
    if valid {
        Ok(key)
    } else {
        Err(ApiError::unprocessable(
            "invalid_idempotency_key",
            "an Idempotency-Key header of 1 to 128 printable characters is required",
        ))
    }
}

/// Where a paid order's time went at the store, for its log line (the
/// gateway's share is broken down in its own `payment.attempt` line).
#[derive(Default, serde::Serialize)]
struct Hops {
    /// The order, the client secret, the sealed payment and the quote.
    checks_ms: i64,
    /// The gateway's merchant API, all of the confirmation.
    gateway_ms: i64,
    /// The store's records of the approval and its signed receipt.
    records_ms: i64,
}

fn log_hops(payment_id: &str, status: u16, hops: &Hops) {
    crate::log::event(
        "store.pay",
        &crate::log::new_request_id(),
        serde_json::json!({"payment_id": payment_id, "status": status, "hops_ms": hops}),
    );
}

fn bad_gateway(detail: impl core::fmt::Display) -> ApiError {
    ApiError::BadGateway(detail.to_string())
}

pub async fn pay(mut request: Request, env: &Env, order_id: &str) -> Result<Response, ApiError> {
    let started = crate::http::now_ms();
    let order = orders::authenticated(&request, env, order_id).await?;
    let key = shopper_key(&request)?;
    // Without one (never on Cloudflare), the shared budget of the unknown.
    let shopper_address = Some(
        request
            .headers()
            .get("cf-connecting-ip")?
            .filter(|address| !address.is_empty() && address.len() <= SHOPPER_ADDRESS_BYTES_MAX)
            .unwrap_or_else(|| crate::store::quote::UNKNOWN_SHOPPER_ADDRESS.to_owned()),
    );
    let bytes = crate::http::read_body(&mut request, PAY_BODY_BYTES_MAX).await?;
    let body: PayRequest =
        serde_json::from_slice(&bytes).map_err(|error| crate::store::quote::body_error(&error))?;
    if body.sealed.payment_id != order.payment_id {
        return Err(ApiError::unprocessable(
            "payment_mismatch",
            "the sealed payment is for another order",
        ));
    }
    let quote = records::quote_of(&order)?;
    let quote = &quote.body;
    if body.sealed.quote_digest != quote.digest() {
        return Err(ApiError::unprocessable(
            "quote_mismatch",
            "the sealed payment is for another quote",
        ));
    }
    match order.status.as_str() {
        "canceled" => {
            return Err(ApiError::Conflict {
                code: "order_canceled",
                message: "this order was canceled".to_owned(),
            });
        }
        // Once paid, the gateway answers: the stored answer for a repeat,
        // `already_paid` for anything else.
        "awaiting_payment" if worker::Date::now().as_millis() >= quote.expires_at_ms => {
            return Err(ApiError::unprocessable(
                "quote_expired",
                "the quote has expired; ask for a new one",
            ));
        }
        _ => {}
    }
    let confirm = ConfirmPayment {
        sealed: body.sealed,
        amount: quote.total.clone(),
        currency: quote.currency,
        quote_digest: quote.digest(),
        order_reference: order.order_id.clone(),
        shopper_address,
    };
    let forwarded_key = format!("{}.{key}", order.order_id);
    let mut hops = Hops::default();
    let (status, text) = {
        let asked = crate::http::now_ms();
        let answer =
            gateway_client::confirm_payment(env, &order.payment_id, &confirm, &forwarded_key)
                .await?;
        hops.checks_ms = asked - started;
        hops.gateway_ms = crate::http::now_ms() - asked;
        answer
    };
    match status {
        200 => {
            let answer: ConfirmAnswer = serde_json::from_str(&text).map_err(bad_gateway)?;
            let authorization = answer
                .authorization
                .ok_or_else(|| bad_gateway("approval without an authorization"))?;
            let (kind, captured) = if answer.payment.status == PaymentStatus::Succeeded {
                (
                    PaymentEventKind::Succeeded,
                    Some(answer.payment.amount.as_str()),
                )
            } else {
                (PaymentEventKind::Authorized, None)
            };
            let recording = crate::http::now_ms();
            let order = records::record(env, kind, &authorization, captured, Some(order)).await?;
            let answer = PayAnswer {
                order: orders::view(env, &order).await?,
                receipt: orders::receipt_of(&order)?,
            };
            hops.records_ms = crate::http::now_ms() - recording;
            log_hops(&order.payment_id, status, &hops);
            Ok(crate::http::json(&answer, 200))
        }
        202 => {
            let answer = PayAnswer {
                order: orders::view(env, &order).await?,
                receipt: None,
            };
            Ok(crate::http::json(&answer, 202))
        }
        402 => {
            let answer: ConfirmAnswer = serde_json::from_str(&text).map_err(bad_gateway)?;
            // What the gateway says the shopper may be told.
            let code = answer
                .code
                .ok_or_else(|| bad_gateway("a decline without the shopper's code"))?;
            let declined = PayDeclined {
                code,
                message: code.message().to_owned(),
                another_card_may_help: code.another_card_may_help(),
            };
            Ok(crate::http::json(&declined, 402))
        }
        // The gateway's refusals are meant for the payer: pass them on.
        409 | 413 | 422 | 429 => {
            let refusal: ErrorBody = serde_json::from_str(&text).map_err(bad_gateway)?;
            Ok(crate::http::json(&refusal, status))
        }
        other => Err(bad_gateway(format!(
            "gateway answered {other} to a payment"
        ))),
    }
}
