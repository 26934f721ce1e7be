//! `GET /api/v1/vocabularies`: every closed vocabulary with its ids and labels (`name_zh`,
//! `name_en`), fixed for a build.

use super::{fixed, to_json, Req, JSON};
use crate::server::error::ApiResult;
use atlas_core::filter::FILTER_PARAMS;
use atlas_core::{Category, ExportFormat, Kind, Labelled, Level, LocationPrecision, Scope, Status};
use axum::response::Response;
use serde::Serialize;
use std::sync::OnceLock;
use utoipa::ToSchema;

/// A vocabulary value.
#[derive(Debug, Serialize, ToSchema)]
pub struct Term {
    /// Stable id (what filters and files use).
    pub id: &'static str,
    /// Chinese label (every label of the API is `name_zh` / `name_en`).
    pub name_zh: &'static str,
    /// English label.
    pub name_en: &'static str,
}

/// A category with its kinds.
#[derive(Debug, Serialize, ToSchema)]
pub struct CategoryTerm {
    /// Stable id.
    pub id: &'static str,
    /// Chinese label (every label of the API is `name_zh` / `name_en`).
    pub name_zh: &'static str,
    /// English label.
    pub name_en: &'static str,
    /// Its kinds, in vocabulary order.
    pub kinds: Vec<Term>,
}

/// A kind with its category.
#[derive(Debug, Serialize, ToSchema)]
pub struct KindTerm {
    /// Stable id.
    pub id: &'static str,
    /// Chinese label (every label of the API is `name_zh` / `name_en`).
    pub name_zh: &'static str,
    /// English label.
    pub name_en: &'static str,
    /// The category it belongs to.
    pub category: &'static str,
}

/// A location precision.
#[derive(Debug, Serialize, ToSchema)]
pub struct PrecisionTerm {
    /// Stable id.
    pub id: &'static str,
    /// Chinese label (every label of the API is `name_zh` / `name_en`).
    pub name_zh: &'static str,
    /// English label.
    pub name_en: &'static str,
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
            name_zh: v.zh(),
            name_en: v.en(),
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
                name_zh: c.zh(),
                name_en: c.en(),
                kinds: Kind::ALL
                    .iter()
                    .filter(|k| k.category() == *c)
                    .map(|k| Term {
                        id: k.id(),
                        name_zh: k.zh(),
                        name_en: k.en(),
                    })
                    .collect(),
            })
            .collect(),
        kind: Kind::ALL
            .iter()
            .map(|k| KindTerm {
                id: k.id(),
                name_zh: k.zh(),
                name_en: k.en(),
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
                name_zh: p.zh(),
                name_en: p.en(),
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
        super::openapi::NotModified,
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
