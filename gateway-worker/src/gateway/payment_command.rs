//! The one language between the merchant routes (`payments.rs`) and a
//! payment's object: a typed command, sent as JSON to the object's fetch,
//! instead of paths and headers. Bodies the merchant sent travel as the
//! text they were, so idempotency fingerprints are taken over the bytes.

use serde::{Deserialize, Serialize};
use shared::wire::Payment;
use worker::wasm_bindgen::JsValue;
use worker::{Env, Method, Request, RequestInit, Response};

use crate::error::ApiError;

const PAYMENT_OBJECT_BINDING: &str = "PAYMENT_OBJECT";

/// The largest command the object reads: a merchant body of at most
/// `MERCHANT_BODY_BYTES_MAX`, escaped into JSON, and its headers.
pub const PAYMENT_COMMAND_BYTES_MAX: usize = 24 * 1024;

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case", deny_unknown_fields)]
pub enum PaymentCommand {
    /// Stores a new payment (idempotent for the same payment).
    Create {
        payment: Payment,
    },
    /// The payment as it stands.
    Get,
    /// The merchant's confirmation: a `ConfirmPayment` body.
    Confirm {
        idempotency_key: Option<String>,
        request_id: String,
        body: String,
    },
    Capture,
    Cancel,
    /// A `RefundRequest` body; the key is required.
    Refund {
        idempotency_key: Option<String>,
        body: String,
    },
    /// Every attempt that reached the issuer.
    Attempts,
    /// Operator: every row, for the storage scan.
    Dump,
}

/// Sends `command` to the object of `payment_id`; answers its response.
pub async fn send(
    env: &Env,
    payment_id: &str,
    command: &PaymentCommand,
) -> Result<Response, ApiError> {
    crate::meter::count("do.PaymentObject");
    let stub = env
        .durable_object(PAYMENT_OBJECT_BINDING)?
        .id_from_name(payment_id)?
        .get_stub()?;
    let body = serde_json::to_string(command).map_err(ApiError::internal)?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_body(Some(JsValue::from_str(&body)));
    let request = Request::new_with_init("https://payment.internal/", &init)?;
    Ok(stub.fetch_with_request(request).await?)
}
