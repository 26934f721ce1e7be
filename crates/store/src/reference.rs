//! Reference data in the store: chains and links, divisions, indicators and the district
//! boundary — reading it, replacing all of it, and replacing the chains or the indicators
//! alone. Chains are data (staff edit them), so they are read from the store, not from code.
//! Replacing chains (`atlas import-chains`) is atomic and refuses, with the list, when sites
//! still use a chain or link the new file lacks.

use crate::error::{InUse, Result, StoreError};
use crate::row::all_rows;
use crate::{sql, Store};
use atlas_core::dataset::Reference;
use atlas_core::reference::{DivisionType, Seat};
use atlas_core::{
    Chain, ChainCatalog, ChainId, Crs, District, Division, Indicator, Link, LinkId, Measure,
    Position, TownCode,
};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use serde::Serialize;
use std::collections::HashSet;

fn data<E: std::fmt::Display>(what: &str, id: &str) -> impl Fn(E) -> StoreError {
    let what = what.to_string();
    let id = id.to_string();
    move |e| StoreError::Data(format!("{what} '{id}': {e}"))
}

fn ord(v: i64, what: &str, id: &str) -> Result<u32> {
    u32::try_from(v).map_err(data(what, id))
}

/// Replaces all reference data on `conn` (a transaction). Fails, naming the first one, when a
/// chain, link or township still used by a site would disappear.
pub(crate) fn replace(conn: &Connection, r: &Reference) -> Result<()> {
    conn.execute_batch(sql::CLEAR_REFERENCE)?;
    insert_chains(conn, &r.chains)?;
    {
        let mut div = conn.prepare_cached(sql::INSERT_DIVISION)?;
        for (i, d) in r.divisions.iter().enumerate() {
            div.execute(params![
                d.code.as_str(),
                i as i64,
                d.name_zh,
                d.name_en,
                d.kind.as_str(),
                d.seat.as_ref().map(|s| s.position.lon.get()),
                d.seat.as_ref().map(|s| s.position.lat.get()),
                d.seat.as_ref().map(|s| s.crs.as_str()),
                d.seat.as_ref().map(|s| s.source.as_str()),
            ])?;
        }
    }
    insert_indicators(conn, &r.indicators)?;
    set_meta(conn, sql::META_BOUNDARY, &r.district.geojson)?;
    for (q, what) in [
        (sql::ORPHAN_CHAINS, "chain"),
        (sql::ORPHAN_LINKS, "link"),
        (sql::ORPHAN_TOWNS, "town"),
    ] {
        let orphan = conn
            .query_row(q, [], |row| {
                Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?))
            })
            .optional()?;
        if let Some((id, n)) = orphan {
            return Err(StoreError::ReferenceInUse {
                what,
                id,
                sites: u64::try_from(n).unwrap_or(0),
            });
        }
    }
    Ok(())
}

/// Inserts `list` in its order (into an emptied table, inside a transaction).
pub(crate) fn insert_indicators(conn: &Connection, list: &[Indicator]) -> Result<()> {
    let mut ind = conn.prepare_cached(sql::INSERT_INDICATOR)?;
    for (i, x) in list.iter().enumerate() {
        ind.execute(params![
            x.id,
            i as i64,
            x.name_zh,
            x.name_en,
            x.unit,
            x.baseline,
            x.baseline_year,
            x.target,
            x.target_op,
            x.target_year,
            x.measure.as_str(),
            x.count_filter,
            x.source,
            x.source_quote
        ])?;
    }
    Ok(())
}

/// Inserts the chains and links of `cat` (into emptied tables, inside a transaction).
pub(crate) fn insert_chains(conn: &Connection, cat: &ChainCatalog) -> Result<()> {
    let mut chain = conn.prepare_cached(sql::INSERT_CHAIN)?;
    let mut link = conn.prepare_cached(sql::INSERT_LINK)?;
    for c in &cat.chains {
        chain.execute(params![c.id.as_str(), c.order, c.name_zh, c.name_en])?;
        for l in &c.links {
            link.execute(params![
                l.id.as_str(),
                c.id.as_str(),
                l.order,
                l.name_zh,
                l.name_en,
                l.description_zh,
                l.source
            ])?;
        }
    }
    Ok(())
}

