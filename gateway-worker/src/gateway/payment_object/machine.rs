//! The payment's rules, as pure functions: the payment's rows, a command
//! or an issuer's answer, and `now` in; a decision out (what to write, what
//! to ask next, what to answer). No I/O, no clock, no randomness: the shell
//! (`confirm.rs`, `aftersale.rs`, `upkeep.rs`) reads the rows, calls these,
//! then applies the decision through `storage.rs`, whose every write names
//! the state it leaves and fails if another request moved it.
//!
//! The life of an attempt:
//! `checking` → (`rejected` | `authorizing` → (`approved` | `declined`)).
//! Only the payment's current attempt moves the payment: a confirmation
//! claims the payment (`processing`) with its attempt in `checking`; the
//! attempt reaches the issuer only if it is still `checking` and the
//! payment still `processing` when it is about to ask; an outcome frees or
//! pays the payment only while that attempt is `authorizing`.

use shared::decline::{DeclineCode, ShopperDeclineCode};
use shared::money::{Currency, Money};
use shared::quote::QuoteDigest;
use shared::receipt::{AuthorizationRecord, CustomerVerification, PaymentEventKind};
use shared::refusal::RefusalCode;
use shared::seal::PaymentBinding;
use shared::wire::{CaptureMethod, Payment, PaymentStatus, SHOPPER_ADDRESS_BYTES_MAX};

use super::model::{Attempt, AttemptState, CaptureState};
use crate::gateway::connector::ConnectorAuthorization;
use crate::gateway::risk::PAYMENT_ATTEMPTS_MAX;

mod aftersale;
mod answers;

pub use aftersale::*;
pub use answers::*;

/// How old a sealed payment may be when it arrives: the wallet seals it
/// when the shopper presses pay, so ten minutes is generous.
pub const SEALED_PAYMENT_AGE_MS_MAX: u64 = 10 * 60 * 1000;

/// How far ahead of the gateway's clock a wallet's clock may run.
pub const CLOCK_SKEW_MS_MAX: u64 = 2 * 60 * 1000;

/// An attempt still `checking` after this long was abandoned (its request
/// died, or stalled): the alarm releases the payment for another attempt,
/// and the attempt can no longer reach the issuer.
pub const CHECKING_ABANDONED_MS: i64 = 60_000;

/// How long the gateway keeps asking the issuer for an answer it did not
/// get before it reverses the authorization instead.
pub const AUTHORIZATION_WAIT_MS: i64 = 5 * 60 * 1000;

/// How long it keeps asking for that reversal before it ends the attempt
/// as `processing_error` regardless, so no payment stays `processing`
/// (any hold the bank placed meanwhile expires on the bank's own timeout).
pub const AUTHORIZATION_GIVE_UP_MS: i64 = 60 * 60 * 1000;

/// How soon the alarm asks again after an unknown answer, doubling per try
/// up to `RETRY_MS_MAX`.
pub const RETRY_MS: i64 = 2_000;
pub const RETRY_MS_MAX: i64 = 10 * 60 * 1000;

/// Tries of one capture, void or refund whose answer stays unknown before
/// the gateway stops asking (about two hours, with the back-off).
pub const MOVEMENT_TRIES_MAX: i64 = 20;

/// The delay before try number `tries + 1`.
pub fn retry_delay(tries: i64) -> i64 {
    let shift = u32::try_from(tries.clamp(0, 20)).unwrap_or(20);
    RETRY_MS.saturating_mul(1_i64 << shift).min(RETRY_MS_MAX)
}

/// What the merchant billed, next to the sealed payment it forwards.
pub struct Billing<'a> {
    pub amount: &'a str,
    pub currency: Currency,
    pub quote_digest: &'a QuoteDigest,
    pub order_reference: &'a str,
    pub shopper_address: Option<&'a str>,
    /// The payment the sealed payment names (outside its ciphertext).
    pub sealed_payment_id: &'a str,
    /// SHA-256 of the sealed payment's ciphertext.
    pub sealed_hash: &'a str,
}

