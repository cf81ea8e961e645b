//! HTTP helpers for journeys that talk to the API directly.

use std::time::Duration;

use serde::de::DeserializeOwned;
use shared::wire::ErrorBody;

const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// A plain HTTP/1.1 client that returns every status as a response.
pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(REQUEST_TIMEOUT))
        .build()
        .into()
}

/// One answer, read whole.
pub struct Answer {
    pub status: u16,
    pub content_type: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Answer {
    pub fn json<T: DeserializeOwned>(&self) -> T {
        serde_json::from_str(&self.body).unwrap_or_else(|error| {
            panic!("body is not the expected JSON ({error}): {}", self.body)
        })
    }

    /// The error body, checked to be `{code, message}` JSON.
    pub fn error(&self) -> ErrorBody {
        assert!(
            self.content_type.starts_with("application/json"),
            "error answer is not JSON: {}",
            self.content_type
        );
        self.json()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

pub fn read(response: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Answer {
    use ureq::ResponseExt;
    let mut response = response.unwrap_or_else(|error| panic!("request failed: {error}"));
    let path = response.get_uri().path().to_owned();
    let headers: Vec<(String, String)> = response
        .headers()
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_owned(),
                value.to_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let content_type = headers
        .iter()
        .find(|(name, _)| name == "content-type")
        .map(|(_, value)| value.clone())
        .unwrap_or_default();
    let answer = Answer {
        status: response.status().as_u16(),
        content_type,
        headers,
        body: response.body_mut().read_to_string().unwrap_or_default(),
    };
    crate::openapi::record(&path, answer.status, &answer.body);
    answer
}

pub fn get(url: &str) -> Answer {
    read(agent().get(url).call())
}

pub fn post_json(url: &str, body: &serde_json::Value) -> Answer {
    read(agent().post(url).send_json(body))
}

/// `GET` with the operator's bearer token.
pub fn operator_get(url: &str, token: &str) -> Answer {
    read(
        agent()
            .get(url)
            .header("authorization", &format!("Bearer {token}"))
            .call(),
    )
}

/// `POST` of JSON with the operator's bearer token.
pub fn operator_post(url: &str, token: &str, body: &serde_json::Value) -> Answer {
    read(
        agent()
            .post(url)
            .header("authorization", &format!("Bearer {token}"))
            .send_json(body),
    )
}
