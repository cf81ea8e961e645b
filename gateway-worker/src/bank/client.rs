//! How other parties reach a bank: a call to the ledger shard that keeps
//! the account a request is about (`shards.rs`), with the bank's own wire
//! types. This is the only code that builds requests to a bank, so a bank
//! reached over the network instead would change here. The operator's
//! bank-wide views (invariants over every shard, storage dumps, the balance
//! of the bank's own accounts) are put together here too.

use serde::Serialize;
use worker::wasm_bindgen::JsValue;
use worker::{Env, Headers, Method, Request, RequestInit, Response};

use crate::bank::bank_ledger::{BANK_ID_HEADER, BANK_SHARD_HEADER};
use crate::bank::shards::{self, BANK_SHARDS, is_bank_own, shard_of};
use crate::bank::wire::{LegAnswer, TransferOutcome, TransferRequest};
use crate::error::ApiError;

/// The Durable Object binding of the banks' ledger shards.
const BANK_LEDGER_BINDING: &str = "BANK_LEDGER";

/// The shard a request about `account_id` goes to. The bank's own
/// accounts are on every shard; a request naming only those goes to the
/// first (where it is refused or answered like on any other).
fn home_shard(account_id: &str) -> u32 {
    if is_bank_own(account_id) {
        0
    } else {
        shard_of(account_id)
    }
}

/// Sends one request to shard `shard` of bank `bank_id` and returns its
/// answer as it is.
pub async fn shard_call(
    env: &Env,
    bank_id: &str,
    shard: u32,
    method: Method,
    path: &str,
    body: Option<String>,
) -> Result<Response, ApiError> {
    shards::is_bank(bank_id)?;
    if shard >= BANK_SHARDS {
        return Err(ApiError::not_found("bank_not_found", "no such bank"));
    }
    crate::meter::count("do.BankLedger");
    let stub = env
        .durable_object(BANK_LEDGER_BINDING)?
        .id_from_name(&shards::object_name(bank_id, shard))?
        .get_stub()?;
    let headers = Headers::new();
    headers.set(BANK_ID_HEADER, bank_id)?;
    headers.set(BANK_SHARD_HEADER, &shard.to_string())?;
    headers.set("content-type", "application/json")?;
    let mut init = RequestInit::new();
    init.with_method(method).with_headers(headers);
    if let Some(body) = body {
        init.with_body(Some(JsValue::from_str(&body)));
    }
    let request = Request::new_with_init(&format!("https://bank.internal{path}"), &init)?;
    Ok(stub.fetch_with_request(request).await?)
}

