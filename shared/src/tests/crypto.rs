//! Signatures, the sealed payment, the gateway key set and the vault:
//! published vectors, round trips, and every single-bit flip rejected.

use ed25519_dalek::{Signer, SigningKey};

use super::support::{TestRng, bit_flips, hex};
use super::test;
use crate::card::{CardNumber, Cvc, Expiry};
use crate::encoding::{BoundedBytes, Bytes};
use crate::keyset::{GatewayKey, GatewayKeySet, KeySetError, current_key};
use crate::money::{Currency, Money};
use crate::quote::{Consignee, Delivery, Quote, QuoteLine};
use crate::receipt::{AuthorizationRecord, Receipt};
use crate::seal::{
    CardDetails, GatewayPrivateKey, PaymentBinding, PaymentPlaintext, SealError, seal_payment,
};
use crate::sign::{KeyId, SignatureError, Signed, SigningKeyPair};
use crate::vault::{
    CardRecord, KdfParams, VaultError, create_vault, enroll_passkey, open_record,
    passkey_belongs_to, rewrap_passkey, seal_record, unlock_vault, unlock_with_passkey,
    wrap_vault_key,
};

/// Small Argon2 parameters: the tests check the construction, not the cost.
const TEST_KDF: KdfParams = KdfParams {
    memory_kib: 64,
    passes: 1,
    lanes: 1,
};

fn kid(text: &str) -> KeyId {
    KeyId::new(text).unwrap()
}

pub fn sample_quote(salt_byte: u8) -> Quote {
    Quote {
        quote_id: "q_01".into(),
        merchant_id: "m_teashop".into(),
        lines: vec![QuoteLine {
            sku: "TEA-SENCHA-100".into(),
            name: "Sencha green tea, 100 g".into(),
            quantity: 2,
            unit_price: "14.50".into(),
            line_total: "29.00".into(),
        }],
        delivery: Delivery {
            option: "standard".into(),
            cost: "4.90".into(),
            estimated_days: 3,
        },
        consignee: Consignee {
            name: "Ada Lovelace".into(),
            address_lines: vec!["12 St James's Square".into()],
            city: "London".into(),
            postal_code: "SW1Y 4JH".into(),
            country: "GB".into(),
            phone: "+44 20 7946 0000".into(),
        },
        currency: Currency::Usd,
        subtotal: "29.00".into(),
        tax: "2.32".into(),
        total: "36.22".into(),
        expires_at_ms: 1_800_000_900_000,
        salt: Bytes([salt_byte; 32]),
    }
}

pub fn sample_plaintext(quote: &Quote) -> PaymentPlaintext {
    PaymentPlaintext {
        card: CardDetails {
            number: CardNumber::parse("4242424242424242").unwrap(),
            expiry: Expiry::new(8, 2030).unwrap(),
            cvc: Cvc::parse("123", crate::card::Brand::Visa).unwrap(),
            holder_name: "Ada Lovelace".into(),
        },
        binding: PaymentBinding {
            payment_id: "pay_01".into(),
            merchant_id: quote.merchant_id.clone(),
            amount: Money::parse(&quote.total, quote.currency).unwrap(),
            quote_digest: quote.digest(),
            attempt_id: "att_01".into(),
            created_at_ms: 1_800_000_000_000,
        },
        passkey: None,
    }
}

pub fn gateway_key() -> GatewayPrivateKey {
    GatewayPrivateKey::derive(kid("gw-2026-11-26"), &[7; 32])
}

#[test]
fn ed25519_matches_rfc_8032_vectors() {
    // Goal: the signature crate is the Ed25519 of RFC 8032 (section 7.1,
    // tests 1 and 2). Method: derive, sign and verify the published values.
    for (secret, public, message, signature) in [
        (
            "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
            "",
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
        ),
        (
            "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
            "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
            "72",
            "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
        ),
    ] {
        let key = SigningKey::from_bytes(&hex(secret).try_into().unwrap());
        assert_eq!(key.verifying_key().to_bytes().to_vec(), hex(public));
        let made = key.sign(&hex(message));
        assert_eq!(made.to_bytes().to_vec(), hex(signature));
        assert!(
            key.verifying_key()
                .verify_strict(&hex(message), &made)
                .is_ok()
        );
    }
}

#[test]
fn quote_digest_is_salted_and_covers_every_field() {
    let quote = sample_quote(1);
    assert_eq!(quote.digest(), sample_quote(1).digest());
    assert_ne!(quote.digest(), sample_quote(2).digest(), "salt changes it");
    let mut changes: Vec<Quote> = Vec::new();
    let mut changed = quote.clone();
    changed.lines[0].quantity = 3;
    changes.push(changed);
    let mut changed = quote.clone();
    changed.consignee.address_lines.push("Flat 2".into());
    changes.push(changed);
    let mut changed = quote.clone();
    changed.delivery.estimated_days = 4;
    changes.push(changed);
    let mut changed = quote.clone();
    changed.total = "36.23".into();
    changes.push(changed);
    let mut changed = quote.clone();
    changed.currency = Currency::Eur;
    changes.push(changed);
    let mut changed = quote.clone();
    changed.expires_at_ms += 1;
    changes.push(changed);
    let mut changed = quote.clone();
    changed.merchant_id = "m_other".into();
    changes.push(changed);
    // Moving a boundary between two text fields changes the digest too.
    let mut changed = quote.clone();
    changed.consignee.city = "Londo".into();
    changed.consignee.postal_code = "nSW1Y 4JH".into();
    changes.push(changed);
    for changed in changes {
        assert_ne!(changed.digest(), quote.digest(), "{changed:?}");
    }
}

