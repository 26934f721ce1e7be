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
//! - **XLSX**: sheet "清单", the list made to be read and printed (title from the filter, 序号
//!   and the ten columns a person reads, wrapped, bordered, A4 landscape one page wide, header
//!   repeated, page numbers; see `print.rs`), then sheet "全部字段" with the header row bold and frozen, an autofilter over the data,
//!   column widths from the content (CJK characters count double, capped at 60), numbers as
//!   numbers and all text (phone numbers, codes, dates) as text cells; sheet "说明 About" with
//!   the title, the filter, the time, the row count, the data source and the CRS. Written with
//!   `rust_xlsxwriter` in constant-memory mode: rows go to a temporary file as they are written,
//!   in [`std::env::temp_dir`] unless a directory is given ([`XlsxSiteWriter::new_in`]). This
//!   temporary file is the only file-system access of this crate.
//! - **GeoJSON** (RFC 7946, WGS84 lon/lat): a FeatureCollection written feature by feature; see
//!   [`site_to_feature`] for the properties. `metadata` and `numberReturned` are foreign members.
//! - **KML 2.2**: one Placemark per site with every column in ExtendedData (Chinese display names).
//! - **GeoPackage** ([`ExportFormat::Gpkg`]): an SQLite file, so written by
//!   `atlas_store::gpkg` from the same cells ([`crate::record::cell_ref`], typed by
//!   [`Column::value_type`]) and the same geometry as GeoJSON and KML.
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
    /// Name of the list on the XLSX list sheet, before the filter's words; `None` for
    /// [`LIST_TITLE`].
    pub list_title: Option<String>,
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
            list_title: None,
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
    /// OGC GeoPackage: an SQLite database file, written by `atlas_store::gpkg` (this crate
    /// knows no SQL); [`site_writer`] does not write it.
    Gpkg,
}

impl ExportFormat {
    /// Every format.
    pub const ALL: [ExportFormat; 5] =
        [Self::Xlsx, Self::Csv, Self::GeoJson, Self::Kml, Self::Gpkg];
    /// The formats this crate writes as a stream ([`site_writer`], [`export_sites`]): all but
    /// GeoPackage.
    pub const STREAMED: [ExportFormat; 4] = [Self::Xlsx, Self::Csv, Self::GeoJson, Self::Kml];

    /// Whether a file of this format may declare `crs` for the catalogue's WGS84 numbers:
    /// WGS84 always; CGCS2000 (equal to it at map scale) in every format but KML, whose
    /// coordinates are WGS84 by definition (OGC KML 2.2); GCJ-02 and BD-09 never (they are
    /// other numbers, not another name for the same ones).
    pub fn declares(self, crs: crate::Crs) -> bool {
        match crs {
            crate::Crs::Wgs84 => true,
            crate::Crs::Cgcs2000 => self != Self::Kml,
            crate::Crs::Gcj02 | crate::Crs::Bd09 => false,
        }
    }

