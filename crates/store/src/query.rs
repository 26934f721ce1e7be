//! `SiteFilter` → SQL: the one query path behind lists, counts, exports, facets and counts per
//! chain. The builder composes the fixed fragments of [`crate::sql`]; every value is a bound
//! parameter (`?N`).
//!
//! Plan shape: with a bbox, rows come from the R*Tree (`sites_rtree CROSS JOIN sites`, and a
//! unary `+` on every attribute column), so the spatial index drives even when an attribute
//! index exists (an attribute index driving a box query reads every row of that attribute).
//! Without a bbox, the chain/link/FTS subqueries and the attribute indexes are free to drive.
//!
//! Exceptions, chosen per query by the store (`Access`, see `index::plan`); the results are
//! the same either way, only the plan differs:
//! - a bbox holding so many sites that walking the R*Tree costs more than scanning (a map zoomed
//!   out over the whole district) is applied as a plain column test, and the planner is free;
//! - a page expected to find its rows early in list order walks `sites_order`, which holds every
//!   filter column but the search text, and stops after `offset + limit` rows.
//!
//! Scalar filters other than category are one test on the site's interned combination
//! (`combo IN (SELECT id FROM facet_combos WHERE …)`), chain and link filters one each on its
//! chain set; with both, only the more selective may seek an index (`Lead`).

use crate::index::search;
use crate::row::category_rank;
use crate::sql;
use atlas_core::{Labelled, SiteFilter};
use rusqlite::types::Value;

/// How a bbox is applied, and which index a page walks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    /// The R*Tree drives (small boxes).
    Rtree,
    /// No bbox, or the box is a plain test on the stored bounds (boxes holding a large share
    /// of the sites): the planner chooses the index, led by `Lead`.
    Scan(Lead),
    /// A page (`limit` set) expected to find its rows early in list order: the list index is
    /// walked in order, every filter but the search text tested on its columns, and the walk
    /// stops after `offset + limit` rows.
    Ordered,
}

/// Which filter may seek an index when both the scalar filters (combination) and the chain
/// filters (chain set) are present: seeking both at once would try every pair of values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lead {
    /// Whichever the planner prefers (at most one of the two is present).
    Any,
    /// The combination (and category); chain filters are tested on the entries.
    Combo,
    /// The chain set; scalar filters are tested on the entries.
    Chains,
}

/// Which parts of a filter a statement applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Parts {
    /// bbox, search, location and the CQL2 expression.
    pub spatial_text: bool,
    /// category, kind, level, status, scope, town.
    pub scalar: bool,
    /// chain and link.
    pub chains: bool,
}

impl Parts {
    /// The whole filter.
    pub const ALL: Parts = Parts {
        spatial_text: true,
        scalar: true,
        chains: true,
    };
    /// bbox and search only.
    pub const SPATIAL_TEXT: Parts = Parts {
        spatial_text: true,
        scalar: false,
        chains: false,
    };
}

/// A filter turned into a `FROM … WHERE …` with its parameters.
#[derive(Debug, Clone)]
pub(crate) struct Built {
    pub from: &'static str,
    pub conds: Vec<String>,
    pub values: Vec<Value>,
    /// `+` when the R*Tree must keep driving, else empty.
    pub plus: &'static str,
}

impl Built {
    /// No condition yet.
    pub fn new(from: &'static str, plus: &'static str) -> Self {
        Self {
            from,
            conds: Vec::new(),
            values: Vec::new(),
            plus,
        }
    }

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

    /// Adds "the site's combination (or chain set) is one of `ids`" (`fragment` is
    /// [`sql::COMBO_IDS`] or [`sql::CHAIN_SET_IDS`]).
    pub fn ids(&mut self, fragment: &str, ids: &[i64]) {
        let json = format!(
            "[{}]",
            ids.iter()
                .map(|i| i.to_string())
                .collect::<Vec<_>>()
                .join(",")
        );
        let p = self.bind(Value::Text(json));
        self.conds
            .push(fragment.replace("{plus}", self.plus).replace("{p}", &p));
    }

