//! `/api/v1`: the catalogue as JSON and GeoJSON, and its exports.
//!
//! | route | what |
//! | --- | --- |
//! | `GET /sites?<filter>` | a page of sites as a GeoJSON FeatureCollection ([`sites`]) |
//! | `GET /sites/{id}` | one site as a Feature; `ETag` = the site's version |
//! | `GET /facets?<filter>` | counts per category, kind, chain, link, level, status, scope, town |
//! | `GET /chains[?<filter>]`, `/chains/{id}` | chains and their ordered links with counts |
//! | `GET /chains/{id}/analysis[?weak_below=N]` | gap analysis: per link counts, site ids, status `missing`/`weak`/`present`, who serves it ([`analysis`]) |
//! | `GET /chains/{id}/report?format=xlsx\|csv[&weak_below=N]` | the chain report as a download ([`analysis`]) |
//! | `GET /match?chain&link&min_area_m2&near&radius_km&town&limit&format` | carrier platforms for an investor, ranked (智慧选址, [`matching`]) |
//! | `GET /divisions`, `/boundary`, `/boundary/context` | townships, district boundary, map context |
//! | `GET /divisions/counts?<filter>` | sites per township and category, every township ([`progress`]) |
//! | `GET /indicators` | the plan's indicators with the catalogue's own values and percent of target |
//! | `GET /indicators/export?format=xlsx\|csv` | the progress board as a download ([`progress`]) |
//! | `GET /vocabularies` | every closed vocabulary with its Chinese and English labels |
//! | `GET /export?format=…&<filter>` | the filtered sites as a streamed download ([`export`]) |
//! | `GET /openapi.json` | OpenAPI 3.1 of these routes, generated from the code ([`openapi`]) |
//! | `GET /sites/{id}/history` | every revision of a site, newest first, with before/after Features ([`history`]) |
//! | `GET /deleted` | deleted sites, most recently deleted first ([`history`]) |
//! | `GET /stale?older_than=365d` | sites not verified within a period ([`history`]) |
//! | `POST /sites` *editor* | a new site from a Feature; `201`, `ETag: "1"`, `Location` ([`edit`]) |
//! | `PATCH /sites/{id}` *editor* | a partial Feature merged onto the site; `If-Match` ([`edit`]) |
//! | `DELETE /sites/{id}` *editor* | soft delete (restorable); `If-Match`; `204` ([`edit`]) |
//! | `POST /sites/{id}/restore`, `/revert` (`{"rev":N}`), `/verify` *editor* | put back, go back to a revision, confirm today ([`edit`]) |
//! | `POST /import` *editor* | multipart CSV/XLSX/GeoJSON: row report; `dry_run`, `skip_invalid`, `crs` ([`upload`]) |
//! | `POST /chains/import` *admin* | a chains CSV replaces the chains and links ([`upload`]) |
//! | `POST /indicators/import` *admin* | an indicators CSV replaces the plan's indicators ([`upload`]) |
//! | `GET`, `POST /users`, `DELETE /users/{name}` *admin* | list, add (token once), revoke ([`users`]) |
//! | `GET /auth/me` *any token* | the token's user and role ([`users`]) |
//!
//! # Writing
//! Reading is public. Routes marked *editor* or *admin* need `Authorization: Bearer TOKEN` of a
//! user with that role (admins may do what editors do); see [`crate::server::auth`]. `401
//! unauthorized` without a valid token, `403 forbidden` for the wrong role, `429
//! too_many_attempts` after repeated failures from one address. JSON bodies are at most
//! 64 KiB, imports 20 MiB (`413 payload_too_large`); a body of another media type is `415`.
//! Every change writes a revision in its transaction and bumps the data version.
//!
//! # Query strings
//! Parsed by hand from the raw query ([`params`]), so nothing about a query string can produce
//! anything but the JSON error body: the filter parameters of `SiteFilter` (brief §5) and, per
//! route, a few more (`format`, `lang` for exports, `weak_below` for chain analysis, the match
//! parameters of `atlas_core::matching::MatchQuery`). Any other key is `400 unknown_parameter`.
//!
//! # Caching: `ETag`, `304`, `Cache-Control`
//! Data GETs carry a weak `ETag` made of the store's [`atlas_store::Store::data_version`] (a
//! counter every import and reference change bumps in its own transaction), a per-process
//! nonce (so a restart, a new build or another database file never reuses a tag) and a hash of
//! the route with its *normalised* query (the parsed filter written back in canonical form, the
//! effective limit and offset, the link base). A request whose `If-None-Match` holds the current
//! tag gets `304 Not Modified` after one indexed lookup, without running its query. The version
//! is read *before* the data, so a concurrent import can at worst label newer data with the older
//! tag (refreshed on the next request), never the reverse. Tags are weak because the bytes differ
//! with the content coding (gzip/brotli) while the data is the same.
//!
//! `Cache-Control: public, max-age=60, must-revalidate`: the catalogue changes a few times a
//! year, by import, and is public; a minute of reuse without asking keeps a map's repeated
//! panning free, and after that a revalidation is a cheap `304`, so an import shows everywhere
//! within a minute. `/sites/{id}` has a strong `ETag` equal to the site's `version` (`"3"`), the
//! value `If-Match` will take for edits. Exports and reports are `no-store` (each names the time
//! it was made).

