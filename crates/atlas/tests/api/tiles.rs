//! `/tiles`: vector tiles with exact clusters and their TileJSON. Tiles are decoded with
//! `mvt-reader`, a reader independent of the `mvt` crate that encodes them, and with GDAL.

use crate::helpers::{
    error_of, etag_of, ogrinfo, spawn_app, spawn_app_with_synthetic, strs, TestApp,
};
use atlas_core::tiles::TileId;
use atlas_store::synth::Lcg;
use mvt_reader::feature::Value as Tag;
use reqwest::StatusCode;
use serde_json::Value;
use std::collections::HashMap;

/// A decoded feature: its position in the tile and its properties.
struct Decoded {
    x: f32,
    y: f32,
    props: HashMap<String, Tag>,
}

impl Decoded {
    fn count(&self) -> u64 {
        match self.props.get("count") {
            Some(Tag::UInt(n)) => *n,
            Some(Tag::Int(n) | Tag::SInt(n)) => u64::try_from(*n).unwrap(),
            other => panic!("count: {other:?}"),
        }
    }

    fn text(&self, key: &str) -> Option<&str> {
        match self.props.get(key) {
            Some(Tag::String(s)) => Some(s),
            None => None,
            other => panic!("{key}: {other:?}"),
        }
    }

    fn is_cluster(&self) -> bool {
        matches!(self.props.get("cluster"), Some(Tag::Bool(true)))
    }
}

/// Decodes a tile's bytes: no layer for an empty body, else exactly the layer `sites` (extent
/// 4096) of points.
fn decode(bytes: Vec<u8>) -> Vec<Decoded> {
    if bytes.is_empty() {
        return Vec::new();
    }
    let reader = mvt_reader::Reader::new(bytes).unwrap();
    assert_eq!(reader.get_layer_names().unwrap(), ["sites"]);
    let meta = reader.get_layer_metadata().unwrap();
    assert_eq!(meta[0].extent, 4096);
    reader
        .get_features(0)
        .unwrap()
        .into_iter()
        .map(|f| {
            // mvt-reader returns every POINT geometry as a multipoint: one point each here.
            let p = match f.geometry {
                geo_types::Geometry::Point(p) => p,
                geo_types::Geometry::MultiPoint(m) if m.0.len() == 1 => m.0[0],
                g => panic!("not one point: {g:?}"),
            };
            Decoded {
                x: p.x(),
                y: p.y(),
                props: f.properties.unwrap_or_default(),
            }
        })
        .collect()
}

/// GETs a tile: 200, the MVT media type, its features.
async fn tile(app: &TestApp, t: TileId, qs: &str) -> Vec<Decoded> {
    let path = format!("/tiles/sites/{}/{}/{}.mvt?{qs}", t.z, t.x, t.y);
    let r = app.get(&path).await;
    assert_eq!(r.status(), StatusCode::OK, "{path}");
    assert_eq!(
        r.headers()["content-type"],
        "application/vnd.mapbox-vector-tile"
    );
    decode(r.bytes().await.unwrap().to_vec())
}

/// The tile holding (`lon`, `lat`) at zoom `z`.
fn tile_at(lon: f64, lat: f64, z: u8) -> TileId {
    let (x, y) = atlas_core::tiles::world_position(lon, lat, z);
    let e = f64::from(atlas_core::tiles::EXTENT);
    TileId::new(u64::from(z), (x / e) as u64, (y / e) as u64).unwrap()
}

/// The marker of a GeoJSON feature of `/api/v1/sites`: the point, or a polygon's `lon`/`lat`.
fn marker(f: &Value) -> Option<(f64, f64)> {
    let g = &f["geometry"];
    if g["type"] == "Point" {
        Some((g["coordinates"][0].as_f64()?, g["coordinates"][1].as_f64()?))
    } else {
        Some((
            f["properties"]["lon"].as_f64()?,
            f["properties"]["lat"].as_f64()?,
        ))
    }
}