    /// `FROM … [WHERE …]`.
    pub fn source(&self) -> String {
        let mut s = format!("FROM {}", self.from);
        if !self.conds.is_empty() {
            s.push_str(" WHERE ");
            s.push_str(&self.conds.join(" AND "));
        }
        s
    }

    /// A statement template with its `{source}` filled in.
    pub fn statement(&self, template: &str) -> String {
        template.replace("{source}", &self.source())
    }
}

/// The grid cell (`site_cells`) of a point: 0.01° cells counted from (-180°, -90°). The same
/// expression as in the schema's trigger.
pub(crate) fn cell(lon: f64, lat: f64) -> (i64, i64) {
    // Truncation is intended: both values are non-negative for valid coordinates.
    (
        ((lon + 180.0) * 100.0) as i64,
        ((lat + 90.0) * 100.0) as i64,
    )
}

/// R*Tree units per degree: the R*Tree holds 32-bit integers (±180° is ±1.8e9), 1.1 cm apart.
pub(crate) const RTREE_SCALE: f64 = 1e7;

/// A box (min_lon, max_lon, min_lat, max_lat) in R*Tree units, rounded outwards: the R*Tree
/// finds a superset, the exact test on the stored bounds decides. (Multiplication is monotonic,
/// so a site box touching a query box still does after both are scaled and rounded outwards.)
/// The schema's migration computes the same values.
pub(crate) fn rtree_box(b: [f64; 4]) -> [i64; 4] {
    // Truncation after floor/ceil is exact: the values are integers within ±1.8e9.
    [
        (b[0] * RTREE_SCALE).floor() as i64,
        (b[1] * RTREE_SCALE).ceil() as i64,
        (b[2] * RTREE_SCALE).floor() as i64,
        (b[3] * RTREE_SCALE).ceil() as i64,
    ]
}

fn texts<'a, I: IntoIterator<Item = &'a str>>(it: I) -> Vec<Value> {
    it.into_iter().map(|s| Value::Text(s.to_string())).collect()
}

/// True when the filter restricts category, kind, level, status, scope or town.
pub(crate) fn has_scalar(f: &SiteFilter) -> bool {
    !(f.category.is_empty()
        && f.kind.is_empty()
        && f.level.is_empty()
        && f.status.is_empty()
        && f.scope.is_empty()
        && f.town.is_empty())
}

/// True when the filter restricts chains or links.
pub(crate) fn has_chains(f: &SiteFilter) -> bool {
    !(f.chain.is_empty() && f.link.is_empty())
}

/// True when the filter restricts the location precision (`precision`, `located`): neither the
/// stored counts nor the list index hold it, so such a filter is answered in SQL.
pub(crate) fn has_location(f: &SiteFilter) -> bool {
    !f.precision.is_empty() || f.located.is_some()
}

/// True when the filter has a CQL2 expression (`filter`): neither the stored counts nor the
/// list index evaluate it, so such a filter is answered in SQL ([`crate::expr_sql`]).
pub(crate) fn has_expr(f: &SiteFilter) -> bool {
    f.expr.is_some()
}

/// True when the filter has a bbox, a search, a location filter (see [`has_location`]) or a
/// CQL2 expression: the conditions only rows answer.
pub(crate) fn has_spatial_text(f: &SiteFilter) -> bool {
    f.bbox.is_some() || !f.terms().is_empty() || has_location(f) || has_expr(f)
}

/// The conditions of `precision` and `located` on `sites AS s`.
fn location_conds(f: &SiteFilter, b: &mut Built) {
    use atlas_core::{Labelled, LocationPrecision};
    if !f.precision.is_empty() {
        let l = b.list(texts(f.precision.iter().map(|p| p.id())));
        b.conds.push(format!("s.location_precision IN ({l})"));
    }
    if let Some(located) = f.located {
        let worklist = LocationPrecision::ALL
            .iter()
            .filter(|p| p.needs_locating())
            .map(|p| p.id());
        let l = b.list(texts(worklist));
        let not = if located { "NOT " } else { "" };
        b.conds.push(format!("s.location_precision {not}IN ({l})"));
    }
}

