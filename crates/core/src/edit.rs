//! Editing one site through the write API: a whole GeoJSON Feature (a new site) or a partial one
//! merged onto the current record (a change), both read with the GeoJSON import's reader
//! ([`crate::import::feature_to_raw_row`]) and validated by the import's rules
//! ([`crate::record::site_from_row`]) — exactly what a file import accepts.
//!
//! # A partial Feature ([`apply_patch`])
//! `{"properties": {…only what changes…}, "geometry": …}` (both optional; `type` may be
//! `Feature`, `id` must be the site's own if given).
//! - A property holding `null` clears that field (a required one is then reported missing).
//! - Properties are the keys of `GET /api/v1/sites/{id}` (Chinese headers and aliases are
//!   accepted as in an import); the labels the export adds (`*_zh`, `approximate`,
//!   `outside_district`) are ignored; any other key is an error naming it.
//! - `geometry` moves the site (a Point; a Polygon replaces the outline); `null` makes its
//!   location unknown (precision `unknown`, no geometry; unless the patch states another
//!   precision, e.g. `town`, which places it at its township's seat). `lon`/`lat` properties
//!   without a geometry move the marker too.
//! - **Moved on the map**: when the location changes, the precision becomes `surveyed` unless
//!   the patch says `location_precision`, and the source becomes `corrected on the map by
//!   NAME, YYYY-MM-DD` unless the patch says `location_source`. A moved
//!   site's original coordinate (`original_*`, from a GCJ-02/BD-09 import) is dropped unless
//!   the patch gives one; a `crs` property (`gcj02`, `bd09`, `wgs84`, `cgcs2000`) says the
//!   CRS of the patch's geometry or lon/lat: they are converted to WGS84 as on import and the
//!   coordinate as given is kept (`original_*`). A `crs` without a new coordinate changes
//!   nothing.
//! - A new `town_code` without `town_name` (or the reverse) replaces both.
//! - `updated_at` becomes today when anything changes, unless the patch sets it.
//! - A patch that changes nothing returns the current record unchanged.

use crate::columns::{Column, HeaderLang};
use crate::export::site_to_feature;
use crate::import::{feature_to_raw_row, property_column};
use crate::record::{cell, site_from_row, Context, RowError};
use crate::site::Site;
use serde_json::{Map, Value};

/// Property keys the export adds that are not data (ignored when read back).
pub const LABEL_PROPERTIES: [&str; 7] = [
    "category_zh",
    "kind_zh",
    "level_zh",
    "status_zh",
    "scope_zh",
    "location_precision_zh",
    "approximate",
];

/// Top-level members a Feature (or a partial one) may have.
const FEATURE_MEMBERS: [&str; 5] = ["type", "id", "properties", "geometry", "bbox"];

fn error(column: Option<&str>, message: impl Into<String>) -> RowError {
    RowError {
        line: 0,
        id: None,
        column: column.map(str::to_string),
        value: None,
        message: message.into(),
    }
}

fn short(s: &str) -> String {
    s.chars().take(60).collect()
}

/// Checks the members of a (partial) Feature and its property keys; returns the properties
/// (empty when absent) with every known key written as its column key.
fn checked_members(v: &Value, id: Option<&str>) -> Result<Map<String, Value>, Vec<RowError>> {
    let Value::Object(obj) = v else {
        return Err(vec![error(
            None,
            "the body must be a GeoJSON Feature (a JSON object)",
        )]);
    };
    let mut errors = Vec::new();
    for k in obj.keys() {
        if !FEATURE_MEMBERS.contains(&k.as_str()) {
            errors.push(error(
                Some(k),
                format!(
                    "unknown member '{}'; a Feature has type, id, properties and geometry",
                    short(k)
                ),
            ));
        }
    }
    match obj.get("type") {
        None => {}
        Some(Value::String(t)) if t == "Feature" => {}
        Some(_) => errors.push(error(Some("type"), "type must be \"Feature\"")),
    }
    let feature_id = match obj.get("id") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        Some(_) => {
            errors.push(error(Some("id"), "id must be a string"));
            None
        }
    };
    let mut props = Map::new();
    match obj.get("properties") {
        None | Some(Value::Null) => {}
        Some(Value::Object(p)) => {
            for (k, v) in p {
                if LABEL_PROPERTIES.contains(&k.as_str()) || k == Column::OutsideDistrict.key() {
                    continue;
                }
                match property_column(k) {
                    Some(c) => {
                        props.insert(c.key().to_string(), v.clone());
                    }
                    None => errors.push(error(
                        Some(k),
                        format!(
                            "unknown property '{}'; properties are the keys of GET \
                             /api/v1/sites/{{id}} (e.g. name_zh, kind, chains, lon)",
                            short(k)
                        ),
                    )),
                }
            }
        }
        Some(_) => errors.push(error(Some("properties"), "properties must be an object")),
    }
    if let Some(id) = id {
        let given = props
            .get(Column::Id.key())
            .and_then(Value::as_str)
            .map(str::to_string)
            .or(feature_id);
        if given.as_deref().is_some_and(|g| g != id) {
            errors.push(error(
                Some("id"),
                format!("id cannot be changed (the site is '{id}'); create a new site instead"),
            ));
        }
    } else if let (Some(fid), None) = (feature_id, props.get(Column::Id.key())) {
        props.insert(Column::Id.key().into(), Value::String(fid));
    }
    if errors.is_empty() {
        Ok(props)
    } else {
        Err(errors)
    }
}

