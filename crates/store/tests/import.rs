//! Imports: atomic, upserting, counting; reference replacement; files on disk.

mod common;

use atlas_core::dataset::Reference;
use atlas_core::{ChainId, ChainRef, SiteFilter, SiteId, TownCode};
use atlas_store::{ImportReport, Store, StoreError};
use common::*;

#[test]
fn an_import_inserts_new_ids_updates_changed_ones_and_counts_identical_ones_unchanged() {
    let mut store = empty_store();
    let mut sites = atlas_store::synth::sites(300, 1);
    let first = store.import_sites(&sites[..200]).unwrap();
    assert_eq!(
        first,
        ImportReport {
            inserted: 200,
            ..Default::default()
        }
    );

    for s in &mut sites[..10] {
        s.name_zh.push_str("（更名）");
    }
    sites[10].website = Some("https://changed.example".into());
    let with_chains = (11..200).find(|i| !sites[*i].chains.is_empty()).unwrap();
    sites[with_chains].chains.clear();
    let rep = store.import_sites(&sites).unwrap();
    assert_eq!((rep.inserted, rep.updated, rep.unchanged), (100, 12, 188));
    assert_eq!(rep.written(), 300);

    let again = store.import_sites(&sites).unwrap();
    assert_eq!(
        (again.inserted, again.updated, again.unchanged),
        (0, 0, 300)
    );

    assert_eq!(store.site_version(&sites[0].id).unwrap(), Some(2));
    assert_eq!(store.site_version(&sites[with_chains].id).unwrap(), Some(2));
    assert_eq!(
        store.site_version(&sites[with_chains + 1].id).unwrap(),
        Some(1)
    );
    assert_eq!(store.site_version(&sites[250].id).unwrap(), Some(1));
    assert_eq!(store.get(&sites[0].id).unwrap().unwrap(), sites[0]);
    assert_eq!(
        store.get(&sites[with_chains].id).unwrap().unwrap().chains,
        vec![]
    );
    assert_eq!(store.count(&SiteFilter::default()).unwrap(), 300);
}

#[test]
fn an_updated_site_keeps_its_created_timestamp_and_search_follows_the_new_name() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("atlas.db");
    let mut store = with_reference(Store::open(&path).unwrap());
    let mut sites = atlas_store::synth::sites(5, 3);
    store.import_sites(&sites).unwrap();
    let raw = rusqlite::Connection::open(&path).unwrap();
    let created = |id: &SiteId| -> (String, String) {
        raw.query_row(
            "SELECT created_at, modified_at FROM sites WHERE id = ?1",
            [id.as_str()],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap()
    };
    let before = created(&sites[0].id);
    std::thread::sleep(std::time::Duration::from_millis(5));
    sites[0].name_zh = "全新名称孵化基地".into();
    store.import_sites(&sites).unwrap();
    let after = created(&sites[0].id);
    assert_eq!(before.0, after.0);
    assert_ne!(before.1, after.1);
    let found = store.query(&q("q=孵化基地")).unwrap();
    assert_eq!(ids(&found), vec![sites[0].id.clone()]);
    assert!(store.query(&q("q=全新名称")).unwrap().len() == 1);
}

#[test]
fn a_failure_in_the_middle_of_an_import_leaves_the_store_unchanged() {
    let mut store = empty_store();
    let sites = atlas_store::synth::sites(400, 5);
    store.import_sites(&sites[..100]).unwrap();
    let before = store.query(&SiteFilter::default()).unwrap();

    // 100 updates and 200 inserts, then a site on an unknown chain.
    let mut batch: Vec<_> = sites[..300].to_vec();
    for s in &mut batch[..100] {
        s.notes = Some("changed".into());
    }
    let mut bad = sites[300].clone();
    bad.chains = vec![ChainRef {
        chain: ChainId::new("space_mining").unwrap(),
        link: None,
    }];
    batch.push(bad);
    batch.extend(sites[301..].iter().cloned());
    let err = store.import_sites(&batch).unwrap_err();
    assert_eq!(err.code(), "invalid_site");
    assert!(err.to_string().contains("space_mining"), "{err}");
    assert_eq!(store.query(&SiteFilter::default()).unwrap(), before);
    assert_eq!(store.site_version(&sites[0].id).unwrap(), Some(1));
    assert!(store.query(&q("q=changed")).unwrap().is_empty());

    // A repeated id fails the same way.
    let mut dup: Vec<_> = sites[100..200].to_vec();
    dup.push(sites[150].clone());
    let err = store.import_sites(&dup).unwrap_err();
    assert!(matches!(err, StoreError::DuplicateId(ref id) if id == sites[150].id.as_str()));
    assert_eq!(store.count(&SiteFilter::default()).unwrap(), 100);

    // A township the store does not know.
    let mut t = sites[200].clone();
    t.town_code = Some(TownCode::new("440902999").unwrap());
    assert_eq!(store.import_sites(&[t]).unwrap_err().code(), "invalid_site");
    assert_eq!(store.count(&SiteFilter::default()).unwrap(), 100);
}

#[test]
fn sites_cannot_be_imported_before_their_chains_exist() {
    let mut store = Store::open_in_memory().unwrap();
    let sites = atlas_store::synth::sites(50, 9);
    let err = store.import_sites(&sites).unwrap_err();
    assert!(
        err.to_string().contains("load the reference data first"),
        "{err}"
    );
    assert!(store.is_empty().unwrap());
}

