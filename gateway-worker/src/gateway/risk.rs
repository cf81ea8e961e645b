//! Attempt budgets of the pay route, so that it cannot serve as an oracle
//! for testing stolen card numbers: per payment (in the payment object),
//! and across payments per card and per shopper address (each in its own
//! `AttemptBudget` object, which serialises the attempts it counts). Cards
//! and addresses are named by keyed fingerprints (HMAC-SHA256 under
//! `GATEWAY_FINGERPRINT_KEY`), never as they are.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use shared::card::CardNumber;
use shared::encoding::{CanonicalWriter, to_base64url};
use worker::Env;

use shared::refusal::RefusalCode;
use shared::wire::shopper_address_subject;

use crate::error::ApiError;
use crate::gateway::attempt_budget::{self, BudgetCommand};
use crate::secrets;

/// Attempts one payment may send to the issuer (approved or declined).
pub const PAYMENT_ATTEMPTS_MAX: u32 = 6;

/// Attempts one card may have in flight or declined within the window,
/// across all payments.
pub const CARD_ATTEMPTS_MAX: u32 = 8;

/// Attempts one shopper address may have in flight or declined within the
/// window, across all payments and cards.
pub const ADDRESS_ATTEMPTS_MAX: u32 = 20;

/// The window declines count in: one hour.
pub const DECLINE_WINDOW_MS: i64 = 60 * 60 * 1000;

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
            .map(|address| keyed(env, ADDRESS_LABEL, &shopper_address_subject(address)))
            .transpose()?,
    })
}

impl Fingerprints {
    fn card_subject(&self) -> String {
        format!("card:{}", self.card)
    }

    fn address_subject(&self) -> Option<String> {
        self.address
            .as_ref()
            .map(|address| format!("address:{address}"))
    }
}

/// Reserves `slot` (the attempt's issuer reference) in the card's budget,
/// then in the address's; a refusal gives back what was taken. `Ok(None)`:
/// reserved in both, the issuer may be asked.
pub async fn reserve(
    env: &Env,
    fingerprints: &Fingerprints,
    slot: &str,
) -> Result<Option<RefusalCode>, ApiError> {
    let reserve = |max| BudgetCommand::Reserve {
        slot: slot.to_owned(),
        max,
        window_ms: DECLINE_WINDOW_MS,
    };
    let card = fingerprints.card_subject();
    if !attempt_budget::send(env, &card, &reserve(CARD_ATTEMPTS_MAX))
        .await?
        .reserved
    {
        return Ok(Some(RefusalCode::CardAttemptsExceeded));
    }
    if let Some(address) = fingerprints.address_subject()
        && !attempt_budget::send(env, &address, &reserve(ADDRESS_ATTEMPTS_MAX))
            .await?
            .reserved
    {
        release(env, fingerprints, slot).await?;
        return Ok(Some(RefusalCode::AddressAttemptsExceeded));
    }
    Ok(None)
}

/// Gives `slot` back to both budgets: approved, or never sent.
pub async fn release(env: &Env, fingerprints: &Fingerprints, slot: &str) -> Result<(), ApiError> {
    let command = BudgetCommand::Release {
        slot: slot.to_owned(),
    };
    // The two budgets are separate objects: released at once.
    let card_subject = fingerprints.card_subject();
    let card = attempt_budget::send(env, &card_subject, &command);
    match fingerprints.address_subject() {
        Some(address) => {
            let (card, address) =
                futures_util::future::join(card, attempt_budget::send(env, &address, &command))
                    .await;
            card?;
            address?;
        }
        None => {
            card.await?;
        }
    }
    Ok(())
}

/// Marks `slot` declined in both budgets; answers how many failed security
/// checks the card had in the last day before this decline.
pub async fn decline(
    env: &Env,
    fingerprints: &Fingerprints,
    slot: &str,
    security_check: bool,
) -> Result<u32, ApiError> {
    let command = BudgetCommand::Decline {
        slot: slot.to_owned(),
        security_check,
    };
    let card_subject = fingerprints.card_subject();
    let card = attempt_budget::send(env, &card_subject, &command);
    let card = match fingerprints.address_subject() {
        Some(address) => {
            let (card, address) =
                futures_util::future::join(card, attempt_budget::send(env, &address, &command))
                    .await;
            address?;
            card?
        }
        None => card.await?,
    };
    Ok(card.prior_security_declines)
}
