//! Money: parsing, minor units and checked arithmetic.

use rust_decimal::Decimal;

use super::test;
use crate::money::{Currency, MINOR_UNITS_LIMIT, Money, MoneyError};
use crate::wire::Product;

fn check_parse(text: &str, currency: Currency, expected: Result<&str, MoneyError>) {
    let parsed = Money::parse(text, currency).map(|money| money.amount_string());
    assert_eq!(
        parsed.as_deref().map_err(|error| *error),
        expected,
        "input {text:?}"
    );
}

#[test]
fn parse_accepts_plain_decimals_and_pads_to_minor_units() {
    // Goal: the wire form is exact and canonical. Method: table of inputs.
    check_parse("19.99", Currency::Usd, Ok("19.99"));
    check_parse("19.9", Currency::Usd, Ok("19.90"));
    check_parse("19", Currency::Usd, Ok("19.00"));
    check_parse("0", Currency::Usd, Ok("0.00"));
    check_parse("-5.5", Currency::Eur, Ok("-5.50"));
    check_parse("500", Currency::Jpy, Ok("500"));
    check_parse("19.990", Currency::Usd, Ok("19.99"));
}

#[test]
fn parse_rejects_anything_but_plain_decimals() {
    // Goal: no float syntax, no extra decimals, no huge magnitudes.
    check_parse("", Currency::Usd, Err(MoneyError::Malformed));
    check_parse("1e3", Currency::Usd, Err(MoneyError::Malformed));
    check_parse("+1", Currency::Usd, Err(MoneyError::Malformed));
    check_parse(" 1", Currency::Usd, Err(MoneyError::Malformed));
    check_parse("1,000", Currency::Usd, Err(MoneyError::Malformed));
    check_parse(".5", Currency::Usd, Err(MoneyError::Malformed));
    check_parse("5.", Currency::Usd, Err(MoneyError::Malformed));
    check_parse("NaN", Currency::Usd, Err(MoneyError::Malformed));
    check_parse("1.001", Currency::Usd, Err(MoneyError::TooManyDecimals));
    check_parse("1.5", Currency::Jpy, Err(MoneyError::TooManyDecimals));
    check_parse(
        "90071992547409.92",
        Currency::Usd,
        Err(MoneyError::OutOfRange),
    );
    check_parse("90071992547409.91", Currency::Usd, Ok("90071992547409.91"));
    check_parse(&"9".repeat(40), Currency::Usd, Err(MoneyError::Malformed));
}

#[test]
fn minor_units_round_trip_exactly() {
    // Goal: storage as integers loses nothing. Method: both directions.
    for (minor, currency, text) in [
        (1999, Currency::Usd, "19.99"),
        (-1, Currency::Gbp, "-0.01"),
        (500, Currency::Jpy, "500"),
        (MINOR_UNITS_LIMIT - 1, Currency::Chf, "90071992547409.91"),
    ] {
        let money = Money::from_minor(minor, currency).unwrap();
        assert_eq!(money.amount_string(), text);
        assert_eq!(Money::parse(text, currency).unwrap().to_minor(), minor);
    }
    assert_eq!(
        Money::from_minor(MINOR_UNITS_LIMIT, Currency::Usd),
        Err(MoneyError::OutOfRange)
    );
}

#[test]
fn arithmetic_is_checked() {
    // Goal: no silent overflow and no mixing of currencies.
    let price = Money::parse("19.99", Currency::Usd).unwrap();
    let line = price.checked_mul_quantity(3).unwrap();
    assert_eq!(line.amount_string(), "59.97");
    let total = line
        .checked_add(&Money::parse("5", Currency::Usd).unwrap())
        .unwrap();
    assert_eq!(total.amount_string(), "64.97");
    assert_eq!(
        total.checked_sub(&total).unwrap(),
        Money::zero(Currency::Usd)
    );
    let euros = Money::parse("1", Currency::Eur).unwrap();
    assert_eq!(total.checked_add(&euros), Err(MoneyError::CurrencyMismatch));
    let big = Money::from_minor(MINOR_UNITS_LIMIT - 1, Currency::Usd).unwrap();
    assert_eq!(big.checked_add(&big), Err(MoneyError::OutOfRange));
    assert_eq!(big.checked_mul_quantity(2), Err(MoneyError::OutOfRange));
    assert_eq!(
        Money::new(Decimal::new(1, 3), Currency::Usd),
        Err(MoneyError::TooManyDecimals)
    );
}

#[test]
fn currency_codes_round_trip() {
    for currency in Currency::ALL {
        assert_eq!(Currency::from_code(currency.code()), Ok(currency));
        let json = serde_json::to_string(&currency).unwrap();
        assert_eq!(json, format!("\"{}\"", currency.code()));
    }
    assert_eq!(Currency::from_code("usd"), Err(MoneyError::UnknownCurrency));
    assert_eq!(Currency::from_code("XXX"), Err(MoneyError::UnknownCurrency));
}

#[test]
fn product_price_is_validated_and_errors_do_not_echo_input() {
    let json = r#"{"sku":"TEA-01","name":"Tea","description":"Green","unit_price":"4.50","currency":"EUR","stock":3}"#;
    let product: Product = serde_json::from_str(json).unwrap();
    assert_eq!(product.unit_price().unwrap().to_minor(), 450);
    let negative = Product {
        unit_price: "-1.00".into(),
        ..product.clone()
    };
    assert_eq!(negative.unit_price(), Err(MoneyError::Negative));
    let secret = Product {
        unit_price: "4111111111111111x".into(),
        ..product
    };
    let message = secret.unit_price().unwrap_err().to_string();
    assert!(!message.contains("4111"), "error echoes input: {message}");
}
