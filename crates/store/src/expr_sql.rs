//! A CQL2 filter's [`Expr`] → one SQL condition on `sites AS s`, with the meaning of
//! [`Expr::matches`]: every predicate is `0` or `1`, never `NULL` (a missing value fails a
//! comparison, `NOT` negates), LIKE runs as a `GLOB` of the same pattern (case-sensitive), and
//! `S_INTERSECTS` as the SQL function `atlas_intersects` (registered on every connection),
//! which calls the same `Shape` test as the in-memory path, behind a bbox test on the stored
//! bounds. Only the SQL path takes an expression (`index::plan`).

use crate::query::Built;
use crate::row::category_rank;
use crate::sql;
use atlas_core::filter::expr::{Expr, Nullable, Pred, Shape};
use atlas_core::Labelled;
use rusqlite::functions::{Context, FunctionFlags};
use rusqlite::types::{Value, ValueRef};
use rusqlite::Connection;

/// The SQL condition of `e`, its values bound on `b`.
pub(crate) fn condition(e: &Expr, b: &mut Built) -> String {
    match e {
        Expr::And(v) if v.is_empty() => "1".into(),
        Expr::Or(v) if v.is_empty() => "0".into(),
        Expr::And(v) => join(v, " AND ", b),
        Expr::Or(v) => join(v, " OR ", b),
        Expr::Not(e) => format!("NOT ({})", condition(e, b)),
        Expr::Pred(p) => pred(p, b),
    }
}

fn join(v: &[Expr], sep: &str, b: &mut Built) -> String {
    let parts: Vec<String> = v.iter().map(|e| format!("({})", condition(e, b))).collect();
    parts.join(sep)
}

/// `column IN (…)` of vocabulary ids (`0` for an empty set).
fn ids_in<T: Labelled>(column: &str, v: &[T], b: &mut Built) -> String {
    if v.is_empty() {
        return "0".into();
    }
    let l: Vec<String> = v
        .iter()
        .map(|x| b.bind(Value::Text(x.id().into())))
        .collect();
    format!("s.{column} IN ({})", l.join(", "))
}

/// Chain or link membership through the chain set (`fragment`: [`sql::CHAIN_IN`] or
/// [`sql::LINK_IN`]).
fn member(fragment: &str, v: Vec<String>, b: &mut Built) -> String {
    if v.is_empty() {
        return "0".into();
    }
    let l: Vec<String> = v.into_iter().map(|x| b.bind(Value::Text(x))).collect();
    format!(
        "coalesce({}, 0)",
        fragment
            .replace("{plus}", "")
            .replace("{set}", "s.chainset")
            .replace("{list}", &l.join(", "))
    )
}

fn pred(p: &Pred, b: &mut Built) -> String {
    match p {
        Pred::Const(true) => "1".into(),
        Pred::Const(false) => "0".into(),
        Pred::Category(v) => {
            if v.is_empty() {
                return "0".into();
            }
            let l: Vec<String> = v
                .iter()
                .map(|c| b.bind(Value::Integer(category_rank(*c))))
                .collect();
            format!("s.category_rank IN ({})", l.join(", "))
        }
        Pred::Kind(v) => ids_in("kind", v, b),
        Pred::Level(v) => ids_in("level", v, b),
        Pred::Status(v) => ids_in("status", v, b),
        Pred::Scope(v) => ids_in("scope", v, b),
        Pred::Precision(v) => ids_in("location_precision", v, b),
        Pred::Chain(v) => member(sql::CHAIN_IN, v.iter().map(|c| c.to_string()).collect(), b),
        Pred::Link(v) => member(sql::LINK_IN, v.iter().map(|c| c.to_string()).collect(), b),
        Pred::NoChain => sql::NO_CHAIN.into(),
        Pred::NoLink => sql::NO_LINK.into(),
        Pred::Text { field, op, value } => {
            let p = b.bind(Value::Text(value.clone()));
            format!("coalesce(s.{} {} {p}, 0)", field.column(), op.symbol())
        }
        Pred::Like { field, pattern } => {
            let p = b.bind(Value::Text(glob(pattern)));
            format!("coalesce(s.{} GLOB {p}, 0)", field.column())
        }
        Pred::Number { field, op, value } => {
            let p = b.bind(Value::Real(*value));
            format!("coalesce(s.{} {} {p}, 0)", field.column(), op.symbol())
        }
        Pred::Null(Nullable::Text(f)) => format!("s.{} IS NULL", f.column()),
        Pred::Null(Nullable::Number(f)) => format!("s.{} IS NULL", f.column()),
        Pred::Null(Nullable::Geometry) => "s.lon IS NULL".into(),
        Pred::Intersects(shape) => intersects(shape, b),
    }
}

