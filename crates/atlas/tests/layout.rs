//! The layout's invariants (ARCHITECTURE.md, "Invariants"), read from the source files:
//! - `server/` never imports `cli/`; `cli/` reaches the server only to start it (`atlas serve`)
//!   or to render its public GETs (`atlas publish`), through the names in
//!   [`CLI_MAY_USE_OF_SERVER`];
//! - core knows no SQL, HTTP, async or file system;
//! - the store knows no HTTP wording (its errors do not name query parameters).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

/// What `cli/` may use of `crate::server`: the serve command's entry point and its settings,
/// and publish's (the server's public GETs answered in-process: `render` and its `Ask`).
const CLI_MAY_USE_OF_SERVER: [&str; 5] = [
    "crate::server::serve",
    "crate::server::ServerConfig",
    "crate::server::Limits",
    "crate::server::assets::Basemap",
    "crate::server::snapshot",
];

/// Words core's code must not contain (SQL, HTTP, async runtime, file system).
const NOT_IN_CORE: [&str; 4] = ["rusqlite", "axum", "tokio", "std::fs"];

fn manifest() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A sibling crate's `src`, whichever of its names the workspace uses.
fn crate_src(names: &[&str]) -> PathBuf {
    let crates = manifest().join("..");
    names
        .iter()
        .map(|n| crates.join(n).join("src"))
        .find(|p| p.is_dir())
        .unwrap_or_else(|| panic!("none of {names:?} under {}", crates.display()))
}

/// Every `.rs` file under `dir` with its text.
fn sources(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                todo.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                let text = std::fs::read_to_string(&p).unwrap();
                out.push((p, text));
            }
        }
    }
    assert!(!out.is_empty(), "no sources under {}", dir.display());
    out
}

/// The code of a file without its comments (`//` to the end of the line).
fn code_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines().enumerate().filter_map(|(i, l)| {
        let code = l.split("//").next().unwrap_or_default();
        (!code.trim().is_empty()).then_some((i + 1, code))
    })
}

/// The full paths starting with `prefix` in `line` (`crate::server::assets::Basemap::from`
/// gives `crate::server::assets::Basemap::from`).
fn paths_from<'a>(line: &'a str, prefix: &str) -> Vec<&'a str> {
    line.match_indices(prefix)
        .map(|(i, _)| {
            let rest = &line[i..];
            let end = rest
                .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
                .unwrap_or(rest.len());
            rest[..end].trim_end_matches(':')
        })
        .collect()
}

#[test]
fn the_server_never_imports_the_cli() {
    for (path, text) in sources(&manifest().join("src/server")) {
        for (n, line) in code_lines(&text) {
            assert!(
                !line.contains("crate::cli"),
                "{}:{n} reaches into the CLI: {line}",
                path.display()
            );
        }
    }
}

#[test]
fn the_cli_uses_the_server_only_to_serve_or_publish() {
    for (path, text) in sources(&manifest().join("src/cli")) {
        for (n, line) in code_lines(&text) {
            assert!(
                !line.contains("use crate::server"),
                "{}:{n}: name the server's items in full where the serve command uses them",
                path.display()
            );
            for used in paths_from(line, "crate::server") {
                assert!(
                    CLI_MAY_USE_OF_SERVER
                        .iter()
                        .any(|ok| used == *ok || used.starts_with(&format!("{ok}::"))),
                    "{}:{n} uses {used}; the CLI may use only {CLI_MAY_USE_OF_SERVER:?}",
                    path.display()
                );
            }
        }
    }
}

#[test]
fn core_knows_no_sql_http_async_or_file_system() {
    for (path, text) in sources(&crate_src(&["core", "atlas-core"])) {
        for (n, line) in code_lines(&text) {
            for word in NOT_IN_CORE {
                assert!(
                    !line.contains(word),
                    "{}:{n} uses {word}: {line}",
                    path.display()
                );
            }
        }
    }
}

#[test]
fn the_store_knows_no_http_wording() {
    for (path, text) in sources(&crate_src(&["store", "atlas-store"])) {
        for (n, line) in code_lines(&text) {
            assert!(
                !line.contains("parameter '"),
                "{}:{n} writes HTTP wording: {line}",
                path.display()
            );
        }
    }
}

/// The files that may serve the URL space `segment` (the first segment after `/api/v1/`):
/// the file named after it, and for `/sites` its writes and revisions.
fn files_of(segment: &str) -> Vec<&str> {
    match segment {
        "sites" => vec!["sites", "edit", "history"],
        "deleted" | "stale" => vec!["history"],
        "auth" => vec!["users"],
        "boundary" => vec!["divisions"],
        "openapi.json" => vec!["openapi"],
        other => vec![other],
    }
}

#[test]
fn every_api_route_is_in_the_file_of_its_url_space() {
    let mut routes = 0;
    for (path, text) in sources(&manifest().join("src/server/api")) {
        let file = path.file_stem().unwrap().to_str().unwrap().to_string();
        for (i, _) in text.match_indices("path = \"/api/v1/") {
            let route = &text[i + "path = \"".len()..];
            let route = &route[..route.find('"').unwrap()];
            let segment = route["/api/v1/".len()..].split('/').next().unwrap();
            assert!(
                files_of(segment).contains(&file.as_str()),
                "{route} is documented in {file}.rs; its URL space lives in {:?}",
                files_of(segment)
            );
            routes += 1;
        }
    }
    assert!(routes > 30, "only {routes} documented routes found");
}
