//! Every SQL statement of the store, in one place. The query builder (`query`) composes the
//! fixed fragments below; values always travel as bound parameters, never inside SQL text.

/// Columns read for a site, in the order of [`col`]. `s` is the `sites` table.
pub const SITE_COLUMNS: &str = "s.id, s.name_zh, s.name_en, s.category, s.kind, s.level, \
    s.status, s.scope, s.town_code, s.address, s.lon, s.lat, s.polygon_wkt, \
    s.location_precision, s.location_source, s.original_crs, s.original_lon, s.original_lat, \
    s.area_m2, s.available_area_m2, s.established, s.website, s.phone, s.contact, s.source, \
    s.source_quote, s.notes, s.outside_district, s.updated_at, s.verified_at, \
    (SELECT group_concat(coalesce(c.link_id, c.chain_id), ';') FROM site_chains AS c \
     WHERE c.site_pk = s.pk) AS chains";

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
}

/// One site by id.
pub const SITE_BY_ID: &str = "WHERE s.id = ?1";

/// The version of a site.
pub const SITE_VERSION: &str = "SELECT version FROM sites WHERE id = ?1";

/// Inserts a site; parameters in the order of `import::SiteRow::params`.
pub const INSERT_SITE: &str = "INSERT INTO sites (id, name_zh, name_en, category, \
    category_rank, kind, level, status, scope, town_code, address, lon, lat, polygon_wkt, \
    min_lon, min_lat, max_lon, max_lat, location_precision, location_source, original_crs, \
    original_lon, original_lat, area_m2, available_area_m2, established, website, phone, \
    contact, source, source_quote, notes, outside_district, updated_at, verified_at, \
    search_text, version, created_at, modified_at) \
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, \
    ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30, ?31, ?32, ?33, ?34, ?35, ?36, \
    1, ?37, ?37)";

/// Updates a changed site (by `pk` = ?38): bumps `version`, keeps `created_at`.
pub const UPDATE_SITE: &str = "UPDATE sites SET id = ?1, name_zh = ?2, name_en = ?3, \
    category = ?4, category_rank = ?5, kind = ?6, level = ?7, status = ?8, scope = ?9, \
    town_code = ?10, address = ?11, lon = ?12, lat = ?13, polygon_wkt = ?14, min_lon = ?15, \
    min_lat = ?16, max_lon = ?17, max_lat = ?18, location_precision = ?19, \
    location_source = ?20, original_crs = ?21, original_lon = ?22, original_lat = ?23, \
    area_m2 = ?24, available_area_m2 = ?25, established = ?26, website = ?27, phone = ?28, \
    contact = ?29, source = ?30, source_quote = ?31, notes = ?32, outside_district = ?33, \
    updated_at = ?34, verified_at = ?35, search_text = ?36, version = version + 1, \
    modified_at = ?37 WHERE pk = ?38";

/// Adds a site's bounding box to the R*Tree (?1 pk, ?2 min_lon, ?3 max_lon, ?4 min_lat, ?5 max_lat).
pub const INSERT_RTREE: &str =
    "INSERT INTO sites_rtree (id, min_lon, max_lon, min_lat, max_lat) VALUES (?1, ?2, ?3, ?4, ?5)";
/// Moves a site's bounding box in the R*Tree (parameters as [`INSERT_RTREE`]).
pub const UPDATE_RTREE: &str = "UPDATE sites_rtree SET min_lon = ?2, max_lon = ?3, \
    min_lat = ?4, max_lat = ?5 WHERE id = ?1";
/// Removes a site's chains (before writing them again).
pub const DELETE_SITE_CHAINS: &str = "DELETE FROM site_chains WHERE site_pk = ?1";
/// Adds one chain/link of a site.
pub const INSERT_SITE_CHAIN: &str =
    "INSERT OR IGNORE INTO site_chains (site_pk, chain_id, link_id, first_of_chain) \
     VALUES (?1, ?2, ?3, ?4)";
/// Removes a site's search tokens.
pub const DELETE_FTS: &str = "DELETE FROM sites_fts WHERE rowid = ?1";
/// Writes a site's search tokens.
pub const INSERT_FTS: &str = "INSERT INTO sites_fts (rowid, uni, bi, tri) VALUES (?1, ?2, ?3, ?4)";

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

