//! # atlas-core: the domain of Innovation Atlas (创新资源布局图)
//!
//! Models Annex 1 of the Maonan District S&T Innovation 14th Five-Year Plan: sites in three
//! categories placed on seven industry chains, with honest coordinates. No SQL, no HTTP, no async,
//! no file system: callers hand in bytes and writers.
//!
//! Main types:
//! - [`Site`] and its parts: [`SiteId`], [`Category`], [`Kind`], [`Level`], [`Status`], [`Scope`],
//!   [`LocationPrecision`], [`Location`], [`SiteGeometry`], [`ChainRef`].
//! - Coordinates: [`Lon`], [`Lat`], [`Position`], [`BBox`]; [`Crs`] converts GCJ-02 and BD-09 to WGS84.
//! - Reference data: [`ChainCatalog`] (chains and links), [`Division`] (townships), [`District`]
//!   (boundary, fallback point), [`Indicator`] (plan targets); [`dataset`] embeds the defaults.
//! - [`SiteFilter`]: the one filter shared by the store, the API, exports and the map.
//! - [`record`]: a site as a flat row (validation on the way in, labels on the way out);
//!   [`Column`] names every column and property once.
//! - [`import`]: CSV/XLSX/GeoJSON reading with row-level reports; [`export`]: XLSX, CSV, GeoJSON,
//!   KML writers that stream one site at a time.
//! - [`analysis`]: gap analysis of a chain (missing / weak / present links, who serves each);
//!   [`matching`]: ranking carrier platforms for an investor (智慧选址); [`report`]: the chain
//!   report and progress-board workbooks and CSVs.
//! - [`edit`]: a site from a GeoJSON Feature, a partial Feature merged onto a site (the write
//!   API), both validated by the import's rules; [`freshness`]: how old a record's verification is.

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
mod vocab;

pub use columns::{Column, HeaderLang};
pub use coord::{BBox, CoordError, Lat, Lon, Position};
pub use crs::Crs;
pub use export::{ExportError, ExportFormat, ExportMeta, SiteWriter};
pub use filter::{FilterError, SiteFilter};
pub use ids::{ChainId, InvalidId, LinkId, SiteId, TownCode};
pub use import::{FileFormat, ImportError, ParsedFile};
pub use record::{Context, RawRow, RowError};
pub use reference::{Chain, ChainCatalog, DataError, District, Division, Indicator, Link, Measure};
pub use site::{
    Area, ChainRef, GeometryError, InvalidArea, Location, OriginalCoordinate, Site, SiteGeometry,
};
pub use vocab::{Category, Kind, Labelled, Level, LocationPrecision, Scope, Status, UnknownValue};
