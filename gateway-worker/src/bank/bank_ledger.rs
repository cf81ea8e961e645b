//! `BankLedger`: the Durable Object that is one shard of one bank
//! (`<bank>/<shard>`, see `shards.rs`). It answers the bank's API
//! (`wire.rs`) for the accounts it keeps over the object's fetch: every
//! write runs its checks and writes with no `await` between them
//! (`ledger::apply`). A capture or refund whose other account is on
//! another shard awaits that shard between its two phases
//! (`ledger/movements.rs`); the alarm releases holds whose time is up and
//! sends the decisions other shards have not acknowledged.

use std::cell::{Cell, RefCell};

use serde::Serialize;
use serde::de::DeserializeOwned;
use shared::wire::ErrorBody;
use worker::{DurableObject, Env, Method, Request, Response, Result, State, durable_object};

use crate::bank::ledger::{self, Applied, Due, Finished, Opener};
use crate::bank::shards::{BANK_SHARDS, shard_of};
use crate::bank::wire::{
    AccountKind, BANK_IDS, LegAnswer, LegDecision, LegPrepare, OpenAccount, TransferRequest,
};
use crate::bank::{client, demo};

/// The headers through which callers name the bank and the shard this
/// object is.
pub const BANK_ID_HEADER: &str = "x-bank-id";
pub const BANK_SHARD_HEADER: &str = "x-bank-shard";

/// The largest request body the ledger reads.
const LEDGER_BODY_BYTES_MAX: usize = 4096;

#[durable_object]
pub struct BankLedger {
    state: State,
    env: Env,
    /// Whether this instance has made sure of the schema and demo accounts:
    /// checked once per instance, not on every request.
    prepared: Cell<bool>,
    /// The bank and shard this object is, as first recorded.
    identity: RefCell<Option<(String, u32)>>,
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

/// What an outage drill refuses: every transfer and leg (`all`), or only
/// the second phase of movements from other shards (`commits`: a shard
/// that stops answering between the two phases).
#[derive(Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Refuses {
    All,
    Commits,
}

impl Refuses {
    fn code(self) -> &'static str {
        match self {
            Refuses::All => "all",
            Refuses::Commits => "commits",
        }
    }
}

const OUTAGE_REFUSES_KEY: &str = "outage_refuses";

/// An outage drill, as one shard receives it.
#[derive(serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct OutageDrill {
    pub seconds: u32,
    pub refuses: Refuses,
}

/// The request kinds an outage may refuse.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Asked {
    Transfer,
    Prepare,
    Decision,
}

impl BankLedger {
    /// Whether an outage drill refuses `asked` now.
    fn refuses(&self, sql: &worker::SqlStorage, asked: Asked) -> Result<bool> {
        let until_s = ledger::meta(sql, OUTAGE_UNTIL_KEY)?
            .and_then(|value| value.parse::<i64>().ok())
            .unwrap_or(0);
        if crate::http::now_ms() >= until_s.saturating_mul(1000) {
            return Ok(false);
        }
        let scope = ledger::meta(sql, OUTAGE_REFUSES_KEY)?;
        Ok(scope.as_deref() != Some(Refuses::Commits.code()) || asked == Asked::Decision)
    }

    /// Creates the schema and, once, this shard's demo accounts: the
    /// bank's own on every shard, each customer's on its own shard.
    fn prepare(&self, bank_id: &str, shard: u32) -> Result<()> {
        if self.prepared.get() {
            return Ok(());
        }
        let sql = self.state.storage().sql();
        ledger::create_schema(&sql)?;
        if ledger::meta(&sql, "bank_id")?.is_none() {
            let now = crate::http::now_ms();
            for account in demo::accounts(bank_id) {
                let opener = if account.kind == AccountKind::Internal {
                    Opener::Bank
                } else if shard_of(&account.account_id) == shard {
                    Opener::Customer
                } else {
                    continue;
                };
                // A demo account that cannot open is a bug in the seed data.
                if let Err(failure) = ledger::open_account(&sql, &account, now, shard, opener)? {
                    return Err(worker::Error::RustError(format!(
                        "demo account {} did not open: {}",
                        account.account_id,
                        failure.code()
                    )));
                }
            }
            ledger::set_meta(&sql, "shard", &shard.to_string())?;
            ledger::set_meta(&sql, "bank_id", bank_id)?;
        }
        let recorded_shard = ledger::meta(&sql, "shard")?.and_then(|text| text.parse().ok());
        let identity = ledger::meta(&sql, "bank_id")?.zip(recorded_shard);
        self.identity.replace(identity);
        self.prepared.set(true);
        Ok(())
    }

