//! The bulk import path (large imports into a store holding fewer sites) and what it maintains
//! besides the rows: the R*Tree packed by the store, the full-text index, the interned
//! combinations and chain sets with their counts, the per-cell counts; and that later imports,
//! bulk or not, keep all of them right.
// Test helpers: clippy.toml allows unwrap in #[test] functions, not in helpers they share.
#![allow(clippy::unwrap_used)]

mod common;

use atlas_core::dataset::Reference;
use atlas_core::{Site, SiteFilter};
use atlas_store::synth::{self, Lcg};
use atlas_store::Store;
use common::*;
use std::path::Path;

/// More than the bulk threshold (5,000 sites).
const N: usize = 6_000;

fn open(path: &Path) -> Store {
    with_reference(Store::open(path).unwrap())
}

/// Checks every structure the store maintains next to the rows, with SQLite's own checkers.
fn assert_consistent(path: &Path) {
    let c = rusqlite::Connection::open(path).unwrap();
    let one = |q: &str| -> String {
        c.query_row(q, [], |r| r.get::<_, rusqlite::types::Value>(0))
            .map(|v| format!("{v:?}"))
            .unwrap()
    };
    assert_eq!(one("PRAGMA integrity_check"), "Text(\"ok\")");
    assert_eq!(one("SELECT rtreecheck('sites_rtree')"), "Text(\"ok\")");
    c.execute(
        "INSERT INTO sites_fts (sites_fts) VALUES ('integrity-check')",
        [],
    )
    .unwrap();
    let zero = |what: &str, q: &str| {
        let n: i64 = c.query_row(q, [], |r| r.get(0)).unwrap();
        assert_eq!(n, 0, "{what}: {q}");
    };
    zero(
        "foreign keys",
        "SELECT count(*) FROM pragma_foreign_key_check",
    );
    zero(
        "R*Tree entries (one per site with a location)",
        "SELECT (SELECT count(*) FROM sites WHERE lon IS NOT NULL) \
            - (SELECT count(*) FROM sites_rtree)",
    );
    zero(
        "R*Tree entries of sites without location",
        "SELECT count(*) FROM sites AS s JOIN sites_rtree AS r ON r.id = s.pk \
         WHERE s.lon IS NULL",
    );
    zero(
        "R*Tree boxes",
        "SELECT count(*) FROM sites AS s JOIN sites_rtree AS r ON r.id = s.pk \
         WHERE r.min_lon > s.min_lon * 1e7 OR r.max_lon < s.max_lon * 1e7 \
            OR r.min_lat > s.min_lat * 1e7 OR r.max_lat < s.max_lat * 1e7",
    );
    zero(
        "combinations",
        "SELECT count(*) FROM sites AS s LEFT JOIN facet_combos AS f ON f.id = s.combo \
         WHERE f.id IS NULL OR f.category_rank != s.category_rank OR f.kind != s.kind \
            OR f.level != s.level OR f.status != s.status OR f.scope != s.scope \
            OR f.town_code IS NOT s.town_code",
    );
    zero(
        "combination counts",
        "SELECT count(*) FROM facet_combos AS f \
         WHERE f.sites != (SELECT count(*) FROM sites WHERE combo = f.id)",
    );
    zero(
        "chain set counts",
        "SELECT count(*) FROM chain_sets AS cs \
         WHERE cs.sites != (SELECT count(*) FROM sites WHERE chainset = cs.id) \
            OR cs.sites = 0",
    );
    zero(
        "chain sets of sites",
        "SELECT count(*) FROM sites AS s LEFT JOIN chain_sets AS cs ON cs.id = s.chainset \
         WHERE cs.id IS NULL",
    );
    zero(
        "chain set categories",
        "SELECT count(*) FROM sites AS s JOIN chain_sets AS cs ON cs.id = s.chainset \
         WHERE cs.category_rank != s.category_rank",
    );
    zero(
        "cell counts",
        "SELECT count(*) FROM (SELECT CAST(((min_lon + max_lon) / 2 + 180) * 100 AS INTEGER) AS x, \
            CAST(((min_lat + max_lat) / 2 + 90) * 100 AS INTEGER) AS y, count(*) AS n \
            FROM sites WHERE min_lon IS NOT NULL GROUP BY 1, 2) AS g FULL JOIN site_cells AS c ON c.cx = g.x AND c.cy = g.y \
         WHERE g.n IS NOT c.sites",
    );
}