pub(crate) fn set_meta(conn: &Connection, key: &str, value: &str) -> Result<()> {
    conn.prepare_cached(sql::META_SET)?
        .execute(params![key, value])?;
    Ok(())
}

pub(crate) fn meta(conn: &Connection, key: &str) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached(sql::META_GET)?
        .query_row([key], |r| r.get(0))
        .optional()?)
}

pub(crate) fn chains(conn: &Connection) -> Result<ChainCatalog> {
    let mut cat = ChainCatalog {
        chains: all_rows(conn, sql::CHAINS, |r| {
            let id: String = r.get(0)?;
            Ok(Chain {
                id: ChainId::new(id.as_str()).map_err(data("chain", &id))?,
                order: ord(r.get(1)?, "chain", &id)?,
                name_zh: r.get(2)?,
                name_en: r.get(3)?,
                links: Vec::new(),
            })
        })?,
    };
    let mut st = conn.prepare_cached(sql::LINKS)?;
    let mut rows = st.query([])?;
    while let Some(r) = rows.next()? {
        let id: String = r.get(0)?;
        let link = Link {
            id: LinkId::new(id.as_str()).map_err(data("link", &id))?,
            order: ord(r.get(1)?, "link", &id)?,
            name_zh: r.get(2)?,
            name_en: r.get(3)?,
            description_zh: r.get(4)?,
            source: r.get(5)?,
        };
        let chain: String = r.get(6)?;
        match cat.chains.iter_mut().find(|c| c.id.as_str() == chain) {
            Some(c) => c.links.push(link),
            None => return Err(StoreError::Data(format!("link '{id}' has no chain"))),
        }
    }
    Ok(cat)
}

pub(crate) fn divisions(conn: &Connection) -> Result<Vec<Division>> {
    all_rows(conn, sql::DIVISIONS, |r| {
        let code: String = r.get(0)?;
        let t: String = r.get(3)?;
        let kind = DivisionType::parse(&t)
            .ok_or_else(|| StoreError::Data(format!("division '{code}': type '{t}'")))?;
        let seat = match (r.get::<_, Option<f64>>(4)?, r.get::<_, Option<f64>>(5)?) {
            (Some(lon), Some(lat)) => Some(Seat {
                position: Position::new(lon, lat).map_err(data("division", &code))?,
                crs: r
                    .get::<_, Option<String>>(6)?
                    .unwrap_or_default()
                    .parse::<Crs>()
                    .map_err(data("division", &code))?,
                source: r.get::<_, Option<String>>(7)?.unwrap_or_default(),
            }),
            _ => None,
        };
        Ok(Division {
            code: TownCode::new(code.as_str()).map_err(data("division", &code))?,
            name_zh: r.get(1)?,
            name_en: r.get(2)?,
            kind,
            seat,
        })
    })
}

pub(crate) fn indicators(conn: &Connection) -> Result<Vec<Indicator>> {
    all_rows(conn, sql::INDICATORS, |r| {
        let id: String = r.get(0)?;
        let m: String = r.get(9)?;
        let measure = Measure::parse(&m)
            .ok_or_else(|| StoreError::Data(format!("indicator '{id}': measure '{m}'")))?;
        let ind = Indicator {
            id: id.clone(),
            name_zh: r.get(1)?,
            name_en: r.get(2)?,
            unit: r.get(3)?,
            baseline: r.get(4)?,
            baseline_year: r.get(5)?,
            target: r.get(6)?,
            target_op: r.get(7)?,
            target_year: r.get(8)?,
            measure,
            count_filter: r.get(10)?,
            source: r.get(11)?,
            source_quote: r.get(12)?,
        };
        ind.filter().map_err(data("indicator", &id))?;
        Ok(ind)
    })
}

