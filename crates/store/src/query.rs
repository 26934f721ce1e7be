//! `SiteFilter` → SQL: the one query path behind lists, counts, exports, facets and counts per
//! chain. The builder composes the fixed fragments of [`crate::sql`]; every value is a bound
//! parameter (`?N`).
//!
//! Plan shape: with a bbox, rows come from the R*Tree (`sites_rtree CROSS JOIN sites`, and a
//! unary `+` on every attribute column), so the spatial index drives even when an attribute
//! index exists (see `lessons.md`: 63 ms instead of 2 ms at 1M rows otherwise). Without a bbox,
//! the chain/link/FTS subqueries and the attribute indexes are free to drive.
//!
//! One exception, chosen per query by the store (`Access`): a bbox holding so many sites that
//! walking the R*Tree costs more than scanning (a map zoomed out over the whole district) is
//! applied as a plain column test instead, and the planner is free again. The results are the
//! same either way; only the plan differs.

use crate::row::category_rank;
use crate::search;
use crate::sql;
use atlas_core::{Labelled, SiteFilter};
use rusqlite::types::Value;
use serde::Serialize;

/// A filter dimension that facets count by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dim {
    Category,
    Kind,
    Chain,
    Link,
    Level,
    Status,
    Scope,
    Town,
}

/// How a bbox is applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    /// The R*Tree drives (small boxes).
    Rtree,
    /// The box is a plain test on the stored bounds (boxes holding a large share of the sites).
    Scan,
}

/// A filter turned into a `FROM … WHERE …` with its parameters.
#[derive(Debug, Clone)]
pub(crate) struct Built {
    pub from: &'static str,
    pub conds: Vec<String>,
    pub values: Vec<Value>,
}

impl Built {
    /// Binds a value, returning its placeholder.
    pub fn bind(&mut self, v: Value) -> String {
        self.values.push(v);
        format!("?{}", self.values.len())
    }

