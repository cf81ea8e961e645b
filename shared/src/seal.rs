//! The sealed payment: card data encrypted in the browser to the gateway's
//! public key, so that the store forwards it without being able to read it.
//!
//! HPKE (RFC 9180) base mode, DHKEM(X25519, HKDF-SHA256), HKDF-SHA256,
//! AES-256-GCM, single shot, `info` = [`HPKE_INFO`]. The plaintext holds the
//! card and the *binding* (payment id, merchant, amount, currency, quote
//! digest, attempt id, created-at); the associated data binds the envelope's
//! visible fields (format version, key id, payment id, quote digest). The
//! store can therefore check that a sealed payment belongs to its quote
//! without reading it, and the gateway checks the amount the shopper agreed
//! to. ARCHITECTURE.md documents the byte layout exactly.

use hpke::aead::AesGcm256;
use hpke::kdf::HkdfSha256;
use hpke::kem::X25519HkdfSha256;
use hpke::{Deserializable, Kem as _, OpModeR, OpModeS, Serializable};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::assertion;
use crate::card::{CardError, CardNumber, Cvc, Expiry, check_holder_name};
use crate::encoding::{BoundedBytes, Bytes, CanonicalReader, CanonicalWriter, DecodeError};
use crate::keyset::GatewayKey;
use crate::money::{Currency, Money};
use crate::quote::QuoteDigest;
use crate::sign::KeyId;

pub(crate) mod key_schedule;

pub use key_schedule::{Encapsulation, X25519_BYTES};

/// The envelope format version.
pub const SEALED_PAYMENT_VERSION: u32 = 1;

/// HPKE `info`: names the product, the purpose and the format version.
pub const HPKE_INFO: &[u8] = b"ewallet sealed payment v1";

const PLAINTEXT_LABEL: &str = "ewallet/payment-plaintext/v1";
/// The plaintext with a passkey proof after the payment's fields.
const PLAINTEXT_WITH_PASSKEY_LABEL: &str = "ewallet/payment-plaintext/v2";
const AAD_LABEL: &str = "ewallet/sealed-payment-aad/v1";

/// Bounds on the fields of the binding, in bytes.
pub const PAYMENT_ID_BYTES_MAX: usize = 64;
pub const MERCHANT_ID_BYTES_MAX: usize = 64;
pub const ATTEMPT_ID_BYTES_MAX: usize = 64;
const HOLDER_NAME_BYTES_MAX: usize = 256;
const DIGITS_BYTES_MAX: usize = 19;
const AMOUNT_BYTES_MAX: usize = 24;
const CURRENCY_BYTES_MAX: usize = 3;

/// The largest ciphertext accepted: room for the largest plaintext (a
/// passkey proof at its bounds, `assertion::*_BYTES_MAX`) and the tag.
pub const SEALED_CIPHERTEXT_BYTES_MAX: usize = 2048;

const PROOF_ENROLL: u32 = 1;
const PROOF_ASSERT: u32 = 2;

/// Why sealing or opening failed. No variant carries decrypted data.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    #[error("sealed payment is of an unsupported format version")]
    UnsupportedVersion,
    #[error("sealed payment names another key")]
    WrongKeyId,
    #[error("sealed payment does not open")]
    DoesNotOpen,
    #[error("sealed payment is malformed: {0}")]
    Malformed(#[from] DecodeError),
    #[error("sealed payment holds invalid card data: {0}")]
    InvalidCard(#[from] CardError),
    #[error("sealed payment holds an invalid amount")]
    InvalidAmount,
    #[error("sealed payment's inner binding differs from its envelope")]
    BindingMismatch,
    #[error("gateway public key is invalid")]
    InvalidPublicKey,
    #[error("encryption failed")]
    EncryptionFailed,
}

/// What the payment is for; the gateway checks it equals the intent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaymentBinding {
    pub payment_id: String,
    pub merchant_id: String,
    pub amount: Money,
    pub quote_digest: QuoteDigest,
    pub attempt_id: String,
    /// When the wallet sealed it, ms since the Unix epoch.
    pub created_at_ms: u64,
}

/// The card as the wallet seals it. The CVC lives only here, in memory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CardDetails {
    pub number: CardNumber,
    pub expiry: Expiry,
    pub cvc: Cvc,
    pub holder_name: String,
}

