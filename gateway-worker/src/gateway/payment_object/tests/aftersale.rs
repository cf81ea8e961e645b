//! Capture, cancel and refunds, and what each answer of the issuer does.

use shared::receipt::PaymentEventKind;
use shared::refusal::RefusalCode;
use shared::wire::{CaptureMethod, PaymentStatus};

use super::*;
use crate::gateway::payment_object::machine::*;
use crate::gateway::payment_object::model::{Authorization, CaptureState, RefundRow, RefundState};

// After the sale.

fn authorization(capture: CaptureState, capture_tries: i64) -> Authorization {
    Authorization {
        attempt_sequence: 1,
        signed: String::new(),
        capture,
        capture_tries,
    }
}

#[test]
fn capture_and_cancel_requests_follow_the_payment_and_the_hold() {
    let held = payment(PaymentStatus::RequiresCapture, CaptureMethod::Manual);
    let manual = authorization(CaptureState::Manual, 0);
    assert_eq!(
        capture_request(&held, Some(&manual)),
        MerchantRequest::Start {
            from: CaptureState::Manual,
            to: CaptureState::Pending
        }
    );
    assert_eq!(
        cancel_request(&held, Some(&manual)),
        MerchantRequest::Start {
            from: CaptureState::Manual,
            to: CaptureState::Voiding
        }
    );
    let refused = authorization(CaptureState::Refused, 0);
    assert!(matches!(
        capture_request(&held, Some(&refused)),
        MerchantRequest::Start { .. }
    ));
    for busy in [CaptureState::Pending, CaptureState::Voiding] {
        let busy = authorization(busy, 0);
        assert_eq!(
            capture_request(&held, Some(&busy)),
            MerchantRequest::Refuse(RefusalCode::PaymentProcessing)
        );
        assert_eq!(
            cancel_request(&held, Some(&busy)),
            MerchantRequest::Refuse(RefusalCode::PaymentProcessing)
        );
    }
    let paid = payment(PaymentStatus::Succeeded, CaptureMethod::Manual);
    assert_eq!(capture_request(&paid, None), MerchantRequest::AlreadyDone);
    assert_eq!(
        cancel_request(&paid, None),
        MerchantRequest::Refuse(RefusalCode::PaymentNotCancelable)
    );
    assert_eq!(
        cancel_request(&waiting(), None),
        MerchantRequest::CancelUnpaid
    );
    assert_eq!(
        capture_request(&waiting(), None),
        MerchantRequest::Refuse(RefusalCode::PaymentNotCapturable)
    );
    let processing = payment(PaymentStatus::Processing, CaptureMethod::Manual);
    assert_eq!(
        cancel_request(&processing, None),
        MerchantRequest::Refuse(RefusalCode::PaymentProcessing)
    );
    let canceled = payment(PaymentStatus::Canceled, CaptureMethod::Manual);
    assert_eq!(
        cancel_request(&canceled, None),
        MerchantRequest::AlreadyDone
    );
}

#[test]
fn the_merchant_hears_where_a_capture_or_cancel_ended() {
    let paid = payment(PaymentStatus::Succeeded, CaptureMethod::Manual);
    let held = payment(PaymentStatus::RequiresCapture, CaptureMethod::Manual);
    let canceled = payment(PaymentStatus::Canceled, CaptureMethod::Manual);
    assert_eq!(capture_answer(&paid, Some(CaptureState::Done)), Ok(200));
    assert_eq!(capture_answer(&held, Some(CaptureState::Pending)), Ok(202));
    assert_eq!(
        capture_answer(&held, Some(CaptureState::Refused)),
        Err(RefusalCode::CaptureRefused)
    );
    assert_eq!(
        cancel_answer(&canceled, Some(CaptureState::Voided)),
        Ok(200)
    );
    assert_eq!(cancel_answer(&held, Some(CaptureState::Voiding)), Ok(202));
    assert_eq!(
        cancel_answer(&held, Some(CaptureState::Manual)),
        Err(RefusalCode::CancelRefused)
    );
}

