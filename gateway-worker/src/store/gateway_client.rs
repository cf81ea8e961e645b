//! The store's only way to the gateway: the gateway's merchant HTTP API,
//! with the store's own API key (`STORE_GATEWAY_API_KEY`), over the
//! `GATEWAY` service binding. In the demo the binding points at this same
//! Worker; split into separate deployments it points at the gateway's
//! Worker, and nothing here changes.

use shared::wire::{ConfirmPayment, CreatePayment, Payment};
use worker::wasm_bindgen::JsValue;
use worker::{Env, Headers, Method, Request, RequestInit};

use crate::error::ApiError;
use crate::secrets;

const GATEWAY_BINDING: &str = "GATEWAY";

/// Registers the payment for a quote at the gateway. The order reference is
/// the Idempotency-Key, so a retried call never makes a second payment.
pub async fn create_payment(env: &Env, body: &CreatePayment) -> Result<Payment, ApiError> {
    let key = secrets::text(env, secrets::STORE_GATEWAY_API_KEY)?;
    let headers = Headers::new();
    headers.set("idempotency-key", &body.order_reference)?;
    headers.set("authorization", &format!("Bearer {key}"))?;
    headers.set("content-type", "application/json")?;
    let body = serde_json::to_string(body).map_err(ApiError::internal)?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_headers(headers)
        .with_body(Some(JsValue::from_str(&body)));
    let request =
        Request::new_with_init("https://gateway.internal/api/gateway/v1/payments", &init)?;
    let mut response = env
        .service(GATEWAY_BINDING)?
        .fetch_request(request)
        .await
        .map_err(|error| ApiError::BadGateway(error.to_string()))?;
    if response.status_code() != 201 {
        let detail = response.text().await.unwrap_or_default();
        return Err(ApiError::BadGateway(format!(
            "gateway answered {} to a payment: {detail}",
            response.status_code()
        )));
    }
    response
        .json::<Payment>()
        .await
        .map_err(|error| ApiError::BadGateway(error.to_string()))
}

/// Forwards a shopper's sealed payment, with the store's billing, to the
/// gateway's confirm route. Answers the gateway's status and body as they
/// are; the pay route decides what the shopper sees.
pub async fn confirm_payment(
    env: &Env,
    payment_id: &str,
    body: &ConfirmPayment,
    idempotency_key: &str,
) -> Result<(u16, String), ApiError> {
    let key = secrets::text(env, secrets::STORE_GATEWAY_API_KEY)?;
    let headers = Headers::new();
    headers.set("idempotency-key", idempotency_key)?;
    headers.set("authorization", &format!("Bearer {key}"))?;
    headers.set("content-type", "application/json")?;
    let body = serde_json::to_string(body).map_err(ApiError::internal)?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_headers(headers)
        .with_body(Some(JsValue::from_str(&body)));
    let request = Request::new_with_init(
        &format!("https://gateway.internal/api/gateway/v1/payments/{payment_id}/confirm"),
        &init,
    )?;
    let mut response = env
        .service(GATEWAY_BINDING)?
        .fetch_request(request)
        .await
        .map_err(|error| ApiError::BadGateway(error.to_string()))?;
    let text = response
        .text()
        .await
        .map_err(|error| ApiError::BadGateway(error.to_string()))?;
    Ok((response.status_code(), text))
}
