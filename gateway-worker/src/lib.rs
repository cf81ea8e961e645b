//! The demo's one Cloudflare Worker. It hosts four parties that would be
//! separate companies in production (the store, the gateway, the issuer and
//! the bank), each in its own module with its own storage binding.
//!
//! The operator routes are compiled in only with the `operator` feature
//! (local runs and tests); the deployable build has none of them, nor the
//! helpers only they call (each marked `cfg(feature = "operator")`).
//!
//! This file only wires routes to handlers; handlers parse a wire type, call
//! a domain function and map the result. Every answer under `/api/` is JSON,
//! errors included, and carries the API security headers.

mod bank;
mod error;
mod gateway;
mod http;
mod issuer;
mod log;
mod meter;
#[cfg(feature = "operator")]
mod operator;
mod secrets;
mod store;

use worker::{Context, Env, Method, Request, Response, ScheduleContext, ScheduledEvent, event};

use crate::error::ApiError;

#[event(fetch)]
pub async fn fetch(request: Request, env: Env, _context: Context) -> worker::Result<Response> {
    let response = match route(request, &env).await {
        Ok(response) => response,
        Err(error) => error.into_response(),
    };
    Ok(http::with_api_headers(response))
}

/// The cron trigger (`[triggers]` in wrangler.toml): the gateway's
/// retention sweep. A failure is logged; the next run tries again.
#[event(scheduled)]
pub async fn scheduled(_event: ScheduledEvent, env: Env, _context: ScheduleContext) {
    let now_ms = worker::Date::now().as_millis();
    match gateway::retention::sweep(&env, now_ms).await {
        Ok(()) => log::event("gateway.retention_sweep", "cron", serde_json::json!({})),
        Err(failure) => worker::console_error!("retention sweep failed: {failure}"),
    }
}