    /// Points the alarm at the next hold expiry or owed decision, whichever
    /// comes first (or clears it).
    async fn schedule(&self) -> Result<()> {
        let sql = self.state.storage().sql();
        let storage = self.state.storage();
        let next = [
            ledger::next_hold_expiry(&sql)?,
            ledger::next_decision(&sql)?,
        ]
        .into_iter()
        .flatten()
        .min();
        match next {
            Some(next) => {
                storage
                    .set_alarm((next - crate::http::now_ms()).max(0))
                    .await
            }
            None => storage.delete_alarm().await,
        }
    }

    /// Sends a decision the shard owes another one, and records the answer.
    async fn send_decision(&self, bank_id: &str, due: &Due) -> Result<()> {
        let path = if due.commit {
            "/legs/commit"
        } else {
            "/legs/abort"
        };
        let decision = LegDecision {
            movement_id: due.movement_id.clone(),
        };
        let answer = client::leg_call(&self.env, bank_id, due.shard, path, &decision).await;
        let sql = self.state.storage().sql();
        ledger::decision_answered(&sql, due, answer.as_ref(), crate::http::now_ms())
    }

    /// A transfer; one whose other account is on another shard goes
    /// through both phases before it is answered.
    async fn transfer(
        &self,
        bank_id: &str,
        shard: u32,
        transfer: &TransferRequest,
    ) -> Result<Response> {
        let sql = self.state.storage().sql();
        let applied = ledger::apply(&sql, transfer, crate::http::now_ms(), shard)?;
        let response = match applied {
            Applied::Done(outcome) => json(&outcome, 200),
            Applied::Busy => error(
                503,
                "transfer_in_progress",
                "this hold or transfer is being decided right now; ask again shortly",
            ),
            Applied::Begun(begun) => {
                // The alarm is armed before the await: if this request
                // dies between the phases, the alarm aborts the movement.
                self.schedule().await?;
                let answer: Option<LegAnswer> =
                    client::leg_call(&self.env, bank_id, begun.shard, "/legs/prepare", &begun.leg)
                        .await;
                let sql = self.state.storage().sql();
                match ledger::finish_movement(
                    &sql,
                    &begun.movement_id,
                    answer,
                    crate::http::now_ms(),
                )? {
                    Finished::Done { outcome, commit } => {
                        if let Some(due) = commit {
                            self.send_decision(bank_id, &due).await?;
                        }
                        json(&outcome, 200)
                    }
                    Finished::Unavailable => error(
                        503,
                        "bank_unavailable",
                        "part of the bank did not answer; nothing moved, ask again",
                    ),
                }
            }
        };
        self.schedule().await?;
        response
    }

