//! XLSX: the readable list "清单", the full-field sheet "全部字段" and the sheet describing the
//! export (`rust_xlsxwriter`, constant memory).

use super::*;

/// Zip compression level of exported workbooks (1 fastest … 9 smallest; the crate's default 6).
const XLSX_ZIP_LEVEL: u8 = 2;

/// Name of the full-field sheet: every column of [`Column::ALL`], what import reads.
pub const XLSX_DATA_SHEET: &str = "全部字段";
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
/// neutralised), numbers as numbers, nothing for empty cells (a blank cell in the `formats`
/// style when it has one, so that borders stay whole). `width`, the column's width so
/// far, grows to what the cell needs — measured only when it could need more (a text's display
/// width never exceeds its length in bytes; a number's shortest form never exceeds
/// [`NUMBER_WIDTH_MAX`] characters).
pub(crate) fn write_xlsx_cell(
    ws: &mut rust_xlsxwriter::Worksheet,
    row: u32,
    col: u16,
    c: &CellRef<'_>,
    formats: &CellFormats,
    width: Option<&mut f64>,
) -> Result<(), rust_xlsxwriter::XlsxError> {
    let need = match c {
        CellRef::Text(s) => {
            let value: Cow<'_, str> = if looks_neutralised(s) {
                Cow::Owned(format!("'{s}"))
            } else {
                Cow::Borrowed(s)
            };
            match &formats.plain {
                _ if starts_with_trigger(&value) => {
                    ws.write_string_with_format(row, col, value.as_ref(), &formats.quoted)?
                }
                Some(f) => ws.write_string_with_format(row, col, value.as_ref(), f)?,
                None => ws.write_string(row, col, value.as_ref())?,
            };
            match &width {
                Some(w) if value.len() as f64 + 1.0 <= **w => 0.0,
                _ => display_width(&value) + 1.0,
            }
        }
        CellRef::Number(n) => {
            match &formats.plain {
                Some(f) => ws.write_number_with_format(row, col, *n, f)?,
                None => ws.write_number(row, col, *n)?,
            };
            match &width {
                Some(w) if NUMBER_WIDTH_MAX + 1.0 <= **w => 0.0,
                _ => fmt_num(*n).len() as f64 + 1.0,
            }
        }
        CellRef::Empty => {
            if let Some(f) = &formats.plain {
                ws.write_blank(row, col, f)?;
            }
            0.0
        }
    };
    if let Some(w) = width {
        *w = w.max(need);
    }
    Ok(())
}

/// The longest shortest form of an `f64` (`-2.2250738585072014e-308`).
const NUMBER_WIDTH_MAX: f64 = 24.0;

/// A new workbook whose creation time (the document property) is `at`: `rust_xlsxwriter` would
/// read the system clock, and the one clock decides (the same data then gives the same file).
pub fn workbook_at(
    at: chrono::DateTime<chrono::FixedOffset>,
) -> Result<rust_xlsxwriter::Workbook, ExportError> {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let created =
        rust_xlsxwriter::ExcelDateTime::from_timestamp(at.timestamp()).map_err(xlsx_err)?;
    workbook.set_properties(&rust_xlsxwriter::DocProperties::new().set_creation_datetime(&created));
    Ok(workbook)
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
    plain: CellFormats,
    list: ListSheet,
}

/// Sheet indexes of a site workbook.
const LIST: usize = 0;
const DATA: usize = 1;
const ABOUT: usize = 2;

/// The list sheet's heading: the list's name, then what the filter selects
/// (`茂南区科技创新要素资源清单 · 载体平台 · 石油化工`).
pub fn list_heading(meta: &ExportMeta, ctx: &Context<'_>) -> String {
    let mut parts = vec![meta.list_title.clone().unwrap_or_else(|| LIST_TITLE.into())];
    parts.extend(filter_label(&meta.filter_description, ctx).zh);
    parts.join(" · ")
}

/// The line under the list's heading: date, number of sites when known, data source.
fn source_line(meta: &ExportMeta) -> String {
    let count = meta
        .row_count
        .map(|n| format!(" · 共 {n} 条"))
        .unwrap_or_default();
    format!(
        "生成时间 {}{count} · 数据来源：{} · 全部字段见工作表“{XLSX_DATA_SHEET}”",
        meta.generated_at.format("%Y-%m-%d %H:%M"),
        meta.data_source
    )
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
        use rust_xlsxwriter::Format;
        let mut workbook = workbook_at(meta.generated_at)?;
        if let Some(dir) = tempdir {
            workbook.set_tempdir(PathBuf::from(dir)).map_err(xlsx_err)?;
        }
        // Compressing the sheet XML is the largest part of saving a big workbook: a low level
        // saves faster for a slightly larger file (BENCHMARKS.md measures exports).
        workbook.set_zip_compression_level(XLSX_ZIP_LEVEL);
        let list = {
            let ws = workbook
                .add_worksheet_with_constant_memory()
                .map_err(xlsx_err)?;
            ListSheet::start(ws, &list_heading(meta, ctx), &source_line(meta)).map_err(xlsx_err)?
        };
        let bold = Format::new().set_bold();
        let headers = header_row(lang);
        let ws = workbook
            .add_worksheet_with_constant_memory()
            .map_err(xlsx_err)?;
        ws.set_name(XLSX_DATA_SHEET).map_err(xlsx_err)?;
        ws.set_freeze_panes(1, 0).map_err(xlsx_err)?;
        // Printing (the list sheet is the one made for paper): the header row and the name
        // column repeat on every page, so the 33 columns stay readable as they flow across the
        // pages.
        // Three pages wide: each page full of columns, at a readable scale.
        page_setup(ws);
        ws.set_print_fit_to_pages(3, 0);
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
        print_setup(about, None).map_err(xlsx_err)?;
        Ok(Self {
            out,
            workbook,
            ctx: *ctx,
            lang,
            meta: meta.clone(),
            rows: 0,
            widths,
            plain: CellFormats::plain(),
            list,
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
        let ws = self.workbook.worksheet_from_index(LIST).map_err(xlsx_err)?;
        self.list
            .write(ws, site, &self.ctx)
            .map_err(|e| ExportError::Xlsx(format!("site {}, list sheet: {e}", site.id)))?;
        let ws = self.workbook.worksheet_from_index(DATA).map_err(xlsx_err)?;
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
                &self.plain,
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
            let ws = self.workbook.worksheet_from_index(DATA).map_err(xlsx_err)?;
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
        lines.push(("坐标系 CRS".into(), crs_note(self.ctx.crs).into()));
        lines.push(("近似位置 approximate places".into(), APPROX_NOTE.into()));
        lines.push(("公式 formulas".into(), FORMULA_NOTE.into()));
        {
            use rust_xlsxwriter::Format;
            let bold = Format::new().set_bold();
            let wrap = Format::new().set_text_wrap();
            let about = self
                .workbook
                .worksheet_from_index(ABOUT)
                .map_err(xlsx_err)?;
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

site_writer!(XlsxSiteWriter, Send);