/// Chain ids used by sites but absent from `chains`.
pub const ORPHAN_CHAINS: &str = "SELECT sc.chain_id, count(DISTINCT sc.site_pk) \
    FROM site_chains AS sc LEFT JOIN chains AS c ON c.id = sc.chain_id \
    WHERE c.id IS NULL GROUP BY sc.chain_id ORDER BY sc.chain_id";
/// Link ids used by sites but absent from `links`.
pub const ORPHAN_LINKS: &str = "SELECT sc.link_id, count(DISTINCT sc.site_pk) \
    FROM site_chains AS sc LEFT JOIN links AS l ON l.id = sc.link_id \
    WHERE sc.link_id IS NOT NULL AND l.id IS NULL GROUP BY sc.link_id ORDER BY sc.link_id";
/// Town codes used by sites but absent from `divisions`.
pub const ORPHAN_TOWNS: &str = "SELECT s.town_code, count(*) FROM sites AS s \
    LEFT JOIN divisions AS d ON d.code = s.town_code \
    WHERE s.town_code IS NOT NULL AND d.code IS NULL GROUP BY s.town_code ORDER BY s.town_code";

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
/// Source of rows with a bbox: `CROSS JOIN` keeps the R*Tree as the outer (driving) loop.
pub const FROM_RTREE: &str = "sites_rtree AS r CROSS JOIN sites AS s ON s.pk = r.id";
/// R*Tree window (intersects), parameters min_lon, min_lat, max_lon, max_lat.
pub const RTREE_WINDOW: &str =
    "r.max_lon >= {min_lon} AND r.min_lon <= {max_lon} AND r.max_lat >= {min_lat} AND r.min_lat <= {max_lat}";
/// The largest site key (≈ the number of sites: sites are not deleted).
pub const MAX_PK: &str = "SELECT max(pk) FROM sites";
/// Counts R*Tree hits of a window up to a limit (?5): is the box small enough for the R*Tree to drive?
pub const RTREE_PROBE: &str = "SELECT count(*) FROM (SELECT 1 FROM sites_rtree AS r WHERE \
    r.max_lon >= ?1 AND r.min_lon <= ?3 AND r.max_lat >= ?2 AND r.min_lat <= ?4 LIMIT ?5)";
/// Exact bbox test (the R*Tree holds 32-bit floats rounded outwards); `+` keeps indexes out.
pub const EXACT_WINDOW: &str = "+s.max_lon >= {min_lon} AND +s.min_lon <= {max_lon} AND +s.max_lat >= {min_lat} AND +s.min_lat <= {max_lat}";
/// Sites on any of the chains `{list}`, when the chain index may drive.
pub const CHAIN_IN: &str = "s.pk IN (SELECT c.site_pk FROM site_chains AS c \
     WHERE c.chain_id IN ({list}) AND c.first_of_chain = 1)";
/// Sites on any of the chains `{list}`, checked per R*Tree hit. Correlated on `r.id`, not
/// `s.pk`, so SQLite tests it before fetching the site row: only matches are fetched.
pub const CHAIN_EXISTS: &str =
    "EXISTS (SELECT 1 FROM site_chains AS c WHERE c.site_pk = r.id AND c.chain_id IN ({list}) \
     AND c.first_of_chain = 1)";
/// Sites on any of the links `{list}`, when the link index may drive.
pub const LINK_IN: &str =
    "s.pk IN (SELECT c.site_pk FROM site_chains AS c WHERE c.link_id IN ({list}))";
/// Sites on any of the links `{list}`, checked per R*Tree hit (as [`CHAIN_EXISTS`]).
pub const LINK_EXISTS: &str =
    "EXISTS (SELECT 1 FROM site_chains AS c WHERE c.site_pk = r.id AND c.link_id IN ({list}))";
/// Full-text narrowing; the parameter is a MATCH expression made by `search`.
pub const FTS_MATCH: &str = "s.pk IN (SELECT rowid FROM sites_fts WHERE sites_fts MATCH {p})";
/// Full-text narrowing, checked per R*Tree hit before the site row is fetched (`+` keeps the
/// R*Tree from being searched by id instead of by window).
pub const FTS_MATCH_CHECKED: &str =
    "+r.id IN (SELECT rowid FROM sites_fts WHERE sites_fts MATCH {p})";
