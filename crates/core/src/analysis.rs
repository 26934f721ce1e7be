//! Gap analysis of an industry chain (建链、补链、强链、延链: build, fill, strengthen and extend
//! the chain): for each link, upstream first, the sites attached to it by category, whether it
//! is *missing* (no key enterprise), *weak* (fewer key enterprises than a threshold) or
//! *present*, and the carrier platforms and innovation resources that serve it.
//!
//! The analysis is built in one pass over the chain's sites ([`ChainAnalysisBuilder`]), so a
//! caller can feed it from a database cursor without holding every site. A site can sit on
//! several chains and several links: it counts once for each link it is attached to, and once
//! for the chain as a whole.
//!
//! "Serves a link": a carrier platform or innovation resource attached to the link itself
//! (`via` [`Via::Link`]) or attached to the chain without a link (`via` [`Via::Chain`]: it serves
//! every link of the chain). Key enterprises are what the status counts; they do not "serve".

use crate::ids::{ChainId, LinkId, SiteId};
use crate::reference::{Chain, Link};
use crate::site::Site;
use crate::vocab::{Category, Kind, Labelled, UnknownValue};
use serde::Serialize;
use std::collections::HashSet;

/// The threshold when none is given: a link with one key enterprise is weak.
pub const DEFAULT_WEAK_BELOW: u32 = 2;

/// A threshold that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("weak_below '{given}' must be a whole number of at least 1 (default {DEFAULT_WEAK_BELOW})")]
pub struct InvalidThreshold {
    /// The value given.
    pub given: String,
}

/// Parses a `weak_below` value: a whole number ≥ 1.
pub fn parse_weak_below(s: &str) -> Result<u32, InvalidThreshold> {
    s.trim()
        .parse::<u32>()
        .ok()
        .filter(|n| *n >= 1)
        .ok_or_else(|| InvalidThreshold {
            given: s.chars().take(40).collect(),
        })
}

/// The state of a link (缺失 / 薄弱 / 已有).
/// Serialised as [`LinkStatus::as_str`] gives it (lowercase).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LinkStatus {
    /// No key enterprise on the link.
    Missing,
    /// At least one key enterprise, fewer than the threshold.
    Weak,
    /// As many key enterprises as the threshold or more.
    Present,
}

impl Labelled for LinkStatus {
    const WHAT: &'static str = "link status";
    const ALL: &'static [Self] = &[Self::Missing, Self::Weak, Self::Present];
    fn id(self) -> &'static str {
        match self {
            Self::Missing => "missing",
            Self::Weak => "weak",
            Self::Present => "present",
        }
    }
    fn zh(self) -> &'static str {
        match self {
            Self::Missing => "缺失",
            Self::Weak => "薄弱",
            Self::Present => "已有",
        }
    }
    fn en(self) -> &'static str {
        match self {
            Self::Missing => "Missing",
            Self::Weak => "Weak",
            Self::Present => "Present",
        }
    }
}

impl LinkStatus {
    /// The stable identifier (`missing`, `weak`, `present`).
    pub fn as_str(self) -> &'static str {
        self.id()
    }
}

impl std::str::FromStr for LinkStatus {
    type Err = UnknownValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse_label(s)
    }
}

/// The status of a link with `key_enterprises` key enterprises: none → missing, fewer than
/// `weak_below` → weak, else present. A `weak_below` of 1 means "any enterprise is enough".
pub fn classify(key_enterprises: u64, weak_below: u32) -> LinkStatus {
    if key_enterprises == 0 {
        LinkStatus::Missing
    } else if key_enterprises < u64::from(weak_below) {
        LinkStatus::Weak
    } else {
        LinkStatus::Present
    }
}

/// Sites by category, and in all.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct CategoryCounts {
    /// Key enterprises (重点企业).
    pub key_enterprise: u64,
    /// Carrier platforms (载体平台).
    pub carrier_platform: u64,
    /// Innovation resources (创新资源).
    pub innovation_resource: u64,
    /// All of them.
    pub total: u64,
}

