//! The list index: an in-memory copy of the covering list index `sites_order` (every site's
//! key, interned combination, chain set and bounding box, in list order). A store keeps its
//! own copy, reused while the database is unchanged, like the interned values of
//! `index::dicts`; a server's connections share one instead (`index::shared`), which a
//! single-site change moves in place ([`ListIndex::change`]).
//!
//! A page of a filter without a search is one pass over it: the pass counts every match
//! (`numberMatched`) and keeps the keys of the page, which are then read by key. That replaces
//! three walks of SQLite indexes (a probe, the page and a count, each stepping through the
//! R*Tree or the list index) by one pass over plain arrays. Results are the same as the SQL
//! path's: the same bbox test (intersects, on the stored bounds), the same verdicts per
//! combination and chain set, the same order (the tests compare both on random filters).
//! When the index cannot answer (a shared one not built yet, or at another data version),
//! [`Store::with_list_index`] says so and the read takes the SQL path.
//!
//! Per-site columns are written in one place: [`ListIndex::write`] (append, insert, replace
//! or move an [`Entry`]) and [`ListIndex::remove`]; the positions kept by the grid and by the
//! cell order follow in [`ListIndex::push`] and [`ListIndex::change`].
//!
//! Vector tiles read the located sites in cell-address order ([`ListIndex::bin_tile`] over
//! `index::cells`): each site's marker (for a polygon, its representative point), interned
//! combination and approximate bit, all read in the same index-only scan (`sites_order` covers
//! `location_precision`, `lon`, `lat` since migration V6).
//!
//! Memory: 24 bytes a site in the scanned arrays (the box as outward-rounded `f32`, the two
//! interned ids) plus 8 touched only for candidates (the key) and 4 to 16 in the grid; 29 bytes
//! a located site in the cell order (and a sum per non-empty cell of zoom-12 tiles); plus one
//! bit a site for the verdicts of the last filters asked. The exact bounds are not kept: the few
//! sites within one `f32` step of a query box's edges are decided by their rows
//! ([`Store::scan_list`]).

use crate::error::Result;
use crate::index::cells::{CellOrder, CellSite, SUMMED_ZOOM};
use crate::index::dicts::{Verdicts, Version};
use crate::{sql, Store};
use atlas_core::tiles::{Binner, CellAddress, CellGroup, TileId};
use atlas_core::{Category, Labelled, LocationPrecision, SiteFilter};
use std::collections::HashMap;
use std::sync::Arc;

mod stored;

/// Cell size of the grid over the list positions, in degrees (about 1 km).
const CELL_DEG: f64 = 0.01;
/// A site whose box touches more cells than this is not put in each of them but in
/// [`Grid::wide`], which every grid lookup adds.
const MAX_CELLS_PER_SITE: i64 = 16;

/// The grid cell of a point. Monotonic in each coordinate, so a site box meeting a query box
/// shares a cell with it.
fn cell_of(lon: f64, lat: f64) -> (i32, i32) {
    // Truncation is intended: valid coordinates give values within ±18 000.
    #[allow(clippy::cast_possible_truncation)]
    (
        (lon / CELL_DEG).floor() as i32,
        (lat / CELL_DEG).floor() as i32,
    )
}

/// List positions per grid cell, each list ascending: a query box looks at the sites of its
/// cells only instead of testing every site.
#[derive(Debug, Default)]
struct Grid {
    cells: HashMap<(i32, i32), Cell>,
    wide: Vec<u32>,
}

/// The sites of a grid cell.
#[derive(Debug)]
struct Cell {
    /// List positions, ascending.
    sites: Vec<u32>,
    /// The union of their boxes (`[min_lon, max_lon, min_lat, max_lat]`): when it lies inside a
    /// query box, every site of the cell meets the box (the many sites placed approximately on
    /// one township seat are decided at once).
    bounds: [f64; 4],
}

impl Grid {
    /// The cells of box `b`, or `None` when it touches more than [`MAX_CELLS_PER_SITE`] (the
    /// site then goes to [`Grid::wide`]).
    fn cover(b: &[f64; 4]) -> Option<impl Iterator<Item = (i32, i32)>> {
        let (x0, y0) = cell_of(b[0], b[2]);
        let (x1, y1) = cell_of(b[1], b[3]);
        let n = (i64::from(x1) - i64::from(x0) + 1) * (i64::from(y1) - i64::from(y0) + 1);
        (n <= MAX_CELLS_PER_SITE)
            .then(|| (x0..=x1).flat_map(move |x| (y0..=y1).map(move |y| (x, y))))
    }

    /// Puts list position `pos` (its box `b`) in its cells, keeping each list ascending (a load
    /// appends; an edit inserts).
    fn add(&mut self, pos: u32, b: &[f64; 4]) {
        let Some(cover) = Self::cover(b) else {
            insert_sorted(&mut self.wide, pos);
            return;
        };
        for xy in cover {
            let c = self.cells.entry(xy).or_insert_with(|| Cell {
                sites: Vec::new(),
                bounds: *b,
            });
            insert_sorted(&mut c.sites, pos);
            let u = &mut c.bounds;
            *u = [
                u[0].min(b[0]),
                u[1].max(b[1]),
                u[2].min(b[2]),
                u[3].max(b[3]),
            ];
        }
    }

    /// Takes list position `pos` (its box `b`) out of its cells. A cell's bounds stay as they
    /// were: a union of boxes that may now be larger than needed, which both tests on it
    /// (meets, lies within) still answer soundly; an emptied cell goes.
    fn remove(&mut self, pos: u32, b: &[f64; 4]) {
        let Some(cover) = Self::cover(b) else {
            if let Ok(k) = self.wide.binary_search(&pos) {
                self.wide.remove(k);
            }
            return;
        };
        for xy in cover {
            if let Some(c) = self.cells.get_mut(&xy) {
                if let Ok(k) = c.sites.binary_search(&pos) {
                    c.sites.remove(k);
                }
                if c.sites.is_empty() {
                    self.cells.remove(&xy);
                }
            }
        }
    }

