//! The bank's ledger rules and all of its SQL. Every function here is
//! synchronous: inside a Durable Object a run of `sql.exec` calls with no
//! `await` between them commits as one unit, so each transfer does every
//! check first and then all of its writes, and nothing else runs between.
//!
//! Double entry: each entry row debits or credits one account, in the
//! `pending` or `posted` phase, by integer minor units; every transfer's
//! entries balance, so all entries of a currency sum to zero. Rows are only
//! ever appended. A hold's state is derived: it is open until a capture,
//! void or expiry transfer references it.
//!
//! Each shard of a bank runs these rules on the accounts it keeps
//! (`shards.rs`); a capture or refund whose other account is on another
//! shard is decided by the two-phase protocol of `movements.rs`.

mod movements;

pub use movements::{
    Begun, Due, Finished, abort_leg, commit_leg, decision_answered, due_decisions, finish_movement,
    next_decision, prepare_leg,
};

use serde::Deserialize;
use sha2::{Digest, Sha256};
use worker::{SqlStorage, SqlStorageValue};

use crate::bank::shards::{is_bank_own, shard_of, transit_account};
use crate::bank::wire::{
    AccountBalance, AccountKind, BankFailure, HOLD_TIMEOUT_MS_MAX, HOLD_TIMEOUT_MS_MIN,
    InvariantReport, LEDGER_ID_BYTES_MAX, OpenAccount, ShardReport, TransferKind, TransferOutcome,
    TransferRequest, TransferStatus,
};

/// Amounts stay below 2^53 minor units: SQLite values reach Rust through
/// JavaScript numbers.
const AMOUNT_MINOR_LIMIT: i64 = 1 << 53;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS accounts (
    account_id         TEXT PRIMARY KEY,
    kind               TEXT NOT NULL CHECK (kind IN ('debit', 'credit', 'merchant', 'internal')),
    currency           TEXT NOT NULL CHECK (length(currency) = 3),
    holder             TEXT NOT NULL,
    credit_limit_minor INTEGER NOT NULL CHECK (credit_limit_minor >= 0),
    opened_at_ms       INTEGER NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS transfers (
    transfer_id    TEXT PRIMARY KEY,
    kind           TEXT NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('pending', 'posted', 'failed')),
    failure_code   TEXT,
    debit_account  TEXT,
    credit_account TEXT,
    amount_minor   INTEGER NOT NULL,
    currency       TEXT NOT NULL,
    reference_id   TEXT,
    fingerprint    TEXT NOT NULL,
    created_at_ms  INTEGER NOT NULL,
    expires_at_ms  INTEGER,
    remote_account TEXT,
    remote_shard   INTEGER
) STRICT;
CREATE INDEX IF NOT EXISTS transfers_by_reference ON transfers (reference_id, kind);
CREATE INDEX IF NOT EXISTS open_holds_by_expiry ON transfers (kind, status, expires_at_ms);
CREATE TABLE IF NOT EXISTS entries (
    entry_id     INTEGER PRIMARY KEY AUTOINCREMENT,
    transfer_id  TEXT NOT NULL REFERENCES transfers (transfer_id),
    account_id   TEXT NOT NULL REFERENCES accounts (account_id),
    currency     TEXT NOT NULL,
    phase        TEXT NOT NULL CHECK (phase IN ('pending', 'posted')),
    debit_minor  INTEGER NOT NULL,
    credit_minor INTEGER NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS entries_by_account ON entries (account_id, phase);
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;
";

pub fn create_schema(sql: &SqlStorage) -> worker::Result<()> {
    sql.exec(SCHEMA, None)?;
    sql.exec(movements::SCHEMA, None)?;
    Ok(())
}

fn text(value: &str) -> SqlStorageValue {
    SqlStorageValue::from(value)
}

fn optional_text(value: Option<&str>) -> SqlStorageValue {
    value.map_or(SqlStorageValue::Null, SqlStorageValue::from)
}

fn integer(value: i64) -> SqlStorageValue {
    SqlStorageValue::Integer(value)
}

#[derive(Debug, Deserialize)]
struct AccountRow {
    account_id: String,
    kind: String,
    currency: String,
    holder: String,
    credit_limit_minor: i64,
}

#[derive(Debug, Default, Deserialize)]
struct Sums {
    debits_pending: i64,
    debits_posted: i64,
    credits_pending: i64,
    credits_posted: i64,
}

#[derive(Debug, Clone, Deserialize)]
struct TransferRow {
    transfer_id: String,
    kind: String,
    status: String,
    failure_code: Option<String>,
    debit_account: Option<String>,
    credit_account: Option<String>,
    amount_minor: i64,
    currency: String,
    fingerprint: String,
    expires_at_ms: Option<i64>,
    /// For a hold or capture whose credit account is on another shard:
    /// that account and its shard (the local entries use transit).
    remote_account: Option<String>,
    remote_shard: Option<i64>,
}

fn account(sql: &SqlStorage, account_id: &str) -> worker::Result<Option<AccountRow>> {
    let rows: Vec<AccountRow> = sql
        .exec(
            "SELECT account_id, kind, currency, holder, credit_limit_minor FROM accounts WHERE account_id = ?",
            vec![text(account_id)],
        )?
        .to_array()?;
    Ok(rows.into_iter().next())
}

fn sums(sql: &SqlStorage, account_id: &str) -> worker::Result<Sums> {
    let rows: Vec<Sums> = sql
        .exec(
            "SELECT
                COALESCE(SUM(CASE WHEN phase = 'pending' THEN debit_minor END), 0) AS debits_pending,
                COALESCE(SUM(CASE WHEN phase = 'posted' THEN debit_minor END), 0) AS debits_posted,
                COALESCE(SUM(CASE WHEN phase = 'pending' THEN credit_minor END), 0) AS credits_pending,
                COALESCE(SUM(CASE WHEN phase = 'posted' THEN credit_minor END), 0) AS credits_posted
             FROM entries WHERE account_id = ?",
            vec![text(account_id)],
        )?
        .to_array()?;
    Ok(rows.into_iter().next().unwrap_or_default())
}

/// What a new hold on the account may still take (see `AccountBalance`).
fn available(kind: AccountKind, sums: &Sums, credit_limit_minor: i64) -> i64 {
    match kind {
        AccountKind::Debit => sums.credits_posted - sums.debits_posted - sums.debits_pending,
        AccountKind::Credit => {
            credit_limit_minor - (sums.debits_posted + sums.debits_pending - sums.credits_posted)
        }
        AccountKind::Merchant | AccountKind::Internal => sums.credits_posted - sums.debits_posted,
    }
}

/// The refusal when a customer's account of this kind cannot cover an
/// amount; `None` for the kinds that have no floor (merchants, the bank's
/// own accounts).
fn shortfall_of(kind: AccountKind) -> Option<BankFailure> {
    match kind {
        AccountKind::Debit => Some(BankFailure::InsufficientFunds),
        AccountKind::Credit => Some(BankFailure::CreditLimitExceeded),
        AccountKind::Merchant | AccountKind::Internal => None,
    }
}

/// What a new hold or refund leg on the account may still take: what its
/// entries allow, less what prepared refund legs reserve.
fn spendable(sql: &SqlStorage, row: &AccountRow, kind: AccountKind) -> worker::Result<i64> {
    let sums = sums(sql, &row.account_id)?;
    Ok(available(kind, &sums, row.credit_limit_minor)
        - movements::reserved_debits(sql, &row.account_id)?)
}

pub fn balance(
    sql: &SqlStorage,
    account_id: &str,
    here: u32,
) -> worker::Result<Option<AccountBalance>> {
    let Some(row) = account(sql, account_id)? else {
        return Ok(None);
    };
    let kind = AccountKind::from_code(&row.kind).unwrap_or(AccountKind::Internal);
    let sums = sums(sql, account_id)?;
    Ok(Some(AccountBalance {
        available_minor: spendable(sql, &row, kind)?,
        shard: here,
        account_id: row.account_id,
        kind,
        currency: row.currency,
        holder: row.holder,
        debits_pending_minor: sums.debits_pending,
        debits_posted_minor: sums.debits_posted,
        credits_pending_minor: sums.credits_pending,
        credits_posted_minor: sums.credits_posted,
        credit_limit_minor: row.credit_limit_minor,
    }))
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= LEDGER_ID_BYTES_MAX
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}

fn valid_currency(currency: &str) -> bool {
    currency.len() == 3 && currency.bytes().all(|b| b.is_ascii_uppercase())
}

fn valid_amount(amount_minor: i64) -> bool {
    amount_minor > 0 && amount_minor < AMOUNT_MINOR_LIMIT
}

/// Who opens an account: the bank itself (its own accounts, on every
/// shard), or a customer or merchant through the bank's API.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Opener {
    Bank,
    Customer,
}

