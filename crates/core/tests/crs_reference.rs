//! Our GCJ-02 / BD-09 conversions against an independent implementation (npm gcoord 1.0.7; see
//! `fixtures/README.md`), measured on the ground with the haversine distance.

use atlas_core::crs::{gcj02_to_bd09, gcj02_to_wgs84, wgs84_to_gcj02};
use atlas_core::{Crs, Position};
use geo::{Distance, Haversine, Point};

const PAIRS: &str = include_str!("fixtures/crs_pairs.csv");
const OUTSIDE: &str = include_str!("fixtures/crs_outside_china.csv");
const TOLERANCE_M: f64 = 0.5;

struct Row {
    wgs: (f64, f64),
    gcj: (f64, f64),
    bd: (f64, f64),
    name: String,
    gcj_shifted: bool,
}

fn rows(text: &str) -> Vec<Row> {
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            let n = |i: usize| f[i].parse::<f64>().expect("number");
            Row {
                wgs: (n(0), n(1)),
                gcj: (n(2), n(3)),
                bd: (n(4), n(5)),
                name: f.get(6).unwrap_or(&"").to_string(),
                gcj_shifted: f.get(7) == Some(&"true"),
            }
        })
        .collect()
}

fn metres(a: (f64, f64), b: (f64, f64)) -> f64 {
    Haversine.distance(Point::new(a.0, a.1), Point::new(b.0, b.1))
}

fn pos(p: Position) -> (f64, f64) {
    (p.lon.get(), p.lat.get())
}

#[test]
fn the_reference_file_has_every_pair_it_documents() {
    assert_eq!(rows(PAIRS).len(), 154);
    assert_eq!(rows(OUTSIDE).len(), 6);
}

#[test]
fn wgs84_to_gcj02_agrees_with_gcoord_within_half_a_metre() {
    for r in rows(PAIRS) {
        let d = metres(wgs84_to_gcj02(r.wgs.0, r.wgs.1), r.gcj);
        assert!(d < TOLERANCE_M, "{:?}: {d} m", r.wgs);
    }
}

#[test]
fn wgs84_to_bd09_agrees_with_gcoord_within_half_a_metre() {
    for r in rows(PAIRS) {
        let p = Position::new(r.wgs.0, r.wgs.1).unwrap();
        let d = metres(Crs::Bd09.from_wgs84(p), r.bd);
        assert!(d < TOLERANCE_M, "{:?}: {d} m", r.wgs);
        let d = metres(gcj02_to_bd09(r.gcj.0, r.gcj.1), r.bd);
        assert!(d < TOLERANCE_M, "gcj→bd {:?}: {d} m", r.gcj);
    }
}

#[test]
fn gcj02_and_bd09_to_wgs84_recover_gcoords_input_within_half_a_metre() {
    for r in rows(PAIRS) {
        for (crs, given) in [(Crs::Gcj02, r.gcj), (Crs::Bd09, r.bd)] {
            let ours = crs.to_wgs84(given.0, given.1).unwrap();
            let d = metres(pos(ours), r.wgs);
            assert!(d < TOLERANCE_M, "{crs:?} {given:?}: {d} m");
        }
    }
}

#[test]
fn the_offsets_themselves_are_hundreds_of_metres_so_the_test_means_something() {
    for r in rows(PAIRS) {
        assert!(metres(r.wgs, r.gcj) > 100.0, "{:?}", r.wgs);
        assert!(metres(r.wgs, r.bd) > 500.0, "{:?}", r.wgs);
    }
}

#[test]
fn gcj02_leaves_places_outside_mainland_china_unchanged() {
    let outside = rows(OUTSIDE);
    let names: Vec<&str> = outside.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "Tokyo",
            "London",
            "New York",
            "Sydney",
            "Singapore",
            "Taipei"
        ]
    );
    for r in &outside {
        // Our rule (crs.rs): outside mainland China, GCJ-02 is WGS84. gcoord's rough box shifts
        // Singapore and Taipei; we do not, and do not compare with its values there.
        assert_eq!(wgs84_to_gcj02(r.wgs.0, r.wgs.1), r.wgs, "{}", r.name);
        assert_eq!(gcj02_to_wgs84(r.wgs.0, r.wgs.1), r.wgs, "{}", r.name);
        let back = Crs::Gcj02.to_wgs84(r.wgs.0, r.wgs.1).unwrap();
        assert_eq!(pos(back), r.wgs, "{}", r.name);
        let p = Position::new(r.wgs.0, r.wgs.1).unwrap();
        assert_eq!(Crs::Gcj02.from_wgs84(p), r.wgs, "{}", r.name);
    }
}

#[test]
fn bd09_outside_china_matches_gcoord_where_both_leave_gcj02_alone() {
    // Where gcoord does not shift GCJ-02 either, both apply only Baidu's own offset.
    for r in rows(OUTSIDE).iter().filter(|r| !r.gcj_shifted) {
        let p = Position::new(r.wgs.0, r.wgs.1).unwrap();
        let d = metres(Crs::Bd09.from_wgs84(p), r.bd);
        assert!(d < TOLERANCE_M, "{}: {d} m", r.name);
        let back = Crs::Bd09.to_wgs84(r.bd.0, r.bd.1).unwrap();
        assert!(metres(pos(back), r.wgs) < TOLERANCE_M, "{}", r.name);
    }
}
