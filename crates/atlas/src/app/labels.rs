//! What an export is of, for its file name and title.

use atlas_core::export::{filter_label, FilterLabel};
use atlas_core::{Context, SiteFilter};

/// What an export is of, for its file name: the filter's category, kind, chain, link, township,
/// search … in words ([`filter_label`]; empty for everything).
pub fn export_label(f: &SiteFilter, ctx: &Context<'_>) -> FilterLabel {
    let pairs: Vec<(String, String)> = f
        .to_pairs()
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    filter_label(&pairs, ctx)
}
