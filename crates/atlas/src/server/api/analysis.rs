//! `GET /api/v1/chains/{id}/analysis` (gap analysis of a chain, JSON) and
//! `GET /api/v1/chains/{id}/report` (the same as a workbook or CSV for the investment-promotion
//! team). The analysis itself is `atlas_core::analysis`; the sites come from the store's one
//! query path (`chain=…`).

use super::export::{download, parse_report_format, REPORT_TITLE};
use super::params::{self, PathId};
use super::{to_json, today, Req, JSON};
use crate::app::reports::{analyse_chain, chain_report_filename, write_chain_report};
use crate::server::error::{ApiError, ApiResult};
use atlas_core::analysis::{
    parse_weak_below, CategoryCounts, ChainAnalysis, LinkAnalysis, ServedBy, DEFAULT_WEAK_BELOW,
};
use atlas_core::export::ExportMeta;
use atlas_core::{ChainId, SiteFilter};
use atlas_store::Store;
use axum::response::Response;
use serde::Serialize;
use std::sync::Arc;
use utoipa::ToSchema;

/// A chain's id and names.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChainName {
    /// Chain id.
    pub id: String,
    /// Chinese name.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
}

/// Sites by category.
#[derive(Debug, Serialize, ToSchema)]
pub struct Counts {
    /// Key enterprises (重点企业): what the status counts.
    pub key_enterprise: u64,
    /// Carrier platforms (载体平台).
    pub carrier_platform: u64,
    /// Innovation resources (创新资源).
    pub innovation_resource: u64,
    /// All sites (each once).
    pub total: u64,
}

impl From<CategoryCounts> for Counts {
    fn from(c: CategoryCounts) -> Self {
        Self {
            key_enterprise: c.key_enterprise,
            carrier_platform: c.carrier_platform,
            innovation_resource: c.innovation_resource,
            total: c.total,
        }
    }
}

/// Links per status and the chain's sites.
#[derive(Debug, Serialize, ToSchema)]
pub struct GapSummary {
    /// Links without a key enterprise.
    pub missing: u64,
    /// Links with fewer key enterprises than `weak_below`.
    pub weak: u64,
    /// The other links.
    pub present: u64,
    /// Distinct sites on the chain (any link or none).
    pub sites: u64,
}

/// A carrier platform or innovation resource serving a link.
#[derive(Debug, Serialize, ToSchema)]
pub struct Server {
    /// Site id.
    pub id: String,
    /// Chinese name.
    pub name_zh: String,
    /// English name.
    pub name_en: Option<String>,
    /// `carrier_platform` or `innovation_resource`.
    pub category: &'static str,
    /// Kind id.
    pub kind: &'static str,
    /// `link` (attached to the link) or `chain` (attached to the chain without a link: serves
    /// every link).
    #[schema(example = "link")]
    pub via: &'static str,
}

impl From<&ServedBy> for Server {
    fn from(s: &ServedBy) -> Self {
        Self {
            id: s.id.to_string(),
            name_zh: s.name_zh.clone(),
            name_en: s.name_en.clone(),
            category: s.category.as_str(),
            kind: s.kind.as_str(),
            via: s.via.as_str(),
        }
    }
}

/// One link of the analysis.
#[derive(Debug, Serialize, ToSchema)]
pub struct LinkGap {
    /// `chain.link` id.
    pub id: String,
    /// Position from upstream (1).
    pub order: u32,
    /// Chinese name.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// What belongs here (Chinese).
    pub description_zh: Option<String>,
    /// Sites attached to the link, by category.
    pub counts: Counts,
    /// `missing` (no key enterprise), `weak` (fewer than `weak_below`) or `present`.
    #[schema(example = "weak")]
    pub status: &'static str,
    /// Ids of the sites attached to the link (list order: category, Chinese name, id).
    pub site_ids: Vec<String>,
    /// Carrier platforms and innovation resources on the link (`via: link`), then those on the
    /// chain without a link (`via: chain`); they serve the link even where no enterprise does.
    pub served_by: Vec<Server>,
}

impl From<&LinkAnalysis> for LinkGap {
    fn from(l: &LinkAnalysis) -> Self {
        Self {
            id: l.link.id.to_string(),
            order: l.link.order,
            name_zh: l.link.name_zh.clone(),
            name_en: l.link.name_en.clone(),
            description_zh: l.link.description_zh.clone(),
            counts: l.counts.into(),
            status: l.status.as_str(),
            site_ids: l.site_ids.iter().map(|s| s.to_string()).collect(),
            served_by: l.served_by.iter().map(Server::from).collect(),
        }
    }
}

/// Sites on the chain without a link.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChainWideEntry {
    /// By category.
    pub counts: Counts,
    /// Their ids.
    pub site_ids: Vec<String>,
}

/// `GET /chains/{id}/analysis`.
#[derive(Debug, Serialize, ToSchema)]
pub struct AnalysisResponse {
    /// The chain.
    pub chain: ChainName,
    /// The threshold used: fewer key enterprises than this is `weak`.
    pub weak_below: u32,
    /// Links per status and sites on the chain.
    pub summary: GapSummary,
    /// Links in chain order, upstream first.
    pub links: Vec<LinkGap>,
    /// Sites on the chain without a link.
    pub chain_wide: ChainWideEntry,
}

