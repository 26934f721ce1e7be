//! `atlas chain-report` (the gap analysis of one chain as a workbook or CSV) and
//! `atlas import-chains` (replace the chains and links with a file's: chains are data).

use super::{ChainReportArgs, ImportChainsArgs, ReportFormatArg};
use crate::app::reports::{chain_report_filename, write_chain_report};
use anyhow::{Context as _, Result};
use atlas_core::analysis::parse_weak_below;
use atlas_core::export::{ExportFormat, ExportMeta};
use atlas_core::{ChainCatalog, ChainId, Labelled, SiteFilter};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

impl From<ReportFormatArg> for ExportFormat {
    fn from(f: ReportFormatArg) -> Self {
        match f {
            ReportFormatArg::Xlsx => ExportFormat::Xlsx,
            ReportFormatArg::Csv => ExportFormat::Csv,
        }
    }
}

/// `atlas chain-report CHAIN --format xlsx|csv [-o FILE] [--weak-below N]`.
pub fn report(db: &Path, args: &ChainReportArgs) -> Result<ExitCode> {
    let store = super::open_existing(db)?;
    let weak_below = parse_weak_below(&args.weak_below).context("--weak-below")?;
    let id = ChainId::new(args.chain.as_str()).context("CHAIN")?;
    let reference = store.reference()?;
    let chain = reference.chains.chain(&id).with_context(|| {
        format!(
            "unknown chain '{id}'; chains: {} (未知产业链)",
            reference.chains.chain_ids()
        )
    })?;
    let format: ExportFormat = args.format.into();
    let now = crate::app::clock::current().now_china();
    let meta = ExportMeta::new(
        "茂南区科技创新资源布局图 Innovation Atlas",
        &SiteFilter {
            chain: vec![id.clone()],
            ..SiteFilter::default()
        },
        now,
        format!("Innovation Atlas database {}", db.display()),
    );
    let to_stdout = args.output.as_deref() == Some(Path::new("-"));
    let path: PathBuf = match &args.output {
        Some(p) if !to_stdout => p.clone(),
        _ => PathBuf::from(chain_report_filename(chain, format, now.naive_local()).0),
    };
    let out: Box<dyn Write + Send> = if to_stdout {
        Box::new(std::io::BufWriter::new(std::io::stdout()))
    } else {
        Box::new(std::io::BufWriter::new(
            std::fs::File::create(&path).with_context(|| format!("creating {}", path.display()))?,
        ))
    };
    let ctx = reference.context(crate::app::clock::current().today());
    let (mut out, analysis) =
        write_chain_report(&store, chain, weak_below, format, &ctx, &meta, out)?;
    out.flush()?;
    let s = &analysis.summary;
    eprintln!(
        "{} {}: {} 个环节 links — 缺失 missing {}, 薄弱 weak {}, 已有 present {} (weak below {})",
        analysis.chain_name_zh,
        analysis.chain_id,
        analysis.links.len(),
        s.missing,
        s.weak,
        s.present,
        analysis.weak_below
    );
    for l in &analysis.links {
        eprintln!(
            "  {}. {} {} — {} {}, 重点企业 key enterprises {}",
            l.link.order,
            l.link.name_zh,
            l.link.id,
            l.status.as_str(),
            l.status.zh(),
            l.counts.key_enterprise
        );
    }
    if !to_stdout {
        eprintln!("已导出 written → {}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// `atlas import-chains FILE`.
pub fn import(db: &Path, args: &ImportChainsArgs) -> Result<ExitCode> {
    let (name, text) = read_utf8(&args.file, "chains (链)")?;
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

/// Reads `file` as UTF-8 text; returns its display name too.
fn read_utf8(file: &Path, what: &str) -> Result<(String, String)> {
    let name = file.display().to_string();
    let bytes = std::fs::read(file).with_context(|| format!("reading {name}"))?;
    let text = String::from_utf8(bytes)
        .with_context(|| format!("{name}: the {what} file must be UTF-8 (须为 UTF-8)"))?;
    Ok((name, text))
}

/// `atlas import-indicators FILE [--dry-run]`: replaces the plan's indicators (atomic).
pub fn import_indicators(db: &Path, args: &ImportChainsArgs) -> Result<ExitCode> {
    let (name, text) = read_utf8(&args.file, "indicators (指标)")?;
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
