//! A `Site` as a `sites` row and back. Reading validates every value: a corrupt row is a
//! [`StoreError::Data`], never a panic.

use crate::error::{Result, StoreError};
use crate::sql::col;
use atlas_core::{
    Area, Category, ChainRef, Crs, Labelled, Level, Location, OriginalCoordinate, Position, Scope,
    Site, SiteGeometry, SiteId, Status, TownCode,
};
use chrono::NaiveDate;
use rusqlite::{Connection, Row, Statement};

const DATE: &str = "%Y-%m-%d";

/// The position of a category in its vocabulary: the list's first sort key.
pub fn category_rank(c: Category) -> i64 {
    Category::ALL.iter().position(|x| *x == c).unwrap_or(0) as i64
}

/// A date as stored (`%Y-%m-%d`), without parsing a format string per call.
fn date_text(d: NaiveDate) -> String {
    atlas_core::record::date_text(d)
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
    let g = s.location.geometry.as_ref();
    let marker = s.marker();
    let bbox = s.bbox();
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
    st.raw_bind_parameter(12, marker.map(|m| m.lon.get()))?;
    st.raw_bind_parameter(13, marker.map(|m| m.lat.get()))?;
    st.raw_bind_parameter(14, g.and_then(SiteGeometry::polygon_wkt))?;
    st.raw_bind_parameter(15, bbox.map(|b| b.min_lon))?;
    st.raw_bind_parameter(16, bbox.map(|b| b.min_lat))?;
    st.raw_bind_parameter(17, bbox.map(|b| b.max_lon))?;
    st.raw_bind_parameter(18, bbox.map(|b| b.max_lat))?;
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
/// parsed (a real catalogue has a few hundred distinct ones; when [`CHAIN_LISTS`] are kept, it
/// forgets them all and starts again). A `Store` keeps one from page to page.
#[derive(Debug, Default)]
pub struct SiteReader {
    chains: std::collections::HashMap<String, Vec<ChainRef>>,
}

/// Chain lists a [`SiteReader`] remembers at most (a few hundred bytes each); a list forgotten
/// is parsed again.
const CHAIN_LISTS: usize = 16_384;

impl SiteReader {
    /// Reads the site of `row`.
    pub fn read(&mut self, row: &Row<'_>) -> Result<Site> {
        let mut site = blank_site()?;
        fill_site(row, Some(&mut self.chains), &mut site)?;
        Ok(site)
    }

    /// Reads the site of `row` into `site`, reusing the buffers of its text and lists (what an
    /// export does with the sites its writer has finished with). On error `site` holds a mix
    /// of both records and must not be used.
    pub fn read_into(&mut self, row: &Row<'_>, site: &mut Site) -> Result<()> {
        fill_site(row, Some(&mut self.chains), site)
    }
}

/// Reads a site from a row selected with `sql::SITE_COLUMNS`.
pub fn site_from_row(row: &Row<'_>) -> Result<Site> {
    let mut site = blank_site()?;
    fill_site(row, None, &mut site)?;
    Ok(site)
}

/// A site whose every field [`fill_site`] overwrites.
fn blank_site() -> Result<Site> {
    let placeholder = |e: String| StoreError::Data(format!("placeholder site: {e}"));
    Ok(Site {
        id: SiteId::new("0").map_err(|e| placeholder(e.to_string()))?,
        name_zh: String::new(),
        name_en: None,
        category: Category::ALL[0],
        kind: atlas_core::Kind::ALL[0],
        level: Level::ALL[0],
        status: Status::ALL[0],
        scope: Scope::ALL[0],
        chains: Vec::new(),
        town_code: None,
        address: None,
        location: Location::unknown(),
        area_m2: None,
        available_area_m2: None,
        established: None,
        website: None,
        phone: None,
        contact: None,
        source: String::new(),
        source_quote: None,
        notes: None,
        outside_district: false,
        updated_at: None,
        verified_at: None,
    })
}

/// Every row of the parameterless statement `q`, each read by `read`, in order.
pub(crate) fn all_rows<T>(
    conn: &Connection,
    q: &str,
    mut read: impl FnMut(&Row<'_>) -> Result<T>,
) -> Result<Vec<T>> {
    let mut st = conn.prepare_cached(q)?;
    let mut rows = st.query([])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        out.push(read(r)?);
    }
    Ok(out)
}

/// Column `i` (NOT NULL text) into `to`, reusing its buffer.
fn set_text(row: &Row<'_>, i: usize, to: &mut String) -> Result<()> {
    match row.get_ref(i)?.as_str() {
        Ok(v) => {
            to.clear();
            to.push_str(v);
        }
        // The same error as reading a `String`.
        Err(_) => *to = row.get(i)?,
    }
    Ok(())
}

/// Column `i` (text or NULL) into `to`, reusing its buffer.
fn set_opt_text(row: &Row<'_>, i: usize, to: &mut Option<String>) -> Result<()> {
    match row.get_ref(i)?.as_str_or_null() {
        Ok(Some(v)) => match to {
            Some(t) => {
                t.clear();
                t.push_str(v);
            }
            None => *to = Some(v.to_string()),
        },
        Ok(None) => *to = None,
        // The same error as reading an `Option<String>`.
        Err(_) => *to = row.get(i)?,
    }
    Ok(())
}

/// Column `i` as text or NULL, without copying it.
fn opt_str<'r>(row: &'r Row<'_>, i: usize) -> Result<Option<&'r str>> {
    match row.get_ref(i)?.as_str_or_null() {
        Ok(v) => Ok(v),
        // Raise the same error as reading an `Option<String>`.
        Err(e) => match row.get::<_, Option<String>>(i) {
            Err(e) => Err(e.into()),
            Ok(_) => Err(rusqlite::Error::FromSqlConversionFailure(
                i,
                rusqlite::types::Type::Text,
                Box::new(e),
            )
            .into()),
        },
    }
}

/// Errors about one stored site: name it and the field at fault.
struct Bad<'a>(&'a str);

