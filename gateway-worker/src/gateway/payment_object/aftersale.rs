//! After the authorization, on the merchant's word: capture (manual
//! capture), cancel (before capture: the hold is voided) and refunds (after
//! capture, in parts up to the captured amount). Each writes its intent
//! before it asks the issuer, so a crash or an unknown answer is finished
//! by the alarm with the same ids, never repeated with new ones.

use serde::Deserialize;
use shared::money::Money;
use shared::receipt::{AuthorizationRecord, PaymentEventKind};
use shared::sign::Signed;
use shared::wire::{Payment, PaymentStatus, Refund, RefundAnswer, RefundRequest, RefundStatus};
use worker::{Response, Result, SqlStorageValue};

use super::{PaymentObject, error, now_ms, retry_delay, sql_text};
use crate::gateway::connector::{BuiltInIssuer, CardConnector, ConnectorOutcome};

#[derive(Deserialize)]
struct RefundRow {
    refund_id: String,
    amount_minor: i64,
    state: String,
    idempotency_key: String,
    tries: i64,
    created_at_ms: i64,
    updated_at_ms: i64,
}

/// Idempotency keys of refunds share the object's table with those of
/// confirmations; a space (never in a valid key) keeps them apart.
fn refund_key(key: &str) -> String {
    format!("refunds {key}")
}

fn money_error(failure: impl core::fmt::Display) -> worker::Error {
    worker::Error::RustError(failure.to_string())
}

impl PaymentObject {
    fn payment(&self) -> Result<Payment> {
        self.stored()?
            .ok_or_else(|| worker::Error::RustError("payment missing".into()))
    }

    fn amount(payment: &Payment) -> Result<Money> {
        Money::parse_non_negative(&payment.amount, payment.currency).map_err(money_error)
    }

    /// The approved attempt's issuer reference and the signed authorization.
    fn approved(&self) -> Result<Option<(String, Signed<AuthorizationRecord>, String)>> {
        let Some(authorization) = self.authorization()? else {
            return Ok(None);
        };
        let Some(attempt) = self.attempt(authorization.attempt_sequence)? else {
            return Ok(None);
        };
        let signed = serde_json::from_str(&authorization.signed)?;
        Ok(attempt
            .reference
            .map(|reference| (reference, signed, authorization.capture)))
    }

    /// `POST /capture`: captures an authorization held for manual capture.
    pub(super) async fn capture_by_merchant(&self) -> Result<Response> {
        let payment = self.payment()?;
        match payment.status {
            PaymentStatus::Succeeded | PaymentStatus::Refunded => {
                return Ok(crate::http::json(&payment, 200));
            }
            PaymentStatus::RequiresCapture => {}
            PaymentStatus::Processing => return Ok(processing()),
            PaymentStatus::RequiresPaymentMethod | PaymentStatus::Canceled => {
                return Ok(error(
                    409,
                    "payment_not_capturable",
                    "only an authorized payment can be captured",
                ));
            }
        }
        let Some((_, _, capture)) = self.approved()? else {
            return Ok(error(
                409,
                "payment_not_capturable",
                "nothing is authorized",
            ));
        };
        match capture.as_str() {
            "manual" | "refused" => {
                // Claimed before the await: a second capture sees `pending`.
                self.exec(
                    "UPDATE authorization SET capture = 'pending' WHERE id = 1",
                    vec![],
                )?;
                self.capture().await?;
            }
            "pending" | "voiding" => return Ok(processing()),
            _ => {
                return Ok(error(
                    409,
                    "payment_not_capturable",
                    "this authorization cannot be captured",
                ));
            }
        }
        let payment = self.payment()?;
        let capture = self.authorization()?.map(|row| row.capture);
        match (payment.status, capture.as_deref()) {
            (PaymentStatus::Succeeded, _) => Ok(crate::http::json(&payment, 200)),
            (_, Some("refused")) => Ok(error(
                409,
                "capture_refused",
                "the issuer refused the capture; the funds stay held until the hold expires",
            )),
            _ => Ok(crate::http::json(&payment, 202)),
        }
    }

