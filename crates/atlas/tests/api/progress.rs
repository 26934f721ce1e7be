//! The progress board: `/api/v1/divisions/counts` against the sites themselves and
//! `/api/v1/indicators/export` read back and compared with `/api/v1/indicators`.

use crate::helpers::{attachment, fixture_sites, item_where, spawn_app, spawn_app_with_synthetic};
use reqwest::StatusCode;
use serde_json::Value;

const CATEGORIES: [&str; 3] = ["innovation_resource", "carrier_platform", "key_enterprise"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counts_per_township_list_every_township_and_agree_with_the_sites() {
    let app = spawn_app_with_synthetic(400).await;
    let divisions = app.json("/api/v1/divisions").await;
    let n_divisions = divisions["divisions"].as_array().unwrap().len();
    for qs in [
        "",
        "chain=petrochemical",
        "category=carrier_platform",
        "q=园区&limit=1",
    ] {
        let v = app.json(&format!("/api/v1/divisions/counts?{qs}")).await;
        let towns = v["towns"].as_array().unwrap();
        assert_eq!(
            towns.len(),
            n_divisions,
            "{qs}: every township, zeros included"
        );
        let codes: Vec<&str> = towns.iter().map(|t| t["code"].as_str().unwrap()).collect();
        let mut sorted = codes.clone();
        sorted.sort_unstable();
        assert_eq!(codes, sorted, "code order");
        let all = app.expected_ids(qs).await;
        let sites = app.all_sites().await;
        let matching: Vec<_> = sites
            .iter()
            .filter(|s| all.contains(&s.id.to_string()))
            .collect();
        let mut grand = 0;
        for t in towns {
            let code = t["code"].as_str().unwrap();
            let here: Vec<_> = matching
                .iter()
                .filter(|s| s.town_code.as_ref().map(|c| c.as_str()) == Some(code))
                .collect();
            assert_eq!(t["total"], here.len() as u64, "{qs} {code}");
            for c in CATEGORIES {
                let n = here.iter().filter(|s| s.category.as_str() == c).count() as u64;
                assert_eq!(t["counts"][c], n, "{qs} {code} {c}");
            }
            grand += t["total"].as_u64().unwrap();
            assert!(t["name_zh"].is_string() && t["name_en"].is_string());
            assert!(t["seat"].is_null() || t["seat"]["lon"].is_f64());
        }
        let no_town = matching.iter().filter(|s| s.town_code.is_none()).count() as u64;
        assert_eq!(v["no_town"]["total"], no_town, "{qs}");
        let sum: u64 = CATEGORIES
            .iter()
            .map(|c| v["no_town"]["counts"][*c].as_u64().unwrap())
            .sum();
        assert_eq!(sum, no_town);
        assert_eq!(grand + no_town, all.len() as u64, "{qs}");
    }
    // The same numbers as the town facet.
    let facets = app.json("/api/v1/facets?chain=health").await;
    let counts = app.json("/api/v1/divisions/counts?chain=health").await;
    for f in facets["facets"]["town"].as_array().unwrap() {
        let t = item_where(&counts["towns"], "code", f["id"].clone());
        assert_eq!(t["total"], f["count"]);
    }
    for (path, code) in [
        ("/api/v1/divisions/counts?town=440902999", "unknown_town"),
        ("/api/v1/divisions/counts?format=csv", "unknown_parameter"),
    ] {
        app.assert_error(path, StatusCode::BAD_REQUEST, code).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_seats_of_townships_are_where_graduated_symbols_stand() {
    let app = spawn_app().await;
    app.import(fixture_sites(
        "id,name_zh,category,kind,source,lon,lat,location_precision,town_code\n\
         tc-1,金塘平台,carrier_platform,incubator,fixture,110.84,21.75,building,440902100\n\
         tc-2,金塘企业,key_enterprise,enterprise,fixture,110.84,21.75,building,440902100\n",
    ))
    .await;
    let v = app.json("/api/v1/divisions/counts").await;
    let jintang = item_where(&v["towns"], "code", "440902100");
    assert_eq!(jintang["name_zh"], "金塘镇");
    assert_eq!(jintang["total"], 2);
    assert_eq!(
        jintang["counts"],
        serde_json::json!({"innovation_resource": 0, "carrier_platform": 1, "key_enterprise": 1})
    );
    assert!((jintang["seat"]["lon"].as_f64().unwrap() - 110.8424).abs() < 1e-6);
    assert!((jintang["seat"]["lat"].as_f64().unwrap() - 21.75173).abs() < 1e-6);
    let hongqi = item_where(&v["towns"], "code", "440902001");
    assert!(hongqi["seat"].is_null(), "no seat is made up");
    assert_eq!(hongqi["total"], 0);
}

fn indicator<'a>(v: &'a Value, id: &str) -> &'a Value {
    item_where(&v["indicators"], "id", id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_progress_board_exports_every_indicator_with_its_value_and_source() {
    use calamine::{Data, Reader, Xlsx};
    let app = spawn_app().await;
    let json = app.json("/api/v1/indicators").await;
    let inds = json["indicators"].as_array().unwrap();
    // No incubator of the default data states its floor area: unknown, not 0 m².
    let area = indicator(&json, "incubation_area");
    assert!(area["catalogue_value"].is_null() && area["percent_of_target"].is_null());

    let r = app.get("/api/v1/indicators/export?format=csv").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "text/csv; charset=utf-8");
    // 规划指标进度
    attachment(
        &r,
        "indicators_",
        "UTF-8''%E8%A7%84%E5%88%92%E6%8C%87%E6%A0%87%E8%BF%9B%E5%BA%A6_",
    );
    let bytes = r.bytes().await.unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"));
    let mut rdr = csv::Reader::from_reader(&bytes[3..]);
    let headers = rdr.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h.ends_with(name)).unwrap();
    let records: Vec<csv::StringRecord> = rdr.records().map(|r| r.unwrap()).collect();
    assert_eq!(records.len(), inds.len());
    for (rec, i) in records.iter().zip(inds) {
        assert_eq!(&rec[0], i["id"].as_str().unwrap());
        let value = &rec[col("catalogue value")];
        match i["catalogue_value"].as_f64() {
            Some(v) => assert_eq!(value.parse::<f64>().unwrap(), v, "{}", i["id"]),
            None => assert_eq!(value, "", "{}: unknown stays empty", i["id"]),
        }
        let pct = &rec[col("percent of target")];
        match i["percent_of_target"].as_f64() {
            Some(p) => assert_eq!(pct.parse::<f64>().unwrap(), p),
            None => assert_eq!(pct, ""),
        }
        assert_eq!(&rec[col("source")], i["source"].as_str().unwrap());
        if let Some(b) = i["baseline"].as_f64() {
            assert_eq!(rec[col("baseline")].parse::<f64>().unwrap(), b);
        }
        // Operators are words, not formulas.
        assert!(
            !rec[col("target op")].starts_with('\''),
            "{:?}",
            &rec[col("target op")]
        );
    }

    let r = app.get("/api/v1/indicators/export").await;
    assert_eq!(
        r.headers()["content-type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    let mut wb = Xlsx::new(std::io::Cursor::new(r.bytes().await.unwrap().to_vec())).unwrap();
    assert_eq!(wb.sheet_names(), ["指标 Indicators", "说明 About"]);
    let range = wb.worksheet_range("指标 Indicators").unwrap();
    let rows: Vec<&[Data]> = range.rows().collect();
    assert_eq!(rows.len(), inds.len() + 1);
    let hte = rows
        .iter()
        .find(|r| r[0] == "high_tech_enterprises")
        .unwrap();
    assert_eq!(hte[4], Data::Float(56.0), "baseline is a number");
    assert_eq!(hte[7], Data::Float(70.0), "target is a number");
    assert_eq!(
        app.error("/api/v1/indicators/export?format=kml").await.1,
        "unknown_format"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stated_floor_area_counts_towards_the_incubation_area_target() {
    let app = spawn_app().await;
    app.import(fixture_sites(
        "id,name_zh,category,kind,source,lon,lat,location_precision,area_m2\n\
         inc-area,有面积的孵化器,carrier_platform,incubator,fixture,110.9,21.66,building,12500\n",
    ))
    .await;
    let json = app.json("/api/v1/indicators").await;
    let area = indicator(&json, "incubation_area");
    assert_eq!(area["catalogue_value"], 12500.0);
    assert_eq!(area["percent_of_target"], 25.0);
}
