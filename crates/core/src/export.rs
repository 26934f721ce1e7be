//! Writing sites: XLSX, CSV, GeoJSON and KML, streamed one site at a time.
//!
//! Every format has a writer with the same shape: `new(out, ctx, lang, meta)` writes the opening,
//! `write_site(&site)` writes one record, `finish()` writes the closing and hands the output back.
//! The [`SiteWriter`] trait and [`site_writer`] give the same through a `Box<dyn SiteWriter>` for
//! callers that choose the format at run time, and [`export_sites`] drives a writer from an
//! iterator of `Result<Site, E>` (a database cursor) without collecting it.
//!
//! The same [`crate::SiteFilter`] that selected the rows is recorded in the file where the format
//! allows it ([`ExportMeta`]): XLSX has a second sheet "说明 About", GeoJSON a `metadata` member,
//! KML the Document's description. CSV carries no metadata so that it re-imports unchanged; the
//! file name ([`suggested_filename`]) carries the time.
//!
//! # Formats
//! - **CSV**: UTF-8 with BOM (so Excel opens Chinese correctly), CRLF line ends (RFC 4180; a
//!   line break inside a value stays as it was, in quotes), the header of [`Column::ALL`] in the
//!   chosen [`HeaderLang`]. Export → import → export gives the same bytes.
//! - **XLSX**: sheet "站点" with the header row bold and frozen, an autofilter over the data,
//!   column widths from the content (CJK characters count double, capped at 60), numbers as
//!   numbers and all text (phone numbers, codes, dates) as text cells; sheet "说明 About" with
//!   the title, the filter, the time, the row count, the data source and the CRS. Written with
//!   `rust_xlsxwriter` in constant-memory mode: rows go to a temporary file as they are written,
//!   in [`std::env::temp_dir`] unless a directory is given ([`XlsxSiteWriter::new_in`]). This
//!   temporary file is the only file-system access of this crate.
//! - **GeoJSON** (RFC 7946, WGS84 lon/lat): a FeatureCollection written feature by feature; see
//!   [`site_to_feature`] for the properties. `metadata` and `numberReturned` are foreign members.
//! - **KML 2.2**: one Placemark per site with every column in ExtendedData (Chinese display names).
//!
//! # Formula neutralisation (export only, text only)
//! Spreadsheets run a cell that starts with `=`, `+`, `-` or `@` as a formula (and tab/CR lead
//! to the same in some importers). The rule:
//! - Numbers are never touched: `Cell::Number(-73.9)` is written as the number `-73.9`.
//! - **CSV** (no types, the spreadsheet decides): a text cell starting with one of
//!   `= + - @ \t \r` gets a leading `'` (OWASP's recommendation), unless it is *phone-like*:
//!   it starts with `+` or `-`, has at least one digit and otherwise only digits, spaces and
//!   `( ) - + .`. Such text cannot call a function, reference a cell or start DDE (no letters,
//!   no `!`, `|`, `:`), so `+86 668 2345678` and `-73.9` stay exactly as they are.
//! - **XLSX** (typed cells): every text cell is written as a string cell, which a spreadsheet
//!   never evaluates; a text cell starting with one of those characters also gets the
//!   "quote prefix" cell style (what Excel itself records when you type `'=…`), so it stays text
//!   even when someone edits the cell. The value itself is unchanged.
//! - So that import can undo exactly what export added, a text that already looks like a
//!   neutralised value (one or more `'` followed by one of the six characters) also gets one more
//!   `'`, in CSV and XLSX. Import ([`crate::import`]) removes one `'` from exactly such cells.
//!   Export → import is therefore lossless, and `=HYPERLINK(…)` is inert in both formats.
//! - GeoJSON and KML are not opened by spreadsheets as formulas and are written as is.

use crate::columns::{Column, HeaderLang};
use crate::filter::SiteFilter;
use crate::ids::{ChainId, LinkId, TownCode};
/// The inverse of [`site_to_feature`] (defined with the readers; re-exported here).
pub use crate::import::feature_to_raw_row;
use crate::record::{cell, cell_ref, fmt_num, header_row, CellRef, Context};
use crate::site::{Site, SiteGeometry};
use crate::vocab::{Category, Kind, Labelled, Level, Scope, Status};
use chrono::{DateTime, FixedOffset, NaiveDateTime};
use std::borrow::{Borrow, Cow};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

// ---------------------------------------------------------------------------------------------
// Formula neutralisation
// ---------------------------------------------------------------------------------------------

const FORMULA_TRIGGERS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

fn starts_with_trigger(s: &str) -> bool {
    s.starts_with(FORMULA_TRIGGERS)
}

/// Text like `+86 668 2345678`, `-73.9` or `(0668) 123-4567`: starts with `+` or `-`, holds a
/// digit and nothing but digits, spaces and `( ) - + .`. A spreadsheet may compute it but it can
/// neither call a function nor reference anything, so CSV export leaves it alone.
pub fn is_phone_like(s: &str) -> bool {
    s.starts_with(['+', '-'])
        && s.chars().any(|c| c.is_ascii_digit())
        && s.chars()
            .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '(' | ')' | '-' | '+' | '.'))
}

/// One or more `'` followed by a trigger character: what a neutralised cell looks like.
fn looks_neutralised(s: &str) -> bool {
    let rest = s.trim_start_matches('\'');
    rest.len() < s.len() && starts_with_trigger(rest)
}

/// True when CSV export prefixes this text with `'` (see the module documentation).
pub fn needs_formula_guard(s: &str) -> bool {
    (starts_with_trigger(s) && !is_phone_like(s)) || looks_neutralised(s)
}

/// A text cell as CSV export writes it: `'` prefixed when it could run as a formula.
pub fn guard_formula(s: &str) -> Cow<'_, str> {
    if needs_formula_guard(s) {
        Cow::Owned(format!("'{s}"))
    } else {
        Cow::Borrowed(s)
    }
}

/// The inverse of [`guard_formula`] (and of the XLSX writer's escaping), used by import: removes
/// one `'` from a cell made of one or more `'` followed by `=`, `+`, `-`, `@`, tab or CR.
pub fn strip_formula_guard(s: &str) -> &str {
    if looks_neutralised(s) {
        &s[1..]
    } else {
        s
    }
}

// ---------------------------------------------------------------------------------------------
// Common types
// ---------------------------------------------------------------------------------------------

