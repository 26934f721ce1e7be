//! `GET /api/v1/sites` and `/api/v1/sites/{id}`: every filter, paging and links.

use crate::helpers::{feature_ids, item_where, spawn_app, spawn_app_with_synthetic};
use reqwest::StatusCode;
use serde_json::Value;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_unfiltered_list_is_a_geojson_feature_collection_of_every_site() {
    let app = spawn_app().await;
    let r = app.get("/api/v1/sites").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "application/geo+json");
    let fc: Value = r.json().await.unwrap();
    assert_eq!(fc["type"], "FeatureCollection");
    let all = app.all_sites().await;
    assert_eq!(fc["numberMatched"], all.len() as u64);
    assert_eq!(fc["numberReturned"], all.len() as u64);
    let ids: Vec<String> = all.iter().map(|s| s.id.to_string()).collect();
    assert_eq!(feature_ids(&fc), ids, "list order is the store's order");
    // The first site with a location (a site without one has `"geometry": null`).
    let features = fc["features"].as_array().unwrap();
    assert!(features.iter().any(|f| f["geometry"].is_null()));
    let f = features.iter().find(|f| !f["geometry"].is_null()).unwrap();
    assert_eq!(f["type"], "Feature");
    let c = f["geometry"]["coordinates"].as_array().unwrap();
    assert!(
        (100.0..120.0).contains(&c[0].as_f64().unwrap()),
        "lon first"
    );
    assert!((15.0..30.0).contains(&c[1].as_f64().unwrap()), "lat second");
    assert!(f["properties"]["name_zh"].as_str().is_some());
    assert!(f["properties"]["category_zh"].as_str().is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_filter_returns_exactly_the_sites_that_match_it() {
    let app = spawn_app_with_synthetic(400).await;
    let all = app.all_sites().await;
    let town = all
        .iter()
        .find_map(|s| s.town_code.clone())
        .expect("synthetic sites have townships")
        .to_string();
    let cases = [
        "category=carrier_platform".to_string(),
        "category=载体平台,key_enterprise".into(),
        "kind=incubator".into(),
        "kind=incubator,maker_space".into(),
        "chain=petrochemical".into(),
        "chain=petrochemical,health".into(),
        "link=petrochemical.fine_chemicals".into(),
        "link=petrochemical.fine_chemicals,health.tcm".into(),
        "level=national".into(),
        "level=provincial,municipal".into(),
        "status=planned".into(),
        "status=under_construction,planned".into(),
        "scope=partner".into(),
        "scope=local".into(),
        format!("town={town}"),
        "bbox=110.85,21.6,110.95,21.7".into(),
        "bbox=100,10,101,11".into(),
        "q=%E7%9F%B3%E5%8C%96".into(), // 石化: a 2-character Chinese word
        "q=%E5%9B%AD%E5%8C%BA".into(), // 园区
        "q=%E5%AD%B5".into(),          // 孵: one character
        "q=university".into(),
        "q=%E7%9F%B3%E5%8C%96+%E5%AD%A6%E9%99%A2".into(), // 石化 学院: both terms
        "chain=petrochemical&category=innovation_resource&scope=local".into(),
        "kind=incubator&bbox=110.85,21.6,110.95,21.7&q=%E5%AD%B5".into(),
        format!("town={town}&chain=petrochemical,digital_economy"),
        "kind=Incubator".into(), // English label, case-insensitive
        "kind=%E5%AD%B5%E5%8C%96%E5%99%A8".into(), // 孵化器: Chinese label
    ];
    let mut narrowing = 0;
    for qs in &cases {
        let expected = app.expected_ids(qs).await;
        let got = app.site_ids(qs).await;
        assert_eq!(got, expected, "filter {qs}");
        let fc = app.json(&format!("/api/v1/sites?{qs}&limit=10000")).await;
        assert_eq!(fc["numberMatched"], expected.len() as u64, "{qs}");
        if !expected.is_empty() && expected.len() < all.len() {
            narrowing += 1;
        }
    }
    assert!(
        narrowing >= cases.len() - 2,
        "nearly every case selects some, not all, sites"
    );
    assert!(app.site_ids("q=%E7%9F%B3%E5%8C%96").await.len() >= 2);
    assert!(app.site_ids("bbox=100,10,101,11").await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limit_and_offset_page_through_the_result_and_links_keep_the_filter() {
    let app = spawn_app_with_synthetic(60).await;
    let filter = "chain=petrochemical,health&q=%E7%9F%B3%E5%8C%96";
    let expected = app.expected_ids(filter).await;
    assert!(
        expected.len() > 4,
        "enough sites to page: {}",
        expected.len()
    );

    let mut url = format!("/api/v1/sites?{filter}&limit=3");
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let fc = app.json(&url).await;
        pages += 1;
        assert_eq!(fc["numberMatched"], expected.len() as u64);
        let ids = feature_ids(&fc);
        assert_eq!(fc["numberReturned"], ids.len() as u64);
        assert!(ids.len() <= 3);
        let links = fc["links"].as_array().unwrap();
        let rel = |r: &str| {
            links
                .iter()
                .find(|l| l["rel"] == r)
                .map(|l| l["href"].as_str().unwrap().to_string())
        };
        let this = rel("self").unwrap();
        assert!(this.starts_with(&app.base), "absolute links: {this}");
        assert!(this.contains("q=%E7%9F%B3%E5%8C%96"), "{this}");
        assert!(this.contains("chain=petrochemical,health"), "{this}");
        assert_eq!(
            rel("prev").is_some(),
            !seen.is_empty(),
            "prev on later pages"
        );
        seen.extend(ids);
        match rel("next") {
            Some(next) => {
                assert!(next.contains("limit=3"), "{next}");
                url = next.strip_prefix(&app.base).unwrap().to_string();
            }
            None => break,
        }
    }
    assert_eq!(
        seen, expected,
        "the pages together are the whole result, in order"
    );
    assert_eq!(pages, expected.len().div_ceil(3));

    let fc = app
        .json(&format!("/api/v1/sites?{filter}&limit=2&offset=1"))
        .await;
    assert_eq!(feature_ids(&fc), expected[1..3].to_vec());
    let past = app
        .json(&format!("/api/v1/sites?{filter}&offset=100000"))
        .await;
    assert_eq!(past["numberReturned"], 0);
    assert_eq!(past["numberMatched"], expected.len() as u64);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_default_page_is_1000_sites_and_10000_is_allowed() {
    let app = spawn_app_with_synthetic(1_100).await;
    let fc = app.json("/api/v1/sites").await;
    assert_eq!(fc["numberReturned"], 1000);
    assert!(fc["numberMatched"].as_u64().unwrap() > 1100);
    let next = item_where(&fc["links"], "rel", "next");
    assert!(next["href"]
        .as_str()
        .unwrap()
        .ends_with("limit=1000&offset=1000"));
    let all = app.json("/api/v1/sites?limit=10000").await;
    assert_eq!(all["numberReturned"], all["numberMatched"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_site_is_a_feature_with_its_version_as_etag() {
    let app = spawn_app().await;
    let r = app.get("/api/v1/sites/gdupt").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "application/geo+json");
    assert_eq!(r.headers()["etag"], "\"1\"");
    let f: Value = r.json().await.unwrap();
    assert_eq!(f["type"], "Feature");
    assert_eq!(f["id"], "gdupt");
    assert_eq!(f["properties"]["name_zh"], "广东石油化工学院");

    // An edit bumps the version, and so the ETag.
    let mut site = app.stored_site("gdupt").await;
    site.notes = Some("edited by a test".into());
    app.import(vec![site]).await;
    let r = app.get("/api/v1/sites/gdupt").await;
    assert_eq!(r.headers()["etag"], "\"2\"");
}
