//! Writing sites: one transaction per import, upsert by id, counts of what changed.

use crate::error::{Result, StoreError};
use crate::row::{site_from_row, site_values};
use crate::search;
use crate::sql;
use atlas_core::Site;
use rusqlite::types::Value;
use rusqlite::{params, params_from_iter, Connection, OptionalExtension};
use serde::Serialize;
use std::collections::HashSet;

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
fn normalised(s: &Site) -> Site {
    let mut s = s.clone();
    s.chains.sort();
    s.chains.dedup();
    s
}

/// Upserts `sites` on `conn`, which the caller has made a transaction.
pub(crate) fn import(conn: &Connection, sites: &[Site]) -> Result<ImportReport> {
    let known = Known::load(conn)?;
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let mut seen: HashSet<&str> = HashSet::with_capacity(sites.len());
    let mut report = ImportReport::default();
    let existing_sql = format!(
        "SELECT {}, s.pk FROM sites AS s {}",
        sql::SITE_COLUMNS,
        sql::SITE_BY_ID
    );
    let mut existing_st = conn.prepare_cached(&existing_sql)?;
    let mut insert = conn.prepare_cached(sql::INSERT_SITE)?;
    let mut update = conn.prepare_cached(sql::UPDATE_SITE)?;
    let mut del_chains = conn.prepare_cached(sql::DELETE_SITE_CHAINS)?;
    let mut add_chain = conn.prepare_cached(sql::INSERT_SITE_CHAIN)?;
    let mut del_fts = conn.prepare_cached(sql::DELETE_FTS)?;
    let mut add_fts = conn.prepare_cached(sql::INSERT_FTS)?;
    // The R*Tree is written here, not by a trigger: a trigger made each insert ~10x slower.
    let mut add_rtree = conn.prepare_cached(sql::INSERT_RTREE)?;
    let mut set_rtree = conn.prepare_cached(sql::UPDATE_RTREE)?;

    for site in sites {
        if !seen.insert(site.id.as_str()) {
            return Err(StoreError::DuplicateId(site.id.to_string()));
        }
        known.check(site)?;
        let site = normalised(site);
        let old = existing_st
            .query_row([site.id.as_str()], |r| {
                Ok((r.get::<_, i64>(sql::col::PK)?, site_from_row(r)))
            })
            .optional()?;
        if let Some((_, Ok(old))) = &old {
            if *old == site {
                report.unchanged += 1;
                continue;
            }
        }
        let search_text = site.search_text().to_lowercase();
        let mut values = site_values(&site, &search_text);
        values.push(Value::Text(now.clone()));
        let b = site.location.geometry.bbox();
        let bbox = (b.min_lon, b.max_lon, b.min_lat, b.max_lat);
        let pk = match old {
            // A corrupt stored row is overwritten by the valid one.
            Some((pk, _)) => {
                values.push(Value::Integer(pk));
                update.execute(params_from_iter(values.iter()))?;
                set_rtree.execute(params![pk, bbox.0, bbox.1, bbox.2, bbox.3])?;
                del_chains.execute([pk])?;
                del_fts.execute([pk])?;
                report.updated += 1;
                pk
            }
            None => {
                insert.execute(params_from_iter(values.iter()))?;
                let pk = conn.last_insert_rowid();
                add_rtree.execute(params![pk, bbox.0, bbox.1, bbox.2, bbox.3])?;
                report.inserted += 1;
                pk
            }
        };
        // Chains are sorted: the first row of each chain marks the site's membership.
        let mut previous: Option<&str> = None;
        for c in &site.chains {
            let first = previous != Some(c.chain.as_str());
            previous = Some(c.chain.as_str());
            add_chain.execute(params![
                pk,
                c.chain.as_str(),
                c.link.as_ref().map(|l| l.as_str()),
                first
            ])?;
        }
        let doc = search::document(&search_text);
        add_fts.execute(params![pk, doc.uni, doc.bi, doc.tri])?;
    }
    Ok(report)
}
