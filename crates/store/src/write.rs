//! The one writer of every change of a site: an import's rows, and each single-site change
//! (create, update, delete, restore, revert, verify). [`Writer`] upserts by id, keeps the
//! R*Tree, the search tokens and the interned counts, and writes each site's revision; an
//! import (see `crate::bulk`) and the single-site changes (see `crate::revisions`) both go
//! through it.

use crate::error::{Result, StoreError};
use crate::index::{rtree, search};
use crate::query;
use crate::row::{bind_site, category_rank, site_from_row};
use crate::sql;
use atlas_core::{ChainRef, Site};
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;
use std::borrow::Cow;
/// Hash maps and sets of the import's hot loop: a fast hash (foldhash) with a random seed.
type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
pub(crate) type HashSet<T> = std::collections::HashSet<T, foldhash::fast::RandomState>;

/// What an import did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    /// New ids written.
    pub inserted: u64,
    /// Existing ids whose record changed (their `version` went up).
    pub updated: u64,
    /// Existing ids whose record was identical (nothing written).
    pub unchanged: u64,
    /// Rows the caller left out as invalid (the store never sees them; the caller sets this).
    pub skipped: u64,
}

impl ImportReport {
    /// Sites handed to the store.
    pub fn written(&self) -> u64 {
        self.inserted + self.updated + self.unchanged
    }
}

/// The reference ids a site may use, read once per import.
pub(crate) struct Known {
    chains: HashSet<String>,
    links: HashSet<String>,
    towns: HashSet<String>,
}

impl Known {
    pub(crate) fn load(conn: &Connection) -> Result<Self> {
        let set = |q: &str| -> Result<HashSet<String>> {
            let mut st = conn.prepare_cached(q)?;
            let rows = st.query_map([], |r| r.get::<_, String>(0))?;
            Ok(rows.collect::<Result<_, _>>()?)
        };
        Ok(Self {
            chains: set(sql::CHAIN_IDS)?,
            links: set(sql::LINK_IDS)?,
            towns: set(sql::TOWN_CODES)?,
        })
    }

    fn check(&self, s: &Site) -> Result<()> {
        let bad = |message: String| StoreError::InvalidSite {
            id: s.id.to_string(),
            message,
        };
        let hint = |what: &str, set: &HashSet<String>| {
            if set.is_empty() {
                format!("the store has no {what}: load the reference data first")
            } else {
                format!("it is not among the store's {} {what}", set.len())
            }
        };
        for c in &s.chains {
            if !self.chains.contains(c.chain.as_str()) {
                return Err(bad(format!(
                    "unknown chain '{}'; {}",
                    c.chain,
                    hint("chains", &self.chains)
                )));
            }
            if let Some(l) = &c.link {
                if l.chain() != c.chain {
                    return Err(bad(format!(
                        "link '{l}' does not belong to chain '{}'",
                        c.chain
                    )));
                }
                if !self.links.contains(l.as_str()) {
                    return Err(bad(format!(
                        "unknown link '{l}'; {}",
                        hint("links", &self.links)
                    )));
                }
            }
        }
        if let Some(t) = &s.town_code {
            if !self.towns.contains(t.as_str()) {
                return Err(bad(format!(
                    "unknown town code '{t}'; {}",
                    hint("townships", &self.towns)
                )));
            }
        }
        Ok(())
    }
}

/// The stored form of a site: chains sorted without duplicates (as `Site` documents them), so an
/// identical record compares equal after a round trip.
fn normalised(s: &Site) -> Cow<'_, Site> {
    if s.chains.windows(2).all(|w| w[0] < w[1]) {
        return Cow::Borrowed(s);
    }
    let mut s = s.clone();
    s.chains.sort();
    s.chains.dedup();
    Cow::Owned(s)
}

/// FTS5 in-memory token buffer during a bulk import (bytes; SQLite's default is 1 MiB): fewer,
/// larger segments to merge.
const BULK_FTS_HASHSIZE: i64 = 64 << 20;