/// The checks of a confirmation that need nothing but the payment's rows,
/// before it claims the payment. `PaymentMismatch` means the sealed
/// payment names another payment (the shell tells a replay from it).
pub fn precheck(
    payment: &Payment,
    attempts: &[Attempt],
    billing: &Billing<'_>,
    now: i64,
) -> Result<(), RefusalCode> {
    match payment.status {
        PaymentStatus::Succeeded | PaymentStatus::RequiresCapture | PaymentStatus::Refunded => {
            return Err(RefusalCode::AlreadyPaid);
        }
        PaymentStatus::Canceled => return Err(RefusalCode::PaymentCanceled),
        PaymentStatus::Processing => return Err(RefusalCode::PaymentProcessing),
        PaymentStatus::RequiresPaymentMethod => {}
    }
    if u64::try_from(now).unwrap_or(u64::MAX) >= payment.expires_at_ms {
        return Err(RefusalCode::QuoteExpired);
    }
    let billed = Money::parse_non_negative(billing.amount, billing.currency).ok();
    let held = Money::parse_non_negative(&payment.amount, payment.currency).ok();
    if billed.is_none() || billed != held {
        return Err(RefusalCode::AmountMismatch);
    }
    if *billing.quote_digest != payment.quote_digest
        || billing.order_reference != payment.order_reference
    {
        return Err(RefusalCode::BillingMismatch);
    }
    if billing
        .shopper_address
        .is_some_and(|address| address.is_empty() || address.len() > SHOPPER_ADDRESS_BYTES_MAX)
    {
        return Err(RefusalCode::InvalidShopperAddress);
    }
    if billing.sealed_payment_id != payment.payment_id {
        return Err(RefusalCode::PaymentMismatch);
    }
    let asked = attempts.iter().filter(|attempt| attempt.reached_issuer());
    if asked
        .clone()
        .any(|attempt| attempt.sealed_hash == billing.sealed_hash)
    {
        return Err(RefusalCode::PaymentReplayed);
    }
    if asked.count() >= usize::try_from(PAYMENT_ATTEMPTS_MAX).unwrap_or(usize::MAX) {
        return Err(RefusalCode::TooManyAttempts);
    }
    Ok(())
}

/// The sequence number of the next attempt.
pub fn next_sequence(attempts: &[Attempt]) -> i64 {
    attempts
        .iter()
        .map(|attempt| attempt.sequence)
        .max()
        .unwrap_or(0)
        + 1
}

/// The checks of the opened sealed payment: made for this payment, fresh,
/// and an attempt id this payment has not seen.
pub fn check_opened(
    payment: &Payment,
    attempts: &[Attempt],
    sequence: i64,
    binding: &PaymentBinding,
    now: i64,
) -> Result<(), RefusalCode> {
    let amount = Money::parse_non_negative(&payment.amount, payment.currency)
        .map_err(|_| RefusalCode::InternalError)?;
    if binding.payment_id != payment.payment_id
        || binding.merchant_id != payment.merchant_id
        || binding.amount != amount
        || binding.quote_digest != payment.quote_digest
    {
        return Err(RefusalCode::BindingMismatch);
    }
    let now = u64::try_from(now).unwrap_or(0);
    if binding
        .created_at_ms
        .saturating_add(SEALED_PAYMENT_AGE_MS_MAX)
        < now
        || binding.created_at_ms > now.saturating_add(CLOCK_SKEW_MS_MAX)
    {
        return Err(RefusalCode::StalePayment);
    }
    let reused = attempts.iter().any(|attempt| {
        attempt.sequence != sequence && attempt.attempt_id.as_deref() == Some(&binding.attempt_id)
    });
    if reused {
        return Err(RefusalCode::AttemptReused);
    }
    Ok(())
}

/// Whether attempt `sequence` may still ask the issuer: it is `checking`
/// and holds the payment (`processing`). An attempt the alarm released, or
/// one that already asked, may not.
pub fn may_authorize(
    payment: &Payment,
    attempts: &[Attempt],
    sequence: i64,
) -> Result<(), RefusalCode> {
    let checking = attempts
        .iter()
        .any(|attempt| attempt.sequence == sequence && attempt.state == AttemptState::Checking);
    if checking && payment.status == PaymentStatus::Processing {
        Ok(())
    } else {
        Err(RefusalCode::AttemptAbandoned)
    }
}

/// Whether a refusal decided the attempt (its answer is stored under the
/// idempotency key), or was a failure of the gateway's own that decided
/// nothing (the key is forgotten, so the same request may come again).
pub fn refusal_is_final(code: RefusalCode) -> bool {
    code.status() < 500
}

/// What the issuer answered about an authorization, as the rules need it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IssuerAnswer {
    Approved {
        authorization_code: String,
        /// The issuer verified the customer by the card's passkey.
        passkey_verified: bool,
    },
    /// `prior_mismatches`: card-details mismatches this card had in the
    /// last day before this one (from the card's budget).
    Declined {
        code: DeclineCode,
        prior_mismatches: u32,
    },
    /// The issuer reversed it at the gateway's request: never approved.
    Reversed,
    Unknown,
}

