//! `GET /api/v1/openapi.json`: the OpenAPI document of `/api/v1`, generated with `utoipa` from
//! the handlers' `#[utoipa::path]` attributes and the response types' `ToSchema` derives, so it
//! cannot drift from the code (a test checks that every route is in it).

use super::{
    chains, divisions, edit, export, facets, history, import, indicators, r#match, sites, users,
    vocabularies, JSON,
};
use crate::server::error::ApiResult;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use std::sync::OnceLock;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{IntoParams, IntoResponses, Modify, OpenApi, ToSchema};

/// The filter parameters, the same on every filtered route. Documentation only: the
/// handlers parse the raw query string (see [`super::params`]).
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct FilterParams {
    /// Category id or label, comma list: `innovation_resource`, `carrier_platform`,
    /// `key_enterprise` (or 创新资源, 载体平台, 重点企业).
    category: Option<String>,
    /// Kind, comma list, e.g. `incubator,maker_space` (see `/api/v1/vocabularies`).
    kind: Option<String>,
    /// Industry chain id, comma list, e.g. `petrochemical` (see `/api/v1/chains`).
    chain: Option<String>,
    /// Chain link id, comma list, e.g. `petrochemical.fine_chemicals`.
    link: Option<String>,
    /// `national`, `provincial`, `municipal`, `district`, `none`; comma list.
    level: Option<String>,
    /// `operating`, `under_construction`, `planned`; comma list.
    status: Option<String>,
    /// `local` or `partner`.
    scope: Option<String>,
    /// Township code, comma list, e.g. `440902100` (see `/api/v1/divisions`).
    town: Option<String>,
    /// `minLon,minLat,maxLon,maxLat` (WGS84); a site matches when its extent meets the box. A
    /// site without location (precision `unknown`, `"geometry": null`) is in no box.
    bbox: Option<String>,
    /// Location precision, comma list: `surveyed`, `building`, `street`, `town`, `district`,
    /// `unknown` (no location: GeoJSON `"geometry": null`).
    precision: Option<String>,
    /// `false`: the sites still to be located (precision `unknown`, `district` or `town`),
    /// ordered key enterprises, carrier platforms, then the rest; `true`: the others.
    located: Option<bool>,
    /// Full text, Chinese or English, at most 200 characters; every whitespace-separated term
    /// must occur (substring, so 2-character words such as 石化 work).
    q: Option<String>,
    /// A CQL2 filter (OGC API – Features Part 3), ANDed with the other parameters: cql2-text,
    /// or cql2-json when it starts with `{`; the properties are listed by
    /// `/ogc/collections/sites/queryables`. E.g.
    /// `chain = 'petrochemical' AND (town = '440902100' OR town = '440902103')`.
    filter: Option<String>,
    /// The encoding of `filter`: `cql2-text` or `cql2-json` (default: by its first character).
    #[param(rename = "filter-lang")]
    filter_lang: Option<String>,
    /// Page size: default 1000, at most 10000 on `/sites`; no maximum on `/export`.
    limit: Option<u64>,
    /// Sites to skip (default 0).
    offset: Option<u64>,
}

/// The filter parameters of the tile routes (`/tiles/…`): those of `/api/v1/sites` but
/// `bbox`, `limit` and `offset` (a tile is its own box and holds every match). Documentation
/// only, like [`FilterParams`].
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct TileFilterParams {
    /// As on `/api/v1/sites`.
    category: Option<String>,
    /// As on `/api/v1/sites`.
    kind: Option<String>,
    /// As on `/api/v1/sites`.
    chain: Option<String>,
    /// As on `/api/v1/sites`.
    link: Option<String>,
    /// As on `/api/v1/sites`.
    level: Option<String>,
    /// As on `/api/v1/sites`.
    status: Option<String>,
    /// As on `/api/v1/sites`.
    scope: Option<String>,
    /// As on `/api/v1/sites`.
    town: Option<String>,
    /// As on `/api/v1/sites` (`unknown` matches only sites that are in no tile).
    precision: Option<String>,
    /// As on `/api/v1/sites`.
    located: Option<bool>,
    /// As on `/api/v1/sites`.
    q: Option<String>,
    /// As on `/api/v1/sites` (a CQL2 filter).
    filter: Option<String>,
    /// As on `/api/v1/sites`.
    #[param(rename = "filter-lang")]
    filter_lang: Option<String>,
}

/// The error body of every `4xx` and `5xx`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// Code and message.
    pub error: ErrorDetail,
}

