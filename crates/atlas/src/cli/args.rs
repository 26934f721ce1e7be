//! Argument types more than one command takes: the filter flags (named like the API's query
//! parameters), input CRS, export formats and header language.

use anyhow::Result;
use atlas_core::SiteFilter;
use clap::{Args, ValueEnum};

/// Filter flags, named like the API's query parameters. Comma lists mean "any of".
#[derive(Debug, Clone, Default, Args)]
pub struct FilterArgs {
    /// innovation_resource, carrier_platform, key_enterprise (or 创新资源, 载体平台, 重点企业).
    #[arg(long)]
    pub category: Option<String>,
    /// Kind, e.g. incubator,industrial_park.
    #[arg(long)]
    pub kind: Option<String>,
    /// Industry chain id, e.g. petrochemical.
    #[arg(long)]
    pub chain: Option<String>,
    /// Chain link id, e.g. petrochemical.fine_chemicals.
    #[arg(long)]
    pub link: Option<String>,
    /// national, provincial, municipal, district, none.
    #[arg(long)]
    pub level: Option<String>,
    /// operating, under_construction, planned.
    #[arg(long)]
    pub status: Option<String>,
    /// local, partner.
    #[arg(long)]
    pub scope: Option<String>,
    /// Township code(s), e.g. 440902100.
    #[arg(long)]
    pub town: Option<String>,
    /// Location precision(s): surveyed, building, street, town, district, unknown (位置待定).
    #[arg(long)]
    pub precision: Option<String>,
    /// true: sites placed exactly; false: the worklist of sites to locate (unknown, district- or
    /// township-level), key enterprises and carrier platforms first.
    #[arg(long)]
    pub located: Option<String>,
    /// minLon,minLat,maxLon,maxLat (WGS84).
    #[arg(long, allow_hyphen_values = true)]
    pub bbox: Option<String>,
    /// Full-text search, Chinese or English (全文检索), e.g. 石化.
    #[arg(long)]
    pub q: Option<String>,
    /// At most this many sites.
    #[arg(long)]
    pub limit: Option<String>,
    /// Skip this many sites.
    #[arg(long)]
    pub offset: Option<String>,
    /// A CQL2 filter (cql2-text, or cql2-json starting with `{`), as `/ogc` and `/api/v1`
    /// take it, e.g. "chain = 'petrochemical' AND (town = '440902100' OR town = '440902103')".
    #[arg(long, allow_hyphen_values = true)]
    pub filter: Option<String>,
}

impl FilterArgs {
    /// The flags given, as `name=value` pairs in a fixed order.
    pub fn pairs(&self) -> Vec<(&'static str, &str)> {
        self.flags()
            .into_iter()
            .filter_map(|(k, v)| v.as_deref().map(|v| (k, v)))
            .collect()
    }

    fn flags(&self) -> [(&'static str, &Option<String>); 15] {
        [
            ("category", &self.category),
            ("kind", &self.kind),
            ("chain", &self.chain),
            ("link", &self.link),
            ("level", &self.level),
            ("status", &self.status),
            ("scope", &self.scope),
            ("town", &self.town),
            ("precision", &self.precision),
            ("located", &self.located),
            ("filter", &self.filter),
            ("bbox", &self.bbox),
            ("q", &self.q),
            ("limit", &self.limit),
            ("offset", &self.offset),
        ]
    }

    /// Builds the shared `SiteFilter`, with the same parsing and messages as the API.
    pub fn to_filter(&self) -> Result<SiteFilter> {
        let mut f = SiteFilter::default();
        for (k, v) in self.pairs() {
            f.apply(k, v)
                .map_err(|e| anyhow::anyhow!("--{}: {}", e.param, e.message))?;
        }
        Ok(f)
    }
}

/// CRS of an input file.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum CrsArg {
    /// WGS84 (GPS, OpenStreetMap).
    Wgs84,
    /// CGCS2000 (Tianditu); the same as WGS84 at map scale.
    Cgcs2000,
    /// GCJ-02 (Amap/高德, Tencent).
    Gcj02,
    /// BD-09 (Baidu/百度).
    Bd09,
}

impl From<CrsArg> for atlas_core::Crs {
    fn from(c: CrsArg) -> Self {
        match c {
            CrsArg::Wgs84 => atlas_core::Crs::Wgs84,
            CrsArg::Cgcs2000 => atlas_core::Crs::Cgcs2000,
            CrsArg::Gcj02 => atlas_core::Crs::Gcj02,
            CrsArg::Bd09 => atlas_core::Crs::Bd09,
        }
    }
}

/// Export formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    /// Excel workbook.
    Xlsx,
    /// CSV, UTF-8 with BOM.
    Csv,
    /// GeoJSON FeatureCollection (RFC 7946).
    Geojson,
    /// KML 2.2 (Google Earth).
    Kml,
    /// OGC GeoPackage (QGIS, ArcGIS): one file with the layer's CRS and a spatial index.
    Gpkg,
}

/// Header language of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LangArg {
    /// Chinese headers and labels.
    Zh,
    /// English keys and identifiers.
    En,
}

/// Formats of a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormatArg {
    /// Excel workbook: summary, one sheet per link, about.
    Xlsx,
    /// The summary as CSV, UTF-8 with BOM.
    Csv,
}
