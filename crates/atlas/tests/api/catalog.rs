//! Facets, chains, divisions, boundary, indicators, vocabularies, OpenAPI, healthz.

use crate::helpers::{spawn_app, spawn_app_with_synthetic, strs};
use reqwest::StatusCode;
use serde_json::Value;

fn arr<'a>(v: &'a Value, key: &str) -> &'a Vec<Value> {
    v[key]
        .as_array()
        .unwrap_or_else(|| panic!("{key} is an array"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_facet_counts_the_filter_without_its_own_parameter() {
    let app = spawn_app_with_synthetic(300).await;
    let filter = "chain=petrochemical,health&scope=local&kind=incubator,enterprise,university";
    let facets = app.json(&format!("/api/v1/facets?{filter}")).await;
    let total = app.expected_ids(filter).await.len() as u64;
    assert_eq!(facets["total"], total);
    let pairs: Vec<(&str, &str)> = filter
        .split('&')
        .map(|p| p.split_once('=').unwrap())
        .collect();
    for dim in [
        "category", "kind", "chain", "link", "level", "status", "scope", "town",
    ] {
        let without: Vec<String> = pairs
            .iter()
            .filter(|(k, _)| *k != dim)
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let values = arr(&facets["facets"], dim);
        assert!(!values.is_empty(), "{dim} has values");
        let mut checked = 0;
        for v in values {
            let id = v["id"].as_str().unwrap();
            let count = v["count"].as_u64().unwrap();
            // Check every non-zero value and a few zero ones (the rest would only repeat).
            if count == 0 && checked > 3 {
                continue;
            }
            let mut qs = without.clone();
            qs.push(format!("{dim}={id}"));
            let expected = app.expected_ids(&qs.join("&")).await.len() as u64;
            assert_eq!(count, expected, "facet {dim}={id} under {filter}");
            assert!(
                !v["name_zh"].as_str().unwrap().is_empty(),
                "{dim}={id} has a Chinese label"
            );
            assert!(
                !v["name_en"].as_str().unwrap().is_empty(),
                "{dim}={id} has an English label"
            );
            let selected = pairs
                .iter()
                .any(|(k, vals)| *k == dim && vals.split(',').any(|x| x == id));
            assert_eq!(v["selected"], selected, "{dim}={id}");
            checked += 1;
        }
    }
    let kind = arr(&facets["facets"], "kind");
    assert!(
        kind.iter().all(|k| k["category"].is_string()),
        "kinds name their category"
    );
    let link = arr(&facets["facets"], "link");
    assert!(
        link.iter().all(|l| l["chain"].is_string()),
        "links name their chain"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn facets_of_the_whole_catalogue_add_up_to_the_total() {
    let app = spawn_app().await;
    let facets = app.json("/api/v1/facets").await;
    let total = facets["total"].as_u64().unwrap();
    assert_eq!(total, app.all_sites().await.len() as u64);
    for dim in ["category", "kind", "level", "status", "scope"] {
        let sum: u64 = arr(&facets["facets"], dim)
            .iter()
            .map(|v| v["count"].as_u64().unwrap())
            .sum();
        assert_eq!(sum, total, "every site has exactly one {dim}");
    }
    let petro = arr(&facets["facets"], "chain")
        .iter()
        .find(|c| c["id"] == "petrochemical")
        .unwrap();
    assert_eq!(petro["name_zh"], "石油化工");
    assert_eq!(petro["name_en"], "Petrochemicals");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chains_list_their_ordered_links_with_the_counts_of_the_sites_route() {
    let app = spawn_app_with_synthetic(200).await;
    let v = app.json("/api/v1/chains").await;
    let chains = arr(&v, "chains");
    assert_eq!(chains.len(), 7);
    let orders: Vec<u64> = chains
        .iter()
        .map(|c| c["order"].as_u64().unwrap())
        .collect();
    assert!(orders.windows(2).all(|w| w[0] <= w[1]), "chains in order");
    for c in chains {
        let id = c["id"].as_str().unwrap();
        let n = app.expected_ids(&format!("chain={id}")).await.len() as u64;
        assert_eq!(c["total"], n, "chain {id}");
        let by_cat: u64 = arr(c, "by_category")
            .iter()
            .map(|x| x["count"].as_u64().unwrap())
            .sum();
        assert_eq!(by_cat, n);
        let links = arr(c, "links");
        assert!(!links.is_empty());
        let lo: Vec<u64> = links.iter().map(|l| l["order"].as_u64().unwrap()).collect();
        assert!(lo.windows(2).all(|w| w[0] < w[1]), "links upstream first");
        for l in links {
            let lid = l["id"].as_str().unwrap();
            assert!(lid.starts_with(&format!("{id}.")));
            let n = app.expected_ids(&format!("link={lid}")).await.len() as u64;
            assert_eq!(l["total"], n, "link {lid}");
            assert!(l["name_zh"].is_string());
        }
        assert!(c["sites"]["href"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/api/v1/sites?chain={id}")));
    }

    let one = app.json("/api/v1/chains/petrochemical").await;
    assert_eq!(one["id"], "petrochemical");
    assert_eq!(one["name_zh"], "石油化工");
    assert_eq!(
        &one,
        chains.iter().find(|c| c["id"] == "petrochemical").unwrap()
    );

    // A filter restricts the counted sites.
    let local = app.json("/api/v1/chains/petrochemical?scope=local").await;
    let n = app
        .expected_ids("chain=petrochemical&scope=local")
        .await
        .len() as u64;
    assert_eq!(local["total"], n);

    let msg = app
        .assert_error(
            "/api/v1/chains/no_such_chain",
            StatusCode::NOT_FOUND,
            "not_found",
        )
        .await;
    assert!(
        msg.contains("no_such_chain") && msg.contains("petrochemical"),
        "{msg}"
    );
    app.assert_error(
        "/api/v1/chains/Not%20A%20Chain",
        StatusCode::BAD_REQUEST,
        "invalid_id",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn divisions_name_every_township_and_the_source_of_each_seat() {
    let app = spawn_app().await;
    let v = app.json("/api/v1/divisions").await;
    let d = arr(&v, "divisions");
    assert_eq!(d.len(), 17);
    for x in d {
        assert_eq!(x["code"].as_str().unwrap().len(), 9);
        assert!(x["name_zh"].is_string() && x["name_en"].is_string());
        assert!(x["type"] == "subdistrict" || x["type"] == "town");
        if let Some(seat) = x["seat"].as_object() {
            assert!(seat["lon"].is_f64() && seat["lat"].is_f64());
            assert!(!seat["source"].as_str().unwrap().is_empty());
            assert!(seat["source_crs"].is_string());
        }
    }
    assert!(
        d.iter().any(|x| x["seat"].is_object()),
        "some seats are known"
    );
    let hexi = d.iter().find(|x| x["code"] == "440902002").unwrap();
    assert_eq!(hexi["name_zh"], "河西街道");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_boundary_and_its_context_are_geojson_with_their_sources() {
    let app = spawn_app().await;
    let r = app.get("/api/v1/boundary").await;
    assert_eq!(r.headers()["content-type"], "application/geo+json");
    let b: Value = r.json().await.unwrap();
    assert_eq!(b["type"], "FeatureCollection");
    let f = &b["features"][0];
    assert_eq!(f["geometry"]["type"], "MultiPolygon");
    assert_eq!(f["properties"]["name_zh"], "茂南区");
    assert!(f["properties"]["source"]
        .as_str()
        .unwrap()
        .contains("cnmaps"));
    let c = app.json("/api/v1/boundary/context").await;
    assert_eq!(c["type"], "FeatureCollection");
    assert!(arr(&c, "features").len() > 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn indicators_carry_baseline_target_source_and_the_catalogues_own_count() {
    let app = spawn_app().await;
    let v = app.json("/api/v1/indicators").await;
    let inds = arr(&v, "indicators");
    assert!(!inds.is_empty());
    let mut counted = 0;
    for i in inds {
        assert!(i["name_zh"].is_string() && i["source"].is_string());
        assert!(i["target"].is_number() || i["target"].is_null());
        if i["measure"] == "count" {
            counted += 1;
            let filter = i["count_filter"].as_str().unwrap();
            let n = app.expected_ids(filter).await.len() as f64;
            assert_eq!(i["catalogue_value"].as_f64().unwrap(), n, "{}", i["id"]);
            if let Some(t) = i["target"].as_f64().filter(|t| *t != 0.0) {
                let pct = i["percent_of_target"].as_f64().unwrap();
                assert!((pct - (n / t * 100.0)).abs() < 0.051, "{}: {pct}", i["id"]);
            }
            let href = i["sites"]["href"].as_str().unwrap();
            let path = href.strip_prefix(&app.base).unwrap();
            let fc = app.json(path).await;
            assert_eq!(fc["numberMatched"].as_f64().unwrap(), n, "{href}");
        }
        if i["measure"] == "none" {
            assert!(i["catalogue_value"].is_null() && i["percent_of_target"].is_null());
        }
    }
    assert!(counted > 0);
    let hte = inds
        .iter()
        .find(|i| i["id"] == "high_tech_enterprises")
        .unwrap();
    assert_eq!(hte["baseline"], 56.0);
    assert_eq!(hte["target"], 70.0);
    assert!(hte["source_quote"]
        .as_str()
        .unwrap()
        .contains("高新技术企业"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vocabularies_give_every_value_with_chinese_and_english_labels() {
    let app = spawn_app().await;
    let v = app.json("/api/v1/vocabularies").await;
    let cats = arr(&v, "category");
    assert_eq!(cats.len(), 3);
    let kinds_in_categories: usize = cats.iter().map(|c| arr(c, "kinds").len()).sum();
    assert_eq!(kinds_in_categories, arr(&v, "kind").len());
    let platform = cats.iter().find(|c| c["id"] == "carrier_platform").unwrap();
    assert_eq!(platform["name_zh"], "载体平台");
    assert!(arr(platform, "kinds")
        .iter()
        .any(|k| k["id"] == "incubator" && k["name_zh"] == "孵化器"));
    for key in ["level", "status", "scope", "location_precision", "kind"] {
        for t in arr(&v, key) {
            assert!(
                t["id"].is_string() && t["name_zh"].is_string() && t["name_en"].is_string(),
                "{key}"
            );
        }
    }
    assert!(arr(&v, "location_precision")
        .iter()
        .any(|p| p["approximate"] == true));
    let formats: Vec<&str> = arr(&v, "export_format")
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    assert_eq!(formats, ["xlsx", "csv", "geojson", "kml", "gpkg"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_describes_every_api_route() {
    let app = spawn_app().await;
    let doc = app.json("/api/v1/openapi.json").await;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    for p in [
        "/api/v1/sites",
        "/api/v1/sites/{id}",
        "/api/v1/facets",
        "/api/v1/chains",
        "/api/v1/chains/{id}",
        "/api/v1/chains/{id}/analysis",
        "/api/v1/chains/{id}/report",
        "/api/v1/match",
        "/api/v1/divisions",
        "/api/v1/divisions/counts",
        "/api/v1/boundary",
        "/api/v1/boundary/context",
        "/api/v1/indicators",
        "/api/v1/indicators/export",
        "/api/v1/vocabularies",
        "/api/v1/export",
        "/api/v1/openapi.json",
        "/api/v1/sites/{id}/history",
        "/api/v1/deleted",
        "/api/v1/stale",
    ] {
        assert!(paths.contains_key(p), "{p} is documented");
        // And the documented route answers.
        let concrete = p.replace(
            "{id}",
            if p.contains("chains") {
                "health"
            } else {
                "gdupt"
            },
        );
        let r = app.get(&concrete).await;
        assert_eq!(r.status(), StatusCode::OK, "{concrete}");
    }
    let params: Vec<&str> = strs(&doc["paths"]["/api/v1/sites"]["get"]["parameters"], "name");
    for f in atlas_core::filter::FILTER_PARAMS {
        assert!(params.contains(f), "sites documents {f}");
    }
    assert!(doc["components"]["schemas"]["ErrorBody"].is_object());
    // The write routes, each with the bearer scheme.
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    for (p, method) in [
        ("/api/v1/sites", "post"),
        ("/api/v1/sites/{id}", "patch"),
        ("/api/v1/sites/{id}", "delete"),
        ("/api/v1/sites/{id}/restore", "post"),
        ("/api/v1/sites/{id}/revert", "post"),
        ("/api/v1/sites/{id}/verify", "post"),
        ("/api/v1/import", "post"),
        ("/api/v1/chains/import", "post"),
        ("/api/v1/indicators/import", "post"),
        ("/api/v1/users", "get"),
        ("/api/v1/users", "post"),
        ("/api/v1/users/{name}", "delete"),
        ("/api/v1/auth/me", "get"),
    ] {
        let op = &doc["paths"][p][method];
        assert!(op.is_object(), "{method} {p} is documented");
        assert!(
            op["security"][0]["bearer"].is_array(),
            "{method} {p} names the bearer scheme"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthz_answers_ok() {
    let app = spawn_app().await;
    let r = app.get("/healthz").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.text().await.unwrap(), "ok");
}

/// One label shape across the API: every schema of the OpenAPI document that carries labels
/// names them `name_zh` and `name_en`, never `zh`/`en`, and the responses follow it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn labels_are_name_zh_and_name_en_on_every_route() {
    let app = spawn_app().await;
    let doc = app.json("/api/v1/openapi.json").await;
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for (name, schema) in schemas {
        if let Some(props) = schema["properties"].as_object() {
            for bare in ["zh", "en", "label_zh", "label_en"] {
                assert!(!props.contains_key(bare), "{name} has a '{bare}' label");
            }
        }
    }
    for name in [
        "FacetValue",
        "CategoryCount",
        "Term",
        "CategoryTerm",
        "KindTerm",
    ] {
        let props = schemas[name]["properties"].as_object().unwrap();
        assert!(
            props.contains_key("name_zh") && props.contains_key("name_en"),
            "{name} documents name_zh and name_en"
        );
    }
    let v = app.json("/api/v1/vocabularies").await;
    assert_eq!(arr(&v, "level")[0]["name_zh"], "国家级");
    let facets = app.json("/api/v1/facets").await;
    let cat = &arr(&facets["facets"], "category")[0];
    assert!(cat["name_zh"].is_string() && cat.get("zh").is_none());
    let chains = app.json("/api/v1/chains").await;
    let by_cat = &arr(&arr(&chains, "chains")[0], "by_category")[0];
    assert!(by_cat["name_en"].is_string() && by_cat.get("en").is_none());
}
