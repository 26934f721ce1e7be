//! The located sites of the list index in the order of their markers' cell addresses
//! ([`CellAddress`], Z order): the sites a vector tile holds are one run of it, found with two
//! binary searches, and the sites of each of the tile's cells lie next to each other within
//! the run. A tile is then one sequential pass over its own sites (and only them), reading per
//! site what the binning needs, in one place: the marker, the interned combination (its
//! category), the approximate bit and the list position (the filter's verdicts, the key).
//!
//! Kept by [`super::listing::ListIndex`]: appended to and sorted once by a load, renumbered and
//! spliced by a single-site change.

use atlas_core::tiles::{CellAddress, TileId};
use std::cmp::Ordering;
use std::ops::RangeInclusive;

/// A located site as the tiles read it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct CellSite {
    pub address: CellAddress,
    /// `[lon, lat]`.
    pub marker: [f64; 2],
    /// Its position in list order.
    pub pos: u32,
    /// The interned combination (a missing one is `u32::MAX`).
    pub combo: u32,
    /// The location precision is approximate (`town`, `district`).
    pub approximate: bool,
}

impl CellSite {
    /// The order of the sites: by address, then by list position (a total order, so a load and
    /// a sequence of changes that end with the same sites hold them in the same order).
    fn order(&self, other: &Self) -> Ordering {
        (self.address, self.pos).cmp(&(other.address, other.pos))
    }
}

/// The located sites, by address (see the module documentation).
#[derive(Debug, Default, PartialEq)]
pub(crate) struct CellOrder {
    sites: Vec<CellSite>,
}

impl CellOrder {
    /// Appends a site, out of order: a load calls [`CellOrder::sort`] once after its last.
    pub(crate) fn append(&mut self, s: CellSite) {
        self.sites.push(s);
    }

    /// Puts the appended sites in order.
    pub(crate) fn sort(&mut self) {
        self.sites.sort_unstable_by(CellSite::order);
    }

    /// The sites whose markers lie in tile `t`, in address order.
    pub(crate) fn in_tile(&self, t: TileId) -> &[CellSite] {
        let r = t.addresses();
        let start = self.sites.partition_point(|s| s.address < r.start);
        let end = start + self.sites[start..].partition_point(|s| s.address < r.end);
        &self.sites[start..end]
    }

    /// After a change of list positions: drops the site at position `gone` (if any), and adds
    /// `by` (±1) to the positions in `moved` (if any). One pass.
    pub(crate) fn renumber(
        &mut self,
        gone: Option<u32>,
        moved: Option<(RangeInclusive<u32>, i32)>,
    ) {
        self.sites.retain_mut(|s| {
            if Some(s.pos) == gone {
                return false;
            }
            if let Some((range, by)) = &moved {
                if range.contains(&s.pos) {
                    s.pos = s.pos.wrapping_add_signed(*by);
                }
            }
            true
        });
    }

    /// Inserts a site at its place in the order.
    pub(crate) fn insert(&mut self, s: CellSite) {
        let k = self
            .sites
            .partition_point(|o| o.order(&s) == Ordering::Less);
        self.sites.insert(k, s);
    }
}
