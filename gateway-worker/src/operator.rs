//! Operator routes: what the people who run the demo bank (and the tests)
//! may do that shoppers and merchants may not: open accounts, move money by
//! hand, check the ledger's invariants, and scan its storage. Every route
//! needs `Authorization: Bearer <OPERATOR_TOKEN>`, compared in constant
//! time. No route here takes or returns card data.

use worker::{Env, Method, Request, Response};

use crate::bank::client;
use crate::error::ApiError;

const OPERATOR_TOKEN_SECRET: &str = "OPERATOR_TOKEN";

/// The largest body an operator route forwards.
const OPERATOR_BODY_BYTES_MAX: usize = 4096;

/// Checks the operator's bearer token.
fn authenticate(request: &Request, env: &Env) -> Result<(), ApiError> {
    let expected = env
        .secret(OPERATOR_TOKEN_SECRET)
        .map_err(|_| ApiError::internal("OPERATOR_TOKEN is not configured"))?
        .to_string();
    let presented = request
        .headers()
        .get("authorization")?
        .and_then(|value| value.strip_prefix("Bearer ").map(str::to_owned))
        .unwrap_or_default();
    if crate::http::constant_time_eq(presented.as_bytes(), expected.as_bytes()) {
        Ok(())
    } else {
        Err(ApiError::Unauthorized)
    }
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
    );
    if !allowed {
        return Err(ApiError::RouteNotFound);
    }
    let body = if method == Method::Post {
        let bytes = request.bytes().await?;
        if bytes.len() > OPERATOR_BODY_BYTES_MAX {
            return Err(ApiError::PayloadTooLarge);
        }
        Some(
            String::from_utf8(bytes)
                .map_err(|_| ApiError::unprocessable("invalid_body", "body is not UTF-8"))?,
        )
    } else {
        None
    };
    let path = format!("/{}", rest.join("/"));
    client::call(env, bank_id, method, &path, body).await
}
