//! Attempt limits of the pay route, so that it cannot serve as an oracle
//! for testing stolen card numbers: per payment (in the payment object),
//! and across payments per card and per shopper address (here, in the
//! gateway's D1). Cards and addresses are counted by keyed fingerprints
//! (HMAC-SHA256 under `GATEWAY_FINGERPRINT_KEY`), never stored as they are.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use shared::card::CardNumber;
use shared::encoding::{CanonicalWriter, to_base64url};
use worker::Env;

use crate::error::ApiError;
use crate::gateway::db::{self, DeclineSubject};
use crate::secrets;

/// Attempts one payment may send to the issuer (approved or declined).
pub const PAYMENT_ATTEMPTS_MAX: u32 = 6;

/// Declines one card may collect across payments within the window.
pub const CARD_DECLINES_MAX: u32 = 8;

/// Declines one shopper address may collect within the window.
pub const ADDRESS_DECLINES_MAX: u32 = 20;

/// The window the per-card and per-address limits count over: one hour.
pub const DECLINE_WINDOW_MS: u64 = 60 * 60 * 1000;

const CARD_LABEL: &str = "ewallet/gateway-card-fingerprint/v1";
const ADDRESS_LABEL: &str = "ewallet/gateway-address-fingerprint/v1";

/// The fingerprints one attempt is counted by.
#[derive(Clone, Debug)]
pub struct Fingerprints {
    pub card: String,
    pub address: Option<String>,
}

fn keyed(env: &Env, label: &str, text: &str) -> Result<String, ApiError> {
    let key = zeroize::Zeroizing::new(secrets::bytes32(env, secrets::GATEWAY_FINGERPRINT_KEY)?);
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_ref()).map_err(ApiError::internal)?;
    mac.update(&CanonicalWriter::new(label).text(text).finish());
    Ok(to_base64url(&mac.finalize().into_bytes()))
}

pub fn fingerprints(
    env: &Env,
    number: &CardNumber,
    address: Option<&str>,
) -> Result<Fingerprints, ApiError> {
    Ok(Fingerprints {
        card: keyed(env, CARD_LABEL, number.reveal_digits())?,
        address: address
            .map(|address| keyed(env, ADDRESS_LABEL, address))
            .transpose()?,
    })
}

/// Refuses an attempt whose card or address has declined too often.
pub async fn check(env: &Env, fingerprints: &Fingerprints, now_ms: u64) -> Result<(), ApiError> {
    let since = now_ms.saturating_sub(DECLINE_WINDOW_MS);
    let card = db::declines_since(env, DeclineSubject::Card, &fingerprints.card, since).await?;
    if card >= CARD_DECLINES_MAX {
        return Err(ApiError::TooManyRequests {
            code: "card_attempts_exceeded",
            message: "this card was declined too often; try again later or use another card"
                .to_owned(),
        });
    }
    if let Some(address) = &fingerprints.address {
        let count = db::declines_since(env, DeclineSubject::Address, address, since).await?;
        if count >= ADDRESS_DECLINES_MAX {
            return Err(ApiError::TooManyRequests {
                code: "address_attempts_exceeded",
                message: "too many declined payments from this address; try again later".to_owned(),
            });
        }
    }
    Ok(())
}

/// Counts a decline against its card and address.
pub async fn record_decline(
    env: &Env,
    fingerprints: &Fingerprints,
    payment_id: &str,
    now_ms: u64,
) -> Result<(), ApiError> {
    db::record_decline(
        env,
        DeclineSubject::Card,
        &fingerprints.card,
        payment_id,
        now_ms,
    )
    .await?;
    if let Some(address) = &fingerprints.address {
        db::record_decline(env, DeclineSubject::Address, address, payment_id, now_ms).await?;
    }
    Ok(())
}
