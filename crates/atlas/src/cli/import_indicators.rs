//! `atlas import-indicators FILE [--dry-run]`: replace the plan's indicators (atomic).

use anyhow::{Context as _, Result};
use clap::Args;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// `atlas import-indicators`.
#[derive(Debug, Args)]
pub struct ImportIndicatorsArgs {
    /// CSV with the columns of data/indicators.csv; UTF-8.
    pub file: PathBuf,
    /// Validate and report only; write nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// `atlas import-indicators FILE [--dry-run]`: replaces the plan's indicators (atomic).
pub fn run(db: &Path, args: &ImportIndicatorsArgs) -> Result<ExitCode> {
    let (name, text) = super::read_utf8(&args.file, "indicators (指标)")?;
    let list = atlas_core::reference::parse_indicators(&text).with_context(|| name.clone())?;
    let mut store = super::open_existing(db)?;
    let n = if args.dry_run {
        store.check_indicators(&list)
    } else {
        store.replace_indicators(&list)
    }
    .with_context(|| format!("importing {name} (导入规划指标)"))?;
    let ids: Vec<&str> = list.iter().map(|i| i.id.as_str()).collect();
    if args.dry_run {
        println!(
            "试运行 dry run: {n} 项指标 indicators ({}); nothing written",
            ids.join(", ")
        );
    } else {
        println!(
            "已导入 imported: {n} 项指标 indicators ({})",
            ids.join(", ")
        );
    }
    Ok(ExitCode::SUCCESS)
}