    /// Adds `by` (±1) to every list position in `from..=to`, after a site left or entered the
    /// list before them. The caller has freed the positions they move onto, so every list
    /// stays ascending.
    fn shift(&mut self, from: u32, to: u32, by: i8) {
        let shift = |v: &mut Vec<u32>| {
            let start = v.partition_point(|&p| p < from);
            for p in v[start..].iter_mut().take_while(|p| **p <= to) {
                *p = p.wrapping_add_signed(i32::from(by));
            }
        };
        self.cells.values_mut().for_each(|c| shift(&mut c.sites));
        shift(&mut self.wide);
    }

    /// The cells of box `q` (`[min_lon, max_lon, min_lat, max_lat]`): the list positions of the
    /// sites in each (ascending; a site spanning several cells is in each), and whether the
    /// cell lies inside `q` — then every site in it meets `q` (its box meets the cell), so its
    /// box needs no test. `None` when the cells hold more than `budget` sites (a scan of every
    /// site is then cheaper). [`Grid::wide`] is not included.
    fn cells(&self, q: &[f64; 4], budget: usize) -> Option<Vec<(bool, &[u32])>> {
        let (x0, y0) = cell_of(q[0], q[2]);
        let (x1, y1) = cell_of(q[1], q[3]);
        let n = (i64::from(x1) - i64::from(x0) + 1) * (i64::from(y1) - i64::from(y0) + 1);
        // A cell is inside `q` with a margin far above the rounding of `cell_of`'s division.
        const MARGIN: f64 = 1e-7;
        let inside = |x: i32, y: i32, c: &Cell| {
            let (x, y) = (f64::from(x), f64::from(y));
            let cell = [
                x * CELL_DEG - MARGIN,
                (x + 1.0) * CELL_DEG + MARGIN,
                y * CELL_DEG - MARGIN,
                (y + 1.0) * CELL_DEG + MARGIN,
            ];
            within(&cell, q) || within(&c.bounds, q)
        };
        // No site of a cell whose bounds miss `q` meets it.
        let meets = |c: &Cell| meets(&c.bounds, q);
        let mut out: Vec<(bool, &[u32])> = Vec::new();
        let mut total = self.wide.len();
        if usize::try_from(n).is_ok_and(|n| n <= self.cells.len()) {
            for x in x0..=x1 {
                for y in y0..=y1 {
                    if let Some(c) = self.cells.get(&(x, y)).filter(|c| meets(c)) {
                        total += c.sites.len();
                        out.push((inside(x, y, c), &c.sites));
                    }
                }
            }
        } else {
            for (&(x, y), c) in &self.cells {
                if (x0..=x1).contains(&x) && (y0..=y1).contains(&y) && meets(c) {
                    total += c.sites.len();
                    out.push((inside(x, y, c), &c.sites));
                }
            }
        }
        (total <= budget).then_some(out)
    }
}

/// Inserts `pos` into the ascending list `v` (appends when it is the largest).
fn insert_sorted(v: &mut Vec<u32>, pos: u32) {
    if v.last().is_none_or(|&last| last < pos) {
        v.push(pos);
    } else {
        let k = v.partition_point(|&p| p < pos);
        if v.get(k) != Some(&pos) {
            v.insert(k, pos);
        }
    }
}

/// Whether box `a` meets box `b` (both `[min_lon, max_lon, min_lat, max_lat]`): each one's max
/// is at least the other's min — the bbox filter's test on the stored bounds.
fn meets(a: &[f64; 4], b: &[f64; 4]) -> bool {
    a[1] >= b[0] && a[0] <= b[1] && a[3] >= b[2] && a[2] <= b[3]
}

/// Whether box `a` lies within box `b`.
fn within(a: &[f64; 4], b: &[f64; 4]) -> bool {
    a[0] >= b[0] && a[1] <= b[1] && a[2] >= b[2] && a[3] <= b[3]
}

/// Boxes as four arrays (`min_lon`, `max_lon`, `min_lat`, `max_lat`), so a block of sites is
/// tested with vector instructions.
#[derive(Debug, Default)]
struct Boxes([Vec<f32>; 4]);

/// The list index (see the module documentation).
#[derive(Debug, Default)]
pub(crate) struct ListIndex {
    /// Per site in list order: the box as `f32`, `min` rounded down and `max` rounded up, so the
    /// test on it passes a superset of the exact one: `[min_lon, max_lon, min_lat, max_lat]`.
    boxes: Boxes,
    /// Per site: the interned combination and chain set.
    ids: Vec<(u32, u32)>,
    /// Per site: the key (`sites.pk`).
    pks: Vec<i64>,
    /// List positions by grid cell.
    grid: Grid,
    /// The located sites by their markers' cell addresses (what the tiles read).
    cells: CellOrder,
}

/// A located site's marker (`[lon, lat]`), category and whether its precision is approximate:
/// what vector tiles bin and count.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct SiteMarker {
    pub marker: [f64; 2],
    pub category: Category,
    pub approximate: bool,
}

/// `v` rounded towards negative infinity to `f32` (never above `v`).
fn down(v: f64) -> f32 {
    #[allow(clippy::cast_possible_truncation)]
    let f = v as f32;
    if f64::from(f) > v {
        f.next_down()
    } else {
        f
    }
}

/// `v` rounded towards positive infinity to `f32` (never below `v`).
fn up(v: f64) -> f32 {
    #[allow(clippy::cast_possible_truncation)]
    let f = v as f32;
    if f64::from(f) < v {
        f.next_up()
    } else {
        f
    }
}

