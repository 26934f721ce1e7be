//! The store against `SiteFilter::matches` over a few thousand synthetic sites.

mod common;

use atlas_core::dataset::Reference;
use atlas_core::{
    BBox, Category, Kind, Labelled, Level, Scope, Site, SiteFilter, SiteGeometry, Status,
};
use atlas_store::synth::Lcg;
use atlas_store::Facets;
use common::*;
use std::sync::OnceLock;

const N: usize = 3000;

/// Built once per test binary: every test here only reads.
fn fixture() -> &'static (std::sync::Mutex<atlas_store::Store>, Vec<Site>) {
    static F: OnceLock<(std::sync::Mutex<atlas_store::Store>, Vec<Site>)> = OnceLock::new();
    F.get_or_init(|| {
        let (s, sites) = synth_store(N, 42);
        (std::sync::Mutex::new(s), sites)
    })
}

fn random_filter(g: &mut Lcg, r: &Reference, sites: &[Site]) -> SiteFilter {
    let mut f = SiteFilter::default();
    fn some<T: Copy>(g: &mut Lcg, all: &[T]) -> Vec<T> {
        (0..1 + g.below(2))
            .filter_map(|_| g.pick(all).copied())
            .collect()
    }
    if g.chance(0.3) {
        f.category = some(g, Category::ALL);
    }
    if g.chance(0.15) {
        f.kind = some(g, Kind::ALL);
    }
    if g.chance(0.2) {
        f.level = some(g, Level::ALL);
    }
    if g.chance(0.2) {
        f.status = some(g, Status::ALL);
    }
    if g.chance(0.15) {
        f.scope = some(g, Scope::ALL);
    }
    if g.chance(0.3) {
        let ids: Vec<_> = r.chains.chains.iter().map(|c| c.id.clone()).collect();
        f.chain = (0..1 + g.below(2))
            .filter_map(|_| g.pick(&ids).cloned())
            .collect();
    }
    if g.chance(0.2) {
        let ids: Vec<_> = r.chains.links().map(|l| l.id.clone()).collect();
        f.link = (0..1 + g.below(2))
            .filter_map(|_| g.pick(&ids).cloned())
            .collect();
    }
    if g.chance(0.2) {
        let ids: Vec<_> = r.divisions.iter().map(|d| d.code.clone()).collect();
        f.town = (0..1 + g.below(3))
            .filter_map(|_| g.pick(&ids).cloned())
            .collect();
    }
    if g.chance(0.4) {
        // Around a real site (so boxes often touch points exactly), or random.
        let b = if g.chance(0.5) {
            let s = g.pick(sites).expect("sites");
            let sb = s.bbox().unwrap_or(BBox::of_point(
                atlas_core::Position::new(110.9, 21.65).expect("position"),
            ));
            let pad = if g.chance(0.3) { 0.0 } else { g.unit() * 0.05 };
            BBox::new(
                sb.min_lon - pad,
                sb.min_lat - pad,
                sb.max_lon + pad,
                sb.max_lat + pad,
            )
            .expect("bbox")
        } else {
            let x = 110.75 + g.unit() * 0.3;
            let y = 21.5 + g.unit() * 0.3;
            BBox::new(x, y, x + g.unit() * 0.2, y + g.unit() * 0.2).expect("bbox")
        };
        f.bbox = Some(b);
    }
    if g.chance(0.15) {
        f.precision = some(g, atlas_core::LocationPrecision::ALL);
    }
    if g.chance(0.15) {
        f.located = Some(g.chance(0.5));
    }
    if g.chance(0.4) {
        const WORDS: &[&str] = &[
            "石化",
            "园区",
            "孵化",
            "石",
            "鱼",
            "高岭土",
            "罗非鱼",
            "产业园",
            "精细化工",
            "汽车配件",
            "茂南",
            "有限公司",
            "petro",
            "chem",
            "park",
            "co",
            "5",
            "ltd.",
            "e-commerce",
            "smart agriculture",
            "化工",
            "区",
            "研究",
            "油城路",
            "+86",
            "规划",
            "kaolin",
            "zzz",
            "工程技术研究中心",
            "institute",
        ];
        let n = 1 + g.below(2);
        let terms: Vec<&str> = (0..n).filter_map(|_| g.pick(WORDS).copied()).collect();
        f.q = Some(terms.join(" "));
    }
    if g.chance(0.3) {
        f.limit = Some(1 + g.below(50) as u64);
        f.offset = g.below(30) as u64;
    }
    f
}