pub(crate) fn district(conn: &Connection) -> Result<District> {
    let geojson = meta(conn, sql::META_BOUNDARY)?.ok_or(StoreError::NoReference)?;
    District::from_geojson(&geojson)
        .map_err(|e| StoreError::Data(format!("district boundary: {e}")))
}

pub(crate) fn reference(conn: &Connection) -> Result<Reference> {
    let divisions = divisions(conn)?;
    let villages = atlas_core::places::maonan_villages()
        .map_err(|e| StoreError::Data(format!("villages: {e}")))?;
    Ok(Reference {
        chains: chains(conn)?,
        places: atlas_core::places::Gazetteer::new(&divisions, &villages),
        divisions,
        district: district(conn)?,
        indicators: indicators(conn)?,
    })
}

impl Store {
    /// Replaces chains, links, townships, indicators and the district boundary in one
    /// transaction. Fails with [`StoreError::ReferenceInUse`] (and changes nothing) when a chain,
    /// link or township still used by a site would disappear.
    pub fn replace_reference(&mut self, r: &Reference) -> Result<()> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        replace(&tx, r)?;
        tx.execute(sql::BUMP_DATA_VERSION, [])?;
        tx.commit()?;
        self.index_moved();
        Ok(())
    }

    /// All reference data (chains, townships, district, indicators).
    pub fn reference(&self) -> Result<Reference> {
        reference(&self.conn)
    }

    /// Chains and links, in order.
    pub fn chains(&self) -> Result<ChainCatalog> {
        chains(&self.conn)
    }

    /// Townships, in stored order.
    pub fn divisions(&self) -> Result<Vec<Division>> {
        divisions(&self.conn)
    }

    /// The plan's indicators, in stored order.
    pub fn indicators(&self) -> Result<Vec<Indicator>> {
        indicators(&self.conn)
    }

    /// The district (boundary and representative point).
    pub fn district(&self) -> Result<District> {
        district(&self.conn)
    }
}

/// What a replacement changed (or, checked without writing, would change).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChainsReplaced {
    /// Chains of the new catalogue.
    pub chains: usize,
    /// Links of the new catalogue.
    pub links: usize,
    /// Chain ids that are new.
    pub added_chains: Vec<String>,
    /// Chain ids that are gone (no site used them).
    pub removed_chains: Vec<String>,
    /// Link ids that are new.
    pub added_links: Vec<String>,
    /// Link ids that are gone (no site used them).
    pub removed_links: Vec<String>,
}

