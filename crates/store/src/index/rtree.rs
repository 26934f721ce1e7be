//! Bulk loading of the R*Tree (`sites_rtree`): the tree is packed from all its entries at once
//! (Sort-Tile-Recursive) and written to its three tables in the format SQLite documents at the
//! head of `rtree.c` ("Database Format of R-Tree Tables"), instead of a million one-by-one
//! insertions that each choose a leaf and split nodes.
//!
//! - `sites_rtree_node(nodeno, data)`: one blob per node, all as long as the root's (node 1).
//!   Bytes 0–1: the tree depth (root only, big-endian); bytes 2–3: the number of cells; then the
//!   cells: an 8-byte big-endian rowid (leaf) or child node number (inner node), then the four
//!   coordinates as 4-byte big-endian integers (`rtree_i32`), in column order.
//! - `sites_rtree_rowid(rowid, nodeno)`: the leaf of each entry.
//! - `sites_rtree_parent(nodeno, parentnode)`: the parent of each node but the root.
//!
//! Only used inside the bulk import's transaction, on a tree the transaction has not otherwise
//! touched; the tests check the result with SQLite's own `rtreecheck()`.

use crate::error::{Result, StoreError};
use rusqlite::{params, Connection};

/// One entry: rowid (or child node) and box (min_lon, max_lon, min_lat, max_lat) in R*Tree units.
type Entry = (i64, [i64; 4]);

/// Bytes of a cell: rowid and four 32-bit coordinates.
const CELL: usize = 8 + 4 * 4;

/// Replaces the whole content of `sites_rtree` by `entries`.
pub(crate) fn rebuild(conn: &Connection, mut entries: Vec<Entry>) -> Result<()> {
    let node_size: i64 = conn.query_row(
        "SELECT length(data) FROM sites_rtree_node WHERE nodeno = 1",
        [],
        |r| r.get(0),
    )?;
    let node_size = usize::try_from(node_size)
        .ok()
        .filter(|n| *n > 4 + CELL)
        .ok_or_else(|| StoreError::Data(format!("R*Tree node size {node_size}")))?;
    let fanout = (node_size - 4) / CELL;
    conn.execute_batch(
        "DELETE FROM sites_rtree_node; DELETE FROM sites_rtree_parent; \
         DELETE FROM sites_rtree_rowid;",
    )?;

    // Levels of nodes, leaves first; each node is a list of entries.
    let mut levels: Vec<Vec<Vec<Entry>>> = Vec::new();
    let mut level = pack(&mut entries, fanout);
    while level.len() > 1 {
        let mut boxes: Vec<Entry> = level
            .iter()
            .enumerate()
            .map(|(i, node)| (i64::try_from(i).unwrap_or(i64::MAX), union(node)))
            .collect();
        let upper = pack(&mut boxes, fanout);
        levels.push(level);
        level = upper;
    }
    levels.push(level);
    // Node numbers: the root is 1, then level by level from the top.
    let mut numbers: Vec<Vec<i64>> = vec![Vec::new(); levels.len()];
    let mut next = 1i64;
    for (l, nodes) in levels.iter().enumerate().rev() {
        numbers[l] = (next..next + nodes.len() as i64).collect();
        next += nodes.len() as i64;
    }
    let depth = levels.len() - 1;
    let mut node_st =
        conn.prepare("INSERT INTO sites_rtree_node (nodeno, data) VALUES (?1, ?2)")?;
    let mut parent_st =
        conn.prepare("INSERT INTO sites_rtree_parent (nodeno, parentnode) VALUES (?1, ?2)")?;
    let mut leaf_of: Vec<(i64, i64)> = Vec::with_capacity(entries.len());
    let mut blob = vec![0u8; node_size];
    for (l, nodes) in levels.iter().enumerate().rev() {
        for (i, node) in nodes.iter().enumerate() {
            let nodeno = numbers[l][i];
            blob.fill(0);
            if nodeno == 1 {
                blob[0..2].copy_from_slice(&u16::try_from(depth).unwrap_or(0).to_be_bytes());
            }
            blob[2..4].copy_from_slice(&u16::try_from(node.len()).unwrap_or(0).to_be_bytes());
            for (c, (id, b)) in node.iter().enumerate() {
                // Inner cells name their child by its position in the level below.
                let key = if l == 0 {
                    *id
                } else {
                    numbers[l - 1][usize::try_from(*id).unwrap_or(0)]
                };
                let at = 4 + c * CELL;
                blob[at..at + 8].copy_from_slice(&key.to_be_bytes());
                for (k, v) in b.iter().enumerate() {
                    let v = i32::try_from(*v)
                        .map_err(|_| StoreError::Data(format!("R*Tree coordinate {v}")))?;
                    blob[at + 8 + 4 * k..at + 12 + 4 * k].copy_from_slice(&v.to_be_bytes());
                }
                if l == 0 {
                    leaf_of.push((key, nodeno));
                } else {
                    parent_st.execute(params![key, nodeno])?;
                }
            }
            node_st.execute(params![nodeno, blob])?;
        }
    }
    // In key order: the rowid table grows at its end.
    leaf_of.sort_unstable();
    let mut rowid_st =
        conn.prepare("INSERT INTO sites_rtree_rowid (rowid, nodeno) VALUES (?1, ?2)")?;
    for (rowid, nodeno) in leaf_of {
        rowid_st.execute(params![rowid, nodeno])?;
    }
    Ok(())
}

/// The box around a node's entries.
fn union(node: &[Entry]) -> [i64; 4] {
    node.iter()
        .fold([i64::MAX, i64::MIN, i64::MAX, i64::MIN], |u, (_, b)| {
            [
                u[0].min(b[0]),
                u[1].max(b[1]),
                u[2].min(b[2]),
                u[3].max(b[3]),
            ]
        })
}

/// Sort-Tile-Recursive packing of `entries` into nodes of at most `fanout`: vertical slices by
/// the boxes' centre longitude, each cut into nodes by centre latitude. An empty input is one
/// empty node (the root of an empty tree).
fn pack(entries: &mut [Entry], fanout: usize) -> Vec<Vec<Entry>> {
    if entries.is_empty() {
        return vec![Vec::new()];
    }
    let nodes = entries.len().div_ceil(fanout);
    let slices = (nodes as f64).sqrt().ceil() as usize;
    let per_slice = slices * fanout;
    entries.sort_unstable_by_key(|(_, b)| b[0] + b[1]);
    let mut out = Vec::with_capacity(nodes);
    for slice in entries.chunks_mut(per_slice) {
        slice.sort_unstable_by_key(|(_, b)| b[2] + b[3]);
        out.extend(slice.chunks(fanout).map(<[Entry]>::to_vec));
    }
    out
}
