//! The GeoPackage export read back with SQLite: the tables of the spec, one feature per site,
//! NULL geometries for sites without a location, the R-tree and the layer's box.
#![allow(clippy::unwrap_used)]

mod common;

use atlas_core::dataset::Reference;
use atlas_core::export::ExportMeta;
use atlas_core::{Column, HeaderLang, Site, SiteFilter, SiteGeometry};
use atlas_store::gpkg::{GpkgOptions, GpkgSrs, GpkgWriter, APPLICATION_ID, USER_VERSION};
use common::*;
use rusqlite::Connection;
use std::path::Path;

/// A row as the tests read it back: fid, 编号, geometry blob, 经度.
type RowOut = (i64, String, Option<Vec<u8>>, Option<f64>);

fn meta(filter: &SiteFilter) -> ExportMeta {
    let at = chrono::DateTime::parse_from_rfc3339("2026-11-26T10:30:00+08:00").unwrap();
    ExportMeta::new("茂南区科技创新资源布局图", filter, at, "test")
}

/// Exports `filter` from `store` into `dir/name`; returns the connection to the file and the
/// rows written.
fn export(
    store: &atlas_store::Store,
    filter: &SiteFilter,
    dir: &Path,
    name: &str,
    opts: GpkgOptions,
) -> (Connection, u64) {
    let reference = Reference::embedded().unwrap();
    let ctx = reference.context(today());
    let path = dir.join(name);
    let rows = store
        .export_gpkg(filter, &path, &ctx, &meta(filter), opts)
        .unwrap();
    (Connection::open(&path).unwrap(), rows)
}

