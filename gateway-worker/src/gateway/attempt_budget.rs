//! `AttemptBudget`: one SQLite-backed Durable Object per budget subject (a
//! card's keyed fingerprint, a shopper address's keyed fingerprint), the
//! place that serialises every attempt counted against that subject.
//!
//! Before the issuer is asked, an attempt reserves a slot (its issuer
//! reference) in each budget it falls under. The check and the write run in
//! one synchronous stretch of one object, so N attempts started together
//! are counted one after another and never put more than `max` in front of
//! the issuer. A slot in flight counts; a decline keeps counting for the
//! budget's window; an approval, or a refusal before the issuer was asked,
//! gives the slot back, so a card that pays often is never throttled.
//!
//! The card's budget also remembers which declines were failed security
//! checks (wrong expiry or CVC) for a day, so the gateway can tell the
//! shopper the plain reason for the first one only.

use std::cell::Cell;

use serde::{Deserialize, Serialize};
use worker::{
    DurableObject, Env, Method, Request, RequestInit, Response, Result, SqlStorageValue, State,
    durable_object,
};

use crate::error::ApiError;
use crate::http::now_ms;

const ATTEMPT_BUDGET_BINDING: &str = "ATTEMPT_BUDGET";

/// A slot still in flight after this long belongs to an attempt whose
/// payment object gave up on it (it settles or reverses every attempt
/// within `payment_object::machine::AUTHORIZATION_GIVE_UP_MS`); it stops
/// counting.
const IN_FLIGHT_MS_MAX: i64 = 2 * 60 * 60 * 1000;

/// How long a decline is remembered: the longest window any budget counts
/// over, and the day over which failed security checks are counted.
const DECLINE_MEMORY_MS: i64 = 24 * 60 * 60 * 1000;

/// How often the alarm forgets what aged out, while anything is left.
const PRUNE_EVERY_MS: i64 = 60 * 60 * 1000;

/// The largest command body.
const BUDGET_BODY_BYTES_MAX: usize = 1024;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS slots (
    slot TEXT PRIMARY KEY,
    state TEXT NOT NULL CHECK (state IN ('in_flight', 'declined')),
    security_check INTEGER NOT NULL DEFAULT 0,
    at_ms INTEGER NOT NULL
) STRICT;
";

/// What a payment object asks of a budget.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case", deny_unknown_fields)]
pub enum BudgetCommand {
    /// Takes `slot` if fewer than `max` slots are in flight or declined
    /// within `window_ms`; taking a slot already held succeeds again.
    Reserve {
        slot: String,
        max: u32,
        window_ms: i64,
    },
    /// Gives `slot` back (approved, or never sent to the issuer).
    Release { slot: String },
    /// Marks `slot` declined now (it keeps counting for the window).
    Decline { slot: String, security_check: bool },
}

#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize)]
pub struct BudgetAnswer {
    pub reserved: bool,
    /// On a decline: failed security checks this subject had in the last
    /// day before this one.
    pub prior_security_declines: u32,
}

#[durable_object]
pub struct AttemptBudget {
    state: State,
    schema_ready: Cell<bool>,
}

#[derive(Deserialize)]
struct Count {
    count: i64,
}

impl AttemptBudget {
    fn sql(&self) -> Result<worker::SqlStorage> {
        let sql = self.state.storage().sql();
        if !self.schema_ready.get() {
            sql.exec(SCHEMA, None)?;
            self.schema_ready.set(true);
        }
        Ok(sql)
    }

    fn count(&self, query: &str, values: Vec<SqlStorageValue>) -> Result<i64> {
        let rows: Vec<Count> = self.sql()?.exec(query, Some(values))?.to_array()?;
        Ok(rows.first().map_or(0, |row| row.count))
    }

