//! OGC API – Features, Part 1 Core + GeoJSON (OGC 17-069r4), Part 2 CRS by reference and Part 3
//! Filtering with CQL2, under `/ogc`, so that GDAL's OAPIF driver and QGIS open the catalogue
//! directly, filter it on the server and read it in CGCS2000.
//!
//! | Route | Media type |
//! |---|---|
//! | `/ogc`, `/ogc/` landing page | `application/json` |
//! | `/ogc/conformance` (core, geojson, oas30) | `application/json` |
//! | `/ogc/api` — OpenAPI 3.0 of these routes | `application/vnd.oai.openapi+json;version=3.0` |
//! | `/ogc/collections`, `/ogc/collections/{id}` | `application/json` |
//! | `/ogc/collections/{id}/queryables` | `application/schema+json` |
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
//! Part 3: `filter` (CQL2, [`atlas_core::filter::cql`]) with `filter-lang` (`cql2-text`,
//! `cql2-json`, and the draft's `cql-text` that GDAL 3.6 sends) and `filter-crs`; a malformed
//! filter is `400 invalid_filter`, an operator outside the declared classes `400
//! unsupported_filter` naming it. Part 2 ([`crs`]): `crs` (items and a feature) and `bbox-crs`
//! take CRS84, EPSG:4326 and EPSG:4490 (both (lat, lon)); answers carry `Content-Crs`.
//!
//! Pages, links and the base URL are the server's one writer ([`crate::server::features`]), so
//! `/ogc` and `/api/v1` agree behind a proxy; every answer carries a weak `ETag` and
//! `Cache-Control` and answers `304` to a current `If-None-Match`, as `/api/v1` does
//! ([`crate::server::cache`]).

mod collections;
mod crs;
mod openapi;
mod query;
mod queryables;

pub use collections::Coll;
pub use query::PROPERTY_PARAMS;

use super::cache::Extents;
use super::error::{ApiError, ApiResult};
use super::extractors::Req;
use super::features::{page_links, FeatureWriter, Link, PageTail, Paging, GEOJSON, JSON};
use super::AppState;
use atlas_core::export::write_feature_axes;
use atlas_core::SiteId;
use axum::extract::rejection::PathRejection;
use axum::extract::Path;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use query::{parse_items_query, plain_query, ItemsQuery};
use serde_json::{json, Value};
use std::sync::Arc;

/// The OpenAPI 3.0 document.
pub const OPENAPI: &str = "application/vnd.oai.openapi+json;version=3.0";
/// Default page size of `items`.
pub const DEFAULT_LIMIT: u64 = 10;
/// Largest page size of `items`; larger requests are served this many.
pub const MAX_LIMIT: u64 = 10_000;
/// Where the router is mounted.
const PREFIX: &str = "/ogc";
pub use crs::{OgcCrs, CRS84};
/// Conformance classes implemented (and only those).
pub const CONFORMANCE: [&str; 13] = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
    "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions-plus",
];

/// Routes under `/ogc`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(landing))
        .route("/conformance", get(conformance))
        .route("/api", get(api_document))
        .route("/collections", get(collections))
        .route("/collections/{collection_id}", get(collection))
        .route(
            "/collections/{collection_id}/queryables",
            get(queryables_document),
        )
        .route("/collections/{collection_id}/items", get(items))
        .route("/collections/{collection_id}/items/{feature_id}", get(item))
}

