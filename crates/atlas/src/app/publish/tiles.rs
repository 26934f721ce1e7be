//! The sites as vector tiles in one PMTiles v3 archive (`data/sites.pmtiles`), made by the code
//! that makes the server's tiles (`Store::tile` binned by `atlas_core::tiles`, encoded by
//! `atlas_core::tiles::encode`): clusters with exact counts at low zoom, single sites deeper,
//! zoom 0 to the TileJSON's `maxzoom`, gzip'd MVT. Only tiles holding sites are written: the walk
//! starts at zoom 0 and goes down only into the children of a tile that held any.

use super::{io_err, PublishError, Result};
use atlas_core::tiles::{self as core_tiles, TileId, ADVERTISED_MAX_ZOOM};
use atlas_core::SiteFilter;
use atlas_store::Store;
use pmtiles::{PmTilesWriter, TileCoord, TileType};
use std::path::Path;

/// The archive, relative to the publication.
pub const FILE: &str = "data/sites.pmtiles";

fn tiles_err(e: impl std::fmt::Display) -> PublishError {
    PublishError::Tiles(e.to_string())
}

/// Every non-empty tile of the catalogue from zoom 0 to [`ADVERTISED_MAX_ZOOM`], encoded.
pub fn collect(store: &Store) -> Result<Vec<(TileId, Vec<u8>)>> {
    let all = SiteFilter::default();
    let mut out = Vec::new();
    let mut level = vec![TileId { z: 0, x: 0, y: 0 }];
    while let Some(z) = level.first().map(|t| t.z) {
        let mut next = Vec::new();
        for t in level {
            let features = store.tile(&all, t)?;
            if features.is_empty() {
                continue;
            }
            out.push((t, core_tiles::encode(&features).map_err(tiles_err)?));
            if z < ADVERTISED_MAX_ZOOM {
                for (dx, dy) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
                    next.push(TileId {
                        z: z + 1,
                        x: t.x * 2 + dx,
                        y: t.y * 2 + dy,
                    });
                }
            }
        }
        level = next;
    }
    Ok(out)
}

/// Writes the archive; returns the number of tiles in it.
pub fn write(store: &Store, out: &Path) -> Result<u64> {
    let mut tiles = collect(store)?
        .into_iter()
        .map(|(t, bytes)| {
            TileCoord::new(t.z, t.x, t.y)
                .map(|c| (pmtiles::TileId::from(c), c, bytes))
                .map_err(tiles_err)
        })
        .collect::<Result<Vec<_>>>()?;
    // Increasing tile ids: the order the format reads best (and a deterministic file).
    tiles.sort_by_key(|(id, _, _)| id.value());
    let bounds = store
        .marker_bounds(&SiteFilter::default())?
        .map_or([-180.0, -85.0, 180.0, 85.0], |b| {
            [b.min_lon, b.min_lat, b.max_lon, b.max_lat]
        });
    let metadata = serde_json::json!({
        "name": "创新资源布局图 Innovation Atlas — sites",
        "vector_layers": [{
            "id": core_tiles::LAYER,
            "fields": core_tiles::FIELDS.iter().map(|(k, v)| (k.to_string(), serde_json::Value::from(*v))).collect::<serde_json::Map<_, _>>(),
            "minzoom": 0,
            "maxzoom": ADVERTISED_MAX_ZOOM,
        }],
    });
    let path = out.join(FILE);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(io_err(parent))?;
    }
    let file = std::fs::File::create(&path).map_err(io_err(&path))?;
    let mut writer = PmTilesWriter::new(TileType::Mvt)
        .min_zoom(0)
        .max_zoom(ADVERTISED_MAX_ZOOM)
        .bounds(bounds[0], bounds[1], bounds[2], bounds[3])
        .center((bounds[0] + bounds[2]) / 2.0, (bounds[1] + bounds[3]) / 2.0)
        .metadata(metadata.to_string())
        .create(std::io::BufWriter::new(file))
        .map_err(tiles_err)?;
    let n = tiles.len() as u64;
    for (_, coord, bytes) in tiles {
        writer.add_tile(coord, &bytes).map_err(tiles_err)?;
    }
    writer.finalize().map_err(tiles_err)?;
    Ok(n)
}
