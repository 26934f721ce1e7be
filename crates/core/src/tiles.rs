//! Vector tiles of the catalogue: Web Mercator tile addressing, the cells a tile is cut into,
//! exact clusters, the Mapbox Vector Tile (2.1) encoding (with the `mvt` crate) and the
//! TileJSON 3.0.0 document. No SQL, no HTTP: the store finds the markers, a front door (the
//! server, later `atlas publish`) serves or writes the bytes.
//!
//! # The rule, the same at every zoom
//! A tile of zoom `z` is cut into [`GRID`] × [`GRID`] square cells of [`CELL`] tile units (the
//! tile's extent is [`EXTENT`]). Each located site is in exactly one cell of exactly one tile per
//! zoom: the one holding its marker's Web Mercator position, cells half-open (`[x0, x1)`), so a
//! marker on an edge belongs to the cell east or south of it (the last column and row of the
//! world take the east and south edges of the world). A cell with one site is a **site**
//! feature at the site's marker; a cell with more is a **cluster** feature at the mean of its
//! sites' positions, with the exact count, the count per category and at approximate
//! precision, the box of its markers and, up to [`MAX_IDS`] sites, their ids. Sites stacked on
//! one point (many placed on a township seat) stay a cluster at every zoom. Sites without a
//! location are never in a tile.
//!
//! So the counts of the features of the tiles covering a view add up to the number of located
//! sites whose marker lies in the view — no sampling, no cap.

use crate::{BBox, Category, Kind, Labelled, LocationPrecision};
use serde_json::{json, Value};

/// Tile units per side (MVT `extent`).
pub const EXTENT: u32 = 4096;
/// Cells per side of a tile.
pub const GRID: u32 = 8;
/// Tile units per side of a cell.
pub const CELL: u32 = EXTENT / GRID;
/// The deepest zoom served.
pub const MAX_ZOOM: u8 = 22;
/// The deepest zoom advertised (TileJSON `maxzoom`): clients overzoom past it.
pub const ADVERTISED_MAX_ZOOM: u8 = 16;
/// A cluster of at most this many sites lists their ids.
pub const MAX_IDS: usize = 16;
/// The one layer of a tile.
pub const LAYER: &str = "sites";
/// Media type of a tile.
pub const MEDIA_TYPE: &str = "application/vnd.mapbox-vector-tile";
/// The latitude Web Mercator stops at (markers beyond are put on the edge).
const MAX_LAT: f64 = 85.051_128_779_806_59;

/// A tile's address is out of range, or the tile could not be encoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TileError {
    /// Zoom above [`MAX_ZOOM`].
    #[error("zoom {0} is out of range 0..={MAX_ZOOM}")]
    Zoom(u64),
    /// Column or row not below `2^z`.
    #[error("tile {what} {value} is out of range 0..{n} at zoom {z}")]
    Position {
        what: &'static str,
        value: u64,
        n: u32,
        z: u8,
    },
    /// The encoder refused a feature (never expected for points inside the tile).
    #[error("encoding a vector tile: {0}")]
    Encode(String),
}

/// A tile address (XYZ scheme: `y` grows southwards).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TileId {
    pub z: u8,
    pub x: u32,
    pub y: u32,
}

impl TileId {
    /// Checks `z ≤ MAX_ZOOM` and `x, y < 2^z`.
    pub fn new(z: u64, x: u64, y: u64) -> Result<Self, TileError> {
        let z = u8::try_from(z)
            .ok()
            .filter(|z| *z <= MAX_ZOOM)
            .ok_or(TileError::Zoom(z))?;
        let n = 1_u32 << z;
        let pos = |what, value: u64| {
            u32::try_from(value)
                .ok()
                .filter(|v| *v < n)
                .ok_or(TileError::Position { what, value, n, z })
        };
        Ok(Self {
            z,
            x: pos("column x", x)?,
            y: pos("row y", y)?,
        })
    }

    /// The lon/lat box of the tile's edges (north and south edges at most ±85.05°).
    pub fn bounds(self) -> BBox {
        let n = f64::from(1_u32 << self.z);
        let lon = |x: f64| x / n * 360.0 - 180.0;
        let lat = |y: f64| {
            (std::f64::consts::PI * (1.0 - 2.0 * y / n))
                .sinh()
                .atan()
                .to_degrees()
        };
        BBox {
            min_lon: lon(f64::from(self.x)),
            max_lon: lon(f64::from(self.x) + 1.0),
            min_lat: lat(f64::from(self.y) + 1.0),
            max_lat: lat(f64::from(self.y)),
        }
    }

