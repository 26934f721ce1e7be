//! Coordinate reference systems accepted at the edge, and conversion to WGS84.
//!
//! Inside Innovation Atlas every coordinate is WGS84 (CGCS2000 is the same at map scale).
//! Data copied from Amap or Tencent is GCJ-02, from Baidu BD-09; both are obfuscated
//! offsets of WGS84 (≈ 550 m and ≈ 1.2 km in Maonan). They are converted when they enter and
//! the original value is kept with the record.
//!
//! The forward transforms are the published GCJ-02 formulas (Krasovsky 1940 ellipsoid) and the
//! BD-09 rotation; the inverses are solved by fixed-point iteration to well below a millimetre.
//! Tests compare against pairs made by npm `gcoord` (see `tests/fixtures/README.md`).

use crate::coord::{CoordError, Position};
use crate::vocab::UnknownValue;
use serde::{Deserialize, Serialize};
use std::f64::consts::PI;
use std::fmt;

/// A coordinate reference system accepted on input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Crs {
    /// WGS84 (EPSG:4326), what GPS and RFC 7946 GeoJSON use.
    Wgs84,
    /// China Geodetic Coordinate System 2000; equal to WGS84 at map scale (Tianditu).
    Cgcs2000,
    /// GCJ-02, used by Amap (高德) and Tencent maps.
    Gcj02,
    /// BD-09, used by Baidu maps.
    Bd09,
}

impl Crs {
    /// Every accepted CRS.
    pub const ALL: [Crs; 4] = [Crs::Wgs84, Crs::Cgcs2000, Crs::Gcj02, Crs::Bd09];

    /// Stable identifier.
    pub fn as_str(self) -> &'static str {
        match self {
            Crs::Wgs84 => "wgs84",
            Crs::Cgcs2000 => "cgcs2000",
            Crs::Gcj02 => "gcj02",
            Crs::Bd09 => "bd09",
        }
    }

    /// True for the systems stored as given (WGS84, CGCS2000).
    pub fn is_wgs84_like(self) -> bool {
        matches!(self, Crs::Wgs84 | Crs::Cgcs2000)
    }

    /// Converts a position given in this CRS to WGS84.
    pub fn to_wgs84(self, lon: f64, lat: f64) -> Result<Position, CoordError> {
        // Validate the input first so garbage never reaches the trigonometry.
        Position::new(lon, lat)?;
        let (x, y) = match self {
            Crs::Wgs84 | Crs::Cgcs2000 => (lon, lat),
            Crs::Gcj02 => gcj02_to_wgs84(lon, lat),
            Crs::Bd09 => {
                let (gx, gy) = bd09_to_gcj02(lon, lat);
                gcj02_to_wgs84(gx, gy)
            }
        };
        Position::new(x, y)
    }

    /// Converts a WGS84 position into this CRS.
    pub fn from_wgs84(self, p: Position) -> (f64, f64) {
        let (lon, lat) = (p.lon.get(), p.lat.get());
        match self {
            Crs::Wgs84 | Crs::Cgcs2000 => (lon, lat),
            Crs::Gcj02 => wgs84_to_gcj02(lon, lat),
            Crs::Bd09 => {
                let (gx, gy) = wgs84_to_gcj02(lon, lat);
                gcj02_to_bd09(gx, gy)
            }
        }
    }
}

impl fmt::Display for Crs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Crs {
    type Err = UnknownValue;
    fn from_str(s: &str) -> Result<Self, UnknownValue> {
        match s
            .trim()
            .to_ascii_lowercase()
            .replace(['-', '_', ' ', ':'], "")
            .as_str()
        {
            "wgs84" | "epsg4326" | "4326" => Ok(Crs::Wgs84),
            "cgcs2000" | "epsg4490" | "4490" => Ok(Crs::Cgcs2000),
            "gcj02" | "gcj" | "amap" | "高德" => Ok(Crs::Gcj02),
            "bd09" | "bd09ll" | "baidu" | "百度" => Ok(Crs::Bd09),
            _ => Err(UnknownValue {
                what: "crs",
                given: s.to_string(),
                allowed: "wgs84, cgcs2000, gcj02, bd09".to_string(),
            }),
        }
    }
}

// Krasovsky 1940 ellipsoid, as in the published GCJ-02 algorithm.
const A: f64 = 6_378_245.0;
const EE: f64 = 0.006_693_421_622_965_943;
const X_PI: f64 = PI * 3000.0 / 180.0;

/// True where GCJ-02 applies: mainland China. Outside it (and on Taiwan, the Korean
/// peninsula and Japan, mainland South-East Asia) Amap/Baidu coordinates are plain WGS84.
///
/// The test is coarse (a box and a few exclusions); Maonan is far from every edge.
pub fn in_mainland_china(lon: f64, lat: f64) -> bool {
    let in_box = (72.004..=137.8347).contains(&lon) && (0.8293..=55.8271).contains(&lat);
    let taiwan = (119.3..=122.5).contains(&lon) && (21.8..=25.4).contains(&lat);
    let korea_japan = lon > 124.6 && lat < 41.0;
    let south_east_asia = lat < 18.0 && lon < 108.5;
    in_box && !taiwan && !korea_japan && !south_east_asia
}

