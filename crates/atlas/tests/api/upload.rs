//! Imports over HTTP: the same parser and store import as `atlas import`, multipart upload,
//! dry runs that write nothing, all-or-nothing unless skip_invalid; chains imports by admins.

use crate::helpers::{etag_of, item_where, spawn_app, strs, TestApp};
use atlas_core::export::{export_sites, ExportMeta};
use atlas_core::{ExportFormat, HeaderLang, Site, SiteFilter};
use reqwest::StatusCode;
use serde_json::json;

/// Sites written in `format` with the export writers (what staff download and edit).
pub(crate) async fn file_of(app: &TestApp, sites: &[Site], format: ExportFormat) -> Vec<u8> {
    let reference = app
        .server
        .state
        .db
        .read(|s| Ok(s.reference()?))
        .await
        .unwrap();
    let ctx = reference.context(crate::helpers::today());
    let meta = ExportMeta::new(
        "test",
        &SiteFilter::default(),
        chrono::Utc::now().fixed_offset(),
        "test",
    );
    let mut out = Vec::new();
    export_sites(
        format,
        &mut out,
        sites.iter().map(Ok::<_, std::io::Error>),
        &ctx,
        HeaderLang::Zh,
        &meta,
    )
    .unwrap();
    out
}

/// Two new synthetic sites and one changed default site.
async fn edited_sites(app: &TestApp) -> Vec<Site> {
    let mut sites = atlas_store::synth::sites(2, 42);
    let mut gdupt = app.stored_site("gdupt").await;
    gdupt.notes = Some("经导入修改 changed by an import".into());
    sites.push(gdupt);
    sites
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dry_run_reports_what_would_change_and_writes_nothing() {
    let app = spawn_app().await;
    let token = app.editor().await;
    let sites = edited_sites(&app).await;
    let csv = file_of(&app, &sites, ExportFormat::Csv).await;
    let before = etag_of(&app, "/api/v1/sites?limit=3").await;
    let a = app
        .upload(
            "/api/v1/import?dry_run=true",
            Some(&token),
            "站点.csv",
            &csv,
            &[],
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    assert_eq!(
        a.json(),
        json!({"dry_run": true, "rows": 3, "inserted": 2, "updated": 1, "unchanged": 0,
               "skipped": 0, "errors": [], "notes": []})
    );
    assert_eq!(etag_of(&app, "/api/v1/sites?limit=3").await, before);
    app.fetch(&format!("/api/v1/sites/{}", sites[0].id))
        .await
        .expect_error(StatusCode::NOT_FOUND, "not_found");
    // As a form field instead of the query.
    let a = app
        .upload(
            "/api/v1/import",
            Some(&token),
            "站点.csv",
            &csv,
            &[("dry_run", "true")],
        )
        .await;
    assert_eq!(a.json()["dry_run"], true);
    assert_eq!(etag_of(&app, "/api/v1/sites?limit=3").await, before);

    // For real: written, with revisions by the editor.
    let a = app
        .upload("/api/v1/import", Some(&token), "站点.csv", &csv, &[])
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    let r = a.json();
    assert_eq!(
        (
            r["dry_run"].clone(),
            r["inserted"].clone(),
            r["updated"].clone()
        ),
        (json!(false), json!(2), json!(1))
    );
    assert_ne!(etag_of(&app, "/api/v1/sites?limit=3").await, before);
    let h = app.json("/api/v1/sites/gdupt/history").await;
    assert_eq!(h["revisions"][0]["action"], "import");
    assert_eq!(h["revisions"][0]["who"], "editor");
    assert_eq!(h["revisions"][0]["changed"], json!(["notes"]));
    // Importing the same file again changes nothing.
    let a = app
        .upload("/api/v1/import", Some(&token), "站点.csv", &csv, &[])
        .await;
    assert_eq!(a.json()["unchanged"], 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_rows_write_nothing_unless_skip_invalid_is_asked() {
    let app = spawn_app().await;
    let token = app.editor().await;
    let sites = edited_sites(&app).await;
    let csv = String::from_utf8(file_of(&app, &sites, ExportFormat::Csv).await).unwrap();
    // Break the category of the row that starts on the third line.
    let mut lines: Vec<String> = csv.split("\r\n").map(str::to_string).collect();
    lines[2] = lines[2]
        .replacen(",创新资源,", ",没有这类,", 1)
        .replacen(",载体平台,", ",没有这类,", 1)
        .replacen(",重点企业,", ",没有这类,", 1);
    let broken = lines.join("\r\n").into_bytes();
    let before = etag_of(&app, "/api/v1/sites?limit=3").await;
    let a = app
        .upload("/api/v1/import", Some(&token), "broken.csv", &broken, &[])
        .await;
    let msg = a.expect_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_rows");
    assert!(msg.contains("1 invalid row"), "{msg}");
    let d = &a.json()["error"]["details"];
    assert_eq!(
        (
            d["rows"].clone(),
            d["inserted"].clone(),
            d["skipped"].clone()
        ),
        (json!(3), json!(0), json!(0))
    );
    let e = &d["errors"][0];
    assert_eq!(e["column"], "category", "{e}");
    assert!(e["line"].as_u64().unwrap() >= 2, "{e}");
    assert!(e["reason"].as_str().unwrap().contains("没有这类"), "{e}");
    assert_eq!(
        etag_of(&app, "/api/v1/sites?limit=3").await,
        before,
        "nothing written"
    );
    // A dry run with invalid rows is refused the same way.
    let a = app
        .upload(
            "/api/v1/import?dry_run=true",
            Some(&token),
            "broken.csv",
            &broken,
            &[],
        )
        .await;
    a.expect_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_rows");

    let a = app
        .upload(
            "/api/v1/import",
            Some(&token),
            "broken.csv",
            &broken,
            &[("skip_invalid", "true")],
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    let r = a.json();
    assert_eq!(
        (
            r["inserted"].clone(),
            r["updated"].clone(),
            r["skipped"].clone()
        ),
        (json!(1), json!(1), json!(1))
    );
    assert_eq!(r["errors"].as_array().unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn xlsx_and_geojson_files_import_like_csv() {
    let app = spawn_app().await;
    let token = app.editor().await;
    let sites = atlas_store::synth::sites(5, 77);
    let xlsx = file_of(&app, &sites[..3], ExportFormat::Xlsx).await;
    let a = app
        .upload("/api/v1/import", Some(&token), "站点.xlsx", &xlsx, &[])
        .await;
    assert_eq!(
        (a.status, a.json()["inserted"].clone()),
        (StatusCode::OK, json!(3)),
        "{}",
        a.text
    );
    let geojson = file_of(&app, &sites[3..], ExportFormat::GeoJson).await;
    // No file name: the content says what it is.
    let a = app
        .upload(
            "/api/v1/import",
            Some(&token),
            "",
            &geojson,
            &[("crs", "wgs84")],
        )
        .await;
    assert_eq!(
        (a.status, a.json()["inserted"].clone()),
        (StatusCode::OK, json!(2)),
        "{}",
        a.text
    );
    for s in &sites {
        assert_eq!(
            app.fetch(&format!("/api/v1/sites/{}", s.id)).await.status,
            StatusCode::OK
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_uploads_get_their_own_errors() {
    let app = spawn_app().await;
    let token = app.editor().await;
    let csv = b"id,name_zh\nx,y\n".to_vec();
    // Not a multipart form.
    let a = app
        .post_body("/api/v1/import", Some(&token), "text/csv", csv.clone())
        .await;
    a.expect_error(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type");
    // An .xls workbook.
    let ole = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1rest".to_vec();
    let a = app
        .upload("/api/v1/import", Some(&token), "old.xls", &ole, &[])
        .await;
    a.expect_error(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type");
    // Missing required columns: the file cannot be read at all.
    let a = app
        .upload("/api/v1/import", Some(&token), "a.csv", &csv, &[])
        .await;
    let msg = a.expect_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_file");
    assert!(msg.contains("category"), "{msg}");
    // Unknown options, bad values, no file.
    for (q, fields, code) in [
        ("?colour=red", vec![], "unknown_parameter"),
        ("", vec![("colour", "red")], "unknown_parameter"),
        ("?crs=mars", vec![], "invalid_parameter"),
        ("?dry_run=perhaps", vec![], "invalid_parameter"),
    ] {
        let a = app
            .upload(
                &format!("/api/v1/import{q}"),
                Some(&token),
                "a.csv",
                &csv,
                &fields,
            )
            .await;
        a.expect_error(StatusCode::BAD_REQUEST, code);
    }
    let (ct, body) = crate::helpers::multipart("a.csv", b"", &[]);
    let body = String::from_utf8(body)
        .unwrap()
        .replace("name=\"file\"", "name=\"crs\"");
    let a = app
        .post_body("/api/v1/import", Some(&token), &ct, body.into_bytes())
        .await;
    let msg = a.expect_error(StatusCode::BAD_REQUEST, "bad_request");
    assert!(msg.contains("'file'"), "{msg}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_over_20_mib_is_a_json_413() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = spawn_app().await;
    let token = app.editor().await;
    // Over a raw connection: the server answers as soon as it sees the length, before the
    // body, and closes; an HTTP client still sending the body may see only the reset.
    let mut s = tokio::net::TcpStream::connect(app.server.addr)
        .await
        .unwrap();
    let head = format!(
        "POST /api/v1/import HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: multipart/form-data; boundary=x\r\nContent-Length: {}\r\n\r\n",
        app.server.addr,
        20 * 1024 * 1024 + 1
    );
    s.write_all(head.as_bytes()).await.unwrap();
    let _ = s.write_all(&[b'a'; 4096]).await;
    let mut answer = Vec::new();
    let _ = s.read_to_end(&mut answer).await;
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("application/json"), "{answer}");
    assert!(answer.contains("\"payload_too_large\""), "{answer}");
    assert!(answer.contains("20 MiB"), "{answer}");
    // Up to the limit a body is read (and here refused as a file, not for its size).
    let small = vec![b'a'; 1024 * 1024];
    let a = app
        .upload("/api/v1/import", Some(&token), "a.csv", &small, &[])
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.text);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admins_replace_the_chains_with_a_csv_editors_may_not() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let editor = app.editor().await;
    let chains = atlas_core::dataset::CHAINS_CSV.as_bytes().to_vec();
    let a = app
        .post_body(
            "/api/v1/chains/import",
            Some(&editor),
            "text/csv",
            chains.clone(),
        )
        .await;
    a.expect_error(StatusCode::FORBIDDEN, "forbidden");
    let a = app
        .post_body(
            "/api/v1/chains/import?dry_run=true",
            Some(&admin),
            "text/csv",
            chains.clone(),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    assert_eq!(a.json()["dry_run"], true);
    assert_eq!(a.json()["added_chains"], json!([]));
    let etag = etag_of(&app, "/api/v1/chains").await;
    // A new link appears; the data version moves.
    let extended = format!(
        "{}\npetrochemical,1,石油化工,Petrochemicals,petrochemical.test_link,99,测试环节,Test link,,test\n",
        atlas_core::dataset::CHAINS_CSV.trim_end()
    );
    let a = app
        .post_body(
            "/api/v1/chains/import",
            Some(&admin),
            "text/csv",
            extended.into_bytes(),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    assert_eq!(a.json()["added_links"], json!(["petrochemical.test_link"]));
    assert_ne!(etag_of(&app, "/api/v1/chains").await, etag);
    // A file lacking a chain sites use: 409, listing it; nothing changes.
    let without: String = atlas_core::dataset::CHAINS_CSV
        .lines()
        .filter(|l| !l.starts_with("petrochemical,"))
        .map(|l| format!("{l}\n"))
        .collect();
    let a = app
        .post_body(
            "/api/v1/chains/import",
            Some(&admin),
            "text/csv",
            without.into_bytes(),
        )
        .await;
    let msg = a.expect_error(StatusCode::CONFLICT, "reference_in_use");
    assert!(msg.contains("petrochemical"), "{msg}");
    assert!(a.json()["error"]["details"]
        .as_array()
        .unwrap()
        .iter()
        .any(|u| u["id"] == "petrochemical"));
    let a = app
        .post_body(
            "/api/v1/chains/import",
            Some(&admin),
            "application/json",
            b"{}".to_vec(),
        )
        .await;
    a.expect_error(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type");
    let a = app
        .post_body(
            "/api/v1/chains/import",
            Some(&admin),
            "text/csv",
            b"nonsense\n1\n".to_vec(),
        )
        .await;
    a.expect_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_file");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admins_replace_the_indicators_with_a_csv_editors_may_not() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let editor = app.editor().await;
    let csv = atlas_core::dataset::INDICATORS_CSV;
    let send = |token: String, path: &'static str, body: String| {
        let app = &app;
        async move {
            app.post_body(path, Some(&token), "text/csv", body.into_bytes())
                .await
        }
    };
    send(editor, "/api/v1/indicators/import", csv.to_string())
        .await
        .expect_error(StatusCode::FORBIDDEN, "forbidden");
    // A new 2025 target for high-tech enterprises (70 → 80): the board follows, no code change.
    let changed = csv.replacen(
        ",56,2020,70,>=,2025,count,",
        ",56,2020,80,>=,2025,count,",
        1,
    );
    assert_ne!(changed, csv);
    let etag = etag_of(&app, "/api/v1/indicators").await;
    let a = send(
        admin.clone(),
        "/api/v1/indicators/import?dry_run=true",
        changed.clone(),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    assert_eq!(a.json()["dry_run"], true);
    let target = |v: &serde_json::Value| -> serde_json::Value {
        let list = v["indicators"].as_array().cloned().unwrap_or_default();
        list.into_iter()
            .find(|i| i["id"] == "high_tech_enterprises")
            .map(|i| i["target"].clone())
            .unwrap()
    };
    assert_eq!(target(&app.json("/api/v1/indicators").await), json!(70.0));
    let a = send(admin.clone(), "/api/v1/indicators/import", changed).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    assert_eq!(a.json()["indicators"], 8);
    assert_eq!(target(&app.json("/api/v1/indicators").await), json!(80.0));
    assert_ne!(etag_of(&app, "/api/v1/indicators").await, etag);
    // A count_filter naming an unknown chain, a repeated id, an empty file: 422, nothing written.
    let unknown_chain = csv.replacen("kind=engineering_center", "chain=no_such_chain", 1);
    let first_row = csv.lines().nth(1).unwrap();
    let repeated = format!("{}\n{first_row}\n", csv.trim_end());
    let header_only = format!("{}\n", csv.lines().next().unwrap());
    for (body, words) in [
        (unknown_chain, "no_such_chain"),
        (repeated, "twice"),
        (header_only, "at least one"),
    ] {
        let a = send(admin.clone(), "/api/v1/indicators/import", body).await;
        let msg = a.expect_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_file");
        assert!(msg.contains(words), "{msg}");
    }
    assert_eq!(target(&app.json("/api/v1/indicators").await), json!(80.0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rows_with_only_an_address_are_placed_at_their_township_and_the_report_says_so() {
    let app = spawn_app().await;
    let token = app.editor().await;
    let csv = "id,name_zh,category,kind,source,address\n\
        addr-1,按村名,key_enterprise,high_tech_enterprise,测试,茂南区塘桥村委会旁\n\
        addr-2,两镇,key_enterprise,high_tech_enterprise,测试,金塘镇与公馆镇交界\n\
        addr-3,无处,key_enterprise,high_tech_enterprise,测试,某路1号\n";
    let a = app
        .upload(
            "/api/v1/import",
            Some(&token),
            "地址.csv",
            csv.as_bytes(),
            &[],
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    let notes = a.json()["notes"].clone();
    assert_eq!(notes[0]["line"], 2);
    assert_eq!(notes[0]["id"], "addr-1");
    assert!(notes[0]["message"]
        .as_str()
        .unwrap()
        .starts_with("placed at 金塘镇 seat from address: 塘桥村"));
    assert_eq!(notes[1]["id"], "addr-2");
    assert_eq!(notes.as_array().unwrap().len(), 2);
    let one = app.fetch("/api/v1/sites/addr-1").await.json();
    assert_eq!(one["properties"]["location_precision"], "town");
    assert_eq!(one["properties"]["town_code"], "440902100");
    for id in ["addr-2", "addr-3"] {
        let v = app.fetch(&format!("/api/v1/sites/{id}")).await.json();
        assert!(v["geometry"].is_null(), "{id}");
        assert_eq!(v["properties"]["location_precision"], "unknown");
    }
    // The worklist and the precision facet see them.
    let list = app
        .fetch("/api/v1/sites?located=false&limit=1000")
        .await
        .json();
    let ids: Vec<&str> = strs(&list["features"], "id");
    assert!(ids.contains(&"addr-1") && ids.contains(&"addr-2"));
    let facets = app.fetch("/api/v1/facets?precision=unknown").await.json();
    let unknown = item_where(&facets["facets"]["precision"], "id", "unknown").clone();
    assert_eq!(unknown["selected"], true);
    assert_eq!(unknown["name_zh"], "位置待定");
    assert_eq!(unknown["count"], facets["total"]);
    let bad = app.fetch("/api/v1/sites?located=maybe").await;
    bad.expect_error(StatusCode::BAD_REQUEST, "invalid_parameter");
}
