//! Unlocking the vault with a passkey. The authenticator's PRF extension
//! (WebAuthn's hmac-secret) gives 32 secret bytes for a credential and a
//! salt, and only after the user verifies on the device. Those bytes, through
//! HKDF-SHA256, derive an X25519 key pair; the vault key is sealed to its
//! public half with HPKE (RFC 9180 base mode, the suite of the sealed
//! payment). Because the wrap is sealed to a public key, a password change
//! (which makes a new vault key) seals the new key to every enrolled
//! passkey without asking the authenticator again: the passkey keeps
//! working. Opening needs the PRF output, so a copied database holds
//! nothing that unlocks the vault without the authenticator.
//!
//! The list of passkeys is authenticated by a tag under the vault key, so a
//! wrap planted in the stored header by someone who cannot open the vault
//! is refused rather than sealed to on the next password change.

use hkdf::Hkdf;
use hmac::{Hmac, KeyInit, Mac};
use hpke::aead::AesGcm256;
use hpke::kdf::HkdfSha256;
use hpke::kem::X25519HkdfSha256;
use hpke::{Deserializable, Kem as _, OpModeR, OpModeS, Serializable};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use zeroize::Zeroizing;

use super::{VaultError, VaultKey};
use crate::encoding::{BoundedBytes, Bytes, CanonicalWriter};

/// The passkey wrap's format version, bound into its HPKE `info`.
pub const PASSKEY_WRAP_VERSION: u32 = 1;

/// The most passkeys one vault may be unlocked with.
pub const VAULT_PASSKEYS_MAX: usize = 4;

/// The longest credential id WebAuthn allows, in bytes.
pub const CREDENTIAL_ID_BYTES_MAX: usize = 1023;

/// The PRF output's length, in bytes (WebAuthn's `prf.results.first`).
pub const PRF_OUTPUT_BYTES: usize = 32;

const KEY_PAIR_LABEL: &str = "ewallet/vault-passkey-key/v1";
const HPKE_INFO_LABEL: &str = "ewallet/vault-passkey/v1";
const LIST_TAG_LABEL: &str = "ewallet/vault-passkeys-tag/v1";

/// One enrolled passkey, as the vault header keeps it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasskeyWrap {
    pub version: u32,
    /// The WebAuthn credential id (not secret).
    pub credential_id: BoundedBytes<CREDENTIAL_ID_BYTES_MAX>,
    /// The input the authenticator's PRF is asked to evaluate.
    pub prf_salt: Bytes<32>,
    /// The X25519 public key derived from the PRF output.
    pub public_key: Bytes<32>,
    /// HPKE's encapsulated key and the sealed vault key (32 bytes + tag).
    pub encapsulated: Bytes<32>,
    pub wrapped_key: Bytes<48>,
}

impl PasskeyWrap {
    fn info(&self) -> Vec<u8> {
        CanonicalWriter::new(HPKE_INFO_LABEL)
            .u32(self.version)
            .bytes(&self.credential_id.0)
            .bytes(&self.prf_salt.0)
            .bytes(&self.public_key.0)
            .finish()
    }
}

/// The X25519 key pair a PRF output stands for, for this credential.
fn key_pair(
    prf_output: &[u8; PRF_OUTPUT_BYTES],
    credential_id: &[u8],
) -> Result<
    (
        <X25519HkdfSha256 as hpke::Kem>::PrivateKey,
        <X25519HkdfSha256 as hpke::Kem>::PublicKey,
    ),
    VaultError,
> {
    let info = CanonicalWriter::new(KEY_PAIR_LABEL)
        .bytes(credential_id)
        .finish();
    let mut seed = Zeroizing::new([0_u8; 32]);
    Hkdf::<Sha256>::new(None, prf_output)
        .expand(&info, seed.as_mut_slice())
        .map_err(|_| VaultError::EncryptionFailed)?;
    Ok(X25519HkdfSha256::derive_keypair(seed.as_slice()))
}

/// Seals `key` to `wrap`'s public key (a new encapsulation each time).
fn seal_to(
    key: &VaultKey,
    mut wrap: PasskeyWrap,
    rng: &mut impl rand_core::CryptoRng,
) -> Result<PasskeyWrap, VaultError> {
    let public_key = <X25519HkdfSha256 as hpke::Kem>::PublicKey::from_bytes(&wrap.public_key.0)
        .map_err(|_| VaultError::EncryptionFailed)?;
    let (encapsulated, ciphertext) =
        hpke::single_shot_seal_with_rng::<AesGcm256, HkdfSha256, X25519HkdfSha256>(
            &OpModeS::Base,
            &public_key,
            &wrap.info(),
            key.0.as_slice(),
            &[],
            rng,
        )
        .map_err(|_| VaultError::EncryptionFailed)?;
    wrap.encapsulated = Bytes(
        encapsulated
            .to_bytes()
            .as_slice()
            .try_into()
            .map_err(|_| VaultError::EncryptionFailed)?,
    );
    wrap.wrapped_key = Bytes(
        ciphertext
            .as_slice()
            .try_into()
            .map_err(|_| VaultError::EncryptionFailed)?,
    );
    Ok(wrap)
}

