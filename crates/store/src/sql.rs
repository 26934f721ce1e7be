//! Every SQL statement of the store, in one place. The query builder (`query`) composes the
//! fixed fragments below; values always travel as bound parameters, never inside SQL text.

/// Columns read for a site, in the order of [`col`]. `s` is the `sites` table.
pub const SITE_COLUMNS: &str = "s.id, s.name_zh, s.name_en, s.category, s.kind, s.level, \
    s.status, s.scope, s.town_code, s.address, s.lon, s.lat, s.polygon_wkt, \
    s.location_precision, s.location_source, s.original_crs, s.original_lon, s.original_lat, \
    s.area_m2, s.available_area_m2, s.established, s.website, s.phone, s.contact, s.source, \
    s.source_quote, s.notes, s.outside_district, s.updated_at, s.verified_at, \
    (SELECT cs.refs FROM chain_sets AS cs WHERE cs.id = s.chainset) AS chains";

/// `q` with `{row_json}` replaced by [`ROW_JSON`].
pub fn with_row_json(q: &str) -> String {
    q.replace("{row_json}", ROW_JSON)
}

/// Positions of [`SITE_COLUMNS`].
pub mod col {
    pub const ID: usize = 0;
    pub const NAME_ZH: usize = 1;
    pub const NAME_EN: usize = 2;
    pub const CATEGORY: usize = 3;
    pub const KIND: usize = 4;
    pub const LEVEL: usize = 5;
    pub const STATUS: usize = 6;
    pub const SCOPE: usize = 7;
    pub const TOWN_CODE: usize = 8;
    pub const ADDRESS: usize = 9;
    pub const LON: usize = 10;
    pub const LAT: usize = 11;
    pub const POLYGON_WKT: usize = 12;
    pub const LOCATION_PRECISION: usize = 13;
    pub const LOCATION_SOURCE: usize = 14;
    pub const ORIGINAL_CRS: usize = 15;
    pub const ORIGINAL_LON: usize = 16;
    pub const ORIGINAL_LAT: usize = 17;
    pub const AREA_M2: usize = 18;
    pub const AVAILABLE_AREA_M2: usize = 19;
    pub const ESTABLISHED: usize = 20;
    pub const WEBSITE: usize = 21;
    pub const PHONE: usize = 22;
    pub const CONTACT: usize = 23;
    pub const SOURCE: usize = 24;
    pub const SOURCE_QUOTE: usize = 25;
    pub const NOTES: usize = 26;
    pub const OUTSIDE_DISTRICT: usize = 27;
    pub const UPDATED_AT: usize = 28;
    pub const VERIFIED_AT: usize = 29;
    pub const CHAINS: usize = 30;
    /// `s.pk`, when a statement selects it right after the site columns.
    pub const PK: usize = 31;
    /// `s.combo`, when a statement selects it right after `s.pk`.
    pub const COMBO: usize = 32;
    /// `s.chainset`, when a statement selects it right after `s.combo`.
    pub const CHAINSET: usize = 33;
}

/// One site by id.
pub const SITE_BY_ID: &str = "WHERE s.id = ?1";
/// Condition selecting one site by key.
pub const WHERE_PK: &str = "WHERE s.pk = ?1";

/// The version of a site.
pub const SITE_VERSION: &str = "SELECT version FROM sites WHERE id = ?1";

/// Inserts a site; parameters in the order of `import::SiteRow::params`.
pub const INSERT_SITE: &str = "INSERT INTO sites (id, name_zh, name_en, category, \
    category_rank, kind, level, status, scope, town_code, address, lon, lat, polygon_wkt, \
    min_lon, min_lat, max_lon, max_lat, location_precision, location_source, original_crs, \
    original_lon, original_lat, area_m2, available_area_m2, established, website, phone, \
    contact, source, source_quote, notes, outside_district, updated_at, verified_at, \
    search_text, version, created_at, modified_at, combo, chainset) \
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, \
    ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30, ?31, ?32, ?33, ?34, ?35, ?36, \
    1, ?37, ?37, ?38, ?39)";

/// Updates a changed site (by `pk` = ?40): bumps `version`, keeps `created_at`.
pub const UPDATE_SITE: &str = "UPDATE sites SET id = ?1, name_zh = ?2, name_en = ?3, \
    category = ?4, category_rank = ?5, kind = ?6, level = ?7, status = ?8, scope = ?9, \
    town_code = ?10, address = ?11, lon = ?12, lat = ?13, polygon_wkt = ?14, min_lon = ?15, \
    min_lat = ?16, max_lon = ?17, max_lat = ?18, location_precision = ?19, \
    location_source = ?20, original_crs = ?21, original_lon = ?22, original_lat = ?23, \
    area_m2 = ?24, available_area_m2 = ?25, established = ?26, website = ?27, phone = ?28, \
    contact = ?29, source = ?30, source_quote = ?31, notes = ?32, outside_district = ?33, \
    updated_at = ?34, verified_at = ?35, search_text = ?36, version = version + 1, \
    modified_at = ?37, combo = ?38, chainset = ?39 WHERE pk = ?40";

