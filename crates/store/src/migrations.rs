//! The schema, as an ordered list of migrations. Never edit a migration that has shipped: append
//! a new `M::up` instead. `PRAGMA user_version` records how far a database has come.
//!
//! Tables (as of the latest version):
//! - `meta`: key/value (dataset name, district boundary GeoJSON, …).
//! - `chains`, `links` (ordered within a chain), `divisions` (with seat), `indicators`.
//! - `sites`: every field of a `Site`; `id` is unique through the index `sites_id`. Geometry is the marker (`lon`, `lat`; the representative
//!   point for polygons) plus `polygon_wkt`, and the bounding box (`min_lon` … `max_lat`) kept
//!   exactly (the R*Tree stores integers, rounded outwards); all `NULL` exactly when the
//!   precision is `unknown` (no R*Tree entry, no grid cell). `search_text` is
//!   `Site::search_text()` lowercased *in Rust*, so `instr()` over it gives exactly
//!   `SiteFilter::matches`. `category_rank` is the category's position in its vocabulary (the
//!   list order). `version` counts changes (for optimistic concurrency); `created_at` and
//!   `modified_at` are the row's own timestamps (RFC 3339, UTC), unlike `updated_at`, which is
//!   the record's date as the data states it. `combo` and `chainset` name the site's interned
//!   facet combination and chain set.
//! - `facet_combos`: each distinct (category, kind, level, status, scope, town) with the number of
//!   sites having it; `chain_sets`: each distinct (category, chains and links) with its number of
//!   sites, its refs as `ChainRef::format_list` writes them, and one `chain_set_refs` row per
//!   chain or link; `site_cells`: sites per 0.01° cell (the planner's bbox estimate). The store
//!   writes all of them with the sites (and drops values no site uses).
//! - `sites_rtree`: R*Tree (`rtree_i32`, 1e-7° units) over site bounding boxes, keyed by
//!   `sites.pk`, written by the store with each site, or packed at once by a bulk import.
//! - `sites_fts`: contentless FTS5 table of one column, `tokens`, made in Rust (see `search`).
//!
//! - `users`: name, role (`editor` or `admin`), an argon2 hash of the token (never the token),
//!   when created and revoked.
//! - `revisions`: one row per change of a site (`rev` ascending): the site id, when (RFC 3339,
//!   UTC), who, the action (`create`, `update`, `delete`, `restore`, `revert`, `import`,
//!   `verify`) and the record before and after as JSON of its row (`sql::ROW_JSON`; `NULL`
//!   when there was none: before a creation, after a deletion). An `import` revision stores no
//!   `after`: it is the next revision's `before`, or the current row (`sql::REVISION_AFTER`).
//!   Written in the transaction of the change. A deleted site is not in `sites`: it lives in
//!   the `before` of its deletion.
//!
//! Foreign keys from data to reference tables are `DEFERRABLE INITIALLY DEFERRED`, so reference
//! data can be replaced inside one transaction and is checked at commit.
//!
//! Version 1 had `site_chains` (one row per chain reference of a site) and per-column attribute
//! indexes; version 2 replaces them; version 3 adds `users` and `revisions`; version 4 rewrites
//! the search tokens in fewer, shorter tokens; version 5 lets a site have no location and
//! removes the old district fallback point (see [`migrations`]); version 6 widens the list
//! index `sites_order` to cover each site's location precision and marker (for vector tiles).

use rusqlite_migration::{Migrations, M};

const V1: &str = r#"
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

CREATE TABLE chains (
    id      TEXT PRIMARY KEY,
    ord     INTEGER NOT NULL,
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL
) STRICT;

CREATE TABLE links (
    id             TEXT PRIMARY KEY,
    chain_id       TEXT NOT NULL REFERENCES chains(id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    ord            INTEGER NOT NULL,
    name_zh        TEXT NOT NULL,
    name_en        TEXT NOT NULL,
    description_zh TEXT,
    source         TEXT
) STRICT;
CREATE INDEX links_chain ON links(chain_id, ord);

CREATE TABLE divisions (
    code        TEXT PRIMARY KEY,
    ord         INTEGER NOT NULL,
    name_zh     TEXT NOT NULL,
    name_en     TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('subdistrict', 'town')),
    seat_lon    REAL,
    seat_lat    REAL,
    seat_crs    TEXT,
    seat_source TEXT,
    CHECK ((seat_lon IS NULL) = (seat_lat IS NULL))
) STRICT;

CREATE TABLE indicators (
    id            TEXT PRIMARY KEY,
    ord           INTEGER NOT NULL,
    name_zh       TEXT NOT NULL,
    name_en       TEXT NOT NULL,
    unit          TEXT NOT NULL,
    baseline      REAL,
    baseline_year INTEGER,
    target        REAL,
    target_op     TEXT,
    target_year   INTEGER,
    measure       TEXT NOT NULL CHECK (measure IN ('count', 'sum_area', 'none')),
    count_filter  TEXT NOT NULL,
    source        TEXT NOT NULL,
    source_quote  TEXT
) STRICT;

