//! Vector tiles of the catalogue, under `/tiles` (beside `/api/v1` and `/ogc`), so that
//! MapLibre, QGIS (a Vector Tiles connection) and GDAL's MVT driver draw every site at any
//! catalogue size.
//!
//! | Route | Media type |
//! |---|---|
//! | `/tiles/sites/{z}/{x}/{y}.mvt?<filter>` | `application/vnd.mapbox-vector-tile` (MVT 2.1) |
//! | `/tiles/sites.json?<filter>` | `application/json` (TileJSON 3.0.0) |
//!
//! The filter is `/api/v1/sites`'s (the same parsing, [`crate::server::api::params`]) without
//! `bbox`, `limit` and `offset`, which are `400 unknown_parameter` here: a tile is its own box
//! and holds every match. Tiles: Web Mercator (XYZ), extent 4096, one layer `sites` of points;
//! per cell of an eighth of the tile's side, one site or one cluster with its exact count
//! ([`atlas_core::tiles`] has the rule). A tile with no site is `200` with an empty body. Zooms
//! 0 to 22 are served (16 is advertised as `maxzoom`); a zoom, column or row out of range, or a
//! last segment that is not `{y}.mvt`, is `400 invalid_tile`. Both routes carry the weak `ETag`
//! (data version + filter + tile) and `Cache-Control` of every data GET and answer `304` to a
//! current `If-None-Match` ([`crate::server::cache`]). Tiles that take a while to make (the
//! dense low-zoom ones) are kept per data version by the server's cache ([`Cache::tile`]).
//!
//! [`Cache::tile`]: crate::server::cache::Cache::tile

use super::api::params;
use super::error::{ApiError, ApiResult};
use super::extractors::Req;
use super::features::JSON;
use super::AppState;
use atlas_core::filter::FILTER_PARAMS;
use atlas_core::tiles::{self, TileId, MEDIA_TYPE};
use atlas_core::SiteFilter;
use axum::extract::rejection::PathRejection;
use axum::extract::Path;
use axum::response::Response;
use axum::routing::get;
use axum::Router;

/// Filter parameters the tile routes take: all but `bbox`, `limit` and `offset`.
pub fn filter_keys() -> Vec<&'static str> {
    FILTER_PARAMS
        .iter()
        .copied()
        .filter(|k| !["bbox", "limit", "offset"].contains(k))
        .collect()
}

/// Routes under `/tiles`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/sites.json", get(tilejson))
        .route("/sites/{z}/{x}/{y}", get(tile))
}

/// The filter of a tile route's query string.
fn tile_filter(req: &Req) -> ApiResult<SiteFilter> {
    params::split(&req.query, &filter_keys(), &[]).map(|(f, _)| f)
}

fn invalid_tile(message: String) -> ApiError {
    ApiError::BadParam {
        code: "invalid_tile",
        message,
    }
}

/// The tile of path segments `z`, `x` and `y.mvt`.
fn tile_id(z: &str, x: &str, y: &str) -> ApiResult<TileId> {
    let y = y.strip_suffix(".mvt").ok_or_else(|| {
        invalid_tile(format!(
            "the last path segment must be {{y}}.mvt, got '{}'",
            y.chars().take(40).collect::<String>()
        ))
    })?;
    let num = |name: &str, v: &str| {
        v.parse::<u64>().map_err(|_| {
            invalid_tile(format!(
                "path parameter '{name}' must be a whole number, got '{}'",
                v.chars().take(40).collect::<String>()
            ))
        })
    };
    TileId::new(num("z", z)?, num("x", x)?, num("y", y)?).map_err(|e| invalid_tile(e.to_string()))
}