/// A few hundred random filters: query, count, stream and facets as `SiteFilter::matches`.
fn assert_answers(store: &Store, sites: &[Site], seed: u64) {
    let r = Reference::embedded().unwrap();
    let mut g = Lcg::new(seed);
    let chains: Vec<String> = r.chains.chains.iter().map(|c| c.id.to_string()).collect();
    let links: Vec<String> = r.chains.links().map(|l| l.id.to_string()).collect();
    let towns: Vec<String> = r.divisions.iter().map(|d| d.code.to_string()).collect();
    for _ in 0..150 {
        let mut p: Vec<String> = Vec::new();
        if g.chance(0.4) {
            p.push(format!("chain={}", g.pick(&chains).unwrap()));
        }
        if g.chance(0.2) {
            p.push(format!("link={}", g.pick(&links).unwrap()));
        }
        if g.chance(0.3) {
            p.push(format!("town={}", g.pick(&towns).unwrap()));
        }
        if g.chance(0.3) {
            p.push(
                g.pick(&[
                    "category=key_enterprise",
                    "kind=incubator",
                    "status=planned",
                ])
                .unwrap()
                .to_string(),
            );
        }
        if g.chance(0.5) {
            let (x, y) = (110.75 + g.unit() * 0.3, 21.5 + g.unit() * 0.3);
            let (w, h) = (g.unit() * 0.2, g.unit() * 0.2);
            p.push(format!("bbox={x},{y},{},{}", x + w, y + h));
        }
        if g.chance(0.3) {
            p.push(
                g.pick(&["q=石化", "q=园区", "q=鱼", "q=petro", "q=co", "q=高岭土 路"])
                    .unwrap()
                    .to_string(),
            );
        }
        if g.chance(0.5) {
            p.push(format!("limit={}&offset={}", 1 + g.below(300), g.below(50)));
        }
        let f = q(&p.join("&"));
        assert_equivalent(store, sites, &f);
        let facets = store.facets(&f).unwrap();
        let unpaged = SiteFilter {
            limit: None,
            offset: 0,
            ..f.clone()
        };
        assert_eq!(
            facets.total,
            expected(sites, &unpaged).len() as u64,
            "{p:?}"
        );
        let on_chains: u64 = store
            .chain_counts(&f)
            .unwrap()
            .iter()
            .map(|c| c.total)
            .sum();
        let want = synth::chain_memberships(sites.iter().filter(|s| unpaged.matches(s)));
        assert_eq!(on_chains, want, "chain counts of {p:?}");
    }
}

#[test]
fn a_bulk_import_answers_like_any_other_and_keeps_every_index_right() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bulk.db");
    let mut store = open(&path);
    let sites = synth::sites(N, 11);
    let report = store.import_sites(&sites).unwrap();
    assert_eq!(report.inserted as usize, N);
    assert_consistent(&path);
    assert_answers(&store, &sites, 1);
    for s in sites.iter().step_by(97) {
        assert_eq!(store.get(&s.id).unwrap().as_ref(), Some(s));
    }
}

#[test]
fn imports_after_a_bulk_import_bulk_or_not_keep_every_index_right() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bulk.db");
    let mut store = open(&path);
    let mut sites = synth::sites(N, 11);
    store.import_sites(&sites).unwrap();
    // Small: 300 changed records and 40 new ones, one at a time.
    let other = synth::sites(N + 40, 12);
    let small: Vec<Site> = other[..300].iter().chain(&other[N..]).cloned().collect();
    let report = store.import_sites(&small).unwrap();
    assert_eq!((report.inserted, report.unchanged), (40, 0));
    sites[..300].clone_from_slice(&other[..300]);
    sites.extend_from_slice(&other[N..]);
    assert_consistent(&path);
    assert_answers(&store, &sites, 2);
    // Bulk again, over stored sites: 6,040 records (changed or not) and 960 new ones.
    let again = synth::sites(N + 1000, 13);
    let mut bulk: Vec<Site> = again.clone();
    bulk[..100].clone_from_slice(&sites[..100]);
    let report = store.import_sites(&bulk).unwrap();
    assert_eq!(report.inserted, 960);
    assert_eq!(report.unchanged, 100);
    assert_consistent(&path);
    assert_answers(&store, &bulk, 3);
}

#[test]
fn a_failing_bulk_import_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bulk.db");
    let mut store = open(&path);
    let first = synth::sites(100, 5);
    store.import_sites(&first).unwrap();
    let mut sites = synth::sites(N, 6);
    sites[N - 1].id = sites[7].id.clone();
    let err = store.import_sites(&sites).unwrap_err();
    assert_eq!(err.code(), "duplicate_id", "{err}");
    assert_consistent(&path);
    assert_answers(&store, &first, 4);
    assert_eq!(store.count(&SiteFilter::default()).unwrap(), 100);
}

#[test]
fn another_connections_import_shows_in_facets_and_counts() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("two.db");
    let mut writer = open(&path);
    let reader = Store::open_readonly(&path).unwrap();
    let all = SiteFilter::default();
    assert_eq!(reader.facets(&all).unwrap().total, 0);
    let sites = synth::sites(300, 8);
    writer.import_sites(&sites).unwrap();
    assert_eq!(reader.facets(&all).unwrap().total, 300);
    assert_eq!(
        reader.count(&q("chain=petrochemical")).unwrap() as usize,
        expected(&sites, &q("chain=petrochemical")).len()
    );
    let more = synth::sites(400, 9);
    writer.import_sites(&more[300..]).unwrap();
    assert_eq!(reader.facets(&all).unwrap().total, 400);
    assert_eq!(
        reader
            .chain_counts(&all)
            .unwrap()
            .iter()
            .map(|c| c.total)
            .sum::<u64>(),
        writer
            .chain_counts(&all)
            .unwrap()
            .iter()
            .map(|c| c.total)
            .sum::<u64>()
    );
}