    /// A lon/lat box holding every marker the tile may hold: its bounds widened by a hair
    /// (the tile decides by the Mercator position, whose rounding may differ from the edges'
    /// by far less), or the whole world's latitudes for a tile on the north or south edge.
    pub fn search_box(self) -> BBox {
        const HAIR: f64 = 1e-9;
        let b = self.bounds();
        let last = (1_u32 << self.z) - 1;
        BBox {
            min_lon: b.min_lon - HAIR,
            max_lon: b.max_lon + HAIR,
            min_lat: if self.y == last {
                -90.0
            } else {
                b.min_lat - HAIR
            },
            max_lat: if self.y == 0 { 90.0 } else { b.max_lat + HAIR },
        }
    }
}

impl TileId {
    /// The tile's Z-order key: its column's bits interleaved with its row's (see
    /// [`CellAddress`]).
    pub fn z_key(self) -> u64 {
        interleave(u64::from(self.x), u64::from(self.y))
    }

    /// The addresses of the markers the tile holds: every address `a` with `start <= a < end`
    /// is in the tile, and no other.
    pub fn addresses(self) -> std::ops::Range<CellAddress> {
        let shift = 2 * (ADDRESS_LEVEL - self.z);
        let key = self.z_key();
        CellAddress(key << shift)..CellAddress((key + 1) << shift)
    }
}

/// The Web Mercator position of (`lon`, `lat`) at zoom `z`, in tile units from the world's
/// north-west corner (`2^z · EXTENT` per side); latitudes clamped to ±85.05°.
pub fn world_position(lon: f64, lat: f64, z: u8) -> (f64, f64) {
    let size = f64::from(1_u32 << z) * f64::from(EXTENT);
    let lat = lat.clamp(-MAX_LAT, MAX_LAT).to_radians();
    let x = (lon + 180.0) / 360.0 * size;
    let y = (1.0 - (lat.tan() + 1.0 / lat.cos()).ln() / std::f64::consts::PI) / 2.0 * size;
    (x, y)
}

/// The latitude of the north edge of row `k` of a grid of `n` rows over the Web Mercator world
/// (`k = n` is the south edge); the world's top and bottom rows reach the poles.
fn row_edge(k: u64, n: u64) -> f64 {
    if k == 0 {
        return f64::INFINITY;
    }
    if k >= n {
        return f64::NEG_INFINITY;
    }
    #[allow(clippy::cast_precision_loss)]
    let t = 1.0 - 2.0 * (k as f64) / (n as f64);
    (std::f64::consts::PI * t).sinh().atan().to_degrees()
}

/// The column of `lon` in a grid of `n` columns over the world: half-open, the east edge of
/// the world in the last column.
fn column_of(lon: f64, n: u64) -> u64 {
    #[allow(clippy::cast_precision_loss)]
    let c = ((lon + 180.0) / 360.0 * n as f64).floor();
    // Truncation of a value clamped to [0, n - 1] is exact.
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    let c = c.clamp(0.0, (n - 1) as f64) as u64;
    c
}

/// A marker's position in tile `t`, in tile units (`0..=EXTENT`).
fn tile_position(t: TileId, lon: f64, lat: f64) -> (f64, f64) {
    let (wx, wy) = world_position(lon, lat, t.z);
    let e = f64::from(EXTENT);
    (
        (wx - f64::from(t.x) * e).clamp(0.0, e),
        (wy - f64::from(t.y) * e).clamp(0.0, e),
    )
}

/// A located site as the binning sees it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Marker {
    /// The store's key of the site (used to read the few details a tile shows).
    pub key: i64,
    pub lon: f64,
    pub lat: f64,
    pub category: Category,
    /// [`LocationPrecision::is_approximate`] of the site's precision.
    pub approximate: bool,
}

/// The sites of one cell of a tile.
#[derive(Debug, Clone, PartialEq)]
pub struct CellGroup {
    /// Sites in the cell (≥ 1).
    pub count: u64,
    /// Position in the tile (`0..=EXTENT`): the marker of a single site, else the position of
    /// the mean of the sites' longitudes and latitudes (inside the cell).
    pub x: f64,
    pub y: f64,
    /// Sites per category, in [`Category::ALL`] order.
    pub by_category: [u64; 3],
    /// Sites at approximate precision.
    pub approximate: u64,
    /// The box of the sites' markers.
    pub bbox: BBox,
    /// Keys of the sites, in the order they were added, when there are at most [`MAX_IDS`]
    /// (else empty).
    pub keys: Vec<i64>,
}

