//! `atlas restore FILE`: checks FILE (`PRAGMA integrity_check`, the atlas tables, a schema
//! version this program knows), keeps the current database as `DB.before-restore-TIMESTAMP`
//! (an online backup), then copies FILE into the database in one transaction and migrates it.
//! A running server sees the restored data at its next request.

use anyhow::{bail, Context as _, Result};
use atlas_core::SiteFilter;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// `DB.before-restore-YYYYMMDDTHHMMSSZ`.
fn before_restore_name(db: &Path) -> PathBuf {
    let stamp = crate::app::clock::current().now().format("%Y%m%dT%H%M%SZ");
    let mut name = db.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(format!(".before-restore-{stamp}"));
    db.with_file_name(name)
}

/// Replaces the database `db` with the backup `file`.
pub fn run(db: &Path, file: &Path) -> Result<ExitCode> {
    let version = atlas_store::check_database(file)?;
    if db.exists() {
        let same = match (db.canonicalize(), file.canonicalize()) {
            (Ok(a), Ok(b)) => a == b,
            _ => false,
        };
        if same {
            bail!("{} is the database itself", file.display());
        }
    }
    let existed = db.exists();
    let mut store =
        atlas_store::Store::open(db).with_context(|| format!("opening {}", db.display()))?;
    store.set_clock(crate::app::clock::current());
    if existed {
        let keep = before_restore_name(db);
        store
            .backup_to(&keep)
            .with_context(|| format!("keeping the current database as {}", keep.display()))?;
        println!(
            "当前数据库已保存 the current database is kept as {}",
            keep.display()
        );
    }
    store
        .restore_from(file)
        .with_context(|| format!("restoring {}", file.display()))?;
    let sites = store.count(&SiteFilter::default())?;
    println!(
        "已恢复 restored {} from {} (schema version {version}): {sites} 个站点 sites",
        db.display(),
        file.display()
    );
    Ok(ExitCode::SUCCESS)
}
