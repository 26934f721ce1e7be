#![allow(clippy::unwrap_used)]
//! One site at a time, with history: create, update, delete (out of every read path), restore,
//! revert, optimistic concurrency, revisions in the same transaction, dry runs.

mod common;

use atlas_core::dataset::Reference;
use atlas_core::{Labelled, Site, SiteFilter, SiteId};
use atlas_store::{Action, Store, StoreError};
use common::*;

fn id(s: &str) -> SiteId {
    SiteId::new(s).unwrap()
}

/// Every read path agrees with `SiteFilter::matches` over `sites`: list, count, page,
/// facet totals, chain counts, search.
fn assert_reads_match(store: &Store, sites: &[Site]) {
    for f in [
        "",
        "category=carrier_platform",
        "chain=petrochemical",
        "link=petrochemical.refining&kind=enterprise",
        "town=440902100&bbox=110.7,21.5,111.0,21.8",
        "bbox=110.7,21.4,111.2,21.9&limit=50",
        "q=石化",
        "q=园区&chain=health",
        "limit=20&offset=5",
    ] {
        let f = q(f);
        assert_equivalent(store, sites, &f);
        let unpaged = SiteFilter {
            limit: None,
            offset: 0,
            ..f.clone()
        };
        let want = sites.iter().filter(|s| unpaged.matches(s)).count() as u64;
        assert_eq!(store.facets(&f).unwrap().total, want, "{:?}", f.to_pairs());
        let mut paged = Vec::new();
        let matched = store
            .page(&f, |s| {
                paged.push(s.id);
                Ok::<_, StoreError>(())
            })
            .unwrap();
        assert_eq!(matched, want, "page count of {:?}", f.to_pairs());
        assert_eq!(paged, expected(sites, &f));
    }
    let on_chains: u64 = store
        .chain_counts(&SiteFilter::default())
        .unwrap()
        .iter()
        .map(|c| c.total)
        .sum();
    assert_eq!(on_chains, atlas_store::synth::chain_memberships(sites));
}

fn file_store(dir: &tempfile::TempDir) -> Store {
    with_reference(Store::open(dir.path().join("atlas.db")).unwrap())
}

#[test]
fn every_imported_site_gets_a_revision_whose_record_reads_back_exactly() {
    let (mut store, sites) = synth_store(600, 11);
    assert_eq!(store.revision_count().unwrap(), 600);
    for s in &sites {
        let h = store.history(&s.id).unwrap();
        assert_eq!(h.len(), 1);
        assert_eq!(h[0].action, Action::Import);
        assert_eq!(h[0].who, "import");
        assert_eq!(h[0].before, None);
        assert_eq!(h[0].after.as_ref(), Some(s), "{}", s.id);
        assert_eq!(h[0].version, Some(1));
    }
    // A re-import with changes: revisions for the changed rows only, before and after.
    let mut changed = sites.clone();
    changed[3].name_zh.push_str("（更名）");
    let with_area = (4..600)
        .find(|i| sites[*i].available_area_m2.is_some())
        .unwrap();
    changed[with_area].available_area_m2 = None;
    let rep = store
        .import_sites_by(&changed, "cli:tester", false)
        .unwrap();
    assert_eq!((rep.updated, rep.unchanged), (2, 598));
    assert_eq!(store.revision_count().unwrap(), 602);
    let h = store.history(&sites[3].id).unwrap();
    assert_eq!(h.len(), 2);
    assert_eq!(h[0].who, "cli:tester");
    assert_eq!(h[0].before.as_ref(), Some(&sites[3]));
    assert_eq!(h[0].after.as_ref(), Some(&changed[3]));
    assert_eq!(h[0].version, Some(2));
    assert!(h[0].rev > h[1].rev, "newest first");
    assert!(
        h[0].at.ends_with('Z') && h[0].at.contains('T'),
        "{}",
        h[0].at
    );
}

#[test]
fn a_bulk_first_import_writes_a_revision_per_site_too() {
    let mut store = empty_store();
    let sites = atlas_store::synth::sites(6000, 5);
    store.import_sites_by(&sites, "init", false).unwrap();
    assert_eq!(store.revision_count().unwrap(), 6000);
    for s in sites.iter().step_by(97) {
        let h = store.history(&s.id).unwrap();
        assert_eq!(h.len(), 1);
        assert_eq!(h[0].after.as_ref(), Some(s));
    }
}

