//! The catalogue's reference routes: facets, chains, townships, boundary, indicators and
//! vocabularies. Each is a data GET with `ETag`/`304` (see the parent module).

use super::params::{self, PathId};
use super::sites::Link;
use super::{etag_matches, fnv1a, not_modified, to_json, with_etag, Req, GEOJSON, JSON};
use crate::server::error::{ApiError, ApiResult};
use atlas_core::dataset::{Reference, CONTEXT_GEOJSON};
use atlas_core::filter::FILTER_PARAMS;
use atlas_core::reference::DivisionType;
use atlas_core::{
    Category, ChainId, ExportFormat, Kind, Labelled, Level, LocationPrecision, Measure, Scope,
    SiteFilter, Status,
};
use atlas_store::{ChainCount, FacetCount};
use axum::response::Response;
use serde::Serialize;
use std::sync::OnceLock;
use utoipa::ToSchema;

// ---------------------------------------------------------------------------------------------
// Facets
// ---------------------------------------------------------------------------------------------

/// One value of a facet with its count and labels.
#[derive(Debug, Serialize, ToSchema)]
pub struct FacetValue {
    /// The value as a filter takes it (vocabulary id, chain or link id, township code).
    pub id: String,
    /// Chinese label.
    pub zh: String,
    /// English label.
    pub en: String,
    /// Sites matching the filter with this facet's own parameter removed, having this value.
    pub count: u64,
    /// True when the current filter selects this value.
    pub selected: bool,
    /// For kinds: their category.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<&'static str>,
    /// For links: their chain.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chain: Option<String>,
}

/// Counts per value of every filter dimension.
#[derive(Debug, Serialize, ToSchema)]
pub struct FacetGroups {
    /// Per category.
    pub category: Vec<FacetValue>,
    /// Per kind.
    pub kind: Vec<FacetValue>,
    /// Per industry chain.
    pub chain: Vec<FacetValue>,
    /// Per chain link.
    pub link: Vec<FacetValue>,
    /// Per level.
    pub level: Vec<FacetValue>,
    /// Per status.
    pub status: Vec<FacetValue>,
    /// Local or partner.
    pub scope: Vec<FacetValue>,
    /// Per township.
    pub town: Vec<FacetValue>,
}

/// `GET /facets`.
#[derive(Debug, Serialize, ToSchema)]
pub struct FacetsResponse {
    /// Sites matching the whole filter.
    pub total: u64,
    /// Per dimension, each counted with its own filter removed (what a click would add).
    pub facets: FacetGroups,
}

fn vocab_values<T: Labelled + PartialEq>(
    counts: &[FacetCount],
    selected: &[T],
    category: impl Fn(T) -> Option<&'static str>,
) -> Vec<FacetValue> {
    counts
        .iter()
        .filter_map(|c| {
            let v = T::parse_label(&c.id).ok()?;
            Some(FacetValue {
                id: c.id.clone(),
                zh: v.zh().into(),
                en: v.en().into(),
                count: c.count,
                selected: selected.contains(&v),
                category: category(v),
                chain: None,
            })
        })
        .collect()
}

fn no_category<T>(_: T) -> Option<&'static str> {
    None
}