fn one<T: rusqlite::types::FromSql>(conn: &Connection, sql: &str) -> T {
    conn.query_row(sql, [], |r| r.get(0))
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

fn names_in_dir(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn the_file_has_the_tables_rows_and_header_of_a_geopackage() {
    let store = default_store();
    let dir = tempfile::tempdir().unwrap();
    let f = SiteFilter::default();
    let (conn, rows) = export(&store, &f, dir.path(), "all.gpkg", GpkgOptions::default());
    assert_eq!(rows, store.count(&f).unwrap());
    assert_eq!(
        one::<i64>(&conn, "PRAGMA application_id"),
        APPLICATION_ID as i64
    );
    assert_eq!(
        one::<i64>(&conn, "PRAGMA user_version"),
        USER_VERSION as i64
    );
    assert_eq!(one::<String>(&conn, "PRAGMA integrity_check"), "ok");
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'gpkg%' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(
        tables,
        [
            "gpkg_contents",
            "gpkg_extensions",
            "gpkg_geometry_columns",
            "gpkg_spatial_ref_sys"
        ]
    );
    let srs: Vec<i64> = conn
        .prepare("SELECT srs_id FROM gpkg_spatial_ref_sys ORDER BY srs_id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(srs, [-1, 0, 4326], "the three rows every GeoPackage has");
    assert_eq!(
        one::<String>(
            &conn,
            "SELECT table_name || ',' || data_type || ',' || srs_id || ',' || last_change FROM gpkg_contents"
        ),
        "sites,features,4326,2026-11-26T02:30:00.000Z"
    );
    assert_eq!(
        one::<String>(
            &conn,
            "SELECT table_name || ',' || column_name || ',' || geometry_type_name || ',' || srs_id \
             || ',' || z || ',' || m FROM gpkg_geometry_columns"
        ),
        "sites,geom,GEOMETRY,4326,0,0"
    );
    assert_eq!(
        one::<String>(
            &conn,
            "SELECT table_name || ',' || column_name || ',' || scope FROM gpkg_extensions \
             WHERE extension_name = 'gpkg_rtree_index'"
        ),
        "sites,geom,write-only"
    );
    let triggers: i64 = one(
        &conn,
        "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'rtree_sites_geom_%'",
    );
    assert_eq!(triggers, 6, "the R-tree extension's triggers");
    assert_eq!(one::<i64>(&conn, "SELECT count(*) FROM sites") as u64, rows);
    assert_eq!(
        names_in_dir(dir.path()),
        ["all.gpkg"],
        "no temporary file left"
    );
}

#[test]
fn every_column_of_the_csv_export_is_a_field_with_its_chinese_or_english_name() {
    let store = default_store();
    let dir = tempfile::tempdir().unwrap();
    let f = SiteFilter::default();
    for lang in [HeaderLang::Zh, HeaderLang::En] {
        let opts = GpkgOptions {
            lang,
            ..GpkgOptions::default()
        };
        let (conn, _) = export(&store, &f, dir.path(), &format!("{lang:?}.gpkg"), opts);
        let fields: Vec<(String, String)> = conn
            .prepare("SELECT name, type FROM pragma_table_info('sites') ORDER BY cid")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let mut expected = vec![
            ("fid".to_string(), "INTEGER".to_string()),
            ("geom".to_string(), "GEOMETRY".to_string()),
        ];
        expected.extend(
            atlas_core::record::header_row(lang)
                .into_iter()
                .zip(Column::ALL)
                .map(|(h, c)| {
                    let ty = match c.value_type() {
                        atlas_core::ValueType::Text => "TEXT",
                        atlas_core::ValueType::Integer => "MEDIUMINT",
                        atlas_core::ValueType::Real => "REAL",
                    };
                    (h.to_string(), ty.to_string())
                }),
        );
        assert_eq!(fields, expected, "{lang:?}");
    }
}

/// The sites of the store matching `f`, in list order.
fn sites_of(store: &atlas_store::Store, f: &SiteFilter) -> Vec<Site> {
    let mut v = Vec::new();
    store
        .for_each(f, |s| {
            v.push(s);
            Ok::<(), atlas_store::StoreError>(())
        })
        .unwrap();
    v
}

#[test]
fn located_sites_have_their_geometry_and_an_rtree_box_unlocated_ones_null() {
    let (store, _) = synth_store(3000, 7);
    let dir = tempfile::tempdir().unwrap();
    let f = SiteFilter::default();
    let sites = sites_of(&store, &f);
    let located: Vec<&Site> = sites
        .iter()
        .filter(|s| s.location.geometry.is_some())
        .collect();
    let polygons = sites
        .iter()
        .filter(|s| matches!(s.location.geometry, Some(SiteGeometry::Polygon { .. })))
        .count();
    assert!(
        located.len() < sites.len() && polygons > 0,
        "the sample has all three"
    );
    let (conn, rows) = export(&store, &f, dir.path(), "s.gpkg", GpkgOptions::default());
    assert_eq!(rows as usize, sites.len());

    let mut st = conn
        .prepare("SELECT fid, \"编号\", geom, \"经度\" FROM sites ORDER BY fid")
        .unwrap();
    let got: Vec<RowOut> = st
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(got.len(), sites.len());
    for ((fid, id, geom, lon), site) in got.iter().zip(&sites) {
        assert_eq!(id, site.id.as_str(), "rows in list order");
        match (&site.location.geometry, geom) {
            (None, None) => assert_eq!(*lon, None),
            (Some(g), Some(blob)) => {
                assert_eq!(&blob[..2], b"GP");
                let wkb_type = u32::from_le_bytes(blob[41..45].try_into().unwrap());
                let expected = if matches!(g, SiteGeometry::Point(_)) {
                    1
                } else {
                    3
                };
                assert_eq!(wkb_type, expected, "{id}");
                assert_eq!(*lon, Some(g.marker().lon.get()));
                let b: (f64, f64, f64, f64) = conn
                    .query_row(
                        "SELECT minx, maxx, miny, maxy FROM rtree_sites_geom WHERE id = ?1",
                        [fid],
                        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
                    )
                    .unwrap();
                let want = g.bbox();
                // The R-tree keeps 32-bit floats, rounded outwards.
                assert!(b.0 <= want.min_lon && b.1 >= want.max_lon, "{id}");
                assert!(b.2 <= want.min_lat && b.3 >= want.max_lat, "{id}");
                assert!((b.0 - want.min_lon).abs() < 1e-4, "{id}");
            }
            (g, blob) => panic!("{id}: geometry {g:?} written as {blob:?}"),
        }
    }
    let in_rtree: i64 = one(&conn, "SELECT count(*) FROM rtree_sites_geom");
    assert_eq!(
        in_rtree as usize,
        located.len(),
        "one R-tree row per located site"
    );
    let null_geoms: i64 = one(&conn, "SELECT count(*) FROM sites WHERE geom IS NULL");
    assert_eq!(null_geoms as usize, sites.len() - located.len());

    // The layer's box is the union of the located sites' boxes.
    let want = located
        .iter()
        .filter_map(|s| s.location.bbox())
        .reduce(|a, b| a.union(&b))
        .unwrap();
    let got: (f64, f64, f64, f64) = conn
        .query_row(
            "SELECT min_x, min_y, max_x, max_y FROM gpkg_contents",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap();
    assert_eq!(
        got,
        (want.min_lon, want.min_lat, want.max_lon, want.max_lat)
    );
}

#[test]
fn the_filter_selects_the_rows_and_an_all_unlocated_layer_has_no_box() {
    let (store, _) = synth_store(2000, 11);
    let dir = tempfile::tempdir().unwrap();
    let f = SiteFilter::parse_query("precision=unknown").unwrap();
    let expected = store.count(&f).unwrap();
    assert!(expected > 0);
    let (conn, rows) = export(&store, &f, dir.path(), "u.gpkg", GpkgOptions::default());
    assert_eq!(rows, expected);
    assert_eq!(
        one::<i64>(&conn, "SELECT count(*) FROM sites") as u64,
        expected
    );
    assert_eq!(
        one::<i64>(&conn, "SELECT count(*) FROM rtree_sites_geom"),
        0
    );
    let min_x: Option<f64> = one(&conn, "SELECT min_x FROM gpkg_contents");
    assert_eq!(min_x, None, "no located site, no box");
}

#[test]
fn cgcs2000_is_declared_with_epsg_4490_and_the_same_coordinates() {
    let store = default_store();
    let dir = tempfile::tempdir().unwrap();
    let f = SiteFilter::default();
    let opts = GpkgOptions {
        srs: GpkgSrs::Cgcs2000,
        ..GpkgOptions::default()
    };
    let (cgcs, _) = export(&store, &f, dir.path(), "cgcs.gpkg", opts);
    let (wgs, _) = export(&store, &f, dir.path(), "wgs.gpkg", GpkgOptions::default());
    assert_eq!(one::<i64>(&cgcs, "SELECT srs_id FROM gpkg_contents"), 4490);
    assert_eq!(
        one::<i64>(&cgcs, "SELECT srs_id FROM gpkg_geometry_columns"),
        4490
    );
    assert_eq!(
        one::<String>(
            &cgcs,
            "SELECT organization || ':' || organization_coordsys_id FROM gpkg_spatial_ref_sys WHERE srs_id = 4490"
        ),
        "EPSG:4490"
    );
    assert_eq!(
        one::<i64>(
            &cgcs,
            "SELECT count(*) FROM gpkg_spatial_ref_sys WHERE srs_id = 4326"
        ),
        1,
        "WGS 84 is in every GeoPackage"
    );
    // Same coordinates: the blobs differ only in their SRS id (bytes 4..8).
    let blobs = |c: &Connection| -> Vec<Vec<u8>> {
        c.prepare("SELECT geom FROM sites WHERE geom IS NOT NULL ORDER BY fid")
            .unwrap()
            .query_map([], |r| r.get::<_, Vec<u8>>(0))
            .unwrap()
            .map(|b| {
                let mut b = b.unwrap();
                b[4..8].fill(0);
                b
            })
            .collect()
    };
    assert_eq!(blobs(&cgcs), blobs(&wgs));
    assert!(!blobs(&wgs).is_empty());
}

#[test]
fn an_unfinished_export_leaves_nothing_and_a_finished_one_replaces_the_old_file() {
    let store = default_store();
    let reference = Reference::embedded().unwrap();
    let ctx = reference.context(today());
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("out.gpkg");
    let f = SiteFilter::default();
    {
        let mut w = GpkgWriter::create(&dest, &ctx, &meta(&f), GpkgOptions::default()).unwrap();
        for s in sites_of(&store, &f).iter().take(3) {
            w.write_site(s).unwrap();
        }
        // Dropped without finish: a failed export.
    }
    assert!(
        names_in_dir(dir.path()).is_empty(),
        "{:?}",
        names_in_dir(dir.path())
    );

    std::fs::write(&dest, b"an older file").unwrap();
    let mut w = GpkgWriter::create(&dest, &ctx, &meta(&f), GpkgOptions::default()).unwrap();
    assert_eq!(
        std::fs::read(&dest).unwrap(),
        b"an older file",
        "untouched while writing"
    );
    for s in sites_of(&store, &f).iter().take(5) {
        w.write_site(s).unwrap();
    }
    assert_eq!(w.finish().unwrap(), 5);
    let conn = Connection::open(&dest).unwrap();
    assert_eq!(one::<i64>(&conn, "SELECT count(*) FROM sites"), 5);
    assert_eq!(names_in_dir(dir.path()), ["out.gpkg"]);
}

#[test]
fn a_download_copy_is_the_same_geopackage() {
    let store = default_store();
    let reference = Reference::embedded().unwrap();
    let ctx = reference.context(today());
    let dir = tempfile::tempdir().unwrap();
    let f = SiteFilter::default();
    let mut bytes = Vec::new();
    let rows = store
        .export_gpkg_into(
            &f,
            &mut bytes,
            &ctx,
            &meta(&f),
            GpkgOptions::default(),
            Some(dir.path()),
        )
        .unwrap();
    assert_eq!(rows, store.count(&f).unwrap());
    assert!(bytes.starts_with(b"SQLite format 3\0"));
    assert_eq!(&bytes[68..72], b"GPKG");
    assert!(
        names_in_dir(dir.path()).is_empty(),
        "the temporary copy is removed"
    );
    // The same bytes as a file export: the output is deterministic.
    export(&store, &f, dir.path(), "file.gpkg", GpkgOptions::default());
    assert_eq!(std::fs::read(dir.path().join("file.gpkg")).unwrap(), bytes);
}

/// `ogrinfo -ro -al -so PATH`, or `None` (with a message) when GDAL is not installed.
fn ogrinfo_summary(path: &Path) -> Option<String> {
    let out = match std::process::Command::new("ogrinfo")
        .args(["-ro", "-al", "-so"])
        .arg(path)
        .output()
    {
        Ok(out) => out,
        Err(_) => {
            eprintln!("skipped: GDAL's ogrinfo (Debian gdal-bin) is not installed");
            return None;
        }
    };
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "GDAL warns: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(String::from_utf8(out.stdout).unwrap())
}

#[test]
fn gdal_reads_the_layer_in_wgs84_or_cgcs2000_with_every_site() {
    let (store, sites) = synth_store(1500, 3);
    let dir = tempfile::tempdir().unwrap();
    let f = SiteFilter::default();
    for (srs, name, epsg) in [
        (GpkgSrs::Wgs84, "WGS 84", "ID[\"EPSG\",4326]"),
        (
            GpkgSrs::Cgcs2000,
            "China Geodetic Coordinate System 2000",
            "ID[\"EPSG\",4490]",
        ),
    ] {
        let file = format!("{}.gpkg", srs.epsg());
        let opts = GpkgOptions {
            srs,
            ..GpkgOptions::default()
        };
        export(&store, &f, dir.path(), &file, opts);
        let Some(summary) = ogrinfo_summary(&dir.path().join(&file)) else {
            return;
        };
        assert!(summary.contains("Layer name: sites"), "{summary}");
        assert!(
            summary.contains(&format!("Feature Count: {}", sites.len())),
            "{summary}"
        );
        assert!(
            summary.contains(name) && summary.contains(epsg),
            "{summary}"
        );
        assert!(summary.contains("名称: String"), "{summary}");
    }
}

#[cfg(unix)]
#[test]
fn the_export_is_an_ordinary_file_not_a_private_temporary_one() {
    use std::os::unix::fs::PermissionsExt;
    let store = default_store();
    let dir = tempfile::tempdir().unwrap();
    export(
        &store,
        &SiteFilter::default(),
        dir.path(),
        "p.gpkg",
        GpkgOptions::default(),
    );
    let mode = std::fs::metadata(dir.path().join("p.gpkg"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(
        mode & 0o044,
        0o044,
        "readable by others as umask 022 allows: {mode:o}"
    );
}
