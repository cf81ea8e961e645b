//! Why a card payment was declined, as the issuer says it and as each party
//! may see it: the merchant sees the exact code; the shopper sees a generic
//! `card_declined` where telling more would help a thief (lost, stolen,
//! do-not-honor) and the plain reason where it helps them pay (funds,
//! expiry, security code).

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeclineCode {
    InsufficientFunds,
    ExpiredCard,
    IncorrectCvc,
    IncorrectExpiry,
    IncorrectNumber,
    LostCard,
    StolenCard,
    DoNotHonor,
    ProcessingError,
}

impl DeclineCode {
    pub const ALL: [DeclineCode; 9] = [
        DeclineCode::InsufficientFunds,
        DeclineCode::ExpiredCard,
        DeclineCode::IncorrectCvc,
        DeclineCode::IncorrectExpiry,
        DeclineCode::IncorrectNumber,
        DeclineCode::LostCard,
        DeclineCode::StolenCard,
        DeclineCode::DoNotHonor,
        DeclineCode::ProcessingError,
    ];

    /// The exact code, for the merchant and the records.
    pub const fn code(self) -> &'static str {
        match self {
            DeclineCode::InsufficientFunds => "insufficient_funds",
            DeclineCode::ExpiredCard => "expired_card",
            DeclineCode::IncorrectCvc => "incorrect_cvc",
            DeclineCode::IncorrectExpiry => "incorrect_expiry",
            DeclineCode::IncorrectNumber => "incorrect_number",
            DeclineCode::LostCard => "lost_card",
            DeclineCode::StolenCard => "stolen_card",
            DeclineCode::DoNotHonor => "do_not_honor",
            DeclineCode::ProcessingError => "processing_error",
        }
    }

    pub fn from_code(code: &str) -> Option<DeclineCode> {
        DeclineCode::ALL
            .into_iter()
            .find(|decline| decline.code() == code)
    }

    /// What the shopper is told.
    pub const fn shopper_code(self) -> &'static str {
        match self {
            DeclineCode::LostCard | DeclineCode::StolenCard | DeclineCode::DoNotHonor => {
                "card_declined"
            }
            other => other.code(),
        }
    }

    /// What the shopper is told, in words; never more than `shopper_code`.
    pub const fn shopper_message(self) -> &'static str {
        match self {
            DeclineCode::InsufficientFunds => "the card was declined for insufficient funds",
            DeclineCode::ExpiredCard => "the card has expired",
            DeclineCode::IncorrectCvc => "the security code is incorrect",
            DeclineCode::IncorrectExpiry => "the expiry date is incorrect",
            DeclineCode::IncorrectNumber => "the card number is incorrect",
            DeclineCode::LostCard | DeclineCode::StolenCard | DeclineCode::DoNotHonor => {
                "the card was declined"
            }
            DeclineCode::ProcessingError => "the card could not be processed; try again",
        }
    }

    /// Whether trying another card may help (else: fix this one, or retry).
    pub const fn another_card_may_help(self) -> bool {
        !matches!(
            self,
            DeclineCode::IncorrectCvc | DeclineCode::IncorrectExpiry | DeclineCode::ProcessingError
        )
    }
}