/// A passkey proof sealed with a payment, for the card's issuer: the
/// enrollment of a passkey for the card (its credential id and its public
/// key, SPKI DER), or the assertion that confirms this payment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PasskeyProof {
    Enroll {
        credential_id: Vec<u8>,
        public_key: Vec<u8>,
    },
    Assert(crate::assertion::PaymentAssertion),
}

/// Everything inside a sealed payment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaymentPlaintext {
    pub card: CardDetails,
    pub binding: PaymentBinding,
    /// A passkey proof for the issuer, if the wallet has one to give.
    pub passkey: Option<PasskeyProof>,
}

/// The sealed payment as it travels: visible envelope fields and the HPKE
/// encapsulated key and ciphertext.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SealedPayment {
    pub version: u32,
    pub kid: KeyId,
    pub payment_id: String,
    pub quote_digest: QuoteDigest,
    /// HPKE `enc`: the sender's ephemeral X25519 public key.
    pub enc: Bytes<32>,
    pub ciphertext: BoundedBytes<SEALED_CIPHERTEXT_BYTES_MAX>,
}

impl SealedPayment {
    /// The associated data: what binds the visible fields to the ciphertext.
    pub fn associated_data(&self) -> Vec<u8> {
        associated_data(
            self.version,
            &self.kid,
            &self.payment_id,
            &self.quote_digest,
        )
    }
}

fn associated_data(
    version: u32,
    kid: &KeyId,
    payment_id: &str,
    quote_digest: &QuoteDigest,
) -> Vec<u8> {
    CanonicalWriter::new(AAD_LABEL)
        .u32(version)
        .text(kid.as_str())
        .text(payment_id)
        .bytes(&quote_digest.0)
        .finish()
}

impl PaymentPlaintext {
    /// The plaintext's canonical bytes; the one place the CVC is written.
    /// Besides sealing, the gateway's keyring uses it to hand an opened
    /// payment to the payment object in memory; it is never stored.
    pub fn encode(&self) -> Zeroizing<Vec<u8>> {
        let binding = &self.binding;
        let label = match self.passkey {
            None => PLAINTEXT_LABEL,
            Some(_) => PLAINTEXT_WITH_PASSKEY_LABEL,
        };
        let mut writer = CanonicalWriter::new(label);
        writer
            .text(self.card.number.reveal_digits())
            .u32(u32::from(self.card.expiry.month()))
            .u32(u32::from(self.card.expiry.year()))
            .text(self.card.cvc.reveal_digits())
            .text(&self.card.holder_name)
            .text(&binding.payment_id)
            .text(&binding.merchant_id)
            .text(&binding.amount.amount_string())
            .text(binding.amount.currency().code())
            .bytes(&binding.quote_digest.0)
            .text(&binding.attempt_id)
            .u64(binding.created_at_ms);
        match &self.passkey {
            None => {}
            Some(PasskeyProof::Enroll {
                credential_id,
                public_key,
            }) => {
                writer
                    .u32(PROOF_ENROLL)
                    .bytes(credential_id)
                    .bytes(public_key);
            }
            Some(PasskeyProof::Assert(assertion)) => {
                writer
                    .u32(PROOF_ASSERT)
                    .bytes(&assertion.credential_id)
                    .bytes(&assertion.authenticator_data)
                    .bytes(&assertion.client_data_json)
                    .bytes(&assertion.signature);
            }
        }
        Zeroizing::new(writer.finish())
    }

