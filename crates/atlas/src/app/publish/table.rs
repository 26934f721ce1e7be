//! The published catalogue as the static page reads it (`web/js/published.js`):
//!
//! - `data/table.json` — one columnar attribute table, a row per site in the API's list order:
//!   what the page filters and counts on (category, kind, level, status, scope, township,
//!   precision, chains and links, located, approximate, marker, box — `null` for a point, whose
//!   box is its marker), values interned per column, so the page answers any filter and its
//!   facets without a server;
//! - `data/sites/NNNN.json` — the API's own Features of [`CHUNK`] rows each, loaded when a list
//!   page or a card needs them;
//! - `data/search.json` — the search index: for each Chinese character and each pair of
//!   adjacent ones in a run of Chinese (the store's tokens, `atlas_store` `index/search.rs`), the
//!   rows whose search text holds it, delta-encoded; `data/search-text.json` — the lowercased
//!   search texts, read only for a term the index does not decide (longer or mixed terms, Latin
//!   letters), so every term means what the server's search means: a substring.

use super::{write_file, PublishError, Result};
use atlas_core::{Labelled, Site, SiteFilter};
use atlas_store::Store;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

/// Rows per detail file.
pub const CHUNK: usize = 500;

/// What [`write`] wrote.
#[derive(Debug, Clone, Default)]
pub struct Built {
    /// Rows (sites).
    pub sites: u64,
    /// Rows with a location.
    pub located: u64,
}

/// A column of interned values: each row holds the index of its value.
#[derive(Debug, Default)]
struct Interned {
    values: Vec<Value>,
    index: HashMap<String, usize>,
    rows: Vec<usize>,
}

impl Interned {
    fn push(&mut self, v: Value) {
        let key = v.to_string();
        let next = self.values.len();
        let i = *self.index.entry(key).or_insert(next);
        if i == next {
            self.values.push(v);
        }
        self.rows.push(i);
    }
}

/// The columns of the table.
#[derive(Debug, Default)]
struct Columns {
    id: Vec<String>,
    scalars: BTreeMap<&'static str, Interned>,
    chains: Interned,
    located: Vec<u8>,
    approximate: Vec<u8>,
    marker: Vec<Value>,
    bbox: Vec<Value>,
}

fn label<T: Labelled>(v: T) -> Value {
    Value::from(v.id())
}

impl Columns {
    fn push(&mut self, s: &Site, approximate: bool) {
        self.id.push(s.id.to_string());
        let scalars: [(&'static str, Value); 7] = [
            ("category", label(s.category)),
            ("kind", label(s.kind)),
            ("level", label(s.level)),
            ("status", label(s.status)),
            ("scope", label(s.scope)),
            ("precision", label(s.location.precision)),
            (
                "town",
                s.town_code
                    .as_ref()
                    .map_or(Value::Null, |t| t.to_string().into()),
            ),
        ];
        for (name, v) in scalars {
            self.scalars.entry(name).or_default().push(v);
        }
        // As the API writes them: `chain` or `chain.link`, `;`-separated.
        let chains: Vec<String> = s
            .chains
            .iter()
            .map(|c| {
                c.link
                    .as_ref()
                    .map_or_else(|| c.chain.to_string(), ToString::to_string)
            })
            .collect();
        self.chains.push(Value::from(chains.join(";")));
        self.located
            .push(u8::from(!s.location.precision.needs_locating()));
        self.approximate.push(u8::from(approximate));
        self.marker.push(
            s.marker()
                .map_or(Value::Null, |p| json!([p.lon.get(), p.lat.get()])),
        );
        // A point's box is its marker: `null` here (the page takes the marker), which halves
        // the table of a catalogue of points.
        let extent = s
            .bbox()
            .filter(|b| b.min_lon != b.max_lon || b.min_lat != b.max_lat);
        self.bbox.push(extent.map_or(Value::Null, |b| {
            json!([b.min_lon, b.min_lat, b.max_lon, b.max_lat])
        }));
    }

    fn to_json(&self) -> Value {
        let mut values = Map::new();
        let mut out = Map::new();
        out.insert("n".into(), self.id.len().into());
        out.insert("id".into(), json!(self.id));
        for (name, col) in &self.scalars {
            values.insert((*name).into(), Value::Array(col.values.clone()));
            out.insert((*name).into(), json!(col.rows));
        }
        values.insert("chains".into(), Value::Array(self.chains.values.clone()));
        out.insert("chains".into(), json!(self.chains.rows));
        out.insert("values".into(), Value::Object(values));
        out.insert("located".into(), json!(self.located));
        out.insert("approximate".into(), json!(self.approximate));
        out.insert("marker".into(), Value::Array(self.marker.clone()));
        out.insert("bbox".into(), Value::Array(self.bbox.clone()));
        Value::Object(out)
    }
}

/// The API's Features of the pages, one at a time, in list order (one page parsed at a time).
struct PageFeatures<'a> {
    pages: std::slice::Iter<'a, Vec<u8>>,
    current: std::vec::IntoIter<Value>,
}

impl<'a> PageFeatures<'a> {
    fn new(pages: &'a [Vec<u8>]) -> Self {
        Self {
            pages: pages.iter(),
            current: Vec::new().into_iter(),
        }
    }

