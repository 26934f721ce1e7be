//! Printing: the page set-up every sheet of every workbook shares ([`print_setup`]), the cell
//! styles of sheets meant to be read on paper, and the readable list sheet "清单" of a site
//! export ([`ListSheet`]).
//!
//! A printed sheet is A4 landscape, scaled to one page wide (as many pages tall as it needs),
//! its header rows repeated on every page, the sheet's name in the page header and
//! "第 N 页 共 M 页" in the footer.

use super::*;
use crate::reference::ChainCatalog;
use crate::site::ChainRef;
use crate::vocab::LocationPrecision;
use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Worksheet, XlsxError};

/// Name of the readable list sheet of a site export (the first sheet).
pub const XLSX_LIST_SHEET: &str = "清单";
/// Heading of the list sheet when the export names none ([`ExportMeta::list_title`]).
pub const LIST_TITLE: &str = "茂南区科技创新要素资源清单";
/// The page footer of every printed sheet: "第 N 页 共 M 页" (Excel's `&P` and `&N`).
pub const PAGE_FOOTER: &str = "&C第 &P 页 共 &N 页";
/// The page header of every printed sheet: the sheet's name (`&A`) on the left.
pub const PAGE_HEADER: &str = "&L&A";
/// Widest column of a table meant for print, in character units; longer text wraps.
pub(crate) const PRINT_COL_WIDTH: f64 = 30.0;

/// The list sheet's columns after 序号: header and width (character units; CJK counts double).
/// Together about 150 units: A4 landscape at a readable scale.
pub const LIST_COLUMNS: [(&str, f64); 10] = [
    ("名称", 24.0),
    ("类别", 8.0),
    ("类型", 11.0),
    ("产业链/环节", 30.0),
    ("镇街", 8.0),
    ("地址", 22.0),
    ("面积/可用面积（m²）", 13.0),
    ("状态", 6.0),
    ("联系方式", 15.0),
    ("定位精度", 9.0),
];
/// Header and width of the numbering column.
const NUMBER_COLUMN: (&str, f64) = ("序号", 5.0);
/// Row of the list sheet's column headers (below the title and the source line).
pub const LIST_HEADER_ROW: u32 = 2;

/// A4 landscape, sheet name above, page numbers below.
pub(crate) fn page_setup(ws: &mut Worksheet) {
    ws.set_paper_size(9);
    ws.set_landscape();
    ws.set_margins(0.4, 0.4, 0.5, 0.5, 0.25, 0.25);
    ws.set_header(PAGE_HEADER);
    ws.set_footer(PAGE_FOOTER);
}

/// [`page_setup`], one page wide, and `repeat` rows on every page.
pub(crate) fn print_setup(ws: &mut Worksheet, repeat: Option<(u32, u32)>) -> Result<(), XlsxError> {
    page_setup(ws);
    ws.set_print_fit_to_pages(1, 0);
    if let Some((first, last)) = repeat {
        ws.set_repeat_rows(first, last)?;
    }
    Ok(())
}

/// Font size of printed tables, points.
pub(crate) const PRINT_FONT_PT: f64 = 9.0;
/// Height of one line of text in a printed table, points (CJK fonts need about 1.35 em).
const LINE_PT: f64 = PRINT_FONT_PT * 1.35;
/// Height of a one-line row of a printed list, points.
const ONE_LINE_PT: f64 = 13.5;
/// Character units a [`display_width`] unit takes at [`PRINT_FONT_PT`] (a 9 pt CJK character
/// is about 1.7 units of the default 11 pt font, not 2).
const FONT_SCALE: f64 = 0.9;

/// Lines `text` takes in a column `width` characters wide (CJK characters count double, at
/// the print font's size).
pub(crate) fn lines_in(text: &str, width: f64) -> u32 {
    let room = (width - 1.0).max(1.0);
    text.split('\n')
        .map(|line| ((display_width(line) * FONT_SCALE) / room).ceil().max(1.0) as u32)
        .sum()
}

/// The height of a row whose cells are `(text, column width)`, when it needs more than one line:
/// spreadsheets do not all grow rows to their wrapped text on opening (LibreOffice does not for
/// these files), so the writer sets it.
pub(crate) fn wrapped_row_height<'a>(
    cells: impl IntoIterator<Item = (&'a str, f64)>,
) -> Option<f64> {
    let lines = cells
        .into_iter()
        .map(|(t, w)| lines_in(t, w))
        .max()
        .unwrap_or(1);
    (lines > 1).then(|| f64::from(lines) * LINE_PT + 3.0)
}

