//! Editing sites (needs an editor's token): `POST /sites`, `PATCH` and `DELETE /sites/{id}`,
//! `POST /sites/{id}/restore`, `/revert`, `/verify`.
//!
//! - Bodies are JSON (`application/json` or `application/geo+json`, at most
//!   [`crate::server::BODY_LIMIT_BYTES`]); anything else is `415`, a larger body `413`, JSON
//!   that does not parse `400 invalid_json`.
//! - Validation is the import's ([`atlas_core::edit`]): `422 invalid_site` names every field
//!   at fault (`error.details`: `[{"column","reason"}]`).
//! - `If-Match: "N"` (the `ETag` of `GET /sites/{id}`) on `PATCH`, `DELETE` and `revert`: a
//!   site at another version is `412 version_mismatch` (the message and
//!   `error.details.current_version` say which). Without `If-Match` the write is unconditional
//!   (the map page always sends it).
//! - Every change bumps the site's version (the new `ETag`) and the store's data version (so
//!   every list's `ETag` changes) and writes a revision (who = the token's user). A change that
//!   leaves the record as it is writes nothing and answers with the current version.
//! - Responses: the stored Feature with `ETag: "N"` and `Cache-Control: no-store`; `DELETE`
//!   answers `204`.

use super::params;
use super::PathId;
use super::{JsonBody, Req, GEOJSON};
use crate::server::auth::Editor;
use crate::server::error::{ApiError, ApiResult};
use atlas_core::edit::{apply_patch, site_from_feature};
use atlas_core::export::site_to_feature;
use atlas_core::{Context, SiteId};
use atlas_store::{Action, Saved, Store};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, ETAG, IF_MATCH, LOCATION};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use std::sync::Arc;
use utoipa::ToSchema;

/// The version an `If-Match` header names: `None` without the header or for `*`.
pub fn if_match(headers: &HeaderMap) -> ApiResult<Option<u64>> {
    let Some(v) = headers.get(IF_MATCH) else {
        return Ok(None);
    };
    let bad = || {
        ApiError::BadRequest(
            "header 'If-Match': expected one version as GET /api/v1/sites/{id} gives it in its \
         ETag, e.g. If-Match: \"3\""
                .into(),
        )
    };
    let text = v.to_str().map_err(|_| bad())?.trim();
    if text == "*" {
        return Ok(None);
    }
    text.strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .and_then(|t| t.parse::<u64>().ok())
        .map(Some)
        .ok_or_else(bad)
}

/// A stored site as a Feature with its `ETag`, not cached.
pub fn feature_response(
    status: StatusCode,
    saved: &Saved,
    ctx: &Context<'_>,
) -> ApiResult<Response> {
    let body = super::to_json(&site_to_feature(&saved.site, ctx))?;
    let mut r = (status, [(CONTENT_TYPE, GEOJSON)], body).into_response();
    let h = r.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&format!("\"{}\"", saved.version)) {
        h.insert(ETAG, v);
    }
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(r)
}

/// Runs a change on the writer with the reference data of the moment.
async fn write<F>(req: &Req, f: F) -> ApiResult<Response>
where
    F: FnOnce(&mut Store, &Context<'_>) -> ApiResult<Response> + Send + 'static,
{
    let cache = Arc::clone(&req.state.cache);
    let today = req.today();
    req.state
        .db
        .write(move |store| {
            let reference = cache.reference(store, store.data_version()?)?;
            f(store, &reference.context(today))
        })
        .await
}

fn site_id(raw: String) -> ApiResult<SiteId> {
    SiteId::new(raw).map_err(params::invalid_id)
}

/// `412` before any validation when the stored site is not at `expected`.
fn check_version(store: &Store, id: &SiteId, expected: Option<u64>) -> ApiResult<()> {
    let current = store
        .site_version(id)?
        .ok_or_else(|| atlas_store::StoreError::NoSuchSite(id.to_string()))?;
    match expected {
        Some(e) if e != current => Err(atlas_store::StoreError::VersionMismatch {
            id: id.to_string(),
            expected: e,
            current,
        }
        .into()),
        _ => Ok(()),
    }
}

/// Adds a site.
#[utoipa::path(
    post,
    path = "/api/v1/sites",
    tag = "editing",
    security(("bearer" = [])),
    request_body(content = Object, content_type = "application/geo+json",
        description = "A GeoJSON Feature shaped like `GET /api/v1/sites/{id}` returns (the \
            `*_zh` labels, `approximate` and `outside_district` are ignored)."),
    responses(
        (status = 201, description = "The stored site; `ETag: \"1\"`, `Location`.", body = Object,
            content_type = "application/geo+json"),
        super::openapi::EditorOnly,
        (status = 409, description = "`conflict`: the id is taken.", body = super::openapi::ErrorBody),
        (status = 413, description = "`payload_too_large`", body = super::openapi::ErrorBody),
        (status = 415, description = "`unsupported_media_type`", body = super::openapi::ErrorBody),
        (status = 422, description = "`invalid_site`, naming each field.", body = super::openapi::ErrorBody),
    )
)]
pub async fn create(
    Editor(who): Editor,
    req: Req,
    JsonBody(body): JsonBody,
) -> ApiResult<Response> {
    req.no_params()?;
    let base = req.base.clone();
    write(&req, move |store, ctx| {
        let site = site_from_feature(&body, ctx).map_err(|e| ApiError::invalid_site(&e))?;
        let saved = store.create_site(&site, &who.name)?;
        let mut r = feature_response(StatusCode::CREATED, &saved, ctx)?;
        let location = format!("{base}/api/v1/sites/{}", saved.site.id);
        if let Ok(v) = HeaderValue::from_str(&location) {
            r.headers_mut().insert(LOCATION, v);
        }
        Ok(r)
    })
    .await
}

