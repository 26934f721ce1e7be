//! The row validator: any cells (the input split on `\x1f` and spread over the columns in
//! order) give a site or the row's errors, never a panic.
#![no_main]

use atlas_core::{Column, Crs, RawRow};
use libfuzzer_sys::fuzz_target;

include!("common.rs");

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut cells = std::collections::HashMap::new();
    let mut parts = text.split('\u{1f}');
    // The first part picks the file's CRS, so that every conversion path is reached.
    let crs = match parts.next().and_then(|p| p.bytes().next()).map(|b| b % 5) {
        Some(1) => Some(Crs::Gcj02),
        Some(2) => Some(Crs::Bd09),
        Some(3) => Some(Crs::Cgcs2000),
        Some(4) => Some(Crs::Wgs84),
        _ => None,
    };
    for (c, v) in Column::ALL.iter().zip(parts) {
        cells.insert(*c, v.trim().to_string());
    }
    let row = RawRow { line: 2, cells };
    let ctx = reference().context(today());
    let _ = atlas_core::record::site_from_row_noted(&row, &ctx, crs);
});
