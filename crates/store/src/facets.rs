//! Facet counts and counts per chain, from the interned facet combinations (`facet_combos`) and
//! chain sets (`chain_sets`) of the sites.
//!
//! A site's category, kind, level, status, scope and town are one *combination*, its category,
//! chains and links one *chain set*; both are small integers on the site row, and each interned
//! value carries the number of sites using it. Facets count matching sites by combination and by
//! chain set (thousands of groups, not a million rows) and finish in Rust, where each group is
//! known to pass or fail each filter dimension:
//!
//! - a group failing no dimension counts for the total and for every facet;
//! - a group failing exactly one dimension counts for that dimension's facet only (a facet is
//!   counted with its own filter removed);
//! - any other group counts for nothing.
//!
//! Without a bbox or a search, the scalar facets need the sites passing the chain and link
//! filters by combination, and the chain and link facets the sites passing the scalar filters
//! by chain set. When a side has no filter the stored counts answer it without reading a site:
//! the facets of the whole catalogue read no site row at all. Otherwise one pass over an index
//! of `(combo, chainset)` pairs answers it. A bbox or a search makes one pass over the matching
//! sites.

use crate::error::Result;
use crate::index::dicts::{self, ChainSet, Combo, Dicts, Verdicts, NONE, SCALAR_DIMS};
use crate::query::{self, Access, Built};
use crate::sql;
use crate::Store;
use atlas_core::{Category, Labelled, SiteFilter};
use rusqlite::params_from_iter;
use serde::Serialize;
use std::collections::HashMap;

/// One value of a facet and how many sites have it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FacetCount {
    /// The value's id (vocabulary id, chain id, link id or town code).
    pub id: String,
    /// Sites with it.
    pub count: u64,
}

/// Counts per value of every filter dimension. Each dimension is counted with its own filter
/// removed and all others applied, so the numbers say what ticking one more value would add.
/// Every known value is listed (zeros included), in vocabulary order (chains, links and towns in
/// the order of the reference data).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Facets {
    /// Sites matching the whole filter.
    pub total: u64,
    /// By category.
    pub category: Vec<FacetCount>,
    /// By kind.
    pub kind: Vec<FacetCount>,
    /// By chain (a site on several chains counts for each).
    pub chain: Vec<FacetCount>,
    /// By link.
    pub link: Vec<FacetCount>,
    /// By level.
    pub level: Vec<FacetCount>,
    /// By status.
    pub status: Vec<FacetCount>,
    /// By scope.
    pub scope: Vec<FacetCount>,
    /// By township (sites without a township are not counted here).
    pub town: Vec<FacetCount>,
    /// By location precision, every precision in vocabulary order (zeros included): how many
    /// sites have no location (`unknown`) or an approximate one.
    pub precision: Vec<FacetCount>,
}

impl Facets {
    /// The count of `id` in a facet list (0 when absent).
    pub fn get(list: &[FacetCount], id: &str) -> u64 {
        list.iter().find(|c| c.id == id).map_or(0, |c| c.count)
    }
}

/// Sites on one link, by category.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LinkCount {
    /// The link.
    pub link: atlas_core::LinkId,
    /// Sites on it.
    pub total: u64,
    /// By category, every category in vocabulary order.
    pub by_category: Vec<FacetCount>,
}

/// Sites on one chain and on each of its links, by category.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChainCount {
    /// The chain.
    pub chain: atlas_core::ChainId,
    /// Sites on the chain (each once).
    pub total: u64,
    /// By category, every category in vocabulary order.
    pub by_category: Vec<FacetCount>,
    /// Sites placed on the chain without a link.
    pub without_link: u64,
    /// Each link, upstream first.
    pub links: Vec<LinkCount>,
}

/// The ids of the items for which `keep` holds; `None` when that is every item (no
/// restriction).
fn restriction<T>(items: &[Option<T>], keep: impl Fn(usize) -> bool) -> Option<Vec<i64>> {
    let (mut ids, mut n) = (Vec::new(), 0usize);
    for (i, t) in items.iter().enumerate() {
        if t.is_some() {
            n += 1;
            if keep(i) {
                ids.push(i64::try_from(i).unwrap_or(i64::MAX));
            }
        }
    }
    (ids.len() < n).then_some(ids)
}