/// Changes a site: a partial Feature merged onto it.
#[utoipa::path(
    patch,
    path = "/api/v1/sites/{id}",
    tag = "editing",
    security(("bearer" = [])),
    params(
        ("id" = String, Path, description = "Site id."),
        ("If-Match" = Option<String>, Header, description = "The version the change was made \
            against, as the `ETag` of `GET /api/v1/sites/{id}` (`\"3\"`)."),
    ),
    request_body(content = Object, content_type = "application/json",
        description = "`{\"properties\": {…only the keys that change…}, \"geometry\": …}`. A \
            `null` property clears the field. A new geometry without `location_precision` \
            makes the location `surveyed`, with `location_source` = `corrected on the map by \
            NAME, DATE` unless given. `geometry: null` makes the location unknown (precision \
            `unknown`, `\"geometry\": null`). `properties.crs` (`gcj02`, `bd09`, `wgs84`, \
            `cgcs2000`) says the CRS of the new geometry: converted to WGS84, the original kept \
            as `original_crs/lon/lat`."),
    responses(
        (status = 200, description = "The stored site with its new `ETag`.", body = Object,
            content_type = "application/geo+json"),
        super::openapi::EditorOnly,
        (status = 404, description = "`not_found`", body = super::openapi::ErrorBody),
        (status = 412, description = "`version_mismatch`: the site changed since.", body = super::openapi::ErrorBody),
        (status = 415, description = "`unsupported_media_type`", body = super::openapi::ErrorBody),
        (status = 422, description = "`invalid_site`", body = super::openapi::ErrorBody),
    )
)]
pub async fn update(
    Editor(who): Editor,
    req: Req,
    PathId(raw): PathId,
    headers: HeaderMap,
    JsonBody(patch): JsonBody,
) -> ApiResult<Response> {
    req.no_params()?;
    let id = site_id(raw)?;
    let expected = if_match(&headers)?;
    write(&req, move |store, ctx| {
        check_version(store, &id, expected)?;
        let current = store
            .get(&id)?
            .ok_or_else(|| atlas_store::StoreError::NoSuchSite(id.to_string()))?;
        let site = apply_patch(&current, &patch, ctx, &who.name)
            .map_err(|e| ApiError::invalid_site(&e))?;
        let saved = store.update_site(&site, expected, &who.name, Action::Update)?;
        feature_response(StatusCode::OK, &saved, ctx)
    })
    .await
}

/// Deletes a site (restorable).
#[utoipa::path(
    delete,
    path = "/api/v1/sites/{id}",
    tag = "editing",
    security(("bearer" = [])),
    params(
        ("id" = String, Path, description = "Site id."),
        ("If-Match" = Option<String>, Header, description = "The version being deleted (`\"3\"`)."),
    ),
    responses(
        (status = 204, description = "Deleted: gone from every list, count and export; listed \
            at `/api/v1/deleted`, restorable with `POST /api/v1/sites/{id}/restore`."),
        super::openapi::EditorOnly,
        (status = 404, description = "`not_found`", body = super::openapi::ErrorBody),
        (status = 412, description = "`version_mismatch`", body = super::openapi::ErrorBody),
    )
)]
pub async fn delete(
    Editor(who): Editor,
    req: Req,
    PathId(raw): PathId,
    headers: HeaderMap,
) -> ApiResult<Response> {
    req.no_params()?;
    let id = site_id(raw)?;
    let expected = if_match(&headers)?;
    req.state
        .db
        .write(move |store| {
            store.delete_site(&id, expected, &who.name)?;
            Ok(StatusCode::NO_CONTENT.into_response())
        })
        .await
}

