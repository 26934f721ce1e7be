//! GeoPackage export: the filtered sites as one OGC GeoPackage 1.3 file (an SQLite database
//! that QGIS, ArcGIS and GDAL open directly), written through SQLite itself.
//!
//! What the file holds (OGC 12-128r15, GeoPackage 1.3):
//! - `application_id` `GPKG` and `user_version` 10300 in the database header;
//! - `gpkg_spatial_ref_sys`: the three rows every GeoPackage has (-1, 0, EPSG:4326), and
//!   EPSG:4490 (CGCS2000) when the layer is written in it ([`GpkgSrs`]; the coordinates are the
//!   same numbers, as everywhere in Atlas);
//! - one feature table, [`TABLE`]: `fid`, the geometry column [`GEOMETRY_COLUMN`] (type
//!   `GEOMETRY`: a site is its point, or its polygon, exactly as the GeoJSON and KML exports
//!   write it; a site without a location has a NULL geometry, never a stand-in point), then
//!   every column of the CSV/XLSX export ([`Column::ALL`]) with the same header (Chinese, or
//!   the English key) and the same values ([`cell_ref`]), typed by [`Column::value_type`];
//! - `gpkg_contents` with the layer's box (of the located sites; NULL when there are none),
//!   `gpkg_geometry_columns`;
//! - the R-tree spatial index extension: its `gpkg_extensions` row, `rtree_sites_geom` holding
//!   one box per located site, and the spec's six triggers that keep it current when a GIS
//!   edits the file (created after the rows, as they call SQL functions only a GIS defines).
//!
//! Geometries are GeoPackage binary: `GP`, version 0, flags (little-endian, envelope
//! `[minx, maxx, miny, maxy]`), the SRS id, the envelope, then ISO WKB (2D point or polygon).
//!
//! Atomic: the file is built in one transaction in a temporary file beside the destination,
//! synced, and renamed over it only when complete. A failed or abandoned export
//! ([`GpkgWriter`] dropped without [`GpkgWriter::finish`]) leaves nothing behind.
//!
//! Entry points: [`Store::export_gpkg`] (a filter into a file), [`Store::export_gpkg_into`]
//! (into any `Write`, through a temporary file: a download), and [`GpkgWriter`] for sites
//! from anywhere, one at a time (it is also an [`atlas_core::SiteWriter`]).

use crate::error::{Result, StoreError};
use crate::Store;
use atlas_core::export::{ExportError, ExportMeta};
use atlas_core::record::{cell_ref, CellRef};
use atlas_core::{
    BBox, Column, Context, Crs, HeaderLang, Site, SiteFilter, SiteGeometry, SiteWriter, ValueType,
};
use rusqlite::{params, Connection};
use std::path::{Path, PathBuf};

/// The feature table (the layer's name in a GIS).
pub const TABLE: &str = "sites";
/// The geometry column.
pub const GEOMETRY_COLUMN: &str = "geom";
/// `PRAGMA application_id` of a GeoPackage: `GPKG` in ASCII.
pub const APPLICATION_ID: i32 = 0x4750_4B47;
/// `PRAGMA user_version` of GeoPackage 1.3.0.
pub const USER_VERSION: i32 = 10300;
/// The R-tree table of [`TABLE`]'s geometries.
const RTREE: &str = "rtree_sites_geom";

/// The coordinate reference system a GeoPackage layer is declared in. Atlas holds WGS84;
/// CGCS2000 has the same coordinates at map scale, so only the declaration differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GpkgSrs {
    /// WGS 84, EPSG:4326.
    #[default]
    Wgs84,
    /// China Geodetic Coordinate System 2000, EPSG:4490.
    Cgcs2000,
}

impl GpkgSrs {
    /// The SRS a layer in `crs` is declared in, for the systems written as stored (WGS84,
    /// CGCS2000); `None` for the offset ones (GCJ-02, BD-09), which have no EPSG code.
    pub fn for_crs(crs: Crs) -> Option<Self> {
        match crs {
            Crs::Wgs84 => Some(Self::Wgs84),
            Crs::Cgcs2000 => Some(Self::Cgcs2000),
            Crs::Gcj02 | Crs::Bd09 => None,
        }
    }

