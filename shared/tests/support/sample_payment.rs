//! One payment's plaintext, the same wherever the tests and benchmarks
//! seal one (`shared`'s and `wallet-web`'s, which include this file).

use shared::card::{Brand, CardNumber, Cvc, Expiry};
use shared::encoding::Bytes;
use shared::money::{Currency, Money};
use shared::seal::{CardDetails, PaymentBinding, PaymentPlaintext};

pub fn sample_payment() -> PaymentPlaintext {
    PaymentPlaintext {
        card: CardDetails {
            number: CardNumber::parse("4242424242424242").unwrap(),
            expiry: Expiry::new(8, 2030).unwrap(),
            cvc: Cvc::parse("123", Brand::Visa).unwrap(),
            holder_name: "Ada Lovelace".into(),
        },
        binding: PaymentBinding {
            payment_id: "pay_0123456789abcdef0123456789abcdef".into(),
            merchant_id: "m_teashop".into(),
            amount: Money::parse("36.22", Currency::Usd).unwrap(),
            quote_digest: Bytes([0xa5; 32]),
            attempt_id: "att_0123456789abcdef".into(),
            created_at_ms: 1_800_000_000_000,
        },
        passkey: None,
    }
}
