//! A site as a flat record of text cells (one per [`Column`]), in both directions:
//! [`site_from_row`] applies every validation rule of an import, one named step per group of
//! columns (identity, vocabularies, chains, town, location, figures, source, dates); the export
//! writers read a site's cells column by column (`cell`). The two are inverse: the cells of a
//! site read back as the same site.

use crate::columns::{Column, HeaderLang};
use crate::crs::Crs;
use crate::ids::{SiteId, TownCode};
use crate::places::{Gazetteer, Placement};
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
    /// Township and village names, for placing a row by its address.
    pub places: &'a Gazetteer,
    /// Date stamped on records that carry none.
    pub today: NaiveDate,
    /// The CRS exports write coordinates in: WGS84 (the default), or CGCS2000 with the same
    /// numbers (the datums agree to well under a metre here). Imports do not use it.
    pub crs: crate::crs::Crs,
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

/// Something worth saying about one valid row (not an error): how its place was found, or why
/// it was not placed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowNote {
    /// Line in the file.
    pub line: u64,
    /// The row's id.
    pub id: Option<String>,
    /// What happened ("placed at 金塘镇 seat from address: 塘桥村").
    pub message: String,
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

/// The errors of one row, collected in column order while the row is read.
struct Errors<'r> {
    row: &'r RawRow,
    id: Option<String>,
    list: Vec<RowError>,
    notes: Vec<RowNote>,
}

impl<'r> Errors<'r> {
    fn new(row: &'r RawRow) -> Self {
        Self {
            row,
            id: row.opt(Column::Id),
            list: Vec::new(),
            notes: Vec::new(),
        }
    }

    fn note(&mut self, message: impl Into<String>) {
        self.notes.push(RowNote {
            line: self.row.line,
            id: self.id.clone(),
            message: message.into(),
        });
    }

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

    /// A vocabulary cell: `default` when empty (an error when there is no default).
    fn vocab<T: Labelled>(&mut self, c: Column, default: Option<T>) -> Option<T> {
        let v = self.row.get(c);
        if v.is_empty() {
            if default.is_none() {
                let allowed = T::ALL.iter().map(|x| x.id()).collect::<Vec<_>>().join(", ");
                self.cell(c, format!("{} is required; allowed: {allowed}", c.key()));
            }
            return default;
        }
        match T::parse_label(v) {
            Ok(x) => Some(x),
            Err(err) => {
                self.cell(c, err.to_string());
                None
            }
        }
    }

    /// A number cell (`None` when empty or not a number; the latter is an error).
    fn number(&mut self, c: Column) -> Option<f64> {
        let v = self.row.get(c);
        if v.is_empty() {
            return None;
        }
        let n = parse_number(v);
        if n.is_none() {
            self.cell(c, format!("{} must be a number", c.key()));
        }
        n
    }

    /// An area cell in square metres.
    fn area(&mut self, c: Column) -> Option<Area> {
        self.number(c).and_then(|v| match Area::new(v) {
            Ok(a) => Some(a),
            Err(err) => {
                self.cell(c, err.to_string());
                None
            }
        })
    }

