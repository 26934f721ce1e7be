//! `GET /api/v1/match`: site matching (智慧选址) — carrier platforms for an investor, ranked
//! by `atlas_core::matching` (area known and enough, chain fit, distance, available area, name).
//! `format=json` (default) answers a GeoJSON FeatureCollection with a `match` property per
//! feature; `xlsx`, `csv`, `geojson` and `kml` download the same rows in rank order with the
//! site export writers.

use super::export::{data_source, download, REPORT_TITLE};
use super::params;
use super::sites::MAX_LIMIT;
use super::{to_json, Req, GEOJSON};
use crate::app::reports::ranked_matches;
use crate::server::error::{ApiError, ApiResult};
use atlas_core::export::{filter_label, site_to_feature, site_writer, ExportFormat, ExportMeta};
use atlas_core::matching::{MatchInfo, MatchQuery, MATCH_PARAMS};
use atlas_core::report::report_filename;
use atlas_core::{HeaderLang, Site};
use axum::response::Response;
use serde::Serialize;
use utoipa::ToSchema;

/// Heading of the list sheet of a match workbook (rows in rank order).
const MATCH_LIST_TITLE: &str = "茂南区智慧选址推荐载体平台清单（按匹配度排序）";

/// Platforms returned when `limit` is not given.
pub const DEFAULT_MATCH_LIMIT: u64 = 100;

/// How one platform matches (the `match` property of each feature).
#[derive(Debug, Serialize, ToSchema)]
pub struct MatchProperty {
    /// 1 for the best match.
    pub rank: u64,
    /// Great-circle (Haversine) distance from `near` to the site's marker, km (3 decimals);
    /// null without `near`.
    pub distance_km: Option<f64>,
    /// `link` (on the requested link), `chain` (on the requested chain), `general` (on no
    /// chain, or no chain requested), `other` (on other chains only).
    #[schema(example = "chain")]
    pub fit: &'static str,
    /// `enough` (available area known and at least `min_area_m2`) or `unknown` (not known:
    /// listed after every known figure, never taken as zero).
    #[schema(example = "enough")]
    pub area: &'static str,
}

/// The parameters as understood (normalised).
#[derive(Debug, Serialize, ToSchema)]
pub struct MatchQueryEcho {
    /// Requested chain (the link's chain when only a link is given).
    pub chain: Option<String>,
    /// Requested link.
    pub link: Option<String>,
    /// Space needed, m².
    pub min_area_m2: Option<f64>,
    /// `[lon, lat]` (WGS84).
    pub near: Option<[f64; 2]>,
    /// Search radius, km.
    pub radius_km: Option<f64>,
    /// Township codes.
    pub town: Vec<String>,
    /// Most platforms returned.
    pub limit: u64,
    /// `json`, `xlsx`, `csv`, `geojson` or `kml`.
    pub format: &'static str,
}

/// `GET /match` (format json): a GeoJSON FeatureCollection; each feature as in `/sites` plus
/// `properties.match`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MatchCollection {
    /// Always `FeatureCollection`.
    #[serde(rename = "type")]
    #[schema(example = "FeatureCollection")]
    pub kind: &'static str,
    /// Platforms matching (before `limit`).
    pub number_matched: u64,
    /// Platforms in `features`.
    pub number_returned: u64,
    /// The parameters as understood.
    pub query: MatchQueryEcho,
    /// The platforms in rank order.
    #[schema(value_type = Vec<Object>)]
    pub features: Vec<geojson::Feature>,
}

/// `format`: `None` is JSON, else a download format.
fn parse_format(v: Option<&str>) -> ApiResult<Option<ExportFormat>> {
    match v.map(|s| s.trim().to_ascii_lowercase()).as_deref() {
        None | Some("") | Some("json") => Ok(None),
        Some("xlsx") => Ok(Some(ExportFormat::Xlsx)),
        Some("csv") => Ok(Some(ExportFormat::Csv)),
        Some("geojson") => Ok(Some(ExportFormat::GeoJson)),
        Some("kml") => Ok(Some(ExportFormat::Kml)),
        Some(_) => Err(ApiError::BadParam {
            code: "unknown_format",
            message: format!(
                "parameter 'format': unknown format '{}'; allowed: json, xlsx, csv, geojson, kml",
                v.unwrap_or("").chars().take(40).collect::<String>()
            ),
        }),
    }
}

fn round3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