#[test]
fn a_dry_run_import_reports_what_it_would_do_and_writes_nothing() {
    let (mut store, mut sites) = synth_store(300, 2);
    let version = store.data_version().unwrap();
    let revisions = store.revision_count().unwrap();
    sites[0].name_zh.push('!');
    let mut more = atlas_store::synth::sites(310, 2);
    sites.push(more.remove(305));
    let rep = store.import_sites_by(&sites, "x", true).unwrap();
    assert_eq!((rep.inserted, rep.updated, rep.unchanged), (1, 1, 299));
    assert_eq!(store.data_version().unwrap(), version);
    assert_eq!(store.revision_count().unwrap(), revisions);
    assert_eq!(store.count(&SiteFilter::default()).unwrap(), 300);
    assert_ne!(store.get(&sites[0].id).unwrap().unwrap(), sites[0]);
}

#[test]
fn a_deleted_site_leaves_every_read_path_and_a_restore_brings_it_back() {
    let (mut store, sites) = synth_store(1500, 21);
    let mut live = sites.clone();
    let data_version = store.data_version().unwrap();
    // Delete a spread of sites (polygons, partners, sites on seats…).
    let gone: Vec<SiteId> = sites.iter().step_by(7).map(|s| s.id.clone()).collect();
    for g in &gone {
        store.delete_site(g, None, "alice").unwrap();
    }
    live.retain(|s| !gone.contains(&s.id));
    assert!(store.data_version().unwrap() > data_version);
    assert_reads_match(&store, &live);
    assert_eq!(store.get(&gone[0]).unwrap(), None);
    assert_eq!(store.site_version(&gone[0]).unwrap(), None);

    let deleted = store.deleted_sites().unwrap();
    assert_eq!(deleted.len(), gone.len());
    assert_eq!(deleted[0].id, gone.last().unwrap().as_str(), "newest first");
    let first = deleted.iter().find(|d| d.id == gone[0].as_str()).unwrap();
    assert_eq!(first.deleted_by, "alice");
    assert_eq!(first.name_zh, sites[0].name_zh);
    assert_eq!(first.category, sites[0].category);

    // Restore half of them: back exactly, version continuing, revisions recorded.
    for g in gone.iter().step_by(2) {
        let saved = store.restore_site(g, "bob").unwrap();
        assert_eq!(
            saved.version, 2,
            "{g}: 1 before the deletion, 2 after the restore"
        );
        let original = sites.iter().find(|s| &s.id == g).unwrap();
        assert_eq!(&saved.site, original);
        live.push(original.clone());
        let h = store.history(g).unwrap();
        let actions: Vec<Action> = h.iter().map(|r| r.action).collect();
        assert_eq!(actions, [Action::Restore, Action::Delete, Action::Import]);
        assert_eq!(h[1].before.as_ref(), Some(original));
        assert_eq!(h[1].after, None);
        assert_eq!(h[0].who, "bob");
    }
    assert_reads_match(&store, &live);
    assert_eq!(
        store.deleted_sites().unwrap().len(),
        gone.len() - gone.len().div_ceil(2)
    );
    let ok: String = store_rtree_check(&store);
    assert_eq!(ok, "ok");
    // Restoring a site that is there, or never was, is refused.
    assert!(matches!(
        store.restore_site(&gone[0], "bob"),
        Err(StoreError::NotDeleted(_))
    ));
    assert!(matches!(
        store.restore_site(&id("never-was"), "bob"),
        Err(StoreError::NoSuchSite(_))
    ));
    assert!(matches!(
        store.delete_site(&id("never-was"), None, "bob"),
        Err(StoreError::NoSuchSite(_))
    ));
}

/// `PRAGMA integrity_check` (which also checks R*Tree and FTS5 tables) of a backup copy: the
/// store runs no SQL for its callers.
fn store_rtree_check(store: &Store) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("copy.db");
    store.backup_to(&path).unwrap();
    match atlas_store::check_database(&path) {
        Ok(_) => "ok".into(),
        Err(e) => e.to_string(),
    }
}

