//! `GET /api/v1/chains/{id}/analysis` and `/chains/{id}/report`: gap analysis against the sites
//! themselves, fixture chains with known answers, bad parameters, the downloads read back, and
//! "chains are data" (a link added to the store shows up as missing).

use crate::helpers::{attachment, etag_of, fixture_sites, item_where, spawn_app, strs, TestApp};
use atlas_core::{ChainId, ChainRef, Site};
use reqwest::StatusCode;
use serde_json::Value;

const MODERN_AGRICULTURE: &str = "\
id,name_zh,name_en,category,kind,source,lon,lat,location_precision,chains
fx-e1,育种企业甲,Breeder A,key_enterprise,high_tech_enterprise,fixture,110.90,21.66,building,modern_agriculture.seeds_breeding
fx-e2,育种企业乙,,key_enterprise,leading_enterprise,fixture,110.91,21.66,building,modern_agriculture.seeds_breeding;agrifood_processing.feed
fx-e3,智慧农业企业,,key_enterprise,tech_sme,fixture,110.92,21.66,building,modern_agriculture.smart_agriculture
fx-p1,农业科技服务站,Agritech station,carrier_platform,commissioner_station,fixture,110.93,21.66,building,modern_agriculture.agritech_services
fx-p2,现代农业孵化器,,carrier_platform,incubator,fixture,110.94,21.66,building,modern_agriculture
fx-r1,农业研究所,,innovation_resource,research_institute,fixture,110.95,21.66,building,modern_agriculture.agritech_services;modern_agriculture
";

fn ids(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap().to_string())
        .collect()
}

/// The sites on `link` (or chain-wide when `link` is None) of `chain`, in list order.
fn on(sites: &[Site], chain: &str, link: Option<&str>) -> Vec<String> {
    sites
        .iter()
        .filter(|s| {
            s.chains.iter().any(|r: &ChainRef| {
                r.chain.as_str() == chain && r.link.as_ref().map(|l| l.as_str()) == link
            })
        })
        .map(|s| s.id.to_string())
        .collect()
}