fn set_fails(v: &Verdicts, i: usize) -> u32 {
    let (c, l) = v.set(i);
    u32::from(c) + u32::from(l)
}

/// Which key a pass counts by.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Key {
    Combo,
    ChainSet,
    Both,
}

/// A bbox holding more than this share of the sites is read from the list index (which holds
/// the bounds and both keys) rather than through the R*Tree and the site rows.
const BOX_SCAN_SHARE: f64 = 0.05;

/// Counts the sites passing the bbox and search of `f` (when `spatial_text`), whose combination
/// is in `combos` and whose chain set is in `sets` (`None`: any), by `key`; calls `add` with the
/// combination id, the chain set id (-1 when not counted by it) and the count.
///
/// Without a bbox or a search, the `(chainset, combo)` index answers: chain sets are counted
/// in index order; combinations are counted in Rust, over the entries of the allowed chain sets.
fn pass(
    store: &Store,
    f: &SiteFilter,
    spatial_text: bool,
    key: Key,
    combos: &Option<Vec<i64>>,
    sets: &Option<Vec<i64>>,
    mut add: impl FnMut(i64, i64, u64),
) -> Result<()> {
    let keys = match key {
        Key::Combo => "s.combo",
        Key::ChainSet => "s.chainset",
        Key::Both => "s.combo, s.chainset",
    };
    let (mut b, group) = if spatial_text {
        let p = store.probe(f)?;
        let dense = f.terms().is_empty()
            && p.box_sites
                .is_some_and(|h| h as f64 > BOX_SCAN_SHARE * p.total as f64);
        if dense {
            // A large box: the list index holds the bounds and both keys.
            (
                query::build(f, Access::Ordered, query::Parts::SPATIAL_TEXT),
                false,
            )
        } else {
            (query::build(f, p.access, query::Parts::SPATIAL_TEXT), false)
        }
    } else {
        // By chain set: group in index order. By combination: count in Rust the entries of the
        // allowed chain sets (all of them when none is excluded).
        (
            Built::new(sql::FROM_CHAIN_SET_INDEX, ""),
            key == Key::ChainSet,
        )
    };
    // Only the chain set, leading its index, may seek; the combination is tested on entries.
    let seek_sets = b.plus.is_empty() && b.from == sql::FROM_CHAIN_SET_INDEX;
    if let Some(ids) = combos {
        b.ids(&sql::COMBO_IDS.replace("{plus}", "+"), ids);
    }
    if let Some(ids) = sets {
        let plus = if seek_sets { "" } else { "+" };
        b.ids(&sql::CHAIN_SET_IDS.replace("{plus}", plus), ids);
    }
    let q = if group {
        b.statement(sql::COUNT_BY_KEY).replace("{key}", keys)
    } else {
        b.statement(sql::KEYS_OF_SITES).replace("{keys}", keys)
    };
    let mut st = store.conn.prepare_cached(&q)?;
    let mut rows = st.query(params_from_iter(b.values.iter()))?;
    while let Some(r) = rows.next()? {
        let first: i64 = r.get::<_, Option<i64>>(0)?.unwrap_or(-1);
        let (combo, set) = match key {
            Key::Combo => (first, -1),
            Key::ChainSet => (-1, first),
            Key::Both => (first, r.get::<_, Option<i64>>(1)?.unwrap_or(-1)),
        };
        let n = if group {
            u64::try_from(r.get::<_, i64>(1)?).unwrap_or(0)
        } else {
            1
        };
        add(combo, set, n);
    }
    Ok(())
}

/// The running counts of [`Facets`].
struct Tally {
    total: u64,
    scalar: [Vec<u64>; SCALAR_DIMS],
    chain: Vec<u64>,
    link: Vec<u64>,
}

