//! Reports beside the site exports: the chain report (gap analysis of one chain for the
//! investment-promotion team) and the progress board (the plan's indicators).
//!
//! They share the site exports' rules ([`crate::export`]): CSV is UTF-8 with BOM and CRLF, text
//! cells are formula-guarded (CSV) or written as string cells with the quote-prefix style
//! (XLSX), numbers stay numbers, and every workbook ends with a "说明 About" sheet recording what
//! it holds, when it was made and from which data.
//!
//! # Chain report ([`ChainReportXlsx`], [`write_chain_summary_csv`])
//! - Sheet "汇总 Summary": one row per link, upstream first (chain, order, link id, Chinese and
//!   English names, key enterprises, carrier platforms, innovation resources, total, status in
//!   Chinese and English, number of platforms and resources serving the link), then one row
//!   for the sites attached to the chain without a link.
//! - One sheet per link, named `"{order} {Chinese name}"` ([`sheet_name`] keeps names valid and
//!   unique), listing the link's sites: id, Chinese and English name, category, kind, township,
//!   address, source. Then the sheet "全链 chain-wide" with the sites on the chain without a
//!   link.
//! - Sheet "说明 About": chain, threshold and its rule, time, data source, counts.
//!
//! The workbook is written in one pass over the chain's sites (constant-memory sheets for the
//! site lists); the summary, which needs every site counted, is filled at the end. The CSV is
//! the summary sheet alone.
//!
//! # Progress board ([`write_indicators_xlsx`], [`write_indicators_csv`])
//! One row per indicator: id, names, unit, baseline and its year, target (operator, value,
//! year), the catalogue's current value where it can count one, percent of target, how it is
//! measured, the count filter, source and quote.

use crate::analysis::{ChainAnalysis, ChainAnalysisBuilder};
use crate::columns::{Column, HeaderLang};
use crate::export::{
    body_format, csv_cell, header_format, print_header_width, print_setup, workbook_at,
    wrapped_row_height, write_xlsx_cell, xlsx_err, CellFormats, ExportError, ExportMeta,
    FORMULA_NOTE, MIN_COL_WIDTH, PAGE_HEADER, PRINT_COL_WIDTH, XLSX_ABOUT_SHEET,
};
use crate::record::{cell, Cell, Context};
use crate::reference::{Chain, Indicator};
use crate::site::Site;
use crate::vocab::Labelled;
use rust_xlsxwriter::{Format, Workbook, Worksheet};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Name of the chain report's summary sheet.
pub const SUMMARY_SHEET: &str = "汇总 Summary";
/// Name of the chain report's sheet of sites on the chain without a link.
pub const CHAIN_WIDE_SHEET: &str = "全链 chain-wide";
/// Name of the progress board's sheet.
pub const INDICATORS_SHEET: &str = "指标 Indicators";

/// Longest sheet name a spreadsheet accepts (UTF-16 units).
const SHEET_NAME_MAX: usize = 31;

