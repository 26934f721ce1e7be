//! OGC API – Features Part 2 (CRS by reference): the CRSs `/ogc` serves and reads boxes and
//! filter geometries in. The catalogue stores WGS84; CGCS2000 (EPSG:4490) is served with the
//! same numbers, since the two datums agree to well under a metre for a district map (what
//! Tianditu does too). What changes between them is the axis order: CRS84 is (lon, lat), and
//! EPSG:4326 and EPSG:4490 are (lat, lon), as their definitions say and the standard demands.

use crate::server::error::ApiError;

/// A CRS offered by `/ogc`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OgcCrs {
    /// OGC CRS84: WGS84, (lon, lat). The default and the storage CRS.
    #[default]
    Crs84,
    /// EPSG:4326: WGS84, (lat, lon).
    Epsg4326,
    /// EPSG:4490: CGCS2000, (lat, lon); the same numbers as WGS84 here.
    Epsg4490,
}

/// CRS84's URI.
pub const CRS84: &str = "http://www.opengis.net/def/crs/OGC/1.3/CRS84";
/// EPSG:4326's URI.
pub const EPSG_4326: &str = "http://www.opengis.net/def/crs/EPSG/0/4326";
/// EPSG:4490's URI.
pub const EPSG_4490: &str = "http://www.opengis.net/def/crs/EPSG/0/4490";

impl OgcCrs {
    /// Every CRS offered, the default first.
    pub const ALL: [OgcCrs; 3] = [OgcCrs::Crs84, OgcCrs::Epsg4326, OgcCrs::Epsg4490];

    /// The URI (what `crs`, `bbox-crs`, `filter-crs` and `Content-Crs` carry).
    pub fn uri(self) -> &'static str {
        match self {
            OgcCrs::Crs84 => CRS84,
            OgcCrs::Epsg4326 => EPSG_4326,
            OgcCrs::Epsg4490 => EPSG_4490,
        }
    }

    /// True when coordinates are (lat, lon).
    pub fn lat_lon(self) -> bool {
        self != OgcCrs::Crs84
    }

    /// Reads a CRS parameter `param`: a URI, or its short forms (`CRS84`, `OGC:CRS84`,
    /// `EPSG:4326`, `[EPSG:4490]`); any other is `400 unsupported_crs` listing the URIs.
    pub fn parse(param: &str, v: &str) -> Result<Self, ApiError> {
        let t = v.trim().trim_start_matches('[').trim_end_matches(']');
        let t = t
            .trim_start_matches("https://")
            .trim_start_matches("http://");
        let t = t.to_ascii_lowercase();
        let crs = match t.as_str() {
            "www.opengis.net/def/crs/ogc/1.3/crs84" | "crs84" | "ogc:crs84" => OgcCrs::Crs84,
            "www.opengis.net/def/crs/epsg/0/4326" | "epsg:4326" => OgcCrs::Epsg4326,
            "www.opengis.net/def/crs/epsg/0/4490" | "epsg:4490" => OgcCrs::Epsg4490,
            _ => {
                let shown: String = v.chars().take(100).collect();
                return Err(ApiError::BadParam {
                    code: "unsupported_crs",
                    message: format!(
                        "parameter '{param}': CRS '{shown}' is not offered; offered: {}",
                        Self::ALL.map(Self::uri).join(", ")
                    ),
                });
            }
        };
        Ok(crs)
    }

    /// The URIs of every CRS offered.
    pub fn uris() -> Vec<&'static str> {
        Self::ALL.iter().map(|c| c.uri()).collect()
    }
}

/// A `bbox` value given in `crs`, as `minLon,minLat,maxLon,maxLat` (the order `SiteFilter`
/// reads): the two corners' axes swapped for a (lat, lon) CRS. Anything that is not four
/// comma-separated parts is left for the bbox parser to refuse.
pub fn bbox_in_lon_lat(v: &str, crs: OgcCrs) -> String {
    let parts: Vec<&str> = v.split(',').map(str::trim).collect();
    match (crs.lat_lon(), parts.as_slice()) {
        (true, [a, b, c, d]) => [*b, *a, *d, *c].join(","),
        _ => v.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_and_short_forms_parse_and_others_are_refused() {
        assert_eq!(OgcCrs::parse("crs", CRS84).ok(), Some(OgcCrs::Crs84));
        assert_eq!(OgcCrs::parse("crs", EPSG_4490).ok(), Some(OgcCrs::Epsg4490));
        assert_eq!(
            OgcCrs::parse("crs", "[EPSG:4326]").ok(),
            Some(OgcCrs::Epsg4326)
        );
        let e = OgcCrs::parse("crs", "EPSG:3857").unwrap_err();
        assert_eq!(e.code(), "unsupported_crs");
    }

    #[test]
    fn lat_lon_boxes_are_read_as_lon_lat() {
        assert_eq!(
            bbox_in_lon_lat("21.6,110.8,21.7,110.9", OgcCrs::Epsg4490),
            "110.8,21.6,110.9,21.7"
        );
        assert_eq!(
            bbox_in_lon_lat("110.8,21.6,110.9,21.7", OgcCrs::Crs84),
            "110.8,21.6,110.9,21.7"
        );
    }
}
