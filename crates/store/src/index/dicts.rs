//! The interned facet combinations and chain sets with their site counts, read into memory:
//! what facets, counts per chain and the planner's estimates are computed from.
//!
//! A store keeps the last copy it read and reuses it while the database is unchanged: no
//! commit by another connection (`PRAGMA data_version`) and no change by its own
//! (`total_changes`). Reading them is one pass over two small tables; the copy saves that on
//! every request. With a shared index attached (`index::shared`), its copy answers while it
//! holds the data version a read sees (a single-site change re-reads the rows of the few ids
//! it touched, [`Dicts::apply`]); the connection's own copy otherwise.

use crate::error::{Result, StoreError};
use crate::query;
use crate::sql;
use crate::Store;
use atlas_core::{Category, Labelled, SiteFilter};
use rusqlite::Row;
use std::collections::HashMap;
use std::sync::Arc;

/// Scalar dimensions (category, kind, level, status, scope, town), in the order of
/// [`Combo::values`].
pub(crate) const SCALAR_DIMS: usize = 6;
/// No value (a site without a town).
pub(crate) const NONE: u16 = u16::MAX;

/// An interned facet combination.
#[derive(Debug, Clone)]
pub(crate) struct Combo {
    /// Per dimension, the position of the value in [`Dicts::values`] (or [`NONE`]).
    pub values: [u16; SCALAR_DIMS],
    pub sites: u64,
}

/// An interned chain set.
#[derive(Debug, Clone)]
pub(crate) struct ChainSet {
    /// The category's position in its vocabulary.
    pub rank: usize,
    /// Positions (in catalogue order) of its chains, each once.
    pub chains: Vec<usize>,
    /// Positions of its links.
    pub links: Vec<usize>,
    /// Positions of the chains it is on without a link.
    pub no_link: Vec<usize>,
    pub sites: u64,
    /// `chains` as bits (when the catalogue has at most 64 chains, see [`Catalogue::bits`]).
    pub chain_bits: u64,
    /// `links` as bits (when the catalogue has at most 128 links).
    pub link_bits: u128,
}

/// Chains and links in catalogue order.
#[derive(Debug, Clone)]
pub(crate) struct Catalogue {
    pub chain_ids: Vec<String>,
    pub link_ids: Vec<String>,
    pub chain_pos: HashMap<String, usize>,
    pub link_pos: HashMap<String, usize>,
    /// The chain of each link.
    pub link_chain: Vec<usize>,
    /// True when chains and links fit the bit sets of [`ChainSet`] (at most 64 chains and 128
    /// links: the plan has 7 and 35), so a verdict per chain set is one `AND`.
    pub bits: bool,
}

/// Everything interned, by id (`by_id[id]`).
#[derive(Debug, Clone)]
pub(crate) struct Dicts {
    pub cat: Catalogue,
    pub combos: Vec<Option<Combo>>,
    /// Per scalar dimension, the distinct values (ids as facets list them).
    pub values: [Vec<String>; SCALAR_DIMS],
    pub sets: Vec<Option<ChainSet>>,
}

/// The version a copy of [`Dicts`] was read at.
pub(crate) type Version = (i64, u64);

fn text<'r>(r: &'r Row<'_>, i: usize) -> Result<Option<&'r str>> {
    r.get_ref(i)?
        .as_str_or_null()
        .map_err(|e| StoreError::Data(format!("column {i}: {e}")))
}

/// Position of an id in a `by_id` vector.
pub(crate) fn index(id: i64) -> Option<usize> {
    usize::try_from(id).ok()
}

/// The item of `id`.
pub(crate) fn get<T>(v: &[Option<T>], id: i64) -> Option<&T> {
    index(id).and_then(|i| v.get(i)).and_then(Option::as_ref)
}

fn put<T>(v: &mut Vec<Option<T>>, id: i64, t: T) {
    if let Some(i) = index(id) {
        if v.len() <= i {
            v.resize_with(i + 1, || None);
        }
        v[i] = Some(t);
    }
}

fn drop_id<T>(v: &mut [Option<T>], id: i64) {
    if let Some(slot) = index(id).and_then(|i| v.get_mut(i)) {
        *slot = None;
    }
}

impl Dicts {
    /// Reads the chains, then every combination and chain set.
    pub(crate) fn load(store: &Store) -> Result<Self> {
        let cat = Catalogue::load(store)?;
        let (combos, values) = load_combos(store)?;
        let sets = load_sets(store, &cat)?;
        Ok(Self {
            cat,
            combos,
            values,
            sets,
        })
    }

