//! The default Maonan dataset, embedded in the binary so `atlas` works from any directory.
//! The files live in `data/` at the workspace root; `data/README.md` says where each came from.

use crate::places::{maonan_villages, Gazetteer};
use crate::reference::{
    parse_divisions, parse_indicators, ChainCatalog, DataError, District, Division, Indicator,
};

/// `data/sites.csv`: every site the plan names.
pub const SITES_CSV: &str = include_str!("../../../data/sites.csv");
/// `data/chains.csv`: the seven chains and their links.
pub const CHAINS_CSV: &str = include_str!("../../../data/chains.csv");
/// `data/divisions.csv`: the 17 townships with seats where known.
pub const DIVISIONS_CSV: &str = include_str!("../../../data/divisions.csv");
/// `data/indicators.csv`: the plan's indicators.
pub const INDICATORS_CSV: &str = include_str!("../../../data/indicators.csv");
/// `data/boundary.geojson`: the district boundary (WGS84).
pub const BOUNDARY_GEOJSON: &str = include_str!("../../../data/boundary.geojson");
/// `data/maoming-context.geojson`: the county-level units of Maoming, for map context.
pub const CONTEXT_GEOJSON: &str = include_str!("../../../data/maoming-context.geojson");

/// The reference data of the default dataset, parsed.
#[derive(Debug, Clone)]
pub struct Reference {
    /// Chains and links.
    pub chains: ChainCatalog,
    /// Townships.
    pub divisions: Vec<Division>,
    /// District boundary.
    pub district: District,
    /// Plan indicators.
    pub indicators: Vec<Indicator>,
    /// Township and village names, for placing addresses.
    pub places: Gazetteer,
}

impl Reference {
    /// Parses the embedded files.
    pub fn embedded() -> Result<Self, DataError> {
        let divisions = parse_divisions(DIVISIONS_CSV)?;
        let places = Gazetteer::new(&divisions, &maonan_villages()?);
        Ok(Self {
            chains: ChainCatalog::parse_csv(CHAINS_CSV)?,
            divisions,
            district: District::from_geojson(BOUNDARY_GEOJSON)?,
            indicators: parse_indicators(INDICATORS_CSV)?,
            places,
        })
    }

    /// A validation context for today.
    pub fn context(&self, today: chrono::NaiveDate) -> crate::record::Context<'_> {
        crate::record::Context {
            chains: &self.chains,
            divisions: &self.divisions,
            district: &self.district,
            places: &self.places,
            today,
            crs: crate::crs::Crs::Wgs84,
        }
    }
}
