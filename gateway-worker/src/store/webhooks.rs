//! `POST /api/store/webhooks/gateway`: the gateway's signed payment events.
//! The gateway sends each event from its outbox until the store answers
//! 2xx; the store checks the gateway's signature and records the event
//! exactly like the pay route's answer (`records::record`), once.

use serde::Serialize;
use shared::receipt::PaymentEvent;
use shared::sign::Signed;
use worker::{Env, Request, Response};

use crate::error::ApiError;
use crate::store::records;

/// The largest event body, in bytes.
const EVENT_BODY_BYTES_MAX: usize = 16 * 1024;

#[derive(Serialize)]
struct Acknowledged<'a> {
    event_id: &'a str,
}

/// The longest lost-webhooks drill, in seconds.
#[cfg(feature = "operator")]
pub const DROP_SECONDS_MAX: u32 = 60;

#[cfg(feature = "operator")]
thread_local! {
    /// Until when (ms) this isolate drops the gateway's events: the
    /// operator's drill of a store that does not answer its webhook
    /// (local build only).
    static DROPPING_UNTIL_MS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// Operator drill: drop every event for `seconds`, as a store that is down
/// would; the gateway's outbox must deliver them afterwards.
#[cfg(feature = "operator")]
pub fn drop_events_for(seconds: u32) {
    let until = worker::Date::now()
        .as_millis()
        .saturating_add(u64::from(seconds.min(DROP_SECONDS_MAX)) * 1000);
    DROPPING_UNTIL_MS.with(|cell| cell.set(until));
}

pub async fn gateway(mut request: Request, env: &Env) -> Result<Response, ApiError> {
    #[cfg(feature = "operator")]
    if DROPPING_UNTIL_MS.with(std::cell::Cell::get) > worker::Date::now().as_millis() {
        return Err(ApiError::BadGateway(
            "dropping events (operator drill)".to_owned(),
        ));
    }
    let bytes = crate::http::read_body(&mut request, EVENT_BODY_BYTES_MAX).await?;
    let event: Signed<PaymentEvent> = serde_json::from_slice(&bytes)
        .map_err(|_| ApiError::unprocessable("invalid_body", "not a signed payment event"))?;
    records::verify_gateway(env, &event, shared::keyset::PAYMENT_EVENT_KEY_PURPOSE).await?;
    let body = &event.body;
    if body.authorization.body.payment_id.is_empty() {
        return Err(ApiError::unprocessable(
            "invalid_body",
            "event names no payment",
        ));
    }
    let order = records::record_event(env, body).await?;
    if order.order_id != body.order_reference {
        worker::console_error!("payment event's order reference differs from the store's order");
    }
    Ok(crate::http::json(
        &Acknowledged {
            event_id: &body.event_id,
        },
        200,
    ))
}
