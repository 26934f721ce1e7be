//! The map page's files (`web/`: HTML, ES modules, CSS, the style JSON and the vendored
//! libraries), embedded in the binary with `rust-embed` (read from disk in debug builds): the
//! server serves them ([`crate::server::assets`]) and `atlas publish` copies them.

use rust_embed::RustEmbed;

/// The page's files, embedded at build time.
#[derive(RustEmbed)]
#[folder = "../../web/"]
#[exclude = "*.map"]
pub struct Web;
