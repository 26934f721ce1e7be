//! `GET /api/v1/match` (智慧选址): ranking of fixture platforms with known areas and places,
//! unknown areas last, radius and township filters, bad parameters, and the downloads in rank
//! order. (The default dataset has no `available_area_m2`: nothing public is known.)

use crate::helpers::{
    attachment, error_of, etag_of, feature_ids, features_by_id, fixture_sites, spawn_app, TestApp,
};
use atlas_core::matching::distance_km;
use atlas_core::Position;
use reqwest::StatusCode;
use serde_json::Value;

/// Platforms in 镇盛镇 (440902103) and 鳌头镇 (440902104), where the default dataset places no
/// site, around (110.90, 21.60); 0.01° of latitude ≈ 1.11 km.
const PLATFORMS: &str = "\
id,name_zh,category,kind,source,lon,lat,location_precision,chains,town_code,available_area_m2,contact
mx-link-near,甲精细化工园,carrier_platform,industrial_park,fixture,110.90,21.61,building,petrochemical.fine_chemicals,440902103,6000,招商办
mx-link-far,乙精细化工园,carrier_platform,industrial_park,fixture,110.90,21.64,building,petrochemical.fine_chemicals,440902103,9000,
mx-chain,丙石化基地,carrier_platform,industrial_base,fixture,110.90,21.605,building,petrochemical,440902103,5000,
mx-sibling,丁炼油园,carrier_platform,industrial_park,fixture,110.90,21.62,building,petrochemical.refining,440902104,20000,
mx-general,戊孵化器,carrier_platform,incubator,fixture,110.90,21.60,building,,440902103,7000,
mx-other,己医药园,carrier_platform,industrial_park,fixture,110.90,21.60,building,health,440902103,50000,
mx-small,庚小园区,carrier_platform,industrial_park,fixture,110.90,21.60,building,petrochemical.fine_chemicals,440902103,4999,
mx-unknown,辛园区,carrier_platform,industrial_park,fixture,110.90,21.60,building,petrochemical.fine_chemicals,440902103,,
mx-outside,壬远园区,carrier_platform,industrial_park,fixture,110.90,21.80,building,petrochemical.fine_chemicals,440902103,9000,
mx-enterprise,癸企业,key_enterprise,enterprise,fixture,110.90,21.60,building,petrochemical.fine_chemicals,440902103,90000,
";

const TOWNS: &str = "town=440902103,440902104";

async fn app_with_platforms() -> TestApp {
    let app = spawn_app().await;
    app.import(fixture_sites(PLATFORMS)).await;
    app
}

