//! The located sites of the list index in the order of their markers' cell addresses
//! ([`CellAddress`], Z order): the sites a vector tile holds are one run of it, found with two
//! binary searches, and the sites of each of the tile's cells lie next to each other within
//! the run. A tile is then one sequential pass over its own sites, and only them.
//!
//! Kept as parallel columns, so a pass reads only what it needs: a filtered tile reads the list
//! positions (4 bytes a site) to test the filter's verdicts, and the marker and flags of the
//! sites that pass. 29 bytes a located site in all.
//!
//! Tiles without a filter at zoom [`SUMMED_ZOOM`] or below (each holding a large share of all
//! sites) are binned from sums kept per cell of the tiles of [`SUMMED_ZOOM`] instead: a few
//! thousand sums rather than every site. The sums are the tiles' own arithmetic
//! ([`CellSum`]), so the features are the same.
//!
//! Kept by [`super::listing::ListIndex`]: appended to and sorted once by a load (which then
//! sums the cells), renumbered and spliced by a single-site change (which sums again the one or
//! two cells it touched).

use crate::error::Result;
use crate::index::stored::{check, Decoder, Encoder};
use atlas_core::tiles::{CellAddress, CellSum, Marker, TileId};
use atlas_core::{Category, Labelled};
use std::ops::RangeInclusive;

/// A located site as the tiles read it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct CellSite {
    pub address: CellAddress,
    /// `[lon, lat]`.
    pub marker: [f64; 2],
    /// Its position in list order.
    pub pos: u32,
    pub category: Category,
    /// The location precision is approximate (`town`, `district`).
    pub approximate: bool,
}

/// The located sites, by (address, list position): see the module documentation.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct CellOrder {
    addresses: Vec<CellAddress>,
    pos: Vec<u32>,
    markers: Vec<[f64; 2]>,
    /// The category's rank in [`Category::ALL`] in the low bits, [`APPROXIMATE`] above.
    flags: Vec<u8>,
    /// Per non-empty cell of the tiles of [`SUMMED_ZOOM`], by address: the cell's first
    /// address and its sites summed up (keys: `sites.pk`).
    sums: Vec<(CellAddress, CellSum)>,
}

/// The deepest zoom whose tiles without a filter are binned from [`CellOrder::sums`].
pub(crate) const SUMMED_ZOOM: u8 = 12;

/// The flag of an approximate location.
const APPROXIMATE: u8 = 1 << 4;

/// A run of the cell order: the sites of one tile.
pub(crate) struct Run<'a> {
    pub pos: &'a [u32],
    order: &'a CellOrder,
    start: usize,
}

impl CellSite {
    /// The site as the tiles bin it, with key `key`.
    pub(crate) fn marker_keyed(&self, key: i64) -> Marker {
        Marker {
            key,
            lon: self.marker[0],
            lat: self.marker[1],
            category: self.category,
            approximate: self.approximate,
        }
    }
}

impl Run<'_> {
    /// The site at index `i` of the run (`i < pos.len()`).
    pub(crate) fn site(&self, i: usize) -> Option<CellSite> {
        let k = self.start + i;
        let flags = *self.order.flags.get(k)?;
        Some(CellSite {
            address: *self.order.addresses.get(k)?,
            marker: *self.order.markers.get(k)?,
            pos: *self.pos.get(i)?,
            category: *Category::ALL.get(usize::from(flags & (APPROXIMATE - 1)))?,
            approximate: flags & APPROXIMATE != 0,
        })
    }
}

impl CellOrder {
    /// Appends a site, out of order: a load calls [`CellOrder::sort`] once after its last.
    pub(crate) fn append(&mut self, s: CellSite) {
        self.addresses.push(s.address);
        self.pos.push(s.pos);
        self.markers.push(s.marker);
        self.flags.push(flags(&s));
    }

    /// Puts the appended sites in order.
    pub(crate) fn sort(&mut self) {
        // The keys sorted side by side with their rows (sorting row numbers by a key looked up
        // in the columns missed the cache at every comparison: half a second at 1M sites).
        let mut keyed: Vec<(CellAddress, u32, usize)> = (self.addresses.iter().copied())
            .zip(self.pos.iter().copied())
            .enumerate()
            .map(|(i, (a, p))| (a, p, i))
            .collect();
        keyed.sort_unstable();
        let order: Vec<usize> = keyed.into_iter().map(|(_, _, i)| i).collect();
        *self = Self {
            addresses: permuted(&self.addresses, &order),
            pos: permuted(&self.pos, &order),
            markers: permuted(&self.markers, &order),
            flags: permuted(&self.flags, &order),
            sums: Vec::new(),
        };
    }

    /// Sums every cell of the tiles of [`SUMMED_ZOOM`] (after [`CellOrder::sort`]); `key`
    /// gives the key of a list position.
    pub(crate) fn sum_cells(&mut self, key: impl Fn(u32) -> i64) {
        let mut sums: Vec<(CellAddress, CellSum)> = Vec::new();
        for k in 0..self.pos.len() {
            let Some(m) = self.marker(k, &key) else {
                continue;
            };
            let cell = self.addresses[k].cell_range(SUMMED_ZOOM).start;
            match sums.last_mut() {
                Some((a, sum)) if *a == cell => sum.add(&m),
                _ => sums.push((cell, CellSum::of(&m))),
            }
        }
        self.sums = sums;
    }

