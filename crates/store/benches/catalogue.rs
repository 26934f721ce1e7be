//! Catalogue benchmark: import, bbox+chain query, short and long Chinese search, facets, at
//! 10k / 100k / 1M deterministic synthetic sites (no RNG: figures are comparable across runs).
//!
//! Two bbox+chain boxes: the *dense* one (about 1/25 of the district around the city centre; it
//! holds the township seats where a fifth of the synthetic sites sit; a twentieth have no
//! location) and a *viewport* (4 km square in the west, no township seat, ~1.2%).
//! Facets are timed on the first call after the import (nothing cached) and as the median of
//! later calls (the interned counts are then in memory).
//!
//! `cargo bench -p atlas-store --bench catalogue` (sizes: `ATLAS_BENCH_SIZES=10000,100000`).
//! Prints a Markdown table (copied into BENCHMARKS.md) and writes it to `target/bench-catalogue.md`.
//! Targets at 1M sites on the 2-core machine: import ≤ 20 s, bbox+chain ≤ 5 ms, 2-character
//! search ≤ 100 ms, 4-character ≤ 20 ms, facets ≤ 200 ms.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use atlas_core::{Labelled, SiteFilter};
use atlas_store::{synth, Store};
use std::time::{Duration, Instant};

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn time<T>(runs: usize, mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut last = None;
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        let out = f();
        times.push(t.elapsed());
        last = Some(out);
    }
    (median(times), last.expect("at least one run"))
}

fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .map(|l| l.to_string())
        })
        .and_then(|l| {
            l.split_whitespace()
                .nth(1)
                .and_then(|k| k.parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN)
}

fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1000.0)
}

fn main() {
    // `cargo bench` passes `--bench`; ignore arguments.
    let sizes: Vec<usize> = std::env::var("ATLAS_BENCH_SIZES")
        .unwrap_or_else(|_| "10000,100000,1000000".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 26).unwrap();
    let mut out = String::new();
    out.push_str("| sites | import (s) | list index, first page (ms) | list index scan (ms) | bbox+chain dense, 1000 rows (ms) | dense, 100 rows (ms) | bbox+chain viewport (ms) | viewport, 100 rows (ms) | search 石化 (ms) | search 罗非鱼苗 (ms) | search petro (ms) | facets first call (ms) | facets (ms) | facets+chain (ms) | facets+town (ms) | chain_counts (ms) | chain_counts+scope (ms) | db (MB) | peak RSS (MB) |\n");
    out.push_str("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for n in sizes {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bench.db");
        let mut store = Store::open(&path).unwrap();
        store.load_default(today).unwrap();
        let sites = synth::sites(n, 42);
        let t = Instant::now();
        let report = store.import_sites(&sites).unwrap();
        let import = t.elapsed();
        assert_eq!(report.inserted as usize, n);
        // Facets on the first call after the import: nothing of the store is cached yet. (Before
        // dropping the sites: the allocator's clean-up of a million records is not the store's.)
        let t = Instant::now();
        store.facets(&SiteFilter::default()).unwrap();
        let t_facets_first = t.elapsed();
        let first_id = sites[0].id.clone();
        drop(sites);
        // As a server starting on the file: a connection of its own (the last one closing
        // checkpointed the import's write-ahead log into the file).
        drop(store);
        let mut store = Store::open(&path).unwrap();

        let q = |s: &str| SiteFilter::parse_query(s).unwrap();
        // A page and the number of all matches, as the API and the map ask for them (the API's
        // `Store::page_ref`: each row decoded into one reused site).
        let page = |f: &SiteFilter| {
            let mut rows = 0_usize;
            let matched = store
                .page_ref(f, |_| {
                    rows += 1;
                    Ok::<(), atlas_store::StoreError>(())
                })
                .unwrap();
            (rows, matched)
        };
        // The first page reads the in-memory list index: from the copy the import stored (from
        // 20,000 sites on), else by a scan of the sites.
        let t = Instant::now();
        page(&q("chain=petrochemical&limit=1"));
        let t_index = t.elapsed();

        // A box of about 1/25 of the district around the city centre, plus a chain.
        let bbox_chain = q("bbox=110.86,21.64,110.92,21.70&chain=petrochemical&limit=1000");
        let (t_bbox, (rows, _)) = time(21, || page(&bbox_chain));
        let (t_bbox100, _) = time(21, || {
            page(&q(
                "bbox=110.86,21.64,110.92,21.70&chain=petrochemical&limit=100",
            ))
        });
        // A map viewport away from the fallback points, plus a chain.
        let viewport = q("bbox=110.76,21.70,110.80,21.74&chain=petrochemical&limit=1000");
        let (t_view, (view_rows, _)) = time(21, || page(&viewport));
        let (t_view100, _) = time(21, || {
            page(&q(
                "bbox=110.76,21.70,110.80,21.74&chain=petrochemical&limit=100",
            ))
        });
        let short = q("q=石化&limit=100");
        let (t_short, _) = time(11, || {
            (
                store.query(&short).unwrap().len(),
                store.count(&short).unwrap(),
            )
        });
        let long = q("q=罗非鱼苗&limit=100");
        let (t_long, _) = time(11, || {
            (
                store.query(&long).unwrap().len(),
                store.count(&long).unwrap(),
            )
        });
        let latin = q("q=petro&limit=100");
        let (t_latin, _) = time(11, || store.query(&latin).unwrap().len());
        let (t_facets, _) = time(5, || store.facets(&SiteFilter::default()).unwrap());
        let (t_facets_chain, _) = time(5, || store.facets(&q("chain=petrochemical")).unwrap());
        let (t_facets_town, _) = time(5, || store.facets(&q("town=440902100")).unwrap());
        let (t_chains, _) = time(5, || store.chain_counts(&SiteFilter::default()).unwrap());
        let (t_chains_scope, _) = time(5, || store.chain_counts(&q("scope=local")).unwrap());
        // An edit leaves the stored copy behind: the next page scans the sites.
        let mut edited = store.get(&first_id).unwrap().unwrap();
        edited.status = *atlas_core::Status::ALL
            .iter()
            .find(|s| **s != edited.status)
            .unwrap();
        store
            .update_site(&edited, None, "bench", atlas_store::Action::Update)
            .unwrap();
        let t = Instant::now();
        store
            .page_ref(&q("chain=petrochemical&limit=1"), |_| {
                Ok::<(), atlas_store::StoreError>(())
            })
            .unwrap();
        let t_scan = t.elapsed();
        let db_mb = std::fs::metadata(&path)
            .map(|m| m.len() as f64 / 1e6)
            .unwrap_or(f64::NAN)
            + std::fs::metadata(path.with_extension("db-wal"))
                .map(|m| m.len() as f64 / 1e6)
                .unwrap_or(0.0);
        let line = format!(
            "| {n} | {:.2} | {} | {} | {} ({rows} rows) | {} | {} ({view_rows} rows) | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {:.0} | {:.0} |\n",
            import.as_secs_f64(),
            ms(t_index),
            ms(t_scan),
            ms(t_bbox),
            ms(t_bbox100),
            ms(t_view),
            ms(t_view100),
            ms(t_short),
            ms(t_long),
            ms(t_latin),
            ms(t_facets_first),
            ms(t_facets),
            ms(t_facets_chain),
            ms(t_facets_town),
            ms(t_chains),
            ms(t_chains_scope),
            db_mb,
            peak_rss_mb()
        );
        eprint!("{line}");
        out.push_str(&line);
    }
    println!("{out}");
    let target =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/bench-catalogue.md");
    let _ = std::fs::write(target, &out);
}