/// What an export records about itself.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportMeta {
    /// Title (KML document name, GeoJSON `name`, XLSX about sheet).
    pub title: String,
    /// The filter as `(parameter, value)` pairs, as [`SiteFilter::to_pairs`] gives them.
    pub filter_description: Vec<(String, String)>,
    /// When the export was made.
    pub generated_at: DateTime<FixedOffset>,
    /// Where the data comes from (catalogue name, database, version).
    pub data_source: String,
    /// Number of rows, when known before writing. Writers count what they write and report
    /// that at the end where the format allows it (XLSX, GeoJSON); KML, which records its
    /// description first, uses this value when it is given.
    pub row_count: Option<u64>,
}

impl ExportMeta {
    /// Meta for an export of the sites matching `filter`.
    pub fn new(
        title: impl Into<String>,
        filter: &SiteFilter,
        generated_at: DateTime<FixedOffset>,
        data_source: impl Into<String>,
    ) -> Self {
        Self {
            title: title.into(),
            filter_description: filter
                .to_pairs()
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
            generated_at,
            data_source: data_source.into(),
            row_count: None,
        }
    }

    /// The generation time as written in files: `2026-11-26 10:30:00 +08:00`.
    pub fn generated_at_text(&self) -> String {
        self.generated_at
            .format("%Y-%m-%d %H:%M:%S %:z")
            .to_string()
    }
}

/// The export formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExportFormat {
    /// Excel workbook.
    Xlsx,
    /// CSV, UTF-8 with BOM.
    Csv,
    /// GeoJSON FeatureCollection.
    GeoJson,
    /// KML 2.2.
    Kml,
}

impl ExportFormat {
    /// Every format.
    pub const ALL: [ExportFormat; 4] = [Self::Xlsx, Self::Csv, Self::GeoJson, Self::Kml];

    /// Identifier and file extension without the dot (`xlsx`, `csv`, `geojson`, `kml`).
    pub fn extension(self) -> &'static str {
        match self {
            Self::Xlsx => "xlsx",
            Self::Csv => "csv",
            Self::GeoJson => "geojson",
            Self::Kml => "kml",
        }
    }

    /// The `Content-Type` of the file.
    pub fn mime_type(self) -> &'static str {
        match self {
            Self::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Self::Csv => "text/csv; charset=utf-8",
            Self::GeoJson => "application/geo+json",
            Self::Kml => "application/vnd.google-earth.kml+xml",
        }
    }
}

impl std::fmt::Display for ExportFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.extension())
    }
}

impl std::str::FromStr for ExportFormat {
    type Err = crate::vocab::UnknownValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s
            .trim()
            .trim_start_matches('.')
            .to_ascii_lowercase()
            .as_str()
        {
            "xlsx" | "excel" => Ok(Self::Xlsx),
            "csv" => Ok(Self::Csv),
            "geojson" | "json" => Ok(Self::GeoJson),
            "kml" => Ok(Self::Kml),
            _ => Err(crate::vocab::UnknownValue {
                what: "format",
                given: s.to_string(),
                allowed: "xlsx, csv, geojson, kml".into(),
            }),
        }
    }
}

/// An export that could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The output could not be written.
    #[error("writing the export failed: {0}")]
    Io(#[from] std::io::Error),
    /// The workbook could not be built (e.g. more rows than a sheet holds).
    #[error("XLSX export: {0}")]
    Xlsx(String),
    /// A feature could not be serialised.
    #[error("GeoJSON export: {0}")]
    Json(#[from] serde_json::Error),
    /// The sites to export could not be read (the error of the caller's iterator).
    #[error("reading the sites to export failed: {0}")]
    Source(Box<dyn std::error::Error + Send + Sync>),
}

impl From<csv::Error> for ExportError {
    fn from(e: csv::Error) -> Self {
        match e.into_kind() {
            csv::ErrorKind::Io(io) => ExportError::Io(io),
            other => ExportError::Io(std::io::Error::other(format!("{other:?}"))),
        }
    }
}

/// A writer of one export format, fed one site at a time.
pub trait SiteWriter {
    /// Writes one site.
    fn write_site(&mut self, site: &Site) -> Result<(), ExportError>;
    /// Sites written so far.
    fn rows_written(&self) -> u64;
    /// Writes the closing part and flushes; returns the number of sites written.
    fn finish_boxed(self: Box<Self>) -> Result<u64, ExportError>;
}

/// A writer for `format`, chosen at run time. XLSX uses the system temporary directory.
pub fn site_writer<'a, W: Write + Send + 'a>(
    format: ExportFormat,
    out: W,
    ctx: &Context<'a>,
    lang: HeaderLang,
    meta: &ExportMeta,
) -> Result<Box<dyn SiteWriter + Send + 'a>, ExportError> {
    Ok(match format {
        ExportFormat::Csv => Box::new(CsvSiteWriter::new(out, ctx, lang, meta)?),
        ExportFormat::Xlsx => Box::new(XlsxSiteWriter::new(out, ctx, lang, meta)?),
        ExportFormat::GeoJson => Box::new(GeoJsonSiteWriter::new(out, ctx, lang, meta)?),
        ExportFormat::Kml => Box::new(KmlSiteWriter::new(out, ctx, lang, meta)?),
    })
}

/// Writes every site of `sites` (a `Site` or `&Site`, or the caller's error) in `format` and
/// returns how many were written. Stops at the first error of the iterator.
pub fn export_sites<'a, W, I, S, E>(
    format: ExportFormat,
    out: W,
    sites: I,
    ctx: &Context<'a>,
    lang: HeaderLang,
    meta: &ExportMeta,
) -> Result<u64, ExportError>
where
    W: Write + Send + 'a,
    I: IntoIterator<Item = Result<S, E>>,
    S: Borrow<Site>,
    E: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let mut w = site_writer(format, out, ctx, lang, meta)?;
    for s in sites {
        let s = s.map_err(|e| ExportError::Source(e.into()))?;
        w.write_site(s.borrow())?;
    }
    w.finish_boxed()
}

