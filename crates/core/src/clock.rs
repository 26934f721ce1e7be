//! The one clock: what "now" and "today" are.
//!
//! Maonan keeps China Standard Time (UTC+8, no daylight saving), whatever zone the machine is
//! set to, so "today" (a site's `verified_at`, the date on an export, the freshness of a record)
//! is the date in China. Instants that are stored (a revision's time, a user's creation) are
//! UTC. Everything that needs the time asks a [`Clock`]; a fixed clock makes tests and
//! reproducible output independent of when they run, with no sleeps.
//!
//! ```
//! use atlas_core::clock::Clock;
//! let at = chrono::DateTime::parse_from_rfc3339("2026-12-31T17:30:00Z").unwrap();
//! let clock = Clock::fixed(at.to_utc());
//! // 17:30 UTC on 31 December is already 1 January in China.
//! assert_eq!(clock.today().to_string(), "2027-01-01");
//! ```

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};

/// China Standard Time, UTC+8.
pub fn china() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("UTC+8 is within ±24 h")
}

/// Where the time comes from: the system's clock, or a fixed instant.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Clock {
    fixed: Option<DateTime<Utc>>,
}

impl Clock {
    /// The machine's clock.
    pub const fn system() -> Self {
        Self { fixed: None }
    }

    /// A clock that always reads `at`.
    pub const fn fixed(at: DateTime<Utc>) -> Self {
        Self { fixed: Some(at) }
    }

    /// The instant now, in UTC.
    pub fn now(&self) -> DateTime<Utc> {
        self.fixed.unwrap_or_else(Utc::now)
    }

    /// The time now in China Standard Time.
    pub fn now_china(&self) -> DateTime<FixedOffset> {
        self.now().with_timezone(&china())
    }

    /// Today's date in China.
    pub fn today(&self) -> NaiveDate {
        self.now_china().date_naive()
    }

    /// A fixed clock from an RFC 3339 instant (`2026-12-02T08:00:00+08:00`), for tests and for
    /// reproducible output; `None` when `text` is not one.
    pub fn parse_fixed(text: &str) -> Option<Self> {
        DateTime::parse_from_rfc3339(text.trim())
            .ok()
            .map(|t| Self::fixed(t.to_utc()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn today_is_the_date_in_china_whatever_the_instant() {
        let c = Clock::parse_fixed("2026-06-30T16:00:00Z").expect("valid");
        assert_eq!(
            c.today(),
            NaiveDate::from_ymd_opt(2026, 7, 1).expect("date")
        );
        let c = Clock::parse_fixed("2026-06-30T15:59:59Z").expect("valid");
        assert_eq!(
            c.today(),
            NaiveDate::from_ymd_opt(2026, 6, 30).expect("date")
        );
    }

    #[test]
    fn a_fixed_clock_does_not_move_and_text_that_is_no_instant_is_refused() {
        let c = Clock::parse_fixed("2026-12-02T08:00:00+08:00").expect("valid");
        assert_eq!(c.now(), c.now());
        assert_eq!(c.now_china().to_rfc3339(), "2026-12-02T08:00:00+08:00");
        assert!(Clock::parse_fixed("yesterday").is_none());
    }
}