/// The geometry member of a (partial) Feature: absent (`None`), `null` (`Some(None)`), or a
/// geometry.
fn geometry_member(v: &Value) -> Result<Option<Option<geojson::Geometry>>, Vec<RowError>> {
    match v.get("geometry") {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(None)),
        Some(g) => serde_json::from_value::<geojson::Geometry>(g.clone())
            .map(|g| Some(Some(g)))
            .map_err(|e| {
                vec![error(
                    Some("geometry"),
                    format!("not a GeoJSON geometry: {e}"),
                )]
            }),
    }
}

fn validate(
    geometry: Option<geojson::Geometry>,
    props: Map<String, Value>,
    ctx: &Context<'_>,
) -> Result<Site, Vec<RowError>> {
    let feature = geojson::Feature {
        bbox: None,
        geometry,
        id: None,
        properties: Some(props),
        foreign_members: None,
    };
    site_from_row(&feature_to_raw_row(&feature), ctx, None)
}

/// A new site from a whole Feature, shaped like `GET /api/v1/sites/{id}` returns (the labels
/// it adds are ignored), validated like a row of an import.
pub fn site_from_feature(v: &Value, ctx: &Context<'_>) -> Result<Site, Vec<RowError>> {
    let props = checked_members(v, None)?;
    let geometry = geometry_member(v)?.flatten();
    validate(geometry, props, ctx)
}

/// `current` with a partial Feature merged onto it and validated (see the module
/// documentation); `editor` and `ctx.today` name a correction on the map.
pub fn apply_patch(
    current: &Site,
    patch: &Value,
    ctx: &Context<'_>,
    editor: &str,
) -> Result<Site, Vec<RowError>> {
    let changes = checked_members(patch, Some(current.id.as_str()))?;
    let new_geometry = geometry_member(patch)?;
    let base = site_to_feature(current, ctx);
    let mut props = base.properties.unwrap_or_default();
    let mut geometry = base.geometry;
    let says = |c: Column| changes.contains_key(c.key());

    let lon_lat_given = (says(Column::Lon)
        && changes.get(Column::Lon.key()) != props.get(Column::Lon.key()))
        || (says(Column::Lat) && changes.get(Column::Lat.key()) != props.get(Column::Lat.key()));
    let moved = match &new_geometry {
        Some(g) => *g != geometry || says(Column::Crs),
        None => lon_lat_given,
    };
    let base_crs = props.get(Column::Crs.key()).cloned();
    for (k, v) in &changes {
        props.insert(k.clone(), v.clone());
    }
    if !moved || !says(Column::Crs) {
        // The stored coordinates are WGS84: a `crs` only speaks of the patch's coordinates.
        props.insert(Column::Crs.key().into(), base_crs.unwrap_or(Value::Null));
    }
    match new_geometry {
        Some(g) => geometry = g,
        // lon/lat properties alone: the marker moves (the geometry would win over them).
        None if lon_lat_given => geometry = None,
        None => {}
    }
    let mut set = |c: Column, v: Value| {
        if !says(c) {
            props.insert(c.key().to_string(), v);
        }
    };
    if moved {
        for c in [
            Column::OriginalCrs,
            Column::OriginalLon,
            Column::OriginalLat,
        ] {
            set(c, Value::Null);
        }
        let unknown = geometry.is_none() && !lon_lat_given;
        if unknown {
            // No location: precision `unknown` (unless the patch states one).
            set(Column::Lon, Value::Null);
            set(Column::Lat, Value::Null);
            set(Column::PolygonWkt, Value::Null);
            set(Column::LocationPrecision, Value::String("unknown".into()));
            set(Column::LocationSource, Value::Null);
        } else {
            set(Column::LocationPrecision, Value::String("surveyed".into()));
            set(
                Column::LocationSource,
                Value::String(format!(
                    "corrected on the map by {editor}, {}",
                    ctx.today.format("%Y-%m-%d")
                )),
            );
        }
    }
    if says(Column::TownCode) && !says(Column::TownName) {
        props.insert(Column::TownName.key().into(), Value::Null);
    }
    if says(Column::TownName) && !says(Column::TownCode) {
        props.insert(Column::TownCode.key().into(), Value::Null);
    }
    let mut site = validate(geometry, props, ctx)?;
    if !says(Column::UpdatedAt) {
        site.updated_at = current.updated_at;
        if site != *current {
            site.updated_at = Some(ctx.today);
        }
    }
    Ok(site)
}

/// The columns whose values differ between two records (`None`: no record), in column order;
/// derived columns (`town_name`, `outside_district`, `crs`) are left out.
pub fn changed_columns(
    before: Option<&Site>,
    after: Option<&Site>,
    ctx: &Context<'_>,
) -> Vec<Column> {
    Column::ALL
        .iter()
        .copied()
        .filter(|c| !matches!(c, Column::TownName | Column::OutsideDistrict | Column::Crs))
        .filter(|c| {
            let a = before.map(|s| cell(s, *c, ctx, HeaderLang::En));
            let b = after.map(|s| cell(s, *c, ctx, HeaderLang::En));
            let empty = |x: &Option<crate::record::Cell>| {
                x.as_ref()
                    .is_none_or(|v| matches!(v, crate::record::Cell::Empty))
            };
            !(a == b || (empty(&a) && empty(&b)))
        })
        .collect()
}
