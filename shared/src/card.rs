//! Card data: the card number, its expiry and the CVC, as types that keep
//! their secrets. A card number parses only with a valid length, a Luhn
//! checksum and a known network; it prints masked, has no `Display`, is
//! zeroized on drop, and its digits are read through one greppable method,
//! [`CardNumber::reveal_digits`]. The CVC cannot be serialized at all: the
//! sealed payment writes it explicitly with [`Cvc::reveal_digits`].

use core::fmt;

use serde::{Deserialize, Deserializer, Serialize};
use zeroize::{Zeroize, ZeroizeOnDrop};

/// The shortest and longest card numbers (ISO/IEC 7812 PANs).
pub const CARD_NUMBER_DIGITS_MIN: usize = 12;
pub const CARD_NUMBER_DIGITS_MAX: usize = 19;

/// The longest card-number input accepted, spaces and dashes included.
pub const CARD_NUMBER_INPUT_CHARS_MAX: usize = 32;

/// The longest cardholder name, in characters.
pub const CARDHOLDER_NAME_CHARS_MAX: usize = 64;

/// Why card data was refused. Never carries the digits it refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CardError {
    #[error("card number must contain only digits, spaces and dashes")]
    NotDigits,
    #[error("card number has the wrong number of digits")]
    WrongLength,
    #[error("card number fails its check digit")]
    ChecksumFailed,
    #[error("card network is not supported")]
    UnsupportedBrand,
    #[error("expiry must be a month from 01 to 12 and a year")]
    InvalidExpiry,
    #[error("security code must be 3 digits (4 for American Express)")]
    InvalidCvc,
    #[error("cardholder name must be 1 to 64 printable characters")]
    InvalidHolderName,
}

/// Card networks, detected from the issuer identification number (IIN).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Brand {
    Visa,
    Mastercard,
    Amex,
    Discover,
    Jcb,
    UnionPay,
    Diners,
}

impl Brand {
    /// A display name for the brand.
    pub const fn name(self) -> &'static str {
        match self {
            Brand::Visa => "Visa",
            Brand::Mastercard => "Mastercard",
            Brand::Amex => "American Express",
            Brand::Discover => "Discover",
            Brand::Jcb => "JCB",
            Brand::UnionPay => "UnionPay",
            Brand::Diners => "Diners Club",
        }
    }

    /// The stable wire code (`"visa"`, `"amex"`, ...).
    pub const fn code(self) -> &'static str {
        match self {
            Brand::Visa => "visa",
            Brand::Mastercard => "mastercard",
            Brand::Amex => "amex",
            Brand::Discover => "discover",
            Brand::Jcb => "jcb",
            Brand::UnionPay => "unionpay",
            Brand::Diners => "diners",
        }
    }

    pub fn from_code(code: &str) -> Option<Brand> {
        BRANDS_ALL.into_iter().find(|brand| brand.code() == code)
    }

    /// Number of digits in this brand's CVC.
    pub const fn cvc_digits(self) -> usize {
        match self {
            Brand::Amex => 4,
            _ => 3,
        }
    }

    /// Whether a card number of `length` digits is valid for the brand.
    fn accepts_length(self, length: usize) -> bool {
        match self {
            Brand::Visa => matches!(length, 13 | 16 | 19),
            Brand::Mastercard => length == 16,
            Brand::Amex => length == 15,
            Brand::Discover | Brand::Jcb | Brand::UnionPay => (16..=19).contains(&length),
            Brand::Diners => (14..=19).contains(&length),
        }
    }

    /// Detects the brand from the leading digits. Works on a prefix too, so
    /// the wallet can show the brand while the number is being typed.
    pub fn detect(digits: &str) -> Option<Brand> {
        let prefix = |count: usize| -> Option<u32> {
            digits.get(..count).and_then(|head| head.parse().ok())
        };
        let within = |count: usize, low: u32, high: u32| {
            prefix(count).is_some_and(|value| (low..=high).contains(&value))
        };
        // Order matters: the Discover range inside 62 comes before UnionPay.
        if within(1, 4, 4) {
            Some(Brand::Visa)
        } else if within(2, 51, 55) || within(4, 2221, 2720) {
            Some(Brand::Mastercard)
        } else if within(2, 34, 34) || within(2, 37, 37) {
            Some(Brand::Amex)
        } else if within(4, 6011, 6011)
            || within(3, 644, 649)
            || within(2, 65, 65)
            || within(6, 622126, 622925)
        {
            Some(Brand::Discover)
        } else if within(4, 3528, 3589) {
            Some(Brand::Jcb)
        } else if within(2, 62, 62) || within(2, 81, 81) {
            Some(Brand::UnionPay)
        } else if within(2, 36, 36)
            || within(3, 300, 305)
            || within(4, 3095, 3095)
            || within(2, 38, 39)
        {
            Some(Brand::Diners)
        } else {
            None
        }
    }
}

