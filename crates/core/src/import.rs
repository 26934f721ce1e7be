//! Reading site files: CSV, XLSX (the sheet "全部字段" of an export, else the first) and GeoJSON, with Chinese or English headers.
//! Every bad row is reported with its line, column and reason; a file that cannot be read at all
//! is an [`ImportError`] with a message a person can act on. Nothing here panics on bad input.
//!
//! # CSV
//! - Encodings: UTF-8 (with or without BOM); GBK/GB18030 (what Chinese Excel writes for
//!   "CSV"), detected with `chardetng` and decoded as GB18030 (a superset of GBK); UTF-16 LE/BE
//!   (with a BOM, or without one when the NUL pattern is unmistakable: Excel's "Unicode text").
//!   Anything else (Shift_JIS, Big5, EUC-KR, windows-1252, …) is refused with
//!   [`ImportError::Encoding`] naming the detected encoding.
//! - Separator: sniffed from the header line among `,` `;` and tab (default `,`).
//! - A quoted field that is never closed is an [`ImportError::Csv`] naming the line it opened on.
//! - A row with more non-empty cells than the header has columns is reported as a row error
//!   (usually an unquoted separator inside a value).
//!
//! # XLSX
//! The sheet "全部字段" (every column of an export, whose first sheet is the readable list
//! "清单"), or the first sheet of any other workbook, read with `calamine`. Line numbers are the sheet's 1-based row numbers.
//! Whole numbers read without `.0` (a phone typed as the number 13800138000 reads
//! `13800138000`), other numbers in their shortest round-trip form (coordinates keep full
//! precision), dates as `YYYY-MM-DD` (`YYYY-MM-DD HH:MM:SS` when they have a time), booleans as
//! `true`/`false`. A cell holding a spreadsheet error (`#N/A`, `#REF!`, …) makes its row invalid
//! with a row error naming the cell (the cell is not silently read as empty). `.xls` (Excel
//! 97–2003), empty input and ZIP files that are not workbooks are refused with a clear message.
//!
//! # Header row
//! Normally the first non-empty row. When a spreadsheet starts with a title line, the header is
//! the first of the first ten non-empty rows that names at least two known columns; rows above it
//! are ignored.
//!
//! # Formula neutralisation
//! Exports make spreadsheet-formula-like text inert by prefixing `'` (see [`crate::export`]).
//! CSV and XLSX imports remove exactly that prefix: a cell of the form `'`… (one or more `'`)
//! followed by `=`, `+`, `-`, `@`, tab or CR loses one `'`. So export → import → export is
//! lossless. GeoJSON is not a spreadsheet format and is read as is.
//!
//! # GeoJSON
//! A FeatureCollection (or a single Feature) as written by [`crate::export`]: properties keyed by
//! column key (Chinese headers and aliases are accepted too), geometry Point or Polygon. The
//! "line" of a GeoJSON row is the feature's 1-based position in the collection.

use crate::columns::Column;
use crate::crs::Crs;
use crate::record::{fmt_num, site_from_row_noted, Context, RawRow, RowError, RowNote};
use crate::site::Site;
use encoding_rs::{Encoding, GB18030, UTF_16BE, UTF_16LE, UTF_8};
use serde::Serialize;
use std::borrow::Cow;
use std::collections::HashMap;

/// File formats an import reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileFormat {
    /// Comma-separated values (also `;` or tab separated).
    Csv,
    /// Excel workbook (the sheet "全部字段" of an export, else the first sheet).
    Xlsx,
    /// GeoJSON FeatureCollection (as exported).
    GeoJson,
}

const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
const OLE_MAGIC: &[u8] = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1";

impl FileFormat {
    /// Guesses the format from a file name's extension.
    pub fn from_name(name: &str) -> Option<Self> {
        let lower = name.to_ascii_lowercase();
        if lower.ends_with(".csv") || lower.ends_with(".txt") || lower.ends_with(".tsv") {
            Some(Self::Csv)
        } else if lower.ends_with(".xlsx") {
            Some(Self::Xlsx)
        } else if lower.ends_with(".geojson") || lower.ends_with(".json") {
            Some(Self::GeoJson)
        } else {
            None
        }
    }

