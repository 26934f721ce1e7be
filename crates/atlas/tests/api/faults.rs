//! Faults under a running server: a full disk (SQLite's `max_page_count` on the server's one
//! writer, as a disk of no free space) during an import and an edit gives `507 disk_full`
//! with a message saying so once, writes nothing, and reads keep being served.

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
