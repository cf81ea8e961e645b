//! The issuer's authorization API: authorize (check the card, then hold the
//! funds at the cardholder's bank), capture, void and refund. Each call is
//! idempotent by its id, which is also the bank transfer id, so a retry
//! after a crash or a lost answer finishes or reports, never doubles.

use sha2::{Digest, Sha256};
use shared::assertion::public_key_is_usable;
use shared::card::YearMonth;
use shared::decline::DeclineCode;
use shared::encoding::to_base64url;
use shared::issuer::{
    AuthorizationRequest, authorization_request_digest, card_registry_key, cvc_matches,
};
use shared::money::Money;
use shared::seal::{CardDetails, PasskeyProof};
use worker::Env;

use crate::bank::client;
use crate::bank::wire::{BankFailure, HOLD_TIMEOUT_MS_MAX, TransferRequest, TransferStatus};
use crate::error::ApiError;
use crate::issuer::demo::MERCHANT_BANK;
use crate::issuer::passkeys::{self, Confirmed};
use crate::issuer::registry::{self, AuthorizationRow, Outcome};
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
    /// The passkey proof the shopper sealed with the payment, if any.
    pub passkey: Option<&'a PasskeyProof>,
    /// What a passkey assertion for this payment must sign: the digest of
    /// the payment's binding (`shared::assertion::payment_challenge`).
    pub challenge: [u8; 32],
}

/// The issuer's answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuthorizeAnswer {
    Approved {
        authorization_code: String,
        /// The customer was verified by the card's passkey.
        passkey_verified: bool,
    },
    Declined(DeclineCode),
    /// Reversed before it was decided: never approved.
    Reversed,
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
    match (row.outcome, &row.authorization_code) {
        (Outcome::Pending, _) => AuthorizeAnswer::Unknown,
        (Outcome::Approved, Some(code)) => AuthorizeAnswer::Approved {
            authorization_code: code.clone(),
            passkey_verified: row.verified_by_passkey == 1,
        },
        // An approval recorded without its code is not guessed at.
        (Outcome::Approved, None) => AuthorizeAnswer::Unknown,
        (Outcome::Reversed, _) => AuthorizeAnswer::Reversed,
        _ => AuthorizeAnswer::Declined(row.decline_code.unwrap_or(DeclineCode::ProcessingError)),
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
    if row.outcome != Outcome::Pending {
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
        row.outcome = Outcome::Approved;
        row.authorization_code = Some(code.clone());
        row.hold_id = Some(row.authorization_id.clone());
        if !registry::finish_authorization(env, &row).await? {
            // Reversed while the bank was asked: release the late hold.
            return release_late_hold(env, card, &row.authorization_id).await;
        }
        return Ok(AuthorizeAnswer::Approved {
            authorization_code: code,
            passkey_verified: row.verified_by_passkey == 1,
        });
    }
    let code = match outcome.failure {
        Some(BankFailure::InsufficientFunds | BankFailure::CreditLimitExceeded) => {
            DeclineCode::InsufficientFunds
        }
        Some(BankFailure::CurrencyMismatch) => DeclineCode::DoNotHonor,
        _ => DeclineCode::ProcessingError,
    };
    row.outcome = Outcome::Declined;
    row.decline_code = Some(code);
    if !registry::finish_authorization(env, &row).await? {
        return stored_answer(env, &row.authorization_id).await;
    }
    Ok(AuthorizeAnswer::Declined(code))
}

/// The answer recorded for `authorization_id`, as it stands.
async fn stored_answer(env: &Env, authorization_id: &str) -> Result<AuthorizeAnswer, ApiError> {
    Ok(registry::authorization(env, authorization_id)
        .await?
        .map_or(AuthorizeAnswer::Unknown, |row| answer_of(&row)))
}

