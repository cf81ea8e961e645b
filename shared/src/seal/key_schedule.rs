//! HPKE's sender half after the Diffie-Hellman (RFC 9180 §4.1, §5.1 and
//! §5.2; base mode, single shot, DHKEM(X25519, HKDF-SHA256), HKDF-SHA256,
//! AES-256-GCM): from the ephemeral public key `enc` and the X25519 value
//! `dh` to the ciphertext. The wallet has the browser's WebCrypto do the
//! X25519 (`wallet-web/src/webcrypto.rs`, native code) and does the rest
//! here, so `shared` itself draws no randomness; what it
//! seals is byte for byte what the `hpke` crate seals with the same
//! ephemeral key, and RFC 9180's own vector (A.1.1, the same steps with
//! AES-128-GCM) comes out of it (tested). The gateway opens with the crate.

use aes_gcm::Aes256Gcm;
use aes_gcm::aead::{Aead, KeyInit, Nonce, Payload};
use hkdf::{Hkdf, HkdfExtract};
use sha2::Sha256;
use zeroize::Zeroizing;

use super::SealError;

/// The suite's ids (RFC 9180 §7): DHKEM(X25519, HKDF-SHA256), HKDF-SHA256,
/// AES-256-GCM.
const KEM_ID: [u8; 2] = 0x0020_u16.to_be_bytes();
const KDF_ID: [u8; 2] = 0x0001_u16.to_be_bytes();
pub(crate) const AES_256_GCM_ID: u16 = 0x0002;
const MODE_BASE: u8 = 0x00;
const VERSION_LABEL: &[u8] = b"HPKE-v1";

/// Bytes of an X25519 key or shared value, of the KEM's shared secret and
/// of an AES-GCM nonce.
pub const X25519_BYTES: usize = 32;
const SHARED_SECRET_BYTES: usize = 32;
const NONCE_BYTES: usize = 12;

/// An X25519 encapsulation to one recipient, made elsewhere: the ephemeral
/// public key that travels as `enc`, and the Diffie-Hellman value of the
/// ephemeral private key with `recipient`. Sealing consumes it, so one
/// encapsulation (one AEAD key and nonce) seals one payment only.
pub struct Encapsulation {
    recipient: [u8; X25519_BYTES],
    enc: [u8; X25519_BYTES],
    dh: Zeroizing<[u8; X25519_BYTES]>,
}

impl Encapsulation {
    /// The caller (the wallet's `webcrypto::encapsulate`, tests from known
    /// keys) uses the ephemeral private key behind `dh` for nothing else.
    pub fn new(
        recipient: [u8; X25519_BYTES],
        enc: [u8; X25519_BYTES],
        dh: Zeroizing<[u8; X25519_BYTES]>,
    ) -> Encapsulation {
        Encapsulation { recipient, enc, dh }
    }

    /// The recipient's public key this encapsulation was made for.
    pub fn recipient(&self) -> &[u8; X25519_BYTES] {
        &self.recipient
    }
}

fn kem_suite() -> Vec<u8> {
    [b"KEM".as_slice(), &KEM_ID].concat()
}

fn hpke_suite(aead_id: u16) -> Vec<u8> {
    [b"HPKE".as_slice(), &KEM_ID, &KDF_ID, &aead_id.to_be_bytes()].concat()
}

/// `LabeledExtract(salt, label, ikm)`: the pseudorandom key (wiped when
/// dropped), and HKDF ready to expand from it.
fn labeled_extract(
    suite: &[u8],
    salt: &[u8],
    label: &[u8],
    ikm: &[u8],
) -> (Zeroizing<Vec<u8>>, Hkdf<Sha256>) {
    let mut extract = HkdfExtract::<Sha256>::new(Some(salt));
    for part in [VERSION_LABEL, suite, label, ikm] {
        extract.input_ikm(part);
    }
    let (prk, hkdf) = extract.finalize();
    (Zeroizing::new(prk.to_vec()), hkdf)
}

/// `LabeledExpand(prk, label, info, out.len())`.
fn labeled_expand(
    prk: &Hkdf<Sha256>,
    suite: &[u8],
    label: &[u8],
    info: &[u8],
    out: &mut [u8],
) -> Result<(), SealError> {
    let length = u16::try_from(out.len())
        .map_err(|_| SealError::EncryptionFailed)?
        .to_be_bytes();
    prk.expand_multi_info(&[&length, VERSION_LABEL, suite, label, info], out)
        .map_err(|_| SealError::EncryptionFailed)
}

/// `enc` and the ciphertext of `plaintext` under `aad`, sealed with the key
/// and nonce the base mode's key schedule derives from `encapsulation` and
/// `info`, by the AEAD `A` (suite id `aead_id`). Refuses an all-zero `dh`
/// (RFC 9180 §7.1.4: a small-order recipient key).
pub(crate) fn seal_encapsulated<A: Aead + KeyInit>(
    encapsulation: Encapsulation,
    aead_id: u16,
    info: &[u8],
    aad: &[u8],
    plaintext: &[u8],
) -> Result<([u8; X25519_BYTES], Vec<u8>), SealError> {
    if encapsulation.dh.iter().all(|byte| *byte == 0) {
        return Err(SealError::InvalidPublicKey);
    }
    let kem = kem_suite();
    let kem_context = [encapsulation.enc, encapsulation.recipient].concat();
    let (_, eae_prk) = labeled_extract(&kem, b"", b"eae_prk", encapsulation.dh.as_slice());
    let mut shared_secret = Zeroizing::new([0_u8; SHARED_SECRET_BYTES]);
    labeled_expand(
        &eae_prk,
        &kem,
        b"shared_secret",
        &kem_context,
        shared_secret.as_mut_slice(),
    )?;
    let suite = hpke_suite(aead_id);
    let (psk_id_hash, _) = labeled_extract(&suite, b"", b"psk_id_hash", b"");
    let (info_hash, _) = labeled_extract(&suite, b"", b"info_hash", info);
    let context = [[MODE_BASE].as_slice(), &psk_id_hash, &info_hash].concat();
    let (_, secret) = labeled_extract(&suite, shared_secret.as_slice(), b"secret", b"");
    let mut key = Zeroizing::new(vec![0_u8; A::key_size()]);
    labeled_expand(&secret, &suite, b"key", &context, key.as_mut_slice())?;
    let mut nonce = Zeroizing::new([0_u8; NONCE_BYTES]);
    labeled_expand(
        &secret,
        &suite,
        b"base_nonce",
        &context,
        nonce.as_mut_slice(),
    )?;
    let nonce = Nonce::<A>::try_from(nonce.as_slice()).map_err(|_| SealError::EncryptionFailed)?;
    let ciphertext = A::new_from_slice(key.as_slice())
        .map_err(|_| SealError::EncryptionFailed)?
        .encrypt(
            &nonce,
            Payload {
                msg: plaintext,
                aad,
            },
        )
        .map_err(|_| SealError::EncryptionFailed)?;
    Ok((encapsulation.enc, ciphertext))
}

/// The wallet's seal: AES-256-GCM.
pub(crate) fn seal_aes_256_gcm(
    encapsulation: Encapsulation,
    info: &[u8],
    aad: &[u8],
    plaintext: &[u8],
) -> Result<([u8; X25519_BYTES], Vec<u8>), SealError> {
    seal_encapsulated::<Aes256Gcm>(encapsulation, AES_256_GCM_ID, info, aad, plaintext)
}
