//! The worker's one error type and its single translation into HTTP:
//! a status and a JSON `{code, message}` body. Internal details are logged
//! here and never sent; messages never echo the input they reject.

use shared::wire::ErrorBody;
use worker::Response;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("no such route")]
    RouteNotFound,
    #[error("method not allowed on this route")]
    MethodNotAllowed { allow: &'static str },
    #[error("missing or wrong credentials")]
    Unauthorized,
    #[error("request body is too large")]
    PayloadTooLarge,
    #[error("{message}")]
    NotFound { code: &'static str, message: String },
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    #[error("{message}")]
    Unprocessable { code: &'static str, message: String },
    #[error("{message}")]
    TooManyRequests { code: &'static str, message: String },
    /// Another party (the gateway, for the store) failed; logged, not returned.
    #[error("the payment gateway could not be reached; try again")]
    BadGateway(String),
    /// Something on our side failed; the detail is logged, not returned.
    #[error("internal error")]
    Internal(String),
}

impl ApiError {
    /// Wraps an unexpected failure from the platform or storage.
    pub fn internal(error: impl core::fmt::Display) -> ApiError {
        ApiError::Internal(error.to_string())
    }

    pub fn not_found(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::NotFound {
            code,
            message: message.into(),
        }
    }

    pub fn unprocessable(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::Unprocessable {
            code,
            message: message.into(),
        }
    }

    fn status(&self) -> u16 {
        match self {
            ApiError::RouteNotFound => 404,
            ApiError::MethodNotAllowed { .. } => 405,
            ApiError::Unauthorized => 401,
            ApiError::PayloadTooLarge => 413,
            ApiError::NotFound { .. } => 404,
            ApiError::Conflict { .. } => 409,
            ApiError::Unprocessable { .. } => 422,
            ApiError::TooManyRequests { .. } => 429,
            ApiError::BadGateway(_) => 502,
            ApiError::Internal(_) => 500,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            ApiError::RouteNotFound => "route_not_found",
            ApiError::MethodNotAllowed { .. } => "method_not_allowed",
            ApiError::Unauthorized => "unauthorized",
            ApiError::PayloadTooLarge => "body_too_large",
            ApiError::NotFound { code, .. } | ApiError::Conflict { code, .. } => code,
            ApiError::Unprocessable { code, .. } | ApiError::TooManyRequests { code, .. } => code,
            ApiError::BadGateway(_) => "gateway_unavailable",
            ApiError::Internal(_) => "internal_error",
        }
    }

    /// The one place an error becomes a response.
    pub fn into_response(self) -> Response {
        match &self {
            ApiError::Internal(detail) => worker::console_error!("internal error: {detail}"),
            ApiError::BadGateway(detail) => worker::console_error!("bad gateway: {detail}"),
            _ => {}
        }
        let body = ErrorBody {
            code: self.code().to_owned(),
            message: self.to_string(),
        };
        let mut response = crate::http::json(&body, self.status());
        if let ApiError::MethodNotAllowed { allow } = self {
            // A valid header on a response we own cannot fail to set.
            let _ = response.headers_mut().set("allow", allow);
        }
        response
    }
}

impl From<worker::Error> for ApiError {
    fn from(error: worker::Error) -> ApiError {
        ApiError::internal(error)
    }
}