/// Opens an account, idempotently: opening the same account again answers
/// its balance; opening an id that exists with other terms is refused. A
/// customer's account opens only on its own shard, never under one of the
/// bank's own names, and never as an internal account.
pub fn open_account(
    sql: &SqlStorage,
    request: &OpenAccount,
    now_ms: i64,
    here: u32,
    opener: Opener,
) -> worker::Result<Result<AccountBalance, BankFailure>> {
    let own = is_bank_own(&request.account_id);
    let placed = match opener {
        Opener::Bank => own && request.kind == AccountKind::Internal,
        Opener::Customer => {
            !own && request.kind != AccountKind::Internal && shard_of(&request.account_id) == here
        }
    };
    let valid = placed
        && valid_id(&request.account_id)
        && valid_currency(&request.currency)
        && !request.holder.is_empty()
        && request.holder.len() <= LEDGER_ID_BYTES_MAX
        && (0..AMOUNT_MINOR_LIMIT).contains(&request.opening_balance_minor)
        && (0..AMOUNT_MINOR_LIMIT).contains(&request.credit_limit_minor)
        && (request.kind == AccountKind::Credit || request.credit_limit_minor == 0)
        && (request.kind != AccountKind::Credit
            || request.opening_balance_minor <= request.credit_limit_minor);
    if !valid {
        return Ok(Err(BankFailure::InvalidRequest));
    }
    if let Some(existing) = account(sql, &request.account_id)? {
        let same = existing.kind == request.kind.code() && existing.currency == request.currency;
        if !same {
            return Ok(Err(BankFailure::InvalidRequest));
        }
        return balance(sql, &request.account_id, here)
            .map(|found| found.ok_or(BankFailure::AccountNotFound));
    }
    let equity = format!("equity.{}", request.currency);
    // All checks are done: from here on, writes only.
    if request.opening_balance_minor > 0 && account(sql, &equity)?.is_none() {
        insert_account(
            sql,
            &equity,
            AccountKind::Internal,
            &request.currency,
            "the bank",
            0,
            now_ms,
        )?;
    }
    insert_account(
        sql,
        &request.account_id,
        request.kind,
        &request.currency,
        &request.holder,
        request.credit_limit_minor,
        now_ms,
    )?;
    if request.opening_balance_minor > 0 {
        // A deposit into a current account; for a credit account the
        // opening balance is what is already owed, so it runs the other way.
        let (from, to) = if request.kind == AccountKind::Credit {
            (request.account_id.as_str(), equity.as_str())
        } else {
            (equity.as_str(), request.account_id.as_str())
        };
        let deposit = format!("open.{}", request.account_id);
        let plan = Plan {
            status: TransferStatus::Posted,
            debit: from.to_owned(),
            credit: to.to_owned(),
            amount_minor: request.opening_balance_minor,
            currency: request.currency.clone(),
            reference_id: None,
            expires_at_ms: None,
            entries: vec![("posted", request.opening_balance_minor)],
            remote: None,
        };
        write(
            sql,
            &deposit,
            TransferKind::Deposit,
            "deposit",
            &plan,
            now_ms,
        )?;
    }
    balance(sql, &request.account_id, here).map(|found| found.ok_or(BankFailure::AccountNotFound))
}

