//! `ApiError`: the HTTP contract on one screen. Every 4xx/5xx body is
//! `{"error":{"code":"…","message":"…"}}`; internal details go to the log, never to the body.

use atlas_core::FilterError;
use atlas_store::StoreError;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// Result of a handler.
pub type ApiResult<T, E = ApiError> = std::result::Result<T, E>;

/// Everything a request can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A query parameter is malformed or out of range. Returns `400 Bad Request`.
    #[error("{message}")]
    BadParam {
        /// Stable code (`invalid_bbox`, `invalid_limit`, `unknown_value`, …).
        code: &'static str,
        /// Names the parameter.
        message: String,
    },
    /// A limit above the maximum page size. Returns `400 Bad Request` pointing to the export route.
    #[error("parameter 'limit': {0}")]
    LimitTooLarge(String),
    /// A request body that cannot be used. Returns `400 Bad Request`.
    #[error("{0}")]
    BadRequest(String),
    /// A filter names a chain, link or town the catalogue does not have. Returns `400 Bad Request`.
    #[error(transparent)]
    Store(StoreError),
    /// No such site, chain or route. Returns `404 Not Found`.
    #[error("{0}")]
    NotFound(String),
    /// Wrong HTTP method. Returns `405 Method Not Allowed`.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// Body too large. Returns `413 Payload Too Large`.
    #[error("request body too large")]
    PayloadTooLarge,
    /// The query ran past its time limit and was interrupted. Returns `503 Service Unavailable`.
    #[error("the query took too long and was stopped; narrow the filter or use the export route")]
    Timeout,
    /// The server cannot serve now. Returns `503 Service Unavailable`.
    #[error("{0}")]
    Unavailable(String),
    /// A bug or an environment failure. Returns `500 Internal Server Error`; detail only in the log.
    #[error("internal error")]
    Internal(String),
}

impl ApiError {
    /// An internal error with a detail for the log.
    pub fn internal(detail: impl Into<String>) -> Self {
        Self::Internal(detail.into())
    }

    /// The status code.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadParam { .. } | Self::LimitTooLarge(_) | Self::BadRequest(_) => {
                StatusCode::BAD_REQUEST
            }
            Self::Store(e) if e.is_client_error() => StatusCode::BAD_REQUEST,
            Self::Store(e) if e.code() == "busy" => StatusCode::SERVICE_UNAVAILABLE,
            Self::Store(_) | Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Timeout | Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// The stable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::BadParam { code, .. } => code,
            Self::LimitTooLarge(_) => "limit_out_of_range",
            Self::BadRequest(_) => "bad_request",
            Self::Store(e) if e.is_client_error() || e.code() == "busy" => e.code(),
            Self::Store(_) | Self::Internal(_) => "internal_error",
            Self::NotFound(_) => "not_found",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::PayloadTooLarge => "payload_too_large",
            Self::Timeout => "query_timeout",
            Self::Unavailable(_) => "unavailable",
        }
    }

    /// The message shown to the client (never internal detail).
    pub fn public_message(&self) -> String {
        match self {
            Self::Store(e) if e.is_client_error() => e.to_string(),
            Self::Store(e) if e.code() == "busy" => "the database is busy; try again".into(),
            Self::Store(_) | Self::Internal(_) => "internal error; see the server log".into(),
            other => other.to_string(),
        }
    }
}

impl From<FilterError> for ApiError {
    fn from(e: FilterError) -> Self {
        Self::BadParam {
            code: e.code,
            message: e.to_string(),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        Self::Store(e)
    }
}

#[derive(Serialize)]
struct Body<'a> {
    error: Inner<'a>,
}

#[derive(Serialize)]
struct Inner<'a> {
    code: &'a str,
    message: String,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::error!(code = self.code(), detail = ?self, "request failed");
        }
        let body = Body {
            error: Inner {
                code: self.code(),
                message: self.public_message(),
            },
        };
        (status, axum::Json(body)).into_response()
    }
}
