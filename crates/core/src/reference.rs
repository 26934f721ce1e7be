//! Reference data that is not sites: industry chains and links, townships, the district
//! boundary and the plan's indicators. All of it is data (files in `data/`), not code.

use crate::coord::{BBox, Position};
use crate::crs::Crs;
use crate::filter::SiteFilter;
use crate::ids::{ChainId, LinkId, TownCode};
use geo::{BoundingRect, Centroid, Contains, InteriorPoint};
use serde::{Deserialize, Serialize};

/// A reference file that cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// A CSV problem, with its line.
    #[error("{file} line {line}: {message}")]
    Row {
        /// Which file.
        file: &'static str,
        /// 1-based line number.
        line: u64,
        /// What is wrong.
        message: String,
    },
    /// The file as a whole is unusable.
    #[error("{file}: {message}")]
    File {
        /// Which file.
        file: &'static str,
        /// What is wrong.
        message: String,
    },
}

fn csv_records(
    file: &'static str,
    text: &str,
) -> Result<Vec<(u64, csv::StringRecord, csv::StringRecord)>, DataError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(false)
        .from_reader(text.as_bytes());
    let headers = rdr
        .headers()
        .map_err(|e| DataError::File {
            file,
            message: e.to_string(),
        })?
        .clone();
    let mut out = Vec::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| DataError::Row {
            file,
            line: e.position().map(|p| p.line()).unwrap_or(0),
            message: e.to_string(),
        })?;
        let line = rec.position().map(|p| p.line()).unwrap_or(0);
        out.push((line, headers.clone(), rec));
    }
    Ok(out)
}

fn field<'a>(
    file: &'static str,
    line: u64,
    h: &csv::StringRecord,
    r: &'a csv::StringRecord,
    name: &str,
) -> Result<&'a str, DataError> {
    let i = h
        .iter()
        .position(|x| x.trim() == name)
        .ok_or_else(|| DataError::File {
            file,
            message: format!("missing column '{name}'"),
        })?;
    let _ = line;
    Ok(r.get(i).map(str::trim).unwrap_or(""))
}

fn opt(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

/// One stage of an industry chain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Link {
    /// `chain.link` id.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub id: LinkId,
    /// Position from upstream (1) to downstream.
    pub order: u32,
    /// Chinese name.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// What belongs here (Chinese).
    pub description_zh: Option<String>,
    /// Where the plan says so.
    pub source: Option<String>,
}

/// An industry chain with its links in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Chain {
    /// Chain id.
    pub id: ChainId,
    /// Display order.
    pub order: u32,
    /// Chinese name.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// Links, upstream first.
    pub links: Vec<Link>,
}

/// All chains and links.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ChainCatalog {
    /// Chains in display order.
    pub chains: Vec<Chain>,
}

impl ChainCatalog {
    /// Reads `chains.csv` (one row per link; chain columns repeated).
    pub fn parse_csv(text: &str) -> Result<Self, DataError> {
        const F: &str = "chains.csv";
        let mut cat = ChainCatalog::default();
        for (line, h, r) in csv_records(F, text)? {
            let get = |n: &str| field(F, line, &h, &r, n);
            let bad = |m: String| DataError::Row {
                file: F,
                line,
                message: m,
            };
            let chain_id = ChainId::new(get("chain_id")?).map_err(|e| bad(e.to_string()))?;
            let link_id = LinkId::new(get("link_id")?).map_err(|e| bad(e.to_string()))?;
            if link_id.chain() != chain_id {
                return Err(bad(format!(
                    "link '{link_id}' does not start with its chain '{chain_id}.'"
                )));
            }
            let num = |n: &str| -> Result<u32, DataError> {
                get(n)?
                    .parse::<u32>()
                    .map_err(|_| bad(format!("{n} must be a whole number")))
            };
            let chain_order = num("chain_order")?;
            let link_order = num("link_order")?;
            let link = Link {
                id: link_id.clone(),
                order: link_order,
                name_zh: get("link_name_zh")?.to_string(),
                name_en: get("link_name_en")?.to_string(),
                description_zh: opt(get("link_description_zh").unwrap_or("")),
                source: opt(get("source").unwrap_or("")),
            };
            if link.name_zh.is_empty() {
                return Err(bad("link_name_zh is required".into()));
            }
            if cat.link(&link_id).is_some() {
                return Err(bad(format!("duplicate link id '{link_id}'")));
            }
            match cat.chains.iter_mut().find(|c| c.id == chain_id) {
                Some(c) => c.links.push(link),
                None => cat.chains.push(Chain {
                    id: chain_id,
                    order: chain_order,
                    name_zh: get("chain_name_zh")?.to_string(),
                    name_en: get("chain_name_en")?.to_string(),
                    links: vec![link],
                }),
            }
        }
        if cat.chains.is_empty() {
            return Err(DataError::File {
                file: F,
                message: "no chains".into(),
            });
        }
        cat.chains.sort_by_key(|c| c.order);
        for c in &mut cat.chains {
            c.links.sort_by_key(|l| l.order);
        }
        Ok(cat)
    }