/// File names for an export: `(UTF-8 name, ASCII fallback)`, e.g.
/// `创新资源布局_载体平台_20261126-1030.xlsx` and
/// `innovation-atlas_carrier_platform_20261126-1030.xlsx` (for `Content-Disposition`'s
/// `filename*` and `filename`). `kind_zh` is what was exported (a category, kind, level or status
/// label or id, or any text; empty for everything); in the ASCII name a vocabulary label becomes
/// its id and other non-ASCII text is dropped.
pub fn suggested_filename(
    kind_zh: &str,
    format: ExportFormat,
    when: NaiveDateTime,
) -> (String, String) {
    report_filename(
        "创新资源布局",
        "innovation-atlas",
        kind_zh,
        &ascii_label(kind_zh.trim()),
        format,
        when,
    )
}

/// File names `(UTF-8, ASCII)` for a report: `{zh_prefix}_{zh_label}_{time}.{ext}` and
/// `{ascii_prefix}_{ascii_label}_{time}.{ext}`; empty labels are left out, characters a file
/// system refuses become `_`, and the ASCII label keeps ASCII letters, digits, `-` and `_`.
pub fn report_filename(
    zh_prefix: &str,
    ascii_prefix: &str,
    zh_label: &str,
    ascii_label: &str,
    format: ExportFormat,
    when: NaiveDateTime,
) -> (String, String) {
    let stamp = when.format("%Y%m%d-%H%M").to_string();
    let ext = format.extension();
    let zh: String = zh_label
        .trim()
        .chars()
        .map(|c| {
            if c.is_control()
                || c.is_whitespace()
                || matches!(c, '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|')
            {
                '_'
            } else {
                c
            }
        })
        .collect();
    let ascii: String = ascii_label
        .trim()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
        .collect();
    let join = |prefix: &str, label: &str| {
        if label.is_empty() {
            format!("{prefix}_{stamp}.{ext}")
        } else {
            format!("{prefix}_{label}_{stamp}.{ext}")
        }
    };
    (join(zh_prefix, &zh), join(ascii_prefix, &ascii))
}

fn ascii_label(s: &str) -> String {
    fn id_of<T: Labelled>(s: &str) -> Option<&'static str> {
        T::parse_label(s).ok().map(|v| v.id())
    }
    if let Some(id) = id_of::<Category>(s)
        .or_else(|| id_of::<Kind>(s))
        .or_else(|| id_of::<Level>(s))
        .or_else(|| id_of::<Status>(s))
        .or_else(|| id_of::<Scope>(s))
    {
        return id.to_string();
    }
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
            out.push(c.to_ascii_lowercase());
        } else if (c.is_ascii() || c.is_whitespace()) && !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_matches('-').to_string()
}

/// The filter pairs with people's labels: `("类别 category", "carrier_platform（载体平台）")`.
/// An empty filter gives one line saying that everything was exported.
pub fn describe_filter(pairs: &[(String, String)], ctx: &Context<'_>) -> Vec<(String, String)> {
    fn vocab<T: Labelled>(v: &str) -> String {
        match T::parse_label(v) {
            Ok(x) => format!("{}（{}）", x.id(), x.zh()),
            Err(_) => v.to_string(),
        }
    }
    if pairs.is_empty() {
        return vec![(
            "筛选条件 filter".into(),
            "无：全部站点 / none: all sites".into(),
        )];
    }
    pairs
        .iter()
        .map(|(k, v)| {
            let label = match k.as_str() {
                "category" => "类别 category",
                "kind" => "类型 kind",
                "chain" => "产业链 chain",
                "link" => "链环节 link",
                "level" => "级别 level",
                "status" => "状态 status",
                "scope" => "范围 scope",
                "town" => "镇街 town",
                "bbox" => "范围框 bbox",
                "q" => "关键词 q",
                other => other,
            };
            let each = |f: &dyn Fn(&str) -> String| {
                v.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(f)
                    .collect::<Vec<_>>()
                    .join("、")
            };
            let value = match k.as_str() {
                "category" => each(&vocab::<Category>),
                "kind" => each(&vocab::<Kind>),
                "level" => each(&vocab::<Level>),
                "status" => each(&vocab::<Status>),
                "scope" => each(&vocab::<Scope>),
                "chain" => each(&|s| {
                    ChainId::new(s)
                        .ok()
                        .and_then(|id| ctx.chains.chain(&id))
                        .map(|c| format!("{s}（{}）", c.name_zh))
                        .unwrap_or_else(|| s.to_string())
                }),
                "link" => each(&|s| {
                    LinkId::new(s)
                        .ok()
                        .and_then(|id| ctx.chains.link(&id))
                        .map(|l| format!("{s}（{}）", l.name_zh))
                        .unwrap_or_else(|| s.to_string())
                }),
                "town" => each(&|s| {
                    TownCode::new(s)
                        .ok()
                        .and_then(|code| ctx.divisions.iter().find(|d| d.code == code))
                        .map(|d| format!("{s}（{}）", d.name_zh))
                        .unwrap_or_else(|| s.to_string())
                }),
                _ => v.clone(),
            };
            (label.to_string(), value)
        })
        .collect()
}

pub(crate) const CRS_NOTE: &str = "WGS84（EPSG:4326，经纬度，十进制度；与 CGCS2000 在地图尺度上一致）。高德/腾讯（GCJ-02）与百度（BD-09）坐标已在录入时转换为 WGS84，原始值保留在“原始坐标系/原始经度/原始纬度”列。 / WGS84 (EPSG:4326) lon/lat in decimal degrees; GCJ-02 and BD-09 inputs were converted on entry, originals kept in original_crs/original_lon/original_lat.";
const APPROX_NOTE: &str = "定位精度为“镇街级（近似）”的站点，坐标是所属镇街驻地，不是站点本身的位置；“区级（近似）”只表示区级精度；“位置待定”的站点没有坐标（经度、纬度为空）。 / Sites with precision town are placed at their township's seat, not at their own location; district means district-level precision; sites with precision unknown have no coordinates (lon/lat empty).";
pub(crate) const FORMULA_NOTE: &str = "以 = + - @ 开头的文本按文本保存，不会作为公式执行。 / Text starting with = + - @ is stored as text and never runs as a formula.";

// ---------------------------------------------------------------------------------------------
// CSV
// ---------------------------------------------------------------------------------------------

/// CSV writer: UTF-8 with BOM, CRLF, header per [`HeaderLang`], formula-guarded text.
pub struct CsvSiteWriter<'a, W: Write> {
    csv: csv::Writer<W>,
    ctx: Context<'a>,
    lang: HeaderLang,
    rows: u64,
}