/// Enrolls a passkey: the key pair its PRF output stands for, and `key`
/// sealed to it.
pub fn enroll_passkey(
    key: &VaultKey,
    credential_id: &[u8],
    prf_salt: [u8; 32],
    prf_output: &[u8; PRF_OUTPUT_BYTES],
    rng: &mut impl rand_core::CryptoRng,
) -> Result<PasskeyWrap, VaultError> {
    if credential_id.is_empty() || credential_id.len() > CREDENTIAL_ID_BYTES_MAX {
        return Err(VaultError::EncryptionFailed);
    }
    let (_, public_key) = key_pair(prf_output, credential_id)?;
    let public_key: [u8; 32] = public_key
        .to_bytes()
        .as_slice()
        .try_into()
        .map_err(|_| VaultError::EncryptionFailed)?;
    seal_to(
        key,
        PasskeyWrap {
            version: PASSKEY_WRAP_VERSION,
            credential_id: BoundedBytes(credential_id.to_vec()),
            prf_salt: Bytes(prf_salt),
            public_key: Bytes(public_key),
            encapsulated: Bytes([0; 32]),
            wrapped_key: Bytes([0; 48]),
        },
        rng,
    )
}

/// Seals a new vault key to a passkey already enrolled (a password
/// change), without the authenticator.
pub fn rewrap_passkey(
    key: &VaultKey,
    wrap: &PasskeyWrap,
    rng: &mut impl rand_core::CryptoRng,
) -> Result<PasskeyWrap, VaultError> {
    seal_to(key, wrap.clone(), rng)
}

/// Opens the vault key with the PRF output the authenticator gave for
/// `wrap`'s credential and salt.
pub fn unlock_with_passkey(
    wrap: &PasskeyWrap,
    prf_output: &[u8; PRF_OUTPUT_BYTES],
) -> Result<VaultKey, VaultError> {
    if wrap.version != PASSKEY_WRAP_VERSION {
        return Err(VaultError::UnsupportedVersion);
    }
    let (private_key, public_key) = key_pair(prf_output, &wrap.credential_id.0)?;
    if public_key.to_bytes().as_slice() != wrap.public_key.0.as_slice() {
        return Err(VaultError::WrongPassword);
    }
    let encapsulated =
        <X25519HkdfSha256 as hpke::Kem>::EncappedKey::from_bytes(&wrap.encapsulated.0)
            .map_err(|_| VaultError::WrongPassword)?;
    let opened = hpke::single_shot_open::<AesGcm256, HkdfSha256, X25519HkdfSha256>(
        &OpModeR::Base,
        &private_key,
        &encapsulated,
        &wrap.info(),
        &wrap.wrapped_key.0,
        &[],
    )
    .map_err(|_| VaultError::WrongPassword)?;
    let key: [u8; 32] = opened
        .as_slice()
        .try_into()
        .map_err(|_| VaultError::WrongPassword)?;
    Ok(VaultKey(Zeroizing::new(key)))
}

/// The tag that authenticates the list of passkeys under the vault key:
/// HMAC-SHA256 keyed by HKDF(vault key), over every wrap's public fields.
pub fn passkeys_tag(key: &VaultKey, wraps: &[PasskeyWrap]) -> Result<Bytes<32>, VaultError> {
    let mut tag_key = Zeroizing::new([0_u8; 32]);
    Hkdf::<Sha256>::new(None, key.0.as_slice())
        .expand(LIST_TAG_LABEL.as_bytes(), tag_key.as_mut_slice())
        .map_err(|_| VaultError::EncryptionFailed)?;
    let mut listed = CanonicalWriter::new(LIST_TAG_LABEL);
    listed.u32(u32::try_from(wraps.len()).unwrap_or(u32::MAX));
    for wrap in wraps {
        listed.bytes(&wrap.info());
    }
    let mut mac = Hmac::<Sha256>::new_from_slice(tag_key.as_slice())
        .map_err(|_| VaultError::EncryptionFailed)?;
    mac.update(&listed.finish());
    let tag: [u8; 32] = mac.finalize().into_bytes().into();
    Ok(Bytes(tag))
}

/// Whether `tag` authenticates `wraps` under `key` (in constant time).
pub fn passkeys_tag_holds(key: &VaultKey, wraps: &[PasskeyWrap], tag: &Bytes<32>) -> bool {
    match passkeys_tag(key, wraps) {
        Ok(expected) => {
            let mut difference = 0_u8;
            for (a, b) in expected.0.iter().zip(tag.0.iter()) {
                difference |= a ^ b;
            }
            difference == 0
        }
        Err(_) => false,
    }
}