#[test]
fn an_automatic_capture_ends_paid_refused_or_handed_to_the_merchant() {
    let capturing = payment(PaymentStatus::Processing, CaptureMethod::Automatic);
    let pending = authorization(CaptureState::Pending, 0);
    let done = settle_capture(&capturing, &pending, &Movement::Done).unwrap();
    assert_eq!(
        (done.capture, done.status, done.event),
        (
            CaptureState::Done,
            Some(PaymentStatus::Succeeded),
            Some(PaymentEventKind::Succeeded)
        )
    );
    let refused = settle_capture(
        &capturing,
        &pending,
        &Movement::Refused {
            code: "insufficient_funds".into(),
        },
    )
    .unwrap();
    assert_eq!(
        (refused.capture, refused.status, refused.event),
        (
            CaptureState::Refused,
            Some(PaymentStatus::RequiresCapture),
            Some(PaymentEventKind::Authorized)
        )
    );
    assert!(
        settle_capture(&capturing, &pending, &Movement::Unknown)
            .unwrap()
            .wait
    );
    // Bounded: after the last try the hold goes to the merchant.
    let last = authorization(CaptureState::Pending, MOVEMENT_TRIES_MAX - 1);
    let handed = settle_capture(&capturing, &last, &Movement::Unknown).unwrap();
    assert!(!handed.wait);
    assert_eq!(handed.capture, CaptureState::Manual);
    assert_eq!(handed.status, Some(PaymentStatus::RequiresCapture));
    // A merchant's own capture that is refused sends no event.
    let held = payment(PaymentStatus::RequiresCapture, CaptureMethod::Manual);
    assert_eq!(
        settle_capture(
            &held,
            &pending,
            &Movement::Refused {
                code: "insufficient_funds".into()
            }
        )
        .unwrap()
        .event,
        None
    );
    // Not under way: nothing to settle.
    assert!(
        settle_capture(
            &capturing,
            &authorization(CaptureState::Done, 0),
            &Movement::Done
        )
        .is_none()
    );
}

#[test]
fn a_void_cancels_or_leaves_the_hold_with_the_merchant() {
    let voiding = authorization(CaptureState::Voiding, 0);
    let done = settle_void(&voiding, &Movement::Done).unwrap();
    assert_eq!(
        (done.capture, done.status, done.event),
        (
            CaptureState::Voided,
            Some(PaymentStatus::Canceled),
            Some(PaymentEventKind::Canceled)
        )
    );
    assert_eq!(
        settle_void(
            &voiding,
            &Movement::Refused {
                code: "insufficient_funds".into()
            }
        )
        .unwrap()
        .capture,
        CaptureState::Manual
    );
    assert!(settle_void(&voiding, &Movement::Unknown).unwrap().wait);
    let last = authorization(CaptureState::Voiding, MOVEMENT_TRIES_MAX - 1);
    assert_eq!(
        settle_void(&last, &Movement::Unknown).unwrap().capture,
        CaptureState::Manual
    );
    assert!(settle_void(&authorization(CaptureState::Manual, 0), &Movement::Done).is_none());
}

fn refund(id: &str, amount_minor: i64, state: RefundState) -> RefundRow {
    RefundRow {
        refund_id: id.into(),
        amount_minor,
        state,
        idempotency_key: format!("refunds {id}"),
        tries: 0,
        created_at_ms: NOW - 10_000,
        updated_at_ms: NOW - 10_000,
    }
}