/// Facet combinations and chain sets of the store, interned: ids by key, and the change in the
/// number of sites using each, written back at the end of the import. A bulk import loads every
/// id at once; a single-site change looks up the one or two it meets through the tables' unique
/// indexes (loading tens of thousands of keys would cost every save milliseconds).
struct Interned {
    combos: HashMap<String, i64>,
    sets: HashMap<String, i64>,
    combo_delta: HashMap<i64, i64>,
    set_delta: HashMap<i64, i64>,
    cell_delta: HashMap<(i64, i64), i64>,
}

fn combo_key(
    rank: i64,
    kind: &str,
    level: &str,
    status: &str,
    scope: &str,
    town: Option<&str>,
) -> String {
    // \u{1f} (unit separator) appears in no id; a site without a town ends in it, one with a
    // town ends in the code.
    format!(
        "{rank}\u{1f}{kind}\u{1f}{level}\u{1f}{status}\u{1f}{scope}\u{1f}{}",
        town.unwrap_or("")
    )
}

fn set_key(rank: i64, refs: &str) -> String {
    format!("{rank}\u{1f}{refs}")
}

impl Interned {
    fn empty() -> Self {
        Self {
            combos: HashMap::default(),
            sets: HashMap::default(),
            combo_delta: HashMap::default(),
            set_delta: HashMap::default(),
            cell_delta: HashMap::default(),
        }
    }

    fn load(conn: &Connection) -> Result<Self> {
        let mut combos = HashMap::default();
        let mut st = conn.prepare_cached(sql::COMBOS)?;
        let mut rows = st.query([])?;
        while let Some(r) = rows.next()? {
            let key = combo_key(
                r.get(1)?,
                &r.get::<_, String>(2)?,
                &r.get::<_, String>(3)?,
                &r.get::<_, String>(4)?,
                &r.get::<_, String>(5)?,
                r.get::<_, Option<String>>(6)?.as_deref(),
            );
            combos.insert(key, r.get(0)?);
        }
        let mut sets = HashMap::default();
        let mut st = conn.prepare_cached(sql::CHAIN_SETS)?;
        let mut rows = st.query([])?;
        while let Some(r) = rows.next()? {
            sets.insert(set_key(r.get(1)?, &r.get::<_, String>(2)?), r.get(0)?);
        }
        Ok(Self {
            combos,
            sets,
            combo_delta: HashMap::default(),
            set_delta: HashMap::default(),
            cell_delta: HashMap::default(),
        })
    }

    /// The ids of the combination and chain set of `s` (chains normalised, `k` its keys),
    /// interning new ones.
    fn ids(&mut self, conn: &Connection, s: &Site, k: &Keys) -> Result<(i64, i64)> {
        let rank = category_rank(s.category);
        let town = s.town_code.as_ref().map(|t| t.as_str());
        let combo = match self.combo_id(conn, s, &k.combo)? {
            Some(id) => id,
            None => {
                conn.prepare_cached(sql::INSERT_COMBO)?.execute(params![
                    rank,
                    s.kind.as_str(),
                    s.level.as_str(),
                    s.status.as_str(),
                    s.scope.as_str(),
                    town
                ])?;
                let id = conn.last_insert_rowid();
                self.combos.insert(k.combo.clone(), id);
                id
            }
        };
        let set = match self.set_id(conn, rank, k)? {
            Some(id) => id,
            None => {
                conn.prepare_cached(sql::INSERT_CHAIN_SET)?
                    .execute(params![rank, k.refs])?;
                let id = conn.last_insert_rowid();
                let mut add = conn.prepare_cached(sql::INSERT_CHAIN_SET_REF)?;
                for c in &s.chains {
                    add.execute(params![
                        id,
                        c.chain.as_str(),
                        c.link.as_ref().map(|l| l.as_str())
                    ])?;
                }
                self.sets.insert(k.set.clone(), id);
                id
            }
        };
        Ok((combo, set))
    }

    /// The id of the combination of `s` (key `key`) when it is interned.
    fn combo_id(&mut self, conn: &Connection, s: &Site, key: &str) -> Result<Option<i64>> {
        if let Some(id) = self.combos.get(key) {
            return Ok(Some(*id));
        }
        let found = conn
            .prepare_cached(sql::COMBO_ID)?
            .query_row(
                params![
                    category_rank(s.category),
                    s.kind.as_str(),
                    s.level.as_str(),
                    s.status.as_str(),
                    s.scope.as_str(),
                    s.town_code.as_ref().map(|t| t.as_str())
                ],
                |r| r.get::<_, i64>(0),
            )
            .optional()?;
        if let Some(id) = found {
            self.combos.insert(key.to_owned(), id);
        }
        Ok(found)
    }