/// Adds a site's bounding box to the R*Tree (?1 pk, ?2 min_lon, ?3 max_lon, ?4 min_lat, ?5 max_lat,
/// in R*Tree units: `query::rtree_box`).
pub const INSERT_RTREE: &str =
    "INSERT INTO sites_rtree (id, min_lon, max_lon, min_lat, max_lat) VALUES (?1, ?2, ?3, ?4, ?5)";
/// Moves a site's bounding box in the R*Tree (parameters as [`INSERT_RTREE`]).
pub const UPDATE_RTREE: &str = "UPDATE sites_rtree SET min_lon = ?2, max_lon = ?3, \
    min_lat = ?4, max_lat = ?5 WHERE id = ?1";
/// Every site id and key (a bulk import into a small store reads them once).
pub const SITE_KEYS: &str = "SELECT id, pk FROM sites";
/// Removes a site's R*Tree entry (?1 pk): the site has no location any more.
pub const DELETE_RTREE: &str = "DELETE FROM sites_rtree WHERE id = ?1";
/// Keys and bounds (min_lon, max_lon, min_lat, max_lat) of the sites with key ≤ ?1 that have a
/// location.
pub const SITE_BOUNDS_UP_TO: &str = "SELECT pk, min_lon, max_lon, min_lat, max_lat FROM sites \
    WHERE pk <= ?1 AND min_lon IS NOT NULL";
/// How many sites the store holds.
pub const SITE_COUNT: &str = "SELECT count(*) FROM sites";
/// The secondary indexes of `sites` (not those of constraints) with their SQL.
pub const SITE_INDEXES: &str = "SELECT name, sql FROM sqlite_schema \
    WHERE type = 'index' AND tbl_name = 'sites' AND sql IS NOT NULL ORDER BY name";
/// Sets the FTS5 token buffer size (?1 bytes).
pub const FTS_HASHSIZE: &str = "INSERT INTO sites_fts (sites_fts, rank) VALUES ('hashsize', ?1)";
/// FTS5's `automerge` setting (0: commits never merge segments).
pub const FTS_AUTOMERGE: &str = "INSERT INTO sites_fts (sites_fts, rank) VALUES ('automerge', ?1)";
/// FTS5's `crisismerge` setting (segments on a level that make a commit merge it).
pub const FTS_CRISISMERGE: &str =
    "INSERT INTO sites_fts (sites_fts, rank) VALUES ('crisismerge', ?1)";
/// One incremental merge step of at most ?1 pages of the full-text index.
pub const FTS_MERGE: &str = "INSERT INTO sites_fts (sites_fts, rank) VALUES ('merge', ?1)";
/// Merges every segment of the full-text index into one.
pub const FTS_OPTIMIZE: &str = "INSERT INTO sites_fts (sites_fts) VALUES ('optimize')";

/// Facet combinations with their site counts.
pub const COMBOS: &str = "SELECT id, category_rank, kind, level, status, scope, town_code, sites \
    FROM facet_combos";
/// Interns a facet combination (?1 category rank, ?2 kind, ?3 level, ?4 status, ?5 scope, ?6 town).
/// The id of a combination (?1 category rank, ?2 kind, ?3 level, ?4 status, ?5 scope, ?6 town),
/// through its unique index.
pub const COMBO_ID: &str = "SELECT id FROM facet_combos WHERE category_rank = ?1 AND kind = ?2 \
    AND level = ?3 AND status = ?4 AND scope = ?5 AND ifnull(town_code, '') = ifnull(?6, '')";
pub const INSERT_COMBO: &str = "INSERT INTO facet_combos \
    (category_rank, kind, level, status, scope, town_code) VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
/// Adds ?2 to the site count of combination ?1.
pub const ADD_COMBO_SITES: &str = "UPDATE facet_combos SET sites = sites + ?2 WHERE id = ?1";
/// Chain sets with their site counts.
pub const CHAIN_SETS: &str = "SELECT id, category_rank, refs, sites FROM chain_sets";
/// One chain set by id, with [`CHAIN_SETS`]' columns.
pub const CHAIN_SET_BY_ID: &str =
    "SELECT id, category_rank, refs, sites FROM chain_sets WHERE id = ?1";
/// One combination by id, with [`COMBOS`]' columns.
pub const COMBO_BY_ID: &str = "SELECT id, category_rank, kind, level, status, scope, town_code, \
    sites FROM facet_combos WHERE id = ?1";
