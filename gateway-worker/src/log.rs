//! Structured logs: one JSON object per line, with the event name and the
//! request id. Callers pass only fields that are safe to keep: ids, codes,
//! brand and last four, never a card number, CVC or decrypted text.

/// Logs one event.
pub fn event(name: &str, request_id: &str, fields: serde_json::Value) {
    let mut line = serde_json::Map::new();
    line.insert("event".to_owned(), serde_json::Value::from(name));
    line.insert("request_id".to_owned(), serde_json::Value::from(request_id));
    if let serde_json::Value::Object(fields) = fields {
        line.extend(fields);
    }
    worker::console_log!("{}", serde_json::Value::Object(line));
}

/// A fresh request id for a request that came without one.
pub fn new_request_id() -> String {
    let mut bytes = [0_u8; 9];
    if getrandom::fill(&mut bytes).is_err() {
        return "req_unknown".to_owned();
    }
    format!("req_{}", shared::encoding::to_base64url(&bytes))
}