    /// A chain by id.
    pub fn chain(&self, id: &ChainId) -> Option<&Chain> {
        self.chains.iter().find(|c| &c.id == id)
    }

    /// Every link of every chain: chain by chain, each upstream first.
    pub fn links(&self) -> impl Iterator<Item = &Link> {
        self.chains.iter().flat_map(|c| &c.links)
    }

    /// A link by id.
    pub fn link(&self, id: &LinkId) -> Option<&Link> {
        self.links().find(|l| &l.id == id)
    }

    /// Chain ids, comma separated (for error messages).
    pub fn chain_ids(&self) -> String {
        self.chains
            .iter()
            .map(|c| c.id.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Subdistrict (街道) or town (镇).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DivisionType {
    /// 街道
    Subdistrict,
    /// 镇
    Town,
}

impl DivisionType {
    /// `subdistrict` or `town`: the id stored and sent by the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Subdistrict => "subdistrict",
            Self::Town => "town",
        }
    }

    /// 街道 or 镇.
    pub fn zh(self) -> &'static str {
        match self {
            Self::Subdistrict => "街道",
            Self::Town => "镇",
        }
    }

    /// From its id or its Chinese name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "subdistrict" | "街道" => Some(Self::Subdistrict),
            "town" | "镇" => Some(Self::Town),
            _ => None,
        }
    }
}

/// A township seat and where its coordinate came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Seat {
    /// WGS84 position (converted if the source was not WGS84).
    pub position: Position,
    /// The source's CRS.
    pub crs: Crs,
    /// Citation.
    pub source: String,
}

/// A township-level division.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Division {
    /// 9-digit code.
    pub code: TownCode,
    /// Chinese name.
    pub name_zh: String,
    /// English name (pinyin).
    pub name_en: String,
    /// 街道 or 镇.
    pub kind: DivisionType,
    /// Seat, where a source gives one.
    pub seat: Option<Seat>,
}

/// Reads `divisions.csv`.
pub fn parse_divisions(text: &str) -> Result<Vec<Division>, DataError> {
    const F: &str = "divisions.csv";
    let mut out = Vec::new();
    for (line, h, r) in csv_records(F, text)? {
        let get = |n: &str| field(F, line, &h, &r, n);
        let bad = |m: String| DataError::Row {
            file: F,
            line,
            message: m,
        };
        let code = TownCode::new(get("code")?).map_err(|e| bad(e.to_string()))?;
        let t = get("type")?;
        let kind = DivisionType::parse(t)
            .ok_or_else(|| bad(format!("type '{t}' must be subdistrict or town")))?;
        let seat = match (get("seat_lon")?, get("seat_lat")?) {
            ("", "") => None,
            (lon, lat) => {
                let lon: f64 = lon
                    .parse()
                    .map_err(|_| bad("seat_lon is not a number".into()))?;
                let lat: f64 = lat
                    .parse()
                    .map_err(|_| bad("seat_lat is not a number".into()))?;
                let crs: Crs = get("seat_crs")?
                    .parse()
                    .map_err(|e: crate::vocab::UnknownValue| bad(e.to_string()))?;
                let position = crs.to_wgs84(lon, lat).map_err(|e| bad(e.to_string()))?;
                Some(Seat {
                    position,
                    crs,
                    source: get("seat_source")?.to_string(),
                })
            }
        };
        out.push(Division {
            code,
            name_zh: get("name_zh")?.to_string(),
            name_en: get("name_en")?.to_string(),
            kind,
            seat,
        });
    }
    Ok(out)
}

