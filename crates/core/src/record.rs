//! A site as a flat record of text cells (one per [`Column`]), in both directions:
//! `site_from_row` applies every validation rule of an import; `site_to_row` writes what exports
//! show. The two are inverse: `site_from_row(site_to_row(s)) == s`.

use crate::columns::{Column, HeaderLang};
use crate::crs::Crs;
use crate::ids::{SiteId, TownCode};
use crate::reference::{find_division, ChainCatalog, District, Division};
use crate::site::{Area, ChainRef, Location, OriginalCoordinate, Site, SiteGeometry};
use crate::vocab::{Category, Kind, Labelled, Level, LocationPrecision, Scope, Status};
use chrono::NaiveDate;
use serde::Serialize;
use std::borrow::Cow;
use std::collections::HashMap;

/// What a row is checked against: the chains, townships and district in force, and today's date.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// Chains and links.
    pub chains: &'a ChainCatalog,
    /// Townships.
    pub divisions: &'a [Division],
    /// The district boundary.
    pub district: &'a District,
    /// Date stamped on records that carry none.
    pub today: NaiveDate,
}

/// One problem in one row: line, column, value and reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowError {
    /// Line in the file (1 = header; for XLSX, the sheet row number).
    pub line: u64,
    /// The row's id, when it has a readable one.
    pub id: Option<String>,
    /// Column key (English), when the problem is in one cell.
    pub column: Option<String>,
    /// The offending value.
    pub value: Option<String>,
    /// Why it is wrong and what is allowed.
    pub message: String,
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}", self.line)?;
        if let Some(c) = &self.column {
            write!(f, ", column {c}")?;
        }
        if let Some(v) = &self.value {
            write!(f, " ('{v}')")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// A row as read from a file: trimmed text by column.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RawRow {
    /// Line in the file.
    pub line: u64,
    /// Cell text by column (absent columns are absent, empty cells are empty strings).
    pub cells: HashMap<Column, String>,
}

impl RawRow {
    /// A cell's trimmed text, `""` when absent.
    pub fn get(&self, c: Column) -> &str {
        self.cells.get(&c).map(|s| s.trim()).unwrap_or("")
    }
    fn opt(&self, c: Column) -> Option<String> {
        let v = self.get(c);
        (!v.is_empty()).then(|| v.to_string())
    }
}

struct Errors<'r> {
    row: &'r RawRow,
    id: Option<String>,
    list: Vec<RowError>,
}

impl Errors<'_> {
    fn cell(&mut self, c: Column, message: impl Into<String>) {
        let v = self.row.get(c);
        self.list.push(RowError {
            line: self.row.line,
            id: self.id.clone(),
            column: Some(c.key().to_string()),
            value: (!v.is_empty()).then(|| v.to_string()),
            message: message.into(),
        });
    }
}

fn parse_number(s: &str) -> Option<f64> {
    let t: String = s
        .chars()
        .filter(|c| !matches!(c, ',' | '，' | ' '))
        .collect();
    t.parse::<f64>().ok().filter(|v| v.is_finite())
}

fn round7(v: f64) -> f64 {
    (v * 1e7).round() / 1e7
}