    /// Takes in the rows a single-site change left (see [`Touched`]): the same values a fresh
    /// [`Dicts::load`] would read, a new value of a dimension appended to its list.
    pub(crate) fn apply(&mut self, t: &Touched) {
        for (id, row) in &t.combos {
            match row {
                Some(row) => {
                    let c = combo(row, &mut self.values);
                    put(&mut self.combos, *id, c);
                }
                None => drop_id(&mut self.combos, *id),
            }
        }
        for (id, row) in &t.sets {
            match row {
                Some(row) => put(&mut self.sets, *id, chain_set(row, &self.cat)),
                None => drop_id(&mut self.sets, *id),
            }
        }
    }

    /// How each combination and chain set fares against `f`.
    pub(crate) fn verdicts(&self, f: &SiteFilter) -> Verdicts {
        Verdicts {
            // A filter without scalar (or chain) parts leaves that list empty: every id passes.
            combo_fails: if query::has_scalar(f) {
                self.combo_fails(f)
            } else {
                Vec::new()
            },
            set_fails: if query::has_chains(f) {
                self.set_fails(f)
            } else {
                Vec::new()
            },
        }
    }

    /// Per combination: bit `d` set when the filter of scalar dimension `d` rejects it.
    fn combo_fails(&self, f: &SiteFilter) -> Vec<u8> {
        let wanted = |d: usize, ids: Vec<&str>| -> Option<Vec<bool>> {
            (!ids.is_empty()).then(|| {
                self.values[d]
                    .iter()
                    .map(|v| ids.contains(&v.as_str()))
                    .collect()
            })
        };
        let dims: [Option<Vec<bool>>; SCALAR_DIMS] = [
            wanted(0, f.category.iter().map(|c| c.id()).collect()),
            wanted(1, f.kind.iter().map(|k| k.id()).collect()),
            wanted(2, f.level.iter().map(|k| k.id()).collect()),
            wanted(3, f.status.iter().map(|k| k.id()).collect()),
            wanted(4, f.scope.iter().map(|k| k.id()).collect()),
            wanted(5, f.town.iter().map(|t| t.as_str()).collect()),
        ];
        self.combos
            .iter()
            .map(|c| {
                c.as_ref().map_or(0, |c| {
                    (0..SCALAR_DIMS).fold(0u8, |m, d| match &dims[d] {
                        Some(w) if !w.get(usize::from(c.values[d])).copied().unwrap_or(false) => {
                            m | (1 << d)
                        }
                        _ => m,
                    })
                })
            })
            .collect()
    }

    /// Per chain set: (the chain filter rejects it, the link filter rejects it).
    fn set_fails(&self, f: &SiteFilter) -> Vec<(bool, bool)> {
        let positions = |ids: Vec<String>, pos: &HashMap<String, usize>, n: usize| {
            let mut v = vec![false; n];
            for id in ids {
                if let Some(&p) = pos.get(&id) {
                    v[p] = true;
                }
            }
            v
        };
        let chain_wanted = positions(
            f.chain.iter().map(|c| c.to_string()).collect(),
            &self.cat.chain_pos,
            self.cat.chain_ids.len(),
        );
        let link_wanted = positions(
            f.link.iter().map(|l| l.to_string()).collect(),
            &self.cat.link_pos,
            self.cat.link_ids.len(),
        );
        let (by_chain, by_link) = (!f.chain.is_empty(), !f.link.is_empty());
        if self.cat.bits {
            let chains =
                chain_wanted
                    .iter()
                    .enumerate()
                    .fold(0u64, |m, (i, w)| if *w { m | (1 << i) } else { m });
            let links =
                link_wanted
                    .iter()
                    .enumerate()
                    .fold(0u128, |m, (i, w)| if *w { m | (1 << i) } else { m });
            return self
                .sets
                .iter()
                .map(|h| {
                    h.as_ref().map_or((false, false), |h| {
                        (
                            by_chain && h.chain_bits & chains == 0,
                            by_link && h.link_bits & links == 0,
                        )
                    })
                })
                .collect();
        }
        self.sets
            .iter()
            .map(|h| {
                h.as_ref().map_or((false, false), |h| {
                    (
                        by_chain && !h.chains.iter().any(|&c| chain_wanted[c]),
                        by_link && !h.links.iter().any(|&l| link_wanted[l]),
                    )
                })
            })
            .collect()
    }
}