impl<'a, W: Write> CsvSiteWriter<'a, W> {
    /// Writes the BOM and the header row. `meta` is not written (CSV has no place for it).
    pub fn new(
        mut out: W,
        ctx: &Context<'a>,
        lang: HeaderLang,
        _meta: &ExportMeta,
    ) -> Result<Self, ExportError> {
        out.write_all("\u{feff}".as_bytes())?;
        let mut csv = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(out);
        csv.write_record(header_row(lang))?;
        Ok(Self {
            csv,
            ctx: *ctx,
            lang,
            rows: 0,
        })
    }

    /// Writes one site.
    pub fn write_site(&mut self, site: &Site) -> Result<(), ExportError> {
        for column in Column::ALL {
            let c = cell_ref(site, column, &self.ctx, self.lang);
            self.csv.write_field(csv_cell(&c).as_bytes())?;
        }
        // An empty record ends the one the fields above began.
        self.csv.write_record(None::<&[u8]>)?;
        self.rows += 1;
        Ok(())
    }

    /// Flushes and returns the output.
    pub fn finish(self) -> Result<W, ExportError> {
        self.csv
            .into_inner()
            .map_err(|e| ExportError::Io(std::io::Error::other(e.error().to_string())))
    }
}

impl<W: Write> SiteWriter for CsvSiteWriter<'_, W> {
    fn write_site(&mut self, site: &Site) -> Result<(), ExportError> {
        CsvSiteWriter::write_site(self, site)
    }
    fn rows_written(&self) -> u64 {
        self.rows
    }
    fn finish_boxed(self: Box<Self>) -> Result<u64, ExportError> {
        let rows = self.rows;
        (*self).finish()?;
        Ok(rows)
    }
}

// ---------------------------------------------------------------------------------------------
// XLSX
// ---------------------------------------------------------------------------------------------

/// Name of the data sheet.
pub const XLSX_DATA_SHEET: &str = "站点";
/// Name of the sheet describing the export.
pub const XLSX_ABOUT_SHEET: &str = "说明 About";
pub(crate) const MAX_COL_WIDTH: f64 = 60.0;
pub(crate) const MIN_COL_WIDTH: f64 = 6.0;

pub(crate) fn xlsx_err(e: rust_xlsxwriter::XlsxError) -> ExportError {
    ExportError::Xlsx(e.to_string())
}

/// Display width in spreadsheet character units: CJK and full-width characters count double;
/// for text with line breaks, the longest line.
pub(crate) fn display_width(s: &str) -> f64 {
    if s.is_ascii() {
        return s.split('\n').map(str::len).max().unwrap_or(0) as f64;
    }
    s.split('\n')
        .map(|line| {
            line.chars()
                .map(|c| match c as u32 {
                    0x1100..=0x115F | 0x2E80..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF => 2,
                    0xFE30..=0xFE4F | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6 | 0x20000..=0x3FFFD => 2,
                    _ => 1,
                })
                .sum::<u32>()
        })
        .max()
        .unwrap_or(0) as f64
}

/// Writes one cell the way every workbook of this crate does: text as a string cell (with the
/// quote-prefix style when it starts like a formula, and one more `'` when it already looks
/// neutralised), numbers as numbers, nothing for empty cells. `width`, the column's width so
/// far, grows to what the cell needs — measured only when it could need more (a text's display
/// width never exceeds its length in bytes; a number's shortest form never exceeds
/// [`NUMBER_WIDTH_MAX`] characters).
pub(crate) fn write_xlsx_cell(
    ws: &mut rust_xlsxwriter::Worksheet,
    row: u32,
    col: u16,
    c: &CellRef<'_>,
    quote_prefix: &rust_xlsxwriter::Format,
    width: Option<&mut f64>,
) -> Result<(), rust_xlsxwriter::XlsxError> {
    let need = match c {
        CellRef::Text(s) => {
            let value: Cow<'_, str> = if looks_neutralised(s) {
                Cow::Owned(format!("'{s}"))
            } else {
                Cow::Borrowed(s)
            };
            if starts_with_trigger(&value) {
                ws.write_string_with_format(row, col, value.as_ref(), quote_prefix)?;
            } else {
                ws.write_string(row, col, value.as_ref())?;
            }
            match &width {
                Some(w) if value.len() as f64 + 1.0 <= **w => 0.0,
                _ => display_width(&value) + 1.0,
            }
        }
        CellRef::Number(n) => {
            ws.write_number(row, col, *n)?;
            match &width {
                Some(w) if NUMBER_WIDTH_MAX + 1.0 <= **w => 0.0,
                _ => fmt_num(*n).len() as f64 + 1.0,
            }
        }
        CellRef::Empty => 0.0,
    };
    if let Some(w) = width {
        *w = w.max(need);
    }
    Ok(())
}

/// The longest shortest form of an `f64` (`-2.2250738585072014e-308`).
const NUMBER_WIDTH_MAX: f64 = 24.0;

/// A cell as CSV writes it: text formula-guarded, numbers in their shortest form.
pub(crate) fn csv_cell<'a>(c: &'a CellRef<'_>) -> Cow<'a, str> {
    match c {
        CellRef::Text(s) => guard_formula(s),
        CellRef::Number(n) => Cow::Owned(fmt_num(*n)),
        CellRef::Empty => Cow::Borrowed(""),
    }
}

/// XLSX writer (constant-memory `rust_xlsxwriter`).
pub struct XlsxSiteWriter<'a, W: Write + Send> {
    out: W,
    workbook: rust_xlsxwriter::Workbook,
    ctx: Context<'a>,
    lang: HeaderLang,
    meta: ExportMeta,
    rows: u64,
    widths: Vec<f64>,
    quote_prefix: rust_xlsxwriter::Format,
}

impl<'a, W: Write + Send> XlsxSiteWriter<'a, W> {
    /// Starts a workbook, with its temporary file in [`std::env::temp_dir`].
    pub fn new(
        out: W,
        ctx: &Context<'a>,
        lang: HeaderLang,
        meta: &ExportMeta,
    ) -> Result<Self, ExportError> {
        Self::new_in(out, ctx, lang, meta, None)
    }

