//! `Expr`: a boolean expression of per-field predicates, what a CQL2 filter means in the
//! catalogue's terms (see [`super::cql`]). It extends [`super::SiteFilter`] (its field `expr`,
//! ANDed with the other fields) with OR across fields, NOT, LIKE, comparisons, IS NULL and
//! spatial intersection; [`Expr::matches`] is its in-memory meaning, which the store's SQL
//! must agree with.
//!
//! Two-valued logic: a comparison, LIKE or IN on a value the site does not have (`NULL`) is
//! false, and `NOT` is the plain negation of that (so `NOT (town = 'x')` keeps the sites without
//! a township; `town <> 'x'` does not).

use crate::coord::BBox;
use crate::ids::{ChainId, LinkId};
use crate::site::{Site, SiteGeometry};
use crate::vocab::{Category, Kind, Level, LocationPrecision, Scope, Status};
use geo::{BoundingRect, Intersects};
use like::Like;
use std::cmp::Ordering;

/// A boolean expression over a site.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// Every one (true when empty).
    And(Vec<Expr>),
    /// Any one (false when empty).
    Or(Vec<Expr>),
    /// The negation.
    Not(Box<Expr>),
    /// One test.
    Pred(Pred),
}

/// One test on one field of a site.
#[derive(Debug, Clone, PartialEq)]
pub enum Pred {
    /// Always this value.
    Const(bool),
    /// Category is one of these.
    Category(Vec<Category>),
    /// Kind is one of these.
    Kind(Vec<Kind>),
    /// Level is one of these.
    Level(Vec<Level>),
    /// Status is one of these.
    Status(Vec<Status>),
    /// Scope is one of these.
    Scope(Vec<Scope>),
    /// Location precision is one of these.
    Precision(Vec<LocationPrecision>),
    /// On any of these chains.
    Chain(Vec<ChainId>),
    /// On any of these links.
    Link(Vec<LinkId>),
    /// On no chain at all.
    NoChain,
    /// On no link at all.
    NoLink,
    /// A comparison of a text field with a value (byte order of UTF-8, as SQLite's `BINARY`).
    Text {
        /// The field.
        field: TextField,
        /// The comparison.
        op: CmpOp,
        /// The value compared with.
        value: String,
    },
    /// A text field matches a CQL2 LIKE pattern (`%` any run, `_` one character, `\` escapes;
    /// case-sensitive).
    Like {
        /// The field.
        field: TextField,
        /// The pattern.
        pattern: String,
    },
    /// A comparison of a number field with a value.
    Number {
        /// The field.
        field: NumberField,
        /// The comparison.
        op: CmpOp,
        /// The value compared with.
        value: f64,
    },
    /// The field has no value.
    Null(Nullable),
    /// The site's geometry (its point or its polygon) intersects the shape; a site without
    /// location intersects nothing.
    Intersects(Shape),
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    /// `=`
    Eq,
    /// `<>`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

impl CmpOp {
    /// The operator as CQL2 and SQL write it.
    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::Eq => "=",
            CmpOp::Ne => "<>",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }

    /// The same comparison with its operands swapped (`a < b` ⇔ `b > a`).
    pub fn flipped(self) -> Self {
        match self {
            CmpOp::Lt => CmpOp::Gt,
            CmpOp::Le => CmpOp::Ge,
            CmpOp::Gt => CmpOp::Lt,
            CmpOp::Ge => CmpOp::Le,
            o => o,
        }
    }

    /// True when `ord` (left compared with right) satisfies the operator.
    pub fn holds(self, ord: Ordering) -> bool {
        match self {
            CmpOp::Eq => ord == Ordering::Equal,
            CmpOp::Ne => ord != Ordering::Equal,
            CmpOp::Lt => ord == Ordering::Less,
            CmpOp::Le => ord != Ordering::Greater,
            CmpOp::Gt => ord == Ordering::Greater,
            CmpOp::Ge => ord != Ordering::Less,
        }
    }
}

/// A text field of a site.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextField {
    /// `id`
    Id,
    /// `name_zh`
    NameZh,
    /// `name_en` (may be missing)
    NameEn,
    /// `address` (may be missing)
    Address,
    /// `town_code` (may be missing)
    Town,
}

impl TextField {
    /// The stored column (and feature property) of the field.
    pub fn column(self) -> &'static str {
        match self {
            TextField::Id => "id",
            TextField::NameZh => "name_zh",
            TextField::NameEn => "name_en",
            TextField::Address => "address",
            TextField::Town => "town_code",
        }
    }

    /// The value of the field on `s`.
    pub fn value(self, s: &Site) -> Option<&str> {
        match self {
            TextField::Id => Some(s.id.as_str()),
            TextField::NameZh => Some(&s.name_zh),
            TextField::NameEn => s.name_en.as_deref(),
            TextField::Address => s.address.as_deref(),
            TextField::Town => s.town_code.as_ref().map(|t| t.as_str()),
        }
    }
}

/// A number field of a site (each may be missing).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumberField {
    /// `area_m2`
    Area,
    /// `available_area_m2`
    AvailableArea,
    /// `established` (a year)
    Established,
}

impl NumberField {
    /// The stored column (and feature property) of the field.
    pub fn column(self) -> &'static str {
        match self {
            NumberField::Area => "area_m2",
            NumberField::AvailableArea => "available_area_m2",
            NumberField::Established => "established",
        }
    }

    /// The value of the field on `s`.
    pub fn value(self, s: &Site) -> Option<f64> {
        match self {
            NumberField::Area => s.area_m2.map(|a| a.get()),
            NumberField::AvailableArea => s.available_area_m2.map(|a| a.get()),
            NumberField::Established => s.established.map(f64::from),
        }
    }
}