#[test]
fn updates_check_the_version_and_identical_records_write_nothing() {
    let (mut store, sites) = synth_store(50, 3);
    let mut s = sites[0].clone();
    s.notes = Some("新备注".into());
    let saved = store
        .update_site(&s, Some(1), "alice", Action::Update)
        .unwrap();
    assert_eq!(saved.version, 2);
    assert!(saved.rev.is_some());
    assert_eq!(saved.site, s);

    // A stale version: refused, nothing written.
    let mut stale = s.clone();
    stale.notes = Some("覆盖".into());
    let revisions = store.revision_count().unwrap();
    match store.update_site(&stale, Some(1), "bob", Action::Update) {
        Err(StoreError::VersionMismatch {
            expected, current, ..
        }) => assert_eq!((expected, current), (1, 2)),
        other => panic!("{other:?}"),
    }
    assert_eq!(store.revision_count().unwrap(), revisions);
    assert_eq!(store.get(&s.id).unwrap().unwrap(), s);

    // The same record again: no revision, same version, no data version bump.
    let dv = store.data_version().unwrap();
    let same = store
        .update_site(&s, Some(2), "alice", Action::Update)
        .unwrap();
    assert_eq!((same.version, same.rev), (2, None));
    assert_eq!(store.data_version().unwrap(), dv);

    // An unknown chain is refused by the store's own check.
    let mut bad = s.clone();
    bad.chains = atlas_core::ChainRef::parse_list("no_such_chain").unwrap();
    assert!(matches!(
        store.update_site(&bad, None, "alice", Action::Update),
        Err(StoreError::InvalidSite { .. })
    ));
    assert!(matches!(
        store.update_site(&sites[1].clone_with_id("nope"), None, "a", Action::Update),
        Err(StoreError::NoSuchSite(_))
    ));
}

trait CloneWithId {
    fn clone_with_id(&self, id: &str) -> Site;
}

impl CloneWithId for Site {
    fn clone_with_id(&self, new: &str) -> Site {
        let mut s = self.clone();
        s.id = id(new);
        s
    }
}

#[test]
fn create_refuses_a_taken_id_and_may_reuse_a_deleted_one() {
    let (mut store, sites) = synth_store(20, 4);
    assert!(matches!(
        store.create_site(&sites[0], "alice"),
        Err(StoreError::SiteExists(_))
    ));
    let fresh = sites[0].clone_with_id("brand-new");
    let saved = store.create_site(&fresh, "alice").unwrap();
    assert_eq!((saved.version, saved.site.id.as_str()), (1, "brand-new"));
    let h = store.history(&fresh.id).unwrap();
    assert_eq!(h[0].action, Action::Create);
    store.delete_site(&fresh.id, Some(1), "alice").unwrap();
    let again = store.create_site(&fresh, "bob").unwrap();
    assert_eq!(again.version, 1);
    assert!(store.deleted_sites().unwrap().is_empty());
    assert_eq!(store.count(&SiteFilter::default()).unwrap(), 21);
}

