//! Test cards the operator has the issuer print: a fresh active Visa on a
//! demo account that pays, so a test that wants to lock a card's security
//! checks, or to spend a card's attempt budget, does not lock or spend a
//! demo card everybody else uses. Like a card printer, the route answers
//! the number, expiry and CVC once; the issuer keeps only its registry key.

use serde::Serialize;
use shared::card::{CardNumber, Expiry, YearMonth, luhn_valid};
use shared::issuer::{card_registry_key, derive_cvc};
use worker::Env;

use crate::error::ApiError;
use crate::issuer::registry::{self, IssuedCard};
use crate::secrets;

/// The account a test card draws on, and its bank: Ada's, which pays.
const TEST_CARD_BANK: &str = "northbank";
const TEST_CARD_ACCOUNT: &str = "acct.ada.current";
const TEST_CARD_HOLDER: &str = "Test Cardholder";

/// How many years ahead a test card expires.
const TEST_CARD_YEARS: u16 = 3;

#[derive(Serialize)]
pub struct PrintedCard {
    pub number: String,
    pub expiry_month: u8,
    pub expiry_year: u16,
    pub cvc: String,
}

/// The name every printed test card carries.
pub const TEST_CARD_HOLDER_NAME: &str = TEST_CARD_HOLDER;

/// Whether `number` is a card the operator had printed (a test route may
/// use no other number).
pub async fn is_printed(env: &Env, number: &CardNumber) -> Result<bool, ApiError> {
    let card_key = secrets::bytes32(env, secrets::ISSUER_CARD_KEY)?;
    let registry_key = card_registry_key(&card_key, number);
    Ok(registry::cardholder(env, &registry_key).await?.as_deref() == Some(TEST_CARD_HOLDER))
}

/// A 16-digit Visa number: `4`, 14 random digits, the Luhn check digit.
fn random_visa_number() -> Result<String, ApiError> {
    let mut random = [0_u8; 14];
    getrandom::fill(&mut random).map_err(|_| ApiError::internal("no randomness"))?;
    let mut digits: String = std::iter::once('4')
        .chain(random.iter().map(|byte| char::from(b'0' + byte % 10)))
        .collect();
    for check in '0'..='9' {
        digits.push(check);
        if luhn_valid(&digits) {
            return Ok(digits);
        }
        digits.pop();
    }
    Err(ApiError::internal("no Luhn check digit"))
}

/// Where a printed card draws: Ada's account at northbank unless the
/// operator names another (an account it opened for the test).
#[derive(Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrintOrder {
    #[serde(default)]
    pub bank_id: Option<String>,
    #[serde(default)]
    pub account_id: Option<String>,
}

pub async fn print(env: &Env, order: &PrintOrder, now_ms: u64) -> Result<PrintedCard, ApiError> {
    let (bank_id, account_id) = match (&order.bank_id, &order.account_id) {
        (None, None) => (TEST_CARD_BANK, TEST_CARD_ACCOUNT),
        (Some(bank_id), Some(account_id)) => (bank_id.as_str(), account_id.as_str()),
        _ => {
            return Err(ApiError::unprocessable(
                "invalid_body",
                "name both bank_id and account_id, or neither",
            ));
        }
    };
    if !crate::bank::wire::BANK_IDS.contains(&bank_id) {
        return Err(ApiError::unprocessable("invalid_body", "no such bank"));
    }
    let card_key = secrets::bytes32(env, secrets::ISSUER_CARD_KEY)?;
    let cvc_key = secrets::bytes32(env, secrets::ISSUER_CVC_KEY)?;
    let number = CardNumber::parse(&random_visa_number()?).map_err(ApiError::internal)?;
    let this_month = YearMonth::from_unix_ms(now_ms);
    let expiry = Expiry::new(12, this_month.year.saturating_add(TEST_CARD_YEARS))
        .map_err(ApiError::internal)?;
    let registry_key = card_registry_key(&card_key, &number);
    registry::issue_card(
        env,
        &IssuedCard {
            registry_key: &registry_key,
            number: &number,
            expiry: &expiry,
            bank_id,
            account_id,
            cardholder: TEST_CARD_HOLDER,
        },
    )
    .await?;
    Ok(PrintedCard {
        number: number.reveal_digits().to_owned(),
        expiry_month: expiry.month(),
        expiry_year: expiry.year(),
        cvc: derive_cvc(&cvc_key, &number, &expiry)
            .reveal_digits()
            .to_owned(),
    })
}
