//! Operator routes: what the people who run the demo bank and issuer (and
//! the tests) may do that shoppers and merchants may not: open accounts,
//! move money by hand, check the ledger's invariants, scan storage, print
//! test cards, and run test authorizations through the gateway's connector.
//! Every route needs `Authorization: Bearer <OPERATOR_TOKEN>`, compared in
//! constant time. Demo cards are named, never numbered; the one exception
//! is the test-card printer (`POST …/issuer/cards` answers the new card's
//! number, expiry and CVC once) and test authorizations of such a printed
//! card. Test references may not name a gateway payment (`pay_…`).

use serde::{Deserialize, Serialize};
use shared::card::{CardNumber, Cvc, Expiry};
use shared::issuer::derive_cvc;
use shared::money::{Currency, Money};
use shared::seal::CardDetails;
use worker::{Env, Method, Request, Response};

use crate::bank::client;
use crate::error::ApiError;
use crate::gateway::connector::{
    BuiltInIssuer, CardConnector, ConnectorAuthorization, ConnectorAuthorize, ConnectorOutcome,
};
use crate::gateway::merchant_auth;
use crate::issuer::demo;

/// The largest body an operator route forwards.
const OPERATOR_BODY_BYTES_MAX: usize = 4096;

/// Checks the operator's bearer token.
fn authenticate(request: &Request, env: &Env) -> Result<(), ApiError> {
    crate::http::require_bearer(request, env, crate::secrets::OPERATOR_TOKEN)
}

/// `/api/operator/banks/{bank}/{accounts|accounts/{id}|transfers|invariants|dump}`:
/// forwarded to that bank's ledger as they are.
pub async fn bank(
    mut request: Request,
    env: &Env,
    bank_id: &str,
    rest: &[&str],
) -> Result<Response, ApiError> {
    authenticate(&request, env)?;
    let method = request.method();
    let allowed = matches!(
        (&method, rest),
        (Method::Post, ["accounts"])
            | (Method::Get, ["accounts", _])
            | (Method::Post, ["transfers"])
            | (Method::Get, ["invariants"])
            | (Method::Get, ["dump"])
            | (Method::Post, ["outage"])
    );
    if !allowed {
        return Err(ApiError::RouteNotFound);
    }
    let body = if method == Method::Post {
        let bytes = crate::http::read_body(&mut request, OPERATOR_BODY_BYTES_MAX).await?;
        Some(
            String::from_utf8(bytes)
                .map_err(|_| ApiError::unprocessable("invalid_body", "body is not UTF-8"))?,
        )
    } else {
        None
    };
    client::operator(env, bank_id, method, rest, body).await
}

/// A test authorization names a demo card, or carries the number of a test
/// card the operator had printed (`POST /api/operator/issuer/cards`); no
/// other number crosses an operator route. Without `cvc` the card's right
/// CVC is used; `expiry_month`/`expiry_year` override the printed expiry
/// (to test a wrong one).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TestAuthorization {
    reference: String,
    #[serde(default)]
    demo_card: Option<String>,
    #[serde(default)]
    test_card_number: Option<String>,
    #[serde(default)]
    test_card_expiry: Option<(u8, u16)>,
    cvc: Option<String>,
    expiry_month: Option<u8>,
    expiry_year: Option<u16>,
    amount: String,
    currency: Currency,
    merchant_id: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TestMovement {
    reference: String,
    #[serde(default)]
    transfer_id: String,
    #[serde(default)]
    merchant_id: Option<String>,
    capture_id: Option<String>,
    amount: Option<String>,
    currency: Option<Currency>,
}

#[derive(Serialize)]
struct TestAnswer {
    outcome: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    authorization_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    code: Option<String>,
    /// What the shopper would be told, were this the card's first failed
    /// security check of the day (the gateway counts those).
    #[serde(skip_serializing_if = "Option::is_none")]
    shopper_code: Option<&'static str>,
}

