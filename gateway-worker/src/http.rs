//! Building JSON answers and the headers every API answer carries.

use serde::Serialize;
use shared::wire::Health;
use worker::{Env, Response};

use crate::error::ApiError;

/// Headers on every `/api/` answer: never cached, never sniffed, never framed,
/// no referrer leaves the page, and HTTPS only from the first answer on.
/// (Static assets get theirs from `static/_headers`.)
const API_HEADERS: [(&str, &str); 6] = [
    ("cache-control", "no-store"),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "no-referrer"),
    (
        "content-security-policy",
        "default-src 'none'; frame-ancestors 'none'",
    ),
    ("cross-origin-resource-policy", "same-origin"),
    (
        "strict-transport-security",
        "max-age=31536000; includeSubDomains",
    ),
];

/// Reads a request body of at most `max` bytes. A declared
/// `Content-Length` above it is refused before a byte is read; a body
/// without one (or one that lies) is read only until it passes `max`, so a
/// huge body never costs the isolate more than `max` of memory.
pub async fn read_body(request: &mut worker::Request, max: usize) -> Result<Vec<u8>, ApiError> {
    use futures_util::StreamExt;
    check_declared_length(request.headers().get("content-length")?.as_deref(), max)?;
    // No body at all is an empty body.
    let Ok(mut stream) = request.stream() else {
        return Ok(Vec::new());
    };
    let mut body = Vec::new();
    while let Some(chunk) = stream.next().await {
        append_chunk(&mut body, &chunk?, max)?;
    }
    Ok(body)
}

/// Refuses a declared `Content-Length` above `max` (or one that is not a
/// length) before anything is read.
fn check_declared_length(declared: Option<&str>, max: usize) -> Result<(), ApiError> {
    let Some(declared) = declared else {
        return Ok(());
    };
    match declared.trim().parse::<u64>() {
        Ok(length) if length > u64::try_from(max).unwrap_or(u64::MAX) => {
            Err(ApiError::PayloadTooLarge)
        }
        Ok(_) => Ok(()),
        Err(_) => Err(ApiError::unprocessable(
            "invalid_body",
            "Content-Length is not a length",
        )),
    }
}

/// Appends one streamed chunk, refusing the body as soon as it would pass
/// `max`: the rest is never read.
fn append_chunk(body: &mut Vec<u8>, chunk: &[u8], max: usize) -> Result<(), ApiError> {
    if body.len().saturating_add(chunk.len()) > max {
        return Err(ApiError::PayloadTooLarge);
    }
    body.extend_from_slice(chunk);
    Ok(())
}

/// A JSON answer with the given status. Serializing our own wire types
/// does not fail in practice; if it ever did, the answer is a generic 500.
pub fn json<T: Serialize>(value: &T, status: u16) -> Response {
    match serde_json::to_vec(value) {
        Ok(body) => json_bytes(body, status),
        Err(_) => json_bytes(INTERNAL_ERROR_BODY.to_vec(), 500),
    }
}

/// An error answer `{code, message}` built directly (inside Durable
/// Objects, which answer their callers without going through `ApiError`).
pub fn error_response(status: u16, code: &str, message: &str) -> Response {
    json(
        &shared::wire::ErrorBody {
            code: code.to_owned(),
            message: message.to_owned(),
        },
        status,
    )
}

/// Milliseconds since the Unix epoch, as SQLite stores them.
pub fn now_ms() -> i64 {
    i64::try_from(worker::Date::now().as_millis()).unwrap_or(i64::MAX)
}

/// A JSON answer from text already serialized (a stored answer).
pub fn raw_json(body: String, status: u16) -> Response {
    json_bytes(body.into_bytes(), status)
}

/// An answer with a body that is JSON already.
pub fn json_bytes(body: Vec<u8>, status: u16) -> Response {
    let mut response = Response::builder().with_status(status).fixed(body);
    // Setting a valid header on a response we own cannot fail.
    let _ = response
        .headers_mut()
        .set("content-type", "application/json; charset=utf-8");
    response
}

const INTERNAL_ERROR_BODY: &[u8] = br#"{"code":"internal_error","message":"internal error"}"#;

/// Adds the API security headers to an answer.
pub fn with_api_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    for (name, value) in API_HEADERS {
        // Setting a valid header name on a mutable response cannot fail.
        let _ = headers.set(name, value);
    }
    response
}

