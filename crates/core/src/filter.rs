//! `SiteFilter`: the one filter every caller uses (API, export, CLI, map).
//!
//! Query parameters: `category`, `kind`, `chain`, `link`, `level`, `status`, `scope`, `town`,
//! `bbox=minLon,minLat,maxLon,maxLat`, `precision`, `located`, `q`, `limit`, `offset`. A comma
//! list means "any of"; different parameters combine with AND. A `bbox` never matches a site
//! without location. `located=false` is the editors' worklist: precision `unknown`, `district`
//! or `town`; `located=true` the others. `filter` is a CQL2 expression (text, or JSON starting
//! with `{`; [`cql`]), ANDed with the rest; `filter-lang` names its encoding.

pub mod cql;
pub mod expr;

use crate::coord::BBox;
use crate::ids::{ChainId, InvalidId, LinkId, TownCode};
use crate::site::Site;
use crate::vocab::{Category, Kind, Labelled, Level, LocationPrecision, Scope, Status};
use serde::Serialize;

/// A filter parameter that cannot be used. `code` is stable and machine-readable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("parameter '{param}': {message}")]
pub struct FilterError {
    /// The offending parameter.
    pub param: String,
    /// Stable code: `invalid_bbox`, `invalid_limit`, `invalid_offset`, `unknown_value`, `invalid_id`, `invalid_parameter`.
    pub code: &'static str,
    /// Human-readable reason.
    pub message: String,
}

impl FilterError {
    /// An error of `param` with a stable `code`.
    pub fn new(param: &str, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            param: param.to_string(),
            code,
            message: message.into(),
        }
    }
}

/// Which sites to return. Empty lists mean "no restriction".
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SiteFilter {
    /// Any of these categories.
    pub category: Vec<Category>,
    /// Any of these kinds.
    pub kind: Vec<Kind>,
    /// On any of these chains.
    pub chain: Vec<ChainId>,
    /// On any of these links.
    pub link: Vec<LinkId>,
    /// Any of these levels.
    pub level: Vec<Level>,
    /// Any of these statuses.
    pub status: Vec<Status>,
    /// Local or partner.
    pub scope: Vec<Scope>,
    /// In any of these townships.
    pub town: Vec<TownCode>,
    /// Geometry meeting this box (a site without location meets no box).
    pub bbox: Option<BBox>,
    /// Any of these location precisions.
    pub precision: Vec<LocationPrecision>,
    /// `Some(false)`: sites still to be located (precision unknown, district or town);
    /// `Some(true)`: the others.
    pub located: Option<bool>,
    /// Full-text query: every whitespace-separated term must occur (substring, case-insensitive).
    pub q: Option<String>,
    /// Page size (the caller bounds it).
    pub limit: Option<u64>,
    /// Rows to skip.
    pub offset: u64,
    /// A CQL2 filter (`filter`): any boolean expression of the site's fields.
    pub expr: Option<cql::Cql>,
}

/// The parameter names `SiteFilter` understands.
pub const FILTER_PARAMS: &[&str] = &[
    "category",
    "kind",
    "chain",
    "link",
    "level",
    "status",
    "scope",
    "town",
    "bbox",
    "precision",
    "located",
    "q",
    "limit",
    "offset",
    "filter",
    "filter-lang",
];

