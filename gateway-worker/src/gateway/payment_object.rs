//! `PaymentObject`: one SQLite-backed Durable Object per payment, so that
//! everything that happens to a payment is serialized in one place. For now
//! it holds the payment the merchant registered; attempts, authorization
//! and capture join it with the payment path.

use std::cell::Cell;

use shared::wire::Payment;
use worker::{
    DurableObject, Env, Method, Request, Response, Result, SqlStorageValue, State, durable_object,
};

/// The largest request body the object reads.
const PAYMENT_BODY_BYTES_MAX: usize = 4096;

#[durable_object]
pub struct PaymentObject {
    state: State,
    /// Whether this instance has created its table (once per instance).
    schema_ready: Cell<bool>,
}

use crate::http::error_response as error;

impl PaymentObject {
    fn stored(&self) -> Result<Option<Payment>> {
        #[derive(serde::Deserialize)]
        struct Row {
            body: String,
        }
        let sql = self.state.storage().sql();
        if !self.schema_ready.get() {
            sql.exec(
                "CREATE TABLE IF NOT EXISTS payment (id INTEGER PRIMARY KEY CHECK (id = 1), body TEXT NOT NULL) STRICT",
                None,
            )?;
            self.schema_ready.set(true);
        }
        let rows: Vec<Row> = sql
            .exec("SELECT body FROM payment WHERE id = 1", None)?
            .to_array()?;
        Ok(rows
            .into_iter()
            .next()
            .and_then(|row| serde_json::from_str(&row.body).ok()))
    }

    async fn route(&self, mut request: Request) -> Result<Response> {
        match (request.method(), request.path().as_str()) {
            (Method::Post, "/create") => {
                let bytes = request.bytes().await?;
                if bytes.len() > PAYMENT_BODY_BYTES_MAX {
                    return Ok(error(413, "body_too_large", "request body is too large"));
                }
                let Ok(payment) = serde_json::from_slice::<Payment>(&bytes) else {
                    return Ok(error(422, "invalid_body", "not a payment"));
                };
                match self.stored()? {
                    Some(existing) if existing == payment => Ok(crate::http::json(&existing, 201)),
                    Some(_) => Ok(error(
                        409,
                        "payment_exists",
                        "a different payment has this id",
                    )),
                    None => {
                        let body = serde_json::to_string(&payment)?;
                        self.state.storage().sql().exec(
                            "INSERT INTO payment (id, body) VALUES (1, ?)",
                            vec![SqlStorageValue::from(body)],
                        )?;
                        Ok(crate::http::json(&payment, 201))
                    }
                }
            }
            (Method::Get, "/") => match self.stored()? {
                Some(payment) => Ok(crate::http::json(&payment, 200)),
                None => Ok(error(404, "payment_not_found", "no such payment")),
            },
            _ => Ok(error(404, "route_not_found", "no such payment route")),
        }
    }
}

impl DurableObject for PaymentObject {
    fn new(state: State, _env: Env) -> Self {
        PaymentObject {
            state,
            schema_ready: Cell::new(false),
        }
    }

    async fn fetch(&self, request: Request) -> Result<Response> {
        match self.route(request).await {
            Ok(response) => Ok(response),
            Err(failure) => {
                worker::console_error!("payment object: {failure}");
                Ok(error(500, "internal_error", "internal error"))
            }
        }
    }
}