    /// The id of the chain set of a site (category rank `rank`, keys `k`) when it is interned.
    fn set_id(&mut self, conn: &Connection, rank: i64, k: &Keys) -> Result<Option<i64>> {
        if let Some(id) = self.sets.get(&k.set) {
            return Ok(Some(*id));
        }
        let found = conn
            .prepare_cached(sql::CHAIN_SET_ID)?
            .query_row(params![rank, k.refs], |r| r.get::<_, i64>(0))
            .optional()?;
        if let Some(id) = found {
            self.sets.insert(k.set.clone(), id);
        }
        Ok(found)
    }

    /// Counts a site (`by` = 1) or uncounts it (-1): its combination, chain set and the grid
    /// cell of its box (min_lon, max_lon, min_lat, max_lat); a site without location is in
    /// no cell.
    fn count(&mut self, combo: Option<i64>, set: Option<i64>, bbox: Option<[f64; 4]>, by: i64) {
        if let Some(bbox) = bbox {
            let c = query::cell((bbox[0] + bbox[1]) / 2.0, (bbox[2] + bbox[3]) / 2.0);
            *self.cell_delta.entry(c).or_default() += by;
        }
        if let Some(c) = combo {
            *self.combo_delta.entry(c).or_default() += by;
        }
        if let Some(h) = set {
            *self.set_delta.entry(h).or_default() += by;
        }
    }

    /// Writes the changed site counts and forgets what no site uses any more: only rows whose
    /// count did not grow are looked at (a sweep of the tables would read tens of thousands of
    /// rows at every save of a large catalogue).
    fn save(self, conn: &Connection) -> Result<()> {
        save_counts(
            conn,
            sql::ADD_COMBO_SITES,
            sql::DROP_UNUSED_COMBO,
            self.combo_delta,
        )?;
        save_counts(
            conn,
            sql::ADD_CHAIN_SET_SITES,
            sql::DROP_UNUSED_CHAIN_SET,
            self.set_delta,
        )?;
        // A cell gaining sites may be new; one losing sites exists (its CHECK would reject the
        // negative row an upsert proposes first).
        let mut add = conn.prepare_cached(sql::ADD_CELL_SITES)?;
        let mut remove = conn.prepare_cached(sql::REMOVE_CELL_SITES)?;
        let mut drop = conn.prepare_cached(sql::DROP_UNUSED_CELL)?;
        for ((x, y), by) in self.cell_delta {
            if by > 0 {
                add.execute(params![x, y, by])?;
                continue;
            }
            if by < 0 {
                remove.execute(params![x, y, -by])?;
            }
            drop.execute(params![x, y])?;
        }
        Ok(())
    }
}

/// Adds each row's change of site count (`add`: ?1 the id, ?2 the change) and forgets, with
/// `drop` (?1 the id), the rows whose count did not grow.
fn save_counts(conn: &Connection, add: &str, drop: &str, delta: HashMap<i64, i64>) -> Result<()> {
    let mut add = conn.prepare_cached(add)?;
    let mut drop = conn.prepare_cached(drop)?;
    for (id, by) in delta {
        if by != 0 {
            add.execute(params![id, by])?;
        }
        if by <= 0 {
            drop.execute([id])?;
        }
    }
    Ok(())
}

/// The secondary indexes of `sites` (name, SQL), dropped for a bulk import and rebuilt after it:
/// sorting a million keys once is far cheaper than a million random insertions.
fn drop_indexes(conn: &Connection) -> Result<Vec<(String, String)>> {
    let indexes: Vec<(String, String)> = {
        let mut st = conn.prepare(sql::SITE_INDEXES)?;
        let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect::<Result<_, _>>()?
    };
    for (name, _) in &indexes {
        conn.execute_batch(&format!("DROP INDEX \"{}\"", name.replace('"', "\"\"")))?;
    }
    Ok(indexes)
}

