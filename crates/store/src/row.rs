//! A `Site` as a `sites` row and back. Reading validates every value: a corrupt row is a
//! [`StoreError::Data`], never a panic.

use crate::error::{Result, StoreError};
use crate::sql::col;
use atlas_core::{
    Area, Category, ChainRef, Crs, Labelled, Location, OriginalCoordinate, Position, Site,
    SiteGeometry, SiteId, TownCode,
};
use chrono::NaiveDate;
use rusqlite::types::Value;
use rusqlite::Row;

const DATE: &str = "%Y-%m-%d";

/// The position of a category in its vocabulary: the list's first sort key.
pub fn category_rank(c: Category) -> i64 {
    Category::ALL.iter().position(|x| *x == c).unwrap_or(0) as i64
}

fn text(v: Option<&str>) -> Value {
    v.map_or(Value::Null, |s| Value::Text(s.to_string()))
}

fn real(v: Option<f64>) -> Value {
    v.map_or(Value::Null, Value::Real)
}

fn date(v: Option<NaiveDate>) -> Value {
    v.map_or(Value::Null, |d| Value::Text(d.format(DATE).to_string()))
}

/// The values of `sql::INSERT_SITE` parameters ?1 … ?36 (the caller adds the timestamp);
/// `search_text` is `s.search_text()` lowercased.
pub fn site_values(s: &Site, search_text: &str) -> Vec<Value> {
    let g = &s.location.geometry;
    let marker = g.marker();
    let bbox = g.bbox();
    let original = s.location.original;
    vec![
        Value::Text(s.id.to_string()),
        Value::Text(s.name_zh.clone()),
        text(s.name_en.as_deref()),
        Value::Text(s.category.as_str().into()),
        Value::Integer(category_rank(s.category)),
        Value::Text(s.kind.as_str().into()),
        Value::Text(s.level.as_str().into()),
        Value::Text(s.status.as_str().into()),
        Value::Text(s.scope.as_str().into()),
        text(s.town_code.as_ref().map(|t| t.as_str())),
        text(s.address.as_deref()),
        Value::Real(marker.lon.get()),
        Value::Real(marker.lat.get()),
        text(g.polygon_wkt().as_deref()),
        Value::Real(bbox.min_lon),
        Value::Real(bbox.min_lat),
        Value::Real(bbox.max_lon),
        Value::Real(bbox.max_lat),
        Value::Text(s.location.precision.as_str().into()),
        text(s.location.source.as_deref()),
        text(original.map(|o| o.crs.as_str())),
        real(original.map(|o| o.lon)),
        real(original.map(|o| o.lat)),
        real(s.area_m2.map(Area::get)),
        real(s.available_area_m2.map(Area::get)),
        s.established
            .map_or(Value::Null, |y| Value::Integer(i64::from(y))),
        text(s.website.as_deref()),
        text(s.phone.as_deref()),
        text(s.contact.as_deref()),
        Value::Text(s.source.clone()),
        text(s.source_quote.as_deref()),
        text(s.notes.as_deref()),
        Value::Integer(i64::from(s.outside_district)),
        date(s.updated_at),
        date(s.verified_at),
        Value::Text(search_text.to_string()),
    ]
}

