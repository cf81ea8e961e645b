//! The issuer's authorization API: authorize (check the card, then hold the
//! funds at the cardholder's bank), capture, void and refund. Each call is
//! idempotent by its id, which is also the bank transfer id, so a retry
//! after a crash or a lost answer finishes or reports, never doubles.

use sha2::{Digest, Sha256};
use shared::card::YearMonth;
use shared::decline::DeclineCode;
use shared::issuer::{card_registry_key, cvc_matches};
use shared::money::Money;
use shared::seal::CardDetails;
use worker::Env;

use crate::bank::client;
use crate::bank::wire::{BankFailure, HOLD_TIMEOUT_MS_MAX, TransferRequest, TransferStatus};
use crate::error::ApiError;
use crate::issuer::demo::MERCHANT_BANK;
use crate::issuer::registry::{self, AuthorizationRow};
use crate::secrets;

/// The bank account that receives a card payment when the cardholder banks
/// elsewhere; the merchant's bank pays the merchant from its own.
const SETTLEMENT_ACCOUNT: &str = "settlement.cards";

/// What the issuer is asked to authorize.
pub struct AuthorizeRequest<'a> {
    /// Idempotency: the same id always gets the same answer.
    pub authorization_id: &'a str,
    pub card: &'a CardDetails,
    pub amount: Money,
    pub merchant_id: &'a str,
    pub now_ms: u64,
}

/// The issuer's answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuthorizeAnswer {
    Approved {
        authorization_code: String,
    },
    Declined(DeclineCode),
    /// The bank did not answer; ask again with the same id.
    Unknown,
}

/// The answer to a capture, void or refund.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MovementAnswer {
    Done,
    Refused(BankFailure),
    /// No approved authorization has this id.
    NotFound,
    /// The bank did not answer; ask again with the same ids.
    Unknown,
}

fn merchant_account(merchant_id: &str) -> String {
    format!("merchant.{merchant_id}")
}

/// Six characters a person can read out, derived from the hold id.
fn authorization_code(hold_id: &str) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    Sha256::digest(hold_id.as_bytes())
        .iter()
        .take(6)
        .map(|byte| char::from(ALPHABET[usize::from(byte % 32)]))
        .collect()
}

fn answer_of(row: &AuthorizationRow) -> AuthorizeAnswer {
    if row.outcome == "pending" {
        return AuthorizeAnswer::Unknown;
    }
    match (
        row.outcome.as_str(),
        &row.authorization_code,
        &row.decline_code,
    ) {
        ("approved", Some(code), _) => AuthorizeAnswer::Approved {
            authorization_code: code.clone(),
        },
        (_, _, Some(code)) => AuthorizeAnswer::Declined(
            DeclineCode::from_code(code).unwrap_or(DeclineCode::ProcessingError),
        ),
        _ => AuthorizeAnswer::Declined(DeclineCode::ProcessingError),
    }
}

/// The answer an earlier authorization got, by its id. One still pending
/// at the cardholder's bank asks the bank again for the same hold (the same
/// transfer id, so never a second hold); `Unknown` while the bank does not
/// answer, or when the issuer never received the authorization.
pub async fn retrieve(env: &Env, authorization_id: &str) -> Result<AuthorizeAnswer, ApiError> {
    let Some(row) = registry::authorization(env, authorization_id).await? else {
        return Ok(AuthorizeAnswer::Unknown);
    };
    if row.outcome != "pending" {
        return Ok(answer_of(&row));
    }
    let Some(card) = registry::find_card(env, row.card_key.as_deref().unwrap_or_default()).await?
    else {
        return Ok(AuthorizeAnswer::Unknown);
    };
    hold(env, row, &card).await
}

