//! How other parties reach a bank: a call to its `BankLedger` object, with
//! the bank's own wire types. This is the only code that builds requests
//! to a bank, so a bank reached over the network instead would change here.

use worker::wasm_bindgen::JsValue;
use worker::{Env, Headers, Method, Request, RequestInit, Response};

use crate::bank::bank_ledger::BANK_ID_HEADER;
use crate::bank::wire::BANK_IDS;
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
