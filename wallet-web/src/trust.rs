//! What the wallet trusts, and how it checks what it is sent.
//!
//! The gateway's long-term public key is compiled in: `cargo xtask build`
//! sets `EWALLET_GATEWAY_ROOT_PUBLIC_KEY` (64 hex digits) from the local
//! secrets, or from the environment for a deploy. The wallet seals only to
//! a key in a key set that key signed, and accepts an authorization only if
//! that key signed it, so neither the store nor a script in the page can
//! substitute a key. The store's own key comes from the store
//! (`/api/store/keys`): it vouches for the store's quote and receipt.

use shared::encoding::Bytes;
use shared::keyset::GATEWAY_ROOT_KEY_ID;
use shared::quote::Quote;
use shared::receipt::Receipt;
use shared::sign::{KeyId, PublicKey, Signed};

/// The compiled-in key, as hex; `None` in a build made without it.
const GATEWAY_ROOT_PUBLIC_KEY_HEX: Option<&str> = option_env!("EWALLET_GATEWAY_ROOT_PUBLIC_KEY");

/// Parses 64 hex digits into the gateway's public key.
pub fn parse_gateway_root(hex: &str) -> Option<PublicKey> {
    let hex = hex.trim();
    if hex.len() != 64 {
        return None;
    }
    let mut key = [0_u8; 32];
    for (index, byte) in key.iter_mut().enumerate() {
        *byte = u8::from_str_radix(hex.get(index * 2..index * 2 + 2)?, 16).ok()?;
    }
    Some(PublicKey {
        kid: KeyId::new(GATEWAY_ROOT_KEY_ID).ok()?,
        key: Bytes(key),
    })
}

/// The gateway's long-term public key this wallet was built with.
pub fn gateway_root() -> Option<PublicKey> {
    GATEWAY_ROOT_PUBLIC_KEY_HEX.and_then(parse_gateway_root)
}

/// Checks that a quote is signed by one of the store's keys.
pub fn quote_is_the_stores(quote: &Signed<Quote>, store_keys: &[PublicKey]) -> bool {
    quote.verify_with_any(store_keys).is_ok()
}

/// What a receipt's check found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReceiptCheck {
    /// The store signed it, the gateway signed the authorization inside,
    /// and both name this order, quote and total.
    Verified,
    /// A signature failed, or the receipt is for something else.
    Failed,
}

/// Checks a receipt for `quote` (of order `order_id`) with both parties'
/// keys: the store's, and the gateway's authorization keys (as its
/// long-term key certifies them in a fresh key set).
pub fn check_receipt(
    receipt: &Signed<Receipt>,
    order_id: &str,
    quote: &Quote,
    store_keys: &[PublicKey],
    authorization_keys: &[PublicKey],
) -> ReceiptCheck {
    let Ok(body) = receipt.verify_with_any(store_keys) else {
        return ReceiptCheck::Failed;
    };
    let Ok(authorization) = body.authorization.verify_with_any(authorization_keys) else {
        return ReceiptCheck::Failed;
    };
    let digest = quote.digest();
    let matches = body.order_id == order_id
        && body.quote_digest == digest
        && body.total == quote.total
        && authorization.quote_digest == digest
        && authorization.amount == quote.total
        && authorization.merchant_id == quote.merchant_id;
    if matches {
        ReceiptCheck::Verified
    } else {
        ReceiptCheck::Failed
    }
}