/// The deciding substring test of a search term the full-text match does not decide.
pub const TERM: &str = "instr(s.search_text, {p}) > 0";
/// One filter on an attribute column (`{plus}` is `+` when the R*Tree must keep driving).
pub const ATTR_IN: &str = "{plus}{column} IN ({list})";

// --- Statements the builder completes: `{source}` is `FROM … [WHERE …]` ---------------------

/// A page of sites in list order: category (vocabulary order), Chinese name, id.
pub const LIST: &str =
    "SELECT {columns} {source} ORDER BY s.category_rank, s.name_zh, s.id LIMIT {limit} OFFSET {offset}";
/// How many sites match.
pub const COUNT: &str = "SELECT count(*) {source}";
/// How many sites a MATCH expression (?1) finds, when nothing else filters.
pub const COUNT_FTS: &str = "SELECT count(*) FROM sites_fts WHERE sites_fts MATCH ?1";
/// Sum of the areas of the matching sites (0.0 when none has one).
pub const SUM_AREA: &str = "SELECT total(s.area_m2) {source}";
/// Counts per combination of the scalar facet columns (category as its rank: the
/// `sites_facets` index covers these columns).
pub const FACET_COMBOS: &str = "SELECT s.category_rank, s.kind, s.level, s.status, s.scope, \
    s.town_code, count(*) {source} \
    GROUP BY s.category_rank, s.kind, s.level, s.status, s.scope, s.town_code";
/// Sites per chain (`{source}` joins [`JOIN_CHAIN_MEMBERS`]).
pub const CHAIN_FACET: &str = "SELECT fc.chain_id, count(*) {source} GROUP BY fc.chain_id";
/// Sites per link (`{source}` joins [`JOIN_LINKS`]; (site, link) pairs are unique).
pub const LINK_FACET: &str = "SELECT fc.link_id, count(*) {source} GROUP BY fc.link_id";
/// Sites per (chain, link or NULL, category rank) (`{source}` joins [`JOIN_CHAIN_REFS`]).
pub const CHAIN_COUNTS_BY_LINK: &str = "SELECT fc.chain_id, fc.link_id, s.category_rank, \
    count(*) {source} GROUP BY fc.chain_id, fc.link_id, s.category_rank";
/// Sites per (chain, category rank), each site once per chain ([`JOIN_CHAIN_MEMBERS`]).
pub const CHAIN_COUNTS_BY_CHAIN: &str = "SELECT fc.chain_id, s.category_rank, \
    count(*) {source} GROUP BY fc.chain_id, s.category_rank";
/// Prefix that turns a query into its plan.
pub const EXPLAIN: &str = "EXPLAIN QUERY PLAN ";
/// Refreshes planner statistics when stale.
pub const OPTIMIZE: &str = "PRAGMA optimize;";
/// Category as its vocabulary position (filters use it: it leads the order index).
pub const COL_CATEGORY_RANK: &str = "s.category_rank";
/// Kind.
pub const COL_KIND: &str = "s.kind";
/// Level.
pub const COL_LEVEL: &str = "s.level";
/// Status.
pub const COL_STATUS: &str = "s.status";
/// Scope.
pub const COL_SCOPE: &str = "s.scope";
/// Township code.
pub const COL_TOWN: &str = "s.town_code";
/// Joins each site to all its chain rows.
pub const JOIN_CHAIN_REFS: &str = "JOIN site_chains AS fc ON fc.site_pk = s.pk";
/// Joins each site to one row per chain it is on.
pub const JOIN_CHAIN_MEMBERS: &str =
    "JOIN site_chains AS fc ON fc.site_pk = s.pk AND fc.first_of_chain = 1";
/// Joins each site to its link rows.
pub const JOIN_LINKS: &str =
    "JOIN site_chains AS fc ON fc.site_pk = s.pk AND fc.link_id IS NOT NULL";
/// Chain facet when nothing else filters.
pub const CHAIN_FACET_ALL: &str =
    "SELECT chain_id, count(*) FROM site_chains WHERE first_of_chain = 1 GROUP BY chain_id";
/// Link facet when nothing else filters ((site, link) pairs are unique).
pub const LINK_FACET_ALL: &str = "SELECT link_id, count(*) FROM site_chains \
    WHERE link_id IS NOT NULL GROUP BY link_id";
