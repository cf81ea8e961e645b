//! The merchant API's payment routes: `POST /api/gateway/v1/payments`
//! registers a payment for a quote (amount, currency, quote digest, expiry)
//! before any card is seen; `GET /api/gateway/v1/payments/{id}` reads one;
//! `…/confirm`, `…/attempts`, `…/capture`, `…/cancel` and `…/refunds` hand
//! the request to the payment's object as a `PaymentCommand`, which
//! decides. A merchant sees only its own payments: another merchant's
//! answers 404, exactly like one that does not exist. Creation honours an
//! `Idempotency-Key` (`idempotency.rs`).

use shared::encoding::to_base64url;
use shared::money::Money;
use shared::wire::{CreatePayment, ORDER_REFERENCE_BYTES_MAX, Payment, PaymentStatus};
use worker::{Env, Request, Response};

use crate::error::ApiError;
use crate::gateway::db::{self, KeyOwner};
use crate::gateway::idempotency::{self, Claim};
use crate::gateway::merchant_auth;
use crate::gateway::payment_command::{self, PaymentCommand};

/// The largest merchant API body, in bytes.
pub const MERCHANT_BODY_BYTES_MAX: usize = 8 * 1024;

/// How far ahead a payment may expire: as long as a quote may live.
const PAYMENT_TTL_MS_MAX: u64 = 60 * 60 * 1000;

fn new_payment_id() -> Result<String, ApiError> {
    let mut bytes = [0_u8; 16];
    getrandom::fill(&mut bytes).map_err(|_| ApiError::internal("no randomness"))?;
    Ok(format!("pay_{}", to_base64url(&bytes)))
}

/// The route name idempotency keys of payment creation are scoped to.
const CREATE_ROUTE: &str = "POST /api/gateway/v1/payments";

pub async fn create(mut request: Request, env: &Env) -> Result<Response, ApiError> {
    let merchant = merchant_auth::authenticate(&request, env).await?;
    let idempotency_key = idempotency::key_of(&request)?;
    let bytes = crate::http::read_body(&mut request, MERCHANT_BODY_BYTES_MAX).await?;
    let Some(key) = idempotency_key else {
        let payment = create_payment(env, &merchant, &bytes).await?;
        return Ok(crate::http::json(&payment, 201));
    };
    let merchant_id = merchant.merchant_id.clone();
    let now_ms = worker::Date::now().as_millis();
    let fingerprint = idempotency::fingerprint(&bytes);
    if let Claim::Replay { status, answer } =
        idempotency::claim(env, &merchant_id, CREATE_ROUTE, &key, &fingerprint, now_ms).await?
    {
        return Ok(crate::http::raw_json(answer, status));
    }
    match create_payment(env, &merchant, &bytes).await {
        Ok(payment) => {
            let answer = serde_json::to_string(&payment).map_err(ApiError::internal)?;
            idempotency::complete(env, &merchant_id, CREATE_ROUTE, &key, 201, &answer).await?;
            Ok(crate::http::raw_json(answer, 201))
        }
        Err(error) => {
            // Nothing was created under the key: it may be used again.
            idempotency::release(env, &merchant_id, CREATE_ROUTE, &key).await?;
            Err(error)
        }
    }
}

/// The longest run of digits a merchant's order reference may hold: a
/// longer one could be a card number, which the gateway stores nowhere
/// but in the sealed payment's ciphertext.
const REFERENCE_DIGIT_RUN_MAX: usize = 11;

/// The length of the longest run of ASCII digits in `text`.
fn longest_digit_run(text: &str) -> usize {
    text.split(|c: char| !c.is_ascii_digit())
        .map(str::len)
        .max()
        .unwrap_or(0)
}