    /// A date cell, `YYYY-MM-DD` or `YYYY/MM/DD`.
    fn date(&mut self, c: Column) -> Option<NaiveDate> {
        let v = self.row.get(c);
        if v.is_empty() {
            return None;
        }
        let d = NaiveDate::parse_from_str(v, "%Y-%m-%d")
            .or_else(|_| NaiveDate::parse_from_str(v, "%Y/%m/%d"));
        match d {
            Ok(d) => Some(d),
            Err(_) => {
                self.cell(c, format!("{} must be a date YYYY-MM-DD", c.key()));
                None
            }
        }
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
/// (default WGS84). Every problem in the row is reported, not just the first, in column order:
/// identity, vocabularies, chains, township, location, figures, source, dates.
pub fn site_from_row(
    row: &RawRow,
    ctx: &Context<'_>,
    file_crs: Option<Crs>,
) -> Result<Site, Vec<RowError>> {
    site_from_row_noted(row, ctx, file_crs).map(|(site, _)| site)
}

/// [`site_from_row`], with the notes on the row (how its place was found from the address, or
/// why it was not placed).
pub fn site_from_row_noted(
    row: &RawRow,
    ctx: &Context<'_>,
    file_crs: Option<Crs>,
) -> Result<(Site, Vec<RowNote>), Vec<RowError>> {
    let mut e = Errors::new(row);
    let (id, name_zh) = identity(&mut e);
    let class = vocabularies(&mut e);
    let chains = chains(&mut e, ctx.chains);
    let mut division = town(&mut e, ctx.divisions);
    let scope = class.as_ref().map(|c| c.scope);
    let location = location(&mut e, ctx, &mut division, scope, file_crs);
    let figures = figures(&mut e);
    let source = source(&mut e);
    let (updated_at, verified_at) = dates(&mut e, ctx.today);
    if !e.list.is_empty() {
        return Err(e.list);
    }
    let (Some(id), Some(class), Some(location)) = (id, class, location) else {
        // Every None above pushed an error, so this is unreachable in practice; report it anyway.
        return Err(vec![RowError {
            line: row.line,
            id: row.opt(Column::Id),
            column: None,
            value: None,
            message: "row is incomplete".into(),
        }]);
    };
    let outside_district = location.marker().is_some_and(|m| !ctx.district.contains(m));
    let site = Site {
        id,
        name_zh,
        name_en: row.opt(Column::NameEn),
        category: class.category,
        kind: class.kind,
        level: class.level,
        status: class.status,
        scope: class.scope,
        chains,
        town_code: division.map(|d| d.code.clone()),
        address: row.opt(Column::Address),
        location,
        area_m2: figures.area_m2,
        available_area_m2: figures.available_area_m2,
        established: figures.established,
        website: row.opt(Column::Website),
        phone: row.opt(Column::Phone),
        contact: row.opt(Column::Contact),
        source,
        source_quote: row.opt(Column::SourceQuote),
        notes: row.opt(Column::Notes),
        outside_district,
        updated_at,
        verified_at,
    };
    Ok((site, e.notes))
}

/// The id and the Chinese name (both required).
fn identity(e: &mut Errors<'_>) -> (Option<SiteId>, String) {
    let id_cell = e.row.get(Column::Id);
    let id = match SiteId::new(id_cell) {
        Ok(id) => Some(id),
        Err(err) if id_cell.is_empty() => {
            e.cell(Column::Id, format!("id is required; {}", err.rule));
            None
        }
        Err(err) => {
            e.cell(Column::Id, err.to_string());
            None
        }
    };
    let name_zh = e.row.get(Column::NameZh).to_string();
    if name_zh.is_empty() {
        e.cell(Column::NameZh, "name_zh (名称) is required");
    } else if name_zh.chars().count() > 200 {
        e.cell(Column::NameZh, "name_zh is longer than 200 characters");
    }
    (id, name_zh)
}

/// A site's place in the vocabularies.
struct Classification {
    category: Category,
    kind: Kind,
    level: Level,
    status: Status,
    scope: Scope,
}

/// Category and kind (required, and the kind must belong to the category); level, status and
/// scope (defaults: none, operating, local). `None` when any is invalid.
fn vocabularies(e: &mut Errors<'_>) -> Option<Classification> {
    let category: Option<Category> = e.vocab(Column::Category, None);
    let kind: Option<Kind> = e.vocab(Column::Kind, None);
    if let (Some(c), Some(k)) = (category, kind) {
        if k.category() != c {
            let message = format!(
                "kind '{}' belongs to category '{}', not '{}'",
                k.id(),
                k.category().id(),
                c.id()
            );
            e.cell(Column::Kind, message);
        }
    }
    let level = e.vocab(Column::Level, Some(Level::None));
    let status = e.vocab(Column::Status, Some(Status::Operating));
    let scope = e.vocab(Column::Scope, Some(Scope::Local));
    Some(Classification {
        category: category?,
        kind: kind?,
        level: level?,
        status: status?,
        scope: scope?,
    })
}

/// The chain and link list; every chain and link must exist in the catalogue.
fn chains(e: &mut Errors<'_>, catalog: &ChainCatalog) -> Vec<ChainRef> {
    let list = match ChainRef::parse_list(e.row.get(Column::Chains)) {
        Ok(list) => list,
        Err(err) => {
            e.cell(Column::Chains, err.to_string());
            return Vec::new();
        }
    };
    for c in &list {
        let Some(chain) = catalog.chain(&c.chain) else {
            let message = format!(
                "unknown chain '{}'; allowed: {}",
                c.chain,
                catalog.chain_ids()
            );
            e.cell(Column::Chains, message);
            continue;
        };
        if let Some(l) = c.link.as_ref().filter(|l| catalog.link(l).is_none()) {
            let links = chain
                .links
                .iter()
                .map(|l| l.id.as_str())
                .collect::<Vec<_>>()
                .join(", ");
            let message = format!("unknown link '{l}'; links of {}: {links}", c.chain);
            e.cell(Column::Chains, message);
        }
    }
    list
}

/// The township: by code (and then the name, when given, must agree), or by name when the code
/// is empty.
fn town<'c>(e: &mut Errors<'_>, divisions: &'c [Division]) -> Option<&'c Division> {
    let code = e.row.get(Column::TownCode);
    let tname = e.row.get(Column::TownName);
    if code.is_empty() {
        if tname.is_empty() {
            return None;
        }
        let found = find_division(divisions, tname);
        if found.is_none() {
            let names = divisions
                .iter()
                .map(|d| d.name_zh.as_str())
                .collect::<Vec<_>>()
                .join("、");
            let message = format!("unknown township '{tname}'; townships: {names}");
            e.cell(Column::TownName, message);
        }
        return found;
    }
    let division = match TownCode::new(code) {
        Ok(tc) => divisions.iter().find(|d| d.code == tc),
        Err(err) => {
            e.cell(Column::TownCode, err.to_string());
            return None;
        }
    };
    let Some(d) = division else {
        let message = format!("town code '{code}' is not a township of the district");
        e.cell(Column::TownCode, message);
        return None;
    };
    if !tname.is_empty() && find_division(divisions, tname).map(|x| &x.code) != Some(&d.code) {
        let message = format!(
            "town name '{tname}' does not match town code {code} ({})",
            d.name_zh
        );
        e.cell(Column::TownName, message);
    }
    Some(d)
}

/// Where the site is: a polygon, else a point from lon/lat (converted to WGS84), else the
/// township seat or no location ([`unplaced`]). `None` when the location cells are invalid.
fn location<'c>(
    e: &mut Errors<'_>,
    ctx: &Context<'c>,
    division: &mut Option<&'c Division>,
    scope: Option<Scope>,
    file_crs: Option<Crs>,
) -> Option<Location> {
    let crs = row_crs(e, file_crs);
    let precision = stated_precision(e);
    let lon = e.number(Column::Lon);
    let lat = e.number(Column::Lat);
    let lon_given = !e.row.get(Column::Lon).is_empty();
    let lat_given = !e.row.get(Column::Lat).is_empty();
    let wkt = e.row.get(Column::PolygonWkt);
    if !wkt.is_empty() {
        polygon_location(e, wkt, crs, precision)
    } else if lon_given != lat_given {
        let missing = if lon_given { Column::Lat } else { Column::Lon };
        e.cell(missing, "lon and lat must both be given, or both left empty (then the site is placed at its township seat when that is known, else it has no location)");
        None
    } else if let (Some(x), Some(y), Some(crs)) = (lon, lat, crs) {
        point_location(e, (x, y), crs, precision)
    } else if !lon_given && !lat_given {
        unplaced(e, ctx, division, scope, precision)
    } else {
        // A lon/lat or crs cell that did not parse; its error is already reported.
        None
    }
}

/// The row's CRS, else the file's, else WGS84; `None` when the cell names no known CRS.
fn row_crs(e: &mut Errors<'_>, file_crs: Option<Crs>) -> Option<Crs> {
    match e.row.get(Column::Crs) {
        "" => Some(file_crs.unwrap_or(Crs::Wgs84)),
        v => match v.parse::<Crs>() {
            Ok(c) => Some(c),
            Err(err) => {
                e.cell(Column::Crs, err.to_string());
                None
            }
        },
    }
}

/// The precision the row states (`None` when empty or invalid).
fn stated_precision(e: &mut Errors<'_>) -> Option<LocationPrecision> {
    let cell = e.row.get(Column::LocationPrecision);
    if cell.is_empty() {
        return None;
    }
    match LocationPrecision::parse_label(cell) {
        Ok(p) => Some(p),
        Err(err) => {
            e.cell(Column::LocationPrecision, err.to_string());
            None
        }
    }
}

/// A polygon from WKT, converted to WGS84; it needs a stated precision.
fn polygon_location(
    e: &mut Errors<'_>,
    wkt: &str,
    crs: Option<Crs>,
    precision: Option<LocationPrecision>,
) -> Option<Location> {
    let geometry = match SiteGeometry::from_wkt(wkt) {
        Ok(g) => g,
        Err(err) => {
            e.cell(Column::PolygonWkt, err.to_string());
            return None;
        }
    };
    // A polygon in a row whose crs cell is invalid is refused here too (after the crs error).
    let (SiteGeometry::Polygon { polygon, .. }, Some(crs)) = (geometry, crs) else {
        e.cell(Column::PolygonWkt, "only POLYGON is accepted");
        return None;
    };
    let converted = if crs.is_wgs84_like() {
        Ok(polygon)
    } else {
        use geo::MapCoords;
        polygon.try_map_coords(|c| {
            crs.to_wgs84(c.x, c.y)
                .map(|p| geo::coord! { x: round7(p.lon.get()), y: round7(p.lat.get()) })
        })
    };
    let geometry = converted
        .map_err(|err| err.to_string())
        .and_then(|p| SiteGeometry::polygon(p).map_err(|e| e.to_string()));
    let geometry = match geometry {
        Ok(g) => g,
        Err(msg) => {
            e.cell(Column::PolygonWkt, msg);
            return None;
        }
    };
    let Some(precision) = precision.filter(|p| p.is_located()) else {
        e.cell(
            Column::LocationPrecision,
            "location_precision is required with a polygon; allowed: surveyed, building, street",
        );
        return None;
    };
    Some(Location {
        geometry: Some(geometry),
        precision,
        source: e.row.opt(Column::LocationSource),
        original: None,
    })
}

/// A point from lon/lat in `crs`, converted to WGS84 (rounded to 7 decimals) and keeping the
/// coordinate as given; it needs a stated precision.
fn point_location(
    e: &mut Errors<'_>,
    (x, y): (f64, f64),
    crs: Crs,
    precision: Option<LocationPrecision>,
) -> Option<Location> {
    let p = match crs.to_wgs84(x, y) {
        Ok(p) => p,
        Err(err) => {
            let c = if matches!(err, crate::coord::CoordError::Lat(_)) {
                Column::Lat
            } else {
                Column::Lon
            };
            e.cell(c, err.to_string());
            return None;
        }
    };
    let given = OriginalCoordinate {
        crs,
        lon: x,
        lat: y,
    };
    let (position, original) = if crs.is_wgs84_like() {
        let recorded = recorded_original(e);
        (
            p,
            if crs == Crs::Cgcs2000 {
                Some(given)
            } else {
                recorded
            },
        )
    } else {
        let rounded = crate::coord::Position::new(round7(p.lon.get()), round7(p.lat.get()));
        (rounded.unwrap_or(p), Some(given))
    };
    let Some(precision) = precision.filter(|p| p.is_located()) else {
        e.cell(
            Column::LocationPrecision,
            "location_precision is required when lon/lat are given (and 'unknown' takes no lon/lat); allowed: surveyed, building, street, town, district",
        );
        return None;
    };
    Some(Location {
        geometry: Some(SiteGeometry::Point(position)),
        precision,
        source: e.row.opt(Column::LocationSource),
        original,
    })
}

/// The original coordinate a WGS84 row may carry from an earlier conversion (round trip): all
/// three cells or none.
fn recorded_original(e: &mut Errors<'_>) -> Option<OriginalCoordinate> {
    let cells = (
        e.row.get(Column::OriginalCrs),
        e.row.get(Column::OriginalLon),
        e.row.get(Column::OriginalLat),
    );
    if cells == ("", "", "") {
        return None;
    }
    let (c, ox, oy) = cells;
    match (c.parse::<Crs>(), parse_number(ox), parse_number(oy)) {
        (Ok(crs), Some(lon), Some(lat)) => Some(OriginalCoordinate { crs, lon, lat }),
        _ => {
            e.cell(
                Column::OriginalCrs,
                "original_crs, original_lon and original_lat must be given together and valid",
            );
            None
        }
    }
}

/// A site without lon/lat or polygon: never a made-up point. A `partner` site, or a row whose
/// precision cell says `unknown`, has no location; otherwise the township (given, or named by
/// the address through the gazetteer) places it at the township's seat (precision `town`); else
/// it has no location. A precision that claims an exact place is an error without lon/lat.
fn unplaced<'c>(
    e: &mut Errors<'_>,
    ctx: &Context<'c>,
    division: &mut Option<&'c Division>,
    scope: Option<Scope>,
    precision: Option<LocationPrecision>,
) -> Option<Location> {
    if let Some(p) = precision.filter(|p| p.is_located() && !p.is_approximate()) {
        let message = format!(
            "precision '{}' needs lon/lat; leave it empty for an unknown location",
            p.id()
        );
        e.cell(Column::LocationPrecision, message);
    }
    if precision == Some(LocationPrecision::Unknown) {
        return Some(Location {
            source: e.row.opt(Column::LocationSource),
            ..Location::unknown()
        });
    }
    if scope == Some(Scope::Partner) {
        return Some(Location::unknown());
    }
    if let Some(d) = *division {
        return Some(town_seat_location(d, None).unwrap_or_else(Location::unknown));
    }
    let Some((d, by)) = division_from_address(e, ctx) else {
        return Some(Location::unknown());
    };
    *division = Some(d);
    match town_seat_location(d, Some(&by)) {
        Some(l) => {
            e.note(format!(
                "placed at {} seat from address: {by} / 据地址“{by}”放置于{}驻地",
                d.name_zh, d.name_zh
            ));
            Some(l)
        }
        None => {
            e.note(format!(
                "address names {} ({by}), whose seat is not known: not placed / 地址指向{}，其驻地未知，未放置",
                d.name_zh, d.name_zh
            ));
            Some(Location::unknown())
        }
    }
}

