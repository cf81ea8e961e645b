//! `BankLedger`: the Durable Object that is one bank. It answers the bank's
//! API (`wire.rs`) over the object's fetch, one request at a time for every
//! write: `ledger::apply` runs its checks and writes with no `await`
//! between them. Its alarm releases holds whose time is up.

use std::cell::Cell;

use serde::Serialize;
use serde::de::DeserializeOwned;
use shared::wire::ErrorBody;
use worker::{DurableObject, Env, Method, Request, Response, Result, State, durable_object};

use crate::bank::wire::{BANK_IDS, OpenAccount, TransferRequest};
use crate::bank::{demo, ledger};

/// The header through which callers name the bank this object is.
pub const BANK_ID_HEADER: &str = "x-bank-id";

/// The largest request body the ledger reads.
const LEDGER_BODY_BYTES_MAX: usize = 4096;

#[durable_object]
pub struct BankLedger {
    state: State,
    /// Whether this instance has made sure of the schema and demo accounts:
    /// checked once per instance, not on every request.
    prepared: Cell<bool>,
}

fn json<T: Serialize>(value: &T, status: u16) -> Result<Response> {
    Ok(crate::http::json(value, status))
}

fn error(status: u16, code: &str, message: &str) -> Result<Response> {
    Ok(crate::http::error_response(status, code, message))
}

async fn body<T: DeserializeOwned>(request: &mut Request) -> std::result::Result<T, Response> {
    let Ok(bytes) = crate::http::read_body(request, LEDGER_BODY_BYTES_MAX).await else {
        return Err(crate::http::json(
            &ErrorBody {
                code: "body_too_large".into(),
                message: "request body is too large".into(),
            },
            413,
        ));
    };
    serde_json::from_slice(&bytes).map_err(|_| {
        crate::http::json(
            &ErrorBody {
                code: "invalid_body".into(),
                message: "request body is not a valid ledger request".into(),
            },
            422,
        )
    })
}

/// The longest outage drill, in seconds.
const OUTAGE_SECONDS_MAX: u32 = 300;
/// Kept in whole seconds: a 13-digit millisecond count in a text column
/// would look like a card number to the storage scan.
const OUTAGE_UNTIL_KEY: &str = "outage_until_s";

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct OutageDrill {
    seconds: u32,
}

impl BankLedger {
    /// Whether an outage drill is running now.
    fn in_outage(&self, sql: &worker::SqlStorage) -> Result<bool> {
        let until_s = ledger::meta(sql, OUTAGE_UNTIL_KEY)?
            .and_then(|value| value.parse::<i64>().ok())
            .unwrap_or(0);
        Ok(crate::http::now_ms() < until_s.saturating_mul(1000))
    }

    /// Creates the schema and, once, the bank's demo accounts.
    fn prepare(&self, bank_id: &str) -> Result<()> {
        if self.prepared.get() {
            return Ok(());
        }
        let sql = self.state.storage().sql();
        ledger::create_schema(&sql)?;
        if ledger::meta(&sql, "bank_id")?.is_none() {
            for account in demo::accounts(bank_id) {
                // A demo account that cannot open is a bug in the seed data.
                if let Err(failure) = ledger::open_account(&sql, &account, crate::http::now_ms())? {
                    return Err(worker::Error::RustError(format!(
                        "demo account {} did not open: {}",
                        account.account_id,
                        failure.code()
                    )));
                }
            }
            ledger::set_meta(&sql, "bank_id", bank_id)?;
        }
        self.prepared.set(true);
        Ok(())
    }

    /// Points the alarm at the next hold expiry (or clears it).
    async fn schedule_expiry(&self) -> Result<()> {
        let sql = self.state.storage().sql();
        let storage = self.state.storage();
        match ledger::next_hold_expiry(&sql)? {
            Some(next) => {
                storage
                    .set_alarm((next - crate::http::now_ms()).max(0))
                    .await
            }
            None => storage.delete_alarm().await,
        }
    }

    async fn route(&self, mut request: Request) -> Result<Response> {
        let bank_id = request.headers().get(BANK_ID_HEADER)?.unwrap_or_default();
        if !BANK_IDS.contains(&bank_id.as_str()) {
            return error(404, "bank_not_found", "no such bank");
        }
        self.prepare(&bank_id)?;
        let sql = self.state.storage().sql();
        let path = request.path();
        let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        match (request.method(), segments.as_slice()) {
            (Method::Post, ["transfers"]) if self.in_outage(&sql)? => error(
                503,
                "bank_unavailable",
                "the bank is not answering (an operator's outage drill)",
            ),
            (Method::Post, ["transfers"]) => {
                let transfer: TransferRequest = match body(&mut request).await {
                    Ok(transfer) => transfer,
                    Err(response) => return Ok(response),
                };
                let outcome = ledger::apply(&sql, &transfer, crate::http::now_ms())?;
                self.schedule_expiry().await?;
                json(&outcome, 200)
            }
            (Method::Post, ["accounts"]) => {
                let open: OpenAccount = match body(&mut request).await {
                    Ok(open) => open,
                    Err(response) => return Ok(response),
                };
                match ledger::open_account(&sql, &open, crate::http::now_ms())? {
                    Ok(balance) => json(&balance, 200),
                    Err(failure) => error(
                        422,
                        failure.code(),
                        "the account cannot be opened on these terms",
                    ),
                }
            }
            (Method::Get, ["accounts", account_id]) => match ledger::balance(&sql, account_id)? {
                Some(balance) => json(&balance, 200),
                None => error(404, "account_not_found", "no such account"),
            },
            // Operator: stop answering transfers for a while (a drill of
            // what callers do when a bank does not answer).
            (Method::Post, ["outage"]) => {
                let drill: OutageDrill = match body(&mut request).await {
                    Ok(drill) => drill,
                    Err(response) => return Ok(response),
                };
                let seconds = drill.seconds.min(OUTAGE_SECONDS_MAX);
                // Rounded up to the next whole second.
                let until_s = (crate::http::now_ms() + 999) / 1000 + i64::from(seconds);
                ledger::set_meta(&sql, OUTAGE_UNTIL_KEY, &until_s.to_string())?;
                json(&serde_json::json!({ "outage_until_s": until_s }), 200)
            }
            (Method::Get, ["invariants"]) => json(&ledger::check_invariants(&sql)?, 200),
            (Method::Get, ["dump"]) => json(&ledger::dump(&sql)?, 200),
            _ => error(404, "route_not_found", "no such ledger route"),
        }
    }
}

impl DurableObject for BankLedger {
    fn new(state: State, _env: Env) -> Self {
        BankLedger {
            state,
            prepared: Cell::new(false),
        }
    }

    async fn fetch(&self, request: Request) -> Result<Response> {
        match self.route(request).await {
            Ok(response) => Ok(response),
            Err(failure) => {
                worker::console_error!("bank ledger: {failure}");
                error(500, "internal_error", "internal error")
            }
        }
    }

    async fn alarm(&self) -> Result<Response> {
        let sql = self.state.storage().sql();
        ledger::create_schema(&sql)?;
        let expired = ledger::expire_due_holds(&sql, crate::http::now_ms())?;
        self.schedule_expiry().await?;
        Response::ok(format!("expired {expired} holds"))
    }
}
