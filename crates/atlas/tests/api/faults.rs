//! Faults under a running server: a full disk (SQLite's `max_page_count` on the server's one
//! writer, as a disk of no free space) during an import and an edit gives `507 disk_full`
//! with a message saying so once, writes nothing, and reads keep being served. The database
//! file moved away or deleted under the server answers `503 database_missing` (never a panic)
//! until it is back; a different file renamed into its place (a restored backup) is served at
//! once, with nothing kept of the old file (list index, tiles, `ETag`s).

use crate::helpers::{spawn_app, TestApp};
use crate::upload::file_of;
use atlas_core::ExportFormat;
use reqwest::StatusCode;
use serde_json::json;

/// Leaves the server's database no room to grow.
async fn fill_disk(app: &TestApp) {
    app.server
        .state
        .db
        .write(|s| Ok(s.fill_disk(0)?))
        .await
        .unwrap();
}

/// Reads still answer, and say what they said before the fault.
async fn assert_reads_unchanged(app: &TestApp, before: &serde_json::Value) {
    assert_eq!(&app.json("/api/v1/sites?limit=1000").await, before);
    assert_eq!(app.get("/api/v1/facets").await.status(), 200);
    assert!(app
        .get("/tiles/sites/10/831/447.mvt")
        .await
        .status()
        .is_success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_during_an_import_writes_nothing_and_reads_go_on() {
    let app = spawn_app().await;
    let token = app.editor().await;
    let csv = file_of(&app, &atlas_store::synth::sites(3000, 9), ExportFormat::Csv).await;
    let before = app.json("/api/v1/sites?limit=1000").await;
    fill_disk(&app).await;
    let a = app
        .upload("/api/v1/import", Some(&token), "站点.csv", &csv, &[])
        .await;
    let message = a.expect_error(StatusCode::INSUFFICIENT_STORAGE, "disk_full");
    assert!(message.starts_with("磁盘已满：未写入任何数据"), "{message}");
    assert!(message.contains("free space"), "{message}");
    assert_eq!(message.matches("full").count(), 1, "said once: {message}");
    assert_reads_unchanged(&app, &before).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_during_an_edit_writes_nothing_and_reads_go_on() {
    let app = spawn_app().await;
    let token = app.editor().await;
    let before = app.json("/api/v1/sites?limit=1000").await;
    let history = app.json("/api/v1/sites/gdupt/history").await;
    fill_disk(&app).await;
    // A long note needs pages the full disk does not have.
    let notes = "满".repeat(15_000);
    let a = app
        .patch(
            "gdupt",
            &token,
            None,
            &json!({"properties": {"notes": notes}}),
        )
        .await;
    a.expect_error(StatusCode::INSUFFICIENT_STORAGE, "disk_full");
    assert_eq!(app.json("/api/v1/sites/gdupt/history").await, history);
    assert_reads_unchanged(&app, &before).await;
}

/// The server's database file.
fn db_path(app: &TestApp) -> std::path::PathBuf {
    app.server.state.db.path().to_path_buf()
}

/// Every kind of read, and an edit, answers `503 database_missing` saying so in zh and en.
async fn assert_missing(app: &TestApp, token: &str) {
    for path in [
        "/api/v1/sites?limit=1000",
        "/api/v1/sites/gdupt",
        "/api/v1/facets",
        "/ogc/collections/sites/items?limit=5",
        "/tiles/sites/10/831/447.mvt",
    ] {
        let message = app
            .assert_error(path, StatusCode::SERVICE_UNAVAILABLE, "database_missing")
            .await;
        assert!(message.starts_with("数据库文件不见了"), "{path}: {message}");
        assert!(message.contains("missing"), "{path}: {message}");
    }
    app.patch("gdupt", token, None, &json!({"properties": {"notes": "x"}}))
        .await
        .expect_error(StatusCode::SERVICE_UNAVAILABLE, "database_missing");
}

/// The name of site `id` as the server answers it.
async fn name_of(app: &TestApp, id: &str) -> String {
    let site = app.json(&format!("/api/v1/sites/{id}")).await;
    site["properties"]["name_zh"].as_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_database_moved_away_answers_503_until_it_is_moved_back_and_nothing_else_is_served() {
    let app = spawn_app().await;
    let token = app.editor().await;
    let (path, away) = (db_path(&app), db_path(&app).with_extension("away"));
    let sites = "/api/v1/sites?limit=1000";
    let before = app.json(sites).await;
    let etag = crate::helpers::etag_of(&app, sites).await;

    std::fs::rename(&path, &away).unwrap();
    assert_missing(&app, &token).await;
    std::fs::rename(&away, &path).unwrap();
    assert_eq!(app.json(sites).await, before);
    // The same file, never closed: the same data under the same tag.
    let r = app.get_if_none_match(sites, &etag).await;
    assert_eq!(r.status(), StatusCode::NOT_MODIFIED);

    // Something else in its place is served as nothing, and not made a database of.
    std::fs::rename(&path, &away).unwrap();
    std::fs::write(&path, b"not a database").unwrap();
    let message = app
        .assert_error(sites, StatusCode::SERVICE_UNAVAILABLE, "corrupt_database")
        .await;
    assert!(message.contains("restore"), "{message}");
    assert_eq!(std::fs::read(&path).unwrap(), b"not a database");
    std::fs::rename(&away, &path).unwrap();
    assert_eq!(app.json(sites).await, before);
    // Opened anew (after another file): under new tags.
    let r = app.get_if_none_match(sites, &etag).await;
    assert_eq!(r.status(), StatusCode::OK);
    let a = app
        .patch(
            "gdupt",
            &token,
            None,
            &json!({"properties": {"notes": "回来了"}}),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    assert_eq!(
        app.json("/api/v1/sites/gdupt").await["properties"]["notes"],
        "回来了"
    );
}

/// A backup of the served database, made through the server, as `name` beside `path`.
async fn backup_beside(app: &TestApp, path: &std::path::Path, name: &str) -> std::path::PathBuf {
    let copy = path.with_file_name(name);
    let to = copy.clone();
    app.server
        .state
        .db
        .read(move |s| Ok(s.backup_to(&to)?))
        .await
        .unwrap();
    copy
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_database_answers_503_and_a_backup_renamed_in_is_served_whole() {
    let app = spawn_app().await;
    let token = app.editor().await;
    let path = db_path(&app);
    // A backup, then a different change on each side: the same data version, other data.
    let copy = backup_beside(&app, &path, "backup.db").await;
    let rename = |name: &str| json!({"properties": {"name_zh": name}});
    let a = app
        .patch("gdupt", &token, None, &rename("服务器里的名称"))
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    let version = {
        let mut store = atlas_store::Store::open(&copy).unwrap();
        let id = atlas_core::SiteId::new("gdupt").unwrap();
        let mut site = store.get(&id).unwrap().unwrap();
        site.name_zh = "备份里的名称".into();
        store
            .update_site(&site, None, "t", atlas_store::Action::Update)
            .unwrap();
        store.data_version().unwrap()
    };
    let served = app.server.state.db.read(|s| Ok(s.data_version()?)).await;
    assert_eq!(served.unwrap(), version, "the same version, other data");

    // What the server has kept of its file: the list index, tags, tiles.
    let index = app.server.state.db.index().await.unwrap();
    tokio::task::spawn_blocking(move || index.wait_idle())
        .await
        .unwrap();
    let searched = "/api/v1/sites?q=名称&limit=10";
    let old_list = app.json(searched).await;
    let old_site = crate::helpers::etag_of(&app, "/api/v1/sites/gdupt").await;
    let old_tile = crate::helpers::etag_of(&app, "/tiles/sites/10/831/447.mvt").await;
    assert_eq!(name_of(&app, "gdupt").await, "服务器里的名称");

    std::fs::remove_file(&path).unwrap();
    assert_missing(&app, &token).await;
    std::fs::rename(&copy, &path).unwrap();

    assert_eq!(name_of(&app, "gdupt").await, "备份里的名称");
    let list = app.json(searched).await;
    assert_ne!(list, old_list);
    assert!(list.to_string().contains("备份里的名称"), "{list}");
    assert!(!list.to_string().contains("服务器里的名称"), "{list}");
    for (route, tag) in [
        ("/api/v1/sites/gdupt", &old_site),
        ("/tiles/sites/10/831/447.mvt", &old_tile),
    ] {
        let r = app.get_if_none_match(route, tag).await;
        assert_eq!(r.status(), StatusCode::OK, "{route}: no 304 for other data");
    }
    // Edits go to the new file.
    let a = app
        .patch("gdupt", &token, None, &rename("恢复后的名称"))
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    let alone = atlas_store::Store::open_readonly(&path).unwrap();
    let id = atlas_core::SiteId::new("gdupt").unwrap();
    assert_eq!(alone.get(&id).unwrap().unwrap().name_zh, "恢复后的名称");
    drop(alone);
    atlas_store::check_database(&path).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_database_replaced_under_concurrent_reads_never_fails_them_otherwise() {
    let app = std::sync::Arc::new(spawn_app().await);
    let path = db_path(&app);
    let copy = backup_beside(&app, &path, "copy.db").await;
    {
        let mut store = atlas_store::Store::open(&copy).unwrap();
        store
            .import_sites(&atlas_store::synth::sites(200, 4))
            .unwrap();
    }
    let before = app.json("/api/v1/facets").await;
    let readers: Vec<_> = (0..8)
        .map(|i| {
            let app = std::sync::Arc::clone(&app);
            tokio::spawn(async move {
                let mut statuses = Vec::new();
                for j in 0..40 {
                    let path = match (i + j) % 3 {
                        0 => "/api/v1/facets",
                        1 => "/api/v1/sites?limit=50",
                        _ => "/tiles/sites/8/207/111.mvt",
                    };
                    statuses.push(app.get(path).await.status());
                }
                statuses
            })
        })
        .collect();
    tokio::task::yield_now().await;
    std::fs::rename(&copy, &path).unwrap();
    for r in readers {
        for status in r.await.unwrap() {
            // The old file or the new one: never an error.
            assert_eq!(status, StatusCode::OK);
        }
    }
    let after = app.json("/api/v1/facets").await;
    assert_ne!(after, before);
    let total = |f: &serde_json::Value| f["total"].as_u64();
    assert_eq!(
        total(&after).zip(total(&before)).map(|(a, b)| a - b),
        Some(200),
        "{after}"
    );
}
