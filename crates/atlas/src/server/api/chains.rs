//! `/api/v1/chains`: the industry chains and their links with site counts (`GET /chains`,
//! `/chains/{id}`), the gap analysis of a chain (`GET /chains/{id}/analysis`, JSON) and the same
//! as a workbook or CSV for the investment-promotion team (`GET /chains/{id}/report`), and the
//! admins' replacement of the chains by a CSV (`POST /chains/import`). The analysis itself is
//! `atlas_core::analysis`; the sites come from the store's filter (`chain=…`).

use super::export::{data_source, download, parse_report_format, REPORT_TITLE};
use super::import::csv_body;
use super::params;
use super::PathId;
use super::{to_json, Req, GEOJSON, JSON};
use crate::app::reports::{analyse_chain, chain_report_filename, write_chain_report};
use crate::server::auth::Admin;
use crate::server::error::{ApiError, ApiResult};
use crate::server::features::Link;
use atlas_core::analysis::{
    parse_weak_below, CategoryCounts, ChainAnalysis, LinkAnalysis, ServedBy, DEFAULT_WEAK_BELOW,
};
use atlas_core::dataset::Reference;
use atlas_core::export::ExportMeta;
use atlas_core::{Category, Chain, ChainCatalog, ChainId, Labelled, SiteFilter};
use atlas_store::{ChainCount, ChainsReplaced, FacetCount, Store};
use axum::extract::Request;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

/// A count per category.
#[derive(Debug, Serialize, ToSchema)]
pub struct CategoryCount {
    /// Category id.
    pub id: &'static str,
    /// Chinese label (every label of the API is `name_zh` / `name_en`).
    pub name_zh: &'static str,
    /// English label.
    pub name_en: &'static str,
    /// Sites.
    pub count: u64,
}

/// A chain link with its counts.
#[derive(Debug, Serialize, ToSchema)]
pub struct LinkEntry {
    /// The link as the chains catalogue defines it.
    #[serde(flatten)]
    pub link: atlas_core::Link,
    /// Sites on this link (matching the filter).
    pub total: u64,
    /// The same by category.
    pub by_category: Vec<CategoryCount>,
}

/// An industry chain with its ordered links and counts.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChainEntry {
    /// Chain id.
    pub id: String,
    /// Display order.
    pub order: u32,
    /// Chinese name.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// Sites on the chain, any link or none (matching the filter).
    pub total: u64,
    /// The same by category.
    pub by_category: Vec<CategoryCount>,
    /// Sites on the chain without a link.
    pub without_link: u64,
    /// Links, upstream first.
    pub links: Vec<LinkEntry>,
    /// This chain's sites (`self`-style link to `/sites?chain=…`).
    pub sites: Link,
}

/// `GET /chains`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChainsResponse {
    /// Chains in display order.
    pub chains: Vec<ChainEntry>,
}

fn by_category(counts: &[FacetCount]) -> Vec<CategoryCount> {
    Category::ALL
        .iter()
        .map(|c| CategoryCount {
            id: c.id(),
            name_zh: c.zh(),
            name_en: c.en(),
            count: counts
                .iter()
                .find(|x| x.id == c.id())
                .map_or(0, |x| x.count),
        })
        .collect()
}

fn chain_entries(base: &str, r: &Reference, counts: &[ChainCount]) -> Vec<ChainEntry> {
    r.chains
        .chains
        .iter()
        .map(|c| {
            let count = counts.iter().find(|x| x.chain == c.id);
            let links = c
                .links
                .iter()
                .map(|l| {
                    let lc = count.and_then(|x| x.links.iter().find(|y| y.link == l.id));
                    LinkEntry {
                        link: l.clone(),
                        total: lc.map_or(0, |x| x.total),
                        by_category: by_category(lc.map_or(&[][..], |x| &x.by_category)),
                    }
                })
                .collect();
            ChainEntry {
                id: c.id.to_string(),
                order: c.order,
                name_zh: c.name_zh.clone(),
                name_en: c.name_en.clone(),
                total: count.map_or(0, |x| x.total),
                by_category: by_category(count.map_or(&[][..], |x| &x.by_category)),
                without_link: count.map_or(0, |x| x.without_link),
                links,
                sites: Link {
                    href: format!("{base}/api/v1/sites?chain={}", c.id),
                    rel: "items",
                    media_type: GEOJSON,
                    title: format!("{} {}", c.name_zh, c.name_en),
                },
            }
        })
        .collect()
}

/// The filter of `/chains`: every filter parameter; limit and offset are ignored.
fn counts_filter(req: &Req) -> ApiResult<SiteFilter> {
    let (mut f, _) = params::filter(&req.query, &[])?;
    f.limit = None;
    f.offset = 0;
    Ok(f)
}