    /// The EPSG code, which is also the `srs_id`.
    pub fn epsg(self) -> i32 {
        match self {
            Self::Wgs84 => 4326,
            Self::Cgcs2000 => 4490,
        }
    }

    /// `(srs_name, definition (OGC WKT), description)` of its `gpkg_spatial_ref_sys` row.
    fn row(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Self::Wgs84 => (
                "WGS 84 geodetic",
                "GEOGCS[\"WGS 84\",DATUM[\"WGS_1984\",SPHEROID[\"WGS 84\",6378137,298.257223563,\
                 AUTHORITY[\"EPSG\",\"7030\"]],AUTHORITY[\"EPSG\",\"6326\"]],PRIMEM[\"Greenwich\",0,\
                 AUTHORITY[\"EPSG\",\"8901\"]],UNIT[\"degree\",0.0174532925199433,\
                 AUTHORITY[\"EPSG\",\"9122\"]],AXIS[\"Latitude\",NORTH],AXIS[\"Longitude\",EAST],\
                 AUTHORITY[\"EPSG\",\"4326\"]]",
                "longitude/latitude coordinates in decimal degrees on the WGS 84 spheroid",
            ),
            Self::Cgcs2000 => (
                "China Geodetic Coordinate System 2000",
                "GEOGCS[\"China Geodetic Coordinate System 2000\",DATUM[\"China_2000\",\
                 SPHEROID[\"CGCS2000\",6378137,298.257222101,AUTHORITY[\"EPSG\",\"1024\"]],\
                 AUTHORITY[\"EPSG\",\"1043\"]],PRIMEM[\"Greenwich\",0,AUTHORITY[\"EPSG\",\"8901\"]],\
                 UNIT[\"degree\",0.0174532925199433,AUTHORITY[\"EPSG\",\"9122\"]],\
                 AXIS[\"Latitude\",NORTH],AXIS[\"Longitude\",EAST],AUTHORITY[\"EPSG\",\"4490\"]]",
                "2000国家大地坐标系 CGCS2000, longitude/latitude in decimal degrees",
            ),
        }
    }
}

/// How a GeoPackage is written: its SRS and the language of its field names and labels (as
/// the CSV/XLSX exports: Chinese headers and labels, or English keys and ids).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct GpkgOptions {
    /// The layer's coordinate reference system.
    pub srs: GpkgSrs,
    /// Field names and vocabulary values.
    pub lang: HeaderLang,
}

/// Writes sites one at a time into a new GeoPackage at `dest` (see the module documentation);
/// nothing is at `dest` until [`GpkgWriter::finish`] returns.
pub struct GpkgWriter<'a> {
    conn: Connection,
    /// The file being built, beside `dest`; removed when the writer is dropped unfinished.
    file: tempfile::NamedTempFile,
    dest: PathBuf,
    ctx: Context<'a>,
    opts: GpkgOptions,
    /// `gpkg_contents` text: identifier, description, last change.
    contents: (String, String, String),
    insert_sql: String,
    /// The union of the located sites' boxes.
    extent: Option<BBox>,
    rows: u64,
    /// The geometry blob being built (reused).
    blob: Vec<u8>,
}

