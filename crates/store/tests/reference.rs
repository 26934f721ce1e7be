#![allow(clippy::unwrap_used)]
//! Chains are data: replacing the chains and links, and counts per township.

mod common;

use atlas_core::analysis::CategoryCounts;
use atlas_core::dataset::{Reference, CHAINS_CSV};
use atlas_core::{ChainCatalog, Labelled, LinkId, SiteFilter};
use atlas_store::StoreError;
use common::*;

/// The default chains file with one more link at the end of the petrochemical chain.
fn with_extra_link() -> ChainCatalog {
    let line = "petrochemical,1,石油化工,Petrochemicals,petrochemical.hydrogen_energy,7,氢能,\
                Hydrogen energy,测试新增环节,test\n";
    let mut text = CHAINS_CSV.to_string();
    if !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str(line);
    ChainCatalog::parse_csv(&text).unwrap()
}

#[test]
fn an_added_link_appears_with_no_site_and_the_data_version_moves() {
    let mut s = default_store();
    let before = s.data_version().unwrap();
    let report = s.replace_chains(&with_extra_link()).unwrap();
    assert_eq!(report.added_links, ["petrochemical.hydrogen_energy"]);
    assert!(report.removed_links.is_empty() && report.added_chains.is_empty());
    assert!(s.data_version().unwrap() > before);
    let cat = s.chains().unwrap();
    let petro = &cat.chains[0];
    assert_eq!(
        petro.links.last().unwrap().id.as_str(),
        "petrochemical.hydrogen_energy"
    );
    assert_eq!(petro.links.last().unwrap().order, 7);
    let link = LinkId::new("petrochemical.hydrogen_energy").unwrap();
    let on_link = SiteFilter {
        link: vec![link],
        ..SiteFilter::default()
    };
    assert_eq!(s.count(&on_link).unwrap(), 0);
    // Filters and counts per chain know the new link.
    s.validate_filter(&q("link=petrochemical.hydrogen_energy"))
        .unwrap();
    let counts = s.chain_counts(&SiteFilter::default()).unwrap();
    let petro_counts = counts
        .iter()
        .find(|c| c.chain.as_str() == "petrochemical")
        .unwrap();
    assert_eq!(petro_counts.links.len(), petro.links.len());
    // Every site is still there, unchanged.
    assert_eq!(
        s.count(&SiteFilter::default()).unwrap() as usize,
        default_sites().len()
    );
    // Importing the default chains again removes the unused link.
    let back = s
        .replace_chains(&Reference::embedded().unwrap().chains)
        .unwrap();
    assert_eq!(back.removed_links, ["petrochemical.hydrogen_energy"]);
}

#[test]
fn a_file_lacking_used_chains_and_links_is_refused_with_all_of_them_and_writes_nothing() {
    let mut s = default_store();
    let before = s.data_version().unwrap();
    let original = s.chains().unwrap();
    // Drop the health chain (used) and petrochemical.fine_chemicals (used).
    let text: String = CHAINS_CSV
        .lines()
        .filter(|l| !l.starts_with("health,") && !l.contains("petrochemical.fine_chemicals,"))
        .map(|l| format!("{l}\n"))
        .collect();
    let cat = ChainCatalog::parse_csv(&text).unwrap();
    let err = s.replace_chains(&cat).unwrap_err();
    let StoreError::ChainsInUse(list) = &err else {
        panic!("{err}");
    };
    let named: Vec<(&str, &str)> = list.iter().map(|u| (u.what, u.id.as_str())).collect();
    assert!(named.contains(&("chain", "health")), "{named:?}");
    assert!(
        named.contains(&("link", "petrochemical.fine_chemicals")),
        "{named:?}"
    );
    assert!(
        named.contains(&("link", "health.hospitals_research")),
        "{named:?}"
    );
    assert!(list.iter().all(|u| u.sites > 0));
    let msg = err.to_string();
    assert!(
        msg.contains("health") && msg.contains("petrochemical.fine_chemicals"),
        "{msg}"
    );
    assert_eq!(err.code(), "reference_in_use");
    assert_eq!(s.chains().unwrap(), original, "nothing written");
    assert_eq!(s.data_version().unwrap(), before);
    assert_eq!(s.chains_missing_from(&cat).unwrap().len(), list.len());
}

#[test]
fn counts_by_town_agree_with_the_sites_and_list_every_township() {
    let (s, sites) = synth_store(3000, 11);
    for qs in [
        "",
        "chain=petrochemical",
        "category=carrier_platform&q=园区",
        "bbox=110.85,21.6,110.95,21.7",
    ] {
        let f = q(qs);
        let counts = s.counts_by_town(&f).unwrap();
        let divisions = s.divisions().unwrap();
        assert_eq!(counts.towns.len(), divisions.len(), "{qs}");
        let codes: Vec<&str> = counts.towns.iter().map(|(d, _)| d.code.as_str()).collect();
        let mut sorted = codes.clone();
        sorted.sort_unstable();
        assert_eq!(codes, sorted, "code order");
        let mut want_no_town = CategoryCounts::default();
        for site in sites.iter().filter(|x| f.matches(x)) {
            if site.town_code.is_none() {
                want_no_town.add(site.category);
            }
        }
        assert_eq!(counts.no_town, want_no_town, "{qs}");
        for (d, c) in &counts.towns {
            let mut want = CategoryCounts::default();
            for site in sites
                .iter()
                .filter(|x| f.matches(x) && x.town_code.as_ref() == Some(&d.code))
            {
                want.add(site.category);
            }
            assert_eq!(*c, want, "{qs} {}", d.code);
        }
        let total: u64 =
            counts.towns.iter().map(|(_, c)| c.total).sum::<u64>() + counts.no_town.total;
        assert_eq!(total, s.count(&f).unwrap(), "{qs}");
    }
    // Category order is the vocabulary's.
    assert_eq!(atlas_core::Category::ALL[0].id(), "innovation_resource");
}