    /// Starts a workbook whose rows are buffered in a temporary file in `tempdir` (or
    /// [`std::env::temp_dir`] when `None`).
    pub fn new_in(
        out: W,
        ctx: &Context<'a>,
        lang: HeaderLang,
        meta: &ExportMeta,
        tempdir: Option<&Path>,
    ) -> Result<Self, ExportError> {
        use rust_xlsxwriter::{Format, Workbook};
        let mut workbook = Workbook::new();
        if let Some(dir) = tempdir {
            workbook.set_tempdir(PathBuf::from(dir)).map_err(xlsx_err)?;
        }
        // Compressing the sheet XML is the largest part of saving a big workbook: a low level
        // saves faster for a slightly larger file (BENCHMARKS.md measures exports).
        workbook.set_zip_compression_level(XLSX_ZIP_LEVEL);
        let bold = Format::new().set_bold();
        let headers = header_row(lang);
        let ws = workbook
            .add_worksheet_with_constant_memory()
            .map_err(xlsx_err)?;
        ws.set_name(XLSX_DATA_SHEET).map_err(xlsx_err)?;
        ws.set_freeze_panes(1, 0).map_err(xlsx_err)?;
        // Printing: A4 landscape; the header row and the name column repeat on every page, so a
        // printed list stays readable as its 33 columns flow across pages.
        ws.set_landscape();
        ws.set_paper_size(9);
        ws.set_repeat_rows(0, 0).map_err(xlsx_err)?;
        ws.set_repeat_columns(1, 1).map_err(xlsx_err)?;
        let mut widths = Vec::with_capacity(headers.len());
        for (i, h) in headers.iter().enumerate() {
            ws.write_string_with_format(0, i as u16, *h, &bold)
                .map_err(xlsx_err)?;
            // Room for the autofilter button.
            widths.push(display_width(h) + 3.0);
        }
        let about = workbook.add_worksheet();
        about.set_name(XLSX_ABOUT_SHEET).map_err(xlsx_err)?;
        Ok(Self {
            out,
            workbook,
            ctx: *ctx,
            lang,
            meta: meta.clone(),
            rows: 0,
            widths,
            quote_prefix: Format::new().set_quote_prefix(),
        })
    }

    /// Writes one site as the next row.
    pub fn write_site(&mut self, site: &Site) -> Result<(), ExportError> {
        let row_no = u32::try_from(self.rows + 1)
            .ok()
            .filter(|r| *r < 1_048_576)
            .ok_or_else(|| {
                ExportError::Xlsx(
                    "a sheet holds at most 1,048,575 rows; export CSV or narrow the filter".into(),
                )
            })?;
        let ws = self.workbook.worksheet_from_index(0).map_err(xlsx_err)?;
        for (i, column) in Column::ALL.iter().enumerate() {
            let c = cell_ref(site, *column, &self.ctx, self.lang);
            let at = |e: rust_xlsxwriter::XlsxError| {
                ExportError::Xlsx(format!("site {}, column {}: {e}", site.id, column.key()))
            };
            write_xlsx_cell(
                ws,
                row_no,
                i as u16,
                &c,
                &self.quote_prefix,
                self.widths.get_mut(i),
            )
            .map_err(at)?;
        }
        self.rows += 1;
        Ok(())
    }

    /// Sets widths and the autofilter, writes the about sheet and the workbook; returns the output.
    pub fn finish(mut self) -> Result<W, ExportError> {
        let last_col = (Column::ALL.len() - 1) as u16;
        let last_row = self.rows as u32;
        {
            let ws = self.workbook.worksheet_from_index(0).map_err(xlsx_err)?;
            for (i, w) in self.widths.iter().enumerate() {
                ws.set_column_width(i as u16, w.clamp(MIN_COL_WIDTH, MAX_COL_WIDTH))
                    .map_err(xlsx_err)?;
            }
            ws.autofilter(0, 0, last_row, last_col).map_err(xlsx_err)?;
            ws.ignore_error_range(
                0,
                0,
                last_row.max(1),
                last_col,
                rust_xlsxwriter::IgnoreError::NumberStoredAsText,
            )
            .map_err(xlsx_err)?;
        }
        let mut lines: Vec<(String, String)> = vec![
            ("标题 title".into(), self.meta.title.clone()),
            (
                "生成时间 generated at".into(),
                self.meta.generated_at_text(),
            ),
            ("记录数 rows".into(), self.rows.to_string()),
        ];
        lines.extend(describe_filter(&self.meta.filter_description, &self.ctx));
        lines.push(("数据来源 data source".into(), self.meta.data_source.clone()));
        lines.push(("坐标系 CRS".into(), CRS_NOTE.into()));
        lines.push(("近似位置 approximate places".into(), APPROX_NOTE.into()));
        lines.push(("公式 formulas".into(), FORMULA_NOTE.into()));
        {
            use rust_xlsxwriter::Format;
            let bold = Format::new().set_bold();
            let wrap = Format::new().set_text_wrap();
            let about = self.workbook.worksheet_from_index(1).map_err(xlsx_err)?;
            about
                .write_string_with_format(0, 0, "项目 item", &bold)
                .map_err(xlsx_err)?;
            about
                .write_string_with_format(0, 1, "内容 value", &bold)
                .map_err(xlsx_err)?;
            for (i, (k, v)) in lines.iter().enumerate() {
                let r = i as u32 + 1;
                about.write_string(r, 0, k).map_err(xlsx_err)?;
                about
                    .write_string_with_format(r, 1, v, &wrap)
                    .map_err(xlsx_err)?;
            }
            about.set_column_width(0, 28).map_err(xlsx_err)?;
            about.set_column_width(1, 90).map_err(xlsx_err)?;
        }
        self.workbook
            .save_to_writer(&mut self.out)
            .map_err(xlsx_err)?;
        self.out.flush()?;
        Ok(self.out)
    }
}

impl<W: Write + Send> SiteWriter for XlsxSiteWriter<'_, W> {
    fn write_site(&mut self, site: &Site) -> Result<(), ExportError> {
        XlsxSiteWriter::write_site(self, site)
    }
    fn rows_written(&self) -> u64 {
        self.rows
    }
    fn finish_boxed(self: Box<Self>) -> Result<u64, ExportError> {
        let rows = self.rows;
        (*self).finish()?;
        Ok(rows)
    }
}

// ---------------------------------------------------------------------------------------------
// GeoJSON
// ---------------------------------------------------------------------------------------------

