//! The wallet vault's cryptography (the wallet's `vault` module does the
//! storage). A random 256-bit vault key encrypts every record; the vault key
//! itself is wrapped by a key-encryption key derived from the password with
//! Argon2id. Salt, Argon2 parameters and the wrapped key form one header
//! record, so changing the password (or strengthening the parameters) is one
//! write of one record: a crash leaves the old header or the new, never
//! neither.
//!
//! Records are sealed with AES-256-GCM under a fresh random 96-bit nonce
//! per write; the associated data binds each record to its kind, its id and
//! the format version, so records cannot be swapped or replayed in place of
//! one another.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::argon2id;
use crate::card::{CardError, CardNumber, Expiry, check_holder_name};

mod passkey;

use crate::encoding::{BoundedBytes, Bytes, CanonicalReader, CanonicalWriter, DecodeError};
pub use passkey::{
    CREDENTIAL_ID_BYTES_MAX, PASSKEY_WRAP_VERSION, PRF_OUTPUT_BYTES, PasskeyWrap,
    VAULT_PASSKEYS_MAX, enroll_passkey, passkey_belongs_to, rewrap_passkey, unlock_with_passkey,
};

/// The vault format version, bound into every header and record.
pub const VAULT_FORMAT_VERSION: u32 = 1;

const HEADER_LABEL: &str = "ewallet/vault-header/v1";
const RECORD_LABEL: &str = "ewallet/vault-record/v1";
const CARD_RECORD_LABEL: &str = "ewallet/vault-card/v1";
/// A card record that also names the passkey enrolled for the card.
const CARD_WITH_PASSKEY_LABEL: &str = "ewallet/vault-card/v2";

/// Password length bounds, in characters (minimum) and bytes (maximum).
pub const VAULT_PASSWORD_CHARS_MIN: usize = 10;
pub const VAULT_PASSWORD_BYTES_MAX: usize = 1024;

/// The largest sealed record, in bytes: room for an order record (a signed
/// quote of the most lines, its receipt and the store's view of the order).
pub const VAULT_RECORD_BYTES_MAX: usize = 64 * 1024;

/// Bounds on Argon2 parameters read from storage, so a damaged or hostile
/// header can neither skip the KDF nor make the page allocate without limit.
pub const KDF_MEMORY_KIB_MIN: u32 = 8;
pub const KDF_MEMORY_KIB_MAX: u32 = 1024 * 1024;
pub const KDF_PASSES_MAX: u32 = 16;
pub const KDF_LANES_MAX: u32 = 16;

/// The longest card nickname, in characters.
pub const CARD_NICKNAME_CHARS_MAX: usize = 40;

/// Why a vault operation failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum VaultError {
    #[error("wrong password")]
    WrongPassword,
    #[error("password must have at least 10 characters")]
    PasswordTooShort,
    #[error("password is too long")]
    PasswordTooLong,
    #[error("key-derivation parameters are out of bounds")]
    InvalidKdfParams,
    #[error("vault is of an unsupported format version")]
    UnsupportedVersion,
    #[error("record does not decrypt")]
    RecordDoesNotOpen,
    #[error("record is malformed: {0}")]
    Malformed(#[from] DecodeError),
    #[error("record holds invalid card data: {0}")]
    InvalidCard(#[from] CardError),
    #[error("nickname must be at most 40 characters")]
    InvalidNickname,
    #[error("encryption failed")]
    EncryptionFailed,
    #[error("key derivation failed its self-test")]
    KdfSelfTestFailed,
    #[error("not enough memory for the key derivation")]
    KdfOutOfMemory,
}

/// Argon2id cost parameters, stored with the vault.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KdfParams {
    pub memory_kib: u32,
    pub passes: u32,
    pub lanes: u32,
}

impl KdfParams {
    /// RFC 9106's second recommended option (and Bitwarden's default):
    /// 64 MiB, 3 passes, 4 lanes.
    pub const DEFAULT: KdfParams = KdfParams {
        memory_kib: 64 * 1024,
        passes: 3,
        lanes: 4,
    };

    fn argon2_cost(&self) -> Result<argon2id::Cost, VaultError> {
        let bounded = (KDF_MEMORY_KIB_MIN..=KDF_MEMORY_KIB_MAX).contains(&self.memory_kib)
            && (1..=KDF_PASSES_MAX).contains(&self.passes)
            && (1..=KDF_LANES_MAX).contains(&self.lanes);
        if !bounded {
            return Err(VaultError::InvalidKdfParams);
        }
        Ok(argon2id::Cost {
            memory_kib: self.memory_kib,
            passes: self.passes,
            lanes: self.lanes,
        })
    }

    /// True when `self` costs less than `target` in memory or passes: the
    /// vault should be re-wrapped with `target` on the next unlock.
    pub fn is_weaker_than(&self, target: &KdfParams) -> bool {
        self.memory_kib < target.memory_kib || self.passes < target.passes
    }
}

/// The vault key. Zeroized on drop.
pub struct VaultKey(Zeroizing<[u8; 32]>);