/// Conditions on `facet_combos AS f` for kind, level, status, scope and town (and category when
/// `category`).
pub(crate) fn combo_conds(f: &SiteFilter, b: &mut Built, category: bool) -> Vec<String> {
    let mut conds = Vec::new();
    let mut attr = |b: &mut Built, column: &str, vals: Vec<Value>| {
        if !vals.is_empty() {
            let l = b.list(vals);
            conds.push(
                sql::COMBO_ATTR_IN
                    .replace("{column}", column)
                    .replace("{list}", &l),
            );
        }
    };
    if category {
        attr(
            b,
            "category_rank",
            f.category
                .iter()
                .map(|c| Value::Integer(category_rank(*c)))
                .collect(),
        );
    }
    attr(b, sql::COL_KIND, texts(f.kind.iter().map(|k| k.id())));
    attr(b, sql::COL_LEVEL, texts(f.level.iter().map(|k| k.id())));
    attr(b, sql::COL_STATUS, texts(f.status.iter().map(|k| k.id())));
    attr(b, sql::COL_SCOPE, texts(f.scope.iter().map(|k| k.id())));
    attr(b, sql::COL_TOWN, texts(f.town.iter().map(|t| t.as_str())));
    conds
}

/// Conditions on a chain set (`set` is `s.chainset` or `cs.id`) for the chain and link filters.
pub(crate) fn chain_conds(f: &SiteFilter, b: &mut Built, set: &str) -> Vec<String> {
    let mut conds = Vec::new();
    if !f.chain.is_empty() {
        let l = b.list(texts(f.chain.iter().map(|c| c.as_str())));
        conds.push(
            sql::CHAIN_IN
                .replace("{plus}", b.plus)
                .replace("{set}", set)
                .replace("{list}", &l),
        );
    }
    if !f.link.is_empty() {
        let l = b.list(texts(f.link.iter().map(|c| c.as_str())));
        conds.push(
            sql::LINK_IN
                .replace("{plus}", b.plus)
                .replace("{set}", set)
                .replace("{list}", &l),
        );
    }
    conds
}

/// The conditions of a bbox: the R*Tree window when it drives (`rtree`), then the exact test on
/// the stored bounds.
fn bbox_conds(bb: &atlas_core::BBox, rtree: bool, b: &mut Built) {
    if rtree {
        let r = rtree_box([bb.min_lon, bb.max_lon, bb.min_lat, bb.max_lat]);
        let [min_lon, max_lon, min_lat, max_lat] = r.map(|v| b.bind(Value::Integer(v)));
        b.conds.push(
            sql::RTREE_WINDOW
                .replace("{min_lon}", &min_lon)
                .replace("{min_lat}", &min_lat)
                .replace("{max_lon}", &max_lon)
                .replace("{max_lat}", &max_lat),
        );
    }
    let min_lon = b.bind(Value::Real(bb.min_lon));
    let min_lat = b.bind(Value::Real(bb.min_lat));
    let max_lon = b.bind(Value::Real(bb.max_lon));
    let max_lat = b.bind(Value::Real(bb.max_lat));
    b.conds.push(
        sql::EXACT_WINDOW
            .replace("{min_lon}", &min_lon)
            .replace("{min_lat}", &min_lat)
            .replace("{max_lon}", &max_lon)
            .replace("{max_lat}", &max_lat),
    );
}