/// The prefix of the gateway's own issuer references: a test route may not
/// touch them (nor take one before the gateway does).
const GATEWAY_REFERENCE_PREFIX: &str = "pay_";

fn test_reference(reference: &str) -> Result<(), ApiError> {
    if reference.starts_with(GATEWAY_REFERENCE_PREFIX) || reference.is_empty() {
        return Err(ApiError::unprocessable(
            "invalid_reference",
            "a test reference may not be empty or name a gateway payment",
        ));
    }
    Ok(())
}

/// The card a test authorization names: a demo card by name, or a printed
/// test card by number and expiry. Answers the card and its printed expiry.
async fn test_card(
    env: &Env,
    test: &TestAuthorization,
) -> Result<(CardNumber, Expiry, String), ApiError> {
    let unknown = || ApiError::unprocessable("unknown_demo_card", "no demo card has that name");
    match (
        &test.demo_card,
        &test.test_card_number,
        test.test_card_expiry,
    ) {
        (Some(name), None, None) => {
            let demo = demo::by_name(name).ok_or_else(unknown)?;
            let number = CardNumber::parse(demo.number).map_err(ApiError::internal)?;
            let printed =
                Expiry::new(demo.expiry_month, demo.expiry_year).map_err(ApiError::internal)?;
            Ok((number, printed, demo.cardholder.to_owned()))
        }
        (None, Some(number), Some((month, year))) => {
            let number = CardNumber::parse(number)
                .map_err(|_| ApiError::unprocessable("invalid_card", "not a card number"))?;
            if !crate::issuer::test_cards::is_printed(env, &number).await? {
                return Err(ApiError::unprocessable(
                    "invalid_card",
                    "only a test card the operator had printed may be named by number",
                ));
            }
            let printed = Expiry::new(month, year)
                .map_err(|error| ApiError::unprocessable("invalid_expiry", error.to_string()))?;
            Ok((
                number,
                printed,
                crate::issuer::test_cards::TEST_CARD_HOLDER_NAME.to_owned(),
            ))
        }
        _ => Err(ApiError::unprocessable(
            "invalid_body",
            "name a demo_card, or give test_card_number with test_card_expiry",
        )),
    }
}

async fn read_body<T: serde::de::DeserializeOwned>(request: &mut Request) -> Result<T, ApiError> {
    let bytes = crate::http::read_body(request, OPERATOR_BODY_BYTES_MAX).await?;
    serde_json::from_slice(&bytes).map_err(|_| {
        ApiError::unprocessable("invalid_body", "body does not match the route's fields")
    })
}

fn money(amount: Option<&str>, currency: Option<Currency>) -> Result<Money, ApiError> {
    match (amount, currency) {
        (Some(amount), Some(currency)) => Money::parse_non_negative(amount, currency)
            .map_err(|error| ApiError::unprocessable("invalid_amount", error.to_string())),
        _ => Err(ApiError::unprocessable(
            "invalid_amount",
            "amount and currency are required",
        )),
    }
}

fn authorization_answer(authorization: ConnectorAuthorization) -> TestAnswer {
    let (outcome, authorization_code, code) = match authorization {
        ConnectorAuthorization::Approved {
            authorization_code, ..
        } => ("approved", Some(authorization_code), None),
        ConnectorAuthorization::Declined { code } => ("declined", None, Some(code)),
        ConnectorAuthorization::Reversed => ("reversed", None, None),
        ConnectorAuthorization::Unknown => ("unknown", None, None),
    };
    TestAnswer {
        outcome,
        authorization_code,
        code: code.map(|code| code.code().to_owned()),
        shopper_code: code.map(|code| code.for_shopper(true).code()),
    }
}

fn movement_answer(outcome: ConnectorOutcome) -> TestAnswer {
    let (outcome, code) = match outcome {
        ConnectorOutcome::Done => ("done", None),
        ConnectorOutcome::Refused { code } => ("refused", Some(code)),
        ConnectorOutcome::Unknown => ("unknown", None),
    };
    TestAnswer {
        outcome,
        authorization_code: None,
        code,
        shopper_code: None,
    }
}