/// A field that may have no value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nullable {
    /// A text field.
    Text(TextField),
    /// A number field.
    Number(NumberField),
    /// The geometry (sites of precision `unknown`).
    Geometry,
}

/// A geometry in WGS84 (lon, lat), to intersect sites with.
#[derive(Debug, Clone, PartialEq)]
pub struct Shape(geo::Geometry<f64>);

impl Shape {
    /// A shape of a geometry whose coordinates are all finite.
    pub fn new(g: geo::Geometry<f64>) -> Option<Self> {
        use geo::CoordsIter;
        let finite = g.coords_iter().all(|c| c.x.is_finite() && c.y.is_finite());
        finite.then_some(Self(g))
    }

    /// The shape as WKT (what the store hands to its SQL function).
    pub fn to_wkt(&self) -> String {
        use wkt::ToWkt;
        self.0.wkt_string()
    }

    /// The shape of a WKT text, as [`Shape::to_wkt`] writes it.
    pub fn from_wkt(text: &str) -> Option<Self> {
        use wkt::TryFromWkt;
        geo::Geometry::<f64>::try_from_wkt_str(text)
            .ok()
            .and_then(Self::new)
    }

    /// The shape's bounding box, `None` for an empty geometry.
    pub fn bounds(&self) -> Option<BBox> {
        self.0.bounding_rect().map(|r| BBox {
            min_lon: r.min().x,
            min_lat: r.min().y,
            max_lon: r.max().x,
            max_lat: r.max().y,
        })
    }

    /// True when the shape meets `g`.
    pub fn meets(&self, g: &SiteGeometry) -> bool {
        match g {
            SiteGeometry::Point(p) => self.0.intersects(&p.to_point()),
            SiteGeometry::Polygon { polygon, .. } => self.0.intersects(polygon),
        }
    }

    /// True when the shape meets the point (`lon`, `lat`).
    pub fn meets_point(&self, lon: f64, lat: f64) -> bool {
        self.0.intersects(&geo::Point::new(lon, lat))
    }

    /// True when the shape meets `polygon`.
    pub fn meets_polygon(&self, polygon: &geo::Polygon<f64>) -> bool {
        self.0.intersects(polygon)
    }
}

/// CQL2 LIKE: `%` any run, `_` one character, `\` escapes; case-sensitive.
pub fn like(text: &str, pattern: &str) -> bool {
    Like::<true>::like(text, pattern).unwrap_or(false)
}

impl Expr {
    /// In-memory evaluation with exactly the store's semantics.
    pub fn matches(&self, s: &Site) -> bool {
        match self {
            Expr::And(v) => v.iter().all(|e| e.matches(s)),
            Expr::Or(v) => v.iter().any(|e| e.matches(s)),
            Expr::Not(e) => !e.matches(s),
            Expr::Pred(p) => p.matches(s),
        }
    }

    /// Every predicate of the expression, depth first.
    pub fn preds(&self) -> Vec<&Pred> {
        match self {
            Expr::And(v) | Expr::Or(v) => v.iter().flat_map(Expr::preds).collect(),
            Expr::Not(e) => e.preds(),
            Expr::Pred(p) => vec![p],
        }
    }
}

impl Pred {
    /// In-memory evaluation of one test.
    pub fn matches(&self, s: &Site) -> bool {
        match self {
            Pred::Const(b) => *b,
            Pred::Category(v) => v.contains(&s.category),
            Pred::Kind(v) => v.contains(&s.kind),
            Pred::Level(v) => v.contains(&s.level),
            Pred::Status(v) => v.contains(&s.status),
            Pred::Scope(v) => v.contains(&s.scope),
            Pred::Precision(v) => v.contains(&s.location.precision),
            Pred::Chain(v) => v.iter().any(|c| s.on_chain(c)),
            Pred::Link(v) => v.iter().any(|l| s.on_link(l)),
            Pred::NoChain => s.chains.is_empty(),
            Pred::NoLink => s.chains.iter().all(|c| c.link.is_none()),
            Pred::Text { field, op, value } => field
                .value(s)
                .is_some_and(|t| op.holds(t.cmp(value.as_str()))),
            Pred::Like { field, pattern } => field.value(s).is_some_and(|t| like(t, pattern)),
            Pred::Number { field, op, value } => field
                .value(s)
                .and_then(|n| n.partial_cmp(value))
                .is_some_and(|o| op.holds(o)),
            Pred::Null(Nullable::Text(f)) => f.value(s).is_none(),
            Pred::Null(Nullable::Number(f)) => f.value(s).is_none(),
            Pred::Null(Nullable::Geometry) => s.location.geometry.is_none(),
            Pred::Intersects(shape) => s.location.geometry.as_ref().is_some_and(|g| shape.meets(g)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_is_case_sensitive_with_escapes() {
        assert!(like("石化园区", "石化%"));
        assert!(like("abc", "a_c"));
        assert!(!like("ABC", "abc"));
        assert!(like("50%", "50\\%"));
        assert!(!like("500", "50\\%"));
        assert!(like("茂名", "_名"));
    }

    #[test]
    fn shapes_round_trip_through_wkt() {
        let s = Shape::from_wkt("POLYGON((110 21,111 21,111 22,110 22,110 21))").unwrap();
        assert_eq!(Shape::from_wkt(&s.to_wkt()), Some(s.clone()));
        assert!(s.meets_point(110.5, 21.5));
        assert!(s.meets_point(110.0, 21.5), "the boundary meets");
        assert!(!s.meets_point(109.9, 21.5));
    }
}