    /// Guesses the format from the content: a ZIP is XLSX, text starting with `{` is GeoJSON,
    /// other text is CSV. `None` for empty input and for `.xls` (which is not read).
    pub fn sniff(bytes: &[u8]) -> Option<Self> {
        if bytes.starts_with(ZIP_MAGIC) {
            return Some(Self::Xlsx);
        }
        if bytes.starts_with(OLE_MAGIC) {
            return None;
        }
        let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        match body.iter().find(|b| !b.is_ascii_whitespace()) {
            None => None,
            Some(b'{') => Some(Self::GeoJson),
            Some(_) => Some(Self::Csv),
        }
    }

    /// Short lowercase name (`csv`, `xlsx`, `geojson`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Xlsx => "xlsx",
            Self::GeoJson => "geojson",
        }
    }
}

/// A file that cannot be read at all (as opposed to bad rows, which are reported per row).
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file holds no rows (or not even a header).
    #[error("the file is empty: it needs a header row and at least one data row")]
    Empty,
    /// Required columns are missing.
    #[error("missing required column(s): {0}")]
    MissingColumns(String),
    /// The same column appears twice.
    #[error("column '{0}' appears more than once")]
    DuplicateColumn(String),
    /// Text in an encoding that is not read.
    #[error("the file is encoded as {0}; save it as UTF-8 (or GBK/GB18030) CSV, or as XLSX")]
    Encoding(String),
    /// Not valid CSV.
    #[error("CSV error at line {line}: {message}")]
    Csv {
        /// Line.
        line: u64,
        /// What the CSV reader said.
        message: String,
    },
    /// Not a readable workbook.
    #[error("cannot read the workbook: {0}")]
    Xlsx(String),
    /// `.xls` or another format that is not read.
    #[error("unsupported file type: {0}")]
    Unsupported(String),
    /// Not readable GeoJSON.
    #[error("cannot read the GeoJSON: {0}")]
    GeoJson(String),
}

/// The outcome of parsing a file: the valid sites (with their lines) and every bad row.
#[derive(Debug, Clone, Default)]
pub struct ParsedFile {
    /// Valid sites with the line each came from.
    pub sites: Vec<(u64, Site)>,
    /// One entry per problem.
    pub errors: Vec<RowError>,
    /// Data rows read (not counting the header or blank rows).
    pub rows: u64,
    /// The text encoding the file was read in (`UTF-8`, `GBK`, `UTF-16LE`, … or `XLSX`).
    pub encoding: String,
    /// Headers that matched no column (ignored; reported so typos are seen).
    pub ignored_headers: Vec<String>,
    /// Notes on valid rows (not errors): how a row was placed from its address, or why not.
    pub notes: Vec<RowNote>,
}

impl ParsedFile {
    /// Number of rows with at least one error.
    pub fn invalid_rows(&self) -> u64 {
        let mut lines: Vec<u64> = self.errors.iter().map(|e| e.line).collect();
        lines.sort_unstable();
        lines.dedup();
        lines.len() as u64
    }
}

/// A problem found while reading a table, before columns are matched (e.g. an `#N/A` cell).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CellIssue {
    /// Line (sheet row) of the problem.
    pub line: u64,
    /// Index of the cell in its row (0-based, same indexing as [`Table::headers`]); `None` for
    /// a problem with the whole row.
    pub col: Option<usize>,
    /// The offending value.
    pub value: Option<String>,
    /// What is wrong.
    pub message: String,
}

/// A table of text cells as read from a file, before column matching.
#[derive(Debug, Clone, Default)]
pub struct Table {
    /// The header row.
    pub headers: Vec<String>,
    /// Data rows with their line numbers.
    pub rows: Vec<(u64, Vec<String>)>,
    /// Encoding the text was decoded from.
    pub encoding: String,
    /// Problems found while reading cells; each makes its row invalid.
    pub issues: Vec<CellIssue>,
}

/// Reads a file into a [`Table`].
pub fn read_table(bytes: &[u8], format: FileFormat) -> Result<Table, ImportError> {
    if bytes.iter().all(|b| b.is_ascii_whitespace())
        || bytes == b"\xEF\xBB\xBF"
        || bytes == b"\xFF\xFE"
        || bytes == b"\xFE\xFF"
    {
        return Err(ImportError::Empty);
    }
    if bytes.starts_with(OLE_MAGIC) {
        return Err(ImportError::Unsupported(
            "this is an .xls (Excel 97–2003) workbook, which is not read; open it in Excel or WPS and save it as .xlsx (Excel 工作簿) or as CSV UTF-8".into(),
        ));
    }
    match format {
        FileFormat::Csv => {
            if bytes.starts_with(ZIP_MAGIC) {
                return Err(ImportError::Unsupported(
                    "this file is a ZIP archive (an .xlsx workbook?), not CSV text; import it as .xlsx".into(),
                ));
            }
            read_csv_table(bytes)
        }
        FileFormat::Xlsx => read_xlsx_table(bytes),
        FileFormat::GeoJson => read_geojson_table(bytes),
    }
}

