#![allow(clippy::unwrap_used)]
//! `Store::tile` against the same binning done in memory over the sites `SiteFilter::matches`
//! accepts: whichever path finds the markers (the list index, or SQL for a search or a
//! location filter), a tile holds exactly those sites, cell by cell.

mod common;

use atlas_core::tiles::{world_position, Binner, CellGroup, Marker, TileFeature, TileId, EXTENT};
use atlas_core::{Site, SiteFilter};
use atlas_store::synth::Lcg;
use common::*;

/// The tile holding (`lon`, `lat`) at zoom `z`.
fn tile_at(lon: f64, lat: f64, z: u8) -> TileId {
    let (x, y) = world_position(lon, lat, z);
    let e = f64::from(EXTENT);
    TileId::new(u64::from(z), (x / e) as u64, (y / e) as u64).unwrap()
}

/// The cells of `tile` binned in memory: the located sites `f` accepts, keyed by their
/// position in `sites`.
fn expected(sites: &[Site], f: &SiteFilter, tile: TileId) -> Vec<CellGroup> {
    let mut bin = Binner::new(tile);
    for (i, s) in sites.iter().enumerate() {
        if let (true, Some(m)) = (f.matches(s), s.marker()) {
            bin.add(&Marker {
                key: i as i64,
                lon: m.lon.get(),
                lat: m.lat.get(),
                category: s.category,
                approximate: s.location.precision.is_approximate(),
            });
        }
    }
    bin.finish()
}

#[test]
fn a_tile_holds_exactly_the_matching_sites_by_marker_cell_by_cell() {
    let (store, sites) = synth_store(3000, 42);
    let mut g = Lcg::new(3);
    let parts = [
        "category=carrier_platform",
        "kind=incubator,maker_space,industrial_park",
        "chain=petrochemical",
        "link=petrochemical.refining",
        "level=provincial",
        "status=operating,planned",
        "scope=local",
        "town=440902100,440902103",
        "q=石化",
        "q=园区",
        "precision=town,district",
        "located=true",
    ];
    let mut seen = (0, 0);
    for round in 0..200 {
        let qs: Vec<&str> = (0..g.below(3))
            .filter_map(|_| g.pick(&parts).copied())
            .collect();
        let f = SiteFilter::parse_query(&qs.join("&")).unwrap();
        let z = g.below(19) as u8;
        let (lon, lat) = match g.pick(&sites).and_then(Site::marker) {
            Some(m) if g.chance(0.7) => (m.lon.get(), m.lat.get()),
            _ => (110.75 + g.unit() * 0.3, 21.5 + g.unit() * 0.3),
        };
        let tile = tile_at(lon, lat, z);
        let got = store.tile(&f, tile).unwrap();
        let want = expected(&sites, &f, tile);
        assert_eq!(got.len(), want.len(), "round {round}: {qs:?} {tile:?}");
        for (feature, w) in got.iter().zip(&want) {
            let (group, ids) = match feature {
                TileFeature::Site { group, props } => {
                    seen.0 += 1;
                    assert_eq!(props.id, sites[w.keys[0] as usize].id.as_str());
                    assert_eq!(props.category, sites[w.keys[0] as usize].category);
                    (group, None)
                }
                TileFeature::Cluster { group, ids } => {
                    seen.1 += 1;
                    (group, ids.clone())
                }
            };
            assert_eq!(group.count, w.count, "round {round}: {qs:?}");
            assert_eq!(group.by_category, w.by_category);
            assert_eq!(group.approximate, w.approximate);
            assert_eq!(group.bbox, w.bbox);
            assert!((group.x - w.x).abs() < 1e-6 && (group.y - w.y).abs() < 1e-6);
            if let Some(ids) = ids {
                let mut want_ids: Vec<&str> = w
                    .keys
                    .iter()
                    .map(|k| sites[*k as usize].id.as_str())
                    .collect();
                want_ids.sort_unstable();
                assert_eq!(ids, want_ids);
            } else if w.count > 1 {
                assert!(w.count > 16);
            }
        }
    }
    assert!(seen.0 > 100 && seen.1 > 100, "{seen:?}");
}

#[test]
fn marker_bounds_is_the_box_of_the_matching_markers() {
    let (store, sites) = synth_store(500, 9);
    for qs in ["", "chain=petrochemical", "q=石化", "precision=unknown"] {
        let f = SiteFilter::parse_query(qs).unwrap();
        let want = sites
            .iter()
            .filter(|s| f.matches(s))
            .filter_map(Site::marker)
            .map(atlas_core::BBox::of_point)
            .reduce(|a, b| a.union(&b));
        assert_eq!(store.marker_bounds(&f).unwrap(), want, "{qs}");
    }
}