/// A hold the bank placed for an authorization reversed meanwhile: voided
/// at once (its transfer id derived from the hold's, so a retry finds it).
async fn release_late_hold(
    env: &Env,
    card: &registry::CardRow,
    authorization_id: &str,
) -> Result<AuthorizeAnswer, ApiError> {
    let void = TransferRequest::Void {
        transfer_id: format!("{authorization_id}.reversal"),
        hold_id: authorization_id.to_owned(),
        account_id: card.account_id.clone(),
    };
    if client::transfer(env, &card.bank_id, &void).await?.is_none() {
        worker::console_error!("issuer: a late hold was not released yet");
        return Ok(AuthorizeAnswer::Unknown);
    }
    stored_answer(env, authorization_id).await
}

pub async fn authorize(
    env: &Env,
    request: &AuthorizeRequest<'_>,
) -> Result<AuthorizeAnswer, ApiError> {
    let card_key = secrets::bytes32(env, secrets::ISSUER_CARD_KEY)?;
    let number = &request.card.number;
    let digest = authorization_request_digest(
        &card_key,
        &AuthorizationRequest {
            number,
            expiry: &request.card.expiry,
            cvc: &request.card.cvc,
            amount_minor: request.amount.to_minor(),
            currency: request.amount.currency().code(),
            merchant_id: request.merchant_id,
        },
    );
    registry::ensure_demo_cards(env, &card_key).await?;
    let registry_key = card_registry_key(&card_key, number);
    let registry::Known {
        authorization: existing,
        card,
        passkey,
    } = registry::authorization_and_card(env, request.authorization_id, &registry_key).await?;
    if let Some(existing) = existing {
        return answer_again(env, &existing, &digest).await;
    }
    let cvc_key = secrets::bytes32(env, secrets::ISSUER_CVC_KEY)?;
    let mut row = AuthorizationRow {
        authorization_id: request.authorization_id.to_owned(),
        card_key: card.as_ref().map(|_| registry_key.clone()),
        last_four: Some(number.last_four().to_owned()),
        merchant_id: request.merchant_id.to_owned(),
        amount_minor: request.amount.to_minor(),
        currency: request.amount.currency().code().to_owned(),
        outcome: Outcome::Declined,
        decline_code: None,
        authorization_code: None,
        bank_id: card.as_ref().map(|card| card.bank_id.clone()),
        account_id: card.as_ref().map(|card| card.account_id.clone()),
        hold_id: None,
        created_at_ms: i64::try_from(request.now_ms).unwrap_or(i64::MAX),
        request_digest: Some(digest),
        security_failure: 0,
        verified_by_passkey: 0,
    };
    let Some(card) = card else {
        row.decline_code = Some(DeclineCode::IncorrectNumber);
        return recorded(env, &row).await;
    };
    row.decline_code = check(&card, request, &cvc_key);
    // Only a payment whose card codes were right learns that the card asks
    // for its passkey; the assertion is checked, and its counter moved on,
    // before the bank is asked.
    if row.decline_code.is_none() {
        match passkeys::confirm_passkey(env, &registry_key, passkey.as_ref(), request).await? {
            Confirmed::ByPasskey => row.verified_by_passkey = 1,
            Confirmed::ByCardCode => {}
            Confirmed::Not => row.decline_code = Some(DeclineCode::AuthenticationRequired),
        }
    }
    match row.decline_code {
        Some(code) => row.security_failure = i64::from(code.is_security_check()),
        // Recorded before the bank is asked: a lost answer is asked again.
        None => row.outcome = Outcome::Pending,
    }
    let stored = registry::record_checked(env, &row).await?;
    if stored.request_digest != row.request_digest {
        // Another request took this id meanwhile.
        return Err(reused());
    }
    if stored.outcome == Outcome::Pending {
        let answer = hold(env, stored, &card).await?;
        // A passkey sealed with a payment is enrolled once that payment is
        // approved: the card's codes were right, the card was not locked,
        // and its bank held the money.
        if let (
            AuthorizeAnswer::Approved { .. },
            None,
            Some(PasskeyProof::Enroll {
                credential_id,
                public_key,
            }),
        ) = (&answer, &passkey, request.passkey)
            && public_key_is_usable(public_key)
        {
            registry::enroll_passkey(
                env,
                &registry_key,
                &to_base64url(credential_id),
                &to_base64url(public_key),
                request.now_ms,
            )
            .await?;
        }
        return Ok(answer);
    }
    Ok(answer_of(&stored))
}