/// `/api/operator/issuer/{cards|test-authorizations|test-reversals|test-captures|test-voids|test-refunds|dump}`:
/// drives the issuer through the gateway's connector trait, as the gateway
/// does, with demo cards named rather than numbered.
pub async fn issuer(mut request: Request, env: &Env, rest: &[&str]) -> Result<Response, ApiError> {
    authenticate(&request, env)?;
    let connector = BuiltInIssuer { env };
    let now_ms = worker::Date::now().as_millis();
    let answer = match (request.method(), rest) {
        (Method::Get, ["dump"]) => {
            return Ok(crate::http::json(&crate::issuer::dump(env).await?, 200));
        }
        (Method::Post, ["test-authorizations"]) => {
            let test: TestAuthorization = read_body(&mut request).await?;
            test_reference(&test.reference)?;
            let (number, printed, holder_name) = test_card(env, &test).await?;
            let expiry = Expiry::new(
                test.expiry_month.unwrap_or(printed.month()),
                test.expiry_year.unwrap_or(printed.year()),
            )
            .map_err(|error| ApiError::unprocessable("invalid_expiry", error.to_string()))?;
            let cvc = match &test.cvc {
                Some(cvc) => Cvc::parse(cvc, number.brand())
                    .map_err(|error| ApiError::unprocessable("invalid_cvc", error.to_string()))?,
                None => {
                    let cvc_key = crate::secrets::bytes32(env, crate::secrets::ISSUER_CVC_KEY)?;
                    derive_cvc(&cvc_key, &number, &printed)
                }
            };
            let card = CardDetails {
                number,
                expiry,
                cvc,
                holder_name,
            };
            let amount = money(Some(&test.amount), Some(test.currency))?;
            let authorization = connector
                .authorize(&ConnectorAuthorize {
                    reference: &test.reference,
                    card: &card,
                    amount,
                    merchant_id: &test.merchant_id,
                    now_ms,
                    // The operator's connector drill carries no passkey:
                    // a card with one enrolled declines it.
                    passkey: None,
                    challenge: [0; 32],
                })
                .await?;
            authorization_answer(authorization)
        }
        (Method::Post, ["cards"]) => {
            let order: crate::issuer::test_cards::PrintOrder = read_body(&mut request).await?;
            let printed = crate::issuer::test_cards::print(env, &order, now_ms).await?;
            return Ok(crate::http::json(&printed, 201));
        }
        (Method::Post, ["test-reversals"]) => {
            let test: TestMovement = read_body(&mut request).await?;
            test_reference(&test.reference)?;
            let amount = money(test.amount.as_deref(), test.currency)?;
            let merchant_id = test.merchant_id.as_deref().ok_or_else(|| {
                ApiError::unprocessable("invalid_body", "merchant_id is required")
            })?;
            authorization_answer(
                connector
                    .reverse(&test.reference, merchant_id, &amount, now_ms)
                    .await?,
            )
        }
        (Method::Post, ["test-captures"]) => {
            let test: TestMovement = read_body(&mut request).await?;
            test_reference(&test.reference)?;
            let amount = money(test.amount.as_deref(), test.currency)?;
            movement_answer(
                connector
                    .capture(&test.reference, &test.transfer_id, &amount)
                    .await?,
            )
        }
        (Method::Post, ["test-voids"]) => {
            let test: TestMovement = read_body(&mut request).await?;
            test_reference(&test.reference)?;
            movement_answer(connector.void(&test.reference, &test.transfer_id).await?)
        }
        (Method::Post, ["test-refunds"]) => {
            let test: TestMovement = read_body(&mut request).await?;
            test_reference(&test.reference)?;
            let amount = money(test.amount.as_deref(), test.currency)?;
            let capture_id = test
                .capture_id
                .ok_or_else(|| ApiError::unprocessable("invalid_body", "capture_id is required"))?;
            movement_answer(
                connector
                    .refund(&test.reference, &capture_id, &test.transfer_id, &amount)
                    .await?,
            )
        }
        _ => return Err(ApiError::RouteNotFound),
    };
    Ok(crate::http::json(&answer, 200))
}