impl CategoryCounts {
    /// Counts one more site of `category`.
    pub fn add(&mut self, category: Category) {
        self.add_n(category, 1);
    }

    /// Counts `n` more sites of `category`.
    pub fn add_n(&mut self, category: Category, n: u64) {
        match category {
            Category::KeyEnterprise => self.key_enterprise += n,
            Category::CarrierPlatform => self.carrier_platform += n,
            Category::InnovationResource => self.innovation_resource += n,
        }
        self.total += n;
    }

    /// The count of one category.
    pub fn get(&self, category: Category) -> u64 {
        match category {
            Category::KeyEnterprise => self.key_enterprise,
            Category::CarrierPlatform => self.carrier_platform,
            Category::InnovationResource => self.innovation_resource,
        }
    }
}

/// How a serving site is attached.
/// Serialised as [`Via::as_str`] gives it (lowercase).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Via {
    /// Attached to the link itself.
    Link,
    /// Attached to the chain without a link: serves every link of it.
    Chain,
}

impl Via {
    /// `link` or `chain`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Link => "link",
            Self::Chain => "chain",
        }
    }
}

/// A carrier platform or innovation resource serving a link.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServedBy {
    /// Site id.
    pub id: SiteId,
    /// Chinese name.
    pub name_zh: String,
    /// English name.
    pub name_en: Option<String>,
    /// Carrier platform or innovation resource.
    pub category: Category,
    /// Its kind.
    pub kind: Kind,
    /// Attached to the link, or to the chain as a whole.
    pub via: Via,
}

/// One link of the analysis.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkAnalysis {
    /// The link (id, order, names, description, source).
    pub link: Link,
    /// Sites attached to the link, by category.
    pub counts: CategoryCounts,
    /// Missing, weak or present.
    pub status: LinkStatus,
    /// Ids of the sites attached to the link, in the order they were fed.
    pub site_ids: Vec<SiteId>,
    /// Platforms and innovation resources on the link (`via` link), then those on the chain
    /// without a link (`via` chain); each group in the order the sites were fed.
    pub served_by: Vec<ServedBy>,
}

/// Sites attached to the chain without a link.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChainWide {
    /// By category.
    pub counts: CategoryCounts,
    /// Their ids, in the order they were fed.
    pub site_ids: Vec<SiteId>,
}

/// Links per status, and the chain's sites.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Links without a key enterprise.
    pub missing: u64,
    /// Links with fewer key enterprises than the threshold.
    pub weak: u64,
    /// The other links.
    pub present: u64,
    /// Distinct sites on the chain (any link or none).
    pub sites: u64,
}

/// The gap analysis of one chain.
#[derive(Debug, Clone, PartialEq)]
pub struct ChainAnalysis {
    /// Chain id.
    pub chain_id: ChainId,
    /// Chinese name.
    pub chain_name_zh: String,
    /// English name.
    pub chain_name_en: String,
    /// The threshold used.
    pub weak_below: u32,
    /// Links per status and sites on the chain.
    pub summary: Summary,
    /// Links, upstream first.
    pub links: Vec<LinkAnalysis>,
    /// Sites on the chain without a link.
    pub chain_wide: ChainWide,
}

/// Builds a [`ChainAnalysis`] from the chain's sites, one at a time. Sites not on the chain
/// are ignored, so the caller may feed a superset; each site must be fed once.
#[derive(Debug)]
pub struct ChainAnalysisBuilder {
    chain: Chain,
    weak_below: u32,
    links: Vec<(CategoryCounts, Vec<SiteId>, Vec<ServedBy>)>,
    chain_wide: ChainWide,
    chain_wide_servers: Vec<ServedBy>,
    sites: u64,
}