fn json_number(v: f64) -> serde_json::Value {
    if v.fract() == 0.0 && v.abs() < 9.0e15 {
        serde_json::Value::from(v as i64)
    } else {
        serde_json::Number::from_f64(v)
            .map(serde_json::Value::Number)
            .unwrap_or(serde_json::Value::Null)
    }
}

fn ring(r: &geo::LineString<f64>) -> Vec<geojson::Position> {
    r.coords()
        .map(|c| geojson::Position::from([c.x, c.y]))
        .collect()
}

/// A site as a GeoJSON Feature (RFC 7946, WGS84).
///
/// - `id`: the site id. Geometry: a Point, or the Polygon for polygon sites (whose marker is in
///   the `lon`/`lat` properties).
/// - Properties keyed by [`Column::key`] for every column except `polygon_wkt` (the geometry
///   holds it): numbers as JSON numbers, vocabulary values as ids, `chains` as `a;b.c`,
///   `town_name` in Chinese, `outside_district` as a boolean, empty values as `null`.
/// - Plus `category_zh`, `kind_zh`, `level_zh`, `status_zh`, `scope_zh`,
///   `location_precision_zh` (Chinese labels for GIS users) and `approximate` (true when the
///   point stands for a township or the district).
pub fn site_to_feature(site: &Site, ctx: &Context<'_>) -> geojson::Feature {
    use serde_json::Value;
    let mut props = geojson::JsonObject::new();
    feature_properties(site, ctx, |key, v| {
        let v = match v {
            Prop::Text(s) => Value::String(s.into_owned()),
            Prop::Label(s) => Value::String(s.to_string()),
            Prop::Number(n) => json_number(n),
            Prop::Bool(b) => Value::Bool(b),
            Prop::Null => Value::Null,
        };
        props.insert(key.to_string(), v);
    });
    geojson::Feature {
        bbox: None,
        geometry: feature_geometry(site),
        id: Some(geojson::feature::Id::String(site.id.to_string())),
        properties: Some(props),
        foreign_members: None,
    }
}

/// Appends `site` as a GeoJSON Feature to `out`: the same members and values as
/// [`site_to_feature`] (properties in column order rather than sorted), written straight to
/// JSON without building the feature first (what an API page of many sites does).
pub fn write_feature(out: &mut Vec<u8>, site: &Site, ctx: &Context<'_>) {
    out.extend_from_slice(br#"{"type":"Feature","id":"#);
    json_str(out, site.id.as_str());
    out.extend_from_slice(br#","geometry":"#);
    match &site.location.geometry {
        None => out.extend_from_slice(b"null"),
        Some(SiteGeometry::Point(p)) => {
            out.extend_from_slice(br#"{"type":"Point","coordinates":["#);
            json_num(out, p.lon.get());
            out.push(b',');
            json_num(out, p.lat.get());
            out.extend_from_slice(b"]}");
        }
        Some(SiteGeometry::Polygon { .. }) => {
            // Serialising a geometry we built cannot fail: no map keys, no non-finite numbers.
            let _ = serde_json::to_writer(&mut *out, &feature_geometry(site));
        }
    }
    out.extend_from_slice(br#","properties":{"#);
    let mut first = true;
    feature_properties(site, ctx, |key, v| {
        if !first {
            out.push(b',');
        }
        first = false;
        json_str(out, key);
        out.push(b':');
        match v {
            Prop::Text(s) => json_str(out, &s),
            Prop::Label(s) => json_str(out, s),
            Prop::Number(n) => json_num(out, n),
            Prop::Bool(true) => out.extend_from_slice(b"true"),
            Prop::Bool(false) => out.extend_from_slice(b"false"),
            Prop::Null => out.extend_from_slice(b"null"),
        }
    });
    out.extend_from_slice(b"}}");
}

/// A JSON string (escaped by serde_json).
fn json_str(out: &mut Vec<u8>, s: &str) {
    // Writing a `str` into a `Vec` cannot fail.
    let _ = serde_json::to_writer(&mut *out, s);
}

/// A JSON number as [`json_number`] writes it.
fn json_num(out: &mut Vec<u8>, v: f64) {
    let _ = serde_json::to_writer(&mut *out, &json_number(v));
}

/// A property value of a feature.
enum Prop<'a> {
    Text(Cow<'a, str>),
    Label(&'static str),
    Number(f64),
    Bool(bool),
    Null,
}

/// The properties of a site's feature, in column order, then the Chinese labels and
/// `approximate`: the one definition behind [`site_to_feature`] and [`write_feature`].
fn feature_properties<'a>(
    site: &'a Site,
    ctx: &Context<'a>,
    mut emit: impl FnMut(&'static str, Prop<'a>),
) {
    for c in Column::ALL {
        if c == Column::PolygonWkt {
            continue;
        }
        let lang = if c == Column::TownName {
            HeaderLang::Zh
        } else {
            HeaderLang::En
        };
        let v = match c {
            Column::OutsideDistrict => Prop::Bool(site.outside_district),
            _ => match cell_ref(site, c, ctx, lang) {
                CellRef::Text(s) => Prop::Text(s),
                CellRef::Number(n) => Prop::Number(n),
                CellRef::Empty => Prop::Null,
            },
        };
        emit(c.key(), v);
    }
    emit("category_zh", Prop::Label(site.category.zh()));
    emit("kind_zh", Prop::Label(site.kind.zh()));
    emit("level_zh", Prop::Label(site.level.zh()));
    emit("status_zh", Prop::Label(site.status.zh()));
    emit("scope_zh", Prop::Label(site.scope.zh()));
    emit(
        "location_precision_zh",
        Prop::Label(site.location.precision.zh()),
    );
    emit(
        "approximate",
        Prop::Bool(site.location.precision.is_approximate()),
    );
}

/// The feature geometry of a site: its point, or its polygon; `None` (GeoJSON `null`) for a
/// site without location.
fn feature_geometry(site: &Site) -> Option<geojson::Geometry> {
    Some(match site.location.geometry.as_ref()? {
        SiteGeometry::Point(p) => geojson::Geometry::new_point([p.lon.get(), p.lat.get()]),
        SiteGeometry::Polygon { polygon, .. } => {
            let mut rings = vec![ring(polygon.exterior())];
            rings.extend(polygon.interiors().iter().map(ring));
            geojson::Geometry::new(geojson::GeometryValue::Polygon { coordinates: rings })
        }
    })
}

/// Zip compression level of exported workbooks (1 fastest … 9 smallest; the crate's default 6).
const XLSX_ZIP_LEVEL: u8 = 2;

/// Streaming GeoJSON FeatureCollection writer: the opening with `name` and `metadata`, one
/// feature per line, then `numberReturned` and the closing.
pub struct GeoJsonSiteWriter<'a, W: Write> {
    out: BufWriter<W>,
    ctx: Context<'a>,
    rows: u64,
    /// The feature being written (reused).
    buf: Vec<u8>,
}

impl<'a, W: Write> GeoJsonSiteWriter<'a, W> {
    /// Writes the opening of the collection. `lang` is not used: properties are keyed by
    /// column key, with `*_zh` label properties alongside.
    pub fn new(
        out: W,
        ctx: &Context<'a>,
        _lang: HeaderLang,
        meta: &ExportMeta,
    ) -> Result<Self, ExportError> {
        let mut out = BufWriter::new(out);
        let filter: serde_json::Map<String, serde_json::Value> = meta
            .filter_description
            .iter()
            .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
            .collect();
        let metadata = serde_json::json!({
            "title": meta.title,
            "generated_at": meta.generated_at.to_rfc3339(),
            "filter": filter,
            "data_source": meta.data_source,
            "crs": "WGS84 (EPSG:4326, RFC 7946)",
        });
        write!(
            out,
            "{{\"type\":\"FeatureCollection\",\"name\":{},\"metadata\":{},\"features\":[",
            serde_json::to_string(&meta.title)?,
            serde_json::to_string(&metadata)?
        )?;
        Ok(Self {
            out,
            ctx: *ctx,
            rows: 0,
            buf: Vec::with_capacity(2048),
        })
    }

    /// Writes one feature.
    pub fn write_site(&mut self, site: &Site) -> Result<(), ExportError> {
        self.buf.clear();
        write_feature(&mut self.buf, site, &self.ctx);
        self.out
            .write_all(if self.rows == 0 { b"\n" } else { b",\n" })?;
        self.out.write_all(&self.buf)?;
        self.rows += 1;
        Ok(())
    }

    /// Writes the closing and returns the output.
    pub fn finish(mut self) -> Result<W, ExportError> {
        write!(self.out, "\n],\"numberReturned\":{}}}\n", self.rows)?;
        self.out
            .into_inner()
            .map_err(|e| ExportError::Io(e.into_error()))
    }
}

impl<W: Write> SiteWriter for GeoJsonSiteWriter<'_, W> {
    fn write_site(&mut self, site: &Site) -> Result<(), ExportError> {
        GeoJsonSiteWriter::write_site(self, site)
    }
    fn rows_written(&self) -> u64 {
        self.rows
    }
    fn finish_boxed(self: Box<Self>) -> Result<u64, ExportError> {
        let rows = self.rows;
        (*self).finish()?;
        Ok(rows)
    }
}

// ---------------------------------------------------------------------------------------------
// KML
// ---------------------------------------------------------------------------------------------

/// Drops characters XML 1.0 does not allow (control characters other than tab, LF, CR).
fn xml_text(s: &str) -> Cow<'_, str> {
    let ok = |c: char| {
        matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && c != '\u{FFFE}' && c != '\u{FFFF}')
    };
    if s.chars().all(ok) {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(s.chars().filter(|c| ok(*c)).collect())
    }
}

