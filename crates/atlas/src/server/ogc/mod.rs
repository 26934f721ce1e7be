//! OGC API – Features, Part 1 Core + GeoJSON (OGC 17-069r4), under `/ogc`, so that GDAL's OAPIF
//! driver and QGIS open the catalogue directly.
//!
//! | Route | Media type |
//! |---|---|
//! | `/ogc`, `/ogc/` landing page | `application/json` |
//! | `/ogc/conformance` (core, geojson, oas30) | `application/json` |
//! | `/ogc/api` — OpenAPI 3.0 of these routes | `application/vnd.oai.openapi+json;version=3.0` |
//! | `/ogc/collections`, `/ogc/collections/{id}` | `application/json` |
//! | `/ogc/collections/{id}/items` | `application/geo+json` |
//! | `/ogc/collections/{id}/items/{featureId}` | `application/geo+json` |
//!
//! Collections: `sites` (all sites) and one per category (`innovation_resource`,
//! `carrier_platform`, `key_enterprise`).
//!
//! Items parameters: `bbox` (4 numbers, or 6 whose heights are ignored; intersects the site's
//! bounds), `limit` (default 10; above the maximum 10 000 it is clamped, as the standard
//! recommends, never an error; 0 or a non-number is `invalid_limit`), `offset`, `datetime`
//! (validated; sites have no temporal geometry, so it restricts nothing), the property filters
//! `kind`, `level`, `status`, `scope`, `chain`, `link`, `town` (alias `town_code`, the
//! property's name), `q`, and `category` in `sites`; comma lists mean "any of", as in
//! `/api/v1`. `f=json` (or `f=geojson` on items) is accepted; no HTML is served, so `f=html`
//! is `unsupported_format`. Any other parameter is `unknown_parameter` (400), as the standard
//! requires. Property names that are also feature properties (`kind`, `level`, `status`,
//! `scope`, `category`, `town_code`) are declared in the OpenAPI document, which makes GDAL
//! send a `-where "kind = 'incubator'"` to the server instead of filtering every page itself.
//!
//! Links are absolute, built from the `Host` header (and `X-Forwarded-Proto`), else from the
//! configured public base, else relative.

mod cache;
mod openapi;

use super::error::ApiError;
use super::AppState;
use atlas_core::export::{site_to_feature, write_feature};
use atlas_core::filter::form_pairs;
use atlas_core::{Category, Labelled, SiteFilter, SiteId};
use axum::extract::rejection::PathRejection;
use axum::extract::{FromRequestParts, Path, RawQuery, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use axum::http::HeaderValue;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};
use std::convert::Infallible;

/// GeoJSON.
pub const GEOJSON: &str = "application/geo+json";
/// JSON.
pub const JSON: &str = "application/json";
/// The OpenAPI 3.0 document.
pub const OPENAPI: &str = "application/vnd.oai.openapi+json;version=3.0";
/// Default page size of `items`.
pub const DEFAULT_LIMIT: u64 = 10;
/// Largest page size of `items`; larger requests are served this many.
pub const MAX_LIMIT: u64 = 10_000;
/// Where the router is mounted.
const PREFIX: &str = "/ogc";
/// The only CRS offered.
pub const CRS84: &str = "http://www.opengis.net/def/crs/OGC/1.3/CRS84";
/// Conformance classes implemented.
pub const CONFORMANCE: [&str; 3] = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
];

/// Routes under `/ogc`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(landing))
        .route("/conformance", get(conformance))
        .route("/api", get(api_document))
        .route("/collections", get(collections))
        .route("/collections/{collection_id}", get(collection))
        .route("/collections/{collection_id}/items", get(items))
        .route("/collections/{collection_id}/items/{feature_id}", get(item))
}

// ---------------------------------------------------------------------------------------------
// Collections
// ---------------------------------------------------------------------------------------------

/// A feature collection: all sites, or the sites of one category.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coll {
    /// `sites`.
    All,
    /// One category; its id is the category's.
    Category(Category),
}

