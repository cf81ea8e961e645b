//! An attempt from its claim to the step to the issuer: every refusal
//! before the issuer is asked, and who may ask it.

use shared::encoding::Bytes;
use shared::money::{Currency, Money};
use shared::refusal::RefusalCode;
use shared::seal::PaymentBinding;
use shared::wire::{CaptureMethod, PaymentStatus};

use super::*;
use crate::gateway::payment_object::machine::*;
use crate::gateway::payment_object::model::{Attempt, AttemptState};
use crate::gateway::risk::PAYMENT_ATTEMPTS_MAX;

// Confirmation: before the claim.

#[test]
fn only_a_payment_awaiting_a_card_takes_an_attempt() {
    let digest = Bytes([7; 32]);
    let cases = [
        (PaymentStatus::Succeeded, RefusalCode::AlreadyPaid),
        (PaymentStatus::RequiresCapture, RefusalCode::AlreadyPaid),
        (PaymentStatus::Refunded, RefusalCode::AlreadyPaid),
        (PaymentStatus::Canceled, RefusalCode::PaymentCanceled),
        (PaymentStatus::Processing, RefusalCode::PaymentProcessing),
    ];
    for (status, code) in cases {
        let payment = payment(status, CaptureMethod::Automatic);
        assert_eq!(
            precheck(&payment, &[], &billing("h", &digest), NOW),
            Err(code)
        );
    }
    assert_eq!(
        precheck(&waiting(), &[], &billing("h", &digest), NOW),
        Ok(())
    );
}

#[test]
fn an_expired_quote_is_refused_from_its_expiry_on() {
    let digest = Bytes([7; 32]);
    let payment = waiting();
    let expiry = i64::try_from(payment.expires_at_ms).unwrap();
    let billing = billing("h", &digest);
    assert_eq!(precheck(&payment, &[], &billing, expiry - 1), Ok(()));
    assert_eq!(
        precheck(&payment, &[], &billing, expiry),
        Err(RefusalCode::QuoteExpired)
    );
}

#[test]
fn the_billing_must_match_the_payment() {
    let digest = Bytes([7; 32]);
    let other_digest = Bytes([8; 32]);
    let payment = waiting();
    let check = |billing: Billing<'_>| precheck(&payment, &[], &billing, NOW);
    assert_eq!(
        check(Billing {
            amount: "42.51",
            ..billing("h", &digest)
        }),
        Err(RefusalCode::AmountMismatch)
    );
    assert_eq!(
        check(Billing {
            currency: Currency::Usd,
            ..billing("h", &digest)
        }),
        Err(RefusalCode::AmountMismatch)
    );
    assert_eq!(
        check(billing("h", &other_digest)),
        Err(RefusalCode::BillingMismatch)
    );
    assert_eq!(
        check(Billing {
            order_reference: "ord_other",
            ..billing("h", &digest)
        }),
        Err(RefusalCode::BillingMismatch)
    );
    let long = "1".repeat(65);
    for address in ["", long.as_str()] {
        assert_eq!(
            check(Billing {
                shopper_address: Some(address),
                ..billing("h", &digest)
            }),
            Err(RefusalCode::InvalidShopperAddress)
        );
    }
    assert_eq!(
        check(Billing {
            sealed_payment_id: "pay_other",
            ..billing("h", &digest)
        }),
        Err(RefusalCode::PaymentMismatch)
    );
}

#[test]
fn a_sealed_payment_that_reached_the_issuer_is_never_sent_again() {
    let digest = Bytes([7; 32]);
    let payment = waiting();
    let asked = [attempt(1, AttemptState::Declined)];
    assert_eq!(
        precheck(&payment, &asked, &billing("hash1", &digest), NOW),
        Err(RefusalCode::PaymentReplayed)
    );
    // Refused before the issuer: the same sealed payment may come again.
    let refused = [attempt(1, AttemptState::Rejected)];
    assert_eq!(
        precheck(&payment, &refused, &billing("hash1", &digest), NOW),
        Ok(())
    );
}

