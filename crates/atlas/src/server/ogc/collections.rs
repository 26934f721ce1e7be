//! The feature collections of `/ogc`: all sites, and one per category.

use crate::server::error::ApiError;
use atlas_core::{Category, Labelled};

/// A feature collection: all sites, or the sites of one category.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coll {
    /// `sites`.
    All,
    /// One category; its id is the category's.
    Category(Category),
}

impl Coll {
    /// Every collection, in listing order.
    pub const ALL: [Coll; 4] = [
        Coll::All,
        Coll::Category(Category::InnovationResource),
        Coll::Category(Category::CarrierPlatform),
        Coll::Category(Category::KeyEnterprise),
    ];

    /// The collection id.
    pub fn id(self) -> &'static str {
        match self {
            Coll::All => "sites",
            Coll::Category(c) => c.id(),
        }
    }

    /// Looks an id up.
    pub fn parse(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.id() == id)
    }

    pub(super) fn title_zh(self) -> &'static str {
        match self {
            Coll::All => "创新资源布局图（全部点位）",
            Coll::Category(c) => c.zh(),
        }
    }

    pub(super) fn title_en(self) -> &'static str {
        match self {
            Coll::All => "Innovation Atlas: all sites",
            Coll::Category(c) => c.en(),
        }
    }

    pub(super) fn description(self) -> String {
        let what = match self {
            Coll::All => "All sites of the catalogue: innovation resources, carrier platforms and key enterprises".to_string(),
            Coll::Category(c) => format!("Sites of the category {} / {}", c.zh(), c.en()),
        };
        format!(
            "{what} of Annex 1 (创新资源布局图) of the Maonan District S&T Innovation 14th Five-Year \
             Plan, with their industry chains. WGS84 (CRS84) points, or polygons for areas; \
             `approximate` is true where the point stands for a township seat or the district."
        )
    }

    /// True when a site of category `c` belongs to this collection.
    pub fn holds(self, c: Category) -> bool {
        match self {
            Coll::All => true,
            Coll::Category(own) => own == c,
        }
    }

    /// Its place in [`crate::server::cache::Extents`]: 0 for all sites, then the categories.
    pub(super) fn extent_index(self) -> usize {
        match self {
            Coll::All => 0,
            Coll::Category(c) => 1 + Category::ALL.iter().position(|x| *x == c).unwrap_or(0),
        }
    }

    pub(super) fn from_path(id: &str) -> Result<Self, ApiError> {
        Self::parse(id).ok_or_else(|| {
            ApiError::NotFound(format!(
                "no collection '{id}'; collections: {}",
                Self::ALL.map(Coll::id).join(", ")
            ))
        })
    }
}
