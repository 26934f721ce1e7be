//! CQL2 (OGC API – Features Part 3) → [`Expr`]: the text and JSON encodings are parsed by the
//! `cql2` crate, and its syntax tree is translated here into the catalogue's predicates, with
//! the queryable properties ([`QUERYABLES`]) and their meanings (`chain = 'x'` and
//! `link = 'x.y'` are membership; vocabulary values accept ids and zh/en labels).
//!
//! Supported: Basic CQL2 (comparisons, AND/OR/NOT, IS NULL), the advanced comparison operators
//! (LIKE, BETWEEN, IN) and `S_INTERSECTS` of `geometry` with a point, a bbox or any other
//! geometry literal. Anything else is `unsupported_filter` naming the operator; a filter that
//! does not parse, an unknown property or a value of the wrong type is `invalid_filter`.

use super::expr::{CmpOp, Expr, Nullable, NumberField, Pred, Shape, TextField};
use super::FilterError;
use crate::ids::{ChainId, LinkId};
use crate::vocab::{Category, Kind, Labelled, Level, LocationPrecision, Scope, Status};
use cql2::Expr as C;

/// The longest filter accepted, in characters.
const MAX_LEN: usize = 8000;
/// The deepest nesting of brackets accepted (the parser recurses on them).
const MAX_DEPTH: usize = 40;

/// What a queryable property is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Queryable {
    /// `category` (vocabulary).
    Category,
    /// `kind` (vocabulary).
    Kind,
    /// `level` (vocabulary).
    Level,
    /// `status` (vocabulary).
    Status,
    /// `scope` (vocabulary).
    Scope,
    /// Location precision (vocabulary).
    Precision,
    /// Chain membership (`chain = 'x'`: on chain x).
    Chain,
    /// Link membership (`link = 'x.y'`: on link x.y).
    Link,
    /// The feature property `chains`: `= 'x'` is on chain x, `= 'x.y'` on link x.y.
    Chains,
    /// A text field.
    Text(TextField),
    /// A number field.
    Number(NumberField),
    /// The geometry.
    Geometry,
}

/// A queryable property: its name, meaning and zh/en titles.
#[derive(Debug, Clone, Copy)]
pub struct QueryableDef {
    /// The property name in filters.
    pub name: &'static str,
    /// What it is.
    pub of: Queryable,
    /// Chinese title.
    pub zh: &'static str,
    /// English title.
    pub en: &'static str,
}

const fn q(name: &'static str, of: Queryable, zh: &'static str, en: &'static str) -> QueryableDef {
    QueryableDef { name, of, zh, en }
}

/// Every queryable property, in the order `/queryables` lists them. The names of the feature
/// properties (`town_code`, `location_precision`, `chains`) and of the API's filter parameters
/// (`town`, `precision`, `chain`, `link`) both work.
pub const QUERYABLES: &[QueryableDef] = &[
    q("id", Queryable::Text(TextField::Id), "编号", "Id"),
    q(
        "name_zh",
        Queryable::Text(TextField::NameZh),
        "名称",
        "Chinese name",
    ),
    q(
        "name_en",
        Queryable::Text(TextField::NameEn),
        "英文名称",
        "English name",
    ),
    q("category", Queryable::Category, "类别", "Category"),
    q("kind", Queryable::Kind, "类型", "Kind"),
    q("level", Queryable::Level, "级别", "Level"),
    q("status", Queryable::Status, "状态", "Status"),
    q("scope", Queryable::Scope, "范围", "Scope"),
    q("chain", Queryable::Chain, "产业链", "Industry chain"),
    q("link", Queryable::Link, "产业链环节", "Chain link"),
    q("chains", Queryable::Chains, "产业链或环节", "Chain or link"),
    q(
        "town",
        Queryable::Text(TextField::Town),
        "镇街代码",
        "Township code",
    ),
    q(
        "town_code",
        Queryable::Text(TextField::Town),
        "镇街代码",
        "Township code",
    ),
    q(
        "address",
        Queryable::Text(TextField::Address),
        "地址",
        "Address",
    ),
    q(
        "precision",
        Queryable::Precision,
        "位置精度",
        "Location precision",
    ),
    q(
        "location_precision",
        Queryable::Precision,
        "位置精度",
        "Location precision",
    ),
    q(
        "area_m2",
        Queryable::Number(NumberField::Area),
        "面积（平方米）",
        "Area (m²)",
    ),
    q(
        "available_area_m2",
        Queryable::Number(NumberField::AvailableArea),
        "可用面积（平方米）",
        "Available area (m²)",
    ),
    q(
        "established",
        Queryable::Number(NumberField::Established),
        "成立年份",
        "Year established",
    ),
    q("geometry", Queryable::Geometry, "几何", "Geometry"),
];

