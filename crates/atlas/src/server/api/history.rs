//! Reading the history (public): `GET /sites/{id}/history`, `GET /deleted`, `GET /stale`.
//! Data GETs like the others: weak `ETag` from the data version, `304` on revalidation.

use super::params;
use super::PathId;
use super::{to_json, Req, JSON};
use crate::server::error::{ApiError, ApiResult};
use atlas_core::edit::changed_columns;
use atlas_core::export::site_to_feature;
use atlas_core::freshness;
use atlas_core::{Labelled, SiteFilter, SiteId};
use atlas_store::{Action, StoreError};
use axum::response::Response;
use serde::Serialize;
use utoipa::ToSchema;

/// One revision as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct RevisionBody {
    /// Revision number (ascending over the whole catalogue).
    pub rev: u64,
    /// When (RFC 3339, UTC).
    pub at: String,
    /// Who: a user name, `cli:NAME` (the command line), `init` (the default dataset),
    /// `migration` (the baseline of a database made before history existed).
    pub who: String,
    /// `create`, `update`, `delete`, `restore`, `revert`, `import`, `verify`.
    #[schema(value_type = String)]
    pub action: Action,
    /// The property keys whose values differ between `before` and `after`.
    pub changed: Vec<&'static str>,
    /// The site's version after the change (before it, for a deletion).
    pub version: Option<u64>,
    /// The record before, as a Feature (`null` before a creation or a first import).
    #[schema(value_type = Option<Object>)]
    pub before: Option<geojson::Feature>,
    /// The record after, as a Feature (`null` after a deletion).
    #[schema(value_type = Option<Object>)]
    pub after: Option<geojson::Feature>,
}

/// The history of a site.
#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryBody {
    /// The site.
    pub id: String,
    /// Newest first.
    pub revisions: Vec<RevisionBody>,
}

/// The history of a site, newest first (also of a deleted site).
#[utoipa::path(
    get,
    path = "/api/v1/sites/{id}/history",
    tag = "history",
    params(("id" = String, Path, description = "Site id.")),
    responses(
        (status = 200, description = "Every revision of the site, newest first.", body = HistoryBody),
        super::openapi::NotModified,
        (status = 404, description = "`not_found`: no site has ever had this id.", body = super::openapi::ErrorBody),
    )
)]
pub async fn history(req: Req, PathId(raw): PathId) -> ApiResult<Response> {
    req.no_params()?;
    let id = SiteId::new(raw).map_err(params::invalid_id)?;
    let key = format!("history/{id}");
    let today = req.today();
    req.cached(
        key,
        JSON,
        |_| Ok(()),
        move |store, reference| {
            let ctx = reference.context(today);
            let list = store.history(&id)?;
            if list.is_empty() {
                return Err(StoreError::NoSuchSite(id.to_string()).into());
            }
            let revisions = list
                .into_iter()
                .map(|r| RevisionBody {
                    rev: r.rev,
                    at: r.at,
                    who: r.who,
                    action: r.action,
                    changed: changed_columns(r.before.as_ref(), r.after.as_ref(), &ctx)
                        .into_iter()
                        .map(|c| c.key())
                        .collect(),
                    version: r.version,
                    before: r.before.map(|s| site_to_feature(&s, &ctx)),
                    after: r.after.map(|s| site_to_feature(&s, &ctx)),
                })
                .collect();
            to_json(&HistoryBody {
                id: id.to_string(),
                revisions,
            })
        },
    )
    .await
}

/// A deleted site.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeletedBody {
    /// Site id.
    pub id: String,
    /// Chinese name.
    pub name_zh: String,
    /// English name.
    pub name_en: Option<String>,
    /// Category id.
    pub category: &'static str,
    /// When it was deleted (RFC 3339, UTC).
    pub deleted_at: String,
    /// Who deleted it.
    pub deleted_by: String,
    /// The deletion's revision.
    pub rev: u64,
}

/// The deleted sites.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeletedList {
    /// Most recently deleted first.
    pub sites: Vec<DeletedBody>,
}