// ---------------------------------------------------------------------------------------------
// Shared table assembly
// ---------------------------------------------------------------------------------------------

fn recognised_headers(row: &[String]) -> usize {
    row.iter()
        .take(200)
        .filter(|h| h.chars().count() <= 40 && Column::from_header(h).is_some())
        .count()
}

/// The column a GeoJSON property names: its key (fast path), else a Chinese header or alias.
/// The label properties the export adds are not columns.
pub(crate) fn property_column(k: &str) -> Option<Column> {
    if let Some(c) = Column::ALL.iter().find(|c| c.key() == k) {
        return Some(*c);
    }
    if k.ends_with("_zh") || k == "approximate" {
        return None;
    }
    Column::from_header(k)
}

/// Picks the header row, strips the export's neutralising prefix from data cells and reports
/// rows wider than the header.
fn assemble(
    rows: Vec<(u64, Vec<String>)>,
    encoding: String,
    mut issues: Vec<CellIssue>,
    report_wide_rows: bool,
) -> Table {
    let mut rows: Vec<(u64, Vec<String>)> = rows
        .into_iter()
        .filter(|(_, cells)| cells.iter().any(|c| !c.trim().is_empty()))
        .collect();
    if rows.is_empty() {
        return Table {
            encoding,
            ..Default::default()
        };
    }
    let header_at = rows
        .iter()
        .take(10)
        .position(|(_, cells)| recognised_headers(cells) >= 2)
        .unwrap_or(0);
    let data = rows.split_off(header_at + 1);
    let (header_line, headers) = rows.pop().unwrap_or_default();
    // Issues on ignored title rows and on the header row itself do not concern data.
    issues.retain(|i| i.line > header_line);
    let width = headers.len();
    let mut out = Vec::with_capacity(data.len());
    for (line, mut cells) in data {
        for c in cells.iter_mut() {
            if let Some(stripped) = strip_neutraliser(c) {
                *c = stripped;
            }
        }
        if report_wide_rows {
            let extra = cells
                .iter()
                .skip(width)
                .filter(|c| !c.trim().is_empty())
                .count();
            if extra > 0 {
                let first = cells
                    .iter()
                    .skip(width)
                    .find(|c| !c.trim().is_empty())
                    .cloned();
                issues.push(CellIssue {
                    line,
                    col: None,
                    value: first,
                    message: format!(
                        "the row has {} cells but the header has {width} columns; a value probably contains an unquoted separator (put such values in double quotes)",
                        cells.len()
                    ),
                });
            }
        }
        out.push((line, cells));
    }
    Table {
        headers,
        rows: out,
        encoding,
        issues,
    }
}

fn strip_neutraliser(cell: &str) -> Option<String> {
    let s = crate::export::strip_formula_guard(cell);
    (s.len() != cell.len()).then(|| s.to_string())
}

// ---------------------------------------------------------------------------------------------
// CSV
// ---------------------------------------------------------------------------------------------