/// Interns a chain set (?1 category rank, ?2 refs as `ChainRef::format_list` writes them).
/// The id of a chain set (?1 category rank, ?2 refs), through its unique index.
pub const CHAIN_SET_ID: &str = "SELECT id FROM chain_sets WHERE category_rank = ?1 AND refs = ?2";
pub const INSERT_CHAIN_SET: &str = "INSERT INTO chain_sets (category_rank, refs) VALUES (?1, ?2)";
/// One chain or link of a chain set.
pub const INSERT_CHAIN_SET_REF: &str =
    "INSERT INTO chain_set_refs (set_id, chain_id, link_id) VALUES (?1, ?2, ?3)";
/// Adds ?2 to the site count of chain set ?1.
pub const ADD_CHAIN_SET_SITES: &str = "UPDATE chain_sets SET sites = sites + ?2 WHERE id = ?1";
/// Adds ?3 to the site count of grid cell (?1, ?2).
pub const ADD_CELL_SITES: &str = "INSERT INTO site_cells (cx, cy, sites) VALUES (?1, ?2, ?3) \
    ON CONFLICT (cx, cy) DO UPDATE SET sites = sites + excluded.sites";
/// Takes ?3 from the site count of grid cell (?1, ?2).
pub const REMOVE_CELL_SITES: &str =
    "UPDATE site_cells SET sites = sites - ?3 WHERE cx = ?1 AND cy = ?2";
/// Forgets combination ?1 when no site uses it any more.
pub const DROP_UNUSED_COMBO: &str = "DELETE FROM facet_combos WHERE id = ?1 AND sites = 0";
/// Forgets chain set ?1 when no site uses it any more.
pub const DROP_UNUSED_CHAIN_SET: &str = "DELETE FROM chain_sets WHERE id = ?1 AND sites = 0";
/// Forgets grid cell (?1, ?2) when no site lies in it any more.
pub const DROP_UNUSED_CELL: &str = "DELETE FROM site_cells WHERE cx = ?1 AND cy = ?2 AND sites = 0";
/// Sites whose box centre lies in the grid cells ?1 ≤ cx ≤ ?2, ?3 ≤ cy ≤ ?4.
pub const CELL_SITES: &str = "SELECT ifnull(sum(sites), 0) FROM site_cells \
    WHERE cx BETWEEN ?1 AND ?2 AND cy BETWEEN ?3 AND ?4";
/// Removes a site's search tokens.
pub const DELETE_FTS: &str = "DELETE FROM sites_fts WHERE rowid = ?1";
/// Writes a site's search tokens.
pub const INSERT_FTS: &str = "INSERT INTO sites_fts (rowid, tokens) VALUES (?1, ?2)";

/// True when the store holds no site.
pub const IS_EMPTY: &str = "SELECT NOT EXISTS (SELECT 1 FROM sites)";

/// A `meta` value.
pub const META_GET: &str = "SELECT value FROM meta WHERE key = ?1";
/// Sets a `meta` value.
pub const META_SET: &str = "INSERT INTO meta (key, value) VALUES (?1, ?2) \
    ON CONFLICT (key) DO UPDATE SET value = excluded.value";
/// The `meta` key of the district boundary GeoJSON.
pub const META_BOUNDARY: &str = "boundary_geojson";
/// The `meta` key of the dataset's name.
pub const META_DATASET: &str = "dataset";
/// The data version: a counter that every committed change to sites or reference data bumps
/// (absent = 0), so a server can tag its responses (HTTP `ETag`) without hashing them.
pub const DATA_VERSION: &str =
    "SELECT COALESCE((SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'data_version'), 0)";
/// Bumps the data version inside the writing transaction.
pub const BUMP_DATA_VERSION: &str = "INSERT INTO meta (key, value) VALUES ('data_version', '1') \
    ON CONFLICT (key) DO UPDATE SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT)";

/// Chains in display order.
pub const CHAINS: &str = "SELECT id, ord, name_zh, name_en FROM chains ORDER BY ord, id";
/// Links in chain order.
pub const LINKS: &str = "SELECT l.id, l.ord, l.name_zh, l.name_en, l.description_zh, l.source, \
    l.chain_id FROM links AS l JOIN chains AS c ON c.id = l.chain_id \
    ORDER BY c.ord, c.id, l.ord, l.id";
/// Divisions in stored order.
pub const DIVISIONS: &str = "SELECT code, name_zh, name_en, kind, seat_lon, seat_lat, \
    seat_crs, seat_source FROM divisions ORDER BY ord, code";
/// Indicators in stored order.
pub const INDICATORS: &str = "SELECT id, name_zh, name_en, unit, baseline, baseline_year, \
    target, target_op, target_year, measure, count_filter, source, source_quote \
    FROM indicators ORDER BY ord, id";