/// Box `b` (`[min_lon, max_lon, min_lat, max_lat]`) rounded outwards to `f32`, as the scanned
/// columns hold it: the grid files each site under this box, so that it never needs the exact
/// one (a superset of the exact box meets every query box the exact one meets).
fn outward(b: &[f64; 4]) -> [f64; 4] {
    [
        f64::from(down(b[0])),
        f64::from(up(b[1])),
        f64::from(down(b[2])),
        f64::from(up(b[3])),
    ]
}

/// Which sites pass a filter's scalar and chain parts, as one bit per list position (`None`
/// when the filter has no such part: every site passes). Kept for the last filter parts asked
/// for: a panning map asks the same parts with another box each time, and its scan then tests
/// 64 sites' verdicts with one AND. A single-site change carries them to the next data version
/// ([`Passes::carried`]) rather than recomputing them.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Passes {
    sites: Option<Vec<u64>>,
    /// The number of list positions.
    len: usize,
}

/// Which interned combinations and chain sets pass a filter's scalar and chain parts.
struct IdsPass {
    combos: Option<Vec<bool>>,
    sets: Option<Vec<bool>>,
}

impl IdsPass {
    /// `None` when the filter has neither part (every site passes).
    fn of(f: &SiteFilter, v: &Verdicts) -> Option<Self> {
        let combos: Option<Vec<bool>> =
            crate::query::has_scalar(f).then(|| v.combo_fails.iter().map(|m| *m == 0).collect());
        let sets: Option<Vec<bool>> = crate::query::has_chains(f)
            .then(|| v.set_fails.iter().map(|s| *s == (false, false)).collect());
        (combos.is_some() || sets.is_some()).then_some(Self { combos, sets })
    }

    /// Whether a site of combination `c` and chain set `s` passes.
    fn site(&self, (c, s): (u32, u32)) -> bool {
        passes(&self.combos, c) && passes(&self.sets, s)
    }
}

/// How one single-site change moved the list ([`ListIndex::change`]): the position the site
/// left, and the position it took (counted once it had left the old one) with its interned
/// combination and chain set.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Moved {
    pub from: Option<usize>,
    pub to: Option<(usize, (u32, u32))>,
}

impl Passes {
    pub(crate) fn new(f: &SiteFilter, v: &Verdicts, ix: &ListIndex) -> Self {
        let len = ix.ids.len();
        let Some(pass) = IdsPass::of(f, v) else {
            return Self { sites: None, len };
        };
        let mut bits = vec![0_u64; len.div_ceil(64)];
        for (i, &ids) in ix.ids.iter().enumerate() {
            if pass.site(ids) {
                bits[i / 64] |= 1 << (i % 64);
            }
        }
        Self {
            sites: Some(bits),
            len,
        }
    }

    /// These verdicts of `f` carried across the list changes `moves` (in order): the bits of
    /// the positions between a site's old and new places shift by one, and the site's new
    /// place gets its verdict under `v`, the verdicts of the interned values after the last
    /// change. (A combination or chain set is dropped, and its id reused, only once no site
    /// has it, so `v` also judges the ids of sites placed by earlier changes.) What
    /// [`Passes::new`] computes on the moved list, at a cost of a few word shifts.
    pub(crate) fn carried(&self, moves: &[Moved], f: &SiteFilter, v: &Verdicts) -> Self {
        let pass = IdsPass::of(f, v);
        let mut len = self.len;
        let mut sites = self.sites.clone();
        for m in moves {
            if let Some(i) = m.from {
                if let Some(bits) = sites.as_mut() {
                    remove_bit(bits, len, i);
                }
                len -= 1;
            }
            if let Some((j, ids)) = m.to {
                if let (Some(bits), Some(pass)) = (sites.as_mut(), pass.as_ref()) {
                    insert_bit(bits, len, j, pass.site(ids));
                }
                len += 1;
            }
        }
        Self { sites, len }
    }

    /// The passing sites among list positions `64 * block ..` (bit `j` for position
    /// `64 * block + j`).
    fn block(&self, block: usize) -> u64 {
        match &self.sites {
            // Every position that exists.
            None => match self.len.saturating_sub(block * 64) {
                0 => 0,
                n if n >= 64 => u64::MAX,
                n => (1 << n) - 1,
            },
            Some(bits) => bits.get(block).copied().unwrap_or(0),
        }
    }

    pub(crate) fn get(&self, i: usize) -> bool {
        self.block(i / 64) & (1 << (i % 64)) != 0
    }
}

/// Drops bit `i` of the `len` bits in `bits` (64 a word, the unused high bits zero): the
/// bits above it move down by one.
fn remove_bit(bits: &mut Vec<u64>, len: usize, i: usize) {
    let (w, b) = (i / 64, i % 64);
    let low = (1_u64 << b) - 1;
    bits[w] = (bits[w] & low) | ((bits[w] >> 1) & !low);
    for k in w + 1..bits.len() {
        bits[k - 1] |= bits[k] << 63;
        bits[k] >>= 1;
    }
    bits.truncate((len - 1).div_ceil(64));
}

/// Inserts bit `j` (`v`) into the `len` bits in `bits` (64 a word, the unused high bits
/// zero): the bits from `j` on move up by one.
fn insert_bit(bits: &mut Vec<u64>, len: usize, j: usize, v: bool) {
    bits.resize((len + 1).div_ceil(64), 0);
    let (w, b) = (j / 64, j % 64);
    for k in (w + 1..bits.len()).rev() {
        bits[k] = (bits[k] << 1) | (bits[k - 1] >> 63);
    }
    let low = (1_u64 << b) - 1;
    bits[w] = (bits[w] & low) | ((bits[w] & !low) << 1) | (u64::from(v) << b);
}

/// The parts of a filter [`Passes`] depends on, as a cache key.
pub(crate) fn parts_key(f: &SiteFilter) -> String {
    format!(
        "{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}",
        f.category, f.kind, f.level, f.status, f.scope, f.town, f.chain, f.link
    )
}

