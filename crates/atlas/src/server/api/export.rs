//! `GET /api/v1/export?format=xlsx|csv|geojson|kml|gpkg&<filter>[&lang=zh|en][&crs=wgs84|cgcs2000]`:
//! exactly the filtered sites as a download.
//!
//! Everything that can be wrong with the request (parameters, filter ids, format, language) is
//! checked, and the row count and reference data read, *before* the response starts: once the
//! `200` and the first bytes are out, an error can only be logged and the body cut short (the
//! chunked encoding then lacks its end, so the client sees a failed download, not a short file).
//!
//! Streaming: the writer of `atlas_core::export` runs on a blocking thread inside
//! [`crate::server::db::Db::stream`], fed one row at a time by `Store::for_each`, and writes
//! into a [`ChannelWriter`]: 64 KiB chunks into a channel of 8 that the response body reads.
//! Server memory is therefore bounded (≈ 0.5 MiB of chunks per export, plus the XLSX writer's
//! constant-memory buffers: it writes rows to a temporary file and copies the finished workbook
//! into the channel; a GeoPackage, a database file, is likewise built in a temporary directory
//! by `Store::export_gpkg_into` and then copied) whatever the row count. A client that stops reading for
//! [`SEND_TIMEOUT`] or disconnects ends the export; at most [`crate::server::cache::MAX_CONCURRENT_EXPORTS`]
//! run at once so the pool keeps readers for the API (others wait up to [`SLOT_WAIT`], then
//! `503`). There is no row limit: `limit`/`offset` are honoured when given (as everywhere), and
//! absent they mean every matching site.

use super::{params, Req};
use crate::app::labels::export_label;
use crate::server::error::{ApiError, ApiResult};
use atlas_core::export::{site_writer, suggested_filename, ExportFormat, ExportMeta};
use atlas_core::{Crs, HeaderLang, SiteFilter};
use atlas_store::gpkg::{GpkgOptions, GpkgSrs};
use atlas_store::Store;
use axum::body::{Body, Bytes};
use axum::http::header::{
    CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE, X_CONTENT_TYPE_OPTIONS,
};
use axum::http::HeaderValue;
use axum::response::Response;
use futures_util::StreamExt;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use std::io::{self, Write};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// Size of one chunk of the body.
pub const CHUNK_BYTES: usize = 64 * 1024;
/// Chunks waiting in the channel at most.
pub const CHANNEL_CHUNKS: usize = 8;
/// How long a chunk may wait for a client that does not read before the export is dropped.
pub const SEND_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a request waits for an export slot before `503`.
pub const SLOT_WAIT: Duration = Duration::from_secs(30);

/// Title recorded in the files.
const TITLE: &str = "茂南区科技创新资源布局图 Innovation Atlas";

type Chunk = Result<Bytes, io::Error>;

/// A `std::io::Write` over a bounded channel of byte chunks, for writers running on a blocking
/// thread: buffers [`CHUNK_BYTES`], then waits (at most [`SEND_TIMEOUT`]) for room in the
/// channel. Fails with `BrokenPipe` once the receiver (the response body) is gone. Sends what
/// is left when dropped.
pub struct ChannelWriter {
    tx: mpsc::Sender<Chunk>,
    buf: Vec<u8>,
    handle: tokio::runtime::Handle,
}

impl ChannelWriter {
    /// A writer into `tx`; `handle` is the runtime whose timer bounds each send. Must be used
    /// from a blocking thread (not from async code).
    pub fn new(tx: mpsc::Sender<Chunk>, handle: tokio::runtime::Handle) -> Self {
        Self {
            tx,
            buf: Vec::with_capacity(CHUNK_BYTES),
            handle,
        }
    }

    fn send(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(
            &mut self.buf,
            Vec::with_capacity(CHUNK_BYTES),
        ));
        // The timer needs the runtime's context: this runs on a plain thread (the export's
        // writing thread), not one of the runtime's.
        let _context = self.handle.enter();
        let sent = self
            .handle
            .block_on(tokio::time::timeout(SEND_TIMEOUT, self.tx.send(Ok(chunk))));
        match sent {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                "the client closed the download",
            )),
            Err(_) => Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("the client read nothing for {} s", SEND_TIMEOUT.as_secs()),
            )),
        }
    }
}

impl Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK_BYTES {
            self.send()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.send()
    }
}

impl Drop for ChannelWriter {
    fn drop(&mut self) {
        // Writers hand their output back on `finish` without flushing it; send the rest here.
        let _ = self.send();
    }
}