fn used(conn: &Connection, q: &str, what: &'static str) -> Result<Vec<InUse>> {
    let mut st = conn.prepare_cached(q)?;
    let rows = st.query_map([], |r| {
        Ok(InUse {
            what,
            id: r.get(0)?,
            sites: u64::try_from(r.get::<_, i64>(1)?).unwrap_or(0),
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn ids(cat: &ChainCatalog) -> (Vec<String>, Vec<String>) {
    let chains = cat.chains.iter().map(|c| c.id.to_string()).collect();
    let links = cat.links().map(|l| l.id.to_string()).collect();
    (chains, links)
}

fn minus(a: &[String], b: &[String]) -> Vec<String> {
    let b: HashSet<&String> = b.iter().collect();
    a.iter().filter(|x| !b.contains(x)).cloned().collect()
}

impl Store {
    /// The chains and links sites use that `cat` lacks (empty when `cat` can replace the
    /// store's chains).
    pub fn chains_missing_from(&self, cat: &ChainCatalog) -> Result<Vec<InUse>> {
        missing(&self.conn, cat)
    }

    /// Replaces every chain and link with those of `cat`, in one transaction, and bumps the
    /// data version (so `ETag`s change). Fails with [`StoreError::ChainsInUse`], listing every
    /// chain and link sites still use that `cat` lacks, and writes nothing in that case. Sites
    /// are not touched: a link added by `cat` starts with no site (a *missing* link).
    pub fn replace_chains(&mut self, cat: &ChainCatalog) -> Result<ChainsReplaced> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let diff = chains_diff(&tx, cat)?;
        tx.execute(sql::DROP_UNUSED_CHAIN_SETS, [])?;
        tx.execute_batch(sql::CLEAR_CHAINS)?;
        insert_chains(&tx, cat)?;
        tx.execute(sql::BUMP_DATA_VERSION, [])?;
        tx.commit()?;
        self.index_moved();
        Ok(diff)
    }

    /// The checks of [`Store::replace_chains`] and what it would change, writing nothing (a dry
    /// run).
    pub fn check_chains(&self, cat: &ChainCatalog) -> Result<ChainsReplaced> {
        chains_diff(&self.conn, cat)
    }
}

/// What replacing the store's chains with `cat` would change; fails as
/// [`Store::replace_chains`] does (an empty file, ids still used by sites).
fn chains_diff(conn: &Connection, cat: &ChainCatalog) -> Result<ChainsReplaced> {
    if cat.chains.is_empty() {
        return Err(StoreError::Data(
            "a chains file must hold at least one chain".into(),
        ));
    }
    let in_use = missing(conn, cat)?;
    if !in_use.is_empty() {
        return Err(StoreError::ChainsInUse(in_use));
    }
    let (old_chains, old_links) = ids(&chains(conn)?);
    let (new_chains, new_links) = ids(cat);
    Ok(ChainsReplaced {
        chains: new_chains.len(),
        links: new_links.len(),
        added_chains: minus(&new_chains, &old_chains),
        removed_chains: minus(&old_chains, &new_chains),
        added_links: minus(&new_links, &old_links),
        removed_links: minus(&old_links, &new_links),
    })
}

fn missing(conn: &Connection, cat: &ChainCatalog) -> Result<Vec<InUse>> {
    let (chains, links) = ids(cat);
    let chains: HashSet<String> = chains.into_iter().collect();
    let links: HashSet<String> = links.into_iter().collect();
    let mut out: Vec<InUse> = used(conn, sql::USED_CHAINS, "chain")?
        .into_iter()
        .filter(|u| !chains.contains(&u.id))
        .collect();
    out.extend(
        used(conn, sql::USED_LINKS, "link")?
            .into_iter()
            .filter(|u| !links.contains(&u.id)),
    );
    Ok(out)
}

impl Store {
    /// Replaces the plan's indicators with `list` (in its order), in one transaction, and bumps
    /// the data version. Each indicator's `count_filter` must name chains, links and townships
    /// the store holds; an empty list is refused. Nothing is written on any error.
    pub fn replace_indicators(&mut self, list: &[Indicator]) -> Result<usize> {
        self.check_indicators(list)?;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute_batch(sql::CLEAR_INDICATORS)?;
        insert_indicators(&tx, list)?;
        tx.execute(sql::BUMP_DATA_VERSION, [])?;
        tx.commit()?;
        self.index_moved();
        Ok(list.len())
    }

    /// The checks of [`Store::replace_indicators`], writing nothing; returns the count.
    pub fn check_indicators(&self, list: &[Indicator]) -> Result<usize> {
        if list.is_empty() {
            return Err(StoreError::InvalidIndicators(
                "an indicators file must hold at least one indicator".into(),
            ));
        }
        for ind in list {
            let f = ind.filter().map_err(|e| {
                StoreError::InvalidIndicators(format!("indicator '{}', count_filter: {e}", ind.id))
            })?;
            self.validate_filter(&f).map_err(|e| {
                StoreError::InvalidIndicators(format!("indicator '{}', count_filter: {e}", ind.id))
            })?;
        }
        Ok(list.len())
    }
}
