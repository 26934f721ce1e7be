//! The list index as a body of columns (`index::stored`): what a process reads at start
//! instead of scanning every site.

use super::{key_at, Boxes, Cell, Grid, ListIndex};
use crate::error::Result;
use crate::index::cells::CellOrder;
use crate::index::stored::{check, Decoder, Encoder};
use std::collections::HashMap;

impl ListIndex {
    /// The index as a body of columns, its checksum appended.
    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut e = Encoder::default();
        e.column(&self.pks);
        e.column(&self.ids);
        self.boxes.0.iter().for_each(|c| e.column(c));
        self.grid.encode(&mut e);
        self.cells.encode(&mut e);
        e.finish()
    }

    /// Reads what [`ListIndex::encode`] wrote; fails (never panics) on a body that is not one,
    /// whatever its bytes.
    pub(crate) fn decode(body: &[u8]) -> Result<Self> {
        let mut d = Decoder::new(body)?;
        let pks: Vec<i64> = d.column()?;
        let ids = d.column()?;
        let boxes = Boxes([d.column()?, d.column()?, d.column()?, d.column()?]);
        let len = pks.len();
        check(
            ids.len() == len && boxes.0.iter().all(|c| c.len() == len),
            "list columns of different lengths",
        )?;
        let grid = Grid::decode(&mut d, len)?;
        let cells = CellOrder::decode(&mut d, len, |p| key_at(&pks, p))?;
        d.finish()?;
        Ok(Self {
            boxes,
            ids,
            pks,
            grid,
            cells,
        })
    }
}

impl Grid {
    /// Writes the cells in the order of their coordinates (the same index, the same bytes).
    fn encode(&self, e: &mut Encoder) {
        let mut cells: Vec<(&(i32, i32), &Cell)> = self.cells.iter().collect();
        cells.sort_unstable_by_key(|(xy, _)| **xy);
        let xy: Vec<(i32, i32)> = cells.iter().map(|(xy, _)| **xy).collect();
        let bounds: Vec<[f64; 4]> = cells.iter().map(|(_, c)| c.bounds).collect();
        let counts: Vec<u32> = cells
            .iter()
            .map(|(_, c)| u32::try_from(c.sites.len()).unwrap_or(u32::MAX))
            .collect();
        let sites: Vec<u32> = cells
            .iter()
            .flat_map(|(_, c)| c.sites.iter().copied())
            .collect();
        e.column(&xy);
        e.column(&bounds);
        e.column(&counts);
        e.column(&sites);
        e.column(&self.wide);
    }

    /// Reads what [`Grid::encode`] wrote for a list of `len` sites, checking that every position
    /// lies in the list and every cell's positions ascend.
    fn decode(d: &mut Decoder<'_>, len: usize) -> Result<Self> {
        let xy: Vec<(i32, i32)> = d.column()?;
        let bounds: Vec<[f64; 4]> = d.column()?;
        let counts: Vec<u32> = d.column()?;
        let sites: Vec<u32> = d.column()?;
        let wide: Vec<u32> = d.column()?;
        check(
            bounds.len() == xy.len() && counts.len() == xy.len(),
            "grid columns of different lengths",
        )?;
        let ascending_in_list = |v: &[u32]| {
            v.windows(2).all(|w| w[0] < w[1]) && v.last().is_none_or(|&p| (p as usize) < len)
        };
        check(ascending_in_list(&wide), "a grid position out of order")?;
        let mut cells = HashMap::with_capacity(xy.len());
        let mut rest = sites.as_slice();
        for ((xy, bounds), n) in xy.into_iter().zip(bounds).zip(counts) {
            check(n as usize <= rest.len(), "a grid cell past the positions")?;
            let (own, after) = rest.split_at(n as usize);
            rest = after;
            check(
                !own.is_empty() && ascending_in_list(own),
                "a grid position out of order",
            )?;
            let cell = Cell {
                sites: own.to_vec(),
                bounds,
            };
            check(cells.insert(xy, cell).is_none(), "a grid cell twice")?;
        }
        check(rest.is_empty(), "grid positions in no cell")?;
        Ok(Self { cells, wide })
    }
}