/// What an issuer's answer does to an attempt and its payment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Settlement {
    /// The attempt is not `authorizing` (settled already): nothing changes.
    Nothing,
    /// No answer: count the try; the alarm asks again (retrieve, then
    /// reverse once `AUTHORIZATION_WAIT_MS` has passed).
    Wait,
    /// The attempt ends declined; `frees_payment`: the payment was waiting
    /// for it and goes back to `requires_payment_method`; `release_slots`:
    /// the budgets get the attempt's slots back (the gateway gave up, it was
    /// not the card's doing); `release_hold`: a hold may exist for it (the
    /// issuer approved it, or never answered), so the alarm keeps asking
    /// the issuer to release it until it answers.
    Decline {
        code: DeclineCode,
        shopper: ShopperDeclineCode,
        frees_payment: bool,
        release_slots: bool,
        release_hold: bool,
    },
    /// Approved while the payment waits for it: the authorization is
    /// recorded (then signed) and the payment moves to `status`; for
    /// automatic capture the capture starts.
    Approve {
        record: AuthorizationRecord,
        capture: CaptureState,
        status: PaymentStatus,
        event: Option<PaymentEventKind>,
    },
    /// Approved, but the payment no longer waits for this attempt: the
    /// approval is recorded on the attempt and its hold released (by the
    /// alarm, until the issuer answers), never applied to the payment.
    ApproveLate { authorization_code: String },
}

/// What the issuer said about the attempt, before the budgets are told.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Heard {
    Approved,
    Declined(DeclineCode),
    Reversed,
    Unknown,
}

/// What the issuer answered when asked to release an attempt's hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReleaseStep {
    /// Nothing is held (never approved, or reversed): done.
    Done,
    /// It was approved: void its hold (with the attempt's void id).
    Void,
    /// No answer: count the try, ask again later.
    Again,
}

/// The connector's answer, as the rules hear it.
pub fn heard(answer: &ConnectorAuthorization) -> Heard {
    match answer {
        ConnectorAuthorization::Approved { .. } => Heard::Approved,
        ConnectorAuthorization::Declined { code } => Heard::Declined(*code),
        ConnectorAuthorization::Reversed => Heard::Reversed,
        ConnectorAuthorization::Unknown => Heard::Unknown,
    }
}

pub fn release_step(heard: Heard) -> ReleaseStep {
    match heard {
        Heard::Declined(_) | Heard::Reversed => ReleaseStep::Done,
        Heard::Approved => ReleaseStep::Void,
        Heard::Unknown => ReleaseStep::Again,
    }
}

/// What an answer does to the attempt's slots in the card's and the
/// address's budgets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SlotEffect {
    /// A decline the card earned: the slot stays used for the window;
    /// `mismatch`: it counts towards the card's card-details mismatches.
    MarkDeclined { mismatch: bool },
    /// Approved, reversed, or the issuer's own error: given back.
    Release,
    /// No answer yet: the slot stays in flight.
    Keep,
}

pub fn slot_effect(heard: Heard) -> SlotEffect {
    match heard {
        Heard::Declined(DeclineCode::ProcessingError) | Heard::Approved | Heard::Reversed => {
            SlotEffect::Release
        }
        Heard::Declined(code) => SlotEffect::MarkDeclined {
            mismatch: code.is_card_details_mismatch(),
        },
        Heard::Unknown => SlotEffect::Keep,
    }
}

/// When the attempt started asking the issuer (rows from before this was
/// stored: when the attempt was made, which is earlier, so never later).
fn asking_since(attempt: &Attempt) -> i64 {
    attempt
        .authorizing_since_ms
        .unwrap_or(attempt.created_at_ms)
}

/// The gateway's own give-up: the attempt ends `processing_error` and
/// frees the payment it held.
fn processing_error(holds_payment: bool, release_slots: bool, release_hold: bool) -> Settlement {
    Settlement::Decline {
        code: DeclineCode::ProcessingError,
        shopper: ShopperDeclineCode::ProcessingError,
        frees_payment: holds_payment,
        release_slots,
        release_hold,
    }
}

