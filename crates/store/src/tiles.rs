//! Vector tiles: the markers of the sites of a filter inside a tile, sorted into the tile's
//! cells by [`atlas_core::tiles::Binner`], and the few details a tile shows (the single sites'
//! names, small clusters' ids), read by key.
//!
//! Which path finds the markers follows the other reads: filters the in-memory list index
//! answers (no search text, no location filter) pass over the tile's own run of its sites in
//! cell-address order (`index::cells`; no SQL at all but the details); the others
//! run the filter's SQL (with the tile's box as its bbox) selecting key, marker, category and
//! precision only. Either way a site is in the tile exactly when its marker is.

use crate::error::{Result, StoreError};
use crate::index::listing;
use crate::{query, sql, Store};
use atlas_core::tiles::{Binner, CellGroup, Marker, SiteProps, TileFeature, TileId, MAX_IDS};
use atlas_core::{BBox, Kind, Labelled, LocationPrecision, SiteFilter};

impl Store {
    /// The features of `tile` for the sites of `filter` (its bbox, limit and offset are not
    /// used): per cell of the tile, one site or one cluster with exact counts (see
    /// [`atlas_core::tiles`]). Sites without a location are in no tile.
    pub fn tile(&self, filter: &SiteFilter, tile: TileId) -> Result<Vec<TileFeature>> {
        // One read transaction for the markers and every feature's details: one snapshot, and
        // one WAL read lock instead of one per statement.
        let _snapshot = self.read_snapshot()?;
        self.tile_groups(filter, tile)?
            .into_iter()
            .map(|g| self.tile_feature(g))
            .collect()
    }

    /// The box of the markers of the located sites of `filter` (its bbox, limit and offset
    /// are not used); `None` when none is located.
    pub fn marker_bounds(&self, filter: &SiteFilter) -> Result<Option<BBox>> {
        let world = TileId { z: 0, x: 0, y: 0 };
        Ok(self
            .tile_groups(filter, world)?
            .iter()
            .map(|g| g.bbox)
            .reduce(|a, b| a.union(&b)))
    }

    /// The sites of `filter` in `tile`, binned into its cells (keys: `sites.pk`).
    fn tile_groups(&self, filter: &SiteFilter, tile: TileId) -> Result<Vec<CellGroup>> {
        let f = SiteFilter {
            bbox: None,
            limit: None,
            offset: 0,
            ..filter.clone()
        };
        if listing::answers(&f) {
            if let Some(groups) = self.with_list_index(&f, |ix, t| ix.bin_tile(tile, t))? {
                return Ok(groups);
            }
            // The shared index is not at this version yet: the SQL path answers.
        }
        let mut bin = Binner::new(tile);
        self.each_marker(&f, &tile.search_box(), |m| {
            bin.add(&m);
        })?;
        Ok(bin.finish())
    }

    /// Calls `visit` once for every located site of `f` (without bbox, limit and offset) whose
    /// marker lies in `b` (edges included), in no particular order: the filter's SQL with `b`
    /// as its bbox.
    fn each_marker(&self, f: &SiteFilter, b: &BBox, mut visit: impl FnMut(Marker)) -> Result<()> {
        let q = [b.min_lon, b.max_lon, b.min_lat, b.max_lat];
        let g = SiteFilter {
            bbox: Some(*b),
            ..f.clone()
        };
        let (text, values) = query::markers_sql(&g, self.access(&g)?);
        let mut st = self.conn.prepare(&text)?;
        let mut rows = st.query(rusqlite::params_from_iter(values.iter()))?;
        while let Some(r) = rows.next()? {
            let (Some(lon), Some(lat)) = (r.get::<_, Option<f64>>(1)?, r.get::<_, Option<f64>>(2)?)
            else {
                continue;
            };
            // The bbox met the site's bounds; the marker decides.
            if !(lon >= q[0] && lon <= q[1] && lat >= q[2] && lat <= q[3]) {
                continue;
            }
            visit(Marker {
                key: r.get(0)?,
                lon,
                lat,
                category: parse(&r.get::<_, String>(3)?)?,
                approximate: parse::<LocationPrecision>(&r.get::<_, String>(4)?)?.is_approximate(),
            });
        }
        Ok(())
    }

    /// A cell's feature: a site with its details, or a cluster with the ids of a small one.
    fn tile_feature(&self, group: CellGroup) -> Result<TileFeature> {
        if group.count == 1 {
            let key = group.keys.first().copied().unwrap_or_default();
            let props = self
                .conn
                .prepare_cached(sql::TILE_SITE)?
                .query_row([key], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, String>(4)?,
                        r.get::<_, Option<String>>(5)?,
                    ))
                })?;
            let props = SiteProps {
                id: props.0,
                category: parse(&props.1)?,
                kind: parse::<Kind>(&props.2)?,
                precision: parse(&props.3)?,
                name_zh: props.4,
                name_en: props.5,
            };
            return Ok(TileFeature::Site { group, props });
        }
        let ids = if group.count as usize <= MAX_IDS {
            let mut st = self.conn.prepare_cached(sql::TILE_SITE_ID)?;
            let mut ids = group
                .keys
                .iter()
                .map(|k| st.query_row([k], |r| r.get::<_, String>(0)))
                .collect::<rusqlite::Result<Vec<_>>>()?;
            ids.sort();
            Some(ids)
        } else {
            None
        };
        Ok(TileFeature::Cluster { group, ids })
    }
}

/// A vocabulary value as stored.
fn parse<T: Labelled>(id: &str) -> Result<T> {
    T::from_id(id).ok_or_else(|| StoreError::Data(format!("unknown stored value '{id}'")))
}
