//! `/api/v1`: the catalogue as JSON and GeoJSON, and its exports.
//!
//! One file per URL space, named in the last column: a route of the OpenAPI document leads to
//! its handler by the file name (`/sites` reads in [`sites`], writes in [`edit`], revisions in
//! [`history`]).
//!
//! | route | what |
//! | --- | --- |
//! | `GET /sites?<filter>` | a page of sites as a GeoJSON FeatureCollection ([`sites`]) |
//! | `GET /sites/{id}` | one site as a Feature; `ETag` = the site's version |
//! | `GET /facets?<filter>` | counts per category, kind, chain, link, level, status, scope, town ([`facets`]) |
//! | `GET /chains[?<filter>]`, `/chains/{id}` | chains and their ordered links with counts ([`chains`]) |
//! | `GET /chains/{id}/analysis[?weak_below=N]` | gap analysis: per link counts, site ids, status `missing`/`weak`/`present`, who serves it ([`chains`]) |
//! | `GET /chains/{id}/report?format=xlsx\|csv[&weak_below=N]` | the chain report as a download ([`chains`]) |
//! | `GET /match?chain&link&min_area_m2&near&radius_km&town&limit&format` | carrier platforms for an investor, ranked (智慧选址, [`match`](self::r#match)) |
//! | `GET /divisions`, `/boundary`, `/boundary/context` | townships, district boundary, map context ([`divisions`]) |
//! | `GET /divisions/counts?<filter>` | sites per township and category, every township ([`divisions`]) |
//! | `GET /indicators` | the plan's indicators with the catalogue's own values and percent of target ([`indicators`]) |
//! | `GET /indicators/export?format=xlsx\|csv` | the progress board as a download ([`indicators`]) |
//! | `GET /vocabularies` | every closed vocabulary with its Chinese and English labels ([`vocabularies`]) |
//! | `GET /export?format=…&<filter>` | the filtered sites as a streamed download ([`export`]) |
//! | `GET /openapi.json` | OpenAPI 3.1 of these routes, generated from the code ([`openapi`]) |
//! | `GET /sites/{id}/history` | every revision of a site, newest first, with before/after Features ([`history`]) |
//! | `GET /deleted` | deleted sites, most recently deleted first ([`history`]) |
//! | `GET /stale?older_than=365d` | sites not verified within a period ([`history`]) |
//! | `POST /sites` *editor* | a new site from a Feature; `201`, `ETag: "1"`, `Location` ([`edit`]) |
//! | `PATCH /sites/{id}` *editor* | a partial Feature merged onto the site; `If-Match` ([`edit`]) |
//! | `DELETE /sites/{id}` *editor* | soft delete (restorable); `If-Match`; `204` ([`edit`]) |
//! | `POST /sites/{id}/restore`, `/revert` (`{"rev":N}`), `/verify` *editor* | put back, go back to a revision, confirm today ([`edit`]) |
//! | `POST /import` *editor* | multipart CSV/XLSX/GeoJSON: row report; `dry_run`, `skip_invalid`, `crs` ([`import`]) |
//! | `POST /chains/import` *admin* | a chains CSV replaces the chains and links ([`chains`]) |
//! | `POST /indicators/import` *admin* | an indicators CSV replaces the plan's indicators ([`indicators`]) |
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
//! anything but the JSON error body: the filter parameters of `SiteFilter` and, per
//! route, a few more (`format`, `lang` for exports, `weak_below` for chain analysis, the match
//! parameters of `atlas_core::matching::MatchQuery`). Any other key is `400 unknown_parameter`.
//!
//! # Labels
//! Every label in every response is `name_zh` (Chinese) and `name_en` (English): sites, chains,
//! links, townships, indicators, facet values and vocabulary terms alike.
//!
//! # Caching
//! Data GETs carry a weak `ETag` and `Cache-Control: public, max-age=60, must-revalidate`, and
//! answer `304` to a current `If-None-Match` (see [`crate::server::cache`]). `/sites/{id}` has a
//! strong `ETag` equal to the site's `version` (`"3"`), the value `If-Match` takes for edits.
//! Exports and reports are `no-store` (each names the time it was made).

pub mod chains;
pub mod divisions;
pub mod edit;
pub mod export;
pub mod facets;
pub mod history;
pub mod import;
pub mod indicators;
pub mod r#match;
pub mod openapi;
pub mod params;
pub mod sites;
pub mod users;
pub mod vocabularies;

use crate::server::cache::{etag_matches, fnv1a, not_modified, with_etag};
use crate::server::error::{ApiError, ApiResult};
pub use crate::server::extractors::{JsonBody, PathId, Req};
pub use crate::server::features::{GEOJSON, JSON};
use crate::server::AppState;
use axum::extract::DefaultBodyLimit;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use tower_http::limit::RequestBodyLimitLayer;

/// Routes under `/api/v1`: bodies up to [`crate::server::BODY_LIMIT_BYTES`], the imports
/// up to [`crate::server::IMPORT_LIMIT_BYTES`] (a larger body is `413` before any handler).
pub fn router() -> Router<AppState> {
    use crate::server::{BODY_LIMIT_BYTES, IMPORT_LIMIT_BYTES};
    let uploads = Router::new()
        .route("/import", post(import::import))
        .route("/chains/import", post(chains::import))
        .route("/indicators/import", post(indicators::import))
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
        .route("/facets", get(facets::facets))
        .route("/chains", get(chains::chains))
        .route("/chains/{id}", get(chains::chain))
        .route("/chains/{id}/analysis", get(chains::analysis))
        .route("/chains/{id}/report", get(chains::report))
        .route("/match", get(r#match::match_sites))
        .route("/divisions", get(divisions::divisions))
        .route("/divisions/counts", get(divisions::counts))
        .route("/boundary", get(divisions::boundary))
        .route("/boundary/context", get(divisions::context))
        .route("/indicators", get(indicators::indicators))
        .route("/indicators/export", get(indicators::export))
        .route("/vocabularies", get(vocabularies::vocabularies))
        .route("/export", get(export::export))
        .route("/openapi.json", get(openapi::openapi_json))
        .layer(DefaultBodyLimit::max(BODY_LIMIT_BYTES))
        .layer(RequestBodyLimitLayer::new(BODY_LIMIT_BYTES))
        .merge(uploads)
}

/// Routes at the root: `/healthz`.
pub fn root_router() -> Router<AppState> {
    Router::new().route("/healthz", get(|| async { "ok" }))
}

/// Serialises a response body (on the blocking thread that built it).
pub fn to_json<T: serde::Serialize>(v: &T) -> ApiResult<Vec<u8>> {
    serde_json::to_vec(v).map_err(|e| ApiError::internal(format!("serialising a response: {e}")))
}

/// Serves fixed bytes with a strong `ETag` of their hash (no database involved).
pub fn fixed(req: &Req, content_type: &'static str, body: &'static [u8]) -> ApiResult<Response> {
    req.no_params()?;
    let etag = format!("\"{:016x}\"", fnv1a(body));
    if req
        .if_none_match
        .as_deref()
        .is_some_and(|h| etag_matches(h, &etag))
    {
        return Ok(not_modified(&etag));
    }
    Ok(with_etag(content_type, &etag, body.to_vec()))
}