/// Characters escaped in an RFC 5987 `filename*` value (all but `attr-char`).
const ATTR_CHAR: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'!')
    .remove(b'#')
    .remove(b'$')
    .remove(b'&')
    .remove(b'+')
    .remove(b'-')
    .remove(b'.')
    .remove(b'^')
    .remove(b'_')
    .remove(b'`')
    .remove(b'|')
    .remove(b'~');

/// `attachment; filename="ascii"; filename*=UTF-8''percent-encoded` (RFC 6266, RFC 5987): old
/// clients take the ASCII name, every current browser the Chinese one.
pub fn content_disposition(utf8: &str, ascii: &str) -> String {
    let fallback: String = ascii
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!(
        "attachment; filename=\"{fallback}\"; filename*=UTF-8''{}",
        utf8_percent_encode(utf8, ATTR_CHAR)
    )
}

/// A file made in full as a download: its media type, a `Content-Disposition` with the Chinese
/// name and its ASCII fallback ([`content_disposition`]), `no-store` and `nosniff`.
pub fn download(
    format: ExportFormat,
    utf8_name: &str,
    ascii_name: &str,
    body: Vec<u8>,
) -> ApiResult<Response> {
    let disposition = HeaderValue::from_str(&content_disposition(utf8_name, ascii_name))
        .map_err(|e| ApiError::internal(format!("content-disposition: {e}")))?;
    Ok(attachment(format, disposition, Body::from(body)))
}

/// A download's response: the body with its media type, `Content-Disposition`, `no-store` and
/// `nosniff` (made in full by [`download`], or streamed by the site export).
fn attachment(format: ExportFormat, disposition: HeaderValue, body: Body) -> Response {
    let mut res = Response::new(body);
    let h = res.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static(format.mime_type()));
    h.insert(CONTENT_DISPOSITION, disposition);
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    res
}

/// The `format` of a report that comes as a workbook or a CSV: `xlsx` (default) or `csv`;
/// anything else is `400 unknown_format`.
pub fn parse_report_format(v: Option<&str>) -> ApiResult<ExportFormat> {
    match parse_format(v) {
        Ok(f @ (ExportFormat::Xlsx | ExportFormat::Csv)) => Ok(f),
        _ => Err(ApiError::BadParam {
            code: "unknown_format",
            message: format!(
                "parameter 'format': unknown format '{}'; allowed: xlsx, csv",
                v.unwrap_or("").chars().take(40).collect::<String>()
            ),
        }),
    }
}

/// Title recorded in reports.
pub const REPORT_TITLE: &str = TITLE;

/// The data-source line of a download: this program, the route that made it and the data
/// version it shows.
pub fn data_source(route: &str, version: u64) -> String {
    format!(
        "Innovation Atlas {} {route}, data version {version}",
        env!("CARGO_PKG_VERSION")
    )
}

fn parse_format(v: Option<&str>) -> ApiResult<ExportFormat> {
    match v.map(str::trim) {
        None | Some("") => Ok(ExportFormat::Xlsx),
        Some(f) => f.parse().map_err(|_| ApiError::BadParam {
            code: "unknown_format",
            message: format!(
                "parameter 'format': unknown format '{}'; allowed: xlsx, csv, geojson, kml, gpkg",
                f.chars().take(40).collect::<String>()
            ),
        }),
    }
}

/// The `crs` the coordinates are declared in: `wgs84` (default) or `cgcs2000` (EPSG:4490; the
/// catalogue's WGS84 coordinates, which CGCS2000 equals at map scale, declared as CGCS2000 in the
/// `crs` column, GeoJSON's `crs` member and the GeoPackage layer); what `format` may declare
/// ([`ExportFormat::declares`]: KML is WGS84 by definition).
fn parse_crs(v: Option<&str>, format: ExportFormat) -> ApiResult<Crs> {
    let crs = match v.map(str::trim) {
        None | Some("") => return Ok(Crs::Wgs84),
        Some(v) => v.parse::<Crs>().ok(),
    };
    match crs {
        Some(crs) if format.declares(crs) => Ok(crs),
        _ => Err(ApiError::BadParam {
            code: "unknown_value",
            message: format!(
                "parameter 'crs': a {format} export declares wgs84 (EPSG:4326, the default){}",
                if format.declares(Crs::Cgcs2000) {
                    " or cgcs2000 (EPSG:4490)"
                } else {
                    " only: KML coordinates are WGS84 by definition (OGC KML 2.2)"
                }
            ),
        }),
    }
}