    /// `POST /cancel`: cancels a payment not yet captured; an authorization
    /// held for capture is voided, so the shopper's funds are released.
    pub(super) async fn cancel(&self) -> Result<Response> {
        let payment = self.payment()?;
        match payment.status {
            PaymentStatus::Canceled => return Ok(crate::http::json(&payment, 200)),
            PaymentStatus::RequiresPaymentMethod => {
                let payment = self.set_status(PaymentStatus::Canceled)?;
                return Ok(crate::http::json(&payment, 200));
            }
            PaymentStatus::RequiresCapture => {}
            PaymentStatus::Processing => return Ok(processing()),
            PaymentStatus::Succeeded | PaymentStatus::Refunded => {
                return Ok(error(
                    409,
                    "payment_not_cancelable",
                    "a captured payment cannot be canceled; refund it instead",
                ));
            }
        }
        let Some((reference, signed, capture)) = self.approved()? else {
            return Ok(error(
                409,
                "payment_not_cancelable",
                "nothing is authorized",
            ));
        };
        if capture == "pending" || capture == "voiding" {
            return Ok(processing());
        }
        self.exec(
            "UPDATE authorization SET capture = 'voiding' WHERE id = 1",
            vec![],
        )?;
        let outcome = BuiltInIssuer { env: &self.env }
            .void(&reference, &format!("{reference}.void"))
            .await
            .unwrap_or(ConnectorOutcome::Unknown);
        self.settle_void(outcome, &signed).await?;
        let payment = self.payment()?;
        match payment.status {
            PaymentStatus::Canceled => Ok(crate::http::json(&payment, 200)),
            _ if self
                .authorization()?
                .is_some_and(|row| row.capture == "voiding") =>
            {
                Ok(crate::http::json(&payment, 202))
            }
            _ => Ok(error(
                409,
                "cancel_refused",
                "the issuer refused to release the hold",
            )),
        }
    }

    async fn settle_void(
        &self,
        outcome: ConnectorOutcome,
        signed: &Signed<AuthorizationRecord>,
    ) -> Result<()> {
        let voiding = self
            .authorization()?
            .is_some_and(|row| row.capture == "voiding");
        if !voiding {
            return Ok(());
        }
        match outcome {
            ConnectorOutcome::Done => {
                self.exec(
                    "UPDATE authorization SET capture = 'voided' WHERE id = 1",
                    vec![],
                )?;
                self.set_status(PaymentStatus::Canceled)?;
                self.enqueue_event(PaymentEventKind::Canceled, signed, None, None)?;
                self.schedule(0).await?;
            }
            ConnectorOutcome::Refused { code } => {
                worker::console_error!("payment object: void refused: {code}");
                self.exec(
                    "UPDATE authorization SET capture = 'manual' WHERE id = 1",
                    vec![],
                )?;
            }
            ConnectorOutcome::Unknown => {
                self.exec(
                    "UPDATE authorization SET capture_tries = capture_tries + 1 WHERE id = 1",
                    vec![],
                )?;
                self.schedule(RETRY_AFTER_UNKNOWN_MS).await?;
            }
        }
        Ok(())
    }

    fn refunds(&self) -> Result<Vec<RefundRow>> {
        self.query("SELECT * FROM refunds ORDER BY created_at_ms", vec![])
    }

    fn refunded_minor(&self, states: &[&str]) -> Result<i64> {
        Ok(self
            .refunds()?
            .iter()
            .filter(|row| states.contains(&row.state.as_str()))
            .map(|row| row.amount_minor)
            .sum())
    }