/// A parsed CQL2 filter: its canonical cql2-text (what links and cache keys carry) and its
/// meaning.
#[derive(Debug, Clone)]
pub struct Cql {
    /// The filter as cql2-text (written by the `cql2` crate; parses back to the same filter).
    pub text: String,
    /// What it means.
    pub expr: Expr,
}

impl PartialEq for Cql {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl serde::Serialize for Cql {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

impl Cql {
    /// Both filters.
    pub fn and(self, other: Cql) -> Cql {
        Cql {
            text: format!("({}) AND ({})", self.text, other.text),
            expr: Expr::And(vec![self.expr, other.expr]),
        }
    }
}

/// The encoding of a filter (`filter-lang`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// Text, or JSON when the filter starts with `{` (what `filter-lang` omitted means).
    #[default]
    Any,
    /// cql2-text (also the draft's `cql-text`, which GDAL 3.6 sends).
    Text,
    /// cql2-json.
    Json,
}

impl Lang {
    /// The `filter-lang` values accepted.
    pub const NAMES: [&'static str; 3] = ["cql2-text", "cql2-json", "cql-text"];

    /// Parses a `filter-lang` value.
    pub fn parse(v: &str) -> Result<Self, FilterError> {
        match v.trim() {
            "cql2-text" | "cql-text" => Ok(Lang::Text),
            "cql2-json" => Ok(Lang::Json),
            other => Err(FilterError::new(
                "filter-lang",
                "invalid_parameter",
                format!(
                    "filter-lang '{}' is not offered; allowed: {}",
                    shorten(other),
                    Self::NAMES.join(", ")
                ),
            )),
        }
    }
}

/// How a filter's geometry literals are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Options {
    /// The encoding.
    pub lang: Lang,
    /// Coordinates are (lat, lon), as EPSG:4326 orders them (`filter-crs`); else (lon, lat).
    pub lat_lon: bool,
}

fn invalid(message: impl Into<String>) -> FilterError {
    FilterError::new("filter", "invalid_filter", message)
}

fn unsupported(what: &str) -> FilterError {
    FilterError::new(
        "filter",
        "unsupported_filter",
        format!(
            "operator '{}' is not supported; supported: AND, OR, NOT, =, <>, <, <=, >, >=, LIKE, BETWEEN, IN, IS NULL, S_INTERSECTS",
            shorten(what)
        ),
    )
}

fn shorten(s: &str) -> String {
    shorten_to(s, 80)
}

/// At most `n` characters of `s`, with `…` when cut.
fn shorten_to(s: &str, n: usize) -> String {
    let mut t: String = s.chars().take(n).collect();
    if t.len() < s.len() {
        t.push('…');
    }
    t
}

/// The deepest nesting of `(`, `[` and `{` outside quoted strings.
fn depth(s: &str) -> usize {
    let (mut d, mut max, mut quote) = (0usize, 0usize, None);
    for c in s.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '(' | '[' | '{') => {
                d += 1;
                max = max.max(d);
            }
            (None, ')' | ']' | '}') => d = d.saturating_sub(1),
            _ => {}
        }
    }
    max
}

/// Parses a CQL2 filter (text or JSON, see [`Lang`]) into its meaning.
pub fn parse(input: &str, opts: Options) -> Result<Cql, FilterError> {
    let t = input.trim();
    if t.is_empty() {
        return Err(invalid("the filter is empty"));
    }
    if t.chars().count() > MAX_LEN || depth(t) > MAX_DEPTH {
        return Err(invalid(format!(
            "the filter is longer than {MAX_LEN} characters or nested deeper than {MAX_DEPTH} brackets"
        )));
    }
    let json = match opts.lang {
        Lang::Any => t.starts_with('{'),
        Lang::Text => false,
        Lang::Json => true,
    };
    let parsed = if json {
        // serde_json says where, on one line ("… at line 1 column 9").
        cql2::parse_json(t).map_err(|e| {
            invalid(format!(
                "not valid cql2-json: {}",
                shorten_to(&e.to_string(), 200)
            ))
        })?
    } else {
        cql2::parse_text(t).map_err(|e| text_syntax_error(&e))?
    };
    let expr = Translate {
        lat_lon: opts.lat_lon,
    }
    .boolean(&parsed)?;
    let text = parsed.to_text().unwrap_or_else(|_| t.to_string());
    Ok(Cql { text, expr })
}

