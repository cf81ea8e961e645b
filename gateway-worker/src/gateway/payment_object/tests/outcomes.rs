//! An attempt after the issuer was asked: every answer, late and stale
//! ones included, an issuer that never answers, the alarm, and what the
//! merchant is answered.

use shared::decline::{DeclineCode, ShopperDeclineCode};
use shared::receipt::PaymentEventKind;
use shared::refusal::RefusalCode;
use shared::wire::{AttemptOutcome, CaptureMethod, PaymentStatus};

use super::*;
use crate::gateway::payment_object::machine::*;
use crate::gateway::payment_object::model::{AttemptEnd, AttemptState, CaptureState};

// The issuer's answers.

#[test]
fn a_decline_frees_the_payment_for_another_card() {
    let processing = payment(PaymentStatus::Processing, CaptureMethod::Automatic);
    let authorizing = attempt(1, AttemptState::Authorizing);
    assert_eq!(
        settle(
            &processing,
            &authorizing,
            declined(DeclineCode::InsufficientFunds, 0),
            NOW
        ),
        Settlement::Decline {
            code: DeclineCode::InsufficientFunds,
            shopper: ShopperDeclineCode::InsufficientFunds,
            frees_payment: true,
            release_slots: false,
            release_hold: false,
        }
    );
}

#[test]
fn the_shopper_learns_of_a_mismatch_once_and_never_which_field_or_whether_the_number_exists() {
    let processing = payment(PaymentStatus::Processing, CaptureMethod::Automatic);
    let authorizing = attempt(1, AttemptState::Authorizing);
    let shopper = |code, prior| match settle(&processing, &authorizing, declined(code, prior), NOW)
    {
        Settlement::Decline {
            shopper,
            code: exact,
            ..
        } => {
            assert_eq!(exact, code, "the merchant keeps the exact code");
            shopper
        }
        other => panic!("{other:?}"),
    };
    // A wrong number answers exactly like a wrong code on a real card.
    for mismatch in [
        DeclineCode::IncorrectCvc,
        DeclineCode::IncorrectExpiry,
        DeclineCode::IncorrectNumber,
    ] {
        assert_eq!(
            shopper(mismatch, 0),
            ShopperDeclineCode::IncorrectCardDetails
        );
        assert_eq!(shopper(mismatch, 1), ShopperDeclineCode::CardDeclined);
        assert_eq!(shopper(mismatch, 7), ShopperDeclineCode::CardDeclined);
    }
    for hidden in [
        DeclineCode::SecurityChecksLocked,
        DeclineCode::LostCard,
        DeclineCode::StolenCard,
        DeclineCode::DoNotHonor,
    ] {
        assert_eq!(shopper(hidden, 0), ShopperDeclineCode::CardDeclined);
    }
    assert_eq!(
        shopper(DeclineCode::InsufficientFunds, 3),
        ShopperDeclineCode::InsufficientFunds
    );
}

#[test]
fn a_decline_the_card_earned_keeps_its_slots_and_anything_else_gives_them_back() {
    assert_eq!(
        slot_effect(Heard::Declined(DeclineCode::IncorrectCvc)),
        SlotEffect::MarkDeclined { mismatch: true }
    );
    assert_eq!(
        slot_effect(Heard::Declined(DeclineCode::IncorrectNumber)),
        SlotEffect::MarkDeclined { mismatch: true }
    );
    assert_eq!(
        slot_effect(Heard::Declined(DeclineCode::InsufficientFunds)),
        SlotEffect::MarkDeclined { mismatch: false }
    );
    assert_eq!(
        slot_effect(Heard::Declined(DeclineCode::SecurityChecksLocked)),
        SlotEffect::MarkDeclined { mismatch: false }
    );
    // The issuer's own error, an approval, a reversal: not the card's doing.
    for heard in [
        Heard::Declined(DeclineCode::ProcessingError),
        Heard::Approved,
        Heard::Reversed,
    ] {
        assert_eq!(slot_effect(heard), SlotEffect::Release);
    }
    assert_eq!(slot_effect(Heard::Unknown), SlotEffect::Keep);
}

