//! Interoperability of the sealed payment with an independent RFC 9180
//! implementation: pyhpke, on pyca/cryptography (OpenSSL), driven through
//! `interop/hpke_pyca.py`, which follows ARCHITECTURE.md's byte layout.
//! Goal: the documented format is exact, and what another library seals the
//! gateway opens (and the other way round). Method: seal on one side, open
//! on the other, compare every field.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::{Value, json};
use shared::card::{Brand, CardNumber, Cvc, Expiry};
use shared::encoding::Bytes;
use shared::money::{Currency, Money};
use shared::rand_core::UnwrapErr;
use shared::seal::{
    CardDetails, GatewayPrivateKey, PaymentBinding, PaymentPlaintext, SealedPayment, seal_payment,
};
use shared::sign::KeyId;

const IKM: [u8; 32] = [42; 32];
const KID: &str = "gw-interop";

fn python(request: &Value) -> Value {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/interop/hpke_pyca.py");
    let mut child = Command::new("python3")
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run python3");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(request.to_string().as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "hpke_pyca.py failed (is pyhpke installed? `cargo xtask setup --browser`): {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

fn payment(amex: bool) -> PaymentPlaintext {
    let (number, cvc, brand) = if amex {
        ("378282246310005", "1234", Brand::Amex)
    } else {
        ("5555555555554444", "737", Brand::Mastercard)
    };
    PaymentPlaintext {
        card: CardDetails {
            number: CardNumber::parse(number).unwrap(),
            expiry: Expiry::new(3, 2031).unwrap(),
            cvc: Cvc::parse(cvc, brand).unwrap(),
            holder_name: "Zoë Ünal-Smith".into(),
        },
        binding: PaymentBinding {
            payment_id: "pay_7f3a".into(),
            merchant_id: "m_teashop".into(),
            amount: Money::parse("1250", Currency::Jpy).unwrap(),
            quote_digest: Bytes([0xa5; 32]),
            attempt_id: "att_2".into(),
            created_at_ms: 1_790_000_000_123,
        },
        passkey: None,
    }
}

fn as_json(payment: &PaymentPlaintext) -> Value {
    json!({
        "card_number": payment.card.number.reveal_digits(),
        "expiry_month": payment.card.expiry.month(),
        "expiry_year": payment.card.expiry.year(),
        "cvc": payment.card.cvc.reveal_digits(),
        "holder_name": payment.card.holder_name,
        "payment_id": payment.binding.payment_id,
        "merchant_id": payment.binding.merchant_id,
        "amount": payment.binding.amount.amount_string(),
        "currency": payment.binding.amount.currency().code(),
        "quote_digest": payment.binding.quote_digest.to_base64url(),
        "attempt_id": payment.binding.attempt_id,
        "created_at_ms": payment.binding.created_at_ms,
    })
}

#[test]
fn what_we_seal_another_hpke_library_opens() {
    let gateway = GatewayPrivateKey::derive(KeyId::new(KID).unwrap(), &IKM);
    for amex in [false, true] {
        let plaintext = payment(amex);
        let sealed = seal_payment(
            &plaintext,
            &gateway.public_key(u64::MAX),
            &mut UnwrapErr(getrandom::SysRng),
        )
        .unwrap();
        let opened = python(&json!({"op": "open", "ikm": hex(&IKM), "sealed": sealed}));
        assert_eq!(opened, as_json(&plaintext));
    }
}

#[test]
fn what_another_hpke_library_seals_the_gateway_opens() {
    let gateway = GatewayPrivateKey::derive(KeyId::new(KID).unwrap(), &IKM);
    for amex in [false, true] {
        let plaintext = payment(amex);
        let sealed = python(
            &json!({"op": "seal", "ikm": hex(&IKM), "kid": KID, "payment": as_json(&plaintext)}),
        );
        let sealed: SealedPayment = serde_json::from_value(sealed).unwrap();
        assert_eq!(gateway.open(&sealed).unwrap(), plaintext);
        // And a tampered envelope from the other library is refused too.
        let mut tampered = sealed.clone();
        tampered.payment_id = "pay_other".into();
        assert!(gateway.open(&tampered).is_err());
    }
}
