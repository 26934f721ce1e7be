//! # atlas-core: the domain of Innovation Atlas (创新资源布局图)
//!
//! Models Annex 1 of the Maonan District S&T Innovation 14th Five-Year Plan: sites in three
//! categories placed on seven industry chains, with honest coordinates. No SQL, no HTTP, no async,
//! no file system (the XLSX writer's temporary file excepted): callers hand in bytes and writers.
//!
//! # Map of the crate
//! - **A site**: [`Site`] and its parts, all at the crate root: [`SiteId`], the vocabularies
//!   [`Category`], [`Kind`], [`Level`], [`Status`], [`Scope`] and [`LocationPrecision`] (each
//!   [`Labelled`]: id, Chinese and English label), [`Location`] with its [`SiteGeometry`] and
//!   [`OriginalCoordinate`], [`ChainRef`], [`Area`].
//! - **Coordinates**: [`Lon`], [`Lat`], [`Position`], [`BBox`]; [`Crs`] converts GCJ-02 and
//!   BD-09 to WGS84 ([`crs`] holds the formulas).
//! - **Reference data**: [`ChainCatalog`] (chains and links), [`Division`] (townships),
//!   [`District`] (boundary, representative point), [`Indicator`] (plan targets), in
//!   [`reference`](mod@reference); [`dataset`] embeds the default Maonan files; [`places`]
//!   places an address at township level (a gazetteer of townships and their villages).
//! - **Filtering**: [`SiteFilter`] in [`filter`], the one filter shared by the store, the API,
//!   exports and the map; [`SiteFilter::matches`] evaluates it in memory.
//! - **A site as a row**: [`record`]; `site_from_row` applies every validation rule in named
//!   steps (identity, vocabularies, chains, town, location, figures, source, dates), `cell`
//!   writes what exports show; [`Column`] names every column and property once.
//! - **Reading files**: [`import`] (CSV in any common encoding, XLSX, GeoJSON) with row-level
//!   reports ([`ParsedFile`], [`RowError`]).
//! - **Writing files**: [`export`] (XLSX, CSV, GeoJSON, KML), streaming one site at a time.
//! - **Vector tiles**: [`tiles`] (Web Mercator tiles, exact clusters per cell, MVT encoding,
//!   TileJSON).
//! - **Editing**: [`edit`] turns a GeoJSON Feature into a site, or merges a partial Feature onto
//!   one (the write API), with the import's rules.
//! - **Analyses**: [`analysis`] (missing / weak / present links of a chain and who serves each),
//!   [`matching`] (carrier platforms for an investor, 智慧选址), [`report`] (chain report and
//!   progress-board workbooks and CSVs), [`freshness`] (how old a record's verification is).
//! - **Time**: [`clock::Clock`], the one clock ("today" is the date in China); a fixed clock
//!   makes output reproducible.
//!
//! # Reading sites
//! [`import::parse_sites`] reads a file's bytes and checks every row against a
//! [`Context`] (chains, townships, district and today's date); good rows become sites, bad rows
//! become errors naming line, column and reason.
//! ```
//! use atlas_core::dataset::Reference;
//! use atlas_core::import::{parse_sites, FileFormat};
//! use atlas_core::{Category, LocationPrecision};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let reference = Reference::embedded()?;
//! let ctx = reference.context(chrono::NaiveDate::from_ymd_opt(2026, 12, 1).ok_or("date")?);
//! let csv = "id,name_zh,category,kind,lon,lat,location_precision,source\n\
//!            lab-1,示例实验室,innovation_resource,laboratory,110.92,21.66,building,plan p. 2\n\
//!            ,无编号,innovation_resource,laboratory,,,,plan p. 3\n";
//! let parsed = parse_sites(csv.as_bytes(), FileFormat::Csv, &ctx, None)?;
//! assert_eq!(parsed.rows, 2);
//! let (line, site) = &parsed.sites[0];
//! assert_eq!((*line, site.id.as_str()), (2, "lab-1"));
//! assert_eq!(site.category, Category::InnovationResource);
//! assert_eq!(site.location.precision, LocationPrecision::Building);
//! // The second row has no id: it is reported, not imported.
//! assert_eq!(parsed.errors[0].line, 3);
//! assert_eq!(parsed.errors[0].column.as_deref(), Some("id"));
//! # Ok(())
//! # }
//! ```
//!
//! # Filtering
//! A [`SiteFilter`] is parsed from the query string the API and the map use; the store turns it
//! into SQL, and [`SiteFilter::matches`] gives the same answer in memory.
//! ```
//! use atlas_core::dataset::{Reference, SITES_CSV};
//! use atlas_core::import::{parse_sites, FileFormat};
//! use atlas_core::{Category, SiteFilter};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let reference = Reference::embedded()?;
//! let ctx = reference.context(chrono::NaiveDate::from_ymd_opt(2026, 12, 1).ok_or("date")?);
//! let sites = parse_sites(SITES_CSV.as_bytes(), FileFormat::Csv, &ctx, None)?.sites;
//!
//! let filter = SiteFilter::parse_query("category=carrier_platform&chain=petrochemical")?;
//! assert_eq!(filter.category, [Category::CarrierPlatform]);
//! let hits: Vec<_> = sites.iter().map(|(_, s)| s).filter(|s| filter.matches(s)).collect();
//! assert!(!hits.is_empty());
//! assert!(hits.iter().all(|s| s.category == Category::CarrierPlatform));
//! assert!(SiteFilter::parse_query("category=castle").is_err());
//! # Ok(())
//! # }
//! ```
//!
//! # Writing an export
//! [`export::export_sites`] streams sites into any [`ExportFormat`]; [`ExportMeta`] records the
//! title, the filter and the time where the format has room for them. A CSV export reads back
//! as the same sites.
//! ```
//! use atlas_core::dataset::{Reference, SITES_CSV};
//! use atlas_core::export::{export_sites, ExportMeta};
//! use atlas_core::import::{parse_sites, FileFormat};
//! use atlas_core::{ExportFormat, HeaderLang, SiteFilter};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let reference = Reference::embedded()?;
//! let ctx = reference.context(chrono::NaiveDate::from_ymd_opt(2026, 12, 1).ok_or("date")?);
//! let sites = parse_sites(SITES_CSV.as_bytes(), FileFormat::Csv, &ctx, None)?.sites;
//!
//! let at = chrono::DateTime::parse_from_rfc3339("2026-12-01T10:30:00+08:00")?;
//! let meta = ExportMeta::new("全部站点", &SiteFilter::default(), at, "example");
//! let rows = sites.iter().map(|(_, s)| Ok::<_, std::convert::Infallible>(s));
//! let mut csv = Vec::new();
//! let n = export_sites(ExportFormat::Csv, &mut csv, rows, &ctx, HeaderLang::En, &meta)?;
//! assert_eq!(n as usize, sites.len());
//! assert!(csv.starts_with("\u{feff}id,name_zh,".as_bytes()));
//!
//! let again = parse_sites(&csv, FileFormat::Csv, &ctx, None)?;
//! assert!(again.errors.is_empty());
//! assert!(again.sites.iter().zip(&sites).all(|((_, a), (_, b))| a == b));
//! # Ok(())
//! # }
//! ```

pub mod analysis;
pub mod clock;
mod columns;
mod coord;
pub mod crs;
pub mod dataset;
pub mod edit;
pub mod export;
pub mod filter;
pub mod freshness;
mod ids;
pub mod import;
pub mod matching;
pub mod places;
pub mod record;
pub mod reference;
pub mod report;
mod site;
pub mod tiles;
mod vocab;

pub use columns::{Column, HeaderLang, ValueType};
pub use coord::{BBox, CoordError, Lat, Lon, Position};
pub use crs::Crs;
pub use export::{ExportError, ExportFormat, ExportMeta, SiteWriter};
pub use filter::{FilterError, SiteFilter};
pub use ids::{ChainId, InvalidId, LinkId, SiteId, TownCode};
pub use import::{FileFormat, ImportError, ParsedFile};
pub use record::{Context, RawRow, RowError, RowNote};
pub use reference::{Chain, ChainCatalog, DataError, District, Division, Indicator, Link, Measure};
pub use site::{
    Area, ChainRef, GeometryError, InvalidArea, Location, OriginalCoordinate, Site, SiteGeometry,
};
pub use vocab::{Category, Kind, Labelled, Level, LocationPrecision, Scope, Status, UnknownValue};
