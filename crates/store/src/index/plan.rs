//! How a filter's rows are read: which index drives. Results never depend on it.
//!
//! - A bbox makes the R*Tree drive ([`Access::Rtree`], see [`crate::query`]), unless the box is
//!   estimated to hold at least the spatial threshold and a quarter of all sites: then the box is a
//!   plain test and the planner chooses ([`Access::Scan`]). The estimate comes from per-cell site
//!   counts (`site_cells`, 0.01° cells), so deciding costs no walk of the R*Tree.
//! - With both scalar and chain filters, the one passing fewer sites (by the stored counts of
//!   combinations and chain sets) may seek its index, the other is tested ([`Lead`]).
//! - A page (`limit` set) whose rows are expected early in list order walks the list index
//!   ([`Access::Ordered`], see [`query::page_access`]).
//! - Before any of that, whether SQL runs at all: [`count_path`], [`page_path`] and
//!   [`stream_path`] send filters without a search to the in-memory list index
//!   (`index::listing`), and counts of scalar-only or chain-only filters to the stored counts
//!   (`index::dicts`). A filter with a CQL2 expression (`SiteFilter::expr`) always takes the
//!   SQL path ([`crate::expr_sql`] writes its condition).

use crate::error::Result;
use crate::index::listing;
use crate::index::search;
use crate::query::{self, Access, Lead};
use crate::{sql, Store};
use atlas_core::SiteFilter;
use rusqlite::types::Value;

/// How [`Store::count`] answers a filter. Every way gives the same number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CountPath {
    /// Scalar filters alone, or chain and link filters alone (no bbox, no search): the site
    /// counts stored with the interned combinations or chain sets answer, without a row.
    Stored,
    /// Any other filter without a search: one pass over the in-memory list index.
    ListIndex,
    /// A filter with a search: a SQL count through the full-text index, read as
    /// [`Store::access`] chooses.
    Sql,
}

/// How the sites of a read are found. Every way gives the same sites in the same order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RowsPath {
    /// A filter without a search: one pass over the in-memory list index finds the page's keys
    /// (and the number of all matches); the rows are read by key.
    ListIndex,
    /// A filter with a search: the SQL list query, read as [`Store::list_access`] chooses.
    Sql,
}

/// The way [`Store::count`] answers `f`.
pub(crate) fn count_path(f: &SiteFilter) -> CountPath {
    let both = query::has_scalar(f) && query::has_chains(f);
    if !query::has_spatial_text(f) && !both {
        CountPath::Stored
    } else if listing::answers(f) {
        CountPath::ListIndex
    } else {
        CountPath::Sql
    }
}

/// The way a page of `f` (with its count) is read.
pub(crate) fn page_path(f: &SiteFilter) -> RowsPath {
    if listing::answers(f) {
        RowsPath::ListIndex
    } else {
        RowsPath::Sql
    }
}

/// The way the sites of `f` are streamed ([`Store::for_each`]): the list index only for a
/// page; every match of a filter is read in one SQL pass (no keys held in memory).
pub(crate) fn stream_path(f: &SiteFilter) -> RowsPath {
    if f.limit.is_some() && listing::answers(f) {
        RowsPath::ListIndex
    } else {
        RowsPath::Sql
    }
}

/// What the store knows cheaply about a filter.
pub(crate) struct Probe {
    /// How the filter's rows are read when all of them are wanted.
    pub access: Access,
    /// Sites in the store (≈ the largest key: sites are never deleted).
    pub total: i64,
    /// Estimated sites in the box.
    pub box_sites: Option<i64>,
    /// Sites passing the scalar filters alone, when there are some (stored counts).
    pub scalar: Option<i64>,
    /// Sites passing the chain and link filters alone, when there are some (stored counts).
    pub chains: Option<i64>,
}

impl Store {
    /// How the rows of `filter` are read when all of them are wanted (counts, facets, exports).
    pub(crate) fn access(&self, filter: &SiteFilter) -> Result<Access> {
        Ok(self.probe(filter)?.access)
    }

