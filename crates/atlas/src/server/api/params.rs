//! Query strings, parsed by hand so that every malformed one gets the JSON error body.
//!
//! The raw query is split with [`atlas_core::filter::form_pairs`] (percent-decoding that never
//! fails: invalid escapes stay literal, invalid UTF-8 becomes U+FFFD), then each key goes to
//! [`SiteFilter::apply`] or to the route's own keys. Unknown keys are `400 unknown_parameter`
//! naming the key and listing the allowed ones; repeated list keys add up (`kind=a&kind=b` is
//! `kind=a,b`), repeated scalar keys keep the last value.

use crate::server::error::{ApiError, ApiResult};
use atlas_core::filter::{form_pairs, FILTER_PARAMS};
use atlas_core::SiteFilter;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// The decoded `key=value` pairs of a query string, in order.
pub fn pairs(query: Option<&str>) -> Vec<(String, String)> {
    query.map(form_pairs).unwrap_or_default()
}

/// Route keys that are not filter parameters, with their values, in order.
pub type Extras = Vec<(String, String)>;

/// Splits `pairs` into a filter (keys of `filter_keys`, a subset of [`FILTER_PARAMS`]) and the
/// route's `extra` keys; any other key is `400 unknown_parameter`, a bad filter value its own
/// code (`invalid_bbox`, `invalid_limit`, `unknown_value`, …).
pub fn split(
    pairs: &[(String, String)],
    filter_keys: &[&str],
    extra: &[&str],
) -> ApiResult<(SiteFilter, Extras)> {
    let mut filter = SiteFilter::default();
    let mut extras = Vec::new();
    for (k, v) in pairs {
        if extra.contains(&k.as_str()) {
            extras.push((k.clone(), v.clone()));
        } else if filter_keys.contains(&k.as_str()) && filter.apply(k, v)? {
            continue;
        } else {
            return Err(unknown_parameter(k, filter_keys, extra));
        }
    }
    Ok((filter, extras))
}

impl super::Req {
    /// Fails with `unknown_parameter` for any query key; for routes that take none.
    pub fn no_params(&self) -> ApiResult<()> {
        split(&self.query, &[], &[]).map(|_| ())
    }
}

/// Every filter parameter plus `extra`.
pub fn filter(pairs: &[(String, String)], extra: &[&str]) -> ApiResult<(SiteFilter, Extras)> {
    split(pairs, FILTER_PARAMS, extra)
}

/// `400 unknown_parameter` naming `key` and the allowed keys.
pub fn unknown_parameter(key: &str, filter_keys: &[&str], extra: &[&str]) -> ApiError {
    let shown: String = key.chars().take(60).collect();
    let allowed: Vec<&str> = filter_keys.iter().chain(extra).copied().collect();
    ApiError::BadParam {
        code: "unknown_parameter",
        message: if allowed.is_empty() {
            format!("parameter '{shown}' is not known: this route takes no parameters")
        } else {
            format!(
                "parameter '{shown}' is not known here; allowed: {}",
                allowed.join(", ")
            )
        },
    }
}

/// The last value of an extra key.
pub fn last<'a>(extras: &'a Extras, key: &str) -> Option<&'a str> {
    extras
        .iter()
        .rev()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// Characters escaped in query values: all but unreserved characters and the comma of lists.
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b',');

/// `k=v&k=v` with values percent-encoded (UTF-8).
pub fn encode<K: AsRef<str>, V: AsRef<str>>(pairs: &[(K, V)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| {
            format!(
                "{}={}",
                k.as_ref(),
                utf8_percent_encode(v.as_ref(), QUERY_VALUE)
            )
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// The filter in canonical form (parsed values written back, fixed key order), without limit
/// and offset: the same for every spelling of the same filter.
pub fn canonical(f: &SiteFilter) -> String {
    encode(&f.to_pairs())
}

/// A path id that fails validation: `400 invalid_id` naming the path parameter.
pub fn invalid_id(e: atlas_core::InvalidId) -> ApiError {
    ApiError::BadParam {
        code: "invalid_id",
        message: format!("path parameter 'id': {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chinese_query_round_trips_through_encode() {
        let f = SiteFilter::parse_query("q=%E7%9F%B3%E5%8C%96&kind=incubator,maker_space").unwrap();
        let back = SiteFilter::parse_query(&canonical(&f)).unwrap();
        assert_eq!(back, f);
        assert!(canonical(&f).contains("q=%E7%9F%B3%E5%8C%96"));
    }

    #[test]
    fn an_unknown_key_is_named_in_the_error() {
        let e = split(
            &pairs(Some("kind=incubator&colour=red")),
            FILTER_PARAMS,
            &[],
        )
        .unwrap_err();
        assert_eq!(e.code(), "unknown_parameter");
        assert!(e.to_string().contains("'colour'"));
    }
}
