//! The outbox: each event to the merchant is queued (signed) in the same
//! step as the state it reports, and the alarm delivers it to the
//! merchant's webhook until the merchant acknowledges it (a 2xx), backing
//! off between deliveries, for about a day.

use shared::receipt::{AuthorizationRecord, PaymentEvent, PaymentEventKind};
use shared::sign::Signed;
use worker::wasm_bindgen::JsValue;
use worker::{Env, Headers, Method, Request, RequestInit, Result};

use super::PaymentObject;
use super::machine::retry_delay;
use super::storage::Storage;
use crate::gateway::{db, keys};
use crate::http::now_ms;

/// Deliveries of one event before the outbox stops trying (about a day).
const OUTBOX_DELIVERIES_MAX: i64 = 160;

/// The binding webhooks travel over in the demo (see ARCHITECTURE.md).
const WEBHOOKS_BINDING: &str = "WEBHOOKS";

impl PaymentObject {
    /// Queues the merchant's event; the caller wakes the alarm to deliver it.
    pub(super) fn enqueue_event(
        &self,
        storage: &Storage,
        kind: PaymentEventKind,
        authorization: &Signed<AuthorizationRecord>,
        amount: Option<String>,
        refund_id: Option<String>,
    ) -> Result<()> {
        let payment = storage
            .payment()?
            .ok_or_else(|| worker::Error::RustError("payment missing".into()))?;
        let now = now_ms();
        let event = PaymentEvent {
            event_id: match &refund_id {
                Some(refund_id) => format!("evt_{refund_id}"),
                None => format!("evt_{}_{}", payment.payment_id, kind.code()),
            },
            kind,
            order_reference: payment.order_reference.clone(),
            amount,
            refund_id,
            authorization: authorization.clone(),
            created_at_ms: u64::try_from(now).unwrap_or(0),
        };
        let event_id = event.event_id.clone();
        let signed = keys::event_signing_key(&self.env)
            .map_err(|failure| worker::Error::RustError(failure.to_string()))?
            .sign(event);
        storage.enqueue(&event_id, &serde_json::to_string(&signed)?, now)
    }

    /// Delivers due events to the merchant's webhook; answers when the next
    /// undelivered one is due.
    pub(super) async fn drain_outbox(&self) -> Result<Option<i64>> {
        let now = now_ms();
        let storage = self.storage()?;
        let due = storage.due_events(OUTBOX_DELIVERIES_MAX, now)?;
        if !due.is_empty() {
            let merchant = storage.payment()?.map(|payment| payment.merchant_id);
            let url = match merchant {
                Some(merchant) => db::webhook_url(&self.env, &merchant)
                    .await
                    .map_err(|failure| worker::Error::RustError(failure.to_string()))?,
                None => None,
            };
            for row in due {
                let delivered = match &url {
                    Some(url) => deliver(&self.env, url, &row.body).await,
                    // A merchant without a webhook reads its payments.
                    None => true,
                };
                let storage = self.storage()?;
                if delivered {
                    storage.delivered(&row.event_id, now_ms())?;
                } else {
                    storage.not_delivered(&row.event_id, now + retry_delay(row.deliveries))?;
                }
            }
        }
        self.storage()?.next_event_at(OUTBOX_DELIVERIES_MAX)
    }
}

/// Posts one signed event to the merchant's webhook; true on a 2xx.
async fn deliver(env: &Env, url: &str, body: &str) -> bool {
    let attempt = async {
        let headers = Headers::new();
        headers.set("content-type", "application/json")?;
        let mut init = RequestInit::new();
        init.with_method(Method::Post)
            .with_headers(headers)
            .with_body(Some(JsValue::from_str(body)));
        let request = Request::new_with_init(url, &init)?;
        crate::meter::count("service.WEBHOOKS");
        let response = env
            .service(WEBHOOKS_BINDING)?
            .fetch_request(request)
            .await?;
        Ok::<bool, worker::Error>((200..300).contains(&response.status_code()))
    };
    match attempt.await {
        Ok(delivered) => delivered,
        Err(failure) => {
            worker::console_error!("payment object: webhook delivery failed: {failure}");
            false
        }
    }
}
