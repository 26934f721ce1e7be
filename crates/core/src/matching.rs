//! Site matching (智慧选址): carrier platforms for an investor in a chain or link, with room to
//! spare, near a point or in given townships, ranked.
//!
//! - **Candidates**: carrier platforms ([`Category::CarrierPlatform`]) in the given townships
//!   (when any) and within `radius_km` of `near` (when given; great-circle distance from
//!   `geo`'s [`Haversine`] between `near` and the site's marker).
//! - **Area**: a platform whose `available_area_m2` is known and at least `min_area_m2` is
//!   [`AreaFit::Enough`] (with no `min_area_m2`, any known figure is enough); one whose figure is
//!   unknown is kept as [`AreaFit::Unknown`] — never treated as zero — and listed after every
//!   platform with a known figure; one whose known figure is below `min_area_m2` is left out.
//! - **Fit** ([`Fit`]): on the requested link, else on the requested chain (chain-wide or another
//!   link of it), else on no chain at all (`general`: a multi-purpose platform), else on other
//!   chains only. With no chain or link requested every platform is `general`.
//! - **Order** ([`MatchQuery::rank`]): area enough before unknown, then fit, then distance
//!   (nearest first, when `near` is given), then available area (largest first), then Chinese
//!   name, then id.

use crate::coord::{BBox, Position};
use crate::filter::{FilterError, SiteFilter};
use crate::ids::{ChainId, LinkId};
use crate::site::Site;
use crate::vocab::Category;
use geo::{Destination, Distance, Haversine};
use serde::Serialize;
use std::cmp::Ordering;

/// How well a platform's chains fit the investor's chain and link (best first).
/// Serialised as [`Fit::as_str`] gives it (lowercase).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Fit {
    /// On the requested link.
    Link,
    /// On the requested chain: chain-wide or another of its links.
    Chain,
    /// On no chain: a general-purpose platform (or no chain was requested).
    General,
    /// On other chains only.
    Other,
}

impl Fit {
    /// `link`, `chain`, `general`, `other`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Link => "link",
            Self::Chain => "chain",
            Self::General => "general",
            Self::Other => "other",
        }
    }

    /// Chinese label.
    pub fn zh(self) -> &'static str {
        match self {
            Self::Link => "同环节",
            Self::Chain => "同产业链",
            Self::General => "通用载体",
            Self::Other => "其他产业链",
        }
    }
}

/// Whether a platform's available area is known to be enough.
/// Serialised as [`AreaFit::as_str`] gives it (lowercase).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AreaFit {
    /// Known and at least the minimum.
    Enough,
    /// Not known (listed after every known figure; never taken as zero).
    Unknown,
}

impl AreaFit {
    /// `enough` or `unknown`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Enough => "enough",
            Self::Unknown => "unknown",
        }
    }
}

/// How one platform matches.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MatchInfo {
    /// Chain fit.
    pub fit: Fit,
    /// Area known and enough, or unknown.
    pub area: AreaFit,
    /// Great-circle distance from `near` to the site's marker, km (when `near` is given).
    pub distance_km: Option<f64>,
}

/// The great-circle (Haversine, mean Earth radius 6371.0088 km) distance between two positions,
/// in kilometres.
pub fn distance_km(a: Position, b: Position) -> f64 {
    Haversine.distance(a.to_point(), b.to_point()) / 1000.0
}

