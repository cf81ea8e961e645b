//! The rules after the authorization: capture (automatic, or manual on the
//! merchant's word), cancel (a void of the hold) and refunds, and what each
//! answer of the issuer does. Each write of the shell names the capture or
//! refund state it leaves.

use shared::money::Money;
use shared::receipt::PaymentEventKind;
use shared::refusal::RefusalCode;
use shared::wire::{Payment, PaymentStatus};

use super::{MOVEMENT_TRIES_MAX, RETRY_MS, Task, Upkeep, retry_delay};
use crate::gateway::payment_object::model::{Authorization, CaptureState, RefundRow, RefundState};

/// An issuer's answer to a capture, void or refund.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Movement {
    Done,
    /// Refused by the issuer or the bank, with its reason code.
    Refused {
        code: String,
    },
    Unknown,
}

/// What a merchant's request does before the issuer is asked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MerchantRequest {
    /// Already where the merchant wants it: answer the payment (200).
    AlreadyDone,
    /// Refused, nothing changes.
    Refuse(RefusalCode),
    /// Move the capture from `from` to `to` and ask the issuer.
    Start {
        from: CaptureState,
        to: CaptureState,
    },
    /// Cancel an unpaid payment at once (nothing was authorized).
    CancelUnpaid,
}

/// `POST …/capture`: captures an authorization held for manual capture.
pub fn capture_request(
    payment: &Payment,
    authorization: Option<&Authorization>,
) -> MerchantRequest {
    match payment.status {
        PaymentStatus::Succeeded | PaymentStatus::Refunded => return MerchantRequest::AlreadyDone,
        PaymentStatus::Processing => {
            return MerchantRequest::Refuse(RefusalCode::PaymentProcessing);
        }
        PaymentStatus::RequiresPaymentMethod | PaymentStatus::Canceled => {
            return MerchantRequest::Refuse(RefusalCode::PaymentNotCapturable);
        }
        PaymentStatus::RequiresCapture => {}
    }
    match authorization.map(|row| row.capture) {
        Some(from @ (CaptureState::Manual | CaptureState::Refused)) => MerchantRequest::Start {
            from,
            to: CaptureState::Pending,
        },
        Some(CaptureState::Pending | CaptureState::Voiding) => {
            MerchantRequest::Refuse(RefusalCode::PaymentProcessing)
        }
        _ => MerchantRequest::Refuse(RefusalCode::PaymentNotCapturable),
    }
}

/// `POST …/cancel`: cancels a payment not yet captured.
pub fn cancel_request(payment: &Payment, authorization: Option<&Authorization>) -> MerchantRequest {
    match payment.status {
        PaymentStatus::Canceled => return MerchantRequest::AlreadyDone,
        PaymentStatus::RequiresPaymentMethod => return MerchantRequest::CancelUnpaid,
        PaymentStatus::Processing => {
            return MerchantRequest::Refuse(RefusalCode::PaymentProcessing);
        }
        PaymentStatus::Succeeded | PaymentStatus::Refunded => {
            return MerchantRequest::Refuse(RefusalCode::PaymentNotCancelable);
        }
        PaymentStatus::RequiresCapture => {}
    }
    match authorization.map(|row| row.capture) {
        Some(from @ (CaptureState::Manual | CaptureState::Refused)) => MerchantRequest::Start {
            from,
            to: CaptureState::Voiding,
        },
        Some(CaptureState::Pending | CaptureState::Voiding) => {
            MerchantRequest::Refuse(RefusalCode::PaymentProcessing)
        }
        _ => MerchantRequest::Refuse(RefusalCode::PaymentNotCancelable),
    }
}

/// What a capture's answer does: the capture moves from `Pending` to
/// `capture`; the payment, if `status`, to that status; `event` is queued.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaptureSettlement {
    pub capture: CaptureState,
    pub status: Option<PaymentStatus>,
    pub event: Option<PaymentEventKind>,
    /// No answer yet: count the try and ask again.
    pub wait: bool,
}

/// The rule for a capture's answer. An automatic capture keeps the payment
/// `processing` until it ends; after `MOVEMENT_TRIES_MAX` unknown answers
/// it hands the authorization to the merchant (`requires_capture`, manual),
/// and a manual capture by the merchant reuses the same capture id.
pub fn settle_capture(
    payment: &Payment,
    authorization: &Authorization,
    answer: &Movement,
) -> Option<CaptureSettlement> {
    if authorization.capture != CaptureState::Pending {
        return None;
    }
    let automatic = payment.status == PaymentStatus::Processing;
    let handed_over = |capture| CaptureSettlement {
        capture,
        status: Some(PaymentStatus::RequiresCapture),
        event: automatic.then_some(PaymentEventKind::Authorized),
        wait: false,
    };
    Some(match answer {
        Movement::Done => CaptureSettlement {
            capture: CaptureState::Done,
            status: Some(PaymentStatus::Succeeded),
            event: Some(PaymentEventKind::Succeeded),
            wait: false,
        },
        Movement::Refused { .. } => handed_over(CaptureState::Refused),
        Movement::Unknown if authorization.capture_tries + 1 >= MOVEMENT_TRIES_MAX => {
            handed_over(CaptureState::Manual)
        }
        Movement::Unknown => CaptureSettlement {
            capture: CaptureState::Pending,
            status: None,
            event: None,
            wait: true,
        },
    })
}