/// Finds a division by code, Chinese name or English name.
pub fn find_division<'a>(divisions: &'a [Division], s: &str) -> Option<&'a Division> {
    let t = s.trim();
    divisions
        .iter()
        .find(|d| d.code.as_str() == t || d.name_zh == t || d.name_en.eq_ignore_ascii_case(t))
}

/// The district: its boundary, and its representative point (for maps; no site is placed
/// there).
#[derive(Debug, Clone, PartialEq)]
pub struct District {
    /// Chinese name.
    pub name_zh: String,
    /// Boundary (WGS84).
    pub boundary: geo::MultiPolygon<f64>,
    /// The boundary GeoJSON as shipped (with its properties: source, licence).
    pub geojson: String,
    /// Where the fallback point comes from.
    pub representative_source: String,
}

impl District {
    /// Reads a GeoJSON FeatureCollection or Feature holding one (multi)polygon.
    pub fn from_geojson(text: &str) -> Result<Self, DataError> {
        const F: &str = "boundary.geojson";
        let bad = |m: String| DataError::File {
            file: F,
            message: m,
        };
        let gj: geojson::GeoJson = text
            .parse()
            .map_err(|e: geojson::Error| bad(e.to_string()))?;
        let feature = match gj {
            geojson::GeoJson::FeatureCollection(fc) => fc.features.into_iter().next(),
            geojson::GeoJson::Feature(f) => Some(f),
            geojson::GeoJson::Geometry(g) => Some(geojson::Feature {
                geometry: Some(g),
                ..Default::default()
            }),
        }
        .ok_or_else(|| bad("no feature".into()))?;
        let name_zh = feature
            .property("name_zh")
            .and_then(|v| v.as_str())
            .unwrap_or("茂南区")
            .to_string();
        let geom = feature
            .geometry
            .ok_or_else(|| bad("feature has no geometry".into()))?;
        // The conversion below panics on a position of fewer than two numbers.
        if !crate::import::positions_have_two_numbers(&geom.value) {
            return Err(bad(
                "a position has fewer than two numbers (longitude, latitude)".into(),
            ));
        }
        let g: geo::Geometry<f64> = geom
            .try_into()
            .map_err(|e: geojson::Error| bad(e.to_string()))?;
        let boundary = match g {
            geo::Geometry::Polygon(p) => geo::MultiPolygon(vec![p]),
            geo::Geometry::MultiPolygon(m) => m,
            _ => return Err(bad("boundary must be a Polygon or MultiPolygon".into())),
        };
        Ok(Self {
            name_zh,
            boundary,
            geojson: text.to_string(),
            representative_source:
                "茂南区行政区域（data/boundary.geojson）的几何中心；district boundary centroid"
                    .into(),
        })
    }

    /// True when `p` lies inside the boundary.
    pub fn contains(&self, p: Position) -> bool {
        self.boundary.contains(&p.to_point())
    }

    /// The representative point: the boundary's centroid when it lies inside, else an interior point.
    pub fn representative_point(&self) -> Option<Position> {
        let c = self.boundary.centroid()?;
        let p = if self.boundary.contains(&c) {
            c
        } else {
            self.boundary.interior_point()?
        };
        // Rounded to 1e-6° (~0.1 m) so it prints the same everywhere.
        Position::new((p.x() * 1e6).round() / 1e6, (p.y() * 1e6).round() / 1e6).ok()
    }

    /// Bounding box of the boundary.
    pub fn bbox(&self) -> Option<BBox> {
        let r = self.boundary.bounding_rect()?;
        Some(BBox {
            min_lon: r.min().x,
            min_lat: r.min().y,
            max_lon: r.max().x,
            max_lat: r.max().y,
        })
    }
}

/// How the catalogue can measure an indicator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    /// Number of sites matching the filter.
    Count,
    /// Sum of `area_m2` over sites matching the filter.
    SumArea,
    /// The catalogue cannot count it.
    None,
}

