//! The embedded default dataset parses, validates and is placed honestly.

use atlas_core::dataset::{Reference, SITES_CSV};
use atlas_core::import::{parse_sites, FileFormat, ParsedFile};
use atlas_core::{LocationPrecision, Scope};

fn today() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2026, 11, 26).expect("valid date")
}

/// The embedded reference and the default dataset parsed against it.
fn default_sites() -> (Reference, ParsedFile) {
    let r = Reference::embedded().expect("the embedded reference loads");
    let parsed = parse_sites(
        SITES_CSV.as_bytes(),
        FileFormat::Csv,
        &r.context(today()),
        None,
    );
    (r, parsed.expect("the default dataset parses"))
}

#[test]
fn every_default_site_is_valid() {
    let (_, parsed) = default_sites();
    assert!(parsed.errors.is_empty(), "{:#?}", parsed.errors);
    assert_eq!(parsed.sites.len() as u64, parsed.rows);
    assert!(parsed.sites.len() >= 50);
}

#[test]
fn sites_without_coordinates_are_at_a_township_seat_or_have_no_location() {
    let (r, parsed) = default_sites();
    let rep = r.district.representative_point().unwrap();
    assert!(r.district.contains(rep));
    let mut unknown = 0;
    for (_, s) in &parsed.sites {
        assert!(s.location.is_consistent(), "{}", s.id);
        // No site stands on the district's representative point (the old fallback).
        assert_ne!(s.marker(), Some(rep), "{}", s.id);
        assert_ne!(
            s.location.precision,
            LocationPrecision::District,
            "{}",
            s.id
        );
        match s.location.precision {
            LocationPrecision::Unknown => {
                unknown += 1;
                assert!(s.location.geometry.is_none() && !s.outside_district);
            }
            LocationPrecision::Town => {
                let source = s.location.source.as_deref().unwrap_or("");
                assert!(source.contains("近似位置"), "{}", s.id);
                assert!(s.town_code.is_some(), "{}", s.id);
            }
            _ => {}
        }
        if s.scope == Scope::Partner {
            assert!(!s.location.precision.is_approximate(), "{}", s.id);
        }
    }
    assert!(
        unknown > 0,
        "the default dataset has sites of unknown place"
    );
}

#[test]
fn converted_coordinates_keep_their_original() {
    let (_, parsed) = default_sites();
    let converted: Vec<_> = parsed
        .sites
        .iter()
        .filter(|(_, s)| s.location.original.is_some())
        .collect();
    assert!(!converted.is_empty(), "the dataset has BD-09 points");
    // Partners outside Maonan keep real locations and are flagged, not dropped.
    let partners: Vec<_> = parsed
        .sites
        .iter()
        .filter(|(_, s)| s.scope == Scope::Partner)
        .collect();
    assert!(partners
        .iter()
        .any(|(_, s)| s.outside_district && !s.location.precision.is_approximate()));
}

/// `write_feature` (API pages) writes exactly the JSON of `site_to_feature` (one definition of
/// the properties, two ways of writing it), for every default site: points and polygons,
/// empty values, Chinese text, quotes and notes with punctuation. Also for awkward text.
#[test]
fn written_features_equal_built_features() {
    use atlas_core::export::{site_to_feature, write_feature};
    let r = Reference::embedded().unwrap();
    let ctx = r.context(today());
    let mut parsed = parse_sites(SITES_CSV.as_bytes(), FileFormat::Csv, &ctx, None)
        .unwrap()
        .sites;
    let (_, mut odd) = parsed[0].clone();
    odd.name_zh = "引号\"反斜杠\\换行\n制表\t<img src=x onerror=alert(1)>".into();
    odd.notes = Some("\u{0001}控制字符 and emoji 🧪".into());
    parsed.push((0, odd.clone()));
    // A park with a polygon (and a hole).
    odd.location.geometry = Some(
        atlas_core::SiteGeometry::from_wkt(
            "POLYGON((110.90 21.60, 110.92 21.60, 110.92 21.62, 110.90 21.62, 110.90 21.60), \
             (110.905 21.605, 110.906 21.605, 110.906 21.606, 110.905 21.605))",
        )
        .unwrap(),
    );
    odd.location.precision = LocationPrecision::Building;
    parsed.push((0, odd));
    for (_, site) in &parsed {
        let mut out = Vec::new();
        write_feature(&mut out, site, &ctx);
        let written: serde_json::Value = serde_json::from_slice(&out).unwrap();
        let built = serde_json::to_value(site_to_feature(site, &ctx)).unwrap();
        assert_eq!(written, built, "{}", site.id);
    }
}