#[test]
fn signatures_are_bound_to_purpose_key_and_content() {
    let store = SigningKeyPair::from_seed(kid("store-1"), &[1; 32]);
    let signed = store.sign(sample_quote(1));
    assert_eq!(
        signed.verify(&store.public_key()).unwrap(),
        &sample_quote(1)
    );

    // A different key, even under the same id, fails.
    let impostor = SigningKeyPair::from_seed(kid("store-1"), &[2; 32]);
    assert_eq!(
        signed.verify(&impostor.public_key()),
        Err(SignatureError::BadSignature)
    );
    // Another key id is refused before any maths.
    let other = SigningKeyPair::from_seed(kid("store-2"), &[1; 32]);
    assert_eq!(
        signed.verify(&other.public_key()),
        Err(SignatureError::UnknownKeyId)
    );
    assert_eq!(
        signed
            .verify_with_any(&[other.public_key(), store.public_key()])
            .unwrap(),
        &sample_quote(1)
    );
    // Any changed field fails.
    let mut tampered = signed.clone();
    tampered.body.total = "0.01".into();
    assert_eq!(
        tampered.verify(&store.public_key()),
        Err(SignatureError::BadSignature)
    );
    // Every single-bit flip of the signature fails.
    for flipped in bit_flips(&signed.signature.value.0) {
        let mut tampered = signed.clone();
        tampered.signature.value = Bytes(flipped.try_into().unwrap());
        assert!(tampered.verify(&store.public_key()).is_err());
    }
    // JSON round trip keeps it valid.
    let json = serde_json::to_string(&signed).unwrap();
    let back: Signed<Quote> = serde_json::from_str(&json).unwrap();
    assert!(back.verify(&store.public_key()).is_ok());
    // Unsigned fields riding along (beside the body or in it) are refused.
    let mut beside = serde_json::to_value(&signed).unwrap();
    beside["note"] = serde_json::json!("unsigned");
    assert!(serde_json::from_value::<Signed<Quote>>(beside).is_err());
    let mut inside = serde_json::to_value(&signed).unwrap();
    inside["body"]["discount"] = serde_json::json!("100%");
    assert!(serde_json::from_value::<Signed<Quote>>(inside).is_err());
}

/// An authorization of the sample quote.
fn sample_authorization() -> AuthorizationRecord {
    AuthorizationRecord {
        payment_id: "pay_01".into(),
        merchant_id: "m_teashop".into(),
        quote_digest: sample_quote(1).digest(),
        amount: "36.22".into(),
        currency: Currency::Usd,
        brand: crate::card::Brand::Visa,
        last_four: "4242".into(),
        authorization_code: "A1B2C3".into(),
        attempt_id: "att_01".into(),
        authorized_at_ms: 1_800_000_000_500,
        customer_verification: crate::receipt::CustomerVerification::CardCode,
    }
}

#[test]
fn a_signature_for_one_purpose_never_passes_as_another() {
    // Goal: domain separation. Method: the same key signs an authorization;
    // its signature, moved onto a receipt with identical bytes elsewhere,
    // and onto a key set, does not verify.
    let key = SigningKeyPair::from_seed(kid("k"), &[9; 32]);
    let authorization = sample_authorization();
    let signed_authorization = key.sign(authorization);
    let receipt = Receipt {
        receipt_id: "rcpt_01".into(),
        order_id: "ord_01".into(),
        merchant_id: "m_teashop".into(),
        quote_digest: sample_quote(1).digest(),
        total: "36.22".into(),
        currency: Currency::Usd,
        issued_at_ms: 1_800_000_001_000,
        authorization: signed_authorization.clone(),
    };
    let signed_receipt = key.sign(receipt.clone());
    assert!(signed_receipt.verify(&key.public_key()).is_ok());
    let forged_receipt = Signed {
        body: receipt,
        signature: signed_authorization.signature.clone(),
    };
    assert_eq!(
        forged_receipt.verify(&key.public_key()),
        Err(SignatureError::BadSignature)
    );
    let forged_quote = Signed {
        body: sample_quote(1),
        signature: signed_receipt.signature.clone(),
    };
    assert_eq!(
        forged_quote.verify(&key.public_key()),
        Err(SignatureError::BadSignature)
    );
    let key_set = GatewayKeySet {
        keys: vec![],
        signing_keys: vec![],
        issued_at_ms: 0,
    };
    let forged_key_set = Signed {
        body: key_set,
        signature: signed_authorization.signature,
    };
    assert_eq!(
        forged_key_set.verify(&key.public_key()),
        Err(SignatureError::BadSignature)
    );
}