    /// Sums again the cell of [`SUMMED_ZOOM`] holding `address` from its sites.
    pub(crate) fn resum(&mut self, address: CellAddress, key: impl Fn(u32) -> i64) {
        let cell = address.cell_range(SUMMED_ZOOM);
        let start = self.addresses.partition_point(|a| *a < cell.start);
        let end = start + self.addresses[start..].partition_point(|a| *a < cell.end);
        let mut sum: Option<CellSum> = None;
        for k in start..end {
            let Some(m) = self.marker(k, &key) else {
                continue;
            };
            match &mut sum {
                Some(s) => s.add(&m),
                None => sum = Some(CellSum::of(&m)),
            }
        }
        let at = self.sums.partition_point(|(a, _)| *a < cell.start);
        let there = self.sums.get(at).is_some_and(|(a, _)| *a == cell.start);
        match (sum, there) {
            (Some(s), true) => self.sums[at].1 = s,
            (Some(s), false) => self.sums.insert(at, (cell.start, s)),
            (None, true) => {
                self.sums.remove(at);
            }
            (None, false) => {}
        }
    }

    /// The sums of the cells of [`SUMMED_ZOOM`] in tile `t` (of that zoom or below).
    pub(crate) fn sums_in(&self, t: TileId) -> &[(CellAddress, CellSum)] {
        let r = t.addresses();
        let start = self.sums.partition_point(|(a, _)| *a < r.start);
        let end = start + self.sums[start..].partition_point(|(a, _)| *a < r.end);
        &self.sums[start..end]
    }

    /// The marker of the site at index `k`, keyed by `key` of its list position.
    fn marker(&self, k: usize, key: impl Fn(u32) -> i64) -> Option<Marker> {
        let run = Run {
            pos: &self.pos,
            order: self,
            start: 0,
        };
        run.site(k).map(|s| s.marker_keyed(key(s.pos)))
    }

    /// The sites whose markers lie in tile `t`, in address order.
    pub(crate) fn in_tile(&self, t: TileId) -> Run<'_> {
        let r = t.addresses();
        let start = self.addresses.partition_point(|a| *a < r.start);
        let end = start + self.addresses[start..].partition_point(|a| *a < r.end);
        Run {
            pos: &self.pos[start..end],
            order: self,
            start,
        }
    }

    /// After a change of list positions: drops the site at position `gone` (if any), and adds
    /// `by` (±1) to the positions in `moved` (if any; `gone` is not among them). Returns the
    /// dropped site's address (its cell's sum is the caller's to redo).
    ///
    /// At a million sites this runs at every save: the shift is one branch-free pass over the
    /// positions alone (which the compiler vectorises), and the drop one search and a `memmove`
    /// of each column, rather than a pass copying every column site by site.
    pub(crate) fn renumber(
        &mut self,
        gone: Option<u32>,
        moved: Option<(RangeInclusive<u32>, i32)>,
    ) -> Option<CellAddress> {
        // Found before the shift, which may move another site onto position `gone`.
        let k = gone.and_then(|g| self.pos.iter().position(|&p| p == g));
        if let Some((range, by)) = moved {
            let (lo, width) = (*range.start(), range.end().wrapping_sub(*range.start()));
            let step = u32::from_ne_bytes(by.to_ne_bytes());
            for p in &mut self.pos {
                // `p - lo <= width` (unsigned): `p` lies in `lo..=lo + width`.
                let inside = u32::from(p.wrapping_sub(lo) <= width);
                *p = p.wrapping_add(step.wrapping_mul(inside));
            }
        }
        let k = k?;
        self.pos.remove(k);
        self.markers.remove(k);
        self.flags.remove(k);
        Some(self.addresses.remove(k))
    }

    /// Inserts a site at its place in the order.
    pub(crate) fn insert(&mut self, s: CellSite) {
        let start = self.addresses.partition_point(|a| *a < s.address);
        let end = start + self.addresses[start..].partition_point(|a| *a <= s.address);
        let k = start + self.pos[start..end].partition_point(|p| *p < s.pos);
        self.addresses.insert(k, s.address);
        self.pos.insert(k, s.pos);
        self.markers.insert(k, s.marker);
        self.flags.insert(k, flags(&s));
    }
}

impl CellOrder {
    /// Writes the columns (not the sums, which [`CellOrder::decode`] makes again).
    pub(crate) fn encode(&self, e: &mut Encoder) {
        e.column(&self.addresses);
        e.column(&self.pos);
        e.column(&self.markers);
        e.column(&self.flags);
    }

    /// Reads what [`CellOrder::encode`] wrote for a list of `len` sites, checking that its
    /// columns agree, its positions lie in the list and its addresses are in order, then sums
    /// the cells with `key`.
    pub(crate) fn decode(
        d: &mut Decoder<'_>,
        len: usize,
        key: impl Fn(u32) -> i64,
    ) -> Result<Self> {
        let mut order = Self {
            addresses: d.column()?,
            pos: d.column()?,
            markers: d.column()?,
            flags: d.column()?,
            sums: Vec::new(),
        };
        let n = order.addresses.len();
        check(
            [order.pos.len(), order.markers.len(), order.flags.len()] == [n; 3] && n <= len,
            "cell order columns of different lengths",
        )?;
        check(
            order.pos.iter().all(|&p| (p as usize) < len),
            "a cell order position outside the list",
        )?;
        check(
            order.addresses.is_sorted(),
            "cell order addresses out of order",
        )?;
        order.sum_cells(key);
        Ok(order)
    }
}

/// `v` in the order of the indexes `order`.
fn permuted<T: Copy>(v: &[T], order: &[usize]) -> Vec<T> {
    order.iter().map(|&i| v[i]).collect()
}

/// The flags of a site.
fn flags(s: &CellSite) -> u8 {
    let rank = Category::ALL
        .iter()
        .position(|c| *c == s.category)
        .and_then(|r| u8::try_from(r).ok())
        .unwrap_or(0);
    rank | if s.approximate { APPROXIMATE } else { 0 }
}
