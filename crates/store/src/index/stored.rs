//! The list index stored in the database beside the rows it was read from (the one row of
//! `list_index_copy`, migration V8), so a process starting on a large catalogue has its index
//! in a fraction of the time a scan of every site takes.
//!
//! - **Tagged** with the data version it holds and [`format`] (this module's layout and the
//!   schema's migration level). Only a copy at exactly the version a read's transaction sees is
//!   read; any other is stale and the index is scanned as before.
//! - **Written in the transaction that read it**, by the same connection: a deferred
//!   transaction that takes the write lock only to store the body, and fails (storing nothing)
//!   when another write committed since its read began. A copy therefore always belongs to the
//!   file and the version it was read from, whatever happened to the file's path meanwhile.
//!   Written by a server's build after a scan, by a server's writer when it stops, and by a bulk
//!   import; never for fewer than [`MIN_SITES`] sites, whose scan takes milliseconds.
//! - **Checked when read**: an xxh3 checksum over the body, and the structure (columns of equal
//!   length, every list position within the list, every position list ascending). A copy that
//!   fails either is ignored: the index is scanned.
//! - **Layout**: columns, each a count (`u64`) then its elements, little-endian, then the
//!   checksum (`u64`) of everything before it.

use crate::error::{Result, StoreError};
use crate::index::listing::ListIndex;
use crate::sql;
use rusqlite::{Connection, OptionalExtension};
use std::hash::Hasher;
use twox_hash::XxHash3_64;

/// Catalogues with fewer sites than this get no stored copy.
pub(crate) const MIN_SITES: usize = 20_000;

/// The layout of the body written here; a new layout takes a new number.
const LAYOUT: i64 = 1;

/// The format a copy is tagged with: [`LAYOUT`] and the schema's migration level, so a
/// migration that changes the sites never leaves a copy that looks current.
pub(crate) fn format() -> i64 {
    let level = i64::try_from(crate::migrations::latest_version()).unwrap_or(i64::MAX);
    LAYOUT << 32 | level
}

/// A value of fixed width, written little-endian.
pub(crate) trait Fixed: Copy {
    const SIZE: usize;
    fn put(self, out: &mut Vec<u8>);
    /// Reads the value from `b` (exactly [`Fixed::SIZE`] bytes).
    fn get(b: &[u8]) -> Self;
}

macro_rules! fixed_numbers {
    ($($t:ty),*) => {$(
        impl Fixed for $t {
            const SIZE: usize = std::mem::size_of::<$t>();
            fn put(self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_le_bytes());
            }
            fn get(b: &[u8]) -> Self {
                let mut a = [0_u8; std::mem::size_of::<$t>()];
                a.copy_from_slice(b);
                <$t>::from_le_bytes(a)
            }
        }
    )*};
}
fixed_numbers!(u8, u32, i32, u64, i64, f32, f64);

impl<T: Fixed, const N: usize> Fixed for [T; N] {
    const SIZE: usize = T::SIZE * N;
    fn put(self, out: &mut Vec<u8>) {
        self.into_iter().for_each(|v| v.put(out));
    }
    fn get(b: &[u8]) -> Self {
        std::array::from_fn(|i| T::get(&b[i * T::SIZE..(i + 1) * T::SIZE]))
    }
}

impl<A: Fixed, B: Fixed> Fixed for (A, B) {
    const SIZE: usize = A::SIZE + B::SIZE;
    fn put(self, out: &mut Vec<u8>) {
        self.0.put(out);
        self.1.put(out);
    }
    fn get(b: &[u8]) -> Self {
        (A::get(&b[..A::SIZE]), B::get(&b[A::SIZE..]))
    }
}

impl Fixed for atlas_core::tiles::CellAddress {
    const SIZE: usize = 8;
    fn put(self, out: &mut Vec<u8>) {
        self.to_bits().put(out);
    }
    fn get(b: &[u8]) -> Self {
        Self::from_bits(u64::get(b))
    }
}

/// Writes columns into a body (see the module documentation).
#[derive(Default)]
pub(crate) struct Encoder {
    out: Vec<u8>,
}

impl Encoder {
    pub(crate) fn column<T: Fixed>(&mut self, v: &[T]) {
        self.out.reserve(8 + v.len() * T::SIZE);
        (v.len() as u64).put(&mut self.out);
        v.iter().for_each(|x| x.put(&mut self.out));
    }

    /// Appends bytes as they are (tests: bodies that are not an index).
    #[cfg(test)]
    pub(crate) fn raw(&mut self, b: &[u8]) {
        self.out.extend_from_slice(b);
    }

    /// The body, its checksum appended.
    pub(crate) fn finish(mut self) -> Vec<u8> {
        let sum = checksum(&self.out);
        sum.put(&mut self.out);
        self.out
    }
}

fn checksum(b: &[u8]) -> u64 {
    let mut h = XxHash3_64::default();
    h.write(b);
    h.finish()
}

/// Reads the columns of a body whose checksum has been checked ([`Decoder::new`]).
pub(crate) struct Decoder<'a> {
    rest: &'a [u8],
}

