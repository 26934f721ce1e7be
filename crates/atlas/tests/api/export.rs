//! `GET /api/v1/export`: every format read back by a real reader and compared with the rows of
//! the same filter from `/api/v1/sites`.

use crate::helpers::{
    feature_ids, features_by_id, ogrinfo, spawn_app, spawn_app_with_synthetic, TestApp,
};
use reqwest::StatusCode;
use serde_json::Value;
use std::collections::HashMap;

const FILTER: &str = "chain=petrochemical,health&scope=local";

/// (id, name_zh) of the sites of `qs`, from `/api/v1/sites`.
async fn listed(app: &TestApp, qs: &str) -> Vec<(String, String)> {
    let fc = app.json(&format!("/api/v1/sites?{qs}&limit=10000")).await;
    features_by_id(&fc, |f| {
        f["properties"]["name_zh"].as_str().unwrap().to_string()
    })
}

/// Downloads an export; checks status, media type and disposition; returns the bytes.
async fn download(app: &TestApp, qs: &str, mime: &str, ext: &str) -> Vec<u8> {
    let r = app.get(&format!("/api/v1/export?{qs}")).await;
    assert_eq!(r.status(), StatusCode::OK, "export {qs}");
    assert_eq!(r.headers()["content-type"], mime, "{qs}");
    assert_eq!(r.headers()["cache-control"], "no-store");
    let cd = r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        cd.starts_with("attachment; filename=\"innovation-atlas_"),
        "{cd}"
    );
    assert!(cd.contains(&format!(".{ext}\"; filename*=UTF-8''")), "{cd}");
    assert!(
        cd.contains("%E5%88%9B%E6%96%B0%E8%B5%84%E6%BA%90%E5%B8%83%E5%B1%80"),
        "创新资源布局 percent-encoded: {cd}"
    );
    assert!(cd.ends_with(&format!(".{ext}")), "{cd}");
    r.bytes().await.unwrap().to_vec()
}