fn facet_groups(f: &SiteFilter, facets: &atlas_store::Facets, r: &Reference) -> FacetGroups {
    let chain = facets
        .chain
        .iter()
        .map(|c| {
            let found = r.chains.chains.iter().find(|x| x.id.as_str() == c.id);
            FacetValue {
                id: c.id.clone(),
                zh: found.map(|x| x.name_zh.clone()).unwrap_or_default(),
                en: found.map(|x| x.name_en.clone()).unwrap_or_default(),
                count: c.count,
                selected: f.chain.iter().any(|x| x.as_str() == c.id),
                category: None,
                chain: None,
            }
        })
        .collect();
    let link = facets
        .link
        .iter()
        .map(|c| {
            let found = r
                .chains
                .chains
                .iter()
                .flat_map(|x| x.links.iter())
                .find(|l| l.id.as_str() == c.id);
            FacetValue {
                id: c.id.clone(),
                zh: found.map(|x| x.name_zh.clone()).unwrap_or_default(),
                en: found.map(|x| x.name_en.clone()).unwrap_or_default(),
                count: c.count,
                selected: f.link.iter().any(|x| x.as_str() == c.id),
                category: None,
                chain: found.map(|l| l.id.chain().to_string()),
            }
        })
        .collect();
    let town = facets
        .town
        .iter()
        .map(|c| {
            let found = r.divisions.iter().find(|d| d.code.as_str() == c.id);
            FacetValue {
                id: c.id.clone(),
                zh: found.map(|x| x.name_zh.clone()).unwrap_or_default(),
                en: found.map(|x| x.name_en.clone()).unwrap_or_default(),
                count: c.count,
                selected: f.town.iter().any(|x| x.as_str() == c.id),
                category: None,
                chain: None,
            }
        })
        .collect();
    FacetGroups {
        category: vocab_values::<Category>(&facets.category, &f.category, no_category),
        kind: vocab_values::<Kind>(&facets.kind, &f.kind, |k| Some(k.category().id())),
        chain,
        link,
        level: vocab_values::<Level>(&facets.level, &f.level, no_category),
        status: vocab_values::<Status>(&facets.status, &f.status, no_category),
        scope: vocab_values::<Scope>(&facets.scope, &f.scope, no_category),
        town,
    }
}

/// Counts per category, kind, chain, link, level, status, scope and township for a filter.
#[utoipa::path(
    get,
    path = "/api/v1/facets",
    tag = "catalogue",
    params(super::openapi::FilterParams),
    responses(
        (status = 200, description = "Counts per value; each dimension is counted with its own \
            parameter removed from the filter, so a UI can show what a click would add. \
            `limit` and `offset` are accepted and ignored.", body = FacetsResponse),
        (status = 304, description = "The client's copy (`If-None-Match`) is current."),
        (status = 400, description = "A bad filter parameter (codes as for `/sites`).",
            body = super::openapi::ErrorBody),
    )
)]
pub async fn facets(req: Req) -> ApiResult<Response> {
    let (filter, _) = params::filter(&req.query, &[])?;
    let key = format!("facets?{}", params::canonical(&filter));
    let check = filter.clone();
    req.cached(
        key,
        JSON,
        move |store| Ok(store.validate_filter(&check)?),
        move |store, reference| {
            let facets = store.facets(&filter)?;
            to_json(&FacetsResponse {
                total: facets.total,
                facets: facet_groups(&filter, &facets, reference),
            })
        },
    )
    .await
}

// ---------------------------------------------------------------------------------------------
// Chains
// ---------------------------------------------------------------------------------------------

/// A count per category.
#[derive(Debug, Serialize, ToSchema)]
pub struct CategoryCount {
    /// Category id.
    pub id: &'static str,
    /// Chinese label.
    pub zh: &'static str,
    /// English label.
    pub en: &'static str,
    /// Sites.
    pub count: u64,
}