impl Tally {
    fn scalar_dims(&mut self, c: &Combo, only: Option<usize>, n: u64) {
        for (d, v) in c.values.iter().enumerate() {
            if *v != NONE && only.is_none_or(|o| o == d) {
                if let Some(x) = self.scalar[d].get_mut(usize::from(*v)) {
                    *x += n;
                }
            }
        }
    }

    fn chains(&mut self, h: &ChainSet, n: u64) {
        for &p in &h.chains {
            self.chain[p] += n;
        }
    }

    fn links(&mut self, h: &ChainSet, n: u64) {
        for &p in &h.links {
            self.link[p] += n;
        }
    }

    /// Sites with combination `c` (failing the dimensions `fails`) that pass the chain and link
    /// filters.
    fn by_combo(&mut self, c: &Combo, fails: u8, n: u64) {
        match fails.count_ones() {
            0 => {
                self.total += n;
                self.scalar_dims(c, None, n);
            }
            1 => self.scalar_dims(c, Some(fails.trailing_zeros() as usize), n),
            _ => {}
        }
    }

    /// Sites with chain set `h` (failing the chain / link filter) that pass the scalar filters.
    fn by_chain_set(&mut self, h: &ChainSet, (chain_fails, link_fails): (bool, bool), n: u64) {
        if !link_fails {
            self.chains(h, n);
        }
        if !chain_fails {
            self.links(h, n);
        }
    }

    /// Sites with combination `c` and chain set `h`.
    fn by_both(&mut self, c: &Combo, fails: u8, h: &ChainSet, hf: (bool, bool), n: u64) {
        match fails.count_ones() + u32::from(hf.0) + u32::from(hf.1) {
            0 => {
                self.total += n;
                self.scalar_dims(c, None, n);
                self.chains(h, n);
                self.links(h, n);
            }
            1 if fails != 0 => self.scalar_dims(c, Some(fails.trailing_zeros() as usize), n),
            1 if hf.0 => self.chains(h, n),
            1 => self.links(h, n),
            _ => {}
        }
    }
}

/// [`Store::facets`]: the counts of every facet, then the lists in their order.
pub(crate) fn facets(store: &Store, f: &SiteFilter) -> Result<Facets> {
    let d = store.dicts()?;
    let v = d.verdicts(f);
    let t = tally(store, f, &d, &v)?;
    let mut out = facet_lists(&d, &t, &store.divisions()?);
    out.precision = precision_counts(store, f)?;
    Ok(out)
}

/// Sites of `f` without its own `precision` filter, per precision: one grouped SQL pass
/// (neither the stored counts nor the list index hold the precision).
fn precision_counts(store: &Store, f: &SiteFilter) -> Result<Vec<FacetCount>> {
    use atlas_core::LocationPrecision;
    let mut g = f.clone();
    g.precision.clear();
    g.limit = None;
    g.offset = 0;
    let b = query::build(&g, store.access(&g)?, query::Parts::ALL);
    let q = b.statement(sql::COUNT_BY_PRECISION);
    let mut counts: HashMap<String, u64> = HashMap::new();
    let mut st = store.conn.prepare_cached(&q)?;
    let mut rows = st.query(params_from_iter(b.values.iter()))?;
    while let Some(r) = rows.next()? {
        let n = u64::try_from(r.get::<_, i64>(1)?).unwrap_or(0);
        counts.insert(r.get(0)?, n);
    }
    Ok(LocationPrecision::ALL
        .iter()
        .map(|p| FacetCount {
            id: p.id().to_string(),
            count: counts.get(p.id()).copied().unwrap_or(0),
        })
        .collect())
}

/// The groups of each side, restricted to those failing at most `fails` dimensions (`None`:
/// every group).
struct Allowed {
    combos: Option<Vec<i64>>,
    sets: Option<Vec<i64>>,
}

