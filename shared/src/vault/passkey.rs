//! Unlocking the vault with a passkey. The authenticator's PRF extension
//! (CTAP's hmac-secret) gives 32 secret bytes for a credential and a salt,
//! and only after it has verified its user. Those bytes, through
//! HKDF-SHA256, are the passkey's key-encryption key (KEK), which wraps
//! the vault key a second time with AES-256-GCM, beside the password's
//! wrap. The KEK is also kept sealed under the vault key, so a password
//! change, which makes a new vault key, wraps the new key for every
//! passkey without asking the authenticator again.
//!
//! Both halves are authenticated encryption under a secret: a wrap opens
//! only with the authenticator's output, and its KEK only with the vault
//! key. Someone who can write the stored header but has neither cannot
//! forge a wrap that opens (to a key they chose) nor one that a password
//! change would carry over; a copied database holds nothing that opens the
//! vault without the authenticator or the password.

use aes_gcm::Nonce;
use aes_gcm::aead::{Aead, Payload};
use hkdf::Hkdf;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use zeroize::Zeroizing;

use super::{VaultError, VaultKey, cipher, random};
use crate::encoding::{BoundedBytes, Bytes, CanonicalWriter};

/// The passkey wrap's format version, bound into both halves.
pub const PASSKEY_WRAP_VERSION: u32 = 1;

/// The most passkeys one vault may be unlocked with.
pub const VAULT_PASSKEYS_MAX: usize = 4;

/// The longest credential id WebAuthn allows, in bytes.
pub const CREDENTIAL_ID_BYTES_MAX: usize = 1023;

/// The PRF output's length, in bytes (WebAuthn's `prf.results.first`).
pub const PRF_OUTPUT_BYTES: usize = 32;

const KEK_LABEL: &str = "ewallet/vault-passkey-kek/v1";
const WRAP_LABEL: &str = "ewallet/vault-passkey-wrap/v1";
const KEK_SEAL_LABEL: &str = "ewallet/vault-passkey-kek-seal/v1";

/// One enrolled passkey, as the vault header keeps it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasskeyWrap {
    pub version: u32,
    /// The WebAuthn credential id (not secret).
    pub credential_id: BoundedBytes<CREDENTIAL_ID_BYTES_MAX>,
    /// The input the authenticator's PRF is asked to evaluate.
    pub prf_salt: Bytes<32>,
    /// The vault key under the passkey's KEK (32 bytes + tag).
    pub nonce: Bytes<12>,
    pub wrapped_key: Bytes<48>,
    /// The passkey's KEK under the vault key (32 bytes + tag).
    pub kek_nonce: Bytes<12>,
    pub sealed_kek: Bytes<48>,
}

/// The associated data of one half: its label, the version, the
/// credential and its salt.
fn associated_data(label: &str, version: u32, credential_id: &[u8], prf_salt: &[u8]) -> Vec<u8> {
    CanonicalWriter::new(label)
        .u32(version)
        .bytes(credential_id)
        .bytes(prf_salt)
        .finish()
}

/// The KEK a PRF output stands for, for this credential.
fn kek_of(
    prf_output: &[u8; PRF_OUTPUT_BYTES],
    credential_id: &[u8],
) -> Result<Zeroizing<[u8; 32]>, VaultError> {
    let info = CanonicalWriter::new(KEK_LABEL)
        .bytes(credential_id)
        .finish();
    let mut kek = Zeroizing::new([0_u8; 32]);
    Hkdf::<Sha256>::new(None, prf_output)
        .expand(&info, kek.as_mut_slice())
        .map_err(|_| VaultError::EncryptionFailed)?;
    Ok(kek)
}

fn seal_48(
    key: &[u8; 32],
    plaintext: &[u8; 32],
    aad: &[u8],
    rng: &mut impl rand_core::CryptoRng,
) -> Result<(Bytes<12>, Bytes<48>), VaultError> {
    let nonce = Bytes(random::<12>(rng));
    let sealed = cipher(key)?
        .encrypt(
            &Nonce::from(nonce.0),
            Payload {
                msg: plaintext,
                aad,
            },
        )
        .map_err(|_| VaultError::EncryptionFailed)?;
    let sealed: [u8; 48] = sealed
        .as_slice()
        .try_into()
        .map_err(|_| VaultError::EncryptionFailed)?;
    Ok((nonce, Bytes(sealed)))
}

fn open_48(
    key: &[u8; 32],
    nonce: &Bytes<12>,
    sealed: &Bytes<48>,
    aad: &[u8],
) -> Result<Zeroizing<[u8; 32]>, VaultError> {
    let opened = Zeroizing::new(
        cipher(key)?
            .decrypt(
                &Nonce::from(nonce.0),
                Payload {
                    msg: &sealed.0,
                    aad,
                },
            )
            .map_err(|_| VaultError::WrongPassword)?,
    );
    let opened: [u8; 32] = opened
        .as_slice()
        .try_into()
        .map_err(|_| VaultError::WrongPassword)?;
    Ok(Zeroizing::new(opened))
}