/// Bold, wrapped header cells with a border, on a light grey ground.
pub(crate) fn header_format() -> Format {
    Format::new()
        .set_font_size(PRINT_FONT_PT)
        .set_bold()
        .set_text_wrap()
        .set_align(FormatAlign::VerticalCenter)
        .set_border(FormatBorder::Thin)
        .set_background_color("#E7E9EE")
}

/// Wrapped, top-aligned body cells with a thin border.
pub(crate) fn body_format() -> Format {
    Format::new()
        .set_font_size(PRINT_FONT_PT)
        .set_text_wrap()
        .set_align(FormatAlign::Top)
        .set_border(FormatBorder::Thin)
}

/// The width a column of a printed table starts with: its header's Chinese part (the text
/// before the first space) and room for the autofilter button; the rest of the header wraps.
pub(crate) fn print_header_width(header: &str) -> f64 {
    display_width(header.split(' ').next().unwrap_or(header)) + 3.0
}

/// The styles of a cell: `plain` for text and numbers (none: the default style), `quoted` for
/// text that starts like a formula (the same with the quote prefix).
pub(crate) struct CellFormats {
    pub(crate) plain: Option<Format>,
    pub(crate) quoted: Format,
}

impl CellFormats {
    /// Default style; quote prefix for formula-like text.
    pub(crate) fn plain() -> Self {
        Self {
            plain: None,
            quoted: Format::new().set_quote_prefix(),
        }
    }

    /// `base` for every cell, with the quote prefix added for formula-like text.
    pub(crate) fn with(base: Format) -> Self {
        Self {
            quoted: base.clone().set_quote_prefix(),
            plain: Some(base),
        }
    }
}

/// The chains of a site by name: a link as `产业链·环节`, several separated by `；`; an id the
/// catalogue does not know stays an id.
pub fn chain_names(chains: &[ChainRef], catalog: &ChainCatalog) -> String {
    chains
        .iter()
        .map(|c| {
            let chain = catalog
                .chain(&c.chain)
                .map_or(c.chain.as_str(), |ch| ch.name_zh.as_str());
            match &c.link {
                Some(l) => {
                    let link = catalog.link(l).map_or(l.as_str(), |x| x.name_zh.as_str());
                    format!("{chain}·{link}")
                }
                None => chain.to_string(),
            }
        })
        .collect::<Vec<_>>()
        .join("；")
}

/// A number for people: whole numbers with thousands separators (`12,000`), others as written.
fn grouped(v: f64) -> String {
    if v.fract() != 0.0 || v.abs() >= 1e15 {
        return fmt_num(v);
    }
    let digits = format!("{}", v.abs() as u64);
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if v < 0.0 {
        out.insert(0, '-');
    }
    out
}

/// Area and available area as one text: `12,000 / 8,000`, `12,000 / —`, `— / 8,000`, or empty.
fn areas(site: &Site) -> String {
    let show = |a: Option<crate::site::Area>| a.map_or("—".to_string(), |a| grouped(a.get()));
    match (site.area_m2, site.available_area_m2) {
        (None, None) => String::new(),
        (a, b) => format!("{} / {}", show(a), show(b)),
    }
}

/// The readable columns of a site, in the order of [`LIST_COLUMNS`] (Chinese labels and
/// names, not ids).
pub fn list_row(site: &Site, ctx: &Context<'_>) -> Vec<String> {
    let town = site
        .town_code
        .as_ref()
        .and_then(|t| ctx.divisions.iter().find(|d| &d.code == t))
        .map(|d| d.name_zh.clone())
        .unwrap_or_default();
    let contact = [site.contact.as_deref(), site.phone.as_deref()]
        .into_iter()
        .flatten()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    let precision: LocationPrecision = site.location.precision;
    vec![
        site.name_zh.clone(),
        site.category.zh().to_string(),
        site.kind.zh().to_string(),
        chain_names(&site.chains, ctx.chains),
        town,
        site.address.clone().unwrap_or_default(),
        areas(site),
        site.status.zh().to_string(),
        contact,
        precision.zh().to_string(),
    ]
}

/// The list sheet of a site export, written row by row (constant memory): the title, the
/// source line, the column headers, then one numbered row per site.
pub(crate) struct ListSheet {
    rows: u32,
    number: Format,
    text: CellFormats,
}