fn list<T, E: std::fmt::Display>(
    param: &str,
    v: &str,
    code: &'static str,
    f: impl Fn(&str) -> Result<T, E>,
) -> Result<Vec<T>, FilterError> {
    v.split([',', '，'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| f(s).map_err(|e| FilterError::new(param, code, e.to_string())))
        .collect()
}

/// Adds a comma list of vocabulary values (ids or labels) to `to`; `unknown_value` for one that
/// is none.
fn labels<T: Labelled>(to: &mut Vec<T>, param: &str, v: &str) -> Result<(), FilterError> {
    to.extend(list(param, v, "unknown_value", T::parse_label)?);
    Ok(())
}

/// Adds a comma list of ids to `to`; `invalid_id` for one that is malformed.
fn ids<T>(
    to: &mut Vec<T>,
    param: &str,
    v: &str,
    new: impl Fn(String) -> Result<T, InvalidId>,
) -> Result<(), FilterError> {
    to.extend(list(param, v, "invalid_id", |s: &str| new(s.to_string()))?);
    Ok(())
}

impl SiteFilter {
    /// Applies one `key=value` pair. Returns `Ok(false)` for a key that is not a filter parameter.
    pub fn apply(&mut self, key: &str, value: &str) -> Result<bool, FilterError> {
        match key {
            "category" => labels(&mut self.category, key, value)?,
            "kind" => labels(&mut self.kind, key, value)?,
            "level" => labels(&mut self.level, key, value)?,
            "status" => labels(&mut self.status, key, value)?,
            "scope" => labels(&mut self.scope, key, value)?,
            "chain" => ids(&mut self.chain, key, value, ChainId::new)?,
            "link" => ids(&mut self.link, key, value, LinkId::new)?,
            "town" => ids(&mut self.town, key, value, TownCode::new)?,
            "bbox" => {
                if !value.trim().is_empty() {
                    self.bbox = Some(
                        BBox::parse(value)
                            .map_err(|e| FilterError::new(key, "invalid_bbox", e.to_string()))?,
                    );
                }
            }
            "q" => {
                let t = value.trim();
                if t.chars().count() > 200 {
                    return Err(FilterError::new(
                        key,
                        "invalid_parameter",
                        "q is longer than 200 characters",
                    ));
                }
                self.q = (!t.is_empty()).then(|| t.to_string());
            }
            "limit" => {
                let n: u64 = value.trim().parse().map_err(|_| {
                    FilterError::new(
                        key,
                        "invalid_limit",
                        format!("limit '{value}' must be a whole number >= 1"),
                    )
                })?;
                if n == 0 {
                    return Err(FilterError::new(key, "invalid_limit", "limit must be >= 1"));
                }
                self.limit = Some(n);
            }
            "offset" => {
                self.offset = value.trim().parse().map_err(|_| {
                    FilterError::new(
                        key,
                        "invalid_offset",
                        format!("offset '{value}' must be a whole number >= 0"),
                    )
                })?;
            }
            "filter" => {
                if !value.trim().is_empty() {
                    self.and_expr(cql::parse(value, cql::Options::default())?);
                }
            }
            "filter-lang" => {
                cql::Lang::parse(value)?;
            }
            _ => return self.apply_location(key, value),
        }
        Ok(true)
    }

    /// Adds a CQL2 filter (ANDed with one already there).
    pub fn and_expr(&mut self, c: cql::Cql) {
        self.expr = Some(match self.expr.take() {
            Some(e) => e.and(c),
            None => c,
        });
    }

    /// Applies `precision` or `located`; `Ok(false)` for any other key.
    fn apply_location(&mut self, key: &str, value: &str) -> Result<bool, FilterError> {
        match key {
            "precision" => self.precision.extend(list(
                key,
                value,
                "unknown_value",
                LocationPrecision::parse_label,
            )?),
            "located" => {
                self.located = match value.trim().to_ascii_lowercase().as_str() {
                    "" => None,
                    "true" | "1" | "yes" => Some(true),
                    "false" | "0" | "no" => Some(false),
                    _ => {
                        return Err(FilterError::new(
                            key,
                            "invalid_parameter",
                            format!("located '{value}' must be true or false"),
                        ))
                    }
                }
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// Parses a query string (`a=b&c=d`, percent-encoded), ignoring unknown keys.
    pub fn parse_query(qs: &str) -> Result<Self, FilterError> {
        let mut f = Self::default();
        for (k, v) in form_pairs(qs) {
            f.apply(&k, &v)?;
        }
        Ok(f)
    }

    /// The filter as `key=value` pairs (comma lists), without limit/offset; used for links,
    /// permalinks and the export's record of what was filtered.
    pub fn to_pairs(&self) -> Vec<(&'static str, String)> {
        fn join<T: ToString>(v: &[T]) -> String {
            v.iter()
                .map(|x| x.to_string())
                .collect::<Vec<_>>()
                .join(",")
        }
        let mut out = Vec::new();
        let mut push = |k: &'static str, v: String| {
            if !v.is_empty() {
                out.push((k, v));
            }
        };
        push("category", join(&self.category));
        push("kind", join(&self.kind));
        push("chain", join(&self.chain));
        push("link", join(&self.link));
        push("level", join(&self.level));
        push("status", join(&self.status));
        push("scope", join(&self.scope));
        push("town", join(&self.town));
        push("bbox", self.bbox.map(|b| b.to_string()).unwrap_or_default());
        push("precision", join(&self.precision));
        push(
            "located",
            self.located.map(|l| l.to_string()).unwrap_or_default(),
        );
        push("q", self.q.clone().unwrap_or_default());
        push(
            "filter",
            self.expr
                .as_ref()
                .map(|c| c.text.clone())
                .unwrap_or_default(),
        );
        out
    }

    /// True when nothing restricts the result.
    pub fn is_empty(&self) -> bool {
        self.to_pairs().is_empty()
    }

    /// The search terms of `q`, lowercased.
    pub fn terms(&self) -> Vec<String> {
        self.q
            .as_deref()
            .unwrap_or("")
            .split_whitespace()
            .map(|t| t.to_lowercase())
            .collect()
    }

    /// In-memory evaluation with exactly the store's semantics (used by tests and small callers).
    pub fn matches(&self, s: &Site) -> bool {
        let any = |empty: bool, hit: bool| empty || hit;
        any(
            self.category.is_empty(),
            self.category.contains(&s.category),
        ) && any(self.kind.is_empty(), self.kind.contains(&s.kind))
            && any(self.level.is_empty(), self.level.contains(&s.level))
            && any(self.status.is_empty(), self.status.contains(&s.status))
            && any(self.scope.is_empty(), self.scope.contains(&s.scope))
            && any(
                self.chain.is_empty(),
                self.chain.iter().any(|c| s.on_chain(c)),
            )
            && any(self.link.is_empty(), self.link.iter().any(|l| s.on_link(l)))
            && any(
                self.town.is_empty(),
                s.town_code.as_ref().is_some_and(|t| self.town.contains(t)),
            )
            && any(
                self.precision.is_empty(),
                self.precision.contains(&s.location.precision),
            )
            && self
                .located
                .is_none_or(|l| l != s.location.precision.needs_locating())
            && self.bbox.is_none_or(|b| {
                // A site without location is in no box.
                s.bbox().is_some_and(|sb| {
                    sb.min_lon <= b.max_lon
                        && sb.max_lon >= b.min_lon
                        && sb.min_lat <= b.max_lat
                        && sb.max_lat >= b.min_lat
                })
            })
            && {
                let text = s.search_text().to_lowercase();
                self.terms().iter().all(|t| text.contains(t.as_str()))
            }
            && self.expr.as_ref().is_none_or(|c| c.expr.matches(s))
    }
}

/// Splits an `application/x-www-form-urlencoded` string into decoded pairs.
pub fn form_pairs(qs: &str) -> Vec<(String, String)> {
    qs.trim_start_matches('?')
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect()
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comma_lists_and_percent_encoding_parse() {
        let f = SiteFilter::parse_query(
            "category=carrier_platform,key_enterprise&q=%E7%9F%B3%E5%8C%96&bbox=110,21,111,22",
        )
        .unwrap();
        assert_eq!(f.category.len(), 2);
        assert_eq!(f.q.as_deref(), Some("石化"));
        assert!(f.bbox.is_some());
    }

    #[test]
    fn each_bad_parameter_has_its_own_code() {
        for (qs, code) in [
            ("bbox=1,2", "invalid_bbox"),
            ("limit=-1", "invalid_limit"),
            ("kind=factory", "unknown_value"),
            ("chain=Bad Chain", "invalid_id"),
        ] {
            assert_eq!(SiteFilter::parse_query(qs).unwrap_err().code, code, "{qs}");
        }
        let e = SiteFilter::parse_query("level=galactic").unwrap_err();
        assert_eq!(e.param, "level");
        assert!(e.message.contains("provincial"));
    }

    #[test]
    fn malformed_percent_escapes_do_not_panic() {
        for s in ["q=%", "q=%E", "q=%ZZ", "q=%E7%9F", "%=%", "&&&", "q=%%%%"] {
            let _ = SiteFilter::parse_query(s);
        }
    }

    #[test]
    fn precision_and_located_parse_and_round_trip() {
        use crate::vocab::LocationPrecision;
        let f = SiteFilter::parse_query("precision=unknown,town&located=false").unwrap();
        assert_eq!(
            f.precision,
            vec![LocationPrecision::Unknown, LocationPrecision::Town]
        );
        assert_eq!(f.located, Some(false));
        assert_round_trips(&f);
        assert_eq!(
            SiteFilter::parse_query("located=maybe").unwrap_err().param,
            "located"
        );
        assert!(SiteFilter::parse_query("precision=exact").is_err());
    }

    /// `f` written back as a query string parses to `f` again.
    fn assert_round_trips(f: &SiteFilter) {
        let qs: Vec<String> = f
            .to_pairs()
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        assert_eq!(&SiteFilter::parse_query(&qs.join("&")).unwrap(), f);
    }

    #[test]
    fn to_pairs_round_trips() {
        let f = SiteFilter::parse_query("chain=petrochemical&kind=incubator,maker_space&q=园区")
            .unwrap();
        assert_round_trips(&f);
    }
}