/// Clears reference tables (inside the replacing transaction; foreign keys are deferred).
pub const CLEAR_REFERENCE: &str =
    "DELETE FROM links; DELETE FROM chains; DELETE FROM divisions; DELETE FROM indicators;";
/// Inserts a chain.
pub const INSERT_CHAIN: &str =
    "INSERT INTO chains (id, ord, name_zh, name_en) VALUES (?1, ?2, ?3, ?4)";
/// Inserts a link.
pub const INSERT_LINK: &str = "INSERT INTO links (id, chain_id, ord, name_zh, name_en, \
    description_zh, source) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
/// Inserts a division.
pub const INSERT_DIVISION: &str = "INSERT INTO divisions (code, ord, name_zh, name_en, kind, \
    seat_lon, seat_lat, seat_crs, seat_source) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
/// Inserts an indicator.
pub const INSERT_INDICATOR: &str = "INSERT INTO indicators (id, ord, name_zh, name_en, unit, \
    baseline, baseline_year, target, target_op, target_year, measure, count_filter, source, \
    source_quote) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)";

/// Chain ids used by sites but absent from `chains` (a site's chain set names each chain once
/// per link: count sets, not rows).
pub const ORPHAN_CHAINS: &str = "SELECT r.chain_id, sum(cs.sites) \
    FROM (SELECT DISTINCT set_id, chain_id FROM chain_set_refs) AS r \
    JOIN chain_sets AS cs ON cs.id = r.set_id LEFT JOIN chains AS c ON c.id = r.chain_id \
    WHERE c.id IS NULL AND cs.sites > 0 GROUP BY r.chain_id ORDER BY r.chain_id";
/// Link ids used by sites but absent from `links`.
pub const ORPHAN_LINKS: &str = "SELECT r.link_id, sum(cs.sites) FROM chain_set_refs AS r \
    JOIN chain_sets AS cs ON cs.id = r.set_id LEFT JOIN links AS l ON l.id = r.link_id \
    WHERE r.link_id IS NOT NULL AND l.id IS NULL AND cs.sites > 0 \
    GROUP BY r.link_id ORDER BY r.link_id";
/// Town codes used by sites but absent from `divisions`.
pub const ORPHAN_TOWNS: &str = "SELECT s.town_code, count(*) FROM sites AS s \
    LEFT JOIN divisions AS d ON d.code = s.town_code \
    WHERE s.town_code IS NOT NULL AND d.code IS NULL GROUP BY s.town_code ORDER BY s.town_code";

/// Chain ids used by sites, with the number of sites on each (a site's chain set names each
/// chain once per link: count sets, not rows).
pub const USED_CHAINS: &str = "SELECT r.chain_id, sum(cs.sites) \
    FROM (SELECT DISTINCT set_id, chain_id FROM chain_set_refs) AS r \
    JOIN chain_sets AS cs ON cs.id = r.set_id WHERE cs.sites > 0 \
    GROUP BY r.chain_id ORDER BY r.chain_id";
/// Link ids used by sites, with the number of sites on each.
pub const USED_LINKS: &str = "SELECT r.link_id, sum(cs.sites) FROM chain_set_refs AS r \
    JOIN chain_sets AS cs ON cs.id = r.set_id WHERE r.link_id IS NOT NULL AND cs.sites > 0 \
    GROUP BY r.link_id ORDER BY r.link_id";
/// Forgets chain sets no site uses (their refs would name chains or links about to go).
pub const DROP_UNUSED_CHAIN_SETS: &str = "DELETE FROM chain_sets WHERE sites = 0";
/// Clears the chains and links (inside the replacing transaction; foreign keys are deferred).
pub const CLEAR_CHAINS: &str = "DELETE FROM links; DELETE FROM chains;";
/// Empties the indicators table (before it is written anew).
pub const CLEAR_INDICATORS: &str = "DELETE FROM indicators;";

/// Chain ids (validation).
pub const CHAIN_IDS: &str = "SELECT id FROM chains ORDER BY ord, id";
/// Link ids (validation).
pub const LINK_IDS: &str = "SELECT l.id FROM links AS l JOIN chains AS c ON c.id = l.chain_id \
    ORDER BY c.ord, c.id, l.ord, l.id";
/// Town codes (validation).
pub const TOWN_CODES: &str = "SELECT code FROM divisions ORDER BY ord, code";

// --- Fragments composed by the query builder -------------------------------------------------

