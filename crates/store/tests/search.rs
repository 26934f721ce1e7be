//! Full-text search in any script: every substring of a site's text finds it, and nothing else
//! than `SiteFilter::matches` accepts is returned.

mod common;

use atlas_core::SiteFilter;
use atlas_store::synth::Lcg;
use common::*;

const NAMES: &[&str] = &[
    "茂名石化乙烯孵化园区",
    "高岭土𠀀𠀁深加工基地",
    "Ｒ＆Ｄ中心（ＡＢＣ１２３）",
    "Café Müller ΑΒΓ Straße",
    "カオリン研究所 한국연구원",
    "5G+智慧农业示范区",
    "罗非鱼 tilapia-farm №7",
    "e-Commerce 电商园 α-β",
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 研究室 ①②③",
    "İstanbul KELVIN\u{212a} 石化",
];

#[test]
fn every_substring_of_a_site_text_finds_it_in_any_script() {
    let mut store = empty_store();
    let mut sites = atlas_store::synth::sites(NAMES.len() * 3, 5);
    for (i, s) in sites.iter_mut().enumerate() {
        s.name_zh = NAMES[i % NAMES.len()].to_string();
        if i >= NAMES.len() {
            s.name_en = Some(NAMES[(i * 7) % NAMES.len()].to_string());
        }
    }
    store.import_sites(&sites).unwrap();
    let mut g = Lcg::new(3);
    let mut checked = 0;
    for s in &sites {
        let text: Vec<char> = s.search_text().to_lowercase().chars().collect();
        for _ in 0..40 {
            let len = 1 + g.below(5);
            if text.len() < len {
                continue;
            }
            let start = g.below(text.len() - len + 1);
            let term: String = text[start..start + len].iter().collect();
            if term.chars().any(char::is_whitespace) {
                continue;
            }
            // Upper-case ASCII in the query must not matter.
            let f = SiteFilter {
                q: Some(term.to_uppercase()),
                ..Default::default()
            };
            if f.terms() != [term.clone()] {
                // to_uppercase → to_lowercase is not the identity for this term (e.g. İ, ẞ).
                continue;
            }
            let found = store.query(&f).unwrap();
            assert!(
                found.iter().any(|x| x.id == s.id),
                "'{term}' misses {}",
                s.id
            );
            assert_equivalent(&store, &sites, &f);
            checked += 1;
        }
    }
    assert!(checked > 500, "{checked}");
}

#[test]
fn a_phrase_never_joins_two_separate_words() {
    let mut store = empty_store();
    let mut sites = atlas_store::synth::sites(4, 8);
    sites[0].name_zh = "高岭 岭土".into();
    sites[0].name_en = Some("petro chem".into());
    sites[1].name_zh = "高岭土公司".into();
    sites[1].name_en = Some("Petrochem Ltd".into());
    sites[2].name_zh = "石油、化工".into();
    sites[2].name_en = None;
    sites[3].name_zh = "石油化工".into();
    sites[3].name_en = None;
    // Keep the words under test out of the other fields.
    for s in &mut sites {
        s.notes = None;
        s.address = None;
    }
    store.import_sites(&sites).unwrap();
    for (term, want) in [
        ("高岭土", vec![1]),
        ("高岭", vec![0, 1]),
        ("岭土", vec![0, 1]),
        ("rochem", vec![1]),
        ("petro", vec![0, 1]),
        ("油化", vec![3]),
        ("石油", vec![2, 3]),
    ] {
        let f = SiteFilter {
            q: Some(term.into()),
            ..Default::default()
        };
        let mut got: Vec<usize> = store
            .query(&f)
            .unwrap()
            .iter()
            .map(|s| sites.iter().position(|x| x.id == s.id).unwrap())
            .collect();
        got.sort();
        assert_eq!(got, want, "{term}");
        assert_eq!(store.count(&f).unwrap() as usize, want.len(), "{term}");
        assert_equivalent(&store, &sites, &f);
    }
}
