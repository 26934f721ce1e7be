//! Reading site files: CSV (UTF-8, UTF-8 with BOM, GBK/GB18030) and XLSX (first sheet), with
//! Chinese or English headers. Every bad row is reported with its line, column and reason.

use crate::columns::Column;
use crate::crs::Crs;
use crate::record::{site_from_row, Context, RawRow, RowError};
use crate::site::Site;
use serde::Serialize;
use std::collections::HashMap;

/// File formats an import reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileFormat {
    /// Comma-separated values.
    Csv,
    /// Excel workbook (first sheet).
    Xlsx,
}

impl FileFormat {
    /// Guesses the format from a file name's extension.
    pub fn from_name(name: &str) -> Option<Self> {
        let lower = name.to_ascii_lowercase();
        if lower.ends_with(".csv") || lower.ends_with(".txt") {
            Some(Self::Csv)
        } else if lower.ends_with(".xlsx") {
            Some(Self::Xlsx)
        } else {
            None
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
    /// The text encoding the file was read in (`UTF-8`, `GBK`, … or `XLSX`).
    pub encoding: String,
    /// Headers that matched no column (ignored; reported so typos are seen).
    pub ignored_headers: Vec<String>,
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

/// A table of text cells as read from a file, before column matching.
#[derive(Debug, Clone, Default)]
pub struct Table {
    /// The header row.
    pub headers: Vec<String>,
    /// Data rows with their line numbers.
    pub rows: Vec<(u64, Vec<String>)>,
    /// Encoding the text was decoded from.
    pub encoding: String,
}

/// Reads a file into a [`Table`].
pub fn read_table(bytes: &[u8], format: FileFormat) -> Result<Table, ImportError> {
    match format {
        FileFormat::Csv => read_csv_table(bytes),
        FileFormat::Xlsx => Err(ImportError::Unsupported("xlsx (not yet)".into())),
    }
}

fn read_csv_table(bytes: &[u8]) -> Result<Table, ImportError> {
    let (text, encoding) = match std::str::from_utf8(bytes) {
        Ok(t) => (
            t.strip_prefix('\u{feff}').unwrap_or(t).to_string(),
            "UTF-8".to_string(),
        ),
        Err(_) => return Err(ImportError::Encoding("not UTF-8".into())),
    };
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut table = Table {
        encoding,
        ..Default::default()
    };
    for (i, rec) in rdr.records().enumerate() {
        let rec = rec.map_err(|e| ImportError::Csv {
            line: e.position().map(|p| p.line()).unwrap_or(0),
            message: e.to_string(),
        })?;
        let line = rec.position().map(|p| p.line()).unwrap_or(i as u64 + 1);
        let cells: Vec<String> = rec.iter().map(|s| s.to_string()).collect();
        if i == 0 {
            table.headers = cells;
        } else if cells.iter().any(|c| !c.trim().is_empty()) {
            table.rows.push((line, cells));
        }
    }
    Ok(table)
}

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
pub fn parse_table(
    table: &Table,
    ctx: &Context<'_>,
    file_crs: Option<Crs>,
) -> Result<ParsedFile, ImportError> {
    if table.headers.iter().all(|h| h.trim().is_empty()) {
        return Err(ImportError::Empty);
    }
    let mut map: Vec<Option<Column>> = Vec::new();
    let mut ignored = Vec::new();
    let mut seen: HashMap<Column, ()> = HashMap::new();
    for h in &table.headers {
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
    if table.rows.is_empty() {
        return Err(ImportError::Empty);
    }
    let mut out = ParsedFile {
        encoding: table.encoding.clone(),
        ignored_headers: ignored,
        ..Default::default()
    };
    let mut first_line: HashMap<String, u64> = HashMap::new();
    for (line, cells) in &table.rows {
        out.rows += 1;
        let mut raw = RawRow {
            line: *line,
            cells: HashMap::new(),
        };
        for (i, c) in map.iter().enumerate() {
            if let Some(c) = c {
                raw.cells
                    .insert(*c, cells.get(i).cloned().unwrap_or_default());
            }
        }
        match site_from_row(&raw, ctx, file_crs) {
            Ok(site) => {
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
            Err(errs) => out.errors.extend(errs),
        }
    }
    Ok(out)
}
