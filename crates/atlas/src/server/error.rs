//! `ApiError`: the HTTP contract on one screen. Every 4xx/5xx body is
//! `{"error":{"code":"…","message":"…"}}`; internal details go to the log, never to the body.

use atlas_core::FilterError;
use atlas_store::{ErrorKind, StoreError};
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
        /// Stable code: `invalid_bbox`, `invalid_limit`, `invalid_offset`, `unknown_value`,
        /// `invalid_id`, `invalid_parameter` (from `SiteFilter`), `unknown_parameter`,
        /// `unknown_format`; from `MatchQuery`: `invalid_area`, `invalid_near`,
        /// `invalid_radius`, `radius_without_near`.
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
    /// Wrong HTTP method for a known path; the message names the method and the allowed ones.
    /// Returns `405 Method Not Allowed`.
    #[error("{0}")]
    MethodNotAllowed(String),
    /// Body larger than the route accepts ([`super::BODY_LIMIT_BYTES`] for JSON,
    /// [`super::IMPORT_LIMIT_BYTES`] for imports). Returns `413 Payload Too Large`.
    #[error("the request body is larger than the server accepts here ({} KiB for JSON bodies, {} MiB for imports)", super::BODY_LIMIT_BYTES / 1024, super::IMPORT_LIMIT_BYTES / (1024 * 1024))]
    PayloadTooLarge,
    /// No token, or one that is malformed, unknown or revoked. Returns `401 Unauthorized` with
    /// `WWW-Authenticate: Bearer`.
    #[error("{0}")]
    Unauthorized(String),
    /// A valid token whose role may not do this. Returns `403 Forbidden`.
    #[error("{0}")]
    Forbidden(String),
    /// Too many failed authentications from one address. Returns `429 Too Many Requests` with
    /// `Retry-After`.
    #[error("too many failed authentications from your address; try again in {retry_after} s")]
    TooManyAttempts {
        /// Seconds until the next attempt is allowed.
        retry_after: u64,
    },
    /// A body of a media type the route does not take. Returns `415 Unsupported Media Type`.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// A JSON body that does not parse. Returns `400 Bad Request`.
    #[error("{0}")]
    InvalidJson(String),
    /// A site that fails validation (the import's rules). Returns `422 Unprocessable Content`;
    /// `details` lists each field and reason.
    #[error("{message}")]
    InvalidSite {
        /// Every problem, field by field, in one sentence.
        message: String,
        /// `[{"column","reason"}]`.
        details: serde_json::Value,
    },
    /// An import with invalid rows and no `skip_invalid`: nothing was written. Returns
    /// `422 Unprocessable Content`; `details` is the row report.
    #[error("{message}")]
    InvalidRows {
        /// How many rows are invalid.
        message: String,
        /// The import report (`dry_run`, `rows`, counts, `errors`).
        details: serde_json::Value,
    },
    /// A file that cannot be read at all (not CSV/XLSX/GeoJSON, missing columns, encoding).
    /// Returns `422 Unprocessable Content`.
    #[error("{0}")]
    InvalidFile(String),
    /// The query ran past its time limit and was interrupted. Returns `503 Service Unavailable`.
    #[error("the query took too long and was stopped; narrow the filter or use the export route")]
    Timeout,
    /// The server cannot serve now. Returns `503 Service Unavailable`.
    #[error("{0}")]
    Unavailable(String),
    /// The request (its body, or the whole of it) took longer than the server waits
    /// ([`super::config::Limits`]); nothing of it was written. Returns `408 Request Timeout`.
    #[error("请求超时，未写入任何数据 the request took too long to arrive and was dropped; nothing was written — check the connection and send it again")]
    RequestTimeout,
    /// Every connection the server keeps open is in use ([`super::listen`]). Returns
    /// `503 Service Unavailable`, written by the accept loop before the request is read.
    #[error("服务器连接已满，请稍后重试 the server has too many open connections; try again in a moment")]
    TooManyConnections,
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
            Self::Store(e) => store_answer(e).0,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Timeout | Self::Unavailable(_) | Self::TooManyConnections => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            Self::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::TooManyAttempts { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::InvalidJson(_) => StatusCode::BAD_REQUEST,
            Self::InvalidSite { .. } | Self::InvalidRows { .. } | Self::InvalidFile(_) => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
        }
    }

    /// The stable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::BadParam { code, .. } => code,
            Self::LimitTooLarge(_) => "limit_out_of_range",
            Self::BadRequest(_) => "bad_request",
            Self::Store(e) => store_answer(e).1,
            Self::Internal(_) => "internal_error",
            Self::NotFound(_) => "not_found",
            Self::MethodNotAllowed(_) => "method_not_allowed",
            Self::PayloadTooLarge => "payload_too_large",
            Self::Timeout => "query_timeout",
            Self::Unavailable(_) => "unavailable",
            Self::RequestTimeout => "request_timeout",
            Self::TooManyConnections => "too_many_connections",
            Self::Unauthorized(_) => "unauthorized",
            Self::Forbidden(_) => "forbidden",
            Self::TooManyAttempts { .. } => "too_many_attempts",
            Self::UnsupportedMediaType(_) => "unsupported_media_type",
            Self::InvalidJson(_) => "invalid_json",
            Self::InvalidSite { .. } => "invalid_site",
            Self::InvalidRows { .. } => "invalid_rows",
            Self::InvalidFile(_) => "invalid_file",
        }
    }

    /// Machine-readable detail beside the message: the fields of an invalid site, an import's
    /// row report, the current version of a site edited from a stale one.
    pub fn details(&self) -> Option<serde_json::Value> {
        match self {
            Self::InvalidSite { details, .. } | Self::InvalidRows { details, .. } => {
                Some(details.clone())
            }
            Self::Store(StoreError::VersionMismatch { current, .. }) => {
                Some(serde_json::json!({ "current_version": current }))
            }
            Self::Store(StoreError::ChainsInUse(list)) => Some(serde_json::Value::Array(
                list.iter()
                    .map(|u| serde_json::json!({"what": u.what, "id": u.id, "sites": u.sites}))
                    .collect(),
            )),
            _ => None,
        }
    }

    /// `422 invalid_site` from the row errors of a site's validation (one sentence naming
    /// every field, and the list in `details`).
    pub fn invalid_site(errors: &[atlas_core::RowError]) -> Self {
        let message = errors
            .iter()
            .map(|e| match &e.column {
                Some(c) => format!("field '{c}': {}", e.message),
                None => e.message.clone(),
            })
            .collect::<Vec<_>>()
            .join("; ");
        let details = errors
            .iter()
            .map(|e| serde_json::json!({"column": e.column, "reason": e.message}))
            .collect();
        Self::InvalidSite {
            message: if message.is_empty() {
                "the site is not valid".into()
            } else {
                message
            },
            details: serde_json::Value::Array(details),
        }
    }

    /// A request body that could not be read: it stalled past the body timeout
    /// (`408 request_timeout`), else it was larger than the route takes (`413`).
    pub fn body_error(e: &(dyn std::error::Error + 'static)) -> Self {
        if stalled(e) {
            Self::RequestTimeout
        } else {
            Self::PayloadTooLarge
        }
    }

    /// The JSON error body, `{"error":{"code","message"[,"details"]}}`.
    pub fn json_body(&self) -> String {
        let body = Body {
            error: Inner {
                code: self.code(),
                message: self.public_message(),
                details: self.details(),
            },
        };
        serde_json::to_string(&body).unwrap_or_else(|_| {
            r#"{"error":{"code":"internal_error","message":"internal error"}}"#.into()
        })
    }

    /// The message shown to the client (never internal detail).
    pub fn public_message(&self) -> String {
        match self {
            Self::Store(e) => store_answer(e).2,
            Self::Internal(_) => "internal error; see the server log".into(),
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

impl From<atlas_core::analysis::InvalidThreshold> for ApiError {
    fn from(e: atlas_core::analysis::InvalidThreshold) -> Self {
        Self::BadParam {
            code: "invalid_parameter",
            message: format!("parameter 'weak_below': {e}"),
        }
    }
}

impl From<crate::app::reports::ReportError> for ApiError {
    fn from(e: crate::app::reports::ReportError) -> Self {
        use crate::app::reports::ReportError;
        match e {
            ReportError::Store(e) => Self::Store(e),
            ReportError::Format(f) => Self::BadParam {
                code: "unknown_format",
                message: format!("parameter 'format': {}", ReportError::Format(f)),
            },
            ReportError::Export(e) => Self::internal(format!("writing a report: {e}")),
        }
    }
}

/// Whether `e`, or an error under it, is a request body that stalled past the body timeout.
pub fn stalled(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(e);
    while let Some(e) = next {
        if e.is::<tower_http::timeout::TimeoutError>() {
            return true;
        }
        next = e.source();
    }
    false
}

#[derive(Serialize)]
struct Body<'a> {
    error: Inner<'a>,
}

#[derive(Serialize)]
struct Inner<'a> {
    code: &'a str,
    message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    details: Option<serde_json::Value>,
}

/// The status, code and public message of a store error: the one mapping from the store's
/// errors to HTTP, by their [`ErrorKind`]. Errors of the caller show the store's message (a
/// filter's naming the parameter); busy and interrupted ones a fixed sentence; internal ones
/// nothing but a pointer to the log.
fn store_answer(e: &StoreError) -> (StatusCode, &'static str, String) {
    let caller = |status| {
        let message = match e.param() {
            Some(p) => format!("parameter '{p}': {e}"),
            None => e.to_string(),
        };
        (status, e.code(), message)
    };
    match e.kind() {
        ErrorKind::InvalidFilter => caller(StatusCode::BAD_REQUEST),
        ErrorKind::Invalid => caller(StatusCode::UNPROCESSABLE_ENTITY),
        ErrorKind::NotFound => caller(StatusCode::NOT_FOUND),
        ErrorKind::Conflict => caller(StatusCode::CONFLICT),
        ErrorKind::Precondition => caller(StatusCode::PRECONDITION_FAILED),
        ErrorKind::Busy => (
            StatusCode::SERVICE_UNAVAILABLE,
            e.code(),
            "the database is busy; try again".into(),
        ),
        ErrorKind::Interrupted => (
            StatusCode::SERVICE_UNAVAILABLE,
            "query_timeout",
            "the query took too long and was stopped".into(),
        ),
        ErrorKind::Full => (
            StatusCode::INSUFFICIENT_STORAGE,
            e.code(),
            "磁盘已满：未写入任何数据 the server's disk is full: nothing was written; ask the \
             administrator to free space, then retry"
                .into(),
        ),
        ErrorKind::Corrupt => (
            StatusCode::SERVICE_UNAVAILABLE,
            e.code(),
            "数据库文件已损坏 the database file is damaged; the administrator must restore the \
             last backup (atlas restore)"
                .into(),
        ),
        ErrorKind::Missing => (
            StatusCode::SERVICE_UNAVAILABLE,
            e.code(),
            "数据库文件不见了 the database file is missing (deleted or moved away); the \
             administrator must put it back or restore the last backup"
                .into(),
        ),
        ErrorKind::Internal => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "internal error; see the server log".into(),
        ),
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::error!(code = self.code(), detail = ?self, "request failed");
        }
        let mut r = (
            status,
            [(
                axum::http::header::CONTENT_TYPE,
                axum::http::HeaderValue::from_static("application/json"),
            )],
            self.json_body(),
        )
            .into_response();
        let h = r.headers_mut();
        match &self {
            Self::Unauthorized(_) => {
                h.insert(
                    axum::http::header::WWW_AUTHENTICATE,
                    axum::http::HeaderValue::from_static("Bearer realm=\"atlas\""),
                );
            }
            Self::TooManyAttempts { retry_after } => {
                if let Ok(v) = axum::http::HeaderValue::from_str(&retry_after.to_string()) {
                    h.insert(axum::http::header::RETRY_AFTER, v);
                }
            }
            _ => {}
        }
        r
    }
}