/// The interning keys of a site.
struct Keys {
    combo: String,
    set: String,
    refs: String,
}

/// What an import computes for a site before touching the database.
pub(crate) struct Prepared<'a> {
    /// Position in the input.
    index: usize,
    site: Cow<'a, Site>,
    keys: Keys,
    search_text: String,
    /// Search tokens (a bulk import writes them after all sites).
    doc: Option<String>,
    /// The box (min_lon, max_lon, min_lat, max_lat); `None` for a site without location.
    bbox: Option<[f64; 4]>,
}

/// The search tokens of a site.
fn tokens(site: &Site) -> String {
    search::document(&site.search_text().to_lowercase())
}

/// Checks and prepares one site (no database access: this runs on a helper thread).
pub(crate) fn prepare<'a>(
    index: usize,
    site: &'a Site,
    check: Option<(&Known, &mut HashSet<&'a str>)>,
    tokenise: bool,
) -> Result<Prepared<'a>> {
    if let Some((known, seen)) = check {
        validate(site, known, seen)?;
    }
    let site = normalised(site);
    let s = site.as_ref();
    let rank = category_rank(s.category);
    let refs = ChainRef::format_list(&s.chains);
    let keys = Keys {
        combo: combo_key(
            rank,
            s.kind.as_str(),
            s.level.as_str(),
            s.status.as_str(),
            s.scope.as_str(),
            s.town_code.as_ref().map(|t| t.as_str()),
        ),
        set: set_key(rank, &refs),
        refs,
    };
    let search_text = s.search_text().to_lowercase();
    let doc = tokenise.then(|| search::document(&search_text));
    let bbox = s
        .bbox()
        .map(|b| [b.min_lon, b.max_lon, b.min_lat, b.max_lat]);
    Ok(Prepared {
        index,
        bbox,
        site,
        keys,
        search_text,
        doc,
    })
}

/// Fails on a repeated id, an unknown chain, link or township.
pub(crate) fn validate<'a>(
    site: &'a Site,
    known: &Known,
    seen: &mut HashSet<&'a str>,
) -> Result<()> {
    if !seen.insert(site.id.as_str()) {
        return Err(StoreError::DuplicateId(site.id.to_string()));
    }
    known.check(site)
}

/// Work for this many sites or more runs on a helper thread while this one writes.
const PIPELINE_MIN: usize = 2_000;
/// Sites per batch handed from the helper thread.
const BATCH: usize = 4096;

/// Who writes, and as what: recorded with every site written.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Journal<'a> {
    /// A user name, `cli:NAME`, `init`, ….
    pub who: &'a str,
    /// The action revisions record.
    pub action: Action,
    /// When (the store's clock).
    pub at: DateTime<Utc>,
}

/// Writes one site of a single-site change (create, update, restore, revert, verify) through
/// the import's writer, so indexes, counts and the revision are kept exactly as an import keeps
/// them. `version`: the version an inserted site gets (a restored site continues its
/// numbering; default 1). Returns the key and the revision, or `None` when the stored record
/// is identical (nothing written).
pub(crate) fn write_one(
    conn: &Connection,
    site: &Site,
    journal: &Journal<'_>,
    version: Option<i64>,
) -> Result<Option<(i64, i64)>> {
    let known = Known::load(conn)?;
    let mut seen = HashSet::default();
    let p = prepare(0, site, Some((&known, &mut seen)), true)?;
    let mut w = Writer::new(conn, false, journal)?;
    w.next_version = version;
    let written = w.site(&p)?;
    let rev = w.last_rev;
    w.finish(std::slice::from_ref(site))?;
    Ok(written.zip(rev))
}

/// Moves a site out of `sites` (its R*Tree entry, search tokens and counts go with it; see
/// [`crate::sql::DELETE_SITE`]) and writes its deletion revision, whose `before` keeps the
/// whole record. Returns the revision, or `None` when no site has the id.
pub(crate) fn remove_one(
    conn: &Connection,
    id: &str,
    journal: &Journal<'_>,
) -> Result<Option<i64>> {
    let mut w = Writer::new(conn, false, journal)?;
    let rev = w.remove(id)?;
    w.finish(&[])?;
    Ok(rev)
}

