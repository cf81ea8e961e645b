//! Movements between two shards of one bank: the bank's two-phase
//! protocol, and all of its SQL.
//!
//! A capture of a hold whose credit account lives on another shard, or a
//! refund of such a capture, is kept by the shard of the customer's
//! account (the coordinator). It records the movement `preparing` and asks
//! the other shard (the participant) to prepare its leg: check the account
//! and, for a refund, reserve what it pays back. Prepared, the coordinator
//! commits in one synchronous run (the transfer and its entries, through
//! its own transit account, and the movement `committed`), then tells the
//! participant to post the leg (through the participant's transit
//! account). Refused, the transfer is recorded failed. Not answered, the
//! movement is `aborted`, nothing is posted, and the caller is told to ask
//! again (a new attempt of the same transfer id).
//!
//! A decision the participant has not acknowledged is sent again by the
//! coordinator's alarm until it is; a `preparing` movement whose request
//! died is aborted by the alarm after `PREPARE_TIMEOUT_MS`. The participant
//! keeps an aborted leg (or a tombstone for one it never saw), so a late
//! phase one is refused. So a movement is all or nothing: both legs post,
//! or neither does. Each shard stays a balanced ledger on its own; across
//! shards the transit accounts sum to what is committed and not yet posted
//! on the other shard (`in_flight`), which the bank-wide check compares.

use serde::Deserialize;
use worker::SqlStorage;

use super::{
    NewTransfer, Plan, account, closing_kind, insert_transfer, integer, optional_text, recorded,
    release_plan, shortfall_of, spendable, text, transfer_row, valid_amount, valid_currency,
    valid_id, write,
};
use crate::bank::shards::{is_bank_own, shard_of, transit_account};
use crate::bank::wire::{
    AccountKind, BankFailure, LegAnswer, LegDecision, LegDirection, LegPrepare, LegState,
    MovementFact, TransferKind, TransferOutcome, TransferStatus,
};

