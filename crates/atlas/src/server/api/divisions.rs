//! The district and its townships: `GET /api/v1/divisions` (townships with their seats),
//! `/divisions/counts` (sites per township and category, for a table and graduated symbols at
//! township seats), `/boundary` (the district boundary) and `/boundary/context` (the
//! county-level units around it, for map context).

use super::{fixed, params, to_json, Req, GEOJSON, JSON};
use crate::server::error::ApiResult;
use atlas_core::analysis::CategoryCounts;
use atlas_core::dataset::CONTEXT_GEOJSON;
use axum::response::Response;
use serde::Serialize;
use utoipa::ToSchema;

/// A township seat.
#[derive(Debug, Serialize, ToSchema)]
pub struct SeatEntry {
    /// WGS84 longitude.
    pub lon: f64,
    /// WGS84 latitude.
    pub lat: f64,
    /// The CRS of the source's coordinate (converted to WGS84 here).
    pub source_crs: &'static str,
    /// Where the coordinate comes from.
    pub source: String,
}

/// A township-level division.
#[derive(Debug, Serialize, ToSchema)]
pub struct DivisionEntry {
    /// 9-digit code (the `town` filter value).
    pub code: String,
    /// Chinese name.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// `subdistrict` (街道) or `town` (镇).
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// `街道` or `镇`.
    pub type_zh: &'static str,
    /// The seat, where a source gives one.
    pub seat: Option<SeatEntry>,
}

/// `GET /divisions`.
#[derive(Debug, Serialize, ToSchema)]
pub struct DivisionsResponse {
    /// Townships in stored order.
    pub divisions: Vec<DivisionEntry>,
}

/// The district's townships: code, names, type and seat where known with its source.
#[utoipa::path(
    get,
    path = "/api/v1/divisions",
    tag = "catalogue",
    responses(
        (status = 200, description = "Townships.", body = DivisionsResponse),
        super::openapi::NotModified,
        (status = 400, description = "`unknown_parameter`.", body = super::openapi::ErrorBody),
    )
)]
pub async fn divisions(req: Req) -> ApiResult<Response> {
    req.no_params()?;
    req.cached(
        "divisions".into(),
        JSON,
        |_| Ok(()),
        |_, reference| {
            let divisions = reference
                .divisions
                .iter()
                .map(|d| DivisionEntry {
                    code: d.code.to_string(),
                    name_zh: d.name_zh.clone(),
                    name_en: d.name_en.clone(),
                    kind: d.kind.as_str(),
                    type_zh: d.kind.zh(),
                    seat: d.seat.as_ref().map(|s| SeatEntry {
                        lon: s.position.lon.get(),
                        lat: s.position.lat.get(),
                        source_crs: s.crs.as_str(),
                        source: s.source.clone(),
                    }),
                })
                .collect();
            to_json(&DivisionsResponse { divisions })
        },
    )
    .await
}

/// The district boundary as stored: a GeoJSON FeatureCollection whose properties name its
/// source, licence and CRS conversion.
#[utoipa::path(
    get,
    path = "/api/v1/boundary",
    tag = "catalogue",
    responses(
        (status = 200, description = "The boundary (WGS84).", body = Object,
            content_type = "application/geo+json"),
        super::openapi::NotModified,
        (status = 400, description = "`unknown_parameter`.", body = super::openapi::ErrorBody),
    )
)]
pub async fn boundary(req: Req) -> ApiResult<Response> {
    req.no_params()?;
    req.cached(
        "boundary".into(),
        GEOJSON,
        |_| Ok(()),
        |_, reference| Ok(reference.district.geojson.clone().into_bytes()),
    )
    .await
}

/// The county-level units of Maoming around the district, for map context (embedded data).
#[utoipa::path(
    get,
    path = "/api/v1/boundary/context",
    tag = "catalogue",
    responses(
        (status = 200, description = "Maoming's county-level units (WGS84).", body = Object,
            content_type = "application/geo+json"),
        super::openapi::NotModified,
    )
)]
pub async fn context(req: Req) -> ApiResult<Response> {
    fixed(&req, GEOJSON, CONTEXT_GEOJSON.as_bytes())
}

/// Sites per category.
#[derive(Debug, Serialize, ToSchema)]
pub struct CategoryTally {
    /// Innovation resources (创新资源).
    pub innovation_resource: u64,
    /// Carrier platforms (载体平台).
    pub carrier_platform: u64,
    /// Key enterprises (重点企业).
    pub key_enterprise: u64,
}

impl From<CategoryCounts> for CategoryTally {
    fn from(c: CategoryCounts) -> Self {
        Self {
            innovation_resource: c.innovation_resource,
            carrier_platform: c.carrier_platform,
            key_enterprise: c.key_enterprise,
        }
    }
}

/// A township seat (WGS84).
#[derive(Debug, Serialize, ToSchema)]
pub struct SeatPoint {
    /// Longitude.
    pub lon: f64,
    /// Latitude.
    pub lat: f64,
}

/// One township with its counts.
#[derive(Debug, Serialize, ToSchema)]
pub struct TownCount {
    /// 9-digit code (the `town` filter value).
    pub code: String,
    /// Chinese name.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// The seat, where a source gives one (where a graduated symbol can stand); null otherwise.
    pub seat: Option<SeatPoint>,
    /// Matching sites by category.
    pub counts: CategoryTally,
    /// Matching sites.
    pub total: u64,
}

/// Sites without a township.
#[derive(Debug, Serialize, ToSchema)]
pub struct NoTownCount {
    /// By category.
    pub counts: CategoryTally,
    /// In all.
    pub total: u64,
}

/// `GET /divisions/counts`.
#[derive(Debug, Serialize, ToSchema)]
pub struct TownCountsResponse {
    /// Every township, in code order, zero counts included.
    pub towns: Vec<TownCount>,
    /// Matching sites that name no township.
    pub no_town: NoTownCount,
}

/// Sites per township and category for a filter: every township (zeros included), in code
/// order, with its seat where known.
#[utoipa::path(
    get,
    operation_id = "division_counts",
    path = "/api/v1/divisions/counts",
    tag = "catalogue",
    params(super::openapi::FilterParams),
    responses(
        (status = 200, description = "Counts per township (one grouped query over the \
            filtered sites). `limit` and `offset` are accepted and ignored. No township \
            polygons are licensed: draw graduated symbols at the seats, not a choropleth.",
            body = TownCountsResponse),
        super::openapi::NotModified,
        (status = 400, description = "A bad filter parameter (codes as for `/sites`).",
            body = super::openapi::ErrorBody),
    )
)]
pub async fn counts(req: Req) -> ApiResult<Response> {
    let (mut filter, _) = params::filter(&req.query, &[])?;
    filter.limit = None;
    filter.offset = 0;
    let key = format!("divisions/counts?{}", params::canonical(&filter));
    req.cached_filtered(key, JSON, filter.clone(), move |store, _| {
        let counts = store.counts_by_town(&filter)?;
        let towns = counts
            .towns
            .into_iter()
            .map(|(d, c)| TownCount {
                code: d.code.to_string(),
                name_zh: d.name_zh,
                name_en: d.name_en,
                seat: d.seat.map(|s| SeatPoint {
                    lon: s.position.lon.get(),
                    lat: s.position.lat.get(),
                }),
                total: c.total,
                counts: c.into(),
            })
            .collect();
        to_json(&TownCountsResponse {
            towns,
            no_town: NoTownCount {
                total: counts.no_town.total,
                counts: counts.no_town.into(),
            },
        })
    })
    .await
}
