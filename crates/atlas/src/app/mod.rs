//! What both front doors — the command line ([`crate::cli`]) and the map server
//! ([`crate::server`]) — share. Neither of them imports the other; both import this.
//!
//! - [`clock`]: the process's one clock (China time; fixed by `ATLAS_NOW` for tests).
//! - [`labels`]: what an export or report is of, for its file name.
//! - [`reports`]: the chain report, the progress board and site matching, fed from the store.
//! - [`tokens`]: bearer tokens (`NAME.SECRET`, argon2 hashes).
//! - [`web`]: the map page's files, embedded.
//! - [`publish`]: the static copy of the map (`atlas publish`).

pub mod clock;
pub mod labels;
pub mod publish;
pub mod reports;
pub mod tokens;
pub mod web;