impl<'a> GpkgWriter<'a> {
    /// Starts a GeoPackage for `dest`: a temporary file in the same directory with the
    /// GeoPackage tables and the empty layer, in an open transaction.
    pub fn create(
        dest: &Path,
        ctx: &Context<'a>,
        meta: &ExportMeta,
        opts: GpkgOptions,
    ) -> Result<Self> {
        let dir = match dest.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let mut builder = tempfile::Builder::new();
        builder.prefix(".atlas-export-").suffix(".gpkg.part");
        // An export is an ordinary file (0666 less the umask), not a private temporary one.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            builder.permissions(std::fs::Permissions::from_mode(0o666));
        }
        let file = builder.tempfile_in(dir).map_err(|e| file_error(dest, &e))?;
        let conn = Connection::open(file.path())?;
        // No journal file beside it: a failed export is deleted whole, never rolled back on disk.
        conn.execute_batch(
            "PRAGMA journal_mode = MEMORY; PRAGMA synchronous = OFF; BEGIN IMMEDIATE;",
        )?;
        create_schema(&conn, opts)?;
        Ok(Self {
            conn,
            file,
            dest: dest.to_path_buf(),
            ctx: *ctx,
            opts,
            contents: contents_text(meta),
            insert_sql: insert_sql(opts.lang),
            extent: None,
            rows: 0,
            blob: Vec::with_capacity(256),
        })
    }

    /// Writes one site: its row, and its box in the R-tree when it has a location.
    pub fn write_site(&mut self, site: &Site) -> Result<()> {
        let geometry = site.location.geometry.as_ref();
        if let Some(g) = geometry {
            gpkg_geometry(g, self.opts.srs.epsg(), &mut self.blob)?;
        }
        let mut st = self.conn.prepare_cached(&self.insert_sql)?;
        st.raw_bind_parameter(1, geometry.map(|_| self.blob.as_slice()))?;
        for (i, c) in Column::ALL.into_iter().enumerate() {
            let at = i + 2;
            match cell_ref(site, c, &self.ctx, self.opts.lang) {
                CellRef::Text(s) => st.raw_bind_parameter(at, s.as_ref())?,
                CellRef::Number(n) if c.value_type() == ValueType::Integer && n.fract() == 0.0 => {
                    st.raw_bind_parameter(at, n as i64)?
                }
                CellRef::Number(n) => st.raw_bind_parameter(at, n)?,
                CellRef::Empty => st.raw_bind_parameter(at, rusqlite::types::Null)?,
            }
        }
        st.raw_execute()?;
        if let Some(g) = geometry {
            let b = g.bbox();
            let fid = self.conn.last_insert_rowid();
            self.conn
                .prepare_cached("INSERT INTO rtree_sites_geom VALUES (?1, ?2, ?3, ?4, ?5)")?
                .execute(params![fid, b.min_lon, b.max_lon, b.min_lat, b.max_lat])?;
            self.extent = Some(self.extent.map_or(b, |e| e.union(&b)));
        }
        self.rows += 1;
        Ok(())
    }

    /// Sites written so far.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Records the layer (contents with its box, geometry column, spatial index), commits,
    /// and moves the finished file to the destination. Returns the number of sites written.
    pub fn finish(self) -> Result<u64> {
        let Self {
            conn,
            file,
            dest,
            opts,
            contents: (identifier, description, last_change),
            extent,
            rows,
            ..
        } = self;
        let srs = opts.srs.epsg();
        let bounds = extent.map(|b| (b.min_lon, b.min_lat, b.max_lon, b.max_lat));
        conn.execute(
            "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, \
             last_change, min_x, min_y, max_x, max_y, srs_id) \
             VALUES (?1, 'features', ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                TABLE,
                identifier,
                description,
                last_change,
                bounds.map(|b| b.0),
                bounds.map(|b| b.1),
                bounds.map(|b| b.2),
                bounds.map(|b| b.3),
                srs
            ],
        )?;
        conn.execute(
            "INSERT INTO gpkg_geometry_columns VALUES (?1, ?2, 'GEOMETRY', ?3, 0, 0)",
            params![TABLE, GEOMETRY_COLUMN, srs],
        )?;
        conn.execute(
            "INSERT INTO gpkg_extensions VALUES (?1, ?2, 'gpkg_rtree_index', \
             'http://www.geopackage.org/spec/#extension_rtree', 'write-only')",
            params![TABLE, GEOMETRY_COLUMN],
        )?;
        conn.execute_batch(&rtree_triggers())?;
        conn.execute_batch("COMMIT")?;
        conn.close().map_err(|(_, e)| StoreError::from(e))?;
        file.as_file()
            .sync_all()
            .map_err(|e| file_error(&dest, &e))?;
        file.persist(&dest)
            .map_err(|e| file_error(&dest, &e.error))?;
        Ok(rows)
    }
}

impl SiteWriter for GpkgWriter<'_> {
    fn write_site(&mut self, site: &Site) -> std::result::Result<(), ExportError> {
        GpkgWriter::write_site(self, site).map_err(export_error)
    }

    fn rows_written(&self) -> u64 {
        self.rows
    }

    fn finish_boxed(self: Box<Self>) -> std::result::Result<u64, ExportError> {
        (*self).finish().map_err(export_error)
    }
}

/// A store error as the export's error ("writing the export failed: …", its source kept).
fn export_error(e: StoreError) -> ExportError {
    ExportError::Io(std::io::Error::other(e))
}