fn kml_coords<'c>(coords: impl Iterator<Item = &'c geo::Coord<f64>>) -> String {
    coords
        .map(|c| format!("{},{}", c.x, c.y))
        .collect::<Vec<_>>()
        .join(" ")
}

/// KML 2.2 writer: a Document with the title and a description of the filter and time, one
/// Placemark per site (name = Chinese name; description = English name and category; every
/// column in ExtendedData with its Chinese header as displayName; Point or Polygon).
pub struct KmlSiteWriter<'a, W: Write> {
    xml: quick_xml::Writer<BufWriter<W>>,
    ctx: Context<'a>,
    lang: HeaderLang,
    rows: u64,
}

impl<'a, W: Write> KmlSiteWriter<'a, W> {
    /// Writes the XML declaration and the Document's name and description.
    pub fn new(
        out: W,
        ctx: &Context<'a>,
        lang: HeaderLang,
        meta: &ExportMeta,
    ) -> Result<Self, ExportError> {
        use quick_xml::events::{BytesDecl, BytesStart, BytesText, Event};
        let mut xml = quick_xml::Writer::new_with_indent(BufWriter::new(out), b' ', 1);
        xml.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
        xml.write_event(Event::Start(
            BytesStart::new("kml").with_attributes([("xmlns", "http://www.opengis.net/kml/2.2")]),
        ))?;
        xml.write_event(Event::Start(BytesStart::new("Document")))?;
        xml.create_element("name")
            .write_text_content(BytesText::new(&xml_text(&meta.title)))?;
        let mut desc = vec![format!(
            "生成时间 generated at: {}",
            meta.generated_at_text()
        )];
        if let Some(n) = meta.row_count {
            desc.push(format!("记录数 rows: {n}"));
        }
        for (k, v) in describe_filter(&meta.filter_description, ctx) {
            desc.push(format!("{k}: {v}"));
        }
        desc.push(format!("数据来源 data source: {}", meta.data_source));
        desc.push(format!("坐标系 CRS: {CRS_NOTE}"));
        xml.create_element("description")
            .write_text_content(BytesText::new(&xml_text(&desc.join("\n"))))?;
        Ok(Self {
            xml,
            ctx: *ctx,
            lang,
            rows: 0,
        })
    }