CREATE TABLE sites (
    pk                 INTEGER PRIMARY KEY,
    id                 TEXT NOT NULL UNIQUE,
    name_zh            TEXT NOT NULL,
    name_en            TEXT,
    category           TEXT NOT NULL,
    category_rank      INTEGER NOT NULL,
    kind               TEXT NOT NULL,
    level              TEXT NOT NULL,
    status             TEXT NOT NULL,
    scope              TEXT NOT NULL,
    town_code          TEXT REFERENCES divisions(code) DEFERRABLE INITIALLY DEFERRED,
    address            TEXT,
    lon                REAL NOT NULL,
    lat                REAL NOT NULL,
    polygon_wkt        TEXT,
    min_lon            REAL NOT NULL,
    min_lat            REAL NOT NULL,
    max_lon            REAL NOT NULL,
    max_lat            REAL NOT NULL,
    location_precision TEXT NOT NULL,
    location_source    TEXT,
    original_crs       TEXT,
    original_lon       REAL,
    original_lat       REAL,
    area_m2            REAL CHECK (area_m2 >= 0),
    available_area_m2  REAL CHECK (available_area_m2 >= 0),
    established        INTEGER,
    website            TEXT,
    phone              TEXT,
    contact            TEXT,
    source             TEXT NOT NULL,
    source_quote       TEXT,
    notes              TEXT,
    outside_district   INTEGER NOT NULL CHECK (outside_district IN (0, 1)),
    updated_at         TEXT,
    verified_at        TEXT,
    search_text        TEXT NOT NULL,
    version            INTEGER NOT NULL DEFAULT 1,
    created_at         TEXT NOT NULL,
    modified_at        TEXT NOT NULL,
    CHECK (min_lon <= max_lon AND min_lat <= max_lat),
    CHECK ((original_crs IS NULL) = (original_lon IS NULL) AND (original_lon IS NULL) = (original_lat IS NULL))
) STRICT;
-- The list order: category (vocabulary order), Chinese name, id.
CREATE INDEX sites_order ON sites(category_rank, name_zh, id);
CREATE INDEX sites_kind ON sites(kind);
-- Covers every scalar facet column: facet counts scan this narrow index, not the table.
CREATE INDEX sites_facets ON sites(category_rank, kind, level, status, scope, town_code);
CREATE INDEX sites_town ON sites(town_code) WHERE town_code IS NOT NULL;

-- One row per chain reference of a site (`chain` or `chain.link`). `first_of_chain` marks one
-- row per (site, chain), so "sites on chain X" is an index range without duplicates.
CREATE TABLE site_chains (
    site_pk        INTEGER NOT NULL REFERENCES sites(pk) ON DELETE CASCADE,
    chain_id       TEXT NOT NULL REFERENCES chains(id) DEFERRABLE INITIALLY DEFERRED,
    link_id        TEXT REFERENCES links(id) DEFERRABLE INITIALLY DEFERRED,
    first_of_chain INTEGER NOT NULL CHECK (first_of_chain IN (0, 1)),
    UNIQUE (site_pk, chain_id, link_id)
) STRICT;
CREATE INDEX site_chains_chain ON site_chains(chain_id, site_pk) WHERE first_of_chain = 1;
CREATE INDEX site_chains_link ON site_chains(link_id, site_pk) WHERE link_id IS NOT NULL;

CREATE VIRTUAL TABLE sites_rtree USING rtree(id, min_lon, max_lon, min_lat, max_lat);

-- Tokens are written by the store (search::document): `uni` holds one token per CJK character,
-- `bi` one per overlapping pair, `tri` one per overlapping ASCII trigram. Contentless: the
-- text lives in sites.search_text.
CREATE VIRTUAL TABLE sites_fts USING fts5(
    uni, bi, tri,
    content = '',
    contentless_delete = 1,
    tokenize = 'ascii'
);

-- Whatever deletes a site (the store has no delete yet; a hand edit might) keeps both indexes right.
CREATE TRIGGER sites_delete AFTER DELETE ON sites BEGIN
    DELETE FROM sites_rtree WHERE id = old.pk;
    DELETE FROM sites_fts WHERE rowid = old.pk;
END;
"#;

/// Version 2, for 1M-site catalogues: chain membership and the facet values of a site become two
/// small integers on `sites` (interned in `facet_combos` and `chain_sets`, each with the number of
/// sites using it), which replaces `site_chains` and the per-column attribute indexes; the list
/// index covers every filter column but the search text.
const V2: &str = r#"
CREATE TABLE facet_combos (
    id            INTEGER PRIMARY KEY,
    category_rank INTEGER NOT NULL,
    kind          TEXT NOT NULL,
    level         TEXT NOT NULL,
    status        TEXT NOT NULL,
    scope         TEXT NOT NULL,
    town_code     TEXT,
    sites         INTEGER NOT NULL DEFAULT 0 CHECK (sites >= 0)
) STRICT;
CREATE UNIQUE INDEX facet_combos_key
    ON facet_combos(category_rank, kind, level, status, scope, ifnull(town_code, ''));