/// Builds a validated site from a row. `file_crs` is the CRS for rows whose `crs` cell is empty
/// (default WGS84). Every problem in the row is reported, not just the first.
pub fn site_from_row(
    row: &RawRow,
    ctx: &Context<'_>,
    file_crs: Option<Crs>,
) -> Result<Site, Vec<RowError>> {
    let mut e = Errors {
        row,
        id: row.opt(Column::Id),
        list: Vec::new(),
    };

    let id = match SiteId::new(row.get(Column::Id)) {
        Ok(id) => Some(id),
        Err(err) if row.get(Column::Id).is_empty() => {
            e.cell(Column::Id, format!("id is required; {}", err.rule));
            None
        }
        Err(err) => {
            e.cell(Column::Id, err.to_string());
            None
        }
    };
    let name_zh = row.get(Column::NameZh).to_string();
    if name_zh.is_empty() {
        e.cell(Column::NameZh, "name_zh (名称) is required");
    } else if name_zh.chars().count() > 200 {
        e.cell(Column::NameZh, "name_zh is longer than 200 characters");
    }

    fn vocab<T: Labelled>(e: &mut Errors<'_>, c: Column, default: Option<T>) -> Option<T> {
        let v = e.row.get(c);
        if v.is_empty() {
            if default.is_none() {
                let allowed = T::ALL.iter().map(|x| x.id()).collect::<Vec<_>>().join(", ");
                e.cell(c, format!("{} is required; allowed: {allowed}", c.key()));
            }
            return default;
        }
        match T::parse_label(v) {
            Ok(x) => Some(x),
            Err(err) => {
                e.cell(c, err.to_string());
                None
            }
        }
    }
    let category: Option<Category> = vocab(&mut e, Column::Category, None);
    let kind: Option<Kind> = vocab(&mut e, Column::Kind, None);
    if let (Some(c), Some(k)) = (category, kind) {
        if k.category() != c {
            e.cell(
                Column::Kind,
                format!(
                    "kind '{}' belongs to category '{}', not '{}'",
                    k.id(),
                    k.category().id(),
                    c.id()
                ),
            );
        }
    }
    let level: Option<Level> = vocab(&mut e, Column::Level, Some(Level::None));
    let status: Option<Status> = vocab(&mut e, Column::Status, Some(Status::Operating));
    let scope: Option<Scope> = vocab(&mut e, Column::Scope, Some(Scope::Local));

    let chains = match ChainRef::parse_list(row.get(Column::Chains)) {
        Ok(list) => {
            for c in &list {
                if ctx.chains.chain(&c.chain).is_none() {
                    e.cell(
                        Column::Chains,
                        format!(
                            "unknown chain '{}'; allowed: {}",
                            c.chain,
                            ctx.chains.chain_ids()
                        ),
                    );
                } else if let Some(l) = &c.link {
                    if ctx.chains.link(l).is_none() {
                        let links = ctx
                            .chains
                            .chain(&c.chain)
                            .map(|ch| {
                                ch.links
                                    .iter()
                                    .map(|l| l.id.as_str())
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            })
                            .unwrap_or_default();
                        e.cell(
                            Column::Chains,
                            format!("unknown link '{l}'; links of {}: {links}", c.chain),
                        );
                    }
                }
            }
            list
        }
        Err(err) => {
            e.cell(Column::Chains, err.to_string());
            Vec::new()
        }
    };

    // Township: by code, or by name when the code is empty.
    let mut division: Option<&Division> = None;
    let code = row.get(Column::TownCode);
    let tname = row.get(Column::TownName);
    if !code.is_empty() {
        match TownCode::new(code) {
            Ok(tc) => match ctx.divisions.iter().find(|d| d.code == tc) {
                Some(d) => division = Some(d),
                None => e.cell(
                    Column::TownCode,
                    format!("town code '{code}' is not a township of the district"),
                ),
            },
            Err(err) => e.cell(Column::TownCode, err.to_string()),
        }
        if let (Some(d), false) = (division, tname.is_empty()) {
            if find_division(ctx.divisions, tname).map(|x| &x.code) != Some(&d.code) {
                e.cell(
                    Column::TownName,
                    format!(
                        "town name '{tname}' does not match town code {code} ({})",
                        d.name_zh
                    ),
                );
            }
        }
    } else if !tname.is_empty() {
        match find_division(ctx.divisions, tname) {
            Some(d) => division = Some(d),
            None => {
                let names = ctx
                    .divisions
                    .iter()
                    .map(|d| d.name_zh.as_str())
                    .collect::<Vec<_>>()
                    .join("、");
                e.cell(
                    Column::TownName,
                    format!("unknown township '{tname}'; townships: {names}"),
                );
            }
        }
    }

    // CRS: the row's, else the file's, else WGS84.
    let crs = match row.get(Column::Crs) {
        "" => Some(file_crs.unwrap_or(Crs::Wgs84)),
        v => match v.parse::<Crs>() {
            Ok(c) => Some(c),
            Err(err) => {
                e.cell(Column::Crs, err.to_string());
                None
            }
        },
    };

    let precision_cell = row.get(Column::LocationPrecision);
    let precision: Option<LocationPrecision> = if precision_cell.is_empty() {
        None
    } else {
        match LocationPrecision::parse_label(precision_cell) {
            Ok(p) => Some(p),
            Err(err) => {
                e.cell(Column::LocationPrecision, err.to_string());
                None
            }
        }
    };

    let num = |e: &mut Errors<'_>, c: Column| -> Option<f64> {
        let v = e.row.get(c);
        if v.is_empty() {
            return None;
        }
        let n = parse_number(v);
        if n.is_none() {
            e.cell(c, format!("{} must be a number", c.key()));
        }
        n
    };
    let lon = num(&mut e, Column::Lon);
    let lat = num(&mut e, Column::Lat);
    let lon_given = !row.get(Column::Lon).is_empty();
    let lat_given = !row.get(Column::Lat).is_empty();
    let wkt = row.get(Column::PolygonWkt);

    let mut location: Option<Location> = None;
    if !wkt.is_empty() {
        match (SiteGeometry::from_wkt(wkt), crs) {
            (Ok(SiteGeometry::Polygon { polygon, .. }), Some(crs)) => {
                let converted = if crs.is_wgs84_like() {
                    Ok(polygon)
                } else {
                    use geo::MapCoords;
                    polygon.try_map_coords(|c| {
                        crs.to_wgs84(c.x, c.y)
                            .map(|p| geo::coord! { x: round7(p.lon.get()), y: round7(p.lat.get()) })
                    })
                };
                match converted.map_err(|err| err.to_string()).and_then(|p| SiteGeometry::polygon(p).map_err(|e| e.to_string())) {
                    Ok(g) => match precision {
                        Some(p) => {
                            location = Some(Location { geometry: g, precision: p, source: row.opt(Column::LocationSource), original: None })
                        }
                        None => e.cell(Column::LocationPrecision, "location_precision is required with a polygon; allowed: surveyed, building, street"),
                    },
                    Err(msg) => e.cell(Column::PolygonWkt, msg),
                }
            }
            (Ok(_), _) => e.cell(Column::PolygonWkt, "only POLYGON is accepted"),
            (Err(err), _) => e.cell(Column::PolygonWkt, err.to_string()),
            #[allow(unreachable_patterns)]
            _ => {}
        }
    } else if lon_given != lat_given {
        let missing = if lon_given { Column::Lat } else { Column::Lon };
        e.cell(missing, "lon and lat must both be given, or both left empty (then the site is placed at its township seat or the district's representative point)");
    } else if let (Some(x), Some(y), Some(crs)) = (lon, lat, crs) {
        match crs.to_wgs84(x, y) {
            Ok(p) => {
                let (pos, original) = if crs.is_wgs84_like() {
                    // A WGS84 row may carry the original it was converted from earlier (round trip).
                    let orig = match (
                        row.get(Column::OriginalCrs),
                        row.get(Column::OriginalLon),
                        row.get(Column::OriginalLat),
                    ) {
                        ("", "", "") => None,
                        (c, ox, oy) => match (c.parse::<Crs>(), parse_number(ox), parse_number(oy))
                        {
                            (Ok(c), Some(ox), Some(oy)) => Some(OriginalCoordinate {
                                crs: c,
                                lon: ox,
                                lat: oy,
                            }),
                            _ => {
                                e.cell(Column::OriginalCrs, "original_crs, original_lon and original_lat must be given together and valid");
                                None
                            }
                        },
                    };
                    let o = if crs == Crs::Cgcs2000 {
                        Some(OriginalCoordinate {
                            crs,
                            lon: x,
                            lat: y,
                        })
                    } else {
                        orig
                    };
                    (p, o)
                } else {
                    let q = crate::coord::Position::new(round7(p.lon.get()), round7(p.lat.get()))
                        .unwrap_or(p);
                    (
                        q,
                        Some(OriginalCoordinate {
                            crs,
                            lon: x,
                            lat: y,
                        }),
                    )
                };
                match precision {
                    Some(pr) => {
                        location = Some(Location {
                            geometry: SiteGeometry::Point(pos),
                            precision: pr,
                            source: row.opt(Column::LocationSource),
                            original,
                        })
                    }
                    None => e.cell(
                        Column::LocationPrecision,
                        "location_precision is required when lon/lat are given; allowed: surveyed, building, street, town, district",
                    ),
                }
            }
            Err(err) => {
                let c = if matches!(err, crate::coord::CoordError::Lat(_)) {
                    Column::Lat
                } else {
                    Column::Lon
                };
                e.cell(c, err.to_string());
            }
        }
    } else if !lon_given && !lat_given {
        // Unknown location: the stated fallback, never a made-up point.
        if let Some(p) = precision.filter(|p| !p.is_approximate()) {
            e.cell(
                Column::LocationPrecision,
                format!(
                    "precision '{}' needs lon/lat; leave it empty for an unknown location",
                    p.id()
                ),
            );
        }
        let fallback = match division.and_then(|d| d.seat.as_ref().map(|s| (d, s))) {
            Some((d, seat)) => Some(Location {
                geometry: SiteGeometry::Point(seat.position),
                precision: LocationPrecision::Town,
                source: Some(format!("近似位置：{}驻地（位置未知，按所属镇街放置）/ approximate: seat of {}; seat source: {}", d.name_zh, d.name_en, seat.source)),
                original: None,
            }),
            None => ctx.district.representative_point().map(|p| Location {
                geometry: SiteGeometry::Point(p),
                precision: LocationPrecision::District,
                source: Some(format!(
                    "近似位置：{}代表点（位置未知）/ approximate: district representative point ({})",
                    ctx.district.name_zh, ctx.district.representative_source
                )),
                original: None,
            }),
        };
        match fallback {
            Some(l) => location = Some(l),
            None => e.cell(
                Column::Lon,
                "no location and no fallback point is available",
            ),
        }
    }

    let area = |e: &mut Errors<'_>, c: Column| -> Option<Area> {
        num(e, c).and_then(|v| match Area::new(v) {
            Ok(a) => Some(a),
            Err(err) => {
                e.cell(c, err.to_string());
                None
            }
        })
    };
    let area_m2 = area(&mut e, Column::AreaM2);
    let available_area_m2 = area(&mut e, Column::AvailableAreaM2);
    let established = match row.get(Column::Established) {
        "" => None,
        v => {
            let t = v.trim_end_matches('年');
            let t = t.strip_suffix(".0").unwrap_or(t);
            match t.parse::<i32>() {
                Ok(y) if (1800..=2100).contains(&y) => Some(y),
                _ => {
                    e.cell(
                        Column::Established,
                        "established must be a year between 1800 and 2100",
                    );
                    None
                }
            }
        }
    };
    let source = row.get(Column::Source).to_string();
    if source.is_empty() {
        e.cell(
            Column::Source,
            "source (数据来源) is required: the document and page, or a URL",
        );
    }
    let date = |e: &mut Errors<'_>, c: Column| -> Option<NaiveDate> {
        match e.row.get(c) {
            "" => None,
            v => {
                let d = NaiveDate::parse_from_str(v, "%Y-%m-%d")
                    .or_else(|_| NaiveDate::parse_from_str(v, "%Y/%m/%d"));
                match d {
                    Ok(d) => Some(d),
                    Err(_) => {
                        e.cell(c, format!("{} must be a date YYYY-MM-DD", c.key()));
                        None
                    }
                }
            }
        }
    };
    let updated_at = date(&mut e, Column::UpdatedAt).or(Some(ctx.today));
    let verified_at = date(&mut e, Column::VerifiedAt);

    if !e.list.is_empty() {
        return Err(e.list);
    }
    let (
        Some(id),
        Some(category),
        Some(kind),
        Some(level),
        Some(status),
        Some(scope),
        Some(location),
    ) = (id, category, kind, level, status, scope, location)
    else {
        // Every None above pushed an error, so this is unreachable in practice; report it anyway.
        return Err(vec![RowError {
            line: row.line,
            id: row.opt(Column::Id),
            column: None,
            value: None,
            message: "row is incomplete".into(),
        }]);
    };
    let outside_district = !ctx.district.contains(location.geometry.marker());
    Ok(Site {
        id,
        name_zh,
        name_en: row.opt(Column::NameEn),
        category,
        kind,
        level,
        status,
        scope,
        chains,
        town_code: division.map(|d| d.code.clone()),
        address: row.opt(Column::Address),
        location,
        area_m2,
        available_area_m2,
        established,
        website: row.opt(Column::Website),
        phone: row.opt(Column::Phone),
        contact: row.opt(Column::Contact),
        source,
        source_quote: row.opt(Column::SourceQuote),
        notes: row.opt(Column::Notes),
        outside_district,
        updated_at,
        verified_at,
    })
}