/// Source of rows without a bbox.
pub const FROM_SITES: &str = "sites AS s";
/// Source of a page walked in list order: the list index covers every filter column but the
/// search text, so only matching rows are fetched, and the walk stops after `offset + limit`.
pub const FROM_ORDERED: &str = "sites AS s INDEXED BY sites_order";
/// Source of rows with a bbox: `CROSS JOIN` keeps the R*Tree as the outer (driving) loop.
pub const FROM_RTREE: &str = "sites_rtree AS r CROSS JOIN sites AS s ON s.pk = r.id";
/// R*Tree window (intersects), parameters min_lon, min_lat, max_lon, max_lat in R*Tree units.
pub const RTREE_WINDOW: &str =
    "r.max_lon >= {min_lon} AND r.min_lon <= {max_lon} AND r.max_lat >= {min_lat} AND r.min_lat <= {max_lat}";
/// The largest site key (keys of deleted sites are not reused while a larger one exists).
pub const MAX_PK: &str = "SELECT max(pk) FROM sites";
/// Exact bbox test (the R*Tree holds 32-bit floats rounded outwards); `+` keeps indexes out.
pub const EXACT_WINDOW: &str = "+s.max_lon >= {min_lon} AND +s.min_lon <= {max_lon} AND +s.max_lat >= {min_lat} AND +s.min_lat <= {max_lat}";
/// The category filter, on the column that leads the list index.
pub const CATEGORY_IN: &str = "{plus}s.category_rank IN ({list})";
/// The other scalar filters (kind, level, status, scope, town) at once: sites whose facet
/// combination passes `{conds}`, each a [`COMBO_ATTR_IN`]. `{combo}` is `s.combo` or `f.id`.
pub const COMBO_IN: &str = "{plus}{combo} IN (SELECT f.id FROM facet_combos AS f WHERE {conds})";
/// One condition of [`COMBO_IN`] on a column of `facet_combos`.
pub const COMBO_ATTR_IN: &str = "f.{column} IN ({list})";
/// Sites on any of the chains `{list}`. `{set}` is `s.chainset` or `cs.id`.
pub const CHAIN_IN: &str =
    "{plus}{set} IN (SELECT x.set_id FROM chain_set_refs AS x WHERE x.chain_id IN ({list}))";
/// Sites on any of the links `{list}` (as [`CHAIN_IN`]).
pub const LINK_IN: &str =
    "{plus}{set} IN (SELECT x.set_id FROM chain_set_refs AS x WHERE x.link_id IN ({list}))";
/// Sites on no chain (a CQL2 `chain IS NULL`).
pub const NO_CHAIN: &str =
    "NOT EXISTS (SELECT 1 FROM chain_set_refs AS x WHERE x.set_id = s.chainset)";
/// Sites on no link (a CQL2 `link IS NULL`).
pub const NO_LINK: &str = "NOT EXISTS (SELECT 1 FROM chain_set_refs AS x \
    WHERE x.set_id = s.chainset AND x.link_id IS NOT NULL)";
/// Sites whose facet combination is in the JSON array `{p}` (ids chosen by the facet code).
pub const COMBO_IDS: &str = "{plus}s.combo IN (SELECT value FROM json_each({p}))";
/// Sites whose chain set is in the JSON array `{p}`.
pub const CHAIN_SET_IDS: &str = "{plus}s.chainset IN (SELECT value FROM json_each({p}))";
/// Full-text narrowing; the parameter is a MATCH expression made by `search`.
pub const FTS_MATCH: &str = "s.pk IN (SELECT rowid FROM sites_fts WHERE sites_fts MATCH {p})";
/// Full-text narrowing, checked per R*Tree hit before the site row is fetched (`+` keeps the
/// R*Tree from being searched by id instead of by window).
pub const FTS_MATCH_CHECKED: &str =
    "+r.id IN (SELECT rowid FROM sites_fts WHERE sites_fts MATCH {p})";
/// The deciding substring test of a search term the full-text match does not decide.
pub const TERM: &str = "instr(s.search_text, {p}) > 0";

/// Columns of `facet_combos` the scalar filters test.
pub const COL_KIND: &str = "kind";
/// Level.
pub const COL_LEVEL: &str = "level";
/// Status.
pub const COL_STATUS: &str = "status";
/// Scope.
pub const COL_SCOPE: &str = "scope";
/// Township code.
pub const COL_TOWN: &str = "town_code";

// --- Statements the builder completes: `{source}` is `FROM … [WHERE …]` ---------------------

/// Sites in list order: category (vocabulary order), Chinese name, id.
pub const LIST: &str =
    "SELECT {columns} {source} ORDER BY s.category_rank, s.name_zh, s.id LIMIT {limit} OFFSET {offset}";
/// The columns of one list index entry (`listing::Entry::from_row` reads them in this order),
/// as [`LIST_INDEX`] and [`LIST_ENTRY`] both select them.
macro_rules! list_entry_columns {
    () => {
        "pk, combo, chainset, min_lon, max_lon, min_lat, max_lat, location_precision, lon, lat, \
         category_rank"
    };
}
/// The list index as the in-memory copy reads it (`listing`): an index-only scan in list order.
pub const LIST_INDEX: &str = concat!(
    "SELECT ",
    list_entry_columns!(),
    " FROM sites INDEXED BY sites_order ORDER BY category_rank, name_zh, id"
);
/// The stored list index's body at data version ?1 in format ?2 (`index::stored`).
pub const LIST_INDEX_COPY: &str =
    "SELECT body FROM list_index_copy WHERE data_version = ?1 AND format = ?2";