/// Decodes CSV bytes to text, naming the encoding it used.
fn decode_text(bytes: &[u8]) -> Result<(Cow<'_, str>, String), ImportError> {
    if let Some((enc, bom_len)) = Encoding::for_bom(bytes) {
        let body = &bytes[bom_len..];
        return decode_strict(enc, body).map(|t| (t, enc.name().to_string()));
    }
    match std::str::from_utf8(bytes) {
        Ok(t) => return Ok((Cow::Borrowed(t), "UTF-8".into())),
        Err(e)
            if e.error_len().is_none()
                && e.valid_up_to() + 4 > bytes.len()
                && !bytes[..e.valid_up_to()].is_ascii() =>
        {
            // UTF-8 text whose last character is cut off: still UTF-8, but damaged.
            let line = line_of_byte(bytes, e.valid_up_to());
            return Err(ImportError::Encoding(format!(
                "UTF-8 but ends in the middle of a character (line {line}; the file is truncated)"
            )));
        }
        Err(_) => {}
    }
    if let Some(enc) = utf16_without_bom(bytes) {
        return decode_strict(enc, bytes).map(|t| (t, enc.name().to_string()));
    }
    let mut det = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    det.feed(bytes, true);
    let guess = det.guess(None, chardetng::Utf8Detection::Deny);
    let gb = GB18030.decode_without_bom_handling_and_without_replacement(bytes);
    if guess == encoding_rs::GBK || guess == GB18030 {
        return match gb {
            Some(t) => Ok((t, "GBK".into())),
            None => Err(ImportError::Encoding(
                "GBK/GB18030 with invalid byte sequences (is part of the file in another encoding?)".into(),
            )),
        };
    }
    // The detector can mistake short Chinese text for another CJK encoding: accept GB18030 when
    // it decodes cleanly and its header line names more known columns than the guess does.
    if let Some(t) = gb {
        let header_hits = |text: &str| {
            text.lines()
                .next()
                .map(|l| {
                    l.split([',', ';', '\t'])
                        .filter(|h| Column::from_header(h.trim_matches('"')).is_some())
                        .count()
                })
                .unwrap_or(0)
        };
        let gb_hits = header_hits(&t);
        let guess_hits = guess
            .decode_without_bom_handling_and_without_replacement(bytes)
            .map(|g| header_hits(&g))
            .unwrap_or(0);
        if gb_hits >= 2 && gb_hits > guess_hits {
            return Ok((t, "GBK".into()));
        }
    }
    Err(ImportError::Encoding(guess.name().to_string()))
}

fn decode_strict<'b>(enc: &'static Encoding, body: &'b [u8]) -> Result<Cow<'b, str>, ImportError> {
    if enc == UTF_8 {
        return match std::str::from_utf8(body) {
            Ok(t) => Ok(Cow::Borrowed(t)),
            Err(e) => Err(ImportError::Encoding(format!(
                "UTF-8 (with BOM) but has invalid bytes on line {}",
                line_of_byte(body, e.valid_up_to())
            ))),
        };
    }
    enc.decode_without_bom_handling_and_without_replacement(body)
        .ok_or_else(|| ImportError::Encoding(format!("{} with invalid sequences", enc.name())))
}

fn line_of_byte(bytes: &[u8], at: usize) -> u64 {
    bytes[..at.min(bytes.len())]
        .iter()
        .filter(|b| **b == b'\n')
        .count() as u64
        + 1
}

/// UTF-16 without a BOM: ASCII-heavy text has a NUL in every other byte.
fn utf16_without_bom(bytes: &[u8]) -> Option<&'static Encoding> {
    if bytes.len() < 4 || bytes.len() & 1 == 1 {
        return None;
    }
    let pairs = bytes.len() / 2;
    let even_nul = bytes.iter().step_by(2).filter(|b| **b == 0).count();
    let odd_nul = bytes.iter().skip(1).step_by(2).filter(|b| **b == 0).count();
    if odd_nul * 10 >= pairs * 3 && even_nul * 20 < pairs {
        Some(UTF_16LE)
    } else if even_nul * 10 >= pairs * 3 && odd_nul * 20 < pairs {
        Some(UTF_16BE)
    } else {
        None
    }
}

/// The separator used by the header line: the most frequent of `,` `;` tab outside quotes.
fn sniff_delimiter(text: &str) -> u8 {
    let mut counts = [0usize; 3];
    let mut in_quotes = false;
    for ch in text.chars() {
        match ch {
            '"' => in_quotes = !in_quotes,
            '\n' | '\r' if !in_quotes => break,
            ',' if !in_quotes => counts[0] += 1,
            ';' if !in_quotes => counts[1] += 1,
            '\t' if !in_quotes => counts[2] += 1,
            _ => {}
        }
    }
    let best = (0..3).max_by_key(|i| (counts[*i], std::cmp::Reverse(*i)));
    match best {
        Some(1) if counts[1] > 0 => b';',
        Some(2) if counts[2] > 0 => b'\t',
        _ => b',',
    }
}

/// Finds a quoted field that is never closed (the CSV reader would silently swallow the rest of
/// the file into it) and returns the line it opens on.
fn unclosed_quote(text: &str, delim: u8) -> Option<u64> {
    let bytes = text.as_bytes();
    let mut line = 1u64;
    let mut at_field_start = true;
    let mut in_quotes = false;
    let mut open_line = 0u64;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if in_quotes {
            if b == b'"' {
                if bytes.get(i + 1) == Some(&b'"') {
                    i += 1;
                } else {
                    in_quotes = false;
                }
            } else if b == b'\n' {
                line += 1;
            }
        } else if b == b'"' && at_field_start {
            in_quotes = true;
            open_line = line;
        } else if b == delim {
            at_field_start = true;
            i += 1;
            continue;
        } else if b == b'\n' {
            line += 1;
            at_field_start = true;
            i += 1;
            continue;
        }
        at_field_start = false;
        i += 1;
    }
    in_quotes.then_some(open_line)
}

