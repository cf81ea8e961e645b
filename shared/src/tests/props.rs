//! Property tests (native): money arithmetic and every encode/decode round
//! trip, and decoders fed arbitrary bytes return errors, never panic.

use proptest::prelude::*;

use super::crypto::{gateway_key, sample_plaintext, sample_quote};
use super::support::TestRng;
use crate::card::{CardNumber, Expiry, luhn_valid};
use crate::money::{Currency, MINOR_UNITS_LIMIT, Money};
use crate::seal::{PaymentPlaintext, SealedPayment, seal_payment};
use crate::vault::CardRecord;

fn currency() -> impl Strategy<Value = Currency> {
    prop::sample::select(Currency::ALL.to_vec())
}

fn minor_units() -> impl Strategy<Value = i64> {
    -(MINOR_UNITS_LIMIT - 1)..MINOR_UNITS_LIMIT
}

/// A valid 16-digit Visa number: "4", 14 random digits, the Luhn digit.
fn visa_number() -> impl Strategy<Value = String> {
    prop::collection::vec(0_u8..10, 14).prop_map(|digits| {
        let body: String = core::iter::once('4')
            .chain(digits.into_iter().map(|digit| char::from(b'0' + digit)))
            .collect();
        (0..10)
            .map(|digit| format!("{body}{digit}"))
            .find(|candidate| luhn_valid(candidate))
            .unwrap()
    })
}

proptest! {
    #[test]
    fn minor_units_and_strings_round_trip(minor in minor_units(), currency in currency()) {
        let money = Money::from_minor(minor, currency).unwrap();
        prop_assert_eq!(money.to_minor(), minor);
        let reparsed = Money::parse(&money.amount_string(), currency).unwrap();
        prop_assert_eq!(reparsed, money);
    }

    #[test]
    fn addition_is_exact_or_refused(a in minor_units(), b in minor_units(), currency in currency()) {
        let x = Money::from_minor(a, currency).unwrap();
        let y = Money::from_minor(b, currency).unwrap();
        match x.checked_add(&y) {
            Ok(sum) => {
                prop_assert_eq!(sum.to_minor(), a + b);
                prop_assert_eq!(y.checked_add(&x).unwrap(), sum);
                prop_assert_eq!(sum.checked_sub(&y).unwrap(), x);
            }
            Err(_) => prop_assert!((a + b).abs() >= MINOR_UNITS_LIMIT),
        }
    }

    #[test]
    fn tax_rounds_half_even_to_minor_units(minor in 0_i64..1_000_000_000, basis_points in 0_u32..10_000) {
        let amount = Money::from_minor(minor, Currency::Usd).unwrap();
        let tax = amount.rate_in_basis_points_half_even(basis_points).unwrap();
        // The exact tax in hundredths of a cent, and the rounded one.
        let exact = i128::from(minor) * i128::from(basis_points);
        let rounded = i128::from(tax.to_minor()) * 10_000;
        prop_assert!((exact - rounded).abs() <= 5_000);
        if (exact - rounded).abs() == 5_000 {
            prop_assert_eq!(tax.to_minor() % 2, 0, "ties go to even");
        }
    }

    #[test]
    fn card_records_round_trip(number in visa_number(), month in 1_u8..=12, year in 2000_u16..=2099, nickname in "[a-z ]{0,40}") {
        let record = CardRecord {
            number: CardNumber::parse(&number).unwrap(),
            expiry: Expiry::new(month, year).unwrap(),
            holder_name: "Grace Hopper".into(),
            nickname,
            passkey_credential: Vec::new(),
        };
        prop_assert_eq!(CardRecord::decode(&record.encode()).unwrap(), record);
    }

    #[test]
    fn decoders_never_panic_on_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = CardRecord::decode(&bytes);
        let _ = PaymentPlaintext::decode(&bytes);
        let _ = serde_json::from_slice::<SealedPayment>(&bytes);
        let _ = serde_json::from_slice::<CardNumber>(&bytes);
    }

    #[test]
    fn sealed_payments_round_trip(minor in 0_i64..100_000_000, seed in any::<u64>(), attempt in "[a-z0-9_]{1,64}") {
        let quote = sample_quote(3);
        let mut plaintext = sample_plaintext(&quote);
        plaintext.binding.amount = Money::from_minor(minor, Currency::Usd).unwrap();
        plaintext.binding.attempt_id = attempt;
        let gateway = gateway_key();
        let sealed = seal_payment(&plaintext, &gateway.public_key(u64::MAX), &mut TestRng::new(seed)).unwrap();
        let json = serde_json::to_string(&sealed).unwrap();
        let back: SealedPayment = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(gateway.open(&back).unwrap(), plaintext);
    }
}
