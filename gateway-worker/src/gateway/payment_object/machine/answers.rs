//! What the merchant is answered, from the rows as they stand: the same
//! rows always give the same answer, which is what an idempotency key
//! stores and replays.

use shared::money::Money;
use shared::receipt::AuthorizationRecord;
use shared::refusal::RefusalCode;
use shared::sign::Signed;
use shared::wire::{
    AttemptOutcome, AttemptView, ConfirmAnswer, ErrorBody, Payment, PaymentStatus, Refund,
    RefundAnswer, RefundStatus,
};

use crate::gateway::payment_object::model::{
    Attempt, AttemptEnd, AttemptState, CaptureState, RefundRow, RefundState,
};

/// A refusal's `{code, message}`; the message says what to do next and
/// never repeats the request.
pub fn refusal_body(code: RefusalCode) -> ErrorBody {
    ErrorBody {
        code: code.code().to_owned(),
        message: refusal_message(code).to_owned(),
    }
}

fn refusal_message(code: RefusalCode) -> &'static str {
    match code {
        RefusalCode::InvalidBody => "the body is not a valid request for this route",
        RefusalCode::BodyTooLarge => "request body is too large",
        RefusalCode::InvalidIdempotencyKey => "this request needs a valid Idempotency-Key header",
        RefusalCode::IdempotencyKeyReused => {
            "this Idempotency-Key was used with a different request"
        }
        RefusalCode::IdempotencyKeyInUse => {
            "a request with this Idempotency-Key is still being processed; retry shortly"
        }
        RefusalCode::PaymentNotFound => "no such payment",
        RefusalCode::InternalError => "internal error",
        RefusalCode::AlreadyPaid => "this payment has already been paid",
        RefusalCode::PaymentCanceled => "this payment was canceled",
        RefusalCode::PaymentProcessing => {
            "another operation on this payment is in progress; retry shortly"
        }
        RefusalCode::QuoteExpired => {
            "the quote for this payment has expired; ask the store for a new one"
        }
        RefusalCode::AmountMismatch => "the billed amount differs from the payment's amount",
        RefusalCode::BillingMismatch => "the billing names another quote or order than the payment",
        RefusalCode::PaymentMismatch => "the sealed payment is for another payment",
        RefusalCode::InvalidShopperAddress => "shopper_address must be 1 to 64 bytes",
        RefusalCode::UnknownKey => "the sealed payment names a key the gateway does not have",
        RefusalCode::KeyRetired => "the sealed payment's key was retired; seal it again",
        RefusalCode::PaymentDoesNotOpen => "the sealed payment does not open",
        RefusalCode::MalformedPayment => "not a sealed payment",
        RefusalCode::InvalidCard => "the sealed card details are not a valid card",
        RefusalCode::BindingMismatch => {
            "the sealed payment was made for another amount, merchant or quote"
        }
        RefusalCode::StalePayment => {
            "the sealed payment is too old; the wallet should seal it again"
        }
        RefusalCode::PaymentReplayed => {
            "this sealed payment was already used; the wallet must seal a new one"
        }
        RefusalCode::AttemptReused => "this attempt id was already used on this payment",
        RefusalCode::AttemptAbandoned => {
            "the attempt took too long and was released before the issuer was asked; pay again"
        }
        RefusalCode::TooManyAttempts => {
            "this payment has had too many attempts; ask the store for a new order"
        }
        RefusalCode::CardAttemptsExceeded => {
            "this card was declined too often; try again later or use another card"
        }
        RefusalCode::AddressAttemptsExceeded => {
            "too many declined payments from this address; try again later"
        }
        RefusalCode::PaymentNotCapturable => "only an authorized payment can be captured",
        RefusalCode::CaptureRefused => {
            "the issuer refused the capture; the funds stay held until the hold expires"
        }
        RefusalCode::PaymentNotCancelable => {
            "a captured payment cannot be canceled; refund it instead"
        }
        RefusalCode::CancelRefused => "the issuer refused to release the hold",
        RefusalCode::PaymentNotCaptured => "only a captured payment can be refunded",
        RefusalCode::AlreadyRefunded => "this payment was refunded in full",
        RefusalCode::InvalidAmount => "amount must be above zero, in the payment's currency",
        RefusalCode::RefundExceedsPayment => "the refunds would exceed the captured amount",
        RefusalCode::RefundRefused => "the issuer refused the refund",
    }
}