/// Runs `produce` for `0..n` and hands each result, in order, to `consume`: on a helper thread
/// (in batches) for `n` ≥ [`PIPELINE_MIN`], else inline. Stops at the first error of either.
/// Consumed batches go back to the helper thread to be freed there: freeing another thread's
/// allocations contends for its allocator lock.
pub(crate) fn pipeline<T: Send>(
    n: usize,
    mut produce: impl FnMut(usize) -> Result<T> + Send,
    mut consume: impl FnMut(&T) -> Result<()>,
) -> Result<()> {
    if n < PIPELINE_MIN {
        for i in 0..n {
            consume(&produce(i)?)?;
        }
        return Ok(());
    }
    std::thread::scope(|scope| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<Result<T>>>(2);
        let (done_tx, done_rx) = std::sync::mpsc::channel::<Vec<Result<T>>>();
        scope.spawn(move || {
            let mut start = 0;
            while start < n {
                let end = (start + BATCH).min(n);
                let batch: Vec<Result<T>> = (start..end).map(&mut produce).collect();
                let failed = batch.iter().any(|p| p.is_err());
                // The consumer stopped (it failed), or this batch ends in an error: done.
                if tx.send(batch).is_err() || failed {
                    break;
                }
                start = end;
                while let Ok(done) = done_rx.try_recv() {
                    drop(done);
                }
            }
            drop(tx);
            // Until the consumer hangs up.
            for done in done_rx {
                drop(done);
            }
        });
        for mut batch in rx {
            let ok = batch.iter().take_while(|r| r.is_ok()).count();
            for t in batch[..ok].iter().flatten() {
                consume(t)?;
            }
            if ok < batch.len() {
                // The helper's first error (it stopped there).
                return batch.swap_remove(ok).map(|_| ());
            }
            let _ = done_tx.send(batch);
        }
        Ok(())
    })
}

/// The old row of a site: key, record (an error when the stored row is corrupt), combination,
/// chain set and bounds (min_lon, max_lon, min_lat, max_lat).
type OldRow = (
    i64,
    Result<Site>,
    Option<i64>,
    Option<i64>,
    Option<[f64; 4]>,
);

/// Writes prepared sites: the one writer of every change of a site (an import's, see
/// `bulk::import`, or a single site's, see [`write_one`] and [`remove_one`]).
pub(crate) struct Writer<'c> {
    conn: &'c Connection,
    bulk: bool,
    now: String,
    report: ImportReport,
    interned: Interned,
    /// Bulk: the ids already stored and their keys, so that new ones need no lookup and stored
    /// ones are read by key (the id index is dropped until the end of the import).
    stored_ids: Option<HashMap<String, i64>>,
    /// Bulk: the dropped indexes of `sites` (name, SQL).
    indexes: Vec<(String, String)>,
    /// Bulk: the largest key before the import (the R*Tree is rebuilt from the stored bounds
    /// of those sites and the boxes of the new ones).
    max_pk: i64,
    existing: rusqlite::CachedStatement<'c>,
    existing_by_pk: rusqlite::CachedStatement<'c>,
    insert: rusqlite::CachedStatement<'c>,
    update: rusqlite::CachedStatement<'c>,
    del_fts: rusqlite::CachedStatement<'c>,
    add_fts: rusqlite::CachedStatement<'c>,
    add_rtree: rusqlite::CachedStatement<'c>,
    set_rtree: rusqlite::CachedStatement<'c>,
    /// Bulk: R*Tree entries of new sites, and (key, input position) of the sites whose search
    /// tokens are still to write: both are written after all sites.
    new_boxes: Vec<(i64, [i64; 4])>,
    later_tokens: Vec<(i64, usize)>,
    /// Who writes and the action of the revisions.
    who: String,
    action: Action,
    /// The record of a site as JSON, before it changes (`sql::ROW_JSON_BY_PK`).
    row_json: rusqlite::CachedStatement<'c>,
    /// A revision whose `after` is the site's row (`sql::REVISION_OF_ROW`).
    revision: rusqlite::CachedStatement<'c>,
    /// The version the next inserted site gets (default 1).
    next_version: Option<i64>,
    /// The revision the last written site got.
    last_rev: Option<i64>,
}