/// The township the row's address names, with the name that placed it; a note when the address
/// names several townships or another county.
fn division_from_address<'c>(
    e: &mut Errors<'_>,
    ctx: &Context<'c>,
) -> Option<(&'c Division, String)> {
    let address = e.row.get(Column::Address);
    match ctx.places.place(address) {
        Placement::Town { code, by } => {
            let d = ctx.divisions.iter().find(|d| d.code == code)?;
            Some((d, by))
        }
        Placement::Ambiguous { names, .. } => {
            let names = names.join("、");
            e.note(format!(
                "address names several townships ({names}): not placed / 地址指向多个镇街（{names}），未放置"
            ));
            None
        }
        Placement::Elsewhere { name } => {
            e.note(format!(
                "address names {name} (another county): not placed / 地址位于{name}（外县区），未放置"
            ));
            None
        }
        Placement::NotFound => None,
    }
}

/// The seat of the site's township (precision `town`), when the township has a known seat;
/// `by` is the name in the address that placed the site there, when the address did.
fn town_seat_location(d: &Division, by: Option<&str>) -> Option<Location> {
    let seat = d.seat.as_ref()?;
    let source = match by {
        None => format!(
            "近似位置：{}驻地（位置未知，按所属镇街放置）/ approximate: seat of {}; seat source: {}",
            d.name_zh, d.name_en, seat.source
        ),
        Some(by) => format!(
            "近似位置：{}驻地（据地址“{by}”）/ approximate: {} seat (from address: {by}); seat source: {}",
            d.name_zh, d.name_en, seat.source
        ),
    };
    Some(Location {
        geometry: Some(SiteGeometry::Point(seat.position)),
        precision: LocationPrecision::Town,
        source: Some(source),
        original: None,
    })
}