impl core::fmt::Debug for VaultKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("VaultKey(hidden)")
    }
}

/// The one header record: KDF parameters, salt and the wrapped vault key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VaultHeader {
    pub version: u32,
    pub kdf: KdfParams,
    pub salt: Bytes<16>,
    pub nonce: Bytes<12>,
    /// The vault key encrypted under the password key, tag included.
    pub wrapped_key: Bytes<48>,
    /// The passkeys that also unlock the vault (the vault key wrapped
    /// under each one's KEK; see `passkey.rs`). Absent when there are none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub passkeys: Vec<PasskeyWrap>,
}

impl VaultHeader {
    fn associated_data(version: u32, kdf: &KdfParams, salt: &Bytes<16>) -> Vec<u8> {
        CanonicalWriter::new(HEADER_LABEL)
            .u32(version)
            .u32(kdf.memory_kib)
            .u32(kdf.passes)
            .u32(kdf.lanes)
            .bytes(&salt.0)
            .finish()
    }
}

fn check_password(password: &str) -> Result<(), VaultError> {
    if password.len() > VAULT_PASSWORD_BYTES_MAX {
        return Err(VaultError::PasswordTooLong);
    }
    if password.chars().count() < VAULT_PASSWORD_CHARS_MIN {
        return Err(VaultError::PasswordTooShort);
    }
    Ok(())
}

fn password_key(
    password: &str,
    kdf: &KdfParams,
    salt: &Bytes<16>,
) -> Result<Zeroizing<[u8; 32]>, VaultError> {
    // A build that gets RFC 9106's own vector wrong would derive weak keys
    // that still open what they sealed: refuse instead.
    if !argon2id::known_answer_holds() {
        return Err(VaultError::KdfSelfTestFailed);
    }
    let mut key = Zeroizing::new([0_u8; argon2id::TAG_BYTES]);
    let inputs = argon2id::Inputs {
        password: password.as_bytes(),
        salt: &salt.0,
        secret: &[],
        associated_data: &[],
    };
    argon2id::hash(&inputs, kdf.argon2_cost()?, &mut key).map_err(|error| match error {
        argon2id::Argon2Error::InvalidParams => VaultError::InvalidKdfParams,
        argon2id::Argon2Error::OutOfMemory => VaultError::KdfOutOfMemory,
    })?;
    Ok(key)
}

fn random<const N: usize>(rng: &mut impl rand_core::CryptoRng) -> [u8; N] {
    let mut bytes = [0_u8; N];
    rng.fill_bytes(&mut bytes);
    bytes
}

fn cipher(key: &[u8; 32]) -> Result<Aes256Gcm, VaultError> {
    Aes256Gcm::new_from_slice(key).map_err(|_| VaultError::EncryptionFailed)
}

/// Creates a vault: a fresh vault key, wrapped under `password`.
pub fn create_vault(
    password: &str,
    kdf: KdfParams,
    rng: &mut impl rand_core::CryptoRng,
) -> Result<(VaultHeader, VaultKey), VaultError> {
    let key = VaultKey(Zeroizing::new(random::<32>(rng)));
    let header = wrap_vault_key(&key, password, kdf, rng)?;
    Ok((header, key))
}

/// Wraps an existing vault key under a (new) password and parameters: the
/// whole of a password change or a parameter upgrade.
pub fn wrap_vault_key(
    key: &VaultKey,
    password: &str,
    kdf: KdfParams,
    rng: &mut impl rand_core::CryptoRng,
) -> Result<VaultHeader, VaultError> {
    check_password(password)?;
    let salt = Bytes(random::<16>(rng));
    let nonce = Bytes(random::<12>(rng));
    let password_key = password_key(password, &kdf, &salt)?;
    let aad = VaultHeader::associated_data(VAULT_FORMAT_VERSION, &kdf, &salt);
    let wrapped = cipher(&password_key)?
        .encrypt(
            &Nonce::from(nonce.0),
            Payload {
                msg: key.0.as_slice(),
                aad: &aad,
            },
        )
        .map_err(|_| VaultError::EncryptionFailed)?;
    let wrapped_key: [u8; 48] = wrapped
        .as_slice()
        .try_into()
        .map_err(|_| VaultError::EncryptionFailed)?;
    Ok(VaultHeader {
        version: VAULT_FORMAT_VERSION,
        kdf,
        salt,
        nonce,
        wrapped_key: Bytes(wrapped_key),
        passkeys: Vec::new(),
    })
}

/// Unlocks a vault: derives the password key and unwraps the vault key.
/// Any tampering with the header reads as a wrong password.
pub fn unlock_vault(header: &VaultHeader, password: &str) -> Result<VaultKey, VaultError> {
    if header.version != VAULT_FORMAT_VERSION {
        return Err(VaultError::UnsupportedVersion);
    }
    if password.len() > VAULT_PASSWORD_BYTES_MAX {
        return Err(VaultError::WrongPassword);
    }
    let password_key = password_key(password, &header.kdf, &header.salt)?;
    let aad = VaultHeader::associated_data(header.version, &header.kdf, &header.salt);
    let unwrapped = Zeroizing::new(
        cipher(&password_key)?
            .decrypt(
                &Nonce::from(header.nonce.0),
                Payload {
                    msg: &header.wrapped_key.0,
                    aad: &aad,
                },
            )
            .map_err(|_| VaultError::WrongPassword)?,
    );
    let key: [u8; 32] = unwrapped
        .as_slice()
        .try_into()
        .map_err(|_| VaultError::WrongPassword)?;
    Ok(VaultKey(Zeroizing::new(key)))
}

