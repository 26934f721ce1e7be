//! Reading sites: one site, a page, every match (streamed), counts, facets, counts per chain
//! and per township, filter validation and `EXPLAIN`. Every read takes a [`SiteFilter`] and
//! returns exactly the sites [`SiteFilter::matches`] accepts.

use crate::error::{Result, StoreError};
use crate::index::listing;
use crate::index::plan::{self, CountPath, RowsPath};
use crate::{facets, query, row, sql, ChainCount, Facets, Store};
use atlas_core::analysis::CategoryCounts;
use atlas_core::{Category, Division, Indicator, Labelled, Measure, Site, SiteFilter, SiteId};
use rusqlite::types::Value;
use rusqlite::{params_from_iter, OptionalExtension};

/// Sites per township and category ([`Store::counts_by_town`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TownCounts {
    /// Every township, in code order, with its counts (zeros included).
    pub towns: Vec<(Division, CategoryCounts)>,
    /// Sites without a township.
    pub no_town: CategoryCounts,
}

impl Store {
    /// One site by id.
    pub fn get(&self, id: &SiteId) -> Result<Option<Site>> {
        let q = format!(
            "SELECT {} FROM sites AS s {}",
            sql::SITE_COLUMNS,
            sql::SITE_BY_ID
        );
        let mut st = self.conn.prepare_cached(&q)?;
        let mut rows = st.query([id.as_str()])?;
        match rows.next()? {
            Some(r) => Ok(Some(row::site_from_row(r)?)),
            None => Ok(None),
        }
    }

    /// The `version` of a site (1 when inserted, + 1 per change), for optimistic concurrency.
    pub fn site_version(&self, id: &SiteId) -> Result<Option<u64>> {
        let v: Option<i64> = self
            .conn
            .prepare_cached(sql::SITE_VERSION)?
            .query_row([id.as_str()], |r| r.get(0))
            .optional()?;
        Ok(v.map(|v| u64::try_from(v).unwrap_or(0)))
    }

    /// The sites of `filter` in list order, honouring its `limit` and `offset`.
    pub fn query(&self, filter: &SiteFilter) -> Result<Vec<Site>> {
        let mut out = Vec::new();
        self.for_each(filter, |s| {
            out.push(s);
            Ok::<(), StoreError>(())
        })?;
        Ok(out)
    }

    /// Calls `f` with each site of `filter`, in list order, one row at a time (exports never
    /// hold all rows). Honours `limit` and `offset` like [`Store::query`]; clear them to export
    /// everything. Stops at the first error, store's or `f`'s.
    pub fn for_each<E, F>(&self, filter: &SiteFilter, mut f: F) -> Result<(), E>
    where
        F: FnMut(Site) -> Result<(), E>,
        E: From<StoreError>,
    {
        self.each_row(filter, |reader, r| f(reader.read(r)?))
    }

    /// [`Store::for_each`] on two threads: this one reads and decodes the sites, a second one
    /// runs `f` (an export writer formatting CSV, XLSX, GeoJSON or KML), so the two halves of an
    /// export's work overlap. Sites travel in batches through a short bounded channel, so memory
    /// stays flat whatever the row count; the writer sends each finished batch back, and the
    /// next rows are decoded into its sites, reusing their text buffers: in the steady state a
    /// row allocates almost nothing and nothing is freed on the other thread. Stops at the
    /// first error of either side.
    pub fn for_each_on_thread<E, F>(&self, filter: &SiteFilter, mut f: F) -> Result<(), E>
    where
        F: FnMut(&Site) -> Result<(), E> + Send,
        E: From<StoreError> + Send,
    {
        /// Sites per batch, and batches in flight (≈ 1 MB of sites at most).
        const BATCH: usize = 256;
        const IN_FLIGHT: usize = 4;
        let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<Site>>(IN_FLIGHT);
        let (back_tx, back_rx) = std::sync::mpsc::channel::<Vec<Site>>();
        std::thread::scope(|scope| {
            let writer = scope.spawn(move || -> Result<(), E> {
                for batch in rx {
                    for site in &batch {
                        f(site)?;
                    }
                    // The reader may have finished: then the batch is simply dropped.
                    let _ = back_tx.send(batch);
                }
                Ok(())
            });
            // `batch[..filled]` holds this batch's sites; the rest are old ones to refill.
            let mut batch: Vec<Site> = Vec::with_capacity(BATCH);
            let mut filled = 0;
            let read = self.each_row(filter, |reader, r| -> Result<(), StoreError> {
                match batch.get_mut(filled) {
                    Some(old) => reader.read_into(r, old)?,
                    None => batch.push(reader.read(r)?),
                }
                filled += 1;
                if filled == BATCH {
                    let next = back_rx
                        .try_recv()
                        .unwrap_or_else(|_| Vec::with_capacity(BATCH));
                    let full = std::mem::replace(&mut batch, next);
                    filled = 0;
                    // The writer stopped (its error is returned below): stop reading.
                    tx.send(full).map_err(|_| StoreError::Stopped)?;
                }
                Ok(())
            });
            batch.truncate(filled);
            if read.is_ok() && !batch.is_empty() {
                let _ = tx.send(batch);
            }
            drop(tx);
            let written = writer.join().unwrap_or_else(|_| {
                Err(StoreError::Data("the export writer panicked".into()).into())
            });
            match (read, written) {
                (_, Err(e)) => Err(e),
                (Err(e), Ok(())) => Err(e.into()),
                (Ok(()), Ok(())) => Ok(()),
            }
        })
    }