/// cql2-text that does not parse, said on one line: at which character (counted from 1) and
/// what was expected there.
fn text_syntax_error(e: &cql2::Error) -> FilterError {
    match e {
        cql2::Error::Pest(p) => {
            let col = match &p.line_col {
                pest::error::LineColLocation::Pos((_, c))
                | pest::error::LineColLocation::Span((_, c), _) => *c,
            };
            invalid(format!(
                "not valid cql2-text at character {col}: {}",
                shorten_to(&p.variant.message(), 200)
            ))
        }
        other => {
            let one_line = other
                .to_string()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            invalid(format!(
                "not valid cql2-text: {}",
                shorten_to(&one_line, 200)
            ))
        }
    }
}

/// The queryable named `name`.
pub fn queryable(name: &str) -> Option<Queryable> {
    QUERYABLES.iter().find(|d| d.name == name).map(|d| d.of)
}

fn property(e: &C) -> Option<Result<Queryable, FilterError>> {
    match e {
        C::Property { property } => Some(queryable(property).ok_or_else(|| {
            let names: Vec<&str> = QUERYABLES.iter().map(|d| d.name).collect();
            invalid(format!(
                "property '{}' is not queryable; queryables: {}",
                shorten(property),
                names.join(", ")
            ))
        })),
        _ => None,
    }
}

/// The operator name of an expression that is not a value, for messages.
fn op_name(e: &C) -> String {
    match e {
        C::Operation { op, .. } => op.clone(),
        C::Interval { .. } => "INTERVAL".into(),
        C::Timestamp { .. } => "TIMESTAMP".into(),
        C::Date { .. } => "DATE".into(),
        C::Array(_) => "array".into(),
        C::Geometry(_) | C::BBox { .. } => "geometry".into(),
        C::Property { property } => property.clone(),
        C::Float(_) | C::Literal(_) | C::Bool(_) | C::Null => "value".into(),
    }
}

fn text_value(name: &str, v: &C) -> Result<String, FilterError> {
    match v {
        C::Literal(s) => Ok(s.clone()),
        C::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => Ok(format!("{}", *f as i64)),
        C::Float(f) => Ok(f.to_string()),
        C::Operation { op, .. } => Err(unsupported(op)),
        other => Err(invalid(format!(
            "property '{name}' is compared with a {}, not a text",
            op_name(other)
        ))),
    }
}

fn number_value(name: &str, v: &C) -> Result<f64, FilterError> {
    let bad = || {
        invalid(format!(
            "property '{name}' is compared with something that is not a number"
        ))
    };
    match v {
        C::Float(f) if f.is_finite() => Ok(*f),
        C::Literal(s) => s
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|f| f.is_finite())
            .ok_or_else(bad),
        C::Operation { op, .. } => Err(unsupported(op)),
        _ => Err(bad()),
    }
}

fn pred(p: Pred) -> Expr {
    Expr::Pred(p)
}

/// The values of a vocabulary meeting `op value`: `=` and `<>` take ids and zh/en labels (an
/// unknown value is `unknown_value`), the orderings compare ids.
fn vocab<T: Labelled + PartialEq>(op: CmpOp, value: &str) -> Result<Vec<T>, FilterError> {
    match op {
        CmpOp::Eq | CmpOp::Ne => {
            let v = T::parse_label(value)
                .map_err(|e| FilterError::new("filter", "unknown_value", e.to_string()))?;
            Ok(T::ALL
                .iter()
                .copied()
                .filter(|x| (*x == v) == (op == CmpOp::Eq))
                .collect())
        }
        _ => Ok(T::ALL
            .iter()
            .copied()
            .filter(|x| op.holds(x.id().cmp(value)))
            .collect()),
    }
}

/// The values of a vocabulary whose id matches a LIKE pattern.
fn vocab_like<T: Labelled>(pattern: &str) -> Vec<T> {
    T::ALL
        .iter()
        .copied()
        .filter(|x| super::expr::like(x.id(), pattern))
        .collect()
}

fn chain_id(v: &str) -> Result<ChainId, FilterError> {
    ChainId::new(v.to_string()).map_err(|e| FilterError::new("filter", "invalid_id", e.to_string()))
}

fn link_id(v: &str) -> Result<LinkId, FilterError> {
    LinkId::new(v.to_string()).map_err(|e| FilterError::new("filter", "invalid_id", e.to_string()))
}

struct Translate {
    lat_lon: bool,
}

