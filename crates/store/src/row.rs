//! A `Site` as a `sites` row and back. Reading validates every value: a corrupt row is a
//! [`StoreError::Data`], never a panic.

use crate::error::{Result, StoreError};
use crate::sql::col;
use atlas_core::{
    Area, Category, ChainRef, Crs, Labelled, Location, OriginalCoordinate, Position, Site,
    SiteGeometry, SiteId, TownCode,
};
use chrono::NaiveDate;
use rusqlite::{Row, Statement};

const DATE: &str = "%Y-%m-%d";

/// The position of a category in its vocabulary: the list's first sort key.
pub fn category_rank(c: Category) -> i64 {
    Category::ALL.iter().position(|x| *x == c).unwrap_or(0) as i64
}

/// A date as stored (`%Y-%m-%d`), without parsing a format string per call.
fn date_text(d: NaiveDate) -> String {
    use chrono::Datelike;
    let y = d.year();
    if (0..=9999).contains(&y) {
        format!("{y:04}-{:02}-{:02}", d.month(), d.day())
    } else {
        d.format(DATE).to_string()
    }
}

/// Parses a stored date: `YYYY-MM-DD` directly, anything else as `%Y-%m-%d` (same result, no
/// format string parsed per call for the usual form).
fn parse_date(v: &str) -> chrono::ParseResult<NaiveDate> {
    let b = v.as_bytes();
    let digits = |r: std::ops::Range<usize>| -> Option<u32> {
        b[r].iter().try_fold(0u32, |n, c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    if b.len() == 10 && b[4] == b'-' && b[7] == b'-' {
        if let (Some(y), Some(m), Some(d)) = (digits(0..4), digits(5..7), digits(8..10)) {
            if let Some(date) = i32::try_from(y)
                .ok()
                .and_then(|y| NaiveDate::from_ymd_opt(y, m, d))
            {
                return Ok(date);
            }
        }
    }
    NaiveDate::parse_from_str(v, DATE)
}

/// Binds parameters ?1 … ?36 of `sql::INSERT_SITE` / `sql::UPDATE_SITE` for `s` (the caller binds
/// the rest); `search_text` is `s.search_text()` lowercased. Text is bound by reference (SQLite
/// copies it): no value is allocated for the call.
pub fn bind_site(st: &mut Statement<'_>, s: &Site, search_text: &str) -> rusqlite::Result<()> {
    let g = &s.location.geometry;
    let marker = g.marker();
    let bbox = g.bbox();
    let original = s.location.original;
    st.raw_bind_parameter(1, s.id.as_str())?;
    st.raw_bind_parameter(2, s.name_zh.as_str())?;
    st.raw_bind_parameter(3, s.name_en.as_deref())?;
    st.raw_bind_parameter(4, s.category.as_str())?;
    st.raw_bind_parameter(5, category_rank(s.category))?;
    st.raw_bind_parameter(6, s.kind.as_str())?;
    st.raw_bind_parameter(7, s.level.as_str())?;
    st.raw_bind_parameter(8, s.status.as_str())?;
    st.raw_bind_parameter(9, s.scope.as_str())?;
    st.raw_bind_parameter(10, s.town_code.as_ref().map(|t| t.as_str()))?;
    st.raw_bind_parameter(11, s.address.as_deref())?;
    st.raw_bind_parameter(12, marker.lon.get())?;
    st.raw_bind_parameter(13, marker.lat.get())?;
    st.raw_bind_parameter(14, g.polygon_wkt())?;
    st.raw_bind_parameter(15, bbox.min_lon)?;
    st.raw_bind_parameter(16, bbox.min_lat)?;
    st.raw_bind_parameter(17, bbox.max_lon)?;
    st.raw_bind_parameter(18, bbox.max_lat)?;
    st.raw_bind_parameter(19, s.location.precision.as_str())?;
    st.raw_bind_parameter(20, s.location.source.as_deref())?;
    st.raw_bind_parameter(21, original.map(|o| o.crs.as_str()))?;
    st.raw_bind_parameter(22, original.map(|o| o.lon))?;
    st.raw_bind_parameter(23, original.map(|o| o.lat))?;
    st.raw_bind_parameter(24, s.area_m2.map(Area::get))?;
    st.raw_bind_parameter(25, s.available_area_m2.map(Area::get))?;
    st.raw_bind_parameter(26, s.established.map(i64::from))?;
    st.raw_bind_parameter(27, s.website.as_deref())?;
    st.raw_bind_parameter(28, s.phone.as_deref())?;
    st.raw_bind_parameter(29, s.contact.as_deref())?;
    st.raw_bind_parameter(30, s.source.as_str())?;
    st.raw_bind_parameter(31, s.source_quote.as_deref())?;
    st.raw_bind_parameter(32, s.notes.as_deref())?;
    st.raw_bind_parameter(33, i64::from(s.outside_district))?;
    st.raw_bind_parameter(34, s.updated_at.map(date_text))?;
    st.raw_bind_parameter(35, s.verified_at.map(date_text))?;
    st.raw_bind_parameter(36, search_text)?;
    Ok(())
}

/// Reads sites from rows selected with `sql::SITE_COLUMNS`, remembering the chain lists it has
/// parsed (a catalogue has a few hundred distinct ones; an export reads each list once).
#[derive(Debug, Default)]
pub struct SiteReader {
    chains: std::collections::HashMap<String, Vec<ChainRef>>,
}

/// Chain lists a [`SiteReader`] remembers at most.
const CHAIN_LISTS: usize = 4096;

impl SiteReader {
    /// Reads the site of `row`.
    pub fn read(&mut self, row: &Row<'_>) -> Result<Site> {
        site_from_row_with(row, Some(&mut self.chains))
    }
}

/// Reads a site from a row selected with `sql::SITE_COLUMNS`.
pub fn site_from_row(row: &Row<'_>) -> Result<Site> {
    site_from_row_with(row, None)
}

fn site_from_row_with(
    row: &Row<'_>,
    known: Option<&mut std::collections::HashMap<String, Vec<ChainRef>>>,
) -> Result<Site> {
    let id_text: String = row.get(col::ID)?;
    let bad =
        |what: &str, msg: String| StoreError::Data(format!("site '{id_text}', {what}: {msg}"));
    let id = SiteId::new(id_text.as_str()).map_err(|e| bad("id", e.to_string()))?;

    fn vocab<T: Labelled>(
        row: &Row<'_>,
        i: usize,
        bad: &dyn Fn(&str, String) -> StoreError,
    ) -> Result<T> {
        let v = row
            .get_ref(i)?
            .as_str()
            .map_err(|e| bad(T::WHAT, e.to_string()))?;
        T::parse_label(v).map_err(|e| bad(T::WHAT, e.to_string()))
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
            .map(|v| parse_date(&v).map_err(|e| bad(what, e.to_string())))
            .transpose()
    };
    let established = row
        .get::<_, Option<i64>>(col::ESTABLISHED)?
        .map(|y| i32::try_from(y).map_err(|e| bad("established", e.to_string())))
        .transpose()?;
    let text = row
        .get_ref(col::CHAINS)?
        .as_str_or_null()
        .map_err(|e| bad("chains", e.to_string()))?
        .unwrap_or_default();
    let parse = |t: &str| ChainRef::parse_list(t).map_err(|e| bad("chains", e.to_string()));
    let chains = match known {
        Some(known) => match known.get(text) {
            Some(c) => c.clone(),
            None => {
                let c = parse(text)?;
                if known.len() < CHAIN_LISTS {
                    known.insert(text.to_string(), c.clone());
                }
                c
            }
        },
        None => parse(text)?,
    };
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