/// A chain link with its counts.
#[derive(Debug, Serialize, ToSchema)]
pub struct LinkEntry {
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
    /// Where the plan says so.
    pub source: Option<String>,
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
            zh: c.zh(),
            en: c.en(),
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
                        id: l.id.to_string(),
                        order: l.order,
                        name_zh: l.name_zh.clone(),
                        name_en: l.name_en.clone(),
                        description_zh: l.description_zh.clone(),
                        source: l.source.clone(),
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
        (status = 304, description = "The client's copy (`If-None-Match`) is current."),
        (status = 400, description = "A bad filter parameter.", body = super::openapi::ErrorBody),
    )
)]
pub async fn chains(req: Req) -> ApiResult<Response> {
    let filter = counts_filter(&req)?;
    let base = req.base.clone();
    let key = format!("chains?{}@{base}", params::canonical(&filter));
    let check = filter.clone();
    req.cached(
        key,
        JSON,
        move |store| Ok(store.validate_filter(&check)?),
        move |store, reference| {
            let counts = store.chain_counts(&filter)?;
            to_json(&ChainsResponse {
                chains: chain_entries(&base, reference, &counts),
            })
        },
    )
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
        (status = 304, description = "The client's copy (`If-None-Match`) is current."),
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
            let cat = store.chains()?;
            if cat.chain(&wanted).is_none() {
                return Err(ApiError::NotFound(format!(
                    "no chain with id '{wanted}'; chains: {}",
                    cat.chain_ids()
                )));
            }
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

// ---------------------------------------------------------------------------------------------
// Divisions and boundary
// ---------------------------------------------------------------------------------------------

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
        (status = 304, description = "The client's copy (`If-None-Match`) is current."),
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
                    kind: match d.kind {
                        DivisionType::Subdistrict => "subdistrict",
                        DivisionType::Town => "town",
                    },
                    type_zh: match d.kind {
                        DivisionType::Subdistrict => "街道",
                        DivisionType::Town => "镇",
                    },
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
        (status = 304, description = "The client's copy (`If-None-Match`) is current."),
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

/// Serves fixed bytes with a strong `ETag` of their hash (no database involved).
fn fixed(req: &Req, content_type: &'static str, body: &'static [u8]) -> ApiResult<Response> {
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

/// The county-level units of Maoming around the district, for map context (embedded data).
#[utoipa::path(
    get,
    path = "/api/v1/boundary/context",
    tag = "catalogue",
    responses(
        (status = 200, description = "Maoming's county-level units (WGS84).", body = Object,
            content_type = "application/geo+json"),
        (status = 304, description = "The client's copy (`If-None-Match`) is current."),
    )
)]
pub async fn context(req: Req) -> ApiResult<Response> {
    fixed(&req, GEOJSON, CONTEXT_GEOJSON.as_bytes())
}

// ---------------------------------------------------------------------------------------------
// Indicators
// ---------------------------------------------------------------------------------------------