/// An error's stable code and its message, which names the offending parameter.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable, machine-readable: `invalid_bbox`, `invalid_limit`, `invalid_offset`,
    /// `limit_out_of_range`, `unknown_value`, `invalid_id`, `invalid_parameter`,
    /// `unknown_chain`, `unknown_link`, `unknown_town`, `unknown_parameter`, `unknown_format`,
    /// `invalid_filter`, `unsupported_filter`,
    /// `invalid_tile`,
    /// `invalid_area`, `invalid_near`, `invalid_radius`, `radius_without_near`,
    /// `not_found`, `method_not_allowed`, `payload_too_large`, `query_timeout`, `unavailable`,
    /// `internal_error`; writes: `unauthorized`, `forbidden`, `too_many_attempts`,
    /// `unsupported_media_type`, `invalid_json`, `invalid_site`, `invalid_rows`,
    /// `invalid_file`, `invalid_user`, `conflict`, `version_mismatch`, `reference_in_use`.
    #[schema(example = "invalid_bbox")]
    pub code: String,
    /// For people; names the parameter.
    #[schema(
        example = "parameter 'bbox': invalid bbox '1,2'; expected minLon,minLat,maxLon,maxLat"
    )]
    pub message: String,
    /// Machine-readable detail of some errors: `invalid_site` lists `[{"column","reason"}]`,
    /// `invalid_rows` holds the import report, `version_mismatch` the `current_version`,
    /// `reference_in_use` the chains and links in use.
    #[schema(value_type = Option<Object>)]
    pub details: Option<serde_json::Value>,
}

/// The `304` of a conditional data GET, the same on every route that sends an `ETag`.
#[derive(IntoResponses)]
#[allow(dead_code)]
pub enum NotModified {
    /// The client's copy (`If-None-Match`) is current.
    #[response(status = 304)]
    NotModified,
}

/// The refusals of a write that needs an editor's token.
#[derive(IntoResponses)]
#[allow(dead_code)]
pub enum EditorOnly {
    /// `unauthorized`
    #[response(status = 401)]
    Unauthorized(ErrorBody),
    /// `forbidden`
    #[response(status = 403)]
    Forbidden(ErrorBody),
}

/// The refusals of a route for admins.
#[derive(IntoResponses)]
#[allow(dead_code)]
pub enum AdminOnly {
    /// `unauthorized`
    #[response(status = 401)]
    Unauthorized(ErrorBody),
    /// `forbidden`: admins only.
    #[response(status = 403)]
    Forbidden(ErrorBody),
}

/// The bearer token scheme of the write routes.
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        let mut http = Http::new(HttpAuthScheme::Bearer);
        http.description = Some(
            "`NAME.SECRET`, made by `atlas user add NAME --role editor|admin` (or POST              /api/v1/users) and shown once."
                .into(),
        );
        components.add_security_scheme("bearer", SecurityScheme::Http(http));
    }
}

/// The document.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Innovation Atlas API (创新资源布局图)",
        description = "The Maonan District innovation-resource catalogue: sites as GeoJSON \
            (RFC 7946, WGS84 lon/lat), facets, chains and their gap analysis, site matching, \
            townships and counts per township, the plan's indicators and exports. Filters are the same query parameters everywhere. Data GETs carry a weak \
            `ETag` (answer `304` to `If-None-Match`) and `Cache-Control: public, max-age=60, \
            must-revalidate`; JSON is gzip/brotli compressed on request. Every label is `name_zh` (Chinese) and \
            `name_en` (English), on every route. Every error is \
            `{\"error\":{\"code\",\"message\"}}`. Reading is public; writing needs \
            `Authorization: Bearer TOKEN`."
    ),
    paths(
        sites::list,
        sites::one,
        facets::facets,
        chains::chains,
        chains::chain,
        chains::analysis,
        chains::report,
        r#match::match_sites,
        divisions::divisions,
        divisions::counts,
        divisions::boundary,
        divisions::context,
        indicators::indicators,
        indicators::export,
        vocabularies::vocabularies,
        export::export,
        openapi_json,
        history::history,
        history::deleted,
        history::stale,
        edit::create,
        edit::update,
        edit::delete,
        edit::restore,
        edit::revert,
        edit::verify,
        import::import,
        chains::import,
        indicators::import,
        users::list,
        users::add,
        users::revoke,
        users::me,
        crate::server::tiles::tile,
        crate::server::tiles::tilejson,
    ),
    components(schemas(ErrorBody, ErrorDetail)),
    modifiers(&BearerAuth),
    tags(
        (name = "sites", description = "Sites as GeoJSON."),
        (name = "catalogue", description = "Facets and reference data."),
        (name = "chains", description = "Industry chains: gap analysis, chain reports, site \
            matching (智慧选址)."),
        (name = "export", description = "Downloads: XLSX, CSV, GeoJSON, KML."),
        (name = "meta", description = "This document."),
        (name = "history", description = "Revisions, deleted sites, records not verified lately."),
        (name = "editing", description = "Writes (bearer token of an editor): sites, imports; \
            chains (admins). `If-Match` with the site's `ETag` guards against lost updates."),
        (name = "users", description = "Users and tokens (admins); who a token is."),
        (name = "tiles", description = "Vector tiles (MVT) of the filtered sites with exact \
            clusters, and their TileJSON, under `/tiles` (outside `/api/v1`)."),
    )
)]
pub struct ApiDoc;

/// This OpenAPI document.
#[utoipa::path(
    get,
    path = "/api/v1/openapi.json",
    tag = "meta",
    responses((status = 200, description = "OpenAPI 3.1 of `/api/v1`.", body = Object))
)]
pub async fn openapi_json(req: super::Req) -> ApiResult<Response> {
    req.no_params()?;
    static DOC: OnceLock<String> = OnceLock::new();
    let doc = DOC.get_or_init(|| {
        ApiDoc::openapi()
            .to_pretty_json()
            .unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    });
    Ok(([(CONTENT_TYPE, JSON)], doc.clone()).into_response())
}