fn matches(fc: &Value) -> Vec<(String, Value)> {
    features_by_id(fc, |f| f["properties"]["match"].clone())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn platforms_rank_by_area_then_fit_then_distance() {
    let app = app_with_platforms().await;
    let fc = app
        .json(&format!(
            "/api/v1/match?link=petrochemical.fine_chemicals&min_area_m2=5000&near=110.90,21.60\
             &radius_km=10&{TOWNS}"
        ))
        .await;
    assert_eq!(fc["type"], "FeatureCollection");
    // (id, fit, area, rank) in the order of the answer.
    let got: Vec<(String, String, String, u64)> = matches(&fc)
        .into_iter()
        .map(|(id, m)| {
            let text = |k: &str| m[k].as_str().unwrap().to_string();
            (id, text("fit"), text("area"), m["rank"].as_u64().unwrap())
        })
        .collect();
    let want = [
        ("mx-link-near", "link", "enough", 1),  // link, 1.1 km
        ("mx-link-far", "link", "enough", 2),   // link, 4.4 km
        ("mx-chain", "chain", "enough", 3),     // chain-wide, 0.6 km
        ("mx-sibling", "chain", "enough", 4),   // another link of the chain, 2.2 km
        ("mx-general", "general", "enough", 5), // on no chain
        ("mx-other", "other", "enough", 6),     // other chain only, however large
        ("mx-unknown", "link", "unknown", 7),   // area unknown: last, never taken as zero
    ];
    assert_eq!(
        got,
        want.map(|(id, fit, area, rank)| (id.into(), fit.into(), area.into(), rank))
    );
    // mx-small (4999 < 5000), mx-outside (22 km) and the enterprise are not candidates.
    assert_eq!(fc["numberMatched"], 7);
    assert_eq!(fc["numberReturned"], 7);
    // Distances are geo's Haversine from `near` to the marker, in km with 3 decimals.
    let near = Position::new(110.90, 21.60).unwrap();
    for f in fc["features"].as_array().unwrap() {
        let c = &f["geometry"]["coordinates"];
        let p = Position::new(c[0].as_f64().unwrap(), c[1].as_f64().unwrap()).unwrap();
        let d = f["properties"]["match"]["distance_km"].as_f64().unwrap();
        assert!(
            (d - distance_km(near, p)).abs() < 0.0006,
            "{}: {d}",
            f["id"]
        );
        assert!(d <= 10.0);
    }
    // Features have the /sites shape (available area and contact included).
    let first = &fc["features"][0]["properties"];
    assert_eq!(first["available_area_m2"], 6000);
    assert_eq!(first["contact"], "招商办");
    assert_eq!(first["category"], "carrier_platform");
    assert!(fc["features"][6]["properties"]["available_area_m2"].is_null());
    // The parameters as understood.
    let q = &fc["query"];
    assert_eq!(q["chain"], "petrochemical", "implied by the link");
    assert_eq!(q["link"], "petrochemical.fine_chemicals");
    assert_eq!(q["min_area_m2"], 5000.0);
    assert_eq!(q["near"], serde_json::json!([110.9, 21.6]));
    assert_eq!(q["radius_km"], 10.0);
    assert_eq!(q["town"], serde_json::json!(["440902103", "440902104"]));
    assert_eq!(q["format"], "json");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_point_larger_areas_come_first_and_limit_keeps_the_count() {
    let app = app_with_platforms().await;
    let fc = app
        .json(&format!("/api/v1/match?chain=petrochemical&{TOWNS}"))
        .await;
    let got = matches(&fc);
    assert!(got.iter().all(|(_, m)| m["distance_km"].is_null()));
    // No minimum: any known figure is enough (mx-small too); the unknown one is last.
    assert_eq!(got.last().unwrap().0, "mx-unknown");
    assert!(got.iter().any(|(id, _)| id == "mx-small"));
    let chain_fit: Vec<&str> = got
        .iter()
        .filter(|(_, m)| m["fit"] == "chain" && m["area"] == "enough")
        .map(|(id, _)| id.as_str())
        .collect();
    // No link asked: every platform on the chain fits "chain"; larger available area first.
    assert_eq!(
        chain_fit,
        [
            "mx-sibling",
            "mx-link-far",
            "mx-outside",
            "mx-link-near",
            "mx-chain",
            "mx-small"
        ]
    );
    // 乙 (mx-link-far) and 壬 (mx-outside) have 9000 m² each: name order decides.
    let limited = app
        .json(&format!(
            "/api/v1/match?chain=petrochemical&{TOWNS}&limit=2"
        ))
        .await;
    assert_eq!(limited["numberMatched"], fc["numberMatched"]);
    assert_eq!(limited["numberReturned"], 2);
    assert_eq!(feature_ids(&limited), ["mx-sibling", "mx-link-far"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn platforms_of_unknown_area_are_kept_not_treated_as_zero() {
    // The default dataset knows no available area: every platform is a candidate, "unknown".
    let app = spawn_app().await;
    let platforms = app
        .json("/api/v1/sites?category=carrier_platform&limit=10000")
        .await;
    let fc = app
        .json("/api/v1/match?chain=petrochemical&min_area_m2=100000")
        .await;
    assert_eq!(fc["numberMatched"], platforms["numberMatched"]);
    let got = matches(&fc);
    assert!(got.iter().all(|(_, m)| m["area"] == "unknown"));
    // Fit still orders them: the chain's platforms first.
    let fits: Vec<&str> = got
        .iter()
        .map(|(_, m)| m["fit"].as_str().unwrap())
        .collect();
    let first_other = fits.iter().position(|f| *f != "chain").unwrap();
    assert!(first_other > 0 && fits[first_other..].iter().all(|f| *f != "chain"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_match_parameters_are_400_with_their_own_codes() {
    let app = spawn_app().await;
    app.assert_bad_requests(
        "
        /api/v1/match?min_area_m2=-1                            invalid_area         min_area_m2
        /api/v1/match?min_area_m2=abc                           invalid_area         min_area_m2
        /api/v1/match?radius_km=5                               radius_without_near  radius_km
        /api/v1/match?near=110.9                                invalid_near         near
        /api/v1/match?near=110.9,91                             invalid_near         near
        /api/v1/match?near=abc,def                              invalid_near         near
        /api/v1/match?near=110.9,21.6&radius_km=0               invalid_radius       radius_km
        /api/v1/match?near=110.9,21.6&radius_km=-2              invalid_radius       radius_km
        /api/v1/match?chain=steel                               unknown_chain        chain
        /api/v1/match?chain=Bad%20Chain                         invalid_id           chain
        /api/v1/match?link=petrochemical.nope                   unknown_link         link
        /api/v1/match?chain=health&link=petrochemical.refining  invalid_parameter    link
        /api/v1/match?town=440902999                            unknown_town         town
        /api/v1/match?format=pdf                                unknown_format       format
        /api/v1/match?limit=0                                   invalid_limit        limit
        /api/v1/match?limit=20000                               limit_out_of_range   limit
        /api/v1/match?bbox=1,2,3,4                              unknown_parameter    bbox
        ",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn downloads_hold_the_same_rows_in_rank_order() {
    use calamine::{Reader, Xlsx};
    let app = app_with_platforms().await;
    let qs = format!(
        "link=petrochemical.fine_chemicals&min_area_m2=5000&near=110.90,21.60&radius_km=10&{TOWNS}"
    );
    let want = feature_ids(&app.json(&format!("/api/v1/match?{qs}")).await);
    let get = |format: &'static str| {
        let path = format!("/api/v1/match?{qs}&format={format}");
        let app = &app;
        async move {
            let r = app.get(&path).await;
            assert_eq!(r.status(), StatusCode::OK, "{path}");
            attachment(
                &r,
                "site-match_petrochemical_",
                &format!(".{format}\"; filename*=UTF-8''"),
            );
            assert_eq!(r.headers()["cache-control"], "no-store");
            r.bytes().await.unwrap().to_vec()
        }
    };
    let csv = get("csv").await;
    assert!(csv.starts_with(b"\xEF\xBB\xBF"));
    let mut rdr = csv::Reader::from_reader(&csv[3..]);
    let ids: Vec<String> = rdr.records().map(|r| r.unwrap()[0].to_string()).collect();
    assert_eq!(ids, want);
    let xlsx = get("xlsx").await;
    let mut wb = Xlsx::new(std::io::Cursor::new(xlsx)).unwrap();
    let range = wb
        .worksheet_range(atlas_core::export::XLSX_DATA_SHEET)
        .unwrap();
    let ids: Vec<String> = range.rows().skip(1).map(|r| r[0].to_string()).collect();
    assert_eq!(ids, want);
    let gj: Value = serde_json::from_slice(&get("geojson").await).unwrap();
    assert_eq!(feature_ids(&gj), want);
    assert!(gj["metadata"]["filter"]["link"].is_string());
    let kml = String::from_utf8(get("kml").await).unwrap();
    let placemarks = kml.matches("<Placemark>").count();
    assert_eq!(placemarks, want.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn match_answers_are_cached_until_the_data_changes() {
    let app = app_with_platforms().await;
    let path = format!("/api/v1/match?chain=petrochemical&{TOWNS}");
    let tag = etag_of(&app, &path).await;
    let r = app.get_if_none_match(&path, &tag).await;
    assert_eq!(r.status(), StatusCode::NOT_MODIFIED);
    // A bad request never gets a 304.
    let r = app
        .get_if_none_match("/api/v1/match?chain=steel", "*")
        .await;
    assert_eq!(error_of(r).await.1, "unknown_chain");
    app.import(fixture_sites(
        "id,name_zh,category,kind,source,lon,lat,location_precision,chains,town_code,available_area_m2\n\
         mx-new,新园区,carrier_platform,industrial_park,fixture,110.9,21.6,building,petrochemical,440902103,100\n",
    ))
    .await;
    assert_ne!(etag_of(&app, &path).await, tag);
    let fc = app.json(&path).await;
    assert!(feature_ids(&fc).contains(&"mx-new".to_string()));
}
