//! The located sites of the list index in the order of their markers' cell addresses
//! ([`CellAddress`], Z order): the sites a vector tile holds are one run of it, found with two
//! binary searches, and the sites of each of the tile's cells lie next to each other within
//! the run. A tile is then one sequential pass over its own sites, and only them.
//!
//! Kept as parallel columns, so a pass reads only what it needs: a filtered tile reads the list
//! positions (4 bytes a site) to test the filter's verdicts, and the marker and flags of the
//! sites that pass. 29 bytes a located site in all.
//!
//! Kept by [`super::listing::ListIndex`]: appended to and sorted once by a load, renumbered and
//! spliced by a single-site change.

use atlas_core::tiles::{CellAddress, TileId};
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
}

/// The flag of an approximate location.
const APPROXIMATE: u8 = 1 << 4;

/// A run of the cell order: the sites of one tile.
pub(crate) struct Run<'a> {
    pub pos: &'a [u32],
    order: &'a CellOrder,
    start: usize,
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
        let mut order: Vec<usize> = (0..self.pos.len()).collect();
        order.sort_unstable_by_key(|&i| (self.addresses[i], self.pos[i]));
        *self = Self {
            addresses: permuted(&self.addresses, &order),
            pos: permuted(&self.pos, &order),
            markers: permuted(&self.markers, &order),
            flags: permuted(&self.flags, &order),
        };
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
    /// `by` (±1) to the positions in `moved` (if any). One pass.
    pub(crate) fn renumber(
        &mut self,
        gone: Option<u32>,
        moved: Option<(RangeInclusive<u32>, i32)>,
    ) {
        let mut kept = 0;
        for k in 0..self.pos.len() {
            let mut p = self.pos[k];
            if Some(p) == gone {
                continue;
            }
            if let Some((range, by)) = &moved {
                if range.contains(&p) {
                    p = p.wrapping_add_signed(*by);
                }
            }
            self.pos[kept] = p;
            self.addresses[kept] = self.addresses[k];
            self.markers[kept] = self.markers[k];
            self.flags[kept] = self.flags[k];
            kept += 1;
        }
        self.pos.truncate(kept);
        self.addresses.truncate(kept);
        self.markers.truncate(kept);
        self.flags.truncate(kept);
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