    /// Calls `f` with a site reader and each row of `filter` (selected with
    /// `sql::SITE_COLUMNS`), in list order, as [`Store::for_each`] reads them.
    fn each_row<E, F>(&self, filter: &SiteFilter, f: F) -> Result<(), E>
    where
        F: FnMut(&mut row::SiteReader, &rusqlite::Row<'_>) -> Result<(), E>,
        E: From<StoreError>,
    {
        if plan::stream_path(filter) == RowsPath::ListIndex {
            let _snapshot = self.read_snapshot()?;
            if let Some(scan) = self.scan_index(filter)? {
                return self.rows_by_key(&scan.page, f);
            }
            // The list index cannot answer now: the SQL path, in the same snapshot.
            return self.rows_sql(filter, f);
        }
        self.rows_sql(filter, f)
    }

    /// The rows of `filter` through the SQL list query.
    fn rows_sql<E, F>(&self, filter: &SiteFilter, mut f: F) -> Result<(), E>
    where
        F: FnMut(&mut row::SiteReader, &rusqlite::Row<'_>) -> Result<(), E>,
        E: From<StoreError>,
    {
        let (q, values) = query::list_sql(filter, self.list_access(filter)?);
        let mut st = self.conn.prepare_cached(&q).map_err(StoreError::from)?;
        let mut rows = st
            .query(params_from_iter(values.iter()))
            .map_err(StoreError::from)?;
        let (mut kept, mut own) = (self.reader.try_borrow_mut().ok(), None);
        let reader = kept
            .as_deref_mut()
            .unwrap_or_else(|| own.insert(row::SiteReader::default()));
        while let Some(r) = rows.next().map_err(StoreError::from)? {
            f(reader, r)?;
        }
        Ok(())
    }

    /// A page of `filter` and the number of all its matches: calls `f` with each site of the
    /// page (`limit`, `offset`) in list order, and returns how many sites match the filter
    /// (`numberMatched`, limit and offset ignored). What a map or an API page needs, in one
    /// pass over the list index for filters without a search (see `index::listing`), and
    /// read in one transaction, so the count and the rows agree.
    pub fn page<E, F>(&self, filter: &SiteFilter, mut f: F) -> Result<u64, E>
    where
        F: FnMut(Site) -> Result<(), E>,
        E: From<StoreError>,
    {
        self.page_rows(filter, |reader, r| f(reader.read(r)?))
    }

    /// [`Store::page`], lending each site instead of giving it: the rows are decoded into one
    /// value, reused from row to row (a page written straight to JSON allocates no site per
    /// row).
    pub fn page_ref<E, F>(&self, filter: &SiteFilter, mut f: F) -> Result<u64, E>
    where
        F: FnMut(&Site) -> Result<(), E>,
        E: From<StoreError>,
    {
        let mut site: Option<Site> = None;
        self.page_rows(filter, |reader, r| {
            let s = match &mut site {
                Some(s) => {
                    reader.read_into(r, s)?;
                    s
                }
                None => site.insert(reader.read(r)?),
            };
            f(s)
        })
    }

    /// The rows of [`Store::page`].
    fn page_rows<E, F>(&self, filter: &SiteFilter, mut f: F) -> Result<u64, E>
    where
        F: FnMut(&mut row::SiteReader, &rusqlite::Row<'_>) -> Result<(), E>,
        E: From<StoreError>,
    {
        let _snapshot = self.read_snapshot()?;
        if plan::page_path(filter) == RowsPath::ListIndex {
            if let Some(scan) = self.scan_index(filter)? {
                self.rows_by_key(&scan.page, f)?;
                return Ok(scan.matched);
            }
        }
        let mut returned = 0_u64;
        let limit = filter.limit.unwrap_or(u64::MAX);
        self.rows_sql(filter, |reader, r| {
            returned += 1;
            f(reader, r)
        })?;
        // A short page that is not empty ends the result: no count needed.
        Ok(if returned > 0 && returned < limit {
            filter.offset.saturating_add(returned)
        } else {
            self.count(filter)?
        })
    }

    /// One pass over the list index for `filter` (a filter without a search): the number of
    /// all matches and the keys of the page; `None` when the index cannot answer now (see
    /// [`Store::with_list_index`]). Call inside a read snapshot when rows are read after it.
    fn scan_index(&self, filter: &SiteFilter) -> Result<Option<listing::Scan>> {
        self.with_list_index(filter, |ix, passes| self.scan_list(ix, filter, passes))?
            .transpose()
    }

    /// Calls `f` with each site of keys `pks`, in that order.
    fn rows_by_key<E, F>(&self, pks: &[i64], mut f: F) -> Result<(), E>
    where
        F: FnMut(&mut row::SiteReader, &rusqlite::Row<'_>) -> Result<(), E>,
        E: From<StoreError>,
    {
        let q = sql::SITE_BY_PK.replace("{columns}", sql::SITE_COLUMNS);
        let mut st = self.conn.prepare_cached(&q).map_err(StoreError::from)?;
        // A callback reading through this store again gets a reader of its own.
        let (mut kept, mut own) = (self.reader.try_borrow_mut().ok(), None);
        let reader = kept
            .as_deref_mut()
            .unwrap_or_else(|| own.insert(row::SiteReader::default()));
        for &pk in pks {
            let mut rows = st.query([pk]).map_err(StoreError::from)?;
            if let Some(r) = rows.next().map_err(StoreError::from)? {
                f(reader, r)?;
            }
        }
        Ok(())
    }

    /// How many sites match `filter` (limit and offset ignored). The one count of the store:
    /// pages, indicators and reports all count through it.
    ///
    /// The plan (`index::plan::count_path`) chooses how, and every way gives the same number:
    /// - scalar filters alone, or chain and link filters alone (no bbox, no search): the site
    ///   counts stored with the interned values answer, reading no site;
    /// - any other filter without a search: one pass over the in-memory list index;
    /// - a filter with a search: a SQL count through the full-text index.
    pub fn count(&self, filter: &SiteFilter) -> Result<u64> {
        match plan::count_path(filter) {
            CountPath::Stored => {
                let d = self.dicts()?;
                let v = d.verdicts(filter);
                Ok(if query::has_chains(filter) {
                    d.chain_sites(&v)
                } else {
                    d.scalar_sites(&v)
                })
            }
            CountPath::ListIndex => {
                let mut f = filter.clone();
                f.limit = Some(0);
                let _snapshot = self.read_snapshot()?;
                match self.with_list_index(&f, |ix, passes| self.scan_list(ix, &f, passes))? {
                    Some(scan) => Ok(scan?.matched),
                    // The list index cannot answer now: the SQL count gives the same number.
                    None => self.count_sql(filter),
                }
            }
            CountPath::Sql => self.count_sql(filter),
        }
    }

    fn count_sql(&self, filter: &SiteFilter) -> Result<u64> {
        let (q, values) = query::count_sql(filter, self.access(filter)?);
        self.scalar_u64(&q, &values)
    }

    fn scalar_u64(&self, q: &str, values: &[Value]) -> Result<u64> {
        let n: i64 = self
            .conn
            .prepare_cached(q)?
            .query_row(params_from_iter(values.iter()), |r| r.get(0))?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// Counts per category, kind, chain, link, level, status, scope and town, each with its own
    /// filter removed (see [`Facets`]), plus the total of the whole filter.
    ///
    /// Cost: without a bbox or a search, at most two grouped passes over an index (none for a
    /// filter on chains alone or no filter: the stored counts answer); with one, a single
    /// grouped pass over the matching sites (see the `facets` module).
    pub fn facets(&self, filter: &SiteFilter) -> Result<Facets> {
        facets::facets(self, filter)
    }

    /// For each chain (in order) and each of its links: sites matching `filter`, by category.
    /// Pass `&SiteFilter::default()` for the whole catalogue.
    pub fn chain_counts(&self, filter: &SiteFilter) -> Result<Vec<ChainCount>> {
        facets::chain_counts(self, filter)
    }

    /// Sites matching `filter` (limit and offset ignored) per township and category: every
    /// township of the store in code order (zeros included), and the sites without a township.
    /// One grouped query over the filter's rows.
    pub fn counts_by_town(&self, filter: &SiteFilter) -> Result<TownCounts> {
        let mut f = filter.clone();
        f.limit = None;
        f.offset = 0;
        let (q, values) = query::town_category_sql(&f, self.access(&f)?);
        let mut per_town: std::collections::HashMap<String, CategoryCounts> =
            std::collections::HashMap::new();
        let mut no_town = CategoryCounts::default();
        let mut st = self.conn.prepare_cached(&q)?;
        let mut rows = st.query(params_from_iter(values.iter()))?;
        while let Some(r) = rows.next()? {
            let town: Option<String> = r.get(0)?;
            let rank: i64 = r.get(1)?;
            let n = u64::try_from(r.get::<_, i64>(2)?).unwrap_or(0);
            let category = usize::try_from(rank)
                .ok()
                .and_then(|i| Category::ALL.get(i).copied())
                .ok_or_else(|| StoreError::Data(format!("category rank {rank}")))?;
            match town {
                Some(t) => per_town.entry(t).or_default().add_n(category, n),
                None => no_town.add_n(category, n),
            }
        }
        let mut divisions = self.divisions()?;
        divisions.sort_by(|a, b| a.code.cmp(&b.code));
        let towns = divisions
            .into_iter()
            .map(|d| {
                let counts = per_town.remove(d.code.as_str()).unwrap_or_default();
                (d, counts)
            })
            .collect();
        Ok(TownCounts { towns, no_town })
    }

    /// Checks the ids of a filter against the store's reference data: an unknown chain, link or
    /// township is an error (kind [`crate::ErrorKind::InvalidFilter`], codes `unknown_chain`,
    /// `unknown_link`, `unknown_town`) naming the value and the allowed ones;
    /// [`StoreError::param`] names the filter field. Vocabulary values are already checked by
    /// `SiteFilter`.
    pub fn validate_filter(&self, filter: &SiteFilter) -> Result<()> {
        if filter.chain.is_empty() && filter.link.is_empty() && filter.town.is_empty() {
            return Ok(());
        }
        let ids = |q: &str| -> Result<Vec<String>> {
            let mut st = self.conn.prepare_cached(q)?;
            let rows = st.query_map([], |r| r.get::<_, String>(0))?;
            Ok(rows.collect::<Result<_, _>>()?)
        };
        if !filter.chain.is_empty() {
            let known = ids(sql::CHAIN_IDS)?;
            if let Some(c) = filter
                .chain
                .iter()
                .find(|c| !known.iter().any(|k| k == c.as_str()))
            {
                return Err(StoreError::UnknownChain {
                    given: c.to_string(),
                    allowed: known.join(", "),
                });
            }
        }
        if !filter.link.is_empty() {
            let known = ids(sql::LINK_IDS)?;
            if let Some(l) = filter
                .link
                .iter()
                .find(|l| !known.iter().any(|k| k == l.as_str()))
            {
                // Name the links of the chain the user meant, when that chain exists.
                let prefix = format!("{}.", l.chain());
                let of_chain: Vec<String> = known
                    .iter()
                    .filter(|k| k.starts_with(&prefix))
                    .cloned()
                    .collect();
                return Err(StoreError::UnknownLink {
                    given: l.to_string(),
                    allowed: if of_chain.is_empty() {
                        known.join(", ")
                    } else {
                        of_chain.join(", ")
                    },
                });
            }
        }
        if !filter.town.is_empty() {
            let known = ids(sql::TOWN_CODES)?;
            if let Some(t) = filter
                .town
                .iter()
                .find(|t| !known.iter().any(|k| k == t.as_str()))
            {
                return Err(StoreError::UnknownTown {
                    given: t.to_string(),
                    allowed: known.join(", "),
                });
            }
        }
        Ok(())
    }

    /// `EXPLAIN QUERY PLAN` of the list query of `filter`: one line per plan step, outermost
    /// loop first (tests use it to check that the R*Tree drives bbox queries).
    pub fn explain(&self, filter: &SiteFilter) -> Result<Vec<String>> {
        let (q, values) = query::list_sql(filter, self.list_access(filter)?);
        let mut st = self.conn.prepare(&format!("{}{q}", sql::EXPLAIN))?;
        let rows = st.query_map(params_from_iter(values.iter()), |r| r.get::<_, String>(3))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Each indicator with the catalogue's own value: the number of matching sites (`count`),
    /// the sum of their `area_m2` (`sum_area`; sites without an area add nothing, and `None`
    /// when no matching site has an area: unknown, not zero), or `None` when the catalogue
    /// cannot measure it.
    pub fn indicator_values(&self) -> Result<Vec<(Indicator, Option<f64>)>> {
        let mut out = Vec::new();
        for ind in self.indicators()? {
            let filter = ind
                .filter()
                .map_err(|e| StoreError::Data(format!("indicator '{}': {e}", ind.id)))?;
            let value = match ind.measure {
                Measure::Count => Some(self.count(&filter)? as f64),
                Measure::SumArea => {
                    let (q, values) = query::area_sql(&filter, self.access(&filter)?);
                    self.conn
                        .prepare_cached(&q)?
                        .query_row(params_from_iter(values.iter()), |r| {
                            r.get::<_, Option<f64>>(0)
                        })?
                }
                Measure::None => None,
            };
            out.push((ind, value));
        }
        Ok(out)
    }
}