fn parse_lang(v: Option<&str>) -> ApiResult<HeaderLang> {
    match v.map(|s| s.trim().to_ascii_lowercase()).as_deref() {
        None | Some("") | Some("zh") => Ok(HeaderLang::Zh),
        Some("en") => Ok(HeaderLang::En),
        Some(_) => Err(ApiError::BadParam {
            code: "unknown_value",
            message: "parameter 'lang': allowed values are zh (Chinese headers, the default) \
                      and en (English keys)"
                .into(),
        }),
    }
}

/// Rows an export of `filter` holds when `total` sites match it.
fn rows_of(filter: &SiteFilter, total: u64) -> u64 {
    total
        .saturating_sub(filter.offset)
        .min(filter.limit.unwrap_or(u64::MAX))
}

/// The filtered sites as a file download.
#[utoipa::path(
    get,
    path = "/api/v1/export",
    tag = "export",
    params(
        ("format" = Option<String>, Query,
            description = "`xlsx` (default), `csv` (UTF-8 with BOM), `geojson`, `kml` or `gpkg` \
            (OGC GeoPackage 1.3, EPSG:4326 or 4490, with an R-tree spatial index)."),
        ("lang" = Option<String>, Query,
            description = "Headers of CSV/XLSX and GeoPackage field names: `zh` (Chinese, \
            default) or `en` (English keys)."),
        ("crs" = Option<String>, Query,
            description = "`wgs84` (EPSG:4326, default) or `cgcs2000` (EPSG:4490): the CRS the \
            file declares (the `crs` column, GeoJSON's `crs` member, the GeoPackage layer's SRS). \
            The catalogue stores WGS84, which CGCS2000 equals to well under a metre here, so \
            the numbers are the same. Not for KML (WGS84 by definition)."),
        super::openapi::FilterParams,
    ),
    responses(
        (status = 200, description = "Exactly the filtered sites, streamed, with a \
            `Content-Disposition` file name saying what and when (Chinese per RFC 5987 with an \
            ASCII fallback). No row limit.", content(
                (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
                (String = "text/csv; charset=utf-8"),
                (Object = "application/geo+json"),
                (String = "application/vnd.google-earth.kml+xml"),
                (String = "application/geopackage+sqlite3"))),
        (status = 400, description = "`unknown_format`, `unknown_value` (lang) or a bad filter \
            parameter.", body = super::openapi::ErrorBody),
        (status = 503, description = "Too many exports are running; try again.",
            body = super::openapi::ErrorBody),
    )
)]
pub async fn export(req: Req) -> ApiResult<Response> {
    let (filter, extras) = params::filter(&req.query, &["format", "lang", "crs"])?;
    let format = parse_format(params::last(&extras, "format"))?;
    let lang = parse_lang(params::last(&extras, "lang"))?;
    let crs = parse_crs(params::last(&extras, "crs"), format)?;

    // Everything that can fail is checked before the first byte.
    let check = filter.clone();
    let (reference, total, version) = req
        .read_with_reference(move |store, reference, version| {
            store.validate_filter(&check)?;
            Ok((Arc::clone(reference), store.count(&check)?, version))
        })
        .await?;
    let slot = tokio::time::timeout(
        SLOT_WAIT,
        std::sync::Arc::clone(&req.state.cache.exports).acquire_owned(),
    )
    .await
    .ok()
    .and_then(Result::ok)
    .ok_or_else(|| {
        ApiError::Unavailable(format!(
            "{} exports are running already; try again in a minute",
            crate::server::cache::MAX_CONCURRENT_EXPORTS
        ))
    })?;

    let now = req.state.clock.now_china();
    let mut meta = ExportMeta::new(TITLE, &filter, now, data_source("/api/v1/export", version));
    meta.row_count = Some(rows_of(&filter, total));
    let label = export_label(&filter, &reference.context(now.date_naive()));
    let (utf8_name, ascii_name) = suggested_filename(&label, format, now.naive_local());
    let disposition = HeaderValue::from_str(&content_disposition(&utf8_name, &ascii_name))
        .map_err(|e| ApiError::internal(format!("content-disposition: {e}")))?;

    let (tx, rx) = mpsc::channel::<Chunk>(CHANNEL_CHUNKS);
    let handle = tokio::runtime::Handle::current();
    req.state
        .db
        .stream(move |store| {
            let _slot = slot;
            let started = std::time::Instant::now();
            let out = ChannelWriter::new(tx.clone(), handle.clone());
            let result = write_export(store, &filter, (format, lang, crs), &meta, &reference, out);
            match result {
                Ok(rows) => tracing::info!(
                    %format, rows, ms = started.elapsed().as_millis() as u64, "export finished"
                ),
                Err(e) => cut_short(&e, format, &tx, &handle),
            }
        })
        .await?;

    // `fuse`: the compression layer may poll the body again after its end; an unfused
    // `unfold` panics on that.
    let body = Body::from_stream(
        futures_util::stream::unfold(rx, |mut rx| async move {
            rx.recv().await.map(|chunk| (chunk, rx))
        })
        .fuse(),
    );
    Ok(attachment(format, disposition, body))
}