#[test]
fn hundreds_of_random_filters_return_exactly_what_matches_accepts() {
    let (store, sites) = fixture();
    let store = store.lock().unwrap();
    let r = Reference::embedded().unwrap();
    let mut g = Lcg::new(2024);
    let mut non_empty = 0;
    for _ in 0..400 {
        let f = random_filter(&mut g, &r, sites);
        if assert_equivalent(&store, sites, &f) > 0 {
            non_empty += 1;
        }
    }
    assert!(
        non_empty > 100,
        "too few filters matched anything: {non_empty}"
    );
}

#[test]
fn a_bbox_holding_many_sites_is_a_plain_test_and_returns_the_same_rows() {
    // Its own store: the threshold is a setting of the store.
    let (mut store, sites) = synth_store(N, 42);
    store.set_spatial_threshold(200);
    let big = q("bbox=110.5,21.3,111.3,22.0&chain=petrochemical&category=key_enterprise");
    let small = q("bbox=110.80,21.60,110.81,21.61&chain=petrochemical&category=key_enterprise");
    let big_plan = store.explain(&big).unwrap();
    assert!(!big_plan.iter().any(|l| l.contains(" r ")), "{big_plan:#?}");
    let small_plan = store.explain(&small).unwrap();
    assert!(
        small_plan[0].contains(" r VIRTUAL TABLE"),
        "{small_plan:#?}"
    );
    assert!(assert_equivalent(&store, &sites, &big) > 0);
    assert_equivalent(&store, &sites, &small);
    let r = Reference::embedded().unwrap();
    let mut g = Lcg::new(77);
    let mut bboxes = 0;
    for _ in 0..150 {
        let f = random_filter(&mut g, &r, &sites);
        bboxes += usize::from(f.bbox.is_some());
        assert_equivalent(&store, &sites, &f);
        if f.bbox.is_some() {
            assert_eq!(store.facets(&f).unwrap().total, store.count(&f).unwrap());
        }
    }
    assert!(bboxes > 30);
}

#[test]
fn chinese_search_finds_one_two_three_and_four_character_words() {
    let (store, sites) = fixture();
    let store = store.lock().unwrap();
    for word in [
        "石",
        "鱼",
        "石化",
        "园区",
        "孵化",
        "高岭土",
        "罗非鱼",
        "产业园",
        "精细化工",
        "汽车配件",
        "工程技术研究中心",
    ] {
        let n = assert_equivalent(&store, sites, &q(&format!("q={word}")));
        assert!(n > 0, "'{word}' found nothing");
    }
}

#[test]
fn english_search_is_case_insensitive_substring_search() {
    let (store, sites) = fixture();
    let store = store.lock().unwrap();
    for term in [
        "Petro",
        "chem",
        "PARK",
        "co",
        "ltd.",
        "big data",
        "e-commerce",
        "S&T",
    ] {
        let f = SiteFilter {
            q: Some(term.into()),
            ..Default::default()
        };
        let n = assert_equivalent(&store, sites, &f);
        assert!(n > 0, "'{term}' found nothing");
    }
    assert_eq!(assert_equivalent(&store, sites, &q("q=qqqq")), 0);
    assert_eq!(assert_equivalent(&store, sites, &q("q=石化 qqqq")), 0);
}

#[test]
fn search_combines_with_every_other_filter() {
    let (store, sites) = fixture();
    let store = store.lock().unwrap();
    for f in [
        "q=园区&bbox=110.7,21.4,111.2,21.9",
        "q=石化&chain=petrochemical&category=key_enterprise",
        "q=孵化 茂南&status=operating&bbox=110.7,21.4,111.2,21.9",
        "q=有限公司&town=440902100,440902001",
    ] {
        assert!(assert_equivalent(&store, sites, &q(f)) > 0, "{f}");
    }
}

#[test]
fn pages_follow_the_stable_list_order() {
    let (store, sites) = fixture();
    let store = store.lock().unwrap();
    let all = store.query(&q("chain=petrochemical")).unwrap();
    let mut paged = Vec::new();
    for page in 0.. {
        let got = store
            .query(&q(&format!(
                "chain=petrochemical&limit=37&offset={}",
                page * 37
            )))
            .unwrap();
        if got.is_empty() {
            break;
        }
        paged.extend(got);
    }
    assert_eq!(ids(&paged), ids(&all));
    assert_eq!(ids(&all), expected(sites, &q("chain=petrochemical")));
}

