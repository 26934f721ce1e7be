#![allow(clippy::unwrap_used)]
//! The write API's reading of Features: whole (create) and partial (change), validated by the
//! import's rules; what changed between two records.

mod common;

use atlas_core::edit::{apply_patch, changed_columns, site_from_feature};
use atlas_core::export::site_to_feature;
use atlas_core::{Column, LocationPrecision, Site, SiteGeometry};
use common::*;
use serde_json::{json, Value};

fn feature_json(s: &Site) -> Value {
    serde_json::to_value(site_to_feature(s, &ctx())).unwrap()
}

fn columns(errors: &[atlas_core::RowError]) -> Vec<String> {
    errors.iter().filter_map(|e| e.column.clone()).collect()
}

#[test]
fn every_site_reads_back_from_its_own_feature_and_an_empty_patch_changes_nothing() {
    for s in all_sites() {
        let back = site_from_feature(&feature_json(&s), &ctx()).unwrap();
        assert_eq!(back, s, "{}", s.id);
        for empty in [
            json!({}),
            json!({"properties": {}}),
            json!({"type": "Feature"}),
        ] {
            assert_eq!(apply_patch(&s, &empty, &ctx(), "alice").unwrap(), s);
        }
        // The whole feature sent back as a patch changes nothing either.
        assert_eq!(
            apply_patch(&s, &feature_json(&s), &ctx(), "alice").unwrap(),
            s,
            "{}",
            s.id
        );
    }
}

#[test]
fn a_patch_changes_only_what_it_names_and_stamps_updated_at() {
    let s = default_sites().remove(0);
    let p = json!({"properties": {"name_en": "New English name", "phone": null}});
    let out = apply_patch(&s, &p, &ctx(), "alice").unwrap();
    assert_eq!(out.name_en.as_deref(), Some("New English name"));
    assert_eq!(out.phone, None);
    assert_eq!(out.updated_at, Some(today()));
    assert_eq!(out.location, s.location);
    assert_eq!(out.chains, s.chains);
    let changed = changed_columns(Some(&s), Some(&out), &ctx());
    assert!(changed.contains(&Column::NameEn));
    assert!(!changed.contains(&Column::Lon));
    // An explicit updated_at wins.
    let p = json!({"properties": {"notes": "x", "updated_at": "2020-01-02"}});
    let out = apply_patch(&s, &p, &ctx(), "alice").unwrap();
    assert_eq!(out.updated_at.unwrap().to_string(), "2020-01-02");
}

#[test]
fn dragging_a_marker_makes_it_surveyed_and_says_who_corrected_it() {
    let approximate = default_sites()
        .into_iter()
        .find(|s| s.location.precision.needs_locating())
        .unwrap();
    let p = json!({"geometry": {"type": "Point", "coordinates": [110.91, 21.66]}});
    let out = apply_patch(&approximate, &p, &ctx(), "zhang_san").unwrap();
    assert_eq!(out.location.precision, LocationPrecision::Surveyed);
    assert_eq!(
        out.location.source.as_deref(),
        Some(format!("corrected on the map by zhang_san, {}", today()).as_str())
    );
    match out.location.geometry {
        Some(SiteGeometry::Point(p)) => assert_eq!((p.lon.get(), p.lat.get()), (110.91, 21.66)),
        other => panic!("{other:?}"),
    }
    assert_eq!(out.location.original, None);
    // Saying the precision (and source) keeps them.
    let p = json!({
        "geometry": {"type": "Point", "coordinates": [110.91, 21.66]},
        "properties": {"location_precision": "building", "location_source": "survey 2026"}
    });
    let out = apply_patch(&approximate, &p, &ctx(), "zhang_san").unwrap();
    assert_eq!(out.location.precision, LocationPrecision::Building);
    assert_eq!(out.location.source.as_deref(), Some("survey 2026"));
    // lon/lat properties move the marker too; the same geometry does not count as a move.
    let p = json!({"properties": {"lon": 110.92, "lat": 21.67}});
    let out = apply_patch(&approximate, &p, &ctx(), "li_si").unwrap();
    assert_eq!(out.location.precision, LocationPrecision::Surveyed);
    let same = json!({"geometry": feature_json(&out)["geometry"]});
    assert_eq!(apply_patch(&out, &same, &ctx(), "x").unwrap(), out);
    // GCJ-02 coordinates are converted and kept as the original.
    let p = json!({
        "geometry": {"type": "Point", "coordinates": [110.925, 21.673]},
        "properties": {"crs": "gcj02"}
    });
    let out = apply_patch(&approximate, &p, &ctx(), "li_si").unwrap();
    let o = out.location.original.unwrap();
    assert_eq!((o.lon, o.lat), (110.925, 21.673));
    // BD-09 too; a `crs` without a coordinate changes nothing.
    let p = json!({
        "geometry": {"type": "Point", "coordinates": [110.93, 21.68]},
        "properties": {"crs": "bd09"}
    });
    let bd = apply_patch(&approximate, &p, &ctx(), "li_si").unwrap();
    let o = bd.location.original.unwrap();
    assert_eq!((o.crs.as_str(), o.lon, o.lat), ("bd09", 110.93, 21.68));
    assert_ne!(bd.marker().unwrap().lon.get(), 110.93);
    let same = apply_patch(&bd, &json!({"properties": {"crs": "gcj02"}}), &ctx(), "x").unwrap();
    assert_eq!(same, bd);
    // geometry null: the site has no location (precision unknown, no geometry).
    let back = apply_patch(&out, &json!({"geometry": null}), &ctx(), "x").unwrap();
    assert_eq!(back.location.precision, LocationPrecision::Unknown);
    assert_eq!(back.location.geometry, None);
    assert_eq!(back.location.original, None);
    assert!(!back.outside_district);
}

