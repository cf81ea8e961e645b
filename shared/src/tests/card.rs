//! Card numbers, expiry and CVC: public test numbers of the big processors
//! must pass, near misses must fail, and nothing prints the digits.

use super::test;
use crate::card::{Brand, CardError, CardNumber, Cvc, Expiry, YearMonth, check_holder_name};

fn check_number(input: &str, expected: Result<Brand, CardError>) {
    let parsed = CardNumber::parse(input).map(|number| number.brand());
    assert_eq!(parsed, expected, "input {input:?}");
}

#[test]
fn public_test_numbers_parse_with_their_brand() {
    // Goal: every network's published test numbers are accepted.
    for (number, brand) in [
        ("4242424242424242", Brand::Visa),
        ("4111 1111 1111 1111", Brand::Visa),
        ("4000-0566-5566-5556", Brand::Visa),
        ("4222222222222", Brand::Visa),
        ("5555555555554444", Brand::Mastercard),
        ("5105105105105100", Brand::Mastercard),
        ("2223003122003222", Brand::Mastercard),
        ("378282246310005", Brand::Amex),
        ("371449635398431", Brand::Amex),
        ("6011111111111117", Brand::Discover),
        ("6011000990139424", Brand::Discover),
        ("6445644564456445", Brand::Discover),
        ("3566002020360505", Brand::Jcb),
        ("6200000000000005", Brand::UnionPay),
        ("3056930009020004", Brand::Diners),
        ("36227206271667", Brand::Diners),
    ] {
        check_number(number, Ok(brand));
    }
}

#[test]
fn near_misses_fail_with_the_right_reason() {
    check_number("4242424242424241", Err(CardError::ChecksumFailed));
    check_number("5555555555554443", Err(CardError::ChecksumFailed));
    check_number("424242424242424", Err(CardError::WrongLength));
    check_number("37828224631000", Err(CardError::WrongLength));
    check_number("55555555555544440", Err(CardError::WrongLength));
    check_number("42424242424242424242", Err(CardError::WrongLength));
    check_number("", Err(CardError::WrongLength));
    check_number("9999999999999995", Err(CardError::UnsupportedBrand));
    check_number("4242424242424242x", Err(CardError::NotDigits));
    check_number("4242.4242.4242.4242", Err(CardError::NotDigits));
    check_number("4242４２ 4242 4242", Err(CardError::NotDigits));
    check_number(&"4".repeat(64), Err(CardError::WrongLength));
}

#[test]
fn brand_shows_while_typing() {
    assert_eq!(Brand::detect("4"), Some(Brand::Visa));
    assert_eq!(Brand::detect("2221"), Some(Brand::Mastercard));
    assert_eq!(Brand::detect("2721"), None);
    assert_eq!(Brand::detect("34"), Some(Brand::Amex));
    assert_eq!(Brand::detect("622126"), Some(Brand::Discover));
    assert_eq!(Brand::detect("622125"), Some(Brand::UnionPay));
    assert_eq!(Brand::detect(""), None);
    for brand in crate::card::BRANDS_ALL {
        assert_eq!(Brand::from_code(brand.code()), Some(brand));
    }
}

#[test]
fn card_numbers_print_masked_only() {
    // Goal: no formatting path shows more than the last four digits.
    let number = CardNumber::parse("4242 4242 4242 4242").unwrap();
    assert_eq!(number.masked(), "•••• 4242");
    assert_eq!(number.last_four(), "4242");
    assert_eq!(number.first_six(), "424242");
    let debug = format!("{number:?}");
    assert_eq!(debug, "CardNumber(visa ****4242)");
    assert_eq!(number.reveal_digits(), "4242424242424242");
    let error = CardNumber::parse("4242424242424241")
        .unwrap_err()
        .to_string();
    assert!(!error.contains("4242"), "{error}");
    let json_error = serde_json::from_str::<CardNumber>("\"4242424242424241\"")
        .unwrap_err()
        .to_string();
    assert!(!json_error.contains("4242"), "{json_error}");
}