impl Coll {
    /// Every collection, in listing order.
    pub const ALL: [Coll; 4] = [
        Coll::All,
        Coll::Category(Category::InnovationResource),
        Coll::Category(Category::CarrierPlatform),
        Coll::Category(Category::KeyEnterprise),
    ];

    /// The collection id.
    pub fn id(self) -> &'static str {
        match self {
            Coll::All => "sites",
            Coll::Category(c) => c.id(),
        }
    }

    /// Looks an id up.
    pub fn parse(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.id() == id)
    }

    fn title_zh(self) -> &'static str {
        match self {
            Coll::All => "创新资源布局图（全部点位）",
            Coll::Category(c) => c.zh(),
        }
    }

    fn title_en(self) -> &'static str {
        match self {
            Coll::All => "Innovation Atlas: all sites",
            Coll::Category(c) => c.en(),
        }
    }

    fn description(self) -> String {
        let what = match self {
            Coll::All => "All sites of the catalogue: innovation resources, carrier platforms and key enterprises".to_string(),
            Coll::Category(c) => format!("Sites of the category {} / {}", c.zh(), c.en()),
        };
        format!(
            "{what} of Annex 1 (创新资源布局图) of the Maonan District S&T Innovation 14th Five-Year \
             Plan, with their industry chains. WGS84 (CRS84) points, or polygons for areas; \
             `approximate` is true where the point stands for a township seat or the district."
        )
    }

    /// True when a site of category `c` belongs to this collection.
    pub fn holds(self, c: Category) -> bool {
        match self {
            Coll::All => true,
            Coll::Category(own) => own == c,
        }
    }

    fn index(self) -> usize {
        Self::ALL.iter().position(|c| *c == self).unwrap_or(0)
    }

    fn from_path(id: &str) -> Result<Self, ApiError> {
        Self::parse(id).ok_or_else(|| {
            ApiError::NotFound(format!(
                "no collection '{id}'; collections: {}",
                Self::ALL.map(Coll::id).join(", ")
            ))
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Base URL and links
// ---------------------------------------------------------------------------------------------

/// Absolute URL of `/ogc` for this request (no trailing slash).
#[derive(Debug, Clone)]
pub struct Base(pub String);

fn clean_host(h: &str) -> Option<&str> {
    let ok = !h.is_empty()
        && h.len() <= 255
        && h.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b".-_:[]".contains(&b));
    ok.then_some(h)
}

impl FromRequestParts<AppState> for Base {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Infallible> {
        let header = |name: &str| {
            parts
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::trim)
        };
        let proto = header("x-forwarded-proto")
            .and_then(|p| p.split(',').next())
            .map(str::trim)
            .filter(|p| p.eq_ignore_ascii_case("https"))
            .map_or("http", |_| "https");
        let host = header("host")
            .or_else(|| parts.uri.authority().map(|a| a.as_str()))
            .and_then(clean_host);
        let root = match (host, &state.config.public_base) {
            (Some(h), _) => format!("{proto}://{h}"),
            (None, Some(b)) => b.trim_end_matches('/').to_string(),
            (None, None) => String::new(),
        };
        Ok(Base(format!("{root}{PREFIX}")))
    }
}

fn link(href: String, rel: &str, kind: &str, title: &str) -> Value {
    json!({ "href": href, "rel": rel, "type": kind, "title": title })
}

/// Percent-encodes a query value (keeps unreserved characters and `,:` readable).
fn enc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~,:".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn with_type(body: impl Into<axum::body::Body>, kind: &'static str) -> Response {
    let mut res = Response::new(body.into());
    res.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(kind));
    res
}

fn json_response(v: &Value, kind: &'static str) -> Result<Response, ApiError> {
    let bytes = serde_json::to_vec(v).map_err(|e| ApiError::internal(e.to_string()))?;
    Ok(with_type(bytes, kind))
}