#[test]
fn an_approval_that_cannot_be_recorded_is_voided_and_frees_the_payment() {
    let processing = payment(PaymentStatus::Processing, CaptureMethod::Automatic);
    let mut cardless = attempt(1, AttemptState::Authorizing);
    cardless.brand = None;
    let approval = IssuerAnswer::Approved {
        authorization_code: "ABC234".into(),
        passkey_verified: false,
    };
    assert_eq!(
        settle(&processing, &cardless, approval, NOW),
        Settlement::Decline {
            code: DeclineCode::ProcessingError,
            shopper: ShopperDeclineCode::ProcessingError,
            frees_payment: true,
            release_slots: false,
            release_hold: true,
        }
    );
}

#[test]
fn an_approval_holds_for_manual_capture_or_starts_the_capture() {
    let authorizing = attempt(1, AttemptState::Authorizing);
    let manual = payment(PaymentStatus::Processing, CaptureMethod::Manual);
    let approved = IssuerAnswer::Approved {
        authorization_code: "ABC234".into(),
        passkey_verified: false,
    };
    match settle(&manual, &authorizing, approved.clone(), NOW) {
        Settlement::Approve {
            record,
            capture,
            status,
            event,
        } => {
            assert_eq!(capture, CaptureState::Manual);
            assert_eq!(status, PaymentStatus::RequiresCapture);
            assert_eq!(event, Some(PaymentEventKind::Authorized));
            assert_eq!(record.authorization_code, "ABC234");
            assert_eq!(record.attempt_id, "att1");
            assert_eq!(record.last_four, "4242");
            assert_eq!(record.amount, "42.50");
            assert_eq!(record.authorized_at_ms, u64::try_from(NOW).unwrap());
        }
        other => panic!("{other:?}"),
    }
    let automatic = payment(PaymentStatus::Processing, CaptureMethod::Automatic);
    match settle(&automatic, &authorizing, approved, NOW) {
        Settlement::Approve {
            capture,
            status,
            event,
            ..
        } => {
            assert_eq!(capture, CaptureState::Pending);
            assert_eq!(
                status,
                PaymentStatus::Processing,
                "until the capture answers"
            );
            assert_eq!(event, None);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn an_outcome_for_an_attempt_already_settled_or_released_changes_nothing() {
    let processing = payment(PaymentStatus::Processing, CaptureMethod::Automatic);
    for state in [
        AttemptState::Checking,
        AttemptState::Approved,
        AttemptState::Declined,
        AttemptState::Rejected,
    ] {
        for answer in [
            declined(DeclineCode::InsufficientFunds, 0),
            IssuerAnswer::Approved {
                authorization_code: "ABC234".into(),
                passkey_verified: false,
            },
            IssuerAnswer::Reversed,
            IssuerAnswer::Unknown,
        ] {
            assert_eq!(
                settle(&processing, &attempt(1, state), answer, NOW),
                Settlement::Nothing,
                "{state:?}"
            );
        }
    }
}

#[test]
fn a_late_outcome_never_moves_a_payment_that_no_longer_waits_for_it() {
    let authorizing = attempt(1, AttemptState::Authorizing);
    for status in [
        PaymentStatus::Succeeded,
        PaymentStatus::RequiresCapture,
        PaymentStatus::Refunded,
        PaymentStatus::Canceled,
        PaymentStatus::RequiresPaymentMethod,
    ] {
        let paid = payment(status, CaptureMethod::Automatic);
        match settle(
            &paid,
            &authorizing,
            declined(DeclineCode::DoNotHonor, 0),
            NOW,
        ) {
            Settlement::Decline { frees_payment, .. } => assert!(!frees_payment, "{status:?}"),
            other => panic!("{other:?}"),
        }
        let approval = IssuerAnswer::Approved {
            authorization_code: "LATE22".into(),
            passkey_verified: false,
        };
        assert_eq!(
            settle(&paid, &authorizing, approval, NOW),
            Settlement::ApproveLate {
                authorization_code: "LATE22".into()
            },
            "recorded and its hold voided, never applied"
        );
    }
}

#[test]
fn an_issuer_that_never_answers_ends_in_a_processing_error_that_frees_the_payment() {
    let processing = payment(PaymentStatus::Processing, CaptureMethod::Automatic);
    let mut authorizing = attempt(1, AttemptState::Authorizing);
    assert_eq!(
        settle(&processing, &authorizing, IssuerAnswer::Unknown, NOW),
        Settlement::Wait
    );
    let reversed = Settlement::Decline {
        code: DeclineCode::ProcessingError,
        shopper: ShopperDeclineCode::ProcessingError,
        frees_payment: true,
        release_slots: false,
        release_hold: false,
    };
    assert_eq!(
        settle(&processing, &authorizing, IssuerAnswer::Reversed, NOW),
        reversed
    );
    // Reversed after the payment stopped waiting: recorded, nothing freed.
    let paid = payment(PaymentStatus::Succeeded, CaptureMethod::Automatic);
    assert!(matches!(
        settle(&paid, &authorizing, IssuerAnswer::Reversed, NOW),
        Settlement::Decline {
            frees_payment: false,
            ..
        }
    ));
    // The reversal itself goes unanswered for the whole bounded wait: the
    // gateway gives up, gives the slots back, and keeps asking the issuer
    // to release any hold that lands later.
    authorizing.authorizing_since_ms = Some(NOW - AUTHORIZATION_GIVE_UP_MS);
    assert_eq!(
        settle(&processing, &authorizing, IssuerAnswer::Unknown, NOW),
        Settlement::Decline {
            code: DeclineCode::ProcessingError,
            shopper: ShopperDeclineCode::ProcessingError,
            frees_payment: true,
            release_slots: true,
            release_hold: true,
        }
    );
    // Rows from before the start was stored: counted from the attempt's
    // creation, so a stuck legacy attempt gives up too.
    authorizing.authorizing_since_ms = None;
    authorizing.created_at_ms = NOW - AUTHORIZATION_GIVE_UP_MS;
    authorizing.updated_at_ms = NOW;
    assert!(matches!(
        settle(&processing, &authorizing, IssuerAnswer::Unknown, NOW),
        Settlement::Decline { .. }
    ));
}

// The alarm.

#[test]
fn the_alarm_releases_stuck_checks_then_asks_then_reverses() {
    let mut upkeep = Upkeep::default();
    let mut checking = attempt(1, AttemptState::Checking);
    checking.updated_at_ms = NOW - CHECKING_ABANDONED_MS + 10;
    attempt_upkeep(&[checking.clone()], NOW, &mut upkeep);
    assert!(upkeep.tasks.is_empty());
    assert_eq!(upkeep.next_at_ms, Some(NOW + 10));
    checking.updated_at_ms = NOW - CHECKING_ABANDONED_MS;
    let mut upkeep = Upkeep::default();
    attempt_upkeep(&[checking], NOW, &mut upkeep);
    assert_eq!(upkeep.tasks, vec![Task::Abandon(1)]);

    let mut authorizing = attempt(2, AttemptState::Authorizing);
    authorizing.tries = 3;
    authorizing.updated_at_ms = NOW - retry_delay(3) + 1;
    let mut upkeep = Upkeep::default();
    attempt_upkeep(&[authorizing.clone()], NOW, &mut upkeep);
    assert!(upkeep.tasks.is_empty(), "not due yet");
    assert_eq!(upkeep.next_at_ms, Some(NOW + 1));
    authorizing.updated_at_ms = NOW - retry_delay(3);
    let mut upkeep = Upkeep::default();
    attempt_upkeep(&[authorizing.clone()], NOW, &mut upkeep);
    assert_eq!(upkeep.tasks, vec![Task::Retrieve(2)]);
    authorizing.authorizing_since_ms = Some(NOW - AUTHORIZATION_WAIT_MS);
    let mut upkeep = Upkeep::default();
    attempt_upkeep(&[authorizing], NOW, &mut upkeep);
    assert_eq!(upkeep.tasks, vec![Task::Reverse(2)]);

    let mut upkeep = Upkeep::default();
    let settled = [
        attempt(3, AttemptState::Approved),
        attempt(4, AttemptState::Declined),
        attempt(5, AttemptState::Rejected),
    ];
    attempt_upkeep(&settled, NOW, &mut upkeep);
    assert_eq!(upkeep, Upkeep::default());
}

#[test]
fn a_hold_the_payment_did_not_take_is_released_until_the_issuer_answers() {
    let mut late = attempt(1, AttemptState::Approved);
    late.release_pending = true;
    late.updated_at_ms = NOW - retry_delay(0);
    let mut upkeep = Upkeep::default();
    attempt_upkeep(&[late.clone()], NOW, &mut upkeep);
    assert_eq!(upkeep.tasks, vec![Task::ReleaseHold(1)]);
    // Asked: nothing held, or an approval whose hold is then voided; no
    // answer: again later.
    assert_eq!(release_step(Heard::Reversed), ReleaseStep::Done);
    assert_eq!(
        release_step(Heard::Declined(DeclineCode::DoNotHonor)),
        ReleaseStep::Done
    );
    assert_eq!(release_step(Heard::Approved), ReleaseStep::Void);
    assert_eq!(release_step(Heard::Unknown), ReleaseStep::Again);
    // Bounded: after the last try the alarm stops asking.
    late.tries = MOVEMENT_TRIES_MAX;
    let mut upkeep = Upkeep::default();
    attempt_upkeep(&[late], NOW, &mut upkeep);
    assert_eq!(upkeep, Upkeep::default());
}

#[test]
fn retries_back_off_to_a_ceiling() {
    assert_eq!(retry_delay(0), RETRY_MS);
    assert_eq!(retry_delay(1), 2 * RETRY_MS);
    assert_eq!(retry_delay(3), 8 * RETRY_MS);
    assert_eq!(retry_delay(50), RETRY_MS_MAX);
    assert_eq!(retry_delay(-1), RETRY_MS);
}

// The merchant's answers.

#[test]
fn the_merchant_hears_the_exact_code_and_what_to_tell_the_shopper() {
    let freed = waiting();
    let mut declined = attempt(1, AttemptState::Declined);
    declined.end = AttemptEnd::Declined {
        code: DeclineCode::IncorrectCvc,
        shopper: ShopperDeclineCode::CardDeclined,
    };
    let (status, answer) = confirm_answer(&freed, &declined, None).unwrap();
    assert_eq!(status, 402);
    assert_eq!(answer.code, Some(ShopperDeclineCode::CardDeclined));
    assert_eq!(answer.attempt.decline_code, Some(DeclineCode::IncorrectCvc));
    assert_eq!(answer.another_card_may_help, Some(true));
    let paid = payment(PaymentStatus::Succeeded, CaptureMethod::Automatic);
    let approved = attempt(1, AttemptState::Approved);
    assert_eq!(confirm_answer(&paid, &approved, None).unwrap().0, 200);
    let capturing = payment(PaymentStatus::Processing, CaptureMethod::Automatic);
    assert_eq!(confirm_answer(&capturing, &approved, None).unwrap().0, 202);
    let pending = attempt(1, AttemptState::Authorizing);
    let (status, answer) = confirm_answer(&capturing, &pending, None).unwrap();
    assert_eq!(
        (status, answer.attempt.outcome),
        (202, AttemptOutcome::Pending)
    );
    assert!(confirm_answer(&freed, &attempt(1, AttemptState::Rejected), None).is_none());
    assert!(view_of(&attempt(1, AttemptState::Checking)).is_none());
}

#[test]
fn every_refusal_is_final_but_the_gateways_own_failure() {
    // A final refusal is stored under the key (a retry gets it again); the
    // gateway's own failure decided nothing, so the key is freed.
    for &code in RefusalCode::ALL {
        let body = refusal_body(code);
        assert_eq!(body.code, code.code());
        assert!(!body.message.is_empty());
        assert_eq!(
            refusal_is_final(code),
            code != RefusalCode::InternalError,
            "{code}"
        );
    }
    for budget in [
        RefusalCode::TooManyAttempts,
        RefusalCode::CardAttemptsExceeded,
        RefusalCode::AddressAttemptsExceeded,
    ] {
        assert_eq!(budget.status(), 429);
    }
    assert_eq!(RefusalCode::AttemptAbandoned.status(), 409);
}