    /// Identifier and file extension without the dot (`xlsx`, `csv`, `geojson`, `kml`,
    /// `gpkg`).
    pub fn extension(self) -> &'static str {
        match self {
            Self::Xlsx => "xlsx",
            Self::Csv => "csv",
            Self::GeoJson => "geojson",
            Self::Kml => "kml",
            Self::Gpkg => "gpkg",
        }
    }

    /// The `Content-Type` of the file.
    pub fn mime_type(self) -> &'static str {
        match self {
            Self::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Self::Csv => "text/csv; charset=utf-8",
            Self::GeoJson => "application/geo+json",
            Self::Kml => "application/vnd.google-earth.kml+xml",
            Self::Gpkg => "application/geopackage+sqlite3",
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
            "gpkg" | "geopackage" => Ok(Self::Gpkg),
            _ => Err(crate::vocab::UnknownValue {
                what: "format",
                given: s.to_string(),
                allowed: "xlsx, csv, geojson, kml, gpkg".into(),
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
    /// A format that is a database file, not a stream ([`ExportFormat::Gpkg`]): its writer is
    /// `atlas_store::gpkg::GpkgWriter`.
    #[error("{0} is written to a file by the store, not as a stream")]
    NotAStream(ExportFormat),
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
/// [`ExportFormat::Gpkg`] is [`ExportError::NotAStream`]: the store writes GeoPackages.
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
        ExportFormat::Gpkg => return Err(ExportError::NotAStream(format)),
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
/// `创新资源布局_载体平台_石油化工_20261126-1030.xlsx` and
/// `innovation-atlas_carrier_platform_petrochemical_20261126-1030.xlsx` (for
/// `Content-Disposition`'s `filename*` and `filename`), from what the filter selects
/// ([`filter_label`]).
pub fn suggested_filename(
    label: &FilterLabel,
    format: ExportFormat,
    when: NaiveDateTime,
) -> (String, String) {
    let (zh, ascii) = label.file_label();
    report_filename(
        "创新资源布局",
        "innovation-atlas",
        &zh,
        &ascii,
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

/// What a filter selects, in words: Chinese for titles and file names, ids for ASCII names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FilterLabel {
    /// One part per restriction, Chinese names (`载体平台`, `石油化工`, `搜索“石化”`).
    pub zh: Vec<String>,
    /// The same restrictions by id, where they have one (`carrier_platform`, `petrochemical`).
    pub ascii: Vec<String>,
}

/// Longest label of a file name, in characters; a longer one is cut and ends with `等`.
const FILE_LABEL_MAX: usize = 32;
/// Most values of one parameter named in a label; more read `A、B等N项`.
const LABEL_VALUES_MAX: usize = 2;
/// Longest search text quoted in a label, in characters.
const LABEL_SEARCH_MAX: usize = 12;

impl FilterLabel {
    /// The label of a file name `(Chinese, ASCII)`: the parts joined by `_`, the Chinese one cut
    /// at [`FILE_LABEL_MAX`] characters.
    pub fn file_label(&self) -> (String, String) {
        let zh = self.zh.join("_");
        let zh = if zh.chars().count() > FILE_LABEL_MAX {
            let cut: String = zh.chars().take(FILE_LABEL_MAX - 1).collect();
            format!("{}等", cut.trim_end_matches(['_', '、']))
        } else {
            zh
        };
        let ascii = self
            .ascii
            .iter()
            .map(|a| a.replace(['.', ','], "-"))
            .collect::<Vec<_>>()
            .join("_");
        (zh, ascii.chars().take(80).collect())
    }
}

/// Filter parameters whose values have names ([`value_name_zh`]).
const NAMED_KEYS: [&str; 9] = [
    "category",
    "kind",
    "level",
    "status",
    "scope",
    "precision",
    "chain",
    "link",
    "town",
];

/// The Chinese name of one value of a filter parameter (a vocabulary label, a chain's, link's
/// or township's name), `None` when the parameter has no names or the value is unknown.
fn value_name_zh(key: &str, value: &str, ctx: &Context<'_>) -> Option<String> {
    fn vocab<T: Labelled>(v: &str) -> Option<String> {
        T::parse_label(v).ok().map(|x| x.zh().to_string())
    }
    match key {
        "category" => vocab::<Category>(value),
        "kind" => vocab::<Kind>(value),
        "level" => vocab::<Level>(value),
        "status" => vocab::<Status>(value),
        "scope" => vocab::<Scope>(value),
        "precision" => vocab::<crate::vocab::LocationPrecision>(value),
        "chain" => ChainId::new(value)
            .ok()
            .and_then(|id| ctx.chains.chain(&id))
            .map(|c| c.name_zh.clone()),
        "link" => LinkId::new(value)
            .ok()
            .and_then(|id| ctx.chains.link(&id))
            .map(|l| l.name_zh.clone()),
        "town" => TownCode::new(value)
            .ok()
            .and_then(|code| ctx.divisions.iter().find(|d| d.code == code))
            .map(|d| d.name_zh.clone()),
        _ => None,
    }
}

/// What the filter pairs (as [`SiteFilter::to_pairs`] gives them, or any `(key, value)` list)
/// select, in words, in the order of the pairs: values by name (`载体平台`, `石油化工`, a
/// township), at most two per parameter (`载体平台、重点企业等3项`), the search as
/// `搜索“…”`, a map box as `地图范围内`. Other keys are left out.
pub fn filter_label(pairs: &[(String, String)], ctx: &Context<'_>) -> FilterLabel {
    let mut label = FilterLabel::default();
    for (k, v) in pairs {
        match k.as_str() {
            "q" => {
                let q: String = v.trim().chars().take(LABEL_SEARCH_MAX).collect();
                label.zh.push(format!("搜索“{q}”"));
                if q.is_ascii() {
                    label.ascii.push(format!("q-{q}"));
                }
            }
            "bbox" => label.zh.push("地图范围内".into()),
            "located" => label.zh.push(
                if v == "true" {
                    "已定位"
                } else {
                    "位置待定"
                }
                .into(),
            ),
            key if NAMED_KEYS.contains(&key) => {
                let values: Vec<&str> = v
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .collect();
                let names: Vec<String> = values
                    .iter()
                    .filter_map(|x| value_name_zh(key, x, ctx))
                    .collect();
                if names.is_empty() {
                    continue;
                }
                label.zh.push(if names.len() > LABEL_VALUES_MAX {
                    format!(
                        "{}等{}项",
                        names[..LABEL_VALUES_MAX].join("、"),
                        names.len()
                    )
                } else {
                    names.join("、")
                });
                label.ascii.push(values.join("-"));
            }
            _ => {}
        }
    }
    label
}

/// The filter pairs with people's labels: `("类别 category", "carrier_platform（载体平台）")`.
/// An empty filter gives one line saying that everything was exported.
pub fn describe_filter(pairs: &[(String, String)], ctx: &Context<'_>) -> Vec<(String, String)> {
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
                "filter" => "CQL2 筛选 filter",
                other => other,
            };
            let value = match k.as_str() {
                key if NAMED_KEYS.contains(&key) => v
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(|s| match value_name_zh(key, s, ctx) {
                        Some(name) => format!("{s}（{name}）"),
                        None => s.to_string(),
                    })
                    .collect::<Vec<_>>()
                    .join("、"),
                _ => v.clone(),
            };
            (label.to_string(), value)
        })
        .collect()
}

/// What the coordinates of an export are, for the CRS it is written in.
pub(crate) fn crs_note(crs: crate::crs::Crs) -> &'static str {
    if crs == crate::crs::Crs::Cgcs2000 {
        CGCS2000_NOTE
    } else {
        CRS_NOTE
    }
}

