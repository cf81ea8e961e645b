//! Money: an exact decimal amount in one ISO 4217 currency.
//!
//! Amounts are `rust_decimal::Decimal`, never floating point. They travel as
//! strings with exactly the currency's minor-unit digits ("19.90", "500"),
//! and are stored as integer minor units. Every magnitude stays below 2^53
//! minor units because SQLite values and JavaScript numbers reach Rust as
//! doubles on both sides of this product.

use core::fmt;
use core::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// The largest number of minor units an amount may have, exclusive: 2^53.
/// Above it a JavaScript number (and D1's values, which pass through one)
/// can no longer hold every integer exactly.
pub const MINOR_UNITS_LIMIT: i64 = 1 << 53;

/// The longest amount string accepted on the wire, sign and point included.
pub const AMOUNT_STRING_CHARS_MAX: usize = 24;

/// The currencies this product prices and settles in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Currency {
    #[serde(rename = "USD")]
    Usd,
    #[serde(rename = "EUR")]
    Eur,
    #[serde(rename = "GBP")]
    Gbp,
    #[serde(rename = "CHF")]
    Chf,
    #[serde(rename = "JPY")]
    Jpy,
}

impl Currency {
    /// All supported currencies, in a stable order.
    pub const ALL: [Currency; 5] = [
        Currency::Usd,
        Currency::Eur,
        Currency::Gbp,
        Currency::Chf,
        Currency::Jpy,
    ];

    /// The ISO 4217 alphabetic code.
    pub const fn code(self) -> &'static str {
        match self {
            Currency::Usd => "USD",
            Currency::Eur => "EUR",
            Currency::Gbp => "GBP",
            Currency::Chf => "CHF",
            Currency::Jpy => "JPY",
        }
    }

    /// The ISO 4217 number of digits after the decimal point.
    pub const fn minor_units(self) -> u32 {
        match self {
            Currency::Usd | Currency::Eur | Currency::Gbp | Currency::Chf => 2,
            Currency::Jpy => 0,
        }
    }

    /// Looks up an ISO 4217 code (upper case, exactly three letters).
    pub fn from_code(code: &str) -> Result<Currency, MoneyError> {
        Currency::ALL
            .into_iter()
            .find(|currency| currency.code() == code)
            .ok_or(MoneyError::UnknownCurrency)
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Why an amount was refused. Messages never repeat the rejected input.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("unknown or unsupported currency")]
    UnknownCurrency,
    #[error("amount is not a plain decimal number")]
    Malformed,
    #[error("amount has more decimals than the currency allows")]
    TooManyDecimals,
    #[error("amount is too large")]
    OutOfRange,
    #[error("amount must not be negative")]
    Negative,
    #[error("amounts are in different currencies")]
    CurrencyMismatch,
}

/// An exact amount of one currency, with no more decimals than the currency
/// has minor units and fewer than 2^53 minor units in magnitude.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Money {
    amount: Decimal,
    currency: Currency,
}

impl Money {
    /// Builds an amount, refusing extra decimals and out-of-range magnitudes.
    /// The amount is rescaled to exactly the currency's minor units.
    pub fn new(amount: Decimal, currency: Currency) -> Result<Money, MoneyError> {
        let scale = currency.minor_units();
        if amount.normalize().scale() > scale {
            return Err(MoneyError::TooManyDecimals);
        }
        let mut amount = amount;
        amount.rescale(scale);
        if amount.mantissa().unsigned_abs() >= MINOR_UNITS_LIMIT.unsigned_abs() as u128 {
            return Err(MoneyError::OutOfRange);
        }
        Ok(Money { amount, currency })
    }

    /// Zero in the given currency.
    pub fn zero(currency: Currency) -> Money {
        let mut amount = Decimal::ZERO;
        amount.rescale(currency.minor_units());
        Money { amount, currency }
    }