#[test]
fn bad_patches_are_reported_per_field_like_import_rows() {
    let s = default_sites().remove(0);
    let cases: Vec<(Value, &str)> = vec![
        (json!({"properties": {"name_zh": null}}), "name_zh"),
        (json!({"properties": {"kind": "factory"}}), "kind"),
        (json!({"properties": {"chains": "no_such_chain"}}), "chains"),
        (
            json!({"properties": {"town_code": "440902999"}}),
            "town_code",
        ),
        (json!({"properties": {"colour": "red"}}), "colour"),
        (json!({"properties": {"id": "other"}}), "id"),
        (json!({"id": "other"}), "id"),
        (json!({"properties": {"area_m2": -5}}), "area_m2"),
        (json!({"properties": {"established": 1200}}), "established"),
        (
            json!({"properties": {"verified_at": "yesterday"}}),
            "verified_at",
        ),
        (
            json!({"geometry": {"type": "Point", "coordinates": [200, 21]}}),
            "lon",
        ),
        (
            json!({"geometry": {"type": "LineString", "coordinates": [[1, 2], [3, 4]]}}),
            "polygon_wkt",
        ),
        (json!({"geometry": {"type": "Nonsense"}}), "geometry"),
        (json!({"type": "FeatureCollection"}), "type"),
        (json!({"colour": 1}), "colour"),
        (json!({"properties": [1, 2]}), "properties"),
    ];
    for (patch, column) in cases {
        let errors = apply_patch(&s, &patch, &ctx(), "x").unwrap_err();
        assert!(
            columns(&errors).iter().any(|c| c == column),
            "{patch}: {errors:?}"
        );
        assert!(errors.iter().all(|e| !e.message.is_empty()));
    }
    assert!(apply_patch(&s, &json!([1]), &ctx(), "x").is_err());
    assert!(apply_patch(&s, &json!("x"), &ctx(), "x").is_err());
}

#[test]
fn a_new_town_code_replaces_the_town_name() {
    let s = default_sites().remove(0);
    let d = &reference().divisions;
    let (one, two) = (&d[0], &d[1]);
    let p = json!({"properties": {"town_code": one.code.as_str()}});
    let out = apply_patch(&s, &p, &ctx(), "x").unwrap();
    assert_eq!(out.town_code.as_ref(), Some(&one.code));
    // Its feature now names the township; a new code alone replaces both.
    let p = json!({"properties": {"town_code": two.code.as_str()}});
    let moved = apply_patch(&out, &p, &ctx(), "x").unwrap();
    assert_eq!(moved.town_code.as_ref(), Some(&two.code));
    let p = json!({"properties": {"town_name": one.name_zh}});
    let back = apply_patch(&moved, &p, &ctx(), "x").unwrap();
    assert_eq!(back.town_code.as_ref(), Some(&one.code));
}

#[test]
fn a_new_site_needs_the_required_fields_and_ignores_the_labels_get_adds() {
    let mut s = default_sites().remove(3);
    s.id = atlas_core::SiteId::new("brand-new").unwrap();
    let mut f = feature_json(&s);
    f["properties"]["category_zh"] = json!("whatever");
    f["properties"]["approximate"] = json!(true);
    f["properties"]["outside_district"] = json!(true);
    assert_eq!(site_from_feature(&f, &ctx()).unwrap(), s);
    // The id may come from the Feature's id alone.
    let mut g = f.clone();
    g["properties"].as_object_mut().unwrap().remove("id");
    assert_eq!(
        site_from_feature(&g, &ctx()).unwrap().id.as_str(),
        "brand-new"
    );
    let minimal = json!({"type": "Feature", "properties": {"id": "x1", "name_zh": "新站点"}});
    let errors = site_from_feature(&minimal, &ctx()).unwrap_err();
    let cols = columns(&errors);
    for c in ["category", "kind", "source"] {
        assert!(cols.iter().any(|x| x == c), "{c}: {errors:?}");
    }
}

#[test]
fn changed_columns_compare_records_field_by_field() {
    let a = default_sites().remove(0);
    assert!(changed_columns(Some(&a), Some(&a), &ctx()).is_empty());
    let created = changed_columns(None, Some(&a), &ctx());
    assert!(created.contains(&Column::Id) && created.contains(&Column::NameZh));
    assert!(!created.contains(&Column::Crs));
    let mut b = a.clone();
    b.name_zh = "改名".into();
    b.verified_at = Some(today());
    assert_eq!(
        changed_columns(Some(&a), Some(&b), &ctx()),
        [Column::NameZh, Column::VerifiedAt]
    );
}