/// Formats a float the shortest way that reads back to the same value (`10000`, `110.92`).
pub fn fmt_num(v: f64) -> String {
    format!("{v}")
}

/// A date as `%Y-%m-%d` writes it, without parsing a format string per call.
pub fn date_text(d: NaiveDate) -> String {
    use chrono::Datelike;
    let y = d.year();
    if (0..=9999).contains(&y) {
        format!("{y:04}-{:02}-{:02}", d.month(), d.day())
    } else {
        d.format("%Y-%m-%d").to_string()
    }
}

/// One cell of an exported record: text, or a number a spreadsheet should hold as a number.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Text (always written as text, e.g. phone numbers).
    Text(String),
    /// A number.
    Number(f64),
    /// Nothing.
    Empty,
}

impl Cell {
    /// The cell, borrowed.
    pub fn as_cell_ref(&self) -> CellRef<'_> {
        match self {
            Cell::Text(s) => CellRef::Text(Cow::Borrowed(s)),
            Cell::Number(n) => CellRef::Number(*n),
            Cell::Empty => CellRef::Empty,
        }
    }

    /// The cell as it is written in CSV.
    pub fn to_text(&self) -> String {
        match self {
            Cell::Text(s) => s.clone(),
            Cell::Number(n) => fmt_num(*n),
            Cell::Empty => String::new(),
        }
    }
}