    /// Decodes plaintext bytes (after decryption), strictly.
    pub fn decode(bytes: &[u8]) -> Result<PaymentPlaintext, SealError> {
        let (mut reader, with_passkey) = match CanonicalReader::new(bytes, PLAINTEXT_LABEL) {
            Ok(reader) => (reader, false),
            Err(DecodeError::WrongLabel) => (
                CanonicalReader::new(bytes, PLAINTEXT_WITH_PASSKEY_LABEL)?,
                true,
            ),
            Err(other) => return Err(other.into()),
        };
        let number = CardNumber::parse(reader.text(DIGITS_BYTES_MAX)?)?;
        let month = u8::try_from(reader.u32()?).map_err(|_| CardError::InvalidExpiry)?;
        let year = u16::try_from(reader.u32()?).map_err(|_| CardError::InvalidExpiry)?;
        let expiry = Expiry::new(month, year)?;
        let cvc = Cvc::parse(reader.text(4)?, number.brand())?;
        let holder_name = check_holder_name(reader.text(HOLDER_NAME_BYTES_MAX)?)?.to_owned();
        let payment_id = reader.text(PAYMENT_ID_BYTES_MAX)?.to_owned();
        let merchant_id = reader.text(MERCHANT_ID_BYTES_MAX)?.to_owned();
        let amount_text = reader.text(AMOUNT_BYTES_MAX)?;
        let currency = Currency::from_code(reader.text(CURRENCY_BYTES_MAX)?)
            .map_err(|_| SealError::InvalidAmount)?;
        let amount = Money::parse_non_negative(amount_text, currency)
            .map_err(|_| SealError::InvalidAmount)?;
        let quote_digest = Bytes(reader.array::<32>()?);
        let attempt_id = reader.text(ATTEMPT_ID_BYTES_MAX)?.to_owned();
        let created_at_ms = reader.u64()?;
        let passkey = if with_passkey {
            Some(match reader.u32()? {
                PROOF_ENROLL => PasskeyProof::Enroll {
                    credential_id: reader.bytes(assertion::CREDENTIAL_ID_BYTES_MAX)?.to_vec(),
                    public_key: reader.bytes(assertion::PUBLIC_KEY_BYTES_MAX)?.to_vec(),
                },
                PROOF_ASSERT => PasskeyProof::Assert(crate::assertion::PaymentAssertion {
                    credential_id: reader.bytes(assertion::CREDENTIAL_ID_BYTES_MAX)?.to_vec(),
                    authenticator_data: reader
                        .bytes(assertion::AUTHENTICATOR_DATA_BYTES_MAX)?
                        .to_vec(),
                    client_data_json: reader.bytes(assertion::CLIENT_DATA_BYTES_MAX)?.to_vec(),
                    signature: reader.bytes(assertion::SIGNATURE_BYTES_MAX)?.to_vec(),
                }),
                _ => return Err(SealError::Malformed(DecodeError::WrongLabel)),
            })
        } else {
            None
        };
        reader.finish()?;
        Ok(PaymentPlaintext {
            card: CardDetails {
                number,
                expiry,
                cvc,
                holder_name,
            },
            binding: PaymentBinding {
                payment_id,
                merchant_id,
                amount,
                quote_digest,
                attempt_id,
                created_at_ms,
            },
            passkey,
        })
    }
}

/// Seals a payment to a gateway key, the X25519 in wasm too: the wallet's
/// seal where the browser has no WebCrypto X25519, and the tests' and the
/// interoperability check's.
pub fn seal_payment(
    plaintext: &PaymentPlaintext,
    key: &GatewayKey,
    rng: &mut impl rand_core::CryptoRng,
) -> Result<SealedPayment, SealError> {
    let public_key = <X25519HkdfSha256 as hpke::Kem>::PublicKey::from_bytes(&key.public_key.0)
        .map_err(|_| SealError::InvalidPublicKey)?;
    let aad = payment_aad(plaintext, key);
    let encoded = plaintext.encode();
    let (encapped_key, ciphertext) = hpke::single_shot_seal_with_rng::<
        AesGcm256,
        HkdfSha256,
        X25519HkdfSha256,
    >(
        &OpModeS::Base, &public_key, HPKE_INFO, &encoded, &aad, rng
    )
    .map_err(|_| SealError::EncryptionFailed)?;
    let enc: [u8; X25519_BYTES] = encapped_key
        .to_bytes()
        .as_slice()
        .try_into()
        .map_err(|_| SealError::EncryptionFailed)?;
    Ok(envelope(plaintext, key, enc, ciphertext))
}