/// A box holding every point within `radius_km` of `center` (a superset: for a store's spatial
/// index to narrow the candidates before the exact distance decides). `None` when the circle
/// reaches a pole or the antimeridian, or is wider than 2000 km: then no box narrows anything.
pub fn search_bbox(center: Position, radius_km: f64) -> Option<BBox> {
    if !(radius_km.is_finite() && radius_km > 0.0 && radius_km <= 2000.0) {
        return None;
    }
    // The circle's outline sampled every 5°, 5 % further out than the radius: the outline
    // between two samples bulges by less than 0.1 % of the radius.
    let meters = radius_km * 1000.0 * 1.05;
    let c = center.to_point();
    let (mut min_lon, mut min_lat, mut max_lon, mut max_lat) = (c.x(), c.y(), c.x(), c.y());
    for step in 0..72 {
        let p = Haversine.destination(c, f64::from(step) * 5.0, meters);
        let dlon = p.x() - c.x();
        if !(p.x().is_finite() && p.y().is_finite()) || dlon.abs() > 90.0 {
            return None;
        }
        min_lon = min_lon.min(p.x());
        max_lon = max_lon.max(p.x());
        min_lat = min_lat.min(p.y());
        max_lat = max_lat.max(p.y());
    }
    if max_lat >= 89.0 || min_lat <= -89.0 || min_lon < -180.0 || max_lon > 180.0 {
        return None;
    }
    BBox::new(min_lon, min_lat, max_lon, max_lat).ok()
}

/// The parameters of a match, parsed and validated one by one ([`MatchQuery::apply`]) and
/// together ([`MatchQuery::check`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MatchQuery {
    /// The investor's chain (the link's chain when only a link is given).
    pub chain: Option<ChainId>,
    /// The investor's link.
    pub link: Option<LinkId>,
    /// Space needed, m².
    pub min_area_m2: Option<f64>,
    /// Where to measure distances from.
    pub near: Option<Position>,
    /// Only platforms within this distance of `near`, km.
    pub radius_km: Option<f64>,
    /// Township filter (`town`) and page size (`limit`), parsed as the site filter parses them.
    pub filter: SiteFilter,
}

/// The parameter names [`MatchQuery::apply`] understands.
pub const MATCH_PARAMS: &[&str] = &[
    "chain",
    "link",
    "min_area_m2",
    "near",
    "radius_km",
    "town",
    "limit",
];

fn number(key: &str, value: &str, code: &'static str, rule: &str) -> Result<f64, FilterError> {
    value
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .ok_or_else(|| {
            FilterError::new(
                key,
                code,
                format!(
                    "{key} '{}' is not a number; {rule}",
                    value.chars().take(40).collect::<String>()
                ),
            )
        })
}

