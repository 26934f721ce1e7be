//! `POST /api/v1/import` (editors): a CSV, XLSX or GeoJSON file of sites, the same parser and
//! store import as `atlas import`; bodies up to [`crate::server::IMPORT_LIMIT_BYTES`]. Also the
//! CSV body of the reference-data imports ([`csv_body`]: `POST /chains/import` in
//! [`super::chains`], `POST /indicators/import` in [`super::indicators`]).

use super::{params, Req, JSON};
use crate::server::auth::Editor;
use crate::server::error::{ApiError, ApiResult};
use crate::server::{AppState, IMPORT_LIMIT_BYTES};
use atlas_core::import::{parse_sites, FileFormat};
use atlas_core::Crs;
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use std::sync::Arc;
use utoipa::ToSchema;

/// One problem of one row.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RowProblem {
    /// Line in the file (1 = header; the sheet row for XLSX; the feature's position for
    /// GeoJSON).
    pub line: u64,
    /// The column key at fault (`null`: the whole row).
    pub column: Option<String>,
    /// What is wrong and what is allowed.
    pub reason: String,
}

/// What an import did (or, for a dry run, would do).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ImportResult {
    /// True when nothing was written.
    pub dry_run: bool,
    /// Data rows read.
    pub rows: u64,
    /// New sites.
    pub inserted: u64,
    /// Changed sites.
    pub updated: u64,
    /// Sites already as in the file.
    pub unchanged: u64,
    /// Invalid rows left out (`skip_invalid`).
    pub skipped: u64,
    /// Every problem, row by row.
    pub errors: Vec<RowProblem>,
    /// Notes on valid rows, not errors: how a row without coordinates was placed from its
    /// address ("placed at 金塘镇 seat from address: 塘桥村"), or why it was not.
    pub notes: Vec<RowNoteBody>,
}

/// A note on one valid row.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RowNoteBody {
    /// Line in the file.
    pub line: u64,
    /// The row's id.
    pub id: Option<String>,
    /// What happened.
    pub message: String,
}

/// The options of an import, from the query string and the form.
#[derive(Debug, Default)]
struct Options {
    crs: Option<Crs>,
    dry_run: bool,
    skip_invalid: bool,
}

fn flag(key: &str, v: &str) -> ApiResult<bool> {
    match v.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" | "" => Ok(false),
        _ => Err(ApiError::BadParam {
            code: "invalid_parameter",
            message: format!(
                "parameter '{key}': '{}' is not true or false",
                v.chars().take(20).collect::<String>()
            ),
        }),
    }
}

impl Options {
    fn set(&mut self, key: &str, v: &str) -> ApiResult<()> {
        match key {
            "crs" => {
                self.crs = if v.trim().is_empty() {
                    None
                } else {
                    Some(v.parse::<Crs>().map_err(|e| ApiError::BadParam {
                        code: "invalid_parameter",
                        message: format!("parameter 'crs': {e}"),
                    })?)
                }
            }
            "dry_run" => self.dry_run = flag(key, v)?,
            "skip_invalid" => self.skip_invalid = flag(key, v)?,
            other => return Err(params::unknown_parameter(other, &[], &IMPORT_KEYS)),
        }
        Ok(())
    }
}

/// Query and form keys of `POST /import` (besides the form's `file`).
const IMPORT_KEYS: [&str; 3] = ["crs", "dry_run", "skip_invalid"];

fn media_type(req: &Request) -> String {
    req.headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

fn multipart_error(e: axum::extract::multipart::MultipartError) -> ApiError {
    if crate::server::error::stalled(&e) {
        ApiError::RequestTimeout
    } else if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::PayloadTooLarge
    } else {
        ApiError::BadRequest(format!(
            "the multipart form cannot be read: {}",
            e.body_text()
        ))
    }
}

/// The file of the form (its name when given, and its bytes); the form's option fields go
/// into `opts`. `400` without a `file` field, or for any other field.
async fn read_form(
    state: &AppState,
    request: Request,
    opts: &mut Options,
) -> ApiResult<(Option<String>, Vec<u8>)> {
    let mut form = Multipart::from_request(request, state)
        .await
        .map_err(|e| ApiError::BadRequest(format!("the multipart form cannot be read: {e}")))?;
    let mut file: Option<(Option<String>, Vec<u8>)> = None;
    while let Some(field) = form.next_field().await.map_err(multipart_error)? {
        let name = field.name().unwrap_or_default().to_string();
        if name == "file" {
            let file_name = field.file_name().map(str::to_string);
            let bytes = field.bytes().await.map_err(multipart_error)?;
            file = Some((file_name, bytes.to_vec()));
        } else if IMPORT_KEYS.contains(&name.as_str()) {
            let text = field.text().await.map_err(multipart_error)?;
            opts.set(&name, &text)?;
        } else {
            return Err(params::unknown_parameter(&name, &["file"], &IMPORT_KEYS));
        }
    }
    file.ok_or_else(|| {
        ApiError::BadRequest(
            "the form has no field named 'file' holding the CSV, XLSX or GeoJSON file".into(),
        )
    })
}

/// A row error of the parser as the report shows it (the value cut at 80 characters).
fn row_problem(e: &atlas_core::RowError) -> RowProblem {
    RowProblem {
        line: e.line,
        column: e.column.clone(),
        reason: match &e.value {
            Some(v) => format!(
                "{} (value '{}')",
                e.message,
                v.chars().take(80).collect::<String>()
            ),
            None => e.message.clone(),
        },
    }
}