#[test]
fn revert_sets_a_site_back_to_its_record_after_a_chosen_revision() {
    let (mut store, sites) = synth_store(30, 6);
    let s0 = sites[5].clone();
    let mut s1 = s0.clone();
    s1.name_zh = "第一次修改".into();
    let mut s2 = s1.clone();
    s2.phone = Some("+86 668 1234567".into());
    store.update_site(&s1, None, "a", Action::Update).unwrap();
    store.update_site(&s2, None, "b", Action::Update).unwrap();
    let h = store.history(&s0.id).unwrap();
    assert_eq!(h.len(), 3);
    let import_rev = h[2].rev;
    let back = store.revert_site(&s0.id, import_rev, Some(3), "c").unwrap();
    assert_eq!(back.site, s0);
    assert_eq!(back.version, 4);
    let h = store.history(&s0.id).unwrap();
    assert_eq!(h[0].action, Action::Revert);
    assert_eq!(h[0].before.as_ref(), Some(&s2));
    // A stale If-Match, another site's revision, an unknown revision: refused.
    assert!(matches!(
        store.revert_site(&s0.id, h[2].rev, Some(3), "c"),
        Err(StoreError::VersionMismatch { .. })
    ));
    let other = store.history(&sites[6].id).unwrap()[0].rev;
    assert!(matches!(
        store.revert_site(&s0.id, other, None, "c"),
        Err(StoreError::NoSuchRevision { .. })
    ));
    assert!(matches!(
        store.revert_site(&s0.id, 999_999, None, "c"),
        Err(StoreError::NoSuchRevision { .. })
    ));
    // Reverting a deleted site brings it back; to the deletion itself is refused.
    let del = store.delete_site(&s0.id, None, "d").unwrap();
    assert!(matches!(
        store.revert_site(&s0.id, del, None, "c"),
        Err(StoreError::RevisionDeletes { .. })
    ));
    let again = store.revert_site(&s0.id, h[1].rev, None, "e").unwrap();
    assert_eq!(again.site, s2);
    assert_eq!(again.version, 5, "continues after the deleted version 4");
    assert_eq!(store.count(&SiteFilter::default()).unwrap(), 30);
}