/// One vector tile of the filtered sites.
#[utoipa::path(
    get,
    path = "/tiles/sites/{z}/{x}/{y}.mvt",
    tag = "tiles",
    params(
        ("z" = u32, Path, description = "Zoom, 0 to 22 (TileJSON advertises 16)."),
        ("x" = u32, Path, description = "Column, 0 to 2^z − 1 (west to east)."),
        ("y" = u32, Path, description = "Row, 0 to 2^z − 1 (north to south)."),
        crate::server::api::openapi::TileFilterParams,
    ),
    responses(
        (status = 200, description = "Mapbox Vector Tile 2.1, extent 4096, one layer `sites` of \
            points. Per cell (512 × 512 tile units), one site feature (`cluster`=false, `id`, \
            `category`, `kind`, `precision`, `approximate`, `name_zh`, `name_en`, `count`=1) or \
            one cluster feature at the mean of its sites (`cluster`=true, `count`, \
            `n_innovation_resource`, `n_carrier_platform`, `n_key_enterprise`, `n_approximate`, \
            `bbox` of its markers, `ids` when at most 16). Each located site is in one feature \
            of one tile per zoom: the counts of the tiles covering a view add up to the sites \
            whose marker is in it. Empty body when no site is in the tile.",
            content_type = "application/vnd.mapbox-vector-tile"),
        (status = 304, description = "The client's copy (`If-None-Match`) is current."),
        (status = 400, description = "`invalid_tile`, `unknown_parameter` (also for `bbox`, \
            `limit`, `offset`), `unknown_value`, `unknown_chain`, `unknown_link`, \
            `unknown_town`.", body = crate::server::api::openapi::ErrorBody),
    )
)]
pub async fn tile(
    req: Req,
    path: Result<Path<(String, String, String)>, PathRejection>,
) -> ApiResult<Response> {
    let Path((z, x, y)) = path.map_err(|e| invalid_tile(e.body_text()))?;
    let id = tile_id(&z, &x, &y)?;
    let filter = tile_filter(&req)?;
    let key = format!(
        "tiles/sites/{}/{}/{}?{}",
        id.z,
        id.x,
        id.y,
        params::canonical(&filter)
    );
    let cache = std::sync::Arc::clone(&req.state.cache);
    let kept = key.clone();
    req.cached_filtered(key, MEDIA_TYPE, filter.clone(), move |store, _| {
        let bytes = cache.tile(store.data_version()?, &kept, || {
            let features = store.tile(&filter, id)?;
            tiles::encode(&features).map_err(|e| ApiError::internal(e.to_string()))
        })?;
        Ok(bytes.as_ref().clone())
    })
    .await
}

/// The TileJSON document of the filtered sites' tiles.
#[utoipa::path(
    get,
    path = "/tiles/sites.json",
    tag = "tiles",
    params(crate::server::api::openapi::TileFilterParams),
    responses(
        (status = 200, description = "TileJSON 3.0.0: `tiles` (the absolute URL template of \
            the tiles, with the same filter), `vector_layers` (`sites` and its fields), \
            `bounds` (of the located matches, or of the district when none), `center`, \
            `minzoom` 0, `maxzoom` 16, `name`, `attribution`.", body = Object),
        (status = 304, description = "The client's copy (`If-None-Match`) is current."),
        (status = 400, description = "As for the tiles.",
            body = crate::server::api::openapi::ErrorBody),
    )
)]
pub async fn tilejson(req: Req) -> ApiResult<Response> {
    let filter = tile_filter(&req)?;
    let q = params::canonical(&filter);
    let url = format!(
        "{}/tiles/sites/{{z}}/{{x}}/{{y}}.mvt{}{q}",
        req.base,
        if q.is_empty() { "" } else { "?" }
    );
    let key = format!("tiles/sites.json?{q}@{}", req.base);
    req.cached_filtered(key, JSON, filter.clone(), move |store, reference| {
        let bounds = match store.marker_bounds(&filter)? {
            Some(b) => b,
            None => reference
                .district
                .bbox()
                .ok_or_else(|| ApiError::internal("the district boundary has no extent"))?,
        };
        let doc = tiles::tilejson(
            &url,
            &bounds,
            "创新资源布局图 Innovation Atlas — sites",
            "茂南区科技创新“十四五”规划附件1 / Annex 1 of the Maonan District S&T \
                 Innovation 14th Five-Year Plan",
        );
        super::api::to_json(&doc)
    })
    .await
}
