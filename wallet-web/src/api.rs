//! The wallet's only network code: typed calls to the worker's `/api/`.
//! Every failure becomes an [`ApiFailure`] with a message fit to show.

use gloo_net::http::{Request, Response};
use serde::de::DeserializeOwned;
use shared::keyset::GatewayKeySet;
use shared::receipt::Receipt;
use shared::sign::Signed;
use shared::wire::{
    CatalogPage, ErrorBody, OrderView, PayAnswer, PayDeclined, PayRequest, QuoteAnswer,
    QuoteRequest, RefundRequest, ShipRequest, StaffOrderFilter, StaffOrderPage, StoreKeys,
};

/// The header that carries an order's client secret.
const CLIENT_SECRET_HEADER: &str = "x-client-secret";

/// A failed call, with a message the page can show as it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiFailure {
    pub code: String,
    pub message: String,
}

impl ApiFailure {
    /// The message as a sentence for the page.
    pub fn sentence(&self) -> String {
        let mut text = self.message.clone();
        if let Some(first) = text.get(..1) {
            text = first.to_uppercase() + text.get(1..).unwrap_or_default();
        }
        format!("{text}.")
    }

    fn network() -> ApiFailure {
        ApiFailure {
            code: "network_error".to_owned(),
            message: "the store could not be reached; check your connection and try again"
                .to_owned(),
        }
    }

    fn unreadable() -> ApiFailure {
        ApiFailure {
            code: "unreadable_answer".to_owned(),
            message: "the store sent an answer the wallet could not read".to_owned(),
        }
    }
}

/// `GET /api/catalog`, optionally searched.
pub async fn fetch_catalog(search: Option<&str>) -> Result<CatalogPage, ApiFailure> {
    let mut request = Request::get("/api/catalog");
    if let Some(search) = search {
        request = request.query([("q", search)]);
    }
    let response = request.send().await.map_err(|_| ApiFailure::network())?;
    read_json(response).await
}

/// `POST /api/quotes`: the store's signed quote for an order.
pub async fn create_quote(order: &QuoteRequest) -> Result<QuoteAnswer, ApiFailure> {
    let request = Request::post("/api/quotes")
        .json(order)
        .map_err(|_| ApiFailure::unreadable())?;
    let response = request.send().await.map_err(|_| ApiFailure::network())?;
    read_json(response).await
}

/// `GET /api/store/keys`: the store's published signing keys.
pub async fn fetch_store_keys() -> Result<StoreKeys, ApiFailure> {
    let response = Request::get("/api/store/keys")
        .send()
        .await
        .map_err(|_| ApiFailure::network())?;
    read_json(response).await
}

/// `GET /api/gateway/v1/keys`: the gateway's signed key set.
pub async fn fetch_gateway_keys() -> Result<Signed<GatewayKeySet>, ApiFailure> {
    let response = Request::get("/api/gateway/v1/keys")
        .send()
        .await
        .map_err(|_| ApiFailure::network())?;
    read_json(response).await
}

/// How a payment ended, as far as the shopper is concerned.
pub enum PayOutcome {
    Paid(PayAnswer),
    /// The bank's answer is pending; follow the order.
    Pending(PayAnswer),
    Declined(PayDeclined),
}

/// `POST /api/orders/{id}/pay` with the sealed payment.
pub async fn pay(
    order_id: &str,
    client_secret: &str,
    idempotency_key: &str,
    body: &PayRequest,
) -> Result<PayOutcome, ApiFailure> {
    let request = Request::post(&format!("/api/orders/{order_id}/pay"))
        .header(CLIENT_SECRET_HEADER, client_secret)
        .header("idempotency-key", idempotency_key)
        .json(body)
        .map_err(|_| ApiFailure::unreadable())?;
    let response = request.send().await.map_err(|_| ApiFailure::network())?;
    match response.status() {
        200 => Ok(PayOutcome::Paid(read_json(response).await?)),
        202 => Ok(PayOutcome::Pending(read_json(response).await?)),
        402 => Ok(PayOutcome::Declined(
            response
                .json::<PayDeclined>()
                .await
                .map_err(|_| ApiFailure::unreadable())?,
        )),
        _ => Err(failure_of(response).await),
    }
}