    /// The next Feature, which must be the site `id`'s (the API and the store list sites in
    /// the same order).
    fn next_of(&mut self, id: &str) -> Result<Value> {
        loop {
            if let Some(f) = self.current.next() {
                let got = f.pointer("/properties/id").and_then(Value::as_str);
                if got != Some(id) {
                    return Err(bad(
                        "the pages of sites",
                        format!("expected site {id}, found {got:?}"),
                    ));
                }
                return Ok(f);
            }
            let Some(page) = self.pages.next() else {
                return Err(bad("the pages of sites", format!("site {id} is missing")));
            };
            let mut fc: Value =
                serde_json::from_slice(page).map_err(|e| bad("a page of sites", e))?;
            let Some(Value::Array(features)) = fc.get_mut("features").map(Value::take) else {
                return Err(bad("a page of sites", "no features"));
            };
            self.current = features.into_iter();
        }
    }
}

fn bad(what: &str, e: impl std::fmt::Display) -> PublishError {
    PublishError::Document {
        what: what.into(),
        message: e.to_string(),
    }
}

fn compact(v: &Value) -> Result<Vec<u8>> {
    serde_json::to_vec(v).map_err(|e| bad("a table", e))
}

/// Writes the table, the detail files and the search index of every site of `store`; `pages`
/// are the API's pages of sites (`/api/v1/sites?limit=…&offset=…`).
pub fn write(store: &Store, out: &Path, pages: &[Vec<u8>]) -> Result<Built> {
    let mut features = PageFeatures::new(pages);
    let mut cols = Columns::default();
    let mut search = SearchIndex::default();
    let mut chunk: Vec<Value> = Vec::with_capacity(CHUNK);
    let mut chunks = 0usize;
    store.for_each(&SiteFilter::default(), |s: Site| -> Result<()> {
        let f = features.next_of(s.id.as_str())?;
        let approximate = f
            .pointer("/properties/approximate")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        cols.push(&s, approximate);
        search.add(cols.id.len() - 1, &s.search_text().to_lowercase());
        chunk.push(f);
        if chunk.len() == CHUNK {
            write_file(
                out,
                &chunk_file(chunks),
                &compact(&Value::Array(std::mem::take(&mut chunk)))?,
            )?;
            chunks += 1;
        }
        Ok(())
    })?;
    if !chunk.is_empty() {
        write_file(out, &chunk_file(chunks), &compact(&Value::Array(chunk))?)?;
    }
    write_file(out, "data/table.json", &compact(&cols.to_json())?)?;
    write_file(out, "data/search.json", &compact(&search.to_json())?)?;
    write_file(
        out,
        "data/search-text.json",
        &compact(&json!(search.texts))?,
    )?;
    Ok(Built {
        sites: cols.id.len() as u64,
        located: cols.marker.iter().filter(|m| !m.is_null()).count() as u64,
    })
}

/// The detail file of chunk `k`.
pub fn chunk_file(k: usize) -> String {
    format!("data/sites/{k:04}.json")
}

/// Rows per Chinese character and per pair of adjacent Chinese characters.
#[derive(Debug, Default)]
struct SearchIndex {
    grams: BTreeMap<String, Vec<u32>>,
    texts: Vec<String>,
}

/// A character of a Chinese run, as the store's search tokens count it: any non-ASCII letter
/// or digit.
fn cjk(c: char) -> bool {
    !c.is_ascii() && c.is_alphanumeric()
}

impl SearchIndex {
    fn add(&mut self, row: usize, text: &str) {
        let row = row as u32;
        let mut prev: Option<char> = None;
        let post = |g: String, grams: &mut BTreeMap<String, Vec<u32>>| {
            let list = grams.entry(g).or_default();
            if list.last() != Some(&row) {
                list.push(row);
            }
        };
        for c in text.chars() {
            if !cjk(c) {
                prev = None;
                continue;
            }
            post(c.to_string(), &mut self.grams);
            if let Some(p) = prev {
                post([p, c].iter().collect(), &mut self.grams);
            }
            prev = Some(c);
        }
        self.texts.push(text.to_string());
    }

    /// `{"n": rows, "grams": {"石化": "3,1,12", …}}`: each list of rows as the first row, then
    /// the differences to the previous one.
    fn to_json(&self) -> Value {
        let grams: Map<String, Value> = self
            .grams
            .iter()
            .map(|(g, rows)| {
                let mut last = 0u32;
                let deltas: Vec<String> = rows
                    .iter()
                    .map(|&r| {
                        let d = r - last;
                        last = r;
                        d.to_string()
                    })
                    .collect();
                (g.clone(), Value::from(deltas.join(",")))
            })
            .collect();
        json!({ "n": self.texts.len(), "grams": grams })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(index: &Value, gram: &str) -> Vec<u32> {
        let mut r = 0;
        index["grams"][gram]
            .as_str()
            .unwrap_or_default()
            .split(',')
            .filter(|s| !s.is_empty())
            .map(|d| {
                r += d.parse::<u32>().unwrap_or_default();
                r
            })
            .collect()
    }

    #[test]
    fn the_index_holds_characters_and_adjacent_pairs_of_chinese_runs() {
        let mut s = SearchIndex::default();
        s.add(0, "茂南石化园区 park");
        s.add(1, "石 化");
        s.add(2, "石化石化");
        let v = s.to_json();
        assert_eq!(
            rows(&v, "石化"),
            [0, 2],
            "a pair only within one run, a row once"
        );
        assert_eq!(rows(&v, "石"), [0, 1, 2]);
        assert_eq!(rows(&v, "化园"), [0]);
        assert!(
            v["grams"].get("pa").is_none(),
            "Latin letters are checked on the texts"
        );
        assert_eq!(v["n"], 3);
    }
}
