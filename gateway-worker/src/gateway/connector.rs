//! The gateway's connector to a card issuer, as a small trait with its own
//! request and answer types (after Hyperswitch's connectors), so that a real
//! issuer's API could replace the built-in one without touching the rest of
//! the gateway. `BuiltInIssuer` connects to this demo's issuer in-process.

use shared::decline::DeclineCode;
use shared::money::Money;
use shared::seal::{CardDetails, PasskeyProof};
use worker::Env;

use crate::error::ApiError;
use crate::issuer::authorize::{self, AuthorizeAnswer, AuthorizeRequest, MovementAnswer};

/// An authorization to ask for. `reference` is the connector-side id of the
/// attempt: the same reference always gets the same answer.
pub struct ConnectorAuthorize<'a> {
    pub reference: &'a str,
    pub card: &'a CardDetails,
    pub amount: Money,
    pub merchant_id: &'a str,
    pub now_ms: u64,
    /// The passkey proof sealed with the payment, for the issuer.
    pub passkey: Option<&'a PasskeyProof>,
    /// What an assertion for this payment signs.
    pub challenge: [u8; 32],
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConnectorAuthorization {
    Approved {
        authorization_code: String,
        /// The issuer verified the customer by the card's passkey.
        passkey_verified: bool,
    },
    Declined {
        code: DeclineCode,
    },
    /// Reversed at the gateway's request before it was decided: never
    /// approved, and any hold it got is released.
    Reversed,
    /// No answer; ask again with the same reference, never guess.
    Unknown,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConnectorOutcome {
    Done,
    /// Refused by the issuer or bank, with its reason code.
    Refused {
        code: String,
    },
    Unknown,
}

/// What the gateway needs from any card issuer.
pub trait CardConnector {
    async fn authorize(
        &self,
        request: &ConnectorAuthorize<'_>,
    ) -> Result<ConnectorAuthorization, ApiError>;
    /// The answer an earlier authorization got, asked again by reference.
    async fn retrieve(&self, reference: &str) -> Result<ConnectorAuthorization, ApiError>;
    /// Gives up on an authorization whose answer never came: the issuer
    /// answers its final outcome if it has one, else reverses it for good.
    async fn reverse(
        &self,
        reference: &str,
        merchant_id: &str,
        amount: &Money,
        now_ms: u64,
    ) -> Result<ConnectorAuthorization, ApiError>;
    async fn capture(
        &self,
        reference: &str,
        capture_id: &str,
        amount: &Money,
    ) -> Result<ConnectorOutcome, ApiError>;
    async fn void(&self, reference: &str, void_id: &str) -> Result<ConnectorOutcome, ApiError>;
    async fn refund(
        &self,
        reference: &str,
        capture_id: &str,
        refund_id: &str,
        amount: &Money,
    ) -> Result<ConnectorOutcome, ApiError>;
}

/// The demo's own issuer, reached in-process.
pub struct BuiltInIssuer<'a> {
    pub env: &'a Env,
}

fn outcome(answer: MovementAnswer) -> ConnectorOutcome {
    match answer {
        MovementAnswer::Done => ConnectorOutcome::Done,
        MovementAnswer::Refused(failure) => ConnectorOutcome::Refused {
            code: failure.code().to_owned(),
        },
        MovementAnswer::NotFound => ConnectorOutcome::Refused {
            code: "authorization_not_found".to_owned(),
        },
        MovementAnswer::Unknown => ConnectorOutcome::Unknown,
    }
}

fn authorization(answer: AuthorizeAnswer) -> ConnectorAuthorization {
    match answer {
        AuthorizeAnswer::Approved {
            authorization_code,
            passkey_verified,
        } => ConnectorAuthorization::Approved {
            authorization_code,
            passkey_verified,
        },
        AuthorizeAnswer::Declined(code) => ConnectorAuthorization::Declined { code },
        AuthorizeAnswer::Reversed => ConnectorAuthorization::Reversed,
        AuthorizeAnswer::Unknown => ConnectorAuthorization::Unknown,
    }
}

impl CardConnector for BuiltInIssuer<'_> {
    async fn authorize(
        &self,
        request: &ConnectorAuthorize<'_>,
    ) -> Result<ConnectorAuthorization, ApiError> {
        let answer = authorize::authorize(
            self.env,
            &AuthorizeRequest {
                authorization_id: request.reference,
                card: request.card,
                amount: request.amount,
                merchant_id: request.merchant_id,
                now_ms: request.now_ms,
                passkey: request.passkey,
                challenge: request.challenge,
            },
        )
        .await;
        match answer {
            Ok(answer) => Ok(authorization(answer)),
            // The issuer holds another request under this reference: this
            // one was never authorized, and asking again would only fetch
            // the other's answer.
            Err(ApiError::Conflict {
                code: authorize::AUTHORIZATION_ID_REUSED,
                ..
            }) => Ok(ConnectorAuthorization::Declined {
                code: DeclineCode::ProcessingError,
            }),
            Err(failure) => Err(failure),
        }
    }

    async fn retrieve(&self, reference: &str) -> Result<ConnectorAuthorization, ApiError> {
        Ok(authorization(
            authorize::retrieve(self.env, reference).await?,
        ))
    }

    async fn reverse(
        &self,
        reference: &str,
        merchant_id: &str,
        amount: &Money,
        now_ms: u64,
    ) -> Result<ConnectorAuthorization, ApiError> {
        Ok(authorization(
            authorize::reverse(self.env, reference, merchant_id, amount, now_ms).await?,
        ))
    }

    async fn capture(
        &self,
        reference: &str,
        capture_id: &str,
        amount: &Money,
    ) -> Result<ConnectorOutcome, ApiError> {
        Ok(outcome(
            authorize::capture(self.env, reference, capture_id, amount).await?,
        ))
    }

    async fn void(&self, reference: &str, void_id: &str) -> Result<ConnectorOutcome, ApiError> {
        Ok(outcome(
            authorize::void(self.env, reference, void_id).await?,
        ))
    }

    async fn refund(
        &self,
        reference: &str,
        capture_id: &str,
        refund_id: &str,
        amount: &Money,
    ) -> Result<ConnectorOutcome, ApiError> {
        Ok(outcome(
            authorize::refund(self.env, reference, capture_id, refund_id, amount).await?,
        ))
    }
}