    /// The facts [`Store::access`] and [`Store::list_access`] decide on: the estimated sites in
    /// the box (sites whose box centre lies in a 0.01° cell the box touches), and the stored
    /// counts of the scalar and chain filters when both are present.
    pub(crate) fn probe(&self, filter: &SiteFilter) -> Result<Probe> {
        let total: i64 = self
            .conn
            .prepare_cached(sql::MAX_PK)?
            .query_row([], |r| r.get::<_, Option<i64>>(0))?
            .unwrap_or(0);
        let box_sites = match filter.bbox {
            Some(b) => {
                let (x0, y0) = query::cell(b.min_lon, b.min_lat);
                let (x1, y1) = query::cell(b.max_lon, b.max_lat);
                Some(
                    self.conn
                        .prepare_cached(sql::CELL_SITES)?
                        .query_row(rusqlite::params![x0, x1, y0, y1], |r| r.get(0))?,
                )
            }
            None => None,
        };
        let limit = i64::try_from(self.spatial_threshold)
            .unwrap_or(i64::MAX)
            .max(total / 4);
        let spatial = box_sites.is_some_and(|n| n < limit);
        let both = query::has_scalar(filter) && query::has_chains(filter);
        // Pages weigh every filter; otherwise the counts only choose the lead of two filters.
        let (scalar, chains) = if filter.limit.is_some() || (both && !spatial) {
            self.stored_counts(filter)?
        } else {
            (None, None)
        };
        let access = if spatial {
            Access::Rtree
        } else {
            Access::Scan(match (scalar, chains) {
                (Some(a), Some(b)) if a <= b => Lead::Combo,
                (Some(_), Some(_)) => Lead::Chains,
                _ => Lead::Any,
            })
        };
        Ok(Probe {
            access,
            total,
            box_sites,
            scalar,
            chains,
        })
    }

    /// Sites passing the scalar filters of `filter` alone, and sites passing its chain and link
    /// filters alone (`None` for a kind of filter it has not). Reads the stored counts only.
    fn stored_counts(&self, filter: &SiteFilter) -> Result<(Option<i64>, Option<i64>)> {
        let (scalar, chains) = (query::has_scalar(filter), query::has_chains(filter));
        if !scalar && !chains {
            return Ok((None, None));
        }
        // Estimates only (they choose the access path, never the result): the shared index's
        // values may be a change behind; without them, this connection's.
        let d = match self.shared.as_ref().and_then(|s| s.any_dicts()) {
            Some(d) => d,
            None => self.dicts()?,
        };
        let v = d.verdicts(filter);
        let n = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        Ok((
            scalar.then(|| n(d.scalar_sites(&v))),
            chains.then(|| n(d.chain_sites(&v))),
        ))
    }

    /// How the list query of `filter` reads its rows: as [`Store::access`], unless `filter` is a
    /// page whose rows are expected early in list order (see [`query::page_access`]). Costs a
    /// few reads of the stored counts and, with a search, one full-text count.
    pub(crate) fn list_access(&self, filter: &SiteFilter) -> Result<Access> {
        let p = self.probe(filter)?;
        if filter.limit.is_none() || p.total == 0 {
            return Ok(p.access);
        }
        let text = match search::plan(&filter.terms()).fts {
            Some(m) => Some(self.scalar_i64(sql::COUNT_FTS, &[Value::Text(m)])?),
            None => None,
        };
        let e = query::Estimates {
            total: p.total,
            box_hits: if p.access == Access::Rtree {
                p.box_sites
            } else {
                None
            },
            box_share: p.box_sites,
            scalar: p.scalar,
            chains: p.chains,
            text,
        };
        Ok(query::page_access(filter, p.access, &e))
    }

