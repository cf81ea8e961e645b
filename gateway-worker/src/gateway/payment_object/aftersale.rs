//! The shell after the authorization: capture (automatic, or on the
//! merchant's word), cancel (a void of the hold) and refunds. Each writes
//! its intent before it asks the issuer, so a crash or an unknown answer is
//! finished by the alarm with the same ids, never repeated with new ones.
//! The rules are `machine::aftersale`.

use shared::money::Money;
use shared::receipt::AuthorizationRecord;
use shared::refusal::RefusalCode;
use shared::sign::Signed;
use shared::wire::{Payment, PaymentStatus, RefundRequest};
use worker::{Response, Result};

use super::machine::{self, CaptureSettlement, MerchantRequest, Movement, RefundSettlement};
use super::model::{CaptureState, RefundState};
use super::storage::Storage;
use super::{PaymentObject, refusal};
use crate::gateway::connector::{BuiltInIssuer, CardConnector, ConnectorOutcome};
use crate::gateway::idempotency;
use crate::http::now_ms;

/// Idempotency keys of refunds share the object's table with those of
/// confirmations; a space (never in a valid key) keeps them apart.
fn refund_key(key: &str) -> String {
    format!("refunds {key}")
}

fn movement(outcome: std::result::Result<ConnectorOutcome, crate::error::ApiError>) -> Movement {
    match outcome {
        Ok(ConnectorOutcome::Done) => Movement::Done,
        Ok(ConnectorOutcome::Refused { code }) => {
            worker::console_error!("payment object: the issuer refused: {code}");
            Movement::Refused { code }
        }
        Ok(ConnectorOutcome::Unknown) | Err(_) => Movement::Unknown,
    }
}

fn missing() -> worker::Error {
    worker::Error::RustError("payment or authorization missing".into())
}

/// The approved attempt's issuer reference, the signed authorization and
/// the payment, as stored.
struct Approved {
    payment: Payment,
    reference: String,
    signed: Signed<AuthorizationRecord>,
}

fn approved(storage: &Storage) -> Result<Option<Approved>> {
    let (Some(payment), Some(authorization)) = (storage.payment()?, storage.authorization()?)
    else {
        return Ok(None);
    };
    let Some(reference) = storage
        .attempt(authorization.attempt_sequence)?
        .and_then(|attempt| attempt.reference)
    else {
        return Ok(None);
    };
    let signed = serde_json::from_str(&authorization.signed)?;
    Ok(Some(Approved {
        payment,
        reference,
        signed,
    }))
}

impl PaymentObject {
    /// `Capture`: captures an authorization held for manual capture.
    pub(super) async fn capture_by_merchant(&self) -> Result<Response> {
        let storage = self.storage()?;
        let payment = storage.payment()?.ok_or_else(missing)?;
        match machine::capture_request(&payment, storage.authorization()?.as_ref()) {
            MerchantRequest::AlreadyDone => return Ok(crate::http::json(&payment, 200)),
            MerchantRequest::Refuse(code) => return Ok(refusal(code)),
            MerchantRequest::CancelUnpaid => return Ok(refusal(RefusalCode::PaymentNotCapturable)),
            MerchantRequest::Start { from, to } => {
                // Claimed before the await: a second capture sees `pending`.
                if !storage.move_capture(from, to)? {
                    return Ok(refusal(RefusalCode::PaymentProcessing));
                }
            }
        }
        self.capture().await?;
        let storage = self.storage()?;
        let payment = storage.payment()?.ok_or_else(missing)?;
        let capture = storage.authorization()?.map(|row| row.capture);
        Ok(match machine::capture_answer(&payment, capture) {
            Ok(status) => crate::http::json(&payment, status),
            Err(code) => refusal(code),
        })
    }