fn echo(q: &MatchQuery, limit: u64, format: Option<ExportFormat>) -> MatchQueryEcho {
    MatchQueryEcho {
        chain: q.chain.as_ref().map(|c| c.to_string()),
        link: q.link.as_ref().map(|l| l.to_string()),
        min_area_m2: q.min_area_m2,
        near: q.near.map(|p| [p.lon.get(), p.lat.get()]),
        radius_km: q.radius_km,
        town: q.filter.town.iter().map(|t| t.to_string()).collect(),
        limit,
        format: format.map_or("json", |f| f.extension()),
    }
}

/// The match parameters as `(name, value)` pairs for the files' record of what was asked.
fn described(q: &MatchQuery) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    let mut push = |k: &str, v: Option<String>| {
        if let Some(v) = v {
            out.push((k.to_string(), v));
        }
    };
    push("chain", q.chain.as_ref().map(|c| c.to_string()));
    push("link", q.link.as_ref().map(|l| l.to_string()));
    push(
        "town",
        (!q.filter.town.is_empty()).then(|| {
            q.filter
                .town
                .iter()
                .map(|t| t.to_string())
                .collect::<Vec<_>>()
                .join(",")
        }),
    );
    push(
        "可用面积下限 min_area_m2",
        q.min_area_m2.map(|v| v.to_string()),
    );
    push("中心点 near", q.near.map(|p| p.to_string()));
    push("半径 radius_km", q.radius_km.map(|v| v.to_string()));
    out.push((
        "排序 order".into(),
        "可用面积已知且足够在前，未知在后；同环节 > 同产业链 > 通用载体 > 其他产业链；距离由近到远；\
         可用面积由大到小；名称 / area known and enough first, unknown last; fit link > chain > \
         general > other; distance ascending; available area descending; name"
            .into(),
    ));
    out
}

fn feature(
    site: &Site,
    m: &MatchInfo,
    rank: u64,
    ctx: &atlas_core::Context<'_>,
) -> ApiResult<geojson::Feature> {
    let mut f = site_to_feature(site, ctx);
    let prop = MatchProperty {
        rank,
        distance_km: m.distance_km.map(round3),
        fit: m.fit.as_str(),
        area: m.area.as_str(),
    };
    let v = serde_json::to_value(&prop)
        .map_err(|e| ApiError::internal(format!("serialising a match: {e}")))?;
    if let Some(p) = f.properties.as_mut() {
        p.insert("match".into(), v);
    }
    Ok(f)
}

/// Carrier platforms for an investor in a chain or link, ranked.
#[utoipa::path(
    get,
    path = "/api/v1/match",
    tag = "chains",
    params(
        ("chain" = Option<String>, Query, description = "The investor's chain, e.g. \
            `petrochemical` (one id)."),
        ("link" = Option<String>, Query, description = "The investor's link, e.g. \
            `petrochemical.fine_chemicals` (one id; implies its chain)."),
        ("min_area_m2" = Option<f64>, Query, description = "Space needed, m² (≥ 0). Platforms \
            whose known available area is smaller are left out; unknown areas are kept and \
            listed last."),
        ("near" = Option<String>, Query, description = "`lon,lat` (WGS84): distances are \
            measured from here."),
        ("radius_km" = Option<f64>, Query, description = "Only platforms within this many km \
            of `near` (> 0; needs `near`)."),
        ("town" = Option<String>, Query, description = "Township codes, comma list: only \
            platforms in these townships."),
        ("limit" = Option<u64>, Query, description = "Most platforms returned: default 100, \
            at most 10000."),
        ("format" = Option<String>, Query, description = "`json` (default), or a download: \
            `xlsx`, `csv`, `geojson`, `kml` (the same rows in rank order)."),
    ),
    responses(
        (status = 200, description = "Platforms in rank order: area known and enough before \
            unknown, then fit (link, chain, general, other), then distance, then available \
            area (largest first), then name. JSON: a FeatureCollection whose features carry \
            `properties.match` {rank, distance_km, fit, area}.", body = MatchCollection,
            content_type = "application/geo+json"),
        super::openapi::NotModified,
        (status = 400, description = "`invalid_area` (min_area_m2), `invalid_near`, \
            `invalid_radius`, `radius_without_near`, `invalid_id`, `invalid_parameter`, \
            `unknown_chain`, `unknown_link`, `unknown_town`, `invalid_limit`, \
            `limit_out_of_range`, `unknown_format`, `unknown_parameter`.",
            body = super::openapi::ErrorBody),
    )
)]
pub async fn match_sites(req: Req) -> ApiResult<Response> {
    let (q, format, limit) = parse_request(&req)?;
    match format {
        None => match_json(req, q, limit).await,
        Some(format) => match_download(req, q, limit, format).await,
    }
}