impl Translate {
    /// An expression that must be true or false.
    fn boolean(&self, e: &C) -> Result<Expr, FilterError> {
        match e {
            C::Bool(b) => Ok(pred(Pred::Const(*b))),
            C::Operation { op, args } => self.operation(op, args),
            other => Err(invalid(format!("a {} is not a condition", op_name(other)))),
        }
    }

    fn operation(&self, op: &str, args: &[Box<C>]) -> Result<Expr, FilterError> {
        let all = |args: &[Box<C>]| {
            args.iter()
                .map(|a| self.boolean(a))
                .collect::<Result<Vec<_>, _>>()
        };
        match op {
            "and" => Ok(Expr::And(all(args)?)),
            "or" => Ok(Expr::Or(all(args)?)),
            "not" => match args {
                [a] => Ok(Expr::Not(Box::new(self.boolean(a)?))),
                _ => Err(invalid("NOT takes one condition")),
            },
            "=" | "<>" | "<" | "<=" | ">" | ">=" => self.compare(op, args),
            "like" => self.like(args),
            "in" => self.in_list(args),
            "between" => match args {
                [p, lo, hi] => Ok(Expr::And(vec![
                    self.compare_one(CmpOp::Ge, p, lo)?,
                    self.compare_one(CmpOp::Le, p, hi)?,
                ])),
                _ => Err(invalid("BETWEEN takes a property and two values")),
            },
            "isNull" => match args {
                [p] => self.is_null(p),
                _ => Err(invalid("IS NULL takes one property")),
            },
            "s_intersects" => self.intersects(args),
            other => Err(unsupported(other)),
        }
    }

    fn compare(&self, op: &str, args: &[Box<C>]) -> Result<Expr, FilterError> {
        let op = match op {
            "=" => CmpOp::Eq,
            "<>" => CmpOp::Ne,
            "<" => CmpOp::Lt,
            "<=" => CmpOp::Le,
            ">" => CmpOp::Gt,
            _ => CmpOp::Ge,
        };
        match args {
            [a, b] => match (property(a), property(b)) {
                (Some(_), None) => self.compare_one(op, a, b),
                (None, Some(_)) => self.compare_one(op.flipped(), b, a),
                (Some(_), Some(_)) => Err(unsupported("property-property comparison")),
                (None, None) => match (&**a, &**b) {
                    (C::Operation { op, .. }, _) | (_, C::Operation { op, .. }) => {
                        Err(unsupported(op))
                    }
                    _ => Err(invalid(format!(
                        "'{}' needs a queryable property on one side",
                        op.symbol()
                    ))),
                },
            },
            _ => Err(invalid(format!("'{}' takes two operands", op.symbol()))),
        }
    }

    /// `p op v` where `p` is a property.
    fn compare_one(&self, op: CmpOp, p: &C, v: &C) -> Result<Expr, FilterError> {
        let name = match p {
            C::Property { property } => property.as_str(),
            other => {
                return Err(invalid(format!(
                    "expected a property, found a {}",
                    op_name(other)
                )))
            }
        };
        let q = property(p).unwrap_or_else(|| Err(invalid("expected a property")))?;
        match q {
            Queryable::Number(field) => Ok(pred(Pred::Number {
                field,
                op,
                value: number_value(name, v)?,
            })),
            Queryable::Geometry => Err(unsupported(&format!("{} on geometry", op.symbol()))),
            _ => compare_text(q, op, name, text_value(name, v)?),
        }
    }

    fn like(&self, args: &[Box<C>]) -> Result<Expr, FilterError> {
        let [p, pat] = args else {
            return Err(invalid("LIKE takes a property and a pattern"));
        };
        let q =
            property(p).unwrap_or_else(|| Err(unsupported("LIKE on anything but a property")))?;
        let pattern = match &**pat {
            C::Literal(s) => s.clone(),
            C::Operation { op, .. } => return Err(unsupported(op)),
            _ => return Err(invalid("LIKE takes a text pattern")),
        };
        if lone_escape(&pattern) {
            return Err(invalid("the LIKE pattern ends with a lone escape '\\'"));
        }
        Ok(pred(match q {
            Queryable::Text(field) => Pred::Like { field, pattern },
            Queryable::Category => Pred::Category(vocab_like(&pattern)),
            Queryable::Kind => Pred::Kind(vocab_like(&pattern)),
            Queryable::Level => Pred::Level(vocab_like(&pattern)),
            Queryable::Status => Pred::Status(vocab_like(&pattern)),
            Queryable::Scope => Pred::Scope(vocab_like(&pattern)),
            Queryable::Precision => Pred::Precision(vocab_like(&pattern)),
            _ => return Err(unsupported("LIKE on chains, numbers or geometry")),
        }))
    }