fn insert_account(
    sql: &SqlStorage,
    account_id: &str,
    kind: AccountKind,
    currency: &str,
    holder: &str,
    credit_limit_minor: i64,
    now_ms: i64,
) -> worker::Result<()> {
    sql.exec(
        "INSERT INTO accounts (account_id, kind, currency, holder, credit_limit_minor, opened_at_ms)
         VALUES (?, ?, ?, ?, ?, ?)",
        vec![
            text(account_id),
            text(kind.code()),
            text(currency),
            text(holder),
            integer(credit_limit_minor),
            integer(now_ms),
        ],
    )?;
    Ok(())
}

struct NewTransfer<'a> {
    transfer_id: &'a str,
    kind: TransferKind,
    status: TransferStatus,
    failure: Option<BankFailure>,
    debit_account: Option<&'a str>,
    credit_account: Option<&'a str>,
    amount_minor: i64,
    currency: &'a str,
    reference_id: Option<&'a str>,
    fingerprint: &'a str,
    now_ms: i64,
    expires_at_ms: Option<i64>,
    remote: Option<(&'a str, u32)>,
}

fn status_code(status: TransferStatus) -> &'static str {
    match status {
        TransferStatus::Pending => "pending",
        TransferStatus::Posted => "posted",
        TransferStatus::Failed => "failed",
    }
}

fn insert_transfer(sql: &SqlStorage, transfer: &NewTransfer<'_>) -> worker::Result<()> {
    sql.exec(
        "INSERT INTO transfers (transfer_id, kind, status, failure_code, debit_account, credit_account,
                                amount_minor, currency, reference_id, fingerprint, created_at_ms, expires_at_ms,
                                remote_account, remote_shard)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        vec![
            text(transfer.transfer_id),
            text(transfer.kind.code()),
            text(status_code(transfer.status)),
            optional_text(transfer.failure.map(BankFailure::code)),
            optional_text(transfer.debit_account),
            optional_text(transfer.credit_account),
            integer(transfer.amount_minor),
            text(transfer.currency),
            optional_text(transfer.reference_id),
            text(transfer.fingerprint),
            integer(transfer.now_ms),
            transfer.expires_at_ms.map_or(SqlStorageValue::Null, integer),
            optional_text(transfer.remote.map(|(account, _)| account)),
            transfer
                .remote
                .map_or(SqlStorageValue::Null, |(_, shard)| integer(i64::from(shard))),
        ],
    )?;
    Ok(())
}

/// One debit and one credit of `amount_minor` (negative to release a
/// pending amount), in one phase.
fn insert_entries(
    sql: &SqlStorage,
    transfer_id: &str,
    currency: &str,
    phase: &str,
    debit_account: &str,
    credit_account: &str,
    amount_minor: i64,
) -> worker::Result<()> {
    let insert =
        "INSERT INTO entries (transfer_id, account_id, currency, phase, debit_minor, credit_minor)
                  VALUES (?, ?, ?, ?, ?, ?)";
    sql.exec(
        insert,
        vec![
            text(transfer_id),
            text(debit_account),
            text(currency),
            text(phase),
            integer(amount_minor),
            integer(0),
        ],
    )?;
    sql.exec(
        insert,
        vec![
            text(transfer_id),
            text(credit_account),
            text(currency),
            text(phase),
            integer(0),
            integer(amount_minor),
        ],
    )?;
    Ok(())
}

fn transfer_row(sql: &SqlStorage, transfer_id: &str) -> worker::Result<Option<TransferRow>> {
    let rows: Vec<TransferRow> = sql
        .exec(
            "SELECT transfer_id, kind, status, failure_code, debit_account, credit_account, amount_minor,
                    currency, fingerprint, expires_at_ms, remote_account, remote_shard
             FROM transfers WHERE transfer_id = ?",
            vec![text(transfer_id)],
        )?
        .to_array()?;
    Ok(rows.into_iter().next())
}

fn kind_of(code: &str) -> TransferKind {
    match code {
        "deposit" => TransferKind::Deposit,
        "hold" => TransferKind::Hold,
        "capture" => TransferKind::Capture,
        "void" => TransferKind::Void,
        "expiry" => TransferKind::Expiry,
        "settle" => TransferKind::Settle,
        _ => TransferKind::Refund,
    }
}

