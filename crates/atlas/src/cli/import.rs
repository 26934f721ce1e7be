//! `atlas import`: validate a file, print the row report, write all rows or none (or skip invalid).
//! Each written row gets a revision by `cli:$USER` (see `atlas history ID`).

use super::args::CrsArg;
use anyhow::{bail, Context as _, Result};
use atlas_core::import::{parse_sites, FileFormat};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use std::path::Path;
use std::path::PathBuf;
use std::process::ExitCode;

/// `atlas import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// CSV (UTF-8 or GBK), XLSX or GeoJSON file.
    pub file: PathBuf,
    /// CRS of rows whose `crs` (坐标系) cell is empty; default wgs84.
    #[arg(long, value_enum)]
    pub crs: Option<CrsArg>,
    /// Validate and report only; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Import the valid rows and skip the invalid ones (otherwise any invalid row aborts the import).
    #[arg(long)]
    pub skip_invalid: bool,
}

/// Rows above which a progress bar is shown.
const PROGRESS_THRESHOLD: usize = 2000;

pub fn run(db: &Path, args: &ImportArgs) -> Result<ExitCode> {
    let name = args.file.display().to_string();
    let format = FileFormat::from_name(&name).with_context(|| {
        format!("{name}: unknown file type; use .csv, .xlsx or .geojson (文件类型不支持)")
    })?;
    let bytes = std::fs::read(&args.file).with_context(|| format!("reading {name}"))?;
    let mut store = super::open_existing(db)?;
    let reference = store.reference()?;
    let ctx = reference.context(crate::app::clock::current().today());
    let parsed = parse_sites(&bytes, format, &ctx, args.crs.map(Into::into))
        .with_context(|| name.clone())?;

    println!(
        "文件 file: {name} ({}), {} 行 rows",
        parsed.encoding, parsed.rows
    );
    if !parsed.ignored_headers.is_empty() {
        println!(
            "忽略的列 ignored columns: {}",
            parsed.ignored_headers.join(", ")
        );
    }
    for e in &parsed.errors {
        println!("  ✗ {e}");
    }
    for n in &parsed.notes {
        let id = n.id.as_deref().unwrap_or("");
        println!("  · line {} {id}: {}", n.line, n.message);
    }
    let invalid = parsed.invalid_rows();
    println!(
        "有效 valid: {}, 无效 invalid: {invalid}",
        parsed.sites.len()
    );

    if invalid > 0 && !args.skip_invalid {
        if args.dry_run {
            println!("试运行 dry run: nothing written.");
            return Ok(ExitCode::from(2));
        }
        bail!("{invalid} invalid row(s); nothing was written. Fix them, or pass --skip-invalid to import only the valid rows (存在无效行，未写入任何数据)");
    }
    if args.dry_run {
        println!("试运行 dry run: nothing written.");
        return Ok(if invalid > 0 {
            ExitCode::from(2)
        } else {
            ExitCode::SUCCESS
        });
    }
    let sites: Vec<_> = parsed.sites.into_iter().map(|(_, s)| s).collect();
    let bar = (sites.len() > PROGRESS_THRESHOLD).then(|| {
        let b = ProgressBar::new_spinner();
        b.set_style(
            ProgressStyle::with_template("{spinner} {msg} [{elapsed}]")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        b.set_message(format!("写入 writing {} sites", sites.len()));
        b.enable_steady_tick(std::time::Duration::from_millis(120));
        b
    });
    let mut report = store.import_sites_by(&sites, &super::cli_who(), false)?;
    report.skipped = invalid;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    println!(
        "已导入 imported: {} 新增 inserted, {} 更新 updated, {} 未变 unchanged, {} 跳过 skipped",
        report.inserted, report.updated, report.unchanged, report.skipped
    );
    Ok(ExitCode::SUCCESS)
}