/// Counts every facet of `f` (see the module's docs for which pass answers what).
fn tally(store: &Store, f: &SiteFilter, d: &Dicts, v: &Verdicts) -> Result<Tally> {
    let mut t = Tally {
        total: 0,
        scalar: std::array::from_fn(|i| vec![0; d.values[i].len()]),
        chain: vec![0; d.cat.chain_ids.len()],
        link: vec![0; d.cat.link_ids.len()],
    };
    let (scalar, chains) = (query::has_scalar(f), query::has_chains(f));
    // Groups failing two dimensions or more count for nothing: leave them out of the passes.
    let one = Allowed {
        combos: scalar
            .then(|| restriction(&d.combos, |i| v.combo(i).count_ones() <= 1))
            .flatten(),
        sets: chains
            .then(|| restriction(&d.sets, |i| set_fails(v, i) <= 1))
            .flatten(),
    };
    if query::has_spatial_text(f) {
        pass(
            store,
            f,
            true,
            Key::Both,
            &one.combos,
            &one.sets,
            |c, h, n| {
                if let (Some((c, cf)), Some((h, hf))) = (combo_of(d, v, c), set_of(d, v, h)) {
                    t.by_both(c, cf, h, hf, n);
                }
            },
        )?;
    } else {
        tally_scalar_facets(store, f, d, v, &one, &mut t)?;
        tally_chain_facets(store, f, d, v, &one, &mut t)?;
    }
    Ok(t)
}

/// The combination of id `id` and its verdict.
fn combo_of<'d>(d: &'d Dicts, v: &Verdicts, id: i64) -> Option<(&'d Combo, u8)> {
    dicts::get(&d.combos, id).map(|c| (c, v.combo(dicts::index(id).unwrap_or(0))))
}

/// The chain set of id `id` and its verdicts (chains, links).
fn set_of<'d>(d: &'d Dicts, v: &Verdicts, id: i64) -> Option<(&'d ChainSet, (bool, bool))> {
    dicts::get(&d.sets, id).map(|h| (h, v.set(dicts::index(id).unwrap_or(0))))
}

/// Scalar facets and the total (no bbox, no search): sites passing the chain and link filters,
/// by combination; the stored counts when there are no such filters.
fn tally_scalar_facets(
    store: &Store,
    f: &SiteFilter,
    d: &Dicts,
    v: &Verdicts,
    one: &Allowed,
    t: &mut Tally,
) -> Result<()> {
    if !query::has_chains(f) {
        for (i, c) in d.combos.iter().enumerate() {
            if let Some(c) = c {
                t.by_combo(c, v.combo(i), c.sites);
            }
        }
        return Ok(());
    }
    let sets_0 = restriction(&d.sets, |i| set_fails(v, i) == 0);
    pass(
        store,
        f,
        false,
        Key::Combo,
        &one.combos,
        &sets_0,
        |c, _, n| {
            if let Some((c, cf)) = combo_of(d, v, c) {
                t.by_combo(c, cf, n);
            }
        },
    )
}

/// Chain and link facets (no bbox, no search): sites passing the scalar filters, by chain set;
/// the stored counts when there are no such filters.
fn tally_chain_facets(
    store: &Store,
    f: &SiteFilter,
    d: &Dicts,
    v: &Verdicts,
    one: &Allowed,
    t: &mut Tally,
) -> Result<()> {
    if !query::has_scalar(f) {
        for (i, h) in d.sets.iter().enumerate() {
            if let Some(h) = h {
                t.by_chain_set(h, v.set(i), h.sites);
            }
        }
        return Ok(());
    }
    let combos_0 = restriction(&d.combos, |i| v.combo(i) == 0);
    pass(
        store,
        f,
        false,
        Key::ChainSet,
        &combos_0,
        &one.sets,
        |_, h, n| {
            if let Some((h, hf)) = set_of(d, v, h) {
                t.by_chain_set(h, hf, n);
            }
        },
    )
}