#[test]
fn a_passkey_proof_travels_sealed_with_the_payment() {
    // Goal: an enrollment or an assertion for the issuer rides inside the
    // sealed payment (neither the store nor the network sees or swaps it),
    // and a payment without one encodes exactly as before (format v1).
    use crate::assertion::CLIENT_DATA_BYTES_MAX;
    use crate::assertion::PaymentAssertion;
    use crate::seal::PasskeyProof;
    let quote = sample_quote(1);
    let gateway = gateway_key();
    let public = gateway.public_key(u64::MAX);
    let plain = sample_plaintext(&quote);
    assert!(plain.encode().starts_with(&[0, 0, 0, 28]));
    assert!(
        plain
            .encode()
            .windows(28)
            .any(|window| window == b"ewallet/payment-plaintext/v1")
    );
    let proofs = [
        PasskeyProof::Enroll {
            credential_id: vec![1; 32],
            public_key: vec![2; 91],
        },
        PasskeyProof::Assert(PaymentAssertion {
            credential_id: vec![3; 64],
            authenticator_data: vec![4; 37],
            client_data_json: br#"{"type":"webauthn.get"}"#.to_vec(),
            signature: vec![5; 72],
        }),
    ];
    for proof in proofs {
        let plaintext = PaymentPlaintext {
            passkey: Some(proof),
            ..sample_plaintext(&quote)
        };
        let sealed = seal_payment(&plaintext, &public, &mut TestRng::new(3)).unwrap();
        assert_eq!(gateway.open(&sealed).unwrap(), plaintext);
        assert!(
            plaintext
                .encode()
                .windows(28)
                .any(|window| window == b"ewallet/payment-plaintext/v2")
        );
    }
    // A proof larger than its bound does not decode.
    let oversized = PaymentPlaintext {
        passkey: Some(PasskeyProof::Assert(PaymentAssertion {
            credential_id: vec![3; 16],
            authenticator_data: vec![4; 37],
            client_data_json: vec![b'x'; CLIENT_DATA_BYTES_MAX + 1],
            signature: vec![5; 72],
        })),
        ..sample_plaintext(&quote)
    };
    assert!(PaymentPlaintext::decode(&oversized.encode()).is_err());
    // The largest plaintext (every field at its bound) still seals.
    let largest = PaymentPlaintext {
        passkey: Some(PasskeyProof::Assert(PaymentAssertion {
            credential_id: vec![3; crate::assertion::CREDENTIAL_ID_BYTES_MAX],
            authenticator_data: vec![4; crate::assertion::AUTHENTICATOR_DATA_BYTES_MAX],
            client_data_json: vec![b'x'; CLIENT_DATA_BYTES_MAX],
            signature: vec![5; crate::assertion::SIGNATURE_BYTES_MAX],
        })),
        card: CardDetails {
            holder_name: "\u{1d11e}".repeat(crate::card::CARDHOLDER_NAME_CHARS_MAX),
            ..sample_plaintext(&quote).card
        },
        binding: crate::seal::PaymentBinding {
            payment_id: "p".repeat(64),
            merchant_id: "m".repeat(64),
            attempt_id: "a".repeat(64),
            ..sample_plaintext(&quote).binding
        },
    };
    let sealed = seal_payment(&largest, &public, &mut TestRng::new(4)).unwrap();
    assert_eq!(gateway.open(&sealed).unwrap(), largest);
}

/// The encapsulation `seal_payment` makes from `rng`'s first 32 bytes:
/// the `hpke` crate's key pair from them, and X25519 computed on its own.
fn encapsulation_like_hpke(rng: &mut TestRng, recipient: [u8; 32]) -> crate::seal::Encapsulation {
    use hpke::{Kem as _, Serializable as _};
    use rand_core::Rng as _;
    let mut ikm = [0_u8; 32];
    rng.fill_bytes(&mut ikm);
    let (private, public) = hpke::kem::X25519HkdfSha256::derive_keypair(&ikm);
    let private: [u8; 32] = private.to_bytes().as_slice().try_into().unwrap();
    crate::seal::Encapsulation::new(
        recipient,
        public.to_bytes().as_slice().try_into().unwrap(),
        zeroize::Zeroizing::new(x25519_dalek::x25519(private, recipient)),
    )
}

#[test]
fn the_wallets_key_schedule_gives_rfc_9180s_own_vector() {
    // RFC 9180, appendix A.1.1: DHKEM(X25519, HKDF-SHA256), HKDF-SHA256,
    // AES-128-GCM, base mode, the first message. The wallet's suite differs
    // only in the AEAD (AES-256-GCM, for which the RFC prints no vector),
    // so the same steps run here with the vector's AEAD.
    let bytes = |text: &str| -> Vec<u8> {
        (0..text.len())
            .step_by(2)
            .map(|at| u8::from_str_radix(&text[at..at + 2], 16).unwrap())
            .collect()
    };
    let key = |text: &str| -> [u8; 32] { bytes(text).try_into().unwrap() };
    let sk_em = key("52c4a758a802cd8b936eceea314432798d5baf2d7e9235dc084ab1b9cfa2f736");
    let pk_em = key("37fda3567bdbd628e88668c3c8d7e97d1d1253b6d4ea6d44c150f741f1bf4431");
    let pk_rm = key("3948cfe0ad1ddb695d780e59077195da6c56506b027329794ab02bca80815c4d");
    assert_eq!(
        x25519_dalek::x25519(sk_em, x25519_dalek::X25519_BASEPOINT_BYTES),
        pk_em
    );
    let encapsulation = crate::seal::Encapsulation::new(
        pk_rm,
        pk_em,
        zeroize::Zeroizing::new(x25519_dalek::x25519(sk_em, pk_rm)),
    );
    let (enc, ciphertext) = crate::seal::key_schedule::seal_encapsulated::<aes_gcm::Aes128Gcm>(
        encapsulation,
        0x0001,
        &bytes("4f6465206f6e2061204772656369616e2055726e"),
        &bytes("436f756e742d30"),
        &bytes("4265617574792069732074727574682c20747275746820626561757479"),
    )
    .unwrap();
    assert_eq!(enc, pk_em);
    assert_eq!(
        ciphertext,
        bytes(
            "f938558b5d72f1a23810b4be2ab4f84331acc02fc97babc53a52ae8218a355a96d8770ac83d07bea87e13c512a"
        )
    );
}

