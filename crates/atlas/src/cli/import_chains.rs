//! `atlas import-chains FILE [--dry-run]`: replace the chains and links with a file's (chains
//! are data); refused, with the list, when sites still use one the file lacks.

use anyhow::{Context as _, Result};
use atlas_core::ChainCatalog;
use clap::Args;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// `atlas import-chains`.
#[derive(Debug, Args)]
pub struct ImportChainsArgs {
    /// CSV with the columns of data/chains.csv (chain_id, chain_order, chain_name_zh,
    /// chain_name_en, link_id, link_order, link_name_zh, link_name_en, link_description_zh,
    /// source); UTF-8.
    pub file: PathBuf,
    /// Validate and report only; write nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// `atlas import-chains FILE`.
pub fn run(db: &Path, args: &ImportChainsArgs) -> Result<ExitCode> {
    let (name, text) = super::read_utf8(&args.file, "chains (链)")?;
    let catalog = ChainCatalog::parse_csv(&text).with_context(|| name.clone())?;
    let mut store = super::open_existing(db)?;
    let r = if args.dry_run {
        store.check_chains(&catalog)
    } else {
        store.replace_chains(&catalog)
    }
    .with_context(|| format!("importing {name} (导入产业链)"))?;
    println!(
        "{}: {} 条产业链 chains, {} 个环节 links{}",
        if args.dry_run {
            "试运行 dry run"
        } else {
            "已导入 imported"
        },
        r.chains,
        r.links,
        if args.dry_run {
            "; nothing written"
        } else {
            ""
        }
    );
    for (what, list) in [
        ("新增产业链 added chains", &r.added_chains),
        ("删除产业链 removed chains", &r.removed_chains),
        ("新增环节 added links", &r.added_links),
        ("删除环节 removed links", &r.removed_links),
    ] {
        if !list.is_empty() {
            println!("  {what}: {}", list.join(", "));
        }
    }
    Ok(ExitCode::SUCCESS)
}