/// Every supported brand.
pub const BRANDS_ALL: [Brand; 7] = [
    Brand::Visa,
    Brand::Mastercard,
    Brand::Amex,
    Brand::Discover,
    Brand::Jcb,
    Brand::UnionPay,
    Brand::Diners,
];

/// The Luhn (mod 10) check over a string of ASCII digits.
pub fn luhn_valid(digits: &str) -> bool {
    let mut sum = 0_u32;
    for (position, byte) in digits.bytes().rev().enumerate() {
        let mut digit = u32::from(byte.wrapping_sub(b'0'));
        if position % 2 == 1 {
            digit *= 2;
            if digit > 9 {
                digit -= 9;
            }
        }
        sum += digit;
    }
    !digits.is_empty() && sum.is_multiple_of(10)
}

/// A validated card number (PAN). See the module documentation.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct CardNumber {
    digits: String,
    #[zeroize(skip)]
    brand: Brand,
}

impl CardNumber {
    /// Parses a card number as typed: digits, optionally grouped with spaces
    /// or dashes.
    pub fn parse(input: &str) -> Result<CardNumber, CardError> {
        if input.len() > CARD_NUMBER_INPUT_CHARS_MAX {
            return Err(CardError::WrongLength);
        }
        let mut digits = String::with_capacity(CARD_NUMBER_DIGITS_MAX);
        for character in input.chars() {
            match character {
                '0'..='9' => digits.push(character),
                ' ' | '-' => {}
                _ => {
                    digits.zeroize();
                    return Err(CardError::NotDigits);
                }
            }
        }
        let checked = Self::check(&digits);
        match checked {
            Ok(brand) => Ok(CardNumber { digits, brand }),
            Err(error) => {
                digits.zeroize();
                Err(error)
            }
        }
    }

    fn check(digits: &str) -> Result<Brand, CardError> {
        if !(CARD_NUMBER_DIGITS_MIN..=CARD_NUMBER_DIGITS_MAX).contains(&digits.len()) {
            return Err(CardError::WrongLength);
        }
        let brand = Brand::detect(digits).ok_or(CardError::UnsupportedBrand)?;
        if !brand.accepts_length(digits.len()) {
            return Err(CardError::WrongLength);
        }
        if !luhn_valid(digits) {
            return Err(CardError::ChecksumFailed);
        }
        Ok(brand)
    }

    pub fn brand(&self) -> Brand {
        self.brand
    }

    /// The last four digits, safe to show and store.
    pub fn last_four(&self) -> &str {
        &self.digits[self.digits.len() - 4..]
    }

    /// The first six digits (the IIN), safe to store beside the last four.
    pub fn first_six(&self) -> &str {
        &self.digits[..6]
    }

    /// "•••• 4242": the only form fit for a screen or a log.
    pub fn masked(&self) -> String {
        format!("•••• {}", self.last_four())
    }

    /// The full digits. Every call site is a place card data is handled in
    /// plaintext: keep them few (grep for `reveal_digits`).
    pub fn reveal_digits(&self) -> &str {
        &self.digits
    }
}

impl fmt::Debug for CardNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "CardNumber({} ****{})",
            self.brand.code(),
            self.last_four()
        )
    }
}

impl<'de> Deserialize<'de> for CardNumber {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<CardNumber, D::Error> {
        let mut text = String::deserialize(deserializer)?;
        let parsed = CardNumber::parse(&text);
        text.zeroize();
        parsed.map_err(serde::de::Error::custom)
    }
}

/// A card's expiry: valid through the last day of `month`/`year`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "ExpiryFields")]
pub struct Expiry {
    month: u8,
    year: u16,
}

#[derive(Deserialize)]
struct ExpiryFields {
    month: u8,
    year: u16,
}

impl TryFrom<ExpiryFields> for Expiry {
    type Error = CardError;

    fn try_from(fields: ExpiryFields) -> Result<Expiry, CardError> {
        Expiry::new(fields.month, fields.year)
    }
}

/// A calendar month, the unit expiry is compared in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct YearMonth {
    pub year: u16,
    pub month: u8,
}