/// The facet lists of the counts `t`: every known value, zeros included, in vocabulary order
/// (townships as stored, chains and links in the order of the reference data).
fn facet_lists(d: &Dicts, t: &Tally, towns: &[atlas_core::Division]) -> Facets {
    let list = |dim: usize, ids: Vec<String>| -> Vec<FacetCount> {
        let counts: HashMap<&str, u64> = d.values[dim]
            .iter()
            .map(String::as_str)
            .zip(t.scalar[dim].iter().copied())
            .collect();
        ids.into_iter()
            .map(|id| FacetCount {
                count: counts.get(id.as_str()).copied().unwrap_or(0),
                id,
            })
            .collect()
    };
    fn vocab<T: Labelled>() -> Vec<String> {
        T::ALL.iter().map(|v| v.id().to_string()).collect()
    }
    let positional = |ids: &[String], counts: &[u64]| -> Vec<FacetCount> {
        ids.iter()
            .zip(counts)
            .map(|(id, n)| FacetCount {
                id: id.clone(),
                count: *n,
            })
            .collect()
    };
    Facets {
        total: t.total,
        category: list(0, vocab::<Category>()),
        kind: list(1, vocab::<atlas_core::Kind>()),
        level: list(2, vocab::<atlas_core::Level>()),
        status: list(3, vocab::<atlas_core::Status>()),
        scope: list(4, vocab::<atlas_core::Scope>()),
        town: list(5, towns.iter().map(|d| d.code.to_string()).collect()),
        chain: positional(&d.cat.chain_ids, &t.chain),
        link: positional(&d.cat.link_ids, &t.link),
        precision: Vec::new(),
    }
}

/// [`Store::chain_counts`].
pub(crate) fn chain_counts(store: &Store, f: &SiteFilter) -> Result<Vec<ChainCount>> {
    let d = store.dicts()?;
    let v = d.verdicts(f);
    let ranks = Category::ALL.len();
    let mut chain = vec![vec![0u64; ranks]; d.cat.chain_ids.len()];
    let mut link = vec![vec![0u64; ranks]; d.cat.link_ids.len()];
    let mut without_link = vec![0u64; d.cat.chain_ids.len()];
    let mut add = |h: &ChainSet, n: u64| {
        if h.rank >= ranks {
            return;
        }
        for &p in &h.chains {
            chain[p][h.rank] += n;
        }
        for &p in &h.links {
            link[p][h.rank] += n;
        }
        for &p in &h.no_link {
            without_link[p] += n;
        }
    };
    let sets_0 = restriction(&d.sets, |i| set_fails(&v, i) == 0);
    if query::has_spatial_text(f) || query::has_scalar(f) {
        let combos_0 = restriction(&d.combos, |i| v.combo(i) == 0);
        let spatial_text = query::has_spatial_text(f);
        pass(
            store,
            f,
            spatial_text,
            Key::ChainSet,
            &combos_0,
            &sets_0,
            |_, h, n| {
                if let Some(h) = dicts::get(&d.sets, h) {
                    add(h, n);
                }
            },
        )?;
    } else {
        // Chains and links alone (or nothing): the stored counts answer.
        for (i, h) in d.sets.iter().enumerate() {
            if let Some(h) = h.as_ref().filter(|_| set_fails(&v, i) == 0) {
                add(h, h.sites);
            }
        }
    }
    let by_category = |counts: &[u64]| -> Vec<FacetCount> {
        Category::ALL
            .iter()
            .zip(counts)
            .map(|(c, n)| FacetCount {
                id: c.id().to_string(),
                count: *n,
            })
            .collect()
    };
    let catalog = store.chains()?;
    let mut out = Vec::new();
    let mut link_index = 0;
    for (i, c) in catalog.chains.iter().enumerate() {
        let cats = by_category(&chain[i]);
        let links = c
            .links
            .iter()
            .map(|l| {
                let cats = by_category(&link[link_index]);
                link_index += 1;
                LinkCount {
                    link: l.id.clone(),
                    total: cats.iter().map(|x| x.count).sum(),
                    by_category: cats,
                }
            })
            .collect();
        out.push(ChainCount {
            chain: c.id.clone(),
            total: cats.iter().map(|x| x.count).sum(),
            by_category: cats,
            without_link: without_link[i],
            links,
        });
    }
    Ok(out)
}
