//! `manifest.json`: every file of a publication with its SHA-256, and the number of sites — what
//! `atlas publish --check` compares a new publication with.

use super::{io_err, pretty, write_file, PublishError, Result};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::Path;

/// The manifest's own file name.
pub const FILE: &str = "manifest.json";

/// A publication's files (relative path → SHA-256 hex) and its number of sites.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Manifest {
    /// Sites published.
    pub sites: u64,
    /// Files and their hashes.
    pub files: BTreeMap<String, String>,
}

fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, String>) -> Result<()> {
    let mut entries = std::fs::read_dir(dir)
        .map_err(io_err(dir))?
        .collect::<std::io::Result<Vec<_>>>()
        .map_err(io_err(dir))?;
    entries.sort_by_key(std::fs::DirEntry::file_name);
    for e in entries {
        let path = e.path();
        if path.is_dir() {
            walk(root, &path, out)?;
            continue;
        }
        let rel = path
            .strip_prefix(root)
            .map_err(|e| PublishError::Document {
                what: path.display().to_string(),
                message: e.to_string(),
            })?
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/");
        if rel == FILE {
            continue;
        }
        let bytes = std::fs::read(&path).map_err(io_err(&path))?;
        let hash = Sha256::digest(&bytes);
        out.insert(rel, hash.iter().map(|b| format!("{b:02x}")).collect());
    }
    Ok(())
}

/// The manifest of the files now in `out` (its own file left out).
pub fn scan(out: &Path, sites: u64) -> Result<Manifest> {
    let mut files = BTreeMap::new();
    walk(out, out, &mut files)?;
    Ok(Manifest { sites, files })
}

/// Writes `out/manifest.json`; returns the number of files it lists.
pub fn write(out: &Path, sites: u64) -> Result<usize> {
    let m = scan(out, sites)?;
    let v = serde_json::json!({ "sites": m.sites, "files": m.files });
    write_file(out, FILE, &pretty(&v)?)?;
    Ok(m.files.len())
}

/// Reads `dir/manifest.json`, if `dir` holds a publication.
pub fn read(dir: &Path) -> Result<Option<Manifest>> {
    let path = dir.join(FILE);
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_err(&path)(e)),
    };
    let v: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|e| PublishError::Document {
            what: path.display().to_string(),
            message: e.to_string(),
        })?;
    let files = v["files"]
        .as_object()
        .map(|o| {
            o.iter()
                .filter_map(|(k, h)| h.as_str().map(|h| (k.clone(), h.to_string())))
                .collect()
        })
        .unwrap_or_default();
    Ok(Some(Manifest {
        sites: v["sites"].as_u64().unwrap_or(0),
        files,
    }))
}

/// What changed from publication `old` to `new`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changes {
    /// Files only in the new one.
    pub added: Vec<String>,
    /// Files only in the old one.
    pub removed: Vec<String>,
    /// Files in both with other bytes.
    pub changed: Vec<String>,
    /// Sites before and after.
    pub sites: (u64, u64),
}

impl Changes {
    /// True when no file differs.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }
}

/// Compares two manifests.
pub fn diff(old: &Manifest, new: &Manifest) -> Changes {
    let mut c = Changes {
        sites: (old.sites, new.sites),
        ..Changes::default()
    };
    for (f, h) in &new.files {
        match old.files.get(f) {
            None => c.added.push(f.clone()),
            Some(o) if o != h => c.changed.push(f.clone()),
            Some(_) => {}
        }
    }
    c.removed = old
        .files
        .keys()
        .filter(|f| !new.files.contains_key(*f))
        .cloned()
        .collect();
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(sites: u64, files: &[(&str, &str)]) -> Manifest {
        Manifest {
            sites,
            files: files
                .iter()
                .map(|(f, h)| ((*f).to_string(), (*h).to_string()))
                .collect(),
        }
    }

    #[test]
    fn a_diff_names_added_removed_and_changed_files() {
        let old = m(3, &[("a", "1"), ("b", "2"), ("c", "3")]);
        let new = m(4, &[("a", "1"), ("b", "9"), ("d", "4")]);
        let c = diff(&old, &new);
        assert_eq!(c.added, ["d"]);
        assert_eq!(c.removed, ["c"]);
        assert_eq!(c.changed, ["b"]);
        assert_eq!(c.sites, (3, 4));
        assert!(!c.is_empty());
        assert!(diff(&old, &old).is_empty());
    }
}