/// For random filters and random views (a block of tiles at zooms 8 to 16 over the district),
/// the counts of the features decoded from the tiles covering the view add up to the sites
/// whose marker is in the view, as `/api/v1/sites` lists them for the same filter and the
/// union of the tiles as bbox.
///
/// The API's bbox means "the stored bounds meet the box", the tiles place a site by its marker:
/// for a point site (marker = bounds) they agree, so the test checks that `numberMatched` minus
/// the tiles' sum is exactly the number of polygon sites whose bounds meet the view but whose
/// marker lies outside it — and that for point sites alone the two agree one for one. (Edges:
/// the API's box is closed, the tiles' cells half-open; a marker exactly on the view's east or
/// south edge would count in the API and the next tile. The synthetic markers are random, and
/// the edges of tiles are not round numbers, so none lies on one.)
#[tokio::test]
async fn cluster_counts_over_a_view_add_up_to_the_api_number_matched() {
    let app = spawn_app_with_synthetic(3000).await;
    let mut g = Lcg::new(13);
    let filters = [
        "",
        "category=carrier_platform",
        "kind=incubator,maker_space",
        "chain=petrochemical",
        "link=petrochemical.refining",
        "level=provincial,national",
        "status=operating",
        "scope=local",
        "town=440902100,440902103",
        "q=石化",
        "q=园区",
        "precision=town",
        "precision=building,surveyed",
        "category=key_enterprise&chain=health,modern_agriculture",
    ];
    let (mut shown, mut clusters) = (0, 0);
    for round in 0..40 {
        let mut parts: Vec<&str> = Vec::new();
        for _ in 0..=g.below(2) {
            let f = *g.pick(&filters).unwrap();
            if !f.is_empty() {
                parts.push(f);
            }
        }
        let qs = parts.join("&");
        let z = 8 + g.below(9) as u8;
        let (lon, lat) = (110.78 + g.unit() * 0.25, 21.55 + g.unit() * 0.25);
        let first = tile_at(lon, lat, z);
        let (w, h) = (1 + g.below(3) as u32, 1 + g.below(3) as u32);
        let mut sum = 0;
        let mut singles = Vec::new();
        for dx in 0..w {
            for dy in 0..h {
                let t = TileId::new(
                    u64::from(z),
                    u64::from(first.x + dx),
                    u64::from(first.y + dy),
                )
                .unwrap();
                for f in tile(&app, t, &qs).await {
                    sum += f.count();
                    clusters += usize::from(f.is_cluster());
                    assert!((0.0..=4096.0).contains(&f.x) && (0.0..=4096.0).contains(&f.y));
                    if !f.is_cluster() {
                        assert_eq!(f.count(), 1);
                        singles.push(f.text("id").unwrap().to_string());
                    }
                }
            }
        }
        let last = TileId::new(
            u64::from(z),
            u64::from(first.x + w - 1),
            u64::from(first.y + h - 1),
        )
        .unwrap();
        let (nw, se) = (first.bounds(), last.bounds());
        let view = [nw.min_lon, se.min_lat, se.max_lon, nw.max_lat];
        let bbox = view.map(|v| v.to_string()).join(",");
        let sep = if qs.is_empty() { "" } else { "&" };
        let fc = app
            .json(&format!("/api/v1/sites?{qs}{sep}bbox={bbox}&limit=10000"))
            .await;
        let matched = fc["numberMatched"].as_u64().unwrap();
        let features = fc["features"].as_array().unwrap();
        assert_eq!(features.len() as u64, matched, "one page holds every match");
        let inside = |f: &&Value| {
            let (x, y) = marker(f).unwrap();
            x >= view[0] && x <= view[2] && y >= view[1] && y <= view[3]
        };
        let by_marker = features.iter().filter(inside).count() as u64;
        let outside_not_polygon = features
            .iter()
            .filter(|f| !inside(f) && f["geometry"]["type"] != "Polygon")
            .count();
        assert_eq!(sum, by_marker, "round {round}: {qs} z{z} {bbox}");
        assert_eq!(outside_not_polygon, 0, "round {round}: {qs}");
        // Every single site shown is one the API lists.
        let listed: Vec<&str> = features.iter().map(|f| f["id"].as_str().unwrap()).collect();
        assert!(singles.iter().all(|id| listed.contains(&id.as_str())));
        shown += sum;
    }
    // The views held sites, some of them in clusters.
    assert!(shown > 500 && clusters > 20, "{shown} {clusters}");
}

/// A cluster's properties: counts per category and at approximate precision add up, its box
/// lists exactly its sites through the API, and a small one names them.
#[tokio::test]
async fn a_cluster_carries_its_breakdown_its_box_and_its_ids() {
    let app = spawn_app_with_synthetic(1500).await;
    let z = 12;
    let mut seen_small = false;
    let mut seen_large = false;
    for (lon, lat) in [(110.90, 21.66), (110.95, 21.62), (110.85, 21.70)] {
        for f in tile(&app, tile_at(lon, lat, z), "").await {
            if !f.is_cluster() {
                continue;
            }
            let n = |k: &str| match f.props.get(k) {
                Some(Tag::UInt(n)) => *n,
                other => panic!("{k}: {other:?}"),
            };
            assert_eq!(
                n("n_innovation_resource") + n("n_carrier_platform") + n("n_key_enterprise"),
                f.count()
            );
            assert!(n("n_approximate") <= f.count());
            let bbox = f.text("bbox").unwrap();
            let fc = app
                .json(&format!("/api/v1/sites?bbox={bbox}&limit=10000"))
                .await;
            // Point sites in the box are at least the cluster's (polygons and neighbours in
            // other cells may add more).
            assert!(fc["numberMatched"].as_u64().unwrap() >= f.count());
            match f.text("ids") {
                Some(ids) => {
                    seen_small = true;
                    let ids: Vec<&str> = ids.split(',').collect();
                    assert_eq!(ids.len() as u64, f.count());
                    let listed: Vec<&str> = strs(&fc["features"], "id");
                    assert!(ids.iter().all(|id| listed.contains(id)), "{ids:?}");
                }
                None => {
                    seen_large = true;
                    assert!(f.count() > 16);
                }
            }
        }
    }
    assert!(seen_small && seen_large);
}