pub const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS movements (
    movement_id    TEXT PRIMARY KEY,
    transfer_id    TEXT NOT NULL,
    kind           TEXT NOT NULL CHECK (kind IN ('capture', 'refund')),
    reference_id   TEXT NOT NULL,
    account_id     TEXT NOT NULL,
    remote_account TEXT NOT NULL,
    remote_shard   INTEGER NOT NULL,
    amount_minor   INTEGER NOT NULL,
    currency       TEXT NOT NULL,
    fingerprint    TEXT NOT NULL,
    state          TEXT NOT NULL CHECK (state IN ('preparing', 'committed', 'aborted')),
    acked          INTEGER NOT NULL CHECK (acked IN (0, 1)),
    tries          INTEGER NOT NULL,
    next_try_ms    INTEGER NOT NULL,
    created_at_ms  INTEGER NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS movements_by_transfer ON movements (transfer_id, state);
CREATE INDEX IF NOT EXISTS movements_by_reference ON movements (reference_id, state);
CREATE INDEX IF NOT EXISTS movements_due ON movements (acked, next_try_ms);
CREATE TABLE IF NOT EXISTS legs (
    movement_id  TEXT PRIMARY KEY,
    account_id   TEXT,
    direction    TEXT CHECK (direction IN ('credit', 'debit')),
    amount_minor INTEGER NOT NULL,
    currency     TEXT NOT NULL,
    state        TEXT NOT NULL CHECK (state IN ('prepared', 'committed', 'aborted')),
    at_ms        INTEGER NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS legs_by_account ON legs (account_id, state);
";

/// How long a movement may stay `preparing` before the alarm aborts it
/// (its request died between the two phases).
pub const PREPARE_TIMEOUT_MS: i64 = 60 * 1000;

/// The first wait before a decision is sent again, doubled each try up to
/// `RETRY_WAIT_MS_MAX`.
const RETRY_WAIT_MS: i64 = 1000;
const RETRY_WAIT_MS_MAX: i64 = 60 * 1000;

/// The most decisions one alarm sends.
pub const DUE_PER_ALARM_MAX: i64 = 32;

/// A movement as the coordinator keeps it.
#[derive(Clone, Debug, Deserialize)]
pub struct MovementRow {
    pub transfer_id: String,
    pub kind: String,
    pub reference_id: String,
    pub account_id: String,
    pub remote_account: String,
    pub remote_shard: i64,
    pub amount_minor: i64,
    pub currency: String,
    pub fingerprint: String,
    pub state: String,
}

/// What a coordinator is about to ask of another shard.
pub struct NewMovement<'a> {
    pub transfer_id: &'a str,
    /// `capture` or `refund`.
    pub kind: &'static str,
    /// The hold a capture closes, or the capture a refund returns.
    pub reference_id: &'a str,
    /// The customer's account, on this shard (the coordinator).
    pub account_id: &'a str,
    pub shard: u32,
    pub remote_account: &'a str,
    pub remote_shard: u32,
    pub amount_minor: i64,
    pub currency: &'a str,
    pub fingerprint: &'a str,
}

/// A movement begun: phase one, to send to `shard`.
#[derive(Debug)]
pub struct Begun {
    pub movement_id: String,
    pub shard: u32,
    pub leg: LegPrepare,
}

/// A decision the coordinator owes a participant.
#[derive(Debug)]
pub struct Due {
    pub movement_id: String,
    pub shard: u32,
    pub commit: bool,
}

// The protocol's rules: the coordinator's phase two, and the
// participant's answers to both phases. Each runs synchronously, so its
// checks and writes are one unit.

/// How a movement with another shard ended for the caller.
#[derive(Debug)]
pub enum Finished {
    /// Decided: the transfer's outcome, and the commit this shard owes the
    /// other one now (also owed, until acknowledged, by the alarm).
    Done {
        outcome: TransferOutcome,
        commit: Option<Due>,
    },
    /// The other shard did not answer phase one: nothing moved (an abort
    /// is owed to it, in case it prepared); ask again.
    Unavailable,
}

/// Phase two at the coordinator, in one synchronous run: commits the
/// movement (the transfer posts here, through this shard's transit
/// account) when the other shard prepared its leg, records the transfer
/// failed when it refused, and aborts it when it did not answer.
pub fn finish_movement(
    sql: &SqlStorage,
    movement_id: &str,
    answer: Option<LegAnswer>,
    now_ms: i64,
) -> worker::Result<Finished> {
    let row = movement(sql, movement_id)?
        .ok_or_else(|| worker::Error::RustError("movement not recorded".into()))?;
    // The alarm gave up on it meanwhile (and owes the abort).
    if row.state != "preparing" {
        return Ok(Finished::Unavailable);
    }
    let kind = movement_kind(&row.kind)?;
    let shard = stored_shard(row.remote_shard)?;
    match answer.map(|answer| (answer.state, answer.failure)) {
        Some((LegState::Prepared | LegState::Committed, _)) => {
            let plan = match kind {
                TransferKind::Capture => {
                    let hold = match transfer_row(sql, &row.reference_id)? {
                        Some(hold) if closing_kind(sql, &row.reference_id)?.is_none() => Some(hold),
                        _ => None,
                    };
                    let Some(hold) = hold else {
                        // Cannot happen while the movement holds the hold;
                        // if it did, nothing posts anywhere.
                        decide(sql, movement_id, "aborted", false, now_ms)?;
                        return Ok(Finished::Unavailable);
                    };
                    release_plan(&hold, Some(row.amount_minor))
                }
                _ => Plan {
                    status: TransferStatus::Posted,
                    debit: transit_account(&row.currency),
                    credit: row.account_id.clone(),
                    amount_minor: row.amount_minor,
                    currency: row.currency.clone(),
                    reference_id: Some(row.reference_id.clone()),
                    expires_at_ms: None,
                    entries: vec![("posted", row.amount_minor)],
                    remote: Some((row.remote_account.clone(), shard)),
                },
            };
            decide(sql, movement_id, "committed", false, now_ms)?;
            write(sql, &row.transfer_id, kind, &row.fingerprint, &plan, now_ms)?;
            Ok(Finished::Done {
                outcome: recorded(sql, &row.transfer_id)?,
                commit: Some(Due {
                    movement_id: movement_id.to_owned(),
                    shard,
                    commit: true,
                }),
            })
        }
        Some((LegState::Refused, failure)) => {
            decide(sql, movement_id, "aborted", true, now_ms)?;
            insert_transfer(
                sql,
                &NewTransfer {
                    transfer_id: &row.transfer_id,
                    kind,
                    status: TransferStatus::Failed,
                    failure: Some(failure.unwrap_or(BankFailure::InvalidRequest)),
                    debit_account: None,
                    credit_account: None,
                    amount_minor: row.amount_minor,
                    currency: &row.currency,
                    reference_id: None,
                    fingerprint: &row.fingerprint,
                    now_ms,
                    expires_at_ms: None,
                    remote: None,
                },
            )?;
            Ok(Finished::Done {
                outcome: recorded(sql, &row.transfer_id)?,
                commit: None,
            })
        }
        // The other shard had aborted this movement already.
        Some((LegState::Aborted, _)) => {
            decide(sql, movement_id, "aborted", true, now_ms)?;
            Ok(Finished::Unavailable)
        }
        None => {
            decide(sql, movement_id, "aborted", false, now_ms)?;
            Ok(Finished::Unavailable)
        }
    }
}

/// A stored movement kind: a capture or a refund, nothing else.
fn movement_kind(code: &str) -> worker::Result<TransferKind> {
    match code {
        "capture" => Ok(TransferKind::Capture),
        "refund" => Ok(TransferKind::Refund),
        other => Err(damaged(&format!("movement kind {other}"))),
    }
}

/// A stored shard number.
fn stored_shard(shard: i64) -> worker::Result<u32> {
    u32::try_from(shard).map_err(|_| damaged("shard number"))
}

fn damaged(what: &str) -> worker::Error {
    worker::Error::RustError(format!("stored {what} is damaged"))
}

/// The other shard answered a decision: acknowledged when its leg is in
/// the decided state, sent again later otherwise.
pub fn decision_answered(
    sql: &SqlStorage,
    due: &Due,
    answer: Option<&LegAnswer>,
    now_ms: i64,
) -> worker::Result<()> {
    let expected = if due.commit {
        LegState::Committed
    } else {
        LegState::Aborted
    };
    match answer {
        Some(answer) if answer.state == expected => acknowledged(sql, &due.movement_id),
        _ => retry_later(sql, &due.movement_id, now_ms),
    }
}

/// A leg id: a movement id (`<transfer id>~<coordinator shard>~<attempt>`).
fn valid_leg_id(id: &str) -> bool {
    let digits = |text: &str| !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
    let mut parts = id.split('~');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(transfer_id), Some(shard), Some(attempt), None) => {
            valid_id(transfer_id) && digits(shard) && digits(attempt)
        }
        _ => false,
    }
}

