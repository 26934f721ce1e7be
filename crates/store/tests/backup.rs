#![allow(clippy::unwrap_used)]
//! Never losing data: an online backup taken while another connection keeps writing is one
//! committed state of the database; a restore replaces the database with a checked file.

mod common;

use atlas_core::{SiteFilter, SiteId};
use atlas_store::{Store, StoreError};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

fn file_store(path: &std::path::Path, n: usize) -> Store {
    let mut s = common::with_reference(Store::open(path).unwrap());
    s.import_sites(&atlas_store::synth::sites(n, 3)).unwrap();
    s
}

/// A backup holds one committed state: as many sites as the initial import plus one per
/// `create` revision it holds, every site with its revisions.
fn assert_consistent(path: &std::path::Path, initial: u64) -> u64 {
    atlas_store::check_database(path).unwrap();
    let b = Store::open_readonly(path).unwrap();
    let sites = b.count(&SiteFilter::default()).unwrap();
    let revisions = b.revision_count().unwrap();
    assert_eq!(
        sites, revisions,
        "one revision per site: the initial import and one create each"
    );
    assert!(sites >= initial);
    // Every created site (ids w-0, w-1, … in order) up to the last one is there, none after.
    let created = sites - initial;
    for k in [0, created / 2, created.saturating_sub(1)] {
        if k < created {
            let id = SiteId::new(format!("w-{k}")).unwrap();
            assert!(b.get(&id).unwrap().is_some(), "w-{k} of {created}");
            assert_eq!(b.history(&id).unwrap().len(), 1);
        }
    }
    let after = SiteId::new(format!("w-{created}")).unwrap();
    assert!(b.get(&after).unwrap().is_none());
    sites
}

#[test]
fn a_backup_taken_while_another_connection_writes_is_one_committed_state() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("atlas.db");
    let initial = 20_000;
    drop(file_store(&db, initial));
    let stop = Arc::new(AtomicBool::new(false));
    let written = Arc::new(AtomicU64::new(0));
    let writer = {
        let (db, stop, written) = (db.clone(), stop.clone(), written.clone());
        std::thread::spawn(move || {
            let mut s = Store::open(&db).unwrap();
            let template = atlas_store::synth::sites(1, 99).remove(0);
            let mut k = 0_u64;
            while !stop.load(Ordering::Relaxed) {
                let mut site = template.clone();
                site.id = SiteId::new(format!("w-{k}")).unwrap();
                site.name_zh = format!("并发写入{k}");
                match s.create_site(&site, "writer") {
                    Ok(_) => {
                        k += 1;
                        written.store(k, Ordering::Relaxed);
                    }
                    // The backup may hold the database briefly; try again.
                    Err(e) if e.code() == "busy" => {}
                    Err(e) => panic!("{e}"),
                }
            }
            k
        })
    };
    while written.load(Ordering::Relaxed) < 20 {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let source = Store::open(&db).unwrap();
    let mut seen = Vec::new();
    let mut overlapped = false;
    for i in 0..3 {
        let before = written.load(Ordering::Relaxed);
        let path = dir.path().join(format!("backup-{i}.db"));
        source.backup_to(&path).unwrap();
        let after = written.load(Ordering::Relaxed);
        let n = assert_consistent(&path, initial as u64);
        assert!(
            n >= initial as u64 + before && n <= initial as u64 + after + 1,
            "{n} sites: between {before} and {after} writes"
        );
        overlapped |= after > before;
        seen.push(n);
    }
    stop.store(true, Ordering::Relaxed);
    let total = writer.join().unwrap();
    assert!(total >= 20);
    assert!(overlapped, "the writer wrote while a backup ran");
    assert!(
        seen.windows(2).all(|w| w[0] <= w[1]),
        "later backups hold no fewer sites: {seen:?}"
    );
}

#[test]
fn a_restore_replaces_the_database_for_every_connection_and_moves_the_data_version() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("atlas.db");
    let mut live = file_store(&db, 300);
    let copy = dir.path().join("copy.db");
    live.backup_to(&copy).unwrap();
    let sites = atlas_store::synth::sites(300, 3);
    for s in sites.iter().take(10) {
        live.delete_site(&s.id, None, "oops").unwrap();
    }
    let reader = Store::open_readonly(&db).unwrap();
    assert_eq!(reader.count(&SiteFilter::default()).unwrap(), 290);
    let before = live.data_version().unwrap();
    let version = live.restore_from(&copy).unwrap();
    assert_eq!(version, atlas_store::migrations::latest_version());
    assert!(live.data_version().unwrap() > before);
    assert_eq!(live.count(&SiteFilter::default()).unwrap(), 300);
    assert_eq!(reader.count(&SiteFilter::default()).unwrap(), 300);
    assert!(live.deleted_sites().unwrap().is_empty());
    assert_eq!(reader.get(&sites[0].id).unwrap().as_ref(), Some(&sites[0]));
    drop(reader);
    drop(live);
    atlas_store::check_database(&db).unwrap();
}

#[test]
fn only_an_intact_atlas_database_of_a_known_schema_is_accepted_for_a_restore() {
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.db");
    std::fs::write(
        &junk,
        b"this is not a database at all, just some bytes........",
    )
    .unwrap();
    let other = dir.path().join("other.db");
    {
        let c = rusqlite::Connection::open(&other).unwrap();
        c.execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1);")
            .unwrap();
    }
    let future = dir.path().join("future.db");
    {
        drop(file_store(&future, 5));
        let c = rusqlite::Connection::open(&future).unwrap();
        c.pragma_update(None, "user_version", 99).unwrap();
    }
    let truncated = dir.path().join("truncated.db");
    {
        let good = dir.path().join("good.db");
        let s = file_store(&good, 2000);
        s.backup_to(&good.with_extension("bak")).unwrap();
        let bytes = std::fs::read(good.with_extension("bak")).unwrap();
        std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    }
    for (path, says) in [
        (&junk, "not a usable atlas database"),
        (&other, "atlas tables"),
        (&future, "schema version is 99"),
        (&truncated, "not a usable atlas database"),
        (&dir.path().join("missing.db"), "no such file"),
    ] {
        match atlas_store::check_database(path) {
            Err(e @ StoreError::NotAnAtlasDatabase(_)) => {
                assert!(e.to_string().contains(says), "{}: {e}", path.display())
            }
            other => panic!("{}: {other:?}", path.display()),
        }
    }
    let db = dir.path().join("atlas.db");
    let mut live = file_store(&db, 50);
    assert!(live.restore_from(&junk).is_err());
    assert_eq!(live.count(&SiteFilter::default()).unwrap(), 50);
}