fn outcome_of(row: &TransferRow) -> TransferOutcome {
    let status = match row.status.as_str() {
        "pending" => TransferStatus::Pending,
        "posted" => TransferStatus::Posted,
        _ => TransferStatus::Failed,
    };
    TransferOutcome {
        transfer_id: row.transfer_id.clone(),
        kind: kind_of(&row.kind),
        status,
        failure: row.failure_code.as_deref().and_then(BankFailure::from_code),
        amount_minor: row.amount_minor,
        currency: row.currency.clone(),
    }
}

/// The kind of the transfer that closed a hold (capture, void or expiry),
/// or `None` while the hold is open.
fn closing_kind(sql: &SqlStorage, hold_id: &str) -> worker::Result<Option<String>> {
    #[derive(Deserialize)]
    struct Closing {
        kind: String,
    }
    let rows: Vec<Closing> = sql
        .exec(
            "SELECT kind FROM transfers
             WHERE reference_id = ? AND kind IN ('capture', 'void', 'expiry') AND status = 'posted'
             LIMIT 1",
            vec![text(hold_id)],
        )?
        .to_array()?;
    Ok(rows.into_iter().next().map(|row| row.kind))
}

/// What became of a transfer request on this shard.
#[derive(Debug)]
pub enum Applied {
    /// Decided here: its outcome (also for every repeat of its id).
    Done(TransferOutcome),
    /// A capture or refund whose other account is on another shard: the
    /// movement is begun; send `Begun::leg` to that shard, then call
    /// `finish_movement` with its answer.
    Begun(Begun),
    /// This transfer, or another one closing the same hold, is being
    /// decided with another shard right now: ask again shortly.
    Busy,
}

/// Applies a transfer request on shard `here`, idempotently by transfer id.
pub fn apply(
    sql: &SqlStorage,
    request: &TransferRequest,
    now_ms: i64,
    here: u32,
) -> worker::Result<Applied> {
    let transfer_id = request.transfer_id();
    let kind = match request {
        TransferRequest::Hold { .. } => TransferKind::Hold,
        TransferRequest::Capture { .. } => TransferKind::Capture,
        TransferRequest::Void { .. } => TransferKind::Void,
        TransferRequest::Refund { .. } => TransferKind::Refund,
        TransferRequest::Settle { .. } => TransferKind::Settle,
    };
    let refused = |failure: BankFailure, amount_minor: i64, currency: &str| TransferOutcome {
        transfer_id: transfer_id.to_owned(),
        kind,
        status: TransferStatus::Failed,
        failure: Some(failure),
        amount_minor,
        currency: currency.to_owned(),
    };
    if !valid_id(transfer_id) {
        // Not recorded: there is no valid id to record it under.
        return Ok(Applied::Done(refused(BankFailure::InvalidRequest, 0, "")));
    }
    // A digest of the whole request, so that a reused id with another body
    // is told apart without storing the body itself.
    let fingerprint = shared::encoding::to_base64url(&Sha256::digest(
        serde_json::to_vec(request).unwrap_or_default(),
    ));
    if let Some(existing) = transfer_row(sql, transfer_id)? {
        if existing.fingerprint == fingerprint {
            return Ok(Applied::Done(outcome_of(&existing)));
        }
        return Ok(Applied::Done(refused(
            BankFailure::TransferIdReused,
            0,
            &existing.currency,
        )));
    }
    if movements::transfer_in_progress(sql, transfer_id)? {
        return Ok(Applied::Busy);
    }
    let decision = match request {
        TransferRequest::Hold {
            debit_account,
            credit_account,
            amount_minor,
            currency,
            timeout_ms,
            ..
        } => decide_hold(
            sql,
            &Movement {
                debit_account,
                credit_account,
                amount_minor: *amount_minor,
                currency,
            },
            *timeout_ms,
            now_ms,
            here,
        )?,
        TransferRequest::Capture {
            hold_id,
            account_id,
            amount_minor,
            ..
        } => decide_release(sql, hold_id, account_id, Some(*amount_minor), now_ms)?,
        TransferRequest::Void {
            hold_id,
            account_id,
            ..
        } => decide_release(sql, hold_id, account_id, None, now_ms)?,
        TransferRequest::Refund {
            capture_id,
            account_id,
            amount_minor,
            ..
        } => decide_refund(sql, capture_id, account_id, *amount_minor)?,
        TransferRequest::Settle {
            debit_account,
            credit_account,
            amount_minor,
            currency,
            ..
        } => decide_settle(sql, debit_account, credit_account, *amount_minor, currency)?,
    };
    // Every check is done; what follows only writes, with no await between.
    match decision {
        Decision::Refuse {
            failure,
            amount_minor,
            currency,
            expire_hold,
        } => {
            if let Some(hold) = expire_hold {
                write_expiry(sql, &hold, now_ms)?;
            }
            insert_transfer(
                sql,
                &NewTransfer {
                    transfer_id,
                    kind,
                    status: TransferStatus::Failed,
                    failure: Some(failure),
                    debit_account: None,
                    credit_account: None,
                    amount_minor,
                    currency: &currency,
                    reference_id: None,
                    fingerprint: &fingerprint,
                    now_ms,
                    expires_at_ms: None,
                    remote: None,
                },
            )?;
        }
        Decision::Write(plan) => write(sql, transfer_id, kind, &fingerprint, &plan, now_ms)?,
        Decision::Busy => return Ok(Applied::Busy),
        Decision::Across(across) => {
            let begun = movements::begin(
                sql,
                &movements::NewMovement {
                    transfer_id,
                    kind: kind.code(),
                    reference_id: &across.reference_id,
                    account_id: &across.account_id,
                    shard: here,
                    remote_account: &across.remote_account,
                    remote_shard: across.remote_shard,
                    amount_minor: across.amount_minor,
                    currency: &across.currency,
                    fingerprint: &fingerprint,
                },
                now_ms,
            )?;
            return Ok(Applied::Begun(begun));
        }
    }
    recorded(sql, transfer_id).map(Applied::Done)
}

