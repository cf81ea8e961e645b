//! `PaymentObject`: one SQLite-backed Durable Object per payment, so that
//! everything that happens to a payment is serialized in one place: its
//! creation, each attempt (one card tried), the authorization, the capture,
//! refunds, the idempotency keys of its requests and the outbox of events
//! to the merchant.
//!
//! Built like the bank (`bank_ledger.rs` shell, `ledger.rs` rules):
//! - this file: the Durable Object itself (fetch: one `PaymentCommand`;
//!   alarm: upkeep);
//! - `machine` (+ `machine/`): the rules, pure (rows + command + `now` →
//!   decision), unit-tested natively;
//! - `schema` and `storage`: the tables, and every statement over them:
//!   typed rows (`model`), guarded writes;
//! - `confirm`, `settle`, `aftersale`, `upkeep`: the shell around the
//!   rules, which reads rows, asks the keyring, budgets and issuer, and
//!   applies what the rules decided;
//! - `outbox`: signed events to the merchant, delivered until acknowledged.
//!
//! A Durable Object lets other requests in while it awaits I/O. So every
//! decision is taken and written in one synchronous stretch, and every
//! write after an await names the state it leaves (see `storage.rs`).
//!
//! The card reaches this object only as the keyring's opened plaintext, in
//! memory, and leaves it only towards the connector; the object stores the
//! card's brand, last four and keyed fingerprints, never its number or CVC.

use std::cell::Cell;

use shared::refusal::RefusalCode;
use shared::wire::{AttemptView, Payment};
use worker::{DurableObject, Env, Request, Response, Result, State, durable_object};

use crate::gateway::payment_command::{PAYMENT_COMMAND_BYTES_MAX, PaymentCommand};
use crate::http::now_ms;

mod aftersale;
mod confirm;
mod machine;
mod model;
mod outbox;
mod schema;
mod settle;
mod storage;
#[cfg(test)]
mod tests;
mod upkeep;

use storage::Storage;

#[durable_object]
pub struct PaymentObject {
    state: State,
    env: Env,
    /// Whether this instance has created its tables (once per instance).
    schema_ready: Cell<bool>,
}

/// A refusal as an HTTP answer.
fn refusal(code: RefusalCode) -> Response {
    crate::http::json(&machine::refusal_body(code), code.status())
}

impl PaymentObject {
    fn storage(&self) -> Result<Storage> {
        let storage = Storage::open(self.state.storage().sql(), !self.schema_ready.get())?;
        self.schema_ready.set(true);
        Ok(storage)
    }

    /// Makes sure the alarm runs by `due` (epoch ms).
    async fn wake_by(&self, due: i64) -> Result<()> {
        let storage = self.state.storage();
        match storage.get_alarm().await? {
            Some(existing) if existing <= due => Ok(()),
            _ => storage.set_alarm((due - now_ms()).max(0)).await,
        }
    }

    async fn run(&self, command: PaymentCommand) -> Result<Response> {
        let storage = self.storage()?;
        match command {
            PaymentCommand::Create { payment } => self.create(&storage, &payment),
            PaymentCommand::Get => Ok(match storage.payment()? {
                Some(payment) => crate::http::json(&payment, 200),
                None => refusal(RefusalCode::PaymentNotFound),
            }),
            PaymentCommand::Confirm {
                idempotency_key,
                request_id,
                body,
            } => {
                self.confirm(idempotency_key, &request_id, body.as_bytes())
                    .await
            }
            PaymentCommand::Capture => self.capture_by_merchant().await,
            PaymentCommand::Cancel => self.cancel().await,
            PaymentCommand::Refund {
                idempotency_key,
                body,
            } => self.refund(idempotency_key, body.as_bytes()).await,
            PaymentCommand::Attempts => {
                let views: Vec<AttemptView> = storage
                    .attempts()?
                    .iter()
                    .filter_map(machine::view_of)
                    .collect();
                Ok(crate::http::json(&views, 200))
            }
            PaymentCommand::Dump => Ok(crate::http::json(&storage.dump()?, 200)),
        }
    }

    fn create(&self, storage: &Storage, payment: &Payment) -> Result<Response> {
        match storage.payment()? {
            Some(existing) if existing == *payment => Ok(crate::http::json(&existing, 201)),
            // Ids are random: another payment under this one is a bug.
            Some(_) => {
                worker::console_error!("payment object: a different payment has this id");
                Ok(refusal(RefusalCode::InternalError))
            }
            None => {
                storage.insert_payment(payment)?;
                Ok(crate::http::json(payment, 201))
            }
        }
    }
}

impl DurableObject for PaymentObject {
    fn new(state: State, env: Env) -> Self {
        PaymentObject {
            state,
            env,
            schema_ready: Cell::new(false),
        }
    }

    async fn fetch(&self, mut request: Request) -> Result<Response> {
        let Ok(bytes) = crate::http::read_body(&mut request, PAYMENT_COMMAND_BYTES_MAX).await
        else {
            return Ok(refusal(RefusalCode::BodyTooLarge));
        };
        let Ok(command) = serde_json::from_slice::<PaymentCommand>(&bytes) else {
            return Ok(refusal(RefusalCode::InvalidBody));
        };
        match self.run(command).await {
            Ok(response) => Ok(response),
            Err(failure) => {
                worker::console_error!("payment object: {failure}");
                Ok(refusal(RefusalCode::InternalError))
            }
        }
    }

    async fn alarm(&self) -> Result<Response> {
        self.upkeep().await?;
        Response::ok("maintained")
    }
}