impl Catalogue {
    /// The store's chains and links, with their positions.
    fn load(store: &Store) -> Result<Self> {
        let chains = store.chains()?;
        let chain_ids: Vec<String> = chains.chains.iter().map(|c| c.id.to_string()).collect();
        let mut link_ids = Vec::new();
        let mut link_chain = Vec::new();
        for (i, c) in chains.chains.iter().enumerate() {
            for l in &c.links {
                link_ids.push(l.id.to_string());
                link_chain.push(i);
            }
        }
        let pos = |ids: &[String]| -> HashMap<String, usize> {
            ids.iter()
                .enumerate()
                .map(|(i, id)| (id.clone(), i))
                .collect()
        };
        Ok(Self {
            bits: chain_ids.len() <= 64 && link_ids.len() <= 128,
            chain_pos: pos(&chain_ids),
            link_pos: pos(&link_ids),
            chain_ids,
            link_ids,
            link_chain,
        })
    }
}

/// A row of `facet_combos` ([`sql::COMBOS`]).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ComboRow {
    id: i64,
    rank: i64,
    /// Kind, level, status, scope, town.
    values: [Option<String>; SCALAR_DIMS - 1],
    sites: i64,
}

impl ComboRow {
    pub(crate) fn read(r: &Row<'_>) -> Result<Self> {
        let mut values: [Option<String>; SCALAR_DIMS - 1] = Default::default();
        for (d, v) in values.iter_mut().enumerate() {
            *v = text(r, d + 2)?.map(str::to_string);
        }
        Ok(Self {
            id: r.get(0)?,
            rank: r.get(1)?,
            values,
            sites: r.get(7)?,
        })
    }
}

/// A row of `chain_sets` ([`sql::CHAIN_SETS`]).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SetRow {
    id: i64,
    rank: i64,
    refs: Option<String>,
    sites: i64,
}

impl SetRow {
    pub(crate) fn read(r: &Row<'_>) -> Result<Self> {
        Ok(Self {
            id: r.get(0)?,
            rank: r.get(1)?,
            refs: text(r, 2)?.map(str::to_string),
            sites: r.get(3)?,
        })
    }
}

/// Every combination by id, and the distinct values of each scalar dimension.
#[allow(clippy::type_complexity)]
fn load_combos(store: &Store) -> Result<(Vec<Option<Combo>>, [Vec<String>; SCALAR_DIMS])> {
    let mut values: [Vec<String>; SCALAR_DIMS] = Default::default();
    values[0] = Category::ALL.iter().map(|c| c.id().to_string()).collect();
    let mut combos = Vec::new();
    let mut st = store.conn.prepare_cached(sql::COMBOS)?;
    let mut rows = st.query([])?;
    while let Some(r) = rows.next()? {
        let row = ComboRow::read(r)?;
        put(&mut combos, row.id, combo(&row, &mut values));
    }
    Ok((combos, values))
}

/// The combination of `row`, its values' positions in `values` (new values appended).
fn combo(row: &ComboRow, values: &mut [Vec<String>; SCALAR_DIMS]) -> Combo {
    let mut combo = Combo {
        values: [NONE; SCALAR_DIMS],
        sites: u64::try_from(row.sites).unwrap_or(0),
    };
    combo.values[0] = u16::try_from(row.rank)
        .ok()
        .filter(|v| usize::from(*v) < values[0].len())
        .unwrap_or(NONE);
    for (d, v) in row.values.iter().enumerate() {
        let Some(v) = v else { continue };
        let known = &mut values[d + 1];
        combo.values[d + 1] = match known.iter().position(|k| k == v) {
            Some(p) => u16::try_from(p).unwrap_or(NONE),
            None => {
                known.push(v.clone());
                u16::try_from(known.len() - 1).unwrap_or(NONE)
            }
        };
    }
    combo
}

/// Every chain set by id, its chains and links as positions in `cat`.
fn load_sets(store: &Store, cat: &Catalogue) -> Result<Vec<Option<ChainSet>>> {
    let mut sets = Vec::new();
    let mut st = store.conn.prepare_cached(sql::CHAIN_SETS)?;
    let mut rows = st.query([])?;
    while let Some(r) = rows.next()? {
        let row = SetRow::read(r)?;
        put(&mut sets, row.id, chain_set(&row, cat));
    }
    Ok(sets)
}

/// The chain set of `row`, its chains and links as positions in `cat`.
fn chain_set(row: &SetRow, cat: &Catalogue) -> ChainSet {
    let mut set = ChainSet {
        rank: usize::try_from(row.rank).unwrap_or(usize::MAX),
        chains: Vec::new(),
        links: Vec::new(),
        no_link: Vec::new(),
        sites: u64::try_from(row.sites).unwrap_or(0),
        chain_bits: 0,
        link_bits: 0,
    };
    // `refs` as `ChainRef::format_list` writes them: `chain` or `chain.link`, `;`
    // between. Reference data guards its ids (`replace_reference`); an unknown one
    // counts nowhere.
    for part in row
        .refs
        .as_deref()
        .unwrap_or("")
        .split(';')
        .filter(|p| !p.is_empty())
    {
        let chain = if let Some(&l) = cat.link_pos.get(part) {
            set.links.push(l);
            Some(cat.link_chain[l])
        } else if let Some(&c) = cat.chain_pos.get(part) {
            set.no_link.push(c);
            Some(c)
        } else {
            None
        };
        if let Some(c) = chain {
            if !set.chains.contains(&c) {
                set.chains.push(c);
            }
        }
    }
    if cat.bits {
        set.chain_bits = set.chains.iter().fold(0, |m, &c| m | (1u64 << c));
        set.link_bits = set.links.iter().fold(0, |m, &l| m | (1u128 << l));
    }
    set
}

