//! `atlas export`: exactly the filtered sites, streamed from the store into the writer.

use super::args::{FilterArgs, FormatArg, LangArg};
use anyhow::bail;
use anyhow::{Context as _, Result};
use atlas_core::export::{site_writer, suggested_filename, ExportFormat, ExportMeta};
use atlas_core::{Context, HeaderLang, SiteWriter};
use atlas_store::gpkg::{GpkgOptions, GpkgSrs, GpkgWriter};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// `atlas export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Output format.
    #[arg(long, value_enum, default_value = "xlsx")]
    pub format: FormatArg,
    /// Output file; `-` writes to standard output (not for gpkg: a GeoPackage is a database
    /// file). Default: a name saying what and when.
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// Header language (CSV/XLSX/GeoPackage field names and labels).
    #[arg(long, value_enum, default_value = "zh")]
    pub lang: LangArg,
    /// The CRS written (the `crs` column, GeoJSON's `crs` member, the workbook's note, the
    /// GeoPackage layer's SRS): cgcs2000 (国家2000, EPSG:4490) has the same numbers as wgs84 here. KML is WGS84 only.
    #[arg(long, value_enum, default_value = "wgs84")]
    pub crs: ExportCrs,
    #[command(flatten)]
    pub filter: FilterArgs,
}

/// The CRS of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportCrs {
    /// WGS84 (EPSG:4326).
    Wgs84,
    /// CGCS2000 (EPSG:4490), the same numbers as WGS84 (well under a metre apart here).
    Cgcs2000,
}

/// Rows above which a progress bar is shown.
const PROGRESS_THRESHOLD: u64 = 2000;

impl From<FormatArg> for ExportFormat {
    fn from(f: FormatArg) -> Self {
        match f {
            FormatArg::Xlsx => ExportFormat::Xlsx,
            FormatArg::Csv => ExportFormat::Csv,
            FormatArg::Geojson => ExportFormat::GeoJson,
            FormatArg::Kml => ExportFormat::Kml,
            FormatArg::Gpkg => ExportFormat::Gpkg,
        }
    }
}

pub fn run(db: &Path, args: &ExportArgs) -> Result<ExitCode> {
    let store = super::open_existing(db)?;
    let filter = args.filter.to_filter()?;
    store.validate_filter(&filter)?;
    let reference = store.reference()?;
    let mut ctx = reference.context(crate::app::clock::current().today());
    let format: ExportFormat = args.format.into();
    if args.crs == ExportCrs::Cgcs2000 {
        anyhow::ensure!(
            format.declares(atlas_core::Crs::Cgcs2000),
            "--crs cgcs2000: KML coordinates are WGS84 by definition (OGC KML 2.2); use xlsx, csv, geojson or gpkg"
        );
        ctx.crs = atlas_core::Crs::Cgcs2000;
    }
    let lang = match args.lang {
        LangArg::Zh => HeaderLang::Zh,
        LangArg::En => HeaderLang::En,
    };
    let now = crate::app::clock::current().now_china();
    let total = store.count(&filter)?;
    let mut meta = ExportMeta::new(
        "茂南区科技创新资源布局图 Innovation Atlas",
        &filter,
        now,
        format!("Innovation Atlas database {}", db.display()),
    );
    meta.row_count = Some(total);

    let to_stdout = args.output.as_deref() == Some(Path::new("-"));
    let path: PathBuf = match &args.output {
        Some(p) if !to_stdout => p.clone(),
        _ => PathBuf::from(
            suggested_filename(
                &crate::app::labels::export_label(&filter, &ctx),
                format,
                now.naive_local(),
            )
            .0,
        ),
    };
    let mut writer = open_writer(format, (!to_stdout).then_some(&path), &ctx, lang, &meta)?;
    let bar = (total > PROGRESS_THRESHOLD && !to_stdout).then(|| {
        let b = ProgressBar::new(total);
        b.set_style(
            ProgressStyle::with_template("{bar:40} {pos}/{len} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        b
    });
    // Reading and formatting overlap on two threads.
    store.for_each_on_thread(&filter, |site| -> Result<(), anyhow::Error> {
        writer.write_site(site)?;
        if let Some(b) = &bar {
            b.inc(1);
        }
        Ok(())
    })?;
    let written = writer.finish_boxed()?;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    if !to_stdout {
        eprintln!(
            "已导出 exported {written} 个站点 sites → {}",
            path.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// The writer of `format` into the file at `path`, or standard output when `path` is `None`.
/// A GeoPackage is built beside `path` and renamed into place when complete.
fn open_writer<'a>(
    format: ExportFormat,
    path: Option<&Path>,
    ctx: &Context<'a>,
    lang: HeaderLang,
    meta: &ExportMeta,
) -> Result<Box<dyn SiteWriter + Send + 'a>> {
    if format == ExportFormat::Gpkg {
        let Some(path) = path else {
            bail!("GeoPackage 是数据库文件，不能写到标准输出 a GeoPackage is a database file: give -o FILE.gpkg");
        };
        // The layer is declared in the CRS the cells name (EPSG:4326 or 4490).
        let srs = GpkgSrs::for_crs(ctx.crs)
            .with_context(|| format!("GeoPackage: no EPSG code for {}", ctx.crs.as_str()))?;
        let opts = GpkgOptions { srs, lang };
        return Ok(Box::new(GpkgWriter::create(path, ctx, meta, opts)?));
    }
    let out: Box<dyn Write + Send> = match path {
        None => Box::new(std::io::BufWriter::new(std::io::stdout())),
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?,
        )),
    };
    Ok(site_writer(format, out, ctx, lang, meta)?)
}
