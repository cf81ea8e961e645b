//! The wallet's only network code: typed calls to the worker's `/api/`.
//! Every failure becomes an [`ApiFailure`] with a message fit to show.

use gloo_net::http::{Request, Response};
use serde::de::DeserializeOwned;
use shared::wire::{CatalogPage, ErrorBody};

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

/// Reads a success body as `T`, or an error body as an [`ApiFailure`].
async fn read_json<T: DeserializeOwned>(response: Response) -> Result<T, ApiFailure> {
    if response.ok() {
        return response
            .json::<T>()
            .await
            .map_err(|_| ApiFailure::unreadable());
    }
    match response.json::<ErrorBody>().await {
        Ok(body) => Err(ApiFailure {
            code: body.code,
            message: body.message,
        }),
        Err(_) => Err(ApiFailure::unreadable()),
    }
}
