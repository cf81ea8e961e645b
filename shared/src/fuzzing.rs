//! The decoders' fuzz targets, shared by `shared/fuzz` (cargo fuzz, run by
//! `cargo xtask fuzz`) and by the unit test that replays the saved corpus.
//! Each target feeds arbitrary bytes to every decoder of one input kind and
//! checks only that the result is an error or a value, never a panic, and
//! that what decodes also re-encodes to something that decodes the same.

use crate::card::{Brand, CardNumber, Cvc, Expiry};
use crate::keyset::GatewayKeySet;
use crate::money::{Currency, Money};
use crate::quote::Quote;
use crate::receipt::Receipt;
use crate::seal::{GatewayPrivateKey, PaymentPlaintext, SealedPayment};
use crate::sign::{KeyId, PublicKey, Signed, SigningKeyPair};
use crate::vault::{CardRecord, SealedRecord, VaultHeader};

/// A fuzz target: arbitrary bytes in, no panic out.
pub type Target = fn(&[u8]);

/// The fuzz targets by name (also the corpus directory names).
pub const TARGETS: [(&str, Target); 4] = [
    ("sealed_payment", sealed_payment),
    ("plaintexts", plaintexts),
    ("text_inputs", text_inputs),
    ("signed_documents", signed_documents),
];

fn fixed_gateway_key() -> Option<GatewayPrivateKey> {
    KeyId::new("gw-fuzz")
        .ok()
        .map(|kid| GatewayPrivateKey::derive(kid, &[1; 32]))
}

fn fixed_public_key() -> Option<PublicKey> {
    KeyId::new("k-fuzz")
        .ok()
        .map(|kid| SigningKeyPair::from_seed(kid, &[2; 32]).public_key())
}

/// A sealed payment's JSON envelope, then an attempt to open it.
pub fn sealed_payment(bytes: &[u8]) {
    if let (Ok(sealed), Some(key)) = (
        serde_json::from_slice::<SealedPayment>(bytes),
        fixed_gateway_key(),
    ) {
        let _ = key.open(&sealed);
    }
}

/// The canonical plaintexts: sealed payment and vault card record.
pub fn plaintexts(bytes: &[u8]) {
    let _ = PaymentPlaintext::decode(bytes);
    if let Ok(record) = CardRecord::decode(bytes) {
        let again = CardRecord::decode(&record.encode());
        assert_eq!(again.ok(), Some(record), "a card record must re-encode");
    }
}

/// What a shopper types: card number, expiry, CVC, amounts.
pub fn text_inputs(bytes: &[u8]) {
    let Ok(text) = core::str::from_utf8(bytes) else {
        return;
    };
    if let Ok(number) = CardNumber::parse(text) {
        let _ = Cvc::parse(text, number.brand());
        let _ = number.masked();
    }
    let _ = Brand::detect(text);
    let _ = Expiry::parse(text);
    for currency in Currency::ALL {
        if let Ok(money) = Money::parse(text, currency) {
            let again = Money::parse(&money.amount_string(), currency);
            assert_eq!(again, Ok(money), "an amount must re-parse");
        }
    }
}

/// Signed documents and vault headers in JSON, verified when they parse.
pub fn signed_documents(bytes: &[u8]) {
    let key = fixed_public_key();
    if let (Ok(signed), Some(key)) = (serde_json::from_slice::<Signed<Quote>>(bytes), key.as_ref())
    {
        let _ = signed.verify(key);
        let _ = signed.body.digest();
    }
    if let (Ok(signed), Some(key)) = (
        serde_json::from_slice::<Signed<Receipt>>(bytes),
        key.as_ref(),
    ) {
        let _ = signed.verify(key);
    }
    if let (Ok(signed), Some(key)) = (
        serde_json::from_slice::<Signed<GatewayKeySet>>(bytes),
        key.as_ref(),
    ) {
        let _ = crate::keyset::current_key(&signed, key, 0, bytes);
    }
    let _ = serde_json::from_slice::<VaultHeader>(bytes);
    let _ = serde_json::from_slice::<SealedRecord>(bytes);
}
