//! Ed25519 signatures with domain separation.
//!
//! What is signed is never the content alone but
//! `canonical("ewallet/signature/v1", purpose label, key id, content bytes)`,
//! so a signature made for one purpose (a quote) can never pass as another
//! (a receipt, a key set), and a signature names the key that made it. Each
//! purpose has its own key. Verification uses `verify_strict` (no
//! malleable or small-order-key signatures).

use core::fmt;

use ed25519_dalek::Signer;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::encoding::{Bytes, CanonicalWriter};

const SIGNATURE_LABEL: &str = "ewallet/signature/v1";

/// The longest key id, in bytes.
pub const KEY_ID_CHARS_MAX: usize = 64;

/// Why a signature or key was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("key id must be 1 to 64 characters of letters, digits, '.', '_' or '-'")]
    InvalidKeyId,
    #[error("signature was made with another key")]
    UnknownKeyId,
    #[error("signature does not verify")]
    BadSignature,
    #[error("public key is not a valid Ed25519 key")]
    InvalidPublicKey,
}

/// What a signature is for. Each purpose has its own label and its own key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// The store's quote to the shopper.
    Quote,
    /// The gateway's record of an approved payment.
    Authorization,
    /// The store's receipt to the shopper.
    Receipt,
    /// The gateway's published set of encryption keys.
    GatewayKeySet,
    /// The gateway's notice to a merchant of what happened to a payment.
    PaymentEvent,
}

impl Purpose {
    pub const fn label(self) -> &'static str {
        match self {
            Purpose::Quote => "quote",
            Purpose::Authorization => "authorization",
            Purpose::Receipt => "receipt",
            Purpose::GatewayKeySet => "gateway-key-set",
            Purpose::PaymentEvent => "payment-event",
        }
    }
}

/// Content that can be signed: it knows its purpose and canonical bytes.
pub trait SignedContent {
    const PURPOSE: Purpose;
    fn canonical_bytes(&self) -> Vec<u8>;
}

/// A key id: 1–64 characters of `[A-Za-z0-9._-]`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct KeyId(String);

impl KeyId {
    pub fn new(text: &str) -> Result<KeyId, SignatureError> {
        let valid = !text.is_empty()
            && text.len() <= KEY_ID_CHARS_MAX
            && text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
        if valid {
            Ok(KeyId(text.to_owned()))
        } else {
            Err(SignatureError::InvalidKeyId)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for KeyId {
    type Error = SignatureError;
    fn try_from(text: String) -> Result<KeyId, SignatureError> {
        KeyId::new(&text)
    }
}

impl From<KeyId> for String {
    fn from(kid: KeyId) -> String {
        kid.0
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A signing key with its id. The seed is a secret; it is zeroized on drop.
pub struct SigningKeyPair {
    kid: KeyId,
    key: ed25519_dalek::SigningKey,
}

impl SigningKeyPair {
    /// Derives the key from a 32-byte seed (RFC 8032 secret key).
    pub fn from_seed(kid: KeyId, seed: &[u8; 32]) -> SigningKeyPair {
        SigningKeyPair {
            kid,
            key: ed25519_dalek::SigningKey::from_bytes(seed),
        }
    }

    /// A fresh random key.
    pub fn generate(kid: KeyId, rng: &mut impl rand_core::CryptoRng) -> SigningKeyPair {
        let mut seed = Zeroizing::new([0_u8; 32]);
        rng.fill_bytes(seed.as_mut());
        SigningKeyPair::from_seed(kid, &seed)
    }

    pub fn kid(&self) -> &KeyId {
        &self.kid
    }

    pub fn public_key(&self) -> PublicKey {
        PublicKey {
            kid: self.kid.clone(),
            key: Bytes(self.key.verifying_key().to_bytes()),
        }
    }

    /// Signs `content` for its purpose.
    pub fn sign<T: SignedContent>(&self, content: T) -> Signed<T> {
        let input = signing_input(T::PURPOSE, &self.kid, &content.canonical_bytes());
        let signature = self.key.sign(&input);
        Signed {
            body: content,
            signature: Signature {
                kid: self.kid.clone(),
                value: Bytes(signature.to_bytes()),
            },
        }
    }
}

impl fmt::Debug for SigningKeyPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SigningKeyPair({}, secret hidden)", self.kid)
    }
}

/// A public verification key with its id, as published.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicKey {
    pub kid: KeyId,
    pub key: Bytes<32>,
}

impl PublicKey {
    fn verifying_key(&self) -> Result<ed25519_dalek::VerifyingKey, SignatureError> {
        ed25519_dalek::VerifyingKey::from_bytes(&self.key.0)
            .map_err(|_| SignatureError::InvalidPublicKey)
    }
}

/// A signature and the id of the key that made it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Signature {
    pub kid: KeyId,
    pub value: Bytes<64>,
}

/// Content together with its signature.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Signed<T> {
    pub body: T,
    pub signature: Signature,
}

impl<T: SignedContent> Signed<T> {
    /// Verifies with `key`, which must be the key the signature names.
    pub fn verify(&self, key: &PublicKey) -> Result<&T, SignatureError> {
        if self.signature.kid != key.kid {
            return Err(SignatureError::UnknownKeyId);
        }
        let verifying_key = key.verifying_key()?;
        let input = signing_input(T::PURPOSE, &key.kid, &self.body.canonical_bytes());
        let signature = ed25519_dalek::Signature::from_bytes(&self.signature.value.0);
        verifying_key
            .verify_strict(&input, &signature)
            .map_err(|_| SignatureError::BadSignature)?;
        Ok(&self.body)
    }

    /// Verifies with whichever of `keys` the signature names.
    pub fn verify_with_any(&self, keys: &[PublicKey]) -> Result<&T, SignatureError> {
        let key = keys
            .iter()
            .find(|key| key.kid == self.signature.kid)
            .ok_or(SignatureError::UnknownKeyId)?;
        self.verify(key)
    }
}

/// The exact bytes an Ed25519 signature covers.
pub fn signing_input(purpose: Purpose, kid: &KeyId, content: &[u8]) -> Vec<u8> {
    CanonicalWriter::new(SIGNATURE_LABEL)
        .text(purpose.label())
        .text(kid.as_str())
        .bytes(content)
        .finish()
}