#[test]
fn the_wallets_seal_is_the_hpke_crates_byte_for_byte() {
    // The wallet's seal takes its X25519 from WebCrypto and derives the
    // rest itself (`seal::key_schedule`): with the same ephemeral key it
    // must make exactly what the `hpke` crate makes, which the gateway opens.
    use crate::seal::{Encapsulation, seal_payment_encapsulated};
    let quote = sample_quote(1);
    let gateway = gateway_key();
    let public = gateway.public_key(u64::MAX);
    let largest_name = "\u{1d11e}".repeat(crate::card::CARDHOLDER_NAME_CHARS_MAX);
    for seed in 0..16 {
        let mut plaintext = sample_plaintext(&quote);
        if seed % 2 == 1 {
            plaintext.card.holder_name = largest_name.clone();
        }
        let by_crate = seal_payment(&plaintext, &public, &mut TestRng::new(seed)).unwrap();
        let encapsulation = encapsulation_like_hpke(&mut TestRng::new(seed), public.public_key.0);
        let ours = seal_payment_encapsulated(&plaintext, &public, encapsulation).unwrap();
        assert_eq!(ours, by_crate, "seed {seed}");
        assert_eq!(gateway.open(&ours).unwrap(), plaintext);
    }
    let plaintext = sample_plaintext(&quote);
    // Made for another key: refused, not sealed to the wrong party.
    let other = GatewayPrivateKey::derive(kid("gw-other"), &[9; 32]).public_key(u64::MAX);
    let encapsulation = encapsulation_like_hpke(&mut TestRng::new(1), other.public_key.0);
    assert_eq!(
        seal_payment_encapsulated(&plaintext, &public, encapsulation),
        Err(SealError::InvalidPublicKey)
    );
    // An all-zero shared value (a small-order key) is refused.
    let zero = Encapsulation::new(
        public.public_key.0,
        [9; 32],
        zeroize::Zeroizing::new([0; 32]),
    );
    assert_eq!(
        seal_payment_encapsulated(&plaintext, &public, zero),
        Err(SealError::InvalidPublicKey)
    );
    // A wrong shared value seals something the gateway cannot open.
    let enc = x25519_dalek::x25519([5; 32], x25519_dalek::X25519_BASEPOINT_BYTES);
    let dh = x25519_dalek::x25519([5; 32], public.public_key.0);
    let right = Encapsulation::new(public.public_key.0, enc, zeroize::Zeroizing::new(dh));
    let sealed = seal_payment_encapsulated(&plaintext, &public, right).unwrap();
    assert_eq!(gateway.open(&sealed).unwrap(), plaintext);
    let mut flipped = dh;
    flipped[0] ^= 1;
    let wrong = Encapsulation::new(public.public_key.0, enc, zeroize::Zeroizing::new(flipped));
    let sealed = seal_payment_encapsulated(&plaintext, &public, wrong).unwrap();
    assert_eq!(gateway.open(&sealed), Err(SealError::DoesNotOpen));
}

#[test]
fn sealed_payment_round_trips_and_binds_its_envelope() {
    let quote = sample_quote(1);
    let plaintext = sample_plaintext(&quote);
    let gateway = gateway_key();
    let public = gateway.public_key(u64::MAX);
    let sealed = seal_payment(&plaintext, &public, &mut TestRng::new(1)).unwrap();
    assert_eq!(sealed.payment_id, "pay_01");
    assert_eq!(sealed.quote_digest, quote.digest());
    assert_eq!(gateway.open(&sealed).unwrap(), plaintext);
    // Fresh randomness: the same payment seals differently each time.
    let again = seal_payment(&plaintext, &public, &mut TestRng::new(2)).unwrap();
    assert_ne!(again.ciphertext, sealed.ciphertext);
    // The JSON envelope holds no card digits and no CVC.
    let json = serde_json::to_string(&sealed).unwrap();
    assert!(!json.contains("4242") && !json.contains("cvc"), "{json}");
    let back: crate::seal::SealedPayment = serde_json::from_str(&json).unwrap();
    assert_eq!(gateway.open(&back).unwrap(), plaintext);
    // Owned JSON values (not only borrowed text) deserialize too.
    let value = serde_json::to_value(&sealed).unwrap();
    let from_value: crate::seal::SealedPayment = serde_json::from_value(value.clone()).unwrap();
    assert_eq!(from_value, sealed);
    // Nothing rides along unsealed: an extra field is refused.
    let mut extra = value;
    extra["card_number"] = serde_json::json!("4242424242424242");
    assert!(serde_json::from_value::<crate::seal::SealedPayment>(extra).is_err());
}

