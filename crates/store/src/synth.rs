//! Deterministic synthetic sites for tests and benchmarks: `synth::sites(n, seed)`.
//!
//! Names are built from real words of the plan (石化, 园区, 孵化, 高岭土, 罗非鱼, 产业园, …) so
//! search is exercised on real 1-, 2-, 3- and 4-character words. Every site is valid against the
//! embedded reference (chains, links, townships), many share a township seat, some have no
//! location (precision `unknown`), some are polygons, some carry a converted
//! original coordinate, a few are partners far outside the district. No RNG crate: a 64-bit LCG,
//! so the same `(n, seed)` gives the same sites on every machine.

use atlas_core::dataset::Reference;
use atlas_core::{
    Area, BBox, Category, Chain, ChainRef, Crs, Division, Kind, Labelled, Level, Link, Location,
    LocationPrecision, OriginalCoordinate, Position, Scope, Site, SiteGeometry, SiteId, Status,
};
use chrono::NaiveDate;

/// A 64-bit linear congruential generator (Knuth's MMIX constants), output from the high bits.
#[derive(Debug, Clone)]
pub struct Lcg(u64);

impl Lcg {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Self {
        let mut g = Self(seed ^ 0x9E37_79B9_7F4A_7C15);
        g.next_u32();
        g
    }
    /// The next 32 random bits.
    pub fn next_u32(&mut self) -> u32 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 32) as u32
    }
    /// A number in `0..n` (`0` when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            ((u128::from(self.next_u32()) * n as u128) >> 32) as usize
        }
    }
    /// A float in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        f64::from(self.next_u32()) / 4_294_967_296.0
    }
    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
    /// One element of a non-empty slice.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        items.get(self.below(items.len()))
    }
}

/// Places (Chinese, English).
const PLACES: &[(&str, &str)] = &[
    ("茂名", "Maoming"),
    ("茂南", "Maonan"),
    ("金塘", "Jintang"),
    ("公馆", "Gongguan"),
    ("新坡", "Xinpo"),
    ("镇盛", "Zhensheng"),
    ("鳌头", "Aotou"),
    ("袂花", "Meihua"),
    ("高山", "Gaoshan"),
    ("山阁", "Shange"),
    ("羊角", "Yangjiao"),
    ("官渡", "Guandu"),
    ("河西", "Hexi"),
    ("红旗", "Hongqi"),
    ("站前", "Zhanqian"),
    ("城南", "Chengnan"),
];

/// Topics (Chinese, English): words of the plan's chains.
pub const TOPICS: &[(&str, &str)] = &[
    ("石化", "Petrochemical"),
    ("高岭土", "Kaolin"),
    ("罗非鱼", "Tilapia"),
    ("孵化", "Incubation"),
    ("园区", "Park"),
    ("产业园", "Industrial Park"),
    ("新材料", "New Materials"),
    ("精细化工", "Fine Chemicals"),
    ("模具", "Mold"),
    ("汽车配件", "Auto Parts"),
    ("中医药", "TCM"),
    ("医疗器械", "Medical Devices"),
    ("大数据", "Big Data"),
    ("智慧农业", "Smart Agriculture"),
    ("种业", "Seed"),
    ("饲料", "Feed"),
    ("冷链", "Cold Chain"),
    ("电商", "E-commerce"),
    ("氢能", "Hydrogen"),
    ("有机硅", "Organosilicon"),
    ("碳材料", "Carbon Materials"),
    ("润滑油", "Lubricants"),
    ("生猪", "Pig"),
    ("木门", "Wood Door"),
    ("芯片", "Chip"),
];

const COMPANY: &[(&str, &str)] = &[
    ("有限公司", "Co., Ltd."),
    ("科技有限公司", "Technology Co., Ltd."),
    ("实业有限公司", "Industrial Co., Ltd."),
    ("股份有限公司", "Holdings"),
    ("集团", "Group"),
];