    fn list<I: IntoIterator<Item = Value>>(&mut self, vals: I) -> String {
        vals.into_iter()
            .map(|v| self.bind(v))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// `FROM … [WHERE …]`.
    pub fn source(&self) -> String {
        self.source_joined("")
    }

    /// `FROM … <join> [WHERE …]`.
    fn source_joined(&self, join: &str) -> String {
        let mut s = format!("FROM {} {join}", self.from);
        if !self.conds.is_empty() {
            s.push_str(" WHERE ");
            s.push_str(&self.conds.join(" AND "));
        }
        s
    }

    /// A statement template with its `{source}` filled in.
    fn statement(&self, template: &str) -> String {
        template.replace("{source}", &self.source())
    }

    /// A statement template over sites joined to chain rows (`fc`) by `join`.
    fn joined_statement(&self, template: &str, join: &str) -> String {
        template.replace("{source}", &self.source_joined(join))
    }
}

fn texts<'a, I: IntoIterator<Item = &'a str>>(it: I) -> Vec<Value> {
    it.into_iter().map(|s| Value::Text(s.to_string())).collect()
}

/// Builds the row source and conditions of `f`, leaving out dimension `skip` (for facets).
/// Limit and offset are not part of it.
pub(crate) fn build(f: &SiteFilter, skip: Option<Dim>, access: Access) -> Built {
    let spatial = f.bbox.is_some() && access == Access::Rtree;
    let mut b = Built {
        from: if spatial {
            sql::FROM_RTREE
        } else {
            sql::FROM_SITES
        },
        conds: Vec::new(),
        values: Vec::new(),
    };
    if let Some(bb) = f.bbox {
        let min_lon = b.bind(Value::Real(bb.min_lon));
        let min_lat = b.bind(Value::Real(bb.min_lat));
        let max_lon = b.bind(Value::Real(bb.max_lon));
        let max_lat = b.bind(Value::Real(bb.max_lat));
        let frags: &[&str] = if spatial {
            &[sql::RTREE_WINDOW, sql::EXACT_WINDOW]
        } else {
            &[sql::EXACT_WINDOW]
        };
        for frag in frags {
            b.conds.push(
                frag.replace("{min_lon}", &min_lon)
                    .replace("{min_lat}", &min_lat)
                    .replace("{max_lon}", &max_lon)
                    .replace("{max_lat}", &max_lat),
            );
        }
    }
    let plus = if spatial { "+" } else { "" };
    let attr = |b: &mut Built, dim: Dim, column: &str, vals: Vec<Value>| {
        if skip != Some(dim) && !vals.is_empty() {
            let l = b.list(vals);
            b.conds.push(
                sql::ATTR_IN
                    .replace("{plus}", plus)
                    .replace("{column}", column)
                    .replace("{list}", &l),
            );
        }
    };
    attr(
        &mut b,
        Dim::Category,
        sql::COL_CATEGORY_RANK,
        f.category
            .iter()
            .map(|c| Value::Integer(category_rank(*c)))
            .collect(),
    );
    attr(
        &mut b,
        Dim::Kind,
        sql::COL_KIND,
        texts(f.kind.iter().map(|k| k.id())),
    );
    attr(
        &mut b,
        Dim::Level,
        sql::COL_LEVEL,
        texts(f.level.iter().map(|k| k.id())),
    );
    attr(
        &mut b,
        Dim::Status,
        sql::COL_STATUS,
        texts(f.status.iter().map(|k| k.id())),
    );
    attr(
        &mut b,
        Dim::Scope,
        sql::COL_SCOPE,
        texts(f.scope.iter().map(|k| k.id())),
    );
    attr(
        &mut b,
        Dim::Town,
        sql::COL_TOWN,
        texts(f.town.iter().map(|t| t.as_str())),
    );
    if skip != Some(Dim::Chain) && !f.chain.is_empty() {
        let l = b.list(texts(f.chain.iter().map(|c| c.as_str())));
        let frag = if spatial {
            sql::CHAIN_EXISTS
        } else {
            sql::CHAIN_IN
        };
        b.conds.push(frag.replace("{list}", &l));
    }
    if skip != Some(Dim::Link) && !f.link.is_empty() {
        let l = b.list(texts(f.link.iter().map(|c| c.as_str())));
        let frag = if spatial {
            sql::LINK_EXISTS
        } else {
            sql::LINK_IN
        };
        b.conds.push(frag.replace("{list}", &l));
    }
    let search = search::plan(&f.terms());
    if let Some(m) = search.fts {
        let p = b.bind(Value::Text(m));
        let frag = if spatial {
            sql::FTS_MATCH_CHECKED
        } else {
            sql::FTS_MATCH
        };
        b.conds.push(frag.replace("{p}", &p));
    }
    for t in search.check {
        let p = b.bind(Value::Text(t));
        b.conds.push(sql::TERM.replace("{p}", &p));
    }
    b
}

/// The list query: sites of `f` in list order, with its limit and offset.
pub(crate) fn list_sql(f: &SiteFilter, access: Access) -> (String, Vec<Value>) {
    let mut b = build(f, None, access);
    let limit = f.limit.map_or(-1, |l| i64::try_from(l).unwrap_or(i64::MAX));
    let offset = i64::try_from(f.offset).unwrap_or(i64::MAX);
    let lp = b.bind(Value::Integer(limit));
    let op = b.bind(Value::Integer(offset));
    let q = b
        .statement(sql::LIST)
        .replace("{columns}", sql::SITE_COLUMNS)
        .replace("{limit}", &lp)
        .replace("{offset}", &op);
    (q, b.values)
}

/// `count(*)` of `f` (ignoring limit and offset).
pub(crate) fn count_sql(f: &SiteFilter, access: Access) -> (String, Vec<Value>) {
    // Only a search, decided by the full-text index alone: count its matches there.
    let only_search = f.category.is_empty()
        && f.kind.is_empty()
        && f.chain.is_empty()
        && f.link.is_empty()
        && f.level.is_empty()
        && f.status.is_empty()
        && f.scope.is_empty()
        && f.town.is_empty()
        && f.bbox.is_none();
    if only_search {
        let plan = search::plan(&f.terms());
        if let (Some(m), true) = (plan.fts, plan.check.is_empty()) {
            return (sql::COUNT_FTS.to_string(), vec![Value::Text(m)]);
        }
    }
    let b = build(f, None, access);
    (b.statement(sql::COUNT), b.values)
}

/// Sum of `area_m2` over `f` (ignoring limit and offset); 0 when no site has an area.
pub(crate) fn area_sql(f: &SiteFilter, access: Access) -> (String, Vec<Value>) {
    let b = build(f, None, access);
    (b.statement(sql::SUM_AREA), b.values)
}

/// Counts per combination of the scalar dimensions (category, kind, level, status, scope, town)
/// over `f` without dimension `skip`: one scan serves every facet whose own filter is empty.
pub(crate) fn combos_sql(
    f: &SiteFilter,
    skip: Option<Dim>,
    access: Access,
) -> (String, Vec<Value>) {
    let b = build(f, skip, access);
    (b.statement(sql::FACET_COMBOS), b.values)
}

/// The chain or link facet: (id, sites) with that dimension's own filter left out.
pub(crate) fn chain_facet_sql(f: &SiteFilter, dim: Dim, access: Access) -> (String, Vec<Value>) {
    let b = build(f, Some(dim), access);
    let link = dim == Dim::Link;
    let q = match (b.conds.is_empty(), link) {
        // Nothing restricts the sites: the chain table alone answers (covering index).
        (true, false) => sql::CHAIN_FACET_ALL.to_string(),
        (true, true) => sql::LINK_FACET_ALL.to_string(),
        (false, false) => b.joined_statement(sql::CHAIN_FACET, sql::JOIN_CHAIN_MEMBERS),
        (false, true) => b.joined_statement(sql::LINK_FACET, sql::JOIN_LINKS),
    };
    (q, b.values)
}

/// Counts per (chain, link or NULL, category rank) over `f`: sites on each link, and sites on
/// each chain (a site on two links of one chain counts once for the chain).
pub(crate) fn chain_count_sql(f: &SiteFilter, access: Access) -> [(String, Vec<Value>); 2] {
    let b = build(f, None, access);
    [
        (
            b.joined_statement(sql::CHAIN_COUNTS_BY_LINK, sql::JOIN_CHAIN_REFS),
            b.values.clone(),
        ),
        (
            b.joined_statement(sql::CHAIN_COUNTS_BY_CHAIN, sql::JOIN_CHAIN_MEMBERS),
            b.values,
        ),
    ]
}

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