impl<'c> Writer<'c> {
    pub(crate) fn new(conn: &'c Connection, bulk: bool, journal: &Journal<'_>) -> Result<Self> {
        let stored_ids = if bulk {
            let mut st = conn.prepare(sql::SITE_KEYS)?;
            let rows = st.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
            Some(rows.collect::<Result<_, _>>()?)
        } else {
            None
        };
        let max_pk: i64 = conn
            .query_row(sql::MAX_PK, [], |r| r.get::<_, Option<i64>>(0))?
            .unwrap_or(0);
        let indexes = if bulk {
            conn.execute(sql::FTS_HASHSIZE, [BULK_FTS_HASHSIZE])?;
            drop_indexes(conn)?
        } else {
            Vec::new()
        };
        let existing_sql = |by: &str| {
            format!(
                "SELECT {}, s.pk, s.combo, s.chainset, s.min_lon, s.max_lon, s.min_lat, \
                 s.max_lat FROM sites AS s {by}",
                sql::SITE_COLUMNS,
            )
        };
        Ok(Self {
            conn,
            bulk,
            now: journal
                .at
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            report: ImportReport::default(),
            interned: if bulk {
                Interned::load(conn)?
            } else {
                Interned::empty()
            },
            stored_ids,
            indexes,
            max_pk,
            existing: conn.prepare_cached(&existing_sql(sql::SITE_BY_ID))?,
            existing_by_pk: conn.prepare_cached(&existing_sql(sql::WHERE_PK))?,
            insert: conn.prepare_cached(sql::INSERT_SITE)?,
            update: conn.prepare_cached(sql::UPDATE_SITE)?,
            del_fts: conn.prepare_cached(sql::DELETE_FTS)?,
            add_fts: conn.prepare_cached(sql::INSERT_FTS)?,
            // The R*Tree is written here, not by a trigger (a trigger per insert is much slower).
            add_rtree: conn.prepare_cached(sql::INSERT_RTREE)?,
            set_rtree: conn.prepare_cached(sql::UPDATE_RTREE)?,
            new_boxes: Vec::new(),
            later_tokens: Vec::new(),
            who: journal.who.to_string(),
            action: journal.action,
            row_json: conn.prepare_cached(&sql::with_row_json(sql::ROW_JSON_BY_PK))?,
            revision: conn.prepare_cached(&sql::with_row_json(sql::REVISION_OF_ROW))?,
            next_version: None,
            last_rev: None,
        })
    }

    /// The record of site `pk` as JSON (what a revision keeps).
    fn record_json(&mut self, pk: i64) -> Result<String> {
        Ok(self.row_json.query_row([pk], |r| r.get(0))?)
    }

    /// Writes the revision of site `pk` (`id`) as it now is, with `before`. An import's
    /// revision stores no `after` (see `sql::REVISION_AFTER`).
    fn record(&mut self, pk: i64, id: &str, before: Option<&str>) -> Result<()> {
        if self.action == Action::Import {
            self.record_without_after(id, Action::Import, before)?;
        } else {
            self.revision.execute(params![
                pk,
                self.now,
                self.who,
                self.action.as_str(),
                before
            ])?;
        }
        self.last_rev = Some(self.conn.last_insert_rowid());
        Ok(())
    }

    /// Deletes a site (see [`remove_one`]); `None` when no site has the id.
    fn remove(&mut self, id: &str) -> Result<Option<i64>> {
        let Some((pk, _, _, _, _)) = self.old_row(id)? else {
            return Ok(None);
        };
        let before = self.record_json(pk)?;
        // The `sites_delete` trigger (migration V2) removes the R*Tree entry and the search
        // tokens and takes the site off the counts of its combination, chain set and cell,
        // with the same cell formula as `query::cell`; `finish` then drops what no site uses.
        self.conn.prepare_cached(sql::DELETE_SITE)?.execute([pk])?;
        self.record_without_after(id, Action::Delete, Some(&before))?;
        let rev = self.conn.last_insert_rowid();
        self.last_rev = Some(rev);
        Ok(Some(rev))
    }