/// The value of one column of a site, as exports write it.
pub fn cell(site: &Site, c: Column, ctx: &Context<'_>, lang: HeaderLang) -> Cell {
    cell_ref(site, c, ctx, lang).into_owned()
}

/// A [`Cell`] whose text may borrow from the site or the reference data (what writers that
/// copy the text anyway use, without allocating it first).
#[derive(Debug, Clone, PartialEq)]
pub enum CellRef<'a> {
    /// Text (always written as text, e.g. phone numbers).
    Text(Cow<'a, str>),
    /// A number.
    Number(f64),
    /// Nothing.
    Empty,
}

impl CellRef<'_> {
    /// The owned cell.
    pub fn into_owned(self) -> Cell {
        match self {
            CellRef::Text(s) => Cell::Text(s.into_owned()),
            CellRef::Number(n) => Cell::Number(n),
            CellRef::Empty => Cell::Empty,
        }
    }
}

/// The value of one column of a site, as exports write it: [`cell`], borrowing its text where
/// it can.
pub fn cell_ref<'a>(site: &'a Site, c: Column, ctx: &Context<'a>, lang: HeaderLang) -> CellRef<'a> {
    fn text<'a>(s: impl Into<Cow<'a, str>>) -> CellRef<'a> {
        let s = s.into();
        if s.is_empty() {
            CellRef::Empty
        } else {
            CellRef::Text(s)
        }
    }
    fn opt(s: &Option<String>) -> CellRef<'_> {
        s.as_deref().map(text).unwrap_or(CellRef::Empty)
    }
    fn label<T: Labelled>(v: T, lang: HeaderLang) -> CellRef<'static> {
        CellRef::Text(Cow::Borrowed(match lang {
            HeaderLang::Zh => v.zh(),
            HeaderLang::En => v.id(),
        }))
    }
    let marker = site.location.geometry.marker();
    match c {
        Column::Id => text(site.id.as_str()),
        Column::NameZh => text(site.name_zh.as_str()),
        Column::NameEn => opt(&site.name_en),
        Column::Category => label(site.category, lang),
        Column::Kind => label(site.kind, lang),
        Column::Level => label(site.level, lang),
        Column::Status => label(site.status, lang),
        Column::Scope => label(site.scope, lang),
        Column::Chains => match site.chains.as_slice() {
            [] => CellRef::Empty,
            [one] => text(one.link.as_ref().map_or(one.chain.as_str(), |l| l.as_str())),
            list => text(ChainRef::format_list(list)),
        },
        Column::TownCode => site
            .town_code
            .as_ref()
            .map(|t| text(t.as_str()))
            .unwrap_or(CellRef::Empty),
        Column::TownName => site
            .town_code
            .as_ref()
            .and_then(|t| ctx.divisions.iter().find(|d| &d.code == t))
            .map(|d| {
                text(if lang == HeaderLang::Zh {
                    d.name_zh.as_str()
                } else {
                    d.name_en.as_str()
                })
            })
            .unwrap_or(CellRef::Empty),
        Column::Address => opt(&site.address),
        Column::Lon => CellRef::Number(marker.lon.get()),
        Column::Lat => CellRef::Number(marker.lat.get()),
        Column::Crs => text(Crs::Wgs84.as_str()),
        Column::LocationPrecision => label(site.location.precision, lang),
        Column::LocationSource => opt(&site.location.source),
        Column::PolygonWkt => site
            .location
            .geometry
            .polygon_wkt()
            .map(text)
            .unwrap_or(CellRef::Empty),
        Column::AreaM2 => site
            .area_m2
            .map(|a| CellRef::Number(a.get()))
            .unwrap_or(CellRef::Empty),
        Column::AvailableAreaM2 => site
            .available_area_m2
            .map(|a| CellRef::Number(a.get()))
            .unwrap_or(CellRef::Empty),
        Column::Established => site
            .established
            .map(|y| CellRef::Number(f64::from(y)))
            .unwrap_or(CellRef::Empty),
        Column::Website => opt(&site.website),
        Column::Phone => opt(&site.phone),
        Column::Contact => opt(&site.contact),
        Column::Source => text(site.source.as_str()),
        Column::SourceQuote => opt(&site.source_quote),
        Column::Notes => opt(&site.notes),
        Column::OriginalCrs => site
            .location
            .original
            .map(|o| text(o.crs.as_str()))
            .unwrap_or(CellRef::Empty),
        Column::OriginalLon => site
            .location
            .original
            .map(|o| CellRef::Number(o.lon))
            .unwrap_or(CellRef::Empty),
        Column::OriginalLat => site
            .location
            .original
            .map(|o| CellRef::Number(o.lat))
            .unwrap_or(CellRef::Empty),
        Column::OutsideDistrict => {
            CellRef::Text(Cow::Borrowed(match (lang, site.outside_district) {
                (HeaderLang::Zh, true) => "是",
                (HeaderLang::Zh, false) => "否",
                (HeaderLang::En, true) => "true",
                (HeaderLang::En, false) => "false",
            }))
        }
        Column::UpdatedAt => site
            .updated_at
            .map(|d| text(date_text(d)))
            .unwrap_or(CellRef::Empty),
        Column::VerifiedAt => site
            .verified_at
            .map(|d| text(date_text(d)))
            .unwrap_or(CellRef::Empty),
    }
}

