//! `GET /api/v1/sites` (a page of the filtered sites) and `GET /api/v1/sites/{id}` (one site).

use super::params;
use super::PathId;
use super::{to_json, Req, GEOJSON};
use crate::server::cache::{etag_matches, not_modified, with_etag};
use crate::server::error::{ApiError, ApiResult};
use crate::server::features::{page_links, FeatureWriter, Link, PageTail, Paging};
use atlas_core::export::site_to_feature;
use atlas_core::{SiteFilter, SiteId};
use axum::response::Response;
use serde::Serialize;
use std::sync::Arc;
use utoipa::ToSchema;

/// Page size when `limit` is not given.
pub const DEFAULT_LIMIT: u64 = 1_000;
/// Largest page; more rows are an export's job.
pub const MAX_LIMIT: u64 = 10_000;

/// A page of sites: a GeoJSON FeatureCollection (RFC 7946, WGS84 lon/lat) with paging members.
/// (The shape of the response, for the OpenAPI document; [`list`] writes it feature by feature
/// with [`FeatureWriter`].)
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SiteCollection {
    /// Always `FeatureCollection`.
    #[serde(rename = "type")]
    #[schema(example = "FeatureCollection")]
    pub kind: &'static str,
    /// Sites matching the filter (all pages).
    pub number_matched: u64,
    /// Sites in this page.
    pub number_returned: u64,
    /// `self`, and `next`/`prev` pages with the same filter.
    pub links: Vec<Link>,
    /// The sites, one Feature each; properties as in `atlas_core::export::site_to_feature`.
    #[schema(value_type = Vec<Object>)]
    pub features: Vec<geojson::Feature>,
}

/// The effective page size of a request: the default, or the given one up to [`MAX_LIMIT`].
pub fn page_limit(given: Option<u64>, filter: &SiteFilter) -> ApiResult<u64> {
    match given {
        None => Ok(DEFAULT_LIMIT),
        Some(n) if n > MAX_LIMIT => {
            let q = params::canonical(filter);
            Err(ApiError::LimitTooLarge(format!(
                "limit {n} is above the largest page of {MAX_LIMIT} sites; page with offset, or \
                 download every matching site at /api/v1/export?format=csv{}{q}",
                if q.is_empty() { "" } else { "&" }
            )))
        }
        Some(n) => Ok(n),
    }
}

/// The URL of the page of `/sites` starting at `offset` (same filter and limit).
fn page_href(base: &str, f: &SiteFilter, limit: u64, offset: u64) -> String {
    let mut pairs: Vec<(&str, String)> = f.to_pairs();
    pairs.push(("limit", limit.to_string()));
    if offset > 0 {
        pairs.push(("offset", offset.to_string()));
    }
    format!("{base}/api/v1/sites?{}", params::encode(&pairs))
}

/// The sites matching the filter, one page at a time.
#[utoipa::path(
    get,
    path = "/api/v1/sites",
    tag = "sites",
    params(super::openapi::FilterParams),
    responses(
        (status = 200, description = "A page of the filtered sites, in list order (category, \
            Chinese name, id). `ETag` and `Cache-Control` as for every data GET.",
            body = SiteCollection, content_type = "application/geo+json"),
        super::openapi::NotModified,
        (status = 400, description = "A bad parameter: `invalid_bbox`, `invalid_limit`, \
            `invalid_offset`, `limit_out_of_range`, `unknown_value`, `invalid_id`, \
            `unknown_chain`, `unknown_link`, `unknown_town`, `unknown_parameter`.",
            body = super::openapi::ErrorBody),
    )
)]
pub async fn list(req: Req) -> ApiResult<Response> {
    let (mut filter, _) = params::filter(&req.query, &[])?;
    let limit = page_limit(filter.limit, &filter)?;
    filter.limit = Some(limit);
    let base = req.base.clone();
    let key = format!(
        "sites?{}&limit={limit}&offset={}@{base}",
        params::canonical(&filter),
        filter.offset
    );
    req.cached_sites(key, GEOJSON, filter.clone(), move |store, ctx| {
        let mut page = FeatureWriter::with_capacity(64 * 1024);
        let matched = store.page_ref(&filter, |site| -> ApiResult<()> {
            page.push(site, ctx);
            Ok(())
        })?;
        let paging = Paging {
            offset: filter.offset,
            limit,
            matched,
            returned: page.returned(),
        };
        page.finish(&PageTail {
            number_matched: matched,
            number_returned: paging.returned,
            time_stamp: None,
            links: page_links(paging, |o| page_href(&base, &filter, limit, o)),
        })
    })
    .await
}

/// One site as a GeoJSON Feature.
#[utoipa::path(
    get,
    path = "/api/v1/sites/{id}",
    tag = "sites",
    params(("id" = String, Path, description = "Site id, e.g. `gdupt`.")),
    responses(
        (status = 200, description = "The site. `ETag` is its version (`\"3\"`), the value \
            `If-Match` takes for edits.", body = Object, content_type = "application/geo+json"),
        super::openapi::NotModified,
        (status = 400, description = "`invalid_id` or `unknown_parameter`.",
            body = super::openapi::ErrorBody),
        (status = 404, description = "`not_found`: no site has this id.",
            body = super::openapi::ErrorBody),
    )
)]
pub async fn one(req: Req, PathId(raw): PathId) -> ApiResult<Response> {
    req.no_params()?;
    let id = SiteId::new(raw).map_err(params::invalid_id)?;
    let cache = Arc::clone(&req.state.cache);
    let inm = req.if_none_match.clone();
    let today = req.today();
    let generation = req.state.db.generation();
    req.state
        .db
        .read(move |store| {
            let not_found = || ApiError::NotFound(format!("no site with id '{id}'"));
            let version = store.site_version(&id)?.ok_or_else(not_found)?;
            let etag = format!("\"{version}\"");
            // The tag is the record's version (what `If-Match` names), which a file renamed
            // into the database's path may give other data: revalidated only on the file
            // the server started with.
            let first_file = generation.load(std::sync::atomic::Ordering::SeqCst) == 0;
            if first_file && inm.as_deref().is_some_and(|h| etag_matches(h, &etag)) {
                return Ok(not_modified(&etag));
            }
            let site = store.get(&id)?.ok_or_else(not_found)?;
            let reference = cache.reference(store, store.data_version()?)?;
            let feature = site_to_feature(&site, &reference.context(today));
            Ok(with_etag(GEOJSON, &etag, to_json(&feature)?))
        })
        .await
}
