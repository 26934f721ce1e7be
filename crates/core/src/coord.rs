//! Longitude, latitude, positions and bounding boxes (always WGS84 inside the system).

use serde::{Deserialize, Serialize};
use std::fmt;

/// A coordinate that failed validation.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CoordError {
    /// Longitude outside −180…180 or not a number.
    #[error("longitude {0} is out of range (-180 to 180)")]
    Lon(f64),
    /// Latitude outside −90…90 or not a number.
    #[error("latitude {0} is out of range (-90 to 90)")]
    Lat(f64),
    /// A bounding box that is not `minLon,minLat,maxLon,maxLat` with min ≤ max.
    #[error("bbox must be minLon,minLat,maxLon,maxLat with min <= max: {0}")]
    BBox(String),
}

/// Longitude in degrees, −180…180, finite.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Serialize, Deserialize)]
#[serde(try_from = "f64", into = "f64")]
pub struct Lon(f64);

/// Latitude in degrees, −90…90, finite.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Serialize, Deserialize)]
#[serde(try_from = "f64", into = "f64")]
pub struct Lat(f64);

impl Lon {
    /// Validates a longitude.
    pub fn new(v: f64) -> Result<Self, CoordError> {
        if v.is_finite() && (-180.0..=180.0).contains(&v) {
            Ok(Self(v))
        } else {
            Err(CoordError::Lon(v))
        }
    }
    /// Degrees.
    pub fn get(self) -> f64 {
        self.0
    }
}

impl Lat {
    /// Validates a latitude.
    pub fn new(v: f64) -> Result<Self, CoordError> {
        if v.is_finite() && (-90.0..=90.0).contains(&v) {
            Ok(Self(v))
        } else {
            Err(CoordError::Lat(v))
        }
    }
    /// Degrees.
    pub fn get(self) -> f64 {
        self.0
    }
}

impl TryFrom<f64> for Lon {
    type Error = CoordError;
    fn try_from(v: f64) -> Result<Self, CoordError> {
        Self::new(v)
    }
}
impl TryFrom<f64> for Lat {
    type Error = CoordError;
    fn try_from(v: f64) -> Result<Self, CoordError> {
        Self::new(v)
    }
}
impl From<Lon> for f64 {
    fn from(v: Lon) -> f64 {
        v.0
    }
}
impl From<Lat> for f64 {
    fn from(v: Lat) -> f64 {
        v.0
    }
}

/// A WGS84 position, longitude first (as in GeoJSON).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Position {
    /// Longitude.
    pub lon: Lon,
    /// Latitude.
    pub lat: Lat,
}

impl Position {
    /// Validates both parts.
    pub fn new(lon: f64, lat: f64) -> Result<Self, CoordError> {
        Ok(Self {
            lon: Lon::new(lon)?,
            lat: Lat::new(lat)?,
        })
    }
    /// As a `geo` point (x = lon, y = lat).
    pub fn to_point(self) -> geo::Point<f64> {
        geo::Point::new(self.lon.get(), self.lat.get())
    }
    /// From a `geo` coordinate, validating it.
    pub fn from_coord(c: geo::Coord<f64>) -> Result<Self, CoordError> {
        Self::new(c.x, c.y)
    }
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{},{}", self.lon.get(), self.lat.get())
    }
}

/// A bounding box in WGS84 degrees.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BBox {
    /// West edge.
    pub min_lon: f64,
    /// South edge.
    pub min_lat: f64,
    /// East edge.
    pub max_lon: f64,
    /// North edge.
    pub max_lat: f64,
}

impl BBox {
    /// Validates corners (each in range, min ≤ max).
    pub fn new(min_lon: f64, min_lat: f64, max_lon: f64, max_lat: f64) -> Result<Self, CoordError> {
        let text = format!("{min_lon},{min_lat},{max_lon},{max_lat}");
        for v in [min_lon, max_lon] {
            Lon::new(v).map_err(|_| CoordError::BBox(text.clone()))?;
        }
        for v in [min_lat, max_lat] {
            Lat::new(v).map_err(|_| CoordError::BBox(text.clone()))?;
        }
        if min_lon > max_lon || min_lat > max_lat {
            return Err(CoordError::BBox(text));
        }
        Ok(Self {
            min_lon,
            min_lat,
            max_lon,
            max_lat,
        })
    }

    /// Parses `minLon,minLat,maxLon,maxLat`.
    pub fn parse(s: &str) -> Result<Self, CoordError> {
        let parts: Vec<f64> = s
            .split(',')
            .map(|p| p.trim().parse::<f64>())
            .collect::<Result<_, _>>()
            .map_err(|_| CoordError::BBox(s.to_string()))?;
        match parts.as_slice() {
            [a, b, c, d] => Self::new(*a, *b, *c, *d).map_err(|_| CoordError::BBox(s.to_string())),
            _ => Err(CoordError::BBox(s.to_string())),
        }
    }

    /// The box around one position.
    pub fn of_point(p: Position) -> Self {
        Self {
            min_lon: p.lon.get(),
            min_lat: p.lat.get(),
            max_lon: p.lon.get(),
            max_lat: p.lat.get(),
        }
    }

    /// True when `p` lies inside or on the edge.
    pub fn contains(&self, p: Position) -> bool {
        (self.min_lon..=self.max_lon).contains(&p.lon.get())
            && (self.min_lat..=self.max_lat).contains(&p.lat.get())
    }

    /// The smallest box holding both.
    pub fn union(&self, o: &BBox) -> BBox {
        BBox {
            min_lon: self.min_lon.min(o.min_lon),
            min_lat: self.min_lat.min(o.min_lat),
            max_lon: self.max_lon.max(o.max_lon),
            max_lat: self.max_lat.max(o.max_lat),
        }
    }
}

impl fmt::Display for BBox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{},{},{},{}",
            self.min_lon, self.min_lat, self.max_lon, self.max_lat
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn out_of_range_coordinates_are_refused() {
        assert!(Lon::new(181.0).is_err());
        assert!(Lat::new(-90.5).is_err());
        assert!(Lon::new(f64::NAN).is_err());
        assert!(Position::new(110.9, 21.6).is_ok());
        assert!(Lon::new(-73.9).is_ok(), "negative coordinates are valid");
    }

    #[test]
    fn bbox_parses_and_rejects_inverted_boxes() {
        let b = BBox::parse("110.7,21.4,111.1,21.9").unwrap();
        assert!(b.contains(Position::new(110.9, 21.6).unwrap()));
        assert!(BBox::parse("111,21,110,22").is_err());
        assert!(BBox::parse("1,2,3").is_err());
        assert!(BBox::parse("a,b,c,d").is_err());
    }
}