#[test]
fn every_synthetic_site_reads_back_exactly_including_polygons_and_originals() {
    let (store, sites) = fixture();
    let store = store.lock().unwrap();
    let polygons = sites
        .iter()
        .filter(|s| matches!(s.location.geometry, Some(SiteGeometry::Polygon { .. })))
        .count();
    let originals = sites
        .iter()
        .filter(|s| s.location.original.is_some())
        .count();
    assert!(polygons > 50 && originals > 50);
    for s in sites {
        assert_eq!(store.get(&s.id).unwrap().as_ref(), Some(s), "{}", s.id);
    }
    let streamed = store.query(&SiteFilter::default()).unwrap();
    assert_eq!(streamed.len(), sites.len());
}

#[test]
fn a_bbox_with_chain_and_category_is_driven_by_the_rtree() {
    let (store, _) = fixture();
    let store = store.lock().unwrap();
    let f = q("bbox=110.8,21.6,110.9,21.7&chain=petrochemical&category=key_enterprise,carrier_platform&kind=enterprise&town=440902100&q=石化");
    let plan = store.explain(&f).unwrap();
    assert!(
        plan[0].contains("VIRTUAL TABLE INDEX") && plan[0].contains(" r "),
        "the R*Tree must drive: {plan:#?}"
    );
    assert!(
        plan.iter()
            .any(|l| l.contains("SEARCH s USING INTEGER PRIMARY KEY")),
        "{plan:#?}"
    );
    assert!(
        !plan.iter().any(|l| l.contains("sites_order")
            || l.contains("sites_kind")
            || l.contains("sites_town")),
        "no attribute index may drive: {plan:#?}"
    );
}

fn facet_expected(sites: &[Site], f: &SiteFilter, without: &str) -> Vec<(String, u64)> {
    let mut g = f.clone();
    match without {
        "category" => g.category.clear(),
        "kind" => g.kind.clear(),
        "chain" => g.chain.clear(),
        "link" => g.link.clear(),
        "level" => g.level.clear(),
        "status" => g.status.clear(),
        "scope" => g.scope.clear(),
        "town" => g.town.clear(),
        _ => unreachable!(),
    }
    g.limit = None;
    g.offset = 0;
    let mut counts = std::collections::BTreeMap::<String, u64>::new();
    for s in sites.iter().filter(|s| g.matches(s)) {
        let vals: Vec<String> = match without {
            "category" => vec![s.category.id().into()],
            "kind" => vec![s.kind.id().into()],
            "level" => vec![s.level.id().into()],
            "status" => vec![s.status.id().into()],
            "scope" => vec![s.scope.id().into()],
            "town" => s.town_code.iter().map(|t| t.to_string()).collect(),
            "chain" => {
                let mut v: Vec<String> = s.chains.iter().map(|c| c.chain.to_string()).collect();
                v.dedup();
                v
            }
            _ => s
                .chains
                .iter()
                .filter_map(|c| c.link.as_ref().map(|l| l.to_string()))
                .collect(),
        };
        for v in vals {
            *counts.entry(v).or_default() += 1;
        }
    }
    counts.into_iter().collect()
}

fn non_zero(list: &[atlas_store::FacetCount]) -> Vec<(String, u64)> {
    let mut v: Vec<(String, u64)> = list
        .iter()
        .filter(|c| c.count > 0)
        .map(|c| (c.id.clone(), c.count))
        .collect();
    v.sort();
    v
}

#[test]
fn each_facet_is_counted_without_its_own_filter() {
    let (store, sites) = fixture();
    let store = store.lock().unwrap();
    for f in [
        "",
        "category=carrier_platform",
        "category=key_enterprise&chain=petrochemical&level=provincial",
        "chain=health,petrochemical&link=petrochemical.refining&town=440902100",
        "kind=incubator&status=operating&scope=local&bbox=110.7,21.4,111.2,21.9",
        "q=石化&category=innovation_resource",
    ] {
        let f = q(f);
        let facets: Facets = store.facets(&f).unwrap();
        assert_eq!(facets.total, store.count(&f).unwrap());
        for (name, list) in [
            ("category", &facets.category),
            ("kind", &facets.kind),
            ("chain", &facets.chain),
            ("link", &facets.link),
            ("level", &facets.level),
            ("status", &facets.status),
            ("scope", &facets.scope),
            ("town", &facets.town),
        ] {
            assert_eq!(
                non_zero(list),
                facet_expected(sites, &f, name),
                "{name} of {:?}",
                f.to_pairs()
            );
        }
    }
}