#[tokio::test]
async fn tiles_have_an_etag_and_answer_304() {
    let app = spawn_app().await;
    let path = "/tiles/sites/10/827/448.mvt?category=carrier_platform";
    let r = app.get(path).await;
    assert_eq!(
        r.headers()["cache-control"],
        "public, max-age=60, must-revalidate"
    );
    let etag = etag_of(&app, path).await;
    let again = app.get_if_none_match(path, &etag).await;
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    // Another tile or another filter is another tag.
    assert_ne!(
        etag,
        etag_of(
            &app,
            "/tiles/sites/10/827/449.mvt?category=carrier_platform"
        )
        .await
    );
    assert_ne!(etag, etag_of(&app, "/tiles/sites/10/827/448.mvt").await);
    let tj = "/tiles/sites.json?chain=petrochemical";
    let etag = etag_of(&app, tj).await;
    let again = app.get_if_none_match(tj, &etag).await;
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
}

#[tokio::test]
async fn an_empty_tile_is_200_with_an_empty_body() {
    let app = spawn_app().await;
    // The Atlantic at zoom 10.
    let r = app.get("/tiles/sites/10/400/400.mvt").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.bytes().await.unwrap().is_empty());
}

#[tokio::test]
async fn bad_tile_addresses_and_parameters_are_400_with_a_code() {
    let app = spawn_app().await;
    for (path, code) in [
        ("/tiles/sites/23/0/0.mvt", "invalid_tile"),
        ("/tiles/sites/2/4/0.mvt", "invalid_tile"),
        ("/tiles/sites/2/0/4.mvt", "invalid_tile"),
        ("/tiles/sites/a/0/0.mvt", "invalid_tile"),
        ("/tiles/sites/2/-1/0.mvt", "invalid_tile"),
        ("/tiles/sites/2/0/0.png", "invalid_tile"),
        ("/tiles/sites/2/0/0", "invalid_tile"),
        ("/tiles/sites/2/0/0.mvt?bbox=1,2,3,4", "unknown_parameter"),
        ("/tiles/sites/2/0/0.mvt?limit=5", "unknown_parameter"),
        ("/tiles/sites/2/0/0.mvt?colour=red", "unknown_parameter"),
        ("/tiles/sites/2/0/0.mvt?kind=castle", "unknown_value"),
        ("/tiles/sites/2/0/0.mvt?chain=nope", "unknown_chain"),
        ("/tiles/sites.json?offset=3", "unknown_parameter"),
    ] {
        let (status, got, _) = error_of(app.get(path).await).await;
        assert_eq!(
            (status, got.as_str()),
            (StatusCode::BAD_REQUEST, code),
            "{path}"
        );
    }
}

