//! Helpers shared by the store's integration tests.
#![allow(dead_code)]
// Test helpers: clippy.toml allows unwrap in #[test] functions, not in helpers they share.
#![allow(clippy::unwrap_used)]

use atlas_core::dataset::Reference;
use atlas_core::{Category, Labelled, Site, SiteFilter, SiteId};
use atlas_store::Store;

pub fn today() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2026, 11, 26).unwrap()
}

/// The default sites as parsed in memory.
pub fn default_sites() -> Vec<Site> {
    let r = Reference::embedded().unwrap();
    let parsed = atlas_core::import::parse_sites(
        atlas_core::dataset::SITES_CSV.as_bytes(),
        atlas_core::FileFormat::Csv,
        &r.context(today()),
        None,
    )
    .unwrap();
    assert!(parsed.errors.is_empty());
    parsed.sites.into_iter().map(|(_, s)| s).collect()
}

pub fn default_store() -> Store {
    let mut s = Store::open_in_memory().unwrap();
    s.load_default(today()).unwrap();
    s
}

/// `s` with the embedded reference data (chains, townships, indicators) and no sites.
pub fn with_reference(mut s: Store) -> Store {
    s.replace_reference(&Reference::embedded().unwrap())
        .unwrap();
    s
}

/// An empty in-memory store with the embedded reference data.
pub fn empty_store() -> Store {
    with_reference(Store::open_in_memory().unwrap())
}

/// A store with the embedded reference and `n` synthetic sites, and those sites.
pub fn synth_store(n: usize, seed: u64) -> (Store, Vec<Site>) {
    let mut s = empty_store();
    let sites = atlas_store::synth::sites(n, seed);
    let rep = s.import_sites(&sites).unwrap();
    assert_eq!(rep.inserted as usize, sites.len());
    (s, sites)
}

fn rank(c: Category) -> usize {
    Category::ALL.iter().position(|x| *x == c).unwrap()
}

/// What the store must return: `SiteFilter::matches`, in list order, with limit and offset.
pub fn expected(sites: &[Site], f: &SiteFilter) -> Vec<SiteId> {
    let mut m: Vec<&Site> = sites.iter().filter(|s| f.matches(s)).collect();
    // The editors' worklist (located=false): key enterprises, carrier platforms, the rest.
    let worklist = f.located == Some(false);
    let r = |c: Category| {
        if worklist {
            Category::ALL.len() - rank(c)
        } else {
            rank(c)
        }
    };
    m.sort_by(|a, b| (r(a.category), &a.name_zh, &a.id).cmp(&(r(b.category), &b.name_zh, &b.id)));
    m.into_iter()
        .skip(f.offset as usize)
        .take(f.limit.map_or(usize::MAX, |l| l as usize))
        .map(|s| s.id.clone())
        .collect()
}

pub fn ids(sites: &[Site]) -> Vec<SiteId> {
    sites.iter().map(|s| s.id.clone()).collect()
}

pub fn q(s: &str) -> SiteFilter {
    SiteFilter::parse_query(s).unwrap()
}

/// Asserts that query, count and for_each all agree with `SiteFilter::matches`.
pub fn assert_equivalent(store: &Store, sites: &[Site], f: &SiteFilter) -> usize {
    let want = expected(sites, f);
    let got = ids(&store.query(f).unwrap());
    assert_eq!(got, want, "filter {:?}", f.to_pairs());
    let unpaged = SiteFilter {
        limit: None,
        offset: 0,
        ..f.clone()
    };
    let all = expected(sites, &unpaged);
    assert_eq!(
        store.count(f).unwrap() as usize,
        all.len(),
        "count of {:?}",
        f.to_pairs()
    );
    let mut streamed = Vec::new();
    store
        .for_each(f, |s| {
            streamed.push(s.id);
            Ok::<_, atlas_store::StoreError>(())
        })
        .unwrap();
    assert_eq!(streamed, want);
    all.len()
}