/// Seals a payment to a gateway key with an X25519 encapsulation made
/// elsewhere (the wallet's: the browser's WebCrypto, `wallet-web/src/webcrypto.rs`); the
/// same bytes [`seal_payment`] makes with that ephemeral key. Refuses an
/// encapsulation made for another key.
pub fn seal_payment_encapsulated(
    plaintext: &PaymentPlaintext,
    key: &GatewayKey,
    encapsulation: Encapsulation,
) -> Result<SealedPayment, SealError> {
    if *encapsulation.recipient() != key.public_key.0 {
        return Err(SealError::InvalidPublicKey);
    }
    let aad = payment_aad(plaintext, key);
    let (enc, ciphertext) =
        key_schedule::seal_aes_256_gcm(encapsulation, HPKE_INFO, &aad, &plaintext.encode())?;
    Ok(envelope(plaintext, key, enc, ciphertext))
}

/// The associated data of `plaintext` sealed to `key`.
fn payment_aad(plaintext: &PaymentPlaintext, key: &GatewayKey) -> Vec<u8> {
    associated_data(
        SEALED_PAYMENT_VERSION,
        &key.kid,
        &plaintext.binding.payment_id,
        &plaintext.binding.quote_digest,
    )
}

/// The sealed payment as it travels, around `enc` and `ciphertext`.
fn envelope(
    plaintext: &PaymentPlaintext,
    key: &GatewayKey,
    enc: [u8; X25519_BYTES],
    ciphertext: Vec<u8>,
) -> SealedPayment {
    SealedPayment {
        version: SEALED_PAYMENT_VERSION,
        kid: key.kid.clone(),
        payment_id: plaintext.binding.payment_id.clone(),
        quote_digest: plaintext.binding.quote_digest,
        enc: Bytes(enc),
        ciphertext: BoundedBytes(ciphertext),
    }
}

/// A gateway HPKE private key with its id. Only the gateway's key module
/// holds these; the private half is zeroized on drop by the hpke crate.
pub struct GatewayPrivateKey {
    kid: KeyId,
    private_key: <X25519HkdfSha256 as hpke::Kem>::PrivateKey,
    public_key: Bytes<32>,
}

impl GatewayPrivateKey {
    /// Derives the key pair from 32 bytes of secret input key material
    /// (RFC 9180 DeriveKeyPair).
    pub fn derive(kid: KeyId, ikm: &[u8; 32]) -> GatewayPrivateKey {
        let (private_key, public_key) = X25519HkdfSha256::derive_keypair(ikm);
        let mut public_bytes = [0_u8; 32];
        public_bytes.copy_from_slice(public_key.to_bytes().as_slice());
        GatewayPrivateKey {
            kid,
            private_key,
            public_key: Bytes(public_bytes),
        }
    }

    pub fn kid(&self) -> &KeyId {
        &self.kid
    }

    /// The public half, for the published key set.
    pub fn public_key(&self, not_after_ms: u64) -> GatewayKey {
        GatewayKey {
            kid: self.kid.clone(),
            suite: crate::keyset::PAYMENT_SUITE.to_owned(),
            public_key: self.public_key,
            not_after_ms,
        }
    }

    /// Opens a sealed payment (the gateway's side). Fails without detail on
    /// any tampering; checks that the inner binding repeats the envelope.
    pub fn open(&self, sealed: &SealedPayment) -> Result<PaymentPlaintext, SealError> {
        if sealed.version != SEALED_PAYMENT_VERSION {
            return Err(SealError::UnsupportedVersion);
        }
        if sealed.kid != self.kid {
            return Err(SealError::WrongKeyId);
        }
        let encapped_key = <X25519HkdfSha256 as hpke::Kem>::EncappedKey::from_bytes(&sealed.enc.0)
            .map_err(|_| SealError::DoesNotOpen)?;
        let plaintext = hpke::single_shot_open::<AesGcm256, HkdfSha256, X25519HkdfSha256>(
            &OpModeR::Base,
            &self.private_key,
            &encapped_key,
            HPKE_INFO,
            &sealed.ciphertext.0,
            &sealed.associated_data(),
        )
        .map_err(|_| SealError::DoesNotOpen)?;
        let plaintext = Zeroizing::new(plaintext);
        let payment = PaymentPlaintext::decode(&plaintext)?;
        if payment.binding.payment_id != sealed.payment_id
            || payment.binding.quote_digest != sealed.quote_digest
        {
            return Err(SealError::BindingMismatch);
        }
        Ok(payment)
    }
}

impl core::fmt::Debug for GatewayPrivateKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "GatewayPrivateKey({}, secret hidden)", self.kid)
    }
}
