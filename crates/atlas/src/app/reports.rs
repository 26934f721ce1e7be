//! What the CLI and the server share for the reports of issue 5: the gap analysis of a chain
//! fed from the store's one query path, the chain report and the progress board written with
//! the core writers ([`atlas_core::report`]), and the ranked matches of a [`MatchQuery`].

use atlas_core::analysis::{ChainAnalysis, ChainAnalysisBuilder};
use atlas_core::export::{ExportError, ExportFormat, ExportMeta};
use atlas_core::matching::{MatchInfo, MatchQuery};
use atlas_core::record::Context;
use atlas_core::report::{
    report_filename, write_chain_summary_csv, write_indicators_csv, write_indicators_xlsx,
    ChainReportXlsx,
};
use atlas_core::{Chain, Site, SiteFilter};
use atlas_store::{Store, StoreError};
use chrono::NaiveDateTime;
use std::io::Write;

/// A report that could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// Reading the sites failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Writing the file failed.
    #[error(transparent)]
    Export(#[from] ExportError),
    /// A format the report does not come in.
    #[error("format '{0}': this report comes as xlsx or csv")]
    Format(ExportFormat),
}

/// The sites on `chain` (one query: `chain=…`).
fn chain_filter(chain: &Chain) -> SiteFilter {
    SiteFilter {
        chain: vec![chain.id.clone()],
        ..SiteFilter::default()
    }
}

/// The gap analysis of `chain`, fed one site at a time from the store.
pub fn analyse_chain(
    store: &Store,
    chain: &Chain,
    weak_below: u32,
) -> Result<ChainAnalysis, StoreError> {
    let mut b = ChainAnalysisBuilder::new(chain, weak_below);
    store.for_each(&chain_filter(chain), |site| {
        b.add(&site);
        Ok::<(), StoreError>(())
    })?;
    Ok(b.finish())
}

/// Writes the chain report of `chain` (XLSX workbook or CSV summary) into `out`; returns the
/// output and the analysis it holds.
pub fn write_chain_report<W: Write + Send>(
    store: &Store,
    chain: &Chain,
    weak_below: u32,
    format: ExportFormat,
    ctx: &Context<'_>,
    meta: &ExportMeta,
    out: W,
) -> Result<(W, ChainAnalysis), ReportError> {
    match format {
        ExportFormat::Xlsx => {
            let mut w = ChainReportXlsx::new(out, chain, weak_below, ctx, meta, None)?;
            store.for_each(&chain_filter(chain), |site| -> Result<(), ReportError> {
                w.write_site(&site)?;
                Ok(())
            })?;
            Ok(w.finish()?)
        }
        ExportFormat::Csv => {
            let a = analyse_chain(store, chain, weak_below)?;
            Ok((write_chain_summary_csv(out, &a)?, a))
        }
        other => Err(ReportError::Format(other)),
    }
}

/// File names of a chain report: `产业链分析_石油化工_20261126-1030.xlsx` and
/// `chain-report_petrochemical_20261126-1030.xlsx`.
pub fn chain_report_filename(
    chain: &Chain,
    format: ExportFormat,
    when: NaiveDateTime,
) -> (String, String) {
    report_filename(
        "产业链分析",
        "chain-report",
        &chain.name_zh,
        chain.id.as_str(),
        format,
        when,
    )
}

/// Writes the progress board (every indicator with the catalogue's value) into `out`.
pub fn write_indicators<W: Write + Send>(
    store: &Store,
    format: ExportFormat,
    meta: &ExportMeta,
    out: W,
) -> Result<W, ReportError> {
    let rows = store.indicator_values()?;
    match format {
        ExportFormat::Xlsx => Ok(write_indicators_xlsx(out, &rows, meta)?),
        ExportFormat::Csv => Ok(write_indicators_csv(out, &rows)?),
        other => Err(ReportError::Format(other)),
    }
}

/// File names of the progress board.
pub fn indicators_filename(format: ExportFormat, when: NaiveDateTime) -> (String, String) {
    report_filename("规划指标进度", "indicators", "", "", format, when)
}

/// The platforms matching `q`, ranked (candidates read with the store's one query path).
pub fn ranked_matches(store: &Store, q: &MatchQuery) -> Result<Vec<(Site, MatchInfo)>, StoreError> {
    let mut candidates = Vec::new();
    store.for_each(&q.candidate_filter(), |site| {
        if q.assess(&site).is_some() {
            candidates.push(site);
        }
        Ok::<(), StoreError>(())
    })?;
    Ok(q.rank(candidates))
}
