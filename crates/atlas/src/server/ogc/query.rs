//! The query parameters of `/ogc`: `f` everywhere; on `items` also `bbox`, `limit`, `offset`,
//! `datetime`, the property filters, the CQL2 `filter` (with `filter-lang`, `filter-crs`) and
//! the CRSs `crs` and `bbox-crs` (on a single item, `crs`). Anything else is
//! `400 unknown_parameter`.

use super::crs::{bbox_in_lon_lat, OgcCrs};
use super::{Coll, DEFAULT_LIMIT, MAX_LIMIT};
use crate::server::error::ApiError;
use atlas_core::filter::cql;
use atlas_core::SiteFilter;

/// Decoded `key=value` pairs of a query string, in order.
pub type Pairs = [(String, String)];

fn bad(code: &'static str, message: String) -> ApiError {
    ApiError::BadParam { code, message }
}

/// Checks `f`: `json` everywhere, `geojson` too where features are returned.
fn check_format(v: &str, features: bool) -> Result<(), ApiError> {
    let v = v.trim().to_ascii_lowercase();
    if v == "json" || (features && v == "geojson") {
        return Ok(());
    }
    Err(bad(
        "unsupported_format",
        format!(
            "parameter 'f': format '{v}' is not offered; allowed: {}",
            if features { "json, geojson" } else { "json" }
        ),
    ))
}

fn unknown(key: &str, allowed: &[&str]) -> ApiError {
    bad(
        "unknown_parameter",
        format!(
            "parameter '{key}' is not offered here; allowed: {}",
            allowed.join(", ")
        ),
    )
}

/// Routes without parameters accept only `f`.
pub(super) fn plain_query(q: &Pairs, features: bool) -> Result<(), ApiError> {
    for (k, v) in q {
        match k.as_str() {
            "f" => check_format(v, features)?,
            _ => return Err(unknown(k, &["f"])),
        }
    }
    Ok(())
}

/// A single feature accepts `f` and `crs`; returns the CRS asked for.
pub(super) fn item_query(q: &Pairs) -> Result<OgcCrs, ApiError> {
    let mut crs = OgcCrs::default();
    for (k, v) in q {
        match k.as_str() {
            "f" => check_format(v, true)?,
            "crs" => crs = OgcCrs::parse(k, v)?,
            _ => return Err(unknown(k, &["f", "crs"])),
        }
    }
    Ok(crs)
}

/// The property filters of `items`, besides `bbox`, `limit`, `offset`, `datetime` and `f`.
pub const PROPERTY_PARAMS: [&str; 11] = [
    "kind",
    "level",
    "status",
    "scope",
    "chain",
    "link",
    "town",
    "town_code",
    "precision",
    "located",
    "q",
];

/// A parsed `items` request.
#[derive(Debug)]
pub(super) struct ItemsQuery {
    /// The filter, with the page's limit and offset.
    pub(super) filter: SiteFilter,
    /// Page size.
    pub(super) limit: u64,
    /// Rows skipped.
    pub(super) offset: u64,
    /// The `datetime` given (validated; restricts nothing).
    pub(super) datetime: Option<String>,
    /// The CRS of the features (`crs`).
    pub(super) crs: OgcCrs,
    /// The CRS of `bbox` (`bbox-crs`), when given.
    pub(super) bbox_crs: Option<OgcCrs>,
    /// The CRS of the filter's geometries (`filter-crs`), when given.
    pub(super) filter_crs: Option<OgcCrs>,
}

/// The keys of `items` read after the others (they depend on each other).
#[derive(Default)]
struct Deferred {
    bbox: Option<String>,
    filter: Vec<String>,
    lang: cql::Lang,
}

/// Applies `bbox` in its `bbox-crs` and `filter` in its `filter-lang` and `filter-crs`.
fn apply_deferred(out: &mut ItemsQuery, d: Deferred) -> Result<(), ApiError> {
    if let Some(b) = d.bbox {
        let crs = out.bbox_crs.unwrap_or_default();
        out.filter
            .apply("bbox", &bbox_in_lon_lat(&horizontal_bbox(&b), crs))?;
    }
    let opts = cql::Options {
        lang: d.lang,
        lat_lon: out.filter_crs.unwrap_or_default().lat_lon(),
    };
    for f in d.filter.iter().filter(|f| !f.trim().is_empty()) {
        out.filter.and_expr(cql::parse(f, opts)?);
    }
    Ok(())
}

fn parse_limit(v: &str) -> Result<u64, ApiError> {
    let t = v.trim();
    let err = || {
        bad(
            "invalid_limit",
            format!("parameter 'limit': '{v}' must be a whole number from 1 to {MAX_LIMIT} (larger values are served {MAX_LIMIT})"),
        )
    };
    if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
        return Err(err());
    }
    // All digits: only overflow can fail, and that is above the maximum anyway.
    let n = t.parse::<u64>().unwrap_or(u64::MAX);
    if n == 0 {
        return Err(err());
    }
    Ok(n.min(MAX_LIMIT))
}

/// A `bbox` of 4 numbers, or 6 (`minLon,minLat,minZ,maxLon,maxLat,maxZ`) reduced to 4.
fn horizontal_bbox(v: &str) -> String {
    let parts: Vec<&str> = v.split(',').collect();
    if parts.len() == 6 {
        [parts[0], parts[1], parts[3], parts[4]].join(",")
    } else {
        v.to_string()
    }
}