/// Middleware that keeps the error contract for responses made outside the handlers: axum's
/// empty `405` of a known path with another method, tower-http's `413` of the body limit, and any
/// other non-JSON `4xx`/`5xx` (an extractor's plain-text rejection). Such a response is replaced
/// by the JSON body of the matching [`ApiError`], keeping its `Allow` header; JSON error bodies
/// (the handlers' own) pass unchanged.
pub async fn json_errors(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    use axum::http::header::{ALLOW, CONTENT_TYPE};
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let res = next.run(req).await;
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return res;
    }
    let is_json = res
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/json") || ct.contains("+json"));
    if is_json {
        return res;
    }
    let allow = res.headers().get(ALLOW).cloned();
    let err = match status {
        StatusCode::METHOD_NOT_ALLOWED => {
            let allowed = allow
                .as_ref()
                .and_then(|v| v.to_str().ok())
                .unwrap_or("GET, HEAD");
            ApiError::MethodNotAllowed(format!(
                "method {method} is not allowed on {path}; allowed: {allowed}"
            ))
        }
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge,
        StatusCode::REQUEST_TIMEOUT => ApiError::RequestTimeout,
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError::UnsupportedMediaType(format!(
            "the request to {path} has a body of a media type it does not take"
        )),
        StatusCode::NOT_FOUND => ApiError::NotFound(format!("no route for {path}")),
        s if s.is_client_error() => ApiError::BadRequest(format!(
            "the request to {path} cannot be used ({})",
            s.canonical_reason().unwrap_or("client error")
        )),
        s => ApiError::internal(format!("{method} {path}: non-JSON {s} response")),
    };
    let mut out = err.into_response();
    // Keep the original status (e.g. 415, 422) when it was a client error of another kind.
    if status.is_client_error() {
        *out.status_mut() = status;
    }
    if let Some(a) = allow {
        out.headers_mut().insert(ALLOW, a);
    }
    if matches!(
        status,
        StatusCode::PAYLOAD_TOO_LARGE | StatusCode::REQUEST_TIMEOUT
    ) {
        // The unread body is still on the connection: close it rather than parse the body as
        // the next request.
        out.headers_mut().insert(
            axum::http::header::CONNECTION,
            axum::http::HeaderValue::from_static("close"),
        );
    }
    out
}