impl ChainAnalysisBuilder {
    /// Starts the analysis of `chain` (its links in order) with threshold `weak_below` (≥ 1;
    /// 0 is taken as 1).
    pub fn new(chain: &Chain, weak_below: u32) -> Self {
        Self {
            links: chain
                .links
                .iter()
                .map(|_| (CategoryCounts::default(), Vec::new(), Vec::new()))
                .collect(),
            chain: chain.clone(),
            weak_below: weak_below.max(1),
            chain_wide: ChainWide::default(),
            chain_wide_servers: Vec::new(),
            sites: 0,
        }
    }

    /// The links a site is attached to on this chain (positions in chain order) and whether it
    /// is attached to the chain without a link.
    pub fn placement(&self, site: &Site) -> (Vec<usize>, bool) {
        let mut links: Vec<usize> = Vec::new();
        let mut chain_wide = false;
        for r in site.chains.iter().filter(|r| r.chain == self.chain.id) {
            match &r.link {
                None => chain_wide = true,
                Some(l) => {
                    if let Some(i) = self.chain.links.iter().position(|x| &x.id == l) {
                        if !links.contains(&i) {
                            links.push(i);
                        }
                    }
                }
            }
        }
        links.sort_unstable();
        (links, chain_wide)
    }

    /// Adds one site.
    pub fn add(&mut self, site: &Site) {
        if !site.on_chain(&self.chain.id) {
            return;
        }
        self.sites += 1;
        let (links, chain_wide) = self.placement(site);
        let serves = site.category != Category::KeyEnterprise;
        let served = |via| ServedBy {
            id: site.id.clone(),
            name_zh: site.name_zh.clone(),
            name_en: site.name_en.clone(),
            category: site.category,
            kind: site.kind,
            via,
        };
        for i in links {
            if let Some((counts, ids, servers)) = self.links.get_mut(i) {
                counts.add(site.category);
                ids.push(site.id.clone());
                if serves {
                    servers.push(served(Via::Link));
                }
            }
        }
        if chain_wide {
            self.chain_wide.counts.add(site.category);
            self.chain_wide.site_ids.push(site.id.clone());
            if serves {
                self.chain_wide_servers.push(served(Via::Chain));
            }
        }
    }

    /// The finished analysis.
    pub fn finish(self) -> ChainAnalysis {
        let mut summary = Summary {
            sites: self.sites,
            ..Summary::default()
        };
        let chain_wide_servers = self.chain_wide_servers;
        let links: Vec<LinkAnalysis> = self
            .chain
            .links
            .iter()
            .zip(self.links)
            .map(|(link, (counts, site_ids, mut served_by))| {
                let status = classify(counts.key_enterprise, self.weak_below);
                match status {
                    LinkStatus::Missing => summary.missing += 1,
                    LinkStatus::Weak => summary.weak += 1,
                    LinkStatus::Present => summary.present += 1,
                }
                // A site on the link and on the chain as a whole is listed once, via the link.
                let on_link: HashSet<SiteId> = served_by.iter().map(|s| s.id.clone()).collect();
                served_by.extend(
                    chain_wide_servers
                        .iter()
                        .filter(|s| !on_link.contains(&s.id))
                        .cloned(),
                );
                LinkAnalysis {
                    link: link.clone(),
                    counts,
                    status,
                    site_ids,
                    served_by,
                }
            })
            .collect();
        ChainAnalysis {
            chain_id: self.chain.id,
            chain_name_zh: self.chain.name_zh,
            chain_name_en: self.chain.name_en,
            weak_below: self.weak_below,
            summary,
            links,
            chain_wide: self.chain_wide,
        }
    }
}

/// The analysis of `chain` over `sites` (any superset of the chain's sites, each once).
pub fn analyse<'a>(
    chain: &Chain,
    sites: impl IntoIterator<Item = &'a Site>,
    weak_below: u32,
) -> ChainAnalysis {
    let mut b = ChainAnalysisBuilder::new(chain, weak_below);
    for s in sites {
        b.add(s);
    }
    b.finish()
}