/// The route table. A path that exists with another method answers 405.
async fn route(request: Request, env: &Env) -> Result<Response, ApiError> {
    let url = request.url().map_err(ApiError::internal)?;
    // HEAD is GET without the body (RFC 9110 §9.3.2); the runtime drops
    // the body of an answer to HEAD.
    let method = match request.method() {
        Method::Head => Method::Get,
        method => method,
    };
    let segments: Vec<&str> = url.path().trim_start_matches('/').split('/').collect();
    match (method, segments.as_slice()) {
        (Method::Get, ["api", "health"]) => http::health(env),
        (Method::Get, ["api", "openapi.json"]) => http::openapi(),
        (Method::Get, ["api", "catalog"]) => store::catalog::list(env, &url).await,
        (Method::Post, ["api", "quotes"]) => store::quote::create(request, env).await,
        (Method::Get, ["api", "store", "keys"]) => store::keys::list(env),
        (Method::Get, ["api", "orders", order_id]) => {
            let order_id = (*order_id).to_owned();
            store::orders::get(request, env, &order_id).await
        }
        #[cfg(feature = "operator")]
        (_, ["api", "operator", "banks", bank_id, rest @ ..]) => {
            let bank_id = (*bank_id).to_owned();
            let rest: Vec<String> = rest.iter().map(|segment| (*segment).to_owned()).collect();
            let rest: Vec<&str> = rest.iter().map(String::as_str).collect();
            operator::bank(request, env, &bank_id, &rest).await
        }
        #[cfg(feature = "operator")]
        (Method::Post, ["api", "operator", "store", "webhook-outage"]) => {
            operator::webhook_outage(request, env).await
        }
        #[cfg(feature = "operator")]
        (Method::Get, ["api", "operator", "meter"]) => operator::meter(&request, env),
        #[cfg(feature = "operator")]
        (Method::Post, ["api", "operator", "gateway", "retention"]) => {
            operator::retention(&request, env).await
        }
        #[cfg(feature = "operator")]
        (Method::Get, ["api", "operator", party @ ("gateway" | "store"), "dump"]) => {
            let party = (*party).to_owned();
            operator::dump(&request, env, &party).await
        }
        (Method::Get, ["api", "gateway", "v1", "keys"]) => gateway::keys::key_set(env).await,
        #[cfg(feature = "operator")]
        (_, ["api", "operator", "gateway", "keys", action]) => {
            let action = (*action).to_owned();
            operator::gateway_keys(&request, env, &action).await
        }
        (Method::Post, ["api", "gateway", "v1", "payments"]) => {
            gateway::payments::create(request, env).await
        }
        (Method::Get, ["api", "gateway", "v1", "payments", payment_id]) => {
            let payment_id = (*payment_id).to_owned();
            gateway::payments::get(request, env, &payment_id).await
        }
        (Method::Post, ["api", "gateway", "v1", "payments", payment_id, "confirm"]) => {
            let payment_id = (*payment_id).to_owned();
            gateway::payments::confirm(request, env, &payment_id).await
        }
        (
            Method::Post,
            [
                "api",
                "gateway",
                "v1",
                "payments",
                payment_id,
                operation @ ("capture" | "cancel" | "refunds"),
            ],
        ) => {
            use gateway::payments::Operation;
            let operation = match *operation {
                "capture" => Operation::Capture,
                "cancel" => Operation::Cancel,
                "refunds" => Operation::Refund,
                _ => return Err(ApiError::RouteNotFound),
            };
            let payment_id = (*payment_id).to_owned();
            gateway::payments::operate(request, env, &payment_id, operation).await
        }
        (Method::Get, ["api", "gateway", "v1", "payments", payment_id, "attempts"]) => {
            let payment_id = (*payment_id).to_owned();
            gateway::payments::attempts(request, env, &payment_id).await
        }
        (Method::Post, ["api", "orders", order_id, "pay"]) => {
            let order_id = (*order_id).to_owned();
            store::pay::pay(request, env, &order_id).await
        }
        (Method::Get, ["api", "orders", order_id, "receipt"]) => {
            let order_id = (*order_id).to_owned();
            store::orders::receipt(request, env, &order_id).await
        }
        (Method::Post, ["api", "orders", order_id, "cancel"]) => {
            let order_id = (*order_id).to_owned();
            store::orders::cancel(request, env, &order_id).await
        }
        (Method::Get, ["api", "store", "orders"]) => store::staff::list(request, env).await,
        (
            Method::Post,
            [
                "api",
                "store",
                "orders",
                order_id,
                operation @ ("ship" | "deliver" | "refund" | "cancel"),
            ],
        ) => {
            let (order_id, operation) = ((*order_id).to_owned(), (*operation).to_owned());
            store::staff::operate(request, env, &order_id, &operation).await
        }
        (Method::Post, ["api", "store", "webhooks", "gateway"]) => {
            store::webhooks::gateway(request, env).await
        }
        #[cfg(feature = "operator")]
        (
            _,
            [
                "api",
                "operator",
                "merchants",
                merchant_id,
                "keys",
                rest @ ..,
            ],
        ) => {
            let merchant_id = (*merchant_id).to_owned();
            let rest: Vec<String> = rest.iter().map(|segment| (*segment).to_owned()).collect();
            let rest: Vec<&str> = rest.iter().map(String::as_str).collect();
            operator::merchant_keys(request, env, &merchant_id, &rest).await
        }
        #[cfg(feature = "operator")]
        (_, ["api", "operator", "issuer", rest @ ..]) => {
            let rest: Vec<String> = rest.iter().map(|segment| (*segment).to_owned()).collect();
            let rest: Vec<&str> = rest.iter().map(String::as_str).collect();
            operator::issuer(request, env, &rest).await
        }
        _ => match allowed_methods(segments.as_slice()) {
            Some(allow) => Err(ApiError::MethodNotAllowed { allow }),
            None => Err(ApiError::RouteNotFound),
        },
    }
}

/// The methods a public route serves, for the `Allow` header of its 405
/// (RFC 9110 §15.5.6); `None` for a path that is no route.
fn allowed_methods(segments: &[&str]) -> Option<&'static str> {
    match segments {
        ["api", "health" | "openapi.json" | "catalog"]
        | ["api", "store", "keys"]
        | ["api", "gateway", "v1", "keys"]
        | ["api", "orders", _]
        | ["api", "orders", _, "receipt"]
        | ["api", "gateway", "v1", "payments", _]
        | ["api", "gateway", "v1", "payments", _, "attempts"]
        | ["api", "store", "orders"] => Some("GET, HEAD"),
        ["api", "quotes"]
        | ["api", "orders", _, "pay" | "cancel"]
        | ["api", "gateway", "v1", "payments"]
        | [
            "api",
            "gateway",
            "v1",
            "payments",
            _,
            "confirm" | "capture" | "cancel" | "refunds",
        ]
        | ["api", "store", "webhooks", "gateway"]
        | [
            "api",
            "store",
            "orders",
            _,
            "ship" | "deliver" | "refund" | "cancel",
        ] => Some("POST"),
        _ => None,
    }
}