    fn in_list(&self, args: &[Box<C>]) -> Result<Expr, FilterError> {
        match args {
            [p, list] => match &**list {
                C::Array(items) => Ok(Expr::Or(
                    items
                        .iter()
                        .map(|v| self.compare_one(CmpOp::Eq, p, v))
                        .collect::<Result<_, _>>()?,
                )),
                _ => Err(invalid("IN takes a list of values")),
            },
            _ => Err(invalid("IN takes a property and a list")),
        }
    }

    fn is_null(&self, p: &C) -> Result<Expr, FilterError> {
        let q = property(p).unwrap_or_else(|| Err(invalid("IS NULL takes a property")))?;
        Ok(pred(match q {
            Queryable::Text(TextField::Id | TextField::NameZh) => Pred::Const(false),
            Queryable::Text(f) => Pred::Null(Nullable::Text(f)),
            Queryable::Number(f) => Pred::Null(Nullable::Number(f)),
            Queryable::Geometry => Pred::Null(Nullable::Geometry),
            Queryable::Chain | Queryable::Chains => Pred::NoChain,
            Queryable::Link => Pred::NoLink,
            _ => Pred::Const(false),
        }))
    }

    fn intersects(&self, args: &[Box<C>]) -> Result<Expr, FilterError> {
        let [a, b] = args else {
            return Err(invalid("S_INTERSECTS takes two geometries"));
        };
        let (p, g) = if property(a).is_some() {
            (a, b)
        } else {
            (b, a)
        };
        if property(p).unwrap_or_else(|| Err(unsupported("S_INTERSECTS of two literals")))?
            != Queryable::Geometry
        {
            return Err(invalid("S_INTERSECTS applies to the property 'geometry'"));
        }
        if !matches!(&**g, C::Geometry(_) | C::BBox { .. }) {
            return Err(invalid("S_INTERSECTS takes a geometry literal or BBOX"));
        }
        let geom: geo::Geometry<f64> = (**g).clone().try_into().map_err(|e: cql2::Error| {
            invalid(format!(
                "the geometry cannot be read: {}",
                shorten(&e.to_string())
            ))
        })?;
        let geom = if self.lat_lon {
            use geo::MapCoords;
            geom.map_coords(|c| geo::coord! { x: c.y, y: c.x })
        } else {
            geom
        };
        let shape = Shape::new(geom)
            .ok_or_else(|| invalid("the geometry has a coordinate that is not a number"))?;
        Ok(pred(Pred::Intersects(shape)))
    }
}

/// True when the pattern ends with an escape `\` that escapes nothing.
fn lone_escape(pattern: &str) -> bool {
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        if c == '\\' && chars.next().is_none() {
            return true;
        }
    }
    false
}

/// `q op value` for a queryable compared as text: vocabularies, chains and links, text fields.
fn compare_text(q: Queryable, op: CmpOp, name: &str, value: String) -> Result<Expr, FilterError> {
    Ok(match q {
        Queryable::Category => pred(Pred::Category(vocab::<Category>(op, &value)?)),
        Queryable::Kind => pred(Pred::Kind(vocab::<Kind>(op, &value)?)),
        Queryable::Level => pred(Pred::Level(vocab::<Level>(op, &value)?)),
        Queryable::Status => pred(Pred::Status(vocab::<Status>(op, &value)?)),
        Queryable::Scope => pred(Pred::Scope(vocab::<Scope>(op, &value)?)),
        Queryable::Precision => pred(Pred::Precision(vocab::<LocationPrecision>(op, &value)?)),
        Queryable::Chain | Queryable::Link | Queryable::Chains => {
            let on = if q == Queryable::Link || (q == Queryable::Chains && value.contains('.')) {
                pred(Pred::Link(vec![link_id(&value)?]))
            } else {
                pred(Pred::Chain(vec![chain_id(&value)?]))
            };
            match op {
                CmpOp::Eq => on,
                CmpOp::Ne => Expr::Not(Box::new(on)),
                _ => return Err(unsupported(&format!("{} on {name}", op.symbol()))),
            }
        }
        Queryable::Text(field) => pred(Pred::Text { field, op, value }),
        Queryable::Number(_) | Queryable::Geometry => {
            return Err(unsupported(&format!("{} on {name}", op.symbol())))
        }
    })
}
