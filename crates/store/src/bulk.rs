//! Import transactions: many sites at once (a file, the default dataset) in one transaction,
//! through the one [`Writer`], with the bulk path for a large first load (see [`import`]).

use crate::error::{Result, StoreError};
use crate::store::CACHE_KIB;
use crate::write::{
    pipeline, prepare, validate, Action, HashSet, ImportReport, Journal, Known, Writer,
};
use crate::{reference, sql, Store, DEFAULT_DATASET};
use atlas_core::dataset::Reference;
use atlas_core::Site;
use rusqlite::{Connection, TransactionBehavior};

/// Page cache while a large import runs (index maintenance stays in memory), 512 MiB.
const IMPORT_CACHE_KIB: i64 = -524_288;
/// Imports above this many sites get the larger cache.
const BIG_IMPORT: usize = 20_000;

impl Store {
    /// Upserts `sites` by id in one transaction: new ids are inserted, changed records updated
    /// (`version` + 1, `created_at` kept), identical ones left alone. Any failure (an unknown
    /// chain, link or township, a repeated id, a database error) rolls back the whole import.
    /// The caller filters invalid rows out and may set [`ImportReport::skipped`] itself.
    ///
    /// A large import into a store holding no more sites (the first load of a catalogue) takes
    /// a faster path with the same result (indexes rebuilt after the rows, the R*Tree packed at
    /// once, rows in spatial order).
    ///
    /// Each site written gets a revision (action `import`, by `"import"`); see
    /// [`Store::import_sites_by`] to name who imports.
    pub fn import_sites(&mut self, sites: &[Site]) -> Result<ImportReport> {
        self.import_sites_by(sites, "import", false)
    }

    /// [`Store::import_sites`] with the name the revisions record (`cli:NAME`, a user name).
    /// `dry_run`: the import runs to its end in its transaction, which is then rolled back:
    /// the report says exactly what the import would do, and nothing is written.
    pub fn import_sites_by(
        &mut self,
        sites: &[Site],
        who: &str,
        dry_run: bool,
    ) -> Result<ImportReport> {
        let big = sites.len() > BIG_IMPORT;
        if big {
            self.conn
                .pragma_update(None, "cache_size", IMPORT_CACHE_KIB)?;
        }
        let result = self.import_in_transaction(sites, who, dry_run);
        if big {
            self.conn.pragma_update(None, "cache_size", CACHE_KIB)?;
        }
        let report = result?;
        if !dry_run {
            self.optimize();
            // A process without a shared index (the command line) stores the list index for
            // the next server start. The import has committed: a failure here only means the
            // next start scans the sites.
            if self.shared.is_none() {
                let _ = self.store_list_index();
            }
        }
        Ok(report)
    }

    fn import_in_transaction(
        &mut self,
        sites: &[Site],
        who: &str,
        dry_run: bool,
    ) -> Result<ImportReport> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let journal = Journal {
            who,
            action: Action::Import,
            at: self.clock.now(),
        };
        let report = import(&tx, sites, &journal)?;
        if dry_run {
            tx.rollback()?;
            return Ok(report);
        }
        if report.inserted + report.updated > 0 {
            tx.execute(sql::BUMP_DATA_VERSION, [])?;
        }
        tx.commit()?;
        self.index_moved();
        Ok(report)
    }

    /// Loads the embedded default dataset: its reference data and `data/sites.csv`, in one
    /// transaction. Fails if any row of the embedded file is invalid. `today` stamps records
    /// without an `updated_at`.
    pub fn load_default(&mut self, today: chrono::NaiveDate) -> Result<ImportReport> {
        use atlas_core::import::{parse_sites, FileFormat};
        let r = Reference::embedded().map_err(|e| StoreError::Dataset(e.to_string()))?;
        let parsed = parse_sites(
            atlas_core::dataset::SITES_CSV.as_bytes(),
            FileFormat::Csv,
            &r.context(today),
            None,
        )
        .map_err(|e| StoreError::Dataset(e.to_string()))?;
        if let Some(e) = parsed.errors.first() {
            return Err(StoreError::Dataset(format!(
                "sites.csv has {} invalid row(s), first: {e}",
                parsed.invalid_rows()
            )));
        }
        let sites: Vec<Site> = parsed.sites.into_iter().map(|(_, s)| s).collect();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        reference::replace(&tx, &r)?;
        reference::set_meta(&tx, sql::META_DATASET, DEFAULT_DATASET)?;
        let journal = Journal {
            who: "init",
            action: Action::Import,
            at: self.clock.now(),
        };
        let report = import(&tx, &sites, &journal)?;
        tx.execute(sql::BUMP_DATA_VERSION, [])?;
        tx.commit()?;
        self.index_moved();
        self.optimize();
        Ok(report)
    }
}

