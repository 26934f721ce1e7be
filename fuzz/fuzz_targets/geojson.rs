//! The geojson reader: any bytes read as a site file (table, headers, every row's validation)
//! return a report or an error, never a panic.
#![no_main]

use atlas_core::import::{parse_sites, FileFormat};
use libfuzzer_sys::fuzz_target;

include!("common.rs");

fuzz_target!(|data: &[u8]| {
    let ctx = reference().context(today());
    let _ = parse_sites(data, FileFormat::GeoJson, &ctx, None);
});
