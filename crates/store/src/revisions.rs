//! Changing one site at a time, with history: create, update, delete, restore, revert, and the
//! revisions every change writes.
//!
//! - Every change runs in one `IMMEDIATE` transaction that also writes its revision (who, when,
//!   the action, the record before and after as JSON of its row, see [`crate::sql::ROW_JSON`])
//!   and bumps the data version. An import's revision stores its `before` only: its `after` is
//!   the next revision's `before` or the current row ([`crate::sql::REVISION_AFTER`]), so an
//!   import of a million sites does not store them twice.
//! - Writing goes through the one writer (`write::write_one`, `write::remove_one`), so
//!   the R*Tree, the search tokens and the interned counts are kept exactly as an import keeps
//!   them.
//! - Deleting moves a site out of `sites` (with its index entries and counts): no read path
//!   needs to know about deletion. The record lives on in the `before` of its deletion
//!   revision; restoring writes it back through the same writer.
//! - Optimistic concurrency: a change may name the version it was made against; a stored site
//!   at another version fails with [`StoreError::VersionMismatch`] and nothing is written.
//! - A change that leaves the record as it is writes nothing (no revision, same version).

use crate::error::{Result, StoreError};
use crate::index::shared::SiteChange;
use crate::write::{self, Action, Journal};
use crate::{row, sql, Store};
use atlas_core::{Category, Labelled, Site, SiteId};
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior};

/// One change of one site.
#[derive(Debug, Clone, PartialEq)]
pub struct Revision {
    /// Revision number (ascending over the whole store).
    pub rev: u64,
    /// The site.
    pub site_id: String,
    /// When (RFC 3339, UTC).
    pub at: String,
    /// Who: a user name, `cli:NAME`, `init`, `migration`.
    pub who: String,
    /// What.
    pub action: Action,
    /// The record before (`None` for a creation or a first import).
    pub before: Option<Site>,
    /// The record after (`None` for a deletion).
    pub after: Option<Site>,
    /// The site's version after the change (before it, for a deletion).
    pub version: Option<u64>,
}

/// A site that is deleted (its latest revision is its deletion).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeletedSite {
    /// The deletion's revision.
    pub rev: u64,
    /// The site's id.
    pub id: String,
    /// Chinese name.
    pub name_zh: String,
    /// English name.
    pub name_en: Option<String>,
    /// Category.
    pub category: Category,
    /// When it was deleted (RFC 3339, UTC).
    pub deleted_at: String,
    /// Who deleted it.
    pub deleted_by: String,
}

/// What a single-site change left in the store.
#[derive(Debug, Clone, PartialEq)]
pub struct Saved {
    /// The site as stored now.
    pub site: Site,
    /// Its version (the `ETag`).
    pub version: u64,
    /// The revision written; `None` when the change left the record as it was.
    pub rev: Option<u64>,
}

/// A revision row as read: (rev, site id, at, who, action, before, after).
type RawRevision = (
    i64,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
);

fn raw_revision(r: &rusqlite::Row<'_>) -> rusqlite::Result<RawRevision> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
    ))
}