fn file_error(path: &Path, e: &std::io::Error) -> StoreError {
    StoreError::File {
        path: path.to_path_buf(),
        detail: e.to_string(),
    }
}

impl Store {
    /// Writes the sites matching `filter` (in list order) into a new GeoPackage at `dest`,
    /// replacing any file there only when the new one is complete. Returns the sites written.
    pub fn export_gpkg(
        &self,
        filter: &SiteFilter,
        dest: &Path,
        ctx: &Context<'_>,
        meta: &ExportMeta,
        opts: GpkgOptions,
    ) -> Result<u64> {
        let mut writer = GpkgWriter::create(dest, ctx, meta, opts)?;
        // Reading and writing overlap on two threads.
        self.for_each_on_thread(filter, |site| writer.write_site(site))?;
        writer.finish()
    }

    /// [`Store::export_gpkg`] into `out` (a download): the file is built in a temporary
    /// directory (in `temp_dir`, or the system's), copied into `out`, and removed. Returns the
    /// sites written.
    pub fn export_gpkg_into(
        &self,
        filter: &SiteFilter,
        out: &mut dyn std::io::Write,
        ctx: &Context<'_>,
        meta: &ExportMeta,
        opts: GpkgOptions,
        temp_dir: Option<&Path>,
    ) -> Result<u64> {
        let dir = match temp_dir {
            Some(d) => tempfile::tempdir_in(d),
            None => tempfile::tempdir(),
        };
        let dir = dir.map_err(|e| file_error(&std::env::temp_dir(), &e))?;
        let path = dir.path().join("export.gpkg");
        let rows = self.export_gpkg(filter, &path, ctx, meta, opts)?;
        let mut file = std::fs::File::open(&path).map_err(|e| file_error(&path, &e))?;
        std::io::copy(&mut file, out).map_err(|e| file_error(&path, &e))?;
        out.flush().map_err(|e| file_error(&path, &e))?;
        Ok(rows)
    }
}

/// A name in double quotes, for SQL.
fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The field name of a column in `lang`: its Chinese header or its English key.
fn field_name(c: Column, lang: HeaderLang) -> &'static str {
    match lang {
        HeaderLang::Zh => c.zh(),
        HeaderLang::En => c.key(),
    }
}

/// `INSERT` of one row: the geometry, then every column in [`Column::ALL`] order.
fn insert_sql(lang: HeaderLang) -> String {
    let names: Vec<String> = Column::ALL
        .into_iter()
        .map(|c| quoted(field_name(c, lang)))
        .collect();
    let marks: Vec<String> = (2..=Column::ALL.len() + 1)
        .map(|i| format!("?{i}"))
        .collect();
    format!(
        "INSERT INTO {TABLE} ({GEOMETRY_COLUMN}, {}) VALUES (?1, {})",
        names.join(", "),
        marks.join(", ")
    )
}

/// The GeoPackage tables (GeoPackage 1.3, Annex C), the SRS rows, the feature table and its
/// R-tree, in the open transaction.
fn create_schema(conn: &Connection, opts: GpkgOptions) -> Result<()> {
    conn.execute_batch(&format!(
        "PRAGMA application_id = {APPLICATION_ID}; PRAGMA user_version = {USER_VERSION};
         CREATE TABLE gpkg_spatial_ref_sys (
           srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY, organization TEXT NOT NULL,
           organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL,
           description TEXT);
         CREATE TABLE gpkg_contents (
           table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL,
           identifier TEXT UNIQUE, description TEXT DEFAULT '',
           last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
           min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER,
           CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id)
             REFERENCES gpkg_spatial_ref_sys(srs_id));
         CREATE TABLE gpkg_geometry_columns (
           table_name TEXT NOT NULL, column_name TEXT NOT NULL,
           geometry_type_name TEXT NOT NULL, srs_id INTEGER NOT NULL,
           z TINYINT NOT NULL, m TINYINT NOT NULL,
           CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
           CONSTRAINT uk_gc_table_name UNIQUE (table_name),
           CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
           CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id));
         CREATE TABLE gpkg_extensions (
           table_name TEXT, column_name TEXT, extension_name TEXT NOT NULL,
           definition TEXT NOT NULL, scope TEXT NOT NULL,
           CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name));
         INSERT INTO gpkg_spatial_ref_sys VALUES
           ('Undefined cartesian SRS', -1, 'NONE', -1, 'undefined',
            'undefined cartesian coordinate reference system'),
           ('Undefined geographic SRS', 0, 'NONE', 0, 'undefined',
            'undefined geographic coordinate reference system');
         CREATE VIRTUAL TABLE {RTREE} USING rtree(id, minx, maxx, miny, maxy);"
    ))?;
    let mut srs_rows = vec![GpkgSrs::Wgs84];
    if opts.srs != GpkgSrs::Wgs84 {
        srs_rows.push(opts.srs);
    }
    for srs in srs_rows {
        let (name, definition, description) = srs.row();
        conn.execute(
            "INSERT INTO gpkg_spatial_ref_sys VALUES (?1, ?2, 'EPSG', ?2, ?3, ?4)",
            params![name, srs.epsg(), definition, description],
        )?;
    }
    let fields: Vec<String> = Column::ALL
        .into_iter()
        .map(|c| {
            let ty = match c.value_type() {
                ValueType::Text => "TEXT",
                // 32 bits: a GIS's plain integer field (INTEGER would be 64-bit).
                ValueType::Integer => "MEDIUMINT",
                ValueType::Real => "REAL",
            };
            format!("{} {ty}", quoted(field_name(c, opts.lang)))
        })
        .collect();
    conn.execute_batch(&format!(
        "CREATE TABLE {TABLE} (fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, \
         {GEOMETRY_COLUMN} GEOMETRY, {});",
        fields.join(", ")
    ))?;
    Ok(())
}