fn read_csv_table(bytes: &[u8]) -> Result<Table, ImportError> {
    let (text, encoding) = decode_text(bytes)?;
    let text: &str = text.strip_prefix('\u{feff}').unwrap_or(&text);
    if text.trim().is_empty() {
        return Err(ImportError::Empty);
    }
    if text.contains('\0') {
        return Err(ImportError::Unsupported(format!(
            "the file contains NUL bytes, so it is not {encoding} CSV text (a binary file?)"
        )));
    }
    let delim = sniff_delimiter(text);
    if let Some(line) = unclosed_quote(text, delim) {
        return Err(ImportError::Csv {
            line,
            message: "a double quote (\") opens a quoted value that is never closed; close it, or double a quote that belongs to the text (\"\")".into(),
        });
    }
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delim)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let rec = rec.map_err(|e| ImportError::Csv {
            line: e.position().map(|p| p.line()).unwrap_or(i as u64 + 1),
            message: e.to_string(),
        })?;
        let line = rec.position().map(|p| p.line()).unwrap_or(i as u64 + 1);
        rows.push((line, rec.iter().map(str::to_string).collect::<Vec<_>>()));
    }
    Ok(assemble(rows, encoding, Vec::new(), true))
}

// ---------------------------------------------------------------------------------------------
// XLSX
// ---------------------------------------------------------------------------------------------

fn read_xlsx_table(bytes: &[u8]) -> Result<Table, ImportError> {
    if !bytes.starts_with(ZIP_MAGIC) {
        let looks_like_text = std::str::from_utf8(bytes).is_ok_and(|t| {
            !t.chars()
                .any(|c| c.is_control() && !matches!(c, '\t' | '\r' | '\n'))
        });
        let hint = if looks_like_text {
            " (it looks like text: a CSV file? import it as .csv)"
        } else {
            ""
        };
        return Err(ImportError::Xlsx(format!(
            "the file is not an .xlsx workbook: it does not start with the ZIP signature{hint}"
        )));
    }
    // calamine parses untrusted bytes; a panic in it must not take the caller down.
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| read_xlsx_inner(bytes)));
    match result {
        Ok(r) => r,
        Err(_) => Err(ImportError::Xlsx(
            "the workbook is damaged and could not be read".into(),
        )),
    }
}

fn read_xlsx_inner(bytes: &[u8]) -> Result<Table, ImportError> {
    use calamine::{Data, Reader, Xlsx, XlsxError};
    let mut wb: Xlsx<_> =
        Xlsx::new(std::io::Cursor::new(bytes)).map_err(|e| ImportError::Xlsx(match e {
            XlsxError::FileNotFound(f) => format!(
                "the ZIP archive is not an Excel workbook (it has no {f}); save the spreadsheet as .xlsx"
            ),
            XlsxError::Zip(z) => {
                format!("the file is damaged or incomplete (ZIP: {z}); download or save it again")
            }
            other => format!("the workbook is damaged: {other}"),
        }))?;
    // An export's full-field sheet (its first sheet is the readable list); else the first.
    let sheet = wb
        .sheet_names()
        .iter()
        .position(|n| n == crate::export::XLSX_DATA_SHEET)
        .unwrap_or(0);
    let range = match wb.worksheet_range_at(sheet) {
        Some(r) => r.map_err(|e| ImportError::Xlsx(format!("sheet {}: {e}", sheet + 1)))?,
        None => return Err(ImportError::Xlsx("the workbook has no worksheet".into())),
    };
    let (r0, _) = range.start().unwrap_or((0, 0));
    let mut rows = Vec::new();
    let mut issues = Vec::new();
    for (i, row) in range.rows().enumerate() {
        let line = u64::from(r0) + i as u64 + 1;
        let mut cells = Vec::with_capacity(row.len());
        for (j, d) in row.iter().enumerate() {
            let text = match d {
                Data::Empty => String::new(),
                Data::String(s) => s.clone(),
                Data::Int(n) => n.to_string(),
                Data::Float(f) => fmt_num(*f),
                Data::Bool(b) => b.to_string(),
                Data::DateTime(dt) if dt.is_datetime() => {
                    let (y, m, d, h, mi, s, ms) = dt.to_ymd_hms_milli();
                    if (h, mi, s, ms) == (0, 0, 0, 0) {
                        format!("{y:04}-{m:02}-{d:02}")
                    } else {
                        format!("{y:04}-{m:02}-{d:02} {h:02}:{mi:02}:{s:02}")
                    }
                }
                Data::DateTime(dt) => fmt_num(dt.as_f64()),
                Data::DateTimeIso(s) => s.strip_suffix("T00:00:00").unwrap_or(s).to_string(),
                Data::DurationIso(s) => s.clone(),
                Data::Error(e) => {
                    issues.push(CellIssue {
                        line,
                        col: Some(j),
                        value: Some(e.to_string()),
                        message: format!(
                            "the cell holds the spreadsheet error {e} (a formula that failed); type the value itself"
                        ),
                    });
                    String::new()
                }
            };
            cells.push(text);
        }
        rows.push((line, cells));
    }
    Ok(assemble(rows, "XLSX".into(), issues, false))
}

