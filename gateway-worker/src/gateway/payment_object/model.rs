//! The payment object's rows as typed values. States and codes are enums
//! (`shared::code_enum!`): a stored value this build does not know is an
//! error when the row is read, never a default.

use serde::Deserialize;
use shared::card::Brand;
use shared::decline::{DeclineCode, ShopperDeclineCode};
use shared::refusal::RefusalCode;

shared::code_enum! {
    /// Where one attempt (one card tried on the payment) stands.
    pub enum AttemptState {
        /// Claimed the payment; the sealed payment is being opened and
        /// checked, the budgets asked. The issuer has not been asked.
        Checking = "checking",
        /// The issuer has been asked (or is about to be): its answer, or
        /// its reversal, ends the attempt.
        Authorizing = "authorizing",
        Approved = "approved",
        Declined = "declined",
        /// Ended before the issuer was asked (`code` says why).
        Rejected = "rejected",
    }
}

shared::code_enum! {
    /// Where the approved authorization's money stands.
    pub enum CaptureState {
        /// Held, waiting for the merchant to capture (manual capture).
        Manual = "manual",
        /// A capture is under way (asked, answer outstanding).
        Pending = "pending",
        Done = "done",
        /// The issuer refused the capture; the funds stay held.
        Refused = "refused",
        /// A void (cancel) is under way.
        Voiding = "voiding",
        Voided = "voided",
    }
}

shared::code_enum! {
    pub enum RefundState {
        Pending = "pending",
        Done = "done",
        Refused = "refused",
    }
}

/// Why an attempt ended, by its state: a decline code from the issuer, or
/// the gateway's refusal before the issuer was asked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttemptEnd {
    Open,
    Approved,
    Declined {
        code: DeclineCode,
        shopper: ShopperDeclineCode,
    },
    Rejected(RefusalCode),
}

/// An attempt row as stored (text columns), before it is typed.
#[derive(Deserialize)]
pub struct AttemptRow {
    pub sequence: i64,
    pub state: AttemptState,
    pub sealed_hash: String,
    pub idempotency_key: Option<String>,
    pub attempt_id: Option<String>,
    pub reference: Option<String>,
    pub brand: Option<String>,
    pub last_four: Option<String>,
    pub card_fingerprint: Option<String>,
    pub address_fingerprint: Option<String>,
    pub code: Option<String>,
    #[serde(default)]
    pub shopper_code: Option<ShopperDeclineCode>,
    pub authorization_code: Option<String>,
    pub tries: i64,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
    #[serde(default)]
    pub authorizing_since_ms: Option<i64>,
    #[serde(default)]
    pub release_pending: Option<i64>,
}

/// One attempt, typed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attempt {
    pub sequence: i64,
    pub state: AttemptState,
    pub end: AttemptEnd,
    pub sealed_hash: String,
    pub idempotency_key: Option<String>,
    pub attempt_id: Option<String>,
    pub reference: Option<String>,
    pub brand: Option<Brand>,
    pub last_four: Option<String>,
    pub card_fingerprint: Option<String>,
    pub address_fingerprint: Option<String>,
    pub authorization_code: Option<String>,
    pub tries: i64,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
    pub authorizing_since_ms: Option<i64>,
    /// A hold may exist for this attempt that the payment did not take: the
    /// alarm asks the issuer to release it until it answers.
    pub release_pending: bool,
}

/// What builds before `RefusalCode` stored for an attempt the alarm
/// released.
const LEGACY_ABANDONED: &str = "abandoned";

/// A stored value this build does not know.
#[derive(Debug, PartialEq, Eq)]
pub struct UnknownValue(pub &'static str);

impl core::fmt::Display for UnknownValue {
    fn fmt(&self, formatter: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(formatter, "stored {} is not known to this build", self.0)
    }
}

impl TryFrom<AttemptRow> for Attempt {
    type Error = UnknownValue;

    fn try_from(row: AttemptRow) -> Result<Attempt, UnknownValue> {
        let code = row.code.as_deref();
        let end = match row.state {
            AttemptState::Checking | AttemptState::Authorizing => AttemptEnd::Open,
            AttemptState::Approved => AttemptEnd::Approved,
            AttemptState::Declined => {
                let code = code
                    .and_then(DeclineCode::from_code)
                    .ok_or(UnknownValue("decline code"))?;
                // Rows from before shopper codes were stored: the careful answer.
                let shopper = row.shopper_code.unwrap_or(code.for_shopper(false));
                AttemptEnd::Declined { code, shopper }
            }
            AttemptState::Rejected => AttemptEnd::Rejected(match code {
                // The one code earlier builds stored that is not a refusal.
                Some(LEGACY_ABANDONED) => RefusalCode::AttemptAbandoned,
                code => code
                    .and_then(RefusalCode::from_code)
                    .ok_or(UnknownValue("refusal code"))?,
            }),
        };
        let brand = match row.brand.as_deref() {
            Some(code) => Some(Brand::from_code(code).ok_or(UnknownValue("brand"))?),
            None => None,
        };
        Ok(Attempt {
            sequence: row.sequence,
            state: row.state,
            end,
            sealed_hash: row.sealed_hash,
            idempotency_key: row.idempotency_key,
            attempt_id: row.attempt_id,
            reference: row.reference,
            brand,
            last_four: row.last_four,
            card_fingerprint: row.card_fingerprint,
            address_fingerprint: row.address_fingerprint,
            authorization_code: row.authorization_code,
            tries: row.tries,
            created_at_ms: row.created_at_ms,
            updated_at_ms: row.updated_at_ms,
            authorizing_since_ms: row.authorizing_since_ms,
            release_pending: row.release_pending.unwrap_or(0) == 1,
        })
    }
}

impl Attempt {
    /// Whether the issuer was (or is being) asked about this attempt.
    pub fn reached_issuer(&self) -> bool {
        matches!(
            self.state,
            AttemptState::Authorizing | AttemptState::Approved | AttemptState::Declined
        )
    }
}

/// The approved authorization (at most one per payment).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Authorization {
    pub attempt_sequence: i64,
    /// The signed `AuthorizationRecord`, as JSON.
    pub signed: String,
    pub capture: CaptureState,
    pub capture_tries: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct RefundRow {
    pub refund_id: String,
    pub amount_minor: i64,
    pub state: RefundState,
    pub idempotency_key: String,
    pub tries: i64,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct IdempotencyRow {
    pub fingerprint: String,
    pub status: Option<i64>,
    pub answer: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct OutboxRow {
    pub event_id: String,
    pub body: String,
    pub deliveries: i64,
}