/// Asks the cardholder's bank to hold the funds for a `pending`
/// authorization (its id is the transfer id) and records the outcome.
async fn hold(
    env: &Env,
    mut row: AuthorizationRow,
    card: &registry::CardRow,
) -> Result<AuthorizeAnswer, ApiError> {
    let credit_account = if card.bank_id == MERCHANT_BANK {
        merchant_account(&row.merchant_id)
    } else {
        SETTLEMENT_ACCOUNT.to_owned()
    };
    let hold = TransferRequest::Hold {
        transfer_id: row.authorization_id.clone(),
        debit_account: card.account_id.clone(),
        credit_account,
        amount_minor: row.amount_minor,
        currency: row.currency.clone(),
        timeout_ms: HOLD_TIMEOUT_MS_MAX,
    };
    let Some(outcome) = client::transfer(env, &card.bank_id, &hold).await? else {
        return Ok(AuthorizeAnswer::Unknown);
    };
    if outcome.status == TransferStatus::Pending {
        let code = authorization_code(&row.authorization_id);
        row.outcome = "approved".to_owned();
        row.authorization_code = Some(code.clone());
        row.hold_id = Some(row.authorization_id.clone());
        registry::finish_authorization(env, &row).await?;
        return Ok(AuthorizeAnswer::Approved {
            authorization_code: code,
        });
    }
    let code = match outcome.failure {
        Some(BankFailure::InsufficientFunds | BankFailure::CreditLimitExceeded) => {
            DeclineCode::InsufficientFunds
        }
        Some(BankFailure::CurrencyMismatch) => DeclineCode::DoNotHonor,
        _ => DeclineCode::ProcessingError,
    };
    row.outcome = "declined".to_owned();
    row.decline_code = Some(code.code().to_owned());
    registry::finish_authorization(env, &row).await?;
    Ok(AuthorizeAnswer::Declined(code))
}

pub async fn authorize(
    env: &Env,
    request: &AuthorizeRequest<'_>,
) -> Result<AuthorizeAnswer, ApiError> {
    if let Some(existing) = registry::authorization(env, request.authorization_id).await? {
        if existing.outcome == "pending" {
            return retrieve(env, request.authorization_id).await;
        }
        return Ok(answer_of(&existing));
    }
    let card_key = secrets::bytes32(env, secrets::ISSUER_CARD_KEY)?;
    let cvc_key = secrets::bytes32(env, secrets::ISSUER_CVC_KEY)?;
    registry::ensure_demo_cards(env, &card_key).await?;
    let number = &request.card.number;
    let registry_key = card_registry_key(&card_key, number);
    let mut row = AuthorizationRow {
        authorization_id: request.authorization_id.to_owned(),
        card_key: Some(registry_key.clone()),
        last_four: Some(number.last_four().to_owned()),
        merchant_id: request.merchant_id.to_owned(),
        amount_minor: request.amount.to_minor(),
        currency: request.amount.currency().code().to_owned(),
        outcome: "declined".to_owned(),
        decline_code: None,
        authorization_code: None,
        bank_id: None,
        hold_id: None,
        created_at_ms: i64::try_from(request.now_ms).unwrap_or(i64::MAX),
    };
    let Some(card) = registry::find_card(env, &registry_key).await? else {
        return decline(env, row, DeclineCode::IncorrectNumber).await;
    };
    let status_decline = match card.status.as_str() {
        "active" => None,
        "lost" => Some(DeclineCode::LostCard),
        "stolen" => Some(DeclineCode::StolenCard),
        _ => Some(DeclineCode::DoNotHonor),
    };
    if let Some(code) = status_decline {
        return decline(env, row, code).await;
    }
    let presented = request.card.expiry;
    if presented.month() != card.expiry_month || presented.year() != card.expiry_year {
        return decline(env, row, DeclineCode::IncorrectExpiry).await;
    }
    if presented.is_expired_at(YearMonth::from_unix_ms(request.now_ms)) {
        return decline(env, row, DeclineCode::ExpiredCard).await;
    }
    if !cvc_matches(&cvc_key, number, &presented, &request.card.cvc) {
        return decline(env, row, DeclineCode::IncorrectCvc).await;
    }
    // Recorded before the bank is asked: a lost answer is asked again.
    row.outcome = "pending".to_owned();
    row.bank_id = Some(card.bank_id.clone());
    registry::record_authorization(env, &row).await?;
    hold(env, row, &card).await
}

async fn decline(
    env: &Env,
    mut row: AuthorizationRow,
    code: DeclineCode,
) -> Result<AuthorizeAnswer, ApiError> {
    row.decline_code = Some(code.code().to_owned());
    registry::record_authorization(env, &row).await?;
    Ok(AuthorizeAnswer::Declined(code))
}

