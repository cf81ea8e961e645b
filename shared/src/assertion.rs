//! The issuer's check of a payment confirmed with a passkey: a WebAuthn
//! assertion whose challenge is the digest of the payment's binding (what
//! is paid, to whom, for which quote, in which attempt), so an assertion
//! made for one payment, amount or attempt confirms no other. Checked:
//! the client data (a `webauthn.get` for exactly this challenge, from an
//! expected origin, not cross-origin), the authenticator data (the relying
//! party's id hash, user present and user verified, a signature counter
//! that moved on) and the ES256 signature over both, by the public key the
//! issuer enrolled for the card. ECDSA and the key's SPKI encoding come
//! from RustCrypto's `p256`; nothing here parses CBOR (an assertion's
//! authenticator data is a fixed layout; extension data after it is not
//! read).

use p256::ecdsa::signature::Verifier;
use p256::ecdsa::{Signature, VerifyingKey};
use p256::pkcs8::DecodePublicKey;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::encoding::{CanonicalWriter, to_base64url};
use crate::seal::PaymentBinding;

const PAYMENT_CHALLENGE_LABEL: &str = "ewallet/payment-challenge/v1";

/// Bounds on a payment passkey's parts, in bytes: the one set the sealed
/// payment's decoder, the wallet and this check all use. Together with the
/// card and the binding they fit `seal::SEALED_CIPHERTEXT_BYTES_MAX`.
pub const CREDENTIAL_ID_BYTES_MAX: usize = 255;
pub const PUBLIC_KEY_BYTES_MAX: usize = 128;
pub const AUTHENTICATOR_DATA_BYTES_MAX: usize = 256;
pub const CLIENT_DATA_BYTES_MAX: usize = 768;
pub const SIGNATURE_BYTES_MAX: usize = 80;

/// The authenticator data's fixed part: the relying party's id hash (32),
/// the flags (1) and the signature counter (4).
const AUTHENTICATOR_DATA_FIXED: usize = 37;
const FLAG_USER_PRESENT: u8 = 0x01;
const FLAG_USER_VERIFIED: u8 = 0x04;

/// The challenge a payment's assertion must sign: SHA-256 of
/// `str("ewallet/payment-challenge/v1") ‖ str(payment_id) ‖ str(merchant_id)
/// ‖ str(amount) ‖ str(currency) ‖ bin(quote_digest) ‖ str(attempt_id)`.
pub fn payment_challenge(binding: &PaymentBinding) -> [u8; 32] {
    let bytes = CanonicalWriter::new(PAYMENT_CHALLENGE_LABEL)
        .text(&binding.payment_id)
        .text(&binding.merchant_id)
        .text(&binding.amount.amount_string())
        .text(binding.amount.currency().code())
        .bytes(&binding.quote_digest.0)
        .text(&binding.attempt_id)
        .finish();
    Sha256::digest(&bytes).into()
}

/// Whether `public_key` (SPKI DER) is a P-256 key an assertion could be
/// checked with: the issuer enrolls no other.
pub fn public_key_is_usable(public_key: &[u8]) -> bool {
    public_key.len() <= PUBLIC_KEY_BYTES_MAX
        && VerifyingKey::from_public_key_der(public_key).is_ok()
}

/// A WebAuthn assertion as the wallet seals it with a payment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaymentAssertion {
    pub credential_id: Vec<u8>,
    pub authenticator_data: Vec<u8>,
    pub client_data_json: Vec<u8>,
    /// ASN.1 DER, as WebAuthn gives ES256 signatures.
    pub signature: Vec<u8>,
}

/// Where assertions may come from: the relying party's id (the wallet's
/// domain).
pub struct RelyingParty<'a> {
    pub id: &'a str,
}

impl RelyingParty<'_> {
    /// Whether `origin` is one of the relying party's pages: `https://` its
    /// id, on any port; `http://` too for `localhost` (a browser's secure
    /// context without TLS). Nothing else: no other host, no path.
    pub fn owns_origin(&self, origin: &str) -> bool {
        let rest = match origin.strip_prefix("https://") {
            Some(rest) => rest,
            None if self.id == "localhost" => match origin.strip_prefix("http://") {
                Some(rest) => rest,
                None => return false,
            },
            None => return false,
        };
        let (host, port) = match rest.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (rest, None),
        };
        host == self.id
            && port.is_none_or(|port| {
                !port.is_empty() && port.len() <= 5 && port.bytes().all(|b| b.is_ascii_digit())
            })
    }
}

