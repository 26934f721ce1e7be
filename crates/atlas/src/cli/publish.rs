//! `atlas publish OUT_DIR [filter] [--base-path …] [--title …] [--check]`: the map as a static
//! site (see [`crate::app::publish`]). The catalogue, or the sites of a filter (`--scope local`),
//! is published from a copy holding only those sites, so every document, count, analysis and
//! download of the publication is of exactly the published sites.
//!
//! The folder is built beside `OUT_DIR` (`OUT_DIR.publishing`) and then put in its place; an
//! `OUT_DIR` that is not empty must be an earlier publication (it holds `manifest.json`).
//! `--check` builds the publication the same way and reports what changed against `OUT_DIR`,
//! leaving it untouched.

use super::args::FilterArgs;
use crate::app::publish::{self, manifest, Options};
use anyhow::{bail, Context as _, Result};
use atlas_core::SiteFilter;
use atlas_store::Store;
use clap::Args;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// `atlas publish`.
#[derive(Debug, Args)]
pub struct PublishArgs {
    /// The folder to write (created, or replaced when it holds an earlier publication).
    pub out: PathBuf,
    /// Where the folder will be hosted, e.g. /kjcx/atlas/ (for the about page; every URL of
    /// the publication is relative, so it works under any path).
    #[arg(long, default_value = "/")]
    pub base_path: String,
    /// The title of the published map (default: the plan's map title).
    #[arg(long)]
    pub title: Option<String>,
    /// Report what changed since the publication in OUT_DIR; write nothing.
    #[arg(long)]
    pub check: bool,
    #[command(flatten)]
    pub filter: FilterArgs,
}

/// The working folder beside `out`.
fn staging_of(out: &Path) -> PathBuf {
    let mut name = out.file_name().unwrap_or_default().to_os_string();
    name.push(".publishing");
    out.with_file_name(name)
}

/// A database holding the sites of `filter` and the reference data of `src`, at `path`.
fn filtered_copy(src: &Store, filter: &SiteFilter, path: &Path) -> Result<()> {
    let sites = src.query(filter)?;
    if sites.is_empty() {
        bail!("the filter matches no site: nothing to publish (筛选结果为空)");
    }
    let mut copy = Store::open(path).with_context(|| format!("creating {}", path.display()))?;
    copy.set_clock(crate::app::clock::current());
    copy.replace_reference(&src.reference()?)?;
    copy.import_sites_by(&sites, "publish", false)?;
    copy.close_checkpointed()?;
    Ok(())
}

/// Builds the publication of `db` (the sites of `args`' filter) in `staging/site`.
fn build(db: &Path, args: &PublishArgs, staging: &Path) -> Result<publish::Summary> {
    let src = super::open_existing(db)?;
    let mut filter = args.filter.to_filter()?;
    src.validate_filter(&filter)?;
    filter.limit = None;
    if staging.exists() {
        std::fs::remove_dir_all(staging)
            .with_context(|| format!("removing {}", staging.display()))?;
    }
    let site = staging.join("site");
    std::fs::create_dir_all(&site).with_context(|| format!("creating {}", site.display()))?;
    let published = if args.filter.pairs().is_empty() {
        db.to_path_buf()
    } else {
        let copy = staging.join("published.db");
        filtered_copy(&src, &filter, &copy)?;
        copy
    };
    drop(src);
    let store = Store::open_readonly(&published)?;
    let asks: Vec<crate::server::snapshot::Ask> = publish::documents(&store)?
        .into_iter()
        .map(|d| crate::server::snapshot::Ask {
            get: d.get,
            file: d.file.map(|f| site.join(f)),
        })
        .collect();
    let clock = crate::app::clock::current();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the runtime")?;
    let pages = rt.block_on(crate::server::snapshot::render(&published, clock, &asks))?;
    let opts = Options {
        title: args.title.clone(),
        base_path: args.base_path.clone(),
        filter_query: args
            .filter
            .pairs()
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&"),
    };
    Ok(publish::write(
        &store,
        &site,
        &opts,
        &pages,
        clock.now_china(),
    )?)
}

/// `OUT_DIR` may be replaced: missing, empty, or an earlier publication.
fn replaceable(out: &Path) -> Result<()> {
    if !out.exists() {
        return Ok(());
    }
    let empty = std::fs::read_dir(out)
        .with_context(|| format!("reading {}", out.display()))?
        .next()
        .is_none();
    if empty || manifest::read(out)?.is_some() {
        return Ok(());
    }
    bail!(
        "{} is not empty and holds no earlier publication (no {}); choose another folder",
        out.display(),
        manifest::FILE
    )
}

fn print_changes(c: &manifest::Changes) {
    for (what, list) in [("+", &c.added), ("-", &c.removed), ("~", &c.changed)] {
        for f in list {
            println!("{what} {f}");
        }
    }
    println!(
        "站点 sites: {} → {}; 文件 files: {} added, {} removed, {} changed",
        c.sites.0,
        c.sites.1,
        c.added.len(),
        c.removed.len(),
        c.changed.len()
    );
}

pub fn run(db: &Path, args: &PublishArgs) -> Result<ExitCode> {
    let out = &args.out;
    let staging = staging_of(out);
    if args.check {
        let Some(old) = manifest::read(out)? else {
            bail!(
                "{} holds no publication ({} missing)",
                out.display(),
                manifest::FILE
            );
        };
        let summary = build(db, args, &staging)?;
        let new = manifest::scan(&staging.join("site"), summary.sites)?;
        std::fs::remove_dir_all(&staging).ok();
        let changes = manifest::diff(&old, &new);
        print_changes(&changes);
        return Ok(if changes.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        });
    }
    replaceable(out)?;
    let summary = build(db, args, &staging)?;
    if out.exists() {
        std::fs::remove_dir_all(out).with_context(|| format!("removing {}", out.display()))?;
    }
    std::fs::rename(staging.join("site"), out)
        .with_context(|| format!("moving the publication to {}", out.display()))?;
    std::fs::remove_dir_all(&staging).ok();
    eprintln!(
        "已发布 published {} 个站点 sites ({} located, {} tiles, {} files) → {}",
        summary.sites,
        summary.located,
        summary.tiles,
        summary.files,
        out.display()
    );
    Ok(ExitCode::SUCCESS)
}