#[test]
fn reference_data_still_used_by_sites_cannot_be_removed() {
    let mut store = default_store();
    let mut r = Reference::embedded().unwrap();
    r.chains.chains.retain(|c| c.id.as_str() != "petrochemical");
    let err = store.replace_reference(&r).unwrap_err();
    assert_eq!(err.code(), "reference_in_use");
    assert!(err.to_string().contains("petrochemical"), "{err}");
    // Nothing changed.
    assert_eq!(
        store.chains().unwrap(),
        Reference::embedded().unwrap().chains
    );

    // Renaming a chain is fine: chains are data.
    let mut r = Reference::embedded().unwrap();
    r.chains.chains[0].name_zh = "石油化工（新）".into();
    store.replace_reference(&r).unwrap();
    assert_eq!(store.chains().unwrap().chains[0].name_zh, "石油化工（新）");
}

#[test]
fn unknown_chains_links_and_towns_in_a_filter_are_typed_errors_naming_the_allowed_values() {
    let store = default_store();
    store
        .validate_filter(&q("chain=petrochemical&link=health.tcm&town=440902100"))
        .unwrap();
    let e = store
        .validate_filter(&q("chain=petrochemicals"))
        .unwrap_err();
    assert_eq!((e.code(), e.param()), ("unknown_chain", Some("chain")));
    assert!(e.to_string().contains("kaolin_minerals"), "{e}");
    assert_eq!(e.kind(), atlas_store::ErrorKind::InvalidFilter);
    let e = store
        .validate_filter(&q("link=petrochemical.refinery"))
        .unwrap_err();
    assert_eq!((e.code(), e.param()), ("unknown_link", Some("link")));
    assert!(e.to_string().contains("petrochemical.refining"), "{e}");
    assert!(
        !e.to_string().contains("health.tcm"),
        "only the chain's links: {e}"
    );
    let e = store.validate_filter(&q("town=440902999")).unwrap_err();
    assert_eq!((e.code(), e.param()), ("unknown_town", Some("town")));
    assert!(e.to_string().contains("440902100"), "{e}");
}

#[test]
fn a_store_on_disk_reopens_read_only_with_the_same_sites() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("atlas.db");
    let sites = atlas_store::synth::sites(200, 11);
    {
        let mut store = with_reference(Store::open(&path).unwrap());
        store.import_sites(&sites).unwrap();
    }
    let reopened = Store::open(&path).unwrap();
    assert_eq!(
        reopened.schema_version().unwrap(),
        atlas_store::migrations::latest_version()
    );
    let mut ro = Store::open_readonly(&path).unwrap();
    assert_eq!(ro.query(&SiteFilter::default()).unwrap().len(), 200);
    for s in &sites {
        assert_eq!(ro.get(&s.id).unwrap().as_ref(), Some(s));
    }
    assert!(
        ro.import_sites(&sites[..1]).is_err(),
        "read-only stores refuse writes"
    );
    let mode: String = rusqlite::Connection::open(&path)
        .unwrap()
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
}

#[test]
fn a_read_only_store_refuses_a_database_of_another_schema_version() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute_batch("CREATE TABLE x (a); PRAGMA user_version = 0;")
        .unwrap();
    let err = Store::open_readonly(&path).unwrap_err();
    assert_eq!(err.code(), "schema_version");
}

#[test]
fn a_corrupt_row_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("atlas.db");
    let mut store = Store::open(&path).unwrap();
    store.load_default(today()).unwrap();
    let raw = rusqlite::Connection::open(&path).unwrap();
    raw.execute("UPDATE sites SET kind = 'spaceport' WHERE id = 'gdupt'", [])
        .unwrap();
    raw.execute(
        "UPDATE sites SET lat = 123.0 WHERE id = 'maoming-polytechnic'",
        [],
    )
    .unwrap();
    let e = store.get(&SiteId::new("gdupt").unwrap()).unwrap_err();
    assert_eq!(e.code(), "corrupt_data");
    assert!(
        e.to_string().contains("gdupt") && e.to_string().contains("spaceport"),
        "{e}"
    );
    let e = store
        .get(&SiteId::new("maoming-polytechnic").unwrap())
        .unwrap_err();
    assert!(e.to_string().contains("latitude"), "{e}");
    assert!(store.query(&SiteFilter::default()).is_err());
    // A later valid import repairs the row.
    let rep = store.load_default(today()).unwrap();
    assert_eq!(rep.updated, 2);
    store.query(&SiteFilter::default()).unwrap();
}

#[derive(Debug, PartialEq)]
enum ExportError {
    Store(String),
    Stop,
}

impl From<StoreError> for ExportError {
    fn from(e: StoreError) -> Self {
        Self::Store(e.to_string())
    }
}

#[test]
fn for_each_stops_at_the_callers_error() {
    let store = default_store();
    let mut seen = 0;
    let r = store.for_each(&SiteFilter::default(), |_| {
        seen += 1;
        if seen == 3 {
            Err(ExportError::Stop)
        } else {
            Ok(())
        }
    });
    assert_eq!(r.unwrap_err(), ExportError::Stop);
    assert_eq!(seen, 3);
}