/// Reads a site from a row selected with `sql::SITE_COLUMNS`.
pub fn site_from_row(row: &Row<'_>) -> Result<Site> {
    let id_text: String = row.get(col::ID)?;
    let bad =
        |what: &str, msg: String| StoreError::Data(format!("site '{id_text}', {what}: {msg}"));
    let id = SiteId::new(id_text.as_str()).map_err(|e| bad("id", e.to_string()))?;

    fn vocab<T: Labelled>(
        row: &Row<'_>,
        i: usize,
        bad: &dyn Fn(&str, String) -> StoreError,
    ) -> Result<T> {
        let v: String = row.get(i)?;
        T::parse_label(&v).map_err(|e| bad(T::WHAT, e.to_string()))
    }
    let category: Category = vocab(row, col::CATEGORY, &bad)?;
    let kind: atlas_core::Kind = vocab(row, col::KIND, &bad)?;
    if kind.category() != category {
        return Err(bad(
            "kind",
            format!("kind '{kind}' does not belong to category '{category}'"),
        ));
    }

    let lon: f64 = row.get(col::LON)?;
    let lat: f64 = row.get(col::LAT)?;
    let marker = Position::new(lon, lat).map_err(|e| bad("lon/lat", e.to_string()))?;
    let wkt: Option<String> = row.get(col::POLYGON_WKT)?;
    let geometry = match wkt {
        None => SiteGeometry::Point(marker),
        Some(w) => {
            match SiteGeometry::from_wkt(&w).map_err(|e| bad("polygon_wkt", e.to_string()))? {
                // The stored marker is the one the site was written with.
                SiteGeometry::Polygon { polygon, .. } => SiteGeometry::Polygon {
                    polygon,
                    representative: marker,
                },
                SiteGeometry::Point(_) => {
                    return Err(bad("polygon_wkt", "not a polygon".into()));
                }
            }
        }
    };
    let original = match (
        row.get::<_, Option<String>>(col::ORIGINAL_CRS)?,
        row.get::<_, Option<f64>>(col::ORIGINAL_LON)?,
        row.get::<_, Option<f64>>(col::ORIGINAL_LAT)?,
    ) {
        (None, None, None) => None,
        (Some(c), Some(lon), Some(lat)) => Some(OriginalCoordinate {
            crs: c
                .parse::<Crs>()
                .map_err(|e| bad("original_crs", e.to_string()))?,
            lon,
            lat,
        }),
        _ => {
            return Err(bad(
                "original",
                "crs, lon and lat must be given together".into(),
            ))
        }
    };
    let area = |i: usize, what: &str| -> Result<Option<Area>> {
        row.get::<_, Option<f64>>(i)?
            .map(|v| Area::new(v).map_err(|e| bad(what, e.to_string())))
            .transpose()
    };
    let day = |i: usize, what: &str| -> Result<Option<NaiveDate>> {
        row.get::<_, Option<String>>(i)?
            .map(|v| NaiveDate::parse_from_str(&v, DATE).map_err(|e| bad(what, e.to_string())))
            .transpose()
    };
    let established = row
        .get::<_, Option<i64>>(col::ESTABLISHED)?
        .map(|y| i32::try_from(y).map_err(|e| bad("established", e.to_string())))
        .transpose()?;
    let chains = ChainRef::parse_list(
        &row.get::<_, Option<String>>(col::CHAINS)?
            .unwrap_or_default(),
    )
    .map_err(|e| bad("chains", e.to_string()))?;
    let town_code = row
        .get::<_, Option<String>>(col::TOWN_CODE)?
        .map(|t| TownCode::new(t).map_err(|e| bad("town_code", e.to_string())))
        .transpose()?;
    let outside: i64 = row.get(col::OUTSIDE_DISTRICT)?;

    Ok(Site {
        id,
        name_zh: row.get(col::NAME_ZH)?,
        name_en: row.get(col::NAME_EN)?,
        category,
        kind,
        level: vocab(row, col::LEVEL, &bad)?,
        status: vocab(row, col::STATUS, &bad)?,
        scope: vocab(row, col::SCOPE, &bad)?,
        chains,
        town_code,
        address: row.get(col::ADDRESS)?,
        location: Location {
            geometry,
            precision: vocab(row, col::LOCATION_PRECISION, &bad)?,
            source: row.get(col::LOCATION_SOURCE)?,
            original,
        },
        area_m2: area(col::AREA_M2, "area_m2")?,
        available_area_m2: area(col::AVAILABLE_AREA_M2, "available_area_m2")?,
        established,
        website: row.get(col::WEBSITE)?,
        phone: row.get(col::PHONE)?,
        contact: row.get(col::CONTACT)?,
        source: row.get(col::SOURCE)?,
        source_quote: row.get(col::SOURCE_QUOTE)?,
        notes: row.get(col::NOTES)?,
        outside_district: outside != 0,
        updated_at: day(col::UPDATED_AT, "updated_at")?,
        verified_at: day(col::VERIFIED_AT, "verified_at")?,
    })
}
