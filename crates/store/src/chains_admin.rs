//! Chains are data: replacing the chains and links with a new file's (`atlas import-chains`),
//! atomically, refusing when sites still use a chain or link the file lacks.

use crate::error::{InUse, Result, StoreError};
use crate::{reference, sql, Store};
use atlas_core::{ChainCatalog, Indicator};
use rusqlite::{Connection, TransactionBehavior};
use std::collections::HashSet;

/// What a replacement changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChainsReplaced {
    /// Chains now in the store.
    pub chains: usize,
    /// Links now in the store.
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
    let links = cat
        .chains
        .iter()
        .flat_map(|c| c.links.iter().map(|l| l.id.to_string()))
        .collect();
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
        reference::insert_chains(&tx, cat)?;
        tx.execute(sql::BUMP_DATA_VERSION, [])?;
        tx.commit()?;
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
    let (old_chains, old_links) = ids(&reference::chains(conn)?);
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
        reference::insert_indicators(&tx, list)?;
        tx.execute(sql::BUMP_DATA_VERSION, [])?;
        tx.commit()?;
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