/// `GET /api/orders/{id}`: the order and its events.
pub async fn fetch_order(order_id: &str, client_secret: &str) -> Result<OrderView, ApiFailure> {
    let response = Request::get(&format!("/api/orders/{order_id}"))
        .header(CLIENT_SECRET_HEADER, client_secret)
        .send()
        .await
        .map_err(|_| ApiFailure::network())?;
    read_json(response).await
}

/// `POST /api/orders/{id}/cancel`: cancels a paid order that has not
/// shipped; the store refunds it in full. Answers the order as it now is.
pub async fn cancel_order(order_id: &str, client_secret: &str) -> Result<OrderView, ApiFailure> {
    let response = Request::post(&format!("/api/orders/{order_id}/cancel"))
        .header(CLIENT_SECRET_HEADER, client_secret)
        .send()
        .await
        .map_err(|_| ApiFailure::network())?;
    read_json(response).await
}

/// `GET /api/orders/{id}/receipt`: the signed receipt of a paid order.
pub async fn fetch_receipt(
    order_id: &str,
    client_secret: &str,
) -> Result<Signed<Receipt>, ApiFailure> {
    let response = Request::get(&format!("/api/orders/{order_id}/receipt"))
        .header(CLIENT_SECRET_HEADER, client_secret)
        .send()
        .await
        .map_err(|_| ApiFailure::network())?;
    read_json(response).await
}

/// `GET /api/store/orders` (back office, with the staff token): one page
/// of orders, newest first, all or one filter's.
pub async fn staff_orders(
    token: &str,
    filter: Option<StaffOrderFilter>,
    before: Option<&str>,
) -> Result<StaffOrderPage, ApiFailure> {
    let mut query = Vec::new();
    if let Some(filter) = filter {
        query.push(("status", filter.code()));
    }
    if let Some(before) = before {
        query.push(("before", before));
    }
    let response = Request::get("/api/store/orders")
        .header("authorization", &format!("Bearer {token}"))
        .query(query)
        .send()
        .await
        .map_err(|_| ApiFailure::network())?;
    read_json(response).await
}

/// A back-office operation on one order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StaffOperation {
    Ship {
        tracking: String,
    },
    Deliver,
    /// Refunds `amount`; the key makes a repeat of the same press one
    /// refund.
    Refund {
        amount: String,
        key: String,
    },
    /// Cancels an order never paid.
    Cancel,
}

/// `POST /api/store/orders/{id}/{operation}` (back office, with the staff
/// token): answers the order as it now is.
pub async fn staff_operate(
    token: &str,
    order_id: &str,
    operation: &StaffOperation,
) -> Result<OrderView, ApiFailure> {
    let (name, body) = match operation {
        StaffOperation::Ship { tracking } => (
            "ship",
            serde_json::to_value(ShipRequest {
                tracking: tracking.clone(),
            }),
        ),
        StaffOperation::Deliver => ("deliver", Ok(serde_json::json!({}))),
        StaffOperation::Refund { amount, .. } => (
            "refund",
            serde_json::to_value(RefundRequest {
                amount: amount.clone(),
            }),
        ),
        StaffOperation::Cancel => ("cancel", Ok(serde_json::json!({}))),
    };
    let mut builder = Request::post(&format!("/api/store/orders/{order_id}/{name}"))
        .header("authorization", &format!("Bearer {token}"));
    if let StaffOperation::Refund { key, .. } = operation {
        builder = builder.header("idempotency-key", key);
    }
    let request = builder
        .json(&body.map_err(|_| ApiFailure::unreadable())?)
        .map_err(|_| ApiFailure::unreadable())?;
    let response = request.send().await.map_err(|_| ApiFailure::network())?;
    read_json(response).await
}

/// Reads a success body as `T`, or an error body as an [`ApiFailure`].
async fn read_json<T: DeserializeOwned>(response: Response) -> Result<T, ApiFailure> {
    if response.ok() {
        return response
            .json::<T>()
            .await
            .map_err(|_| ApiFailure::unreadable());
    }
    Err(failure_of(response).await)
}

/// An error answer as an [`ApiFailure`].
async fn failure_of(response: Response) -> ApiFailure {
    match response.json::<ErrorBody>().await {
        Ok(body) => ApiFailure {
            code: body.code,
            message: body.message,
        },
        Err(_) => ApiFailure::unreadable(),
    }
}