impl MatchQuery {
    /// Applies one `key=value` pair. `Ok(false)` for a key that is not a match parameter.
    /// Codes: `invalid_id` (chain, link, town), `invalid_parameter` (a list where one value
    /// is allowed), `invalid_area`, `invalid_near`, `invalid_radius`, `invalid_limit`.
    pub fn apply(&mut self, key: &str, value: &str) -> Result<bool, FilterError> {
        let one = |what: &str| -> Result<(), FilterError> {
            if value.contains([',', '，']) {
                Err(FilterError::new(
                    key,
                    "invalid_parameter",
                    format!("{key} takes one {what}, not a list"),
                ))
            } else {
                Ok(())
            }
        };
        match key {
            "chain" => {
                one("chain id")?;
                self.chain = match value.trim() {
                    "" => None,
                    v => Some(
                        ChainId::new(v)
                            .map_err(|e| FilterError::new(key, "invalid_id", e.to_string()))?,
                    ),
                };
            }
            "link" => {
                one("link id")?;
                self.link = match value.trim() {
                    "" => None,
                    v => Some(
                        LinkId::new(v)
                            .map_err(|e| FilterError::new(key, "invalid_id", e.to_string()))?,
                    ),
                };
            }
            "min_area_m2" => {
                let rule = "min_area_m2 is the space needed in square metres, 0 or more";
                self.min_area_m2 = match value.trim() {
                    "" => None,
                    v => {
                        let n = number(key, v, "invalid_area", rule)?;
                        if n < 0.0 {
                            return Err(FilterError::new(
                                key,
                                "invalid_area",
                                format!("min_area_m2 {n} is negative; {rule}"),
                            ));
                        }
                        Some(n)
                    }
                };
            }
            "near" => {
                let rule = "write near as lon,lat in WGS84 decimal degrees, e.g. 110.92,21.66";
                self.near = match value.trim() {
                    "" => None,
                    v => {
                        let parts: Vec<&str> = v.split(',').map(str::trim).collect();
                        let [lon, lat] = parts.as_slice() else {
                            return Err(FilterError::new(
                                key,
                                "invalid_near",
                                format!("near must be two numbers; {rule}"),
                            ));
                        };
                        let lon = number(key, lon, "invalid_near", rule)?;
                        let lat = number(key, lat, "invalid_near", rule)?;
                        Some(Position::new(lon, lat).map_err(|e| {
                            FilterError::new(key, "invalid_near", format!("near: {e}; {rule}"))
                        })?)
                    }
                };
            }
            "radius_km" => {
                let rule = "radius_km is a distance in kilometres above 0 and needs near=lon,lat";
                self.radius_km = match value.trim() {
                    "" => None,
                    v => {
                        let r = number(key, v, "invalid_radius", rule)?;
                        if r <= 0.0 {
                            return Err(FilterError::new(
                                key,
                                "invalid_radius",
                                format!("radius_km {r} must be above 0; {rule}"),
                            ));
                        }
                        Some(r)
                    }
                };
            }
            "town" | "limit" => return self.filter.apply(key, value),
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// Checks the parameters together: a radius needs a point (`radius_without_near`), a link
    /// must belong to the chain given with it (`invalid_parameter`). Fills `chain` from `link`.
    pub fn check(&mut self) -> Result<(), FilterError> {
        if self.radius_km.is_some() && self.near.is_none() {
            return Err(FilterError::new(
                "radius_km",
                "radius_without_near",
                "radius_km needs a point to measure from: add near=lon,lat",
            ));
        }
        if let Some(l) = &self.link {
            match &self.chain {
                Some(c) if *c != l.chain() => {
                    return Err(FilterError::new(
                        "link",
                        "invalid_parameter",
                        format!("link '{l}' is not a link of chain '{c}'"),
                    ))
                }
                Some(_) => {}
                None => self.chain = Some(l.chain()),
            }
        }
        Ok(())
    }

    /// The reference ids the query names (chain, link, towns), as a filter a store can check.
    pub fn reference_filter(&self) -> SiteFilter {
        SiteFilter {
            chain: self.chain.iter().cloned().collect(),
            link: self.link.iter().cloned().collect(),
            town: self.filter.town.clone(),
            ..SiteFilter::default()
        }
    }

    /// The store filter of the candidates: carrier platforms in the towns, within a box around
    /// the search circle (when there is one). A superset: [`MatchQuery::assess`] decides.
    pub fn candidate_filter(&self) -> SiteFilter {
        SiteFilter {
            category: vec![Category::CarrierPlatform],
            town: self.filter.town.clone(),
            bbox: match (self.near, self.radius_km) {
                (Some(p), Some(r)) => search_bbox(p, r),
                _ => None,
            },
            ..SiteFilter::default()
        }
    }

    /// The chain fit of a site.
    pub fn fit(&self, site: &Site) -> Fit {
        if let Some(l) = &self.link {
            if site.on_link(l) {
                return Fit::Link;
            }
        }
        match &self.chain {
            None => Fit::General,
            Some(c) if site.on_chain(c) => Fit::Chain,
            Some(_) if site.chains.is_empty() => Fit::General,
            Some(_) => Fit::Other,
        }
    }

    /// How `site` matches, or `None` when it is not a candidate: not a carrier platform, outside
    /// the townships or the radius, or with a known available area below the minimum.
    pub fn assess(&self, site: &Site) -> Option<MatchInfo> {
        if site.category != Category::CarrierPlatform {
            return None;
        }
        if !self.filter.town.is_empty()
            && !site
                .town_code
                .as_ref()
                .is_some_and(|t| self.filter.town.contains(t))
        {
            return None;
        }
        let distance_km = self
            .near
            .and_then(|p| site.marker().map(|m| distance_km(p, m)));
        if let (Some(_), Some(r)) = (self.near, self.radius_km) {
            // Within a radius: a site without location is not known to be within it.
            if distance_km.is_none_or(|d| d > r) {
                return None;
            }
        }
        let area = match site.available_area_m2 {
            None => AreaFit::Unknown,
            Some(a) if a.get() >= self.min_area_m2.unwrap_or(0.0) => AreaFit::Enough,
            Some(_) => return None,
        };
        Some(MatchInfo {
            fit: self.fit(site),
            area,
            distance_km,
        })
    }

    /// The candidates among `sites` with how each matches, in rank order (best first).
    pub fn rank(&self, sites: impl IntoIterator<Item = Site>) -> Vec<(Site, MatchInfo)> {
        let mut out: Vec<(Site, MatchInfo)> = sites
            .into_iter()
            .filter_map(|s| self.assess(&s).map(|m| (s, m)))
            .collect();
        out.sort_by(compare);
        out
    }
}

/// The ranking order (see the module documentation).
pub fn compare(a: &(Site, MatchInfo), b: &(Site, MatchInfo)) -> Ordering {
    let (sa, ma) = a;
    let (sb, mb) = b;
    let avail = |s: &Site| s.available_area_m2.map(|x| x.get());
    ma.area
        .cmp(&mb.area)
        .then(ma.fit.cmp(&mb.fit))
        .then_with(|| match (ma.distance_km, mb.distance_km) {
            (Some(x), Some(y)) => x.total_cmp(&y),
            _ => Ordering::Equal,
        })
        .then_with(|| match (avail(sa), avail(sb)) {
            (Some(x), Some(y)) => y.total_cmp(&x),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        })
        .then_with(|| sa.name_zh.cmp(&sb.name_zh))
        .then_with(|| sa.id.cmp(&sb.id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::TownCode;
    use crate::site::{Area, SiteGeometry};
    use crate::vocab::Kind;

    #[test]
    fn fits_serialise_as_their_ids() {
        for f in [Fit::Link, Fit::Chain, Fit::General, Fit::Other] {
            assert_eq!(serde_json::json!(f), serde_json::json!(f.as_str()));
        }
        for a in [AreaFit::Enough, AreaFit::Unknown] {
            assert_eq!(serde_json::json!(a), serde_json::json!(a.as_str()));
        }
    }

    fn platform(id: &str, chains: &str, area: Option<f64>, lon: f64, lat: f64) -> Site {
        let mut site = crate::analysis::tests::site(id, Kind::IndustrialPark, chains);
        site.name_zh = format!("平台{id}");
        site.town_code = Some(TownCode::new("440902100").unwrap());
        site.location.geometry = Some(SiteGeometry::Point(Position::new(lon, lat).unwrap()));
        site.available_area_m2 = area.map(|a| Area::new(a).unwrap());
        site
    }

    fn query(qs: &str) -> Result<MatchQuery, FilterError> {
        let mut q = MatchQuery::default();
        for (k, v) in crate::filter::form_pairs(qs) {
            assert!(q.apply(&k, &v)?, "{k} is a match parameter");
        }
        q.check()?;
        Ok(q)
    }

    fn ids(r: &[(Site, MatchInfo)]) -> Vec<&str> {
        r.iter().map(|(s, _)| s.id.as_str()).collect()
    }

    #[test]
    fn haversine_distance_matches_a_known_figure() {
        // One degree of latitude on the mean-radius sphere: 111.195 km.
        let a = Position::new(110.9, 21.0).unwrap();
        let b = Position::new(110.9, 22.0).unwrap();
        assert!(
            (distance_km(a, b) - 111.195).abs() < 0.001,
            "{}",
            distance_km(a, b)
        );
        assert_eq!(distance_km(a, a), 0.0);
        // 0.37° of latitude (41.1 km) and 0.559° of longitude at 21.5° N (57.8 km) apart:
        // about 71 km on the sphere.
        let a = Position::new(110.918, 21.641).unwrap();
        let b = Position::new(110.359, 21.271).unwrap();
        let d = distance_km(a, b);
        assert!((70.0..72.5).contains(&d), "{d}");
    }

    #[test]
    fn the_search_box_holds_every_point_of_the_circle() {
        let center = Position::new(110.92, 21.66).unwrap();
        for r in [0.5, 3.0, 25.0, 400.0] {
            let b = search_bbox(center, r).unwrap();
            for step in 0..360 {
                let p = Haversine.destination(center.to_point(), f64::from(step), r * 1000.0);
                let p = Position::new(p.x(), p.y()).unwrap();
                assert!(b.contains(p), "r {r}, bearing {step}: {p} outside {b:?}");
            }
        }
        // High latitudes bulge more; still a superset.
        let north = Position::new(10.0, 70.0).unwrap();
        let b = search_bbox(north, 300.0).unwrap();
        for step in 0..360 {
            let p = Haversine.destination(north.to_point(), f64::from(step), 300_000.0);
            assert!(b.contains(Position::new(p.x(), p.y()).unwrap()));
        }
        assert!(search_bbox(Position::new(179.9, 0.0).unwrap(), 50.0).is_none());
        assert!(search_bbox(Position::new(0.0, 89.5).unwrap(), 100.0).is_none());
        assert!(search_bbox(center, 5000.0).is_none());
    }

    #[test]
    fn bad_parameters_have_their_own_codes_and_name_the_parameter() {
        let code = |qs: &str| query(qs).unwrap_err();
        let e = code("min_area_m2=-5");
        assert_eq!((e.code, e.param.as_str()), ("invalid_area", "min_area_m2"));
        assert_eq!(code("min_area_m2=lots").code, "invalid_area");
        assert_eq!(code("min_area_m2=NaN").code, "invalid_area");
        let e = code("radius_km=3");
        assert_eq!(
            (e.code, e.param.as_str()),
            ("radius_without_near", "radius_km")
        );
        assert!(e.message.contains("near"));
        for bad in ["110.9", "110.9,21.6,3", "a,b", "200,21", "110,95", ""] {
            if bad.is_empty() {
                continue;
            }
            let e = code(&format!("near={bad}"));
            assert_eq!(
                (e.code, e.param.as_str()),
                ("invalid_near", "near"),
                "{bad}"
            );
        }
        assert_eq!(code("near=110.9,21.6&radius_km=0").code, "invalid_radius");
        assert_eq!(code("near=110.9,21.6&radius_km=-1").code, "invalid_radius");
        assert_eq!(code("chain=Bad Chain").code, "invalid_id");
        assert_eq!(code("chain=a,b").code, "invalid_parameter");
        let e = code("chain=health&link=petrochemical.refining");
        assert_eq!((e.code, e.param.as_str()), ("invalid_parameter", "link"));
        assert_eq!(code("town=12").code, "invalid_id");
        assert_eq!(code("limit=0").code, "invalid_limit");
        // A link alone implies its chain.
        let q = query("link=petrochemical.refining").unwrap();
        assert_eq!(q.chain.unwrap().as_str(), "petrochemical");
    }

    #[test]
    fn fit_ranks_link_then_chain_then_general_then_other() {
        let q = query("link=petrochemical.fine_chemicals").unwrap();
        let at = |id, chains| platform(id, chains, Some(1000.0), 110.9, 21.6);
        let ranked = q.rank(vec![
            at("other", "health"),
            at("general", ""),
            at("chain-wide", "petrochemical"),
            at("sibling", "petrochemical.refining"),
            at("on-link", "health;petrochemical.fine_chemicals"),
        ]);
        let fits: Vec<_> = ranked.iter().map(|(s, m)| (s.id.as_str(), m.fit)).collect();
        assert_eq!(
            fits,
            [
                ("on-link", Fit::Link),
                ("chain-wide", Fit::Chain),
                ("sibling", Fit::Chain),
                ("general", Fit::General),
                ("other", Fit::Other),
            ]
        );
        // No chain asked for: nothing to fit, every platform is general.
        let q = query("").unwrap();
        assert!(q
            .rank(vec![at("a", "health"), at("b", "")])
            .iter()
            .all(|(_, m)| m.fit == Fit::General));
    }

    #[test]
    fn unknown_area_is_listed_last_and_never_taken_as_zero() {
        let q = query("chain=petrochemical&min_area_m2=5000").unwrap();
        let ranked = q.rank(vec![
            platform("unknown-on-chain", "petrochemical", None, 110.9, 21.6),
            platform("small", "petrochemical", Some(4999.0), 110.9, 21.6),
            platform("zero", "petrochemical", Some(0.0), 110.9, 21.6),
            platform("big-general", "", Some(8000.0), 110.9, 21.6),
            platform(
                "enough-on-chain",
                "petrochemical",
                Some(5000.0),
                110.9,
                21.6,
            ),
        ]);
        assert_eq!(
            ids(&ranked),
            ["enough-on-chain", "big-general", "unknown-on-chain"]
        );
        assert_eq!(ranked[2].1.area, AreaFit::Unknown);
        assert!(ranked[..2].iter().all(|(_, m)| m.area == AreaFit::Enough));
        // Without a minimum any known figure, zero included, is enough.
        let q = query("").unwrap();
        let ranked = q.rank(vec![
            platform("zero", "", Some(0.0), 110.9, 21.6),
            platform("unknown", "", None, 110.9, 21.6),
        ]);
        assert_eq!(ids(&ranked), ["zero", "unknown"]);
    }

    #[test]
    fn distance_orders_within_a_fit_and_the_radius_excludes() {
        let q = query("chain=petrochemical&near=110.90,21.60&radius_km=10").unwrap();
        // 0.01° of latitude ≈ 1.11 km.
        let ranked = q.rank(vec![
            platform("far", "petrochemical", Some(100.0), 110.90, 21.68),
            platform("near", "petrochemical", Some(100.0), 110.90, 21.61),
            platform("outside", "petrochemical", Some(100.0), 110.90, 21.70),
            platform("general-nearest", "", Some(100.0), 110.90, 21.60),
        ]);
        assert_eq!(ids(&ranked), ["near", "far", "general-nearest"]);
        let d = ranked[0].1.distance_km.unwrap();
        assert!((d - 1.112).abs() < 0.01, "{d}");
        assert_eq!(ranked[2].1.distance_km, Some(0.0));
        // Equal fit and distance: larger available area first, then name.
        let q = query("").unwrap();
        let ranked = q.rank(vec![
            platform("b", "", Some(100.0), 110.9, 21.6),
            platform("a", "", Some(100.0), 110.9, 21.6),
            platform("c", "", Some(900.0), 110.9, 21.6),
        ]);
        assert_eq!(ids(&ranked), ["c", "a", "b"]);
    }

    #[test]
    fn only_carrier_platforms_in_the_towns_are_candidates() {
        let q = query("town=440902001").unwrap();
        assert!(q
            .assess(&platform("p", "", Some(1.0), 110.9, 21.6))
            .is_none());
        let mut enterprise = platform("e", "", Some(1.0), 110.9, 21.6);
        enterprise.category = Category::KeyEnterprise;
        enterprise.kind = Kind::Enterprise;
        assert!(query("").unwrap().assess(&enterprise).is_none());
        let f = query("town=440902100&near=110.9,21.6&radius_km=2")
            .unwrap()
            .candidate_filter();
        assert_eq!(f.category, [Category::CarrierPlatform]);
        assert_eq!(f.town.len(), 1);
        assert!(f.bbox.is_some());
    }
}