/// The bbox of the shape on the stored bounds, then the exact test.
fn intersects(shape: &Shape, b: &mut Built) -> String {
    let Some(bb) = shape.bounds() else {
        return "0".into();
    };
    let [x0, y0, x1, y1] =
        [bb.min_lon, bb.min_lat, bb.max_lon, bb.max_lat].map(|v| b.bind(Value::Real(v)));
    let window = sql::EXACT_WINDOW
        .replace("{min_lon}", &x0)
        .replace("{min_lat}", &y0)
        .replace("{max_lon}", &x1)
        .replace("{max_lat}", &y1);
    let w = b.bind(Value::Text(shape.to_wkt()));
    format!("coalesce({window}, 0) AND atlas_intersects({w}, s.lon, s.lat, s.polygon_wkt)")
}

/// A CQL2 LIKE pattern as a SQLite GLOB pattern: `%` → `*`, `_` → `?`, an escaped character
/// and GLOB's own `*`, `?`, `[` literal.
pub(crate) fn glob(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 4);
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        let literal = match c {
            '%' => {
                out.push('*');
                continue;
            }
            '_' => {
                out.push('?');
                continue;
            }
            '\\' => match chars.next() {
                Some(n) => n,
                None => break,
            },
            c => c,
        };
        match literal {
            '*' | '?' | '[' => {
                out.push('[');
                out.push(literal);
                out.push(']');
            }
            c => out.push(c),
        }
    }
    out
}

/// Registers `atlas_intersects(shape_wkt, lon, lat, polygon_wkt)`: 1 when the shape meets the
/// site's polygon (when it has one) or its point, 0 otherwise (no location, unreadable text).
/// The shape is parsed once per statement.
pub(crate) fn register(conn: &Connection) -> rusqlite::Result<()> {
    conn.create_scalar_function(
        "atlas_intersects",
        4,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |ctx| Ok(i64::from(site_meets(ctx)?)),
    )
}

fn site_meets(ctx: &Context<'_>) -> rusqlite::Result<bool> {
    let shape = ctx.get_or_create_aux(
        0,
        |v: ValueRef<'_>| -> Result<Option<Shape>, rusqlite::Error> {
            Ok(v.as_str().ok().and_then(Shape::from_wkt))
        },
    )?;
    let Some(shape) = shape.as_ref() else {
        return Ok(false);
    };
    if let ValueRef::Text(t) = ctx.get_raw(3) {
        let polygon = std::str::from_utf8(t)
            .ok()
            .and_then(|w| atlas_core::SiteGeometry::from_wkt(w).ok());
        return Ok(match polygon {
            Some(g) => shape.meets(&g),
            None => false,
        });
    }
    match (ctx.get::<Option<f64>>(1)?, ctx.get::<Option<f64>>(2)?) {
        (Some(lon), Some(lat)) => Ok(shape.meets_point(lon, lat)),
        _ => Ok(false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_become_globs_with_glob_characters_literal() {
        assert_eq!(glob("石化%"), "石化*");
        assert_eq!(glob("a_c"), "a?c");
        assert_eq!(glob("50\\%"), "50%");
        assert_eq!(glob("a*b?[c]"), "a[*]b[?][[]c]");
        assert_eq!(glob("\\_x"), "_x");
    }
}