#[test]
fn every_bit_flip_of_a_sealed_payment_is_rejected() {
    let quote = sample_quote(1);
    let gateway = gateway_key();
    let sealed = seal_payment(
        &sample_plaintext(&quote),
        &gateway.public_key(u64::MAX),
        &mut TestRng::new(3),
    )
    .unwrap();
    for flipped in bit_flips(&sealed.ciphertext.0) {
        let mut tampered = sealed.clone();
        tampered.ciphertext = BoundedBytes(flipped);
        assert_eq!(gateway.open(&tampered), Err(SealError::DoesNotOpen));
    }
    for flipped in bit_flips(&sealed.enc.0) {
        let mut tampered = sealed.clone();
        tampered.enc = Bytes(flipped.try_into().unwrap());
        assert_eq!(gateway.open(&tampered), Err(SealError::DoesNotOpen));
    }
    for flipped in bit_flips(&sealed.quote_digest.0) {
        let mut tampered = sealed.clone();
        tampered.quote_digest = Bytes(flipped.try_into().unwrap());
        assert_eq!(gateway.open(&tampered), Err(SealError::DoesNotOpen));
    }
    for flipped in bit_flips(sealed.payment_id.as_bytes()) {
        let mut tampered = sealed.clone();
        tampered.payment_id = String::from_utf8_lossy(&flipped).into_owned();
        assert_eq!(gateway.open(&tampered), Err(SealError::DoesNotOpen));
    }
    let mut truncated = sealed.clone();
    truncated.ciphertext.0.pop();
    assert_eq!(gateway.open(&truncated), Err(SealError::DoesNotOpen));
    let mut extended = sealed.clone();
    extended.ciphertext.0.push(0);
    assert_eq!(gateway.open(&extended), Err(SealError::DoesNotOpen));
    let mut versioned = sealed.clone();
    versioned.version = 2;
    assert_eq!(gateway.open(&versioned), Err(SealError::UnsupportedVersion));
}

#[test]
fn a_payment_sealed_for_one_quote_fails_against_another() {
    let gateway = gateway_key();
    let public = gateway.public_key(u64::MAX);
    let for_a = seal_payment(
        &sample_plaintext(&sample_quote(1)),
        &public,
        &mut TestRng::new(4),
    )
    .unwrap();
    let mut moved = for_a.clone();
    moved.quote_digest = sample_quote(2).digest();
    assert_eq!(gateway.open(&moved), Err(SealError::DoesNotOpen));
    let mut moved = for_a;
    moved.payment_id = "pay_02".into();
    assert_eq!(gateway.open(&moved), Err(SealError::DoesNotOpen));
}

#[test]
fn wrong_and_retired_key_ids_do_not_open() {
    let gateway = gateway_key();
    let sealed = seal_payment(
        &sample_plaintext(&sample_quote(1)),
        &gateway.public_key(u64::MAX),
        &mut TestRng::new(5),
    )
    .unwrap();
    let next = GatewayPrivateKey::derive(kid("gw-2026-11-27"), &[8; 32]);
    assert_eq!(next.open(&sealed), Err(SealError::WrongKeyId));
    // A different private key under the same id cannot open it either.
    let impostor = GatewayPrivateKey::derive(kid("gw-2026-11-26"), &[9; 32]);
    assert_eq!(impostor.open(&sealed), Err(SealError::DoesNotOpen));
}

#[test]
fn oversized_sealed_payments_are_refused_when_decoded() {
    let gateway = gateway_key();
    let sealed = seal_payment(
        &sample_plaintext(&sample_quote(1)),
        &gateway.public_key(u64::MAX),
        &mut TestRng::new(6),
    )
    .unwrap();
    let mut json: serde_json::Value = serde_json::to_value(&sealed).unwrap();
    json["ciphertext"] = serde_json::Value::String("A".repeat(4000));
    assert!(serde_json::from_value::<crate::seal::SealedPayment>(json.clone()).is_err());
    json["ciphertext"] = serde_json::Value::String("!!".into());
    assert!(serde_json::from_value::<crate::seal::SealedPayment>(json).is_err());
}

#[test]
fn the_key_set_must_be_signed_by_the_gateway_root() {
    let root = SigningKeyPair::from_seed(kid("gateway-root"), &[5; 32]);
    let old = GatewayPrivateKey::derive(kid("gw-old"), &[1; 32]).public_key(1_000);
    let current = gateway_key().public_key(5_000);
    let key_set = GatewayKeySet {
        keys: vec![old.clone(), current.clone()],
        signing_keys: vec![],
        issued_at_ms: 500,
    };
    let signed = root.sign(key_set.clone());
    assert_eq!(
        current_key(&signed, &root.public_key(), 1_000, b"pay_1").unwrap(),
        current
    );
    assert_eq!(
        current_key(&signed, &root.public_key(), 5_000, b"pay_1"),
        Err(KeySetError::NoCurrentKey)
    );
    // The store or injected script swaps in its own key: refused.
    let attacker = GatewayPrivateKey::derive(kid("gw-2026-11-26"), &[66; 32]).public_key(9_999);
    let mut swapped = signed.clone();
    swapped.body.keys[1] = attacker;
    assert!(matches!(
        current_key(&swapped, &root.public_key(), 900, b"pay_1"),
        Err(KeySetError::Signature(SignatureError::BadSignature))
    ));
    let self_signed = SigningKeyPair::from_seed(kid("gateway-root"), &[6; 32]).sign(key_set);
    assert!(current_key(&self_signed, &root.public_key(), 900, b"pay_1").is_err());
}

