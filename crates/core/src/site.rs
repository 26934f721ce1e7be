//! A site: one record of Annex 1 of the district's S&T innovation plan (an enterprise, a carrier
//! platform or an innovation resource), with its chains, place and source.

use crate::coord::{BBox, CoordError, Position};
use crate::crs::Crs;
use crate::ids::{ChainId, InvalidId, LinkId, SiteId, TownCode};
use crate::vocab::{Category, Kind, Level, LocationPrecision, Scope, Status};
use chrono::NaiveDate;
use geo::{BoundingRect, InteriorPoint};
use serde::{Deserialize, Serialize};
use std::fmt;

/// A chain a site sits on, optionally at one link of it.
#[derive(Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ChainRef {
    /// The chain.
    pub chain: ChainId,
    /// The link within the chain, when known.
    pub link: Option<LinkId>,
}

// By hand so that `clone_from` (and a `Vec`'s) reuses the ids' buffers.
impl Clone for ChainRef {
    fn clone(&self) -> Self {
        Self {
            chain: self.chain.clone(),
            link: self.link.clone(),
        }
    }
    fn clone_from(&mut self, source: &Self) {
        self.chain.clone_from(&source.chain);
        self.link.clone_from(&source.link);
    }
}

impl ChainRef {
    /// Parses `chain` or `chain.link`.
    pub fn parse(s: &str) -> Result<Self, InvalidId> {
        let s = s.trim();
        if s.contains('.') {
            let link = LinkId::new(s)?;
            Ok(Self {
                chain: link.chain(),
                link: Some(link),
            })
        } else {
            Ok(Self {
                chain: ChainId::new(s)?,
                link: None,
            })
        }
    }

    /// Parses a `;`-separated list (also `,`, `；`, `，`, `|`), dropping duplicates, sorted.
    pub fn parse_list(s: &str) -> Result<Vec<Self>, InvalidId> {
        let mut out: Vec<Self> = s
            .split([';', ',', '；', '，', '|'])
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(Self::parse)
            .collect::<Result<_, _>>()?;
        out.sort();
        out.dedup();
        Ok(out)
    }

    /// Formats a list as written in files: `a;b.c`.
    pub fn format_list(list: &[Self]) -> String {
        list.iter()
            .map(|c| c.to_string())
            .collect::<Vec<_>>()
            .join(";")
    }
}

impl fmt::Display for ChainRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.link {
            Some(l) => f.write_str(l.as_str()),
            None => f.write_str(self.chain.as_str()),
        }
    }
}

/// A non-negative area in square metres.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Serialize, Deserialize)]
#[serde(try_from = "f64", into = "f64")]
pub struct Area(f64);

/// An area that is negative or not a number.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("area {0} must be a non-negative number of square metres")]
pub struct InvalidArea(pub f64);

impl Area {
    /// Validates an area.
    pub fn new(v: f64) -> Result<Self, InvalidArea> {
        if v.is_finite() && v >= 0.0 {
            Ok(Self(v))
        } else {
            Err(InvalidArea(v))
        }
    }
    /// Square metres.
    pub fn get(self) -> f64 {
        self.0
    }
}
impl TryFrom<f64> for Area {
    type Error = InvalidArea;
    fn try_from(v: f64) -> Result<Self, InvalidArea> {
        Self::new(v)
    }
}
impl From<Area> for f64 {
    fn from(a: Area) -> f64 {
        a.0
    }
}

/// A geometry that is not usable.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GeometryError {
    /// A vertex out of range.
    #[error(transparent)]
    Coord(#[from] CoordError),
    /// Fewer than 4 positions, or an open ring.
    #[error("polygon ring must be closed and have at least 4 positions")]
    Ring,
    /// Not WKT the reader understands.
    #[error("polygon_wkt is not a WKT POLYGON: {0}")]
    Wkt(String),
}

/// A closed exterior ring of at least 4 positions, every vertex in range.
fn check_rings(polygon: &geo::Polygon<f64>) -> Result<(), GeometryError> {
    let ring = polygon.exterior();
    if ring.0.len() < 4 || !ring.is_closed() {
        return Err(GeometryError::Ring);
    }
    for c in polygon
        .exterior()
        .coords()
        .chain(polygon.interiors().iter().flat_map(|r| r.coords()))
    {
        Position::from_coord(*c)?;
    }
    Ok(())
}

