//! `atlas chain-report CHAIN`: the gap analysis of one chain (缺链弱链) as a workbook or CSV.

use super::args::ReportFormatArg;
use crate::app::reports::{chain_report_filename, write_chain_report};
use anyhow::{Context as _, Result};
use atlas_core::analysis::parse_weak_below;
use atlas_core::export::{ExportFormat, ExportMeta};
use atlas_core::{ChainId, Labelled, SiteFilter};
use clap::Args;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// `atlas chain-report`.
#[derive(Debug, Args)]
pub struct ChainReportArgs {
    /// Chain id, e.g. petrochemical (see `atlas list` or /api/v1/chains).
    pub chain: String,
    /// Output format.
    #[arg(long, value_enum, default_value = "xlsx")]
    pub format: ReportFormatArg,
    /// Output file; `-` writes to standard output. Default: a name saying which chain and when.
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// A link with fewer key enterprises than this (and at least one) is weak (≥ 1).
    #[arg(long, default_value = "2")]
    pub weak_below: String,
}

impl From<ReportFormatArg> for ExportFormat {
    fn from(f: ReportFormatArg) -> Self {
        match f {
            ReportFormatArg::Xlsx => ExportFormat::Xlsx,
            ReportFormatArg::Csv => ExportFormat::Csv,
        }
    }
}

/// `atlas chain-report CHAIN --format xlsx|csv [-o FILE] [--weak-below N]`.
pub fn run(db: &Path, args: &ChainReportArgs) -> Result<ExitCode> {
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