/// One encrypted record as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealedRecord {
    pub nonce: Bytes<12>,
    pub ciphertext: BoundedBytes<VAULT_RECORD_BYTES_MAX>,
}

fn record_associated_data(kind: &str, id: &str) -> Vec<u8> {
    CanonicalWriter::new(RECORD_LABEL)
        .u32(VAULT_FORMAT_VERSION)
        .text(kind)
        .text(id)
        .finish()
}

/// Seals `plaintext` as the record `kind`/`id`, under a fresh nonce.
pub fn seal_record(
    key: &VaultKey,
    kind: &str,
    id: &str,
    plaintext: &[u8],
    rng: &mut impl rand_core::CryptoRng,
) -> Result<SealedRecord, VaultError> {
    let nonce = Bytes(random::<12>(rng));
    let ciphertext = cipher(&key.0)?
        .encrypt(
            &Nonce::from(nonce.0),
            Payload {
                msg: plaintext,
                aad: &record_associated_data(kind, id),
            },
        )
        .map_err(|_| VaultError::EncryptionFailed)?;
    if ciphertext.len() > VAULT_RECORD_BYTES_MAX {
        return Err(VaultError::EncryptionFailed);
    }
    Ok(SealedRecord {
        nonce,
        ciphertext: BoundedBytes(ciphertext),
    })
}

/// Opens the record `kind`/`id`; fails if it was altered or moved.
pub fn open_record(
    key: &VaultKey,
    kind: &str,
    id: &str,
    record: &SealedRecord,
) -> Result<Zeroizing<Vec<u8>>, VaultError> {
    cipher(&key.0)?
        .decrypt(
            &Nonce::from(record.nonce.0),
            Payload {
                msg: &record.ciphertext.0,
                aad: &record_associated_data(kind, id),
            },
        )
        .map(Zeroizing::new)
        .map_err(|_| VaultError::RecordDoesNotOpen)
}

/// A card as the vault keeps it (encrypted). There is no CVC field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CardRecord {
    pub number: CardNumber,
    pub expiry: Expiry,
    pub holder_name: String,
    pub nickname: String,
    /// The credential id of the passkey enrolled for this card with its
    /// issuer (empty: none), which confirms each payment with the card.
    pub passkey_credential: Vec<u8>,
}

impl CardRecord {
    /// The plaintext bytes to seal.
    pub fn encode(&self) -> Zeroizing<Vec<u8>> {
        let label = if self.passkey_credential.is_empty() {
            CARD_RECORD_LABEL
        } else {
            CARD_WITH_PASSKEY_LABEL
        };
        let mut writer = CanonicalWriter::new(label);
        writer
            .text(self.number.reveal_digits())
            .u32(u32::from(self.expiry.month()))
            .u32(u32::from(self.expiry.year()))
            .text(&self.holder_name)
            .text(&self.nickname);
        if !self.passkey_credential.is_empty() {
            writer.bytes(&self.passkey_credential);
        }
        Zeroizing::new(writer.finish())
    }

    pub fn decode(bytes: &[u8]) -> Result<CardRecord, VaultError> {
        let (mut reader, with_passkey) = match CanonicalReader::new(bytes, CARD_RECORD_LABEL) {
            Ok(reader) => (reader, false),
            Err(DecodeError::WrongLabel) => {
                (CanonicalReader::new(bytes, CARD_WITH_PASSKEY_LABEL)?, true)
            }
            Err(other) => return Err(other.into()),
        };
        let number = CardNumber::parse(reader.text(19)?)?;
        let month = u8::try_from(reader.u32()?).map_err(|_| CardError::InvalidExpiry)?;
        let year = u16::try_from(reader.u32()?).map_err(|_| CardError::InvalidExpiry)?;
        let expiry = Expiry::new(month, year)?;
        let holder_name = check_holder_name(reader.text(256)?)?.to_owned();
        let nickname = reader.text(CARD_NICKNAME_CHARS_MAX * 4)?;
        if nickname.chars().count() > CARD_NICKNAME_CHARS_MAX {
            return Err(VaultError::InvalidNickname);
        }
        let nickname = nickname.to_owned();
        let passkey_credential = if with_passkey {
            reader
                .bytes(crate::assertion::CREDENTIAL_ID_BYTES_MAX)?
                .to_vec()
        } else {
            Vec::new()
        };
        reader.finish()?;
        Ok(CardRecord {
            number,
            expiry,
            holder_name,
            nickname,
            passkey_credential,
        })
    }
}