const CGCS2000_NOTE: &str = "CGCS2000 国家2000大地坐标系（EPSG:4490，经纬度，十进制度）。目录以 WGS84 保存，二者在本区相差远小于 1 米，数值相同。高德/腾讯（GCJ-02）与百度（BD-09）坐标已在录入时转换，原始值保留在“原始坐标系/原始经度/原始纬度”列。 / CGCS2000 (EPSG:4490) lon/lat in decimal degrees: the catalogue stores WGS84, which agrees with CGCS2000 to well under a metre here, so the numbers are the same. GCJ-02 and BD-09 inputs were converted on entry, originals kept in original_crs/original_lon/original_lat.";
pub(crate) const CRS_NOTE: &str = "WGS84（EPSG:4326，经纬度，十进制度；与 CGCS2000 在地图尺度上一致）。高德/腾讯（GCJ-02）与百度（BD-09）坐标已在录入时转换为 WGS84，原始值保留在“原始坐标系/原始经度/原始纬度”列。 / WGS84 (EPSG:4326) lon/lat in decimal degrees; GCJ-02 and BD-09 inputs were converted on entry, originals kept in original_crs/original_lon/original_lat.";
const APPROX_NOTE: &str = "定位精度为“镇街级（近似）”的站点，坐标是所属镇街驻地，不是站点本身的位置；“区级（近似）”只表示区级精度；“位置待定”的站点没有坐标（经度、纬度为空）。 / Sites with precision town are placed at their township's seat, not at their own location; district means district-level precision; sites with precision unknown have no coordinates (lon/lat empty).";
pub(crate) const FORMULA_NOTE: &str = "以 = + - @ 开头的文本按文本保存，不会作为公式执行。 / Text starting with = + - @ is stored as text and never runs as a formula.";

/// Implements [`SiteWriter`] for a format's writer that has inherent `write_site` and `finish`
/// methods and a `rows` counter (every format's writer has that shape).
macro_rules! site_writer {
    ($writer:ident $(, $bound:path)*) => {
        impl<W: Write $(+ $bound)*> SiteWriter for $writer<'_, W> {
            fn write_site(&mut self, site: &Site) -> Result<(), ExportError> {
                $writer::write_site(self, site)
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
    };
}

mod csv_writer;
mod geojson_writer;
mod kml_writer;
mod print;
mod xlsx_writer;

pub(crate) use csv_writer::csv_cell;
pub use csv_writer::CsvSiteWriter;
pub use geojson_writer::*;
pub use kml_writer::KmlSiteWriter;
pub(crate) use print::{
    body_format, header_format, page_setup, print_header_width, print_setup, wrapped_row_height,
    CellFormats, ListSheet, PRINT_COL_WIDTH,
};
pub use print::{
    chain_names, list_row, LIST_COLUMNS, LIST_HEADER_ROW, LIST_TITLE, PAGE_FOOTER, PAGE_HEADER,
    XLSX_LIST_SHEET,
};
pub use xlsx_writer::*;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_format_declares_wgs84_all_but_kml_cgcs2000_none_gcj02_or_bd09() {
        use crate::Crs;
        for f in ExportFormat::ALL {
            assert!(f.declares(Crs::Wgs84), "{f}");
            assert_eq!(f.declares(Crs::Cgcs2000), f != ExportFormat::Kml, "{f}");
            assert!(!f.declares(Crs::Gcj02) && !f.declares(Crs::Bd09), "{f}");
        }
    }

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
        let q = CellFormats::plain();
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