CREATE TABLE chain_sets (
    id            INTEGER PRIMARY KEY,
    category_rank INTEGER NOT NULL,
    refs          TEXT NOT NULL,
    sites         INTEGER NOT NULL DEFAULT 0 CHECK (sites >= 0),
    UNIQUE (category_rank, refs)
) STRICT;

CREATE TABLE chain_set_refs (
    set_id   INTEGER NOT NULL REFERENCES chain_sets(id) ON DELETE CASCADE,
    chain_id TEXT NOT NULL REFERENCES chains(id) DEFERRABLE INITIALLY DEFERRED,
    link_id  TEXT REFERENCES links(id) DEFERRABLE INITIALLY DEFERRED,
    UNIQUE (set_id, chain_id, link_id)
) STRICT;
CREATE INDEX chain_set_refs_chain ON chain_set_refs(chain_id, set_id);
CREATE INDEX chain_set_refs_link ON chain_set_refs(link_id, set_id) WHERE link_id IS NOT NULL;

-- Sites per grid cell of 0.01° (by the centre of their box): the planner's estimate of how many
-- sites a bbox holds, without walking the R*Tree.
CREATE TABLE site_cells (
    cx    INTEGER NOT NULL,
    cy    INTEGER NOT NULL,
    sites INTEGER NOT NULL CHECK (sites >= 0),
    PRIMARY KEY (cx, cy)
) STRICT, WITHOUT ROWID;
INSERT INTO site_cells (cx, cy, sites)
    SELECT CAST(((min_lon + max_lon) / 2 + 180) * 100 AS INTEGER),
           CAST(((min_lat + max_lat) / 2 + 90) * 100 AS INTEGER), count(*)
    FROM sites GROUP BY 1, 2;

ALTER TABLE sites ADD COLUMN combo INTEGER REFERENCES facet_combos(id);
ALTER TABLE sites ADD COLUMN chainset INTEGER REFERENCES chain_sets(id);

INSERT INTO facet_combos (category_rank, kind, level, status, scope, town_code, sites)
    SELECT category_rank, kind, level, status, scope, town_code, count(*) FROM sites
    GROUP BY category_rank, kind, level, status, scope, town_code;
UPDATE sites SET combo = (SELECT f.id FROM facet_combos AS f
    WHERE f.category_rank = sites.category_rank AND f.kind = sites.kind
      AND f.level = sites.level AND f.status = sites.status AND f.scope = sites.scope
      AND f.town_code IS sites.town_code);

CREATE TEMP TABLE v2_refs (pk INTEGER PRIMARY KEY, category_rank INTEGER, refs TEXT);
INSERT INTO v2_refs (pk, category_rank, refs)
    SELECT s.pk, s.category_rank,
           ifnull((SELECT group_concat(coalesce(c.link_id, c.chain_id), ';' ORDER BY c.chain_id, c.link_id)
                   FROM site_chains AS c WHERE c.site_pk = s.pk), '')
    FROM sites AS s;
INSERT INTO chain_sets (category_rank, refs, sites)
    SELECT category_rank, refs, count(*) FROM v2_refs GROUP BY category_rank, refs;
UPDATE sites SET chainset = (SELECT cs.id FROM v2_refs AS r JOIN chain_sets AS cs
    ON cs.category_rank = r.category_rank AND cs.refs = r.refs WHERE r.pk = sites.pk);
INSERT INTO chain_set_refs (set_id, chain_id, link_id)
    SELECT DISTINCT s.chainset, c.chain_id, c.link_id
    FROM site_chains AS c JOIN sites AS s ON s.pk = c.site_pk;
DROP TABLE v2_refs;

DROP TABLE site_chains;
DROP INDEX sites_kind;
DROP INDEX sites_facets;
DROP INDEX sites_town;
DROP INDEX sites_order;
-- The list order, covering every filter column but the search text: a page walks it in order and
-- stops after `offset + limit` matches.
CREATE INDEX sites_order ON sites(category_rank, name_zh, id, combo, chainset,
    min_lon, max_lon, min_lat, max_lat);
-- Chain filters seek here; facets count chain sets in order and combinations per chain set.
CREATE INDEX sites_chainset ON sites(chainset, combo);

-- The R*Tree holds integers (1e-7 degree units, rounded outwards; `query::rtree_box`): 32-bit
-- floats made inserts a third slower and needed no less care with rounding.
DROP TABLE sites_rtree;
CREATE VIRTUAL TABLE sites_rtree USING rtree_i32(id, min_lon, max_lon, min_lat, max_lat);
INSERT INTO sites_rtree (id, min_lon, max_lon, min_lat, max_lat)
    SELECT pk,
        CAST(min_lon * 1e7 AS INTEGER) - (min_lon * 1e7 < CAST(min_lon * 1e7 AS INTEGER)),
        CAST(max_lon * 1e7 AS INTEGER) + (max_lon * 1e7 > CAST(max_lon * 1e7 AS INTEGER)),
        CAST(min_lat * 1e7 AS INTEGER) - (min_lat * 1e7 < CAST(min_lat * 1e7 AS INTEGER)),
        CAST(max_lat * 1e7 AS INTEGER) + (max_lat * 1e7 > CAST(max_lat * 1e7 AS INTEGER))
    FROM sites;