/// A query box `[min_lon, max_lon, min_lat, max_lat]`: exact, and as `f32` rounded outwards and
/// inwards.
///
/// With a site's box rounded outwards (`S'`), the test of `S'` against the outward box passes a
/// superset of the exact test; the *strict* test of `S'` against the inward box passes a subset:
/// `up(a) > up(b)` implies `a > b` (were `a ≤ up(b)`, `up(a)` could not exceed it), and
/// `down(a) < down(b)` implies `a < b`. Only the sites between the two (within one `f32` step
/// of the query box's edges) need the exact bounds.
struct QueryBox {
    exact: [f64; 4],
    outward: [f32; 4],
    inward: [f32; 4],
}

fn query_box(f: &SiteFilter) -> Option<QueryBox> {
    f.bbox
        .map(|b| QueryBox::of([b.min_lon, b.max_lon, b.min_lat, b.max_lat]))
}

impl QueryBox {
    /// The query box `b` (`[min_lon, max_lon, min_lat, max_lat]`) with its rounded forms.
    fn of(b: [f64; 4]) -> Self {
        QueryBox {
            exact: b,
            outward: [down(b[0]), up(b[1]), down(b[2]), up(b[3])],
            inward: [up(b[0]), down(b[1]), up(b[2]), down(b[3])],
        }
    }
}

fn passes(list: &Option<Vec<bool>>, id: u32) -> bool {
    match list {
        None => true,
        Some(v) => v.get(id as usize).copied().unwrap_or(false),
    }
}

/// A scan's matches, fed in list order: their number, and the keys of the page (`offset`,
/// `limit`).
struct Pager<'a> {
    pks: &'a [i64],
    offset: u64,
    limit: u64,
    matched: u64,
    page: Vec<i64>,
}

impl Pager<'_> {
    /// The match at list position `i`.
    fn one(&mut self, i: usize) {
        if self.matched >= self.offset && (self.page.len() as u64) < self.limit {
            if let Some(&pk) = self.pks.get(i) {
                self.page.push(pk);
            }
        }
        self.matched += 1;
    }

    /// The matches among list positions `64 * block ..` (bit `j` for position
    /// `64 * block + j`): counted at once when none of them is on the page (before the offset,
    /// or the page is full), else one by one.
    fn block(&mut self, block: usize, mut bits: u64) {
        let n = u64::from(bits.count_ones());
        if self.matched + n <= self.offset || self.page.len() as u64 >= self.limit {
            self.matched += n;
            return;
        }
        while bits != 0 {
            self.one(block * 64 + bits.trailing_zeros() as usize);
            bits &= bits - 1;
        }
    }
}

/// The result of one pass: the number of matches and the keys of the page.
pub(crate) struct Scan {
    pub matched: u64,
    pub page: Vec<i64>,
}

/// One site as the list index holds it: what each per-site column stores for it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Entry {
    /// The key (`sites.pk`).
    pub pk: i64,
    /// The interned combination and chain set (a missing id, never written by the store,
    /// passes no filter on its part).
    pub combo: Option<i64>,
    pub set: Option<i64>,
    /// The exact stored box `[min_lon, max_lon, min_lat, max_lat]`; `None` without location.
    pub bbox: Option<[f64; 4]>,
    /// The marker and whether the precision is approximate; `None` without location.
    pub marker: Option<SiteMarker>,
}

impl Entry {
    /// The interned combination and chain set as the list holds them (`u32::MAX`: missing).
    fn ids(&self) -> (u32, u32) {
        let id = |v: Option<i64>| v.and_then(|c| u32::try_from(c).ok()).unwrap_or(u32::MAX);
        (id(self.combo), id(self.set))
    }

    /// An `Entry` from the columns of `sql::list_entry_columns!` (`pk, combo, chainset, min_lon,
    /// max_lon, min_lat, max_lat, location_precision, lon, lat, category_rank`) starting at
    /// `first`, as [`sql::LIST_INDEX`] and [`sql::LIST_ENTRY`] select them.
    pub(crate) fn from_row(r: &rusqlite::Row<'_>, first: usize) -> rusqlite::Result<Self> {
        let b: [Option<f64>; 4] = [
            r.get(first + 3)?,
            r.get(first + 4)?,
            r.get(first + 5)?,
            r.get(first + 6)?,
        ];
        Ok(Self {
            pk: r.get(first)?,
            combo: r.get(first + 1)?,
            set: r.get(first + 2)?,
            bbox: match b {
                [Some(a), Some(b), Some(c), Some(d)] => Some([a, b, c, d]),
                _ => None,
            },
            marker: match (r.get(first + 8)?, r.get(first + 9)?) {
                (Some(lon), Some(lat)) => Some(SiteMarker {
                    marker: [lon, lat],
                    category: category_of_rank(r, first + 10)?,
                    approximate: r
                        .get::<_, Option<String>>(first + 7)?
                        .as_deref()
                        .and_then(LocationPrecision::from_id)
                        .is_some_and(LocationPrecision::is_approximate),
                }),
                _ => None,
            },
        })
    }
}

/// The category of a stored `category_rank` (column `i`): its position in [`Category::ALL`].
fn category_of_rank(r: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<Category> {
    let rank: i64 = r.get(i)?;
    usize::try_from(rank)
        .ok()
        .and_then(|k| Category::ALL.get(k).copied())
        .ok_or(rusqlite::Error::IntegralValueOutOfRange(i, rank))
}

/// The key at list position `p` of `pks`.
fn key_at(pks: &[i64], p: u32) -> i64 {
    pks.get(p as usize).copied().unwrap_or_default()
}

/// What the cell order keeps of a located entry at list position `pos`.
fn cell_site(e: &Entry, pos: u32) -> Option<CellSite> {
    let m = e.marker?;
    Some(CellSite {
        address: CellAddress::of(m.marker[0], m.marker[1]),
        marker: m.marker,
        pos,
        category: m.category,
        approximate: m.approximate,
    })
}

/// How [`ListIndex::write`] puts an entry at a list position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    /// Before the entry at that position (at the end: appended).
    Insert,
    /// Over the entry at that position.
    Replace,
    /// Over the entry at that position, after the entries between it and position `from`
    /// (whose entry is dropped) moved one step towards `from`.
    MoveFrom(usize),
}