    /// `POST /refunds`: returns part or all of the captured amount.
    pub(super) async fn refund(&self, key: Option<String>, bytes: &[u8]) -> Result<Response> {
        let Some(key) = key else {
            return Ok(error(
                422,
                "invalid_idempotency_key",
                "a refund needs an Idempotency-Key header",
            ));
        };
        let scoped = refund_key(&key);
        let fingerprint = crate::gateway::idempotency::fingerprint(bytes);
        if let Some(answer) = self.earlier_answer(&scoped, &fingerprint).await? {
            return Ok(answer);
        }
        // From here to the claim, no await.
        let Ok(body) = serde_json::from_slice::<RefundRequest>(bytes) else {
            return Ok(error(422, "invalid_body", "body is not a refund"));
        };
        let payment = self.payment()?;
        match payment.status {
            PaymentStatus::Succeeded => {}
            PaymentStatus::Refunded => {
                return Ok(error(
                    409,
                    "already_refunded",
                    "this payment was refunded in full",
                ));
            }
            PaymentStatus::Processing => return Ok(processing()),
            _ => {
                return Ok(error(
                    409,
                    "payment_not_captured",
                    "only a captured payment can be refunded",
                ));
            }
        }
        let total = Self::amount(&payment)?;
        let amount = match Money::parse_non_negative(&body.amount, payment.currency) {
            Ok(amount) if !amount.is_zero() => amount,
            _ => {
                return Ok(error(
                    422,
                    "invalid_amount",
                    "amount must be above zero, in the payment's currency",
                ));
            }
        };
        let promised = self.refunded_minor(&["pending", "done"])?;
        if promised + amount.to_minor() > total.to_minor() {
            return Ok(error(
                422,
                "refund_exceeds_payment",
                "the refunds would exceed the captured amount",
            ));
        }
        let Some((reference, _, _)) = self.approved()? else {
            return Ok(error(409, "payment_not_captured", "nothing was captured"));
        };
        let now = now_ms();
        let refund_id = format!("{}.r{}", payment.payment_id, self.refunds()?.len() + 1);
        self.exec(
            "INSERT INTO refunds (refund_id, amount_minor, state, idempotency_key, created_at_ms, updated_at_ms)
             VALUES (?, ?, 'pending', ?, ?, ?)",
            vec![
                sql_text(&refund_id),
                SqlStorageValue::Integer(amount.to_minor()),
                sql_text(&scoped),
                SqlStorageValue::Integer(now),
                SqlStorageValue::Integer(now),
            ],
        )?;
        self.exec(
            "INSERT INTO idempotency (key, fingerprint, created_at_ms) VALUES (?, ?, ?)",
            vec![
                sql_text(&scoped),
                sql_text(&fingerprint),
                SqlStorageValue::Integer(now),
            ],
        )?;
        let outcome = BuiltInIssuer { env: &self.env }
            .refund(
                &reference,
                &format!("{reference}.capture"),
                &refund_id,
                &amount,
            )
            .await
            .unwrap_or(ConnectorOutcome::Unknown);
        self.settle_refund(&refund_id, outcome).await?;
        let (status, answer) = self.refund_answer(&refund_id)?;
        Ok(crate::http::raw_json(answer, status))
    }

    /// The answer for a refund as it now stands (stored under its key once
    /// final).
    fn refund_answer(&self, refund_id: &str) -> Result<(u16, String)> {
        let Some(row) = self
            .refunds()?
            .into_iter()
            .find(|row| row.refund_id == refund_id)
        else {
            return Err(worker::Error::RustError("refund missing".into()));
        };
        let payment = self.payment()?;
        if row.state == "refused" {
            let answer = serde_json::to_string(&shared::wire::ErrorBody {
                code: "refund_refused".to_owned(),
                message: "the issuer refused the refund".to_owned(),
            })?;
            return Ok((409, answer));
        }
        let amount = Money::from_minor(row.amount_minor, payment.currency).map_err(money_error)?;
        let status = if row.state == "done" {
            RefundStatus::Succeeded
        } else {
            RefundStatus::Pending
        };
        let answer = RefundAnswer {
            refund: Refund {
                refund_id: row.refund_id.clone(),
                payment_id: payment.payment_id.clone(),
                amount: amount.amount_string(),
                currency: payment.currency,
                status,
                created_at_ms: u64::try_from(row.created_at_ms).unwrap_or(0),
            },
            payment,
        };
        let code = if status == RefundStatus::Succeeded {
            200
        } else {
            202
        };
        Ok((code, serde_json::to_string(&answer)?))
    }