#[test]
fn facets_list_every_value_in_vocabulary_and_chain_order() {
    let (store, _) = fixture();
    let store = store.lock().unwrap();
    let f = store.facets(&q("category=carrier_platform")).unwrap();
    let cats: Vec<&str> = f.category.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(
        cats,
        ["innovation_resource", "carrier_platform", "key_enterprise"]
    );
    // The category facet ignores the category filter: every category has sites.
    assert!(f.category.iter().all(|c| c.count > 0));
    assert_eq!(f.kind.len(), Kind::ALL.len());
    let r = Reference::embedded().unwrap();
    let chains: Vec<String> = f.chain.iter().map(|c| c.id.clone()).collect();
    let want: Vec<String> = r.chains.chains.iter().map(|c| c.id.to_string()).collect();
    assert_eq!(chains, want);
    assert_eq!(f.town.len(), r.divisions.len());
    // Kinds of other categories are filtered out by the category filter.
    assert_eq!(Facets::get(&f.kind, "university"), 0);
}

#[test]
fn chain_counts_give_each_link_its_sites_by_category() {
    let (store, sites) = fixture();
    let store = store.lock().unwrap();
    let counts = store.chain_counts(&SiteFilter::default()).unwrap();
    let r = Reference::embedded().unwrap();
    assert_eq!(counts.len(), r.chains.chains.len());
    for c in &counts {
        let on_chain: Vec<&Site> = sites.iter().filter(|s| s.on_chain(&c.chain)).collect();
        assert_eq!(c.total as usize, on_chain.len());
        for k in &c.by_category {
            let n = on_chain.iter().filter(|s| s.category.id() == k.id).count();
            assert_eq!(k.count as usize, n);
        }
        let no_link = on_chain
            .iter()
            .filter(|s| {
                s.chains
                    .iter()
                    .any(|x| x.chain == c.chain && x.link.is_none())
            })
            .count();
        assert_eq!(c.without_link as usize, no_link);
        for l in &c.links {
            let on_link = sites.iter().filter(|s| s.on_link(&l.link));
            assert_eq!(l.total as usize, on_link.clone().count());
            let ke = on_link
                .filter(|s| s.category == Category::KeyEnterprise)
                .count();
            assert_eq!(Facets::get(&l.by_category, "key_enterprise") as usize, ke);
        }
    }
    let local = store.chain_counts(&q("scope=local")).unwrap();
    assert!(local.iter().map(|c| c.total).sum::<u64>() < counts.iter().map(|c| c.total).sum());
}

#[test]
fn location_filters_and_the_precision_facet_agree_with_matches() {
    use atlas_core::LocationPrecision;
    let (store, sites) = fixture();
    let store = store.lock().unwrap();
    let unknown = sites
        .iter()
        .filter(|s| s.location.precision == LocationPrecision::Unknown)
        .count();
    assert!(
        unknown > 0,
        "the synthetic catalogue has sites without location"
    );
    for qs in [
        "located=false",
        "located=true",
        "located=false&limit=20&offset=5",
        "precision=unknown",
        "precision=unknown,town&category=key_enterprise",
        "precision=unknown&bbox=100,10,120,30",
        "located=false&q=石化",
        "located=false&chain=petrochemical&limit=10",
    ] {
        let f = q(qs);
        assert_equivalent(&store, sites, &f);
        let facets = store.facets(&f).unwrap();
        assert_eq!(facets.total, store.count(&f).unwrap(), "{qs}");
        // Each precision's count is the filter's without its own precision restriction.
        for p in LocationPrecision::ALL {
            let mut g = f.clone();
            g.precision = vec![*p];
            g.limit = None;
            g.offset = 0;
            let want = sites.iter().filter(|s| g.matches(s)).count() as u64;
            assert_eq!(
                Facets::get(&facets.precision, p.id()),
                want,
                "{qs}: {}",
                p.id()
            );
        }
    }
    // A bbox never holds a site without location.
    assert_eq!(
        store
            .count(&q("precision=unknown&bbox=-180,-90,180,90"))
            .unwrap(),
        0
    );
    let all = store.facets(&SiteFilter::default()).unwrap();
    assert_eq!(Facets::get(&all.precision, "unknown") as usize, unknown);
}