/// An attempt as the merchant sees it, once it has reached the issuer.
pub fn view_of(attempt: &Attempt) -> Option<AttemptView> {
    let (outcome, decline_code) = match (attempt.state, attempt.end) {
        (AttemptState::Approved, _) => (AttemptOutcome::Approved, None),
        (AttemptState::Declined, AttemptEnd::Declined { code, .. }) => {
            (AttemptOutcome::Declined, Some(code))
        }
        (AttemptState::Authorizing, _) => (AttemptOutcome::Pending, None),
        _ => return None,
    };
    Some(AttemptView {
        attempt_id: attempt.attempt_id.clone()?,
        sequence: u32::try_from(attempt.sequence).ok()?,
        outcome,
        brand: attempt.brand?,
        last_four: attempt.last_four.clone()?,
        decline_code,
    })
}

/// The answer to the confirmation that made `attempt`: 402 declined (with
/// what the shopper may be told), 200 approved once the payment is paid or
/// held, else 202. `None` for an attempt that never reached the issuer.
pub fn confirm_answer(
    payment: &Payment,
    attempt: &Attempt,
    authorization: Option<Signed<AuthorizationRecord>>,
) -> Option<(u16, ConfirmAnswer)> {
    let view = view_of(attempt)?;
    let (status, code) = match (attempt.end, payment.status) {
        (AttemptEnd::Declined { shopper, .. }, _) => (402, Some(shopper)),
        (AttemptEnd::Approved, PaymentStatus::Succeeded | PaymentStatus::RequiresCapture) => {
            (200, None)
        }
        _ => (202, None),
    };
    let answer = ConfirmAnswer {
        code,
        message: code.map(|code| code.message().to_owned()),
        payment: payment.clone(),
        attempt: view,
        authorization,
        another_card_may_help: code.map(|code| code.another_card_may_help()),
    };
    Some((status, answer))
}

/// The answer to a merchant's capture once the issuer was asked: 200
/// captured, 202 while its answer is outstanding, or the refusal.
pub fn capture_answer(
    payment: &Payment,
    capture: Option<CaptureState>,
) -> Result<u16, RefusalCode> {
    match (payment.status, capture) {
        (PaymentStatus::Succeeded, _) => Ok(200),
        (_, Some(CaptureState::Refused)) => Err(RefusalCode::CaptureRefused),
        _ => Ok(202),
    }
}

/// The answer to a merchant's cancel once the issuer was asked: 200
/// canceled, 202 while the void's answer is outstanding, or the refusal.
pub fn cancel_answer(payment: &Payment, capture: Option<CaptureState>) -> Result<u16, RefusalCode> {
    match (payment.status, capture) {
        (PaymentStatus::Canceled, _) => Ok(200),
        (_, Some(CaptureState::Voiding)) => Ok(202),
        _ => Err(RefusalCode::CancelRefused),
    }
}

/// The answer for a refund as it stands: 409 refused, 200 done, 202
/// while the issuer's answer is outstanding.
pub fn refund_answer(
    payment: &Payment,
    row: &RefundRow,
) -> Result<(u16, String), serde_json::Error> {
    if row.state == RefundState::Refused {
        let body = refusal_body(RefusalCode::RefundRefused);
        return Ok((
            RefusalCode::RefundRefused.status(),
            serde_json::to_string(&body)?,
        ));
    }
    let amount = Money::from_minor(row.amount_minor, payment.currency)
        .map_err(<serde_json::Error as serde::ser::Error>::custom)?
        .amount_string();
    let (status, code) = match row.state {
        RefundState::Done => (RefundStatus::Succeeded, 200),
        _ => (RefundStatus::Pending, 202),
    };
    let answer = RefundAnswer {
        refund: Refund {
            refund_id: row.refund_id.clone(),
            payment_id: payment.payment_id.clone(),
            amount,
            currency: payment.currency,
            status,
            created_at_ms: u64::try_from(row.created_at_ms).unwrap_or(0),
        },
        payment: payment.clone(),
    };
    Ok((code, serde_json::to_string(&answer)?))
}