/// Puts `value` at `pos` of one column as `how` says (see [`Place`]).
fn place<T>(v: &mut Vec<T>, pos: usize, value: T, how: Place) {
    match how {
        Place::Insert => v.insert(pos, value),
        Place::Replace => v[pos] = value,
        Place::MoveFrom(from) => {
            if from < pos {
                v[from..=pos].rotate_left(1);
            } else {
                v[pos..=from].rotate_right(1);
            }
            v[pos] = value;
        }
    }
}

/// Where a single-site change puts a site in the list (see [`ListIndex::change`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Placed {
    /// The site as stored after the change.
    pub entry: Entry,
    /// The key of the site that follows it in list order (`None`: it comes last).
    pub before: Option<i64>,
}

impl ListIndex {
    /// Reads `sites_order` (an index-only scan).
    pub(crate) fn load(conn: &rusqlite::Connection) -> Result<Self> {
        let mut ix = ListIndex::default();
        let mut st = conn.prepare_cached(sql::LIST_INDEX)?;
        let mut rows = st.query([])?;
        while let Some(r) = rows.next()? {
            ix.push(&Entry::from_row(r, 0)?);
        }
        ix.cells.sort();
        let pks = &ix.pks;
        ix.cells.sum_cells(|p| key_at(pks, p));
        Ok(ix)
    }

    /// Appends a site (a load, which sorts the cell order after its last).
    fn push(&mut self, e: &Entry) {
        if let Ok(pos) = u32::try_from(self.len()) {
            if let Some(b) = e.bbox.as_ref() {
                self.grid.add(pos, &outward(b));
            }
            if let Some(c) = cell_site(e, pos) {
                self.cells.append(c);
            }
        }
        self.write(self.len(), e, Place::Insert);
    }

    /// The located sites in cell-address order.
    #[cfg(test)]
    pub(crate) fn cells(&self) -> &CellOrder {
        &self.cells
    }

    /// The number of sites.
    pub(crate) fn len(&self) -> usize {
        self.pks.len()
    }

    /// The list position of the site with key `pk`.
    pub(crate) fn position(&self, pk: i64) -> Option<usize> {
        self.pks.iter().position(|&p| p == pk)
    }

    /// Writes entry `e` at list position `pos` into every per-site column, as `how` says. A
    /// site without location gets a box of NaNs, which meets no box (every comparison with NaN
    /// is false). The grid and the cell order are the caller's (their positions depend on the
    /// whole change).
    ///
    /// This and [`ListIndex::remove`] are the only writers of the columns ([`ListIndex::push`]
    /// and [`ListIndex::change`] go through them).
    fn write(&mut self, pos: usize, e: &Entry, how: Place) {
        let b = e.bbox.unwrap_or([f64::NAN; 4]);
        place(&mut self.pks, pos, e.pk, how);
        place(&mut self.ids, pos, e.ids(), how);
        for (k, v) in [down(b[0]), up(b[1]), down(b[2]), up(b[3])]
            .into_iter()
            .enumerate()
        {
            place(&mut self.boxes.0[k], pos, v, how);
        }
    }

    /// Drops the entry at list position `pos` from every per-site column (the grid and the cell
    /// order are the caller's).
    fn remove(&mut self, pos: usize) {
        self.pks.remove(pos);
        self.ids.remove(pos);
        for column in &mut self.boxes.0 {
            column.remove(pos);
        }
    }

    /// The box at `pos` as the grid holds it (rounded outwards, see [`outward`]); `None` for a
    /// site without location.
    fn grid_box_at(&self, pos: usize) -> Option<[f64; 4]> {
        let b = [0, 1, 2, 3].map(|k| self.boxes.0[k].get(pos).map_or(f64::NAN, |v| f64::from(*v)));
        (!b[0].is_nan()).then_some(b)
    }

    /// Applies a change of one site: the site at list position `from` leaves (a deletion, or
    /// its old place), and `to` enters (a creation or restoration, or its new place) before
    /// the site named by [`Placed::before`]. Moves only the entries between the two places;
    /// the grid's positions in that range shift by one. Fails (leaving the index as it was)
    /// when a key is not found: the caller then reloads. Returns how the list moved.
    pub(crate) fn change(&mut self, from: Option<usize>, to: Option<&Placed>) -> Option<Moved> {
        let len = self.len();
        if from.is_some_and(|i| i >= len) {
            return None;
        }
        let next = match to {
            Some(p) => Some(match p.before {
                Some(pk) => self.position(pk)?,
                None => len,
            }),
            None => None,
        };
        let pos32 = |i: usize| u32::try_from(i).ok();
        let last = pos32(len)?;
        if let Some(i) = from {
            if let Some(b) = self.grid_box_at(i) {
                self.grid.remove(pos32(i)?, &b);
            }
        }
        let mut dropped = None;
        let target = match (from, next, to) {
            (Some(i), None, _) => {
                let i32 = pos32(i)?;
                self.remove(i);
                self.grid.shift(i32 + 1, last, -1);
                dropped = self.cells.renumber(Some(i32), Some((i32 + 1..=last, -1)));
                None
            }
            (None, Some(j), Some(p)) => {
                self.grid.shift(pos32(j)?, last, 1);
                self.cells.renumber(None, Some((pos32(j)?..=last, 1)));
                self.write(j, &p.entry, Place::Insert);
                Some((j, p))
            }
            (Some(i), Some(s), Some(p)) => {
                // The site's place once it has left its old one.
                let j = if i < s { s - 1 } else { s };
                let (i32, j32) = (pos32(i)?, pos32(j)?);
                if j == i {
                    dropped = self.cells.renumber(Some(i32), None);
                    self.write(j, &p.entry, Place::Replace);
                } else {
                    let (moved, by) = if i < j {
                        (i32 + 1..=j32, -1)
                    } else {
                        (j32..=i32 - 1, 1)
                    };
                    self.grid.shift(*moved.start(), *moved.end(), by);
                    dropped = self.cells.renumber(Some(i32), Some((moved, i32::from(by))));
                    self.write(j, &p.entry, Place::MoveFrom(i));
                }
                Some((j, p))
            }
            _ => None,
        };
        let mut moved = Moved { from, to: None };
        if let Some((j, p)) = target {
            moved.to = Some((j, p.entry.ids()));
            let j = pos32(j)?;
            if let Some(b) = p.entry.bbox.as_ref() {
                self.grid.add(j, &outward(b));
            }
            if let Some(c) = cell_site(&p.entry, j) {
                self.cells.insert(c);
                let pks = &self.pks;
                self.cells.resum(c.address, |p| key_at(pks, p));
            }
        }
        if let Some(a) = dropped {
            let pks = &self.pks;
            self.cells.resum(a, |p| key_at(pks, p));
        }
        Some(moved)
    }

