//! The issuer's check of a passkey assertion that confirms a payment,
//! against assertions made by a software P-256 authenticator.

use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use p256::pkcs8::EncodePublicKey;
use sha2::{Digest, Sha256};

use super::test;
use crate::assertion::{
    AssertionError, PaymentAssertion, RelyingParty, payment_challenge, verify_payment_assertion,
};
use crate::encoding::to_base64url;
use crate::money::{Currency, Money};
use crate::seal::PaymentBinding;

const RP: RelyingParty<'static> = RelyingParty { id: "localhost" };

fn binding(amount: &str, attempt: &str) -> PaymentBinding {
    PaymentBinding {
        payment_id: "pay_1".to_owned(),
        merchant_id: "m_teashop".to_owned(),
        amount: Money::parse_non_negative(amount, Currency::Usd).unwrap(),
        quote_digest: crate::encoding::Bytes([4; 32]),
        attempt_id: attempt.to_owned(),
        created_at_ms: 1,
    }
}

fn key() -> SigningKey {
    SigningKey::from_slice(&[7; 32]).unwrap()
}

fn public_key(key: &SigningKey) -> Vec<u8> {
    key.verifying_key()
        .to_public_key_der()
        .unwrap()
        .as_bytes()
        .to_vec()
}

/// What an authenticator would sign, with these parts.
struct Made<'a> {
    kind: &'a str,
    challenge: [u8; 32],
    origin: &'a str,
    rp_id: &'a str,
    flags: u8,
    count: u32,
}

impl Default for Made<'_> {
    fn default() -> Self {
        Made {
            kind: "webauthn.get",
            challenge: payment_challenge(&binding("10.72", "att_1")),
            origin: "http://localhost:8787",
            rp_id: "localhost",
            flags: 0x05,
            count: 1,
        }
    }
}

fn assertion(key: &SigningKey, made: &Made<'_>) -> PaymentAssertion {
    let client_data_json = format!(
        r#"{{"type":"{}","challenge":"{}","origin":"{}","crossOrigin":false}}"#,
        made.kind,
        to_base64url(&made.challenge),
        made.origin
    )
    .into_bytes();
    let mut authenticator_data = Sha256::digest(made.rp_id.as_bytes()).to_vec();
    authenticator_data.push(made.flags);
    authenticator_data.extend_from_slice(&made.count.to_be_bytes());
    let mut signed = authenticator_data.clone();
    signed.extend_from_slice(&Sha256::digest(&client_data_json));
    let signature: Signature = key.sign(&signed);
    PaymentAssertion {
        credential_id: b"credential-1".to_vec(),
        authenticator_data,
        client_data_json,
        signature: signature.to_der().as_bytes().to_vec(),
    }
}

fn verify(made: &Made<'_>, stored: u32) -> Result<u32, AssertionError> {
    let key = key();
    verify_payment_assertion(
        &assertion(&key, made),
        &public_key(&key),
        &payment_challenge(&binding("10.72", "att_1")),
        &RP,
        stored,
    )
}

#[test]
fn an_assertion_for_this_payment_by_the_enrolled_key_confirms_it() {
    assert_eq!(verify(&Made::default(), 0), Ok(1));
    // An authenticator that keeps no counter (zero, and zero stored).
    let uncounted = Made {
        count: 0,
        ..Made::default()
    };
    assert_eq!(verify(&uncounted, 0), Ok(0));
}

#[test]
fn an_assertion_made_for_another_payment_amount_or_attempt_is_refused() {
    for other in [
        binding("10.73", "att_1"),
        binding("10.72", "att_2"),
        PaymentBinding {
            payment_id: "pay_2".to_owned(),
            ..binding("10.72", "att_1")
        },
    ] {
        let made = Made {
            challenge: payment_challenge(&other),
            ..Made::default()
        };
        assert_eq!(verify(&made, 0), Err(AssertionError::WrongChallenge));
    }
}

#[test]
fn a_replayed_unverified_or_misdirected_assertion_is_refused() {
    // Replayed: the counter did not move on.
    assert_eq!(
        verify(&Made::default(), 1),
        Err(AssertionError::CounterNotAdvanced)
    );
    let cases = [
        (
            Made {
                flags: 0x01,
                ..Made::default()
            },
            AssertionError::UserNotVerified,
        ),
        (
            Made {
                flags: 0x04,
                ..Made::default()
            },
            AssertionError::UserNotPresent,
        ),
        (
            Made {
                origin: "http://evil.example",
                ..Made::default()
            },
            AssertionError::WrongOrigin,
        ),
        (
            Made {
                rp_id: "evil.example",
                ..Made::default()
            },
            AssertionError::WrongRelyingParty,
        ),
        (
            Made {
                kind: "webauthn.create",
                ..Made::default()
            },
            AssertionError::NotAnAssertion,
        ),
    ];
    for (made, refusal) in cases {
        assert_eq!(verify(&made, 0), Err(refusal));
    }
}

#[test]
fn an_assertion_signed_by_another_key_or_altered_is_refused() {
    let key = key();
    let challenge = payment_challenge(&binding("10.72", "att_1"));
    let other = SigningKey::from_slice(&[8; 32]).unwrap();
    let by_other = assertion(&other, &Made::default());
    assert_eq!(
        verify_payment_assertion(&by_other, &public_key(&key), &challenge, &RP, 0),
        Err(AssertionError::BadSignature)
    );
    let mut altered = assertion(&key, &Made::default());
    altered.authenticator_data[33] = 0xff;
    assert_eq!(
        verify_payment_assertion(&altered, &public_key(&key), &challenge, &RP, 0),
        Err(AssertionError::BadSignature)
    );
    assert_eq!(
        verify_payment_assertion(&by_other, b"not a key", &challenge, &RP, 0),
        Err(AssertionError::BadPublicKey)
    );
}

#[test]
fn a_relying_party_owns_its_own_origins_only() {
    let shop = RelyingParty {
        id: "wallet.example",
    };
    assert!(shop.owns_origin("https://wallet.example"));
    assert!(shop.owns_origin("https://wallet.example:8443"));
    for other in [
        "http://wallet.example",
        "https://evil.example",
        "https://wallet.example.evil.example",
        "https://wallet.example/path",
        "https://wallet.example:",
        "https://wallet.example:99999x",
        "wallet.example",
    ] {
        assert!(!shop.owns_origin(other), "{other}");
    }
    assert!(RP.owns_origin("http://localhost:8787"));
    assert!(RP.owns_origin("https://localhost"));
    assert!(!RP.owns_origin("http://127.0.0.1:8787"));
}
