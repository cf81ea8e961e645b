//! The alarm: it finishes what a crash, a stalled request or a lost answer
//! left open, with the same ids (`machine::attempt_upkeep` and
//! `machine::aftersale_upkeep` say what is due), delivers the outbox and
//! forgets idempotency keys after 24 hours.

use shared::money::Money;
use shared::refusal::RefusalCode;
use worker::Result;

use super::PaymentObject;
use super::machine::{self, ReleaseStep, Task, Upkeep};
use crate::gateway::connector::{
    BuiltInIssuer, CardConnector, ConnectorAuthorization, ConnectorOutcome,
};
use crate::gateway::idempotency::IDEMPOTENCY_KEY_TTL_MS;
use crate::http::now_ms;

impl PaymentObject {
    pub(super) async fn upkeep(&self) -> Result<()> {
        let now = now_ms();
        let storage = self.storage()?;
        let mut upkeep = Upkeep::default();
        machine::attempt_upkeep(&storage.attempts()?, now, &mut upkeep);
        machine::aftersale_upkeep(
            storage.authorization()?.as_ref(),
            &storage.refunds()?,
            now,
            &mut upkeep,
        );
        for task in upkeep.tasks.clone() {
            if let Err(failure) = self.run_task(&task).await {
                worker::console_error!("payment object: upkeep task failed: {failure}");
                upkeep.wake_at(now + machine::RETRY_MS);
            }
        }
        // What the tasks left open is due again.
        let storage = self.storage()?;
        let mut next = Upkeep::default();
        machine::attempt_upkeep(&storage.attempts()?, now_ms(), &mut next);
        machine::aftersale_upkeep(
            storage.authorization()?.as_ref(),
            &storage.refunds()?,
            now_ms(),
            &mut next,
        );
        for due in [upkeep.next_at_ms, next.next_at_ms].into_iter().flatten() {
            upkeep.wake_at(due);
        }
        if !next.tasks.is_empty() {
            let tries = storage.authorization()?.map_or(0, |row| row.capture_tries);
            upkeep.wake_at(now + machine::retry_delay(tries));
        }
        if let Some(due) = self.drain_outbox().await? {
            upkeep.wake_at(due);
        }
        let ttl = i64::try_from(IDEMPOTENCY_KEY_TTL_MS).unwrap_or(i64::MAX);
        if let Some(oldest) = self.storage()?.forget_keys_before(now - ttl)? {
            upkeep.wake_at(oldest + ttl);
        }
        if let Some(due) = upkeep.next_at_ms {
            self.state
                .storage()
                .set_alarm((due - now_ms()).max(0))
                .await?;
        }
        Ok(())
    }

    async fn run_task(&self, task: &Task) -> Result<()> {
        match task {
            Task::Abandon(sequence) => {
                let storage = self.storage()?;
                let key = storage
                    .attempt(*sequence)?
                    .and_then(|attempt| attempt.idempotency_key);
                if storage.reject(*sequence, RefusalCode::AttemptAbandoned, now_ms())?
                    && let Some(key) = key
                {
                    // Nothing was decided: the same request may come again.
                    storage.forget_key(&key)?;
                }
                Ok(())
            }
            Task::Retrieve(sequence) => {
                let Some(reference) = self.reference_of(*sequence)? else {
                    return Ok(());
                };
                let answer = BuiltInIssuer { env: &self.env }
                    .retrieve(&reference)
                    .await
                    .unwrap_or(ConnectorAuthorization::Unknown);
                self.settle_answer(*sequence, answer).await
            }
            Task::Reverse(sequence) => self.reverse(*sequence).await,
            Task::ReleaseHold(sequence) => self.release_hold(*sequence).await,
            Task::Capture => self.capture().await,
            Task::Void => self.void().await,
            Task::Refund(refund_id) => self.ask_refund(refund_id).await,
        }
    }

    fn reference_of(&self, sequence: i64) -> Result<Option<String>> {
        Ok(self
            .storage()?
            .attempt(sequence)?
            .and_then(|attempt| attempt.reference))
    }

    /// Releases whatever hold a settled attempt may have got: the issuer is
    /// asked to reverse its reference (answering the outcome it has); an
    /// approval's hold is then voided, with the attempt's own void id.
    async fn release_hold(&self, sequence: i64) -> Result<()> {
        let storage = self.storage()?;
        let (Some(payment), Some(attempt)) = (storage.payment()?, storage.attempt(sequence)?)
        else {
            return Ok(());
        };
        let Some(reference) = attempt.reference.clone() else {
            return Err(worker::Error::RustError(
                "a hold to release without its reference".into(),
            ));
        };
        let amount = Money::parse_non_negative(&payment.amount, payment.currency)
            .map_err(|failure| worker::Error::RustError(failure.to_string()))?;
        let issuer = BuiltInIssuer { env: &self.env };
        let now = u64::try_from(now_ms()).unwrap_or(0);
        let answer = issuer
            .reverse(&reference, &payment.merchant_id, &amount, now)
            .await
            .unwrap_or(ConnectorAuthorization::Unknown);
        let done = match machine::release_step(machine::heard(&answer)) {
            ReleaseStep::Done => true,
            ReleaseStep::Again => false,
            ReleaseStep::Void => matches!(
                issuer.void(&reference, &format!("{reference}.void")).await,
                Ok(ConnectorOutcome::Done | ConnectorOutcome::Refused { .. })
            ),
        };
        self.storage()?.release_tried(sequence, done, now_ms())
    }

    /// Gives up waiting for an answer: asks the issuer to reverse the
    /// authorization (it answers the final outcome if it has one).
    async fn reverse(&self, sequence: i64) -> Result<()> {
        let storage = self.storage()?;
        let (Some(payment), Some(attempt)) = (storage.payment()?, storage.attempt(sequence)?)
        else {
            return Ok(());
        };
        let Some(reference) = attempt.reference.clone() else {
            return Ok(());
        };
        let amount = Money::parse_non_negative(&payment.amount, payment.currency)
            .map_err(|failure| worker::Error::RustError(failure.to_string()))?;
        let now = u64::try_from(now_ms()).unwrap_or(0);
        let answer = BuiltInIssuer { env: &self.env }
            .reverse(&reference, &payment.merchant_id, &amount, now)
            .await
            .unwrap_or(ConnectorAuthorization::Unknown);
        self.settle_answer(sequence, answer).await
    }
}