#[derive(Serialize)]
struct NewKey {
    merchant_id: String,
    /// Shown this once; the gateway keeps only its hash.
    key: String,
    key_prefix: String,
}

/// `POST /api/operator/merchants/{id}/keys` issues a key (at most two
/// active per merchant, for rotation); `POST .../keys/{prefix}/revoke`
/// revokes one.
pub async fn merchant_keys(
    request: Request,
    env: &Env,
    merchant_id: &str,
    rest: &[&str],
) -> Result<Response, ApiError> {
    authenticate(&request, env)?;
    let now_ms = worker::Date::now().as_millis();
    match (request.method(), rest) {
        (Method::Post, []) => {
            let (key, key_prefix) = merchant_auth::issue_key(env, merchant_id, now_ms).await?;
            let issued = NewKey {
                merchant_id: merchant_id.to_owned(),
                key,
                key_prefix,
            };
            Ok(crate::http::json(&issued, 201))
        }
        (Method::Post, [prefix, "revoke"]) => {
            merchant_auth::revoke_key(env, merchant_id, prefix, now_ms).await?;
            Ok(crate::http::json(
                &serde_json::json!({ "revoked": prefix }),
                200,
            ))
        }
        _ => Err(ApiError::RouteNotFound),
    }
}

/// `/api/operator/gateway/keys/{rotate|retire|history}`: the gateway's
/// encryption keys, by hand (the alarm does the same on schedule).
pub async fn gateway_keys(
    request: &Request,
    env: &Env,
    action: &str,
) -> Result<Response, ApiError> {
    authenticate(request, env)?;
    crate::gateway::keys::operator(request, env, action).await
}

/// `GET /api/operator/{gateway|store}/dump`: every stored row of the
/// gateway (its D1 tables and each payment object) or of the store, for the
/// tests' storage scan.
pub async fn dump(request: &Request, env: &Env, party: &str) -> Result<Response, ApiError> {
    authenticate(request, env)?;
    let rows = match party {
        "gateway" => crate::gateway::payments::dump(env).await?,
        "store" => crate::store::db::dump(env).await?,
        _ => return Err(ApiError::RouteNotFound),
    };
    Ok(crate::http::json(&rows, 200))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Drill {
    seconds: u32,
}

/// `POST /api/operator/store/webhook-outage {seconds}`: the store drops the
/// gateway's events for a while (at most a minute), as a store that is
/// down would; the gateway's outbox delivers them afterwards.
pub async fn webhook_outage(mut request: Request, env: &Env) -> Result<Response, ApiError> {
    authenticate(&request, env)?;
    let drill: Drill = read_body(&mut request).await?;
    crate::store::webhooks::drop_events_for(drill.seconds);
    Ok(crate::http::json(
        &serde_json::json!({"dropping_for_s": drill.seconds.min(crate::store::webhooks::DROP_SECONDS_MAX)}),
        200,
    ))
}

/// `GET /api/operator/meter`: this isolate's counts of D1 statements per
/// database and of requests per Durable Object class and service binding
/// (`meter.rs`), for the benchmark's per-payment figures.
pub fn meter(request: &Request, env: &Env) -> Result<Response, ApiError> {
    authenticate(request, env)?;
    Ok(crate::http::json(&crate::meter::snapshot(), 200))
}

/// `POST /api/operator/gateway/retention`: runs the gateway's retention
/// sweep now (the cron trigger runs it every 30 minutes).
pub async fn retention(request: &Request, env: &Env) -> Result<Response, ApiError> {
    authenticate(request, env)?;
    crate::gateway::retention::sweep(env, worker::Date::now().as_millis()).await?;
    Ok(crate::http::json(
        &serde_json::json!({ "swept": true }),
        200,
    ))
}