/// An export that failed after its response started: logs it (a client that went away is a
/// warning, anything else an error) and ends the body with an error, so the client sees a
/// failed download rather than a short file.
fn cut_short(
    e: &anyhow::Error,
    format: ExportFormat,
    tx: &mpsc::Sender<Chunk>,
    handle: &tokio::runtime::Handle,
) {
    let client_gone = e.chain().any(|c| {
        c.downcast_ref::<io::Error>().is_some_and(|io| {
            matches!(
                io.kind(),
                io::ErrorKind::BrokenPipe | io::ErrorKind::TimedOut
            )
        })
    });
    if client_gone {
        tracing::warn!(%format, "export stopped: {e:#}");
    } else {
        tracing::error!(%format, "export failed after the response started: {e:#}");
    }
    let _ = handle.block_on(tokio::time::timeout(
        SEND_TIMEOUT,
        tx.send(Err(io::Error::other(
            "the export failed; see the server log",
        ))),
    ));
}

/// Writes the export on the current (blocking) thread into `out`; returns the rows written.
fn write_export(
    store: &Store,
    filter: &SiteFilter,
    (format, lang, crs): (ExportFormat, HeaderLang, Crs),
    meta: &ExportMeta,
    reference: &atlas_core::dataset::Reference,
    mut out: ChannelWriter,
) -> anyhow::Result<u64> {
    // `generated_at` is the server clock's now, in China time: its date is today.
    let mut ctx = reference.context(meta.generated_at.date_naive());
    ctx.crs = crs;
    if format == ExportFormat::Gpkg {
        let srs = GpkgSrs::for_crs(crs)
            .ok_or_else(|| anyhow::anyhow!("GeoPackage: no EPSG code for {}", crs.as_str()))?;
        let opts = GpkgOptions { srs, lang };
        return Ok(store.export_gpkg_into(filter, &mut out, &ctx, meta, opts, None)?);
    }
    let mut writer = site_writer(format, out, &ctx, lang, meta)?;
    // Reading and formatting overlap on two threads.
    store.for_each_on_thread(filter, |site| -> anyhow::Result<()> {
        writer.write_site(site)?;
        Ok(())
    })?;
    Ok(writer.finish_boxed()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_disposition_has_an_ascii_name_and_an_encoded_chinese_one() {
        let v = content_disposition(
            "创新资源布局_孵化器_20261126-1030.csv",
            "innovation-atlas_incubator_20261126-1030.csv",
        );
        assert_eq!(
            v,
            "attachment; filename=\"innovation-atlas_incubator_20261126-1030.csv\"; \
             filename*=UTF-8''%E5%88%9B%E6%96%B0%E8%B5%84%E6%BA%90%E5%B8%83%E5%B1%80_%E5%AD%B5%E5%8C%96%E5%99%A8_20261126-1030.csv"
        );
    }

    #[test]
    fn unknown_formats_and_languages_are_rejected_with_their_codes() {
        assert_eq!(
            parse_format(Some("pdf")).unwrap_err().code(),
            "unknown_format"
        );
        assert_eq!(parse_format(None).unwrap(), ExportFormat::Xlsx);
        assert_eq!(parse_lang(Some("fr")).unwrap_err().code(), "unknown_value");
        assert_eq!(parse_crs(None, ExportFormat::Gpkg).unwrap(), Crs::Wgs84);
        assert_eq!(
            parse_crs(Some("EPSG:4490"), ExportFormat::GeoJson).unwrap(),
            Crs::Cgcs2000
        );
        assert_eq!(
            parse_crs(Some("cgcs2000"), ExportFormat::Kml)
                .unwrap_err()
                .code(),
            "unknown_value"
        );
        assert_eq!(
            parse_crs(Some("gcj02"), ExportFormat::Csv)
                .unwrap_err()
                .code(),
            "unknown_value"
        );
    }
}
