//! Creates a database for benchmarks: the embedded default dataset plus `N` synthetic sites
//! (`atlas_store::synth::sites(N, SEED)`, ids `synth-0000000`…).
//!
//! ```text
//! cargo run --release -p atlas-store --example synth_db -- PATH N [SEED]
//! ```
//!
//! `PATH` must not exist yet (the example refuses to touch an existing file).

use atlas_store::Store;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(path), Some(n)) = (args.first(), args.get(1)) else {
        eprintln!("usage: synth_db PATH N [SEED]");
        return ExitCode::from(2);
    };
    let path = PathBuf::from(path);
    let Ok(n) = n.parse::<usize>() else {
        eprintln!("N must be a whole number, got '{n}'");
        return ExitCode::from(2);
    };
    let seed = match args.get(2).map(|s| s.parse::<u64>()) {
        None => 42,
        Some(Ok(s)) => s,
        Some(Err(_)) => {
            eprintln!("SEED must be a whole number");
            return ExitCode::from(2);
        }
    };
    if path.exists() {
        eprintln!("{} exists; give a new path", path.display());
        return ExitCode::from(2);
    }
    let started = Instant::now();
    let result = (|| -> atlas_store::Result<u64> {
        let mut store = Store::open(&path)?;
        let today = chrono::Local::now().date_naive();
        store.load_default(today)?;
        let sites = atlas_store::synth::sites(n, seed);
        store.import_sites(&sites)?;
        store.count(&atlas_core::SiteFilter::default())
    })();
    match result {
        Ok(total) => {
            println!(
                "{}: {total} sites ({n} synthetic, seed {seed}) in {:.1} s",
                path.display(),
                started.elapsed().as_secs_f64()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("creating {}: {e}", path.display());
            ExitCode::FAILURE
        }
    }
}