    /// One pass in list order: counts the sites of `f` and keeps the keys of its page (`offset`,
    /// `limit`; no limit keeps every key after the offset). The verdicts of the filter's
    /// attributes come as bits (`t`). With a bbox, the sites of the box's grid cells are
    /// looked at when they are a third of all sites or fewer (a cell inside the box, or whose
    /// sites' bounds are, passes all its sites without a box test; matches are marked in a bit
    /// set and read back in list order); else every site's `f32` box is tested. Either way the
    /// exact bounds are needed only for sites within one `f32` step of the box's edges: `exact`
    /// says whether the site with that key meets the query box (the store reads its row).
    pub(crate) fn scan(
        &self,
        f: &SiteFilter,
        t: &Passes,
        exact: &mut dyn FnMut(i64) -> bool,
    ) -> Scan {
        let mut pager = Pager {
            pks: &self.pks,
            offset: f.offset,
            limit: f.limit.unwrap_or(u64::MAX),
            matched: 0,
            page: Vec::new(),
        };
        match query_box(f) {
            None => (0..self.pks.len().div_ceil(64)).for_each(|b| pager.block(b, t.block(b))),
            Some(qb) => {
                // A site in several grid cells is looked at once per cell: its row once.
                let mut asked: HashMap<i64, bool> = HashMap::new();
                let mut exact = |pk: i64| *asked.entry(pk).or_insert_with(|| exact(pk));
                let mut inside = |i: usize| match self.box_test(&qb, i) {
                    (false, _) => false,
                    (true, true) => true,
                    (true, false) => exact(self.pks[i]),
                };
                match self.grid.cells(&qb.exact, self.pks.len() / GRID_SHARE) {
                    Some(cells) => {
                        // Matches marked in a bit set over list positions, read back in list
                        // order: no sort, and a site found in several cells counts once.
                        let mut found = vec![0_u64; self.pks.len().div_ceil(64)];
                        let mut mark = |i: u32| {
                            if let Some(w) = found.get_mut(i as usize / 64) {
                                *w |= 1 << (i % 64);
                            }
                        };
                        for (interior, v) in cells {
                            for &i in v {
                                if t.get(i as usize) && (interior || inside(i as usize)) {
                                    mark(i);
                                }
                            }
                        }
                        for &i in &self.grid.wide {
                            if t.get(i as usize) && inside(i as usize) {
                                mark(i);
                            }
                        }
                        for (w, bits) in found.iter().enumerate() {
                            pager.block(w, *bits);
                        }
                    }
                    None => self.each_in_box(&qb, t, |c, hits, sure| {
                        // The sure sites, and those near an edge whose row says they meet it.
                        let (mut kept, mut unsure) = (sure, hits & !sure);
                        while unsure != 0 {
                            let j = unsure.trailing_zeros();
                            if self
                                .pks
                                .get(c * 64 + j as usize)
                                .is_some_and(|&pk| exact(pk))
                            {
                                kept |= 1 << j;
                            }
                            unsure &= unsure - 1;
                        }
                        pager.block(c, kept);
                    }),
                }
            }
        }
        Scan {
            matched: pager.matched,
            page: pager.page,
        }
    }

    /// Site `i`'s rounded box against query box `q`: whether it meets the outward box (else it
    /// surely misses the exact one) and whether it meets the inward one strictly (then it surely
    /// meets the exact one); see [`QueryBox`].
    fn box_test(&self, q: &QueryBox, i: usize) -> (bool, bool) {
        let (r, s) = (&q.outward, &q.inward);
        let [x0, x1, y0, y1] = &self.boxes.0;
        let (Some(&x0), Some(&x1), Some(&y0), Some(&y1)) =
            (x0.get(i), x1.get(i), y0.get(i), y1.get(i))
        else {
            return (false, false);
        };
        (
            x1 >= r[0] && x0 <= r[1] && y1 >= r[2] && y0 <= r[3],
            x1 > s[0] && x0 < s[1] && y1 > s[2] && y0 < s[3],
        )
    }