/// The card's checks, in an order that tells nothing for free: the status
/// first (lost, stolen, blocked), then both security checks (a wrong expiry
/// before a wrong CVC), and only a card whose codes were right learns that
/// it has expired.
fn check(
    card: &registry::CardRow,
    request: &AuthorizeRequest<'_>,
    cvc_key: &[u8; 32],
) -> Option<DeclineCode> {
    match card.status.as_str() {
        "active" => {}
        "lost" => return Some(DeclineCode::LostCard),
        "stolen" => return Some(DeclineCode::StolenCard),
        // Blocked, or a status this build does not know: fail closed.
        _ => return Some(DeclineCode::DoNotHonor),
    }
    let presented = request.card.expiry;
    if presented.month() != card.expiry_month || presented.year() != card.expiry_year {
        return Some(DeclineCode::IncorrectExpiry);
    }
    if !cvc_matches(cvc_key, &request.card.number, &presented, &request.card.cvc) {
        return Some(DeclineCode::IncorrectCvc);
    }
    if presented.is_expired_at(YearMonth::from_unix_ms(request.now_ms)) {
        return Some(DeclineCode::ExpiredCard);
    }
    None
}

/// The issuer's refusal of an id presented with another request.
pub const AUTHORIZATION_ID_REUSED: &str = "authorization_id_reused";

fn reused() -> ApiError {
    ApiError::Conflict {
        code: AUTHORIZATION_ID_REUSED,
        message: "this authorization id was used for a different request".to_owned(),
    }
}

/// A request under an id the issuer already recorded: the same request
/// gets the recorded answer (asking the bank again while it is pending);
/// another request under that id is refused.
async fn answer_again(
    env: &Env,
    existing: &AuthorizationRow,
    digest: &str,
) -> Result<AuthorizeAnswer, ApiError> {
    if existing.outcome == Outcome::Reversed {
        return Ok(AuthorizeAnswer::Reversed);
    }
    if existing.request_digest.as_deref() != Some(digest) {
        return Err(reused());
    }
    if existing.outcome == Outcome::Pending {
        return retrieve(env, &existing.authorization_id).await;
    }
    Ok(answer_of(existing))
}

/// An authorization declined before any check (no such card): recorded so
/// the same id always gets the same answer.
async fn recorded(env: &Env, row: &AuthorizationRow) -> Result<AuthorizeAnswer, ApiError> {
    let stored = registry::record_checked(env, row).await?;
    if stored.request_digest != row.request_digest {
        return Err(reused());
    }
    Ok(answer_of(&stored))
}

/// The gateway gives up on `authorization_id`: recorded as reversed if the
/// issuer never saw it, reversed if still pending (a hold placed meanwhile
/// is released); a final outcome stands and is answered.
pub async fn reverse(
    env: &Env,
    authorization_id: &str,
    merchant_id: &str,
    amount: &Money,
    now_ms: u64,
) -> Result<AuthorizeAnswer, ApiError> {
    let row = AuthorizationRow {
        authorization_id: authorization_id.to_owned(),
        card_key: None,
        last_four: None,
        merchant_id: merchant_id.to_owned(),
        amount_minor: amount.to_minor(),
        currency: amount.currency().code().to_owned(),
        outcome: Outcome::Reversed,
        decline_code: Some(DeclineCode::ProcessingError),
        authorization_code: None,
        bank_id: None,
        account_id: None,
        hold_id: None,
        created_at_ms: i64::try_from(now_ms).unwrap_or(i64::MAX),
        request_digest: None,
        security_failure: 0,
        verified_by_passkey: 0,
    };
    let stored = registry::reverse(env, &row).await?;
    if stored.outcome == Outcome::Reversed
        && let Some(bank_id) = stored.bank_id.as_deref()
        && let Some(account_id) = account_of(env, &stored).await?
    {
        // A hold may have landed before the reversal: release it (a void of
        // a hold the bank never placed is refused, which is fine).
        let void = TransferRequest::Void {
            transfer_id: format!("{authorization_id}.reversal"),
            hold_id: authorization_id.to_owned(),
            account_id,
        };
        if client::transfer(env, bank_id, &void).await?.is_none() {
            return Ok(AuthorizeAnswer::Unknown);
        }
    }
    Ok(answer_of(&stored))
}

