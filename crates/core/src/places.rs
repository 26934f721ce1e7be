//! Placing an address at township level, offline.
//!
//! Staff spreadsheets usually carry an address (茂南区金塘镇塘桥村…, 公馆镇…, 官渡街道…) and no
//! coordinates. A [`Gazetteer`] knows the district's townships (镇/街道) and the village-level
//! units under each (村委会, 社区居委会; NBS 2023 statistical codes, `data/villages.csv`) and
//! answers, for an address, which township it names:
//!
//! - an address naming a township by its full name (金塘镇, 官渡街道) is in that township;
//! - otherwise, an address naming a village or community (塘桥村, 建设社区) that exists under
//!   exactly one township is in that township;
//! - an address naming places in two townships, or a village name used in two townships, is
//!   [`Placement::Ambiguous`]; an address that names another county of Maoming (电白, 高州, …)
//!   is [`Placement::Elsewhere`]; nothing else is guessed. No road-level geocoding is done.
//!
//! ```
//! use atlas_core::places::{Gazetteer, Placement};
//! use atlas_core::dataset::Reference;
//! let reference = Reference::embedded().unwrap();
//! let places = Gazetteer::new(&reference.divisions, &atlas_core::places::maonan_villages().unwrap());
//! match places.place("广东省茂名市茂南区塘桥村委会旁") {
//!     Placement::Town { code, by } => {
//!         assert_eq!(code.as_str(), "440902100"); // 金塘镇
//!         assert_eq!(by, "塘桥村");
//!     }
//!     other => panic!("{other:?}"),
//! }
//! ```

use crate::ids::TownCode;
use crate::reference::{DataError, Division};
use serde::Serialize;

/// The village-level units of Maonan (`data/villages.csv`).
pub const VILLAGES_CSV: &str = include_str!("../../../data/villages.csv");

/// Other county-level units of Maoming: an address naming one is not in Maonan.
const ELSEWHERE: [&str; 5] = ["电白", "高州", "化州", "信宜", "茂港"];

/// A village-level unit (村委会, 社区居委会) and the township it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Village {
    /// 12-digit NBS statistical code.
    pub code: String,
    /// The name as NBS writes it (塘桥村委会, 建设社区居民委员会).
    pub name_zh: String,
    /// The township (its code's first 9 digits).
    pub town: TownCode,
}

impl Village {
    /// The names an address uses for this unit: 塘桥村委会 → 塘桥村委会, 塘桥村;
    /// 建设社区居民委员会 → 建设社区; 低埒居委会 → 低埒居委会, 低埒社区.
    pub fn aliases(&self) -> Vec<String> {
        let n = self.name_zh.as_str();
        let mut out = vec![n.to_string()];
        let stem_with = |suffix: &str, forms: &[&str]| -> Option<Vec<String>> {
            let stem = n.strip_suffix(suffix)?;
            (!stem.is_empty()).then(|| forms.iter().map(|f| format!("{stem}{f}")).collect())
        };
        let more = stem_with("社区居民委员会", &["社区"])
            .or_else(|| stem_with("社区居委会", &["社区"]))
            .or_else(|| stem_with("村民委员会", &["村"]))
            .or_else(|| stem_with("村委会", &["村"]))
            .or_else(|| stem_with("居民委员会", &["社区", "居委会"]))
            .or_else(|| stem_with("居委会", &["社区"]))
            .unwrap_or_default();
        out.extend(more);
        out.sort();
        out.dedup();
        out
    }
}

/// Reads `villages.csv` (`code,name_zh,town_code`).
pub fn parse_villages(text: &str) -> Result<Vec<Village>, DataError> {
    const F: &str = "villages.csv";
    let mut rdr = csv::ReaderBuilder::new().from_reader(text.as_bytes());
    let mut out = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let line = i as u64 + 2;
        let bad = |message: String| DataError::Row {
            file: F,
            line,
            message,
        };
        let rec = rec.map_err(|e| bad(e.to_string()))?;
        let (code, name, town) = match (rec.get(0), rec.get(1), rec.get(2)) {
            (Some(c), Some(n), Some(t)) => (c.trim(), n.trim(), t.trim()),
            _ => return Err(bad("expected code,name_zh,town_code".into())),
        };
        let town = TownCode::new(town).map_err(|e| bad(e.to_string()))?;
        if code.len() != 12 || !code.starts_with(town.as_str()) || name.is_empty() {
            return Err(bad(format!(
                "'{code}' is not a 12-digit code under {town} with a name"
            )));
        }
        out.push(Village {
            code: code.to_string(),
            name_zh: name.to_string(),
            town,
        });
    }
    Ok(out)
}

/// The embedded village list of Maonan.
pub fn maonan_villages() -> Result<Vec<Village>, DataError> {
    parse_villages(VILLAGES_CSV)
}

/// Where an address places a site.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum Placement {
    /// In this township, found by the name `by` (a township or a village-level unit).
    Town {
        /// The township.
        code: TownCode,
        /// The name in the address that placed it.
        by: String,
    },
    /// The address names places in more than one township (or a village name that exists in
    /// several): nothing is placed.
    Ambiguous {
        /// The names found.
        names: Vec<String>,
        /// The townships they point to.
        towns: Vec<TownCode>,
    },
    /// The address names another county of Maoming: not in this district.
    Elsewhere {
        /// The county named.
        name: String,
    },
    /// No township or village of the district is named.
    NotFound,
}