/// Why an assertion does not confirm the payment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AssertionError {
    #[error("the assertion is malformed")]
    Malformed,
    #[error("the client data is not a WebAuthn assertion")]
    NotAnAssertion,
    #[error("the assertion was made for another payment")]
    WrongChallenge,
    #[error("the assertion comes from an unexpected origin")]
    WrongOrigin,
    #[error("the assertion is for another relying party")]
    WrongRelyingParty,
    #[error("the user was not present")]
    UserNotPresent,
    #[error("the user was not verified")]
    UserNotVerified,
    #[error("the enrolled public key is not a P-256 key")]
    BadPublicKey,
    #[error("the signature does not verify")]
    BadSignature,
    #[error("the signature counter did not move on: a replay or a cloned authenticator")]
    CounterNotAdvanced,
}

#[derive(Deserialize)]
struct ClientData {
    #[serde(rename = "type")]
    kind: String,
    challenge: String,
    origin: String,
    #[serde(rename = "crossOrigin", default)]
    cross_origin: bool,
}

/// Checks `assertion` against the card's enrolled `public_key` (SPKI DER),
/// the payment's `challenge` and the relying party; answers the signature
/// counter to store. `stored_count` is the counter last seen: a new one
/// must be greater, unless the authenticator keeps none (both zero).
pub fn verify_payment_assertion(
    assertion: &PaymentAssertion,
    public_key: &[u8],
    challenge: &[u8; 32],
    relying_party: &RelyingParty<'_>,
    stored_count: u32,
) -> Result<u32, AssertionError> {
    let too_long = assertion.credential_id.len() > CREDENTIAL_ID_BYTES_MAX
        || assertion.authenticator_data.len() > AUTHENTICATOR_DATA_BYTES_MAX
        || assertion.client_data_json.len() > CLIENT_DATA_BYTES_MAX
        || assertion.signature.len() > SIGNATURE_BYTES_MAX
        || public_key.len() > PUBLIC_KEY_BYTES_MAX;
    if too_long {
        return Err(AssertionError::Malformed);
    }
    // The signature first: nothing else is believed before it verifies.
    let key =
        VerifyingKey::from_public_key_der(public_key).map_err(|_| AssertionError::BadPublicKey)?;
    let signature =
        Signature::from_der(&assertion.signature).map_err(|_| AssertionError::BadSignature)?;
    let mut signed = assertion.authenticator_data.clone();
    signed.extend_from_slice(&Sha256::digest(&assertion.client_data_json));
    key.verify(&signed, &signature)
        .map_err(|_| AssertionError::BadSignature)?;

    let client: ClientData = serde_json::from_slice(&assertion.client_data_json)
        .map_err(|_| AssertionError::Malformed)?;
    if client.kind != "webauthn.get" {
        return Err(AssertionError::NotAnAssertion);
    }
    if client.challenge != to_base64url(challenge) {
        return Err(AssertionError::WrongChallenge);
    }
    if client.cross_origin || !relying_party.owns_origin(&client.origin) {
        return Err(AssertionError::WrongOrigin);
    }
    let data = &assertion.authenticator_data;
    if data.len() < AUTHENTICATOR_DATA_FIXED {
        return Err(AssertionError::Malformed);
    }
    let (rp_id_hash, rest) = data.split_at(32);
    if rp_id_hash != Sha256::digest(relying_party.id.as_bytes()).as_slice() {
        return Err(AssertionError::WrongRelyingParty);
    }
    let flags = rest[0];
    if flags & FLAG_USER_PRESENT == 0 {
        return Err(AssertionError::UserNotPresent);
    }
    if flags & FLAG_USER_VERIFIED == 0 {
        return Err(AssertionError::UserNotVerified);
    }
    let count = u32::from_be_bytes([rest[1], rest[2], rest[3], rest[4]]);
    if count == 0 && stored_count == 0 {
        return Ok(0);
    }
    if count > stored_count {
        Ok(count)
    } else {
        Err(AssertionError::CounterNotAdvanced)
    }
}
