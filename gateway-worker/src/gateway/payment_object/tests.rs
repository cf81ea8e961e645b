//! Unit tests of the payment's rules (`machine`), natively: every
//! transition of an attempt (`tests/attempts.rs` up to the issuer,
//! `tests/outcomes.rs` after it), of the capture and of
//! refunds (`tests/aftersale.rs`), including late and stale outcomes, a
//! released attempt that comes back, an issuer that never answers, and a
//! reused attempt id; and the codes against the OpenAPI catalogue
//! (`tests/catalogue.rs`). Rows are built here, in memory; no Durable
//! Object, no clock.

mod aftersale;
mod attempts;
mod catalogue;
mod outcomes;

use shared::card::Brand;
use shared::decline::{DeclineCode, ShopperDeclineCode};
use shared::encoding::Bytes;
use shared::money::{Currency, Money};
use shared::refusal::RefusalCode;
use shared::seal::PaymentBinding;
use shared::wire::{CaptureMethod, Payment, PaymentStatus};

use super::machine::*;
use super::model::{Attempt, AttemptEnd, AttemptState};

/// "Now" in every test: an instant well inside the payment's life.
pub(super) const NOW: i64 = 1_800_000_000_000;

pub(super) fn payment(status: PaymentStatus, capture_method: CaptureMethod) -> Payment {
    Payment {
        payment_id: "pay_test".into(),
        merchant_id: "m_test".into(),
        order_reference: "ord_test".into(),
        amount: "42.50".into(),
        currency: Currency::Eur,
        quote_digest: Bytes([7; 32]),
        status,
        capture_method,
        expires_at_ms: u64::try_from(NOW).unwrap() + 60_000,
        created_at_ms: u64::try_from(NOW).unwrap() - 60_000,
        amount_refunded: None,
    }
}

pub(super) fn waiting() -> Payment {
    payment(
        PaymentStatus::RequiresPaymentMethod,
        CaptureMethod::Automatic,
    )
}

pub(super) fn attempt(sequence: i64, state: AttemptState) -> Attempt {
    let asked = !matches!(state, AttemptState::Checking | AttemptState::Rejected);
    Attempt {
        sequence,
        state,
        end: match state {
            AttemptState::Checking | AttemptState::Authorizing => AttemptEnd::Open,
            AttemptState::Approved => AttemptEnd::Approved,
            AttemptState::Declined => AttemptEnd::Declined {
                code: DeclineCode::InsufficientFunds,
                shopper: ShopperDeclineCode::InsufficientFunds,
            },
            AttemptState::Rejected => AttemptEnd::Rejected(RefusalCode::StalePayment),
        },
        sealed_hash: format!("hash{sequence}"),
        idempotency_key: Some(format!("key{sequence}")),
        attempt_id: asked.then(|| format!("att{sequence}")),
        reference: asked.then(|| format!("pay_test.a{sequence}")),
        brand: asked.then_some(Brand::Visa),
        last_four: asked.then(|| "4242".into()),
        card_fingerprint: asked.then(|| "card".into()),
        address_fingerprint: None,
        authorization_code: None,
        tries: 0,
        created_at_ms: NOW - 1_000,
        updated_at_ms: NOW - 1_000,
        authorizing_since_ms: asked.then_some(NOW - 1_000),
        release_pending: false,
    }
}

pub(super) fn billing<'a>(hash: &'a str, digest: &'a Bytes<32>) -> Billing<'a> {
    Billing {
        amount: "42.50",
        currency: Currency::Eur,
        quote_digest: digest,
        order_reference: "ord_test",
        shopper_address: Some("203.0.113.7"),
        sealed_payment_id: "pay_test",
        sealed_hash: hash,
    }
}

pub(super) fn binding() -> PaymentBinding {
    PaymentBinding {
        payment_id: "pay_test".into(),
        merchant_id: "m_test".into(),
        amount: Money::parse_non_negative("42.50", Currency::Eur).unwrap(),
        quote_digest: Bytes([7; 32]),
        attempt_id: "att_new".into(),
        created_at_ms: u64::try_from(NOW).unwrap() - 5_000,
    }
}

/// A decline, after `prior_mismatches` card-details mismatches today.
pub(super) fn declined(code: DeclineCode, prior_mismatches: u32) -> IssuerAnswer {
    IssuerAnswer::Declined {
        code,
        prior_mismatches,
    }
}