const ROADS: &[&str] = &[
    "油城路",
    "站前路",
    "光华路",
    "人民路",
    "官渡路",
    "高岭路",
    "迎宾路",
    "双山路",
];

const NOTES: &[&str] = &[
    "规划：建设石化孵化平台",
    "拟建园区，面积待核实",
    "与广东石油化工学院合作，共建实验室",
    "罗非鱼育种与加工示范",
    "Planned pilot base for kaolin processing",
    "入驻企业以精细化工为主",
];

/// How many (site, chain) pairs `sites` hold, each chain once per site (a site's chain refs are
/// in order): what [`Store::chain_counts`](crate::Store::chain_counts) sums to over every chain
/// (tests compare the two).
pub fn chain_memberships<'a>(sites: impl IntoIterator<Item = &'a Site>) -> u64 {
    sites
        .into_iter()
        .map(|s| {
            let mut c: Vec<_> = s.chains.iter().map(|c| &c.chain).collect();
            c.dedup();
            c.len() as u64
        })
        .sum()
}

/// `n` synthetic sites valid against the embedded reference; the same `(n, seed)` gives the
/// same sites. Ids are `synth-0000000`, `synth-0000001`, … whatever the seed, so generating again
/// with another seed changes the same records.
pub fn sites(n: usize, seed: u64) -> Vec<Site> {
    match Reference::embedded() {
        Ok(r) => sites_with(&r, n, seed),
        // The embedded files are tested in atlas-core; without them, sites without chains/towns.
        Err(_) => Vec::new(),
    }
}

/// `n` synthetic sites valid against `reference`.
pub fn sites_with(reference: &Reference, n: usize, seed: u64) -> Vec<Site> {
    let mut g = Lcg::new(seed);
    let pools = Pools::new(reference);
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let Ok(id) = SiteId::new(format!("synth-{i:07}")) else {
            continue;
        };
        if let Some(site) = site(&mut g, &pools, id, i, seed) {
            out.push(site);
        }
    }
    out
}

/// What every synthetic site draws from.
struct Pools<'r> {
    reference: &'r Reference,
    bbox: Option<BBox>,
    links: Vec<(&'r Chain, Vec<&'r Link>)>,
    kinds_by_category: [Vec<Kind>; 3],
    base_day: NaiveDate,
}

impl<'r> Pools<'r> {
    fn new(reference: &'r Reference) -> Self {
        let kinds_of = |c: Category| -> Vec<Kind> {
            Kind::ALL
                .iter()
                .copied()
                .filter(|k| k.category() == c)
                .collect()
        };
        Self {
            reference,
            bbox: reference.district.bbox(),
            links: reference
                .chains
                .chains
                .iter()
                .map(|c| (c, c.links.iter().collect()))
                .collect(),
            kinds_by_category: [
                kinds_of(Category::InnovationResource),
                kinds_of(Category::CarrierPlatform),
                kinds_of(Category::KeyEnterprise),
            ],
            base_day: NaiveDate::from_ymd_opt(2021, 1, 1).unwrap_or_default(),
        }
    }
}

/// A site's category, kind and names.
struct Naming {
    category: Category,
    kind: Kind,
    name_zh: String,
    name_en: Option<String>,
}