fn temp_file(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> String {
    let p = dir.path().join(name);
    std::fs::write(&p, bytes).unwrap();
    p.to_str().unwrap().to_string()
}

fn feature_count(ogr_summary: &str) -> usize {
    ogr_summary
        .lines()
        .find_map(|l| l.trim().strip_prefix("Feature Count: "))
        .expect("ogrinfo prints a feature count")
        .trim()
        .parse()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_csv_export_has_a_bom_and_exactly_the_filtered_rows() {
    let app = spawn_app().await;
    let expected = listed(&app, FILTER).await;
    assert!(expected.len() >= 3);
    for lang in ["en", "zh"] {
        let bytes = download(
            &app,
            &format!("format=csv&lang={lang}&{FILTER}"),
            "text/csv; charset=utf-8",
            "csv",
        )
        .await;
        assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "UTF-8 BOM");
        let mut rdr = csv::Reader::from_reader(&bytes[3..]);
        let headers = rdr.headers().unwrap().clone();
        let (id_col, name_col) = if lang == "en" {
            ("id", "name_zh")
        } else {
            assert!(headers
                .iter()
                .any(|h| h.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))));
            (&headers[0], &headers[1])
        };
        let id_i = headers.iter().position(|h| h == id_col).unwrap();
        let name_i = headers.iter().position(|h| h == name_col).unwrap();
        let rows: Vec<(String, String)> = rdr
            .records()
            .map(|r| {
                let r = r.unwrap();
                (r[id_i].to_string(), r[name_i].to_string())
            })
            .collect();
        assert_eq!(rows, expected, "lang={lang}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_xlsx_export_opens_in_calamine_with_the_filtered_rows() {
    use calamine::{Reader, Xlsx};
    let app = spawn_app().await;
    let expected = listed(&app, FILTER).await;
    let bytes = download(
        &app,
        &format!("format=xlsx&lang=en&{FILTER}"),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "xlsx",
    )
    .await;
    assert!(bytes.starts_with(b"PK"), "a zip");
    let mut wb: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
    let sheet = wb
        .worksheet_range(atlas_core::export::XLSX_DATA_SHEET)
        .unwrap();
    let mut rows = sheet.rows();
    let header: Vec<String> = rows.next().unwrap().iter().map(|c| c.to_string()).collect();
    let id_i = header.iter().position(|h| h == "id").unwrap();
    let name_i = header.iter().position(|h| h == "name_zh").unwrap();
    let got: Vec<(String, String)> = rows
        .map(|r| (r[id_i].to_string(), r[name_i].to_string()))
        .collect();
    assert_eq!(got, expected);
    // The default format is XLSX with Chinese headers.
    let r = app.get("/api/v1/export").await;
    assert_eq!(
        r.headers()["content-type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    assert!(
        !r.headers().contains_key("content-encoding"),
        "a zip is not compressed again"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_geojson_export_reads_back_in_serde_and_gdal_with_chinese_intact() {
    let app = spawn_app().await;
    let expected = listed(&app, FILTER).await;
    let bytes = download(
        &app,
        &format!("format=geojson&{FILTER}"),
        "application/geo+json",
        "geojson",
    )
    .await;
    let fc: Value = serde_json::from_slice(&bytes).unwrap();
    let got = features_by_id(&fc, |f| {
        f["properties"]["name_zh"].as_str().unwrap().to_string()
    });
    assert_eq!(got, expected);
    let _: geojson::GeoJson = std::str::from_utf8(&bytes).unwrap().parse().unwrap();
    // The export's features are the list's features.
    let list = app
        .json(&format!("/api/v1/sites?{FILTER}&limit=10000"))
        .await;
    assert_eq!(fc["features"], list["features"]);

    let dir = tempfile::tempdir().unwrap();
    let path = temp_file(&dir, "export.geojson", &bytes);
    let summary = ogrinfo(&["-ro", "-al", "-so", &path]);
    assert_eq!(feature_count(&summary), expected.len(), "{summary}");
    let full = ogrinfo(&["-ro", "-al", &path]);
    for (_, name) in &expected {
        assert!(
            full.contains(&format!("name_zh (String) = {name}")),
            "{name} intact in GDAL"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_kml_export_reads_back_in_gdal_with_chinese_names() {
    let app = spawn_app().await;
    let expected = listed(&app, FILTER).await;
    let bytes = download(
        &app,
        &format!("format=kml&{FILTER}"),
        "application/vnd.google-earth.kml+xml",
        "kml",
    )
    .await;
    let text = String::from_utf8(bytes.clone()).unwrap();
    assert!(text.starts_with("<?xml"));
    let dir = tempfile::tempdir().unwrap();
    let path = temp_file(&dir, "export.kml", &bytes);
    let summary = ogrinfo(&["-ro", "-al", "-so", &path]);
    assert_eq!(feature_count(&summary), expected.len(), "{summary}");
    let full = ogrinfo(&["-ro", "-al", &path]);
    let names: Vec<&str> = full
        .lines()
        .filter_map(|l| l.trim().strip_prefix("Name (String) = "))
        .collect();
    let want: Vec<&str> = expected.iter().map(|(_, n)| n.as_str()).collect();
    assert_eq!(names, want, "placemark names, in order, Chinese intact");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_file_name_says_what_was_exported_in_chinese_with_an_ascii_fallback() {
    let app = spawn_app().await;
    let r = app.get("/api/v1/export?format=csv&kind=incubator").await;
    let cd = r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_string();
    // filename="innovation-atlas_incubator_YYYYMMDD-HHMM.csv"
    let ascii = cd.split('"').nth(1).unwrap();
    assert!(
        ascii.starts_with("innovation-atlas_incubator_") && ascii.ends_with(".csv"),
        "{cd}"
    );
    assert!(ascii.is_ascii());
    let encoded = cd.split("filename*=UTF-8''").nth(1).unwrap();
    let decoded = percent_encoding::percent_decode_str(encoded)
        .decode_utf8()
        .unwrap();
    assert!(decoded.starts_with("创新资源布局_孵化器_"), "{decoded}");
    assert!(decoded.ends_with(".csv"));
    let stamp = &ascii["innovation-atlas_incubator_".len()..ascii.len() - 4];
    assert_eq!(stamp.len(), "20261126-1030".len(), "{stamp}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_export_streams_every_row_in_every_format() {
    let app = spawn_app_with_synthetic(3_000).await;
    let qs = "category=carrier_platform,key_enterprise";
    let expected = app.expected_ids(qs).await;
    assert!(expected.len() > 1_000, "{}", expected.len());

    let csv = download(
        &app,
        &format!("format=csv&lang=en&{qs}"),
        "text/csv; charset=utf-8",
        "csv",
    )
    .await;
    assert!(
        csv.len() > 8 * 64 * 1024,
        "more than the channel holds: {}",
        csv.len()
    );
    let ids: Vec<String> = csv::Reader::from_reader(&csv[3..])
        .records()
        .map(|r| r.unwrap()[0].to_string())
        .collect();
    assert_eq!(ids, expected);

    let gj = download(
        &app,
        &format!("format=geojson&{qs}"),
        "application/geo+json",
        "geojson",
    )
    .await;
    let fc: Value = serde_json::from_slice(&gj).unwrap();
    assert_eq!(feature_ids(&fc), expected);

    let dir = tempfile::tempdir().unwrap();
    let kml = download(
        &app,
        &format!("format=kml&{qs}"),
        "application/vnd.google-earth.kml+xml",
        "kml",
    )
    .await;
    let path = temp_file(&dir, "big.kml", &kml);
    assert_eq!(
        feature_count(&ogrinfo(&["-ro", "-al", "-so", &path])),
        expected.len()
    );

    use calamine::{Reader, Xlsx};
    let xlsx = download(
        &app,
        &format!("format=xlsx&{qs}"),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "xlsx",
    )
    .await;
    let mut wb: Xlsx<_> = Xlsx::new(std::io::Cursor::new(xlsx)).unwrap();
    let sheet = wb
        .worksheet_range(atlas_core::export::XLSX_DATA_SHEET)
        .unwrap();
    let got: Vec<String> = sheet.rows().skip(1).map(|r| r[0].to_string()).collect();
    assert_eq!(got, expected);

    // limit and offset are honoured when given, with no maximum.
    let part = download(
        &app,
        &format!("format=csv&lang=en&{qs}&limit=20000&offset=5"),
        "text/csv; charset=utf-8",
        "csv",
    )
    .await;
    let n = csv::Reader::from_reader(&part[3..]).records().count();
    assert_eq!(n, expected.len() - 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_format_exports_the_same_sites_for_a_bbox_and_search() {
    let app = spawn_app_with_synthetic(200).await;
    let qs = "bbox=110.85,21.6,110.95,21.7&q=%E5%9B%AD%E5%8C%BA"; // 园区
    let expected = app.expected_ids(qs).await;
    assert!(!expected.is_empty());
    let mut counts = HashMap::new();
    let dir = tempfile::tempdir().unwrap();
    for (fmt, mime) in [
        ("csv", "text/csv; charset=utf-8"),
        ("geojson", "application/geo+json"),
        ("kml", "application/vnd.google-earth.kml+xml"),
    ] {
        let bytes = download(&app, &format!("format={fmt}&{qs}"), mime, fmt).await;
        let n = if fmt == "csv" {
            csv::Reader::from_reader(&bytes[3..]).records().count()
        } else {
            let path = temp_file(&dir, &format!("x.{fmt}"), &bytes);
            feature_count(&ogrinfo(&["-ro", "-al", "-so", &path]))
        };
        counts.insert(fmt, n);
    }
    assert!(
        counts.values().all(|n| *n == expected.len()),
        "{counts:?} vs {}",
        expected.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_abandons_exports_frees_their_slots_for_the_next() {
    let app = spawn_app_with_synthetic(3_000).await;
    for _ in 0..5 {
        let mut r = app.get("/api/v1/export?format=csv").await;
        assert_eq!(r.status(), StatusCode::OK);
        let first = r.chunk().await.unwrap().unwrap();
        assert!(first.starts_with(b"\xEF\xBB\xBF"));
        drop(r); // closes the connection mid-download
    }
    let done = tokio::time::timeout(std::time::Duration::from_secs(20), async {
        let bytes = download(&app, "format=geojson", "application/geo+json", "geojson").await;
        let fc: Value = serde_json::from_slice(&bytes).unwrap();
        fc["features"].as_array().unwrap().len()
    })
    .await
    .expect("a full export still runs after abandoned ones");
    assert_eq!(done, app.all_sites().await.len());
    let fc = app.json("/api/v1/sites?limit=1").await;
    assert_eq!(fc["numberReturned"], 1);
}

/// True (with a message) when GDAL's `ogrinfo`/`ogr2ogr` are not installed: the GeoPackage
/// tests that need a real client are skipped then (tests/run-all.sh installs them).
fn gdal_missing() -> bool {
    let missing = ["ogrinfo", "ogr2ogr"].into_iter().any(|tool| {
        std::process::Command::new(tool)
            .arg("--version")
            .output()
            .is_err()
    });
    if missing {
        eprintln!("skipped: GDAL (ogrinfo, ogr2ogr; Debian gdal-bin) is not installed");
    }
    missing
}

/// Downloads the GeoPackage of `qs` into `dir`; returns its path.
async fn gpkg_file(app: &TestApp, qs: &str, dir: &tempfile::TempDir) -> String {
    let bytes = download(
        app,
        &format!("format=gpkg&{qs}"),
        "application/geopackage+sqlite3",
        "gpkg",
    )
    .await;
    temp_file(dir, "export.gpkg", &bytes)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gpkg_export_opens_in_gdal_with_its_layer_count_crs_and_chinese_fields() {
    if gdal_missing() {
        return;
    }
    let app = spawn_app().await;
    let expected = listed(&app, FILTER).await;
    let dir = tempfile::tempdir().unwrap();
    let path = gpkg_file(&app, FILTER, &dir).await;
    let summary = ogrinfo(&["-ro", "-al", "-so", &path]);
    assert!(summary.contains("using driver `GPKG'"), "{summary}");
    assert!(summary.contains("Layer name: sites"), "{summary}");
    assert_eq!(feature_count(&summary), expected.len(), "{summary}");
    assert!(summary.contains("ID[\"EPSG\",4326]"), "{summary}");
    assert!(summary.contains("Geometry Column = geom"), "{summary}");
    for field in [
        "编号: String",
        "名称: String",
        "类别: String",
        "经度: Real",
        "面积（平方米）: Real",
        "成立年份: Integer (",
        "数据来源: String",
    ] {
        assert!(summary.contains(field), "{field} in {summary}");
    }
    // The names, in list order, Chinese intact.
    let full = ogrinfo(&["-ro", "-al", "-fid", "1", &path]);
    assert!(
        full.contains(&format!("名称 (String) = {}", expected[0].1)),
        "{full}"
    );
    // GDAL reads the spatial index.
    let indexed = ogrinfo(&[
        "-ro",
        "-sql",
        "SELECT HasSpatialIndex('sites', 'geom')",
        &path,
    ]);
    assert!(indexed.contains("= 1"), "{indexed}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crs_cgcs2000_declares_epsg_4490_in_the_geojson_and_the_gpkg_with_the_same_numbers() {
    let app = spawn_app().await;
    let qs = "chain=petrochemical&filter=status%20%3D%20'operating'";
    let expected = listed(&app, qs).await;
    assert!(!expected.is_empty());
    let plain: Value = serde_json::from_slice(
        &download(
            &app,
            &format!("format=geojson&{qs}"),
            "application/geo+json",
            "geojson",
        )
        .await,
    )
    .unwrap();
    let cgcs: Value = serde_json::from_slice(
        &download(
            &app,
            &format!("format=geojson&crs=cgcs2000&{qs}"),
            "application/geo+json",
            "geojson",
        )
        .await,
    )
    .unwrap();
    assert_eq!(
        cgcs["crs"]["properties"]["name"],
        "urn:ogc:def:crs:EPSG::4490"
    );
    assert_eq!(feature_ids(&cgcs).len(), expected.len());
    for (a, b) in plain["features"]
        .as_array()
        .unwrap()
        .iter()
        .zip(cgcs["features"].as_array().unwrap())
    {
        assert_eq!(
            a["geometry"], b["geometry"],
            "the same numbers in either CRS"
        );
        if !b["geometry"].is_null() {
            assert_eq!(b["properties"]["crs"], "cgcs2000");
        }
    }
    let (status, code, message) = app.error("/api/v1/export?format=kml&crs=cgcs2000").await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::BAD_REQUEST, "unknown_value")
    );
    assert!(message.contains("KML"), "{message}");
    let (status, code, _) = app.error("/api/v1/export?format=csv&crs=gcj02").await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::BAD_REQUEST, "unknown_value")
    );

    if gdal_missing() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = gpkg_file(&app, &format!("crs=cgcs2000&{qs}"), &dir).await;
    let summary = ogrinfo(&["-ro", "-al", "-so", &path]);
    assert!(summary.contains("ID[\"EPSG\",4490]"), "{summary}");
    assert_eq!(feature_count(&summary), expected.len(), "{summary}");
}

/// The value the GeoPackage (Chinese fields and labels, through `ogr2ogr -f GeoJSON`) holds
/// for the GeoJSON export's property `key`, in the GeoJSON export's terms: vocabulary labels
/// back to ids, 是/否 to booleans, `*_zh` labels and `approximate` from their columns.
fn gpkg_value(row: &serde_json::Map<String, Value>, key: &str) -> Value {
    use atlas_core::{Category, Column, Kind, Labelled, Level, LocationPrecision, Scope, Status};
    fn id_of<T: Labelled>(v: &Value) -> Value {
        v.as_str()
            .map(|s| Value::from(T::parse_label(s).unwrap().id()))
            .unwrap_or(Value::Null)
    }
    let field = |c: Column| row.get(c.zh()).cloned().unwrap_or(Value::Null);
    if key == "approximate" {
        let p = LocationPrecision::parse_label(field(Column::LocationPrecision).as_str().unwrap());
        return Value::from(p.unwrap().is_approximate());
    }
    if let Some(base) = key.strip_suffix("_zh").filter(|b| *b != "name") {
        return field(Column::from_header(base).unwrap());
    }
    let c = Column::from_header(key).unwrap_or_else(|| panic!("{key} is a column"));
    let v = field(c);
    match c {
        Column::Category => id_of::<Category>(&v),
        Column::Kind => id_of::<Kind>(&v),
        Column::Level => id_of::<Level>(&v),
        Column::Status => id_of::<Status>(&v),
        Column::Scope => id_of::<Scope>(&v),
        Column::LocationPrecision => id_of::<LocationPrecision>(&v),
        Column::OutsideDistrict => Value::from(v == "是"),
        _ => v,
    }
}

/// Numbers compared as numbers (GDAL writes a REAL field `10000` as `10000.0`).
fn same_value(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same_value(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| same_value(v, w)))
        }
        _ => a == b,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gpkg_through_ogr2ogr_gives_back_every_field_of_the_geojson_export() {
    if gdal_missing() {
        return;
    }
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let gpkg = gpkg_file(&app, "", &dir).await;
    let out = dir.path().join("from-gpkg.geojson");
    let run = std::process::Command::new("ogr2ogr")
        .args(["-f", "GeoJSON"])
        .arg(&out)
        .arg(&gpkg)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let from_gpkg: Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    let geojson_bytes = download(&app, "format=geojson", "application/geo+json", "geojson").await;
    let geojson: Value = serde_json::from_slice(&geojson_bytes).unwrap();
    let expected = geojson["features"].as_array().unwrap();
    let got = from_gpkg["features"].as_array().unwrap();
    assert_eq!(got.len(), expected.len(), "one feature per site");
    assert!(expected.len() >= 50, "the demo dataset");
    let unlocated = expected.iter().filter(|f| f["geometry"].is_null()).count();
    assert!(unlocated > 0, "the demo has sites without a location");
    for (g, e) in got.iter().zip(expected) {
        let row = g["properties"].as_object().unwrap();
        let id = e["id"].as_str().unwrap();
        assert_eq!(row["编号"], id, "same order");
        assert!(
            same_value(&g["geometry"], &e["geometry"]),
            "{id}: geometry {} vs {}",
            g["geometry"],
            e["geometry"]
        );
        for (key, want) in e["properties"].as_object().unwrap() {
            let have = gpkg_value(row, key);
            assert!(same_value(&have, want), "{id}.{key}: {have} vs {want}");
        }
    }

    // `atlas import` reads that GeoJSON (Chinese field names and labels) back into the same
    // sites as the GeoJSON export.
    use atlas_core::import::{parse_sites, FileFormat};
    let reference = atlas_core::dataset::Reference::embedded().unwrap();
    let ctx = reference.context(chrono::NaiveDate::from_ymd_opt(2026, 11, 26).unwrap());
    let sites = |bytes: &[u8]| {
        let parsed = parse_sites(bytes, FileFormat::GeoJson, &ctx, None).unwrap();
        assert!(parsed.errors.is_empty(), "{:#?}", parsed.errors);
        assert!(
            parsed.ignored_headers.is_empty(),
            "{:?}",
            parsed.ignored_headers
        );
        parsed.sites.into_iter().map(|(_, s)| s).collect::<Vec<_>>()
    };
    let via_gpkg = sites(&std::fs::read(&out).unwrap());
    assert_eq!(via_gpkg.len(), expected.len());
    assert_eq!(via_gpkg, sites(&geojson_bytes));
}