/// Builds the row source and conditions of the `parts` of `f`. Limit and offset are not part
/// of it.
pub(crate) fn build(f: &SiteFilter, access: Access, parts: Parts) -> Built {
    let spatial = parts.spatial_text && f.bbox.is_some() && access == Access::Rtree;
    let mut b = Built::new(
        match (spatial, access) {
            (true, _) => sql::FROM_RTREE,
            (false, Access::Ordered) => sql::FROM_ORDERED,
            (false, _) => sql::FROM_SITES,
        },
        if spatial { "+" } else { "" },
    );
    let (scalar_plus, chains_plus) = match access {
        _ if spatial => ("+", "+"),
        Access::Scan(Lead::Combo) => ("", "+"),
        Access::Scan(Lead::Chains) => ("+", ""),
        _ => ("", ""),
    };
    if let (true, Some(bb)) = (parts.spatial_text, f.bbox) {
        bbox_conds(&bb, spatial, &mut b);
    }
    if parts.scalar {
        if !f.category.is_empty() {
            let l = b.list(f.category.iter().map(|c| Value::Integer(category_rank(*c))));
            b.conds.push(
                sql::CATEGORY_IN
                    .replace("{plus}", scalar_plus)
                    .replace("{list}", &l),
            );
        }
        let conds = combo_conds(f, &mut b, false);
        if !conds.is_empty() {
            let c = sql::COMBO_IN
                .replace("{plus}", scalar_plus)
                .replace("{combo}", "s.combo")
                .replace("{conds}", &conds.join(" AND "));
            b.conds.push(c);
        }
    }
    if parts.chains {
        let plus = b.plus;
        b.plus = chains_plus;
        let conds = chain_conds(f, &mut b, "s.chainset");
        b.plus = plus;
        b.conds.extend(conds);
    }
    if parts.spatial_text {
        location_conds(f, &mut b);
        if let Some(c) = &f.expr {
            let cond = crate::expr_sql::condition(&c.expr, &mut b);
            b.conds.push(format!("({cond})"));
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
    }
    b
}

/// The list query: sites of `f` in list order, with its limit and offset.
pub(crate) fn list_sql(f: &SiteFilter, access: Access) -> (String, Vec<Value>) {
    let mut b = build(f, access, Parts::ALL);
    let limit = f.limit.map_or(-1, |l| i64::try_from(l).unwrap_or(i64::MAX));
    let offset = i64::try_from(f.offset).unwrap_or(i64::MAX);
    let lp = b.bind(Value::Integer(limit));
    let op = b.bind(Value::Integer(offset));
    // A page that must sort its matches sorts keys only; a walk in list order (or an export of
    // everything) reads each row once anyway.
    let template = if f.limit.is_some() && access != Access::Ordered {
        sql::LIST_PAGE
    } else {
        sql::LIST
    };
    // The editors' worklist: key enterprises, carrier platforms, then the rest.
    let template = if f.located == Some(false) {
        template
            .replace(
                "s.category_rank, s.name_zh",
                "s.category_rank DESC, s.name_zh",
            )
            .replace("page.k1, page.k2", "page.k1 DESC, page.k2")
    } else {
        template.to_string()
    };
    let q = b
        .statement(&template)
        .replace("{columns}", sql::SITE_COLUMNS)
        .replace("{limit}", &lp)
        .replace("{offset}", &op);
    (q, b.values)
}

/// Key, marker, category and precision of the sites of `f` (in no order; limit and offset
/// ignored): what vector tiles bin when the list index cannot answer `f`.
pub(crate) fn markers_sql(f: &SiteFilter, access: Access) -> (String, Vec<Value>) {
    let b = build(f, access, Parts::ALL);
    (b.statement(sql::MARKERS), b.values)
}

/// `count(*)` of `f` (ignoring limit and offset).
pub(crate) fn count_sql(f: &SiteFilter, access: Access) -> (String, Vec<Value>) {
    if !has_spatial_text(f) {
        let mut b = Built::new(sql::FROM_SITES, "");
        // Scalar filters alone: the stored count of each combination answers.
        if !has_chains(f) {
            let conds = combo_conds(f, &mut b, true);
            return (where_statement(sql::COUNT_BY_COMBOS, &conds), b.values);
        }
        // Chains and links alone: the stored count of each chain set answers.
        if !has_scalar(f) {
            let conds = chain_conds(f, &mut b, "cs.id");
            return (where_statement(sql::COUNT_BY_CHAIN_SETS, &conds), b.values);
        }
    }
    // Only a search, decided by the full-text index alone: count its matches there.
    if f.bbox.is_none() && !has_scalar(f) && !has_chains(f) && !has_location(f) && !has_expr(f) {
        let plan = search::plan(&f.terms());
        if let (Some(m), true) = (plan.fts, plan.check.is_empty()) {
            return (sql::COUNT_FTS.to_string(), vec![Value::Text(m)]);
        }
    }
    let b = build(f, access, Parts::ALL);
    (b.statement(sql::COUNT), b.values)
}

fn where_statement(template: &str, conds: &[String]) -> String {
    let w = if conds.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", conds.join(" AND "))
    };
    template.replace("{where}", &w)
}