    /// Writes a revision of site `id` that stores no `after`: an import's (see
    /// `sql::REVISION_AFTER`) or a deletion's.
    fn record_without_after(
        &mut self,
        id: &str,
        action: Action,
        before: Option<&str>,
    ) -> Result<()> {
        self.conn
            .prepare_cached(sql::REVISION_WITHOUT_AFTER)?
            .execute(params![id, self.now, self.who, action.as_str(), before])?;
        Ok(())
    }

    fn old_row(&mut self, id: &str) -> Result<Option<OldRow>> {
        let st = match &self.stored_ids {
            None => self.existing.query([id]),
            Some(ids) => match ids.get(id) {
                Some(pk) => self.existing_by_pk.query([pk]),
                None => return Ok(None),
            },
        };
        let mut rows = st?;
        let Some(r) = rows.next()? else {
            return Ok(None);
        };
        let bound = |i: usize| r.get::<_, Option<f64>>(sql::col::CHAINSET + 1 + i);
        let bounds = match (bound(0)?, bound(1)?, bound(2)?, bound(3)?) {
            (Some(a), Some(b), Some(c), Some(d)) => Some([a, b, c, d]),
            _ => None,
        };
        Ok(Some((
            r.get::<_, i64>(sql::col::PK)?,
            site_from_row(r),
            r.get::<_, Option<i64>>(sql::col::COMBO)?,
            r.get::<_, Option<i64>>(sql::col::CHAINSET)?,
            bounds,
        )))
    }

    /// Puts site `pk`'s R*Tree entry right after an update: moved, added, or removed (a site
    /// without location has none); `had` says whether it had one.
    fn move_rtree(&mut self, pk: i64, had: bool, b: Option<[f64; 4]>) -> Result<()> {
        match (had, b) {
            (true, Some(b)) => {
                let r = query::rtree_box(b);
                self.set_rtree
                    .execute(params![pk, r[0], r[1], r[2], r[3]])?;
            }
            (false, Some(b)) => {
                let r = query::rtree_box(b);
                self.add_rtree
                    .execute(params![pk, r[0], r[1], r[2], r[3]])?;
            }
            (true, None) => {
                self.conn.prepare_cached(sql::DELETE_RTREE)?.execute([pk])?;
            }
            (false, None) => {}
        }
        Ok(())
    }

    /// Upserts one site and writes its revision; returns its key, `None` when unchanged.
    pub(crate) fn site(&mut self, p: &Prepared<'_>) -> Result<Option<i64>> {
        let site = p.site.as_ref();
        let old = self.old_row(site.id.as_str())?;
        if let Some((_, Ok(old), _, _, _)) = &old {
            if old == site {
                self.report.unchanged += 1;
                return Ok(None);
            }
        }
        let before = match &old {
            Some((pk, ..)) => Some(self.record_json(*pk)?),
            None => None,
        };
        let (combo, set) = self.interned.ids(self.conn, site, &p.keys)?;
        let b = p.bbox;
        let pk = match old {
            // A corrupt stored row is overwritten by the valid one.
            Some((pk, _, old_combo, old_set, old_bbox)) => {
                let st = &mut self.update;
                bind_site(st, site, &p.search_text)?;
                st.raw_bind_parameter(37, self.now.as_str())?;
                st.raw_bind_parameter(38, combo)?;
                st.raw_bind_parameter(39, set)?;
                st.raw_bind_parameter(40, pk)?;
                st.raw_execute()?;
                if !self.bulk {
                    self.move_rtree(pk, old_bbox.is_some(), b)?;
                }
                self.del_fts.execute([pk])?;
                self.interned.count(old_combo, old_set, old_bbox, -1);
                self.report.updated += 1;
                pk
            }
            None => {
                let st = &mut self.insert;
                bind_site(st, site, &p.search_text)?;
                st.raw_bind_parameter(37, self.now.as_str())?;
                st.raw_bind_parameter(38, combo)?;
                st.raw_bind_parameter(39, set)?;
                st.raw_execute()?;
                let pk = self.conn.last_insert_rowid();
                if let Some(v) = self.next_version {
                    self.conn
                        .prepare_cached(sql::SET_SITE_VERSION)?
                        .execute(params![pk, v])?;
                }
                match b {
                    None => {}
                    Some(b) if self.bulk => self.new_boxes.push((pk, query::rtree_box(b))),
                    Some(b) => {
                        let r = query::rtree_box(b);
                        self.add_rtree
                            .execute(params![pk, r[0], r[1], r[2], r[3]])?;
                    }
                }
                self.report.inserted += 1;
                pk
            }
        };
        self.interned.count(Some(combo), Some(set), b, 1);
        match &p.doc {
            Some(doc) => {
                self.add_fts.execute(params![pk, doc])?;
            }
            None => self.later_tokens.push((pk, p.index)),
        }
        // A bulk import writes the revisions of the sites it inserts at the end, at once.
        if !(self.bulk && pk > self.max_pk) {
            self.record(pk, site.id.as_str(), before.as_deref())?;
        }
        Ok(Some(pk))
    }