#[test]
fn refunds_never_exceed_what_was_captured() {
    let paid = payment(PaymentStatus::Succeeded, CaptureMethod::Automatic);
    let captured = authorization(CaptureState::Done, 0);
    let earlier = [
        refund("pay_test.r1", 2_000, RefundState::Done),
        refund("pay_test.r2", 1_000, RefundState::Pending),
        refund("pay_test.r3", 4_000, RefundState::Refused),
    ];
    let new = refund_request(&paid, Some(&captured), &earlier, "12.50").unwrap();
    assert_eq!(new.refund_id, "pay_test.r4");
    assert_eq!(new.amount.to_minor(), 1_250);
    assert_eq!(
        refund_request(&paid, Some(&captured), &earlier, "12.51"),
        Err(RefusalCode::RefundExceedsPayment)
    );
    for amount in ["0", "0.00", "-1", "abc", "1.001"] {
        assert_eq!(
            refund_request(&paid, Some(&captured), &earlier, amount),
            Err(RefusalCode::InvalidAmount),
            "{amount}"
        );
    }
    let refunded = payment(PaymentStatus::Refunded, CaptureMethod::Automatic);
    assert_eq!(
        refund_request(&refunded, Some(&captured), &[], "1.00"),
        Err(RefusalCode::AlreadyRefunded)
    );
    let held = payment(PaymentStatus::RequiresCapture, CaptureMethod::Manual);
    assert_eq!(
        refund_request(
            &held,
            Some(&authorization(CaptureState::Manual, 0)),
            &[],
            "1.00"
        ),
        Err(RefusalCode::PaymentNotCaptured)
    );
}

#[test]
fn a_refund_that_returns_the_rest_refunds_the_payment() {
    let paid = payment(PaymentStatus::Succeeded, CaptureMethod::Automatic);
    let refunds = [
        refund("pay_test.r1", 3_000, RefundState::Done),
        refund("pay_test.r2", 1_250, RefundState::Pending),
    ];
    assert_eq!(
        settle_refund(&paid, &refunds, "pay_test.r2", &Movement::Done),
        Some(RefundSettlement::Done {
            refunded_minor: 4_250,
            fully_refunded: true
        })
    );
    let partial = [refund("pay_test.r1", 1_000, RefundState::Pending)];
    assert_eq!(
        settle_refund(&paid, &partial, "pay_test.r1", &Movement::Done),
        Some(RefundSettlement::Done {
            refunded_minor: 1_000,
            fully_refunded: false
        })
    );
    assert_eq!(
        settle_refund(&paid, &partial, "pay_test.r1", &Movement::Unknown),
        Some(RefundSettlement::Wait)
    );
    // Settled already: a second answer changes nothing.
    assert_eq!(
        settle_refund(&paid, &refunds, "pay_test.r1", &Movement::Done),
        None
    );
}

#[test]
fn the_alarm_retries_movements_with_their_own_ids_and_then_stops() {
    let mut upkeep = Upkeep::default();
    aftersale_upkeep(
        Some(&authorization(CaptureState::Pending, 0)),
        &[],
        NOW,
        &mut upkeep,
    );
    assert_eq!(upkeep.tasks, vec![Task::Capture]);
    let mut upkeep = Upkeep::default();
    aftersale_upkeep(
        Some(&authorization(CaptureState::Voiding, 0)),
        &[],
        NOW,
        &mut upkeep,
    );
    assert_eq!(upkeep.tasks, vec![Task::Void]);

    let mut fresh = refund("pay_test.r1", 100, RefundState::Pending);
    fresh.created_at_ms = NOW - 1;
    fresh.updated_at_ms = NOW - 1;
    let mut upkeep = Upkeep::default();
    aftersale_upkeep(None, &[fresh], NOW, &mut upkeep);
    assert!(
        upkeep.tasks.is_empty(),
        "the merchant's request may still be asking"
    );
    let due = refund("pay_test.r2", 100, RefundState::Pending);
    let mut exhausted = refund("pay_test.r3", 100, RefundState::Pending);
    exhausted.tries = MOVEMENT_TRIES_MAX;
    let mut upkeep = Upkeep::default();
    aftersale_upkeep(None, &[due, exhausted], NOW, &mut upkeep);
    assert_eq!(upkeep.tasks, vec![Task::Refund("pay_test.r2".into())]);
}