/// Phase one at the shard of the other account: checks the account and,
/// for a refund leg, that it can pay back (reserving the amount). Answers
/// `prepared`, or `refused` with the reason; a leg already known answers
/// its state (an aborted one refuses a late phase one).
pub fn prepare_leg(
    sql: &SqlStorage,
    leg: &LegPrepare,
    here: u32,
    now_ms: i64,
) -> worker::Result<LegAnswer> {
    if let Some(existing) = leg_row(sql, &leg.movement_id)? {
        // The same leg asked again answers its state; another leg under
        // the same id is refused and changes nothing.
        let same = existing.account_id.as_deref() == Some(leg.account_id.as_str())
            && existing.direction()? == Some(leg.direction)
            && existing.amount_minor == leg.amount_minor
            && existing.currency == leg.currency;
        if !same && existing.state != "aborted" {
            return Ok(leg_answer(
                &leg.movement_id,
                LegState::Refused,
                Some(BankFailure::TransferIdReused),
            ));
        }
        return Ok(leg_answer(&leg.movement_id, leg_state(&existing)?, None));
    }
    let refused = |failure| {
        Ok(leg_answer(
            &leg.movement_id,
            LegState::Refused,
            Some(failure),
        ))
    };
    if !valid_leg_id(&leg.movement_id)
        || !valid_currency(&leg.currency)
        || !valid_amount(leg.amount_minor)
    {
        return refused(BankFailure::InvalidRequest);
    }
    if is_bank_own(&leg.account_id) || shard_of(&leg.account_id) != here {
        return refused(BankFailure::AccountNotFound);
    }
    let Some(account) = account(sql, &leg.account_id)? else {
        return refused(BankFailure::AccountNotFound);
    };
    if account.currency != leg.currency {
        return refused(BankFailure::CurrencyMismatch);
    }
    if leg.direction == LegDirection::Debit {
        let kind = AccountKind::from_code(&account.kind).unwrap_or(AccountKind::Internal);
        if let Some(failure) = shortfall_of(kind)
            && spendable(sql, &account, kind)? < leg.amount_minor
        {
            return refused(failure);
        }
    }
    insert_prepared_leg(sql, leg, now_ms)?;
    Ok(leg_answer(&leg.movement_id, LegState::Prepared, None))
}