fn delta(lon: f64, lat: f64) -> (f64, f64) {
    let x = lon - 105.0;
    let y = lat - 35.0;
    let mut dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * x.abs().sqrt();
    dlat += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    dlat += (20.0 * (y * PI).sin() + 40.0 * (y / 3.0 * PI).sin()) * 2.0 / 3.0;
    dlat += (160.0 * (y / 12.0 * PI).sin() + 320.0 * (y * PI / 30.0).sin()) * 2.0 / 3.0;
    let mut dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * x.abs().sqrt();
    dlon += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    dlon += (20.0 * (x * PI).sin() + 40.0 * (x / 3.0 * PI).sin()) * 2.0 / 3.0;
    dlon += (150.0 * (x / 12.0 * PI).sin() + 300.0 * (x / 30.0 * PI).sin()) * 2.0 / 3.0;
    let rad_lat = lat / 180.0 * PI;
    let magic = 1.0 - EE * rad_lat.sin() * rad_lat.sin();
    let sqrt_magic = magic.sqrt();
    let dlat = (dlat * 180.0) / ((A * (1.0 - EE)) / (magic * sqrt_magic) * PI);
    let dlon = (dlon * 180.0) / (A / sqrt_magic * rad_lat.cos() * PI);
    (dlon, dlat)
}

/// WGS84 → GCJ-02 (the published forward formula). Outside mainland China: unchanged.
pub fn wgs84_to_gcj02(lon: f64, lat: f64) -> (f64, f64) {
    if !in_mainland_china(lon, lat) {
        return (lon, lat);
    }
    let (dlon, dlat) = delta(lon, lat);
    (lon + dlon, lat + dlat)
}

/// GCJ-02 → WGS84, solved by iteration: find `w` with `wgs84_to_gcj02(w) == g`.
pub fn gcj02_to_wgs84(lon: f64, lat: f64) -> (f64, f64) {
    if !in_mainland_china(lon, lat) {
        return (lon, lat);
    }
    let (mut wx, mut wy) = (lon, lat);
    for _ in 0..30 {
        let (gx, gy) = wgs84_to_gcj02(wx, wy);
        let (ex, ey) = (gx - lon, gy - lat);
        wx -= ex;
        wy -= ey;
        if ex.abs() < 1e-12 && ey.abs() < 1e-12 {
            break;
        }
    }
    (wx, wy)
}

/// GCJ-02 → BD-09 (Baidu's published rotation and offset).
pub fn gcj02_to_bd09(lon: f64, lat: f64) -> (f64, f64) {
    let z = (lon * lon + lat * lat).sqrt() + 0.00002 * (lat * X_PI).sin();
    let theta = lat.atan2(lon) + 0.000003 * (lon * X_PI).cos();
    (z * theta.cos() + 0.0065, z * theta.sin() + 0.006)
}

/// BD-09 → GCJ-02: the closed-form approximation, refined by iteration.
pub fn bd09_to_gcj02(lon: f64, lat: f64) -> (f64, f64) {
    let x = lon - 0.0065;
    let y = lat - 0.006;
    let z = (x * x + y * y).sqrt() - 0.00002 * (y * X_PI).sin();
    let theta = y.atan2(x) - 0.000003 * (x * X_PI).cos();
    let (mut gx, mut gy) = (z * theta.cos(), z * theta.sin());
    for _ in 0..10 {
        let (bx, by) = gcj02_to_bd09(gx, gy);
        let (ex, ey) = (bx - lon, by - lat);
        gx -= ex;
        gy -= ey;
        if ex.abs() < 1e-13 && ey.abs() < 1e-13 {
            break;
        }
    }
    (gx, gy)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crs_names_parse_in_common_spellings() {
        assert_eq!("GCJ-02".parse::<Crs>(), Ok(Crs::Gcj02));
        assert_eq!("bd09ll".parse::<Crs>(), Ok(Crs::Bd09));
        assert_eq!("EPSG:4326".parse::<Crs>(), Ok(Crs::Wgs84));
        assert!("mercator"
            .parse::<Crs>()
            .unwrap_err()
            .to_string()
            .contains("gcj02"));
    }

    #[test]
    fn gcj02_offset_in_maonan_is_hundreds_of_metres() {
        let (gx, gy) = wgs84_to_gcj02(110.9204617, 21.676291);
        let d = ((gx - 110.9204617).powi(2) + (gy - 21.676291).powi(2)).sqrt() * 111_000.0;
        assert!((300.0..900.0).contains(&d), "offset {d} m");
    }

    #[test]
    fn points_outside_mainland_china_are_not_shifted() {
        for (lon, lat) in [
            (139.69, 35.69),
            (-0.1276, 51.507),
            (121.56, 25.04),
            (103.82, 1.35),
        ] {
            assert_eq!(wgs84_to_gcj02(lon, lat), (lon, lat));
            assert_eq!(gcj02_to_wgs84(lon, lat), (lon, lat));
        }
    }

    #[test]
    fn converting_validates_the_input_range() {
        assert!(Crs::Gcj02.to_wgs84(200.0, 21.0).is_err());
        assert!(Crs::Bd09.to_wgs84(110.0, f64::INFINITY).is_err());
    }
}