/// A valid, unique sheet name made from `base`: `[ ] : * ? / \` become `_`, leading and
/// trailing apostrophes and spaces go, at most 31 characters, never "History" (reserved by
/// Excel), and unique among `used` ignoring case (a ` (2)`, ` (3)`… suffix when needed). The
/// name is added to `used`.
pub fn sheet_name(base: &str, used: &mut Vec<String>) -> String {
    let cleaned: String = base
        .chars()
        .map(|c| {
            if matches!(c, '[' | ']' | ':' | '*' | '?' | '/' | '\\') || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect();
    let mut name = cleaned
        .trim_matches(|c: char| c == '\'' || c.is_whitespace())
        .to_string();
    if name.is_empty() || name.eq_ignore_ascii_case("history") {
        name = format!("Sheet {}", used.len() + 1);
    }
    let fit = |s: &str, room: usize| -> String {
        let mut out = String::new();
        let mut units = 0;
        for c in s.chars() {
            units += c.len_utf16();
            if units > room {
                break;
            }
            out.push(c);
        }
        out.trim_end_matches(|c: char| c == '\'' || c.is_whitespace())
            .to_string()
    };
    let taken =
        |s: &str, used: &[String]| used.iter().any(|u| u.to_lowercase() == s.to_lowercase());
    let mut candidate = fit(&name, SHEET_NAME_MAX);
    let mut n = 2;
    while taken(&candidate, used) {
        let suffix = format!(" ({n})");
        candidate = format!(
            "{}{suffix}",
            fit(&name, SHEET_NAME_MAX - suffix.encode_utf16().count())
        );
        n += 1;
    }
    used.push(candidate.clone());
    candidate
}

pub use crate::export::report_filename;

fn text(s: impl Into<String>) -> Cell {
    let s = s.into();
    if s.is_empty() {
        Cell::Empty
    } else {
        Cell::Text(s)
    }
}

fn count(n: u64) -> Cell {
    Cell::Number(n as f64)
}

fn opt_number(v: Option<f64>) -> Cell {
    v.map(Cell::Number).unwrap_or(Cell::Empty)
}

/// Headers of the chain summary (XLSX sheet and CSV).
pub const SUMMARY_HEADERS: [&str; 12] = [
    "产业链 chain",
    "序号 order",
    "环节编号 link id",
    "环节 link",
    "环节（英文） link (en)",
    "重点企业 key enterprises",
    "载体平台 carrier platforms",
    "创新资源 innovation resources",
    "合计 total",
    "状态 status",
    "状态（英文） status (en)",
    "服务机构 served by",
];

/// The rows of the chain summary: one per link, then the chain-wide row.
pub fn summary_rows(a: &ChainAnalysis) -> Vec<Vec<Cell>> {
    let mut rows: Vec<Vec<Cell>> = a
        .links
        .iter()
        .map(|l| {
            vec![
                text(a.chain_name_zh.clone()),
                count(u64::from(l.link.order)),
                text(l.link.id.as_str()),
                text(l.link.name_zh.clone()),
                text(l.link.name_en.clone()),
                count(l.counts.key_enterprise),
                count(l.counts.carrier_platform),
                count(l.counts.innovation_resource),
                count(l.counts.total),
                text(l.status.zh()),
                text(l.status.as_str()),
                count(l.served_by.len() as u64),
            ]
        })
        .collect();
    let w = &a.chain_wide.counts;
    rows.push(vec![
        text(a.chain_name_zh.clone()),
        Cell::Empty,
        text(a.chain_id.as_str()),
        text("全链（未指定环节）"),
        text("Whole chain (no link)"),
        count(w.key_enterprise),
        count(w.carrier_platform),
        count(w.innovation_resource),
        count(w.total),
        Cell::Empty,
        Cell::Empty,
        Cell::Empty,
    ]);
    rows
}

/// The threshold rule in words.
pub fn threshold_rule(weak_below: u32) -> String {
    format!(
        "无重点企业为缺失；重点企业少于 {weak_below} 家为薄弱；其余为已有。 / missing: no key \
         enterprise; weak: fewer than {weak_below} key enterprises; present: the rest."
    )
}

const SERVED_NOTE: &str =
    "“服务机构”为挂在该环节、或挂在产业链而未指定环节的载体平台与创新资源数。 / \
    \"Served by\" counts the carrier platforms and innovation resources on the link, or on the \
    chain without a link.";

/// Writes the chain summary as CSV (UTF-8 with BOM, CRLF, formula-guarded text).
pub fn write_chain_summary_csv<W: Write>(mut out: W, a: &ChainAnalysis) -> Result<W, ExportError> {
    out.write_all("\u{feff}".as_bytes())?;
    let mut csv = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(out);
    csv.write_record(SUMMARY_HEADERS)?;
    for row in summary_rows(a) {
        csv.write_record(row.iter().map(|c| csv_cell(&c.as_cell_ref()).into_owned()))?;
    }
    csv.into_inner()
        .map_err(|e| ExportError::Io(std::io::Error::other(e.error().to_string())))
}

/// Writes a table on `ws`: bold wrapped header, frozen and repeated on every printed page,
/// bordered wrapped cells, autofilter, widths from the content up to [`PRINT_COL_WIDTH`].
fn write_table(
    ws: &mut Worksheet,
    headers: &[&str],
    rows: &[Vec<Cell>],
) -> Result<(), ExportError> {
    let formats = CellFormats::with(body_format());
    let mut widths = start_table(ws, headers)?;
    for (r, row) in rows.iter().enumerate() {
        let r = u32::try_from(r + 1).map_err(|_| ExportError::Xlsx("too many rows".into()))?;
        set_wrapped_height(ws, r, row)?;
        for (i, c) in row.iter().enumerate() {
            write_xlsx_cell(
                ws,
                r,
                i as u16,
                &c.as_cell_ref(),
                &formats,
                widths.get_mut(i),
            )
            .map_err(xlsx_err)?;
        }
    }
    finish_table(ws, &widths, rows.len() as u32)
}

/// Gives row `r` the height its wrapped text needs (columns are at most [`PRINT_COL_WIDTH`]
/// wide and at least as wide as any shorter text); call it before writing the row.
fn set_wrapped_height(ws: &mut Worksheet, r: u32, row: &[Cell]) -> Result<(), ExportError> {
    let texts = row.iter().filter_map(|c| match c {
        Cell::Text(t) => Some((t.as_str(), PRINT_COL_WIDTH)),
        _ => None,
    });
    if let Some(h) = wrapped_row_height(texts) {
        ws.set_row_height(r, h).map_err(xlsx_err)?;
    }
    Ok(())
}

/// Writes the header row and the print set-up of a table; returns the columns' starting widths.
fn start_table(ws: &mut Worksheet, headers: &[&str]) -> Result<Vec<f64>, ExportError> {
    let header = header_format();
    let widths: Vec<f64> = headers.iter().map(|h| print_header_width(h)).collect();
    if let Some(h) = wrapped_row_height(headers.iter().copied().zip(widths.iter().copied())) {
        ws.set_row_height(0, h).map_err(xlsx_err)?;
    }
    for (i, h) in headers.iter().enumerate() {
        ws.write_string_with_format(0, i as u16, *h, &header)
            .map_err(xlsx_err)?;
    }
    print_setup(ws, Some((0, 0))).map_err(xlsx_err)?;
    Ok(widths)
}

fn finish_table(ws: &mut Worksheet, widths: &[f64], rows: u32) -> Result<(), ExportError> {
    for (i, w) in widths.iter().enumerate() {
        ws.set_column_width(i as u16, w.clamp(MIN_COL_WIDTH, PRINT_COL_WIDTH))
            .map_err(xlsx_err)?;
    }
    let last_col = widths.len().saturating_sub(1) as u16;
    ws.set_freeze_panes(1, 0).map_err(xlsx_err)?;
    ws.autofilter(0, 0, rows, last_col).map_err(xlsx_err)?;
    Ok(())
}

/// Writes the "说明 About" sheet: `(item, value)` lines under a bold header.
fn write_about(ws: &mut Worksheet, lines: &[(String, String)]) -> Result<(), ExportError> {
    let bold = Format::new().set_bold();
    let wrap = Format::new().set_text_wrap();
    ws.write_string_with_format(0, 0, "项目 item", &bold)
        .map_err(xlsx_err)?;
    ws.write_string_with_format(0, 1, "内容 value", &bold)
        .map_err(xlsx_err)?;
    for (i, (k, v)) in lines.iter().enumerate() {
        let r = i as u32 + 1;
        ws.write_string(r, 0, k).map_err(xlsx_err)?;
        ws.write_string_with_format(r, 1, v, &wrap)
            .map_err(xlsx_err)?;
    }
    ws.set_column_width(0, 28).map_err(xlsx_err)?;
    ws.set_column_width(1, 90).map_err(xlsx_err)?;
    print_setup(ws, None).map_err(xlsx_err)?;
    Ok(())
}

/// Columns of the per-link site lists.
pub const SITE_LIST_COLUMNS: [Column; 8] = [
    Column::Id,
    Column::NameZh,
    Column::NameEn,
    Column::Category,
    Column::Kind,
    Column::TownName,
    Column::Address,
    Column::Source,
];

struct ListSheet {
    index: usize,
    rows: u32,
    widths: Vec<f64>,
}

/// The chain report workbook, written in one pass over the chain's sites (see the module
/// documentation): [`ChainReportXlsx::write_site`] for each site (any order; sites not on the
/// chain are ignored), then [`ChainReportXlsx::finish`], which also returns the analysis.
pub struct ChainReportXlsx<'a, W: Write + Send> {
    out: W,
    workbook: Workbook,
    ctx: Context<'a>,
    meta: ExportMeta,
    builder: ChainAnalysisBuilder,
    /// One per link, then the chain-wide sheet.
    lists: Vec<ListSheet>,
    about: usize,
    formats: CellFormats,
}

impl<'a, W: Write + Send> ChainReportXlsx<'a, W> {
    /// Starts the workbook of `chain` with threshold `weak_below`. The site lists are buffered
    /// in temporary files in `tempdir` (or [`std::env::temp_dir`]).
    pub fn new(
        out: W,
        chain: &Chain,
        weak_below: u32,
        ctx: &Context<'a>,
        meta: &ExportMeta,
        tempdir: Option<&Path>,
    ) -> Result<Self, ExportError> {
        let mut workbook = workbook_at(meta.generated_at)?;
        if let Some(dir) = tempdir {
            workbook.set_tempdir(PathBuf::from(dir)).map_err(xlsx_err)?;
        }
        let mut used: Vec<String> = vec![SUMMARY_SHEET.into(), XLSX_ABOUT_SHEET.into()];
        workbook
            .add_worksheet()
            .set_name(SUMMARY_SHEET)
            .map_err(xlsx_err)?;
        let headers: Vec<&str> = SITE_LIST_COLUMNS.iter().map(|c| c.zh()).collect();
        let mut names: Vec<String> = chain
            .links
            .iter()
            .map(|l| sheet_name(&format!("{} {}", l.order, l.name_zh), &mut used))
            .collect();
        names.push(sheet_name(CHAIN_WIDE_SHEET, &mut used));
        let mut lists = Vec::new();
        for (i, name) in names.iter().enumerate() {
            let ws = workbook
                .add_worksheet_with_constant_memory()
                .map_err(xlsx_err)?
                .set_name(name)
                .map_err(xlsx_err)?;
            lists.push(ListSheet {
                index: i + 1,
                rows: 0,
                widths: start_table(ws, &headers)?,
            });
        }
        workbook
            .add_worksheet()
            .set_name(XLSX_ABOUT_SHEET)
            .map_err(xlsx_err)?;
        Ok(Self {
            out,
            workbook,
            ctx: *ctx,
            meta: meta.clone(),
            builder: ChainAnalysisBuilder::new(chain, weak_below),
            about: names.len() + 1,
            lists,
            formats: CellFormats::with(body_format()),
        })
    }

    /// Adds one site: counted, and listed on the sheet of every link of the chain it is on
    /// (and on the chain-wide sheet when it is on the chain without a link).
    pub fn write_site(&mut self, site: &Site) -> Result<(), ExportError> {
        let (links, chain_wide) = self.builder.placement(site);
        self.builder.add(site);
        let chain_wide_sheet = self.lists.len() - 1;
        let targets = links
            .into_iter()
            .chain(chain_wide.then_some(chain_wide_sheet));
        let cells: Vec<Cell> = SITE_LIST_COLUMNS
            .iter()
            .map(|c| cell(site, *c, &self.ctx, HeaderLang::Zh))
            .collect();
        for t in targets {
            let Some(list) = self.lists.get_mut(t) else {
                continue;
            };
            let row = list.rows + 1;
            if row >= 1_048_576 {
                return Err(ExportError::Xlsx(
                    "a sheet holds at most 1,048,575 rows; export CSV or narrow the filter".into(),
                ));
            }
            let ws = self
                .workbook
                .worksheet_from_index(list.index)
                .map_err(xlsx_err)?;
            set_wrapped_height(ws, row, &cells)?;
            for (i, c) in cells.iter().enumerate() {
                write_xlsx_cell(
                    ws,
                    row,
                    i as u16,
                    &c.as_cell_ref(),
                    &self.formats,
                    list.widths.get_mut(i),
                )
                .map_err(|e| ExportError::Xlsx(format!("site {}: {e}", site.id)))?;
            }
            list.rows = row;
        }
        Ok(())
    }

    /// Fills the summary and about sheets and writes the workbook; returns the output and the
    /// analysis.
    pub fn finish(mut self) -> Result<(W, ChainAnalysis), ExportError> {
        let analysis = self.builder.finish();
        {
            let ws = self.workbook.worksheet_from_index(0).map_err(xlsx_err)?;
            write_table(ws, &SUMMARY_HEADERS, &summary_rows(&analysis))?;
        }
        for list in &self.lists {
            let ws = self
                .workbook
                .worksheet_from_index(list.index)
                .map_err(xlsx_err)?;
            finish_table(ws, &list.widths, list.rows)?;
            if list.rows == 0 {
                // A printed empty sheet says why it is empty.
                ws.set_header(format!(
                    "{PAGE_HEADER}（本环节暂无站点 no sites on this link）"
                ));
            }
        }
        let s = &analysis.summary;
        let lines: Vec<(String, String)> = vec![
            ("标题 title".into(), self.meta.title.clone()),
            (
                "产业链 chain".into(),
                format!(
                    "{} {} ({})",
                    analysis.chain_name_zh, analysis.chain_name_en, analysis.chain_id
                ),
            ),
            (
                "薄弱阈值 weak_below".into(),
                format!(
                    "{} — {}",
                    analysis.weak_below,
                    threshold_rule(analysis.weak_below)
                ),
            ),
            (
                "环节 links".into(),
                format!(
                    "{} 个：缺失 {}，薄弱 {}，已有 {} / {} links: {} missing, {} weak, {} present",
                    analysis.links.len(),
                    s.missing,
                    s.weak,
                    s.present,
                    analysis.links.len(),
                    s.missing,
                    s.weak,
                    s.present
                ),
            ),
            ("站点数 sites on the chain".into(), s.sites.to_string()),
            (
                "生成时间 generated at".into(),
                self.meta.generated_at_text(),
            ),
            ("数据来源 data source".into(), self.meta.data_source.clone()),
            ("服务机构 served by".into(), SERVED_NOTE.into()),
            ("公式 formulas".into(), FORMULA_NOTE.into()),
        ];
        {
            let ws = self
                .workbook
                .worksheet_from_index(self.about)
                .map_err(xlsx_err)?;
            write_about(ws, &lines)?;
        }
        self.workbook
            .save_to_writer(&mut self.out)
            .map_err(xlsx_err)?;
        self.out.flush()?;
        Ok((self.out, analysis))
    }
}

// ---------------------------------------------------------------------------------------------
// Progress board
// ---------------------------------------------------------------------------------------------

/// Headers of the progress board.
pub const INDICATOR_HEADERS: [&str; 15] = [
    "编号 id",
    "指标 indicator",
    "指标（英文） indicator (en)",
    "单位 unit",
    "基期值 baseline",
    "基期年份 baseline year",
    "目标条件 target op",
    "目标值 target",
    "目标年份 target year",
    "目录当前值 catalogue value",
    "完成率% percent of target",
    "计量方式 measure",
    "统计口径 count filter",
    "数据来源 source",
    "原文 quote",
];

/// The target's operator in words (`>=` → `不低于 ≥`, `=` → `达到 =`), so that it neither
/// starts like a formula nor reads as code.
pub fn target_op_label(op: Option<&str>) -> String {
    match op.map(str::trim) {
        None | Some("") => String::new(),
        Some(">=") | Some("≥") => "不低于 ≥".into(),
        Some("<=") | Some("≤") => "不高于 ≤".into(),
        Some("=") => "达到 =".into(),
        Some(">") => "高于 >".into(),
        Some("<") => "低于 <".into(),
        Some(other) => other.to_string(),
    }
}

/// One row of the progress board: an indicator and the catalogue's value (None where the
/// catalogue cannot count it).
pub fn indicator_row(ind: &Indicator, value: Option<f64>) -> Vec<Cell> {
    vec![
        text(ind.id.clone()),
        text(ind.name_zh.clone()),
        text(ind.name_en.clone()),
        text(ind.unit.clone()),
        opt_number(ind.baseline),
        opt_number(ind.baseline_year.map(f64::from)),
        text(target_op_label(ind.target_op.as_deref())),
        opt_number(ind.target),
        opt_number(ind.target_year.map(f64::from)),
        opt_number(value),
        opt_number(ind.percent_of_target(value)),
        text(format!("{} {}", ind.measure.zh(), ind.measure.as_str())),
        text(ind.count_filter.clone()),
        text(ind.source.clone()),
        text(ind.source_quote.clone().unwrap_or_default()),
    ]
}

const INDICATOR_NOTE: &str = "目录当前值为本目录中符合统计口径的站点数（或其面积合计）；目录不能统计的指标留空，不填 0。完成率 = 当前值 ÷ 目标值 × 100。 / \
    The catalogue value counts the catalogue's sites matching the count filter (or sums their \
    area); left empty, never 0, where the catalogue cannot count. Percent = value / target × 100.";

/// Writes the progress board as CSV (UTF-8 with BOM, CRLF, formula-guarded text).
pub fn write_indicators_csv<W: Write>(
    mut out: W,
    rows: &[(Indicator, Option<f64>)],
) -> Result<W, ExportError> {
    out.write_all("\u{feff}".as_bytes())?;
    let mut csv = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(out);
    csv.write_record(INDICATOR_HEADERS)?;
    for (ind, v) in rows {
        csv.write_record(
            indicator_row(ind, *v)
                .iter()
                .map(|c| csv_cell(&c.as_cell_ref()).into_owned()),
        )?;
    }
    csv.into_inner()
        .map_err(|e| ExportError::Io(std::io::Error::other(e.error().to_string())))
}

/// Writes the progress board as a workbook: sheet "指标 Indicators" and "说明 About".
pub fn write_indicators_xlsx<W: Write + Send>(
    mut out: W,
    rows: &[(Indicator, Option<f64>)],
    meta: &ExportMeta,
) -> Result<W, ExportError> {
    let mut workbook = workbook_at(meta.generated_at)?;
    let cells: Vec<Vec<Cell>> = rows.iter().map(|(i, v)| indicator_row(i, *v)).collect();
    {
        let ws = workbook.add_worksheet();
        ws.set_name(INDICATORS_SHEET).map_err(xlsx_err)?;
        write_table(ws, &INDICATOR_HEADERS, &cells)?;
    }
    let lines: Vec<(String, String)> = vec![
        ("标题 title".into(), meta.title.clone()),
        ("生成时间 generated at".into(), meta.generated_at_text()),
        ("指标数 indicators".into(), rows.len().to_string()),
        ("数据来源 data source".into(), meta.data_source.clone()),
        ("当前值 catalogue value".into(), INDICATOR_NOTE.into()),
        ("公式 formulas".into(), FORMULA_NOTE.into()),
    ];
    {
        let ws = workbook.add_worksheet();
        ws.set_name(XLSX_ABOUT_SHEET).map_err(xlsx_err)?;
        write_about(ws, &lines)?;
    }
    workbook.save_to_writer(&mut out).map_err(xlsx_err)?;
    out.flush()?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::ExportFormat;

    #[test]
    fn sheet_names_are_valid_and_unique() {
        let mut used = vec![SUMMARY_SHEET.to_string()];
        assert_eq!(sheet_name("1 炼油", &mut used), "1 炼油");
        assert_eq!(sheet_name("a/b:c*d?[e]\\f", &mut used), "a_b_c_d__e__f");
        let long = "6 园区公用工程与绿色服务园区公用工程与绿色服务园区公用工程与绿色服务";
        let n = sheet_name(long, &mut used);
        assert_eq!(n.encode_utf16().count(), 31, "{n}");
        let again = sheet_name(long, &mut used);
        assert!(
            again.ends_with(" (2)") && again.encode_utf16().count() <= 31,
            "{again}"
        );
        assert_ne!(n, again);
        assert_eq!(sheet_name("汇总 summary", &mut used), "汇总 summary (2)");
        assert_eq!(sheet_name("'quoted'", &mut used), "quoted");
        assert!(!sheet_name("History", &mut used).eq_ignore_ascii_case("history"));
        assert!(!sheet_name("  ", &mut used).is_empty());
        // Every name went into `used`, and none repeats ignoring case.
        let mut lower: Vec<String> = used.iter().map(|u| u.to_lowercase()).collect();
        lower.sort();
        lower.dedup();
        assert_eq!(lower.len(), used.len());
    }

    #[test]
    fn report_file_names_have_a_chinese_and_an_ascii_form() {
        let when = chrono::NaiveDate::from_ymd_opt(2026, 11, 26)
            .unwrap()
            .and_hms_opt(10, 30, 0)
            .unwrap();
        let (zh, ascii) = report_filename(
            "产业链分析",
            "chain-report",
            "石油化工",
            "petrochemical",
            ExportFormat::Xlsx,
            when,
        );
        assert_eq!(zh, "产业链分析_石油化工_20261126-1030.xlsx");
        assert_eq!(ascii, "chain-report_petrochemical_20261126-1030.xlsx");
        let (zh, ascii) = report_filename(
            "规划指标进度",
            "indicators",
            "",
            "",
            ExportFormat::Csv,
            when,
        );
        assert_eq!(zh, "规划指标进度_20261126-1030.csv");
        assert_eq!(ascii, "indicators_20261126-1030.csv");
        assert!(
            report_filename("a", "b", "x/y", "é", ExportFormat::Csv, when)
                .0
                .contains("x_y")
        );
    }

    #[test]
    fn the_chain_workbook_has_a_summary_a_sheet_per_link_and_an_about_sheet() {
        use crate::dataset::Reference;
        use crate::import::{parse_sites, FileFormat};
        use calamine::{Reader, Xlsx};
        let r = Reference::embedded().unwrap();
        let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 26).unwrap();
        let ctx = r.context(today);
        let sites: Vec<Site> = parse_sites(
            crate::dataset::SITES_CSV.as_bytes(),
            FileFormat::Csv,
            &ctx,
            None,
        )
        .unwrap()
        .sites
        .into_iter()
        .map(|(_, s)| s)
        .collect();
        let chain = r
            .chains
            .chain(&crate::ChainId::new("petrochemical").unwrap())
            .unwrap();
        let meta = ExportMeta::new(
            "t",
            &crate::SiteFilter::default(),
            chrono::DateTime::parse_from_rfc3339("2026-11-26T10:30:00+08:00").unwrap(),
            "unit test",
        );
        let mut w = ChainReportXlsx::new(Vec::new(), chain, 2, &ctx, &meta, None).unwrap();
        for s in &sites {
            w.write_site(s).unwrap();
        }
        let (bytes, analysis) = w.finish().unwrap();
        assert_eq!(analysis, crate::analysis::analyse(chain, &sites, 2));
        let mut wb = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
        let names = wb.sheet_names().to_vec();
        assert_eq!(names.len(), chain.links.len() + 3, "{names:?}");
        assert_eq!(names[0], SUMMARY_SHEET);
        assert_eq!(names[1], format!("1 {}", chain.links[0].name_zh));
        assert_eq!(names.last().unwrap(), XLSX_ABOUT_SHEET);
        let summary = wb.worksheet_range(SUMMARY_SHEET).unwrap();
        let rows: Vec<_> = summary.rows().collect();
        assert_eq!(
            rows.len(),
            chain.links.len() + 2,
            "header, links, chain-wide"
        );
        for (row, l) in rows[1..].iter().zip(&analysis.links) {
            assert_eq!(row[2].to_string(), l.link.id.as_str());
            assert_eq!(
                row[5],
                calamine::Data::Float(l.counts.key_enterprise as f64)
            );
            assert_eq!(row[9].to_string(), l.status.zh());
            assert_eq!(row[10].to_string(), l.status.as_str());
        }
        // Each link sheet lists exactly the link's sites.
        for (i, l) in analysis.links.iter().enumerate() {
            let range = wb.worksheet_range(&names[i + 1]).unwrap();
            let ids: Vec<String> = range.rows().skip(1).map(|r| r[0].to_string()).collect();
            let want: Vec<String> = l.site_ids.iter().map(|s| s.to_string()).collect();
            assert_eq!(ids, want, "{}", l.link.id);
        }
        let about = wb.worksheet_range(XLSX_ABOUT_SHEET).unwrap();
        let text: Vec<String> = about.rows().map(|r| r[1].to_string()).collect();
        assert!(text.iter().any(|t| t.contains("petrochemical")), "{text:?}");
        assert!(text.iter().any(|t| t.starts_with("2 — ")), "{text:?}");
        assert!(text.iter().any(|t| t.contains("unit test")), "{text:?}");
    }

    #[test]
    fn unknown_values_stay_empty_in_the_progress_board() {
        let ind = Indicator {
            id: "x".into(),
            name_zh: "=指标".into(),
            name_en: "X".into(),
            unit: "家".into(),
            baseline: None,
            baseline_year: None,
            target: Some(8.0),
            target_op: Some(">=".into()),
            target_year: Some(2025),
            measure: crate::reference::Measure::Count,
            count_filter: "kind=incubator".into(),
            source: "plan".into(),
            source_quote: None,
        };
        let row = indicator_row(&ind, Some(6.0));
        assert_eq!(row[9], Cell::Number(6.0));
        assert_eq!(row[10], Cell::Number(75.0));
        let row = indicator_row(&ind, None);
        assert_eq!(row[9], Cell::Empty);
        assert_eq!(row[10], Cell::Empty);
        let bytes = write_indicators_csv(Vec::new(), &[(ind, None)]).unwrap();
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.starts_with('\u{feff}'));
        assert!(text.contains(",'=指标,"), "formula guarded: {text}");
    }
}