pub mod analysis;
pub mod catalog;
pub mod edit;
pub mod export;
pub mod history;
pub mod matching;
pub mod openapi;
pub mod params;
pub mod progress;
pub mod sites;
pub mod upload;
pub mod users;

use super::error::{ApiError, ApiResult};
use super::AppState;
use atlas_core::dataset::Reference;
use atlas_store::Store;
use axum::extract::DefaultBodyLimit;
use axum::extract::FromRequestParts;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, ETAG, HOST, IF_NONE_MATCH};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use std::sync::{Arc, Mutex};
use tower_http::limit::RequestBodyLimitLayer;

/// `Cache-Control` of data GETs (see the module documentation).
pub const CACHE_CONTROL_DATA: &str = "public, max-age=60, must-revalidate";
/// Media type of GeoJSON responses.
pub const GEOJSON: &str = "application/geo+json";
/// Media type of JSON responses.
pub const JSON: &str = "application/json";

/// Routes under `/api/v1`: bodies up to [`crate::server::BODY_LIMIT_BYTES`], the two imports
/// up to [`crate::server::IMPORT_LIMIT_BYTES`] (a larger body is `413` before any handler).
pub fn router() -> Router<AppState> {
    use crate::server::{BODY_LIMIT_BYTES, IMPORT_LIMIT_BYTES};
    let uploads = Router::new()
        .route("/import", post(upload::import))
        .route("/chains/import", post(upload::chains))
        .route("/indicators/import", post(upload::indicators))
        .layer(DefaultBodyLimit::max(IMPORT_LIMIT_BYTES))
        .layer(RequestBodyLimitLayer::new(IMPORT_LIMIT_BYTES));
    Router::new()
        .route("/sites", get(sites::list).post(edit::create))
        .route(
            "/sites/{id}",
            get(sites::one).patch(edit::update).delete(edit::delete),
        )
        .route("/sites/{id}/history", get(history::history))
        .route("/sites/{id}/restore", post(edit::restore))
        .route("/sites/{id}/revert", post(edit::revert))
        .route("/sites/{id}/verify", post(edit::verify))
        .route("/deleted", get(history::deleted))
        .route("/stale", get(history::stale))
        .route("/users", get(users::list).post(users::add))
        .route("/users/{name}", axum::routing::delete(users::revoke))
        .route("/auth/me", get(users::me))
        .route("/facets", get(catalog::facets))
        .route("/chains", get(catalog::chains))
        .route("/chains/{id}", get(catalog::chain))
        .route("/chains/{id}/analysis", get(analysis::analysis))
        .route("/chains/{id}/report", get(analysis::report))
        .route("/match", get(matching::match_sites))
        .route("/divisions", get(catalog::divisions))
        .route("/divisions/counts", get(progress::division_counts))
        .route("/boundary", get(catalog::boundary))
        .route("/boundary/context", get(catalog::context))
        .route("/indicators", get(catalog::indicators))
        .route("/indicators/export", get(progress::indicators_export))
        .route("/vocabularies", get(catalog::vocabularies))
        .route("/export", get(export::export))
        .route("/openapi.json", get(openapi::openapi_json))
        .layer(DefaultBodyLimit::max(BODY_LIMIT_BYTES))
        .layer(RequestBodyLimitLayer::new(BODY_LIMIT_BYTES))
        .merge(uploads)
        .layer(Extension(Arc::new(ApiCache::new())))
}

/// Routes at the root: `/healthz` (and the web page in the map issue).
pub fn root_router() -> Router<AppState> {
    Router::new().route("/healthz", get(|| async { "ok" }))
}

/// State of the `/api/v1` routes beside [`AppState`]: the ETag nonce, the reference data of the
/// current data version, and the export slots.
#[derive(Debug)]
pub struct ApiCache {
    nonce: u64,
    reference: Mutex<Option<(u64, Arc<Reference>)>>,
    /// Exports running at once (each holds a database reader for its whole duration).
    pub(crate) exports: Arc<tokio::sync::Semaphore>,
}

/// Exports that may run at the same time; the pool keeps its other readers for the API.
pub const MAX_CONCURRENT_EXPORTS: usize = 2;