/// The polygon of a WKT `POLYGON((…))`.
fn parse_wkt_polygon(text: &str) -> Result<geo::Polygon<f64>, GeometryError> {
    use std::str::FromStr;
    let w =
        wkt::Wkt::<f64>::from_str(text.trim()).map_err(|e| GeometryError::Wkt(e.to_string()))?;
    let g: geo::Geometry<f64> = w
        .try_into()
        .map_err(|_| GeometryError::Wkt(text.chars().take(60).collect()))?;
    match g {
        geo::Geometry::Polygon(p) => Ok(p),
        _ => Err(GeometryError::Wkt("only POLYGON is accepted".into())),
    }
}

/// Where a site is: a point, or a park's polygon with a representative point inside it.
#[derive(Debug, Clone, PartialEq)]
pub enum SiteGeometry {
    /// A single position.
    Point(Position),
    /// A polygon (WGS84) and the point used for its marker, guaranteed inside it.
    Polygon {
        /// The outline.
        polygon: geo::Polygon<f64>,
        /// A point inside the polygon, for the marker.
        representative: Position,
    },
}

impl SiteGeometry {
    /// A polygon with a validated ring and a computed interior point.
    pub fn polygon(polygon: geo::Polygon<f64>) -> Result<Self, GeometryError> {
        check_rings(&polygon)?;
        let rep = polygon.interior_point().ok_or(GeometryError::Ring)?;
        let representative = Position::new(rep.x(), rep.y())?;
        Ok(Self::Polygon {
            polygon,
            representative,
        })
    }

    /// Parses a WKT `POLYGON((…))` in WGS84.
    pub fn from_wkt(text: &str) -> Result<Self, GeometryError> {
        Self::polygon(parse_wkt_polygon(text)?)
    }

    /// Parses a WKT `POLYGON((…))` in WGS84 whose marker is known already (a stored site's):
    /// the rings are checked as [`Self::from_wkt`] does, and `representative` is taken as the
    /// marker instead of computing an interior point.
    pub fn from_wkt_with_marker(
        text: &str,
        representative: Position,
    ) -> Result<Self, GeometryError> {
        let polygon = parse_wkt_polygon(text)?;
        check_rings(&polygon)?;
        Ok(Self::Polygon {
            polygon,
            representative,
        })
    }

    /// The polygon as WKT, or `None` for a point.
    pub fn polygon_wkt(&self) -> Option<String> {
        use wkt::ToWkt;
        match self {
            Self::Point(_) => None,
            Self::Polygon { polygon, .. } => Some(polygon.wkt_string()),
        }
    }

    /// The marker position (the point itself, or the polygon's representative point).
    pub fn marker(&self) -> Position {
        match self {
            Self::Point(p) => *p,
            Self::Polygon { representative, .. } => *representative,
        }
    }

    /// The bounding box.
    pub fn bbox(&self) -> BBox {
        match self {
            Self::Point(p) => BBox::of_point(*p),
            Self::Polygon {
                polygon,
                representative,
            } => match polygon.bounding_rect() {
                Some(r) => BBox {
                    min_lon: r.min().x,
                    min_lat: r.min().y,
                    max_lon: r.max().x,
                    max_lat: r.max().y,
                },
                None => BBox::of_point(*representative),
            },
        }
    }
}

/// The coordinate as it arrived, before conversion to WGS84.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct OriginalCoordinate {
    /// The CRS it was given in.
    pub crs: Crs,
    /// Longitude as given.
    pub lon: f64,
    /// Latitude as given.
    pub lat: f64,
}

/// Where a site is and how well that is known.
#[derive(Debug, Clone, PartialEq)]
pub struct Location {
    /// Geometry in WGS84; `None` exactly when the precision is
    /// [`LocationPrecision::Unknown`] (the site has no location).
    pub geometry: Option<SiteGeometry>,
    /// How exact the geometry is.
    pub precision: LocationPrecision,
    /// Where the coordinate came from (URL, document) or the stated fallback rule.
    pub source: Option<String>,
    /// The original coordinate when it was converted from another CRS.
    pub original: Option<OriginalCoordinate>,
}

impl Location {
    /// No location: no geometry, precision `unknown`, no source, no original coordinate.
    pub fn unknown() -> Self {
        Self {
            geometry: None,
            precision: LocationPrecision::Unknown,
            source: None,
            original: None,
        }
    }

    /// The marker position, when the site has a geometry.
    pub fn marker(&self) -> Option<Position> {
        self.geometry.as_ref().map(SiteGeometry::marker)
    }

