//! How other parties reach a bank: a call to its `BankLedger` object, with
//! the bank's own wire types. This is the only code that builds requests
//! to a bank, so a bank reached over the network instead would change here.

use worker::wasm_bindgen::JsValue;
use worker::{Env, Headers, Method, Request, RequestInit, Response};

use crate::bank::bank_ledger::BANK_ID_HEADER;
use crate::bank::wire::{BANK_IDS, TransferOutcome, TransferRequest};
use crate::error::ApiError;

/// The Durable Object binding of the banks' ledgers.
const BANK_LEDGER_BINDING: &str = "BANK_LEDGER";

/// Sends one request to a bank's ledger and returns its answer as it is.
pub async fn call(
    env: &Env,
    bank_id: &str,
    method: Method,
    path: &str,
    body: Option<String>,
) -> Result<Response, ApiError> {
    if !BANK_IDS.contains(&bank_id) {
        return Err(ApiError::not_found("bank_not_found", "no such bank"));
    }
    crate::meter::count("do.BankLedger");
    let stub = env
        .durable_object(BANK_LEDGER_BINDING)?
        .id_from_name(bank_id)?
        .get_stub()?;
    let headers = Headers::new();
    headers.set(BANK_ID_HEADER, bank_id)?;
    headers.set("content-type", "application/json")?;
    let mut init = RequestInit::new();
    init.with_method(method).with_headers(headers);
    if let Some(body) = body {
        init.with_body(Some(JsValue::from_str(&body)));
    }
    let request = Request::new_with_init(&format!("https://bank.internal{path}"), &init)?;
    Ok(stub.fetch_with_request(request).await?)
}

/// Applies a transfer at a bank and reads its outcome. `Ok(None)` means the
/// bank did not answer: the outcome is unknown, and asking again with the
/// same transfer id later finds it out without doubling anything.
pub async fn transfer(
    env: &Env,
    bank_id: &str,
    transfer: &TransferRequest,
) -> Result<Option<TransferOutcome>, ApiError> {
    let body = serde_json::to_string(transfer).map_err(ApiError::internal)?;
    let Ok(mut response) = call(env, bank_id, Method::Post, "/transfers", Some(body)).await else {
        return Ok(None);
    };
    if response.status_code() != 200 {
        worker::console_error!(
            "bank {bank_id} answered {} to a transfer",
            response.status_code()
        );
        return Ok(None);
    }
    Ok(response.json::<TransferOutcome>().await.ok())
}