/// The box of one point.
fn point_box(lon: f64, lat: f64) -> BBox {
    BBox {
        min_lon: lon,
        min_lat: lat,
        max_lon: lon,
        max_lat: lat,
    }
}

/// The sites of a cell summed up: what a [`CellGroup`] is made of. Kept per cell by a
/// [`Binner`], and by a caller that sums the sites of small cells once to bin larger ones
/// ([`Binner::add_sum`]): the result is the same.
#[derive(Debug, Clone, PartialEq)]
pub struct CellSum {
    count: u64,
    sum_lon: f64,
    sum_lat: f64,
    by_category: [u64; 3],
    approximate: u64,
    bbox: BBox,
    /// The keys while there are at most [`MAX_IDS`] sites, else empty.
    keys: Vec<i64>,
}

impl CellSum {
    /// One site.
    pub fn of(m: &Marker) -> Self {
        let mut s = Self {
            count: 0,
            sum_lon: 0.0,
            sum_lat: 0.0,
            by_category: [0; 3],
            approximate: 0,
            bbox: point_box(m.lon, m.lat),
            keys: Vec::new(),
        };
        s.add(m);
        s
    }

    /// Adds a site.
    pub fn add(&mut self, m: &Marker) {
        let rank = Category::ALL
            .iter()
            .position(|c| *c == m.category)
            .unwrap_or(0);
        self.count += 1;
        self.sum_lon += m.lon;
        self.sum_lat += m.lat;
        self.by_category[rank] += 1;
        self.approximate += u64::from(m.approximate);
        self.bbox = self.bbox.union(&point_box(m.lon, m.lat));
        if self.count as usize <= MAX_IDS {
            self.keys.push(m.key);
        } else if !self.keys.is_empty() {
            self.keys = Vec::new();
        }
    }

    /// Adds the sites of `other`.
    pub fn merge(&mut self, other: &CellSum) {
        self.count += other.count;
        self.sum_lon += other.sum_lon;
        self.sum_lat += other.sum_lat;
        for (a, b) in self.by_category.iter_mut().zip(other.by_category) {
            *a += b;
        }
        self.approximate += other.approximate;
        self.bbox = self.bbox.union(&other.bbox);
        if self.count as usize <= MAX_IDS {
            self.keys.extend_from_slice(&other.keys);
        } else if !self.keys.is_empty() {
            self.keys = Vec::new();
        }
    }
}

/// `log2(GRID)`: a tile of zoom `z` is cut into the cells of level `z + GRID_BITS`.
const GRID_BITS: u8 = 3;
/// How close (in cells) to a row's edge [`CellAddress::of`] checks the edge itself.
const EDGE_MARGIN: f64 = 1e-6;
/// The level of [`CellAddress`]: the cells of tiles of [`MAX_ZOOM`].
const ADDRESS_LEVEL: u8 = MAX_ZOOM + GRID_BITS;

/// Where a marker lies in the finest grid of cells over the world (`2^ADDRESS_LEVEL` cells a
/// side; the cells of tiles of [`MAX_ZOOM`]): its column's and row's bits interleaved (Z
/// order; the column in the even bits). The grids of every zoom nest exactly — their edges are
/// the same numbers (see [`Binner`]) — so the cell of zoom `z` is the address shifted right by
/// `2 · (MAX_ZOOM - z)` bits, and its tile by 6 more: computed once for a site, the address
/// places it at every zoom with integer operations. Sorted by address, the sites of every
/// tile, and of every cell of a tile, lie next to each other ([`TileId::addresses`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CellAddress(u64);

impl CellAddress {
    /// The address of no cell: in no tile at any zoom (for a site without location), and
    /// after every address.
    pub const NOWHERE: Self = Self(u64::MAX);

    /// The address as a number (what a stored copy of an index keeps), the inverse of
    /// [`CellAddress::from_bits`].
    pub fn to_bits(self) -> u64 {
        self.0
    }

    /// The address a number of [`CellAddress::to_bits`] stands for.
    pub fn from_bits(bits: u64) -> Self {
        Self(bits)
    }