/// One synthetic site (`None` when there is no place to put it). The draws from `g` are made
/// in a fixed order: the same seed gives the same sites.
fn site(g: &mut Lcg, pools: &Pools<'_>, id: SiteId, i: usize, seed: u64) -> Option<Site> {
    let Naming {
        category,
        kind,
        name_zh,
        name_en,
    } = naming(g, pools);
    let division = if g.chance(0.7) {
        g.pick(&pools.reference.divisions)
    } else {
        None
    };
    let scope = if g.chance(0.05) {
        Scope::Partner
    } else {
        Scope::Local
    };
    let chains = chain_refs(g, pools);
    // Without a boundary there is no place to put the site: skip it.
    let location = location(g, pools, division, scope)?;
    let outside_district = location
        .marker()
        .is_some_and(|m| !pools.reference.district.contains(m));
    let area_m2 = (category == Category::CarrierPlatform && g.chance(0.7))
        .then(|| (1_000 + g.below(200_000)) as f64)
        .and_then(|a| Area::new(a).ok());
    let available_area_m2 = area_m2
        .filter(|_| g.chance(0.4))
        .and_then(|a| Area::new((a.get() * g.unit()).round()).ok());
    let address = (g.chance(0.7)).then(|| {
        format!(
            "茂名市茂南区{}{}{}号",
            division.map(|d| d.name_zh.as_str()).unwrap_or(""),
            g.pick(ROADS).copied().unwrap_or("油城路"),
            1 + g.below(300)
        )
    });
    let notes = g
        .chance(0.2)
        .then(|| g.pick(NOTES).copied().unwrap_or("").to_string());
    let level = *g.pick(Level::ALL).unwrap_or(&Level::None);
    let status = match g.below(10) {
        0 => Status::Planned,
        1 => Status::UnderConstruction,
        _ => Status::Operating,
    };
    let day = |g: &mut Lcg| pools.base_day + chrono::Days::new(g.below(2000) as u64);
    Some(Site {
        id,
        name_zh,
        name_en,
        category,
        kind,
        level,
        status,
        scope,
        chains,
        town_code: division.map(|d| d.code.clone()),
        address,
        location,
        area_m2,
        available_area_m2,
        established: g.chance(0.6).then(|| 1950 + g.below(76) as i32),
        website: g.chance(0.3).then(|| format!("https://example.com/s/{i}")),
        phone: g
            .chance(0.4)
            .then(|| format!("+86 668 {:07}", g.below(10_000_000))),
        contact: g.chance(0.2).then(|| "科技工作办公室".to_string()),
        source: format!("synthetic (atlas_store::synth, seed {seed})"),
        source_quote: None,
        notes,
        outside_district,
        updated_at: Some(day(g)),
        verified_at: g.chance(0.3).then(|| day(g)),
    })
}

/// A site's category, kind and names: a place, a topic of the plan and a suffix.
fn naming(g: &mut Lcg, pools: &Pools<'_>) -> Naming {
    let (category, kinds) = match g.below(4) {
        0 => (Category::InnovationResource, &pools.kinds_by_category[0]),
        1 => (Category::CarrierPlatform, &pools.kinds_by_category[1]),
        _ => (Category::KeyEnterprise, &pools.kinds_by_category[2]),
    };
    let kind = g.pick(kinds).copied().unwrap_or(Kind::Enterprise);
    let place = g.pick(PLACES).copied().unwrap_or(("茂名", "Maoming"));
    let topic = g.pick(TOPICS).copied().unwrap_or(("石化", "Petrochemical"));
    let (suffix_zh, suffix_en) = if category == Category::KeyEnterprise {
        g.pick(COMPANY)
            .copied()
            .unwrap_or(("有限公司", "Co., Ltd."))
    } else {
        (kind.zh(), kind.en())
    };
    Naming {
        category,
        kind,
        name_zh: format!("{}{}{}", place.0, topic.0, suffix_zh),
        name_en: g
            .chance(0.6)
            .then(|| format!("{} {} {}", place.1, topic.1, suffix_en)),
    }
}

/// Zero to three chains, most with a link, sorted without duplicates.
fn chain_refs(g: &mut Lcg, pools: &Pools<'_>) -> Vec<ChainRef> {
    let mut chains: Vec<ChainRef> = Vec::new();
    for _ in 0..g.below(4) {
        if let Some((c, ls)) = g.pick(&pools.links) {
            let link = if g.chance(0.7) {
                g.pick(ls).map(|l| l.id.clone())
            } else {
                None
            };
            chains.push(ChainRef {
                chain: c.id.clone(),
                link,
            });
        }
    }
    chains.sort();
    chains.dedup();
    chains
}