/// The deleted sites, most recently deleted first (restore one with
/// `POST /api/v1/sites/{id}/restore`).
#[utoipa::path(
    get,
    path = "/api/v1/deleted",
    tag = "history",
    responses(
        (status = 200, description = "Sites whose latest revision is their deletion.", body = DeletedList),
        super::openapi::NotModified,
    )
)]
pub async fn deleted(req: Req) -> ApiResult<Response> {
    req.no_params()?;
    req.cached(
        "deleted".into(),
        JSON,
        |_| Ok(()),
        |store, _| {
            let sites = store
                .deleted_sites()?
                .into_iter()
                .map(|d| DeletedBody {
                    id: d.id,
                    name_zh: d.name_zh,
                    name_en: d.name_en,
                    category: d.category.id(),
                    deleted_at: d.deleted_at,
                    deleted_by: d.deleted_by,
                    rev: d.rev,
                })
                .collect();
            to_json(&DeletedList { sites })
        },
    )
    .await
}

/// A site not verified within the period.
#[derive(Debug, Serialize, ToSchema)]
pub struct StaleSite {
    /// Site id.
    pub id: String,
    /// Chinese name.
    pub name_zh: String,
    /// Last verified (`null`: never).
    pub verified_at: Option<String>,
    /// Days since (`null`: never verified).
    pub age_days: Option<i64>,
}

/// Sites not verified within a period.
#[derive(Debug, Serialize, ToSchema)]
pub struct StaleList {
    /// The period in days.
    pub older_than_days: i64,
    /// How many sites are stale (all pages).
    pub total: u64,
    /// Never verified first, then the oldest verification first; at most `limit`.
    pub sites: Vec<StaleSite>,
}

/// Default and largest `limit` of `/stale`.
const STALE_LIMIT: (usize, usize) = (1_000, 10_000);

/// Sites whose record was not verified within a period (never-verified ones included).
#[utoipa::path(
    get,
    path = "/api/v1/stale",
    tag = "history",
    params(
        ("older_than" = Option<String>, Query, description = "The period: `365d` (default), \
            `30d`, `12m`, `1y` (days, calendar months, calendar years)."),
        ("limit" = Option<u64>, Query, description = "At most this many sites (default 1000, \
            at most 10000); `total` counts all."),
    ),
    responses(
        (status = 200, description = "The stale sites.", body = StaleList),
        super::openapi::NotModified,
        (status = 400, description = "`invalid_parameter` naming `older_than` or `limit`.",
            body = super::openapi::ErrorBody),
    )
)]
pub async fn stale(req: Req) -> ApiResult<Response> {
    let (_, extras) = params::split(&req.query, &[], &["older_than", "limit"])?;
    let day = req.today();
    let days = match params::last(&extras, "older_than") {
        None => freshness::DEFAULT_DAYS,
        Some(v) => freshness::parse_period(v, day).map_err(|m| ApiError::BadParam {
            code: "invalid_parameter",
            message: format!("parameter 'older_than': {m}"),
        })?,
    };
    let limit = match params::last(&extras, "limit") {
        None => STALE_LIMIT.0,
        Some(v) => v
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=STALE_LIMIT.1).contains(n))
            .ok_or_else(|| ApiError::BadParam {
                code: "invalid_limit",
                message: format!(
                    "parameter 'limit': '{}' is not a number from 1 to {}",
                    v.chars().take(20).collect::<String>(),
                    STALE_LIMIT.1
                ),
            })?,
    };
    // The day is part of the key: ages change at midnight without any write.
    let key = format!("stale?{days}&{limit}@{day}");
    req.cached(
        key,
        JSON,
        |_| Ok(()),
        move |store, _| {
            let mut sites = Vec::new();
            store.for_each(&SiteFilter::default(), |s| -> ApiResult<()> {
                if freshness::is_stale(&s, day, days) {
                    sites.push(StaleSite {
                        id: s.id.to_string(),
                        name_zh: s.name_zh,
                        verified_at: s.verified_at.map(|d| d.format("%Y-%m-%d").to_string()),
                        age_days: s.verified_at.map(|d| (day - d).num_days()),
                    });
                }
                Ok(())
            })?;
            // Never verified first, then the oldest; ties by id.
            sites.sort_by(|a, b| {
                b.age_days
                    .unwrap_or(i64::MAX)
                    .cmp(&a.age_days.unwrap_or(i64::MAX))
                    .then_with(|| a.id.cmp(&b.id))
            });
            let total = sites.len() as u64;
            sites.truncate(limit);
            to_json(&StaleList {
                older_than_days: days,
                total,
                sites,
            })
        },
    )
    .await
}