    /// The cell holding the marker (`lon`, `lat`): a row holds the latitudes up to its north
    /// edge and above its south edge (a marker on an edge is in the row south of it), a column
    /// the longitudes from its west edge to below its east edge.
    pub fn of(lon: f64, lat: f64) -> Self {
        let n = 1_u64 << ADDRESS_LEVEL;
        // The projection places the marker; only within a hair of a row's edge (far wider than
        // the projection's and the edges' rounding errors, ~1e-8 of a cell) do the exact edges
        // decide, as they do for every tile.
        let (_, y) = world_position(0.0, lat, MAX_ZOOM);
        let cells = y / f64::from(CELL);
        let frac = cells - cells.floor();
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            clippy::cast_precision_loss
        )]
        let mut row = cells.floor().clamp(0.0, (n - 1) as f64) as u64;
        if !(frac > EDGE_MARGIN && frac < 1.0 - EDGE_MARGIN) {
            while row > 0 && lat > row_edge(row, n) {
                row -= 1;
            }
            while row + 1 < n && lat <= row_edge(row + 1, n) {
                row += 1;
            }
        }
        Self(interleave(column_of(lon, n), row))
    }

    /// The addresses of the cell of the tiles of zoom `z` (≤ [`MAX_ZOOM`]) that holds this
    /// address: the cell's sites, sorted by address, lie next to each other.
    pub fn cell_range(self, z: u8) -> std::ops::Range<CellAddress> {
        let bits = 2 * MAX_ZOOM.saturating_sub(z);
        let start = (self.0 >> bits) << bits;
        CellAddress(start)..CellAddress(start.saturating_add(1 << bits))
    }

    /// At zoom `z` (≤ [`MAX_ZOOM`]): the tile's Z-order key ([`TileId::z_key`]) and the
    /// cell's (row-major) index within it.
    fn at(self, z: u8) -> (u64, usize) {
        let cell = self.0 >> (2 * MAX_ZOOM.saturating_sub(z));
        (cell >> (2 * GRID_BITS), ROW_MAJOR[(cell & 63) as usize])
    }
}

/// The bits of `v` (below 2^32) spread to the even bits of the result.
const fn spread(v: u64) -> u64 {
    let mut x = v & 0xFFFF_FFFF;
    x = (x | (x << 16)) & 0x0000_FFFF_0000_FFFF;
    x = (x | (x << 8)) & 0x00FF_00FF_00FF_00FF;
    x = (x | (x << 4)) & 0x0F0F_0F0F_0F0F_0F0F;
    x = (x | (x << 2)) & 0x3333_3333_3333_3333;
    (x | (x << 1)) & 0x5555_5555_5555_5555
}

/// The Z-order key of a column and a row: the column's bits in the even bits, the row's in
/// the odd ones.
const fn interleave(col: u64, row: u64) -> u64 {
    spread(col) | (spread(row) << 1)
}

/// The row-major index (`row · GRID + column`) of each of a tile's cells, by the cell's Z-order
/// index within the tile.
const ROW_MAJOR: [usize; 64] = {
    let mut t = [0; 64];
    let mut row = 0;
    while row < 8 {
        let mut col = 0;
        while col < 8 {
            t[interleave(col, row) as usize] = (row * 8 + col) as usize;
            col += 1;
        }
        row += 1;
    }
    t
};

/// Sorts the markers of a tile into its cells.
///
/// A cell is decided on the marker's longitude and latitude against the cells' edges, which
/// are the same numbers for every tile that shares them (computed from the cell's index in the
/// grid of `2^z · GRID` cells per side over the world): a marker lands in one cell of one tile,
/// however it rounds. No projection per site but the [`CellAddress`] (which a caller may keep
/// per site); only the features' positions are projected.
#[derive(Debug)]
pub struct Binner {
    tile: TileId,
    /// [`TileId::z_key`] of the tile.
    key: u64,
    cells: Vec<Option<CellSum>>,
}

impl Binner {
    /// An empty tile.
    pub fn new(tile: TileId) -> Self {
        Self {
            tile,
            key: tile.z_key(),
            cells: vec![None; (GRID * GRID) as usize],
        }
    }

    /// The tile.
    pub fn tile(&self) -> TileId {
        self.tile
    }

    /// The cell (row-major index) of a marker at `a`, when it lies in this tile.
    fn cell(&self, a: CellAddress) -> Option<usize> {
        let (key, cell) = a.at(self.tile.z);
        (key == self.key).then_some(cell)
    }

    /// Whether a marker at `a` lies in this tile.
    pub fn holds(&self, a: CellAddress) -> bool {
        self.cell(a).is_some()
    }