    /// Calls `f` for every block of 64 list positions (`c` for positions `64 * c ..`) with
    /// two masks: the sites passing `t` whose rounded box meets the outward query box (a
    /// superset of the exact test), and among them those that surely meet the exact box (see
    /// [`QueryBox`]); blocks without a hit are left out. The tests without branches make the
    /// masks, ANDed with the verdicts; a block where few sites pass the verdicts tests only
    /// those.
    fn each_in_box(&self, q: &QueryBox, t: &Passes, mut f: impl FnMut(usize, u64, u64)) {
        let (r, s) = (&q.outward, &q.inward);
        let [x0, x1, y0, y1] = &self.boxes.0;
        let n = x0.len().min(x1.len()).min(y0.len()).min(y1.len());
        let (x0, x1, y0, y1) = (&x0[..n], &x1[..n], &y0[..n], &y1[..n]);
        let hit = |i: usize| (x1[i] >= r[0]) & (x0[i] <= r[1]) & (y1[i] >= r[2]) & (y0[i] <= r[3]);
        let within = |i: usize| (x1[i] > s[0]) & (x0[i] < s[1]) & (y1[i] > s[2]) & (y0[i] < s[3]);
        for c in 0..n.div_ceil(64) {
            let passing = t.block(c);
            let (mut hits, mut sure) = (0_u64, 0_u64);
            if passing.count_ones() <= SPARSE_BLOCK {
                // Few sites pass the attributes (a chain filter): test just those.
                let mut m = passing;
                while m != 0 {
                    let j = m.trailing_zeros();
                    let i = c * 64 + j as usize;
                    if i < n && hit(i) {
                        hits |= 1 << j;
                        sure |= u64::from(within(i)) << j;
                    }
                    m &= m - 1;
                }
            } else {
                for (j, i) in (c * 64..(c * 64 + 64).min(n)).enumerate() {
                    hits |= u64::from(hit(i)) << j;
                    sure |= u64::from(within(i)) << j;
                }
                hits &= passing;
            }
            if hits != 0 {
                f(c, hits, sure & hits);
            }
        }
    }
}

impl ListIndex {
    /// The sites passing `t` in tile `tile`, binned into its cells; keys are `sites.pk`. One
    /// pass over the tile's run of the cell order, or, without a filter down to
    /// [`SUMMED_ZOOM`], over the sums of its cells of that zoom.
    pub(crate) fn bin_tile(&self, tile: TileId, t: &Passes) -> Vec<CellGroup> {
        let mut bin = Binner::new(tile);
        if t.sites.is_none() && tile.z <= SUMMED_ZOOM {
            for (a, sum) in self.cells.sums_in(tile) {
                bin.add_sum(*a, sum);
            }
            return bin.finish();
        }
        let run = self.cells.in_tile(tile);
        for (i, &pos) in run.pos.iter().enumerate() {
            if !t.get(pos as usize) {
                continue;
            }
            if let Some(s) = run.site(i) {
                // The list position stands for the key until the groups are made.
                bin.add_at(s.address, &s.marker_keyed(i64::from(s.pos)));
            }
        }
        let mut groups = bin.finish();
        for k in groups.iter_mut().flat_map(|g| g.keys.iter_mut()) {
            *k = u32::try_from(*k).map_or(*k, |p| key_at(&self.pks, p));
        }
        groups
    }
}

/// A box whose grid cells hold at most 1 / `GRID_SHARE` of all sites is answered from the grid;
/// a larger one by testing every site's box.
const GRID_SHARE: usize = 3;

/// A block of 64 list positions with at most this many passing the attributes has them tested
/// one by one; fuller blocks are tested all at once.
const SPARSE_BLOCK: u32 = 16;

/// True when the list index can answer `f`: it holds every filter column but the search text
/// and the location precision, and it does not evaluate CQL2 expressions (SQL does).
pub(crate) fn answers(f: &SiteFilter) -> bool {
    f.terms().is_empty() && !crate::query::has_location(f) && !crate::query::has_expr(f)
}

impl Store {
    /// Runs `body` with the list index and the verdicts of `f`'s scalar and chain parts, and
    /// returns what it returns; `None` when the index cannot answer now (a shared index not yet
    /// built, or at another data version than this connection's transaction sees): the caller
    /// then takes the SQL path, which gives the same result.
    ///
    /// With a shared index attached ([`Store::attach_index`]) the process's one copy answers
    /// when it holds exactly the data version this connection sees; never a build. Without
    /// one, this connection's own copy answers, read on the first request and after every
    /// change. The verdicts of the last filter parts asked are kept: by the shared index for
    /// the process, else per connection.
    /// [`ListIndex::scan`] of `f` with the exact bounds of the few sites near the query box's
    /// edges read from their rows. Call inside a read snapshot (the rows must be the index's
    /// version).
    pub(crate) fn scan_list(&self, ix: &ListIndex, f: &SiteFilter, t: &Passes) -> Result<Scan> {
        let q = f.bbox.map(|b| [b.min_lon, b.max_lon, b.min_lat, b.max_lat]);
        let mut st = self.conn.prepare_cached(sql::BOX_BY_PK)?;
        let mut failed = None;
        let scan = ix.scan(f, t, &mut |pk| {
            let row = st.query_row([pk], |r| {
                Ok([r.get::<_, Option<f64>>(0)?, r.get(1)?, r.get(2)?, r.get(3)?])
            });
            match (row, q) {
                (Ok([Some(a), Some(b), Some(c), Some(d)]), Some(q)) => meets(&[a, b, c, d], &q),
                (Err(e), _) => {
                    failed.get_or_insert(e);
                    false
                }
                _ => false,
            }
        });
        match failed {
            Some(e) => Err(e.into()),
            None => Ok(scan),
        }
    }