/// Areas and the year established.
struct Figures {
    area_m2: Option<Area>,
    available_area_m2: Option<Area>,
    established: Option<i32>,
}

/// Floor area, available area (m², non-negative) and the year established (1800–2100).
fn figures(e: &mut Errors<'_>) -> Figures {
    let area_m2 = e.area(Column::AreaM2);
    let available_area_m2 = e.area(Column::AvailableAreaM2);
    let established = match e.row.get(Column::Established) {
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
    Figures {
        area_m2,
        available_area_m2,
        established,
    }
}

/// The source (required).
fn source(e: &mut Errors<'_>) -> String {
    let source = e.row.get(Column::Source).to_string();
    if source.is_empty() {
        e.cell(
            Column::Source,
            "source (数据来源) is required: the document and page, or a URL",
        );
    }
    source
}

/// Updated (default: today) and verified dates.
fn dates(e: &mut Errors<'_>, today: NaiveDate) -> (Option<NaiveDate>, Option<NaiveDate>) {
    let updated_at = e.date(Column::UpdatedAt).or(Some(today));
    let verified_at = e.date(Column::VerifiedAt);
    (updated_at, verified_at)
}

/// Formats a float the shortest way that reads back to the same value (`10000`, `110.92`).
pub(crate) fn fmt_num(v: f64) -> String {
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
    pub(crate) fn as_cell_ref(&self) -> CellRef<'_> {
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
pub(crate) fn cell(site: &Site, c: Column, ctx: &Context<'_>, lang: HeaderLang) -> Cell {
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
    pub(crate) fn into_owned(self) -> Cell {
        match self {
            CellRef::Text(s) => Cell::Text(s.into_owned()),
            CellRef::Number(n) => Cell::Number(n),
            CellRef::Empty => Cell::Empty,
        }
    }
}

/// The value of one column of a site, as exports write it: [`cell`], borrowing its text where
/// it can. A `Number` only in the columns whose [`Column::value_type`] is not text.
pub fn cell_ref<'a>(site: &'a Site, c: Column, ctx: &Context<'a>, lang: HeaderLang) -> CellRef<'a> {
    let location = &site.location;
    let marker = location.marker();
    match c {
        Column::Id => text(site.id.as_str()),
        Column::NameZh => text(site.name_zh.as_str()),
        Column::NameEn => opt(&site.name_en),
        Column::Category => label(site.category, lang),
        Column::Kind => label(site.kind, lang),
        Column::Level => label(site.level, lang),
        Column::Status => label(site.status, lang),
        Column::Scope => label(site.scope, lang),
        Column::Chains => chains_cell(&site.chains),
        Column::TownCode => site
            .town_code
            .as_ref()
            .map_or(CellRef::Empty, |t| text(t.as_str())),
        Column::TownName => town_name_cell(site, ctx, lang),
        Column::Address => opt(&site.address),
        Column::Lon => number(marker.map(|m| m.lon.get())),
        Column::Lat => number(marker.map(|m| m.lat.get())),
        Column::Crs => marker.map_or(CellRef::Empty, |_| text(ctx.crs.as_str())),
        Column::LocationPrecision => label(location.precision, lang),
        Column::LocationSource => opt(&location.source),
        Column::PolygonWkt => location
            .geometry
            .as_ref()
            .and_then(SiteGeometry::polygon_wkt)
            .map_or(CellRef::Empty, text),
        Column::AreaM2 => number(site.area_m2.map(Area::get)),
        Column::AvailableAreaM2 => number(site.available_area_m2.map(Area::get)),
        Column::Established => number(site.established.map(f64::from)),
        Column::Website => opt(&site.website),
        Column::Phone => opt(&site.phone),
        Column::Contact => opt(&site.contact),
        Column::Source => text(site.source.as_str()),
        Column::SourceQuote => opt(&site.source_quote),
        Column::Notes => opt(&site.notes),
        Column::OriginalCrs => location
            .original
            .map_or(CellRef::Empty, |o| text(o.crs.as_str())),
        Column::OriginalLon => number(location.original.map(|o| o.lon)),
        Column::OriginalLat => number(location.original.map(|o| o.lat)),
        Column::OutsideDistrict => yes_no(site.outside_district, lang),
        Column::UpdatedAt => site
            .updated_at
            .map_or(CellRef::Empty, |d| text(date_text(d))),
        Column::VerifiedAt => site
            .verified_at
            .map_or(CellRef::Empty, |d| text(date_text(d))),
    }
}

/// Text, or an empty cell for empty text.
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

fn number(v: Option<f64>) -> CellRef<'static> {
    v.map_or(CellRef::Empty, CellRef::Number)
}

/// A vocabulary value: its Chinese label, or its id in English files.
fn label<T: Labelled>(v: T, lang: HeaderLang) -> CellRef<'static> {
    CellRef::Text(Cow::Borrowed(match lang {
        HeaderLang::Zh => v.zh(),
        HeaderLang::En => v.id(),
    }))
}

fn yes_no(v: bool, lang: HeaderLang) -> CellRef<'static> {
    CellRef::Text(Cow::Borrowed(match (lang, v) {
        (HeaderLang::Zh, true) => "是",
        (HeaderLang::Zh, false) => "否",
        (HeaderLang::En, true) => "true",
        (HeaderLang::En, false) => "false",
    }))
}

/// A single chain reference as its link (or chain) id; several as [`ChainRef::format_list`].
fn chains_cell(chains: &[ChainRef]) -> CellRef<'_> {
    match chains {
        [] => CellRef::Empty,
        [one] => text(one.link.as_ref().map_or(one.chain.as_str(), |l| l.as_str())),
        list => text(ChainRef::format_list(list)),
    }
}

/// The township's name in the header language.
fn town_name_cell<'a>(site: &Site, ctx: &Context<'a>, lang: HeaderLang) -> CellRef<'a> {
    let division = site
        .town_code
        .as_ref()
        .and_then(|t| ctx.divisions.iter().find(|d| &d.code == t));
    match division {
        Some(d) if lang == HeaderLang::Zh => text(d.name_zh.as_str()),
        Some(d) => text(d.name_en.as_str()),
        None => CellRef::Empty,
    }
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