impl From<&ChainAnalysis> for AnalysisResponse {
    fn from(a: &ChainAnalysis) -> Self {
        Self {
            chain: ChainName {
                id: a.chain_id.to_string(),
                name_zh: a.chain_name_zh.clone(),
                name_en: a.chain_name_en.clone(),
            },
            weak_below: a.weak_below,
            summary: GapSummary {
                missing: a.summary.missing,
                weak: a.summary.weak,
                present: a.summary.present,
                sites: a.summary.sites,
            },
            links: a.links.iter().map(LinkGap::from).collect(),
            chain_wide: ChainWideEntry {
                counts: a.chain_wide.counts.into(),
                site_ids: a
                    .chain_wide
                    .site_ids
                    .iter()
                    .map(|s| s.to_string())
                    .collect(),
            },
        }
    }
}

/// `404 not_found` unless the store has chain `id` (as `/chains/{id}` answers).
pub fn chain_exists(store: &Store, id: &ChainId) -> ApiResult<()> {
    let cat = store.chains()?;
    if cat.chain(id).is_none() {
        return Err(ApiError::NotFound(format!(
            "no chain with id '{id}'; chains: {}",
            cat.chain_ids()
        )));
    }
    Ok(())
}

fn weak_below(extras: &params::Extras) -> ApiResult<u32> {
    Ok(match params::last(extras, "weak_below") {
        None => DEFAULT_WEAK_BELOW,
        Some(v) => parse_weak_below(v)?,
    })
}

/// Gap analysis of one industry chain: per link, counts by category, the site ids, the status
/// (`missing`, `weak`, `present`) and who serves it.
#[utoipa::path(
    get,
    path = "/api/v1/chains/{id}/analysis",
    tag = "chains",
    params(
        ("id" = String, Path, description = "Chain id, e.g. `petrochemical`."),
        ("weak_below" = Option<u32>, Query, description = "A link with fewer key enterprises \
            than this (and at least one) is `weak`; with none it is `missing`. Whole number \
            ≥ 1, default 2."),
    ),
    responses(
        (status = 200, description = "The analysis, links upstream first. A site can sit on \
            several links and chains; it counts once on each link it is attached to.",
            body = AnalysisResponse),
        (status = 304, description = "The client's copy (`If-None-Match`) is current."),
        (status = 400, description = "`invalid_id`, `invalid_parameter` (weak_below) or \
            `unknown_parameter`.", body = super::openapi::ErrorBody),
        (status = 404, description = "`not_found`: no chain has this id.",
            body = super::openapi::ErrorBody),
    )
)]
pub async fn analysis(req: Req, PathId(raw): PathId) -> ApiResult<Response> {
    let id = ChainId::new(raw).map_err(params::invalid_id)?;
    let (_, extras) = params::split(&req.query, &[], &["weak_below"])?;
    let weak_below = weak_below(&extras)?;
    let key = format!("chains/{id}/analysis?weak_below={weak_below}");
    let wanted = id.clone();
    req.cached(
        key,
        JSON,
        move |store| chain_exists(store, &wanted),
        move |store, reference| {
            let chain = reference
                .chains
                .chain(&id)
                .ok_or_else(|| ApiError::NotFound(format!("no chain with id '{id}'")))?;
            let a = analyse_chain(store, chain, weak_below)?;
            to_json(&AnalysisResponse::from(&a))
        },
    )
    .await
}

/// The chain report as a download: an XLSX workbook (summary sheet, one sheet per link with
/// its sites, a chain-wide sheet, an about sheet) or the summary as CSV.
#[utoipa::path(
    get,
    path = "/api/v1/chains/{id}/report",
    tag = "chains",
    params(
        ("id" = String, Path, description = "Chain id, e.g. `petrochemical`."),
        ("format" = Option<String>, Query, description = "`xlsx` (default) or `csv` \
            (the summary, UTF-8 with BOM)."),
        ("weak_below" = Option<u32>, Query, description = "As for `/analysis`; default 2."),
    ),
    responses(
        (status = 200, description = "The report, with a `Content-Disposition` file name \
            (Chinese per RFC 5987 with an ASCII fallback).", content(
                (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
                (String = "text/csv; charset=utf-8"))),
        (status = 400, description = "`invalid_id`, `invalid_parameter` (weak_below), \
            `unknown_format` or `unknown_parameter`.", body = super::openapi::ErrorBody),
        (status = 404, description = "`not_found`: no chain has this id.",
            body = super::openapi::ErrorBody),
    )
)]
pub async fn report(req: Req, PathId(raw): PathId) -> ApiResult<Response> {
    let id = ChainId::new(raw).map_err(params::invalid_id)?;
    let (_, extras) = params::split(&req.query, &[], &["weak_below", "format"])?;
    let weak_below = weak_below(&extras)?;
    let format = parse_report_format(params::last(&extras, "format"))?;
    let cache = Arc::clone(&req.cache);
    let now = crate::app::clock::current().now_china();
    let (bytes, names) = req
        .state
        .db
        .read(move |store| {
            chain_exists(store, &id)?;
            let version = store.data_version()?;
            let reference = cache.reference(store, version)?;
            let chain = reference
                .chains
                .chain(&id)
                .ok_or_else(|| ApiError::NotFound(format!("no chain with id '{id}'")))?;
            let meta = ExportMeta::new(
                REPORT_TITLE,
                &SiteFilter {
                    chain: vec![id.clone()],
                    ..SiteFilter::default()
                },
                now,
                format!(
                    "Innovation Atlas {} /api/v1/chains/{id}/report, data version {version}",
                    env!("CARGO_PKG_VERSION")
                ),
            );
            let ctx = reference.context(today());
            let (bytes, _) =
                write_chain_report(store, chain, weak_below, format, &ctx, &meta, Vec::new())?;
            Ok((
                bytes,
                chain_report_filename(chain, format, now.naive_local()),
            ))
        })
        .await?;
    download(format, &names.0, &names.1, bytes)
}