#[test]
fn a_payment_sends_at_most_its_budget_of_attempts_to_the_issuer() {
    let digest = Bytes([7; 32]);
    let payment = waiting();
    let max = i64::from(PAYMENT_ATTEMPTS_MAX);
    let mut attempts: Vec<Attempt> = (1..max)
        .map(|sequence| attempt(sequence, AttemptState::Declined))
        .collect();
    // Refusals before the issuer do not count.
    attempts.push(attempt(max, AttemptState::Rejected));
    assert_eq!(
        precheck(&payment, &attempts, &billing("new", &digest), NOW),
        Ok(())
    );
    attempts.push(attempt(max + 1, AttemptState::Declined));
    assert_eq!(
        precheck(&payment, &attempts, &billing("new", &digest), NOW),
        Err(RefusalCode::TooManyAttempts)
    );
    assert_eq!(next_sequence(&attempts), max + 2);
    assert_eq!(next_sequence(&[]), 1);
}

// Confirmation: the opened sealed payment.

#[test]
fn the_opened_payment_must_be_bound_to_this_payment() {
    let payment = waiting();
    assert_eq!(check_opened(&payment, &[], 1, &binding(), NOW), Ok(()));
    let variants = [
        PaymentBinding {
            payment_id: "pay_other".into(),
            ..binding()
        },
        PaymentBinding {
            merchant_id: "m_other".into(),
            ..binding()
        },
        PaymentBinding {
            amount: Money::parse_non_negative("42.49", Currency::Eur).unwrap(),
            ..binding()
        },
        PaymentBinding {
            quote_digest: Bytes([9; 32]),
            ..binding()
        },
    ];
    for variant in variants {
        assert_eq!(
            check_opened(&payment, &[], 1, &variant, NOW),
            Err(RefusalCode::BindingMismatch)
        );
    }
}

#[test]
fn a_sealed_payment_is_fresh_within_its_age_and_the_clock_skew() {
    let payment = waiting();
    let now = u64::try_from(NOW).unwrap();
    let sealed_at = |created_at_ms| PaymentBinding {
        created_at_ms,
        ..binding()
    };
    let oldest = now - SEALED_PAYMENT_AGE_MS_MAX;
    assert_eq!(
        check_opened(&payment, &[], 1, &sealed_at(oldest), NOW),
        Ok(())
    );
    assert_eq!(
        check_opened(&payment, &[], 1, &sealed_at(oldest - 1), NOW),
        Err(RefusalCode::StalePayment)
    );
    let newest = now + CLOCK_SKEW_MS_MAX;
    assert_eq!(
        check_opened(&payment, &[], 1, &sealed_at(newest), NOW),
        Ok(())
    );
    assert_eq!(
        check_opened(&payment, &[], 1, &sealed_at(newest + 1), NOW),
        Err(RefusalCode::StalePayment)
    );
}

#[test]
fn a_reused_attempt_id_is_refused() {
    let payment = waiting();
    let mut earlier = attempt(1, AttemptState::Declined);
    earlier.attempt_id = Some("att_new".into());
    assert_eq!(
        check_opened(&payment, &[earlier.clone()], 2, &binding(), NOW),
        Err(RefusalCode::AttemptReused)
    );
    // The attempt's own row does not count against it.
    earlier.sequence = 2;
    assert_eq!(
        check_opened(&payment, &[earlier], 2, &binding(), NOW),
        Ok(())
    );
}

// Confirmation: the step to the issuer.

#[test]
fn only_the_attempt_holding_the_payment_may_ask_the_issuer() {
    let processing = payment(PaymentStatus::Processing, CaptureMethod::Automatic);
    let checking = [attempt(1, AttemptState::Checking)];
    assert_eq!(may_authorize(&processing, &checking, 1), Ok(()));
    // Released by the alarm, then back: it may not ask.
    let released = [attempt(1, AttemptState::Rejected)];
    assert_eq!(
        may_authorize(&processing, &released, 1),
        Err(RefusalCode::AttemptAbandoned)
    );
    // Released, and another attempt took the payment meanwhile.
    let overtaken = [
        attempt(1, AttemptState::Rejected),
        attempt(2, AttemptState::Checking),
    ];
    assert_eq!(
        may_authorize(&processing, &overtaken, 1),
        Err(RefusalCode::AttemptAbandoned)
    );
    assert_eq!(may_authorize(&processing, &overtaken, 2), Ok(()));
    // Already asked once: never twice.
    let asked = [attempt(1, AttemptState::Authorizing)];
    assert_eq!(
        may_authorize(&processing, &asked, 1),
        Err(RefusalCode::AttemptAbandoned)
    );
    // The payment was freed (or paid) meanwhile.
    assert_eq!(
        may_authorize(&waiting(), &checking, 1),
        Err(RefusalCode::AttemptAbandoned)
    );
    assert_eq!(
        may_authorize(&processing, &[], 1),
        Err(RefusalCode::AttemptAbandoned)
    );
}