/// Matching sites per township and category rank (ignoring limit and offset).
pub(crate) fn town_category_sql(f: &SiteFilter, access: Access) -> (String, Vec<Value>) {
    let b = build(f, access, Parts::ALL);
    (b.statement(sql::COUNT_BY_TOWN_CATEGORY), b.values)
}

/// Sum of `area_m2` over `f` (ignoring limit and offset); NULL when no site has an area.
pub(crate) fn area_sql(f: &SiteFilter, access: Access) -> (String, Vec<Value>) {
    let b = build(f, access, Parts::ALL);
    (b.statement(sql::SUM_AREA), b.values)
}

/// What the store knows cheaply about the rows of a filter, to choose how a page is read.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Estimates {
    /// Sites in the store.
    pub total: i64,
    /// R*Tree hits of the box, when the R*Tree would drive.
    pub box_hits: Option<i64>,
    /// R*Tree hits of the box (counted up to a bound), for its share of all sites.
    pub box_share: Option<i64>,
    /// Sites passing the scalar filters alone (stored counts).
    pub scalar: Option<i64>,
    /// Sites passing the chain and link filters alone (stored counts).
    pub chains: Option<i64>,
    /// Sites the full-text match finds.
    pub text: Option<i64>,
}

/// Reading a candidate row from a driving index (R*Tree, full-text, chain set, combination),
/// testing it and sorting it costs about this many times stepping over one entry of the list
/// index (`benches/catalogue.rs` measures both paths).
const DRIVEN_ROW_COST: f64 = 10.0;
/// Materialising one full-text hit for the walk to test against, in the same units.
const TEXT_HIT_COST: f64 = 0.3;

/// How a page of `f` is read: walking the list index in order ([`Access::Ordered`]) when the
/// entries it expects to step over before `offset + limit` matches cost less than reading and
/// sorting every candidate of the most selective driving index; else `access`. The filters are
/// assumed independent. Results never depend on it.
pub(crate) fn page_access(f: &SiteFilter, access: Access, e: &Estimates) -> Access {
    let Some(limit) = f.limit else {
        return access;
    };
    let n = e.total.max(1) as f64;
    let wanted = (limit as f64 + f.offset as f64).min(n);
    let shares = [e.box_share, e.scalar, e.chains, e.text];
    let share: f64 = shares
        .iter()
        .flatten()
        .map(|k| (*k as f64 / n).clamp(0.0, 1.0))
        .product();
    // No match expected: the walk would step over the whole index.
    let walk = if share * n < 0.5 {
        n
    } else {
        (wanted / share).min(n)
    };
    let ordered = walk + e.text.map_or(0.0, |t| t as f64 * TEXT_HIT_COST);
    let drivers = [e.box_hits, e.scalar, e.chains, e.text];
    let driven = drivers
        .iter()
        .flatten()
        .map(|k| *k as f64)
        .fold(n, f64::min)
        * DRIVEN_ROW_COST;
    if ordered < driven {
        Access::Ordered
    } else {
        access
    }
}