// ---------------------------------------------------------------------------------------------
// GeoJSON
// ---------------------------------------------------------------------------------------------

fn read_geojson_table(bytes: &[u8]) -> Result<Table, ImportError> {
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = std::str::from_utf8(body).map_err(|e| {
        ImportError::Encoding(format!(
            "not UTF-8 (GeoJSON must be UTF-8; invalid bytes on line {})",
            line_of_byte(body, e.valid_up_to())
        ))
    })?;
    let gj: geojson::GeoJson = text
        .parse()
        .map_err(|e: geojson::Error| ImportError::GeoJson(e.to_string()))?;
    let features = match gj {
        geojson::GeoJson::FeatureCollection(fc) => fc.features,
        geojson::GeoJson::Feature(f) => vec![f],
        geojson::GeoJson::Geometry(_) => {
            return Err(ImportError::GeoJson(
                "a bare geometry has no properties; expected a FeatureCollection of sites".into(),
            ))
        }
    };
    let mut table = Table {
        headers: Column::ALL.iter().map(|c| c.key().to_string()).collect(),
        encoding: "UTF-8".into(),
        ..Default::default()
    };
    for (i, f) in features.iter().enumerate() {
        let raw = feature_to_raw_row(f);
        let cells = Column::ALL
            .iter()
            .map(|c| raw.cells.get(c).cloned().unwrap_or_default())
            .collect();
        table.rows.push((i as u64 + 1, cells));
    }
    Ok(table)
}

fn json_to_text(v: &serde_json::Value) -> String {
    use serde_json::Value;
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                i.to_string()
            } else if let Some(u) = n.as_u64() {
                u.to_string()
            } else {
                n.as_f64().map(fmt_num).unwrap_or_else(|| n.to_string())
            }
        }
        Value::Array(a) => a.iter().map(json_to_text).collect::<Vec<_>>().join(";"),
        Value::Object(_) => v.to_string(),
    }
}

/// A GeoJSON feature as a flat row (the inverse of [`crate::export::site_to_feature`]).
///
/// Properties are matched to columns by key (Chinese headers and aliases work too); derived
/// properties (`outside_district`, the `*_zh` labels, `approximate`) are ignored. Numbers become
/// their shortest text, arrays are joined with `;`. The geometry wins over `lon`/`lat`
/// properties: a Point sets `lon`/`lat`, a Polygon sets `polygon_wkt`; any other geometry is put
/// in `polygon_wkt` as WKT, which validation then refuses with a message. The `crs` property is
/// kept, so a client may send GCJ-02 or BD-09 coordinates by saying so. A missing `id`
/// property is taken from the feature's `id`. The returned row's `line` is 0.
pub fn feature_to_raw_row(f: &geojson::Feature) -> RawRow {
    let mut cells: HashMap<Column, String> = HashMap::new();
    if let Some(props) = &f.properties {
        for (k, v) in props {
            if let Some(c) = property_column(k) {
                if !c.is_derived() {
                    cells.insert(c, json_to_text(v));
                }
            }
        }
    }
    if cells.get(&Column::Id).is_none_or(|s| s.trim().is_empty()) {
        if let Some(id) = &f.id {
            let s = match id {
                geojson::feature::Id::String(s) => s.clone(),
                geojson::feature::Id::Number(n) => n.to_string(),
            };
            cells.insert(Column::Id, s);
        }
    }
    if let Some(g) = &f.geometry {
        match &g.value {
            geojson::GeometryValue::Point { coordinates } if coordinates.len() >= 2 => {
                cells.insert(Column::Lon, fmt_num(coordinates[0]));
                cells.insert(Column::Lat, fmt_num(coordinates[1]));
                cells.remove(&Column::PolygonWkt);
            }
            other => {
                use wkt::ToWkt;
                // geojson's conversion indexes [0] and [1] of every position: check first.
                let text = if !positions_have_two_numbers(other) {
                    format!(
                        "{} (a position has fewer than two numbers)",
                        other.type_name()
                    )
                } else {
                    match geo::Geometry::<f64>::try_from(other) {
                        Ok(geo) => geo.wkt_string(),
                        Err(e) => format!("{} ({e})", other.type_name()),
                    }
                };
                cells.insert(Column::PolygonWkt, text);
            }
        }
    }
    RawRow { line: 0, cells }
}