/// The rule for an issuer's answer to attempt `attempt` of `payment`.
pub fn settle(payment: &Payment, attempt: &Attempt, answer: IssuerAnswer, now: i64) -> Settlement {
    if attempt.state != AttemptState::Authorizing {
        return Settlement::Nothing;
    }
    let holds_payment = payment.status == PaymentStatus::Processing;
    let gave_up = now - asking_since(attempt) >= AUTHORIZATION_GIVE_UP_MS;
    match answer {
        IssuerAnswer::Unknown if gave_up => processing_error(holds_payment, true, true),
        IssuerAnswer::Unknown => Settlement::Wait,
        // The slots were given back when the reversal was heard.
        IssuerAnswer::Reversed => processing_error(holds_payment, false, false),
        IssuerAnswer::Declined {
            code,
            prior_mismatches,
        } => Settlement::Decline {
            code,
            shopper: code.for_shopper(prior_mismatches == 0),
            frees_payment: holds_payment,
            release_slots: false,
            release_hold: false,
        },
        IssuerAnswer::Approved {
            authorization_code,
            passkey_verified,
        } if holds_payment => approve(payment, attempt, authorization_code, passkey_verified, now),
        IssuerAnswer::Approved {
            authorization_code, ..
        } => Settlement::ApproveLate { authorization_code },
    }
}

fn approve(
    payment: &Payment,
    attempt: &Attempt,
    authorization_code: String,
    passkey_verified: bool,
    now: i64,
) -> Settlement {
    let (Some(brand), Some(last_four), Some(attempt_id)) = (
        attempt.brand,
        attempt.last_four.clone(),
        attempt.attempt_id.clone(),
    ) else {
        // An authorizing attempt always has its card; if not, fail closed:
        // nothing can be signed, so the hold is voided and the payment freed.
        return processing_error(true, false, true);
    };
    let record = AuthorizationRecord {
        payment_id: payment.payment_id.clone(),
        merchant_id: payment.merchant_id.clone(),
        quote_digest: payment.quote_digest,
        amount: payment.amount.clone(),
        currency: payment.currency,
        brand,
        last_four,
        authorization_code,
        attempt_id,
        authorized_at_ms: u64::try_from(now).unwrap_or(0),
        customer_verification: if passkey_verified {
            CustomerVerification::Passkey
        } else {
            CustomerVerification::CardCode
        },
    };
    match payment.capture_method {
        CaptureMethod::Manual => Settlement::Approve {
            record,
            capture: CaptureState::Manual,
            status: PaymentStatus::RequiresCapture,
            event: Some(PaymentEventKind::Authorized),
        },
        // The payment stays `processing` until the capture's answer.
        CaptureMethod::Automatic => Settlement::Approve {
            record,
            capture: CaptureState::Pending,
            status: PaymentStatus::Processing,
            event: None,
        },
    }
}

/// What the alarm has to do now, and when it should run next.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Upkeep {
    pub tasks: Vec<Task>,
    pub next_at_ms: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Task {
    /// Release attempt `sequence`, stuck in `checking`.
    Abandon(i64),
    /// Ask the issuer again for attempt `sequence`'s answer.
    Retrieve(i64),
    /// Ask the issuer to reverse attempt `sequence`.
    Reverse(i64),
    /// Ask the issuer to release whatever hold attempt `sequence` got (a
    /// late approval, or an answer that never came).
    ReleaseHold(i64),
    /// Ask again about the capture, void or refund under way.
    Capture,
    Void,
    Refund(String),
}

/// The attempts' share of the alarm's work.
pub fn attempt_upkeep(attempts: &[Attempt], now: i64, upkeep: &mut Upkeep) {
    for attempt in attempts {
        match attempt.state {
            AttemptState::Checking => {
                let due = attempt.updated_at_ms + CHECKING_ABANDONED_MS;
                upkeep.at(due, now, Task::Abandon(attempt.sequence));
            }
            AttemptState::Authorizing => {
                let due = attempt.updated_at_ms + retry_delay(attempt.tries);
                let task = if now - asking_since(attempt) >= AUTHORIZATION_WAIT_MS {
                    Task::Reverse(attempt.sequence)
                } else {
                    Task::Retrieve(attempt.sequence)
                };
                upkeep.at(due, now, task);
            }
            AttemptState::Approved | AttemptState::Declined
                if attempt.release_pending && attempt.tries < MOVEMENT_TRIES_MAX =>
            {
                let due = attempt.updated_at_ms + retry_delay(attempt.tries);
                upkeep.at(due, now, Task::ReleaseHold(attempt.sequence));
            }
            AttemptState::Approved | AttemptState::Declined | AttemptState::Rejected => {}
        }
    }
}

impl Upkeep {
    /// `task` now if `due` has come, else a wake-up at `due`.
    pub fn at(&mut self, due: i64, now: i64, task: Task) {
        if due <= now {
            self.tasks.push(task);
        } else {
            self.wake_at(due);
        }
    }

    pub fn wake_at(&mut self, due: i64) {
        self.next_at_ms = Some(self.next_at_ms.map_or(due, |next| next.min(due)));
    }
}