/// The query, the download format (`None`: JSON) and the number of platforms to answer.
fn parse_request(req: &Req) -> ApiResult<(MatchQuery, Option<ExportFormat>, u64)> {
    let mut q = MatchQuery::default();
    let mut format_value: Option<String> = None;
    for (k, v) in &req.query {
        if k == "format" {
            format_value = Some(v.clone());
        } else if !q.apply(k, v)? {
            return Err(params::unknown_parameter(k, MATCH_PARAMS, &["format"]));
        }
    }
    q.check()?;
    let format = parse_format(format_value.as_deref())?;
    let limit = match q.filter.limit {
        None => DEFAULT_MATCH_LIMIT,
        Some(n) if n > MAX_LIMIT => {
            return Err(ApiError::LimitTooLarge(format!(
                "limit {n} is above the largest answer of {MAX_LIMIT} platforms"
            )))
        }
        Some(n) => n,
    };
    Ok((q, format, limit))
}

/// The ranked platforms as a GeoJSON FeatureCollection (a data GET with `ETag`/`304`).
async fn match_json(req: Req, q: MatchQuery, limit: u64) -> ApiResult<Response> {
    let echo = echo(&q, limit, None);
    let key = format!(
        "match?{}",
        serde_json::to_string(&echo).map_err(|e| ApiError::internal(format!("match key: {e}")))?
    );
    req.cached_sites(key, GEOJSON, q.reference_filter(), move |store, ctx| {
        let ranked = ranked_matches(store, &q)?;
        let features = ranked
            .iter()
            .take(usize::try_from(limit).unwrap_or(usize::MAX))
            .enumerate()
            .map(|(i, (s, m))| feature(s, m, i as u64 + 1, ctx))
            .collect::<ApiResult<Vec<_>>>()?;
        to_json(&MatchCollection {
            kind: "FeatureCollection",
            number_matched: ranked.len() as u64,
            number_returned: features.len() as u64,
            query: echo,
            features,
        })
    })
    .await
}

/// The ranked platforms as a download (rows in rank order).
async fn match_download(
    req: Req,
    q: MatchQuery,
    limit: u64,
    format: ExportFormat,
) -> ApiResult<Response> {
    let check = q.reference_filter();
    let now = req.state.clock.now_china();
    let today = req.today();
    let (bytes, names) = req
        .read_with_reference(move |store, reference, version| {
            store.validate_filter(&check)?;
            let ctx = reference.context(today);
            let ranked = ranked_matches(store, &q)?;
            let rows: Vec<&Site> = ranked
                .iter()
                .take(usize::try_from(limit).unwrap_or(usize::MAX))
                .map(|(s, _)| s)
                .collect();
            let meta = ExportMeta {
                title: format!("{REPORT_TITLE} · 智慧选址 site matching"),
                filter_description: described(&q),
                generated_at: now,
                data_source: format!(
                    "{}; rows in rank order",
                    data_source("/api/v1/match", version)
                ),
                row_count: Some(rows.len() as u64),
                list_title: Some(MATCH_LIST_TITLE.into()),
            };
            let out = write_rows(format, &rows, &ctx, &meta)?;
            let (zh, en) = filter_label(&meta.filter_description, &ctx).file_label();
            let names = report_filename(
                "智慧选址",
                "site-match",
                &zh,
                &en,
                format,
                now.naive_local(),
            );
            Ok((out, names))
        })
        .await?;
    download(format, &names.0, &names.1, bytes)
}

/// The rows of a match download in `format`.
fn write_rows(
    format: ExportFormat,
    rows: &[&Site],
    ctx: &atlas_core::Context<'_>,
    meta: &ExportMeta,
) -> ApiResult<Vec<u8>> {
    let fail = |e: &dyn std::fmt::Display| ApiError::internal(format!("match export: {e}"));
    let mut out = Vec::new();
    {
        let mut w =
            site_writer(format, &mut out, ctx, HeaderLang::Zh, meta).map_err(|e| fail(&e))?;
        for s in rows {
            w.write_site(s).map_err(|e| fail(&e))?;
        }
        w.finish_boxed().map_err(|e| fail(&e))?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_is_the_default_and_unknown_formats_are_refused() {
        assert_eq!(parse_format(None).unwrap(), None);
        assert_eq!(parse_format(Some("JSON")).unwrap(), None);
        assert_eq!(parse_format(Some("kml")).unwrap(), Some(ExportFormat::Kml));
        assert_eq!(
            parse_format(Some("pdf")).unwrap_err().code(),
            "unknown_format"
        );
    }
}