    fn scalar_i64(&self, q: &str, values: &[Value]) -> Result<i64> {
        Ok(self
            .conn
            .prepare_cached(q)?
            .query_row(rusqlite::params_from_iter(values.iter()), |r| r.get(0))?)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::synth::{self, Lcg};
    use atlas_core::dataset::Reference;
    use atlas_core::{Category, Labelled, Site};

    fn rank(c: Category) -> usize {
        Category::ALL.iter().position(|x| *x == c).unwrap()
    }

    fn expected(sites: &[Site], f: &SiteFilter) -> Vec<String> {
        let mut m: Vec<&Site> = sites.iter().filter(|s| f.matches(s)).collect();
        m.sort_by(|a, b| {
            (rank(a.category), &a.name_zh, &a.id).cmp(&(rank(b.category), &b.name_zh, &b.id))
        });
        m.into_iter()
            .skip(f.offset as usize)
            .take(f.limit.map_or(usize::MAX, |l| l as usize))
            .map(|s| s.id.to_string())
            .collect()
    }

    /// Every way of reading a filter's rows returns the same rows, in the same order.
    #[test]
    fn every_access_path_returns_the_same_rows() {
        let mut store = Store::open_in_memory().unwrap();
        let r = Reference::embedded().unwrap();
        store.replace_reference(&r).unwrap();
        let sites = synth::sites(2500, 21);
        store.import_sites(&sites).unwrap();
        let mut g = Lcg::new(5);
        let words = ["q=石化", "q=园区", "q=鱼", "q=chem", "q=co", "q=茂南 公司"];
        let scalars = [
            "category=carrier_platform",
            "kind=incubator",
            "level=provincial",
            "status=operating,planned",
            "scope=partner",
            "town=440902100,440902103",
        ];
        let chains = [
            "chain=petrochemical",
            "chain=health,modern_agriculture",
            "link=petrochemical.refining",
        ];
        // CQL2 filters (percent-encoded): SQL alone answers them, on every access path.
        let cqls = [
            "filter=chain%20%3D%20%27petrochemical%27%20OR%20kind%20%3D%20%27incubator%27",
            "filter=NOT%20(town%20%3D%20%27440902100%27)%20AND%20status%20%3C%3E%20%27planned%27",
            "filter=name_zh%20LIKE%20%27%25%E5%9B%AD%25%27%20OR%20area_m2%20%3E%205000",
            "filter=S_INTERSECTS(geometry%2C%20BBOX(110.85%2C%2021.6%2C%20110.95%2C%2021.7))",
        ];
        for _ in 0..250 {
            let mut p: Vec<String> = Vec::new();
            for (set, chance) in [
                (&words[..], 0.3),
                (&scalars[..], 0.5),
                (&chains[..], 0.5),
                (&cqls[..], 0.3),
            ] {
                if g.chance(chance) {
                    p.push(g.pick(set).unwrap().to_string());
                }
            }
            if g.chance(0.2) {
                p.push(g.pick(&scalars).unwrap().to_string());
            }
            if g.chance(0.15) {
                // A box whose corner is exactly a site's marker: edges count as inside.
                let Some(b) = g.pick(&sites).unwrap().bbox() else {
                    continue;
                };
                p.push(format!(
                    "bbox={},{},{},{}",
                    b.max_lon,
                    b.max_lat,
                    b.max_lon + g.unit() * 0.05,
                    b.max_lat + g.unit() * 0.05
                ));
            } else if g.chance(0.5) {
                let (x, y) = (110.75 + g.unit() * 0.3, 21.5 + g.unit() * 0.3);
                let (w, h) = (g.unit() * 0.25, g.unit() * 0.25);
                p.push(format!("bbox={x},{y},{},{}", x + w, y + h));
            }
            if g.chance(0.6) {
                p.push(format!("limit={}&offset={}", 1 + g.below(80), g.below(40)));
            }
            let Ok(f) = SiteFilter::parse_query(&p.join("&")) else {
                continue;
            };
            let want = expected(&sites, &f);
            let unpaged = SiteFilter {
                limit: None,
                offset: 0,
                ..f.clone()
            };
            // The in-memory list index (grid or scan of every box) agrees too.
            if page_path(&f) == RowsPath::ListIndex {
                let mut got = Vec::new();
                let matched = store
                    .page(&f, |s| {
                        got.push(s.id.to_string());
                        Ok::<(), crate::StoreError>(())
                    })
                    .unwrap();
                assert_eq!(got, want, "list index {p:?}");
                assert_eq!(matched as usize, expected(&sites, &unpaged).len(), "{p:?}");
            }
            let mut accesses = vec![
                Access::Scan(Lead::Any),
                Access::Scan(Lead::Combo),
                Access::Scan(Lead::Chains),
                Access::Ordered,
            ];
            if f.bbox.is_some() {
                accesses.push(Access::Rtree);
            }
            for access in accesses {
                let (q, values) = query::list_sql(&f, access);
                let mut st = store.conn.prepare(&q).unwrap();
                let got: Vec<String> = st
                    .query_map(rusqlite::params_from_iter(values.iter()), |r| r.get(0))
                    .unwrap()
                    .collect::<std::result::Result<_, _>>()
                    .unwrap();
                assert_eq!(got, want, "{access:?} {p:?}");
                if access != Access::Ordered {
                    let (q, values) = query::count_sql(&f, access);
                    let n: i64 = store
                        .conn
                        .query_row(&q, rusqlite::params_from_iter(values.iter()), |r| r.get(0))
                        .unwrap();
                    assert_eq!(
                        n as usize,
                        expected(&sites, &unpaged).len(),
                        "count {access:?} {p:?}"
                    );
                }
            }
        }
    }
}
