//! The closed vocabularies of Annex 1: category, kind, level, status, scope, location precision.
//!
//! Every value has a stable identifier (used in the API, files and the database) and a Chinese and
//! English label. Parsing accepts any of the three, so a spreadsheet written with Chinese labels
//! imports as well as one written with identifiers.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A value that cannot be parsed: says what was given and which values are allowed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} '{given}'; allowed: {allowed}")]
pub struct UnknownValue {
    /// Which vocabulary (e.g. `category`).
    pub what: &'static str,
    /// The value given.
    pub given: String,
    /// The allowed identifiers, comma separated.
    pub allowed: String,
}

/// A vocabulary value with an identifier and Chinese and English labels.
pub trait Labelled: Sized + Copy + 'static {
    /// Name of the vocabulary (`category`, `kind`, …).
    const WHAT: &'static str;
    /// Every value, in display order.
    const ALL: &'static [Self];
    /// The stable identifier.
    fn id(self) -> &'static str;
    /// The Chinese label.
    fn zh(self) -> &'static str;
    /// The English label.
    fn en(self) -> &'static str;

    /// The value whose identifier is exactly `s` (what the store writes), without the label
    /// search of [`Labelled::parse_label`]. (The vocabularies of this module implement it as a
    /// `match`.)
    fn from_id(s: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|v| v.id() == s)
    }

    /// Parses an identifier, a Chinese label or an English label (case-insensitive, trimmed).
    fn parse_label(s: &str) -> Result<Self, UnknownValue> {
        if let Some(v) = Self::from_id(s) {
            return Ok(v);
        }
        let t = s.trim();
        Self::ALL
            .iter()
            .copied()
            .find(|v| {
                v.id().eq_ignore_ascii_case(t) || v.zh() == t || v.en().eq_ignore_ascii_case(t)
            })
            .ok_or_else(|| UnknownValue {
                what: Self::WHAT,
                given: s.to_string(),
                allowed: Self::ALL
                    .iter()
                    .map(|v| v.id())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }
}

macro_rules! vocabulary {
    (
        $(#[$meta:meta])*
        $name:ident, $what:literal {
            $( $(#[$vmeta:meta])* $variant:ident => ($id:literal, $zh:literal, $en:literal) ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $( $(#[$vmeta])* $variant ),+ }

        impl Labelled for $name {
            const WHAT: &'static str = $what;
            const ALL: &'static [Self] = &[ $( Self::$variant ),+ ];
            fn id(self) -> &'static str { match self { $( Self::$variant => $id ),+ } }
            fn zh(self) -> &'static str { match self { $( Self::$variant => $zh ),+ } }
            fn en(self) -> &'static str { match self { $( Self::$variant => $en ),+ } }
            fn from_id(s: &str) -> Option<Self> {
                match s { $( $id => Some(Self::$variant), )+ _ => None }
            }
        }

        impl $name {
            /// The stable identifier.
            pub fn as_str(self) -> &'static str { Labelled::id(self) }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { f.write_str(self.as_str()) }
        }

        impl FromStr for $name {
            type Err = UnknownValue;
            fn from_str(s: &str) -> Result<Self, Self::Err> { <Self as Labelled>::parse_label(s) }
        }

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

vocabulary! {
    /// The three kinds of site in Annex 1.
    Category, "category" {
        InnovationResource => ("innovation_resource", "创新资源", "Innovation resource"),
        CarrierPlatform => ("carrier_platform", "载体平台", "Carrier platform"),
        KeyEnterprise => ("key_enterprise", "重点企业", "Key enterprise"),
    }
}

vocabulary! {
    /// What a site is, within its category.
    Kind, "kind" {
        University => ("university", "大学", "University"),
        College => ("college", "高等专科学校", "College"),
        VocationalCollege => ("vocational_college", "职业技术学院", "Vocational college"),
        ResearchInstitute => ("research_institute", "科研院所", "Research institute"),
        EngineeringCenter => ("engineering_center", "工程技术研究中心", "Engineering technology research centre"),
        Laboratory => ("laboratory", "实验室", "Laboratory"),
        NewRndInstitution => ("new_rnd_institution", "新型研发机构", "New R&D institution"),
        ResearchTeam => ("research_team", "创新团队", "Research team"),
        IndustryCollege => ("industry_college", "产业学院", "Industry college"),
        Hospital => ("hospital", "医院", "Hospital"),
        Incubator => ("incubator", "孵化器", "Incubator"),
        MakerSpace => ("maker_space", "众创空间", "Maker space"),
        Accelerator => ("accelerator", "加速器", "Accelerator"),
        IndustrialPark => ("industrial_park", "产业园区", "Industrial park"),
        SciencePark => ("science_park", "科技园", "Science park"),
        PilotBase => ("pilot_base", "中试基地", "Pilot-scale base"),
        EcommercePark => ("ecommerce_park", "电子商务园", "E-commerce park"),
        CommissionerStation => ("commissioner_station", "科技特派员工作站", "S&T commissioner workstation"),
        IndustrialCluster => ("industrial_cluster", "产业集聚区", "Industrial cluster zone"),
        IndustrialBase => ("industrial_base", "产业基地", "Industry base"),
        TrainingPlatform => ("training_platform", "培训平台", "Training platform"),
        DataCenter => ("data_center", "数据中心", "Data centre"),
        OnlinePlatform => ("online_platform", "网络平台", "Online platform"),
        AgriculturalZone => ("agricultural_zone", "农业园区", "Agricultural zone"),
        HighTechEnterprise => ("high_tech_enterprise", "高新技术企业", "High-tech enterprise"),
        TechSme => ("tech_sme", "科技型中小企业", "S&T SME"),
        LeadingEnterprise => ("leading_enterprise", "龙头企业", "Leading enterprise"),
        Enterprise => ("enterprise", "企业", "Enterprise"),
    }
}

impl Kind {
    /// The category a kind belongs to; a site's kind must agree with its category.
    pub fn category(self) -> Category {
        use Kind::*;
        match self {
            University | College | VocationalCollege | ResearchInstitute | EngineeringCenter
            | Laboratory | NewRndInstitution | ResearchTeam | IndustryCollege | Hospital => {
                Category::InnovationResource
            }
            Incubator | MakerSpace | Accelerator | IndustrialPark | SciencePark | PilotBase
            | EcommercePark | CommissionerStation | IndustrialCluster | IndustrialBase
            | TrainingPlatform | DataCenter | OnlinePlatform | AgriculturalZone => {
                Category::CarrierPlatform
            }
            HighTechEnterprise | TechSme | LeadingEnterprise | Enterprise => {
                Category::KeyEnterprise
            }
        }
    }
}

vocabulary! {
    /// The level at which a site is recognised (国家级, 省级, …).
    Level, "level" {
        National => ("national", "国家级", "National"),
        Provincial => ("provincial", "省级", "Provincial"),
        Municipal => ("municipal", "市级", "Municipal"),
        District => ("district", "区级", "District"),
        None => ("none", "无", "None"),
    }
}

vocabulary! {
    /// Whether a site exists yet: the plan names facilities still to be built.
    Status, "status" {
        Operating => ("operating", "运营中", "Operating"),
        UnderConstruction => ("under_construction", "在建", "Under construction"),
        Planned => ("planned", "规划中", "Planned"),
    }
}

vocabulary! {
    /// Local site, or a partner institution outside the district that the plan names.
    Scope, "scope" {
        Local => ("local", "区内", "Local"),
        Partner => ("partner", "区外合作单位", "External partner"),
    }
}

vocabulary! {
    /// How exactly a site's coordinate is known. `town` and `district` are approximate (a
    /// township seat; district-level data); `unknown` means the site has no location at all.
    LocationPrecision, "location_precision" {
        Surveyed => ("surveyed", "实测", "Surveyed"),
        Building => ("building", "建筑级", "Building"),
        Street => ("street", "街道级", "Street"),
        Town => ("town", "镇街级（近似）", "Township (approximate)"),
        District => ("district", "区级（近似）", "District (approximate)"),
        Unknown => ("unknown", "位置待定", "Unknown (no location)"),
    }
}

impl LocationPrecision {
    /// True when the point stands for an area, not the site's own place.
    pub fn is_approximate(self) -> bool {
        matches!(self, Self::Town | Self::District)
    }

    /// True when the site has a geometry (every precision but `unknown`).
    pub fn is_located(self) -> bool {
        self != Self::Unknown
    }

    /// True when the site is on the editors' worklist of places to find (`located=false`):
    /// unknown, district-level or township-level.
    pub fn needs_locating(self) -> bool {
        matches!(self, Self::Unknown | Self::Town | Self::District)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_parses_from_its_id_and_both_labels() {
        for k in Kind::ALL {
            assert_eq!(Kind::parse_label(k.id()), Ok(*k));
            assert_eq!(Kind::parse_label(k.zh()), Ok(*k));
            assert_eq!(Kind::parse_label(k.en()), Ok(*k));
        }
        for c in Category::ALL {
            assert_eq!(c.zh().parse::<Category>(), Ok(*c));
        }
    }

    #[test]
    fn unknown_value_names_the_allowed_list() {
        let e = "factory".parse::<Category>().unwrap_err();
        assert!(e
            .to_string()
            .contains("innovation_resource, carrier_platform, key_enterprise"));
        assert!(e.to_string().contains("'factory'"));
    }

    #[test]
    fn labels_are_unique_within_a_vocabulary() {
        let mut seen = std::collections::HashSet::new();
        for k in Kind::ALL {
            assert!(seen.insert(k.zh()), "duplicate zh label {}", k.zh());
        }
    }
}