/// The absolute URL of `/ogc` for a request (no trailing slash).
fn ogc_base(req: &Req) -> String {
    format!("{}{PREFIX}", req.base)
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

fn to_bytes(v: &Value) -> ApiResult<Vec<u8>> {
    serde_json::to_vec(v).map_err(|e| ApiError::internal(e.to_string()))
}

/// `timeStamp` of pages and features: the server clock's now, RFC 3339 in seconds, UTC.
fn time_stamp(state: &AppState) -> String {
    state
        .clock
        .now()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// A document that depends on nothing but the base URL and the build, with `ETag`/`304`.
async fn fixed_document(
    req: Req,
    name: &str,
    kind: &'static str,
    make: impl FnOnce(&str) -> Value + Send + 'static,
) -> ApiResult<Response> {
    plain_query(&req.query, false)?;
    let b = ogc_base(&req);
    let key = format!("ogc/{name}@{b}");
    req.cached(key, kind, |_| Ok(()), move |_, _| to_bytes(&make(&b)))
        .await
}

// ---------------------------------------------------------------------------------------------
// Handlers
// ---------------------------------------------------------------------------------------------

/// The landing page (also mounted at `/ogc/` by the application router).
pub async fn landing(req: Req) -> ApiResult<Response> {
    fixed_document(req, "landing", JSON, |b| {
        json!({
            "title": "创新资源布局图 Innovation Atlas",
            "description": "OGC API – Features (Part 1 Core + GeoJSON) of the Innovation Atlas: the sites of Annex 1 of the Maonan District S&T Innovation 14th Five-Year Plan. The JSON API of the same data is under /api/v1.",
            "links": [
                Link::new(b.to_string(), "self", JSON, "This document"),
                Link::new(format!("{b}/api"), "service-desc", OPENAPI, "The API definition (OpenAPI 3.0)"),
                Link::new(format!("{b}/conformance"), "conformance", JSON, "Conformance classes implemented"),
                Link::new(format!("{b}/collections"), "data", JSON, "The feature collections"),
            ],
        })
    })
    .await
}

async fn conformance(req: Req) -> ApiResult<Response> {
    fixed_document(req, "conformance", JSON, |b| {
        json!({
            "conformsTo": CONFORMANCE,
            "links": [Link::new(format!("{b}/conformance"), "self", JSON, "This document")],
        })
    })
    .await
}

async fn api_document(req: Req) -> ApiResult<Response> {
    plain_query(&req.query, false)?;
    let b = ogc_base(&req);
    let key = format!("ogc/api@{b}");
    req.cached(
        key,
        OPENAPI,
        |_| Ok(()),
        move |_, reference| to_bytes(&openapi::document(&b, reference)),
    )
    .await
}

fn collection_json(c: Coll, b: &str, extents: &Extents) -> Value {
    let id = c.id();
    let mut v = json!({
        "id": id,
        "title": format!("{} {}", c.title_zh(), c.title_en()),
        "description": c.description(),
        "title_zh": c.title_zh(),
        "title_en": c.title_en(),
        "itemType": "feature",
        "crs": OgcCrs::uris(),
        "storageCrs": CRS84,
        "links": [
            Link::new(format!("{b}/collections/{id}"), "self", JSON, "This collection"),
            Link::new(format!("{b}/collections/{id}/items"), "items", GEOJSON, "The features (GeoJSON)"),
            Link::new(format!("{b}/collections/{id}/queryables"), queryables::REL, queryables::SCHEMA_JSON, "Queryable properties for CQL2 filters"),
            // The draft's relation, which GDAL up to 3.6 follows, refusing any media type
            // but application/json: `f=json` serves the same document as that.
            Link::new(format!("{b}/collections/{id}/queryables?f=json"), "queryables", JSON, "Queryable properties (draft relation)"),
        ],
    });
    if let Some(bb) = extents[c.extent_index()] {
        v["extent"] = json!({
            "spatial": {
                "bbox": [[bb.min_lon, bb.min_lat, bb.max_lon, bb.max_lat]],
                "crs": CRS84,
            }
        });
    }
    v
}

/// `/collections` (`one` = `None`) or one collection, with their extents.
async fn collections_document(req: Req, one: Option<Coll>) -> ApiResult<Response> {
    plain_query(&req.query, false)?;
    let b = ogc_base(&req);
    let key = format!("ogc/collections/{}@{b}", one.map_or("", Coll::id));
    let cache = Arc::clone(&req.state.cache);
    req.cached(
        key,
        JSON,
        |_| Ok(()),
        move |store, _| {
            let extents = cache.extents(store, store.data_version()?)?;
            let v = match one {
                Some(c) => collection_json(c, &b, &extents),
                None => json!({
                    "links": [Link::new(format!("{b}/collections"), "self", JSON, "This document")],
                    "collections": Coll::ALL.map(|c| collection_json(c, &b, &extents)),
                }),
            };
            to_bytes(&v)
        },
    )
    .await
}

async fn collections(req: Req) -> ApiResult<Response> {
    collections_document(req, None).await
}

fn path_error(e: &PathRejection) -> ApiError {
    ApiError::NotFound(format!("no such resource: {e}"))
}

async fn queryables_document(
    req: Req,
    path: Result<Path<String>, PathRejection>,
) -> ApiResult<Response> {
    let Path(id) = path.map_err(|e| path_error(&e))?;
    let coll = Coll::from_path(&id)?;
    plain_query(&req.query, false)?;
    // JSON Schema's own media type, or plain JSON when `f=json` asks for it (the draft's
    // clients, GDAL 3.6 among them, accept nothing else).
    let media = if req.query.iter().any(|(k, _)| k == "f") {
        JSON
    } else {
        queryables::SCHEMA_JSON
    };
    let b = ogc_base(&req);
    let key = format!("ogc/queryables/{}@{b}?{media}", coll.id());
    req.cached(
        key,
        media,
        |_| Ok(()),
        move |_, reference| to_bytes(&queryables::document(&b, coll, reference)),
    )
    .await
}

/// `Content-Crs` (Part 2) on a response of features.
fn with_content_crs(mut r: Response, crs: OgcCrs) -> Response {
    if let Ok(v) = axum::http::HeaderValue::from_str(&format!("<{}>", crs.uri())) {
        r.headers_mut().insert("content-crs", v);
    }
    r
}

async fn collection(req: Req, path: Result<Path<String>, PathRejection>) -> ApiResult<Response> {
    let Path(id) = path.map_err(|e| path_error(&e))?;
    let coll = Coll::from_path(&id)?;
    collections_document(req, Some(coll)).await
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
    if let Some(c) = q.filter_crs.filter(|_| q.filter.expr.is_some()) {
        parts.push(format!("filter-crs={}", enc(c.uri())));
    }
    if q.crs != OgcCrs::default() {
        parts.push(format!("crs={}", enc(q.crs.uri())));
    }
    parts.push(format!("limit={}", q.limit));
    parts.push(format!("offset={offset}"));
    parts.join("&")
}

async fn items(req: Req, path: Result<Path<String>, PathRejection>) -> ApiResult<Response> {
    let Path(id) = path.map_err(|e| path_error(&e))?;
    let coll = Coll::from_path(&id)?;
    let query = parse_items_query(coll, &req.query)?;
    let items_url = format!("{}/collections/{}/items", ogc_base(&req), coll.id());
    let collection_url = format!("{}/collections/{}", ogc_base(&req), coll.id());
    let key = format!(
        "ogc/items?{}@{items_url}",
        page_query(coll, &query, query.offset)
    );
    let stamp = time_stamp(&req.state);
    let filter = query.filter.clone();
    let crs = query.crs;
    let r = req
        .cached_sites(key, GEOJSON, filter, move |store, ctx| {
            let mut page = FeatureWriter::with_capacity(512 + 1500 * 16).lat_lon(crs.lat_lon());
            let matched = store.page_ref(&query.filter, |site| -> ApiResult<()> {
                page.push(site, ctx);
                Ok(())
            })?;
            write_items_tail(
                page,
                &query,
                coll,
                matched,
                stamp,
                &items_url,
                collection_url,
            )
        })
        .await?;
    Ok(with_content_crs(r, crs))
}

/// Ends a page of `items`: paging links with the normalised query, then the collection.
fn write_items_tail(
    page: FeatureWriter,
    query: &ItemsQuery,
    coll: Coll,
    matched: u64,
    stamp: String,
    items_url: &str,
    collection_url: String,
) -> ApiResult<Vec<u8>> {
    let paging = Paging {
        offset: query.offset,
        limit: query.limit,
        matched,
        returned: page.returned(),
    };
    let mut links = page_links(paging, |o| {
        format!("{items_url}?{}", page_query(coll, query, o))
    });
    links.push(Link::new(
        collection_url,
        "collection",
        JSON,
        "The collection",
    ));
    page.finish(&PageTail {
        number_matched: matched,
        number_returned: paging.returned,
        time_stamp: Some(stamp),
        links,
    })
}

async fn item(
    req: Req,
    path: Result<Path<(String, String)>, PathRejection>,
) -> ApiResult<Response> {
    let Path((cid, fid)) = path.map_err(|e| path_error(&e))?;
    let coll = Coll::from_path(&cid)?;
    let crs = query::item_query(&req.query)?;
    let missing = format!("no feature '{fid}' in collection '{cid}'");
    let Ok(site_id) = SiteId::new(fid.as_str()) else {
        return Err(ApiError::NotFound(missing));
    };
    let b = ogc_base(&req);
    let id = coll.id();
    let links = vec![
        Link::new(
            format!("{b}/collections/{id}/items/{}", enc(&fid)),
            "self",
            GEOJSON,
            "This feature",
        ),
        Link::new(
            format!("{b}/collections/{id}"),
            "collection",
            JSON,
            "The collection",
        ),
    ];
    let key = format!("ogc/items/{}@{}?{}", site_id, links[0].href, crs.uri());
    let today = req.today();
    let stamp = time_stamp(&req.state);
    let r = req
        .cached(
            key,
            GEOJSON,
            |_| Ok(()),
            move |store, reference| {
                let site = store
                    .get(&site_id)?
                    .filter(|s| coll.holds(s.category))
                    .ok_or(ApiError::NotFound(missing))?;
                let mut bytes = Vec::with_capacity(2048);
                write_feature_axes(&mut bytes, &site, &reference.context(today), crs.lat_lon());
                let mut feature: Value = serde_json::from_slice(&bytes)
                    .map_err(|e| ApiError::internal(e.to_string()))?;
                feature["links"] = json!(links);
                feature["timeStamp"] = json!(stamp);
                to_bytes(&feature)
            },
        )
        .await?;
    Ok(with_content_crs(r, crs))
}

#[cfg(test)]
mod tests {
    use super::*;
    use atlas_core::filter::form_pairs;

    #[test]
    fn page_links_repeat_the_normalised_filter() {
        let q = parse_items_query(
            Coll::All,
            &form_pairs("chain=petrochemical&town_code=440902001&q=%E7%9F%B3%E5%8C%96&limit=5"),
        )
        .unwrap();
        let s = page_query(Coll::All, &q, 5);
        assert!(s.contains("chain=petrochemical"), "{s}");
        assert!(s.contains("town=440902001"), "{s}");
        assert!(s.contains("q=%E7%9F%B3%E5%8C%96"), "{s}");
        assert!(s.ends_with("limit=5&offset=5"), "{s}");
    }
}