    async fn route(&self, mut request: Request) -> Result<Response> {
        let bank_id = request.headers().get(BANK_ID_HEADER)?.unwrap_or_default();
        let shard = request
            .headers()
            .get(BANK_SHARD_HEADER)?
            .and_then(|text| text.parse::<u32>().ok())
            .filter(|shard| *shard < BANK_SHARDS);
        let (true, Some(shard)) = (BANK_IDS.contains(&bank_id.as_str()), shard) else {
            return error(404, "bank_not_found", "no such bank");
        };
        self.prepare(&bank_id, shard)?;
        let sql = self.state.storage().sql();
        // An object is one shard of one bank for good: a request naming
        // another is refused rather than served from the wrong ledger.
        if self.identity.borrow().as_ref() != Some(&(bank_id.clone(), shard)) {
            return error(404, "bank_not_found", "no such bank");
        }
        let path = request.path();
        let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        let unavailable = || {
            error(
                503,
                "bank_unavailable",
                "the bank is not answering (an operator's outage drill)",
            )
        };
        match (request.method(), segments.as_slice()) {
            (Method::Post, ["transfers"]) if self.refuses(&sql, Asked::Transfer)? => unavailable(),
            (Method::Post, ["transfers"]) => {
                let transfer: TransferRequest = match body(&mut request).await {
                    Ok(transfer) => transfer,
                    Err(response) => return Ok(response),
                };
                self.transfer(&bank_id, shard, &transfer).await
            }
            // Another shard's movement: phase one, then its decision.
            (Method::Post, ["legs", "prepare"]) if self.refuses(&sql, Asked::Prepare)? => {
                unavailable()
            }
            (Method::Post, ["legs", "prepare"]) => {
                let leg: LegPrepare = match body(&mut request).await {
                    Ok(leg) => leg,
                    Err(response) => return Ok(response),
                };
                json(
                    &ledger::prepare_leg(&sql, &leg, shard, crate::http::now_ms())?,
                    200,
                )
            }
            (Method::Post, ["legs", _]) if self.refuses(&sql, Asked::Decision)? => unavailable(),
            (Method::Post, ["legs", decided @ ("commit" | "abort")]) => {
                let decision: LegDecision = match body(&mut request).await {
                    Ok(decision) => decision,
                    Err(response) => return Ok(response),
                };
                let now = crate::http::now_ms();
                if *decided == "abort" {
                    return json(&ledger::abort_leg(&sql, &decision, now)?, 200);
                }
                match ledger::commit_leg(&sql, &decision, now)? {
                    Some(answer) => json(&answer, 200),
                    None => error(404, "leg_not_found", "no such prepared leg"),
                }
            }
            (Method::Post, ["accounts"]) => {
                let open: OpenAccount = match body(&mut request).await {
                    Ok(open) => open,
                    Err(response) => return Ok(response),
                };
                let now = crate::http::now_ms();
                match ledger::open_account(&sql, &open, now, shard, Opener::Customer)? {
                    Ok(balance) => json(&balance, 200),
                    Err(failure) => error(
                        422,
                        failure.code(),
                        "the account cannot be opened on these terms",
                    ),
                }
            }
            (Method::Get, ["accounts", account_id]) => {
                match ledger::balance(&sql, account_id, shard)? {
                    Some(balance) => json(&balance, 200),
                    None => error(404, "account_not_found", "no such account"),
                }
            }
            // Operator: stop answering for a while (a drill of what
            // callers do when a bank, or part of it, does not answer).
            (Method::Post, ["outage"]) => {
                let drill: OutageDrill = match body(&mut request).await {
                    Ok(drill) => drill,
                    Err(response) => return Ok(response),
                };
                let seconds = drill.seconds.min(OUTAGE_SECONDS_MAX);
                // Rounded up to the next whole second.
                let until_s = (crate::http::now_ms() + 999) / 1000 + i64::from(seconds);
                ledger::set_meta(&sql, OUTAGE_REFUSES_KEY, drill.refuses.code())?;
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
    fn new(state: State, env: Env) -> Self {
        BankLedger {
            state,
            env,
            prepared: Cell::new(false),
            identity: RefCell::new(None),
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
        let now = crate::http::now_ms();
        let expired = ledger::expire_due_holds(&sql, now)?;
        let bank_id = ledger::meta(&sql, "bank_id")?.unwrap_or_default();
        let due = ledger::due_decisions(&sql, now)?;
        for owed in &due {
            self.send_decision(&bank_id, owed).await?;
        }
        self.schedule().await?;
        Response::ok(format!(
            "expired {expired} holds, sent {} decisions",
            due.len()
        ))
    }
}