fn time_stamp() -> String {
    crate::app::clock::current()
        .now()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

// ---------------------------------------------------------------------------------------------
// Query parameters
// ---------------------------------------------------------------------------------------------

fn bad(code: &'static str, message: String) -> ApiError {
    ApiError::BadParam { code, message }
}

/// Checks `f`: `json` everywhere, `geojson` too where features are returned.
fn check_format(v: &str, features: bool) -> Result<(), ApiError> {
    let v = v.trim().to_ascii_lowercase();
    if v == "json" || (features && v == "geojson") {
        return Ok(());
    }
    Err(bad(
        "unsupported_format",
        format!(
            "parameter 'f': format '{v}' is not offered; allowed: {}",
            if features { "json, geojson" } else { "json" }
        ),
    ))
}

fn unknown(key: &str, allowed: &[&str]) -> ApiError {
    bad(
        "unknown_parameter",
        format!(
            "parameter '{key}' is not offered here; allowed: {}",
            allowed.join(", ")
        ),
    )
}

/// Routes without parameters accept only `f`.
fn plain_query(q: Option<&str>, features: bool) -> Result<(), ApiError> {
    for (k, v) in form_pairs(q.unwrap_or("")) {
        match k.as_str() {
            "f" => check_format(&v, features)?,
            _ => return Err(unknown(&k, &["f"])),
        }
    }
    Ok(())
}

/// The property filters of `items`, besides `bbox`, `limit`, `offset`, `datetime` and `f`.
pub const PROPERTY_PARAMS: [&str; 9] = [
    "kind",
    "level",
    "status",
    "scope",
    "chain",
    "link",
    "town",
    "town_code",
    "q",
];

/// A parsed `items` request.
#[derive(Debug)]
struct ItemsQuery {
    filter: SiteFilter,
    limit: u64,
    offset: u64,
    datetime: Option<String>,
}

fn parse_limit(v: &str) -> Result<u64, ApiError> {
    let t = v.trim();
    let err = || {
        bad(
            "invalid_limit",
            format!("parameter 'limit': '{v}' must be a whole number from 1 to {MAX_LIMIT} (larger values are served {MAX_LIMIT})"),
        )
    };
    if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
        return Err(err());
    }
    // All digits: only overflow can fail, and that is above the maximum anyway.
    let n = t.parse::<u64>().unwrap_or(u64::MAX);
    if n == 0 {
        return Err(err());
    }
    Ok(n.min(MAX_LIMIT))
}

/// A `bbox` of 4 numbers, or 6 (`minLon,minLat,minZ,maxLon,maxLat,maxZ`) reduced to 4.
fn horizontal_bbox(v: &str) -> String {
    let parts: Vec<&str> = v.split(',').collect();
    if parts.len() == 6 {
        [parts[0], parts[1], parts[3], parts[4]].join(",")
    } else {
        v.to_string()
    }
}

/// Validates `datetime`: an RFC 3339 date or date-time, or an interval of them (`..` or empty
/// for an open end).
fn check_datetime(v: &str) -> Result<(), ApiError> {
    let instant = |s: &str| {
        chrono::DateTime::parse_from_rfc3339(s).is_ok()
            || chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok()
    };
    let t = v.trim();
    let ok = match t.split_once('/') {
        Some((a, b)) => {
            let open = |s: &str| s.is_empty() || s == "..";
            (open(a) || instant(a)) && (open(b) || instant(b)) && !(open(a) && open(b))
        }
        None => instant(t),
    };
    if ok {
        Ok(())
    } else {
        Err(bad(
            "invalid_datetime",
            format!("parameter 'datetime': '{v}' is not an RFC 3339 date, date-time or interval (e.g. 2021-01-01/..)"),
        ))
    }
}