#[test]
fn the_key_set_certifies_one_key_per_purpose() {
    // Goal: authorizations and payment events are checked against keys
    // the long-term key certified, each for its own purpose only. Method:
    // certify one key of each purpose, read them back, then tamper.
    use crate::keyset::{
        AUTHORIZATION_KEY_PURPOSE, CertifiedKey, PAYMENT_EVENT_KEY_PURPOSE, certified_keys,
    };
    let root = SigningKeyPair::from_seed(kid("gateway-root"), &[5; 32]);
    let authorizer = SigningKeyPair::from_seed(kid("gw-authorization-1"), &[7; 32]);
    let notifier = SigningKeyPair::from_seed(kid("gw-payment-event-1"), &[8; 32]);
    let certify = |purpose: &str, pair: &SigningKeyPair| CertifiedKey {
        purpose: purpose.to_owned(),
        kid: pair.public_key().kid,
        public_key: pair.public_key().key,
    };
    let signed = root.sign(GatewayKeySet {
        keys: vec![gateway_key().public_key(9_000)],
        signing_keys: vec![
            certify(AUTHORIZATION_KEY_PURPOSE, &authorizer),
            certify(PAYMENT_EVENT_KEY_PURPOSE, &notifier),
        ],
        issued_at_ms: 1_000,
    });
    let authorization_keys = certified_keys(
        &signed,
        &root.public_key(),
        AUTHORIZATION_KEY_PURPOSE,
        1_500,
    )
    .unwrap();
    assert_eq!(authorization_keys, vec![authorizer.public_key()]);
    let event_keys = certified_keys(
        &signed,
        &root.public_key(),
        PAYMENT_EVENT_KEY_PURPOSE,
        1_500,
    )
    .unwrap();
    assert_eq!(event_keys, vec![notifier.public_key()]);
    // A key swapped into the set breaks the long-term key's signature.
    let mut swapped = signed.clone();
    swapped.body.signing_keys[0].public_key = notifier.public_key().key;
    assert!(
        certified_keys(
            &swapped,
            &root.public_key(),
            AUTHORIZATION_KEY_PURPOSE,
            1_500
        )
        .is_err()
    );
    // Certified, but only for its purpose: the event key is no authorizer.
    let record = sample_authorization();
    assert!(
        authorizer
            .sign(record.clone())
            .verify_with_any(&authorization_keys)
            .is_ok()
    );
    let by_notifier = notifier.sign(record);
    assert!(by_notifier.verify_with_any(&authorization_keys).is_err());
}

#[test]
fn payments_spread_over_the_current_keys_only() {
    // Goal: the wallet seals to every shard's current key about equally,
    // never to a key past its lifetime, and the same payment always to the
    // same key. Method: 400 payment ids against a set of three current keys
    // and one ended key.
    let root = SigningKeyPair::from_seed(kid("gateway-root"), &[5; 32]);
    let ended = GatewayPrivateKey::derive(kid("gw-0-ended"), &[1; 32]).public_key(1_000);
    let current: Vec<GatewayKey> = (1_u8..=3)
        .map(|shard| {
            GatewayPrivateKey::derive(kid(&format!("gw-{shard}-now")), &[shard; 32])
                .public_key(9_000)
        })
        .collect();
    let mut keys = vec![ended.clone()];
    keys.extend(current.iter().cloned());
    let signed = root.sign(GatewayKeySet {
        keys,
        signing_keys: vec![],
        issued_at_ms: 1_500,
    });
    let mut picked = std::collections::BTreeMap::new();
    for payment in 0..400 {
        let id = format!("pay_{payment}");
        let key = current_key(&signed, &root.public_key(), 2_000, id.as_bytes()).unwrap();
        assert_ne!(key, ended);
        assert_eq!(
            current_key(&signed, &root.public_key(), 2_000, id.as_bytes()).unwrap(),
            key
        );
        *picked.entry(key.kid.as_str().to_owned()).or_insert(0) += 1;
    }
    assert_eq!(picked.len(), 3, "{picked:?}");
    assert!(picked.values().all(|count| *count > 80), "{picked:?}");
}

#[test]
fn an_old_key_set_is_not_sealed_to() {
    // Goal: a key set replayed from before an emergency rotation is
    // refused. Method: the same signed set, read at its edges of age.
    use crate::keyset::{KEY_SET_AGE_MS_MAX, KEY_SET_CLOCK_SKEW_MS_MAX};
    let root = SigningKeyPair::from_seed(kid("gateway-root"), &[5; 32]);
    let issued = 1_000_000;
    let key = gateway_key().public_key(issued + 100 * KEY_SET_AGE_MS_MAX);
    let signed = root.sign(GatewayKeySet {
        keys: vec![key.clone()],
        signing_keys: vec![],
        issued_at_ms: issued,
    });
    let at = |now| current_key(&signed, &root.public_key(), now, b"pay_1");
    assert_eq!(at(issued + KEY_SET_AGE_MS_MAX), Ok(key.clone()));
    assert_eq!(at(issued + KEY_SET_AGE_MS_MAX + 1), Err(KeySetError::Stale));
    assert_eq!(at(issued - KEY_SET_CLOCK_SKEW_MS_MAX), Ok(key));
    assert_eq!(
        at(issued - KEY_SET_CLOCK_SKEW_MS_MAX - 1),
        Err(KeySetError::Stale)
    );
}

#[test]
fn vault_unlocks_with_its_password_only() {
    let mut rng = TestRng::new(7);
    let (header, key) = create_vault("correct horse battery", TEST_KDF, &mut rng).unwrap();
    let record = seal_record(&key, "card", "c1", b"secret", &mut rng).unwrap();
    let unlocked = unlock_vault(&header, "correct horse battery").unwrap();
    assert_eq!(
        &*open_record(&unlocked, "card", "c1", &record).unwrap(),
        b"secret"
    );
    assert_eq!(
        unlock_vault(&header, "correct horse batterz").unwrap_err(),
        VaultError::WrongPassword
    );
    assert_eq!(
        create_vault("short", TEST_KDF, &mut rng).unwrap_err(),
        VaultError::PasswordTooShort
    );
}

