#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The `/api/v1` routes over real HTTP: every test starts its own server on port 0 with its own
//! temporary database ([`helpers::spawn_app`]) and talks to it with `reqwest`.
//! `TEST_LOG=1 cargo test -p atlas --test api` shows the server's request log.

mod analysis;
mod auth;
mod caching;
mod catalog;
mod clients;
mod cql;
mod edit;
mod errors;
mod export;
mod faults;
mod fuzz;
mod helpers;
mod matching;
mod printing;
mod progress;
mod security;
mod sites;
mod tiles;
mod upload;
