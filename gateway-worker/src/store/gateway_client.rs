//! The store's only way to the gateway: the gateway's merchant HTTP API,
//! with the store's own API key (`STORE_GATEWAY_API_KEY`), over the
//! `GATEWAY` service binding. In the demo the binding points at this same
//! Worker; split into separate deployments it points at the gateway's
//! Worker, and nothing here changes.

use shared::keyset::GatewayKeySet;
use shared::sign::Signed;
use shared::wire::{ConfirmPayment, CreatePayment, Payment, RefundRequest};
use worker::wasm_bindgen::JsValue;
use worker::{Env, Headers, Method, Request, RequestInit};

use crate::error::ApiError;
use crate::secrets;

const GATEWAY_BINDING: &str = "GATEWAY";

/// Sends one request to the gateway over its service binding; a gateway
/// that does not answer is a 502.
async fn send(env: &Env, request: Request) -> Result<worker::Response, ApiError> {
    crate::meter::count("service.GATEWAY");
    env.service(GATEWAY_BINDING)?
        .fetch_request(request)
        .await
        .map_err(|error| ApiError::BadGateway(error.to_string()))
}

/// Posts a JSON body to the gateway's merchant API with the store's key and
/// an Idempotency-Key; answers the gateway's status and body as they are.
async fn post(
    env: &Env,
    path: &str,
    idempotency_key: &str,
    body: &impl serde::Serialize,
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
    let request = Request::new_with_init(&format!("https://gateway.internal{path}"), &init)?;
    let mut response = send(env, request).await?;
    let text = response
        .text()
        .await
        .map_err(|error| ApiError::BadGateway(error.to_string()))?;
    Ok((response.status_code(), text))
}

/// Reads `path` of the gateway's API (with the store's key when
/// `authenticated`) and answers its JSON; any answer but 200 is a 502.
async fn read<T: serde::de::DeserializeOwned>(
    env: &Env,
    path: &str,
    authenticated: bool,
) -> Result<T, ApiError> {
    let headers = Headers::new();
    if authenticated {
        let key = secrets::text(env, secrets::STORE_GATEWAY_API_KEY)?;
        headers.set("authorization", &format!("Bearer {key}"))?;
    }
    let mut init = RequestInit::new();
    init.with_method(Method::Get).with_headers(headers);
    let request = Request::new_with_init(&format!("https://gateway.internal{path}"), &init)?;
    let mut response = send(env, request).await?;
    if response.status_code() != 200 {
        return Err(ApiError::BadGateway(format!(
            "gateway answered {} to {path}",
            response.status_code()
        )));
    }
    response
        .json()
        .await
        .map_err(|error| ApiError::BadGateway(error.to_string()))
}

/// The gateway's signed key set (`GET /api/gateway/v1/keys`, public).
pub async fn key_set(env: &Env) -> Result<Signed<GatewayKeySet>, ApiError> {
    read(env, "/api/gateway/v1/keys", false).await
}

/// A payment as the gateway has it (`GET /api/gateway/v1/payments/{id}`).
pub async fn payment(env: &Env, payment_id: &str) -> Result<Payment, ApiError> {
    read(env, &format!("/api/gateway/v1/payments/{payment_id}"), true).await
}

/// Registers the payment for a quote at the gateway. The order reference is
/// the Idempotency-Key, so a retried call never makes a second payment.
pub async fn create_payment(env: &Env, body: &CreatePayment) -> Result<Payment, ApiError> {
    let (status, text) = post(env, "/api/gateway/v1/payments", &body.order_reference, body).await?;
    if status != 201 {
        return Err(ApiError::BadGateway(format!(
            "gateway answered {status} to a payment: {text}"
        )));
    }
    serde_json::from_str(&text).map_err(|error| ApiError::BadGateway(error.to_string()))
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
    post(
        env,
        &format!("/api/gateway/v1/payments/{payment_id}/confirm"),
        idempotency_key,
        body,
    )
    .await
}

/// Refunds part or all of a payment (the store's staff asked for it).
pub async fn refund(
    env: &Env,
    payment_id: &str,
    body: &RefundRequest,
    idempotency_key: &str,
) -> Result<(u16, String), ApiError> {
    post(
        env,
        &format!("/api/gateway/v1/payments/{payment_id}/refunds"),
        idempotency_key,
        body,
    )
    .await
}

/// Cancels a payment that was never captured.
pub async fn cancel(
    env: &Env,
    payment_id: &str,
    idempotency_key: &str,
) -> Result<(u16, String), ApiError> {
    post(
        env,
        &format!("/api/gateway/v1/payments/{payment_id}/cancel"),
        idempotency_key,
        &serde_json::json!({}),
    )
    .await
}