/// The KEK `wrap` keeps sealed under the vault key `key`.
fn sealed_kek(key: &VaultKey, wrap: &PasskeyWrap) -> Result<Zeroizing<[u8; 32]>, VaultError> {
    open_48(
        &key.0,
        &wrap.kek_nonce,
        &wrap.sealed_kek,
        &associated_data(
            KEK_SEAL_LABEL,
            wrap.version,
            &wrap.credential_id.0,
            &wrap.prf_salt.0,
        ),
    )
}

/// Wraps `key` under `kek`, and `kek` under `key`, for this credential.
fn wrap_with(
    key: &VaultKey,
    kek: &[u8; 32],
    credential_id: &[u8],
    prf_salt: [u8; 32],
    rng: &mut impl rand_core::CryptoRng,
) -> Result<PasskeyWrap, VaultError> {
    if credential_id.is_empty() || credential_id.len() > CREDENTIAL_ID_BYTES_MAX {
        return Err(VaultError::EncryptionFailed);
    }
    let version = PASSKEY_WRAP_VERSION;
    let (nonce, wrapped_key) = seal_48(
        kek,
        &key.0,
        &associated_data(WRAP_LABEL, version, credential_id, &prf_salt),
        rng,
    )?;
    let (kek_nonce, sealed_kek) = seal_48(
        &key.0,
        kek,
        &associated_data(KEK_SEAL_LABEL, version, credential_id, &prf_salt),
        rng,
    )?;
    Ok(PasskeyWrap {
        version,
        credential_id: BoundedBytes(credential_id.to_vec()),
        prf_salt: Bytes(prf_salt),
        nonce,
        wrapped_key,
        kek_nonce,
        sealed_kek,
    })
}

/// Enrolls a passkey: `key` wrapped under the KEK its PRF output for
/// `prf_salt` stands for.
pub fn enroll_passkey(
    key: &VaultKey,
    credential_id: &[u8],
    prf_salt: [u8; 32],
    prf_output: &[u8; PRF_OUTPUT_BYTES],
    rng: &mut impl rand_core::CryptoRng,
) -> Result<PasskeyWrap, VaultError> {
    let kek = kek_of(prf_output, credential_id)?;
    wrap_with(key, &kek, credential_id, prf_salt, rng)
}

/// Wraps `new_key` for a passkey enrolled under `old_key` (a password
/// change), without the authenticator: its KEK is opened with the old
/// key. A wrap whose KEK the old key does not open (one planted in the
/// header) is refused.
pub fn rewrap_passkey(
    old_key: &VaultKey,
    new_key: &VaultKey,
    wrap: &PasskeyWrap,
    rng: &mut impl rand_core::CryptoRng,
) -> Result<PasskeyWrap, VaultError> {
    if wrap.version != PASSKEY_WRAP_VERSION {
        return Err(VaultError::UnsupportedVersion);
    }
    let kek = sealed_kek(old_key, wrap)?;
    wrap_with(new_key, &kek, &wrap.credential_id.0, wrap.prf_salt.0, rng)
}

/// Opens the vault key with the PRF output the authenticator gave for
/// `wrap`'s credential and salt. Both halves must agree: the KEK sealed
/// under the opened key is the one the PRF output stands for.
pub fn unlock_with_passkey(
    wrap: &PasskeyWrap,
    prf_output: &[u8; PRF_OUTPUT_BYTES],
) -> Result<VaultKey, VaultError> {
    if wrap.version != PASSKEY_WRAP_VERSION {
        return Err(VaultError::UnsupportedVersion);
    }
    let (credential_id, prf_salt) = (&wrap.credential_id.0, &wrap.prf_salt.0);
    let kek = kek_of(prf_output, credential_id)?;
    let key = open_48(
        &kek,
        &wrap.nonce,
        &wrap.wrapped_key,
        &associated_data(WRAP_LABEL, wrap.version, credential_id, prf_salt),
    )?;
    let sealed_kek = open_48(
        &key,
        &wrap.kek_nonce,
        &wrap.sealed_kek,
        &associated_data(KEK_SEAL_LABEL, wrap.version, credential_id, prf_salt),
    )?;
    if *sealed_kek != *kek {
        return Err(VaultError::WrongPassword);
    }
    Ok(VaultKey(Zeroizing::new(*key)))
}

/// Whether `wrap` was enrolled under `key`: its KEK opens with it. A wrap
/// planted in the header by someone without the vault key is not.
pub fn passkey_belongs_to(key: &VaultKey, wrap: &PasskeyWrap) -> bool {
    wrap.version == PASSKEY_WRAP_VERSION && sealed_kek(key, wrap).is_ok()
}