/// One of the plan's indicators with the catalogue's own value.
#[derive(Debug, Serialize, ToSchema)]
pub struct IndicatorEntry {
    /// Id.
    pub id: String,
    /// Chinese name.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// Unit (家, m², %).
    pub unit: String,
    /// Baseline value.
    pub baseline: Option<f64>,
    /// Baseline year.
    pub baseline_year: Option<i32>,
    /// Target value.
    pub target: Option<f64>,
    /// `>=` or `=`.
    pub target_op: Option<String>,
    /// Target year.
    pub target_year: Option<i32>,
    /// `count`, `sum_area` or `none` (the catalogue cannot measure it).
    pub measure: &'static str,
    /// Which sites count (filter syntax).
    pub count_filter: String,
    /// Citation.
    pub source: String,
    /// The plan's exact words.
    pub source_quote: Option<String>,
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
        (status = 304, description = "The client's copy (`If-None-Match`) is current."),
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
                        measure: ind.measure.as_str(),
                        id: ind.id,
                        name_zh: ind.name_zh,
                        name_en: ind.name_en,
                        unit: ind.unit,
                        baseline: ind.baseline,
                        baseline_year: ind.baseline_year,
                        target: ind.target,
                        target_op: ind.target_op,
                        target_year: ind.target_year,
                        count_filter: ind.count_filter,
                        source: ind.source,
                        source_quote: ind.source_quote,
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

// ---------------------------------------------------------------------------------------------
// Vocabularies
// ---------------------------------------------------------------------------------------------

/// A vocabulary value.
#[derive(Debug, Serialize, ToSchema)]
pub struct Term {
    /// Stable id (what filters and files use).
    pub id: &'static str,
    /// Chinese label.
    pub zh: &'static str,
    /// English label.
    pub en: &'static str,
}

/// A category with its kinds.
#[derive(Debug, Serialize, ToSchema)]
pub struct CategoryTerm {
    /// Stable id.
    pub id: &'static str,
    /// Chinese label.
    pub zh: &'static str,
    /// English label.
    pub en: &'static str,
    /// Its kinds, in vocabulary order.
    pub kinds: Vec<Term>,
}

/// A kind with its category.
#[derive(Debug, Serialize, ToSchema)]
pub struct KindTerm {
    /// Stable id.
    pub id: &'static str,
    /// Chinese label.
    pub zh: &'static str,
    /// English label.
    pub en: &'static str,
    /// The category it belongs to.
    pub category: &'static str,
}

/// A location precision.
#[derive(Debug, Serialize, ToSchema)]
pub struct PrecisionTerm {
    /// Stable id.
    pub id: &'static str,
    /// Chinese label.
    pub zh: &'static str,
    /// English label.
    pub en: &'static str,
    /// True when the point stands for a township or the district, not the site itself.
    pub approximate: bool,
}

/// An export format.
#[derive(Debug, Serialize, ToSchema)]
pub struct FormatTerm {
    /// The `format` value.
    pub id: &'static str,
    /// Its media type.
    pub media_type: &'static str,
}

/// `GET /vocabularies`: every closed vocabulary, keyed by the filter parameter that takes it.
#[derive(Debug, Serialize, ToSchema)]
pub struct Vocabularies {
    /// Categories with their kinds.
    pub category: Vec<CategoryTerm>,
    /// Kinds with their category.
    pub kind: Vec<KindTerm>,
    /// Levels.
    pub level: Vec<Term>,
    /// Statuses.
    pub status: Vec<Term>,
    /// Scopes.
    pub scope: Vec<Term>,
    /// Location precisions (a site property; not a filter).
    pub location_precision: Vec<PrecisionTerm>,
    /// Export formats of `/export?format=`.
    pub export_format: Vec<FormatTerm>,
    /// The filter parameters every filtered route takes.
    pub filter_parameters: Vec<&'static str>,
}

fn terms<T: Labelled>() -> Vec<Term> {
    T::ALL
        .iter()
        .map(|v| Term {
            id: v.id(),
            zh: v.zh(),
            en: v.en(),
        })
        .collect()
}

/// The vocabularies (fixed for a build).
pub fn vocabularies_value() -> Vocabularies {
    Vocabularies {
        category: Category::ALL
            .iter()
            .map(|c| CategoryTerm {
                id: c.id(),
                zh: c.zh(),
                en: c.en(),
                kinds: Kind::ALL
                    .iter()
                    .filter(|k| k.category() == *c)
                    .map(|k| Term {
                        id: k.id(),
                        zh: k.zh(),
                        en: k.en(),
                    })
                    .collect(),
            })
            .collect(),
        kind: Kind::ALL
            .iter()
            .map(|k| KindTerm {
                id: k.id(),
                zh: k.zh(),
                en: k.en(),
                category: k.category().id(),
            })
            .collect(),
        level: terms::<Level>(),
        status: terms::<Status>(),
        scope: terms::<Scope>(),
        location_precision: LocationPrecision::ALL
            .iter()
            .map(|p| PrecisionTerm {
                id: p.id(),
                zh: p.zh(),
                en: p.en(),
                approximate: p.is_approximate(),
            })
            .collect(),
        export_format: ExportFormat::ALL
            .iter()
            .map(|f| FormatTerm {
                id: f.extension(),
                media_type: f.mime_type(),
            })
            .collect(),
        filter_parameters: FILTER_PARAMS.to_vec(),
    }
}

/// Every closed vocabulary with ids and Chinese and English labels.
#[utoipa::path(
    get,
    path = "/api/v1/vocabularies",
    tag = "catalogue",
    responses(
        (status = 200, description = "Vocabularies.", body = Vocabularies),
        (status = 304, description = "The client's copy (`If-None-Match`) is current."),
        (status = 400, description = "`unknown_parameter`.", body = super::openapi::ErrorBody),
    )
)]
pub async fn vocabularies(req: Req) -> ApiResult<Response> {
    static BODY: OnceLock<Vec<u8>> = OnceLock::new();
    let body = match BODY.get() {
        Some(b) => b,
        None => {
            let b = to_json(&vocabularies_value())?;
            BODY.get_or_init(|| b)
        }
    };
    fixed(&req, JSON, body)
}