/// Validates `datetime`: an RFC 3339 date or date-time, or an interval of them (`..` or empty
/// for an open end).
fn check_datetime(v: &str) -> Result<(), ApiError> {
    let instant = |s: &str| {
        chrono::DateTime::parse_from_rfc3339(s).is_ok()
            || chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok()
    };
    let t = v.trim();
    let ok = match t.split_once('/') {
        Some((a, b)) => {
            let open = |s: &str| s.is_empty() || s == "..";
            (open(a) || instant(a)) && (open(b) || instant(b)) && !(open(a) && open(b))
        }
        None => instant(t),
    };
    if ok {
        Ok(())
    } else {
        Err(bad(
            "invalid_datetime",
            format!("parameter 'datetime': '{v}' is not an RFC 3339 date, date-time or interval (e.g. 2021-01-01/..)"),
        ))
    }
}

pub(super) fn parse_items_query(coll: Coll, q: &Pairs) -> Result<ItemsQuery, ApiError> {
    let mut filter = SiteFilter::default();
    if let Coll::Category(c) = coll {
        filter.category = vec![c];
    }
    let mut out = ItemsQuery {
        filter,
        limit: DEFAULT_LIMIT,
        offset: 0,
        datetime: None,
        crs: OgcCrs::default(),
        bbox_crs: None,
        filter_crs: None,
    };
    let mut deferred = Deferred::default();
    for (k, v) in q {
        match k.as_str() {
            "f" => check_format(v, true)?,
            "limit" => out.limit = parse_limit(v)?,
            "offset" => {
                out.filter.apply("offset", v)?;
                out.offset = out.filter.offset;
            }
            "bbox" => deferred.bbox = Some(v.clone()),
            "crs" => out.crs = OgcCrs::parse(k, v)?,
            "bbox-crs" => out.bbox_crs = Some(OgcCrs::parse(k, v)?),
            "filter-crs" => out.filter_crs = Some(OgcCrs::parse(k, v)?),
            "filter" => deferred.filter.push(v.clone()),
            "filter-lang" => deferred.lang = cql::Lang::parse(v)?,
            "datetime" => {
                check_datetime(v)?;
                out.datetime = Some(v.trim().to_string());
            }
            "category" if coll == Coll::All => {
                out.filter.apply("category", v)?;
            }
            "town_code" => {
                out.filter.apply("town", v).map_err(|mut e| {
                    e.param = "town_code".into();
                    e
                })?;
            }
            key if PROPERTY_PARAMS.contains(&key) => {
                out.filter.apply(key, v)?;
            }
            _ => {
                let mut allowed = vec!["bbox", "limit", "offset", "datetime", "f"];
                allowed.extend(ITEMS_EXTRA);
                if coll == Coll::All {
                    allowed.push("category");
                }
                allowed.extend(PROPERTY_PARAMS);
                let mut e = unknown(k, &allowed);
                if k == "category" {
                    e = bad(
                        "unknown_parameter",
                        format!(
                            "parameter 'category' is not offered by collection '{}', which holds one category; filter collection 'sites' instead",
                            coll.id()
                        ),
                    );
                }
                return Err(e);
            }
        }
    }
    apply_deferred(&mut out, deferred)?;
    out.filter.limit = Some(out.limit);
    out.filter.offset = out.offset;
    Ok(out)
}

/// The parameters of `items` from Parts 2 and 3.
pub const ITEMS_EXTRA: [&str; 5] = ["crs", "bbox-crs", "filter", "filter-lang", "filter-crs"];

#[cfg(test)]
mod tests {
    use super::*;
    use atlas_core::filter::form_pairs;
    use atlas_core::Category;

    #[test]
    fn limits_above_the_maximum_are_clamped_and_zero_is_refused() {
        assert_eq!(parse_limit("5").ok(), Some(5));
        assert_eq!(parse_limit("10001").ok(), Some(MAX_LIMIT));
        assert_eq!(parse_limit("99999999999999999999999").ok(), Some(MAX_LIMIT));
        for v in ["0", "-1", "", "ten", "1.5"] {
            assert!(parse_limit(v).is_err(), "{v}");
        }
    }

    #[test]
    fn a_three_dimensional_bbox_keeps_its_horizontal_corners() {
        assert_eq!(horizontal_bbox("110,21,0,111,22,100"), "110,21,111,22");
        assert_eq!(horizontal_bbox("110,21,111,22"), "110,21,111,22");
    }

    #[test]
    fn datetimes_and_intervals_are_validated() {
        for ok in [
            "2021-01-01",
            "2021-01-01T00:00:00Z",
            "2021-01-01/..",
            "../2022-12-31T23:59:59+08:00",
            "/2021-01-01",
        ] {
            assert!(check_datetime(ok).is_ok(), "{ok}");
        }
        for bad in ["yesterday", "../..", "2021-13-01", ""] {
            assert!(check_datetime(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn category_is_offered_only_by_the_collection_of_all_sites() {
        assert!(parse_items_query(Coll::All, &form_pairs("category=carrier_platform")).is_ok());
        let e = parse_items_query(
            Coll::Category(Category::KeyEnterprise),
            &form_pairs("category=carrier_platform"),
        )
        .unwrap_err();
        assert_eq!(e.code(), "unknown_parameter");
    }
}