/// Whether every position of `g` (at any depth) has a longitude and a latitude.
pub(crate) fn positions_have_two_numbers(g: &geojson::GeometryValue) -> bool {
    use geojson::GeometryValue as G;
    let ok = |p: &geojson::Position| p.len() >= 2;
    match g {
        G::Point { coordinates } => ok(coordinates),
        G::MultiPoint { coordinates } | G::LineString { coordinates } => coordinates.iter().all(ok),
        G::MultiLineString { coordinates } | G::Polygon { coordinates } => {
            coordinates.iter().flatten().all(ok)
        }
        G::MultiPolygon { coordinates } => coordinates.iter().flatten().flatten().all(ok),
        G::GeometryCollection { geometries } => geometries
            .iter()
            .all(|g| positions_have_two_numbers(&g.value)),
    }
}

// ---------------------------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------------------------

/// Parses a site file: reads the table, matches headers to columns, validates every row,
/// and reports duplicate ids within the file.
pub fn parse_sites(
    bytes: &[u8],
    format: FileFormat,
    ctx: &Context<'_>,
    file_crs: Option<Crs>,
) -> Result<ParsedFile, ImportError> {
    let table = read_table(bytes, format)?;
    parse_table(&table, ctx, file_crs)
}

/// Validates an already-read table.
fn parse_table(
    table: &Table,
    ctx: &Context<'_>,
    file_crs: Option<Crs>,
) -> Result<ParsedFile, ImportError> {
    if table.headers.iter().all(|h| h.trim().is_empty()) {
        return Err(ImportError::Empty);
    }
    let (map, ignored) = match_headers(&table.headers)?;
    if table.rows.is_empty() {
        return Err(ImportError::Empty);
    }
    let mut out = ParsedFile {
        encoding: table.encoding.clone(),
        ignored_headers: ignored,
        ..Default::default()
    };
    let mut issues_by_line: HashMap<u64, Vec<&CellIssue>> = HashMap::new();
    for i in &table.issues {
        issues_by_line.entry(i.line).or_default().push(i);
    }
    let mut first_line: HashMap<String, u64> = HashMap::new();
    for (line, cells) in &table.rows {
        out.rows += 1;
        let raw = raw_row(*line, cells, &map);
        let id = Some(raw.get(Column::Id).to_string()).filter(|s| !s.is_empty());
        let issues = issues_by_line
            .get(line)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let mut read_errors = read_errors(issues, *line, &id, &map);
        match site_from_row_noted(&raw, ctx, file_crs) {
            Ok((site, mut notes)) if read_errors.is_empty() => {
                out.notes.append(&mut notes);
                if let Some(first) = first_line.get(site.id.as_str()) {
                    out.errors.push(RowError {
                        line: *line,
                        id: Some(site.id.to_string()),
                        column: Some(Column::Id.key().into()),
                        value: Some(site.id.to_string()),
                        message: format!("duplicate id: already used on line {first}"),
                    });
                } else {
                    first_line.insert(site.id.to_string(), *line);
                    out.sites.push((*line, site));
                }
            }
            Ok(_) => out.errors.append(&mut read_errors),
            Err(errs) => {
                out.errors.append(&mut read_errors);
                out.errors.extend(errs);
            }
        }
    }
    Ok(out)
}