impl YearMonth {
    /// The UTC calendar month of an instant (ms since the Unix epoch), by
    /// the civil-from-days algorithm (proleptic Gregorian calendar).
    pub fn from_unix_ms(unix_ms: u64) -> YearMonth {
        const MS_PER_DAY: u64 = 86_400_000;
        let days = i64::try_from(unix_ms / MS_PER_DAY).unwrap_or(0);
        let shifted = days + 719_468;
        let era = shifted.div_euclid(146_097);
        let day_of_era = shifted.rem_euclid(146_097);
        let year_of_era =
            (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
        let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
        let month_index = (5 * day_of_year + 2) / 153;
        let month = if month_index < 10 {
            month_index + 3
        } else {
            month_index - 9
        };
        let year = year_of_era + era * 400 + i64::from(month <= 2);
        YearMonth {
            year: u16::try_from(year).unwrap_or(u16::MAX),
            month: u8::try_from(month).unwrap_or(1),
        }
    }
}

/// Years an expiry may lie in.
pub const EXPIRY_YEAR_MIN: u16 = 2000;
pub const EXPIRY_YEAR_MAX: u16 = 2099;

impl Expiry {
    pub fn new(month: u8, year: u16) -> Result<Expiry, CardError> {
        if !(1..=12).contains(&month) || !(EXPIRY_YEAR_MIN..=EXPIRY_YEAR_MAX).contains(&year) {
            return Err(CardError::InvalidExpiry);
        }
        Ok(Expiry { month, year })
    }

    /// Parses "MM/YY" or "MM/YYYY" as printed on cards (spaces around the
    /// slash allowed), or the same digits typed without the slash: "MMYY"
    /// or "MMYYYY".
    pub fn parse(text: &str) -> Result<Expiry, CardError> {
        let text = text.trim();
        let (month, year) = match text.split_once('/') {
            Some(parts) => parts,
            None if matches!(text.len(), 4 | 6) && text.is_ascii() => text.split_at(2),
            None => return Err(CardError::InvalidExpiry),
        };
        let month: u8 = parse_digits(month.trim(), 1, 2).ok_or(CardError::InvalidExpiry)?;
        let year_text = year.trim();
        let year: u16 = match year_text.len() {
            2 => 2000 + parse_digits::<u16>(year_text, 2, 2).ok_or(CardError::InvalidExpiry)?,
            4 => parse_digits(year_text, 4, 4).ok_or(CardError::InvalidExpiry)?,
            _ => return Err(CardError::InvalidExpiry),
        };
        Expiry::new(month, year)
    }

    pub fn month(&self) -> u8 {
        self.month
    }

    pub fn year(&self) -> u16 {
        self.year
    }

    /// True once `today`'s month is after the expiry month.
    pub fn is_expired_at(&self, today: YearMonth) -> bool {
        YearMonth {
            year: self.year,
            month: self.month,
        } < today
    }

    /// "08/27".
    pub fn display(&self) -> String {
        format!("{:02}/{:02}", self.month, self.year % 100)
    }
}

fn parse_digits<T: core::str::FromStr>(text: &str, min: usize, max: usize) -> Option<T> {
    let ok = (min..=max).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit());
    if ok { text.parse().ok() } else { None }
}

/// The card security code. Never stored, never logged, not serializable.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct Cvc {
    digits: String,
}

impl Cvc {
    /// Parses a CVC for a card of `brand`: 4 digits for Amex, else 3.
    pub fn parse(input: &str, brand: Brand) -> Result<Cvc, CardError> {
        let trimmed = input.trim();
        let valid =
            trimmed.len() == brand.cvc_digits() && trimmed.bytes().all(|b| b.is_ascii_digit());
        if valid {
            Ok(Cvc {
                digits: trimmed.to_owned(),
            })
        } else {
            Err(CardError::InvalidCvc)
        }
    }

    /// A CVC of zeroes for `brand`: never a real derivation's output in
    /// practice, used only where a derivation could not be formatted.
    pub(crate) fn zeroes(brand: Brand) -> Cvc {
        Cvc {
            digits: "0".repeat(brand.cvc_digits()),
        }
    }

    /// The digits; only the sealed payment and the issuer's check read them.
    pub fn reveal_digits(&self) -> &str {
        &self.digits
    }
}

impl fmt::Debug for Cvc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Cvc(***)")
    }
}

/// Checks a cardholder name: 1 to 64 characters, no control characters.
pub fn check_holder_name(name: &str) -> Result<&str, CardError> {
    let trimmed = name.trim();
    let count = trimmed.chars().count();
    if count == 0 || count > CARDHOLDER_NAME_CHARS_MAX || trimmed.chars().any(char::is_control) {
        return Err(CardError::InvalidHolderName);
    }
    Ok(trimmed)
}
