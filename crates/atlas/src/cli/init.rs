//! `atlas init [--force]`: a new database holding the default Maonan dataset.

use anyhow::{bail, Context as _, Result};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

pub fn run(db: &Path, force: bool) -> Result<ExitCode> {
    if db.exists() {
        if !force {
            bail!(
                "{} already exists; use --force to replace it (数据库已存在，使用 --force 覆盖)",
                db.display()
            );
        }
        for suffix in ["", "-wal", "-shm"] {
            let p = PathBuf::from(format!("{}{suffix}", db.display()));
            if p.exists() {
                std::fs::remove_file(&p).with_context(|| format!("removing {}", p.display()))?;
            }
        }
    }
    let mut store =
        atlas_store::Store::open(db).with_context(|| format!("creating {}", db.display()))?;
    store.set_clock(crate::app::clock::current());
    let report = store
        .load_default(crate::app::clock::current().today())
        .context("loading the default dataset")?;
    println!(
        "已创建 created {}: {} 个站点 sites (默认数据集：茂南区 default Maonan dataset)",
        db.display(),
        report.inserted + report.updated + report.unchanged
    );
    Ok(ExitCode::SUCCESS)
}