    pub(crate) fn with_list_index<T>(
        &self,
        f: &SiteFilter,
        body: impl FnOnce(&ListIndex, &Passes) -> T,
    ) -> Result<Option<T>> {
        let cached = |at: &Version, key: &str| {
            self.passes
                .borrow()
                .as_ref()
                .filter(|(v, k, _)| v == at && k == key)
                .map(|(_, _, p)| p.clone())
        };
        let Some(shared) = &self.shared else {
            let key = parts_key(f);
            let version = self.version()?;
            let d = self.dicts()?;
            let ix = match self.list_index.borrow().as_ref() {
                Some((v, ix)) if *v == version => Some(ix.clone()),
                _ => None,
            };
            let ix = match ix {
                Some(ix) => ix,
                None => {
                    let at = self.data_version()?;
                    let ix = Arc::new(crate::index::stored::list_index(&self.conn, at)?.0);
                    *self.list_index.borrow_mut() = Some((version, ix.clone()));
                    ix
                }
            };
            let passes = match cached(&version, &key) {
                Some(p) => p,
                None => Arc::new(Passes::new(f, &d.verdicts(f), &ix)),
            };
            *self.passes.borrow_mut() = Some((version, key, passes.clone()));
            return Ok(Some(body(&ix, &passes)));
        };
        let version = self.data_version()?;
        Ok(shared.with_current(version, |held| {
            let passes = shared.passes(held, f);
            body(&held.list, &passes)
        }))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::synth::Lcg;

    /// A site of the one combination and chain set, without a marker of its own.
    fn entry(pk: i64, bbox: Option<[f64; 4]>) -> Entry {
        Entry {
            pk,
            combo: Some(0),
            set: Some(0),
            bbox,
            marker: None,
        }
    }

    /// Bits dropped and inserted anywhere, across word edges, as a plain list of booleans
    /// would have them.
    #[test]
    fn bits_move_as_a_list_of_booleans_does() {
        let mut g = Lcg::new(11);
        let mut plain: Vec<bool> = Vec::new();
        let mut bits: Vec<u64> = Vec::new();
        for _ in 0..4000 {
            let len = plain.len();
            if len > 0 && g.chance(0.45) {
                let i = g.below(len);
                plain.remove(i);
                remove_bit(&mut bits, len, i);
            } else {
                let (j, v) = (g.below(len + 1), g.chance(0.5));
                plain.insert(j, v);
                insert_bit(&mut bits, len, j, v);
            }
            let mut want = vec![0_u64; plain.len().div_ceil(64)];
            for (i, _) in plain.iter().enumerate().filter(|(_, v)| **v) {
                want[i / 64] |= 1 << (i % 64);
            }
            assert_eq!(bits, want);
        }
    }

    /// Sites on cell corners and edges, piles on one point, boxes a hair off the query's edges:
    /// the grid (with whole cells taken at once) and the scan of every box both answer exactly
    /// what the plain test on the exact bounds answers.
    #[test]
    fn grid_and_scan_agree_with_the_exact_test_at_every_edge() {
        let mut g = Lcg::new(7);
        let mut ix = ListIndex::default();
        let mut boxes = Vec::new();
        let q = [110.90, 110.93, 21.64, 21.67];
        let near = |g: &mut Lcg, v: f64| match g.below(4) {
            0 => v,
            1 => v + 1e-12,
            2 => v - 1e-12,
            _ => v + (g.unit() - 0.5) * 0.02,
        };
        for pk in 0..4000_i64 {
            let (x, y) = match g.below(4) {
                // Township seat: a pile of sites on one point.
                0 => (110.915, 21.655),
                // On a query edge or a cell edge, or a hair off.
                1 => (near(&mut g, q[(pk % 2) as usize]), near(&mut g, 21.66)),
                2 => (near(&mut g, 110.92), near(&mut g, q[2 + (pk % 2) as usize])),
                _ => (110.85 + g.unit() * 0.15, 21.60 + g.unit() * 0.12),
            };
            let (w, h) = if g.below(5) == 0 {
                (g.unit() * 0.03, g.unit() * 0.03)
            } else {
                (0.0, 0.0)
            };
            let b = [x, x + w, y, y + h];
            ix.push(&entry(pk, Some(b)));
            boxes.push(b);
        }
        // Far away, so that the box's cells hold under a third of all sites (the grid answers).
        for pk in 4000..30_000_i64 {
            let b = [111.5 + g.unit() * 0.1, 0.0, 21.0 + g.unit() * 0.1, 0.0];
            let b = [b[0], b[0], b[2], b[2]];
            ix.push(&entry(pk, Some(b)));
            boxes.push(b);
        }
        // Sites without location: in no box, by either path.
        for pk in 30_000..30_100_i64 {
            ix.push(&entry(pk, None));
        }
        let all = Passes {
            sites: None,
            len: ix.pks.len(),
        };
        let f =
            SiteFilter::parse_query(&format!("bbox={},{},{},{}", q[0], q[2], q[1], q[3])).unwrap();
        let want: Vec<i64> = boxes
            .iter()
            .enumerate()
            .filter(|(_, b)| b[1] >= q[0] && b[0] <= q[1] && b[3] >= q[2] && b[2] <= q[3])
            .map(|(i, _)| i as i64)
            .collect();
        assert!(want.len() > 1000, "{}", want.len());
        let qb = query_box(&f).unwrap();
        assert!(ix
            .grid
            .cells(&qb.exact, ix.pks.len() / GRID_SHARE)
            .is_some());
        // The exact test of the site with key `pk` (what the store reads from its row).
        let exact = |pk: i64| meets(&boxes[usize::try_from(pk).unwrap()], &q);
        let mut asked = 0;
        let mut counted = |pk: i64| {
            asked += 1;
            exact(pk)
        };
        // Through the grid (the default budget), then by testing every box.
        assert_eq!(ix.scan(&f, &all, &mut counted).page, want);
        // Only the sites within one `f32` step of an edge, each once.
        let unsure = (0..ix.pks.len())
            .filter(|&i| ix.box_test(&qb, i) == (true, false))
            .count();
        assert!(
            asked > 0 && asked <= unsure && unsure < want.len(),
            "the exact bounds asked for {asked} sites, {unsure} near an edge"
        );
        let mut scanned = Vec::new();
        ix.each_in_box(&qb, &all, |c, hits, sure| {
            let mut m = hits;
            while m != 0 {
                let j = m.trailing_zeros();
                let pk = ix.pks[c * 64 + j as usize];
                if sure & (1 << j) != 0 || exact(pk) {
                    scanned.push(pk);
                }
                m &= m - 1;
            }
        });
        assert_eq!(scanned, want);
    }
}
