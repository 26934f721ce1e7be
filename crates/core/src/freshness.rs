//! How old a record is: `verified_at` (the last time someone confirmed it) against today.
//! Records never verified count as stale: nobody has confirmed them.

use crate::site::Site;
use chrono::{Months, NaiveDate};

/// The default age after which a record is stale: a year.
pub const DEFAULT_DAYS: i64 = 365;
/// The largest age a period may name (a century).
pub const MAX_DAYS: i64 = 36_500;

/// A period as `N` + unit: `30d` (days), `12m` (calendar months), `1y` (calendar years), in
/// days counted back from `today`. A bare number is days. Errors say what is allowed.
pub fn parse_period(s: &str, today: NaiveDate) -> Result<i64, String> {
    let t = s.trim();
    let (digits, unit) = match t.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => (&t[..i], c.to_ascii_lowercase()),
        _ => (t, 'd'),
    };
    let bad = || {
        format!(
            "'{}' is not a period; use a number and d, m or y, e.g. 365d, 12m, 1y",
            s.chars().take(40).collect::<String>()
        )
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let n: u32 = digits.parse().map_err(|_| bad())?;
    if n == 0 {
        return Err(format!("'{t}' is not a period: it must be at least 1"));
    }
    let months = match unit {
        'd' => None,
        'm' => Some(n),
        'y' => n.checked_mul(12),
        _ => return Err(bad()),
    };
    let days = match months {
        None => i64::from(n),
        Some(m) => match today.checked_sub_months(Months::new(m)) {
            Some(then) => (today - then).num_days(),
            None => i64::MAX,
        },
    };
    if days > MAX_DAYS {
        return Err(format!("'{t}' is longer than {MAX_DAYS} days"));
    }
    Ok(days)
}

/// Days since the site was last verified (`None`: never).
pub fn age_days(site: &Site, today: NaiveDate) -> Option<i64> {
    site.verified_at.map(|d| (today - d).num_days())
}

/// True when the site was never verified, or longer than `days` ago.
pub fn is_stale(site: &Site, today: NaiveDate, days: i64) -> bool {
    age_days(site, today).is_none_or(|age| age > days)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
    }

    #[test]
    fn periods_are_days_months_or_years() {
        let today = day(2026, 11, 26);
        assert_eq!(parse_period("365d", today), Ok(365));
        assert_eq!(parse_period("30", today), Ok(30));
        assert_eq!(parse_period("30D", today), Ok(30));
        assert_eq!(parse_period("12m", today), Ok(365));
        assert_eq!(parse_period("1y", today), Ok(365));
        assert_eq!(parse_period("1y", day(2024, 3, 1)), Ok(366));
        for bad in ["", "d", "-5d", "1.5y", "10w", "0d", "99999y", "1e3d", "３d"] {
            assert!(parse_period(bad, today).is_err(), "{bad:?}");
        }
    }
}