fn parse_items_query(coll: Coll, q: Option<&str>) -> Result<ItemsQuery, ApiError> {
    let mut filter = SiteFilter::default();
    if let Coll::Category(c) = coll {
        filter.category = vec![c];
    }
    let mut out = ItemsQuery {
        filter,
        limit: DEFAULT_LIMIT,
        offset: 0,
        datetime: None,
    };
    for (k, v) in form_pairs(q.unwrap_or("")) {
        match k.as_str() {
            "f" => check_format(&v, true)?,
            "limit" => out.limit = parse_limit(&v)?,
            "offset" => {
                out.filter.apply("offset", &v)?;
                out.offset = out.filter.offset;
            }
            "bbox" => {
                out.filter.apply("bbox", &horizontal_bbox(&v))?;
            }
            "datetime" => {
                check_datetime(&v)?;
                out.datetime = Some(v.trim().to_string());
            }
            "category" if coll == Coll::All => {
                out.filter.apply("category", &v)?;
            }
            "town_code" => {
                out.filter.apply("town", &v).map_err(|mut e| {
                    e.param = "town_code".into();
                    e
                })?;
            }
            key if PROPERTY_PARAMS.contains(&key) => {
                out.filter.apply(key, &v)?;
            }
            _ => {
                let mut allowed = vec!["bbox", "limit", "offset", "datetime", "f"];
                if coll == Coll::All {
                    allowed.push("category");
                }
                allowed.extend(PROPERTY_PARAMS);
                let mut e = unknown(&k, &allowed);
                if k == "category" {
                    e = bad(
                        "unknown_parameter",
                        format!(
                            "parameter 'category' is not offered by collection '{}', which holds one category; filter collection 'sites' instead",
                            coll.id()
                        ),
                    );
                }
                return Err(e);
            }
        }
    }
    out.filter.limit = Some(out.limit);
    out.filter.offset = out.offset;
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Handlers
// ---------------------------------------------------------------------------------------------

/// The landing page (also mounted at `/ogc/` by the application router).
pub async fn landing(base: Base, RawQuery(q): RawQuery) -> Result<Response, ApiError> {
    plain_query(q.as_deref(), false)?;
    let b = &base.0;
    let v = json!({
        "title": "创新资源布局图 Innovation Atlas",
        "description": "OGC API – Features (Part 1 Core + GeoJSON) of the Innovation Atlas: the sites of Annex 1 of the Maonan District S&T Innovation 14th Five-Year Plan. The JSON API of the same data is under /api/v1.",
        "links": [
            link(b.clone(), "self", JSON, "This document"),
            link(format!("{b}/api"), "service-desc", OPENAPI, "The API definition (OpenAPI 3.0)"),
            link(format!("{b}/conformance"), "conformance", JSON, "Conformance classes implemented"),
            link(format!("{b}/collections"), "data", JSON, "The feature collections"),
        ],
    });
    json_response(&v, JSON)
}

async fn conformance(base: Base, RawQuery(q): RawQuery) -> Result<Response, ApiError> {
    plain_query(q.as_deref(), false)?;
    let v = json!({
        "conformsTo": CONFORMANCE,
        "links": [link(format!("{}/conformance", base.0), "self", JSON, "This document")],
    });
    json_response(&v, JSON)
}

async fn api_document(
    State(state): State<AppState>,
    base: Base,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    plain_query(q.as_deref(), false)?;
    let path = state.db.path().to_path_buf();
    let reference = state
        .db
        .read(move |store| cache::reference(store, &path))
        .await?;
    json_response(&openapi::document(&base.0, &reference), OPENAPI)
}

fn collection_json(c: Coll, b: &str, extents: &cache::Extents) -> Value {
    let id = c.id();
    let mut v = json!({
        "id": id,
        "title": format!("{} {}", c.title_zh(), c.title_en()),
        "description": c.description(),
        "title_zh": c.title_zh(),
        "title_en": c.title_en(),
        "itemType": "feature",
        "crs": [CRS84],
        "links": [
            link(format!("{b}/collections/{id}"), "self", JSON, "This collection"),
            link(format!("{b}/collections/{id}/items"), "items", GEOJSON, "The features (GeoJSON)"),
        ],
    });
    if let Some(bb) = extents[c.index()] {
        v["extent"] = json!({
            "spatial": {
                "bbox": [[bb.min_lon, bb.min_lat, bb.max_lon, bb.max_lat]],
                "crs": CRS84,
            }
        });
    }
    v
}

async fn extents(state: &AppState) -> Result<std::sync::Arc<cache::Extents>, ApiError> {
    let path = state.db.path().to_path_buf();
    state
        .db
        .read(move |store| cache::extents(store, &path))
        .await
}

async fn collections(
    State(state): State<AppState>,
    base: Base,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    plain_query(q.as_deref(), false)?;
    let extents = extents(&state).await?;
    let b = &base.0;
    let v = json!({
        "links": [link(format!("{b}/collections"), "self", JSON, "This document")],
        "collections": Coll::ALL.map(|c| collection_json(c, b, &extents)),
    });
    json_response(&v, JSON)
}

fn path_error(e: &PathRejection) -> ApiError {
    ApiError::NotFound(format!("no such resource: {e}"))
}

async fn collection(
    State(state): State<AppState>,
    base: Base,
    path: Result<Path<String>, PathRejection>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    let Path(id) = path.map_err(|e| path_error(&e))?;
    let coll = Coll::from_path(&id)?;
    plain_query(q.as_deref(), false)?;
    let extents = extents(&state).await?;
    json_response(&collection_json(coll, &base.0, &extents), JSON)
}

/// The query string of a page of `items`: the filter (normalised), then limit and offset.
fn page_query(coll: Coll, q: &ItemsQuery, offset: u64) -> String {
    let mut parts: Vec<String> = q
        .filter
        .to_pairs()
        .into_iter()
        .filter(|(k, _)| !(matches!(coll, Coll::Category(_)) && *k == "category"))
        .map(|(k, v)| format!("{k}={}", enc(&v)))
        .collect();
    if let Some(d) = &q.datetime {
        parts.push(format!("datetime={}", enc(d)));
    }
    parts.push(format!("limit={}", q.limit));
    parts.push(format!("offset={offset}"));
    parts.join("&")
}

async fn items(
    State(state): State<AppState>,
    base: Base,
    path: Result<Path<String>, PathRejection>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    let Path(id) = path.map_err(|e| path_error(&e))?;
    let coll = Coll::from_path(&id)?;
    let query = parse_items_query(coll, q.as_deref())?;
    let db_path = state.db.path().to_path_buf();
    let b = base.0;
    let body = state
        .db
        .read(move |store| {
            store.validate_filter(&query.filter)?;
            let mut sites = Vec::new();
            let matched = store.page(&query.filter, |s| {
                sites.push(s);
                Ok::<(), ApiError>(())
            })?;
            let returned = sites.len() as u64;
            let reference = cache::reference(store, &db_path)?;
            let ctx = reference.context(crate::server::api::today());
            let items_url = format!("{b}/collections/{}/items", coll.id());
            let mut links = vec![link(
                format!("{items_url}?{}", page_query(coll, &query, query.offset)),
                "self",
                GEOJSON,
                "This page",
            )];
            if query.offset.saturating_add(returned) < matched && returned > 0 {
                links.push(link(
                    format!(
                        "{items_url}?{}",
                        page_query(coll, &query, query.offset + returned)
                    ),
                    "next",
                    GEOJSON,
                    "Next page",
                ));
            }
            if query.offset > 0 {
                links.push(link(
                    format!(
                        "{items_url}?{}",
                        page_query(coll, &query, query.offset.saturating_sub(query.limit))
                    ),
                    "prev",
                    GEOJSON,
                    "Previous page",
                ));
            }
            links.push(link(
                format!("{b}/collections/{}", coll.id()),
                "collection",
                JSON,
                "The collection",
            ));
            let mut out = Vec::with_capacity(512 + sites.len() * 1500);
            out.extend_from_slice(br#"{"type":"FeatureCollection","features":["#);
            for (i, s) in sites.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_feature(&mut out, s, &ctx);
            }
            let tail = json!({
                "numberMatched": matched,
                "numberReturned": returned,
                "timeStamp": time_stamp(),
                "links": links,
            });
            let tail = serde_json::to_vec(&tail).map_err(|e| ApiError::internal(e.to_string()))?;
            // `tail` is `{…}`: splice its members after the features.
            out.extend_from_slice(b"],");
            out.extend_from_slice(tail.get(1..).unwrap_or_default());
            Ok(out)
        })
        .await?;
    Ok(with_type(body, GEOJSON))
}

async fn item(
    State(state): State<AppState>,
    base: Base,
    path: Result<Path<(String, String)>, PathRejection>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    let Path((cid, fid)) = path.map_err(|e| path_error(&e))?;
    let coll = Coll::from_path(&cid)?;
    plain_query(q.as_deref(), true)?;
    let missing = || ApiError::NotFound(format!("no feature '{fid}' in collection '{cid}'"));
    let Ok(site_id) = SiteId::new(fid.as_str()) else {
        return Err(missing());
    };
    let db_path = state.db.path().to_path_buf();
    let found = state
        .db
        .read(move |store| {
            let Some(site) = store.get(&site_id)? else {
                return Ok(None);
            };
            if !coll.holds(site.category) {
                return Ok(None);
            }
            let reference = cache::reference(store, &db_path)?;
            let ctx = reference.context(crate::server::api::today());
            let feature = serde_json::to_value(site_to_feature(&site, &ctx))
                .map_err(|e| ApiError::internal(e.to_string()))?;
            Ok(Some(feature))
        })
        .await?;
    let Some(mut feature) = found else {
        return Err(missing());
    };
    let b = &base.0;
    let id = coll.id();
    feature["links"] = json!([
        link(
            format!("{b}/collections/{id}/items/{}", enc(&fid)),
            "self",
            GEOJSON,
            "This feature"
        ),
        link(
            format!("{b}/collections/{id}"),
            "collection",
            JSON,
            "The collection"
        ),
    ]);
    feature["timeStamp"] = json!(time_stamp());
    json_response(&feature, GEOJSON)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_above_the_maximum_are_clamped_and_zero_is_refused() {
        assert_eq!(parse_limit("5").ok(), Some(5));
        assert_eq!(parse_limit("10001").ok(), Some(MAX_LIMIT));
        assert_eq!(parse_limit("99999999999999999999999").ok(), Some(MAX_LIMIT));
        for v in ["0", "-1", "", "ten", "1.5"] {
            assert!(parse_limit(v).is_err(), "{v}");
        }
    }

    #[test]
    fn a_three_dimensional_bbox_keeps_its_horizontal_corners() {
        assert_eq!(horizontal_bbox("110,21,0,111,22,100"), "110,21,111,22");
        assert_eq!(horizontal_bbox("110,21,111,22"), "110,21,111,22");
    }

    #[test]
    fn datetimes_and_intervals_are_validated() {
        for ok in [
            "2021-01-01",
            "2021-01-01T00:00:00Z",
            "2021-01-01/..",
            "../2022-12-31T23:59:59+08:00",
            "/2021-01-01",
        ] {
            assert!(check_datetime(ok).is_ok(), "{ok}");
        }
        for bad in ["yesterday", "../..", "2021-13-01", ""] {
            assert!(check_datetime(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn category_is_offered_only_by_the_collection_of_all_sites() {
        assert!(parse_items_query(Coll::All, Some("category=carrier_platform")).is_ok());
        let e = parse_items_query(
            Coll::Category(Category::KeyEnterprise),
            Some("category=carrier_platform"),
        )
        .unwrap_err();
        assert_eq!(e.code(), "unknown_parameter");
    }

    #[test]
    fn page_links_repeat_the_normalised_filter() {
        let q = parse_items_query(
            Coll::All,
            Some("chain=petrochemical&town_code=440902001&q=%E7%9F%B3%E5%8C%96&limit=5"),
        )
        .unwrap();
        let s = page_query(Coll::All, &q, 5);
        assert!(s.contains("chain=petrochemical"), "{s}");
        assert!(s.contains("town=440902001"), "{s}");
        assert!(s.contains("q=%E7%9F%B3%E5%8C%96"), "{s}");
        assert!(s.ends_with("limit=5&offset=5"), "{s}");
    }

    #[test]
    fn hosts_with_unexpected_characters_are_not_echoed() {
        assert_eq!(clean_host("127.0.0.1:8080"), Some("127.0.0.1:8080"));
        assert_eq!(clean_host("[::1]:80"), Some("[::1]:80"));
        assert_eq!(clean_host("evil.com/<script>"), None);
        assert_eq!(clean_host(""), None);
    }
}