/// Applies a transfer at a bank, on the shard of its account, and reads
/// its outcome. `Ok(None)` means the bank did not answer (or is deciding
/// it with another shard right now): the outcome is unknown, and asking
/// again with the same transfer id later finds it out without doubling
/// anything.
pub async fn transfer(
    env: &Env,
    bank_id: &str,
    transfer: &TransferRequest,
) -> Result<Option<TransferOutcome>, ApiError> {
    let body = serde_json::to_string(transfer).map_err(ApiError::internal)?;
    let shard = home_shard(transfer.home_account());
    let Ok(mut response) =
        shard_call(env, bank_id, shard, Method::Post, "/transfers", Some(body)).await
    else {
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

/// One shard asks another about a leg of a movement (`/legs/prepare`,
/// `/legs/commit`, `/legs/abort`); `None` when it did not answer.
pub async fn leg_call<T: Serialize>(
    env: &Env,
    bank_id: &str,
    shard: u32,
    path: &str,
    body: &T,
) -> Option<LegAnswer> {
    let body = serde_json::to_string(body).ok()?;
    let mut response = shard_call(env, bank_id, shard, Method::Post, path, Some(body))
        .await
        .ok()?;
    if response.status_code() != 200 {
        return None;
    }
    response.json::<LegAnswer>().await.ok()
}

#[cfg(feature = "operator")]
pub use operator::operator;

#[cfg(feature = "operator")]
mod operator {
    use std::collections::BTreeMap;

    use worker::{Env, Method, Response};

    use super::{home_shard, shard_call};
    use crate::bank::bank_ledger::{OutageDrill, Refuses};
    use crate::bank::shards::{BANK_SHARDS, is_bank_own};
    use crate::bank::wire::{AccountBalance, InvariantReport, OpenAccount, ShardReport};
    use crate::error::ApiError;

    /// An outage drill as the operator asks for it: every shard, or one.
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct OperatorDrill {
        seconds: u32,
        #[serde(default)]
        shard: Option<u32>,
        #[serde(default)]
        refuses: Option<Refuses>,
    }

    /// The operator's bank routes (`/api/operator/banks/{bank}/...`), each
    /// sent to the shard it concerns or put together from all of them.
    pub async fn operator(
        env: &Env,
        bank_id: &str,
        method: Method,
        rest: &[&str],
        body: Option<String>,
    ) -> Result<Response, ApiError> {
        let text = body.as_deref().unwrap_or_default();
        match (method.clone(), rest) {
            (Method::Post, ["accounts"]) => {
                let shard = serde_json::from_str::<OpenAccount>(text)
                    .map_or(0, |open| home_shard(&open.account_id));
                shard_call(env, bank_id, shard, method, "/accounts", body).await
            }
            (Method::Post, ["transfers"]) => {
                let shard = serde_json::from_str::<crate::bank::wire::TransferRequest>(text)
                    .map_or(0, |transfer| home_shard(transfer.home_account()));
                shard_call(env, bank_id, shard, method, "/transfers", body).await
            }
            (Method::Get, ["accounts", account_id]) if is_bank_own(account_id) => {
                own_balance(env, bank_id, account_id).await
            }
            (Method::Get, ["accounts", account_id]) => {
                let path = format!("/accounts/{account_id}");
                shard_call(env, bank_id, home_shard(account_id), method, &path, None).await
            }
            (Method::Get, ["invariants"]) => invariants(env, bank_id).await,
            (Method::Get, ["dump"]) => dump(env, bank_id).await,
            (Method::Post, ["outage"]) => outage(env, bank_id, text).await,
            _ => Err(ApiError::RouteNotFound),
        }
    }

    /// Every shard's answer to `GET path`, as JSON.
    async fn from_every_shard<T: serde::de::DeserializeOwned>(
        env: &Env,
        bank_id: &str,
        path: &str,
    ) -> Result<Vec<(u32, Option<T>)>, ApiError> {
        crate::bank::shards::is_bank(bank_id)?;
        let calls = (0..BANK_SHARDS).map(|shard| async move {
            // A shard that does not answer, or answers otherwise, is `None`.
            let Ok(mut answer) = shard_call(env, bank_id, shard, Method::Get, path, None).await
            else {
                return (shard, None);
            };
            if answer.status_code() != 200 {
                return (shard, None);
            }
            (shard, answer.json::<T>().await.ok())
        });
        Ok(futures_util::future::join_all(calls).await)
    }

    /// One of the bank's own accounts: the sum of its copies.
    async fn own_balance(env: &Env, bank_id: &str, account_id: &str) -> Result<Response, ApiError> {
        let path = format!("/accounts/{account_id}");
        let copies: Vec<AccountBalance> = from_every_shard(env, bank_id, &path)
            .await?
            .into_iter()
            .filter_map(|(_, balance)| balance)
            .collect();
        let Some(first) = copies.first().cloned() else {
            return Err(ApiError::not_found("account_not_found", "no such account"));
        };
        let mut total = AccountBalance {
            debits_pending_minor: 0,
            debits_posted_minor: 0,
            credits_pending_minor: 0,
            credits_posted_minor: 0,
            available_minor: 0,
            shard: BANK_SHARDS,
            ..first
        };
        for copy in &copies {
            total.debits_pending_minor += copy.debits_pending_minor;
            total.debits_posted_minor += copy.debits_posted_minor;
            total.credits_pending_minor += copy.credits_pending_minor;
            total.credits_posted_minor += copy.credits_posted_minor;
            total.available_minor += copy.available_minor;
        }
        Ok(crate::http::json(&total, 200))
    }

    /// How many times the bank-wide check reads every shard before it
    /// reports what it found, and the pause between reads. The shards are
    /// read at slightly different moments, so a movement decided between
    /// two reads can look broken once; a real break looks broken every time.
    const INVARIANT_READS_MAX: u32 = 5;
    const INVARIANT_REREAD_PAUSE: std::time::Duration = std::time::Duration::from_millis(100);

    /// The bank-wide check: reported clean as soon as one reading of every
    /// shard is, or with what the last of `INVARIANT_READS_MAX` readings
    /// found.
    async fn invariants(env: &Env, bank_id: &str) -> Result<Response, ApiError> {
        let mut report = check_once(env, bank_id).await?;
        for _ in 1..INVARIANT_READS_MAX {
            if report.ok {
                break;
            }
            worker::Delay::from(INVARIANT_REREAD_PAUSE).await;
            report = check_once(env, bank_id).await?;
        }
        Ok(crate::http::json(&report, 200))
    }

    /// Every shard checks itself; across shards, every movement is all or
    /// nothing: the transit accounts sum to what is committed and not yet
    /// posted on the other shard, a committed movement's leg is prepared or
    /// posted (never aborted or missing) and posted once acknowledged, no
    /// acknowledged abort has a leg left, and no leg is posted without a
    /// commit.
    async fn check_once(env: &Env, bank_id: &str) -> Result<InvariantReport, ApiError> {
        let reports: Vec<(u32, Option<ShardReport>)> =
            from_every_shard(env, bank_id, "/invariants").await?;
        let mut total = InvariantReport {
            ok: true,
            violations: Vec::new(),
            accounts: 0,
            transfers: 0,
            entries: 0,
            in_flight_minor: BTreeMap::new(),
        };
        let mut transit: BTreeMap<String, i64> = BTreeMap::new();
        let mut legs: BTreeMap<String, String> = BTreeMap::new();
        let mut movements = Vec::new();
        for (shard, report) in reports {
            let Some(report) = report else {
                total
                    .violations
                    .push(format!("shard {shard} did not answer"));
                continue;
            };
            total.violations.extend(
                report
                    .report
                    .violations
                    .iter()
                    .map(|violation| format!("shard {shard}: {violation}")),
            );
            total.accounts += report.report.accounts;
            total.transfers += report.report.transfers;
            total.entries += report.report.entries;
            for (currency, net) in report.transit_net_minor {
                *transit.entry(currency).or_default() += net;
            }
            legs.extend(report.legs);
            movements.extend(report.movements);
        }
        for movement in &movements {
            let leg = legs.get(&movement.movement_id).map(String::as_str);
            let posted = leg == Some("committed");
            if movement.state == "committed" && !matches!(leg, Some("prepared" | "committed")) {
                total.violations.push(format!(
                    "movement {} is committed but its leg is {}",
                    movement.movement_id,
                    leg.unwrap_or("missing")
                ));
            }
            match (movement.state.as_str(), movement.acked, posted) {
                ("committed", _, false) => {
                    *total
                        .in_flight_minor
                        .entry(movement.currency.clone())
                        .or_default() += movement.transit_minor;
                    if movement.acked {
                        total.violations.push(format!(
                            "movement {} is acknowledged committed but its leg is not posted",
                            movement.movement_id
                        ));
                    }
                }
                ("aborted", true, _) if matches!(leg, Some("committed" | "prepared")) => {
                    total.violations.push(format!(
                        "movement {} is acknowledged aborted but its leg is {}",
                        movement.movement_id,
                        leg.unwrap_or_default()
                    ));
                }
                _ => {}
            }
        }
        let committed: std::collections::BTreeSet<&str> = movements
            .iter()
            .filter(|movement| movement.state == "committed")
            .map(|movement| movement.movement_id.as_str())
            .collect();
        for (movement_id, state) in &legs {
            if state == "committed" && !committed.contains(movement_id.as_str()) {
                total
                    .violations
                    .push(format!("leg {movement_id} is posted without a commit"));
            }
        }
        let currencies: std::collections::BTreeSet<&String> =
            transit.keys().chain(total.in_flight_minor.keys()).collect();
        for currency in currencies {
            let net = transit.get(currency).copied().unwrap_or(0);
            let in_flight = total.in_flight_minor.get(currency).copied().unwrap_or(0);
            if net != in_flight {
                total.violations.push(format!(
                    "transit accounts of {currency} sum to {net}, but {in_flight} is between shards"
                ));
            }
        }
        total.ok = total.violations.is_empty();
        Ok(total)
    }

    /// Every shard's tables, concatenated.
    async fn dump(env: &Env, bank_id: &str) -> Result<Response, ApiError> {
        let dumps: Vec<(u32, Option<serde_json::Value>)> =
            from_every_shard(env, bank_id, "/dump").await?;
        let mut tables = serde_json::Map::new();
        for (shard, dump) in dumps {
            let Some(serde_json::Value::Object(dump)) = dump else {
                return Err(ApiError::internal(format!("shard {shard} did not dump")));
            };
            for (table, rows) in dump {
                let serde_json::Value::Array(rows) = rows else {
                    continue;
                };
                if let serde_json::Value::Array(all) = tables
                    .entry(table)
                    .or_insert_with(|| serde_json::Value::Array(Vec::new()))
                {
                    all.extend(rows);
                }
            }
        }
        Ok(crate::http::json(&tables, 200))
    }

    /// An outage drill on every shard of the bank, or on one.
    async fn outage(env: &Env, bank_id: &str, text: &str) -> Result<Response, ApiError> {
        let drill: OperatorDrill = serde_json::from_str(text).map_err(|_| {
            ApiError::unprocessable("invalid_body", "request body is not an outage drill")
        })?;
        let shards: Vec<u32> = match drill.shard {
            Some(shard) if shard < BANK_SHARDS => vec![shard],
            Some(_) => {
                return Err(ApiError::unprocessable(
                    "invalid_body",
                    "no such shard of the bank",
                ));
            }
            None => (0..BANK_SHARDS).collect(),
        };
        let body = serde_json::to_string(&OutageDrill {
            seconds: drill.seconds,
            refuses: drill.refuses.unwrap_or(Refuses::All),
        })
        .map_err(ApiError::internal)?;
        let mut last = None;
        for shard in shards {
            let answer = shard_call(
                env,
                bank_id,
                shard,
                Method::Post,
                "/outage",
                Some(body.clone()),
            )
            .await?;
            last = Some(answer);
        }
        last.ok_or_else(|| ApiError::internal("no shard answered the drill"))
    }
}