async fn create_payment(env: &Env, merchant: &KeyOwner, bytes: &[u8]) -> Result<Payment, ApiError> {
    let body: CreatePayment = serde_json::from_slice(bytes)
        .map_err(|_| ApiError::unprocessable("invalid_body", "body is not a payment to create"))?;
    let amount = Money::parse_non_negative(&body.amount, body.currency)
        .map_err(|error| ApiError::unprocessable("invalid_amount", error.to_string()))?;
    if amount.is_zero() {
        return Err(ApiError::unprocessable(
            "invalid_amount",
            "amount must be above zero",
        ));
    }
    let now_ms = worker::Date::now().as_millis();
    if body.expires_at_ms <= now_ms || body.expires_at_ms > now_ms + PAYMENT_TTL_MS_MAX {
        return Err(ApiError::unprocessable(
            "invalid_expiry",
            "expires_at_ms must lie within the next hour",
        ));
    }
    let reference_ok = !body.order_reference.is_empty()
        && body.order_reference.len() <= ORDER_REFERENCE_BYTES_MAX
        && !body.order_reference.chars().any(char::is_control)
        && longest_digit_run(&body.order_reference) <= REFERENCE_DIGIT_RUN_MAX;
    if !reference_ok {
        return Err(ApiError::unprocessable(
            "invalid_order_reference",
            "order_reference must be 1 to 64 bytes of printable text, without a run of 12 or more digits",
        ));
    }
    let payment = Payment {
        payment_id: new_payment_id()?,
        merchant_id: merchant.merchant_id.clone(),
        order_reference: body.order_reference,
        amount: amount.amount_string(),
        currency: amount.currency(),
        quote_digest: body.quote_digest,
        status: PaymentStatus::RequiresPaymentMethod,
        capture_method: merchant.capture_method,
        expires_at_ms: body.expires_at_ms,
        created_at_ms: now_ms,
        amount_refunded: None,
    };
    let mut answer = payment_command::send(
        env,
        &payment.payment_id,
        &PaymentCommand::Create {
            payment: payment.clone(),
        },
    )
    .await?;
    if answer.status_code() != 201 {
        return Err(ApiError::internal(format!(
            "payment object answered {}",
            answer.status_code()
        )));
    }
    db::record_payment(env, &payment.payment_id, &merchant.merchant_id, now_ms).await?;
    answer.json::<Payment>().await.map_err(ApiError::internal)
}

pub async fn get(request: Request, env: &Env, payment_id: &str) -> Result<Response, ApiError> {
    let merchant = merchant_auth::authenticate(&request, env).await?;
    let not_found = || ApiError::not_found("payment_not_found", "no such payment");
    match db::payment_owner(env, payment_id).await? {
        Some(owner) if owner == merchant.merchant_id => {}
        _ => return Err(not_found()),
    }
    let mut answer = payment_command::send(env, payment_id, &PaymentCommand::Get).await?;
    if answer.status_code() != 200 {
        return Err(not_found());
    }
    let payment: Payment = answer.json().await.map_err(ApiError::internal)?;
    Ok(crate::http::json(&payment, 200))
}

/// The payment `payment_id` of the authenticated merchant, or 404 exactly
/// like a payment that does not exist.
async fn owned(request: &Request, env: &Env, payment_id: &str) -> Result<(), ApiError> {
    let merchant = merchant_auth::authenticate(request, env).await?;
    match db::payment_owner(env, payment_id).await? {
        Some(owner) if owner == merchant.merchant_id => Ok(()),
        _ => Err(ApiError::not_found("payment_not_found", "no such payment")),
    }
}

/// `POST /api/gateway/v1/payments/{id}/confirm`: the shopper's sealed
/// payment with the merchant's billing. The payment is found by the id in
/// the path, which must be the authenticated merchant's; its object decides
/// everything else (checks, attempt, issuer, idempotency).
pub async fn confirm(
    mut request: Request,
    env: &Env,
    payment_id: &str,
) -> Result<Response, ApiError> {
    owned(&request, env, payment_id).await?;
    let idempotency_key = idempotency::key_of(&request)?;
    let request_id = request
        .headers()
        .get("x-request-id")?
        .filter(|id| !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_graphic()))
        .unwrap_or_else(crate::log::new_request_id);
    let bytes = crate::http::read_body(&mut request, MERCHANT_BODY_BYTES_MAX).await?;
    let command = PaymentCommand::Confirm {
        idempotency_key,
        request_id,
        body: text_of(bytes)?,
    };
    payment_command::send(env, payment_id, &command).await
}