/// Phase two, commit, at the shard of the other account: posts the
/// prepared leg through this shard's transit account. `None` for a leg
/// this shard never prepared.
pub fn commit_leg(
    sql: &SqlStorage,
    decision: &LegDecision,
    now_ms: i64,
) -> worker::Result<Option<LegAnswer>> {
    let Some(leg) = leg_row(sql, &decision.movement_id)? else {
        return Ok(None);
    };
    if leg.state != "prepared" {
        return Ok(Some(leg_answer(
            &decision.movement_id,
            leg_state(&leg)?,
            None,
        )));
    }
    let account = leg
        .account_id
        .clone()
        .ok_or_else(|| damaged("leg account"))?;
    let transit = transit_account(&leg.currency);
    let (debit, credit) = match leg.direction()? {
        Some(LegDirection::Credit) => (transit, account),
        Some(LegDirection::Debit) => (account, transit),
        None => return Err(damaged("leg direction")),
    };
    set_leg_state(sql, &decision.movement_id, "committed")?;
    let plan = Plan {
        status: TransferStatus::Posted,
        debit,
        credit,
        amount_minor: leg.amount_minor,
        currency: leg.currency.clone(),
        reference_id: None,
        expires_at_ms: None,
        entries: vec![("posted", leg.amount_minor)],
        remote: None,
    };
    write(
        sql,
        &decision.movement_id,
        TransferKind::Leg,
        "leg",
        &plan,
        now_ms,
    )?;
    Ok(Some(leg_answer(
        &decision.movement_id,
        LegState::Committed,
        None,
    )))
}

/// Phase two, abort, at the shard of the other account: releases a
/// prepared leg, and remembers an abort for a leg it never saw.
pub fn abort_leg(
    sql: &SqlStorage,
    decision: &LegDecision,
    now_ms: i64,
) -> worker::Result<LegAnswer> {
    match leg_row(sql, &decision.movement_id)? {
        None => {
            insert_tombstone(sql, decision, now_ms)?;
            Ok(leg_answer(&decision.movement_id, LegState::Aborted, None))
        }
        Some(leg) if leg.state == "prepared" => {
            set_leg_state(sql, &decision.movement_id, "aborted")?;
            Ok(leg_answer(&decision.movement_id, LegState::Aborted, None))
        }
        Some(leg) => Ok(leg_answer(&decision.movement_id, leg_state(&leg)?, None)),
    }
}

// The protocol's SQL.

const MOVEMENT_COLUMNS: &str = "transfer_id, kind, reference_id, account_id, remote_account, \
     remote_shard, amount_minor, currency, fingerprint, state";

pub fn movement(sql: &SqlStorage, movement_id: &str) -> worker::Result<Option<MovementRow>> {
    let rows: Vec<MovementRow> = sql
        .exec(
            &format!("SELECT {MOVEMENT_COLUMNS} FROM movements WHERE movement_id = ?"),
            vec![text(movement_id)],
        )?
        .to_array()?;
    Ok(rows.into_iter().next())
}