impl ApiCache {
    fn new() -> Self {
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        Self {
            nonce: fnv1a(
                format!("{t}-{}-{}", std::process::id(), env!("CARGO_PKG_VERSION")).as_bytes(),
            ),
            reference: Mutex::new(None),
            exports: Arc::new(tokio::sync::Semaphore::new(MAX_CONCURRENT_EXPORTS)),
        }
    }

    /// The weak ETag of `key` at data version `version`.
    fn etag(&self, version: u64, key: &str) -> String {
        format!(
            "W/\"{:08x}-{version}-{:016x}\"",
            self.nonce & 0xffff_ffff,
            fnv1a(key.as_bytes())
        )
    }

    /// The reference data (chains, townships, district, indicators) at `version`, read from
    /// `store` only when the version changed since the last call.
    pub fn reference(&self, store: &Store, version: u64) -> ApiResult<Arc<Reference>> {
        if let Ok(guard) = self.reference.lock() {
            if let Some((v, r)) = guard.as_ref() {
                if *v == version {
                    return Ok(Arc::clone(r));
                }
            }
        }
        let r = Arc::new(store.reference()?);
        if let Ok(mut guard) = self.reference.lock() {
            *guard = Some((version, Arc::clone(&r)));
        }
        Ok(r)
    }
}

/// FNV-1a, 64 bit: a stable hash for ETags (not for security).
pub fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// True when an `If-None-Match` header value names `etag` (weak comparison, RFC 9110 §13.1.2).
pub fn etag_matches(header: &str, etag: &str) -> bool {
    let opaque = |t: &str| t.trim().trim_start_matches("W/").to_string();
    let want = opaque(etag);
    header
        .split(',')
        .any(|t| t.trim() == "*" || opaque(t) == want)
}

/// What every `/api/v1` handler starts from: the state, the cache, the decoded query pairs, the
/// client's `If-None-Match` and the base URL for links.
#[derive(Debug)]
pub struct Req {
    /// Shared state (the database pool).
    pub state: AppState,
    /// ETag nonce and reference data.
    pub cache: Arc<ApiCache>,
    /// The query string as decoded pairs, in order.
    pub query: Vec<(String, String)>,
    /// `If-None-Match`, when given.
    pub if_none_match: Option<String>,
    /// `http://host` (or the configured public base) without a trailing slash; links start here.
    pub base: String,
}

impl FromRequestParts<AppState> for Req {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let cache = parts
            .extensions
            .get::<Arc<ApiCache>>()
            .cloned()
            .ok_or_else(|| ApiError::internal("ApiCache extension missing"))?;
        let header = |name| {
            parts
                .headers
                .get(name)
                .and_then(|v: &HeaderValue| v.to_str().ok())
                .map(str::to_string)
        };
        let base = match &state.config.public_base {
            Some(b) => b.trim_end_matches('/').to_string(),
            None => header(HOST)
                .filter(|h| {
                    h.chars().all(|c| {
                        c.is_ascii_alphanumeric() || matches!(c, '.' | ':' | '-' | '[' | ']')
                    })
                })
                .map(|h| format!("http://{h}"))
                .unwrap_or_default(),
        };
        Ok(Self {
            state: state.clone(),
            cache,
            query: params::pairs(parts.uri.query()),
            if_none_match: header(IF_NONE_MATCH),
            base,
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
        let cache = Arc::clone(&self.cache);
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

    /// Fails with `unknown_parameter` for any query key; for routes that take none.
    pub fn no_params(&self) -> ApiResult<()> {
        params::split(&self.query, &[], &[]).map(|_| ())
    }
}

/// `304 Not Modified` with its `ETag` and `Cache-Control`.
pub fn not_modified(etag: &str) -> Response {
    let mut r = StatusCode::NOT_MODIFIED.into_response();
    set_cache_headers(&mut r, etag);
    r
}

/// `200 OK` with a body, its media type, `ETag` and `Cache-Control`.
pub fn with_etag(content_type: &'static str, etag: &str, body: Vec<u8>) -> Response {
    let mut r = ([(CONTENT_TYPE, content_type)], body).into_response();
    set_cache_headers(&mut r, etag);
    r
}

fn set_cache_headers(r: &mut Response, etag: &str) {
    if let Ok(v) = HeaderValue::from_str(etag) {
        r.headers_mut().insert(ETAG, v);
    }
    r.headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static(CACHE_CONTROL_DATA));
}

/// Serialises a response body (on the blocking thread that built it).
pub fn to_json<T: serde::Serialize>(v: &T) -> ApiResult<Vec<u8>> {
    serde_json::to_vec(v).map_err(|e| ApiError::internal(format!("serialising a response: {e}")))
}

/// Today in China Standard Time (stamps nothing the API returns; the writers' context wants it).
pub fn today() -> chrono::NaiveDate {
    crate::app::clock::current().today()
}