    /// Adds `m` to its cell when its marker lies in this tile; false (nothing added) when it
    /// lies in another.
    pub fn add(&mut self, m: &Marker) -> bool {
        self.add_at(CellAddress::of(m.lon, m.lat), m)
    }

    /// [`Binner::add`] for a marker whose address is known (`a` must be
    /// `CellAddress::of(m.lon, m.lat)`).
    pub fn add_at(&mut self, a: CellAddress, m: &Marker) -> bool {
        let Some(slot) = self.cell(a).and_then(|i| self.cells.get_mut(i)) else {
            return false;
        };
        match slot {
            Some(sum) => sum.add(m),
            None => *slot = Some(CellSum::of(m)),
        }
        true
    }

    /// Adds sites summed up, all of whose markers lie in one cell of a tile of this tile's zoom
    /// or deeper, at address `a` (any of theirs): when that cell lies in this tile, false
    /// (nothing added) when in another.
    pub fn add_sum(&mut self, a: CellAddress, s: &CellSum) -> bool {
        let Some(slot) = self.cell(a).and_then(|i| self.cells.get_mut(i)) else {
            return false;
        };
        match slot {
            Some(sum) => sum.merge(s),
            None => *slot = Some(s.clone()),
        }
        true
    }

    /// The non-empty cells, row by row from the north-west.
    pub fn finish(self) -> Vec<CellGroup> {
        let tile = self.tile;
        self.cells
            .into_iter()
            .flatten()
            .map(|a| {
                #[allow(clippy::cast_precision_loss)]
                let k = a.count as f64;
                let (x, y) = if a.count == 1 {
                    tile_position(tile, a.bbox.min_lon, a.bbox.min_lat)
                } else {
                    tile_position(tile, a.sum_lon / k, a.sum_lat / k)
                };
                CellGroup {
                    count: a.count,
                    x,
                    y,
                    by_category: a.by_category,
                    approximate: a.approximate,
                    bbox: a.bbox,
                    keys: a.keys,
                }
            })
            .collect()
    }
}

/// What a site feature shows.
#[derive(Debug, Clone, PartialEq)]
pub struct SiteProps {
    pub id: String,
    pub category: Category,
    pub kind: Kind,
    pub precision: LocationPrecision,
    pub name_zh: String,
    pub name_en: Option<String>,
}

/// A feature of the `sites` layer.
#[derive(Debug, Clone, PartialEq)]
pub enum TileFeature {
    /// A cell holding one site.
    Site { group: CellGroup, props: SiteProps },
    /// A cell holding several; `ids` when there are at most [`MAX_IDS`].
    Cluster {
        group: CellGroup,
        ids: Option<Vec<String>>,
    },
}

/// `min_lon,min_lat,max_lon,max_lat`, as a `bbox` query parameter takes it.
pub fn bbox_param(b: &BBox) -> String {
    format!("{},{},{},{}", b.min_lon, b.min_lat, b.max_lon, b.max_lat)
}

/// The MVT bytes of a tile: one layer [`LAYER`] of point features, extent [`EXTENT`]. No
/// feature is an empty body (a valid empty tile).
pub fn encode(features: &[TileFeature]) -> Result<Vec<u8>, TileError> {
    if features.is_empty() {
        return Ok(Vec::new());
    }
    let enc = |e: mvt::Error| TileError::Encode(e.to_string());
    let mut tile = mvt::Tile::new(EXTENT);
    let mut layer = tile.create_layer(LAYER);
    for f in features {
        let g = match f {
            TileFeature::Site { group, .. } | TileFeature::Cluster { group, .. } => group,
        };
        let geom = mvt::GeomEncoder::new(mvt::GeomType::Point)
            .point(g.x.round(), g.y.round())
            .map_err(enc)?
            .encode()
            .map_err(enc)?;
        let mut feature = layer.into_feature(geom);
        match f {
            TileFeature::Site { props, .. } => {
                feature.add_tag_bool("cluster", false);
                feature.add_tag_string("id", &props.id);
                feature.add_tag_string("category", props.category.id());
                feature.add_tag_string("kind", props.kind.id());
                feature.add_tag_string("precision", props.precision.id());
                feature.add_tag_bool("approximate", props.precision.is_approximate());
                feature.add_tag_string("name_zh", &props.name_zh);
                if let Some(en) = &props.name_en {
                    feature.add_tag_string("name_en", en);
                }
                feature.add_tag_uint("count", 1);
            }
            TileFeature::Cluster { group, ids } => {
                feature.add_tag_bool("cluster", true);
                feature.add_tag_uint("count", group.count);
                for (c, n) in Category::ALL.iter().zip(group.by_category) {
                    feature.add_tag_uint(&format!("n_{}", c.id()), n);
                }
                feature.add_tag_uint("n_approximate", group.approximate);
                feature.add_tag_string("bbox", &bbox_param(&group.bbox));
                if let Some(ids) = ids {
                    feature.add_tag_string("ids", &ids.join(","));
                }
            }
        }
        layer = feature.into_layer();
    }
    tile.add_layer(layer).map_err(enc)?;
    tile.to_bytes().map_err(enc)
}

