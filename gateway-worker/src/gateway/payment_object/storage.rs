//! The payment object's storage: every SQL statement it runs over its
//! tables (`schema.rs`). Rows come back typed (`model.rs`); a state change names the state
//! it leaves (`WHERE state = ?`) and reports whether it happened, so a
//! request that another one overtook fails closed instead of writing over
//! it. Each change that writes several rows makes its guarded write first:
//! when the guard fails nothing at all is written.

use serde::Deserialize;
use serde::de::DeserializeOwned;
use shared::decline::{DeclineCode, ShopperDeclineCode};
use shared::refusal::RefusalCode;
use shared::wire::{Payment, PaymentStatus};
use worker::{Result, SqlStorage, SqlStorageValue};

use super::model::{
    Attempt, AttemptRow, Authorization, CaptureState, IdempotencyRow, OutboxRow, RefundRow,
    RefundState,
};
use super::schema;

fn text(value: &str) -> SqlStorageValue {
    SqlStorageValue::from(value.to_owned())
}

fn int(value: i64) -> SqlStorageValue {
    SqlStorageValue::Integer(value)
}

fn optional(value: Option<&str>) -> SqlStorageValue {
    SqlStorageValue::from(value.map(str::to_owned))
}

fn corrupt(failure: impl core::fmt::Display) -> worker::Error {
    worker::Error::RustError(format!("payment object storage: {failure}"))
}

/// The card facts an attempt records when it asks the issuer.
pub struct Asking<'a> {
    pub attempt_id: &'a str,
    pub reference: &'a str,
    pub brand: &'a str,
    pub last_four: &'a str,
    pub card_fingerprint: &'a str,
    pub address_fingerprint: Option<&'a str>,
}

pub struct Storage {
    sql: SqlStorage,
}

impl Storage {
    /// Opens the storage; `prepare` creates and migrates the schema (once
    /// per object instance).
    pub fn open(sql: SqlStorage, prepare: bool) -> Result<Storage> {
        if prepare {
            schema::prepare(&sql)?;
        }
        Ok(Storage { sql })
    }

    fn rows<T: DeserializeOwned>(
        &self,
        query: &str,
        values: Vec<SqlStorageValue>,
    ) -> Result<Vec<T>> {
        self.sql.exec(query, Some(values))?.to_array()
    }

    /// Runs a write; answers how many rows it changed.
    fn write(&self, query: &str, values: Vec<SqlStorageValue>) -> Result<usize> {
        Ok(self.sql.exec(query, Some(values))?.rows_written())
    }

    // The payment.

    pub fn payment(&self) -> Result<Option<Payment>> {
        #[derive(Deserialize)]
        struct Row {
            body: String,
        }
        let rows: Vec<Row> = self.rows("SELECT body FROM payment WHERE id = 1", vec![])?;
        rows.first()
            .map(|row| serde_json::from_str(&row.body).map_err(corrupt))
            .transpose()
    }

    pub fn insert_payment(&self, payment: &Payment) -> Result<()> {
        self.write(
            "INSERT INTO payment (id, body) VALUES (1, ?)",
            vec![text(&serde_json::to_string(payment)?)],
        )?;
        Ok(())
    }

    /// Writes `payment` over the stored one if the stored status is still
    /// `from`; answers whether it did.
    pub fn replace_payment(&self, from: PaymentStatus, payment: &Payment) -> Result<bool> {
        let from = serde_json::to_value(from)?;
        let from = from
            .as_str()
            .ok_or_else(|| corrupt("a payment status that is not a code"))?;
        let written = self.write(
            "UPDATE payment SET body = ? WHERE id = 1 AND json_extract(body, '$.status') = ?",
            vec![text(&serde_json::to_string(payment)?), text(from)],
        )?;
        Ok(written == 1)
    }

    /// Moves the payment from status `from` to `to`; answers whether it did.
    pub fn move_payment(&self, from: PaymentStatus, to: PaymentStatus) -> Result<bool> {
        let Some(mut payment) = self.payment()? else {
            return Ok(false);
        };
        payment.status = to;
        self.replace_payment(from, &payment)
    }

    // Attempts.