    /// Captures the authorized amount (capture `pending`). On an unknown
    /// outcome the alarm asks again with the same capture id.
    pub(super) async fn capture(&self) -> Result<()> {
        let storage = self.storage()?;
        if storage.authorization()?.map(|row| row.capture) != Some(CaptureState::Pending) {
            return Ok(());
        }
        let Some(approved) = approved(&storage)? else {
            return Ok(());
        };
        let amount = Money::parse_non_negative(&approved.payment.amount, approved.payment.currency)
            .map_err(|failure| worker::Error::RustError(failure.to_string()))?;
        let reference = &approved.reference;
        let answer = movement(
            BuiltInIssuer { env: &self.env }
                .capture(reference, &format!("{reference}.capture"), &amount)
                .await,
        );
        // Read again after the await: the alarm may have finished it.
        let storage = self.storage()?;
        let (Some(payment), Some(authorization)) = (storage.payment()?, storage.authorization()?)
        else {
            return Ok(());
        };
        let Some(settled) = machine::settle_capture(&payment, &authorization, &answer) else {
            return Ok(());
        };
        self.apply_capture(
            &storage,
            &payment,
            CaptureState::Pending,
            &settled,
            &approved.signed,
        )
        .await?;
        if settled.capture != CaptureState::Pending {
            self.finish_key_of(&storage, authorization.attempt_sequence)?;
        }
        Ok(())
    }

    /// Writes a capture's or void's settlement (the guarded write first).
    async fn apply_capture(
        &self,
        storage: &Storage,
        payment: &Payment,
        from: CaptureState,
        settled: &CaptureSettlement,
        signed: &Signed<AuthorizationRecord>,
    ) -> Result<()> {
        let now = now_ms();
        if settled.wait {
            let tries = storage.authorization()?.ok_or_else(missing)?.capture_tries;
            storage.count_capture_try(from)?;
            return self.wake_by(now + machine::retry_delay(tries)).await;
        }
        if !storage.move_capture(from, settled.capture)? {
            return Ok(());
        }
        if let Some(status) = settled.status
            && status != payment.status
        {
            storage.move_payment(payment.status, status)?;
        }
        if let Some(kind) = settled.event {
            let amount = (kind == shared::receipt::PaymentEventKind::Succeeded)
                .then(|| payment.amount.clone());
            self.enqueue_event(storage, kind, signed, amount, None)?;
            self.wake_by(now).await?;
        }
        Ok(())
    }

    /// `Cancel`: cancels a payment not yet captured; an authorization held
    /// for capture is voided, so the shopper's funds are released.
    pub(super) async fn cancel(&self) -> Result<Response> {
        let storage = self.storage()?;
        let payment = storage.payment()?.ok_or_else(missing)?;
        match machine::cancel_request(&payment, storage.authorization()?.as_ref()) {
            MerchantRequest::AlreadyDone => return Ok(crate::http::json(&payment, 200)),
            MerchantRequest::Refuse(code) => return Ok(refusal(code)),
            MerchantRequest::CancelUnpaid => {
                if !storage.move_payment(
                    PaymentStatus::RequiresPaymentMethod,
                    PaymentStatus::Canceled,
                )? {
                    return Ok(refusal(RefusalCode::PaymentProcessing));
                }
                let payment = storage.payment()?.ok_or_else(missing)?;
                return Ok(crate::http::json(&payment, 200));
            }
            MerchantRequest::Start { from, to } => {
                if !storage.move_capture(from, to)? {
                    return Ok(refusal(RefusalCode::PaymentProcessing));
                }
            }
        }
        self.void().await?;
        let storage = self.storage()?;
        let payment = storage.payment()?.ok_or_else(missing)?;
        let capture = storage.authorization()?.map(|row| row.capture);
        Ok(match machine::cancel_answer(&payment, capture) {
            Ok(status) => crate::http::json(&payment, status),
            Err(code) => refusal(code),
        })
    }

    /// Voids the hold (capture `voiding`), with the same void id each time.
    pub(super) async fn void(&self) -> Result<()> {
        let Some(approved) = approved(&self.storage()?)? else {
            return Ok(());
        };
        let reference = &approved.reference;
        let answer = movement(
            BuiltInIssuer { env: &self.env }
                .void(reference, &format!("{reference}.void"))
                .await,
        );
        let storage = self.storage()?;
        let (Some(payment), Some(authorization)) = (storage.payment()?, storage.authorization()?)
        else {
            return Ok(());
        };
        let Some(settled) = machine::settle_void(&authorization, &answer) else {
            return Ok(());
        };
        self.apply_capture(
            &storage,
            &payment,
            CaptureState::Voiding,
            &settled,
            &approved.signed,
        )
        .await
    }

