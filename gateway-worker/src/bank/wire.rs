//! The bank's own API: what an issuer (or the operator) sends a bank, and
//! what it answers. Amounts are integer minor units below 2^53.

use serde::{Deserialize, Serialize};

/// The banks of the demo, one ledger object each.
pub const BANK_IDS: [&str; 2] = ["northbank", "southbank"];

/// The longest account or transfer id, in bytes.
pub const LEDGER_ID_BYTES_MAX: usize = 96;

/// How long a hold lasts unless the request says less: 7 days.
pub const HOLD_TIMEOUT_MS_MAX: u64 = 7 * 24 * 60 * 60 * 1000;

/// The shortest hold timeout a request may ask for.
pub const HOLD_TIMEOUT_MS_MIN: u64 = 100;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountKind {
    /// A customer's current account: may not be overdrawn.
    Debit,
    /// A customer's credit-card account: may not pass its limit.
    Credit,
    /// A merchant's account: receives captures, pays refunds.
    Merchant,
    /// The bank's own funding and settlement accounts: unconstrained.
    Internal,
}

impl AccountKind {
    pub fn code(self) -> &'static str {
        match self {
            AccountKind::Debit => "debit",
            AccountKind::Credit => "credit",
            AccountKind::Merchant => "merchant",
            AccountKind::Internal => "internal",
        }
    }

    pub fn from_code(code: &str) -> Option<AccountKind> {
        [
            AccountKind::Debit,
            AccountKind::Credit,
            AccountKind::Merchant,
            AccountKind::Internal,
        ]
        .into_iter()
        .find(|kind| kind.code() == code)
    }
}

/// Opens an account; a positive opening balance is deposited from the
/// bank's equity account (a posted transfer like any other).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenAccount {
    pub account_id: String,
    pub kind: AccountKind,
    pub currency: String,
    pub holder: String,
    #[serde(default)]
    pub opening_balance_minor: i64,
    #[serde(default)]
    pub credit_limit_minor: i64,
}

/// A money movement. `transfer_id` makes it idempotent: the same id always
/// answers the same outcome, and an id that failed stays failed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum TransferRequest {
    /// Reserve funds: a pending transfer from `debit_account` to
    /// `credit_account`, released automatically after `timeout_ms`.
    Hold {
        transfer_id: String,
        debit_account: String,
        credit_account: String,
        amount_minor: i64,
        currency: String,
        timeout_ms: u64,
    },
    /// Post all or part of a hold; the rest is released.
    Capture {
        transfer_id: String,
        hold_id: String,
        amount_minor: i64,
    },
    /// Release a hold without moving money.
    Void {
        transfer_id: String,
        hold_id: String,
    },
    /// Move captured money back: a new, reverse transfer.
    Refund {
        transfer_id: String,
        capture_id: String,
        amount_minor: i64,
    },
    /// Move money at once, between accounts of the bank's own side: from a
    /// settlement (internal) account or a merchant account. Settles card
    /// payments between banks; never draws on a customer's account.
    Settle {
        transfer_id: String,
        debit_account: String,
        credit_account: String,
        amount_minor: i64,
        currency: String,
    },
}

impl TransferRequest {
    pub fn transfer_id(&self) -> &str {
        match self {
            TransferRequest::Hold { transfer_id, .. }
            | TransferRequest::Capture { transfer_id, .. }
            | TransferRequest::Void { transfer_id, .. }
            | TransferRequest::Refund { transfer_id, .. }
            | TransferRequest::Settle { transfer_id, .. } => transfer_id,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransferKind {
    Deposit,
    Hold,
    Capture,
    Void,
    Expiry,
    Refund,
    Settle,
}

impl TransferKind {
    pub fn code(self) -> &'static str {
        match self {
            TransferKind::Deposit => "deposit",
            TransferKind::Hold => "hold",
            TransferKind::Capture => "capture",
            TransferKind::Void => "void",
            TransferKind::Expiry => "expiry",
            TransferKind::Refund => "refund",
            TransferKind::Settle => "settle",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransferStatus {
    /// A hold that was accepted (whether or not it is still open).
    Pending,
    /// Money moved.
    Posted,
    /// Refused; recorded so the same id stays refused.
    Failed,
}

/// Why the bank refused a transfer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BankFailure {
    InsufficientFunds,
    CreditLimitExceeded,
    AccountNotFound,
    CurrencyMismatch,
    InvalidAmount,
    InvalidRequest,
    HoldNotFound,
    HoldNotOpen,
    HoldExpired,
    AmountExceedsHold,
    CaptureNotFound,
    RefundExceedsCapture,
    /// The id was used before for a different request.
    TransferIdReused,
}

impl BankFailure {
    pub fn code(self) -> &'static str {
        match self {
            BankFailure::InsufficientFunds => "insufficient_funds",
            BankFailure::CreditLimitExceeded => "credit_limit_exceeded",
            BankFailure::AccountNotFound => "account_not_found",
            BankFailure::CurrencyMismatch => "currency_mismatch",
            BankFailure::InvalidAmount => "invalid_amount",
            BankFailure::InvalidRequest => "invalid_request",
            BankFailure::HoldNotFound => "hold_not_found",
            BankFailure::HoldNotOpen => "hold_not_open",
            BankFailure::HoldExpired => "hold_expired",
            BankFailure::AmountExceedsHold => "amount_exceeds_hold",
            BankFailure::CaptureNotFound => "capture_not_found",
            BankFailure::RefundExceedsCapture => "refund_exceeds_capture",
            BankFailure::TransferIdReused => "transfer_id_reused",
        }
    }

    pub fn from_code(code: &str) -> Option<BankFailure> {
        ALL_FAILURES
            .into_iter()
            .find(|failure| failure.code() == code)
    }
}

const ALL_FAILURES: [BankFailure; 13] = [
    BankFailure::InsufficientFunds,
    BankFailure::CreditLimitExceeded,
    BankFailure::AccountNotFound,
    BankFailure::CurrencyMismatch,
    BankFailure::InvalidAmount,
    BankFailure::InvalidRequest,
    BankFailure::HoldNotFound,
    BankFailure::HoldNotOpen,
    BankFailure::HoldExpired,
    BankFailure::AmountExceedsHold,
    BankFailure::CaptureNotFound,
    BankFailure::RefundExceedsCapture,
    BankFailure::TransferIdReused,
];

/// What became of a transfer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransferOutcome {
    pub transfer_id: String,
    pub kind: TransferKind,
    pub status: TransferStatus,
    pub failure: Option<BankFailure>,
    pub amount_minor: i64,
    pub currency: String,
}

/// An account's balances, derived from its entries.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountBalance {
    pub account_id: String,
    pub kind: AccountKind,
    pub currency: String,
    pub holder: String,
    pub debits_pending_minor: i64,
    pub debits_posted_minor: i64,
    pub credits_pending_minor: i64,
    pub credits_posted_minor: i64,
    pub credit_limit_minor: i64,
    /// What a new hold may still take: for a debit account the posted
    /// balance less pending debits; for a credit account the limit less
    /// what is used and held. Unbounded kinds report their posted balance.
    pub available_minor: i64,
}

/// The ledger's self-check.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvariantReport {
    pub ok: bool,
    pub violations: Vec<String>,
    pub accounts: u64,
    pub transfers: u64,
    pub entries: u64,
}
