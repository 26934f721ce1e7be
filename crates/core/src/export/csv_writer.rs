//! CSV: UTF-8 with BOM, CRLF, the header per `HeaderLang`, formula-guarded text.

use super::*;

/// A cell as CSV writes it: text formula-guarded, numbers in their shortest form.
pub(crate) fn csv_cell<'a>(c: &'a CellRef<'_>) -> Cow<'a, str> {
    match c {
        CellRef::Text(s) => guard_formula(s),
        CellRef::Number(n) => Cow::Owned(fmt_num(*n)),
        CellRef::Empty => Cow::Borrowed(""),
    }
}

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

site_writer!(CsvSiteWriter);
