//! The OpenAPI 3.0 document of `/ogc` (conformance class oas30), written by hand: the OGC
//! routes are few and their parameters come from the vocabularies and the reference data, so
//! the document lists the allowed values of every filter.

use super::{Coll, OgcCrs, CONFORMANCE, CRS84, DEFAULT_LIMIT, GEOJSON, JSON, MAX_LIMIT, OPENAPI};
use atlas_core::dataset::Reference;
use atlas_core::filter::cql::Lang;
use atlas_core::{Category, Kind, Labelled, Level, LocationPrecision, Scope, Status};
use serde_json::{json, Map, Value};

fn ids<T: Labelled>() -> Vec<&'static str> {
    T::ALL.iter().map(|v| v.id()).collect()
}

/// A comma-list query parameter whose values are `values` (any when empty).
fn list_param(name: &str, description: &str, values: Vec<String>) -> Value {
    let mut items = json!({ "type": "string" });
    if !values.is_empty() {
        items["enum"] = json!(values);
    }
    json!({
        "name": name,
        "in": "query",
        "required": false,
        "description": description,
        "style": "form",
        "explode": false,
        "schema": { "type": "array", "items": items },
    })
}

fn strings(v: Vec<&'static str>) -> Vec<String> {
    v.into_iter().map(str::to_string).collect()
}