/// The rows of the combinations and chain sets a single-site change touched, as they are after
/// it (`None`: dropped, no site uses it any more).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Touched {
    pub combos: Vec<(i64, Option<ComboRow>)>,
    pub sets: Vec<(i64, Option<SetRow>)>,
}

impl Touched {
    /// Reads the rows of combinations `combos` and chain sets `sets` (ids repeated or missing
    /// are fine).
    pub(crate) fn read(
        conn: &rusqlite::Connection,
        combos: &[Option<i64>],
        sets: &[Option<i64>],
    ) -> Result<Self> {
        use rusqlite::OptionalExtension;
        let mut out = Self::default();
        let mut st = conn.prepare_cached(sql::COMBO_BY_ID)?;
        for &id in combos.iter().flatten() {
            if out.combos.iter().all(|(i, _)| *i != id) {
                let row = st.query_row([id], |r| Ok(ComboRow::read(r))).optional()?;
                out.combos.push((id, row.transpose()?));
            }
        }
        let mut st = conn.prepare_cached(sql::CHAIN_SET_BY_ID)?;
        for &id in sets.iter().flatten() {
            if out.sets.iter().all(|(i, _)| *i != id) {
                let row = st.query_row([id], |r| Ok(SetRow::read(r))).optional()?;
                out.sets.push((id, row.transpose()?));
            }
        }
        Ok(out)
    }
}

/// How each interned value fares against a filter.
pub(crate) struct Verdicts {
    /// Per combination id: bit `d` set when the filter of scalar dimension `d` rejects it
    /// (empty when the filter has no scalar part: every combination passes).
    pub combo_fails: Vec<u8>,
    /// Per chain set id: (the chain filter rejects it, the link filter rejects it) (empty when
    /// the filter has no chain or link part: every chain set passes).
    pub set_fails: Vec<(bool, bool)>,
}

impl Verdicts {
    pub(crate) fn combo(&self, id: usize) -> u8 {
        self.combo_fails.get(id).copied().unwrap_or(0)
    }

    pub(crate) fn set(&self, id: usize) -> (bool, bool) {
        self.set_fails.get(id).copied().unwrap_or((false, false))
    }
}

impl Dicts {
    /// Sites whose combination passes every scalar filter of `v`.
    pub(crate) fn scalar_sites(&self, v: &Verdicts) -> u64 {
        self.combos
            .iter()
            .enumerate()
            .filter_map(|(i, c)| c.as_ref().filter(|_| v.combo(i) == 0).map(|c| c.sites))
            .sum()
    }

    /// Sites whose chain set passes the chain and link filters of `v`.
    pub(crate) fn chain_sites(&self, v: &Verdicts) -> u64 {
        self.sets
            .iter()
            .enumerate()
            .filter_map(|(i, h)| {
                h.as_ref()
                    .filter(|_| v.set(i) == (false, false))
                    .map(|h| h.sites)
            })
            .sum()
    }
}

impl Store {
    /// What in-memory copies of the database are checked against: a commit by another
    /// connection changes `PRAGMA data_version`, a change by this one `total_changes`.
    pub(crate) fn version(&self) -> Result<Version> {
        Ok((
            self.conn
                .pragma_query_value(None, "data_version", |r| r.get(0))?,
            self.conn.total_changes(),
        ))
    }

    /// The interned values: the shared index's when attached and at the data version this
    /// connection sees, else the copy of the last read while the database is unchanged.
    pub(crate) fn dicts(&self) -> Result<Arc<Dicts>> {
        if let Some(shared) = &self.shared {
            let at = self.data_version()?;
            if let Some(d) = shared.with_current(at, |held| held.dicts.clone()) {
                return Ok(d);
            }
        }
        let version = self.version()?;
        if let Some((v, d)) = self.dicts.borrow().as_ref() {
            if *v == version {
                return Ok(d.clone());
            }
        }
        let d = Arc::new(Dicts::load(self)?);
        *self.dicts.borrow_mut() = Some((version, d.clone()));
        Ok(d)
    }
}