/// `GET /api/gateway/v1/payments/{id}/attempts`: every card tried on the
/// payment, by brand and last four, with the exact decline codes.
pub async fn attempts(request: Request, env: &Env, payment_id: &str) -> Result<Response, ApiError> {
    owned(&request, env, payment_id).await?;
    let mut answer = payment_command::send(env, payment_id, &PaymentCommand::Attempts).await?;
    let views: Vec<shared::wire::AttemptView> = answer.json().await.map_err(ApiError::internal)?;
    Ok(crate::http::json(&views, 200))
}

/// The most payment objects one storage dump reads.
#[cfg(feature = "operator")]
const DUMP_PAYMENTS_MAX: usize = 2000;

/// Operator: every row of the gateway's D1 tables and of each payment
/// object's storage, for the storage scan.
#[cfg(feature = "operator")]
pub async fn dump(env: &Env) -> Result<serde_json::Value, ApiError> {
    let mut tables = db::dump(env).await?;
    // A list, not a map by id: a scan judges field names, and a random
    // id may spell one by chance.
    let mut objects = Vec::new();
    for payment_id in db::payment_ids(env, DUMP_PAYMENTS_MAX).await? {
        let mut answer = payment_command::send(env, &payment_id, &PaymentCommand::Dump).await?;
        let tables: serde_json::Value = answer.json().await.map_err(ApiError::internal)?;
        objects.push(serde_json::json!({ "payment_id": payment_id, "tables": tables }));
    }
    tables.insert(
        "payment_objects".to_owned(),
        serde_json::Value::Array(objects),
    );
    Ok(serde_json::Value::Object(tables))
}

/// The merchant's after-sale operations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    Capture,
    Cancel,
    Refund,
}

/// `POST /api/gateway/v1/payments/{id}/{capture|cancel|refunds}`: the
/// merchant's after-sale operations, decided by the payment's object.
/// Refunds need an `Idempotency-Key`.
pub async fn operate(
    mut request: Request,
    env: &Env,
    payment_id: &str,
    operation: Operation,
) -> Result<Response, ApiError> {
    owned(&request, env, payment_id).await?;
    let idempotency_key = idempotency::key_of(&request)?;
    let bytes = crate::http::read_body(&mut request, MERCHANT_BODY_BYTES_MAX).await?;
    let command = match operation {
        Operation::Capture => PaymentCommand::Capture,
        Operation::Cancel => PaymentCommand::Cancel,
        Operation::Refund => PaymentCommand::Refund {
            idempotency_key,
            body: text_of(bytes)?,
        },
    };
    payment_command::send(env, payment_id, &command).await
}

/// A merchant body as text (JSON is UTF-8).
fn text_of(bytes: Vec<u8>) -> Result<String, ApiError> {
    String::from_utf8(bytes)
        .map_err(|_| ApiError::unprocessable("invalid_body", "body is not JSON"))
}

#[cfg(test)]
mod tests {
    use super::{REFERENCE_DIGIT_RUN_MAX, longest_digit_run};

    #[test]
    fn an_order_reference_may_not_look_like_a_card_number() {
        assert_eq!(longest_digit_run("ord_2026-11-30"), 4);
        assert_eq!(
            longest_digit_run("invoice 12345678901"),
            REFERENCE_DIGIT_RUN_MAX
        );
        assert!(longest_digit_run("4242424242424242") > REFERENCE_DIGIT_RUN_MAX);
        assert!(longest_digit_run("x-424242424242-y") > REFERENCE_DIGIT_RUN_MAX);
        assert_eq!(longest_digit_run("no digits"), 0);
    }
}