    pub fn attempts(&self) -> Result<Vec<Attempt>> {
        let rows: Vec<AttemptRow> =
            self.rows("SELECT * FROM attempts ORDER BY sequence", vec![])?;
        rows.into_iter()
            .map(|row| Attempt::try_from(row).map_err(corrupt))
            .collect()
    }

    pub fn attempt(&self, sequence: i64) -> Result<Option<Attempt>> {
        let rows: Vec<AttemptRow> = self.rows(
            "SELECT * FROM attempts WHERE sequence = ?",
            vec![int(sequence)],
        )?;
        rows.into_iter()
            .next()
            .map(|row| Attempt::try_from(row).map_err(corrupt))
            .transpose()
    }

    /// Claims the payment for a new attempt: the payment moves from
    /// `requires_payment_method` to `processing` (the guarded write, first),
    /// then the attempt row and its idempotency key are written.
    pub fn claim(
        &self,
        sequence: i64,
        sealed_hash: &str,
        key: Option<(&str, &str)>,
        now: i64,
    ) -> Result<bool> {
        if !self.move_payment(
            PaymentStatus::RequiresPaymentMethod,
            PaymentStatus::Processing,
        )? {
            return Ok(false);
        }
        self.write(
            "INSERT INTO attempts (sequence, state, sealed_hash, idempotency_key, created_at_ms, updated_at_ms)
             VALUES (?, 'checking', ?, ?, ?, ?)",
            vec![
                int(sequence),
                text(sealed_hash),
                optional(key.map(|(key, _)| key)),
                int(now),
                int(now),
            ],
        )?;
        if let Some((key, fingerprint)) = key {
            self.claim_key(key, fingerprint, now)?;
        }
        Ok(true)
    }

    /// Ends a `checking` attempt before the issuer was asked, and frees
    /// the payment it held; answers whether it was still `checking`.
    pub fn reject(&self, sequence: i64, code: RefusalCode, now: i64) -> Result<bool> {
        let moved = self.write(
            "UPDATE attempts SET state = 'rejected', code = ?, updated_at_ms = ?
             WHERE sequence = ? AND state = 'checking'",
            vec![text(code.code()), int(now), int(sequence)],
        )? == 1;
        if moved {
            self.move_payment(
                PaymentStatus::Processing,
                PaymentStatus::RequiresPaymentMethod,
            )?;
        }
        Ok(moved)
    }

    /// `checking` → `authorizing`, with the card facts; answers whether
    /// the attempt was still `checking`.
    pub fn begin_authorizing(&self, sequence: i64, asking: &Asking<'_>, now: i64) -> Result<bool> {
        Ok(self.write(
            "UPDATE attempts SET state = 'authorizing', attempt_id = ?, reference = ?, brand = ?, last_four = ?,
                 card_fingerprint = ?, address_fingerprint = ?, updated_at_ms = ?, authorizing_since_ms = ?
             WHERE sequence = ? AND state = 'checking'",
            vec![
                text(asking.attempt_id),
                text(asking.reference),
                text(asking.brand),
                text(asking.last_four),
                text(asking.card_fingerprint),
                optional(asking.address_fingerprint),
                int(now),
                int(now),
                int(sequence),
            ],
        )? == 1)
    }

    /// One more unanswered try of an `authorizing` attempt.
    pub fn count_try(&self, sequence: i64, now: i64) -> Result<bool> {
        Ok(self.write(
            "UPDATE attempts SET tries = tries + 1, updated_at_ms = ? WHERE sequence = ? AND state = 'authorizing'",
            vec![int(now), int(sequence)],
        )? == 1)
    }

    /// `authorizing` → `declined`; answers whether it moved.
    pub fn decline(
        &self,
        sequence: i64,
        code: DeclineCode,
        shopper: ShopperDeclineCode,
        now: i64,
    ) -> Result<bool> {
        Ok(self.write(
            "UPDATE attempts SET state = 'declined', code = ?, shopper_code = ?, updated_at_ms = ?
             WHERE sequence = ? AND state = 'authorizing'",
            vec![
                text(code.code()),
                text(shopper.code()),
                int(now),
                int(sequence),
            ],
        )? == 1)
    }