/// Imports a file of sites.
#[utoipa::path(
    post,
    path = "/api/v1/import",
    tag = "editing",
    security(("bearer" = [])),
    params(
        ("crs" = Option<String>, Query, description = "CRS of rows without a `crs` cell: \
            `wgs84` (default), `cgcs2000`, `gcj02`, `bd09`. Also a form field."),
        ("dry_run" = Option<bool>, Query, description = "Report only, write nothing. Also a form field."),
        ("skip_invalid" = Option<bool>, Query, description = "Write the valid rows, skip the \
            invalid ones (otherwise any invalid row writes nothing). Also a form field."),
    ),
    request_body(content_type = "multipart/form-data", description = "Field `file`: a CSV \
        (UTF-8/GBK), XLSX or GeoJSON file of sites, at most 20 MiB; optional fields `crs`, \
        `dry_run`, `skip_invalid`."),
    responses(
        (status = 200, description = "The row report.", body = ImportResult),
        (status = 400, description = "`unknown_parameter`, `invalid_parameter`, `bad_request` \
            (no `file` field).", body = super::openapi::ErrorBody),
        super::openapi::EditorOnly,
        (status = 413, description = "`payload_too_large`: more than 20 MiB.", body = super::openapi::ErrorBody),
        (status = 415, description = "`unsupported_media_type`: not a multipart form, or a file \
            that is not CSV, XLSX or GeoJSON.", body = super::openapi::ErrorBody),
        (status = 422, description = "`invalid_rows` (the report is in `error.details`; nothing \
            was written) or `invalid_file` (the file cannot be read at all).",
            body = super::openapi::ErrorBody),
    )
)]
pub async fn import(Editor(who): Editor, req: Req, request: Request) -> ApiResult<Response> {
    let mut opts = Options::default();
    for (k, v) in &req.query {
        opts.set(k, v)?;
    }
    if media_type(&request) != "multipart/form-data" {
        return Err(ApiError::UnsupportedMediaType(
            "send the file as multipart/form-data with a field named 'file'".into(),
        ));
    }
    let (file_name, bytes) = read_form(&req.state, request, &mut opts).await?;
    let format = file_name
        .as_deref()
        .and_then(FileFormat::from_name)
        .or_else(|| FileFormat::sniff(&bytes))
        .ok_or_else(|| {
            ApiError::UnsupportedMediaType(format!(
                "{}: not a CSV, XLSX or GeoJSON file (an .xls workbook must be saved as .xlsx)",
                file_name.as_deref().unwrap_or("the file")
            ))
        })?;
    let cache = Arc::clone(&req.state.cache);
    let reference = req
        .state
        .db
        .read(move |s| cache.reference(s, s.data_version()?))
        .await?;
    let crs = opts.crs;
    let today = req.today();
    // Parsing a 20 MiB file is CPU work: off the async workers, not holding the writer.
    let parsed = tokio::task::spawn_blocking(move || {
        parse_sites(&bytes, format, &reference.context(today), crs)
    })
    .await
    .map_err(|e| ApiError::internal(format!("parsing an import failed: {e}")))?
    .map_err(|e| ApiError::InvalidFile(e.to_string()))?;
    let invalid = parsed.invalid_rows();
    let mut result = ImportResult {
        dry_run: opts.dry_run,
        rows: parsed.rows,
        inserted: 0,
        updated: 0,
        unchanged: 0,
        skipped: 0,
        errors: parsed.errors.iter().map(row_problem).collect(),
        notes: parsed
            .notes
            .iter()
            .map(|n| RowNoteBody {
                line: n.line,
                id: n.id.clone(),
                message: n.message.clone(),
            })
            .collect(),
    };
    if invalid > 0 && !opts.skip_invalid {
        return Err(ApiError::InvalidRows {
            message: format!(
                "{invalid} invalid row(s); nothing was written. Fix them, or send \
                 skip_invalid=true to import only the valid rows"
            ),
            details: serde_json::to_value(&result)
                .map_err(|e| ApiError::internal(e.to_string()))?,
        });
    }
    let sites: Vec<atlas_core::Site> = parsed.sites.into_iter().map(|(_, s)| s).collect();
    let dry_run = opts.dry_run;
    let report = req
        .state
        .db
        .write(move |s| Ok(s.import_sites_by(&sites, &who.name, dry_run)?))
        .await?;
    result.inserted = report.inserted;
    result.updated = report.updated;
    result.unchanged = report.unchanged;
    result.skipped = invalid;
    Ok((
        [(CONTENT_TYPE, JSON), (CACHE_CONTROL, "no-store")],
        super::to_json(&result)?,
    )
        .into_response())
}

/// The `dry_run` flag and the UTF-8 CSV body of a reference-data import (`what`: `chains`,
/// `indicators`): 415 unless `text/csv` (or `text/plain`), 413 above the import limit, 422 when
/// not UTF-8.
pub(super) async fn csv_body(req: &Req, request: Request, what: &str) -> ApiResult<(bool, String)> {
    let (_, extras) = params::split(&req.query, &[], &["dry_run"])?;
    let dry_run = match params::last(&extras, "dry_run") {
        Some(v) => flag("dry_run", v)?,
        None => false,
    };
    if !matches!(media_type(&request).as_str(), "text/csv" | "text/plain") {
        return Err(ApiError::UnsupportedMediaType(format!(
            "send the {what} file as 'Content-Type: text/csv' (UTF-8)"
        )));
    }
    let bytes = axum::body::to_bytes(request.into_body(), IMPORT_LIMIT_BYTES)
        .await
        .map_err(|e| ApiError::body_error(&e))?;
    let text = String::from_utf8(bytes.to_vec())
        .map_err(|_| ApiError::InvalidFile(format!("the {what} file must be UTF-8")))?;
    Ok((dry_run, text))
}
