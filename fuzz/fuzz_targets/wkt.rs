//! WKT polygons (`polygon_wkt` cells): any text parses to a polygon site geometry or an error.
#![no_main]

use atlas_core::SiteGeometry;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(g) = SiteGeometry::from_wkt(text) {
            // What an export writes of it reads back.
            if let Some(wkt) = g.polygon_wkt() {
                let _ = SiteGeometry::from_wkt(&wkt);
            }
        }
    }
});