    /// Bulk: writes the R*Tree entries and search tokens (merged into one segment), rebuilds the
    /// indexes; then the counts.
    pub(crate) fn finish(mut self, sites: &[Site]) -> Result<ImportReport> {
        if self.bulk {
            // The R*Tree, packed from all its entries: those of the sites stored before (their
            // current bounds) and the new ones.
            let mut entries = std::mem::take(&mut self.new_boxes);
            {
                let mut st = self.conn.prepare(sql::SITE_BOUNDS_UP_TO)?;
                let mut rows = st.query([self.max_pk])?;
                while let Some(r) = rows.next()? {
                    let b = [r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?];
                    entries.push((r.get(0)?, query::rtree_box(b)));
                }
            }
            rtree::rebuild(self.conn, entries)?;
            // Search tokens: made on a helper thread, written here, one index at a time.
            let later = &self.later_tokens;
            let add_fts = &mut self.add_fts;
            pipeline(
                later.len(),
                |i| {
                    let (pk, index) = later[i];
                    Ok((pk, tokens(&sites[index])))
                },
                |(pk, doc)| {
                    add_fts.execute(params![pk, doc])?;
                    Ok(())
                },
            )?;
            self.conn
                .execute(sql::FTS_HASHSIZE, [DEFAULT_FTS_HASHSIZE])?;
            // The segments the tokens were written in, merged now, in the import: left to a
            // server, merging them takes its background thread minutes at a million sites,
            // competing with the reads and holding up saves (see `crate::checkpoint`).
            self.conn.execute(sql::FTS_OPTIMIZE, [])?;
            for (_, create) in &self.indexes {
                self.conn.execute_batch(create)?;
            }
            self.conn
                .prepare(sql::REVISIONS_OF_NEW_ROWS)?
                .execute(params![self.max_pk, self.now, self.who])?;
        }
        self.interned.save(self.conn)?;
        Ok(self.report)
    }
}

/// SQLite's default FTS5 token buffer (1 MiB).
const DEFAULT_FTS_HASHSIZE: i64 = 1 << 20;

/// What a revision did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// A new site (write API).
    Create,
    /// A changed site (write API).
    Update,
    /// A deleted site (moved out of the catalogue; restorable).
    Delete,
    /// A deleted site put back.
    Restore,
    /// A site set back to its record after an earlier revision.
    Revert,
    /// A row of an import (CLI, API, the default dataset, or the baseline of a migrated
    /// database).
    Import,
    /// Someone confirmed the record (`verified_at` set to the day).
    Verify,
}

impl Action {
    /// Every action.
    pub const ALL: [Action; 7] = [
        Action::Create,
        Action::Update,
        Action::Delete,
        Action::Restore,
        Action::Revert,
        Action::Import,
        Action::Verify,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::Delete => "delete",
            Action::Restore => "restore",
            Action::Revert => "revert",
            Action::Import => "import",
            Action::Verify => "verify",
        }
    }

    pub(crate) fn parse(s: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|a| a.as_str() == s)
            .ok_or_else(|| StoreError::Data(format!("unknown revision action '{s}'")))
    }
}

impl std::fmt::Display for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