    async fn settle_refund(&self, refund_id: &str, outcome: ConnectorOutcome) -> Result<()> {
        let Some(row) = self
            .refunds()?
            .into_iter()
            .find(|row| row.refund_id == refund_id && row.state == "pending")
        else {
            return Ok(());
        };
        let now = now_ms();
        match outcome {
            ConnectorOutcome::Done => {
                self.exec(
                    "UPDATE refunds SET state = 'done', updated_at_ms = ? WHERE refund_id = ?",
                    vec![SqlStorageValue::Integer(now), sql_text(refund_id)],
                )?;
                let mut payment = self.payment()?;
                let refunded = self.refunded_minor(&["done"])?;
                let total = Self::amount(&payment)?;
                payment.amount_refunded = Some(
                    Money::from_minor(refunded, payment.currency)
                        .map_err(money_error)?
                        .amount_string(),
                );
                if refunded >= total.to_minor() {
                    payment.status = PaymentStatus::Refunded;
                }
                self.exec(
                    "UPDATE payment SET body = ? WHERE id = 1",
                    vec![SqlStorageValue::from(serde_json::to_string(&payment)?)],
                )?;
                if let Some((_, signed, _)) = self.approved()? {
                    let amount = Money::from_minor(row.amount_minor, payment.currency)
                        .map_err(money_error)?;
                    self.enqueue_event(
                        PaymentEventKind::Refunded,
                        &signed,
                        Some(amount.amount_string()),
                        Some(refund_id.to_owned()),
                    )?;
                }
                let (status, answer) = self.refund_answer(refund_id)?;
                self.complete_key(Some(&row.idempotency_key), status, &answer)?;
                self.schedule(0).await?;
            }
            ConnectorOutcome::Refused { code } => {
                self.exec(
                    "UPDATE refunds SET state = 'refused', code = ?, updated_at_ms = ? WHERE refund_id = ?",
                    vec![
                        sql_text(&code),
                        SqlStorageValue::Integer(now),
                        sql_text(refund_id),
                    ],
                )?;
                let (status, answer) = self.refund_answer(refund_id)?;
                self.complete_key(Some(&row.idempotency_key), status, &answer)?;
            }
            ConnectorOutcome::Unknown => {
                self.exec(
                    "UPDATE refunds SET tries = tries + 1, updated_at_ms = ? WHERE refund_id = ?",
                    vec![SqlStorageValue::Integer(now), sql_text(refund_id)],
                )?;
                self.schedule(retry_delay(row.tries)).await?;
            }
        }
        Ok(())
    }

    /// The alarm's share: asks again about refunds and voids whose answer
    /// was unknown, with the same ids. Answers when to look again.
    pub(super) async fn retry_aftersale(&self, now: i64) -> Result<Vec<i64>> {
        let mut next = Vec::new();
        let approved = self.approved()?;
        for row in self.refunds()? {
            if row.state != "pending" {
                continue;
            }
            let due = row.updated_at_ms + retry_delay(row.tries);
            if due > now || now - row.created_at_ms < RETRY_AFTER_UNKNOWN_MS {
                next.push(due.max(row.created_at_ms + RETRY_AFTER_UNKNOWN_MS));
                continue;
            }
            let Some((reference, _, _)) = &approved else {
                continue;
            };
            let payment = self.payment()?;
            let amount =
                Money::from_minor(row.amount_minor, payment.currency).map_err(money_error)?;
            let outcome = BuiltInIssuer { env: &self.env }
                .refund(
                    reference,
                    &format!("{reference}.capture"),
                    &row.refund_id,
                    &amount,
                )
                .await
                .unwrap_or(ConnectorOutcome::Unknown);
            self.settle_refund(&row.refund_id, outcome).await?;
        }
        if let Some((reference, signed, capture)) = approved
            && capture == "voiding"
        {
            let outcome = BuiltInIssuer { env: &self.env }
                .void(&reference, &format!("{reference}.void"))
                .await
                .unwrap_or(ConnectorOutcome::Unknown);
            self.settle_void(outcome, &signed).await?;
            if self
                .authorization()?
                .is_some_and(|row| row.capture == "voiding")
            {
                next.push(now + RETRY_AFTER_UNKNOWN_MS);
            }
        }
        Ok(next)
    }
}

/// How long after an unknown answer the alarm first asks again.
const RETRY_AFTER_UNKNOWN_MS: i64 = 2_000;

fn processing() -> Response {
    error(
        409,
        "payment_processing",
        "another operation on this payment is in progress; retry shortly",
    )
}