    /// Builds an amount from integer minor units (cents for USD, yen for JPY).
    pub fn from_minor(minor_units: i64, currency: Currency) -> Result<Money, MoneyError> {
        if minor_units.unsigned_abs() >= MINOR_UNITS_LIMIT.unsigned_abs() {
            return Err(MoneyError::OutOfRange);
        }
        Ok(Money {
            amount: Decimal::new(minor_units, currency.minor_units()),
            currency,
        })
    }

    /// Parses a wire amount: an optional `-`, digits, and optionally a point
    /// followed by digits. No exponent, no `+`, no spaces, no grouping.
    pub fn parse(text: &str, currency: Currency) -> Result<Money, MoneyError> {
        if text.is_empty() || text.len() > AMOUNT_STRING_CHARS_MAX {
            return Err(MoneyError::Malformed);
        }
        let unsigned = text.strip_prefix('-').unwrap_or(text);
        let (whole, fraction) = match unsigned.split_once('.') {
            Some((whole, fraction)) => (whole, Some(fraction)),
            None => (unsigned, None),
        };
        let all_digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
        if !all_digits(whole) || fraction.is_some_and(|fraction| !all_digits(fraction)) {
            return Err(MoneyError::Malformed);
        }
        let amount = Decimal::from_str(text).map_err(|_| MoneyError::OutOfRange)?;
        Money::new(amount, currency)
    }

    /// Parses a wire amount that must not be negative (prices, totals).
    pub fn parse_non_negative(text: &str, currency: Currency) -> Result<Money, MoneyError> {
        let money = Money::parse(text, currency)?;
        if money.is_negative() {
            return Err(MoneyError::Negative);
        }
        Ok(money)
    }

    pub fn amount(&self) -> Decimal {
        self.amount
    }

    pub fn currency(&self) -> Currency {
        self.currency
    }

    /// The exact number of minor units, for storage.
    pub fn to_minor(&self) -> i64 {
        // The constructor keeps the scale at the currency's minor units and
        // the mantissa below 2^53, so this conversion is exact.
        self.amount.mantissa() as i64
    }

    pub fn is_negative(&self) -> bool {
        self.amount.is_sign_negative() && !self.amount.is_zero()
    }

    pub fn is_zero(&self) -> bool {
        self.amount.is_zero()
    }

    /// The wire form: exactly the currency's minor-unit digits, no exponent.
    pub fn amount_string(&self) -> String {
        self.amount.to_string()
    }

    /// Adds two amounts of the same currency.
    pub fn checked_add(&self, other: &Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        let sum = self
            .to_minor()
            .checked_add(other.to_minor())
            .ok_or(MoneyError::OutOfRange)?;
        Money::from_minor(sum, self.currency)
    }

    /// Subtracts an amount of the same currency.
    pub fn checked_sub(&self, other: &Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        let difference = self
            .to_minor()
            .checked_sub(other.to_minor())
            .ok_or(MoneyError::OutOfRange)?;
        Money::from_minor(difference, self.currency)
    }

    /// Multiplies by a whole quantity (a unit price times a line quantity).
    pub fn checked_mul_quantity(&self, quantity: u32) -> Result<Money, MoneyError> {
        let product = self
            .to_minor()
            .checked_mul(i64::from(quantity))
            .ok_or(MoneyError::OutOfRange)?;
        Money::from_minor(product, self.currency)
    }

    /// Tax (or any rate) in basis points of this amount, rounded to the
    /// currency's minor units half-to-even (banker's rounding), so that
    /// rounding errors do not drift one way over many orders.
    pub fn rate_in_basis_points_half_even(&self, basis_points: u32) -> Result<Money, MoneyError> {
        let rate = Decimal::new(i64::from(basis_points), 4);
        let exact = self
            .amount
            .checked_mul(rate)
            .ok_or(MoneyError::OutOfRange)?;
        let rounded = exact.round_dp_with_strategy(
            self.currency.minor_units(),
            rust_decimal::RoundingStrategy::MidpointNearestEven,
        );
        Money::new(rounded, self.currency)
    }

    fn same_currency(&self, other: &Money) -> Result<(), MoneyError> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(MoneyError::CurrencyMismatch)
        }
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount, self.currency)
    }
}