#[test]
fn changing_the_password_rewrites_only_the_header() {
    let mut rng = TestRng::new(8);
    let (header, key) = create_vault("first password", TEST_KDF, &mut rng).unwrap();
    let record = seal_record(&key, "card", "c1", b"kept", &mut rng).unwrap();
    let stronger = KdfParams {
        memory_kib: 128,
        passes: 2,
        lanes: 1,
    };
    assert!(TEST_KDF.is_weaker_than(&stronger));
    assert!(!stronger.is_weaker_than(&TEST_KDF));
    let new_header = wrap_vault_key(&key, "second password", stronger, &mut rng).unwrap();
    assert_eq!(new_header.kdf, stronger);
    assert!(unlock_vault(&new_header, "first password").is_err());
    let unlocked = unlock_vault(&new_header, "second password").unwrap();
    assert_eq!(
        &*open_record(&unlocked, "card", "c1", &record).unwrap(),
        b"kept"
    );
    // The old header still opens with the old password (a crash mid-change).
    assert!(unlock_vault(&header, "first password").is_ok());
}

#[test]
fn every_bit_flip_of_a_vault_record_or_header_is_rejected() {
    let mut rng = TestRng::new(9);
    let (header, key) = create_vault("a fine password", TEST_KDF, &mut rng).unwrap();
    let record = seal_record(&key, "card", "c1", b"4242", &mut rng).unwrap();
    for flipped in bit_flips(&record.ciphertext.0) {
        let tampered = crate::vault::SealedRecord {
            nonce: record.nonce,
            ciphertext: BoundedBytes(flipped),
        };
        assert_eq!(
            open_record(&key, "card", "c1", &tampered).unwrap_err(),
            VaultError::RecordDoesNotOpen
        );
    }
    for flipped in bit_flips(&record.nonce.0) {
        let tampered = crate::vault::SealedRecord {
            nonce: Bytes(flipped.try_into().unwrap()),
            ciphertext: record.ciphertext.clone(),
        };
        assert!(open_record(&key, "card", "c1", &tampered).is_err());
    }
    // A record moved to another id or kind does not open.
    assert!(open_record(&key, "card", "c2", &record).is_err());
    assert!(open_record(&key, "settings", "c1", &record).is_err());
    for flipped in bit_flips(&header.wrapped_key.0) {
        let mut tampered = header.clone();
        tampered.wrapped_key = Bytes(flipped.try_into().unwrap());
        assert_eq!(
            unlock_vault(&tampered, "a fine password").unwrap_err(),
            VaultError::WrongPassword
        );
    }
    for flipped in bit_flips(&header.salt.0) {
        let mut tampered = header.clone();
        tampered.salt = Bytes(flipped.try_into().unwrap());
        assert!(unlock_vault(&tampered, "a fine password").is_err());
    }
    // Weakened parameters fail rather than unlocking faster.
    let mut weakened = header.clone();
    weakened.kdf.passes = 2;
    assert!(unlock_vault(&weakened, "a fine password").is_err());
    let mut unbounded = header;
    unbounded.kdf.memory_kib = u32::MAX;
    assert_eq!(
        unlock_vault(&unbounded, "a fine password").unwrap_err(),
        VaultError::InvalidKdfParams
    );
}

#[test]
fn card_records_hold_no_cvc_and_decode_strictly() {
    let record = CardRecord {
        number: CardNumber::parse("378282246310005").unwrap(),
        expiry: Expiry::new(1, 2031).unwrap(),
        holder_name: "Ada Lovelace".into(),
        nickname: "travel".into(),
        passkey_credential: Vec::new(),
    };
    let bytes = record.encode();
    assert_eq!(CardRecord::decode(&bytes).unwrap(), record);
    let text = String::from_utf8_lossy(&bytes).to_lowercase();
    assert!(!text.contains("cvc") && !text.contains("cvv"));
    for cut in 0..bytes.len() {
        assert!(CardRecord::decode(&bytes[..cut]).is_err());
    }
    let mut longer = bytes.to_vec();
    longer.push(0);
    assert!(CardRecord::decode(&longer).is_err());
}

