//! What handlers take from a request: [`Req`] (state, query pairs, `If-None-Match`, the base
//! URL of links, and [`Req::cached`], the conditional data GET of `/api/v1` and `/ogc`),
//! [`PathId`] (an `{id}` path segment) and [`JsonBody`] (a JSON write body).

use super::cache::{etag_matches, not_modified, with_etag};
use super::error::{ApiError, ApiResult};
use super::{features, AppState, BODY_LIMIT_BYTES};
use atlas_core::dataset::Reference;
use atlas_core::filter::form_pairs;
use atlas_core::record::Context;
use atlas_core::SiteFilter;
use atlas_store::Store;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header::{CONTENT_TYPE, IF_NONE_MATCH};
use axum::http::request::Parts;
use axum::http::HeaderMap;
use axum::response::Response;
use std::sync::Arc;

/// What every data handler starts from: the state, the decoded query pairs, the client's
/// `If-None-Match` and the base URL for links.
#[derive(Debug)]
pub struct Req {
    /// Shared state (the database pool, the cache, the clock).
    pub state: AppState,
    /// The query string as decoded pairs, in order.
    pub query: Vec<(String, String)>,
    /// `If-None-Match`, when given.
    pub if_none_match: Option<String>,
    /// The root of absolute links ([`features::base_url`]), without a trailing slash.
    pub base: String,
}

impl FromRequestParts<AppState> for Req {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        Ok(Self {
            state: state.clone(),
            query: parts.uri.query().map(form_pairs).unwrap_or_default(),
            if_none_match: parts
                .headers
                .get(IF_NONE_MATCH)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string),
            base: features::base_url(parts, &state.config),
        })
    }
}

/// The outcome of a conditional read.
enum Outcome {
    NotModified(String),
    Fresh(String, Vec<u8>),
}

impl Req {
    /// A data GET with `ETag`/`304`: on a blocking thread, reads the data version, answers `304`
    /// when `If-None-Match` holds the tag of `key` at that version, else runs `f` for the body.
    /// `validate` runs first in every case, so an invalid request never gets a `304`.
    pub async fn cached<V, F>(
        &self,
        key: String,
        content_type: &'static str,
        validate: V,
        f: F,
    ) -> ApiResult<Response>
    where
        V: FnOnce(&Store) -> ApiResult<()> + Send + 'static,
        F: FnOnce(&Store, &Arc<Reference>) -> ApiResult<Vec<u8>> + Send + 'static,
    {
        let cache = Arc::clone(&self.state.cache);
        let inm = self.if_none_match.clone();
        let outcome = self
            .state
            .db
            .read(move |store| {
                validate(store)?;
                let version = store.data_version()?;
                let etag = cache.etag(version, &key);
                if inm.as_deref().is_some_and(|h| etag_matches(h, &etag)) {
                    return Ok(Outcome::NotModified(etag));
                }
                let reference = cache.reference(store, version)?;
                let body = f(store, &reference)?;
                Ok(Outcome::Fresh(etag, body))
            })
            .await?;
        Ok(match outcome {
            Outcome::NotModified(etag) => not_modified(&etag),
            Outcome::Fresh(etag, body) => with_etag(content_type, &etag, body),
        })
    }

    /// [`Req::cached`] for a body made from the sites of `filter`: the filter's chains, links
    /// and townships are checked against the catalogue first (an unknown one is a 400, not an
    /// empty answer), and `f` gets the labels' context of today.
    pub async fn cached_sites<F>(
        &self,
        key: String,
        content_type: &'static str,
        filter: SiteFilter,
        f: F,
    ) -> ApiResult<Response>
    where
        F: FnOnce(&Store, &Context<'_>) -> ApiResult<Vec<u8>> + Send + 'static,
    {
        let today = self.today();
        self.cached_filtered(key, content_type, filter, move |store, reference| {
            f(store, &reference.context(today))
        })
        .await
    }

    /// [`Req::cached`] for a body made for `filter`, whose chains, links and townships are
    /// checked against the catalogue first (an unknown one is a 400, not an empty answer).
    pub async fn cached_filtered<F>(
        &self,
        key: String,
        content_type: &'static str,
        filter: SiteFilter,
        f: F,
    ) -> ApiResult<Response>
    where
        F: FnOnce(&Store, &Arc<Reference>) -> ApiResult<Vec<u8>> + Send + 'static,
    {
        let validate = move |store: &Store| Ok(store.validate_filter(&filter)?);
        self.cached(key, content_type, validate, f).await
    }

    /// Runs `f` on a reader with the reference data and the data version it belongs to: for
    /// bodies made outside the `ETag` cache (downloads and reports).
    pub async fn read_with_reference<T, F>(&self, f: F) -> ApiResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Store, &Arc<Reference>, u64) -> ApiResult<T> + Send + 'static,
    {
        let cache = Arc::clone(&self.state.cache);
        self.state
            .db
            .read(move |store| {
                let version = store.data_version()?;
                let reference = cache.reference(store, version)?;
                f(store, &reference, version)
            })
            .await
    }

    /// The reference data of the current data version (from the cache).
    pub fn reference(&self, store: &Store) -> ApiResult<Arc<Reference>> {
        self.state.cache.reference(store, store.data_version()?)
    }

    /// Today (China Standard Time) by the server's clock.
    pub fn today(&self) -> chrono::NaiveDate {
        self.state.clock.today()
    }
}

/// The `{id}` segment of a path. axum's own `Path` rejection (e.g. a percent-escape that is not
/// UTF-8) becomes `400 invalid_id` with the JSON body.
#[derive(Debug)]
pub struct PathId(pub String);

impl<S: Send + Sync> FromRequestParts<S> for PathId {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Path::<String>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(id)| Self(id))
            .map_err(|e| ApiError::BadParam {
                code: "invalid_id",
                message: format!("path parameter 'id': {}", e.body_text()),
            })
    }
}

/// A JSON request body of at most [`BODY_LIMIT_BYTES`].
#[derive(Debug)]
pub struct JsonBody(pub serde_json::Value);

/// True for `application/json`, `application/geo+json` and other `+json` types.
fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        })
        .is_some_and(|m| m == "application/json" || m.ends_with("+json"))
}

impl FromRequest<AppState> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, _state: &AppState) -> ApiResult<Self> {
        if !is_json(req.headers()) {
            return Err(ApiError::UnsupportedMediaType(
                "the body must be JSON: send 'Content-Type: application/json' (or \
                 application/geo+json)"
                    .into(),
            ));
        }
        // The body limit layer stops larger bodies that say their length; this stops the
        // others (chunked) as they arrive.
        let bytes = axum::body::to_bytes(req.into_body(), BODY_LIMIT_BYTES)
            .await
            .map_err(|e| ApiError::body_error(&e))?;
        serde_json::from_slice(&bytes)
            .map(Self)
            .map_err(|e| ApiError::InvalidJson(format!("the body is not valid JSON: {e}")))
    }
}