impl Bad<'_> {
    fn at(&self, what: &str, msg: impl std::fmt::Display) -> StoreError {
        StoreError::Data(format!("site '{}', {what}: {msg}", self.0))
    }
}

/// The id column as text, without copying it.
fn id_text<'r>(row: &'r Row<'_>) -> Result<&'r str> {
    match row.get_ref(col::ID)?.as_str() {
        Ok(v) => Ok(v),
        Err(_) => {
            // The same error as reading a `String` (or, should that succeed, the id's own).
            let v: String = row.get(col::ID)?;
            Err(StoreError::Data(format!(
                "site '{v}', id: not readable as text"
            )))
        }
    }
}

/// A vocabulary column.
fn vocab<T: Labelled>(row: &Row<'_>, i: usize, bad: &Bad<'_>) -> Result<T> {
    let v = row.get_ref(i)?.as_str().map_err(|e| bad.at(T::WHAT, e))?;
    T::parse_label(v).map_err(|e| bad.at(T::WHAT, e))
}

/// The marker and, when there is one, the polygon.
fn geometry(row: &Row<'_>, bad: &Bad<'_>) -> Result<Option<SiteGeometry>> {
    let (Some(lon), Some(lat)) = (
        row.get::<_, Option<f64>>(col::LON)?,
        row.get::<_, Option<f64>>(col::LAT)?,
    ) else {
        return Ok(None);
    };
    let marker = Position::new(lon, lat).map_err(|e| bad.at("lon/lat", e))?;
    Ok(Some(match opt_str(row, col::POLYGON_WKT)? {
        None => SiteGeometry::Point(marker),
        // The stored marker is the one the site was written with.
        Some(w) => {
            SiteGeometry::from_wkt_with_marker(w, marker).map_err(|e| bad.at("polygon_wkt", e))?
        }
    }))
}

/// The coordinate as the source gave it, when converted.
fn original(row: &Row<'_>, bad: &Bad<'_>) -> Result<Option<OriginalCoordinate>> {
    match (
        opt_str(row, col::ORIGINAL_CRS)?,
        row.get::<_, Option<f64>>(col::ORIGINAL_LON)?,
        row.get::<_, Option<f64>>(col::ORIGINAL_LAT)?,
    ) {
        (None, None, None) => Ok(None),
        (Some(c), Some(lon), Some(lat)) => Ok(Some(OriginalCoordinate {
            crs: c.parse::<Crs>().map_err(|e| bad.at("original_crs", e))?,
            lon,
            lat,
        })),
        _ => Err(bad.at("original", "crs, lon and lat must be given together")),
    }
}

/// An area column.
fn area(row: &Row<'_>, i: usize, what: &str, bad: &Bad<'_>) -> Result<Option<Area>> {
    row.get::<_, Option<f64>>(i)?
        .map(|v| Area::new(v).map_err(|e| bad.at(what, e)))
        .transpose()
}

/// A date column.
fn day(row: &Row<'_>, i: usize, what: &str, bad: &Bad<'_>) -> Result<Option<NaiveDate>> {
    opt_str(row, i)?
        .map(|v| parse_date(v).map_err(|e| bad.at(what, e)))
        .transpose()
}