fn to_u64(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

/// A record kept as JSON (`sql::ROW_JSON`), read back with the code that reads a `sites` row;
/// with the version it had.
pub(crate) fn site_from_json(conn: &Connection, json: &str) -> Result<(Site, Option<u64>)> {
    let mut st = conn.prepare_cached(sql::SITE_FROM_JSON)?;
    let mut rows = st.query([json])?;
    let r = rows
        .next()?
        .ok_or_else(|| StoreError::Data("a revision's record reads as no row".into()))?;
    let site = row::site_from_row(r)?;
    let version = r.get::<_, Option<i64>>(sql::col::PK)?.map(to_u64);
    Ok((site, version))
}

fn revision(conn: &Connection, raw: RawRevision) -> Result<Revision> {
    let (rev, site_id, at, who, action, before, after) = raw;
    let before = before
        .map(|j| site_from_json(conn, &j))
        .transpose()
        .map_err(|e| StoreError::Data(format!("revision {rev}, before: {e}")))?;
    let after = after
        .map(|j| site_from_json(conn, &j))
        .transpose()
        .map_err(|e| StoreError::Data(format!("revision {rev}, after: {e}")))?;
    let version = match (&before, &after) {
        (_, Some((_, v))) => *v,
        (Some((_, v)), None) => *v,
        (None, None) => None,
    };
    Ok(Revision {
        rev: to_u64(rev),
        site_id,
        at,
        who,
        action: Action::parse(&action)?,
        before: before.map(|(s, _)| s),
        after: after.map(|(s, _)| s),
        version,
    })
}

fn stored_version(conn: &Connection, id: &str) -> Result<Option<u64>> {
    Ok(conn
        .prepare_cached(sql::SITE_VERSION)?
        .query_row([id], |r| r.get::<_, i64>(0))
        .optional()?
        .map(to_u64))
}

/// Fails unless site `id` is stored, at `expected` when given; returns its version.
fn check_version(conn: &Connection, id: &str, expected: Option<u64>) -> Result<u64> {
    let current =
        stored_version(conn, id)?.ok_or_else(|| StoreError::NoSuchSite(id.to_string()))?;
    match expected {
        Some(e) if e != current => Err(StoreError::VersionMismatch {
            id: id.to_string(),
            expected: e,
            current,
        }),
        _ => Ok(current),
    }
}

fn latest_revision(conn: &Connection, id: &str) -> Result<Option<RawRevision>> {
    Ok(conn
        .prepare_cached(&sql::with_revision_after(sql::LATEST_REVISION))?
        .query_row([id], raw_revision)
        .optional()?)
}

impl Store {
    /// Runs `f` in one `IMMEDIATE` transaction that bumps the data version when `f` wrote
    /// something (`f` returns whether it did); `f` gets the time of the change (the store's
    /// clock). `id`: the one site `f` changes. With a shared index attached, the change moves
    /// it in place before the commit, and the commit's outcome is reported to it (see
    /// `index::shared`).
    fn change<T>(
        &mut self,
        id: &SiteId,
        f: impl FnOnce(&Connection, DateTime<Utc>) -> Result<(T, bool)>,
    ) -> Result<T> {
        let at = self.clock.now();
        let shared = self.shared.clone();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let old = match &shared {
            Some(_) => SiteChange::before(&tx, id.as_str())?,
            None => None,
        };
        let (out, wrote) = f(&tx, at)?;
        if !wrote {
            tx.commit()?;
            return Ok(out);
        }
        tx.execute(sql::BUMP_DATA_VERSION, [])?;
        let Some(shared) = shared else {
            tx.commit()?;
            return Ok(out);
        };
        let pending = shared.begin(SiteChange::read(&tx, id.as_str(), old)?);
        let committed = tx.commit();
        pending.end(committed.is_ok());
        committed?;
        Ok(out)
    }

    /// The site as stored after a change, with its version.
    fn saved(conn: &Connection, id: &SiteId, rev: Option<i64>) -> Result<Saved> {
        let q = format!(
            "SELECT {} FROM sites AS s {}",
            sql::SITE_COLUMNS,
            sql::SITE_BY_ID
        );
        let site = conn
            .prepare_cached(&q)?
            .query_row([id.as_str()], |r| Ok(row::site_from_row(r)))
            .optional()?
            .ok_or_else(|| StoreError::NoSuchSite(id.to_string()))??;
        let version = stored_version(conn, id.as_str())?
            .ok_or_else(|| StoreError::NoSuchSite(id.to_string()))?;
        Ok(Saved {
            site,
            version,
            rev: rev.map(to_u64),
        })
    }

    /// Adds a new site (revision `create`, version 1). Fails with [`StoreError::SiteExists`]
    /// when its id is taken; an unknown chain, link or township is
    /// [`StoreError::InvalidSite`]. A deleted site's id may be used again.
    pub fn create_site(&mut self, site: &Site, who: &str) -> Result<Saved> {
        self.change(&site.id, |conn, at| {
            if stored_version(conn, site.id.as_str())?.is_some() {
                return Err(StoreError::SiteExists(site.id.to_string()));
            }
            let journal = Journal {
                who,
                action: Action::Create,
                at,
            };
            let written = write::write_one(conn, site, &journal, None)?;
            let rev = written.map(|(_, rev)| rev);
            Ok((Self::saved(conn, &site.id, rev)?, true))
        })
    }

    /// Replaces a stored site's record with `site` (same id), as `action` (`Update`, `Verify`
    /// or `Revert`). `expected`: the version the change was made against (`If-Match`); another
    /// stored version fails with [`StoreError::VersionMismatch`]. An identical record writes
    /// nothing and keeps the version.
    pub fn update_site(
        &mut self,
        site: &Site,
        expected: Option<u64>,
        who: &str,
        action: Action,
    ) -> Result<Saved> {
        self.change(&site.id, |conn, at| {
            check_version(conn, site.id.as_str(), expected)?;
            let journal = Journal { who, action, at };
            let written = write::write_one(conn, site, &journal, None)?;
            let rev = written.map(|(_, rev)| rev);
            Ok((Self::saved(conn, &site.id, rev)?, rev.is_some()))
        })
    }

    /// Deletes a site: moves it out of the catalogue (every list, count, facet and export
    /// forgets it at once) and keeps its whole record in the deletion's revision, so that
    /// [`Store::restore_site`] can put it back. Returns the revision.
    pub fn delete_site(&mut self, id: &SiteId, expected: Option<u64>, who: &str) -> Result<u64> {
        self.change(id, |conn, at| {
            check_version(conn, id.as_str(), expected)?;
            let journal = Journal {
                who,
                action: Action::Delete,
                at,
            };
            let rev = write::remove_one(conn, id.as_str(), &journal)?
                .ok_or_else(|| StoreError::NoSuchSite(id.to_string()))?;
            Ok((to_u64(rev), true))
        })
    }

    /// Puts a deleted site back as it was when deleted (revision `restore`; its version
    /// continues from the deleted one's). Fails with [`StoreError::NotDeleted`] when the site
    /// is in the catalogue, [`StoreError::NoSuchSite`] when it never was, and
    /// [`StoreError::InvalidSite`] when it uses a chain, link or township the store no longer
    /// has.
    pub fn restore_site(&mut self, id: &SiteId, who: &str) -> Result<Saved> {
        self.change(id, |conn, at| {
            if stored_version(conn, id.as_str())?.is_some() {
                return Err(StoreError::NotDeleted(id.to_string()));
            }
            let latest = latest_revision(conn, id.as_str())?
                .ok_or_else(|| StoreError::NoSuchSite(id.to_string()))?;
            let (_, _, _, _, action, before, _) = latest;
            let json = match (action.as_str(), before) {
                ("delete", Some(json)) => json,
                _ => return Err(StoreError::NoSuchSite(id.to_string())),
            };
            let (site, version) = site_from_json(conn, &json)?;
            let journal = Journal {
                who,
                action: Action::Restore,
                at,
            };
            let next = version.map(|v| i64::try_from(v).unwrap_or(i64::MAX - 1) + 1);
            let written = write::write_one(conn, &site, &journal, next.or(Some(1)))?;
            let rev = written.map(|(_, rev)| rev);
            Ok((Self::saved(conn, id, rev)?, true))
        })
    }

    /// Sets a site back to its record as it was right after revision `rev` (revision
    /// `revert`). A deleted site comes back (its version continuing); a stored one is checked
    /// against `expected` like an update. Fails with [`StoreError::NoSuchRevision`] when `rev`
    /// is not one of the site's, [`StoreError::RevisionDeletes`] when `rev` deleted it.
    pub fn revert_site(
        &mut self,
        id: &SiteId,
        rev: u64,
        expected: Option<u64>,
        who: &str,
    ) -> Result<Saved> {
        self.change(id, |conn, at| {
            let no_such = || StoreError::NoSuchRevision {
                id: id.to_string(),
                rev,
            };
            let raw = conn
                .prepare_cached(&sql::with_revision_after(sql::REVISION))?
                .query_row([i64::try_from(rev).map_err(|_| no_such())?], raw_revision)
                .optional()?
                .filter(|r| r.1 == id.as_str())
                .ok_or_else(no_such)?;
            let Some(after) = raw.6 else {
                return Err(StoreError::RevisionDeletes {
                    id: id.to_string(),
                    rev,
                });
            };
            let (site, _) = site_from_json(conn, &after)?;
            let journal = Journal {
                who,
                action: Action::Revert,
                at,
            };
            let written = if stored_version(conn, id.as_str())?.is_some() {
                check_version(conn, id.as_str(), expected)?;
                write::write_one(conn, &site, &journal, None)?
            } else {
                // Deleted: back in, its numbering continuing from the deleted version.
                let last = latest_revision(conn, id.as_str())?
                    .and_then(|r| r.5)
                    .map(|j| site_from_json(conn, &j))
                    .transpose()?
                    .and_then(|(_, v)| v)
                    .map(|v| i64::try_from(v).unwrap_or(i64::MAX - 1) + 1);
                write::write_one(conn, &site, &journal, last.or(Some(1)))?
            };
            let rev = written.map(|(_, rev)| rev);
            Ok((Self::saved(conn, id, rev)?, rev.is_some()))
        })
    }

    /// The revisions of a site, newest first (also of a deleted site; empty for an unknown id).
    pub fn history(&self, id: &SiteId) -> Result<Vec<Revision>> {
        let _snapshot = self.read_snapshot()?;
        let raws: Vec<RawRevision> = {
            let mut st = self
                .conn
                .prepare_cached(&sql::with_revision_after(sql::HISTORY))?;
            let rows = st.query_map([id.as_str()], raw_revision)?;
            rows.collect::<Result<_, _>>()?
        };
        raws.into_iter()
            .map(|raw| revision(&self.conn, raw))
            .collect()
    }

    /// The deleted sites, most recently deleted first.
    pub fn deleted_sites(&self) -> Result<Vec<DeletedSite>> {
        row::all_rows(&self.conn, sql::DELETED, |r| {
            let category: Option<String> = r.get(6)?;
            let category = category
                .as_deref()
                .map(Category::parse_label)
                .transpose()
                .map_err(|e| StoreError::Data(format!("deleted site: {e}")))?
                .ok_or_else(|| StoreError::Data("deleted site without a category".into()))?;
            Ok(DeletedSite {
                rev: to_u64(r.get(0)?),
                id: r.get(1)?,
                deleted_at: r.get(2)?,
                deleted_by: r.get(3)?,
                name_zh: r.get::<_, Option<String>>(4)?.unwrap_or_default(),
                name_en: r.get(5)?,
                category,
            })
        })
    }

    /// How many revisions the store holds.
    pub fn revision_count(&self) -> Result<u64> {
        let n: i64 = self
            .conn
            .prepare_cached(sql::REVISION_COUNT)?
            .query_row([], |r| r.get(0))?;
        Ok(to_u64(n))
    }
}