/// An import at least this large into a store holding at most as many sites is a bulk import.
pub(crate) const BULK_MIN: usize = 5_000;

/// Upserts `sites` on `conn`, which the caller has made a transaction.
///
/// Checking and tokenising run on a helper thread for large imports, writing on this one.
///
/// A large import into a store holding no more sites than it brings (the first load of a
/// catalogue) is a *bulk* import, in the same transaction and with the same result:
/// - every site is checked first (errors in input order), then the sites are written in
///   spatial order (pk order follows space, so a map's box reads few pages of rows);
/// - the secondary indexes of `sites` are dropped and rebuilt at the end;
/// - the R*Tree is packed at the end from all its entries (`crate::index::rtree`);
/// - search tokens are written after all sites, with a larger FTS5 token buffer;
/// - the ids already stored are read once instead of looked up per site.
///
/// Every site written gets a revision (`journal`: who and which action) in the same
/// transaction: its record before (updates) and after. A bulk import writes the revisions of
/// the sites it inserted with one statement at the end.
pub(crate) fn import(
    conn: &Connection,
    sites: &[Site],
    journal: &Journal<'_>,
) -> Result<ImportReport> {
    let known = Known::load(conn)?;
    let stored: i64 = conn.query_row(sql::SITE_COUNT, [], |r| r.get(0))?;
    let bulk = sites.len() >= BULK_MIN && i64::try_from(sites.len()).unwrap_or(i64::MAX) >= stored;
    let mut seen = HashSet::with_capacity_and_hasher(sites.len(), Default::default());
    // Bulk: every site is checked first (errors in input order), then the sites are written
    // in spatial order (Z-order of their box centres), so that neighbours in space are
    // neighbours in the table: a map's box then reads a few pages of rows, not one per site.
    let order: Option<Vec<usize>> = if bulk {
        for s in sites {
            validate(s, &known, &mut seen)?;
        }
        Some(spatial_order(sites))
    } else {
        None
    };
    let mut w = Writer::new(conn, bulk, journal)?;
    let seen = &mut seen;
    let known = &known;
    pipeline(
        sites.len(),
        |k| match &order {
            Some(order) => prepare(order[k], &sites[order[k]], None, false),
            None => prepare(k, &sites[k], Some((known, &mut *seen)), true),
        },
        |p| w.site(p).map(|_| ()),
    )?;
    w.finish(sites)
}

/// Positions of `sites` in Z-order (Morton order) of their box centres.
fn spatial_order(sites: &[Site]) -> Vec<usize> {
    let centres: Vec<(f64, f64)> = sites
        .iter()
        .map(|s| {
            // A site without location sorts with the first corner (it has no R*Tree entry).
            s.bbox().map_or((f64::MIN, f64::MIN), |b| {
                ((b.min_lon + b.max_lon) / 2.0, (b.min_lat + b.max_lat) / 2.0)
            })
        })
        .collect();
    let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for (x, y) in &centres {
        (x0, x1, y0, y1) = (x0.min(*x), x1.max(*x), y0.min(*y), y1.max(*y));
    }
    let scale = |v: f64, lo: f64, hi: f64| -> u64 {
        if hi > lo {
            // Truncation is intended: a cell index in 0..=65535.
            (((v - lo) / (hi - lo)).clamp(0.0, 1.0) * 65_535.0) as u64
        } else {
            0
        }
    };
    let spread = |mut v: u64| {
        v &= 0xffff;
        v = (v | (v << 8)) & 0x00ff_00ff;
        v = (v | (v << 4)) & 0x0f0f_0f0f;
        v = (v | (v << 2)) & 0x3333_3333;
        v = (v | (v << 1)) & 0x5555_5555;
        v
    };
    let mut order: Vec<usize> = (0..sites.len()).collect();
    order.sort_by_cached_key(|&i| {
        let (x, y) = centres[i];
        (
            spread(scale(x, x0, x1)) | (spread(scale(y, y0, y1)) << 1),
            i,
        )
    });
    order
}