/// A random point in the district's box.
fn random_point(g: &mut Lcg, pools: &Pools<'_>) -> Option<Position> {
    let b = pools.bbox?;
    Position::new(
        b.min_lon + g.unit() * (b.max_lon - b.min_lon),
        b.min_lat + g.unit() * (b.max_lat - b.min_lat),
    )
    .ok()
}

/// Where a site is: a partner far away, a township seat, no location (precision `unknown`),
/// a small park outline, or a point (some with a converted original coordinate).
fn location(
    g: &mut Lcg,
    pools: &Pools<'_>,
    division: Option<&Division>,
    scope: Scope,
) -> Option<Location> {
    let roll = g.unit();
    let seat = division.and_then(|d| d.seat.as_ref().map(|s| (d, s)));
    if scope == Scope::Partner {
        Position::new(113.2 + g.unit() * 0.2, 23.0 + g.unit() * 0.2)
            .ok()
            .map(|p| Location {
                geometry: Some(SiteGeometry::Point(p)),
                precision: LocationPrecision::Building,
                source: Some("synthetic partner location (Guangzhou)".into()),
                original: None,
            })
    } else if roll < 0.2 && seat.is_some() {
        seat.map(|(d, s)| Location {
            geometry: Some(SiteGeometry::Point(s.position)),
            precision: LocationPrecision::Town,
            source: Some(format!(
                "近似位置：{}驻地 / approximate: seat of {}",
                d.name_zh, d.name_en
            )),
            original: None,
        })
    } else if roll < 0.25 {
        // No location known (and no made-up point).
        Some(Location::unknown())
    } else if roll < 0.33 {
        park_outline(g, pools)
    } else {
        point(g, pools)
    }
}

/// A small rectangle somewhere in the district.
fn park_outline(g: &mut Lcg, pools: &Pools<'_>) -> Option<Location> {
    random_point(g, pools).and_then(|p| {
        let (x, y) = (p.lon.get(), p.lat.get());
        let (w, h) = (0.002 + g.unit() * 0.01, 0.002 + g.unit() * 0.01);
        let ring = vec![(x, y), (x + w, y), (x + w, y + h), (x, y + h), (x, y)];
        SiteGeometry::polygon(geo::Polygon::new(ring.into(), vec![]))
            .ok()
            .map(|geometry| Location {
                geometry: Some(geometry),
                precision: LocationPrecision::Surveyed,
                source: Some("synthetic park outline".into()),
                original: None,
            })
    })
}

/// A point somewhere in the district, three in ten with a GCJ-02 or BD-09 original.
fn point(g: &mut Lcg, pools: &Pools<'_>) -> Option<Location> {
    random_point(g, pools).map(|p| {
        let original = match g.below(10) {
            0 | 1 => Some(Crs::Gcj02),
            2 => Some(Crs::Bd09),
            _ => None,
        }
        .map(|crs| {
            let (lon, lat) = crs.from_wgs84(p);
            OriginalCoordinate { crs, lon, lat }
        });
        Location {
            geometry: Some(SiteGeometry::Point(p)),
            precision: if g.chance(0.5) {
                LocationPrecision::Building
            } else {
                LocationPrecision::Street
            },
            source: Some("synthetic point".into()),
            original,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_sites() {
        assert_eq!(sites(200, 7), sites(200, 7));
        assert_ne!(sites(200, 7), sites(200, 8));
        assert_eq!(sites(200, 7).len(), 200);
    }

    #[test]
    fn synthetic_sites_use_only_known_chains_links_and_towns() {
        let r = Reference::embedded().unwrap();
        for s in sites(2000, 1) {
            assert_eq!(s.kind.category(), s.category);
            for c in &s.chains {
                assert!(r.chains.chain(&c.chain).is_some());
                if let Some(l) = &c.link {
                    assert!(r.chains.link(l).is_some());
                    assert_eq!(l.chain(), c.chain);
                }
            }
            if let Some(t) = &s.town_code {
                assert!(r.divisions.iter().any(|d| &d.code == t));
            }
        }
    }
}
