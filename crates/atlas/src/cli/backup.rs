//! `atlas backup FILE`: SQLite's online backup.
//!
//! A backup is consistent while a server keeps serving and writing (one snapshot of one
//! commit), checked, and written under a temporary name first; an existing FILE is kept
//! unless `--force`.

use anyhow::{bail, Context as _, Result};
use atlas_core::SiteFilter;
use std::path::Path;
use std::process::ExitCode;

/// Copies the database `db` to `file`.
pub fn run(db: &Path, file: &Path, force: bool) -> Result<ExitCode> {
    if file.exists() && !force {
        bail!(
            "{} already exists; choose another name or pass --force to replace it (文件已存在)",
            file.display()
        );
    }
    let store = super::open_existing(db)?;
    store.backup_to(file).with_context(|| {
        format!(
            "备份未完成 backing up {} to {} failed (the database is untouched, no partial \
                 backup is left)",
            db.display(),
            file.display()
        )
    })?;
    let copy = atlas_store::Store::open_readonly(file)
        .with_context(|| format!("opening the backup {}", file.display()))?;
    let sites = copy.count(&SiteFilter::default())?;
    let revisions = copy.revision_count()?;
    let bytes = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
    println!(
        "已备份 backed up {} → {}: {sites} 个站点 sites, {revisions} 条修改记录 revisions, {:.1} MB \
         (integrity checked)",
        db.display(),
        file.display(),
        bytes as f64 / 1e6
    );
    Ok(ExitCode::SUCCESS)
}