/// The triggers of the R-tree extension (GeoPackage 1.3, F.3) that keep the index current
/// when the table is edited. They call `ST_IsEmpty`, `ST_MinX` … which a GIS registers.
fn rtree_triggers() -> String {
    let (t, c, r) = (TABLE, GEOMETRY_COLUMN, RTREE);
    let boxed = |id: &str| {
        format!(
            "INSERT OR REPLACE INTO {r} VALUES ({id}, ST_MinX(NEW.{c}), ST_MaxX(NEW.{c}), \
             ST_MinY(NEW.{c}), ST_MaxY(NEW.{c}));"
        )
    };
    let filled = format!("(NEW.{c} NOT NULL AND NOT ST_IsEmpty(NEW.{c}))");
    let emptied = format!("(NEW.{c} ISNULL OR ST_IsEmpty(NEW.{c}))");
    [
        format!(
            "CREATE TRIGGER {r}_insert AFTER INSERT ON {t} WHEN {filled} BEGIN {} END;",
            boxed("NEW.fid")
        ),
        format!(
            "CREATE TRIGGER {r}_update1 AFTER UPDATE OF {c} ON {t} \
             WHEN OLD.fid = NEW.fid AND {filled} BEGIN {} END;",
            boxed("NEW.fid")
        ),
        format!(
            "CREATE TRIGGER {r}_update2 AFTER UPDATE OF {c} ON {t} \
             WHEN OLD.fid = NEW.fid AND {emptied} BEGIN DELETE FROM {r} WHERE id = OLD.fid; END;"
        ),
        format!(
            "CREATE TRIGGER {r}_update3 AFTER UPDATE ON {t} \
             WHEN OLD.fid != NEW.fid AND {filled} \
             BEGIN DELETE FROM {r} WHERE id = OLD.fid; {} END;",
            boxed("NEW.fid")
        ),
        format!(
            "CREATE TRIGGER {r}_update4 AFTER UPDATE ON {t} \
             WHEN OLD.fid != NEW.fid AND {emptied} \
             BEGIN DELETE FROM {r} WHERE id IN (OLD.fid, NEW.fid); END;"
        ),
        format!(
            "CREATE TRIGGER {r}_delete AFTER DELETE ON {t} WHEN OLD.{c} NOT NULL \
             BEGIN DELETE FROM {r} WHERE id = OLD.fid; END;"
        ),
    ]
    .join("\n")
}

/// `gpkg_contents`' identifier (the title), description (the filter, the time, the source)
/// and last change (the export's time in UTC, as the spec writes it).
fn contents_text(meta: &ExportMeta) -> (String, String, String) {
    let filter = if meta.filter_description.is_empty() {
        "全部站点 all sites".to_string()
    } else {
        meta.filter_description
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&")
    };
    let description = format!(
        "筛选 filter: {filter}; 导出时间 generated: {}; 来源 source: {}",
        meta.generated_at_text(),
        meta.data_source
    );
    let last_change = meta
        .generated_at
        .with_timezone(&chrono::Utc)
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string();
    (meta.title.clone(), description, last_change)
}