#[test]
fn a_restore_onto_a_chain_the_store_no_longer_has_is_refused() {
    let (mut store, sites) = synth_store(200, 8);
    let victim = sites
        .iter()
        .find(|s| s.chains.iter().any(|c| c.chain.as_str() == "health"))
        .unwrap()
        .clone();
    store.delete_site(&victim.id, None, "a").unwrap();
    // Move every other health site off the chain, then drop the chain.
    let moved: Vec<Site> = store
        .query(&q("chain=health"))
        .unwrap()
        .into_iter()
        .map(|mut s| {
            s.chains.retain(|c| c.chain.as_str() != "health");
            s
        })
        .collect();
    store.import_sites(&moved).unwrap();
    let mut cat = Reference::embedded().unwrap().chains;
    cat.chains.retain(|c| c.id.as_str() != "health");
    store.replace_chains(&cat).unwrap();
    match store.restore_site(&victim.id, "a") {
        Err(StoreError::InvalidSite { message, .. }) => {
            assert!(message.contains("health"), "{message}")
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(store.deleted_sites().unwrap().len(), 1);
}

#[test]
fn users_are_added_listed_and_revoked_and_names_are_checked() {
    let mut store = Store::open_in_memory().unwrap();
    let u = store
        .add_user("zhang_san", atlas_store::Role::Editor, "$argon2id$fake")
        .unwrap();
    assert_eq!(u.role.as_str(), "editor");
    assert!(matches!(
        store.add_user("zhang_san", atlas_store::Role::Admin, "h"),
        Err(StoreError::UserExists(_))
    ));
    for bad in ["", "a.b", "张三", "x y", &"a".repeat(41)] {
        assert!(
            matches!(
                store.add_user(bad, atlas_store::Role::Admin, "h"),
                Err(StoreError::InvalidUser(_))
            ),
            "{bad:?}"
        );
    }
    store
        .add_user("admin-1", atlas_store::Role::Admin, "h2")
        .unwrap();
    let names: Vec<String> = store.users().unwrap().into_iter().map(|u| u.name).collect();
    assert_eq!(names, ["admin-1", "zhang_san"]);
    let (user, hash) = store.user_credentials("zhang_san").unwrap().unwrap();
    assert_eq!((user.revoked_at, hash.as_str()), (None, "$argon2id$fake"));
    let revoked = store.revoke_user("zhang_san").unwrap();
    assert!(revoked.revoked_at.is_some());
    let again = store.revoke_user("zhang_san").unwrap();
    assert_eq!(
        again.revoked_at, revoked.revoked_at,
        "revoking twice keeps the first time"
    );
    assert!(matches!(
        store.revoke_user("nobody"),
        Err(StoreError::NoSuchUser(_))
    ));
    assert_eq!(store.user_credentials("nobody").unwrap(), None);
    assert!("root".parse::<atlas_store::Role>().is_err());
    assert!(atlas_store::Role::Admin.allows(atlas_store::Role::Editor));
    assert!(!atlas_store::Role::Editor.allows(atlas_store::Role::Admin));
}

#[test]
fn a_migrated_version_2_database_gets_a_baseline_revision_per_site() {
    // The default dataset loaded by `load_default` is journaled as `init`.
    let store = default_store();
    let sites = store.query(&SiteFilter::default()).unwrap();
    assert_eq!(store.revision_count().unwrap() as usize, sites.len());
    let h = store.history(&sites[0].id).unwrap();
    assert_eq!((h[0].who.as_str(), h[0].action), ("init", Action::Import));
    assert_eq!(h[0].after.as_ref(), Some(&sites[0]));
    assert_eq!(Action::Import.to_string(), "import");
    assert_eq!(
        sites[0].category.id(),
        h[0].after.as_ref().unwrap().category.id()
    );
}

#[test]
fn a_file_store_keeps_deletions_and_revisions_across_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let sites = atlas_store::synth::sites(100, 9);
    {
        let mut s = file_store(&dir);
        s.import_sites(&sites).unwrap();
        s.delete_site(&sites[0].id, None, "a").unwrap();
    }
    let s = Store::open(dir.path().join("atlas.db")).unwrap();
    assert_eq!(s.count(&SiteFilter::default()).unwrap(), 99);
    assert_eq!(s.deleted_sites().unwrap()[0].id, sites[0].id.as_str());
    let r = Store::open_readonly(dir.path().join("atlas.db")).unwrap();
    assert_eq!(r.history(&sites[0].id).unwrap().len(), 2);
}

#[test]
fn revisions_and_users_take_their_time_from_the_stores_clock() {
    let mut store = default_store();
    let clock = atlas_core::clock::Clock::parse_fixed("2026-03-04T05:06:07.089Z").unwrap();
    store.set_clock(clock);
    let mut site = default_sites().remove(0);
    site.id = id("clock-test-site");
    store.create_site(&site, "tester").unwrap();
    store.delete_site(&site.id, None, "tester").unwrap();
    let history = store.history(&site.id).unwrap();
    assert_eq!(history.len(), 2);
    for r in &history {
        assert_eq!(r.at, "2026-03-04T05:06:07.089Z", "{:?}", r.action);
    }
    let user = store
        .add_user("clocked", atlas_store::Role::Editor, "hash")
        .unwrap();
    assert_eq!(user.created_at, "2026-03-04T05:06:07Z");
    let later = atlas_core::clock::Clock::parse_fixed("2026-03-05T00:00:00Z").unwrap();
    store.set_clock(later);
    let revoked = store.revoke_user("clocked").unwrap();
    assert_eq!(revoked.revoked_at.as_deref(), Some("2026-03-05T00:00:00Z"));
}

#[test]
fn single_site_updates_reuse_stored_combinations_and_chain_sets_and_intern_new_ones() {
    let (mut store, mut sites) = synth_store(400, 23);
    // Site 0 takes site 1's attributes and chains (a combination and a chain set the store
    // already holds), then a status no site has (a new combination).
    let mut s = sites[0].clone();
    s.category = sites[1].category;
    s.kind = sites[1].kind;
    s.level = sites[1].level;
    s.status = sites[1].status;
    s.scope = sites[1].scope;
    s.town_code = sites[1].town_code.clone();
    s.chains = sites[1].chains.clone();
    store
        .update_site(&s, None, "alice", Action::Update)
        .unwrap();
    sites[0] = s.clone();
    assert_reads_match(&store, &sites);
    // A combination no site has: a new one is interned.
    let key = |x: &Site| {
        (
            x.category,
            x.kind,
            x.level,
            x.status,
            x.scope,
            x.town_code.clone(),
        )
    };
    let held: std::collections::HashSet<_> = sites.iter().map(key).collect();
    let fresh = atlas_core::Status::ALL
        .iter()
        .flat_map(|st| atlas_core::Level::ALL.iter().map(move |l| (*st, *l)))
        .map(|(status, level)| Site {
            status,
            level,
            ..s.clone()
        })
        .find(|x| !held.contains(&key(x)))
        .unwrap();
    store
        .update_site(&fresh, None, "alice", Action::Update)
        .unwrap();
    sites[0] = fresh;
    assert_reads_match(&store, &sites);
}