    /// Marks a settled attempt's hold as to be released (its tries count
    /// the release from here).
    pub fn mark_release_pending(&self, sequence: i64, now: i64) -> Result<()> {
        self.write(
            "UPDATE attempts SET release_pending = 1, tries = 0, updated_at_ms = ?
             WHERE sequence = ? AND state IN ('approved', 'declined')",
            vec![int(now), int(sequence)],
        )?;
        Ok(())
    }

    /// The release of an attempt's hold: done, or one more unanswered try.
    pub fn release_tried(&self, sequence: i64, done: bool, now: i64) -> Result<()> {
        let query = if done {
            "UPDATE attempts SET release_pending = 0, updated_at_ms = ? WHERE sequence = ? AND release_pending = 1"
        } else {
            "UPDATE attempts SET tries = tries + 1, updated_at_ms = ? WHERE sequence = ? AND release_pending = 1"
        };
        self.write(query, vec![int(now), int(sequence)])?;
        Ok(())
    }

    /// `authorizing` → `approved`; answers whether it moved.
    pub fn approve(&self, sequence: i64, authorization_code: &str, now: i64) -> Result<bool> {
        Ok(self.write(
            "UPDATE attempts SET state = 'approved', authorization_code = ?, updated_at_ms = ?
             WHERE sequence = ? AND state = 'authorizing'",
            vec![text(authorization_code), int(now), int(sequence)],
        )? == 1)
    }

    // The authorization.

    pub fn authorization(&self) -> Result<Option<Authorization>> {
        Ok(self
            .rows::<Authorization>("SELECT * FROM authorization WHERE id = 1", vec![])?
            .into_iter()
            .next())
    }

    pub fn insert_authorization(
        &self,
        sequence: i64,
        signed: &str,
        capture: CaptureState,
    ) -> Result<()> {
        self.write(
            "INSERT INTO authorization (id, attempt_sequence, signed, capture) VALUES (1, ?, ?, ?)",
            vec![int(sequence), text(signed), text(capture.code())],
        )?;
        Ok(())
    }

    /// Moves the capture from `from` to `to`; answers whether it did.
    pub fn move_capture(&self, from: CaptureState, to: CaptureState) -> Result<bool> {
        Ok(self.write(
            "UPDATE authorization SET capture = ? WHERE id = 1 AND capture = ?",
            vec![text(to.code()), text(from.code())],
        )? == 1)
    }

    pub fn count_capture_try(&self, state: CaptureState) -> Result<bool> {
        Ok(self.write(
            "UPDATE authorization SET capture_tries = capture_tries + 1 WHERE id = 1 AND capture = ?",
            vec![text(state.code())],
        )? == 1)
    }

    // Idempotency keys.

    pub fn idempotency(&self, key: &str) -> Result<Option<IdempotencyRow>> {
        Ok(self
            .rows::<IdempotencyRow>(
                "SELECT fingerprint, status, answer FROM idempotency WHERE key = ?",
                vec![text(key)],
            )?
            .into_iter()
            .next())
    }

    pub fn claim_key(&self, key: &str, fingerprint: &str, now: i64) -> Result<()> {
        self.write(
            "INSERT INTO idempotency (key, fingerprint, created_at_ms) VALUES (?, ?, ?)",
            vec![text(key), text(fingerprint), int(now)],
        )?;
        Ok(())
    }

    /// Stores the final answer under `key` (once: a stored answer stands).
    pub fn complete_key(&self, key: &str, status: u16, answer: &str) -> Result<()> {
        self.write(
            "UPDATE idempotency SET status = ?, answer = ? WHERE key = ? AND answer IS NULL",
            vec![int(i64::from(status)), text(answer), text(key)],
        )?;
        Ok(())
    }

    /// Forgets a key whose request decided nothing, so it may be retried.
    pub fn forget_key(&self, key: &str) -> Result<()> {
        self.write("DELETE FROM idempotency WHERE key = ?", vec![text(key)])?;
        Ok(())
    }

    /// Forgets answered keys created before `before`; answers when the
    /// oldest key left was created.
    pub fn forget_keys_before(&self, before: i64) -> Result<Option<i64>> {
        self.write(
            "DELETE FROM idempotency WHERE created_at_ms < ? AND answer IS NOT NULL",
            vec![int(before)],
        )?;
        #[derive(Deserialize)]
        struct Oldest {
            oldest: Option<i64>,
        }
        let rows: Vec<Oldest> = self.rows(
            "SELECT MIN(created_at_ms) AS oldest FROM idempotency",
            vec![],
        )?;
        Ok(rows.first().and_then(|row| row.oldest))
    }