/// `GET /api/health`: 200 `ok` when the worker runs with every secret it
/// needs configured, 503 `misconfigured` otherwise (secret names are not
/// secret; their values never appear). Touches no storage.
pub fn health(env: &Env) -> Result<Response, ApiError> {
    let configured = crate::secrets::required().all(|name| env.secret(name).is_ok());
    let (status, code) = if configured {
        ("ok", 200)
    } else {
        ("misconfigured", 503)
    };
    let health = Health {
        status: status.to_owned(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
    };
    Ok(json(&health, code))
}

/// Compares two byte strings in time that depends only on their lengths,
/// for secrets such as tokens.
pub fn constant_time_eq(left: &[u8], right: &[u8]) -> bool {
    if left.len() != right.len() {
        return false;
    }
    left.iter()
        .zip(right)
        .fold(0_u8, |difference, (a, b)| difference | (a ^ b))
        == 0
}

/// The OpenAPI 3.1 document of the shopper and merchant API, kept in the
/// repository (`gateway-worker/api/openapi.json`) and checked against real
/// answers by the end-to-end tests.
const OPENAPI_DOCUMENT: &str = include_str!("../api/openapi.json");

/// `GET /api/openapi.json`.
pub fn openapi() -> Result<Response, ApiError> {
    let mut response = Response::builder()
        .with_status(200)
        .fixed(OPENAPI_DOCUMENT.as_bytes().to_vec());
    let _ = response
        .headers_mut()
        .set("content-type", "application/json; charset=utf-8");
    Ok(response)
}

/// For storage dumps: text that holds JSON (a stored body) becomes that
/// JSON, so a scan judges its numbers as numbers rather than as digit runs.
pub fn expand_stored_json(value: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::String(text) if text.starts_with('{') || text.starts_with('[') => {
            match serde_json::from_str::<Value>(&text) {
                Ok(parsed) => expand_stored_json(parsed),
                Err(_) => Value::String(text),
            }
        }
        Value::Array(items) => Value::Array(items.into_iter().map(expand_stored_json).collect()),
        Value::Object(fields) => Value::Object(
            fields
                .into_iter()
                .map(|(key, item)| (key, expand_stored_json(item)))
                .collect(),
        ),
        other => other,
    }
}

/// For the operator's storage dumps: every row of `tables` in one party's
/// database, stored JSON expanded (`expand_stored_json`).
#[cfg(feature = "operator")]
pub async fn dump_tables(
    db: &crate::meter::MeteredD1,
    tables: &[&str],
) -> Result<serde_json::Map<String, serde_json::Value>, ApiError> {
    let mut dumped = serde_json::Map::new();
    for table in tables {
        let rows: Vec<serde_json::Value> = db
            .prepare(format!("SELECT * FROM {table}"))
            .all()
            .await?
            .results()?;
        dumped.insert(
            (*table).to_owned(),
            expand_stored_json(serde_json::Value::Array(rows)),
        );
    }
    Ok(dumped)
}

/// Checks `Authorization: Bearer <token>` against the secret `name`, in
/// constant time.
pub fn require_bearer(request: &worker::Request, env: &Env, name: &str) -> Result<(), ApiError> {
    let expected = crate::secrets::text(env, name)?;
    let presented = request
        .headers()
        .get("authorization")?
        .and_then(|value| value.strip_prefix("Bearer ").map(str::to_owned))
        .unwrap_or_default();
    if constant_time_eq(presented.as_bytes(), expected.as_bytes()) {
        Ok(())
    } else {
        Err(ApiError::Unauthorized)
    }
}

/// The largest magnitude a JavaScript number holds exactly: 2^53 - 1.
const JS_SAFE_INTEGER_MAX: i64 = (1 << 53) - 1;

/// Integer minor units as D1 binds them. D1 binds JavaScript numbers, not
/// BigInts; a number holds every integer up to 2^53 - 1 exactly, and
/// `shared::money` keeps amounts below that. One past it is refused here
/// rather than rounded. (The one place money meets a float.)
pub fn minor_units_value(minor: i64) -> Result<worker::wasm_bindgen::JsValue, ApiError> {
    if minor.abs() > JS_SAFE_INTEGER_MAX {
        return Err(ApiError::internal(format!(
            "{minor} minor units do not fit a D1 number exactly"
        )));
    }
    Ok(worker::wasm_bindgen::JsValue::from_f64(minor as f64))
}

#[cfg(test)]
mod tests {
    use super::{append_chunk, check_declared_length};
    use crate::error::ApiError;

    #[test]
    fn a_declared_length_past_the_limit_is_refused_before_reading() {
        assert!(check_declared_length(None, 10).is_ok());
        assert!(check_declared_length(Some("10"), 10).is_ok());
        assert!(matches!(
            check_declared_length(Some("11"), 10),
            Err(ApiError::PayloadTooLarge)
        ));
        assert!(matches!(
            check_declared_length(Some("1000000000000000000000"), 10),
            Err(ApiError::Unprocessable { .. })
        ));
        assert!(matches!(
            check_declared_length(Some("-1"), 10),
            Err(ApiError::Unprocessable { .. })
        ));
    }

    #[test]
    fn a_streamed_body_stops_at_the_limit() {
        let mut body = Vec::new();
        assert!(append_chunk(&mut body, &[1; 6], 10).is_ok());
        assert!(append_chunk(&mut body, &[2; 4], 10).is_ok());
        assert_eq!(body.len(), 10);
        assert!(matches!(
            append_chunk(&mut body, &[3], 10),
            Err(ApiError::PayloadTooLarge)
        ));
        assert_eq!(body.len(), 10, "nothing past the limit is kept");
    }
}