/// The chain list into `to`, from the lists `known` has parsed when it has (remembering a new
/// one).
fn chains(
    row: &Row<'_>,
    known: Option<&mut std::collections::HashMap<String, Vec<ChainRef>>>,
    to: &mut Vec<ChainRef>,
    bad: &Bad<'_>,
) -> Result<()> {
    let text = row
        .get_ref(col::CHAINS)?
        .as_str_or_null()
        .map_err(|e| bad.at("chains", e))?
        .unwrap_or_default();
    let parse = |t: &str| ChainRef::parse_list(t).map_err(|e| bad.at("chains", e));
    match known {
        Some(known) => match known.get(text) {
            Some(c) => to.clone_from(c),
            None => {
                let c = parse(text)?;
                to.clone_from(&c);
                // Full: start again, so that the lists kept follow what is read now.
                if known.len() >= CHAIN_LISTS {
                    known.clear();
                }
                known.insert(text.to_string(), c);
            }
        },
        None => *to = parse(text)?,
    }
    Ok(())
}

/// The township code into `to`, reusing its buffer.
fn town(row: &Row<'_>, to: &mut Option<TownCode>, bad: &Bad<'_>) -> Result<()> {
    match (opt_str(row, col::TOWN_CODE)?, to) {
        (None, t) => *t = None,
        (Some(v), Some(t)) => t.assign(v).map_err(|e| bad.at("town_code", e))?,
        (Some(v), t) => {
            *t = Some(TownCode::new(v).map_err(|e| bad.at("town_code", e))?);
        }
    }
    Ok(())
}

/// Reads the row into `site`: identity and vocabularies first (a kind must belong to its
/// category), then the location, the chains and the township, then the texts, figures and
/// dates. The first field that does not form a valid value is the error.
fn fill_site(
    row: &Row<'_>,
    known: Option<&mut std::collections::HashMap<String, Vec<ChainRef>>>,
    site: &mut Site,
) -> Result<()> {
    let id_text = id_text(row)?;
    let bad = Bad(id_text);
    site.id.assign(id_text).map_err(|e| bad.at("id", e))?;
    let category: Category = vocab(row, col::CATEGORY, &bad)?;
    let kind: atlas_core::Kind = vocab(row, col::KIND, &bad)?;
    if kind.category() != category {
        return Err(bad.at(
            "kind",
            format!("kind '{kind}' does not belong to category '{category}'"),
        ));
    }
    let geometry = geometry(row, &bad)?;
    let original = original(row, &bad)?;
    let established = row
        .get::<_, Option<i64>>(col::ESTABLISHED)?
        .map(|y| i32::try_from(y).map_err(|e| bad.at("established", e)))
        .transpose()?;
    chains(row, known, &mut site.chains, &bad)?;
    town(row, &mut site.town_code, &bad)?;
    let outside: i64 = row.get(col::OUTSIDE_DISTRICT)?;

    set_text(row, col::NAME_ZH, &mut site.name_zh)?;
    set_opt_text(row, col::NAME_EN, &mut site.name_en)?;
    site.category = category;
    site.kind = kind;
    site.level = vocab(row, col::LEVEL, &bad)?;
    site.status = vocab(row, col::STATUS, &bad)?;
    site.scope = vocab(row, col::SCOPE, &bad)?;
    set_opt_text(row, col::ADDRESS, &mut site.address)?;
    site.location.geometry = geometry;
    site.location.precision = vocab(row, col::LOCATION_PRECISION, &bad)?;
    if !site.location.is_consistent() {
        return Err(bad.at(
            "location_precision",
            "a site has lon/lat exactly when its precision is not 'unknown'",
        ));
    }
    set_opt_text(row, col::LOCATION_SOURCE, &mut site.location.source)?;
    site.location.original = original;
    site.area_m2 = area(row, col::AREA_M2, "area_m2", &bad)?;
    site.available_area_m2 = area(row, col::AVAILABLE_AREA_M2, "available_area_m2", &bad)?;
    site.established = established;
    set_opt_text(row, col::WEBSITE, &mut site.website)?;
    set_opt_text(row, col::PHONE, &mut site.phone)?;
    set_opt_text(row, col::CONTACT, &mut site.contact)?;
    set_text(row, col::SOURCE, &mut site.source)?;
    set_opt_text(row, col::SOURCE_QUOTE, &mut site.source_quote)?;
    set_opt_text(row, col::NOTES, &mut site.notes)?;
    site.outside_district = outside != 0;
    site.updated_at = day(row, col::UPDATED_AT, "updated_at", &bad)?;
    site.verified_at = day(row, col::VERIFIED_AT, "verified_at", &bad)?;
    Ok(())
}