/// One of the plan's indicators: its baseline and target, and how the catalogue measures progress
/// towards it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Indicator {
    /// Id.
    pub id: String,
    /// Chinese name.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// Unit (家, m², %).
    pub unit: String,
    /// Baseline value.
    pub baseline: Option<f64>,
    /// Baseline year.
    pub baseline_year: Option<i32>,
    /// Target value.
    pub target: Option<f64>,
    /// `>=` or `=`.
    pub target_op: Option<String>,
    /// Target year.
    pub target_year: Option<i32>,
    /// How the catalogue counts it.
    pub measure: Measure,
    /// Which sites count (API filter syntax).
    pub count_filter: String,
    /// Citation.
    pub source: String,
    /// Exact quote.
    pub source_quote: Option<String>,
}

impl Measure {
    /// `count`, `sum_area` or `none`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Count => "count",
            Self::SumArea => "sum_area",
            Self::None => "none",
        }
    }

    /// From its id (`count`, `sum_area` or `none`).
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "count" => Some(Self::Count),
            "sum_area" => Some(Self::SumArea),
            "none" => Some(Self::None),
            _ => None,
        }
    }

    /// How it is measured, in Chinese.
    pub fn zh(self) -> &'static str {
        match self {
            Self::Count => "计数",
            Self::SumArea => "面积合计",
            Self::None => "目录无法统计",
        }
    }
}

impl Indicator {
    /// The parsed filter of `count_filter`.
    pub fn filter(&self) -> Result<SiteFilter, crate::filter::FilterError> {
        SiteFilter::parse_query(&self.count_filter)
    }

    /// `value / target × 100`, rounded to one decimal, where both exist and the target is not
    /// 0 (the progress board's "percent to target").
    pub fn percent_of_target(&self, value: Option<f64>) -> Option<f64> {
        match (value, self.target) {
            (Some(v), Some(t)) if t != 0.0 && v.is_finite() && t.is_finite() => {
                Some((v / t * 1000.0).round() / 10.0)
            }
            _ => None,
        }
    }
}

/// Reads `indicators.csv`.
pub fn parse_indicators(text: &str) -> Result<Vec<Indicator>, DataError> {
    const F: &str = "indicators.csv";
    let mut out = Vec::new();
    for (line, h, r) in csv_records(F, text)? {
        let get = |n: &str| field(F, line, &h, &r, n);
        let bad = |m: String| DataError::Row {
            file: F,
            line,
            message: m,
        };
        let num = |n: &str| -> Result<Option<f64>, DataError> {
            match get(n)? {
                "" => Ok(None),
                v => v
                    .parse()
                    .map(Some)
                    .map_err(|_| bad(format!("{n} '{v}' is not a number"))),
            }
        };
        let year = |n: &str| -> Result<Option<i32>, DataError> {
            match get(n)? {
                "" => Ok(None),
                v => v
                    .parse()
                    .map(Some)
                    .map_err(|_| bad(format!("{n} '{v}' is not a year"))),
            }
        };
        let measure = match get("measure")? {
            "" => Measure::None,
            m => Measure::parse(m)
                .ok_or_else(|| bad(format!("measure '{m}' must be count, sum_area or none")))?,
        };
        let ind = Indicator {
            id: get("id")?.to_string(),
            name_zh: get("name_zh")?.to_string(),
            name_en: get("name_en")?.to_string(),
            unit: get("unit")?.to_string(),
            baseline: num("baseline")?,
            baseline_year: year("baseline_year")?,
            target: num("target")?,
            target_op: opt(get("target_op")?),
            target_year: year("target_year")?,
            measure,
            count_filter: get("count_filter")?.to_string(),
            source: get("source")?.to_string(),
            source_quote: opt(get("source_quote")?),
        };
        ind.filter()
            .map_err(|e| bad(format!("count_filter: {e}")))?;
        if out.iter().any(|o: &Indicator| o.id == ind.id) {
            return Err(bad(format!("indicator id '{}' appears twice", ind.id)));
        }
        out.push(ind);
    }
    Ok(out)
}
