//! The gateway's published keys, signed by its long-term Ed25519 key: the
//! HPKE keys payments are sealed to, and the certified public halves of the
//! keys that sign its authorizations and its payment events (one key per
//! purpose; the long-term key signs nothing but key sets, so it could live
//! offline). The wallet compiles that long-term public key in and accepts
//! only a fresh key set it signed, so neither the store nor script injected
//! into the page can substitute a key of its own.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::encoding::{Bytes, CanonicalWriter};
use crate::sign::{KeyId, PublicKey, Purpose, SignatureError, Signed, SignedContent};

/// The key id of the gateway's long-term Ed25519 key: it signs key sets.
pub const GATEWAY_ROOT_KEY_ID: &str = "gateway-root";

/// The purpose of the key that signs authorization records.
pub const AUTHORIZATION_KEY_PURPOSE: &str = "authorization";

/// The purpose of the key that signs payment events (webhooks).
pub const PAYMENT_EVENT_KEY_PURPOSE: &str = "payment-event";

/// The most signing keys a key set certifies (current and previous of
/// each purpose).
pub const KEY_SET_SIGNING_KEYS_MAX: usize = 4;

const KEY_SET_LABEL: &str = "ewallet/gateway-key-set/v2";

/// The HPKE suite every gateway key is for (RFC 9180 names).
pub const PAYMENT_SUITE: &str = "DHKEM(X25519,HKDF-SHA256)/HKDF-SHA256/AES-256-GCM";

/// The most keys a key set may hold: the gateway's keyring is sharded, and
/// each shard lists its current key and, near the end of its lifetime, the
/// one after it.
pub const KEY_SET_KEYS_MAX: usize = 16;

/// How old a signed key set may be when the wallet seals to it. The gateway
/// serves a set at most a minute after signing it, so an older one is a replay
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

/// One signing key of the gateway, certified for one purpose.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CertifiedKey {
    pub purpose: String,
    pub kid: KeyId,
    /// Ed25519 public key.
    pub public_key: Bytes<32>,
}

/// The set of keys the gateway currently accepts payments for, and the
/// keys its signatures are made with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GatewayKeySet {
    pub keys: Vec<GatewayKey>,
    pub signing_keys: Vec<CertifiedKey>,
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
        writer.u32(u32::try_from(self.signing_keys.len()).unwrap_or(u32::MAX));
        for key in &self.signing_keys {
            writer
                .text(&key.purpose)
                .text(key.kid.as_str())
                .bytes(&key.public_key.0);
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
/// returns the key to seal with now: one of the keys of this suite within
/// their lifetime, chosen by `spread` (the payment's id), so payments spread
/// evenly over the gateway's keyring shards and the same payment always
/// picks the same key from the same set.
pub fn current_key(
    signed: &Signed<GatewayKeySet>,
    gateway_root: &PublicKey,
    now_ms: u64,
    spread: &[u8],
) -> Result<GatewayKey, KeySetError> {
    let mut current: Vec<&GatewayKey> = verified(signed, gateway_root, now_ms)?
        .keys
        .iter()
        .filter(|key| key.suite == PAYMENT_SUITE && key.not_after_ms > now_ms)
        .collect();
    current.sort_by(|one, other| one.kid.as_str().cmp(other.kid.as_str()));
    let digest = Sha256::digest(spread);
    let mut first = [0_u8; 8];
    first.copy_from_slice(&digest[..8]);
    let count = u64::try_from(current.len()).unwrap_or(u64::MAX).max(1);
    let index = usize::try_from(u64::from_be_bytes(first) % count).unwrap_or(0);
    current
        .get(index)
        .map(|key| (*key).clone())
        .ok_or(KeySetError::NoCurrentKey)
}

/// A key set signed by `gateway_root`, fresh at `now_ms`, within its bounds.
fn verified<'a>(
    signed: &'a Signed<GatewayKeySet>,
    gateway_root: &PublicKey,
    now_ms: u64,
) -> Result<&'a GatewayKeySet, KeySetError> {
    let key_set = signed.verify(gateway_root)?;
    if key_set.issued_at_ms.saturating_add(KEY_SET_AGE_MS_MAX) < now_ms
        || key_set.issued_at_ms > now_ms.saturating_add(KEY_SET_CLOCK_SKEW_MS_MAX)
    {
        return Err(KeySetError::Stale);
    }
    if key_set.keys.len() > KEY_SET_KEYS_MAX
        || key_set.signing_keys.len() > KEY_SET_SIGNING_KEYS_MAX
    {
        return Err(KeySetError::TooManyKeys);
    }
    Ok(key_set)
}

/// The gateway's signing keys for `purpose` that a fresh key set signed by
/// `gateway_root` certifies: what an authorization or a payment event is
/// checked against.
pub fn certified_keys(
    signed: &Signed<GatewayKeySet>,
    gateway_root: &PublicKey,
    purpose: &str,
    now_ms: u64,
) -> Result<Vec<PublicKey>, KeySetError> {
    Ok(verified(signed, gateway_root, now_ms)?
        .signing_keys
        .iter()
        .filter(|key| key.purpose == purpose)
        .map(|key| PublicKey {
            kid: key.kid.clone(),
            key: key.public_key,
        })
        .collect())
}
