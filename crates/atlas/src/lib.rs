//! # atlas: the `atlas` binary's library half
//!
//! - [`app`]: what both front doors share — the one clock, export labels, the chain report,
//!   progress board and site matching, bearer tokens.
//! - [`cli`]: clap subcommands (`init`, `import`, `export`, `list`, `check`, `serve`,
//!   `chain-report`, `import-chains`, `user`, `history`, `backup`, `restore`).
//! - [`server`]: the axum map server — thin handlers over `atlas-store`, one error type
//!   ([`server::error::ApiError`]), a small pool of SQLite connections used only from
//!   blocking threads ([`server::db::Db`]).
//!
//! `cli` and `server` never import each other: `atlas serve` (in `cli`) starts the server
//! through its public [`server::serve`], `atlas publish` has the API's public GETs answered by
//! [`server::snapshot::render`], and the server takes nothing from the command line.

pub mod app;
pub mod cli;
pub mod server;
