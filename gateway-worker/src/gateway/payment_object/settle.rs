//! The shell of an issuer's answer to an attempt, from the confirmation
//! or from the alarm: the budgets first (a decline keeps its slot, anything
//! else gives it back), then the rules' decision (`machine::settle`),
//! written in one synchronous step; and the confirmation's answer, as the
//! rows then stand.

use shared::wire::PaymentStatus;
use worker::{Response, Result};

use super::PaymentObject;
use super::machine::{self, IssuerAnswer, Settlement, SlotEffect};
use super::model::{Attempt, AttemptState, CaptureState};
use super::storage::Storage;
use crate::gateway::connector::ConnectorAuthorization;
use crate::gateway::keys;
use crate::gateway::risk::{self, Fingerprints};
use crate::http::now_ms;

/// The attempt's budgets and its slot in them. An attempt that asked the
/// issuer always has them; a row without is an error, never a default.
fn slots_of(attempt: &Attempt) -> Result<(Fingerprints, String)> {
    let missing = || worker::Error::RustError("authorizing attempt without its card".into());
    let card = attempt.card_fingerprint.clone().ok_or_else(missing)?;
    let slot = attempt.reference.clone().ok_or_else(missing)?;
    Ok((
        Fingerprints {
            card,
            address: attempt.address_fingerprint.clone(),
        },
        slot,
    ))
}

impl PaymentObject {
    /// Applies an issuer's answer to attempt `sequence`: first the budgets
    /// (`machine::slot_effect`: a decline keeps its slot, anything else
    /// gives it back), then the rules' decision (`machine::settle`),
    /// written in one synchronous step.
    pub(super) async fn settle_answer(
        &self,
        sequence: i64,
        answer: ConnectorAuthorization,
    ) -> Result<()> {
        let Some(attempt) = self.storage()?.attempt(sequence)? else {
            return Ok(());
        };
        if attempt.state != AttemptState::Authorizing {
            return Ok(());
        }
        let (fingerprints, slot) = slots_of(&attempt)?;
        let mut prior_mismatches = 0;
        match machine::slot_effect(machine::heard(&answer)) {
            SlotEffect::MarkDeclined { mismatch } => {
                prior_mismatches = risk::decline(&self.env, &fingerprints, &slot, mismatch)
                    .await
                    .map_err(|failure| worker::Error::RustError(failure.to_string()))?;
            }
            SlotEffect::Release => self.release(&fingerprints, &slot).await,
            SlotEffect::Keep => {}
        }
        let answer = match answer {
            ConnectorAuthorization::Declined { code } => IssuerAnswer::Declined {
                code,
                prior_mismatches,
            },
            ConnectorAuthorization::Approved {
                authorization_code,
                passkey_verified,
            } => IssuerAnswer::Approved {
                authorization_code,
                passkey_verified,
            },
            ConnectorAuthorization::Reversed => IssuerAnswer::Reversed,
            ConnectorAuthorization::Unknown => IssuerAnswer::Unknown,
        };
        let storage = self.storage()?;
        let (Some(payment), Some(attempt)) = (storage.payment()?, storage.attempt(sequence)?)
        else {
            return Ok(());
        };
        let now = now_ms();
        let settlement = machine::settle(&payment, &attempt, answer, now);
        if let Settlement::Decline {
            release_slots: true,
            ..
        } = settlement
        {
            self.release(&fingerprints, &slot).await;
        }
        self.apply_settlement(&storage, sequence, attempt.tries, settlement, now)
            .await
    }

    async fn release(&self, fingerprints: &Fingerprints, slot: &str) {
        if let Err(failure) = risk::release(&self.env, fingerprints, slot).await {
            worker::console_error!("payment object: slot not released: {failure}");
        }
    }

