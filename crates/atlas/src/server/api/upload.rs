//! Imports over HTTP: `POST /import` (editors: a CSV, XLSX or GeoJSON file of sites, the same
//! parser and store import as `atlas import`) and `POST /chains/import` (admins: a chains CSV,
//! the same as `atlas import-chains`). Bodies up to [`crate::server::IMPORT_LIMIT_BYTES`].

use super::{params, today, Req, JSON};
use crate::server::auth::{Admin, Editor};
use crate::server::error::{ApiError, ApiResult};
use crate::server::{AppState, IMPORT_LIMIT_BYTES};
use atlas_core::import::{parse_sites, FileFormat};
use atlas_core::{ChainCatalog, Crs};
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
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::PayloadTooLarge
    } else {
        ApiError::BadRequest(format!(
            "the multipart form cannot be read: {}",
            e.body_text()
        ))
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
        (status = 401, description = "`unauthorized`", body = super::openapi::ErrorBody),
        (status = 403, description = "`forbidden`", body = super::openapi::ErrorBody),
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
    let state: AppState = req.state.clone();
    let mut form = Multipart::from_request(request, &state)
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
    let Some((file_name, bytes)) = file else {
        return Err(ApiError::BadRequest(
            "the form has no field named 'file' holding the CSV, XLSX or GeoJSON file".into(),
        ));
    };
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
    let cache = Arc::clone(&req.cache);
    let reference = req
        .state
        .db
        .read(move |s| cache.reference(s, s.data_version()?))
        .await?;
    let crs = opts.crs;
    // Parsing a 20 MiB file is CPU work: off the async workers, not holding the writer.
    let parsed = tokio::task::spawn_blocking(move || {
        parse_sites(&bytes, format, &reference.context(today()), crs)
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
        errors: parsed
            .errors
            .iter()
            .map(|e| RowProblem {
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

/// What a chains import did (or would do).
#[derive(Debug, Serialize, ToSchema)]
pub struct ChainsResult {
    /// True when nothing was written.
    pub dry_run: bool,
    /// Chains in the file.
    pub chains: usize,
    /// Links in the file.
    pub links: usize,
    /// Chain ids that are new.
    pub added_chains: Vec<String>,
    /// Chain ids that are gone.
    pub removed_chains: Vec<String>,
    /// Link ids that are new.
    pub added_links: Vec<String>,
    /// Link ids that are gone.
    pub removed_links: Vec<String>,
}

/// Replaces the chains and links with a chains CSV.
#[utoipa::path(
    post,
    path = "/api/v1/chains/import",
    tag = "editing",
    security(("bearer" = [])),
    params(("dry_run" = Option<bool>, Query, description = "Check only, write nothing.")),
    request_body(content = String, content_type = "text/csv", description = "The chains \
        file (columns of data/chains.csv), UTF-8."),
    responses(
        (status = 200, description = "The chains now in force.", body = ChainsResult),
        (status = 401, description = "`unauthorized`", body = super::openapi::ErrorBody),
        (status = 403, description = "`forbidden`: admins only.", body = super::openapi::ErrorBody),
        (status = 409, description = "`reference_in_use`: sites use chains or links the file \
            lacks (listed in `error.details`); nothing was written.", body = super::openapi::ErrorBody),
        (status = 415, description = "`unsupported_media_type`: not text/csv.", body = super::openapi::ErrorBody),
        (status = 422, description = "`invalid_file`", body = super::openapi::ErrorBody),
    )
)]
pub async fn chains(Admin(_who): Admin, req: Req, request: Request) -> ApiResult<Response> {
    let (dry_run, text) = csv_body(&req, request, "chains").await?;
    let catalog =
        ChainCatalog::parse_csv(&text).map_err(|e| ApiError::InvalidFile(e.to_string()))?;
    let result = req
        .state
        .db
        .write(move |s| {
            let r = if dry_run {
                s.check_chains(&catalog)?
            } else {
                s.replace_chains(&catalog)?
            };
            Ok(ChainsResult {
                dry_run,
                chains: r.chains,
                links: r.links,
                added_chains: r.added_chains,
                removed_chains: r.removed_chains,
                added_links: r.added_links,
                removed_links: r.removed_links,
            })
        })
        .await?;
    Ok((
        [(CONTENT_TYPE, JSON), (CACHE_CONTROL, "no-store")],
        super::to_json(&result)?,
    )
        .into_response())
}

/// What `POST /api/v1/indicators/import` did.
#[derive(Debug, Serialize, ToSchema)]
pub struct IndicatorsResult {
    /// True when nothing was written.
    pub dry_run: bool,
    /// Indicators in the file (now in force unless `dry_run`).
    pub indicators: usize,
    /// Their ids, in order.
    pub ids: Vec<String>,
}

/// Replaces the plan's indicators with an indicators CSV (the columns of data/indicators.csv):
/// baselines, targets and sources change without a code change. Admins only.
#[utoipa::path(
    post,
    path = "/api/v1/indicators/import",
    tag = "editing",
    security(("bearer" = [])),
    params(("dry_run" = Option<bool>, Query, description = "Check only, write nothing.")),
    request_body(content = String, content_type = "text/csv", description = "The indicators \
        file (columns of data/indicators.csv), UTF-8."),
    responses(
        (status = 200, description = "The indicators now in force.", body = IndicatorsResult),
        (status = 401, description = "`unauthorized`", body = super::openapi::ErrorBody),
        (status = 403, description = "`forbidden`: admins only.", body = super::openapi::ErrorBody),
        (status = 415, description = "`unsupported_media_type`: not text/csv.", body = super::openapi::ErrorBody),
        (status = 422, description = "`invalid_file`: a row that cannot be read, a repeated id, \
            or a count_filter naming an unknown chain, link or township; nothing was written.",
            body = super::openapi::ErrorBody),
    )
)]
pub async fn indicators(Admin(_who): Admin, req: Req, request: Request) -> ApiResult<Response> {
    let (dry_run, text) = csv_body(&req, request, "indicators").await?;
    let list = atlas_core::reference::parse_indicators(&text)
        .map_err(|e| ApiError::InvalidFile(e.to_string()))?;
    let ids: Vec<String> = list.iter().map(|i| i.id.clone()).collect();
    let result = req
        .state
        .db
        .write(move |s| {
            let indicators = if dry_run {
                // The same checks, in a transaction that is rolled back.
                s.check_indicators(&list)?
            } else {
                s.replace_indicators(&list)?
            };
            Ok(IndicatorsResult {
                dry_run,
                indicators,
                ids,
            })
        })
        .await?;
    Ok((
        [(CONTENT_TYPE, JSON), (CACHE_CONTROL, "no-store")],
        super::to_json(&result)?,
    )
        .into_response())
}

/// The `dry_run` flag and the UTF-8 CSV body of a reference-data import (`what`: `chains`,
/// `indicators`): 415 unless `text/csv` (or `text/plain`), 413 above the import limit, 422 when
/// not UTF-8.
async fn csv_body(req: &Req, request: Request, what: &str) -> ApiResult<(bool, String)> {
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
        .map_err(|_| ApiError::PayloadTooLarge)?;
    let text = String::from_utf8(bytes.to_vec())
        .map_err(|_| ApiError::InvalidFile(format!("the {what} file must be UTF-8")))?;
    Ok((dry_run, text))
}
