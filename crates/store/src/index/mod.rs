//! What the store keeps beside the rows to answer reads fast, and how a read chooses its path:
//!
//! - [`listing`]: the in-memory list index (pages and counts of filters without a search);
//! - [`cells`]: its located sites in cell-address order (the sites of a vector tile);
//! - [`shared`]: one list index and one copy of the interned values for a whole process,
//!   shared by its connections, built in the background and moved along by single-site edits;
//! - [`dicts`]: the interned facet combinations and chain sets with their site counts;
//! - [`plan`]: which index drives a query (the one place a read's strategy is chosen);
//! - [`rtree`]: the R*Tree packed at once by a bulk import;
//! - [`search`]: the full-text tokens for Chinese and English;
//! - [`stored`]: the list index stored in the database, read at start instead of a scan.

pub(crate) mod cells;
pub(crate) mod dicts;
pub(crate) mod listing;
pub(crate) mod plan;
pub(crate) mod rtree;
pub(crate) mod search;
pub(crate) mod shared;
pub(crate) mod stored;