    /// Writes a settlement. Each branch's first write is the guarded one.
    async fn apply_settlement(
        &self,
        storage: &Storage,
        sequence: i64,
        tries: i64,
        settlement: Settlement,
        now: i64,
    ) -> Result<()> {
        match settlement {
            Settlement::Nothing => Ok(()),
            Settlement::Wait => {
                storage.count_try(sequence, now)?;
                self.wake_by(now + machine::retry_delay(tries)).await
            }
            Settlement::Decline {
                code,
                shopper,
                frees_payment,
                release_hold,
                ..
            } => {
                if !storage.decline(sequence, code, shopper, now)? {
                    return Ok(());
                }
                if frees_payment {
                    storage.move_payment(
                        PaymentStatus::Processing,
                        PaymentStatus::RequiresPaymentMethod,
                    )?;
                }
                self.finish_key_of(storage, sequence)?;
                if release_hold {
                    storage.mark_release_pending(sequence, now)?;
                    self.wake_by(now).await?;
                }
                Ok(())
            }
            Settlement::Approve {
                record,
                capture,
                status,
                event,
            } => {
                // Signed before the guarded write: a key that fails leaves
                // the attempt `authorizing`, to be settled again.
                let code = record.authorization_code.clone();
                let signed = keys::authorization_signing_key(&self.env)
                    .map_err(|failure| worker::Error::RustError(failure.to_string()))?
                    .sign(record);
                if !storage.approve(sequence, &code, now)? {
                    return Ok(());
                }
                storage.insert_authorization(
                    sequence,
                    &serde_json::to_string(&signed)?,
                    capture,
                )?;
                if status != PaymentStatus::Processing {
                    storage.move_payment(PaymentStatus::Processing, status)?;
                }
                if let Some(kind) = event {
                    self.enqueue_event(storage, kind, &signed, None, None)?;
                }
                self.finish_key_of(storage, sequence)?;
                self.wake_by(now).await?;
                if capture == CaptureState::Pending {
                    self.capture().await?;
                }
                Ok(())
            }
            Settlement::ApproveLate { authorization_code } => {
                if storage.approve(sequence, &authorization_code, now)? {
                    storage.mark_release_pending(sequence, now)?;
                    self.wake_by(now).await?;
                }
                Ok(())
            }
        }
    }

    /// The confirmation's answer for attempt `sequence`, as it stands, and
    /// under its key once final.
    pub(super) fn answer_attempt(&self, sequence: i64, key: Option<&str>) -> Result<Response> {
        let storage = self.storage()?;
        let (status, answer) = self.attempt_answer(&storage, sequence)?;
        if let Some(key) = key
            && status != 202
        {
            storage.complete_key(key, status, &answer)?;
        }
        Ok(crate::http::raw_json(answer, status))
    }

    fn attempt_answer(&self, storage: &Storage, sequence: i64) -> Result<(u16, String)> {
        let missing = || worker::Error::RustError("attempt missing".into());
        let payment = storage.payment()?.ok_or_else(missing)?;
        let attempt = storage.attempt(sequence)?.ok_or_else(missing)?;
        let authorization = match storage.authorization()? {
            Some(row) if row.attempt_sequence == sequence => {
                Some(serde_json::from_str(&row.signed)?)
            }
            _ => None,
        };
        let (status, answer) =
            machine::confirm_answer(&payment, &attempt, authorization).ok_or_else(missing)?;
        Ok((status, serde_json::to_string(&answer)?))
    }

    /// Stores the final answer of an attempt under the key it came with, so
    /// a duplicate gets it too (also when the alarm decided it).
    pub(super) fn finish_key_of(&self, storage: &Storage, sequence: i64) -> Result<()> {
        let Some(key) = storage
            .attempt(sequence)?
            .and_then(|attempt| attempt.idempotency_key)
        else {
            return Ok(());
        };
        let (status, answer) = self.attempt_answer(storage, sequence)?;
        if status != 202 {
            storage.complete_key(&key, status, &answer)?;
        }
        Ok(())
    }
}