    // Refunds.

    pub fn refunds(&self) -> Result<Vec<RefundRow>> {
        self.rows(
            "SELECT * FROM refunds ORDER BY created_at_ms, refund_id",
            vec![],
        )
    }

    /// A new pending refund and its key, in one step.
    pub fn insert_refund(
        &self,
        refund_id: &str,
        amount_minor: i64,
        key: (&str, &str),
        now: i64,
    ) -> Result<()> {
        self.write(
            "INSERT INTO refunds (refund_id, amount_minor, state, idempotency_key, created_at_ms, updated_at_ms)
             VALUES (?, ?, 'pending', ?, ?, ?)",
            vec![text(refund_id), int(amount_minor), text(key.0), int(now), int(now)],
        )?;
        self.claim_key(key.0, key.1, now)
    }

    /// Moves a pending refund to `to` (with the issuer's refusal code, if
    /// any); answers whether it did.
    pub fn finish_refund(
        &self,
        refund_id: &str,
        to: RefundState,
        code: Option<&str>,
        now: i64,
    ) -> Result<bool> {
        Ok(self.write(
            "UPDATE refunds SET state = ?, code = ?, updated_at_ms = ? WHERE refund_id = ? AND state = 'pending'",
            vec![text(to.code()), optional(code), int(now), text(refund_id)],
        )? == 1)
    }

    pub fn count_refund_try(&self, refund_id: &str, now: i64) -> Result<bool> {
        Ok(self.write(
            "UPDATE refunds SET tries = tries + 1, updated_at_ms = ? WHERE refund_id = ? AND state = 'pending'",
            vec![int(now), text(refund_id)],
        )? == 1)
    }

    // The outbox.

    pub fn enqueue(&self, event_id: &str, body: &str, now: i64) -> Result<()> {
        self.write(
            "INSERT OR IGNORE INTO outbox (event_id, body, next_at_ms) VALUES (?, ?, ?)",
            vec![text(event_id), text(body), int(now)],
        )?;
        Ok(())
    }

    pub fn due_events(&self, deliveries_max: i64, now: i64) -> Result<Vec<OutboxRow>> {
        self.rows(
            "SELECT event_id, body, deliveries FROM outbox
             WHERE delivered_at_ms IS NULL AND deliveries < ? AND next_at_ms <= ?",
            vec![int(deliveries_max), int(now)],
        )
    }

    pub fn delivered(&self, event_id: &str, now: i64) -> Result<()> {
        self.write(
            "UPDATE outbox SET delivered_at_ms = ?, deliveries = deliveries + 1 WHERE event_id = ?",
            vec![int(now), text(event_id)],
        )?;
        Ok(())
    }

    pub fn not_delivered(&self, event_id: &str, next_at: i64) -> Result<()> {
        self.write(
            "UPDATE outbox SET deliveries = deliveries + 1, next_at_ms = ? WHERE event_id = ?",
            vec![int(next_at), text(event_id)],
        )?;
        Ok(())
    }

    /// When the next undelivered event is due.
    pub fn next_event_at(&self, deliveries_max: i64) -> Result<Option<i64>> {
        #[derive(Deserialize)]
        struct Next {
            next_at_ms: Option<i64>,
        }
        let rows: Vec<Next> = self.rows(
            "SELECT MIN(next_at_ms) AS next_at_ms FROM outbox WHERE delivered_at_ms IS NULL AND deliveries < ?",
            vec![int(deliveries_max)],
        )?;
        Ok(rows.first().and_then(|row| row.next_at_ms))
    }

    /// Every row of every table, for the operator's storage scan.
    pub fn dump(&self) -> Result<serde_json::Map<String, serde_json::Value>> {
        let mut tables = serde_json::Map::new();
        for table in schema::TABLES {
            let rows: Vec<serde_json::Value> =
                self.rows(&format!("SELECT * FROM {table}"), vec![])?;
            tables.insert(
                table.to_owned(),
                crate::http::expand_stored_json(serde_json::Value::Array(rows)),
            );
        }
        Ok(tables)
    }
}
