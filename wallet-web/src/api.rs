//! The wallet's only network code: typed calls to the worker's `/api/`.
//! Every failure becomes an [`ApiFailure`] with a message fit to show.

use gloo_net::http::{Request, Response};
use serde::de::DeserializeOwned;
use shared::keyset::GatewayKeySet;
use shared::receipt::Receipt;
use shared::sign::Signed;
use shared::wire::{
    CatalogPage, ErrorBody, OrderView, PayAnswer, PayDeclined, PayRequest, QuoteAnswer,
    QuoteRequest, StoreKeys,
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
