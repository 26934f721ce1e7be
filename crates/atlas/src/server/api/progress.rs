//! The progress board: `GET /api/v1/divisions/counts` (sites per township and category, for a
//! table and graduated symbols at township seats) and `GET /api/v1/indicators/export` (the
//! plan's indicators with the catalogue's values as a workbook or CSV).

use super::export::{download, parse_report_format, REPORT_TITLE};
use super::params;
use super::{to_json, Req, JSON};
use crate::app::reports::{indicators_filename, write_indicators};
use crate::server::error::ApiResult;
use atlas_core::analysis::CategoryCounts;
use atlas_core::export::ExportMeta;
use atlas_core::SiteFilter;
use axum::response::Response;
use serde::Serialize;
use utoipa::ToSchema;

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
    path = "/api/v1/divisions/counts",
    tag = "catalogue",
    params(super::openapi::FilterParams),
    responses(
        (status = 200, description = "Counts per township (one grouped query over the \
            filtered sites). `limit` and `offset` are accepted and ignored. No township \
            polygons are licensed: draw graduated symbols at the seats, not a choropleth.",
            body = TownCountsResponse),
        (status = 304, description = "The client's copy (`If-None-Match`) is current."),
        (status = 400, description = "A bad filter parameter (codes as for `/sites`).",
            body = super::openapi::ErrorBody),
    )
)]
pub async fn division_counts(req: Req) -> ApiResult<Response> {
    let (mut filter, _) = params::filter(&req.query, &[])?;
    filter.limit = None;
    filter.offset = 0;
    let key = format!("divisions/counts?{}", params::canonical(&filter));
    let check = filter.clone();
    req.cached(
        key,
        JSON,
        move |store| Ok(store.validate_filter(&check)?),
        move |store, _| {
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
        },
    )
    .await
}

/// The progress board as a download: every indicator with baseline, target, the catalogue's
/// value where it can count one, percent of target, source and quote.
#[utoipa::path(
    get,
    path = "/api/v1/indicators/export",
    tag = "export",
    params(("format" = Option<String>, Query, description = "`xlsx` (default) or `csv` \
        (UTF-8 with BOM).")),
    responses(
        (status = 200, description = "The indicators, with a `Content-Disposition` file name \
            (Chinese per RFC 5987 with an ASCII fallback). Values the catalogue cannot count \
            are empty, never 0.", content(
                (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
                (String = "text/csv; charset=utf-8"))),
        (status = 400, description = "`unknown_format` or `unknown_parameter`.",
            body = super::openapi::ErrorBody),
    )
)]
pub async fn indicators_export(req: Req) -> ApiResult<Response> {
    let (_, extras) = params::split(&req.query, &[], &["format"])?;
    let format = parse_report_format(params::last(&extras, "format"))?;
    let now = crate::app::clock::current().now_china();
    let bytes = req
        .state
        .db
        .read(move |store| {
            let meta = ExportMeta::new(
                format!("{REPORT_TITLE} · 规划指标进度 plan progress"),
                &SiteFilter::default(),
                now,
                format!(
                    "Innovation Atlas {} /api/v1/indicators/export, data version {}",
                    env!("CARGO_PKG_VERSION"),
                    store.data_version()?
                ),
            );
            Ok(write_indicators(store, format, &meta, Vec::new())?)
        })
        .await?;
    let (utf8, ascii) = indicators_filename(format, now.naive_local());
    download(format, &utf8, &ascii, bytes)
}
