//! The schema, as an ordered list of migrations. Never edit a migration that has shipped: append
//! a new `M::up` instead. `PRAGMA user_version` records how far a database has come.
//!
//! Tables:
//! - `meta`: key/value (dataset name, district boundary GeoJSON, …).
//! - `chains`, `links` (ordered within a chain), `divisions` (with seat), `indicators`.
//! - `sites`: every field of a `Site`. Geometry is the marker (`lon`, `lat`; the representative
//!   point for polygons) plus `polygon_wkt`, and the bounding box (`min_lon` … `max_lat`) kept
//!   exactly (the R*Tree stores 32-bit floats, rounded outwards). `search_text` is
//!   `Site::search_text()` lowercased *in Rust*, so `instr()` over it gives exactly
//!   `SiteFilter::matches`. `category_rank` is the category's position in its vocabulary (the
//!   list order). `version` counts changes (for optimistic concurrency); `created_at` and
//!   `modified_at` are the row's own timestamps (RFC 3339, UTC), unlike `updated_at`, which is
//!   the record's date as the data states it.
//! - `site_chains`: a site's chains and links, many per site; `first_of_chain` marks one row
//!   per (site, chain) so chain membership needs no `DISTINCT`.
//! - `sites_rtree`: R*Tree over site bounding boxes, keyed by `sites.pk`, written by the store
//!   with each site (a trigger made inserts ten times slower).
//! - `sites_fts`: contentless FTS5 table whose tokens are made in Rust (see `search`).
//!
//! Foreign keys from data to reference tables are `DEFERRABLE INITIALLY DEFERRED`, so reference
//! data can be replaced inside one transaction and is checked at commit.

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

/// Every migration, oldest first.
pub const MIGRATIONS: &[M<'static>] = &[M::up(V1)];

/// The migrations as `rusqlite_migration` wants them.
pub fn migrations() -> Migrations<'static> {
    Migrations::from_slice(MIGRATIONS)
}

/// The schema version a fully migrated database has.
pub fn latest_version() -> usize {
    MIGRATIONS.len()
}

#[cfg(test)]
mod tests {
    #[test]
    fn migrations_are_valid() {
        super::migrations().validate().unwrap();
    }
}
