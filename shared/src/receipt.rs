//! The gateway's signed authorization record and the store's signed receipt
//! that carries it: what the shopper keeps as proof of payment.

use serde::{Deserialize, Serialize};

use crate::card::Brand;
use crate::encoding::CanonicalWriter;
use crate::money::Currency;
use crate::quote::QuoteDigest;
use crate::sign::{Purpose, Signed, SignedContent};

const AUTHORIZATION_LABEL: &str = "ewallet/authorization/v1";
/// An authorization whose customer the issuer verified by passkey.
const AUTHORIZATION_BY_PASSKEY_LABEL: &str = "ewallet/authorization/v2";
const RECEIPT_LABEL: &str = "ewallet/receipt/v1";

/// The gateway's statement that a payment was authorized. It names the card
/// only by brand and last four.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthorizationRecord {
    pub payment_id: String,
    pub merchant_id: String,
    pub quote_digest: QuoteDigest,
    pub amount: String,
    pub currency: Currency,
    pub brand: Brand,
    pub last_four: String,
    pub authorization_code: String,
    pub attempt_id: String,
    pub authorized_at_ms: u64,
    /// How the issuer verified the customer; absent in JSON (and in the
    /// signed bytes, format v1) for the card's codes alone, so records
    /// signed before passkeys existed read and verify unchanged.
    #[serde(default, skip_serializing_if = "CustomerVerification::is_card_code")]
    pub customer_verification: CustomerVerification,
}

crate::code_enum! {
    /// How the card's issuer verified the customer for an authorization.
    #[derive(Default)]
    pub enum CustomerVerification {
        /// The card's number, expiry and security code.
        #[default]
        CardCode = "card_code",
        /// Those, and an assertion of the passkey enrolled for the card,
        /// made for this payment with the user verified on the device.
        Passkey = "passkey",
    }
}

impl CustomerVerification {
    pub fn is_card_code(&self) -> bool {
        *self == CustomerVerification::CardCode
    }
}

impl SignedContent for AuthorizationRecord {
    const PURPOSE: Purpose = Purpose::Authorization;

    fn canonical_bytes(&self) -> Vec<u8> {
        let label = match self.customer_verification {
            CustomerVerification::CardCode => AUTHORIZATION_LABEL,
            CustomerVerification::Passkey => AUTHORIZATION_BY_PASSKEY_LABEL,
        };
        let mut writer = CanonicalWriter::new(label);
        writer
            .text(&self.payment_id)
            .text(&self.merchant_id)
            .bytes(&self.quote_digest.0)
            .text(&self.amount)
            .text(self.currency.code())
            .text(self.brand.code())
            .text(&self.last_four)
            .text(&self.authorization_code)
            .text(&self.attempt_id)
            .u64(self.authorized_at_ms);
        if self.customer_verification == CustomerVerification::Passkey {
            writer.text(self.customer_verification.code());
        }
        writer.finish()
    }
}

/// The store's receipt to the shopper, carrying the gateway's signed
/// authorization so that either signature can be checked on its own.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Receipt {
    pub receipt_id: String,
    pub order_id: String,
    pub merchant_id: String,
    pub quote_digest: QuoteDigest,
    pub total: String,
    pub currency: Currency,
    pub issued_at_ms: u64,
    pub authorization: Signed<AuthorizationRecord>,
}

impl SignedContent for Receipt {
    const PURPOSE: Purpose = Purpose::Receipt;

    fn canonical_bytes(&self) -> Vec<u8> {
        CanonicalWriter::new(RECEIPT_LABEL)
            .text(&self.receipt_id)
            .text(&self.order_id)
            .text(&self.merchant_id)
            .bytes(&self.quote_digest.0)
            .text(&self.total)
            .text(self.currency.code())
            .u64(self.issued_at_ms)
            .bytes(&self.authorization.body.canonical_bytes())
            .text(self.authorization.signature.kid.as_str())
            .bytes(&self.authorization.signature.value.0)
            .finish()
    }
}

const PAYMENT_EVENT_LABEL: &str = "ewallet/payment-event/v1";

/// What a payment event reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentEventKind {
    /// Authorized and captured: the merchant is paid.
    Succeeded,
    /// Authorized; the funds are held until the merchant captures them.
    Authorized,
    /// Canceled after authorization: the hold was released (voided).
    Canceled,
    /// Part or all of the captured amount went back to the shopper.
    Refunded,
}

impl PaymentEventKind {
    pub const fn code(self) -> &'static str {
        match self {
            PaymentEventKind::Succeeded => "succeeded",
            PaymentEventKind::Authorized => "authorized",
            PaymentEventKind::Canceled => "canceled",
            PaymentEventKind::Refunded => "refunded",
        }
    }
}

/// The gateway's signed notice to the merchant (its webhook), sent from the
/// payment's outbox until the merchant acknowledges it. `event_id` is
/// stable across deliveries, so the merchant records each event once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaymentEvent {
    pub event_id: String,
    pub kind: PaymentEventKind,
    pub order_reference: String,
    /// `succeeded`: the amount captured; `refunded`: this refund's amount.
    pub amount: Option<String>,
    /// `refunded`: the refund's id (stable across deliveries).
    pub refund_id: Option<String>,
    pub authorization: Signed<AuthorizationRecord>,
    pub created_at_ms: u64,
}

impl SignedContent for PaymentEvent {
    const PURPOSE: Purpose = Purpose::PaymentEvent;

    fn canonical_bytes(&self) -> Vec<u8> {
        CanonicalWriter::new(PAYMENT_EVENT_LABEL)
            .text(&self.event_id)
            .text(self.kind.code())
            .text(&self.order_reference)
            .text(self.amount.as_deref().unwrap_or(""))
            .text(self.refund_id.as_deref().unwrap_or(""))
            .bytes(&self.authorization.body.canonical_bytes())
            .text(self.authorization.signature.kid.as_str())
            .bytes(&self.authorization.signature.value.0)
            .u64(self.created_at_ms)
            .finish()
    }
}