/// Sites without a location are in no tile; a search or a filter narrows the tiles exactly as
/// it narrows the API.
#[tokio::test]
async fn unlocated_sites_are_absent_and_filters_narrow_the_tiles() {
    let app = spawn_app_with_synthetic(1000).await;
    let world = TileId::new(0, 0, 0).unwrap();
    let count = |fs: Vec<Decoded>| fs.iter().map(Decoded::count).sum::<u64>();
    let matched = |qs: String| {
        let app = &app;
        async move {
            app.json(&format!("/api/v1/sites?{qs}&limit=1")).await["numberMatched"]
                .as_u64()
                .unwrap()
        }
    };
    let unknown = matched("precision=unknown".into()).await;
    assert!(unknown > 0);
    assert!(tile(&app, world, "precision=unknown").await.is_empty());
    let all = count(tile(&app, world, "").await);
    assert_eq!(
        all,
        matched("located=true".into()).await + matched("precision=town,district".into()).await
    );
    assert_eq!(all + unknown, matched(String::new()).await);
    for qs in [
        "q=石化",
        "category=carrier_platform&q=园区",
        "chain=petrochemical",
        // A CQL2 filter, through the same parameter parser.
        "filter=chain%20%3D%20%27petrochemical%27%20OR%20kind%20%3D%20%27incubator%27",
    ] {
        let n = count(tile(&app, world, qs).await);
        assert!(n > 0 && n < all, "{qs}");
        assert_eq!(
            n,
            matched(format!("{qs}&bbox=-180,-90,180,90")).await,
            "{qs}"
        );
    }
    let ids: Vec<String> = app
        .json("/api/v1/sites?precision=unknown&limit=10000")
        .await["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_string())
        .collect();
    for z in [12, 16] {
        for f in tile(&app, tile_at(110.92, 21.66, z), "").await {
            if let Some(id) = f.text("id") {
                assert!(!ids.iter().any(|u| u == id));
            }
        }
    }
}

/// The TileJSON document: version, the tile URL template with the same filter (absolute, from
/// the forwarded host), the layer and its fields, bounds and zooms.
#[tokio::test]
async fn the_tilejson_names_the_tiles_the_layer_and_the_bounds() {
    let app = spawn_app().await;
    let r = app
        .get_with(
            "/tiles/sites.json?chain=petrochemical&kind=incubator",
            &[
                ("x-forwarded-proto", "https"),
                ("x-forwarded-host", "atlas.example.org"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let doc: Value = r.json().await.unwrap();
    assert_eq!(doc["tilejson"], "3.0.0");
    assert_eq!(
        doc["tiles"][0],
        "https://atlas.example.org/tiles/sites/{z}/{x}/{y}.mvt?kind=incubator&chain=petrochemical"
    );
    assert_eq!(
        (doc["minzoom"].as_u64(), doc["maxzoom"].as_u64()),
        (Some(0), Some(16))
    );
    let layer = &doc["vector_layers"][0];
    assert_eq!(layer["id"], "sites");
    for field in [
        "count",
        "cluster",
        "id",
        "category",
        "bbox",
        "ids",
        "n_approximate",
    ] {
        assert!(layer["fields"][field].is_string(), "{field}");
    }
    let b: Vec<f64> = doc["bounds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert!(b[0] <= b[2] && b[1] <= b[3]);
    assert_eq!(doc["center"].as_array().unwrap().len(), 3);
}

/// GDAL's MVT driver reads a tile fetched from the server and lists its features and fields.
#[tokio::test]
async fn gdal_reads_a_tile() {
    let app = spawn_app_with_synthetic(500).await;
    let t = tile_at(110.92, 21.66, 11);
    let path = format!("/tiles/sites/{}/{}/{}.mvt", t.z, t.x, t.y);
    let bytes = app.get(&path).await.bytes().await.unwrap();
    let decoded = decode(bytes.to_vec());
    assert!(!decoded.is_empty());
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("tile.mvt");
    std::fs::write(&file, &bytes).unwrap();
    let (z, x, y) = (
        format!("Z={}", t.z),
        format!("X={}", t.x),
        format!("Y={}", t.y),
    );
    let out = ogrinfo(&[
        "-ro",
        "-al",
        "-oo",
        &z,
        "-oo",
        &x,
        "-oo",
        &y,
        "-oo",
        "METADATA_FILE=",
        file.to_str().unwrap(),
    ]);
    assert!(out.contains("Layer name: sites"), "{out}");
    assert!(out.contains("Geometry: Point"), "{out}");
    assert!(
        out.contains(&format!("Feature Count: {}", decoded.len())),
        "{out}"
    );
    for field in [
        "count (Integer",
        "cluster (Integer(Boolean)",
        "bbox (String",
    ] {
        assert!(out.contains(field), "{field}: {out}");
    }
    // Web Mercator, as the tile's address says.
    assert!(
        out.contains("Pseudo-Mercator") || out.contains("3857"),
        "{out}"
    );
}

/// A change of the data shows in the next tile, whether the tile was made or kept by the
/// server (dense tiles are kept per data version), and moves its ETag.
#[tokio::test]
async fn an_import_shows_in_the_next_tile() {
    let app = spawn_app_with_synthetic(3000).await;
    let world = TileId::new(0, 0, 0).unwrap();
    let path = "/tiles/sites/0/0/0.mvt";
    let count = |fs: Vec<Decoded>| fs.iter().map(Decoded::count).sum::<u64>();
    let before = count(tile(&app, world, "").await);
    assert_eq!(before, count(tile(&app, world, "").await));
    let etag = etag_of(&app, path).await;
    app.import(crate::helpers::fixture_sites(
        "id,name_zh,category,kind,lon,lat,location_precision,source\n\
         tile-lab,瓦片实验室,innovation_resource,laboratory,110.92,21.66,building,plan p. 2\n",
    ))
    .await;
    assert_eq!(count(tile(&app, world, "").await), before + 1);
    assert_ne!(etag, etag_of(&app, path).await);
    let z18 = tile_at(110.92, 21.66, 18);
    let ids: Vec<String> = tile(&app, z18, "")
        .await
        .iter()
        .filter_map(|f| f.text("ids").or(f.text("id")).map(str::to_string))
        .collect();
    assert!(
        ids.iter().any(|i| i.split(',').any(|i| i == "tile-lab")),
        "{ids:?}"
    );
}
