//! HTTP helpers for journeys that talk to the API directly.

use std::time::Duration;

use serde::de::DeserializeOwned;
use shared::wire::ErrorBody;

const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

thread_local! {
    /// The shopper address this thread's requests come from (`wrangler dev`
    /// passes `cf-connecting-ip` through): one per journey, so that the
    /// store's quote budget and the gateway's address budget count each
    /// journey as its own shopper.
    static SHOPPER_ADDRESS: std::cell::RefCell<String> =
        std::cell::RefCell::new("192.0.2.1".to_owned());
}

/// Makes this thread's requests come from the address derived from `seed`
/// (a journey's name, say): `10.x.y.z`, stable for the same seed.
pub fn be_shopper(seed: &str) -> String {
    // FNV-1a: stable across runs, spreads names over the 10/8 block.
    let hash = seed.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    let [a, b, c, ..] = hash.to_le_bytes();
    let address = format!("10.{a}.{b}.{c}");
    SHOPPER_ADDRESS.with(|current| current.replace(address.clone()));
    address
}

/// Makes this thread's requests come from exactly `address`.
pub fn set_shopper_address(address: &str) {
    SHOPPER_ADDRESS.with(|current| current.replace(address.to_owned()));
}

/// The address this thread's requests come from.
pub fn shopper_address() -> String {
    SHOPPER_ADDRESS.with(|current| current.borrow().clone())
}

/// How many times a request `wrangler dev` shed is sent again.
const SHED_RETRIES_MAX: usize = 3;

/// Sends a request as a client does with an Idempotency-Key: once more
/// (up to `SHED_RETRIES_MAX` times) when `wrangler dev`'s own proxy shed
/// it under a burst, which the worker never saw or whose answer was lost;
/// the key makes the repeat safe.
pub fn sent_again_if_shed(mut send: impl FnMut() -> Answer) -> Answer {
    let mut answer = send();
    for _ in 0..SHED_RETRIES_MAX {
        if !answer.shed_by_the_local_proxy() {
            break;
        }
        answer = send();
    }
    answer
}

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

    /// A plain-text 503 is `wrangler dev`'s own answer when it sheds a
    /// request of a burst (or the runtime restarted under it), not the
    /// worker's: the request may be sent again.
    pub fn shed_by_the_local_proxy(&self) -> bool {
        self.status == 503 && !self.content_type.starts_with("application/json")
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

pub fn read(response: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Answer {
    read_and_record(response, true)
}

/// An answer read whole, left out of the OpenAPI check.
pub fn read_unrecorded(response: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Answer {
    read_and_record(response, false)
}

fn read_and_record(
    response: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    recorded: bool,
) -> Answer {
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
    // The document speaks for the worker only, not for `wrangler dev`.
    if recorded && !answer.shed_by_the_local_proxy() {
        crate::openapi::record(&path, answer.status, &answer.body);
    }
    answer
}

pub fn get(url: &str) -> Answer {
    read(
        agent()
            .get(url)
            .header("cf-connecting-ip", &shopper_address())
            .call(),
    )
}

pub fn post_json(url: &str, body: &serde_json::Value) -> Answer {
    read(
        agent()
            .post(url)
            .header("cf-connecting-ip", &shopper_address())
            .send_json(body),
    )
}

/// A request with any method (`TRACE`, `PUT`, ...) and no body.
pub fn request(method: &str, url: &str) -> Answer {
    let request = ureq::http::Request::builder()
        .method(method)
        .uri(url)
        .header("cf-connecting-ip", shopper_address())
        .body(())
        .unwrap_or_else(|error| panic!("not a request: {error}"));
    let response = agent().run(request);
    // An answer to HEAD has no body: nothing for the document to check.
    if method == "HEAD" {
        read_unrecorded(response)
    } else {
        read(response)
    }
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