/// Writes `g` as a GeoPackage binary geometry into `out` (replacing its content): the header
/// with the envelope, then little-endian ISO WKB.
fn gpkg_geometry(g: &SiteGeometry, srs_id: i32, out: &mut Vec<u8>) -> Result<()> {
    /// Flags: little-endian (bit 0), envelope `[minx, maxx, miny, maxy]` (bits 1–3 = 1).
    const FLAGS: u8 = 0b0000_0011;
    out.clear();
    out.extend_from_slice(b"GP");
    out.extend_from_slice(&[0, FLAGS]);
    out.extend_from_slice(&srs_id.to_le_bytes());
    let b = g.bbox();
    for v in [b.min_lon, b.max_lon, b.min_lat, b.max_lat] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out.push(1);
    match g {
        SiteGeometry::Point(p) => {
            out.extend_from_slice(&1u32.to_le_bytes());
            out.extend_from_slice(&p.lon.get().to_le_bytes());
            out.extend_from_slice(&p.lat.get().to_le_bytes());
        }
        SiteGeometry::Polygon { polygon, .. } => {
            out.extend_from_slice(&3u32.to_le_bytes());
            let rings = std::iter::once(polygon.exterior()).chain(polygon.interiors());
            out.extend_from_slice(&count(1 + polygon.interiors().len())?.to_le_bytes());
            for ring in rings {
                out.extend_from_slice(&count(ring.0.len())?.to_le_bytes());
                for c in &ring.0 {
                    out.extend_from_slice(&c.x.to_le_bytes());
                    out.extend_from_slice(&c.y.to_le_bytes());
                }
            }
        }
    }
    Ok(())
}

/// A count as WKB writes it (32 bits).
fn count(n: usize) -> Result<u32> {
    u32::try_from(n).map_err(|_| StoreError::Data(format!("a polygon with {n} rings or points")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use atlas_core::Position;

    #[test]
    fn a_point_is_a_header_with_its_envelope_then_wkb() {
        let p = Position::new(110.92, 21.67).expect("a position");
        let mut blob = Vec::new();
        gpkg_geometry(&SiteGeometry::Point(p), 4326, &mut blob).expect("written");
        assert_eq!(&blob[..4], b"GP\x00\x03");
        assert_eq!(i32::from_le_bytes(blob[4..8].try_into().expect("4")), 4326);
        let env: Vec<f64> = blob[8..40]
            .chunks(8)
            .map(|c| f64::from_le_bytes(c.try_into().expect("8")))
            .collect();
        assert_eq!(env, [110.92, 110.92, 21.67, 21.67]);
        assert_eq!(blob[40], 1, "little-endian WKB");
        assert_eq!(u32::from_le_bytes(blob[41..45].try_into().expect("4")), 1);
        assert_eq!(blob.len(), 40 + 1 + 4 + 16);
    }

    #[test]
    fn a_polygon_keeps_its_rings() {
        let g = SiteGeometry::from_wkt(
            "POLYGON((110 21,111 21,111 22,110 22,110 21),(110.2 21.2,110.4 21.2,110.4 21.4,110.2 21.2))",
        )
        .expect("a polygon");
        let mut blob = Vec::new();
        gpkg_geometry(&g, 4490, &mut blob).expect("written");
        assert_eq!(i32::from_le_bytes(blob[4..8].try_into().expect("4")), 4490);
        assert_eq!(u32::from_le_bytes(blob[41..45].try_into().expect("4")), 3);
        assert_eq!(u32::from_le_bytes(blob[45..49].try_into().expect("4")), 2);
        assert_eq!(u32::from_le_bytes(blob[49..53].try_into().expect("4")), 5);
        assert_eq!(blob.len(), 40 + 1 + 4 + 4 + (4 + 5 * 16) + (4 + 4 * 16));
    }

    #[test]
    fn field_names_are_quoted_for_sql() {
        assert_eq!(quoted("面积（平方米）"), "\"面积（平方米）\"");
        assert_eq!(quoted("a\"b"), "\"a\"\"b\"");
    }
}