#[test]
fn expiry_is_valid_through_its_month() {
    let expiry = Expiry::parse("08/27").unwrap();
    assert_eq!((expiry.month(), expiry.year()), (8, 2027));
    assert_eq!(Expiry::parse(" 8 / 2027 ").unwrap(), expiry);
    // As people type it: with or without the slash, spaces, two or four
    // digits of year.
    for typed in ["0827", "08/27", "08 / 27", "08/2027", "082027", " 0827 "] {
        assert_eq!(Expiry::parse(typed), Ok(expiry), "{typed}");
    }
    assert_eq!(expiry.display(), "08/27");
    assert!(!expiry.is_expired_at(YearMonth {
        year: 2027,
        month: 8
    }));
    assert!(expiry.is_expired_at(YearMonth {
        year: 2027,
        month: 9
    }));
    assert!(expiry.is_expired_at(YearMonth {
        year: 2028,
        month: 1
    }));
    assert!(!expiry.is_expired_at(YearMonth {
        year: 2026,
        month: 12
    }));
    for bad in [
        "13/27", "00/27", "8/2", "08-27", "08/", "ab/cd", "08/123", "08/1999", "827", "08277",
        "1327", "0027", "081999", "0é27", "08 27",
    ] {
        assert_eq!(Expiry::parse(bad), Err(CardError::InvalidExpiry), "{bad}");
    }
    assert!(serde_json::from_str::<Expiry>(r#"{"month":13,"year":2027}"#).is_err());
}

#[test]
fn cvc_length_depends_on_the_brand_and_never_prints() {
    assert!(Cvc::parse("123", Brand::Visa).is_ok());
    assert!(Cvc::parse("1234", Brand::Amex).is_ok());
    assert_eq!(Cvc::parse("1234", Brand::Visa), Err(CardError::InvalidCvc));
    assert_eq!(Cvc::parse("123", Brand::Amex), Err(CardError::InvalidCvc));
    assert_eq!(Cvc::parse("12a", Brand::Visa), Err(CardError::InvalidCvc));
    assert_eq!(
        format!("{:?}", Cvc::parse("987", Brand::Visa).unwrap()),
        "Cvc(***)"
    );
}

#[test]
fn holder_names_are_bounded_and_printable() {
    assert_eq!(check_holder_name("  Ada Lovelace "), Ok("Ada Lovelace"));
    assert!(check_holder_name("").is_err());
    assert!(check_holder_name(&"x".repeat(65)).is_err());
    assert!(check_holder_name("Ada\nLovelace").is_err());
}

#[test]
fn hmac_sha256_matches_rfc_4231() {
    // RFC 4231 test case 2: the HMAC under the issuer's derivations.
    let mac = crate::issuer::hmac_for_test(b"Jefe", b"what do ya want for nothing?");
    assert_eq!(
        mac.to_vec(),
        super::support::hex("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    );
}

#[test]
fn issuer_derivations_are_keyed_and_brand_shaped() {
    use crate::issuer::{card_registry_key, cvc_matches, derive_cvc};
    let visa = CardNumber::parse("4242424242424242").unwrap();
    let amex = CardNumber::parse("378282246310005").unwrap();
    let expiry = Expiry::new(12, 2030).unwrap();
    let key = [9_u8; 32];
    let cvc = derive_cvc(&key, &visa, &expiry);
    assert_eq!(cvc.reveal_digits().len(), 3);
    assert_eq!(derive_cvc(&key, &amex, &expiry).reveal_digits().len(), 4);
    assert!(cvc_matches(&key, &visa, &expiry, &cvc));
    // Another key, card or expiry gives another CVC (almost surely; these
    // fixed inputs were checked to differ).
    let other_expiry = Expiry::new(11, 2030).unwrap();
    assert!(!cvc_matches(&key, &visa, &other_expiry, &cvc));
    assert!(!cvc_matches(&[8; 32], &visa, &expiry, &cvc));
    let registry = card_registry_key(&key, &visa);
    assert_eq!(registry, card_registry_key(&key, &visa));
    assert_ne!(registry, card_registry_key(&[8; 32], &visa));
    assert!(!registry.contains("4242"));
}

#[test]
fn decline_codes_hide_what_would_help_a_thief() {
    use crate::decline::{DeclineCode, ShopperDeclineCode};
    for &decline in DeclineCode::ALL {
        assert_eq!(DeclineCode::from_code(decline.code()), Some(decline));
        // Whatever the window says, these never tell the shopper more.
        let hidden = matches!(
            decline,
            DeclineCode::LostCard
                | DeclineCode::StolenCard
                | DeclineCode::DoNotHonor
                | DeclineCode::SecurityChecksLocked
        );
        if hidden {
            assert_eq!(decline.for_shopper(true), ShopperDeclineCode::CardDeclined);
        }
        // A mismatch is told once, without naming the field, and a number
        // that does not exist answers exactly like one that does.
        if decline.is_card_details_mismatch() {
            assert_eq!(
                decline.for_shopper(true),
                ShopperDeclineCode::IncorrectCardDetails
            );
            assert_eq!(decline.for_shopper(false), ShopperDeclineCode::CardDeclined);
        }
        assert!(!decline.is_security_check() || decline.is_card_details_mismatch());
    }
    assert!(!DeclineCode::IncorrectNumber.is_security_check());
    assert_eq!(
        DeclineCode::InsufficientFunds.for_shopper(false),
        ShopperDeclineCode::InsufficientFunds
    );
    assert_eq!(DeclineCode::from_code("Incorrect_cvc"), None);
    assert!(serde_json::from_str::<DeclineCode>("\"card_stolen\"").is_err());
    assert_eq!(
        serde_json::to_string(&ShopperDeclineCode::CardDeclined).unwrap(),
        "\"card_declined\""
    );
    assert!(ShopperDeclineCode::InsufficientFunds.another_card_may_help());
    assert!(!ShopperDeclineCode::IncorrectCardDetails.another_card_may_help());
}

#[test]
fn calendar_months_of_instants() {
    // Goal: expiry checks use the right UTC month. Method: known instants.
    for (unix_ms, year, month) in [
        (0, 1970, 1),
        (951_782_400_000, 2000, 2),    // 2000-02-29T00:00:00Z
        (951_868_799_999, 2000, 2),    // 2000-02-29T23:59:59.999Z
        (951_868_800_000, 2000, 3),    // 2000-03-01T00:00:00Z
        (1_798_761_599_999, 2026, 12), // 2026-12-31T23:59:59.999Z
        (1_798_761_600_000, 2027, 1),  // 2027-01-01T00:00:00Z
    ] {
        assert_eq!(
            YearMonth::from_unix_ms(unix_ms),
            YearMonth { year, month },
            "{unix_ms}"
        );
    }
}

#[test]
fn an_authorization_request_digest_names_one_request() {
    // Goal: the issuer refuses an id presented with another request, and
    // its stored digest reveals no code. Method: vary each field once.
    use crate::issuer::{AuthorizationRequest, authorization_request_digest};
    let number = CardNumber::parse("4242424242424242").unwrap();
    let other_number = CardNumber::parse("4000000000009995").unwrap();
    let expiry = Expiry::new(12, 2030).unwrap();
    let other_expiry = Expiry::new(11, 2030).unwrap();
    let cvc = Cvc::parse("123", number.brand()).unwrap();
    let other_cvc = Cvc::parse("124", number.brand()).unwrap();
    let base = AuthorizationRequest {
        number: &number,
        expiry: &expiry,
        cvc: &cvc,
        amount_minor: 1_500,
        currency: "USD",
        merchant_id: "m_teashop",
    };
    let key = [7_u8; 32];
    let digest = authorization_request_digest(&key, &base);
    assert_eq!(digest, authorization_request_digest(&key, &base), "stable");
    let variants = [
        AuthorizationRequest {
            number: &other_number,
            ..base
        },
        AuthorizationRequest {
            expiry: &other_expiry,
            ..base
        },
        AuthorizationRequest {
            cvc: &other_cvc,
            ..base
        },
        AuthorizationRequest {
            amount_minor: 1_501,
            ..base
        },
        AuthorizationRequest {
            currency: "EUR",
            ..base
        },
        AuthorizationRequest {
            merchant_id: "m_other",
            ..base
        },
    ];
    for variant in &variants {
        assert_ne!(authorization_request_digest(&key, variant), digest);
    }
    assert_ne!(
        authorization_request_digest(&[8_u8; 32], &base),
        digest,
        "keyed"
    );
    assert_eq!(digest.len(), 43, "a 32-byte HMAC, base64url");
}

#[test]
fn shopper_addresses_count_by_subscriber() {
    use crate::wire::shopper_address_subject;
    assert_eq!(shopper_address_subject("203.0.113.7"), "203.0.113.7");
    assert_eq!(shopper_address_subject("::ffff:203.0.113.7"), "203.0.113.7");
    assert_eq!(
        shopper_address_subject("2001:db8:1:2:aaaa::1"),
        shopper_address_subject("2001:db8:1:2:ffff:1:2:3"),
        "one /64"
    );
    assert_ne!(
        shopper_address_subject("2001:db8:1:2::1"),
        shopper_address_subject("2001:db8:1:3::1")
    );
    assert_eq!(shopper_address_subject("unknown"), "unknown");
}