/// The data version of the stored list index in format ?1.
pub const LIST_INDEX_COPY_VERSION: &str =
    "SELECT data_version FROM list_index_copy WHERE format = ?1";
/// Stores the list index (data version ?1, format ?2, body ?3), replacing the copy before.
pub const STORE_LIST_INDEX_COPY: &str =
    "INSERT OR REPLACE INTO list_index_copy (id, data_version, format, body) VALUES (1, ?1, ?2, ?3)";
/// Allocates ?1 bytes of pages (`checkpoint`: freed again by [`CLEAR_FILE_RESERVE`] in the same
/// transaction).
pub const FILE_RESERVE: &str = "INSERT INTO file_reserve (b) VALUES (zeroblob(?1))";
/// Frees the pages [`FILE_RESERVE`] allocated.
pub const CLEAR_FILE_RESERVE: &str = "DELETE FROM file_reserve";
/// One site's stored bounds (`min_lon, max_lon, min_lat, max_lat`) by key.
pub const BOX_BY_PK: &str = "SELECT min_lon, max_lon, min_lat, max_lat FROM sites WHERE pk = ?1";
/// One site's list key (`category_rank, name_zh`) and list index entry, by id.
pub const LIST_ENTRY: &str = concat!(
    "SELECT category_rank, name_zh, ",
    list_entry_columns!(),
    " FROM sites WHERE id = ?1"
);
/// The key of the site after list key (?1 category rank, ?2 name, ?3 id) in list order.
pub const LIST_NEXT: &str = "SELECT pk FROM sites INDEXED BY sites_order \
    WHERE (category_rank, name_zh, id) > (?1, ?2, ?3) ORDER BY category_rank, name_zh, id LIMIT 1";
/// What a vector tile shows of a single site, by key.
pub const TILE_SITE: &str =
    "SELECT id, category, kind, location_precision, name_zh, name_en FROM sites WHERE pk = ?1";
/// A site's id by key (the ids of a small cluster in a vector tile).
pub const TILE_SITE_ID: &str = "SELECT id FROM sites WHERE pk = ?1";
/// What vector tiles bin of the sites of a filter: key, marker, category, precision.
pub const MARKERS: &str = "SELECT s.pk, s.lon, s.lat, s.category, s.location_precision {source}";
/// One site by key, with [`SITE_COLUMNS`].
pub const SITE_BY_PK: &str = "SELECT {columns} FROM sites AS s WHERE s.pk = ?1";
/// A page in list order that sorts keys only: the site columns (and their chain set) are read for
/// the rows of the page alone, not for every match.
pub const LIST_PAGE: &str = "SELECT {columns} FROM (SELECT s.pk AS pk, s.category_rank AS k1, \
    s.name_zh AS k2, s.id AS k3 {source} ORDER BY s.category_rank, s.name_zh, s.id \
    LIMIT {limit} OFFSET {offset}) AS page CROSS JOIN sites AS s ON s.pk = page.pk \
    ORDER BY page.k1, page.k2, page.k3";
/// How many sites match.
pub const COUNT: &str = "SELECT count(*) {source}";
/// Matching sites per location precision.
pub const COUNT_BY_PRECISION: &str =
    "SELECT s.location_precision, count(*) {source} GROUP BY s.location_precision";
/// How many sites a MATCH expression (?1) finds, when nothing else filters.
pub const COUNT_FTS: &str = "SELECT count(*) FROM sites_fts WHERE sites_fts MATCH ?1";
/// Sites of the facet combinations passing `{where}` (the stored counts answer a filter on
/// scalar columns alone).
pub const COUNT_BY_COMBOS: &str = "SELECT ifnull(sum(f.sites), 0) FROM facet_combos AS f {where}";
/// Sites of the chain sets passing `{where}` (a filter on chains and links alone).
pub const COUNT_BY_CHAIN_SETS: &str =
    "SELECT ifnull(sum(cs.sites), 0) FROM chain_sets AS cs {where}";
/// Sum of the areas of the matching sites (NULL when none has one: unknown, not zero).
pub const SUM_AREA: &str = "SELECT sum(s.area_m2) {source}";
/// Matching sites per township (NULL: none) and category rank.
pub const COUNT_BY_TOWN_CATEGORY: &str = "SELECT s.town_code, s.category_rank, count(*) \
    {source} GROUP BY s.town_code, s.category_rank";