DROP TRIGGER sites_delete;
CREATE TRIGGER sites_delete AFTER DELETE ON sites BEGIN
    DELETE FROM sites_rtree WHERE id = old.pk;
    DELETE FROM sites_fts WHERE rowid = old.pk;
    UPDATE facet_combos SET sites = sites - 1 WHERE id = old.combo;
    UPDATE chain_sets SET sites = sites - 1 WHERE id = old.chainset;
    UPDATE site_cells SET sites = sites - 1
    WHERE cx = CAST(((old.min_lon + old.max_lon) / 2 + 180) * 100 AS INTEGER)
      AND cy = CAST(((old.min_lat + old.max_lat) / 2 + 90) * 100 AS INTEGER);
END;
"#;

/// Version 3, keeping the data true: `users` (who may write; only a hash of each token) and
/// `revisions` (every change of a site: who, when, what, the record before and after, as JSON of
/// its row). A deleted site leaves `sites` (and with it every index and count) and lives on in
/// the `before` of its deletion. Each site already stored gets a baseline revision (action
/// `import`, by `migration`), so that its first edit can be undone.
const V3: &str = r#"
CREATE TABLE users (
    name       TEXT PRIMARY KEY,
    role       TEXT NOT NULL CHECK (role IN ('editor', 'admin')),
    token_hash TEXT NOT NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT
) STRICT;

CREATE TABLE revisions (
    rev     INTEGER PRIMARY KEY,
    site_id TEXT NOT NULL,
    at      TEXT NOT NULL,
    who     TEXT NOT NULL,
    action  TEXT NOT NULL
        CHECK (action IN ('create', 'update', 'delete', 'restore', 'revert', 'import', 'verify')),
    before  TEXT,
    after   TEXT,
    CHECK (action <> 'delete' OR (before IS NOT NULL AND after IS NULL))
) STRICT;
CREATE INDEX revisions_site ON revisions(site_id, rev);
CREATE INDEX revisions_deletions ON revisions(rev) WHERE action = 'delete';

