//! OGC API – Features under `/ogc`, over real HTTP on port 0 with a temporary database holding
//! the default dataset: every route, paging links, filters against the store, the JSON errors,
//! and GDAL's OAPIF driver (`ogrinfo`, Debian `gdal-bin`) reading it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use atlas::server::{self, RunningServer};
use atlas_core::{Category, SiteFilter};
use atlas_store::Store;
use serde_json::Value;
use std::collections::HashSet;
use std::path::PathBuf;

const OPENAPI: &str = "application/vnd.oai.openapi+json;version=3.0";

struct App {
    server: RunningServer,
    db: PathBuf,
    _dir: tempfile::TempDir,
}

impl App {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server.url())
    }

    fn store(&self) -> Store {
        Store::open_readonly(&self.db).unwrap()
    }

    fn count(&self, query: &str) -> u64 {
        self.store()
            .count(&SiteFilter::parse_query(query).unwrap())
            .unwrap()
    }

    async fn stop(self) {
        self.server.stop().await.unwrap();
    }
}

async fn spawn_app() -> App {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("atlas.db");
    let today = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
    let server = server::start(&db, "127.0.0.1:0".parse().unwrap(), today)
        .await
        .unwrap();
    App {
        server,
        db,
        _dir: dir,
    }
}

struct Reply {
    status: u16,
    content_type: String,
    body: Value,
}

async fn get_with(url: &str, headers: &[(&str, &str)]) -> Reply {
    let client = reqwest::Client::new();
    let mut req = client.get(url);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    let content_type = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let text = res.text().await.unwrap();
    let body = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{url}: body is not JSON ({e}): {text:.300}"));
    Reply {
        status,
        content_type,
        body,
    }
}

async fn get(url: &str) -> Reply {
    get_with(url, &[]).await
}