/// All cells of a site in [`Column::ALL`] order.
pub fn site_to_row(site: &Site, ctx: &Context<'_>, lang: HeaderLang) -> Vec<Cell> {
    Column::ALL
        .iter()
        .map(|c| cell(site, *c, ctx, lang))
        .collect()
}

/// The header row in a language.
pub fn header_row(lang: HeaderLang) -> Vec<&'static str> {
    Column::ALL
        .iter()
        .map(|c| {
            if lang == HeaderLang::Zh {
                c.zh()
            } else {
                c.key()
            }
        })
        .collect()
}

/// Turns an exported row back into a [`RawRow`] (used by round-trip tests and the web's write API).
pub fn raw_row_from_cells(line: u64, cells: &[Cell]) -> RawRow {
    RawRow {
        line,
        cells: Column::ALL
            .iter()
            .zip(cells)
            .map(|(c, v)| (*c, v.to_text()))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_text_is_what_the_format_string_writes() {
        for (y, m, d) in [
            (2026, 11, 26),
            (1, 1, 1),
            (0, 2, 29),
            (999, 12, 31),
            (9999, 12, 31),
            (10000, 1, 1),
            (-1, 6, 15),
            (-44, 3, 15),
        ] {
            let date = NaiveDate::from_ymd_opt(y, m, d).expect("a valid date");
            assert_eq!(date_text(date), date.format("%Y-%m-%d").to_string());
        }
    }
}