/// Puts a deleted site back.
#[utoipa::path(
    post,
    path = "/api/v1/sites/{id}/restore",
    tag = "editing",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Site id.")),
    responses(
        (status = 200, description = "The site as it was when deleted; its version continues.",
            body = Object, content_type = "application/geo+json"),
        (status = 401, description = "`unauthorized`", body = super::openapi::ErrorBody),
        (status = 404, description = "`not_found`: no deleted site has this id.", body = super::openapi::ErrorBody),
        (status = 409, description = "`conflict`: the site is not deleted.", body = super::openapi::ErrorBody),
        (status = 422, description = "`invalid_site`: it uses a chain, link or township the \
            catalogue no longer has.", body = super::openapi::ErrorBody),
    )
)]
pub async fn restore(Editor(who): Editor, req: Req, PathId(raw): PathId) -> ApiResult<Response> {
    req.no_params()?;
    let id = site_id(raw)?;
    write(&req, move |store, ctx| {
        let saved = store.restore_site(&id, &who.name)?;
        feature_response(StatusCode::OK, &saved, ctx)
    })
    .await
}

/// The body of `POST /sites/{id}/revert`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevertBody {
    /// The revision whose resulting record the site goes back to.
    pub rev: u64,
}

/// Sets a site back to its record after a revision.
#[utoipa::path(
    post,
    path = "/api/v1/sites/{id}/revert",
    tag = "editing",
    security(("bearer" = [])),
    params(
        ("id" = String, Path, description = "Site id."),
        ("If-Match" = Option<String>, Header, description = "The version being replaced (`\"3\"`)."),
    ),
    request_body(content = RevertBody, content_type = "application/json"),
    responses(
        (status = 200, description = "The site as it was right after revision `rev` (a new \
            revision, action `revert`; a deleted site comes back).", body = Object,
            content_type = "application/geo+json"),
        (status = 401, description = "`unauthorized`", body = super::openapi::ErrorBody),
        (status = 404, description = "`not_found`: no such revision of this site.", body = super::openapi::ErrorBody),
        (status = 409, description = "`conflict`: revision `rev` deleted the site.", body = super::openapi::ErrorBody),
        (status = 412, description = "`version_mismatch`", body = super::openapi::ErrorBody),
        (status = 422, description = "`invalid_site`", body = super::openapi::ErrorBody),
    )
)]
pub async fn revert(
    Editor(who): Editor,
    req: Req,
    PathId(raw): PathId,
    headers: HeaderMap,
    JsonBody(body): JsonBody,
) -> ApiResult<Response> {
    req.no_params()?;
    let id = site_id(raw)?;
    let expected = if_match(&headers)?;
    let body: RevertBody = serde_json::from_value(body).map_err(|e| {
        ApiError::InvalidJson(format!(
            "the body must be {{\"rev\": N}} with a revision number: {e}"
        ))
    })?;
    write(&req, move |store, ctx| {
        if store.site_version(&id)?.is_some() {
            check_version(store, &id, expected)?;
        }
        let saved = store.revert_site(&id, body.rev, expected, &who.name)?;
        feature_response(StatusCode::OK, &saved, ctx)
    })
    .await
}

/// Confirms a site's record: `verified_at` becomes today.
#[utoipa::path(
    post,
    path = "/api/v1/sites/{id}/verify",
    tag = "editing",
    security(("bearer" = [])),
    params(
        ("id" = String, Path, description = "Site id."),
        ("If-Match" = Option<String>, Header, description = "The version being confirmed (`\"3\"`)."),
    ),
    responses(
        (status = 200, description = "The site with `verified_at` = today (China Standard \
            Time); a revision, action `verify`.", body = Object, content_type = "application/geo+json"),
        (status = 401, description = "`unauthorized`", body = super::openapi::ErrorBody),
        (status = 404, description = "`not_found`", body = super::openapi::ErrorBody),
        (status = 412, description = "`version_mismatch`", body = super::openapi::ErrorBody),
    )
)]
pub async fn verify(
    Editor(who): Editor,
    req: Req,
    PathId(raw): PathId,
    headers: HeaderMap,
) -> ApiResult<Response> {
    req.no_params()?;
    let id = site_id(raw)?;
    let expected = if_match(&headers)?;
    write(&req, move |store, ctx| {
        check_version(store, &id, expected)?;
        let mut site = store
            .get(&id)?
            .ok_or_else(|| atlas_store::StoreError::NoSuchSite(id.to_string()))?;
        site.verified_at = Some(ctx.today);
        let saved = store.update_site(&site, expected, &who.name, Action::Verify)?;
        feature_response(StatusCode::OK, &saved, ctx)
    })
    .await
}