    /// The whole command, with no await: one step no other command of this
    /// subject can interleave with.
    fn apply(&self, command: &BudgetCommand, now: i64) -> Result<BudgetAnswer> {
        let sql = self.sql()?;
        match command {
            BudgetCommand::Reserve {
                slot,
                max,
                window_ms,
            } => {
                let held = self.count(
                    "SELECT COUNT(*) AS count FROM slots WHERE slot = ?",
                    vec![slot.clone().into()],
                )?;
                if held > 0 {
                    return Ok(BudgetAnswer {
                        reserved: true,
                        ..BudgetAnswer::default()
                    });
                }
                let used = self.count(
                    "SELECT COUNT(*) AS count FROM slots
                     WHERE (state = 'in_flight' AND at_ms > ?) OR (state = 'declined' AND at_ms > ?)",
                    vec![
                        SqlStorageValue::Integer(now - IN_FLIGHT_MS_MAX),
                        SqlStorageValue::Integer(now - window_ms),
                    ],
                )?;
                if used >= i64::from(*max) {
                    return Ok(BudgetAnswer::default());
                }
                sql.exec(
                    "INSERT INTO slots (slot, state, at_ms) VALUES (?, 'in_flight', ?)",
                    Some(vec![slot.clone().into(), SqlStorageValue::Integer(now)]),
                )?;
                Ok(BudgetAnswer {
                    reserved: true,
                    ..BudgetAnswer::default()
                })
            }
            BudgetCommand::Release { slot } => {
                sql.exec(
                    "DELETE FROM slots WHERE slot = ? AND state = 'in_flight'",
                    Some(vec![slot.clone().into()]),
                )?;
                Ok(BudgetAnswer::default())
            }
            BudgetCommand::Decline {
                slot,
                security_check,
            } => {
                let prior = self.count(
                    "SELECT COUNT(*) AS count FROM slots
                     WHERE security_check = 1 AND state = 'declined' AND at_ms > ? AND slot != ?",
                    vec![
                        SqlStorageValue::Integer(now - DECLINE_MEMORY_MS),
                        slot.clone().into(),
                    ],
                )?;
                sql.exec(
                    "INSERT INTO slots (slot, state, security_check, at_ms) VALUES (?, 'declined', ?, ?)
                     ON CONFLICT (slot) DO UPDATE SET state = 'declined',
                         security_check = excluded.security_check, at_ms = excluded.at_ms",
                    Some(vec![
                        slot.clone().into(),
                        SqlStorageValue::Integer(i64::from(*security_check)),
                        SqlStorageValue::Integer(now),
                    ]),
                )?;
                Ok(BudgetAnswer {
                    reserved: false,
                    prior_security_declines: u32::try_from(prior).unwrap_or(u32::MAX),
                })
            }
        }
    }
}

impl DurableObject for AttemptBudget {
    fn new(state: State, _env: Env) -> Self {
        AttemptBudget {
            state,
            schema_ready: Cell::new(false),
        }
    }

    async fn fetch(&self, mut request: Request) -> Result<Response> {
        let bytes = crate::http::read_body(&mut request, BUDGET_BODY_BYTES_MAX)
            .await
            .unwrap_or_default();
        let command = match serde_json::from_slice::<BudgetCommand>(&bytes) {
            Ok(command) => command,
            _ => {
                return Ok(crate::http::error_response(
                    422,
                    "invalid_body",
                    "not a budget command",
                ));
            }
        };
        let answer = self.apply(&command, now_ms())?;
        if self.state.storage().get_alarm().await?.is_none() {
            self.state.storage().set_alarm(PRUNE_EVERY_MS).await?;
        }
        Ok(crate::http::json(&answer, 200))
    }

    async fn alarm(&self) -> Result<Response> {
        let now = now_ms();
        let sql = self.sql()?;
        sql.exec(
            "DELETE FROM slots WHERE (state = 'declined' AND at_ms <= ?) OR (state = 'in_flight' AND at_ms <= ?)",
            Some(vec![
                SqlStorageValue::Integer(now - DECLINE_MEMORY_MS),
                SqlStorageValue::Integer(now - IN_FLIGHT_MS_MAX),
            ]),
        )?;
        if self.count("SELECT COUNT(*) AS count FROM slots", vec![])? > 0 {
            self.state.storage().set_alarm(PRUNE_EVERY_MS).await?;
        }
        Response::ok("pruned")
    }
}

/// Sends `command` to the budget of `subject` (`card:<fingerprint>` or
/// `address:<fingerprint>`).
pub async fn send(
    env: &Env,
    subject: &str,
    command: &BudgetCommand,
) -> std::result::Result<BudgetAnswer, ApiError> {
    crate::meter::count("do.AttemptBudget");
    let stub = env
        .durable_object(ATTEMPT_BUDGET_BINDING)?
        .id_from_name(subject)?
        .get_stub()?;
    let body = serde_json::to_string(command).map_err(ApiError::internal)?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_body(Some(worker::wasm_bindgen::JsValue::from_str(&body)));
    let request = Request::new_with_init("https://budget.internal/", &init)?;
    let mut answer = stub.fetch_with_request(request).await?;
    if answer.status_code() != 200 {
        return Err(ApiError::internal(format!(
            "attempt budget answered {}",
            answer.status_code()
        )));
    }
    answer.json().await.map_err(ApiError::internal)
}