/// Every industry chain with its ordered links and site counts.
#[utoipa::path(
    get,
    path = "/api/v1/chains",
    tag = "catalogue",
    params(super::openapi::FilterParams),
    responses(
        (status = 200, description = "Chains in display order with their links (upstream \
            first) and the number of sites on each, by category. A filter restricts the \
            counted sites; `limit` and `offset` are ignored.", body = ChainsResponse),
        super::openapi::NotModified,
        (status = 400, description = "A bad filter parameter.", body = super::openapi::ErrorBody),
    )
)]
pub async fn chains(req: Req) -> ApiResult<Response> {
    let filter = counts_filter(&req)?;
    let base = req.base.clone();
    let key = format!("chains?{}@{base}", params::canonical(&filter));
    req.cached_filtered(key, JSON, filter.clone(), move |store, reference| {
        let counts = store.chain_counts(&filter)?;
        to_json(&ChainsResponse {
            chains: chain_entries(&base, reference, &counts),
        })
    })
    .await
}

/// One industry chain with its ordered links and site counts.
#[utoipa::path(
    get,
    path = "/api/v1/chains/{id}",
    tag = "catalogue",
    params(("id" = String, Path, description = "Chain id, e.g. `petrochemical`."),
        super::openapi::FilterParams),
    responses(
        (status = 200, description = "The chain.", body = ChainEntry),
        super::openapi::NotModified,
        (status = 400, description = "`invalid_id` or a bad filter parameter.",
            body = super::openapi::ErrorBody),
        (status = 404, description = "`not_found`: no chain has this id.",
            body = super::openapi::ErrorBody),
    )
)]
pub async fn chain(req: Req, PathId(raw): PathId) -> ApiResult<Response> {
    let id = ChainId::new(raw).map_err(params::invalid_id)?;
    let filter = counts_filter(&req)?;
    let base = req.base.clone();
    let key = format!("chains/{id}?{}@{base}", params::canonical(&filter));
    let check = filter.clone();
    let wanted = id.clone();
    req.cached(
        key,
        JSON,
        move |store| {
            chain_exists(store, &wanted)?;
            Ok(store.validate_filter(&check)?)
        },
        move |store, reference| {
            let counts = store.chain_counts(&filter)?;
            let entry = chain_entries(&base, reference, &counts)
                .into_iter()
                .find(|c| c.id == id.as_str())
                .ok_or_else(|| ApiError::NotFound(format!("no chain with id '{id}'")))?;
            to_json(&entry)
        },
    )
    .await
}

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

/// Chain `id` of the reference data, or `404 not_found`.
fn chain_of<'r>(reference: &'r Reference, id: &ChainId) -> ApiResult<&'r Chain> {
    reference
        .chains
        .chain(id)
        .ok_or_else(|| ApiError::NotFound(format!("no chain with id '{id}'")))
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
        super::openapi::NotModified,
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
            let chain = chain_of(reference, &id)?;
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
    let now = req.state.clock.now_china();
    let today = req.today();
    let (bytes, names) = req
        .read_with_reference(move |store, reference, version| {
            chain_exists(store, &id)?;
            let chain = chain_of(reference, &id)?;
            let meta = ExportMeta::new(
                REPORT_TITLE,
                &SiteFilter {
                    chain: vec![id.clone()],
                    ..SiteFilter::default()
                },
                now,
                data_source(&format!("/api/v1/chains/{id}/report"), version),
            );
            let ctx = reference.context(today);
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

/// What a chains import did (or would do).
#[derive(Debug, Serialize, ToSchema)]
pub struct ChainsResult {
    /// True when nothing was written.
    pub dry_run: bool,
    /// The chains and links of the file, and what it adds and removes.
    #[serde(flatten)]
    pub changes: ChainsReplaced,
}

/// Replaces the chains and links with a chains CSV.
#[utoipa::path(
    post,
    operation_id = "import_chains",
    path = "/api/v1/chains/import",
    tag = "editing",
    security(("bearer" = [])),
    params(("dry_run" = Option<bool>, Query, description = "Check only, write nothing.")),
    request_body(content = String, content_type = "text/csv", description = "The chains \
        file (columns of data/chains.csv), UTF-8."),
    responses(
        (status = 200, description = "The chains now in force.", body = ChainsResult),
        super::openapi::AdminOnly,
        (status = 409, description = "`reference_in_use`: sites use chains or links the file \
            lacks (listed in `error.details`); nothing was written.", body = super::openapi::ErrorBody),
        (status = 415, description = "`unsupported_media_type`: not text/csv.", body = super::openapi::ErrorBody),
        (status = 422, description = "`invalid_file`", body = super::openapi::ErrorBody),
    )
)]
pub async fn import(Admin(_who): Admin, req: Req, request: Request) -> ApiResult<Response> {
    let (dry_run, text) = csv_body(&req, request, "chains").await?;
    let catalog =
        ChainCatalog::parse_csv(&text).map_err(|e| ApiError::InvalidFile(e.to_string()))?;
    let result = req
        .state
        .db
        .write(move |s| {
            let changes = if dry_run {
                s.check_chains(&catalog)?
            } else {
                s.replace_chains(&catalog)?
            };
            Ok(ChainsResult { dry_run, changes })
        })
        .await?;
    Ok((
        [(CONTENT_TYPE, JSON), (CACHE_CONTROL, "no-store")],
        super::to_json(&result)?,
    )
        .into_response())
}