-- The baseline: one `import` revision per stored site (an import's record after it is the next
-- revision's `before`, or the row itself: see `sql::REVISION_AFTER`).
INSERT INTO revisions (site_id, at, who, action)
    SELECT s.id, s.modified_at, 'migration', 'import'
    FROM sites AS s ORDER BY s.pk;
"#;

/// Version 4, for faster bulk imports:
/// - a smaller full-text index: one column of UTF-8 tokens (a CJK run's bigrams and its last
///   character, ASCII trigrams; see `search`) instead of three columns of hex code points with
///   every CJK character a token. The tokens are made in Rust, so [`retokenise`] writes them for
///   the sites already stored, in the migration's transaction;
/// - `sites` rebuilt without the `UNIQUE` constraint on `id`, whose automatic index could not be
///   dropped: ids are unique through the index `sites_id` instead, which a bulk import drops and
///   rebuilds with the others (a million inserts at random places in it cost more than sorting
///   the ids once). Same columns in the same order, same keys: the R*Tree, the search tokens and
///   the revisions keep pointing at the right rows. `combo` and `chainset` lose their
///   `REFERENCES`: they are the store's own interned keys, written by the import's writer with
///   the counts of each (a foreign key check cost a lookup per row written, about a second of a
///   1M-site import); `town_code` keeps its foreign key to `divisions`.
const V4: &str = r#"
DROP TRIGGER sites_delete;
CREATE TABLE sites_v4 (
    pk                 INTEGER PRIMARY KEY,
    id                 TEXT NOT NULL,
    name_zh            TEXT NOT NULL,
    name_en            TEXT,
    category           TEXT NOT NULL,
    category_rank      INTEGER NOT NULL,
    kind               TEXT NOT NULL,
    level              TEXT NOT NULL,
    status             TEXT NOT NULL,
    scope              TEXT NOT NULL,
    town_code          TEXT REFERENCES divisions(code) DEFERRABLE INITIALLY DEFERRED,
    address            TEXT,
    lon                REAL NOT NULL,
    lat                REAL NOT NULL,
    polygon_wkt        TEXT,
    min_lon            REAL NOT NULL,
    min_lat            REAL NOT NULL,
    max_lon            REAL NOT NULL,
    max_lat            REAL NOT NULL,
    location_precision TEXT NOT NULL,
    location_source    TEXT,
    original_crs       TEXT,
    original_lon       REAL,
    original_lat       REAL,
    area_m2            REAL CHECK (area_m2 >= 0),
    available_area_m2  REAL CHECK (available_area_m2 >= 0),
    established        INTEGER,
    website            TEXT,
    phone              TEXT,
    contact            TEXT,
    source             TEXT NOT NULL,
    source_quote       TEXT,
    notes              TEXT,
    outside_district   INTEGER NOT NULL CHECK (outside_district IN (0, 1)),
    updated_at         TEXT,
    verified_at        TEXT,
    search_text        TEXT NOT NULL,
    version            INTEGER NOT NULL DEFAULT 1,
    created_at         TEXT NOT NULL,
    modified_at        TEXT NOT NULL,
    combo              INTEGER,
    chainset           INTEGER,
    CHECK (min_lon <= max_lon AND min_lat <= max_lat),
    CHECK ((original_crs IS NULL) = (original_lon IS NULL) AND (original_lon IS NULL) = (original_lat IS NULL))
) STRICT;
INSERT INTO sites_v4 SELECT * FROM sites ORDER BY pk;
DROP TABLE sites;
ALTER TABLE sites_v4 RENAME TO sites;
CREATE UNIQUE INDEX sites_id ON sites(id);
CREATE INDEX sites_order ON sites(category_rank, name_zh, id, combo, chainset,
    min_lon, max_lon, min_lat, max_lat);
CREATE INDEX sites_chainset ON sites(chainset, combo);
CREATE TRIGGER sites_delete AFTER DELETE ON sites BEGIN
    DELETE FROM sites_rtree WHERE id = old.pk;
    DELETE FROM sites_fts WHERE rowid = old.pk;
    UPDATE facet_combos SET sites = sites - 1 WHERE id = old.combo;
    UPDATE chain_sets SET sites = sites - 1 WHERE id = old.chainset;
    UPDATE site_cells SET sites = sites - 1
    WHERE cx = CAST(((old.min_lon + old.max_lon) / 2 + 180) * 100 AS INTEGER)
      AND cy = CAST(((old.min_lat + old.max_lat) / 2 + 90) * 100 AS INTEGER);
END;

DROP TABLE sites_fts;
CREATE VIRTUAL TABLE sites_fts USING fts5(
    tokens,
    content = '',
    contentless_delete = 1,
    tokenize = 'ascii'
);
"#;

/// Version 5, no false points: a site may have no location (precision `unknown`). `sites` is
/// rebuilt (as V4 did) with `lon`, `lat` and the box nullable, `NULL` exactly when the precision
/// is `unknown`; such a site has no R*Tree entry and no grid cell. Then [`unplace_fallbacks`]
/// turns the sites that stood on the old district fallback point into `unknown`.
const V5: &str = r#"
DROP TRIGGER sites_delete;
CREATE TABLE sites_v5 (
    pk                 INTEGER PRIMARY KEY,
    id                 TEXT NOT NULL,
    name_zh            TEXT NOT NULL,
    name_en            TEXT,
    category           TEXT NOT NULL,
    category_rank      INTEGER NOT NULL,
    kind               TEXT NOT NULL,
    level              TEXT NOT NULL,
    status             TEXT NOT NULL,
    scope              TEXT NOT NULL,
    town_code          TEXT REFERENCES divisions(code) DEFERRABLE INITIALLY DEFERRED,
    address            TEXT,
    lon                REAL,
    lat                REAL,
    polygon_wkt        TEXT,
    min_lon            REAL,
    min_lat            REAL,
    max_lon            REAL,
    max_lat            REAL,
    location_precision TEXT NOT NULL,
    location_source    TEXT,
    original_crs       TEXT,
    original_lon       REAL,
    original_lat       REAL,
    area_m2            REAL CHECK (area_m2 >= 0),
    available_area_m2  REAL CHECK (available_area_m2 >= 0),
    established        INTEGER,
    website            TEXT,
    phone              TEXT,
    contact            TEXT,
    source             TEXT NOT NULL,
    source_quote       TEXT,
    notes              TEXT,
    outside_district   INTEGER NOT NULL CHECK (outside_district IN (0, 1)),
    updated_at         TEXT,
    verified_at        TEXT,
    search_text        TEXT NOT NULL,
    version            INTEGER NOT NULL DEFAULT 1,
    created_at         TEXT NOT NULL,
    modified_at        TEXT NOT NULL,
    combo              INTEGER,
    chainset           INTEGER,
    CHECK (min_lon <= max_lon AND min_lat <= max_lat),
    -- No geometry exactly when the location is unknown.
    CHECK ((lon IS NULL) = (location_precision = 'unknown')
        AND (lat IS NULL) = (lon IS NULL) AND (min_lon IS NULL) = (lon IS NULL)
        AND (min_lat IS NULL) = (lon IS NULL) AND (max_lon IS NULL) = (lon IS NULL)
        AND (max_lat IS NULL) = (lon IS NULL) AND (lon IS NOT NULL OR polygon_wkt IS NULL)),
    CHECK ((original_crs IS NULL) = (original_lon IS NULL) AND (original_lon IS NULL) = (original_lat IS NULL))
) STRICT;
INSERT INTO sites_v5 SELECT * FROM sites ORDER BY pk;
DROP TABLE sites;
ALTER TABLE sites_v5 RENAME TO sites;
CREATE UNIQUE INDEX sites_id ON sites(id);
CREATE INDEX sites_order ON sites(category_rank, name_zh, id, combo, chainset,
    min_lon, max_lon, min_lat, max_lat);
CREATE INDEX sites_chainset ON sites(chainset, combo);
CREATE TRIGGER sites_delete AFTER DELETE ON sites BEGIN
    DELETE FROM sites_rtree WHERE id = old.pk;
    DELETE FROM sites_fts WHERE rowid = old.pk;
    UPDATE facet_combos SET sites = sites - 1 WHERE id = old.combo;
    UPDATE chain_sets SET sites = sites - 1 WHERE id = old.chainset;
    UPDATE site_cells SET sites = sites - 1
    WHERE old.min_lon IS NOT NULL
      AND cx = CAST(((old.min_lon + old.max_lon) / 2 + 180) * 100 AS INTEGER)
      AND cy = CAST(((old.min_lat + old.max_lat) / 2 + 90) * 100 AS INTEGER);
END;
"#;

/// The sites placed by the old district fallback: precision `district`, no polygon, and the
/// source that rule wrote (`近似位置：{district}代表点（位置未知）/ approximate: district
/// representative point (…)`, or the synthetic catalogue's `近似位置：茂南区代表点 /
/// approximate: district representative point`).
const V5_FALLBACK: &str = "FROM sites AS s WHERE s.location_precision = 'district' \
    AND s.polygon_wkt IS NULL AND s.location_source LIKE '近似位置：%' \
    AND instr(s.location_source, '代表点') > 0 \
    AND instr(s.location_source, 'approximate: district representative point') > 0";

/// Migration V5's data step: each site on the old district fallback point loses its invented
/// location (precision `unknown`, lon/lat/box and location source `NULL`, its R*Tree entry and
/// grid cell count gone), with one revision each (who `migration`, action `update`, the record
/// before and after) and a new data version; nothing else changes.
fn unplace_fallbacks(tx: &rusqlite::Transaction<'_>) -> rusqlite_migration::HookResult {
    let select = crate::sql::with_row_json(&format!(
        "SELECT s.pk, {{row_json}} {V5_FALLBACK} ORDER BY s.pk"
    ));
    let rows: Vec<(i64, String)> = tx
        .prepare(&select)?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    if rows.is_empty() {
        return Ok(());
    }
    let at: String = tx.query_row("SELECT strftime('%Y-%m-%dT%H:%M:%fZ', 'now')", [], |r| {
        r.get(0)
    })?;
    let mut cell = tx.prepare(
        "UPDATE site_cells SET sites = sites - 1 \
         WHERE (cx, cy) = (SELECT CAST(((min_lon + max_lon) / 2 + 180) * 100 AS INTEGER), \
                                  CAST(((min_lat + max_lat) / 2 + 90) * 100 AS INTEGER) \
                           FROM sites WHERE pk = ?1)",
    )?;
    let mut rtree = tx.prepare(crate::sql::DELETE_RTREE)?;
    let mut unplace = tx.prepare(
        "UPDATE sites SET lon = NULL, lat = NULL, min_lon = NULL, min_lat = NULL, \
         max_lon = NULL, max_lat = NULL, location_precision = 'unknown', \
         location_source = NULL, outside_district = 0, version = version + 1, \
         modified_at = ?2 WHERE pk = ?1",
    )?;
    let mut revision = tx.prepare(&crate::sql::with_row_json(crate::sql::REVISION_OF_ROW))?;
    for (pk, before) in &rows {
        cell.execute([pk])?;
        rtree.execute([pk])?;
        unplace.execute(rusqlite::params![pk, at])?;
        revision.execute(rusqlite::params![pk, at, "migration", "update", before])?;
    }
    tx.execute_batch("DELETE FROM site_cells WHERE sites = 0;")?;
    tx.execute(crate::sql::BUMP_DATA_VERSION, [])?;
    Ok(())
}

/// V6: the list index also covers each site's location precision and marker, so the in-memory
/// list index (`index::listing`) reads them in its index-only scan: vector tiles bin sites by
/// marker and count those at approximate precision without reading a row.
const V6: &str = r#"
DROP INDEX sites_order;
CREATE INDEX sites_order ON sites(category_rank, name_zh, id, combo, chainset,
    min_lon, max_lon, min_lat, max_lat, location_precision, lon, lat);
"#;

/// V7: the sites' location precision beside their facet combination and their chain set, so the
/// precision facet of a filtered catalogue (`facets`, one grouped count) seeks the filter's
/// combinations or chain sets in an index instead of reading every site row (seconds at 1M).
const V7: &str = r#"
CREATE INDEX sites_combo_precision ON sites(combo, location_precision);
DROP INDEX sites_chainset;
CREATE INDEX sites_chainset ON sites(chainset, combo, location_precision);
"#;

/// V8: the list index stored beside the rows (`index::stored`): at most one copy, tagged with
/// the data version it holds and its format; and the table through which a server's
/// checkpointer keeps free pages inside the file (`checkpoint`), always empty between its
/// transactions.
const V8: &str = r#"
CREATE TABLE list_index_copy (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    data_version INTEGER NOT NULL,
    format INTEGER NOT NULL,
    body BLOB NOT NULL
);
CREATE TABLE file_reserve (b BLOB NOT NULL);
"#;

/// Writes the search tokens of every stored site (migration V4), from its `search_text`.
fn retokenise(tx: &rusqlite::Transaction<'_>) -> rusqlite_migration::HookResult {
    let mut read = tx.prepare("SELECT pk, search_text FROM sites ORDER BY pk")?;
    let mut write = tx.prepare(crate::sql::INSERT_FTS)?;
    let mut rows = read.query([])?;
    let mut tokens = String::new();
    while let Some(r) = rows.next()? {
        let pk: i64 = r.get(0)?;
        let text: String = r.get(1)?;
        crate::index::search::document_into(&text, &mut tokens);
        write.execute(rusqlite::params![pk, tokens])?;
    }
    Ok(())
}

/// Every migration, oldest first.
pub fn all() -> Vec<M<'static>> {
    vec![
        M::up(V1),
        M::up(V2),
        M::up(V3),
        M::up_with_hook(V4, retokenise),
        M::up_with_hook(V5, unplace_fallbacks),
        M::up(V6),
        M::up(V7),
        M::up(V8),
    ]
}