    /// `Refund`: returns part or all of the captured amount.
    pub(super) async fn refund(&self, key: Option<String>, bytes: &[u8]) -> Result<Response> {
        let Some(key) = key else {
            return Ok(refusal(RefusalCode::InvalidIdempotencyKey));
        };
        let scoped = refund_key(&key);
        let fingerprint = idempotency::fingerprint(bytes);
        if let Some(answer) = self.earlier_answer(&scoped, &fingerprint).await? {
            return Ok(answer);
        }
        // From here to the claim, no await.
        let Ok(body) = serde_json::from_slice::<RefundRequest>(bytes) else {
            return Ok(refusal(RefusalCode::InvalidBody));
        };
        let storage = self.storage()?;
        let payment = storage.payment()?.ok_or_else(missing)?;
        let refunds = storage.refunds()?;
        let new = match machine::refund_request(
            &payment,
            storage.authorization()?.as_ref(),
            &refunds,
            &body.amount,
        ) {
            Ok(new) => new,
            Err(code) => return Ok(refusal(code)),
        };
        let now = now_ms();
        storage.insert_refund(
            &new.refund_id,
            new.amount.to_minor(),
            (&scoped, &fingerprint),
            now,
        )?;
        self.ask_refund(&new.refund_id).await?;
        let storage = self.storage()?;
        let payment = storage.payment()?.ok_or_else(missing)?;
        let row = storage
            .refunds()?
            .into_iter()
            .find(|row| row.refund_id == new.refund_id)
            .ok_or_else(missing)?;
        let (status, answer) = machine::refund_answer(&payment, &row)?;
        Ok(crate::http::raw_json(answer, status))
    }

    /// Asks the issuer for a pending refund (same ids each time) and
    /// writes what it answered.
    pub(super) async fn ask_refund(&self, refund_id: &str) -> Result<()> {
        let storage = self.storage()?;
        let Some(approved) = approved(&storage)? else {
            return Ok(());
        };
        let Some(row) = storage
            .refunds()?
            .into_iter()
            .find(|row| row.refund_id == refund_id && row.state == RefundState::Pending)
        else {
            return Ok(());
        };
        let amount = Money::from_minor(row.amount_minor, approved.payment.currency)
            .map_err(|failure| worker::Error::RustError(failure.to_string()))?;
        let reference = &approved.reference;
        let answer = movement(
            BuiltInIssuer { env: &self.env }
                .refund(
                    reference,
                    &format!("{reference}.capture"),
                    refund_id,
                    &amount,
                )
                .await,
        );
        let storage = self.storage()?;
        let payment = storage.payment()?.ok_or_else(missing)?;
        let refunds = storage.refunds()?;
        let now = now_ms();
        match machine::settle_refund(&payment, &refunds, refund_id, &answer) {
            None => Ok(()),
            Some(RefundSettlement::Wait) => {
                storage.count_refund_try(refund_id, now)?;
                self.wake_by(now + machine::retry_delay(row.tries)).await
            }
            Some(RefundSettlement::Refused { code }) => {
                if storage.finish_refund(refund_id, RefundState::Refused, Some(&code), now)? {
                    self.complete_refund_key(&storage, refund_id)?;
                }
                Ok(())
            }
            Some(RefundSettlement::Done {
                refunded_minor,
                fully_refunded,
            }) => {
                if !storage.finish_refund(refund_id, RefundState::Done, None, now)? {
                    return Ok(());
                }
                let mut updated = payment.clone();
                updated.amount_refunded = Some(
                    Money::from_minor(refunded_minor, payment.currency)
                        .map_err(|failure| worker::Error::RustError(failure.to_string()))?
                        .amount_string(),
                );
                if fully_refunded {
                    updated.status = PaymentStatus::Refunded;
                }
                storage.replace_payment(payment.status, &updated)?;
                self.enqueue_event(
                    &storage,
                    shared::receipt::PaymentEventKind::Refunded,
                    &approved.signed,
                    Some(amount.amount_string()),
                    Some(refund_id.to_owned()),
                )?;
                self.complete_refund_key(&storage, refund_id)?;
                self.wake_by(now).await
            }
        }
    }

    fn complete_refund_key(&self, storage: &Storage, refund_id: &str) -> Result<()> {
        let payment = storage.payment()?.ok_or_else(missing)?;
        if let Some(row) = storage
            .refunds()?
            .into_iter()
            .find(|row| row.refund_id == refund_id)
        {
            let (status, answer) = machine::refund_answer(&payment, &row)?;
            storage.complete_key(&row.idempotency_key, status, &answer)?;
        }
        Ok(())
    }
}
