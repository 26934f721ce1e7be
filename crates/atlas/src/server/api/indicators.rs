//! The plan's indicators: `GET /api/v1/indicators` (with the catalogue's own values and percent
//! of target), `/indicators/export` (the progress board as a workbook or CSV) and
//! `POST /indicators/import` (admins: an indicators CSV replaces them).

use super::export::{data_source, download, parse_report_format, REPORT_TITLE};
use super::import::csv_body;
use super::{params, to_json, Req, GEOJSON, JSON};
use crate::app::reports::{indicators_filename, write_indicators};
use crate::server::auth::Admin;
use crate::server::error::{ApiError, ApiResult};
use crate::server::features::Link;
use atlas_core::export::ExportMeta;
use atlas_core::{Indicator, Measure, SiteFilter};
use axum::extract::Request;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

/// One of the plan's indicators with the catalogue's own value.
#[derive(Debug, Serialize, ToSchema)]
pub struct IndicatorEntry {
    /// The indicator as the plan sets it.
    #[serde(flatten)]
    pub indicator: Indicator,
    /// What the catalogue counts today (sites, or m² for `sum_area`); null when it cannot
    /// (including `sum_area` when no counted site has an area: unknown, not 0).
    pub catalogue_value: Option<f64>,
    /// `catalogue_value / target × 100`, one decimal, where both exist and the target is not 0.
    pub percent_of_target: Option<f64>,
    /// The counted sites, when the catalogue counts them.
    pub sites: Option<Link>,
}

/// `GET /indicators`.
#[derive(Debug, Serialize, ToSchema)]
pub struct IndicatorsResponse {
    /// Indicators in the plan's order.
    pub indicators: Vec<IndicatorEntry>,
}

/// The plan's indicators: baseline, target, source and quote, and the catalogue's own count.
#[utoipa::path(
    get,
    path = "/api/v1/indicators",
    tag = "catalogue",
    responses(
        (status = 200, description = "Indicators.", body = IndicatorsResponse),
        super::openapi::NotModified,
        (status = 400, description = "`unknown_parameter`.", body = super::openapi::ErrorBody),
    )
)]
pub async fn indicators(req: Req) -> ApiResult<Response> {
    req.no_params()?;
    let base = req.base.clone();
    req.cached(
        format!("indicators@{base}"),
        JSON,
        |_| Ok(()),
        move |store, _| {
            let indicators = store
                .indicator_values()?
                .into_iter()
                .map(|(ind, value)| {
                    let percent = ind.percent_of_target(value);
                    let sites = (ind.measure != Measure::None).then(|| Link {
                        href: format!(
                            "{base}/api/v1/sites?{}",
                            ind.filter()
                                .map(|f| params::canonical(&f))
                                .unwrap_or_default()
                        ),
                        rel: "items",
                        media_type: GEOJSON,
                        title: ind.name_zh.clone(),
                    });
                    IndicatorEntry {
                        indicator: ind,
                        catalogue_value: value,
                        percent_of_target: percent,
                        sites,
                    }
                })
                .collect();
            to_json(&IndicatorsResponse { indicators })
        },
    )
    .await
}

/// The progress board as a download: every indicator with baseline, target, the catalogue's
/// value where it can count one, percent of target, source and quote.
#[utoipa::path(
    get,
    operation_id = "export_indicators",
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
pub async fn export(req: Req) -> ApiResult<Response> {
    let (_, extras) = params::split(&req.query, &[], &["format"])?;
    let format = parse_report_format(params::last(&extras, "format"))?;
    let now = req.state.clock.now_china();
    let bytes = req
        .state
        .db
        .read(move |store| {
            let meta = ExportMeta::new(
                format!("{REPORT_TITLE} · 规划指标进度 plan progress"),
                &SiteFilter::default(),
                now,
                data_source("/api/v1/indicators/export", store.data_version()?),
            );
            Ok(write_indicators(store, format, &meta, Vec::new())?)
        })
        .await?;
    let (utf8, ascii) = indicators_filename(format, now.naive_local());
    download(format, &utf8, &ascii, bytes)
}

/// What `POST /api/v1/indicators/import` did.
#[derive(Debug, Serialize, ToSchema)]
pub struct IndicatorsResult {
    /// True when nothing was written.
    pub dry_run: bool,
    /// Indicators in the file (now in force unless `dry_run`).
    pub indicators: usize,
    /// Their ids, in order.
    pub ids: Vec<String>,
}

/// Replaces the plan's indicators with an indicators CSV (the columns of data/indicators.csv):
/// baselines, targets and sources change without a code change. Admins only.
#[utoipa::path(
    post,
    operation_id = "import_indicators",
    path = "/api/v1/indicators/import",
    tag = "editing",
    security(("bearer" = [])),
    params(("dry_run" = Option<bool>, Query, description = "Check only, write nothing.")),
    request_body(content = String, content_type = "text/csv", description = "The indicators \
        file (columns of data/indicators.csv), UTF-8."),
    responses(
        (status = 200, description = "The indicators now in force.", body = IndicatorsResult),
        super::openapi::AdminOnly,
        (status = 415, description = "`unsupported_media_type`: not text/csv.", body = super::openapi::ErrorBody),
        (status = 422, description = "`invalid_file`: a row that cannot be read, a repeated id, \
            or a count_filter naming an unknown chain, link or township; nothing was written.",
            body = super::openapi::ErrorBody),
    )
)]
pub async fn import(Admin(_who): Admin, req: Req, request: Request) -> ApiResult<Response> {
    let (dry_run, text) = csv_body(&req, request, "indicators").await?;
    let list = atlas_core::reference::parse_indicators(&text)
        .map_err(|e| ApiError::InvalidFile(e.to_string()))?;
    let ids: Vec<String> = list.iter().map(|i| i.id.clone()).collect();
    let result = req
        .state
        .db
        .write(move |s| {
            let indicators = if dry_run {
                // The same checks, in a transaction that is rolled back.
                s.check_indicators(&list)?
            } else {
                s.replace_indicators(&list)?
            };
            Ok(IndicatorsResult {
                dry_run,
                indicators,
                ids,
            })
        })
        .await?;
    Ok((
        [(CONTENT_TYPE, JSON), (CACHE_CONTROL, "no-store")],
        super::to_json(&result)?,
    )
        .into_response())
}