/// Whether a movement of `transfer_id` is being decided now.
pub fn transfer_in_progress(sql: &SqlStorage, transfer_id: &str) -> worker::Result<bool> {
    count(
        sql,
        "SELECT COUNT(*) AS n FROM movements WHERE transfer_id = ? AND state = 'preparing'",
        transfer_id,
    )
    .map(|n| n > 0)
}

/// Whether a capture of `hold_id` is being decided now.
pub fn hold_in_progress(sql: &SqlStorage, hold_id: &str) -> worker::Result<bool> {
    count(
        sql,
        "SELECT COUNT(*) AS n FROM movements WHERE reference_id = ? AND state = 'preparing'",
        hold_id,
    )
    .map(|n| n > 0)
}

/// What refunds of `capture_id` being decided now may still take.
pub fn refunds_in_progress(sql: &SqlStorage, capture_id: &str) -> worker::Result<i64> {
    count(
        sql,
        "SELECT COALESCE(SUM(amount_minor), 0) AS n FROM movements
         WHERE reference_id = ? AND kind = 'refund' AND state = 'preparing'",
        capture_id,
    )
}

fn count(sql: &SqlStorage, query: &str, key: &str) -> worker::Result<i64> {
    #[derive(Deserialize)]
    struct Row {
        n: i64,
    }
    let rows: Vec<Row> = sql.exec(query, vec![text(key)])?.to_array()?;
    Ok(rows.first().map_or(0, |row| row.n))
}

/// Records a movement `preparing` (attempt `n` of a transfer id on shard
/// `s` is `<transfer id>~<s>~<n>`, unique across the bank) and answers
/// phase one.
pub fn begin(sql: &SqlStorage, new: &NewMovement<'_>, now_ms: i64) -> worker::Result<Begun> {
    let attempts = count(
        sql,
        "SELECT COUNT(*) AS n FROM movements WHERE transfer_id = ?",
        new.transfer_id,
    )?;
    let movement_id = format!("{}~{}~{}", new.transfer_id, new.shard, attempts + 1);
    sql.exec(
        "INSERT INTO movements (movement_id, transfer_id, kind, reference_id, account_id, remote_account,
             remote_shard, amount_minor, currency, fingerprint, state, acked, tries, next_try_ms, created_at_ms)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'preparing', 0, 0, ?, ?)",
        vec![
            text(&movement_id),
            text(new.transfer_id),
            text(new.kind),
            text(new.reference_id),
            text(new.account_id),
            text(new.remote_account),
            integer(i64::from(new.remote_shard)),
            integer(new.amount_minor),
            text(new.currency),
            text(new.fingerprint),
            integer(now_ms + PREPARE_TIMEOUT_MS),
            integer(now_ms),
        ],
    )?;
    let direction = if new.kind == "capture" {
        LegDirection::Credit
    } else {
        LegDirection::Debit
    };
    Ok(Begun {
        movement_id: movement_id.clone(),
        shard: new.remote_shard,
        leg: LegPrepare {
            movement_id,
            account_id: new.remote_account.to_owned(),
            direction,
            amount_minor: new.amount_minor,
            currency: new.currency.to_owned(),
        },
    })
}

/// Moves a `preparing` movement to `state`; answers whether it was still
/// preparing (the alarm may have aborted it meanwhile).
pub fn decide(
    sql: &SqlStorage,
    movement_id: &str,
    state: &str,
    acked: bool,
    now_ms: i64,
) -> worker::Result<bool> {
    let cursor = sql.exec(
        "UPDATE movements SET state = ?, acked = ?, next_try_ms = ?
         WHERE movement_id = ? AND state = 'preparing'",
        vec![
            text(state),
            integer(i64::from(acked)),
            integer(now_ms),
            text(movement_id),
        ],
    )?;
    Ok(cursor.rows_written() > 0)
}

/// The participant acknowledged the decision.
pub fn acknowledged(sql: &SqlStorage, movement_id: &str) -> worker::Result<()> {
    sql.exec(
        "UPDATE movements SET acked = 1 WHERE movement_id = ? AND state != 'preparing'",
        vec![text(movement_id)],
    )?;
    Ok(())
}