impl ChainAnalysis {
    /// The link analysis of `id`.
    pub fn link(&self, id: &LinkId) -> Option<&LinkAnalysis> {
        self.links.iter().find(|l| &l.link.id == id)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::coord::Position;
    use crate::site::{ChainRef, Location, SiteGeometry};
    use crate::vocab::{Level, LocationPrecision, Scope, Status};

    #[test]
    fn statuses_and_attachments_serialise_as_their_ids() {
        for s in LinkStatus::ALL {
            assert_eq!(serde_json::json!(s), serde_json::json!(s.as_str()));
        }
        for v in [Via::Link, Via::Chain] {
            assert_eq!(serde_json::json!(v), serde_json::json!(v.as_str()));
        }
    }

    fn chain() -> Chain {
        let link = |id: &str, order| Link {
            id: LinkId::new(id).unwrap(),
            order,
            name_zh: format!("环节{order}"),
            name_en: format!("Link {order}"),
            description_zh: None,
            source: None,
        };
        Chain {
            id: ChainId::new("petrochemical").unwrap(),
            order: 1,
            name_zh: "石油化工".into(),
            name_en: "Petrochemicals".into(),
            links: vec![
                link("petrochemical.refining", 1),
                link("petrochemical.base_chemicals", 2),
                link("petrochemical.fine_chemicals", 3),
            ],
        }
    }

    /// A test site: operating, local, a building-precise point, nothing else known (matching's
    /// tests start from it too).
    pub(crate) fn site(id: &str, kind: Kind, chains: &str) -> Site {
        Site {
            id: SiteId::new(id).unwrap(),
            name_zh: format!("站点{id}"),
            name_en: None,
            category: kind.category(),
            kind,
            level: Level::None,
            status: Status::Operating,
            scope: Scope::Local,
            chains: ChainRef::parse_list(chains).unwrap(),
            town_code: None,
            address: None,
            location: Location {
                geometry: Some(SiteGeometry::Point(Position::new(110.9, 21.65).unwrap())),
                precision: LocationPrecision::Building,
                source: None,
                original: None,
            },
            area_m2: None,
            available_area_m2: None,
            established: None,
            website: None,
            phone: None,
            contact: None,
            source: "test".into(),
            source_quote: None,
            notes: None,
            outside_district: false,
            updated_at: None,
            verified_at: None,
        }
    }

    #[test]
    fn no_enterprise_is_missing_fewer_than_the_threshold_is_weak() {
        assert_eq!(classify(0, 2), LinkStatus::Missing);
        assert_eq!(classify(1, 2), LinkStatus::Weak);
        assert_eq!(classify(2, 2), LinkStatus::Present);
        assert_eq!(classify(0, 1), LinkStatus::Missing);
        assert_eq!(classify(1, 1), LinkStatus::Present);
        assert_eq!(classify(4, 5), LinkStatus::Weak);
        assert_eq!(classify(5, 5), LinkStatus::Present);
    }

    #[test]
    fn thresholds_must_be_whole_numbers_of_at_least_one() {
        assert_eq!(parse_weak_below("3"), Ok(3));
        assert_eq!(parse_weak_below(" 1 "), Ok(1));
        for bad in ["0", "-1", "1.5", "", "two", "99999999999"] {
            assert!(parse_weak_below(bad).is_err(), "{bad}");
        }
        assert!(parse_weak_below("0")
            .unwrap_err()
            .to_string()
            .contains("weak_below"));
    }

    #[test]
    fn links_are_classified_in_chain_order_and_only_enterprises_count() {
        let sites = vec![
            // Two enterprises on refining: present.
            site("e1", Kind::HighTechEnterprise, "petrochemical.refining"),
            site("e2", Kind::LeadingEnterprise, "petrochemical.refining"),
            // One enterprise on base chemicals: weak; a platform there does not change that.
            site("e3", Kind::TechSme, "petrochemical.base_chemicals"),
            site("p1", Kind::IndustrialPark, "petrochemical.base_chemicals"),
            // Fine chemicals: only an innovation resource: missing.
            site(
                "r1",
                Kind::ResearchInstitute,
                "petrochemical.fine_chemicals",
            ),
            // Chain-wide platform serves every link.
            site("p2", Kind::Incubator, "petrochemical"),
            // On another chain only: ignored.
            site("x1", Kind::Enterprise, "health"),
        ];
        let a = analyse(&chain(), &sites, 2);
        let status: Vec<_> = a.links.iter().map(|l| l.status).collect();
        assert_eq!(
            status,
            [LinkStatus::Present, LinkStatus::Weak, LinkStatus::Missing]
        );
        assert_eq!(a.links[0].link.order, 1);
        assert_eq!(
            a.summary,
            Summary {
                missing: 1,
                weak: 1,
                present: 1,
                sites: 6
            }
        );
        let base = &a.links[1];
        assert_eq!(
            base.counts,
            CategoryCounts {
                key_enterprise: 1,
                carrier_platform: 1,
                innovation_resource: 0,
                total: 2
            }
        );
        assert_eq!(
            base.site_ids.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
            ["e3", "p1"]
        );
        // The missing link is still served: by its research institute and the chain's incubator.
        let served: Vec<_> = a.links[2]
            .served_by
            .iter()
            .map(|s| (s.id.as_str(), s.via))
            .collect();
        assert_eq!(served, [("r1", Via::Link), ("p2", Via::Chain)]);
        // Enterprises never serve.
        assert!(a.links[0].served_by.iter().all(|s| s.id.as_str() == "p2"));
        assert_eq!(a.chain_wide.counts.carrier_platform, 1);
        assert_eq!(a.chain_wide.site_ids, [SiteId::new("p2").unwrap()]);
        // A higher threshold turns the present link weak.
        let strict = analyse(&chain(), &sites, 3);
        assert_eq!(strict.links[0].status, LinkStatus::Weak);
        assert_eq!(strict.summary.weak, 2);
    }

    #[test]
    fn a_site_on_several_links_counts_for_each_and_once_for_the_chain() {
        let sites = vec![
            site(
                "e1",
                Kind::Enterprise,
                "petrochemical.refining;petrochemical.fine_chemicals;health",
            ),
            site(
                "p1",
                Kind::PilotBase,
                "petrochemical;petrochemical.refining",
            ),
        ];
        let a = analyse(&chain(), &sites, 1);
        assert_eq!(a.links[0].counts.key_enterprise, 1);
        assert_eq!(a.links[2].counts.key_enterprise, 1);
        assert_eq!(a.links[0].status, LinkStatus::Present);
        assert_eq!(a.links[1].status, LinkStatus::Missing);
        assert_eq!(a.summary.sites, 2);
        // On the link and chain-wide: listed once on that link (via link), via chain elsewhere.
        let on_refining: Vec<_> = a.links[0]
            .served_by
            .iter()
            .map(|s| (s.id.as_str(), s.via))
            .collect();
        assert_eq!(on_refining, [("p1", Via::Link)]);
        assert_eq!(a.links[1].served_by[0].via, Via::Chain);
        assert_eq!(a.chain_wide.counts.total, 1);
    }

    #[test]
    fn statuses_have_ids_and_labels() {
        assert_eq!(LinkStatus::Missing.as_str(), "missing");
        assert_eq!(LinkStatus::Weak.zh(), "薄弱");
        assert_eq!("present".parse::<LinkStatus>(), Ok(LinkStatus::Present));
        assert_eq!(
            serde_json::to_string(&LinkStatus::Weak).unwrap(),
            "\"weak\""
        );
    }
}