async fn analysis(app: &TestApp, qs: &str) -> Value {
    app.json(&format!("/api/v1/chains/{qs}")).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_analysis_of_every_default_chain_agrees_with_its_sites() {
    let app = spawn_app().await;
    let sites = app.all_sites().await;
    let chains = app.json("/api/v1/chains").await;
    for c in chains["chains"].as_array().unwrap() {
        let id = c["id"].as_str().unwrap();
        let a = analysis(&app, &format!("{id}/analysis")).await;
        assert_eq!(a["chain"]["id"], id);
        assert_eq!(a["chain"]["name_zh"], c["name_zh"]);
        assert_eq!(a["weak_below"], 2);
        let links = a["links"].as_array().unwrap();
        let order: Vec<&str> = links.iter().map(|l| l["id"].as_str().unwrap()).collect();
        let want: Vec<&str> = strs(&c["links"], "id");
        assert_eq!(order, want, "links upstream first");
        let (mut missing, mut weak, mut present) = (0, 0, 0);
        for l in links {
            let link = l["id"].as_str().unwrap();
            let expected = on(&sites, id, Some(link));
            assert_eq!(ids(&l["site_ids"]), expected, "{link}");
            let enterprises = sites
                .iter()
                .filter(|s| expected.contains(&s.id.to_string()))
                .filter(|s| s.category == atlas_core::Category::KeyEnterprise)
                .count() as u64;
            assert_eq!(l["counts"]["key_enterprise"], enterprises, "{link}");
            assert_eq!(l["counts"]["total"], expected.len() as u64, "{link}");
            let status = match enterprises {
                0 => {
                    missing += 1;
                    "missing"
                }
                1 => {
                    weak += 1;
                    "weak"
                }
                _ => {
                    present += 1;
                    "present"
                }
            };
            assert_eq!(l["status"], status, "{link}");
            // The same counts as /chains/{id} gives.
            let from_chains = item_where(&c["links"], "id", link);
            assert_eq!(l["counts"]["total"], from_chains["total"], "{link}");
            // Served by: platforms and resources on the link, then those on the whole chain.
            for s in l["served_by"].as_array().unwrap() {
                assert_ne!(s["category"], "key_enterprise");
                let sid = s["id"].as_str().unwrap().to_string();
                match s["via"].as_str().unwrap() {
                    "link" => assert!(expected.contains(&sid)),
                    "chain" => assert!(on(&sites, id, None).contains(&sid)),
                    v => panic!("via {v}"),
                }
            }
        }
        assert_eq!(
            (
                a["summary"]["missing"].as_u64(),
                a["summary"]["weak"].as_u64(),
                a["summary"]["present"].as_u64()
            ),
            (Some(missing), Some(weak), Some(present)),
            "{id}"
        );
        let chain_id = ChainId::new(id).unwrap();
        let n = sites.iter().filter(|s| s.on_chain(&chain_id)).count();
        assert_eq!(a["summary"]["sites"], n as u64, "{id}");
        assert_eq!(
            ids(&a["chain_wide"]["site_ids"]),
            on(&sites, id, None),
            "{id}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fixture_chain_has_the_known_statuses_and_servers() {
    let app = spawn_app().await;
    let before = analysis(&app, "modern_agriculture/analysis").await;
    app.import(fixture_sites(MODERN_AGRICULTURE)).await;
    let a = analysis(&app, "modern_agriculture/analysis").await;
    let link = |id: &str| -> Value {
        item_where(&a["links"], "id", format!("modern_agriculture.{id}")).clone()
    };
    let prior = |id: &str| -> u64 {
        item_where(&before["links"], "id", format!("modern_agriculture.{id}"))["counts"]
            ["key_enterprise"]
            .as_u64()
            .unwrap()
    };
    // Two enterprises on seeds and breeding (one also on another chain): present.
    let seeds = link("seeds_breeding");
    assert_eq!(
        seeds["counts"]["key_enterprise"],
        prior("seeds_breeding") + 2
    );
    assert_eq!(seeds["status"], "present");
    assert!(ids(&seeds["site_ids"]).contains(&"fx-e2".to_string()));
    // One on smart agriculture (the default data has none there): weak.
    assert_eq!(prior("smart_agriculture"), 0);
    let smart = link("smart_agriculture");
    assert_eq!(smart["counts"]["key_enterprise"], 1);
    assert_eq!(smart["status"], "weak");
    // Agri-tech services: a station and an institute but no enterprise: missing, yet served.
    let services = link("agritech_services");
    assert_eq!(services["status"], "missing");
    assert_eq!(services["counts"]["carrier_platform"], 1);
    assert_eq!(services["counts"]["innovation_resource"], 1);
    let served: Vec<(String, String)> = services["served_by"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["id"].as_str().unwrap().to_string(),
                s["via"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(
        served.contains(&("fx-p1".into(), "link".into())),
        "{served:?}"
    );
    // On the link and chain-wide: listed once, via the link.
    assert!(
        served.contains(&("fx-r1".into(), "link".into())),
        "{served:?}"
    );
    assert_eq!(served.iter().filter(|(id, _)| id == "fx-r1").count(), 1);
    assert!(
        served.contains(&("fx-p2".into(), "chain".into())),
        "{served:?}"
    );
    let p1 = item_where(&services["served_by"], "id", "fx-p1");
    assert_eq!(p1["name_en"], "Agritech station");
    assert_eq!(p1["category"], "carrier_platform");
    assert_eq!(p1["kind"], "commissioner_station");
    // The chain-wide incubator serves the links no site is on, too.
    let farming = link("farming_cooperatives");
    assert!(farming["served_by"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["id"] == "fx-p2" && s["via"] == "chain"));
    assert!(ids(&a["chain_wide"]["site_ids"]).contains(&"fx-p2".to_string()));
    // weak_below=1: any enterprise is enough; weak_below=3: two are weak.
    let lenient = analysis(&app, "modern_agriculture/analysis?weak_below=1").await;
    assert_eq!(lenient["weak_below"], 1);
    assert_eq!(lenient["summary"]["weak"], 0);
    let strict = analysis(&app, "modern_agriculture/analysis?weak_below=3").await;
    let strict_seeds =
        item_where(&strict["links"], "id", "modern_agriculture.seeds_breeding").clone();
    let n = strict_seeds["counts"]["key_enterprise"].as_u64().unwrap();
    assert_eq!(
        strict_seeds["status"],
        if n >= 3 { "present" } else { "weak" }
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_thresholds_and_unknown_chains_are_json_errors() {
    let app = spawn_app().await;
    for bad in ["0", "-1", "1.5", "two", ""] {
        let (status, code, message) = app
            .error(&format!("/api/v1/chains/health/analysis?weak_below={bad}"))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(code, "invalid_parameter", "{bad}");
        assert!(message.contains("weak_below"), "{message}");
    }
    // As /chains/{id}: an unknown chain is 404, a malformed id 400. (path, status, code, what
    // the message names)
    let (bad, missing) = (StatusCode::BAD_REQUEST, StatusCode::NOT_FOUND);
    for (path, status, code, needle) in [
        (
            "/api/v1/chains/steel/analysis",
            missing,
            "not_found",
            "petrochemical",
        ),
        ("/api/v1/chains/steel", missing, "not_found", ""),
        ("/api/v1/chains/Bad%20Id/analysis", bad, "invalid_id", ""),
        (
            "/api/v1/chains/health/analysis?chain=x",
            bad,
            "unknown_parameter",
            "weak_below",
        ),
        ("/api/v1/chains/steel/report", missing, "not_found", ""),
        (
            "/api/v1/chains/health/report?format=kml",
            bad,
            "unknown_format",
            "format",
        ),
        (
            "/api/v1/chains/health/report?weak_below=0",
            bad,
            "invalid_parameter",
            "",
        ),
    ] {
        let message = app.assert_error(path, status, code).await;
        assert!(message.contains(needle), "{path}: {message}");
    }
}

async fn download(app: &TestApp, path: &str, mime: &str) -> Vec<u8> {
    let r = app.get(path).await;
    assert_eq!(r.status(), StatusCode::OK, "{path}");
    assert_eq!(r.headers()["content-type"], mime);
    assert_eq!(r.headers()["cache-control"], "no-store");
    // 产业链分析_石油化工 percent-encoded.
    attachment(
        &r,
        "chain-report_petrochemical_",
        "filename*=UTF-8''%E4%BA%A7%E4%B8%9A%E9%93%BE%E5%88%86%E6%9E%90_%E7%9F%B3%E6%B2%B9%E5%8C%96%E5%B7%A5_",
    );
    r.bytes().await.unwrap().to_vec()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_chain_report_reads_back_as_the_analysis_says() {
    use calamine::{Data, Reader, Xlsx};
    let app = spawn_app().await;
    let a = analysis(&app, "petrochemical/analysis?weak_below=1").await;
    let links = a["links"].as_array().unwrap();
    let bytes = download(
        &app,
        "/api/v1/chains/petrochemical/report?format=xlsx&weak_below=1",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    .await;
    let mut wb = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
    let names = wb.sheet_names().to_vec();
    assert_eq!(names.len(), links.len() + 3, "{names:?}");
    assert_eq!(names[0], "汇总 Summary");
    assert_eq!(names.last().unwrap(), "说明 About");
    for n in &names {
        assert!(n.chars().count() <= 31 && !n.contains(['[', ']', ':', '*', '?', '/', '\\']));
    }
    let summary = wb.worksheet_range("汇总 Summary").unwrap();
    let rows: Vec<&[Data]> = summary.rows().collect();
    assert_eq!(rows.len(), links.len() + 2);
    for (row, l) in rows[1..].iter().zip(links) {
        assert_eq!(row[0].to_string(), "石油化工");
        assert_eq!(row[1], Data::Float(l["order"].as_f64().unwrap()));
        assert_eq!(row[2].to_string(), l["id"].as_str().unwrap());
        assert_eq!(row[3].to_string(), l["name_zh"].as_str().unwrap());
        assert_eq!(row[4].to_string(), l["name_en"].as_str().unwrap());
        for (col, key) in [
            (5, "key_enterprise"),
            (6, "carrier_platform"),
            (7, "innovation_resource"),
            (8, "total"),
        ] {
            assert_eq!(
                row[col],
                Data::Float(l["counts"][key].as_f64().unwrap()),
                "{key}"
            );
        }
        let status = l["status"].as_str().unwrap();
        assert_eq!(row[10].to_string(), status);
        let zh = match status {
            "missing" => "缺失",
            "weak" => "薄弱",
            _ => "已有",
        };
        assert_eq!(row[9].to_string(), zh);
    }
    // One sheet per link with exactly its sites, by id.
    for (i, l) in links.iter().enumerate() {
        let sheet = wb.worksheet_range(&names[i + 1]).unwrap();
        let mut r = sheet.rows();
        let header: Vec<String> = r.next().unwrap().iter().map(|c| c.to_string()).collect();
        assert_eq!(header[..3], ["编号", "名称", "英文名称"]);
        let got: Vec<String> = r.map(|row| row[0].to_string()).collect();
        assert_eq!(got, ids(&l["site_ids"]), "{}", l["id"]);
    }
    let chain_wide = wb.worksheet_range(&names[links.len() + 1]).unwrap();
    let got: Vec<String> = chain_wide
        .rows()
        .skip(1)
        .map(|r| r[0].to_string())
        .collect();
    assert_eq!(got, ids(&a["chain_wide"]["site_ids"]));
    let about = wb.worksheet_range("说明 About").unwrap();
    let about: Vec<String> = about.rows().map(|r| r[1].to_string()).collect();
    assert!(
        about.iter().any(|t| t.contains("petrochemical")),
        "{about:?}"
    );
    assert!(
        about.iter().any(|t| t.starts_with("1 — ")),
        "threshold: {about:?}"
    );
    assert!(
        about.iter().any(|t| t.contains("data version")),
        "{about:?}"
    );

    // The CSV is the summary.
    let bytes = download(
        &app,
        "/api/v1/chains/petrochemical/report?format=csv&weak_below=1",
        "text/csv; charset=utf-8",
    )
    .await;
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "UTF-8 BOM");
    let mut rdr = csv::Reader::from_reader(&bytes[3..]);
    let headers = rdr.headers().unwrap().clone();
    assert_eq!(&headers[2], "环节编号 link id");
    let records: Vec<csv::StringRecord> = rdr.records().map(|r| r.unwrap()).collect();
    assert_eq!(records.len(), links.len() + 1);
    for (rec, l) in records.iter().zip(links) {
        assert_eq!(&rec[2], l["id"].as_str().unwrap());
        assert_eq!(
            rec[5].parse::<u64>().unwrap(),
            l["counts"]["key_enterprise"].as_u64().unwrap()
        );
        assert_eq!(&rec[10], l["status"].as_str().unwrap());
    }
    assert_eq!(&records[links.len()][2], "petrochemical");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chains_are_data_an_added_link_is_listed_as_missing_and_the_etag_changes() {
    let app = spawn_app().await;
    let path = "/api/v1/chains/petrochemical/analysis";
    let tag_before = etag_of(&app, path).await;
    let before = app.json(path).await;
    let n = before["links"].as_array().unwrap().len();
    let mut text = atlas_core::dataset::CHAINS_CSV.to_string();
    if !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str(
        "petrochemical,1,石油化工,Petrochemicals,petrochemical.hydrogen_energy,7,氢能,\
         Hydrogen energy,测试新增环节,test\n",
    );
    let cat = atlas_core::ChainCatalog::parse_csv(&text).unwrap();
    app.server
        .state
        .db
        .write(move |s| Ok(s.replace_chains(&cat)?))
        .await
        .unwrap();
    let after = app.json(path).await;
    let links = after["links"].as_array().unwrap();
    assert_eq!(links.len(), n + 1);
    let added = links.last().unwrap();
    assert_eq!(added["id"], "petrochemical.hydrogen_energy");
    assert_eq!(added["name_zh"], "氢能");
    assert_eq!(added["order"], 7);
    assert_eq!(added["status"], "missing");
    assert_eq!(added["counts"]["total"], 0);
    // Chain-wide platforms and resources serve the new link too.
    let servers = added["served_by"].as_array().unwrap();
    assert!(!servers.is_empty() && servers.iter().all(|s| s["via"] == "chain"));
    assert_eq!(
        after["summary"]["missing"],
        before["summary"]["missing"].as_u64().unwrap() + 1
    );
    assert_ne!(
        etag_of(&app, path).await,
        tag_before,
        "the data version moved"
    );
    // The link is a filter value now.
    let fc = app
        .json("/api/v1/sites?link=petrochemical.hydrogen_energy")
        .await;
    assert_eq!(fc["numberMatched"], 0);
}