/// The migrations as `rusqlite_migration` wants them.
pub fn migrations() -> Migrations<'static> {
    Migrations::new(all())
}

/// The schema version a fully migrated database has.
pub fn latest_version() -> usize {
    all().len()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::{row, sql, Store};
    use atlas_core::dataset::Reference;
    use atlas_core::{Site, SiteFilter};
    use rusqlite::{params, Connection};

    #[test]
    fn migrations_are_valid() {
        super::migrations().validate().unwrap();
    }

    /// Writes `sites` as version 1 stored them (rows, `site_chains`, R*Tree, tokens).
    fn write_version_1(conn: &Connection, r: &Reference, sites: &[Site]) {
        crate::reference::insert_chains(conn, &r.chains).unwrap();
        for (i, d) in r.divisions.iter().enumerate() {
            conn.execute(
                "INSERT INTO divisions (code, ord, name_zh, name_en, kind) VALUES (?1, ?2, ?3, ?4, 'town')",
                params![d.code.as_str(), i as i64, d.name_zh, d.name_en],
            )
            .unwrap();
        }
        let mut insert = conn
            .prepare(
                "INSERT INTO sites (id, name_zh, name_en, category, category_rank, kind, level, \
                 status, scope, town_code, address, lon, lat, polygon_wkt, min_lon, min_lat, \
                 max_lon, max_lat, location_precision, location_source, original_crs, \
                 original_lon, original_lat, area_m2, available_area_m2, established, website, \
                 phone, contact, source, source_quote, notes, outside_district, updated_at, \
                 verified_at, search_text, version, created_at, modified_at) VALUES (?1, ?2, ?3, \
                 ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, \
                 ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30, ?31, ?32, ?33, ?34, ?35, ?36, \
                 1, ?37, ?37)",
            )
            .unwrap();
        for s in sites {
            let text = s.search_text().to_lowercase();
            row::bind_site(&mut insert, s, &text).unwrap();
            insert
                .raw_bind_parameter(37, "2026-01-01T00:00:00.000Z")
                .unwrap();
            insert.raw_execute().unwrap();
            let pk = conn.last_insert_rowid();
            let mut previous = None;
            for c in &s.chains {
                let first = previous != Some(c.chain.as_str());
                previous = Some(c.chain.as_str());
                conn.execute(
                    "INSERT INTO site_chains (site_pk, chain_id, link_id, first_of_chain) VALUES (?1, ?2, ?3, ?4)",
                    params![pk, c.chain.as_str(), c.link.as_ref().map(|l| l.as_str()), first],
                )
                .unwrap();
            }
            let b = s.bbox().unwrap();
            conn.execute(
                "INSERT INTO sites_rtree VALUES (?1, ?2, ?3, ?4, ?5)",
                params![pk, b.min_lon, b.max_lon, b.min_lat, b.max_lat],
            )
            .unwrap();
            // Version 1's columns held hex code points; version 4 rewrites every token.
            conn.execute(
                "INSERT INTO sites_fts (rowid, uni, bi, tri) VALUES (?1, '', '', '')",
                [pk],
            )
            .unwrap();
        }
    }

    #[test]
    fn a_version_1_database_with_sites_migrates_to_the_same_answers() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "foreign_keys", "ON").unwrap();
        Migrations::new(all().into_iter().take(1).collect())
            .to_latest(&mut conn)
            .unwrap();
        let r = Reference::embedded().unwrap();
        let mut sites = crate::synth::sites(400, 3);
        // Version 1 had no sites without location.
        sites.retain(|s| s.location.geometry.is_some());
        write_version_1(&conn, &r, &sites);
        migrations().to_latest(&mut conn).unwrap();
        let ok: String = conn
            .query_row("SELECT rtreecheck('sites_rtree')", [], |r| r.get(0))
            .unwrap();
        assert_eq!(ok, "ok");
        let store = Store::with(conn);
        for s in &sites {
            assert_eq!(store.get(&s.id).unwrap().as_ref(), Some(s));
        }
        // Version 3: a baseline revision per site, holding exactly its record.
        assert_eq!(store.revision_count().unwrap() as usize, sites.len());
        for s in sites.iter().step_by(37) {
            let h = store.history(&s.id).unwrap();
            assert_eq!((h.len(), h[0].who.as_str()), (1, "migration"));
            assert_eq!(h[0].after.as_ref(), Some(s));
        }
        for q in [
            "",
            "chain=petrochemical",
            "link=petrochemical.refining&kind=enterprise",
            "town=440902100&bbox=110.7,21.5,111.0,21.8",
            "q=石化",
        ] {
            let f = SiteFilter::parse_query(q).unwrap();
            let want = sites.iter().filter(|s| f.matches(s)).count();
            assert_eq!(store.count(&f).unwrap() as usize, want, "{q}");
            assert_eq!(store.query(&f).unwrap().len(), want, "{q}");
            assert_eq!(store.facets(&f).unwrap().total as usize, want, "{q}");
        }
        let on_chains: u64 = store
            .chain_counts(&SiteFilter::default())
            .unwrap()
            .iter()
            .map(|c| c.total)
            .sum();
        assert_eq!(on_chains, crate::synth::chain_memberships(&sites));
    }

    /// Sites as today's main placed them: some on the old district fallback point.
    fn version_4_sites(r: &Reference) -> (Vec<Site>, Vec<usize>) {
        use atlas_core::{LocationPrecision, SiteGeometry};
        let mut sites = crate::synth::sites(300, 7);
        sites.retain(|s| s.location.geometry.is_some());
        let rep = r.district.representative_point().unwrap();
        let old_source = format!(
            "近似位置：{}代表点（位置未知）/ approximate: district representative point ({})",
            r.district.name_zh, r.district.representative_source
        );
        let mut fallback = Vec::new();
        for (i, s) in sites.iter_mut().enumerate() {
            match i % 10 {
                0 | 3 => {
                    s.location.geometry = Some(SiteGeometry::Point(rep));
                    s.location.precision = LocationPrecision::District;
                    s.location.source = Some(old_source.clone());
                    s.location.original = None;
                    s.outside_district = false;
                    fallback.push(i);
                }
                // District precision with a coordinate of its own: real data, kept.
                5 => {
                    s.location.precision = LocationPrecision::District;
                    s.location.source = Some("区统计公报 / district bulletin".into());
                }
                // The fallback's point with another source: kept.
                7 => {
                    s.location.geometry = Some(SiteGeometry::Point(rep));
                    s.location.precision = LocationPrecision::District;
                    s.location.source = Some("近似位置：区政府 / district government".into());
                }
                _ => {}
            }
        }
        (sites, fallback)
    }

    #[test]
    fn version_5_turns_exactly_the_district_fallback_sites_into_unknown() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "foreign_keys", "ON").unwrap();
        Migrations::new(all().into_iter().take(1).collect())
            .to_latest(&mut conn)
            .unwrap();
        let r = Reference::embedded().unwrap();
        let (sites, fallback) = version_4_sites(&r);
        write_version_1(&conn, &r, &sites);
        Migrations::new(all().into_iter().take(4).collect())
            .to_latest(&mut conn)
            .unwrap();
        let version_before: i64 = conn.query_row(sql::DATA_VERSION, [], |r| r.get(0)).unwrap();
        migrations().to_latest(&mut conn).unwrap();
        let version_after: i64 = conn.query_row(sql::DATA_VERSION, [], |r| r.get(0)).unwrap();
        assert_eq!(version_after, version_before + 1);
        let ok: String = conn
            .query_row("SELECT rtreecheck('sites_rtree')", [], |r| r.get(0))
            .unwrap();
        assert_eq!(ok, "ok");
        let store = Store::with(conn);
        for (i, s) in sites.iter().enumerate() {
            let now = store.get(&s.id).unwrap().unwrap();
            let h = store.history(&s.id).unwrap();
            if fallback.contains(&i) {
                let mut want = s.clone();
                want.location = atlas_core::Location::unknown();
                assert_eq!(now, want, "{}", s.id);
                assert_eq!(h.len(), 2, "{}", s.id);
                assert_eq!(h[0].who, "migration");
                assert_eq!(h[0].action.as_str(), "update");
                assert_eq!(h[0].before.as_ref(), Some(s));
                assert_eq!(h[0].after.as_ref(), Some(&want));
            } else {
                assert_eq!(&now, s, "{}", s.id);
                assert_eq!(h.len(), 1, "{}", s.id);
            }
        }
        // Counts include them; no box holds them.
        let all = SiteFilter::default();
        assert_eq!(store.count(&all).unwrap() as usize, sites.len());
        let rep = r.district.representative_point().unwrap();
        let (x, y) = (rep.lon.get(), rep.lat.get());
        let q = format!(
            "bbox={},{},{},{}",
            x - 0.001,
            y - 0.001,
            x + 0.001,
            y + 0.001
        );
        let f = SiteFilter::parse_query(&q).unwrap();
        let in_box = store.query(&f).unwrap();
        assert!(in_box.iter().all(|s| s.location.geometry.is_some()));
        for (i, s) in sites.iter().enumerate() {
            let found = in_box.iter().any(|t| t.id == s.id);
            if i % 10 == 7 {
                assert!(found, "{}", s.id);
            }
            if fallback.contains(&i) {
                assert!(!found, "{}", s.id);
            }
        }
    }
}