fn parameters(reference: &Reference) -> Value {
    let chains: Vec<String> = reference
        .chains
        .chains
        .iter()
        .map(|c| c.id.to_string())
        .collect();
    let links: Vec<String> = reference.chains.links().map(|l| l.id.to_string()).collect();
    let towns: Vec<String> = reference
        .divisions
        .iter()
        .map(|d| d.code.to_string())
        .collect();
    let town_doc = reference
        .divisions
        .iter()
        .map(|d| format!("{} {}", d.code, d.name_zh))
        .collect::<Vec<_>>()
        .join(", ");
    json!({
        "collectionId": {
            "name": "collectionId", "in": "path", "required": true,
            "description": "A collection id.",
            "schema": { "type": "string", "enum": Coll::ALL.map(Coll::id) },
        },
        "featureId": {
            "name": "featureId", "in": "path", "required": true,
            "description": "A site id.",
            "schema": { "type": "string" },
        },
        "f": {
            "name": "f", "in": "query", "required": false,
            "description": "Encoding; JSON is the only one offered.",
            "schema": { "type": "string", "enum": ["json"] },
        },
        "fFeatures": {
            "name": "f", "in": "query", "required": false,
            "description": "Encoding; GeoJSON is the only one offered.",
            "schema": { "type": "string", "enum": ["json", "geojson"] },
        },
        "limit": {
            "name": "limit", "in": "query", "required": false, "style": "form", "explode": false,
            "description": format!("Page size, default {DEFAULT_LIMIT}. A larger value than the maximum {MAX_LIMIT} is served {MAX_LIMIT} features (not an error); for everything at once use /api/v1/export."),
            "schema": { "type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT },
        },
        "offset": {
            "name": "offset", "in": "query", "required": false, "style": "form", "explode": false,
            "description": "Features to skip (the next/prev links carry it).",
            "schema": { "type": "integer", "minimum": 0, "default": 0 },
        },
        "bbox": {
            "name": "bbox", "in": "query", "required": false, "style": "form", "explode": false,
            "description": "minLon,minLat,maxLon,maxLat in CRS84 (6 numbers: the heights are ignored). Features whose bounds intersect the box. Boxes crossing the antimeridian are not supported.",
            "schema": { "type": "array", "minItems": 4, "maxItems": 6, "items": { "type": "number" } },
        },
        "datetime": {
            "name": "datetime", "in": "query", "required": false, "style": "form", "explode": false,
            "description": "RFC 3339 date, date-time or interval. Sites have no temporal geometry (the collections have no temporal extent), so a valid value restricts nothing.",
            "schema": { "type": "string" },
        },
        "category": list_param("category", "Any of these categories.", strings(ids::<Category>())),
        "kind": list_param("kind", "Any of these kinds.", strings(ids::<Kind>())),
        "level": list_param("level", "Any of these levels.", strings(ids::<Level>())),
        "status": list_param("status", "Any of these statuses.", strings(ids::<Status>())),
        "scope": list_param("scope", "Local sites or partners elsewhere.", strings(ids::<Scope>())),
        "chain": list_param("chain", "Sites on any of these industry chains (property `chains`).", chains),
        "link": list_param("link", "Sites on any of these chain links (`chain.link`).", links),
        "town": list_param("town", &format!("Sites in any of these townships: {town_doc}."), towns.clone()),
        "town_code": list_param("town_code", "Same as `town` (the feature property's name).", towns),
        "precision": list_param("precision", "Any of these location precisions (property `location_precision`); `unknown` sites have no location (`\"geometry\": null`).", strings(ids::<LocationPrecision>())),
        "located": {
            "name": "located", "in": "query", "required": false,
            "description": "`false`: sites still to be located (precision `unknown`, `district` or `town`), key enterprises and carrier platforms first; `true`: the others.",
            "schema": { "type": "boolean" },
        },
        "q": {
            "name": "q", "in": "query", "required": false,
            "description": "Full-text search (Chinese or English); every whitespace-separated term must occur.",
            "schema": { "type": "string", "maxLength": 200 },
        },
    })
}

/// The parameters of Parts 2 (CRS) and 3 (filter).
fn crs_and_filter_parameters() -> Value {
    json!({
        "crs": crs_param("crs", "The CRS of the features' coordinates. EPSG:4326 and EPSG:4490 (CGCS2000) are (lat, lon); CGCS2000 is served with the WGS84 numbers (the datums agree to well under a metre here)."),
        "bbox-crs": crs_param("bbox-crs", "The CRS of `bbox` (EPSG:4326 and EPSG:4490: minLat,minLon,maxLat,maxLon)."),
        "filter-crs": crs_param("filter-crs", "The CRS of the geometries in `filter`."),
        "filter": {
            "name": "filter", "in": "query", "required": false,
            "description": "A CQL2 filter (see the collection's queryables): comparisons, AND/OR/NOT, IS NULL, LIKE, BETWEEN, IN and S_INTERSECTS(geometry, …). `chain = 'x'` and `link = 'x.y'` mean membership.",
            "schema": { "type": "string" },
        },
        "filter-lang": {
            "name": "filter-lang", "in": "query", "required": false,
            "description": "The encoding of `filter` (default: cql2-text, or cql2-json when it starts with `{`); `cql-text` is the draft's name of cql2-text.",
            "schema": { "type": "string", "enum": Lang::NAMES, "default": "cql2-text" },
        },
    })
}

fn crs_param(name: &str, description: &str) -> Value {
    json!({
        "name": name, "in": "query", "required": false, "style": "form", "explode": false,
        "description": description,
        "schema": { "type": "string", "format": "uri", "enum": OgcCrs::uris(), "default": CRS84 },
    })
}

fn schemas() -> Value {
    let link = json!({
        "type": "object", "required": ["href"],
        "properties": {
            "href": { "type": "string" }, "rel": { "type": "string" },
            "type": { "type": "string" }, "title": { "type": "string" },
        },
    });
    json!({
        "exception": {
            "type": "object", "required": ["error"],
            "properties": { "error": {
                "type": "object", "required": ["code", "message"],
                "properties": { "code": { "type": "string" }, "message": { "type": "string" } },
            }},
        },
        "link": link,
        "landingPage": {
            "type": "object", "required": ["links"],
            "properties": {
                "title": { "type": "string" }, "description": { "type": "string" },
                "links": { "type": "array", "items": { "$ref": "#/components/schemas/link" } },
            },
        },
        "confClasses": {
            "type": "object", "required": ["conformsTo"],
            "properties": { "conformsTo": { "type": "array", "items": { "type": "string" } } },
        },
        "extent": {
            "type": "object",
            "properties": { "spatial": {
                "type": "object",
                "properties": {
                    "bbox": { "type": "array", "minItems": 1, "items": {
                        "type": "array", "minItems": 4, "maxItems": 6, "items": { "type": "number" } } },
                    "crs": { "type": "string", "enum": [CRS84], "default": CRS84 },
                },
            }},
        },
        "collection": {
            "type": "object", "required": ["id", "links"],
            "properties": {
                "id": { "type": "string" }, "title": { "type": "string" },
                "description": { "type": "string" },
                "title_zh": { "type": "string" }, "title_en": { "type": "string" },
                "links": { "type": "array", "items": { "$ref": "#/components/schemas/link" } },
                "extent": { "$ref": "#/components/schemas/extent" },
                "itemType": { "type": "string", "default": "feature" },
                "crs": { "type": "array", "items": { "type": "string" } },
                "storageCrs": { "type": "string" },
            },
        },
        "collections": {
            "type": "object", "required": ["links", "collections"],
            "properties": {
                "links": { "type": "array", "items": { "$ref": "#/components/schemas/link" } },
                "collections": { "type": "array", "items": { "$ref": "#/components/schemas/collection" } },
            },
        },
        "featureGeoJSON": {
            "type": "object", "required": ["type", "geometry", "properties"],
            "properties": {
                "type": { "type": "string", "enum": ["Feature"] },
                "id": { "type": "string" },
                "geometry": { "type": "object", "description": "GeoJSON Point or Polygon (WGS84, lon/lat)." },
                "properties": { "type": "object", "description": "The site's columns (see /api/v1/openapi.json), plus Chinese labels and `approximate`." },
                "links": { "type": "array", "items": { "$ref": "#/components/schemas/link" } },
            },
        },
        "featureCollectionGeoJSON": {
            "type": "object", "required": ["type", "features"],
            "properties": {
                "type": { "type": "string", "enum": ["FeatureCollection"] },
                "features": { "type": "array", "items": { "$ref": "#/components/schemas/featureGeoJSON" } },
                "links": { "type": "array", "items": { "$ref": "#/components/schemas/link" } },
                "timeStamp": { "type": "string", "format": "date-time" },
                "numberMatched": { "type": "integer", "minimum": 0 },
                "numberReturned": { "type": "integer", "minimum": 0 },
            },
        },
    })
}

fn ok(description: &str, kind: &str, schema: &str) -> Value {
    json!({
        "description": description,
        "content": { kind: { "schema": { "$ref": format!("#/components/schemas/{schema}") } } },
    })
}

fn error(description: &str) -> Value {
    json!({
        "description": description,
        "content": { JSON: { "schema": { "$ref": "#/components/schemas/exception" } } },
    })
}

fn param(name: &str) -> Value {
    json!({ "$ref": format!("#/components/parameters/{name}") })
}

fn get(summary: &str, tag: &str, params: Vec<Value>, responses: Value) -> Value {
    json!({ "get": {
        "summary": summary, "tags": [tag],
        "operationId": summary.to_lowercase().replace([' ', '–'], "_"),
        "parameters": params, "responses": responses,
    }})
}

/// The two data paths of collection `c`: its items and one of its features.
fn data_paths(paths: &mut Map<String, Value>, c: Coll, bad: &Value) {
    let id = c.id();
    let mut params = vec![
        param("bbox"),
        param("limit"),
        param("offset"),
        param("datetime"),
        param("fFeatures"),
    ];
    if c == Coll::All {
        params.push(param("category"));
    }
    params.extend(super::PROPERTY_PARAMS.map(param));
    params.extend(super::query::ITEMS_EXTRA.map(param));
    paths.insert(
        format!("/collections/{id}/items"),
        get(
            &format!("Features of {id}"),
            "Data",
            params,
            json!({
                "200": ok("A page of features, with next/prev links.", GEOJSON, "featureCollectionGeoJSON"),
                "400": bad.clone(),
            }),
        ),
    );
    paths.insert(
        format!("/collections/{id}/queryables"),
        get(
            &format!("Queryables of {id}"),
            "Capabilities",
            vec![param("f")],
            json!({
                "200": { "description": "The properties a CQL2 filter may name (JSON Schema).", "content": { super::queryables::SCHEMA_JSON: { "schema": { "type": "object" } } } },
                "400": bad.clone(),
            }),
        ),
    );
    paths.insert(
        format!("/collections/{id}/items/{{featureId}}"),
        get(
            &format!("Feature of {id}"),
            "Data",
            vec![param("featureId"), param("fFeatures"), param("crs")],
            json!({
                "200": ok("One feature.", GEOJSON, "featureGeoJSON"),
                "400": bad.clone(),
                "404": error("No such feature in this collection."),
            }),
        ),
    );
}

/// Parts 1, 2 and 3's parameters.
fn all_parameters(reference: &Reference) -> Value {
    let mut p = parameters(reference);
    if let (Some(all), Value::Object(more)) = (p.as_object_mut(), crs_and_filter_parameters()) {
        all.extend(more);
    }
    p
}

/// The document, with `base` (e.g. `http://127.0.0.1:8080/ogc`) as its server.
pub fn document(base: &str, reference: &Reference) -> Value {
    let mut paths = Map::new();
    let bad = error("A query parameter is unknown or invalid (the message names it).");
    paths.insert(
        "/".into(),
        get(
            "Landing page",
            "Capabilities",
            vec![param("f")],
            json!({ "200": ok("Links to the API definition, conformance and collections.", JSON, "landingPage"), "400": bad }),
        ),
    );
    paths.insert(
        "/conformance".into(),
        get(
            "Conformance classes",
            "Capabilities",
            vec![param("f")],
            json!({ "200": ok("The conformance classes implemented.", JSON, "confClasses"), "400": bad }),
        ),
    );
    paths.insert(
        "/api".into(),
        get(
            "API definition",
            "Capabilities",
            vec![param("f")],
            json!({ "200": { "description": "This document.", "content": { OPENAPI: { "schema": { "type": "object" } } } }, "400": bad }),
        ),
    );
    paths.insert(
        "/collections".into(),
        get(
            "Collections",
            "Capabilities",
            vec![param("f")],
            json!({ "200": ok("The feature collections.", JSON, "collections"), "400": bad }),
        ),
    );
    paths.insert(
        "/collections/{collectionId}".into(),
        get(
            "Collection",
            "Capabilities",
            vec![param("collectionId"), param("f")],
            json!({
                "200": ok("One collection.", JSON, "collection"),
                "400": bad,
                "404": error("No such collection."),
            }),
        ),
    );
    for c in Coll::ALL {
        data_paths(&mut paths, c, &bad);
    }
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "创新资源布局图 Innovation Atlas — OGC API – Features",
            "version": env!("CARGO_PKG_VERSION"),
            "description": format!(
                "OGC API – Features, Part 1 Core + GeoJSON, Part 2 CRS, Part 3 Filtering (CQL2). Conformance: {}. Errors are JSON {{\"error\":{{\"code\",\"message\"}}}}.",
                CONFORMANCE.join(", ")
            ),
            "license": { "name": "MIT OR Apache-2.0" },
        },
        "servers": [{ "url": base }],
        "tags": [
            { "name": "Capabilities", "description": "What the API offers." },
            { "name": "Data", "description": "The features." },
        ],
        "paths": paths,
        "components": { "parameters": all_parameters(reference), "schemas": schemas() },
    })
}