/// The account an authorization's card draws on: recorded with it, or,
/// for one recorded before that, looked up by the card.
async fn account_of(env: &Env, row: &AuthorizationRow) -> Result<Option<String>, ApiError> {
    if let Some(account_id) = &row.account_id {
        return Ok(Some(account_id.clone()));
    }
    let Some(card_key) = row.card_key.as_deref() else {
        return Ok(None);
    };
    Ok(registry::find_card(env, card_key)
        .await?
        .map(|card| card.account_id))
}

/// An approved authorization, with where its money is: its bank, its hold
/// and the account the hold draws on.
struct Approved {
    row: AuthorizationRow,
    bank_id: String,
    hold_id: String,
    account_id: String,
}

/// The approved authorization `authorization_id`.
async fn approved(env: &Env, authorization_id: &str) -> Result<Option<Approved>, ApiError> {
    let Some(row) = registry::authorization(env, authorization_id).await? else {
        return Ok(None);
    };
    let (Outcome::Approved, Some(bank_id), Some(hold_id)) =
        (row.outcome, row.bank_id.clone(), row.hold_id.clone())
    else {
        return Ok(None);
    };
    let Some(account_id) = account_of(env, &row).await? else {
        return Ok(None);
    };
    Ok(Some(Approved {
        row,
        bank_id,
        hold_id,
        account_id,
    }))
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
    let Some(Approved {
        row,
        bank_id,
        hold_id,
        account_id,
    }) = approved(env, authorization_id).await?
    else {
        return Ok(MovementAnswer::NotFound);
    };
    let capture = TransferRequest::Capture {
        transfer_id: capture_id.to_owned(),
        hold_id,
        account_id: account_id.clone(),
        amount_minor: amount.to_minor(),
    };
    let answer = movement(client::transfer(env, &bank_id, &capture).await?);
    if answer != MovementAnswer::Done || bank_id == MERCHANT_BANK {
        return Ok(answer);
    }
    // The capture posted at the cardholder's bank; the merchant is paid at
    // its own. Both happen, or the capture is undone: a settlement the
    // merchant's bank refuses returns the money to the cardholder (a refund
    // with an id derived from the capture's, so a retry repeats neither).
    let settled =
        settle_at_merchant_bank(env, &row, format!("settle-{capture_id}"), amount, true).await?;
    let MovementAnswer::Refused(failure) = settled else {
        return Ok(settled);
    };
    let undo = TransferRequest::Refund {
        transfer_id: format!("undo-{capture_id}"),
        capture_id: capture_id.to_owned(),
        account_id,
        amount_minor: amount.to_minor(),
    };
    match movement(client::transfer(env, &bank_id, &undo).await?) {
        MovementAnswer::Done => Ok(MovementAnswer::Refused(failure)),
        // Not undone yet: no final answer, so the caller asks again.
        _ => {
            worker::console_error!("issuer: a refused settlement is not undone yet");
            Ok(MovementAnswer::Unknown)
        }
    }
}

pub async fn void(
    env: &Env,
    authorization_id: &str,
    void_id: &str,
) -> Result<MovementAnswer, ApiError> {
    let Some(Approved {
        bank_id,
        hold_id,
        account_id,
        ..
    }) = approved(env, authorization_id).await?
    else {
        return Ok(MovementAnswer::NotFound);
    };
    let void = TransferRequest::Void {
        transfer_id: void_id.to_owned(),
        hold_id,
        account_id,
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
    let Some(Approved {
        row,
        bank_id,
        account_id,
        ..
    }) = approved(env, authorization_id).await?
    else {
        return Ok(MovementAnswer::NotFound);
    };
    let refund = TransferRequest::Refund {
        transfer_id: refund_id.to_owned(),
        capture_id: capture_id.to_owned(),
        account_id,
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