/// Township and village names of one district, for [`Gazetteer::place`].
#[derive(Debug, Clone, Default)]
pub struct Gazetteer {
    /// Full township names (金塘镇, 官渡街道) and their codes.
    towns: Vec<(String, TownCode)>,
    /// Village-level names (塘桥村, 建设社区, …) and the township of each.
    villages: Vec<(String, TownCode)>,
}

impl Gazetteer {
    /// The townships `divisions` and the `villages` under them (villages of other townships
    /// are left out).
    pub fn new(divisions: &[Division], villages: &[Village]) -> Self {
        let towns = divisions
            .iter()
            .map(|d| (d.name_zh.clone(), d.code.clone()))
            .collect();
        let mut names: Vec<(String, TownCode)> = villages
            .iter()
            .filter(|v| divisions.iter().any(|d| d.code == v.town))
            .flat_map(|v| v.aliases().into_iter().map(|a| (a, v.town.clone())))
            .collect();
        names.sort();
        names.dedup();
        Self {
            towns,
            villages: names,
        }
    }

    /// The township `address` names (see the module documentation for the rules).
    pub fn place(&self, address: &str) -> Placement {
        let address = address.trim();
        if address.is_empty() {
            return Placement::NotFound;
        }
        if let Some(name) = ELSEWHERE.iter().find(|n| address.contains(*n)) {
            return Placement::Elsewhere {
                name: (*name).to_string(),
            };
        }
        let by_town = decide(found(&self.towns, address));
        if by_town != Placement::NotFound {
            return by_town;
        }
        decide(found(&self.villages, address))
    }
}

/// The entries of `names` that `address` contains, leaving out a name contained in a longer
/// name of another township that was found too (the longer name is what the address says).
fn found<'a>(names: &'a [(String, TownCode)], address: &str) -> Vec<&'a (String, TownCode)> {
    let hits: Vec<&(String, TownCode)> = names
        .iter()
        .filter(|(n, _)| address.contains(n.as_str()))
        .collect();
    hits.iter()
        .copied()
        .filter(|(n, t)| {
            !hits
                .iter()
                .any(|(m, u)| u != t && m.len() > n.len() && m.contains(n.as_str()))
        })
        .collect()
}

/// One township among the hits → placed; several → ambiguous; none → not found.
fn decide(hits: Vec<&(String, TownCode)>) -> Placement {
    let mut towns: Vec<TownCode> = hits.iter().map(|(_, t)| t.clone()).collect();
    towns.sort();
    towns.dedup();
    match towns.as_slice() {
        [] => Placement::NotFound,
        [one] => {
            // The shortest name that placed it reads best in a report (塘桥村, not 塘桥村委会).
            let by = hits
                .iter()
                .map(|(n, _)| n.as_str())
                .min_by_key(|n| n.chars().count())
                .unwrap_or_default()
                .to_string();
            Placement::Town {
                code: one.clone(),
                by,
            }
        }
        _ => {
            let mut names: Vec<String> = hits.iter().map(|(n, _)| n.clone()).collect();
            names.sort();
            names.dedup();
            Placement::Ambiguous { names, towns }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::Reference;

    fn maonan() -> Gazetteer {
        let r = Reference::embedded().expect("embedded reference");
        Gazetteer::new(&r.divisions, &maonan_villages().expect("villages"))
    }

    fn town(p: &Placement) -> Option<&str> {
        match p {
            Placement::Town { code, .. } => Some(code.as_str()),
            _ => None,
        }
    }

    #[test]
    fn the_embedded_villages_are_all_under_maonan_townships() {
        let v = maonan_villages().expect("villages");
        assert_eq!(v.len(), 239);
        let r = Reference::embedded().expect("embedded reference");
        assert!(v
            .iter()
            .all(|v| r.divisions.iter().any(|d| d.code == v.town)));
    }

    #[test]
    fn a_named_township_places_the_address_there() {
        let g = maonan();
        assert_eq!(
            town(&g.place("茂名市茂南区公馆镇中科云粤西产业园")),
            Some("440902101")
        );
        assert_eq!(town(&g.place("官渡街道官渡二路139号")), Some("440902006"));
        assert_eq!(town(&g.place("茂南区金塘镇塘桥村")), Some("440902100"));
    }

    #[test]
    fn a_village_under_one_township_places_it_and_says_by_which_name() {
        let g = maonan();
        let p = g.place("茂南区塘桥村委会对面");
        assert_eq!(
            p,
            Placement::Town {
                code: TownCode::new("440902100").expect("code"),
                by: "塘桥村".into()
            }
        );
    }

    #[test]
    fn two_townships_or_a_shared_village_name_place_nothing() {
        let g = maonan();
        assert!(matches!(
            g.place("金塘镇与公馆镇交界"),
            Placement::Ambiguous { .. }
        ));
        // 新城 is a village-level name under two townships.
        let shared: Vec<&(String, TownCode)> = g
            .villages
            .iter()
            .filter(|(n, _)| n.starts_with("新城"))
            .collect();
        let mut towns: Vec<&TownCode> = shared.iter().map(|(_, t)| t).collect();
        towns.dedup();
        if towns.len() > 1 {
            let name = &shared[0].0;
            assert!(
                matches!(g.place(name), Placement::Ambiguous { .. }),
                "{name}"
            );
        }
    }

    #[test]
    fn other_counties_and_unknown_places_are_not_guessed() {
        let g = maonan();
        assert!(matches!(
            g.place("茂名市电白区沙院镇海城路五路1号"),
            Placement::Elsewhere { .. }
        ));
        assert_eq!(g.place("西城片区"), Placement::NotFound);
        assert_eq!(g.place(""), Placement::NotFound);
        assert_eq!(g.place("北京市海淀区"), Placement::NotFound);
    }
}
