//! The bank's own API: what an issuer (or the operator) sends a bank, and
//! what it answers. Amounts are integer minor units below 2^53.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The banks of the demo, each a ledger of `shards::BANK_SHARDS` objects.
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
    /// Post all or part of a hold; the rest is released. `account_id` is
    /// the account the hold draws on: the bank finds the hold there.
    Capture {
        transfer_id: String,
        hold_id: String,
        account_id: String,
        amount_minor: i64,
    },
    /// Release a hold without moving money.
    Void {
        transfer_id: String,
        hold_id: String,
        account_id: String,
    },
    /// Move captured money back: a new, reverse transfer. `account_id` is
    /// the account the capture drew on.
    Refund {
        transfer_id: String,
        capture_id: String,
        account_id: String,
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
    /// The account whose shard keeps this transfer: the account a hold,
    /// capture, void or refund draws on; for a settlement, the side that is
    /// not the bank's own (the bank's own accounts exist on every shard).
    pub fn home_account(&self) -> &str {
        match self {
            TransferRequest::Hold { debit_account, .. } => debit_account,
            TransferRequest::Capture { account_id, .. }
            | TransferRequest::Void { account_id, .. }
            | TransferRequest::Refund { account_id, .. } => account_id,
            TransferRequest::Settle {
                debit_account,
                credit_account,
                ..
            } => {
                if crate::bank::shards::is_bank_own(debit_account) {
                    credit_account
                } else {
                    debit_account
                }
            }
        }
    }

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
    /// The far side of a capture or refund whose two accounts live on two
    /// shards: posted on the shard of the account that is not the
    /// transfer's own (see `movements.rs`).
    Leg,
}

impl TransferKind {
    pub fn code(self) -> &'static str {
        match self {
            TransferKind::Leg => "leg",
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
    /// balance less pending debits and less what refunds being decided
    /// have reserved; for a credit account the limit less what is used and
    /// held. Unbounded kinds report their posted balance.
    pub available_minor: i64,
    /// The ledger shard that keeps the account (the bank's own accounts
    /// exist on every shard; their balance is the sum over all).
    pub shard: u32,
}

/// The bank's self-check, over every shard.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvariantReport {
    pub ok: bool,
    pub violations: Vec<String>,
    pub accounts: u64,
    pub transfers: u64,
    pub entries: u64,
    /// Money between two shards, per currency: captures and refunds the
    /// shard that keeps them has posted and the other shard has not yet
    /// (a refund counts negative). Zero once every movement is finished.
    pub in_flight_minor: BTreeMap<String, i64>,
}

/// One shard's self-check, with what the bank-wide check compares across
/// shards (`client.rs`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardReport {
    pub report: InvariantReport,
    /// Posted credits less debits of the shard's transit accounts, per
    /// currency.
    pub transit_net_minor: BTreeMap<String, i64>,
    /// Movements this shard decided (not those still preparing).
    pub movements: Vec<MovementFact>,
    /// Legs this shard keeps for other shards' movements: `(movement id,
    /// "prepared" | "committed" | "aborted")`.
    pub legs: Vec<(String, String)>,
}

/// One decided movement, as the bank-wide check sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MovementFact {
    pub movement_id: String,
    /// `committed` or `aborted`.
    pub state: String,
    /// Whether the other shard acknowledged the decision.
    pub acked: bool,
    pub currency: String,
    /// What the movement adds to this shard's transit: a capture's amount,
    /// or a refund's, negative.
    pub transit_minor: i64,
}

/// Which way a leg moves money on the account it names: `credit` for a
/// capture (the account is paid), `debit` for a refund (it pays back).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LegDirection {
    Credit,
    Debit,
}

/// Phase one, from the shard that keeps a capture or refund to the shard
/// of the other account: check the account and reserve what the leg needs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LegPrepare {
    pub movement_id: String,
    pub account_id: String,
    pub direction: LegDirection,
    pub amount_minor: i64,
    pub currency: String,
}

/// Phase two: post the prepared leg (`commit`) or release it (`abort`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LegDecision {
    pub movement_id: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LegState {
    Prepared,
    Committed,
    Aborted,
    /// Refused at phase one; nothing was reserved.
    Refused,
}

/// A shard's answer about one leg.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LegAnswer {
    pub movement_id: String,
    pub state: LegState,
    pub failure: Option<BankFailure>,
}