/// The participant did not answer: send the decision again later.
pub fn retry_later(sql: &SqlStorage, movement_id: &str, now_ms: i64) -> worker::Result<()> {
    #[derive(Deserialize)]
    struct Row {
        tries: i64,
    }
    let rows: Vec<Row> = sql
        .exec(
            "SELECT tries FROM movements WHERE movement_id = ?",
            vec![text(movement_id)],
        )?
        .to_array()?;
    let tries = rows.first().map_or(0, |row| row.tries);
    let wait = RETRY_WAIT_MS
        .saturating_mul(1_i64 << tries.clamp(0, 16))
        .min(RETRY_WAIT_MS_MAX);
    sql.exec(
        "UPDATE movements SET tries = tries + 1, next_try_ms = ? WHERE movement_id = ?",
        vec![integer(now_ms + wait), text(movement_id)],
    )?;
    Ok(())
}

/// The decisions this shard owes other shards now, after aborting
/// movements whose request died while `preparing`.
pub fn due_decisions(sql: &SqlStorage, now_ms: i64) -> worker::Result<Vec<Due>> {
    sql.exec(
        "UPDATE movements SET state = 'aborted', next_try_ms = ?
         WHERE state = 'preparing' AND next_try_ms <= ?",
        vec![integer(now_ms), integer(now_ms)],
    )?;
    #[derive(Deserialize)]
    struct Row {
        movement_id: String,
        remote_shard: i64,
        state: String,
    }
    let rows: Vec<Row> = sql
        .exec(
            "SELECT movement_id, remote_shard, state FROM movements
             WHERE acked = 0 AND state != 'preparing' AND next_try_ms <= ?
             ORDER BY next_try_ms LIMIT ?",
            vec![integer(now_ms), integer(DUE_PER_ALARM_MAX)],
        )?
        .to_array()?;
    rows.into_iter()
        .map(|row| {
            Ok(Due {
                shard: stored_shard(row.remote_shard)?,
                commit: row.state == "committed",
                movement_id: row.movement_id,
            })
        })
        .collect()
}

/// When the alarm has a movement to look at next.
pub fn next_decision(sql: &SqlStorage) -> worker::Result<Option<i64>> {
    #[derive(Deserialize)]
    struct Row {
        next: Option<i64>,
    }
    let rows: Vec<Row> = sql
        .exec(
            "SELECT MIN(next_try_ms) AS next FROM movements WHERE acked = 0",
            None,
        )?
        .to_array()?;
    Ok(rows.into_iter().next().and_then(|row| row.next))
}

/// A leg as a participant keeps it.
#[derive(Clone, Debug, Deserialize)]
pub struct LegRow {
    pub account_id: Option<String>,
    pub direction: Option<String>,
    pub amount_minor: i64,
    pub currency: String,
    pub state: String,
}

pub fn leg_row(sql: &SqlStorage, movement_id: &str) -> worker::Result<Option<LegRow>> {
    let rows: Vec<LegRow> = sql
        .exec(
            "SELECT account_id, direction, amount_minor, currency, state FROM legs
             WHERE movement_id = ?",
            vec![text(movement_id)],
        )?
        .to_array()?;
    Ok(rows.into_iter().next())
}

pub fn leg_state(row: &LegRow) -> worker::Result<LegState> {
    match row.state.as_str() {
        "prepared" => Ok(LegState::Prepared),
        "committed" => Ok(LegState::Committed),
        "aborted" => Ok(LegState::Aborted),
        other => Err(damaged(&format!("leg state {other}"))),
    }
}

impl LegRow {
    /// The leg's direction (`None` for the tombstone of an abort).
    fn direction(&self) -> worker::Result<Option<LegDirection>> {
        match self.direction.as_deref() {
            None => Ok(None),
            Some("credit") => Ok(Some(LegDirection::Credit)),
            Some("debit") => Ok(Some(LegDirection::Debit)),
            Some(other) => Err(damaged(&format!("leg direction {other}"))),
        }
    }
}

pub fn leg_answer(movement_id: &str, state: LegState, failure: Option<BankFailure>) -> LegAnswer {
    LegAnswer {
        movement_id: movement_id.to_owned(),
        state,
        failure,
    }
}

