//! # atlas-web: the `atlas` binary's library half
//!
//! - [`cli`]: clap subcommands (`init`, `import`, `export`, `list`, `check`, `serve`,
//!   `chain-report`, `import-chains`).
//! - [`reports`]: the chain report, progress board and site matching, shared by both.
//! - [`server`]: the axum map server — thin handlers over `atlas-store`, one error type
//!   ([`server::error::ApiError`]), a small pool of SQLite connections used only from
//!   blocking threads ([`server::db::Db`]).

pub mod cli;
pub mod reports;
pub mod server;