    /// Writes one Placemark.
    pub fn write_site(&mut self, site: &Site) -> Result<(), ExportError> {
        use quick_xml::events::{BytesEnd, BytesStart, BytesText, Event};
        let x = &mut self.xml;
        x.write_event(Event::Start(BytesStart::new("Placemark")))?;
        x.create_element("name")
            .write_text_content(BytesText::new(&xml_text(&site.name_zh)))?;
        let category = format!("{} {}", site.category.zh(), site.category.en());
        let desc = match &site.name_en {
            Some(en) => format!("{en} · {category}"),
            None => category,
        };
        x.create_element("description")
            .write_text_content(BytesText::new(&xml_text(&desc)))?;
        x.write_event(Event::Start(BytesStart::new("ExtendedData")))?;
        for c in Column::ALL {
            let value = cell(site, c, &self.ctx, self.lang).to_text();
            x.create_element("Data")
                .with_attribute(("name", c.key()))
                .write_inner_content(|w| {
                    w.create_element("displayName")
                        .write_text_content(BytesText::new(c.zh()))?;
                    w.create_element("value")
                        .write_text_content(BytesText::new(&xml_text(&value)))?;
                    Ok::<(), std::io::Error>(())
                })?;
        }
        x.write_event(Event::End(BytesEnd::new("ExtendedData")))?;
        match &site.location.geometry {
            // A site without location: the Placemark has no geometry (listed, not drawn).
            None => {}
            Some(SiteGeometry::Point(p)) => {
                x.create_element("Point").write_inner_content(|w| {
                    w.create_element("coordinates")
                        .write_text_content(BytesText::new(&format!(
                            "{},{}",
                            p.lon.get(),
                            p.lat.get()
                        )))?;
                    Ok::<(), std::io::Error>(())
                })?;
            }
            Some(SiteGeometry::Polygon { polygon, .. }) => {
                x.create_element("Polygon").write_inner_content(|w| {
                    let boundary = |w: &mut quick_xml::Writer<_>,
                                    tag: &str,
                                    r: &geo::LineString<f64>|
                     -> std::io::Result<()> {
                        w.create_element(tag).write_inner_content(|w| {
                            w.create_element("LinearRing").write_inner_content(|w| {
                                w.create_element("coordinates")
                                    .write_text_content(BytesText::new(&kml_coords(r.coords())))?;
                                Ok::<(), std::io::Error>(())
                            })?;
                            Ok::<(), std::io::Error>(())
                        })?;
                        Ok(())
                    };
                    boundary(w, "outerBoundaryIs", polygon.exterior())?;
                    for r in polygon.interiors() {
                        boundary(w, "innerBoundaryIs", r)?;
                    }
                    Ok::<(), std::io::Error>(())
                })?;
            }
        }
        x.write_event(Event::End(BytesEnd::new("Placemark")))?;
        self.rows += 1;
        Ok(())
    }

    /// Closes the Document and returns the output.
    pub fn finish(mut self) -> Result<W, ExportError> {
        use quick_xml::events::{BytesEnd, Event};
        self.xml
            .write_event(Event::End(BytesEnd::new("Document")))?;
        self.xml.write_event(Event::End(BytesEnd::new("kml")))?;
        let mut out = self.xml.into_inner();
        out.write_all(b"\n")?;
        out.into_inner()
            .map_err(|e| ExportError::Io(e.into_error()))
    }
}

impl<W: Write> SiteWriter for KmlSiteWriter<'_, W> {
    fn write_site(&mut self, site: &Site) -> Result<(), ExportError> {
        KmlSiteWriter::write_site(self, site)
    }
    fn rows_written(&self) -> u64 {
        self.rows
    }
    fn finish_boxed(self: Box<Self>) -> Result<u64, ExportError> {
        let rows = self.rows;
        (*self).finish()?;
        Ok(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_guard_prefixes_dangerous_text_and_spares_phones_and_numbers() {
        assert_eq!(guard_formula("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(guard_formula("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(guard_formula("-cmd|' /C calc'!A0"), "'-cmd|' /C calc'!A0");
        assert_eq!(guard_formula("+1+cmd"), "'+1+cmd");
        assert_eq!(guard_formula("\tx"), "'\tx");
        assert_eq!(guard_formula("\rx"), "'\rx");
        assert_eq!(guard_formula("+86 668 2345678"), "+86 668 2345678");
        assert_eq!(guard_formula("-73.9"), "-73.9");
        assert_eq!(guard_formula("+86 (668) 234-5678"), "+86 (668) 234-5678");
        assert_eq!(guard_formula("-"), "'-");
        assert_eq!(guard_formula("广东"), "广东");
        assert_eq!(guard_formula("'=x"), "''=x");
        assert_eq!(guard_formula("'+86 1"), "''+86 1");
        assert_eq!(guard_formula("'abc"), "'abc");
    }

    #[test]
    fn column_widths_grow_to_the_widest_cell_whenever_it_comes() {
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet();
        let q = rust_xlsxwriter::Format::new().set_quote_prefix();
        let mut w = 5.0;
        let mut put = |row: u32, c: CellRef<'_>, w: &mut f64| {
            write_xlsx_cell(ws, row, 0, &c, &q, Some(w)).unwrap();
        };
        put(1, CellRef::Text("abc".into()), &mut w);
        assert_eq!(w, 5.0);
        // Six CJK characters: 18 bytes, display width 12, + 1.
        put(2, CellRef::Text("茂名市茂南区".into()), &mut w);
        assert_eq!(w, 13.0);
        put(3, CellRef::Number(-110.123456789), &mut w);
        assert_eq!(w, 15.0);
        put(4, CellRef::Empty, &mut w);
        put(
            5,
            CellRef::Text("a much longer line of plain text".into()),
            &mut w,
        );
        assert_eq!(w, 33.0);
        put(6, CellRef::Number(1.0), &mut w);
        assert_eq!(w, 33.0);
    }

    #[test]
    fn stripping_the_guard_undoes_exactly_what_export_added() {
        for s in [
            "=1+1",
            "'=1+1",
            "''@x",
            "+86 668 2345678",
            "'+86 1",
            "-73.9",
            "'quoted'",
            "'",
            "plain",
            "-",
            "\tx",
        ] {
            assert_eq!(strip_formula_guard(&guard_formula(s)), s, "{s:?}");
        }
    }

    #[test]
    fn cjk_characters_count_double_in_column_widths() {
        assert_eq!(display_width("abc"), 3.0);
        assert_eq!(display_width("茂南"), 4.0);
        assert_eq!(display_width("ab\n茂南区"), 6.0);
        assert_eq!(display_width("（）"), 4.0);
    }

    #[test]
    fn export_formats_parse_and_name_their_mime_types() {
        assert_eq!("XLSX".parse::<ExportFormat>().unwrap(), ExportFormat::Xlsx);
        assert_eq!(".kml".parse::<ExportFormat>().unwrap(), ExportFormat::Kml);
        assert!("pdf".parse::<ExportFormat>().is_err());
        assert_eq!(ExportFormat::GeoJson.mime_type(), "application/geo+json");
    }
}