/// The fields of the `sites` layer with what they mean (TileJSON `vector_layers[0].fields`).
pub const FIELDS: [(&str, &str); 15] = [
    ("cluster", "Boolean: true for a cluster of several sites, false for one site"),
    ("count", "Number: sites in the feature (1 for a site)"),
    ("id", "String: the site's id (a site)"),
    ("category", "String: innovation_resource, carrier_platform or key_enterprise (a site)"),
    ("kind", "String: the site's kind (a site)"),
    ("precision", "String: location precision: surveyed, building, street, town, district (a site)"),
    ("approximate", "Boolean: the point stands for an area, drawn hollow (a site)"),
    ("name_zh", "String: Chinese name (a site)"),
    ("name_en", "String: English name, when known (a site)"),
    ("n_innovation_resource", "Number: innovation resources in the cluster"),
    ("n_carrier_platform", "Number: carrier platforms in the cluster"),
    ("n_key_enterprise", "Number: key enterprises in the cluster"),
    ("n_approximate", "Number: sites of the cluster at approximate precision"),
    ("bbox", "String: min_lon,min_lat,max_lon,max_lat of the cluster's markers (list them with /api/v1/sites?bbox=…)"),
    ("ids", "String: comma-separated site ids of a cluster of at most 16 sites"),
];

/// A zoom at which `b` fits in a tile or so, for a TileJSON `center`.
fn fitting_zoom(b: &BBox) -> u8 {
    let span = (b.max_lon - b.min_lon).max(b.max_lat - b.min_lat).max(1e-6);
    // Truncation of a value clamped to [0, 16] is exact.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let z = (360.0 / span).log2().floor().clamp(0.0, 16.0) as u8;
    z.min(ADVERTISED_MAX_ZOOM)
}