/// Sites per `{key}` (`s.combo` or `s.chainset`), over an index ordered by it.
pub const COUNT_BY_KEY: &str = "SELECT {key}, count(*) {source} GROUP BY {key}";
/// The `{keys}` of each matching site (counted by the caller: no sort).
pub const KEYS_OF_SITES: &str = "SELECT {keys} {source}";
/// Sites by chain set.
pub const FROM_CHAIN_SET_INDEX: &str = "sites AS s INDEXED BY sites_chainset";
/// Prefix that turns a query into its plan.
pub const EXPLAIN: &str = "EXPLAIN QUERY PLAN ";
/// Refreshes planner statistics when stale.
pub const OPTIMIZE: &str = "PRAGMA optimize;";

// --- History, deletion, users (migration V3) -------------------------------------------------

/// A `sites` row (`s`) as one JSON object: what a revision keeps of a record (`before`,
/// `after`). Keys are the column keys of `atlas_core::Column` plus `version` and `created_at`;
/// reals are written with 17 significant digits, so [`SITE_FROM_JSON`] reads back the same
/// values.
pub const ROW_JSON: &str = "json_object('id', s.id, 'name_zh', s.name_zh, \
    'name_en', s.name_en, 'category', s.category, 'kind', s.kind, 'level', s.level, \
    'status', s.status, 'scope', s.scope, 'town_code', s.town_code, 'address', s.address, \
    'lon', s.lon, 'lat', s.lat, 'polygon_wkt', s.polygon_wkt, \
    'location_precision', s.location_precision, 'location_source', s.location_source, \
    'original_crs', s.original_crs, 'original_lon', s.original_lon, \
    'original_lat', s.original_lat, 'area_m2', s.area_m2, \
    'available_area_m2', s.available_area_m2, 'established', s.established, \
    'website', s.website, 'phone', s.phone, 'contact', s.contact, 'source', s.source, \
    'source_quote', s.source_quote, 'notes', s.notes, 'outside_district', s.outside_district, \
    'updated_at', s.updated_at, 'verified_at', s.verified_at, \
    'chains', (SELECT cs.refs FROM chain_sets AS cs WHERE cs.id = s.chainset), \
    'version', s.version, 'created_at', s.created_at)";

/// A record kept as [`ROW_JSON`] (?1) as a row of [`SITE_COLUMNS`], then its `version`
/// ([`col::PK`] position): read by the same code as a `sites` row.
pub const SITE_FROM_JSON: &str = "SELECT json_extract(?1, '$.id'), \
    json_extract(?1, '$.name_zh'), json_extract(?1, '$.name_en'), \
    json_extract(?1, '$.category'), json_extract(?1, '$.kind'), json_extract(?1, '$.level'), \
    json_extract(?1, '$.status'), json_extract(?1, '$.scope'), \
    json_extract(?1, '$.town_code'), json_extract(?1, '$.address'), \
    json_extract(?1, '$.lon'), json_extract(?1, '$.lat'), json_extract(?1, '$.polygon_wkt'), \
    json_extract(?1, '$.location_precision'), json_extract(?1, '$.location_source'), \
    json_extract(?1, '$.original_crs'), json_extract(?1, '$.original_lon'), \
    json_extract(?1, '$.original_lat'), json_extract(?1, '$.area_m2'), \
    json_extract(?1, '$.available_area_m2'), json_extract(?1, '$.established'), \
    json_extract(?1, '$.website'), json_extract(?1, '$.phone'), \
    json_extract(?1, '$.contact'), json_extract(?1, '$.source'), \
    json_extract(?1, '$.source_quote'), json_extract(?1, '$.notes'), \
    json_extract(?1, '$.outside_district'), json_extract(?1, '$.updated_at'), \
    json_extract(?1, '$.verified_at'), json_extract(?1, '$.chains'), \
    json_extract(?1, '$.version')";

/// The record of site `pk` (?1) as [`ROW_JSON`].
pub const ROW_JSON_BY_PK: &str = "SELECT {row_json} FROM sites AS s WHERE s.pk = ?1";

/// Writes a revision of site `pk` (?1) whose `after` is the site's row as it now is: ?2 at,
/// ?3 who, ?4 action, ?5 before (JSON or NULL).
pub const REVISION_OF_ROW: &str =
    "INSERT INTO revisions (site_id, at, who, action, before, after) \
    SELECT s.id, ?2, ?3, ?4, ?5, {row_json} FROM sites AS s WHERE s.pk = ?1";

/// Writes a revision without a stored `after` (a deletion; an import row, whose `after` is
/// [`REVISION_AFTER`]): ?1 site id, ?2 at, ?3 who, ?4 action, ?5 before.
pub const REVISION_WITHOUT_AFTER: &str = "INSERT INTO revisions \
    (site_id, at, who, action, before, after) VALUES (?1, ?2, ?3, ?4, ?5, NULL)";