/// What prepared refund legs reserve on `account_id`: a new hold or leg
/// may not take it.
pub fn reserved_debits(sql: &SqlStorage, account_id: &str) -> worker::Result<i64> {
    count(
        sql,
        "SELECT COALESCE(SUM(amount_minor), 0) AS n FROM legs
         WHERE account_id = ? AND direction = 'debit' AND state = 'prepared'",
        account_id,
    )
}

pub fn insert_prepared_leg(sql: &SqlStorage, leg: &LegPrepare, now_ms: i64) -> worker::Result<()> {
    let direction = match leg.direction {
        LegDirection::Credit => "credit",
        LegDirection::Debit => "debit",
    };
    sql.exec(
        "INSERT INTO legs (movement_id, account_id, direction, amount_minor, currency, state, at_ms)
         VALUES (?, ?, ?, ?, ?, 'prepared', ?)",
        vec![
            text(&leg.movement_id),
            text(&leg.account_id),
            text(direction),
            integer(leg.amount_minor),
            text(&leg.currency),
            integer(now_ms),
        ],
    )?;
    Ok(())
}

/// Moves a prepared leg to `committed` or `aborted`.
pub fn set_leg_state(sql: &SqlStorage, movement_id: &str, state: &str) -> worker::Result<()> {
    sql.exec(
        "UPDATE legs SET state = ? WHERE movement_id = ? AND state = 'prepared'",
        vec![text(state), text(movement_id)],
    )?;
    Ok(())
}

/// An abort for a leg this shard never prepared: remembered, so a phase
/// one that arrives late is refused.
pub fn insert_tombstone(
    sql: &SqlStorage,
    decision: &LegDecision,
    now_ms: i64,
) -> worker::Result<()> {
    sql.exec(
        "INSERT OR IGNORE INTO legs (movement_id, account_id, direction, amount_minor, currency, state, at_ms)
         VALUES (?, ?, NULL, 0, '', 'aborted', ?)",
        vec![text(&decision.movement_id), optional_text(None), integer(now_ms)],
    )?;
    Ok(())
}

/// For the bank-wide check: this shard's transit balances, the movements
/// it decided, and its legs of other shards' movements.
pub struct CrossShardFacts {
    pub transit_net: Vec<(String, i64)>,
    pub movements: Vec<MovementFact>,
    pub legs: Vec<(String, String)>,
}

pub fn facts(sql: &SqlStorage) -> worker::Result<CrossShardFacts> {
    #[derive(Deserialize)]
    struct Sum {
        currency: String,
        net: i64,
    }
    #[derive(Deserialize)]
    struct Pair {
        id: String,
        state: String,
    }
    #[derive(Deserialize)]
    struct Decided {
        movement_id: String,
        state: String,
        acked: i64,
        currency: String,
        transit_minor: i64,
    }
    let sums: Vec<Sum> = sql
        .exec(
            "SELECT e.currency AS currency, SUM(e.credit_minor - e.debit_minor) AS net
             FROM entries e WHERE e.account_id LIKE 'transit.%' AND e.phase = 'posted'
             GROUP BY e.currency",
            None,
        )?
        .to_array()?;
    let decided: Vec<Decided> = sql
        .exec(
            "SELECT movement_id, state, acked, currency,
                    CASE WHEN kind = 'capture' THEN amount_minor ELSE -amount_minor END AS transit_minor
             FROM movements WHERE state != 'preparing'",
            None,
        )?
        .to_array()?;
    let legs: Vec<Pair> = sql
        .exec("SELECT movement_id AS id, state FROM legs", None)?
        .to_array()?;
    Ok(CrossShardFacts {
        transit_net: sums
            .into_iter()
            .map(|row| (row.currency, row.net))
            .collect(),
        movements: decided
            .into_iter()
            .map(|row| MovementFact {
                movement_id: row.movement_id,
                state: row.state,
                acked: row.acked == 1,
                currency: row.currency,
                transit_minor: row.transit_minor,
            })
            .collect(),
        legs: legs.into_iter().map(|row| (row.id, row.state)).collect(),
    })
}