/// The column each header names (`None` for headers that name none) and the non-empty headers
/// that were ignored. A column named twice, or a required column not named, is an error.
fn match_headers(headers: &[String]) -> Result<(Vec<Option<Column>>, Vec<String>), ImportError> {
    let mut map: Vec<Option<Column>> = Vec::new();
    let mut ignored = Vec::new();
    let mut seen: HashMap<Column, ()> = HashMap::new();
    for h in headers {
        let c = Column::from_header(h);
        if let Some(c) = c {
            if seen.insert(c, ()).is_some() {
                return Err(ImportError::DuplicateColumn(h.trim().to_string()));
            }
        } else if !h.trim().is_empty() {
            ignored.push(h.trim().to_string());
        }
        map.push(c);
    }
    let missing: Vec<String> = Column::REQUIRED
        .iter()
        .filter(|c| !seen.contains_key(c))
        .map(|c| format!("{} ({})", c.key(), c.zh()))
        .collect();
    if !missing.is_empty() {
        return Err(ImportError::MissingColumns(missing.join(", ")));
    }
    Ok((map, ignored))
}

/// A table row as cells by column (cells under headers that name no column are left out).
fn raw_row(line: u64, cells: &[String], map: &[Option<Column>]) -> RawRow {
    let mut raw = RawRow {
        line,
        cells: HashMap::new(),
    };
    for (i, c) in map.iter().enumerate() {
        if let Some(c) = c {
            raw.cells
                .insert(*c, cells.get(i).cloned().unwrap_or_default());
        }
    }
    raw
}

/// The problems found while reading one row's cells, as row errors. Cells of ignored or derived
/// columns do not matter.
fn read_errors(
    issues: &[&CellIssue],
    line: u64,
    id: &Option<String>,
    map: &[Option<Column>],
) -> Vec<RowError> {
    issues
        .iter()
        .filter_map(|i| {
            let column = match i.col {
                Some(ci) => Some(
                    map.get(ci)
                        .copied()
                        .flatten()
                        .filter(|c| !c.is_derived())?
                        .key()
                        .to_string(),
                ),
                None => None,
            };
            Some(RowError {
                line,
                id: id.clone(),
                column,
                value: i.value.clone(),
                message: i.message.clone(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_separator_is_sniffed_from_the_header_line() {
        assert_eq!(sniff_delimiter("id,name_zh;x\n"), b',');
        assert_eq!(sniff_delimiter("id;name_zh;kind\na,b,c,d,e\n"), b';');
        assert_eq!(sniff_delimiter("id\tname_zh\tkind\n"), b'\t');
        assert_eq!(sniff_delimiter("\"a;b;c\",d\n"), b',');
        assert_eq!(sniff_delimiter("id\n"), b',');
    }

    #[test]
    fn an_unclosed_quote_is_found_on_the_line_it_opens() {
        assert_eq!(unclosed_quote("a,b\n1,\"x\ny\"\n", b','), None);
        assert_eq!(unclosed_quote("a,b\n1,2\n3,\"oops\n4,5\n", b','), Some(3));
        assert_eq!(unclosed_quote("a,b\n1,say \"hi\n", b','), None);
        assert_eq!(unclosed_quote("a,b\n1,\"x \"\"q\"\" y\"\n", b','), None);
    }

    #[test]
    fn utf16_without_a_bom_is_recognised_by_its_nul_pattern() {
        let le: Vec<u8> = "id,name\n"
            .encode_utf16()
            .flat_map(|u| u.to_le_bytes())
            .collect();
        let be: Vec<u8> = "id,name\n"
            .encode_utf16()
            .flat_map(|u| u.to_be_bytes())
            .collect();
        assert_eq!(utf16_without_bom(&le), Some(UTF_16LE));
        assert_eq!(utf16_without_bom(&be), Some(UTF_16BE));
        assert_eq!(utf16_without_bom(b"id,name\n"), None);
    }

    #[test]
    fn content_sniffing_tells_workbooks_geojson_and_text_apart() {
        assert_eq!(FileFormat::sniff(b"PK\x03\x04rest"), Some(FileFormat::Xlsx));
        assert_eq!(
            FileFormat::sniff(b"\xEF\xBB\xBF {\"type\":1}"),
            Some(FileFormat::GeoJson)
        );
        assert_eq!(FileFormat::sniff(b"id,name_zh\n"), Some(FileFormat::Csv));
        assert_eq!(FileFormat::sniff(OLE_MAGIC), None);
        assert_eq!(FileFormat::sniff(b"  \n"), None);
        assert_eq!(
            FileFormat::from_name("站点.GeoJSON"),
            Some(FileFormat::GeoJson)
        );
        assert_eq!(FileFormat::from_name("old.xls"), None);
    }
}