fn recorded(sql: &SqlStorage, transfer_id: &str) -> worker::Result<TransferOutcome> {
    transfer_row(sql, transfer_id)?
        .map(|row| outcome_of(&row))
        .ok_or_else(|| worker::Error::RustError("transfer not recorded".into()))
}

/// A capture or refund whose other account is on another shard.
struct Across {
    /// The hold a capture closes, or the capture a refund returns.
    reference_id: String,
    account_id: String,
    remote_account: String,
    remote_shard: u32,
    amount_minor: i64,
    currency: String,
}

/// The two accounts, amount and currency of a hold or settlement.
struct Movement<'a> {
    debit_account: &'a str,
    credit_account: &'a str,
    amount_minor: i64,
    currency: &'a str,
}

enum Decision {
    Refuse {
        failure: BankFailure,
        amount_minor: i64,
        currency: String,
        /// A hold found expired on the way is expired in the same writes.
        expire_hold: Option<TransferRow>,
    },
    Write(Plan),
    /// Decided with another shard (`movements.rs`).
    Across(Across),
    /// Another transfer closing the same hold is being decided.
    Busy,
}

/// What an accepted transfer writes: its row, and its entries as
/// `(phase, amount)` pairs, each a debit of `debit` and a credit of
/// `credit` (a negative pending amount releases a hold).
struct Plan {
    status: TransferStatus,
    debit: String,
    credit: String,
    amount_minor: i64,
    currency: String,
    reference_id: Option<String>,
    expires_at_ms: Option<i64>,
    entries: Vec<(&'static str, i64)>,
    /// The account on another shard this transfer is for, if any.
    remote: Option<(String, u32)>,
}

fn write(
    sql: &SqlStorage,
    transfer_id: &str,
    kind: TransferKind,
    fingerprint: &str,
    plan: &Plan,
    now_ms: i64,
) -> worker::Result<()> {
    // The bank's own accounts (transit, say) open on a shard when first used.
    for side in [&plan.debit, &plan.credit] {
        if is_bank_own(side) && account(sql, side)?.is_none() {
            insert_account(
                sql,
                side,
                AccountKind::Internal,
                &plan.currency,
                "the bank",
                0,
                now_ms,
            )?;
        }
    }
    insert_transfer(
        sql,
        &NewTransfer {
            transfer_id,
            kind,
            status: plan.status,
            failure: None,
            debit_account: Some(&plan.debit),
            credit_account: Some(&plan.credit),
            amount_minor: plan.amount_minor,
            currency: &plan.currency,
            reference_id: plan.reference_id.as_deref(),
            fingerprint,
            now_ms,
            expires_at_ms: plan.expires_at_ms,
            remote: plan
                .remote
                .as_ref()
                .map(|(account, shard)| (account.as_str(), *shard)),
        },
    )?;
    for &(phase, amount_minor) in &plan.entries {
        insert_entries(
            sql,
            transfer_id,
            &plan.currency,
            phase,
            &plan.debit,
            &plan.credit,
            amount_minor,
        )?;
    }
    Ok(())
}

/// Closing a hold: releases all it holds and posts `post_minor`, if any.
fn release_plan(hold: &TransferRow, post_minor: Option<i64>) -> Plan {
    let mut entries = vec![("pending", -hold.amount_minor)];
    entries.extend(post_minor.map(|amount| ("posted", amount)));
    Plan {
        status: TransferStatus::Posted,
        debit: hold.debit_account.clone().unwrap_or_default(),
        credit: hold.credit_account.clone().unwrap_or_default(),
        amount_minor: post_minor.unwrap_or(hold.amount_minor),
        currency: hold.currency.clone(),
        reference_id: Some(hold.transfer_id.clone()),
        expires_at_ms: None,
        entries,
        remote: remote_of(hold),
    }
}

/// The account on another shard a hold or capture is for, if any.
fn remote_of(row: &TransferRow) -> Option<(String, u32)> {
    let shard = u32::try_from(row.remote_shard?).ok()?;
    Some((row.remote_account.clone()?, shard))
}

fn refuse(failure: BankFailure, amount_minor: i64, currency: &str) -> Decision {
    Decision::Refuse {
        failure,
        amount_minor,
        currency: currency.to_owned(),
        expire_hold: None,
    }
}

/// Both accounts of a movement exist here and are in its currency (the
/// credit account only when it is on this shard); answers the debit
/// account, or the refusal.
fn movement_accounts(
    sql: &SqlStorage,
    debit_account: &str,
    credit_account: Option<&str>,
    amount_minor: i64,
    currency: &str,
) -> worker::Result<Result<AccountRow, Decision>> {
    let credit = match credit_account {
        Some(credit_account) => account(sql, credit_account)?.map(Some),
        None => Some(None),
    };
    let (Some(debit), Some(credit)) = (account(sql, debit_account)?, credit) else {
        return Ok(Err(refuse(
            BankFailure::AccountNotFound,
            amount_minor,
            currency,
        )));
    };
    if debit.currency != currency || credit.is_some_and(|credit| credit.currency != currency) {
        return Ok(Err(refuse(
            BankFailure::CurrencyMismatch,
            amount_minor,
            currency,
        )));
    }
    Ok(Ok(debit))
}

fn decide_hold(
    sql: &SqlStorage,
    movement: &Movement<'_>,
    timeout_ms: u64,
    now_ms: i64,
    here: u32,
) -> worker::Result<Decision> {
    let &Movement {
        debit_account,
        credit_account,
        amount_minor,
        currency,
    } = movement;
    if !valid_currency(currency) || !valid_id(debit_account) || !valid_id(credit_account) {
        return Ok(refuse(BankFailure::InvalidRequest, 0, currency));
    }
    if !valid_amount(amount_minor) {
        return Ok(refuse(BankFailure::InvalidAmount, 0, currency));
    }
    if !(HOLD_TIMEOUT_MS_MIN..=HOLD_TIMEOUT_MS_MAX).contains(&timeout_ms)
        || debit_account == credit_account
    {
        return Ok(refuse(BankFailure::InvalidRequest, amount_minor, currency));
    }
    // A credit account on another shard is checked when the hold is
    // captured (phase one of the movement); here the hold reserves against
    // this shard's transit account.
    let remote_shard = shard_of(credit_account);
    let remote = !is_bank_own(credit_account) && remote_shard != here;
    let checked = if remote {
        let transit = transit_account(currency);
        movement_accounts(sql, debit_account, None, amount_minor, currency)?.map(|debit| {
            (
                debit,
                transit,
                Some((credit_account.to_owned(), remote_shard)),
            )
        })
    } else {
        movement_accounts(
            sql,
            debit_account,
            Some(credit_account),
            amount_minor,
            currency,
        )?
        .map(|debit| (debit, credit_account.to_owned(), None))
    };
    let (debit, credit, remote) = match checked {
        Ok(checked) => checked,
        Err(refused) => return Ok(refused),
    };
    let debit_kind = AccountKind::from_code(&debit.kind).unwrap_or(AccountKind::Internal);
    let available = spendable(sql, &debit, debit_kind)?;
    match shortfall_of(debit_kind) {
        None => return Ok(refuse(BankFailure::InvalidRequest, amount_minor, currency)),
        Some(failure) if available < amount_minor => {
            return Ok(refuse(failure, amount_minor, currency));
        }
        Some(_) => {}
    }
    let timeout = i64::try_from(timeout_ms).unwrap_or(i64::MAX);
    Ok(Decision::Write(Plan {
        status: TransferStatus::Pending,
        debit: debit_account.to_owned(),
        credit,
        amount_minor,
        currency: currency.to_owned(),
        reference_id: None,
        expires_at_ms: Some(now_ms.saturating_add(timeout)),
        entries: vec![("pending", amount_minor)],
        remote,
    }))
}

/// A capture (`Some(amount)`) or a void (`None`) of an open hold.
fn decide_release(
    sql: &SqlStorage,
    hold_id: &str,
    account_id: &str,
    capture_minor: Option<i64>,
    now_ms: i64,
) -> worker::Result<Decision> {
    let hold = match transfer_row(sql, hold_id)? {
        Some(hold)
            if hold.kind == "hold"
                && hold.status == "pending"
                && hold.debit_account.as_deref() == Some(account_id) =>
        {
            hold
        }
        _ => {
            return Ok(refuse(
                BankFailure::HoldNotFound,
                capture_minor.unwrap_or(0),
                "",
            ));
        }
    };
    let amount = capture_minor.unwrap_or(hold.amount_minor);
    if movements::hold_in_progress(sql, hold_id)? {
        return Ok(Decision::Busy);
    }
    match closing_kind(sql, hold_id)?.as_deref() {
        None => {}
        Some("expiry") => return Ok(refuse(BankFailure::HoldExpired, amount, &hold.currency)),
        Some(_) => return Ok(refuse(BankFailure::HoldNotOpen, amount, &hold.currency)),
    }
    if hold.expires_at_ms.is_some_and(|expires| expires <= now_ms) {
        return Ok(Decision::Refuse {
            failure: BankFailure::HoldExpired,
            amount_minor: amount,
            currency: hold.currency.clone(),
            expire_hold: Some(hold),
        });
    }
    if let Some(captured) = capture_minor {
        if !valid_amount(captured) {
            return Ok(refuse(BankFailure::InvalidAmount, captured, &hold.currency));
        }
        if captured > hold.amount_minor {
            return Ok(refuse(
                BankFailure::AmountExceedsHold,
                captured,
                &hold.currency,
            ));
        }
        // The credit account is on another shard: phase one asks it.
        if let Some((remote_account, remote_shard)) = remote_of(&hold) {
            return Ok(Decision::Across(Across {
                reference_id: hold.transfer_id.clone(),
                account_id: account_id.to_owned(),
                remote_account,
                remote_shard,
                amount_minor: captured,
                currency: hold.currency.clone(),
            }));
        }
    }
    Ok(Decision::Write(release_plan(&hold, capture_minor)))
}

fn decide_refund(
    sql: &SqlStorage,
    capture_id: &str,
    account_id: &str,
    amount_minor: i64,
) -> worker::Result<Decision> {
    let capture = match transfer_row(sql, capture_id)? {
        Some(capture)
            if capture.kind == "capture"
                && capture.status == "posted"
                && capture.debit_account.as_deref() == Some(account_id) =>
        {
            capture
        }
        _ => return Ok(refuse(BankFailure::CaptureNotFound, amount_minor, "")),
    };
    if !valid_amount(amount_minor) {
        return Ok(refuse(
            BankFailure::InvalidAmount,
            amount_minor,
            &capture.currency,
        ));
    }
    #[derive(Deserialize)]
    struct Refunded {
        refunded: i64,
    }
    let refunded: Vec<Refunded> = sql
        .exec(
            "SELECT COALESCE(SUM(amount_minor), 0) AS refunded FROM transfers
             WHERE reference_id = ? AND kind = 'refund' AND status = 'posted'",
            vec![text(capture_id)],
        )?
        .to_array()?;
    // Refunds being decided with another shard count as made.
    let refunded = refunded.first().map_or(0, |row| row.refunded)
        + movements::refunds_in_progress(sql, capture_id)?;
    if refunded + amount_minor > capture.amount_minor {
        return Ok(refuse(
            BankFailure::RefundExceedsCapture,
            amount_minor,
            &capture.currency,
        ));
    }
    // The paid account is on another shard: phase one asks it to pay back.
    if let Some((remote_account, remote_shard)) = remote_of(&capture) {
        return Ok(Decision::Across(Across {
            reference_id: capture.transfer_id.clone(),
            account_id: account_id.to_owned(),
            remote_account,
            remote_shard,
            amount_minor,
            currency: capture.currency.clone(),
        }));
    }
    // The reverse of the capture: the side that was paid pays back.
    Ok(Decision::Write(Plan {
        status: TransferStatus::Posted,
        debit: capture.credit_account.clone().unwrap_or_default(),
        credit: capture.debit_account.clone().unwrap_or_default(),
        amount_minor,
        currency: capture.currency.clone(),
        reference_id: Some(capture.transfer_id.clone()),
        expires_at_ms: None,
        entries: vec![("posted", amount_minor)],
        remote: None,
    }))
}

fn decide_settle(
    sql: &SqlStorage,
    debit_account: &str,
    credit_account: &str,
    amount_minor: i64,
    currency: &str,
) -> worker::Result<Decision> {
    if !valid_currency(currency) || debit_account == credit_account {
        return Ok(refuse(BankFailure::InvalidRequest, 0, currency));
    }
    if !valid_amount(amount_minor) {
        return Ok(refuse(BankFailure::InvalidAmount, 0, currency));
    }
    let debit = match movement_accounts(
        sql,
        debit_account,
        Some(credit_account),
        amount_minor,
        currency,
    )? {
        Ok(debit) => debit,
        Err(refused) => return Ok(refused),
    };
    let from_own_side = matches!(
        AccountKind::from_code(&debit.kind),
        Some(AccountKind::Internal | AccountKind::Merchant)
    );
    if !from_own_side {
        return Ok(refuse(BankFailure::InvalidRequest, amount_minor, currency));
    }
    Ok(Decision::Write(Plan {
        status: TransferStatus::Posted,
        debit: debit_account.to_owned(),
        credit: credit_account.to_owned(),
        amount_minor,
        currency: currency.to_owned(),
        reference_id: None,
        expires_at_ms: None,
        entries: vec![("posted", amount_minor)],
        remote: None,
    }))
}

fn write_expiry(sql: &SqlStorage, hold: &TransferRow, now_ms: i64) -> worker::Result<()> {
    let expiry_id = format!("expiry.{}", hold.transfer_id);
    write(
        sql,
        &expiry_id,
        TransferKind::Expiry,
        "expiry",
        &release_plan(hold, None),
        now_ms,
    )
}

/// Open holds that no capture is being decided for (such a hold expires
/// once its capture is refused or abandoned).
const OPEN_HOLDS: &str = "FROM transfers h
     WHERE h.kind = 'hold' AND h.status = 'pending'
       AND NOT EXISTS (SELECT 1 FROM transfers r WHERE r.reference_id = h.transfer_id
                       AND r.kind IN ('capture', 'void', 'expiry') AND r.status = 'posted')
       AND NOT EXISTS (SELECT 1 FROM movements m WHERE m.reference_id = h.transfer_id
                       AND m.state = 'preparing')";

/// Releases every open hold whose time is up; answers how many.
pub fn expire_due_holds(sql: &SqlStorage, now_ms: i64) -> worker::Result<usize> {
    let due: Vec<TransferRow> = sql
        .exec(
            &format!(
                "SELECT transfer_id, kind, status, failure_code, debit_account, credit_account, amount_minor,
                        currency, fingerprint, expires_at_ms, remote_account, remote_shard
                 {OPEN_HOLDS} AND h.expires_at_ms <= ?"
            ),
            vec![integer(now_ms)],
        )?
        .to_array()?;
    for hold in &due {
        write_expiry(sql, hold, now_ms)?;
    }
    Ok(due.len())
}

/// When the next open hold expires, for the object's alarm.
pub fn next_hold_expiry(sql: &SqlStorage) -> worker::Result<Option<i64>> {
    #[derive(Deserialize)]
    struct Next {
        next: Option<i64>,
    }
    let rows: Vec<Next> = sql
        .exec(
            &format!("SELECT MIN(h.expires_at_ms) AS next {OPEN_HOLDS}"),
            None,
        )?
        .to_array()?;
    Ok(rows.into_iter().next().and_then(|row| row.next))
}

/// A ledger meta value (for example whether the demo accounts are seeded).
pub fn meta(sql: &SqlStorage, key: &str) -> worker::Result<Option<String>> {
    #[derive(Deserialize)]
    struct Row {
        value: String,
    }
    let rows: Vec<Row> = sql
        .exec("SELECT value FROM meta WHERE key = ?", vec![text(key)])?
        .to_array()?;
    Ok(rows.into_iter().next().map(|row| row.value))
}

pub fn set_meta(sql: &SqlStorage, key: &str, value: &str) -> worker::Result<()> {
    sql.exec(
        "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        vec![text(key), text(value)],
    )?;
    Ok(())
}

/// The shard checks itself (each query returns the rows that break a
/// rule) and reports what the bank-wide check compares across shards.
pub fn check_invariants(sql: &SqlStorage) -> worker::Result<ShardReport> {
    #[derive(Deserialize)]
    struct Violation {
        what: String,
    }
    const CHECKS: [&str; 6] = [
        // Every currency's entries sum to zero, in each phase.
        "SELECT 'entries of ' || currency || ' ' || phase || ' do not sum to zero' AS what
         FROM entries GROUP BY currency, phase HAVING SUM(debit_minor) != SUM(credit_minor)",
        // Every transfer's own entries balance.
        "SELECT 'transfer ' || transfer_id || ' is unbalanced' AS what
         FROM entries GROUP BY transfer_id HAVING SUM(debit_minor) != SUM(credit_minor)",
        // No debit account is overdrawn, counting what is held.
        "SELECT 'debit account ' || a.account_id || ' is overdrawn' AS what
         FROM accounts a JOIN entries e ON e.account_id = a.account_id WHERE a.kind = 'debit'
         GROUP BY a.account_id
         HAVING SUM(CASE WHEN e.phase = 'posted' THEN e.credit_minor - e.debit_minor ELSE -e.debit_minor END) < 0",
        // No credit account passes its limit, counting what is held.
        "SELECT 'credit account ' || a.account_id || ' is over its limit' AS what
         FROM accounts a JOIN entries e ON e.account_id = a.account_id WHERE a.kind = 'credit'
         GROUP BY a.account_id
         HAVING SUM(CASE WHEN e.phase = 'posted' THEN e.debit_minor - e.credit_minor ELSE e.debit_minor END)
                > MAX(a.credit_limit_minor)",
        // Pending amounts are exactly the open holds, per account.
        "SELECT 'account ' || a.account_id || ' has pending amounts that differ from its open holds' AS what
         FROM accounts a
         WHERE (SELECT COALESCE(SUM(e.debit_minor), 0) FROM entries e
                WHERE e.account_id = a.account_id AND e.phase = 'pending')
            != (SELECT COALESCE(SUM(h.amount_minor), 0) FROM transfers h
                WHERE h.debit_account = a.account_id AND h.kind = 'hold' AND h.status = 'pending'
                  AND NOT EXISTS (SELECT 1 FROM transfers r WHERE r.reference_id = h.transfer_id
                                  AND r.kind IN ('capture', 'void', 'expiry') AND r.status = 'posted'))
            OR (SELECT COALESCE(SUM(e.credit_minor), 0) FROM entries e
                WHERE e.account_id = a.account_id AND e.phase = 'pending')
            != (SELECT COALESCE(SUM(h.amount_minor), 0) FROM transfers h
                WHERE h.credit_account = a.account_id AND h.kind = 'hold' AND h.status = 'pending'
                  AND NOT EXISTS (SELECT 1 FROM transfers r WHERE r.reference_id = h.transfer_id
                                  AND r.kind IN ('capture', 'void', 'expiry') AND r.status = 'posted'))",
        // No capture is refunded beyond what it captured.
        "SELECT 'capture ' || c.transfer_id || ' is refunded beyond its amount' AS what
         FROM transfers c JOIN transfers r ON r.reference_id = c.transfer_id AND r.kind = 'refund' AND r.status = 'posted'
         WHERE c.kind = 'capture' GROUP BY c.transfer_id HAVING SUM(r.amount_minor) > MAX(c.amount_minor)",
    ];
    let mut violations = Vec::new();
    for check in CHECKS {
        let rows: Vec<Violation> = sql.exec(check, None)?.to_array()?;
        violations.extend(rows.into_iter().map(|row| row.what));
    }
    #[derive(Deserialize)]
    struct Counts {
        accounts: u64,
        transfers: u64,
        entries: u64,
    }
    let counts: Vec<Counts> = sql
        .exec(
            "SELECT (SELECT COUNT(*) FROM accounts) AS accounts, (SELECT COUNT(*) FROM transfers) AS transfers,
                    (SELECT COUNT(*) FROM entries) AS entries",
            None,
        )?
        .to_array()?;
    let counts = counts.into_iter().next().unwrap_or(Counts {
        accounts: 0,
        transfers: 0,
        entries: 0,
    });
    let facts = movements::facts(sql)?;
    Ok(ShardReport {
        report: InvariantReport {
            ok: violations.is_empty(),
            violations,
            accounts: counts.accounts,
            transfers: counts.transfers,
            entries: counts.entries,
            // Known only across shards (`client.rs`).
            in_flight_minor: std::collections::BTreeMap::new(),
        },
        transit_net_minor: facts.transit_net.into_iter().collect(),
        movements: facts.movements,
        legs: facts.legs,
    })
}

/// Every row of every table, for the operator's storage scan (which checks
/// that the bank stores no card data).
pub fn dump(sql: &SqlStorage) -> worker::Result<serde_json::Value> {
    let mut tables = serde_json::Map::new();
    for table in [
        "accounts",
        "transfers",
        "entries",
        "meta",
        "movements",
        "legs",
    ] {
        let rows: Vec<serde_json::Value> = sql
            .exec(&format!("SELECT * FROM {table}"), None)?
            .to_array()?;
        tables.insert(table.to_owned(), serde_json::Value::Array(rows));
    }
    Ok(serde_json::Value::Object(tables))
}
