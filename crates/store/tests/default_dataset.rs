//! The embedded default dataset in the store.

mod common;

use atlas_core::dataset::Reference;
use atlas_core::{Measure, SiteFilter};
use atlas_store::Store;
use common::*;

#[test]
fn the_default_dataset_loads_into_an_empty_store() {
    let mut s = Store::open_in_memory().unwrap();
    assert!(s.is_empty().unwrap());
    let rep = s.load_default(today()).unwrap();
    let sites = default_sites();
    assert_eq!(rep.inserted as usize, sites.len());
    assert_eq!((rep.updated, rep.unchanged, rep.skipped), (0, 0, 0));
    assert!(!s.is_empty().unwrap());
    assert_eq!(
        s.count(&SiteFilter::default()).unwrap() as usize,
        sites.len()
    );
    assert_eq!(
        s.meta("dataset").unwrap().as_deref(),
        Some("maonan-default")
    );
}

#[test]
fn loading_the_default_dataset_again_changes_nothing() {
    let mut s = default_store();
    let rep = s.load_default(today()).unwrap();
    assert_eq!(rep.inserted + rep.updated, 0);
    assert_eq!(rep.unchanged as usize, default_sites().len());
}

#[test]
fn every_default_site_reads_back_exactly_as_it_was_parsed() {
    let s = default_store();
    for site in default_sites() {
        assert_eq!(
            s.get(&site.id).unwrap().as_ref(),
            Some(&site),
            "{}",
            site.id
        );
    }
    assert!(s
        .get(&atlas_core::SiteId::new("no-such-site").unwrap())
        .unwrap()
        .is_none());
}

#[test]
fn the_petrochemical_chain_returns_exactly_the_sites_matches_accepts() {
    let s = default_store();
    let sites = default_sites();
    let n = assert_equivalent(&s, &sites, &q("chain=petrochemical"));
    assert!(n > 0);
}

#[test]
fn many_filters_on_the_default_dataset_agree_with_matches() {
    let s = default_store();
    let sites = default_sites();
    for f in [
        "",
        "category=carrier_platform",
        "scope=partner",
        "kind=university,college&level=national",
        "chain=health,digital_economy&status=operating",
        "link=petrochemical.refining",
        "town=440902100",
        "bbox=110.8,21.5,111.0,21.8",
        "bbox=110.8,21.5,111.0,21.8&chain=petrochemical&category=key_enterprise",
        "q=石化",
        "q=园区",
        "q=孵化",
        "q=石",
        "q=高岭土",
        "q=university",
        "q=UNIVERSITY",
        "q=Petro",
        "q=广东 学院",
        "q=chem",
        "q=zz",
        "limit=5&offset=3",
    ] {
        assert_equivalent(&s, &sites, &q(f));
    }
}

#[test]
fn chinese_words_of_one_to_four_characters_and_english_words_find_default_sites() {
    let s = default_store();
    let sites = default_sites();
    for word in [
        "石化",
        "园区",
        "孵化",
        "石",
        "高岭土",
        "职业技术",
        "university",
        "Maoming",
    ] {
        let n = assert_equivalent(&s, &sites, &q(&format!("q={word}")));
        assert!(n > 0, "{word} found nothing");
    }
}

#[test]
fn the_stored_reference_equals_the_embedded_one() {
    let s = default_store();
    let r = Reference::embedded().unwrap();
    let got = s.reference().unwrap();
    assert_eq!(got.chains, r.chains);
    assert_eq!(got.divisions, r.divisions);
    assert_eq!(got.indicators, r.indicators);
    assert_eq!(got.district, r.district);
    assert_eq!(s.chains().unwrap(), r.chains);
}

#[test]
fn indicator_values_are_the_catalogues_own_counts() {
    let s = default_store();
    let sites = default_sites();
    let values = s.indicator_values().unwrap();
    assert_eq!(
        values.len(),
        Reference::embedded().unwrap().indicators.len()
    );
    for (ind, v) in values {
        let f = ind.filter().unwrap();
        let m = sites.iter().filter(|x| f.matches(x));
        match ind.measure {
            Measure::Count => assert_eq!(v, Some(m.count() as f64), "{}", ind.id),
            Measure::SumArea => {
                let areas: Vec<f64> = m.filter_map(|x| x.area_m2).map(|a| a.get()).collect();
                if areas.is_empty() {
                    // No matching site has an area: unknown, never reported as 0 m².
                    assert_eq!(v, None, "{}", ind.id);
                } else {
                    let sum: f64 = areas.iter().sum();
                    assert!((v.unwrap() - sum).abs() < 1e-6, "{}", ind.id);
                }
            }
            Measure::None => assert_eq!(v, None),
        }
    }
}
