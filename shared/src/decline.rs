//! Why a card payment was declined, as the issuer says it (`DeclineCode`,
//! for the merchant and the records) and as the shopper may see it
//! (`ShopperDeclineCode`). The shopper is told the plain reason only where
//! it helps an honest payer and teaches a card tester nothing:
//! - funds, and a card that has expired (told only to someone whose codes
//!   were right), always;
//! - card details that do not match (a wrong number, expiry or security
//!   code, without saying which) only for the first such mismatch on that
//!   number in a day (the gateway counts them per card fingerprint). A
//!   number that exists and one that does not get the same answers, so
//!   numbers cannot be enumerated, and the answer never names the field
//!   that was wrong;
//! - `card_declined` for everything else: later mismatches, a lost, stolen
//!   or blocked card, and a card whose security checks are locked;
//! - `authentication_required`, only once the card's codes were right, for
//!   a card with a passkey enrolled whose payment came without a valid
//!   assertion of it: the wallet asks the device for one.

crate::code_enum! {
    /// The issuer's exact reason.
    pub enum DeclineCode {
        InsufficientFunds = "insufficient_funds",
        ExpiredCard = "expired_card",
        IncorrectCvc = "incorrect_cvc",
        IncorrectExpiry = "incorrect_expiry",
        IncorrectNumber = "incorrect_number",
        LostCard = "lost_card",
        StolenCard = "stolen_card",
        DoNotHonor = "do_not_honor",
        /// The card's security checks failed too often; the issuer declines
        /// every attempt, right codes included, until the failures age out.
        SecurityChecksLocked = "security_checks_locked",
        /// A passkey is enrolled for the card, and the payment came without
        /// a valid assertion of it (told only once the card's codes were
        /// right).
        AuthenticationRequired = "authentication_required",
        ProcessingError = "processing_error",
    }
}

crate::code_enum! {
    /// What the shopper is told.
    pub enum ShopperDeclineCode {
        CardDeclined = "card_declined",
        InsufficientFunds = "insufficient_funds",
        ExpiredCard = "expired_card",
        /// The number, expiry or security code does not match (which one
        /// is not said).
        IncorrectCardDetails = "incorrect_card_details",
        /// Confirm the payment with the card's passkey.
        AuthenticationRequired = "authentication_required",
        ProcessingError = "processing_error",
    }
}

impl DeclineCode {
    /// Whether this decline is a failed security check (expiry or CVC): the
    /// issuer counts these towards the card's lock.
    pub const fn is_security_check(self) -> bool {
        matches!(
            self,
            DeclineCode::IncorrectCvc | DeclineCode::IncorrectExpiry
        )
    }

    /// Whether this decline says the card details did not match (number,
    /// expiry or CVC): the gateway counts these per card fingerprint, so
    /// that only the first of a day is told to the shopper.
    pub const fn is_card_details_mismatch(self) -> bool {
        matches!(
            self,
            DeclineCode::IncorrectCvc | DeclineCode::IncorrectExpiry | DeclineCode::IncorrectNumber
        )
    }

    /// What the shopper is told. `first_mismatch` says whether this is the
    /// first card-details mismatch on this number in the gateway's window:
    /// only then is it `incorrect_card_details`; afterwards it is a plain
    /// `card_declined`, so guessing teaches nothing.
    pub const fn for_shopper(self, first_mismatch: bool) -> ShopperDeclineCode {
        match self {
            DeclineCode::InsufficientFunds => ShopperDeclineCode::InsufficientFunds,
            DeclineCode::ExpiredCard => ShopperDeclineCode::ExpiredCard,
            DeclineCode::ProcessingError => ShopperDeclineCode::ProcessingError,
            DeclineCode::AuthenticationRequired => ShopperDeclineCode::AuthenticationRequired,
            DeclineCode::IncorrectCvc
            | DeclineCode::IncorrectExpiry
            | DeclineCode::IncorrectNumber
                if first_mismatch =>
            {
                ShopperDeclineCode::IncorrectCardDetails
            }
            DeclineCode::IncorrectCvc
            | DeclineCode::IncorrectExpiry
            | DeclineCode::IncorrectNumber
            | DeclineCode::LostCard
            | DeclineCode::StolenCard
            | DeclineCode::DoNotHonor
            | DeclineCode::SecurityChecksLocked => ShopperDeclineCode::CardDeclined,
        }
    }
}

impl ShopperDeclineCode {
    /// The same, in words; never more than the code.
    pub const fn message(self) -> &'static str {
        match self {
            ShopperDeclineCode::CardDeclined => "the card was declined",
            ShopperDeclineCode::InsufficientFunds => "the card was declined for insufficient funds",
            ShopperDeclineCode::ExpiredCard => "the card has expired",
            ShopperDeclineCode::IncorrectCardDetails => {
                "the card details do not match the card; check its number, expiry date and security code"
            }
            ShopperDeclineCode::ProcessingError => "the card could not be processed; try again",
            ShopperDeclineCode::AuthenticationRequired => {
                "the card's issuer asks you to confirm this payment with the card's passkey"
            }
        }
    }

    /// Whether trying another card may help (else: fix this one, or retry).
    pub const fn another_card_may_help(self) -> bool {
        !matches!(
            self,
            ShopperDeclineCode::IncorrectCardDetails
                | ShopperDeclineCode::ProcessingError
                | ShopperDeclineCode::AuthenticationRequired
        )
    }
}
