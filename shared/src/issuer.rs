//! The demo issuer's card-data derivations, pure so that the issuer (in the
//! worker), its card printer (`cargo xtask cards`) and the tests agree.
//!
//! - The card registry is keyed by `HMAC-SHA256(card key, card number)`, so
//!   the issuer can find a card without storing its number.
//! - The CVC is derived the way issuers derive CVV2: from a secret issuer
//!   key, the card number and the expiry, truncated to 3 (4 for Amex)
//!   decimal digits. Nothing is stored that could leak it.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::card::{CardNumber, Cvc, Expiry};
use crate::encoding::{CanonicalWriter, to_base64url};

const CARD_KEY_LABEL: &str = "ewallet/issuer-card-key/v1";
const CVC_LABEL: &str = "ewallet/issuer-cvc/v1";
const REQUEST_LABEL: &str = "ewallet/issuer-authorization-request/v1";

fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = match Hmac::<Sha256>::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => return [0; 32],
    };
    mac.update(message);
    mac.finalize().into_bytes().into()
}

/// The registry key of a card: base64url(HMAC-SHA256(card key, number)).
pub fn card_registry_key(card_key: &[u8], number: &CardNumber) -> String {
    let message = CanonicalWriter::new(CARD_KEY_LABEL)
        .text(number.reveal_digits())
        .finish();
    to_base64url(&hmac_sha256(card_key, &message))
}

/// The CVC printed on a card: the first 8 bytes of
/// HMAC-SHA256(cvc key, number ‖ expiry) as a number, modulo 10^digits.
pub fn derive_cvc(cvc_key: &[u8], number: &CardNumber, expiry: &Expiry) -> Cvc {
    let message = CanonicalWriter::new(CVC_LABEL)
        .text(number.reveal_digits())
        .u32(u32::from(expiry.month()))
        .u32(u32::from(expiry.year()))
        .finish();
    let mac = hmac_sha256(cvc_key, &message);
    let mut head = [0_u8; 8];
    head.copy_from_slice(&mac[..8]);
    let digits = number.brand().cvc_digits();
    let modulus = 10_u64.pow(digits as u32);
    let text = format!(
        "{:0width$}",
        u64::from_be_bytes(head) % modulus,
        width = digits
    );
    // The text has exactly the brand's digit count, so it parses.
    match Cvc::parse(&text, number.brand()) {
        Ok(cvc) => cvc,
        Err(_) => Cvc::zeroes(number.brand()),
    }
}

/// Checks a presented CVC against the derived one, in constant time.
pub fn cvc_matches(cvc_key: &[u8], number: &CardNumber, expiry: &Expiry, presented: &Cvc) -> bool {
    let expected = derive_cvc(cvc_key, number, expiry);
    let (left, right) = (
        expected.reveal_digits().as_bytes(),
        presented.reveal_digits().as_bytes(),
    );
    left.len() == right.len()
        && left
            .iter()
            .zip(right)
            .fold(0_u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

/// What one authorization request asked, as a keyed digest the issuer
/// stores beside the authorization id: the same id presented with another
/// card, code, amount or merchant is a different request, and is refused.
/// Keyed (the card key), so the stored digest reveals no CVC.
pub struct AuthorizationRequest<'a> {
    pub number: &'a CardNumber,
    pub expiry: &'a Expiry,
    pub cvc: &'a Cvc,
    pub amount_minor: i64,
    pub currency: &'a str,
    pub merchant_id: &'a str,
}

pub fn authorization_request_digest(card_key: &[u8], request: &AuthorizationRequest<'_>) -> String {
    let message = CanonicalWriter::new(REQUEST_LABEL)
        .text(request.number.reveal_digits())
        .u32(u32::from(request.expiry.month()))
        .u32(u32::from(request.expiry.year()))
        .text(request.cvc.reveal_digits())
        .u64(request.amount_minor.unsigned_abs())
        .text(request.currency)
        .text(request.merchant_id)
        .finish();
    to_base64url(&hmac_sha256(card_key, &message))
}

/// HMAC-SHA256 itself, exposed for its published test vector.
#[cfg(test)]
pub(crate) fn hmac_for_test(key: &[u8], message: &[u8]) -> [u8; 32] {
    hmac_sha256(key, message)
}