/// The TileJSON 3.0.0 document of a tile set: `tiles_url` is the URL template (with `{z}`,
/// `{x}`, `{y}`), `bounds` the extent of the data.
pub fn tilejson(tiles_url: &str, bounds: &BBox, name: &str, attribution: &str) -> Value {
    let mut fields = serde_json::Map::new();
    for (k, v) in FIELDS {
        fields.insert(k.to_string(), Value::String(v.to_string()));
    }
    json!({
        "tilejson": "3.0.0",
        "name": name,
        "attribution": attribution,
        "scheme": "xyz",
        "tiles": [tiles_url],
        "minzoom": 0,
        "maxzoom": ADVERTISED_MAX_ZOOM,
        "bounds": [bounds.min_lon, bounds.min_lat, bounds.max_lon, bounds.max_lat],
        "center": [
            (bounds.min_lon + bounds.max_lon) / 2.0,
            (bounds.min_lat + bounds.max_lat) / 2.0,
            fitting_zoom(bounds)
        ],
        "vector_layers": [{
            "id": LAYER,
            "description": "Sites of the catalogue: one feature per site, or per cluster of the \
                sites whose markers share a cell (an eighth of the tile's side)",
            "fields": fields,
            "minzoom": 0,
            "maxzoom": ADVERTISED_MAX_ZOOM,
        }],
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn marker(key: i64, lon: f64, lat: f64) -> Marker {
        Marker {
            key,
            lon,
            lat,
            category: Category::KeyEnterprise,
            approximate: key % 2 == 0,
        }
    }

    #[test]
    fn addresses_out_of_range_are_refused() {
        assert!(TileId::new(22, (1 << 22) - 1, 0).is_ok());
        assert_eq!(TileId::new(23, 0, 0), Err(TileError::Zoom(23)));
        assert!(matches!(
            TileId::new(3, 8, 0),
            Err(TileError::Position { value: 8, n: 8, .. })
        ));
        assert!(TileId::new(0, 0, 1).is_err());
    }

    #[test]
    fn a_marker_is_in_exactly_one_tile_and_cell_per_zoom_even_on_edges() {
        let z = 12;
        let t = TileId::new(z, 3309, 1797).unwrap();
        let b = t.bounds();
        // Corners and edges of the tile, a hair either side, and a point inside.
        let lons = [
            b.min_lon,
            b.max_lon,
            b.min_lon - 1e-12,
            (b.min_lon + b.max_lon) / 2.0,
            // A cell's edge inside the tile.
            b.min_lon + (b.max_lon - b.min_lon) * 3.0 / 8.0,
        ];
        let lats = [
            b.min_lat,
            b.max_lat,
            b.max_lat + 1e-12,
            (b.min_lat + b.max_lat) / 2.0,
            row_edge(u64::from(t.y) * 8 + 3, (1 << z) * 8),
        ];
        let mut key = 0;
        for lon in lons {
            for lat in lats {
                key += 1;
                let m = marker(key, lon, lat);
                let mut holders = 0;
                for dx in 0..3 {
                    for dy in 0..3 {
                        let n = TileId::new(z, u64::from(t.x + dx - 1), u64::from(t.y + dy - 1));
                        let mut bin = Binner::new(n.unwrap());
                        if bin.add(&m) {
                            holders += 1;
                            assert_eq!(bin.finish().len(), 1);
                        }
                    }
                }
                assert_eq!(holders, 1, "{lon} {lat}");
            }
        }
    }

    #[test]
    fn a_marker_on_a_cell_edge_is_in_the_cell_south_of_it() {
        let t = TileId::new(14, 13240, 7183).unwrap();
        let lat = row_edge(u64::from(t.y) * 8 + 3, (1 << 14) * 8);
        let mut bin = Binner::new(t);
        assert!(bin.add(&marker(1, t.bounds().min_lon + 1e-6, lat)));
        let g = &bin.finish()[0];
        assert!((g.y - 3.0 * f64::from(CELL)).abs() < 1e-6, "{}", g.y);
    }

    #[test]
    fn cells_count_exactly_and_single_sites_sit_on_their_marker() {
        let t = TileId::new(10, 827, 449).unwrap();
        let b = t.bounds();
        let mut bin = Binner::new(t);
        // 20 sites stacked on one point, one alone in another cell.
        for k in 0..20 {
            assert!(bin.add(&marker(k, b.min_lon + 0.001, b.max_lat - 0.001)));
        }
        assert!(bin.add(&marker(99, b.max_lon - 0.001, b.min_lat + 0.001)));
        assert!(!bin.add(&marker(100, b.max_lon + 0.001, b.min_lat + 0.001)));
        let groups = bin.finish();
        assert_eq!(groups.len(), 2);
        assert_eq!(groups[0].count, 20);
        assert_eq!(groups[0].approximate, 10);
        assert!(groups[0].keys.is_empty());
        assert_eq!(groups[1].count, 1);
        assert_eq!(groups[1].keys, [99]);
        let (wx, _) = world_position(b.max_lon - 0.001, 0.0, 10);
        assert!((groups[1].x - (wx - 827.0 * 4096.0)).abs() < 1e-6);
        assert!(groups[1].x > f64::from(EXTENT - CELL));
        let bytes = encode(&[TileFeature::Cluster {
            group: groups[0].clone(),
            ids: None,
        }])
        .unwrap();
        assert!(!bytes.is_empty());
        assert!(encode(&[]).unwrap().is_empty());
    }

    #[test]
    fn sums_of_deeper_cells_bin_as_their_sites_do() {
        let t = TileId::new(9, 413, 224).unwrap();
        let b = t.bounds();
        let mut seed = 3_u64;
        let mut unit = || {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            (seed >> 11) as f64 / (1_u64 << 53) as f64
        };
        let mut markers: Vec<Marker> = (0..300)
            .map(|k| Marker {
                key: k,
                lon: b.min_lon + unit() * (b.max_lon - b.min_lon),
                lat: b.min_lat + unit() * (b.max_lat - b.min_lat),
                category: Category::ALL[(k % 3) as usize],
                approximate: k % 5 == 0,
            })
            .collect();
        // A few stacked on one point, a small cluster.
        markers.extend((300..304).map(|k| marker(k, b.min_lon + 0.01, b.max_lat - 0.01)));
        let mut direct = Binner::new(t);
        let mut sums: Vec<(CellAddress, CellSum)> = Vec::new();
        for m in &markers {
            let a = CellAddress::of(m.lon, m.lat);
            assert!(direct.add_at(a, m));
            let cell = a.cell_range(13).start;
            match sums.iter_mut().find(|(c, _)| *c == cell) {
                Some((_, s)) => s.add(m),
                None => sums.push((cell, CellSum::of(m))),
            }
        }
        let mut summed = Binner::new(t);
        for (a, s) in &sums {
            assert!(summed.add_sum(*a, s));
        }
        let (mut d, mut s) = (direct.finish(), summed.finish());
        assert_eq!(d.len(), s.len());
        for (d, s) in d.iter_mut().zip(s.iter_mut()) {
            d.keys.sort_unstable();
            s.keys.sort_unstable();
            assert_eq!(
                (d.count, d.by_category, d.approximate),
                (s.count, s.by_category, s.approximate)
            );
            assert_eq!((d.bbox, &d.keys), (s.bbox, &s.keys));
            assert!((d.x - s.x).abs() < 1e-6 && (d.y - s.y).abs() < 1e-6);
        }
        assert!(d.iter().any(|g| g.count > 1 && !g.keys.is_empty()));
    }

    /// The even bits of `k` gathered (the inverse of `spread`).
    fn gather(k: u64) -> u64 {
        (0..32).map(|i| ((k >> (2 * i)) & 1) << i).sum()
    }

    #[test]
    fn nowhere_is_in_no_tile() {
        for z in 0..=MAX_ZOOM {
            let last = (1_u64 << z) - 1;
            let t = TileId::new(u64::from(z), last, last).unwrap();
            assert!(!t.addresses().contains(&CellAddress::NOWHERE));
            assert!(!Binner::new(t).holds(CellAddress::NOWHERE));
        }
    }

    /// The cell of a marker in tile `t` as the edges of the tile's own level define it.
    fn cell_by_edges(t: TileId, lon: f64, lat: f64) -> Option<usize> {
        let n = (1_u64 << t.z) * u64::from(GRID);
        let first = u64::from(t.y) * u64::from(GRID);
        let edges: Vec<f64> = (first..=first + 8).map(|k| row_edge(k, n)).collect();
        if !(lat <= edges[0] && lat > edges[8]) {
            return None;
        }
        let col = column_of(lon, n);
        if col / u64::from(GRID) != u64::from(t.x) {
            return None;
        }
        let row = edges[1..8].iter().take_while(|e| lat <= **e).count();
        Some(row * 8 + (col % 8) as usize)
    }

    #[test]
    fn a_cell_address_places_a_marker_as_the_edges_of_every_zoom_do() {
        // Points of the district and the world, and points exactly on (and a hair beside)
        // row edges of several levels, where rounding would show.
        let mut points = vec![(110.9, 21.65), (-180.0, 85.1), (180.0, -85.1), (0.0, 0.0)];
        let mut seed = 7_u64;
        for _ in 0..3000 {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            let u = (seed >> 11) as f64 / (1_u64 << 53) as f64;
            let v = ((seed >> 3) % 1000) as f64 / 1000.0;
            points.push((110.6 + 0.6 * u, 21.3 + 0.6 * v));
        }
        for level in [8_u64, 14, 19, 25] {
            let n = 1 << level;
            let k = (n as f64 * 0.4377) as u64;
            let lat = row_edge(k, n);
            points.extend([
                (110.9, lat),
                (110.9, lat.next_up()),
                (110.9, lat.next_down()),
            ]);
        }
        for (lon, lat) in points {
            let a = CellAddress::of(lon, lat);
            for z in 0..=MAX_ZOOM {
                let (key, cell) = a.at(z);
                let t = TileId::new(u64::from(z), gather(key), gather(key >> 1)).unwrap();
                assert_eq!(t.z_key(), key);
                assert_eq!(cell_by_edges(t, lon, lat), Some(cell), "{lon} {lat} z{z}");
                // The tile's range of addresses holds the marker; its neighbours' do not.
                assert!(t.addresses().contains(&a));
                for (dx, dy) in [(1, 0), (0, 1)] {
                    if let Ok(n) =
                        TileId::new(u64::from(z), u64::from(t.x + dx), u64::from(t.y + dy))
                    {
                        assert!(!n.addresses().contains(&a));
                    }
                }
            }
        }
    }
}