fn links(v: &Value) -> Vec<(String, String, String)> {
    v["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["rel"].as_str().unwrap().to_string(),
                l["type"].as_str().unwrap_or("").to_string(),
                l["href"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn href(v: &Value, rel: &str) -> Option<String> {
    links(v)
        .into_iter()
        .find(|(r, _, _)| r == rel)
        .map(|(_, _, h)| h)
}

fn assert_error(r: &Reply, status: u16, code: &str) {
    assert_eq!(r.status, status, "{}", r.body);
    assert!(
        r.content_type.starts_with("application/json"),
        "{}",
        r.content_type
    );
    assert_eq!(r.body["error"]["code"], code, "{}", r.body);
    assert!(r.body["error"]["message"].as_str().unwrap().len() > 5);
}

fn ids(page: &Value) -> Vec<String> {
    page["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_landing_page_links_the_api_definition_conformance_and_collections() {
    let app = spawn_app().await;
    for path in ["/ogc", "/ogc/", "/ogc?f=json"] {
        let r = get(&app.url(path)).await;
        assert_eq!(r.status, 200, "{path}: {}", r.body);
        assert_eq!(r.content_type, "application/json");
        let l = links(&r.body);
        let base = app.url("/ogc");
        assert!(l.contains(&("self".into(), "application/json".into(), base.clone())));
        assert!(l.contains(&("service-desc".into(), OPENAPI.into(), format!("{base}/api"))));
        assert!(l.contains(&(
            "conformance".into(),
            "application/json".into(),
            format!("{base}/conformance")
        )));
        assert!(l.contains(&(
            "data".into(),
            "application/json".into(),
            format!("{base}/collections")
        )));
        assert!(r.body["title"].as_str().unwrap().contains("创新资源布局图"));
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conformance_declares_core_geojson_and_openapi() {
    let app = spawn_app().await;
    let r = get(&app.url("/ogc/conformance")).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.content_type, "application/json");
    let classes: Vec<&str> = r.body["conformsTo"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    for c in ["core", "geojson", "oas30"] {
        assert!(
            classes.contains(
                &format!("http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/{c}").as_str()
            ),
            "{classes:?}"
        );
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_definition_is_openapi_3_and_describes_every_route_and_filter() {
    let app = spawn_app().await;
    let r = get(&app.url("/ogc/api")).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.content_type, OPENAPI);
    let doc = &r.body;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.0"));
    assert_eq!(doc["servers"][0]["url"], app.url("/ogc"));
    let paths = doc["paths"].as_object().unwrap();
    for p in [
        "/",
        "/conformance",
        "/api",
        "/collections",
        "/collections/{collectionId}",
        "/collections/sites/items",
        "/collections/sites/items/{featureId}",
        "/collections/carrier_platform/items",
        "/collections/key_enterprise/items/{featureId}",
        "/collections/innovation_resource/items",
    ] {
        assert!(paths.contains_key(p), "missing path {p}");
    }
    // Every $ref resolves, and the items parameters name the filters.
    let text = doc.to_string();
    let params = doc["components"]["parameters"].as_object().unwrap();
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for piece in text.split("\"$ref\":\"#/components/").skip(1) {
        let target = piece.split('"').next().unwrap();
        let (kind, name) = target.split_once('/').unwrap();
        let found = match kind {
            "parameters" => params.contains_key(name),
            "schemas" => schemas.contains_key(name),
            _ => false,
        };
        assert!(found, "unresolved $ref {target}");
    }
    let names: Vec<String> = doc["paths"]["/collections/sites/items"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let r = p["$ref"].as_str().unwrap().rsplit('/').next().unwrap();
            params[r]["name"].as_str().unwrap().to_string()
        })
        .collect();
    for n in [
        "bbox",
        "limit",
        "offset",
        "datetime",
        "f",
        "category",
        "kind",
        "level",
        "status",
        "scope",
        "chain",
        "link",
        "town",
        "town_code",
        "q",
    ] {
        assert!(names.iter().any(|x| x == n), "items lacks parameter {n}");
    }
    let carrier =
        doc["paths"]["/collections/carrier_platform/items"]["get"]["parameters"].to_string();
    assert!(
        !carrier.contains("parameters/category"),
        "only `sites` filters by category"
    );
    assert_eq!(params["limit"]["schema"]["maximum"], 10000);
    assert_eq!(params["limit"]["schema"]["default"], 10);
    let chains = params["chain"]["schema"]["items"]["enum"].to_string();
    assert!(chains.contains("petrochemical"), "{chains}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn collections_are_all_sites_and_one_per_category_with_the_datas_extent() {
    let app = spawn_app().await;
    let r = get(&app.url("/ogc/collections")).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.content_type, "application/json");
    assert_eq!(href(&r.body, "self").unwrap(), app.url("/ogc/collections"));
    let cols = r.body["collections"].as_array().unwrap();
    let got: Vec<&str> = cols.iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(
        got,
        [
            "sites",
            "innovation_resource",
            "carrier_platform",
            "key_enterprise"
        ]
    );
    let store = app.store();
    for c in cols {
        let id = c["id"].as_str().unwrap();
        assert!(!c["title_zh"].as_str().unwrap().is_empty());
        assert!(!c["title_en"].as_str().unwrap().is_empty());
        assert!(c["title"]
            .as_str()
            .unwrap()
            .contains(c["title_zh"].as_str().unwrap()));
        assert!(!c["description"].as_str().unwrap().is_empty());
        assert_eq!(c["crs"][0], "http://www.opengis.net/def/crs/OGC/1.3/CRS84");
        let l = links(c);
        assert!(l.contains(&(
            "items".into(),
            "application/geo+json".into(),
            app.url(&format!("/ogc/collections/{id}/items"))
        )));
        assert!(l.contains(&(
            "self".into(),
            "application/json".into(),
            app.url(&format!("/ogc/collections/{id}"))
        )));
        // The extent is exactly the bounds of the collection's sites.
        let mut filter = SiteFilter::default();
        if id != "sites" {
            filter.category = vec![id.parse::<Category>().unwrap()];
        }
        // A collection whose sites all lack a location has no extent.
        let sites = store.query(&filter).unwrap();
        assert!(!sites.is_empty());
        let mut boxes = sites.iter().filter_map(|s| s.bbox());
        let Some(first) = boxes.next() else {
            assert!(c.get("extent").is_none(), "{id}");
            continue;
        };
        let b = boxes.fold(first, |b, s| b.union(&s));
        assert_eq!(
            c["extent"]["spatial"]["crs"],
            "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
        );
        let bbox: Vec<f64> = c["extent"]["spatial"]["bbox"][0]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect();
        assert_eq!(bbox, [b.min_lon, b.min_lat, b.max_lon, b.max_lat], "{id}");

        let one = get(&app.url(&format!("/ogc/collections/{id}"))).await;
        assert_eq!(one.status, 200);
        assert_eq!(&one.body, c);
    }
    assert_error(
        &get(&app.url("/ogc/collections/nope")).await,
        404,
        "not_found",
    );
    assert_error(
        &get(&app.url("/ogc/collections/nope/items")).await,
        404,
        "not_found",
    );
    assert_error(
        &get(&app.url("/ogc/collections/nope/items/gdupt")).await,
        404,
        "not_found",
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn items_pages_link_next_and_prev_and_together_hold_every_site_once() {
    let app = spawn_app().await;
    let total = app.count("");
    let first = get(&app.url("/ogc/collections/sites/items")).await;
    assert_eq!(first.status, 200);
    assert_eq!(first.content_type, "application/geo+json");
    assert_eq!(first.body["type"], "FeatureCollection");
    assert_eq!(first.body["numberMatched"], total);
    assert_eq!(first.body["numberReturned"], 10, "default limit is 10");
    assert!(first.body["timeStamp"].as_str().unwrap().ends_with('Z'));
    assert!(href(&first.body, "prev").is_none());
    assert_eq!(
        href(&first.body, "collection").unwrap(),
        app.url("/ogc/collections/sites")
    );
    assert!(href(&first.body, "self")
        .unwrap()
        .starts_with(&app.url("/ogc/collections/sites/items?")));

    let mut seen = Vec::new();
    let mut url = app.url("/ogc/collections/sites/items?limit=7");
    let mut pages = 0;
    loop {
        let page = get(&url).await;
        assert_eq!(page.status, 200);
        let got = ids(&page.body);
        assert_eq!(page.body["numberReturned"], got.len());
        assert_eq!(page.body["numberMatched"], total);
        if pages > 0 {
            let prev = href(&page.body, "prev").expect("prev link after the first page");
            assert!(
                prev.contains(&format!("offset={}", (pages - 1) * 7)),
                "{prev}"
            );
        }
        seen.extend(got);
        pages += 1;
        match href(&page.body, "next") {
            Some(next) => url = next,
            None => break,
        }
        assert!(pages < 100);
    }
    assert_eq!(seen.len() as u64, total);
    assert_eq!(seen.iter().collect::<HashSet<_>>().len() as u64, total);
    // Same order as the store's list order.
    let store_ids: Vec<String> = app
        .store()
        .query(&SiteFilter::default())
        .unwrap()
        .iter()
        .map(|s| s.id.to_string())
        .collect();
    assert_eq!(seen, store_ids);

    // Past the end: an empty page, no next.
    let past = get(&app.url(&format!(
        "/ogc/collections/sites/items?offset={}",
        total + 5
    )))
    .await;
    assert_eq!(past.body["numberReturned"], 0);
    assert!(href(&past.body, "next").is_none());
    assert!(href(&past.body, "prev").is_some());
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn property_filters_and_bbox_return_exactly_the_stores_rows() {
    let app = spawn_app().await;
    let store = app.store();
    let some_town = store.divisions().unwrap()[0].code.to_string();
    let cases: Vec<(String, String)> = vec![
        ("chain=petrochemical".into(), "chain=petrochemical".into()),
        (
            "kind=incubator,maker_space".into(),
            "kind=incubator,maker_space".into(),
        ),
        ("level=national".into(), "level=national".into()),
        ("status=operating".into(), "status=operating".into()),
        ("scope=local".into(), "scope=local".into()),
        (format!("town={some_town}"), format!("town={some_town}")),
        (
            format!("town_code={some_town}"),
            format!("town={some_town}"),
        ),
        ("q=%E7%9F%B3%E5%8C%96".into(), "q=石化".into()),
        (
            "category=carrier_platform".into(),
            "category=carrier_platform".into(),
        ),
        (
            "bbox=110.8,21.5,111.0,21.8".into(),
            "bbox=110.8,21.5,111.0,21.8".into(),
        ),
        (
            "bbox=110.8,21.5,-10,111.0,21.8,500".into(),
            "bbox=110.8,21.5,111.0,21.8".into(),
        ),
        (
            "chain=petrochemical&bbox=110.7,21.4,111.2,21.9&datetime=2021-01-01/..".into(),
            "chain=petrochemical&bbox=110.7,21.4,111.2,21.9".into(),
        ),
    ];
    let mut nonempty = 0;
    for (query, store_query) in &cases {
        let filter = SiteFilter::parse_query(store_query).unwrap();
        let expected: Vec<String> = store
            .query(&filter)
            .unwrap()
            .iter()
            .map(|s| s.id.to_string())
            .collect();
        let r = get(&app.url(&format!("/ogc/collections/sites/items?{query}&limit=10000"))).await;
        assert_eq!(r.status, 200, "{query}: {}", r.body);
        assert_eq!(r.body["numberMatched"], expected.len(), "{query}");
        assert_eq!(ids(&r.body), expected, "{query}");
        if !expected.is_empty() {
            nonempty += 1;
        }
    }
    assert!(
        nonempty >= 8,
        "the default dataset should make most cases non-empty"
    );
    let chain = get(&app.url("/ogc/collections/sites/items?chain=petrochemical&limit=1")).await;
    let next = href(&chain.body, "next").unwrap();
    assert!(
        next.contains("chain=petrochemical"),
        "links keep the filter: {next}"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn category_collections_hold_only_their_category() {
    let app = spawn_app().await;
    for (id, cat) in [
        ("innovation_resource", Category::InnovationResource),
        ("carrier_platform", Category::CarrierPlatform),
        ("key_enterprise", Category::KeyEnterprise),
    ] {
        let r = get(&app.url(&format!("/ogc/collections/{id}/items?limit=10000"))).await;
        assert_eq!(r.status, 200);
        let expected = app.count(&format!("category={}", cat));
        assert_eq!(r.body["numberMatched"], expected, "{id}");
        for f in r.body["features"].as_array().unwrap() {
            assert_eq!(f["properties"]["category"], id);
        }
        let wrong = get(&app.url(&format!(
            "/ogc/collections/{id}/items?category=innovation_resource"
        )))
        .await;
        assert_error(&wrong, 400, "unknown_parameter");
        assert!(wrong.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("category"));
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_feature_is_served_in_its_collections_and_404_elsewhere() {
    let app = spawn_app().await;
    let site = app.store().get(&"gdupt".parse().unwrap()).unwrap().unwrap();
    assert_eq!(site.category, Category::InnovationResource);
    for coll in ["sites", "innovation_resource"] {
        let r = get(&app.url(&format!("/ogc/collections/{coll}/items/gdupt"))).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.content_type, "application/geo+json");
        assert_eq!(r.body["type"], "Feature");
        assert_eq!(r.body["id"], "gdupt");
        assert_eq!(r.body["properties"]["name_zh"], "广东石油化工学院");
        assert_eq!(
            href(&r.body, "self").unwrap(),
            app.url(&format!("/ogc/collections/{coll}/items/gdupt"))
        );
        assert_eq!(
            href(&r.body, "collection").unwrap(),
            app.url(&format!("/ogc/collections/{coll}"))
        );
    }
    for path in [
        "/ogc/collections/carrier_platform/items/gdupt",
        "/ogc/collections/sites/items/no-such-site",
        "/ogc/collections/sites/items/%E2%9C%93%20bad%20id",
    ] {
        assert_error(&get(&app.url(path)).await, 404, "not_found");
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_parameters_are_json_errors_naming_the_parameter() {
    let app = spawn_app().await;
    let items = |q: &str| app.url(&format!("/ogc/collections/sites/items?{q}"));
    for (q, code, param) in [
        ("bbox=1,2,3", "invalid_bbox", "bbox"),
        ("bbox=111,21,110,22", "invalid_bbox", "bbox"),
        ("bbox=a,b,c,d", "invalid_bbox", "bbox"),
        ("limit=0", "invalid_limit", "limit"),
        ("limit=-3", "invalid_limit", "limit"),
        ("limit=ten", "invalid_limit", "limit"),
        ("offset=-1", "invalid_offset", "offset"),
        ("kind=factory", "unknown_value", "kind"),
        ("chain=no_such_chain", "unknown_chain", "chain"),
        ("link=petrochemical.nope", "unknown_link", "link"),
        ("town=123456789", "unknown_town", "town"),
        ("town_code=12", "invalid_id", "town_code"),
        ("datetime=yesterday", "invalid_datetime", "datetime"),
        ("f=html", "unsupported_format", "f"),
        ("colour=red", "unknown_parameter", "colour"),
        ("bbox-crs=EPSG:3857", "unsupported_crs", "bbox-crs"),
        ("crs=EPSG:3857", "unsupported_crs", "crs"),
    ] {
        let r = get(&items(q)).await;
        assert_error(&r, 400, code);
        assert!(
            r.body["error"]["message"].as_str().unwrap().contains(param),
            "{q}: {}",
            r.body
        );
    }
    for path in [
        "/ogc?f=html",
        "/ogc/collections?limit=5",
        "/ogc/conformance?x=1",
    ] {
        let r = get(&app.url(path)).await;
        assert_eq!(r.status, 400, "{path}");
        assert!(r.body["error"]["code"].is_string());
    }
    // Above the maximum the page is clamped, not refused (OGC 17-069r4 §7.15.4).
    let big = get(&items("limit=1000000")).await;
    assert_eq!(big.status, 200);
    assert_eq!(big.body["numberReturned"], app.count(""));
    assert!(href(&big.body, "self").unwrap().contains("limit=10000"));
    // Another method on an OGC route: a JSON 405.
    let res = reqwest::Client::new()
        .post(app.url("/ogc/collections"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 405);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "method_not_allowed");
    app.stop().await;
}

fn bbox_of(sites: &[atlas_core::Site]) -> Vec<f64> {
    let mut boxes = sites.iter().filter_map(|s| s.bbox());
    let first = boxes.next().unwrap();
    let b = boxes.fold(first, |b, s| b.union(&s));
    vec![b.min_lon, b.min_lat, b.max_lon, b.max_lat]
}

fn extent(collection: &Value) -> Vec<f64> {
    collection["extent"]["spatial"]["bbox"][0]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_shows_in_extents_and_counts_at_the_next_request() {
    let app = spawn_app().await;
    let before = get(&app.url("/ogc/collections/sites")).await;
    assert_eq!(
        extent(&before.body),
        bbox_of(&app.store().query(&SiteFilter::default()).unwrap())
    );
    let added = atlas_store::synth::sites(300, 7);
    Store::open(&app.db).unwrap().import_sites(&added).unwrap();
    let all = app.store().query(&SiteFilter::default()).unwrap();
    let after = get(&app.url("/ogc/collections/sites")).await;
    assert_eq!(extent(&after.body), bbox_of(&all));
    assert_ne!(
        extent(&after.body),
        extent(&before.body),
        "synthetic partners lie outside the district"
    );
    let page = get(&app.url("/ogc/collections/sites/items?limit=1")).await;
    assert_eq!(page.body["numberMatched"], all.len());
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn links_follow_the_host_and_forwarded_protocol_of_the_request() {
    let app = spawn_app().await;
    let r = get_with(
        &app.url("/ogc/collections/sites/items?limit=2"),
        &[
            ("host", "atlas.example.org"),
            ("x-forwarded-proto", "https"),
        ],
    )
    .await;
    for (_, _, h) in links(&r.body) {
        assert!(h.starts_with("https://atlas.example.org/ogc/"), "{h}");
    }
    // A Host with characters no host name has is not echoed into links: they become relative.
    let evil = get_with(&app.url("/ogc"), &[("host", "a\"b<x>")]).await;
    assert_eq!(evil.status, 200);
    assert_eq!(href(&evil.body, "self").unwrap(), "/ogc");
    assert_eq!(href(&evil.body, "data").unwrap(), "/ogc/collections");
    app.stop().await;
}

/// Every `/ogc` answer carries a weak `ETag` and the data GETs' `Cache-Control`, and a
/// current `If-None-Match` gets `304` with the same tag, as on `/api/v1`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ogc_answers_carry_an_etag_and_a_current_one_gets_304() {
    let app = spawn_app().await;
    let client = reqwest::Client::new();
    let paths = [
        "/ogc",
        "/ogc/conformance",
        "/ogc/api",
        "/ogc/collections",
        "/ogc/collections/sites",
        "/ogc/collections/sites/items?limit=5",
        "/ogc/collections/innovation_resource/items/gdupt",
    ];
    let mut tags = Vec::new();
    for path in paths {
        let r = client.get(app.url(path)).send().await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
        let etag = r.headers()["etag"].to_str().unwrap().to_string();
        assert!(etag.starts_with("W/\""), "{path}: {etag}");
        assert_eq!(
            r.headers()["cache-control"],
            "public, max-age=60, must-revalidate",
            "{path}"
        );
        let again = client
            .get(app.url(path))
            .header("if-none-match", &etag)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), 304, "{path}");
        assert_eq!(again.headers()["etag"], etag.as_str(), "{path}");
        assert!(again.bytes().await.unwrap().is_empty(), "{path}");
        tags.push(etag);
    }
    let distinct: HashSet<&String> = tags.iter().collect();
    assert_eq!(distinct.len(), tags.len(), "each resource has its own tag");
    // Another page, or a page of another filter, has another tag.
    let other = get_with(
        &app.url("/ogc/collections/sites/items?limit=5&offset=5"),
        &[("if-none-match", tags[5].as_str())],
    )
    .await;
    assert_eq!(other.status, 200);
    // A change of the data makes every old tag stale.
    Store::open(&app.db)
        .unwrap()
        .import_sites(&atlas_store::synth::sites(3, 7))
        .unwrap();
    for (path, etag) in paths.iter().zip(&tags).skip(3) {
        let r = client
            .get(app.url(path))
            .header("if-none-match", etag)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{path} after an import");
        assert_ne!(r.headers()["etag"], etag.as_str(), "{path}");
    }
    app.stop().await;
}

/// Behind a TLS proxy the `next` links of `/api/v1/sites` and of the OGC items agree: both
/// `https://` and the forwarded host.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_a_proxy_the_next_links_of_api_and_ogc_agree() {
    let app = spawn_app().await;
    let proxy = [
        ("host", "127.0.0.1:9"),
        ("x-forwarded-proto", "https"),
        ("x-forwarded-host", "atlas.example.org"),
    ];
    let api = get_with(&app.url("/api/v1/sites?limit=2"), &proxy).await;
    let ogc = get_with(&app.url("/ogc/collections/sites/items?limit=2"), &proxy).await;
    let api_next = href(&api.body, "next").expect("a next page on /api/v1/sites");
    let ogc_next = href(&ogc.body, "next").expect("a next page on /ogc items");
    assert!(
        api_next.starts_with("https://atlas.example.org/api/v1/sites?"),
        "{api_next}"
    );
    assert!(
        ogc_next.starts_with("https://atlas.example.org/ogc/collections/sites/items?"),
        "{ogc_next}"
    );
    // Only the protocol: the host of the request.
    let tls = [("x-forwarded-proto", "https")];
    let api = get_with(&app.url("/api/v1/sites?limit=2"), &tls).await;
    let ogc = get_with(&app.url("/ogc/collections/sites/items?limit=2"), &tls).await;
    let host = app.server.addr.to_string();
    for next in [href(&api.body, "next"), href(&ogc.body, "next")] {
        let next = next.unwrap();
        assert!(next.starts_with(&format!("https://{host}/")), "{next}");
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_query_strings_never_crash_and_always_answer_json() {
    let app = spawn_app().await;
    let keys = [
        "bbox",
        "limit",
        "offset",
        "chain",
        "link",
        "kind",
        "level",
        "status",
        "scope",
        "town",
        "town_code",
        "q",
        "category",
        "datetime",
        "f",
        "x",
        "",
    ];
    let values = [
        "",
        "0",
        "1",
        "-1",
        "10001",
        "1e3",
        "petrochemical",
        "%E7%9F%B3",
        "%",
        "%ZZ",
        "%E7%9F",
        "110,21,111,22",
        "1,2,3,4,5,6",
        "nan,nan,nan,nan",
        ",,,",
        "..",
        "2021-01-01/..",
        "json",
        "html",
        "a&b",
        "%00",
        "18446744073709551616",
        "九",
        "'; DROP TABLE sites; --",
    ];
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = |n: usize| {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((seed >> 33) as usize) % n
    };
    let collections = ["sites", "carrier_platform"];
    for _ in 0..150 {
        let pairs: Vec<String> = (0..1 + next(4))
            .map(|_| format!("{}={}", keys[next(keys.len())], values[next(values.len())]))
            .collect();
        let url = app.url(&format!(
            "/ogc/collections/{}/items?{}",
            collections[next(2)],
            pairs.join("&")
        ));
        let r = get(&url).await;
        assert!(
            r.status == 200 || r.status == 400 || r.status == 404,
            "{url}: {} {}",
            r.status,
            r.body
        );
        if r.status != 200 {
            assert!(r.body["error"]["code"].is_string(), "{url}");
        }
    }
    app.stop().await;
}

// ---------------------------------------------------------------------------------------------
// GDAL
// ---------------------------------------------------------------------------------------------

/// Runs `ogrinfo` with `args`; returns stdout and stderr. GDAL's own debug output is on, so
/// stderr shows the URLs it fetched.
async fn ogrinfo(args: &[&str]) -> (String, String) {
    let out = tokio::process::Command::new("ogrinfo")
        .args(args)
        .env("CPL_DEBUG", "ON")
        .env("GDAL_HTTP_TIMEOUT", "30")
        .kill_on_drop(true)
        .output()
        .await
        .expect("ogrinfo (Debian package gdal-bin; tests/run-all.sh installs it) must be on PATH");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        out.status.success(),
        "ogrinfo {args:?} failed:\n{stdout}\n{stderr}"
    );
    (stdout, stderr)
}

fn feature_count(stdout: &str) -> u64 {
    stdout
        .lines()
        .find_map(|l| l.strip_prefix("Feature Count: "))
        .unwrap_or_else(|| panic!("no feature count in:\n{stdout}"))
        .trim()
        .parse()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gdal_lists_the_four_collections() {
    let app = spawn_app().await;
    let ds = format!("OAPIF:{}", app.url("/ogc"));
    let (out, _) = ogrinfo(&["-ro", &ds]).await;
    for (i, id) in [
        "sites",
        "innovation_resource",
        "carrier_platform",
        "key_enterprise",
    ]
    .iter()
    .enumerate()
    {
        assert!(out.contains(&format!("{}: {id}", i + 1)), "{out}");
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gdal_counts_as_many_sites_as_the_store_and_reads_the_extent() {
    let app = spawn_app().await;
    let ds = format!("OAPIF:{}", app.url("/ogc"));
    let (out, _) = ogrinfo(&["-ro", "-al", "-so", &ds, "sites"]).await;
    assert_eq!(feature_count(&out), app.count(""), "{out}");
    assert!(out.contains("Extent: ("), "{out}");
    assert!(out.contains("name_zh: String"), "{out}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gdal_reads_every_carrier_platform_with_chinese_names_intact() {
    let app = spawn_app().await;
    let ds = format!("OAPIF:{}", app.url("/ogc"));
    let (out, _) = ogrinfo(&["-ro", "-al", &ds, "carrier_platform"]).await;
    let expected = app
        .store()
        .query(&SiteFilter::parse_query("category=carrier_platform").unwrap())
        .unwrap();
    assert!(!expected.is_empty());
    assert_eq!(
        out.matches("OGRFeature(carrier_platform)").count(),
        expected.len(),
        "GDAL follows the next links through every page"
    );
    for s in &expected {
        assert!(
            out.contains(&format!("name_zh (String) = {}", s.name_zh)),
            "{} missing or garbled",
            s.name_zh
        );
    }
    assert!(!out.contains("OGRFeature(carrier_platform):0\n  category (String) = key_enterprise"));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gdal_sends_a_spatial_filter_as_bbox() {
    let app = spawn_app().await;
    let ds = format!("OAPIF:{}", app.url("/ogc"));
    // The lower left quarter of the sites' extent (GDAL sends no box that holds the extent).
    let located = app
        .store()
        .query(&SiteFilter::parse_query("located=true").unwrap())
        .unwrap();
    let mut boxes = located.iter().filter_map(|s| s.bbox());
    let first = boxes.next().unwrap();
    let e = boxes.fold(first, |b, s| b.union(&s));
    let round = |v: f64| (v * 1000.0).round() / 1000.0;
    let (x0, y0) = (round(e.min_lon - 0.001), round(e.min_lat - 0.001));
    let (x1, y1) = (
        round((e.min_lon + e.max_lon) / 2.0),
        round((e.min_lat + e.max_lat) / 2.0),
    );
    let [a, b, c, d] = [x0, y0, x1, y1].map(|v| v.to_string());
    let (out, err) = ogrinfo(&["-ro", "-al", "-so", "-spat", &a, &b, &c, &d, &ds, "sites"]).await;
    assert!(
        err.contains(&format!("bbox={a}")),
        "GDAL should pass the box to the server:\n{err}"
    );
    let expected = app.count(&format!("bbox={a},{b},{c},{d}"));
    assert!(expected > 0 && expected < app.count(""));
    // GDAL re-checks the geometry itself: identical for points; a polygon whose bounds touch
    // the box without its shape doing so would be dropped on the client.
    assert!(feature_count(&out) <= expected, "{out}");
    assert!(feature_count(&out) >= expected - 2, "{out}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gdal_sends_an_attribute_filter_on_a_declared_property_to_the_server() {
    let app = spawn_app().await;
    let ds = format!("OAPIF:{}", app.url("/ogc"));
    let (out, err) = ogrinfo(&[
        "-ro",
        "-al",
        "-so",
        "-where",
        "kind = 'incubator'",
        &ds,
        "sites",
    ])
    .await;
    // The API declares CQL text (`filter-lang`), so GDAL sends the filter as CQL.
    assert!(
        err.contains("filter=kind") && err.contains("filter-lang=cql-text"),
        "GDAL should pass the filter to the server:\n{err}"
    );
    assert_eq!(feature_count(&out), app.count("kind=incubator"), "{out}");
    app.stop().await;
}

/// The default dataset's sites without location (precision `unknown`).
fn unlocated(app: &App) -> Vec<atlas_core::Site> {
    let sites = app
        .store()
        .query(&SiteFilter::parse_query("precision=unknown").unwrap())
        .unwrap();
    assert!(
        !sites.is_empty(),
        "the default dataset has sites without location"
    );
    sites
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gdal_reads_sites_without_location_from_oapif_as_features_without_geometry() {
    let app = spawn_app().await;
    let unknown = unlocated(&app).len();
    let ds = format!("OAPIF:{}", app.url("/ogc"));
    let (out, _) = ogrinfo(&["-ro", "-al", &ds, "sites"]).await;
    let all = app.count("");
    assert_eq!(out.matches("OGRFeature(sites)").count() as u64, all);
    let drawn = out.matches("  POINT (").count() + out.matches("  POLYGON (").count();
    assert_eq!(drawn as u64, all - unknown as u64, "{out:.2000}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gdal_reads_a_geojson_export_with_null_geometries() {
    let app = spawn_app().await;
    let unknown = unlocated(&app).len();
    let bytes = reqwest::get(app.url("/api/v1/export?format=geojson"))
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let fc: Value = serde_json::from_slice(&bytes).unwrap();
    let nulls = fc["features"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["geometry"].is_null())
        .count();
    assert_eq!(nulls, unknown);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sites.geojson");
    std::fs::write(&path, &bytes).unwrap();
    let path = path.to_str().unwrap();
    let (summary, _) = ogrinfo(&["-ro", "-al", "-so", path]).await;
    assert_eq!(feature_count(&summary), app.count(""), "{summary}");
    let (out, _) = ogrinfo(&["-ro", "-al", path]).await;
    let drawn = out.matches("  POINT (").count() + out.matches("  POLYGON (").count();
    assert_eq!(drawn as u64, app.count("") - unknown as u64);
    app.stop().await;
}

/// The old fallback point (the district boundary's representative point, ≈ 110.879 E
/// 21.678 N) appears in no answer: exports in every format, `/api/v1` and `/ogc`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_answer_places_a_site_without_location_at_the_old_district_point() {
    let app = spawn_app().await;
    let unknown = unlocated(&app);
    let rep = atlas_core::dataset::Reference::embedded()
        .unwrap()
        .district
        .representative_point()
        .unwrap();
    let (lon, lat) = (rep.lon.get().to_string(), rep.lat.get().to_string());
    let text = |url: String| async move {
        let r = reqwest::get(&url).await.unwrap();
        assert!(r.status().is_success(), "{url}");
        r.bytes().await.unwrap().to_vec()
    };
    let mut urls = vec![
        app.url("/api/v1/sites?limit=10000"),
        app.url("/api/v1/sites?located=false"),
        app.url("/ogc/collections/sites/items?limit=1000"),
        app.url("/api/v1/export?format=csv"),
        app.url("/api/v1/export?format=geojson"),
        app.url("/api/v1/export?format=kml"),
    ];
    for s in &unknown {
        urls.push(app.url(&format!("/api/v1/sites/{}", s.id)));
        urls.push(app.url(&format!("/ogc/collections/sites/items/{}", s.id)));
    }
    for url in urls {
        let body = String::from_utf8(text(url.clone()).await).unwrap();
        assert!(!body.contains(&lon) && !body.contains(&lat), "{url}");
    }
    // XLSX: no cell holds the point; the sites without location have empty lon/lat.
    let xlsx = text(app.url("/api/v1/export?format=xlsx")).await;
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(xlsx)).unwrap();
    use calamine::Reader;
    let range = book
        .worksheet_range(atlas_core::export::XLSX_DATA_SHEET)
        .unwrap();
    for cell in range.used_cells() {
        let v = cell.2.to_string();
        assert!(v != lon && v != lat, "cell {:?}", (cell.0, cell.1));
    }
    // Each site without location is a feature with geometry null in /api/v1 and /ogc.
    for s in &unknown {
        for path in [
            format!("/api/v1/sites/{}", s.id),
            format!("/ogc/collections/sites/items/{}", s.id),
        ] {
            let v: Value = serde_json::from_slice(&text(app.url(&path)).await).unwrap();
            assert!(v["geometry"].is_null(), "{path}: {v}");
            assert_eq!(v["properties"]["location_precision"], "unknown", "{path}");
        }
    }
    app.stop().await;
}

// ---------------------------------------------------------------------------------------------
// Part 3 (CQL2 filters, queryables) and Part 2 (CRS)
// ---------------------------------------------------------------------------------------------

/// Percent-encodes a query value (everything but ASCII letters and digits).
fn pct(v: &str) -> String {
    percent_encoding::utf8_percent_encode(v, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// The store's ids of the sites of a CQL2 filter (with other query parameters `extra`).
fn store_ids(app: &App, cql: &str, extra: &str) -> Vec<String> {
    let mut f = SiteFilter::parse_query(extra).unwrap();
    f.apply("filter", cql).unwrap();
    app.store()
        .query(&f)
        .unwrap()
        .iter()
        .map(|s| s.id.to_string())
        .collect()
}

const FILTERS: &[&str] = &[
    "chain = 'petrochemical'",
    "chain = 'petrochemical' AND status = 'operating'",
    "category = 'key_enterprise' AND (town = '440902100' OR town = '440902103')",
    "NOT (chain = 'petrochemical') AND level IN ('provincial', 'national')",
    "name_zh LIKE '%园%' OR name_en IS NULL",
    "S_INTERSECTS(geometry, BBOX(110.85, 21.6, 110.95, 21.7))",
    "S_INTERSECTS(geometry, POLYGON((110.8 21.55, 111.0 21.55, 111.0 21.75, 110.8 21.55)))",
    "geometry IS NULL OR precision = 'town'",
    r#"{"op":"and","args":[{"op":"=","args":[{"property":"kind"},"incubator"]},{"op":"<>","args":[{"property":"status"},"planned"]}]}"#,
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conformance_declares_crs_queryables_filter_and_the_cql2_classes() {
    let app = spawn_app().await;
    let r = get(&app.url("/ogc/conformance")).await;
    let classes = r.body["conformsTo"].to_string();
    for c in [
        "ogcapi-features-2/1.0/conf/crs",
        "ogcapi-features-3/1.0/conf/queryables",
        "ogcapi-features-3/1.0/conf/filter",
        "ogcapi-features-3/1.0/conf/features-filter",
        "cql2/1.0/conf/cql2-text",
        "cql2/1.0/conf/cql2-json",
        "cql2/1.0/conf/basic-cql2",
        "cql2/1.0/conf/advanced-comparison-operators",
        "cql2/1.0/conf/basic-spatial-functions",
    ] {
        assert!(classes.contains(c), "{c} missing: {classes}");
    }
    // Not implemented, so not declared.
    for c in [
        "/conf/spatial-functions\"",
        "temporal-functions",
        "case-insensitive",
        "arithmetic",
    ] {
        assert!(!classes.contains(c), "{c} declared: {classes}");
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queryables_list_the_properties_with_titles_and_allowed_values() {
    let app = spawn_app().await;
    let c = get(&app.url("/ogc/collections/sites")).await;
    let url = href(&c.body, "http://www.opengis.net/def/rel/ogc/1.0/queryables").unwrap();
    assert_eq!(url, app.url("/ogc/collections/sites/queryables"));
    let r = get(&url).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.content_type, "application/schema+json");
    let p = &r.body["properties"];
    assert!(
        p["chain"]["enum"].to_string().contains("petrochemical"),
        "{p}"
    );
    assert!(
        p["link"]["enum"].to_string().contains("petrochemical."),
        "{p}"
    );
    assert!(p["town"]["enum"].to_string().contains("440902"), "{p}");
    assert!(p["kind"]["enum"].to_string().contains("incubator"), "{p}");
    assert_eq!(p["kind"]["title_zh"], "类型");
    assert_eq!(p["geometry"]["format"], "geometry-any");
    assert_eq!(p["area_m2"]["type"], "number");
    let one = get(&app.url("/ogc/collections/carrier_platform/queryables")).await;
    assert!(one.body["properties"].get("category").is_none());
    assert_error(
        &get(&app.url("/ogc/collections/nope/queryables")).await,
        404,
        "not_found",
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cql2_filters_return_exactly_the_stores_rows_on_ogc_and_api() {
    let app = spawn_app().await;
    for cql in FILTERS {
        let want = store_ids(&app, cql, "");
        let url = app.url(&format!(
            "/ogc/collections/sites/items?filter={}&limit=10000",
            pct(cql)
        ));
        let r = get(&url).await;
        assert_eq!(r.status, 200, "{cql}: {}", r.body);
        assert_eq!(ids(&r.body), want, "{cql}");
        assert_eq!(r.body["numberMatched"], want.len(), "{cql}");
        let api = get(&app.url(&format!("/api/v1/sites?filter={}&limit=10000", pct(cql)))).await;
        assert_eq!(ids(&api.body), want, "/api/v1 {cql}");
        // With a property filter and a page: the same rows, ANDed, paged.
        let want = store_ids(&app, cql, "scope=local&limit=3&offset=1");
        let r = get(&app.url(&format!(
            "/ogc/collections/sites/items?filter={}&scope=local&limit=3&offset=1",
            pct(cql)
        )))
        .await;
        assert_eq!(ids(&r.body), want, "{cql} paged");
        if let Some(next) = href(&r.body, "next") {
            assert_eq!(get(&next).await.status, 200, "{next}");
        }
    }
    let n = store_ids(&app, FILTERS[1], "").len();
    assert!(
        n > 0,
        "the default dataset has operating petrochemical sites"
    );
    let json = get(&app.url(&format!(
        "/ogc/collections/sites/items?filter-lang=cql2-json&filter={}",
        pct(r#"{"op":"=","args":[{"property":"chain"},"petrochemical"]}"#)
    )))
    .await;
    assert_eq!(
        json.body["numberMatched"],
        store_ids(&app, FILTERS[0], "").len()
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_and_unsupported_filters_are_400_naming_the_problem() {
    let app = spawn_app().await;
    for (cql, code, needle) in [
        ("chain = ", "invalid_filter", "cql2-text"),
        ("colour = 'red'", "invalid_filter", "colour"),
        ("kind = 'factory'", "unknown_value", "factory"),
        (
            "S_WITHIN(geometry, POINT(110.9 21.7))",
            "unsupported_filter",
            "s_within",
        ),
        (
            "T_BEFORE(updated_at, TIMESTAMP('2020-01-01T00:00:00Z'))",
            "unsupported_filter",
            "t_before",
        ),
        ("CASEI(name_zh) = 'x'", "unsupported_filter", "casei"),
    ] {
        for path in ["/ogc/collections/sites/items", "/api/v1/sites"] {
            let r = get(&app.url(&format!("{path}?filter={}", pct(cql)))).await;
            assert_error(&r, 400, code);
            let m = r.body["error"]["message"].as_str().unwrap();
            assert!(m.contains(needle), "{path} {cql}: {m}");
        }
    }
    let r = get(
        &app.url("/ogc/collections/sites/items?filter=kind%3D%27incubator%27&filter-lang=ecql")
    )
    .await;
    assert_error(&r, 400, "invalid_parameter");
    app.stop().await;
}

async fn get_raw(url: &str) -> (u16, String, Value) {
    let res = reqwest::get(url).await.unwrap();
    let status = res.status().as_u16();
    let crs = res
        .headers()
        .get("content-crs")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, crs, res.json().await.unwrap())
}

fn coordinates(page: &Value) -> Vec<(String, Vec<f64>)> {
    page["features"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["geometry"]["type"] == "Point")
        .map(|f| {
            let c = f["geometry"]["coordinates"].as_array().unwrap();
            (
                f["id"].as_str().unwrap().to_string(),
                c.iter().map(|x| x.as_f64().unwrap()).collect(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn epsg_4326_and_4490_are_lat_lon_and_bbox_crs_selects_the_same_sites() {
    let app = spawn_app().await;
    let base = app.url("/ogc/collections/sites/items?limit=10000");
    let (status, crs, lon_lat) = get_raw(&base).await;
    assert_eq!(status, 200);
    assert_eq!(crs, "<http://www.opengis.net/def/crs/OGC/1.3/CRS84>");
    let lon_lat = coordinates(&lon_lat);
    assert!(!lon_lat.is_empty());
    for code in ["4326", "4490"] {
        let uri = format!("http://www.opengis.net/def/crs/EPSG/0/{code}");
        let (status, crs, page) = get_raw(&format!("{base}&crs={}", pct(&uri))).await;
        assert_eq!(status, 200, "{page}");
        assert_eq!(crs, format!("<{uri}>"));
        let swapped: Vec<(String, Vec<f64>)> = lon_lat
            .iter()
            .map(|(id, c)| (id.clone(), vec![c[1], c[0]]))
            .collect();
        assert_eq!(coordinates(&page), swapped, "EPSG:{code} is (lat, lon)");
        if let Some(next) = href(&page, "next") {
            assert!(next.contains("crs="), "{next}");
        }
    }
    // The same box, in CRS84 and as (lat, lon) in EPSG:4490: the same sites.
    let crs84 = get(&format!("{base}&bbox=110.85,21.6,110.95,21.7")).await;
    let cgcs = get(&format!(
        "{base}&bbox=21.6,110.85,21.7,110.95&bbox-crs={}",
        pct("http://www.opengis.net/def/crs/EPSG/0/4490")
    ))
    .await;
    assert!(!ids(&crs84.body).is_empty());
    assert_eq!(ids(&cgcs.body), ids(&crs84.body));
    // A filter's geometry in EPSG:4326 (lat, lon) selects what the CRS84 one does.
    let lat_lon = get(&format!(
        "{base}&filter={}&filter-crs={}",
        pct("S_INTERSECTS(geometry, BBOX(21.6, 110.85, 21.7, 110.95))"),
        pct("http://www.opengis.net/def/crs/EPSG/0/4326")
    ))
    .await;
    assert_eq!(ids(&lat_lon.body), ids(&crs84.body));
    // One feature, and a CRS not offered.
    let first = &lon_lat[0];
    let (_, crs, f) = get_raw(&app.url(&format!(
        "/ogc/collections/sites/items/{}?crs=EPSG:4490",
        first.0
    )))
    .await;
    assert_eq!(crs, "<http://www.opengis.net/def/crs/EPSG/0/4490>");
    assert_eq!(f["geometry"]["coordinates"][0].as_f64(), Some(first.1[1]));
    assert_error(
        &get(&format!("{base}&crs=EPSG:3857")).await,
        400,
        "unsupported_crs",
    );
    let coll = get(&app.url("/ogc/collections/sites")).await;
    assert_eq!(
        coll.body["storageCrs"],
        "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
    );
    assert!(coll.body["crs"].to_string().contains("EPSG/0/4490"));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gdal_sends_a_cql_filter_to_the_server_and_counts_as_the_api() {
    let app = spawn_app().await;
    let ds = format!("OAPIF:{}", app.url("/ogc"));
    for (where_, cql) in [
        ("chains = 'petrochemical'", "chain = 'petrochemical'"),
        (
            "kind = 'incubator' OR status = 'planned'",
            "kind = 'incubator' OR status = 'planned'",
        ),
    ] {
        let (out, err) = ogrinfo(&["-ro", "-al", "-so", "-where", where_, &ds, "sites"]).await;
        assert!(
            err.contains("filter=") && err.contains("filter-lang=cql-text"),
            "GDAL should send the filter to the server:\n{err}"
        );
        let want = store_ids(&app, cql, "").len() as u64;
        assert!(want > 0);
        assert_eq!(feature_count(&out), want, "{where_}: {out}");
    }
    app.stop().await;
}

/// The Python that has PyQGIS (Debian `python3-qgis`), when there is one.
fn pyqgis() -> Option<&'static str> {
    ["/usr/bin/python3", "python3"].into_iter().find(|py| {
        std::process::Command::new(py)
            .args(["-c", "import qgis.core"])
            .env("QT_QPA_PLATFORM", "offscreen")
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn qgis_opens_a_layer_with_a_subset_filter_and_counts_as_the_api() {
    let Some(py) = pyqgis() else {
        eprintln!("skipped: PyQGIS is not installed (Debian: apt-get install python3-qgis qgis-providers)");
        return;
    };
    let app = spawn_app().await;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/qgis_count.py");
    for (subset, cql) in [
        ("", "true"),
        (
            "\"kind\" = 'incubator' AND \"status\" = 'operating'",
            "kind = 'incubator' AND status = 'operating'",
        ),
        ("\"town_code\" = '440902100'", "town = '440902100'"),
    ] {
        let out = tokio::process::Command::new(py)
            .args([script, &app.url("/ogc"), "sites", subset])
            .env("QT_QPA_PLATFORM", "offscreen")
            .kill_on_drop(true)
            .output()
            .await
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{subset}: {stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let count: usize = stdout
            .lines()
            .find_map(|l| l.strip_prefix("COUNT "))
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        assert_eq!(count, store_ids(&app, cql, "").len(), "{subset}: {stdout}");
    }
    app.stop().await;
}
