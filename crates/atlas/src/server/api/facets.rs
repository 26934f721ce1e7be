//! `GET /api/v1/facets`: counts per category, kind, chain, link, level, status, scope,
//! township and location precision for a filter, each with its labels (`name_zh`, `name_en`).

use super::{params, to_json, Req, JSON};
use crate::server::error::ApiResult;
use atlas_core::dataset::Reference;
use atlas_core::{Category, Kind, Labelled, Level, LocationPrecision, Scope, SiteFilter, Status};
use atlas_store::FacetCount;
use axum::response::Response;
use serde::Serialize;
use utoipa::ToSchema;

/// One value of a facet with its count and labels.
#[derive(Debug, Serialize, ToSchema)]
pub struct FacetValue {
    /// The value as a filter takes it (vocabulary id, chain or link id, township code).
    pub id: String,
    /// Chinese label (every label of the API is `name_zh` / `name_en`).
    pub name_zh: String,
    /// English label.
    pub name_en: String,
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
    /// Per location precision (every one, zeros included): `unknown` counts the sites without
    /// location, which the map does not draw.
    pub precision: Vec<FacetValue>,
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
                name_zh: v.zh().into(),
                name_en: v.en().into(),
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
                name_zh: found.map(|x| x.name_zh.clone()).unwrap_or_default(),
                name_en: found.map(|x| x.name_en.clone()).unwrap_or_default(),
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
            let found = r.chains.links().find(|l| l.id.as_str() == c.id);
            FacetValue {
                id: c.id.clone(),
                name_zh: found.map(|x| x.name_zh.clone()).unwrap_or_default(),
                name_en: found.map(|x| x.name_en.clone()).unwrap_or_default(),
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
                name_zh: found.map(|x| x.name_zh.clone()).unwrap_or_default(),
                name_en: found.map(|x| x.name_en.clone()).unwrap_or_default(),
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
        precision: vocab_values::<LocationPrecision>(&facets.precision, &f.precision, no_category),
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
        super::openapi::NotModified,
        (status = 400, description = "A bad filter parameter (codes as for `/sites`).",
            body = super::openapi::ErrorBody),
    )
)]
pub async fn facets(req: Req) -> ApiResult<Response> {
    let (filter, _) = params::filter(&req.query, &[])?;
    let key = format!("facets?{}", params::canonical(&filter));
    req.cached_filtered(key, JSON, filter.clone(), move |store, reference| {
        let facets = store.facets(&filter)?;
        to_json(&FacetsResponse {
            total: facets.total,
            facets: facet_groups(&filter, &facets, reference),
        })
    })
    .await
}