    /// The bounding box, when the site has a geometry.
    pub fn bbox(&self) -> Option<BBox> {
        self.geometry.as_ref().map(SiteGeometry::bbox)
    }

    /// True when the geometry and the precision agree (`None` ⇔ `unknown`).
    pub fn is_consistent(&self) -> bool {
        self.geometry.is_some() == self.precision.is_located()
    }
}

/// One record of the catalogue.
#[derive(Debug, Clone, PartialEq)]
pub struct Site {
    /// Stable URL-safe id.
    pub id: SiteId,
    /// Chinese name (required).
    pub name_zh: String,
    /// English name.
    pub name_en: Option<String>,
    /// Innovation resource, carrier platform or key enterprise.
    pub category: Category,
    /// What it is; agrees with `category`.
    pub kind: Kind,
    /// Recognition level.
    pub level: Level,
    /// Operating, under construction or planned.
    pub status: Status,
    /// Local or external partner.
    pub scope: Scope,
    /// Chains and links (sorted, no duplicates).
    pub chains: Vec<ChainRef>,
    /// Township code, when a source places the site in one.
    pub town_code: Option<TownCode>,
    /// Postal address.
    pub address: Option<String>,
    /// Geometry, precision and its source.
    pub location: Location,
    /// Floor or land area, m².
    pub area_m2: Option<Area>,
    /// Space an investor could still take, m² (unknown is `None`, never zero).
    pub available_area_m2: Option<Area>,
    /// Year established.
    pub established: Option<i32>,
    /// Website.
    pub website: Option<String>,
    /// Phone, kept as text (`+86…`).
    pub phone: Option<String>,
    /// Contact person or office.
    pub contact: Option<String>,
    /// Source of the record: document and page, or URL (required).
    pub source: String,
    /// Exact quote from the source.
    pub source_quote: Option<String>,
    /// Free notes.
    pub notes: Option<String>,
    /// True when the marker lies outside the district boundary (flagged, not rejected).
    pub outside_district: bool,
    /// Last change.
    pub updated_at: Option<NaiveDate>,
    /// Last time someone confirmed the record.
    pub verified_at: Option<NaiveDate>,
}

impl Site {
    /// The text full-text search looks in: names, address, notes and the kind's labels.
    pub fn search_text(&self) -> String {
        let mut parts: Vec<&str> = vec![&self.name_zh];
        parts.extend(self.name_en.as_deref());
        parts.extend(self.address.as_deref());
        parts.extend(self.notes.as_deref());
        parts.push(crate::vocab::Labelled::zh(self.kind));
        parts.push(crate::vocab::Labelled::en(self.kind));
        parts.join(" ")
    }

    /// The marker position, when the site has a location.
    pub fn marker(&self) -> Option<Position> {
        self.location.marker()
    }

    /// The bounding box, when the site has a location.
    pub fn bbox(&self) -> Option<BBox> {
        self.location.bbox()
    }

    /// True when the site's chains include `chain`.
    pub fn on_chain(&self, chain: &ChainId) -> bool {
        self.chains.iter().any(|c| &c.chain == chain)
    }

    /// True when the site's chains include `link`.
    pub fn on_link(&self, link: &LinkId) -> bool {
        self.chains.iter().any(|c| c.link.as_ref() == Some(link))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chain_lists_parse_with_chinese_and_ascii_separators() {
        let l = ChainRef::parse_list("health；petrochemical.refining, health").unwrap();
        assert_eq!(ChainRef::format_list(&l), "health;petrochemical.refining");
        assert!(ChainRef::parse_list("Petro Chem").is_err());
    }

    #[test]
    fn polygon_gets_an_interior_representative_point() {
        let g = SiteGeometry::from_wkt(
            "POLYGON((110.8 21.6,110.9 21.6,110.9 21.7,110.8 21.7,110.8 21.6))",
        )
        .unwrap();
        let m = g.marker();
        assert!(g.bbox().contains(m));
        assert!(g.polygon_wkt().unwrap().starts_with("POLYGON"));
        assert!(SiteGeometry::from_wkt("POINT(1 2)").is_err());
        assert!(SiteGeometry::from_wkt("POLYGON((1 2,3 4))").is_err());
    }

    #[test]
    fn negative_areas_are_refused() {
        assert!(Area::new(-1.0).is_err());
        assert!(Area::new(0.0).is_ok());
    }
}