#[test]
fn a_passkey_opens_the_vault_key_with_its_prf_output_only() {
    // Goal: the PRF output of the enrolled credential opens the same vault
    // key; any other output, or the wrap moved to another credential or
    // salt, opens nothing; a password change's new key is wrapped for the
    // passkey without the authenticator. Method: enroll, open, tamper,
    // rewrap.
    let mut rng = TestRng::new(21);
    let (_, key) = create_vault("correct horse battery", TEST_KDF, &mut rng).unwrap();
    let record = seal_record(&key, "card", "c1", b"secret", &mut rng).unwrap();
    let prf = [7_u8; 32];
    let wrap = enroll_passkey(&key, b"credential-1", [9; 32], &prf, &mut rng).unwrap();
    let opened = unlock_with_passkey(&wrap, &prf).unwrap();
    assert_eq!(
        &*open_record(&opened, "card", "c1", &record).unwrap(),
        b"secret"
    );
    assert!(passkey_belongs_to(&key, &wrap));
    assert_eq!(
        unlock_with_passkey(&wrap, &[8; 32]).unwrap_err(),
        VaultError::WrongPassword
    );
    let mut moved = wrap.clone();
    moved.credential_id = BoundedBytes(b"credential-2".to_vec());
    assert!(unlock_with_passkey(&moved, &prf).is_err());
    let mut salted = wrap.clone();
    salted.prf_salt = Bytes([10; 32]);
    assert!(unlock_with_passkey(&salted, &prf).is_err());
    for flip in bit_flips(&wrap.wrapped_key.0).take(8) {
        let mut flipped = wrap.clone();
        flipped.wrapped_key.0.copy_from_slice(&flip);
        assert!(unlock_with_passkey(&flipped, &prf).is_err());
    }

    let (_, new_key) = create_vault("another long password", TEST_KDF, &mut rng).unwrap();
    let rewrapped = rewrap_passkey(&key, &new_key, &wrap, &mut rng).unwrap();
    let reopened = unlock_with_passkey(&rewrapped, &prf).unwrap();
    let sealed_new = seal_record(&new_key, "card", "c1", b"new", &mut rng).unwrap();
    assert_eq!(
        &*open_record(&reopened, "card", "c1", &sealed_new).unwrap(),
        b"new"
    );
    assert!(open_record(&reopened, "card", "c1", &record).is_err());
}

#[test]
fn a_wrap_forged_without_the_vault_key_or_the_prf_output_opens_nothing() {
    // Goal: someone who can write the stored header, but holds neither the
    // vault key nor the authenticator, can neither make the shopper's
    // passkey open a key of theirs nor get a password change to carry a
    // wrap of theirs. Method: forge wraps for the shopper's credential
    // with a key and a KEK of the attacker's choosing.
    let mut rng = TestRng::new(22);
    let (_, key) = create_vault("correct horse battery", TEST_KDF, &mut rng).unwrap();
    let (_, attacker_key) = create_vault("the attackers password", TEST_KDF, &mut rng).unwrap();
    let prf = [3_u8; 32];
    let genuine = enroll_passkey(&key, b"credential-1", [1; 32], &prf, &mut rng).unwrap();
    // The attacker's own wrap for the shopper's credential: without the
    // PRF output they cannot make one that the shopper's output opens.
    let forged =
        enroll_passkey(&attacker_key, b"credential-1", [1; 32], &[4; 32], &mut rng).unwrap();
    assert!(unlock_with_passkey(&forged, &prf).is_err());
    // Halves mixed from two wraps do not agree.
    let mut mixed = genuine.clone();
    mixed.kek_nonce = forged.kek_nonce;
    mixed.sealed_kek = forged.sealed_kek;
    assert!(unlock_with_passkey(&mixed, &prf).is_err());
    // A password change carries only wraps enrolled under the vault key.
    let (_, new_key) = create_vault("another long password", TEST_KDF, &mut rng).unwrap();
    assert!(!passkey_belongs_to(&key, &forged));
    assert!(rewrap_passkey(&key, &new_key, &forged, &mut rng).is_err());
    assert!(rewrap_passkey(&key, &new_key, &genuine, &mut rng).is_ok());
}

#[test]
fn a_card_record_names_its_passkey_only_when_it_has_one() {
    // Goal: a card without an enrolled passkey is stored exactly as before
    // (format v1); one with a passkey keeps its credential id (v2).
    let mut record = CardRecord {
        number: CardNumber::parse("4242424242424242").unwrap(),
        expiry: Expiry::new(12, 2030).unwrap(),
        holder_name: "Ada Lovelace".into(),
        nickname: "daily".into(),
        passkey_credential: Vec::new(),
    };
    let plain = record.encode();
    assert!(
        plain
            .windows(21)
            .any(|window| window == b"ewallet/vault-card/v1")
    );
    assert_eq!(CardRecord::decode(&plain).unwrap(), record);
    record.passkey_credential = vec![9; 32];
    let with_passkey = record.encode();
    assert!(
        with_passkey
            .windows(21)
            .any(|window| window == b"ewallet/vault-card/v2")
    );
    assert_eq!(CardRecord::decode(&with_passkey).unwrap(), record);
}

#[test]
fn an_authorization_says_passkey_only_when_the_issuer_checked_one() {
    // Goal: authorizations signed before passkeys read and verify as they
    // were (format v1, no field); one verified by passkey says so in its
    // signed bytes (v2), so it cannot be passed off as the other.
    use crate::receipt::CustomerVerification;
    use crate::sign::SignedContent;
    let by_code = sample_authorization();
    assert_eq!(
        by_code.customer_verification,
        CustomerVerification::CardCode
    );
    let json = serde_json::to_value(&by_code).unwrap();
    assert!(json.get("customer_verification").is_none(), "{json}");
    let back: AuthorizationRecord = serde_json::from_value(json).unwrap();
    assert_eq!(back, by_code);
    assert!(
        by_code
            .canonical_bytes()
            .windows(24)
            .any(|window| window == b"ewallet/authorization/v1")
    );
    let by_passkey = AuthorizationRecord {
        customer_verification: CustomerVerification::Passkey,
        ..sample_authorization()
    };
    let bytes = by_passkey.canonical_bytes();
    assert!(
        bytes
            .windows(24)
            .any(|window| window == b"ewallet/authorization/v2")
    );
    assert!(bytes.ends_with(b"passkey"));
    assert_eq!(
        serde_json::to_value(&by_passkey).unwrap()["customer_verification"],
        "passkey"
    );
}
