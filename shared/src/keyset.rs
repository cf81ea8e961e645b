//! The gateway's published encryption keys, signed by its long-term Ed25519
//! key. The wallet compiles that long-term public key in and accepts only a
//! key set it signed, so neither the store nor script injected into the page
//! can substitute an encryption key of its own.

use serde::{Deserialize, Serialize};

use crate::encoding::{Bytes, CanonicalWriter};
use crate::sign::{KeyId, PublicKey, Purpose, SignatureError, Signed, SignedContent};

/// The key id of the gateway's long-term Ed25519 key: it signs the key set,
/// authorization records and payment events (each under its own purpose).
pub const GATEWAY_ROOT_KEY_ID: &str = "gateway-root";

const KEY_SET_LABEL: &str = "ewallet/gateway-key-set/v1";

/// The HPKE suite every gateway key is for (RFC 9180 names).
pub const PAYMENT_SUITE: &str = "DHKEM(X25519,HKDF-SHA256)/HKDF-SHA256/AES-256-GCM";

/// The most keys a key set may hold (current, next and those in grace).
pub const KEY_SET_KEYS_MAX: usize = 8;

/// How old a signed key set may be when the wallet seals to it. The gateway
/// signs the set afresh for each request, so an older one is a replay
/// (say, of a set from before an emergency rotation).
pub const KEY_SET_AGE_MS_MAX: u64 = 5 * 60 * 1000;

/// How far ahead of the wallet's clock a key set's issue time may be.
pub const KEY_SET_CLOCK_SKEW_MS_MAX: u64 = 2 * 60 * 1000;

/// One HPKE public key of the gateway.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GatewayKey {
    pub kid: KeyId,
    pub suite: String,
    /// X25519 public key.
    pub public_key: Bytes<32>,
    /// After this instant (ms since the Unix epoch) the key seals nothing.
    pub not_after_ms: u64,
}

/// The set of keys the gateway currently accepts payments for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GatewayKeySet {
    pub keys: Vec<GatewayKey>,
    pub issued_at_ms: u64,
}

impl SignedContent for GatewayKeySet {
    const PURPOSE: Purpose = Purpose::GatewayKeySet;

    fn canonical_bytes(&self) -> Vec<u8> {
        let mut writer = CanonicalWriter::new(KEY_SET_LABEL);
        writer
            .u64(self.issued_at_ms)
            .u32(u32::try_from(self.keys.len()).unwrap_or(u32::MAX));
        for key in &self.keys {
            writer
                .text(key.kid.as_str())
                .text(&key.suite)
                .bytes(&key.public_key.0)
                .u64(key.not_after_ms);
        }
        writer.finish()
    }
}

/// Why a key set was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum KeySetError {
    #[error("key set signature: {0}")]
    Signature(#[from] SignatureError),
    #[error("key set holds too many keys")]
    TooManyKeys,
    #[error("key set has no key valid now")]
    NoCurrentKey,
    #[error("key set is too old (or from the future)")]
    Stale,
}

/// Verifies a key set against the gateway's long-term key, refuses one
/// issued more than `KEY_SET_AGE_MS_MAX` ago (or ahead of the clock), and
/// returns the key to seal with now: the valid key of this suite that lasts
/// longest.
pub fn current_key(
    signed: &Signed<GatewayKeySet>,
    gateway_root: &PublicKey,
    now_ms: u64,
) -> Result<GatewayKey, KeySetError> {
    let key_set = signed.verify(gateway_root)?;
    if key_set.issued_at_ms.saturating_add(KEY_SET_AGE_MS_MAX) < now_ms
        || key_set.issued_at_ms > now_ms.saturating_add(KEY_SET_CLOCK_SKEW_MS_MAX)
    {
        return Err(KeySetError::Stale);
    }
    if key_set.keys.len() > KEY_SET_KEYS_MAX {
        return Err(KeySetError::TooManyKeys);
    }
    key_set
        .keys
        .iter()
        .filter(|key| key.suite == PAYMENT_SUITE && key.not_after_ms > now_ms)
        .max_by_key(|key| key.not_after_ms)
        .cloned()
        .ok_or(KeySetError::NoCurrentKey)
}