impl ListSheet {
    /// Sets up `ws` (widths, print settings) and writes the title, source line and headers.
    pub(crate) fn start(
        ws: &mut Worksheet,
        title: &str,
        source_line: &str,
    ) -> Result<Self, XlsxError> {
        let last = LIST_COLUMNS.len() as u16;
        ws.set_name(XLSX_LIST_SHEET)?;
        print_setup(ws, Some((LIST_HEADER_ROW, LIST_HEADER_ROW)))?;
        ws.set_print_center_horizontally(true);
        ws.set_column_width(0, NUMBER_COLUMN.1)?;
        for (i, (_, w)) in LIST_COLUMNS.iter().enumerate() {
            ws.set_column_width(i as u16 + 1, *w)?;
        }
        let title_format = Format::new()
            .set_bold()
            .set_font_size(15)
            .set_align(FormatAlign::Center)
            .set_align(FormatAlign::VerticalCenter);
        let source_format = Format::new()
            .set_font_size(9)
            .set_text_wrap()
            .set_align(FormatAlign::Left)
            .set_align(FormatAlign::VerticalCenter);
        ws.set_row_height(0, 28)?;
        ws.merge_range(0, 0, 0, last, title, &title_format)?;
        ws.set_row_height(1, 26)?;
        ws.merge_range(1, 0, 1, last, source_line, &source_format)?;
        let header = header_format().set_align(FormatAlign::Center);
        let heads = std::iter::once(NUMBER_COLUMN).chain(LIST_COLUMNS);
        if let Some(h) = wrapped_row_height(heads) {
            ws.set_row_height(LIST_HEADER_ROW, h)?;
        }
        ws.write_string_with_format(LIST_HEADER_ROW, 0, NUMBER_COLUMN.0, &header)?;
        for (i, (h, _)) in LIST_COLUMNS.iter().enumerate() {
            ws.write_string_with_format(LIST_HEADER_ROW, i as u16 + 1, *h, &header)?;
        }
        ws.set_freeze_panes(LIST_HEADER_ROW + 1, 0)?;
        ws.set_default_row_height(ONE_LINE_PT);
        Ok(Self {
            rows: 0,
            number: body_format().set_align(FormatAlign::Center),
            text: CellFormats::with(body_format()),
        })
    }

    /// Writes the next site, numbered from 1.
    pub(crate) fn write(
        &mut self,
        ws: &mut Worksheet,
        site: &Site,
        ctx: &Context<'_>,
    ) -> Result<(), XlsxError> {
        let n = self.rows + 1;
        let row = LIST_HEADER_ROW + n;
        let values = list_row(site, ctx);
        let cells = values
            .iter()
            .zip(LIST_COLUMNS)
            .map(|(v, (_, w))| (v.as_str(), w));
        if let Some(h) = wrapped_row_height(cells) {
            ws.set_row_height(row, h)?;
        }
        ws.write_number_with_format(row, 0, f64::from(n), &self.number)?;
        for (i, v) in values.into_iter().enumerate() {
            let c = if v.is_empty() {
                CellRef::Empty
            } else {
                CellRef::Text(Cow::Owned(v))
            };
            write_xlsx_cell(ws, row, i as u16 + 1, &c, &self.text, None)?;
        }
        self.rows = n;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_numbers_are_grouped_by_thousands() {
        assert_eq!(grouped(12000.0), "12,000");
        assert_eq!(grouped(999.0), "999");
        assert_eq!(grouped(1234567.0), "1,234,567");
        assert_eq!(grouped(-1000.0), "-1,000");
        assert_eq!(grouped(12.5), "12.5");
    }

    #[test]
    fn rows_grow_to_their_wrapped_text() {
        assert_eq!(lines_in("短", 10.0), 1);
        // 20 CJK characters are 40 units, 36 at the print font: four lines in a column of 10.
        assert_eq!(lines_in(&"字".repeat(20), 10.0), 4);
        assert_eq!(lines_in("a\nb", 10.0), 2);
        assert_eq!(wrapped_row_height([("short", 20.0), ("x", 5.0)]), None);
        let two = wrapped_row_height([(&*"字".repeat(12), 20.0)]).unwrap();
        let three = wrapped_row_height([(&*"字".repeat(30), 20.0)]).unwrap();
        assert!(two > 15.0 && three > two, "{two} {three}");
    }

    #[test]
    fn the_list_fits_a4_landscape_at_a_readable_scale() {
        let total: f64 = NUMBER_COLUMN.1 + LIST_COLUMNS.iter().map(|(_, w)| w).sum::<f64>();
        // A4 landscape less 0.4" margins is about 150 character units at 100 %.
        assert!((140.0..=160.0).contains(&total), "{total}");
    }
}
