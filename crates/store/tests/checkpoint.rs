#![allow(clippy::unwrap_used)]
//! Checkpoints off the writer's path: a writer that defers them leaves its commits in the
//! write-ahead log, and a nudged `Checkpointer` copies them into the database file.

use atlas_core::dataset::Reference;
use atlas_store::{Action, Checkpointer, Store};
use std::time::{Duration, Instant};

/// The size of the write-ahead log of `path`.
fn wal_bytes(path: &std::path::Path) -> u64 {
    std::fs::metadata(path.with_extension("db-wal")).map_or(0, |m| m.len())
}

/// A database file of 300 synthetic sites (seed `seed`), imported: its directory, path, store
/// and sites.
fn imported(
    seed: u64,
) -> (
    tempfile::TempDir,
    std::path::PathBuf,
    Store,
    Vec<atlas_core::Site>,
) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("atlas.db");
    let mut store = Store::open(&path).unwrap();
    store
        .replace_reference(&Reference::embedded().unwrap())
        .unwrap();
    let sites = atlas_store::synth::sites(300, seed);
    store.import_sites_by(&sites, "test", false).unwrap();
    (dir, path, store, sites)
}

#[test]
fn a_deferring_writer_leaves_the_log_to_the_checkpointer_which_copies_it_after_a_nudge() {
    let (dir, path, mut store, sites) = imported(3);
    // Start from a database file holding everything so far.
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
        .unwrap();
    let checkpointer = Checkpointer::start(&path).unwrap().unwrap();
    store.defer_checkpoints().unwrap();
    assert_eq!(checkpointer.frames_checkpointed(), 0);

    for (i, s) in sites.iter().take(40).enumerate() {
        let mut changed = s.clone();
        changed.name_zh = format!("{}（{i}）", s.name_zh);
        store
            .update_site(&changed, None, "alice", Action::Update)
            .unwrap();
    }
    assert!(wal_bytes(&path) > 0, "the commits are in the log");
    let name_in_file = |copy: &str| {
        let copy = dir.path().join(copy);
        std::fs::copy(&path, &copy).unwrap();
        Store::open_readonly(&copy)
            .unwrap()
            .get(&sites[0].id)
            .unwrap()
            .unwrap()
            .name_zh
    };
    assert_eq!(
        name_in_file("before.db"),
        sites[0].name_zh,
        "not yet in the file"
    );
    checkpointer.nudge();
    let start = Instant::now();
    while checkpointer.frames_checkpointed() == 0 {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "no checkpoint after a nudge"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // The database file alone now holds the changes.
    drop(checkpointer);
    assert_eq!(
        name_in_file("after.db"),
        format!("{}（0）", sites[0].name_zh)
    );
}

#[test]
fn the_checkpointer_merges_the_full_text_segments_a_deferring_writer_leaves() {
    let (_dir, path, mut store, sites) = imported(5);
    let checkpointer = Checkpointer::start(&path).unwrap().unwrap();
    store.defer_checkpoints().unwrap();
    store.defer_fts_merges().unwrap();
    let conn = rusqlite::Connection::open(&path).unwrap();
    // The full-text index's pages: each segment has at least one.
    let pages = || -> i64 {
        conn.query_row("SELECT count(*) FROM sites_fts_data", [], |r| r.get(0))
            .unwrap()
    };
    // Fewer saves than FTS5's crisis merge (16 segments on a level) waits for.
    for (i, s) in sites.iter().take(12).enumerate() {
        let mut changed = s.clone();
        changed.name_zh = format!("{}鹭岛{i}", s.name_zh);
        store
            .update_site(&changed, None, "alice", Action::Update)
            .unwrap();
    }
    let grown = pages();
    checkpointer.nudge();
    let start = Instant::now();
    while pages() >= grown {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "no merge after a nudge"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    drop(checkpointer);
    conn.execute(
        "INSERT INTO sites_fts (sites_fts) VALUES ('integrity-check')",
        [],
    )
    .unwrap();
    let found = store
        .count(&atlas_core::SiteFilter::parse_query("q=鹭岛").unwrap())
        .unwrap();
    assert_eq!(found, 12);
}
