//! HPKE's sender half after the Diffie-Hellman (RFC 9180 §4.1, §5.1 and
//! §5.2; base mode, single shot, DHKEM(X25519, HKDF-SHA256), HKDF-SHA256,
//! AES-256-GCM): from the ephemeral public key `enc` and the X25519 value
//! `dh` to the ciphertext. The wallet has the browser's WebCrypto do the
//! X25519 (`super::webcrypto`, native code) and does the rest here; what it
//! seals is byte for byte what the `hpke` crate seals with the same
//! ephemeral key (tested), and the gateway opens it with that crate.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use hkdf::{Hkdf, HkdfExtract};
use sha2::Sha256;
use zeroize::Zeroizing;

use super::SealError;

/// The suite's ids (RFC 9180 §7): DHKEM(X25519, HKDF-SHA256), HKDF-SHA256,
/// AES-256-GCM.
const KEM_ID: [u8; 2] = 0x0020_u16.to_be_bytes();
const KDF_ID: [u8; 2] = 0x0001_u16.to_be_bytes();
const AEAD_ID: [u8; 2] = 0x0002_u16.to_be_bytes();
const MODE_BASE: u8 = 0x00;
const VERSION_LABEL: &[u8] = b"HPKE-v1";

/// Bytes of the AEAD's key and nonce, and of the KEM's shared secret.
const KEY_BYTES: usize = 32;
const NONCE_BYTES: usize = 12;
const SHARED_SECRET_BYTES: usize = 32;

/// An X25519 encapsulation to one recipient, made elsewhere: the ephemeral
/// public key that travels as `enc`, and the Diffie-Hellman value of the
/// ephemeral private key (used once, then forgotten) with `recipient`.
pub struct Encapsulation {
    pub recipient: [u8; 32],
    pub enc: [u8; 32],
    pub dh: Zeroizing<[u8; 32]>,
}

fn kem_suite() -> Vec<u8> {
    [b"KEM".as_slice(), &KEM_ID].concat()
}

fn hpke_suite() -> Vec<u8> {
    [b"HPKE".as_slice(), &KEM_ID, &KDF_ID, &AEAD_ID].concat()
}

/// `LabeledExtract(salt, label, ikm)`; the pseudorandom key, ready to expand.
fn labeled_extract(suite: &[u8], salt: &[u8], label: &[u8], ikm: &[u8]) -> (Vec<u8>, Hkdf<Sha256>) {
    let mut extract = HkdfExtract::<Sha256>::new(Some(salt));
    for part in [VERSION_LABEL, suite, label, ikm] {
        extract.input_ikm(part);
    }
    let (prk, hkdf) = extract.finalize();
    (prk.to_vec(), hkdf)
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

/// Seals `plaintext` under `aad` with the key and nonce the base mode's key
/// schedule derives from `encapsulation` and `info`. Refuses an all-zero
/// `dh` (RFC 9180 §7.1.4: a small-order recipient key).
pub fn seal_encapsulated(
    encapsulation: &Encapsulation,
    info: &[u8],
    aad: &[u8],
    plaintext: &[u8],
) -> Result<Vec<u8>, SealError> {
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
    let suite = hpke_suite();
    let (psk_id_hash, _) = labeled_extract(&suite, b"", b"psk_id_hash", b"");
    let (info_hash, _) = labeled_extract(&suite, b"", b"info_hash", info);
    let context = [[MODE_BASE].as_slice(), &psk_id_hash, &info_hash].concat();
    let (_, secret) = labeled_extract(&suite, shared_secret.as_slice(), b"secret", b"");
    let mut key = Zeroizing::new([0_u8; KEY_BYTES]);
    labeled_expand(&secret, &suite, b"key", &context, key.as_mut_slice())?;
    let mut nonce = [0_u8; NONCE_BYTES];
    labeled_expand(&secret, &suite, b"base_nonce", &context, &mut nonce)?;
    Aes256Gcm::new_from_slice(key.as_slice())
        .map_err(|_| SealError::EncryptionFailed)?
        .encrypt(
            &Nonce::from(nonce),
            Payload {
                msg: plaintext,
                aad,
            },
        )
        .map_err(|_| SealError::EncryptionFailed)
}
