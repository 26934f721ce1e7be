//! What an export is of, for its file name and title.

use atlas_core::{Labelled, SiteFilter};

/// What an export is of, for its file name: the single category/kind/chain chosen, if any.
pub fn export_label(f: &SiteFilter) -> String {
    match (f.category.as_slice(), f.kind.as_slice(), f.chain.as_slice()) {
        (_, [k], _) => k.zh().to_string(),
        ([c], _, _) => c.zh().to_string(),
        (_, _, [ch]) => ch.to_string(),
        _ => String::new(),
    }
}
