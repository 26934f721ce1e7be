//! # atlas-web: the `atlas` binary's library half
//!
//! - [`cli`]: clap subcommands (`init`, `import`, `export`, `list`, `check`, `serve`,
//!   `chain-report`, `import-chains`, `user`, `history`, `backup`, `restore`).
//! - [`auth`]: bearer tokens (`NAME.SECRET`, argon2 hashes), shared by `atlas user` and the
//!   server.
//! - [`reports`]: the chain report, progress board and site matching, shared by both.
//! - [`server`]: the axum map server — thin handlers over `atlas-store`, one error type
//!   ([`server::error::ApiError`]), a small pool of SQLite connections used only from
//!   blocking threads ([`server::db::Db`]).

pub mod auth;
pub mod cli;
pub mod reports;
pub mod server;