/// The rule for a void's answer: `Voided` and the payment canceled; a
/// refusal (or answers that stay unknown) leaves the hold with the merchant.
pub fn settle_void(authorization: &Authorization, answer: &Movement) -> Option<CaptureSettlement> {
    if authorization.capture != CaptureState::Voiding {
        return None;
    }
    let back = CaptureSettlement {
        capture: CaptureState::Manual,
        status: None,
        event: None,
        wait: false,
    };
    Some(match answer {
        Movement::Done => CaptureSettlement {
            capture: CaptureState::Voided,
            status: Some(PaymentStatus::Canceled),
            event: Some(PaymentEventKind::Canceled),
            wait: false,
        },
        Movement::Refused { .. } => back,
        Movement::Unknown if authorization.capture_tries + 1 >= MOVEMENT_TRIES_MAX => back,
        Movement::Unknown => CaptureSettlement {
            capture: CaptureState::Voiding,
            status: None,
            event: None,
            wait: true,
        },
    })
}

/// A refund to ask the issuer for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewRefund {
    pub refund_id: String,
    pub amount: Money,
}

/// `POST …/refunds`: part or all of the captured amount, never more than
/// what is left once pending and done refunds are counted.
pub fn refund_request(
    payment: &Payment,
    authorization: Option<&Authorization>,
    refunds: &[RefundRow],
    amount: &str,
) -> Result<NewRefund, RefusalCode> {
    match payment.status {
        PaymentStatus::Succeeded => {}
        PaymentStatus::Refunded => return Err(RefusalCode::AlreadyRefunded),
        PaymentStatus::Processing => return Err(RefusalCode::PaymentProcessing),
        _ => return Err(RefusalCode::PaymentNotCaptured),
    }
    if authorization.is_none_or(|row| row.capture != CaptureState::Done) {
        return Err(RefusalCode::PaymentNotCaptured);
    }
    let total = Money::parse_non_negative(&payment.amount, payment.currency)
        .map_err(|_| RefusalCode::InternalError)?;
    let amount = match Money::parse_non_negative(amount, payment.currency) {
        Ok(amount) if !amount.is_zero() => amount,
        _ => return Err(RefusalCode::InvalidAmount),
    };
    let promised = refunded_minor(refunds, &[RefundState::Pending, RefundState::Done]);
    if promised.saturating_add(amount.to_minor()) > total.to_minor() {
        return Err(RefusalCode::RefundExceedsPayment);
    }
    Ok(NewRefund {
        refund_id: format!("{}.r{}", payment.payment_id, refunds.len() + 1),
        amount,
    })
}

/// The sum of the refunds in `states`, in minor units.
pub fn refunded_minor(refunds: &[RefundRow], states: &[RefundState]) -> i64 {
    refunds
        .iter()
        .filter(|row| states.contains(&row.state))
        .map(|row| row.amount_minor)
        .fold(0_i64, i64::saturating_add)
}

/// What a refund's answer does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RefundSettlement {
    /// Done: the payment's refunded amount becomes `refunded_minor`, and
    /// `refunded` when that is all of it.
    Done {
        refunded_minor: i64,
        fully_refunded: bool,
    },
    /// Refused, with the issuer's reason (kept on the refund).
    Refused { code: String },
    /// No answer: count the try; ask again (up to `MOVEMENT_TRIES_MAX`).
    Wait,
}

pub fn settle_refund(
    payment: &Payment,
    refunds: &[RefundRow],
    refund_id: &str,
    answer: &Movement,
) -> Option<RefundSettlement> {
    let row = refunds
        .iter()
        .find(|row| row.refund_id == refund_id && row.state == RefundState::Pending)?;
    Some(match answer {
        Movement::Done => {
            let refunded = refunded_minor(refunds, &[RefundState::Done]) + row.amount_minor;
            // A payment whose amount does not parse settles nothing.
            let total = Money::parse_non_negative(&payment.amount, payment.currency)
                .ok()?
                .to_minor();
            RefundSettlement::Done {
                refunded_minor: refunded,
                fully_refunded: refunded >= total,
            }
        }
        Movement::Refused { code } => RefundSettlement::Refused { code: code.clone() },
        Movement::Unknown => RefundSettlement::Wait,
    })
}

/// The after-sale share of the alarm's work: captures and voids under way
/// (asked again with their own ids), refunds whose answer was unknown.
pub fn aftersale_upkeep(
    authorization: Option<&Authorization>,
    refunds: &[RefundRow],
    now: i64,
    upkeep: &mut Upkeep,
) {
    if let Some(authorization) = authorization {
        match authorization.capture {
            CaptureState::Pending => upkeep.tasks.push(Task::Capture),
            CaptureState::Voiding => upkeep.tasks.push(Task::Void),
            _ => {}
        }
    }
    for row in refunds {
        if row.state != RefundState::Pending || row.tries >= MOVEMENT_TRIES_MAX {
            continue;
        }
        // Never while the merchant's own request may still be asking.
        let due = (row.updated_at_ms + retry_delay(row.tries)).max(row.created_at_ms + RETRY_MS);
        upkeep.at(due, now, Task::Refund(row.refund_id.clone()));
    }
}