/// The approved authorization `authorization_id`, with its bank and hold.
async fn approved(
    env: &Env,
    authorization_id: &str,
) -> Result<Option<(AuthorizationRow, String, String)>, ApiError> {
    let Some(row) = registry::authorization(env, authorization_id).await? else {
        return Ok(None);
    };
    match (
        row.outcome.as_str(),
        row.bank_id.clone(),
        row.hold_id.clone(),
    ) {
        ("approved", Some(bank_id), Some(hold_id)) => Ok(Some((row, bank_id, hold_id))),
        _ => Ok(None),
    }
}

fn movement(outcome: Option<crate::bank::wire::TransferOutcome>) -> MovementAnswer {
    match outcome {
        None => MovementAnswer::Unknown,
        Some(outcome) if outcome.status == TransferStatus::Failed => {
            MovementAnswer::Refused(outcome.failure.unwrap_or(BankFailure::InvalidRequest))
        }
        Some(_) => MovementAnswer::Done,
    }
}

/// When the cardholder banks elsewhere, the merchant's bank pays the
/// merchant from its settlement account (or takes a refund back).
async fn settle_at_merchant_bank(
    env: &Env,
    row: &AuthorizationRow,
    transfer_id: String,
    amount: &Money,
    to_merchant: bool,
) -> Result<MovementAnswer, ApiError> {
    let merchant = merchant_account(&row.merchant_id);
    let (debit_account, credit_account) = if to_merchant {
        (SETTLEMENT_ACCOUNT.to_owned(), merchant)
    } else {
        (merchant, SETTLEMENT_ACCOUNT.to_owned())
    };
    let settle = TransferRequest::Settle {
        transfer_id,
        debit_account,
        credit_account,
        amount_minor: amount.to_minor(),
        currency: amount.currency().code().to_owned(),
    };
    Ok(movement(
        client::transfer(env, MERCHANT_BANK, &settle).await?,
    ))
}

pub async fn capture(
    env: &Env,
    authorization_id: &str,
    capture_id: &str,
    amount: &Money,
) -> Result<MovementAnswer, ApiError> {
    let Some((row, bank_id, hold_id)) = approved(env, authorization_id).await? else {
        return Ok(MovementAnswer::NotFound);
    };
    let capture = TransferRequest::Capture {
        transfer_id: capture_id.to_owned(),
        hold_id,
        amount_minor: amount.to_minor(),
    };
    let answer = movement(client::transfer(env, &bank_id, &capture).await?);
    if answer == MovementAnswer::Done && bank_id != MERCHANT_BANK {
        return settle_at_merchant_bank(env, &row, format!("settle-{capture_id}"), amount, true)
            .await;
    }
    Ok(answer)
}

pub async fn void(
    env: &Env,
    authorization_id: &str,
    void_id: &str,
) -> Result<MovementAnswer, ApiError> {
    let Some((_, bank_id, hold_id)) = approved(env, authorization_id).await? else {
        return Ok(MovementAnswer::NotFound);
    };
    let void = TransferRequest::Void {
        transfer_id: void_id.to_owned(),
        hold_id,
    };
    Ok(movement(client::transfer(env, &bank_id, &void).await?))
}

pub async fn refund(
    env: &Env,
    authorization_id: &str,
    capture_id: &str,
    refund_id: &str,
    amount: &Money,
) -> Result<MovementAnswer, ApiError> {
    let Some((row, bank_id, _)) = approved(env, authorization_id).await? else {
        return Ok(MovementAnswer::NotFound);
    };
    let refund = TransferRequest::Refund {
        transfer_id: refund_id.to_owned(),
        capture_id: capture_id.to_owned(),
        amount_minor: amount.to_minor(),
    };
    // The card's bank checks the refund against the capture and returns the
    // money; then, when the merchant banks elsewhere, the merchant pays it
    // back at its own bank. A retry with the same ids finishes either step.
    let answer = movement(client::transfer(env, &bank_id, &refund).await?);
    if answer == MovementAnswer::Done && bank_id != MERCHANT_BANK {
        return settle_at_merchant_bank(env, &row, format!("settle-{refund_id}"), amount, false)
            .await;
    }
    Ok(answer)
}
