//! The demo issuer's cards: the card networks' public test numbers, with
//! the status, bank and account each draws on. One list for the issuer
//! (which issues them on first use), its card printer (`cargo xtask cards`,
//! which prints each card's CVC under the local issuer key) and the tests.
//! README.md shows the same table.

/// A demo card's status at the issuer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CardStatus {
    Active,
    Lost,
    Stolen,
    Blocked,
}

impl CardStatus {
    pub fn code(self) -> &'static str {
        match self {
            CardStatus::Active => "active",
            CardStatus::Lost => "lost",
            CardStatus::Stolen => "stolen",
            CardStatus::Blocked => "blocked",
        }
    }
}

pub struct DemoCard {
    /// A short name the operator's test routes use instead of the number.
    pub name: &'static str,
    pub number: &'static str,
    pub expiry_month: u8,
    pub expiry_year: u16,
    pub status: CardStatus,
    pub bank_id: &'static str,
    pub account_id: &'static str,
    pub cardholder: &'static str,
}

pub const DEMO_CARDS: [DemoCard; 9] = [
    card(
        "visa-pays",
        "4242424242424242",
        12,
        2030,
        CardStatus::Active,
        "northbank",
        "acct.ada.current",
        "Ada Lovelace",
    ),
    card(
        "visa-short-of-funds",
        "4000000000009995",
        12,
        2030,
        CardStatus::Active,
        "northbank",
        "acct.ben.current",
        "Ben Okafor",
    ),
    card(
        "visa-expired",
        "4000000000000069",
        1,
        2024,
        CardStatus::Active,
        "northbank",
        "acct.gil.current",
        "Gil Moreau",
    ),
    card(
        "visa-lost",
        "4000000000009987",
        12,
        2030,
        CardStatus::Lost,
        "northbank",
        "acct.gil.current",
        "Gil Moreau",
    ),
    card(
        "visa-stolen",
        "4000000000009979",
        12,
        2030,
        CardStatus::Stolen,
        "northbank",
        "acct.gil.current",
        "Gil Moreau",
    ),
    card(
        "mastercard-near-limit",
        "5555555555554444",
        6,
        2029,
        CardStatus::Active,
        "northbank",
        "acct.cara.credit",
        "Cara Lindqvist",
    ),
    card(
        "mastercard-pays",
        "5105105105105100",
        3,
        2030,
        CardStatus::Active,
        "northbank",
        "acct.eve.current",
        "Eve Adeyemi",
    ),
    card(
        "discover-blocked",
        "6011111111111117",
        12,
        2030,
        CardStatus::Blocked,
        "northbank",
        "acct.eve.current",
        "Eve Adeyemi",
    ),
    card(
        "amex-southbank",
        "378282246310005",
        9,
        2031,
        CardStatus::Active,
        "southbank",
        "acct.dev.current",
        "Dev Raman",
    ),
];

#[allow(clippy::too_many_arguments)]
const fn card(
    name: &'static str,
    number: &'static str,
    expiry_month: u8,
    expiry_year: u16,
    status: CardStatus,
    bank_id: &'static str,
    account_id: &'static str,
    cardholder: &'static str,
) -> DemoCard {
    DemoCard {
        name,
        number,
        expiry_month,
        expiry_year,
        status,
        bank_id,
        account_id,
        cardholder,
    }
}

pub fn by_name(name: &str) -> Option<&'static DemoCard> {
    DEMO_CARDS.iter().find(|card| card.name == name)
}