/// A stored copy that does not read back as a list index.
fn unreadable(why: &str) -> StoreError {
    StoreError::Data(format!("the stored list index is unreadable: {why}"))
}

impl<'a> Decoder<'a> {
    /// A decoder over `body`, when its checksum is right.
    pub(crate) fn new(body: &'a [u8]) -> Result<Self> {
        let split = body
            .len()
            .checked_sub(8)
            .ok_or_else(|| unreadable("too short"))?;
        let (rest, sum) = body.split_at(split);
        if checksum(rest) != u64::get(sum) {
            return Err(unreadable("wrong checksum"));
        }
        Ok(Self { rest })
    }

    pub(crate) fn column<T: Fixed>(&mut self) -> Result<Vec<T>> {
        let n = self.take(8).map(u64::get)?;
        let bytes = usize::try_from(n)
            .ok()
            .and_then(|n| n.checked_mul(T::SIZE))
            .ok_or_else(|| unreadable("a column longer than the body"))?;
        let b = self.take(bytes)?;
        Ok(b.chunks_exact(T::SIZE).map(T::get).collect())
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        if n > self.rest.len() {
            return Err(unreadable("a column longer than the body"));
        }
        let (b, rest) = self.rest.split_at(n);
        self.rest = rest;
        Ok(b)
    }

    /// Fails unless every byte was read.
    pub(crate) fn finish(self) -> Result<()> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(unreadable("bytes after the last column"))
        }
    }
}

/// Fails with [`unreadable`] unless `ok`.
pub(crate) fn check(ok: bool, why: &str) -> Result<()> {
    if ok {
        Ok(())
    } else {
        Err(unreadable(why))
    }
}

/// The stored copy's body when it holds data version `version` in the current [`format`];
/// read in `conn`'s transaction.
pub(crate) fn read<T>(
    conn: &Connection,
    version: u64,
    decode: impl FnOnce(&[u8]) -> Result<T>,
) -> Result<Option<T>> {
    let version = i64::try_from(version).unwrap_or(i64::MAX);
    let mut st = conn.prepare_cached(sql::LIST_INDEX_COPY)?;
    let mut rows = st.query(rusqlite::params![version, format()])?;
    let Some(row) = rows.next()? else {
        return Ok(None);
    };
    let body = row.get_ref(0)?.as_blob().map_err(rusqlite::Error::from)?;
    decode(body).map(Some)
}

/// The data version of the stored copy in the current [`format`], if any.
pub(crate) fn version(conn: &Connection) -> Result<Option<u64>> {
    let v: Option<i64> = conn
        .prepare_cached(sql::LIST_INDEX_COPY_VERSION)?
        .query_row([format()], |r| r.get(0))
        .optional()?;
    Ok(v.and_then(|v| u64::try_from(v).ok()))
}

/// Stores `body` as the copy at data version `version`, in `conn`'s open transaction (the one
/// that read the index: it fails when another write committed since).
pub(crate) fn write(conn: &Connection, version: u64, body: &[u8]) -> Result<()> {
    let version = i64::try_from(version).unwrap_or(i64::MAX);
    conn.prepare_cached(sql::STORE_LIST_INDEX_COPY)?
        .execute(rusqlite::params![version, format(), body])?;
    Ok(())
}

/// The list index at data version `version` (read in `conn`'s transaction): the stored copy
/// when it holds that version and reads back whole, else a scan of the sites; and whether it
/// was scanned.
pub(crate) fn list_index(conn: &Connection, version: u64) -> Result<(ListIndex, bool)> {
    match copy(conn, version) {
        Some(ix) => Ok((ix, false)),
        None => Ok((ListIndex::load(conn)?, true)),
    }
}

/// The stored copy at data version `version` (read in `conn`'s transaction), when there is one
/// and it reads back whole: a copy that does not (whatever the reason) is as good as none.
pub(crate) fn copy(conn: &Connection, version: u64) -> Option<ListIndex> {
    read(conn, version, ListIndex::decode).ok().flatten()
}

impl crate::Store {
    /// Stores the list index in the database for the next start (see `index::stored`), unless
    /// the stored copy already holds the current data version or the catalogue has fewer than
    /// [`MIN_SITES`] sites. With a shared index attached (a server's writer) its index is
    /// stored when it holds the current version (else nothing); without one, the index is
    /// read from the sites. Returns whether a copy was stored.
    pub fn store_list_index(&self) -> Result<bool> {
        self.store_list_index_from(MIN_SITES)
    }

    /// [`Store::store_list_index`] for catalogues of at least `min_sites` sites.
    pub(crate) fn store_list_index_from(&self, min_sites: usize) -> Result<bool> {
        let tx = self.conn.unchecked_transaction()?;
        let at = self.data_version()?;
        if version(&self.conn)? == Some(at) {
            return Ok(false);
        }
        let body = match &self.shared {
            Some(shared) => shared.encode_at(at, min_sites),
            None => {
                let ix = ListIndex::load(&self.conn)?;
                (ix.len() >= min_sites).then(|| ix.encode())
            }
        };
        let Some(body) = body else {
            return Ok(false);
        };
        write(&self.conn, at, &body)?;
        tx.commit()?;
        Ok(true)
    }
}