/// `import` revisions of every site with key above ?1 (the sites a bulk import inserted):
/// ?2 at, ?3 who. In id order (read from the id index): `revisions_site` then grows at its end
/// instead of taking a million inserts at random places.
pub const REVISIONS_OF_NEW_ROWS: &str = "INSERT INTO revisions (site_id, at, who, action) \
    SELECT s.id, ?2, ?3, 'import' FROM sites AS s WHERE s.pk > ?1 ORDER BY s.id";

/// The record after revision `r`: stored, except for an import row, whose record is the
/// `before` of the site's next revision, or else the site's row as it is (nothing is stored
/// twice: an import of a million sites writes no copy of them). `NULL` after a deletion.
pub const REVISION_AFTER: &str = "CASE WHEN r.after IS NOT NULL OR r.action <> 'import' \
    THEN r.after ELSE coalesce(\
    (SELECT n.before FROM revisions AS n WHERE n.site_id = r.site_id AND n.rev > r.rev \
     ORDER BY n.rev LIMIT 1), \
    (SELECT {row_json} FROM sites AS s WHERE s.id = r.site_id)) END";

/// Deletes a site by key (the `sites_delete` trigger removes its R*Tree entry and search tokens
/// and takes it off the counts of its combination, chain set and grid cell).
pub const DELETE_SITE: &str = "DELETE FROM sites WHERE pk = ?1";

/// Sets the version of site `pk` (?1) to ?2 (a site restored after a deletion continues its
/// numbering).
pub const SET_SITE_VERSION: &str = "UPDATE sites SET version = ?2 WHERE pk = ?1";

/// The revisions of a site, newest first (`{after}` is [`REVISION_AFTER`]).
pub const HISTORY: &str = "SELECT r.rev, r.site_id, r.at, r.who, r.action, r.before, {after} \
    FROM revisions AS r WHERE r.site_id = ?1 ORDER BY r.rev DESC";
/// One revision (`{after}` is [`REVISION_AFTER`]).
pub const REVISION: &str = "SELECT r.rev, r.site_id, r.at, r.who, r.action, r.before, {after} \
    FROM revisions AS r WHERE r.rev = ?1";
/// The latest revision of a site (`{after}` is [`REVISION_AFTER`]).
pub const LATEST_REVISION: &str = "SELECT r.rev, r.site_id, r.at, r.who, r.action, r.before, \
    {after} FROM revisions AS r WHERE r.site_id = ?1 ORDER BY r.rev DESC LIMIT 1";

/// `q` with `{after}` replaced by [`REVISION_AFTER`] (and its `{row_json}`).
pub fn with_revision_after(q: &str) -> String {
    with_row_json(&q.replace("{after}", REVISION_AFTER))
}
/// Deleted sites: deletions that are the latest revision of their site, newest first.
pub const DELETED: &str = "SELECT r.rev, r.site_id, r.at, r.who, \
    json_extract(r.before, '$.name_zh'), json_extract(r.before, '$.name_en'), \
    json_extract(r.before, '$.category') FROM revisions AS r \
    WHERE r.action = 'delete' \
      AND r.rev = (SELECT max(x.rev) FROM revisions AS x WHERE x.site_id = r.site_id) \
    ORDER BY r.rev DESC";
/// How many revisions the store holds.
pub const REVISION_COUNT: &str = "SELECT count(*) FROM revisions";

/// Every user, by name.
pub const USERS: &str = "SELECT name, role, created_at, revoked_at FROM users ORDER BY name";
/// One user with the hash of their token.
pub const USER: &str =
    "SELECT name, role, created_at, revoked_at, token_hash FROM users WHERE name = ?1";
/// Adds a user (?1 name, ?2 role, ?3 token hash, ?4 created at).
pub const INSERT_USER: &str =
    "INSERT INTO users (name, role, token_hash, created_at) VALUES (?1, ?2, ?3, ?4)";
/// Revokes a user's token (?1 name, ?2 when) unless it is revoked already.
pub const REVOKE_USER: &str =
    "UPDATE users SET revoked_at = ?2 WHERE name = ?1 AND revoked_at IS NULL";

/// Checks the whole database file.
pub const INTEGRITY_CHECK: &str = "PRAGMA integrity_check";
/// Tables an atlas database has (a file is recognised as one by them).
pub const ATLAS_TABLES: &str = "SELECT count(*) FROM sqlite_schema WHERE type = 'table' \
    AND name IN ('meta', 'sites', 'chains', 'divisions')";
/// Sets the data version (?1).
pub const SET_DATA_VERSION: &str = "INSERT INTO meta (key, value) VALUES ('data_version', ?1) \
    ON CONFLICT (key) DO UPDATE SET value = excluded.value";
