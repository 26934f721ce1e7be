// @ts-check
// The static data source of a published map (`atlas publish`, config.json `mode: "static"`): the
// page's `/api/v1` reads (api.js `getJSON`) answered from the published files, in the API's own
// shapes, so every view works unchanged on any static web server, under any base path.
//
// - Reference documents (chains, divisions, vocabularies, indicators, each chain's analysis) are
//   the API's answers as published; the analysis of another weak threshold is reclassified here
//   (none → missing, fewer than the threshold → weak, as atlas_core::analysis::classify).
// - Sites: `data/table.json`, one columnar table of every published site in the API's list
//   order, answers any filter, its facets (each dimension counted with its own filter removed,
//   as the store counts them), township counts and bounds; the API's Features come from
//   `data/sites/NNNN.json` (CHUNK rows each), loaded for the rows a list page or card shows.
// - Search: `data/search.json` (the rows holding each Chinese character and each adjacent pair)
//   decides 1- and 2-character Chinese terms; any other term is narrowed by its characters and
//   checked against `data/search-text.json` (the lowercased search texts) — a substring, as the
//   server's search means it. Both load on the first search.
// - The map: the whole catalogue from the PMTiles archive (`data/sites.pmtiles`, the server's
//   tiles), through the `pmtiles://` protocol registered here; a filter's markers as GeoJSON.
// - Downloads: the published files (`downloads/`), of the whole published catalogue.

import * as maplibregl from '../vendor/maplibre-gl/maplibre-gl.mjs?v=6.17.0';

/** The vendored PMTiles browser build (web/vendor/pmtiles/README.md). */
const PMTILES_URL = 'vendor/pmtiles/pmtiles.js?v=4.5.0';
/** The filter dimensions a facet counts (in the API's facets order). */
const DIMS = ['category', 'kind', 'chain', 'link', 'level', 'status', 'scope', 'town', 'precision'];
/** Dimensions that are one column of the table. */
const SCALARS = ['category', 'kind', 'level', 'status', 'scope', 'town', 'precision'];

/** @type {any} */
let config = {};
/** @type {Map<string, Promise<any>>} */
const files = new Map();

/** Reads a published JSON file once. @param {string} path @returns {Promise<any>} */
function file(path) {
  let p = files.get(path);
  if (!p) {
    p = fetch(path).then((res) => {
      if (!res.ok) throw new StaticError(res.status, `${path}: HTTP ${res.status}`);
      return res.json();
    });
    p.catch(() => files.delete(path));
    files.set(path, p);
  }
  return p;
}

/** An answer the published files cannot give (status and code as the API would say them). */
export class StaticError extends Error {
  /** @param {number} status @param {string} message @param {string} [code] */
  constructor(status, message, code = 'not_published') {
    super(message);
    this.status = status;
    this.code = code;
  }
}

// ---------------------------------------------------------------- start

/** Loads a script once (the PMTiles browser build defines the global `pmtiles`). @param {string} src */
function loadScript(src) {
  return new Promise((resolve, reject) => {
    const s = document.createElement('script');
    s.src = src;
    s.onload = resolve;
    s.onerror = () => reject(new Error(`${src}: not loaded`));
    document.head.appendChild(s);
  });
}

/**
 * The archive's bytes for PMTiles: HTTP range requests where the web server answers them
 * (`206`, as nginx, Apache and IIS do), else — a server that ignores `Range` and sends the
 * whole file (`200`, e.g. `python3 -m http.server`) — that one download (a WholeFile).
 * The first read decides; the others wait for it.
 */
class ArchiveSource {
  /** @param {string} url */
  constructor(url) {
    this.url = url;
    /** @type {Promise<WholeFile | null> | null} the whole file (null: the server answers ranges) */
    this.whole = null;
  }

  getKey() {
    return this.url;
  }

  /** @param {number} offset @param {number} length */
  async getBytes(offset, length) {
    if (!this.whole) this.whole = this.probe(offset, length);
    const whole = await this.whole;
    if (whole) return { data: await whole.bytes(offset, length) };
    const res = await fetch(this.url, { headers: { Range: `bytes=${offset}-${offset + length - 1}` } });
    if (res.status !== 206) throw new Error(`${this.url}: HTTP ${res.status} to a range request`);
    return { data: await res.arrayBuffer() };
  }

  /** The first read: a range answered (null), or the whole file on its way. @param {number} offset @param {number} length */
  async probe(offset, length) {
    const res = await fetch(this.url, { headers: { Range: `bytes=${offset}-${offset + length - 1}` } });
    if (!res.ok || !res.body) {
      this.whole = null;
      throw new Error(`${this.url}: HTTP ${res.status}`);
    }
    if (res.status !== 206) return new WholeFile(res);
    // A range answered: the caller asks again for its bytes (the first 16 KiB, read twice).
    await res.arrayBuffer();
    return null;
  }
}

/**
 * A file read whole as it arrives: a read is answered as soon as its bytes are in. The archive's
 * header and directory come first and its tiles in zoom order, so the first view's tiles are in
 * long before the deepest zoom's.
 */
class WholeFile {
  /** @param {Response} res */
  constructor(res) {
    this.buf = new Uint8Array(Number(res.headers.get('content-length')) || 1 << 20);
    this.received = 0;
    this.done = false;
    /** @type {any} */
    this.failed = null;
    /** @type {{end: number, resolve: (b: ArrayBuffer) => void, reject: (e: any) => void, offset: number}[]} */
    this.waiting = [];
    this.read(/** @type {ReadableStream<Uint8Array>} */ (res.body).getReader()).catch((e) => {
      this.failed = e;
      this.wake();
    });
  }

  /** @param {ReadableStreamDefaultReader<Uint8Array>} reader */
  async read(reader) {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (this.received + value.length > this.buf.length) {
        const bigger = new Uint8Array(Math.max(this.buf.length * 2, this.received + value.length));
        bigger.set(this.buf.subarray(0, this.received));
        this.buf = bigger;
      }
      this.buf.set(value, this.received);
      this.received += value.length;
      this.wake();
    }
    this.done = true;
    this.wake();
  }

  /** Answers the reads whose bytes are in (a read past the end gets what there is). */
  wake() {
    this.waiting = this.waiting.filter((w) => {
      if (this.received >= w.end || this.done) w.resolve(this.buf.slice(w.offset, Math.min(w.end, this.received)).buffer);
      else if (this.failed) w.reject(this.failed);
      else return true;
      return false;
    });
  }

  /** @param {number} offset @param {number} length @returns {Promise<ArrayBuffer>} */
  bytes(offset, length) {
    return new Promise((resolve, reject) => {
      this.waiting.push({ offset, end: offset + length, resolve, reject });
      this.wake();
    });
  }
}

/** The archive's absolute URL (MapLibre's worker asks for it by this name). */
function archiveUrl() {
  return new URL((config.tiles && config.tiles.url) || 'data/sites.pmtiles', document.baseURI).href;
}

/** Starts the static source: remembers config.json and registers `pmtiles://` with MapLibre. @param {any} cfg */
export async function open(cfg) {
  config = cfg || {};
  await loadScript(PMTILES_URL);
  const pm = /** @type {any} */ (window).pmtiles;
  const protocol = new pm.Protocol();
  const archive = new pm.PMTiles(new ArchiveSource(archiveUrl()));
  protocol.add(archive);
  maplibregl.addProtocol('pmtiles', protocol.tile);
  // Its header (or, from a server without ranges, the whole file) loads while the map starts;
  // a failure shows on the map's own first read.
  archive.getHeader().catch(() => {});
}

/** The tile URL template of the published archive. @param {string} _base */
export function tiles(_base) {
  return `pmtiles://${archiveUrl()}/{z}/{x}/{y}`;
}

/** The published file of a download link (`api/v1/export?format=csv` → `downloads/atlas-sites.csv`), or the URL unchanged. @param {string} url */
export function href(url) {
  const u = new URL(url, 'http://x/');
  const route = u.pathname.replace(/^\/api\/v1\//, '');
  const format = u.searchParams.get('format') || 'xlsx';
  if (route === 'export') return (config.downloads && config.downloads[format]) || `downloads/atlas-sites.${format}`;
  if (route === 'indicators/export') return `downloads/indicators.${format}`;
  const report = route.match(/^chains\/([^/]+)\/report$/);
  if (report) return `downloads/chains/${report[1]}.${format}`;
  return url;
}

// ---------------------------------------------------------------- the table

/**
 * @typedef {object} Table
 * @property {number} n
 * @property {string[]} id
 * @property {Record<string, any[]>} values  each interned column's values
 * @property {Record<string, number[]>} cols  each interned column's value index per row
 * @property {number[]} located
 * @property {number[]} approximate
 * @property {(number[] | null)[]} marker
 * @property {(number[] | null)[]} bbox  a row's extent; null for a point (its marker) and an unlocated site
 * @property {Map<string, number>} row  site id → row
 * @property {{chain: string, link: string | null}[][]} chainsets  parsed values of `chains`
 */

/** @type {Promise<Table> | null} */
let tableP = null;

/** @returns {Promise<Table>} */
function table() {
  if (!tableP) {
    tableP = file('data/table.json').then((t) => {
      const cols = /** @type {Record<string, number[]>} */ ({});
      for (const k of [...SCALARS, 'chains']) cols[k] = t[k];
      const chainsets = t.values.chains.map((/** @type {string} */ s) => parseChains(s));
      return { ...t, cols, row: new Map(t.id.map((/** @type {string} */ id, /** @type {number} */ i) => [id, i])), chainsets };
    });
  }
  return tableP;
}

/** `chain;chain.link` (as the API writes `chains`) → [{chain, link}]. @param {string} s */
function parseChains(s) {
  return String(s || '').split(';').filter(Boolean).map((part) => {
    const dot = part.indexOf('.');
    return { chain: dot < 0 ? part : part.slice(0, dot), link: dot < 0 ? null : part };
  });
}

/**
 * A query's filter as tests on a row, one per dimension (null: no filter there), plus the
 * tests no facet removes (`located`, `bbox`, the search).
 * @typedef {{dims: Record<string, ((t: Table, r: number) => boolean) | null>, rest: ((t: Table, r: number) => boolean)[]}} Filter
 */

/** Comma list of a parameter (`,` or `，`, as the API splits). @param {URLSearchParams} q @param {string} k */
function list(q, k) {
  const v = q.get(k);
  return v ? v.split(/[,，]/).map((s) => s.trim()).filter(Boolean) : [];
}

/** @param {URLSearchParams} q @param {Set<number> | null} hits  rows the search found (null: no search) @returns {Filter} */
function filterOf(q, hits) {
  /** @type {Filter['dims']} */
  const dims = {};
  for (const d of SCALARS) {
    const want = new Set(list(q, d));
    dims[d] = want.size ? (t, r) => want.has(t.values[d][t.cols[d][r]]) : null;
  }
  const chains = new Set(list(q, 'chain'));
  dims.chain = chains.size ? (t, r) => t.chainsets[t.cols.chains[r]].some((c) => chains.has(c.chain)) : null;
  const links = new Set(list(q, 'link'));
  dims.link = links.size ? (t, r) => t.chainsets[t.cols.chains[r]].some((c) => c.link !== null && links.has(c.link)) : null;
  /** @type {Filter['rest']} */
  const rest = [];
  const located = q.get('located');
  if (located === 'true' || located === 'false') {
    const want = located === 'true' ? 1 : 0;
    rest.push((t, r) => t.located[r] === want);
  }
  const box = (q.get('bbox') || '').split(',').map(Number);
  if (box.length === 4 && box.every(Number.isFinite)) {
    rest.push((t, r) => {
      const m = t.marker[r];
      const b = t.bbox[r] || (m && [m[0], m[1], m[0], m[1]]);
      return !!b && b[0] <= box[2] && b[2] >= box[0] && b[1] <= box[3] && b[3] >= box[1];
    });
  }
  if (hits) rest.push((_t, r) => hits.has(r));
  return { dims, rest };
}

/** Rows of the table passing every test of `f`, in list order. @param {Table} t @param {Filter} f */
function matching(t, f) {
  const tests = [...Object.values(f.dims).filter(Boolean), ...f.rest];
  const out = [];
  for (let r = 0; r < t.n; r++) if (tests.every((fn) => /** @type {any} */ (fn)(t, r))) out.push(r);
  return out;
}

/** The filter of `q` with its search resolved. @param {URLSearchParams} q */
async function resolve(q) {
  const t = await table();
  const hits = q.get('q') ? await search(q.get('q') || '', t.n) : null;
  return { t, f: filterOf(q, hits) };
}

// ---------------------------------------------------------------- search

/** A character of a Chinese run as the store's tokens count it: any non-ASCII letter or digit. @param {string} c */
function cjk(c) {
  return c.charCodeAt(0) > 127 && /[\p{Alphabetic}\p{N}]/u.test(c);
}

/** @param {string} deltas @returns {number[]} */
function decodeRows(deltas) {
  const out = [];
  let r = 0;
  for (const d of deltas ? deltas.split(',') : []) {
    r += Number(d);
    out.push(r);
  }
  return out;
}

/**
 * Rows whose search text holds every whitespace-separated term (lowercased), as the server's
 * `q`. @param {string} text @param {number} n @returns {Promise<Set<number>>}
 */
async function search(text, n) {
  const index = await file('data/search.json');
  const grams = /** @type {Record<string, string>} */ (index.grams);
  /** @type {Set<number> | null} */
  let rows = null;
  for (const term of text.split(/\s+/).filter(Boolean).map((s) => s.toLowerCase())) {
    const chars = [...term];
    const decided = chars.length <= 2 && chars.every(cjk);
    /** @type {number[] | null} */
    let found = null;
    if (decided) found = decodeRows(grams[term] || '');
    else {
      // Narrowed by the term's Chinese characters (each must occur), then checked as a substring.
      /** @type {Set<number> | null} */
      let cand = null;
      for (const c of chars.filter(cjk)) {
        const s = new Set(decodeRows(grams[c] || ''));
        cand = cand ? new Set([...cand].filter((r) => s.has(r))) : s;
      }
      const texts = /** @type {string[]} */ (await file('data/search-text.json'));
      const pool = cand ? [...cand] : Array.from({ length: n }, (_, i) => i);
      found = pool.filter((r) => texts[r].includes(term));
    }
    const next = new Set(found);
    rows = rows ? new Set([...rows].filter((r) => next.has(r))) : next;
  }
  return rows || new Set();
}

// ---------------------------------------------------------------- answers

/** Features of `rows` (the API's, from the detail files). @param {number[]} rows */
async function features(rows) {
  const chunk = Number(config.chunk) || 500;
  const wanted = [...new Set(rows.map((r) => Math.floor(r / chunk)))];
  const loaded = await Promise.all(wanted.map((k) => file(`data/sites/${String(k).padStart(4, '0')}.json`)));
  const byChunk = new Map(wanted.map((k, i) => [k, loaded[i]]));
  return rows.map((r) => byChunk.get(Math.floor(r / chunk))[r % chunk]);
}

/** `sites?<filter>&limit&offset`: a page as the API's FeatureCollection. @param {URLSearchParams} q */
async function sites(q) {
  const { t, f } = await resolve(q);
  const rows = matching(t, f);
  const limit = Math.max(0, Number(q.get('limit') || 100));
  const offset = Math.max(0, Number(q.get('offset') || 0));
  const page = rows.slice(offset, offset + limit);
  const fs = await features(page);
  return { type: 'FeatureCollection', features: fs, numberMatched: rows.length, numberReturned: fs.length };
}

/** `sites/{id}`. @param {string} id */
async function site(id) {
  const t = await table();
  const r = t.row.get(id);
  if (r === undefined) throw new StaticError(404, `no site ${id}`, 'not_found');
  return (await features([r]))[0];
}

/** The values a row counts for in dimension `d`. @param {Table} t @param {number} r @param {string} d @returns {any[]} */
function valuesOf(t, r, d) {
  if (d === 'chain') return [...new Set(t.chainsets[t.cols.chains[r]].map((c) => c.chain))];
  if (d === 'link') return [...new Set(t.chainsets[t.cols.chains[r]].map((c) => c.link).filter((l) => l !== null))];
  const v = t.values[d][t.cols[d][r]];
  return v === null ? [] : [v];
}

/**
 * True when `f` asks for every site of a publication made without a filter: the published
 * answers (data/facets.json, data/town-counts.json) are then exactly what counting gives. (With
 * a filter, the server counted the filter's own dimensions over sites left out of the files.)
 * @param {Filter} f
 */
function wholePublication(f) {
  return !config.filter && f.rest.length === 0 && Object.values(f.dims).every((d) => !d);
}

/** `facets?<filter>`: each dimension counted with its own filter removed, all others applied. @param {URLSearchParams} q */
async function facets(q) {
  const [{ t, f }, template] = await Promise.all([resolve(q), file('data/facets.json')]);
  if (wholePublication(f)) return structuredClone(template);
  /** @type {Record<string, Map<any, number>>} */
  const counts = Object.fromEntries(DIMS.map((d) => [d, new Map()]));
  let total = 0;
  const add = (/** @type {string} */ d, /** @type {number} */ r) => {
    for (const v of valuesOf(t, r, d)) counts[d].set(v, (counts[d].get(v) || 0) + 1);
  };
  for (let r = 0; r < t.n; r++) {
    if (!f.rest.every((fn) => fn(t, r))) continue;
    const failed = DIMS.filter((d) => f.dims[d] && !(/** @type {any} */ (f.dims[d]))(t, r));
    if (failed.length === 0) {
      total++;
      for (const d of DIMS) add(d, r);
    } else if (failed.length === 1) add(failed[0], r);
  }
  const out = structuredClone(template);
  out.total = total;
  for (const d of DIMS) {
    const chosen = new Set(list(q, d));
    for (const e of out.facets[d] || []) {
      e.count = counts[d].get(e.id) || 0;
      e.selected = chosen.has(e.id);
    }
  }
  return out;
}

/** `divisions/counts?<filter>`: the filter's sites per township and category. @param {URLSearchParams} q */
async function townCounts(q) {
  const [{ t, f }, template] = await Promise.all([resolve(q), file('data/town-counts.json')]);
  const out = structuredClone(template);
  if (wholePublication(f)) return out;
  const zero = (/** @type {any} */ e) => {
    for (const k of Object.keys(e.counts)) e.counts[k] = 0;
    e.total = 0;
  };
  out.towns.forEach(zero);
  if (out.no_town) zero(out.no_town);
  const byCode = new Map(out.towns.map((/** @type {any} */ e) => [e.code, e]));
  for (const r of matching(t, f)) {
    const town = t.values.town[t.cols.town[r]];
    const e = town === null ? out.no_town : byCode.get(town);
    if (!e) continue;
    const cat = t.values.category[t.cols.category[r]];
    e.counts[cat] = (e.counts[cat] || 0) + 1;
    e.total++;
  }
  return out;
}

/** `tiles/sites.json?<filter>`: the TileJSON's bounds (of the located matches; none: the archive's). @param {URLSearchParams} q */
async function tileJson(q) {
  const { t, f } = await resolve(q);
  let b = null;
  for (const r of matching(t, f)) {
    const m = t.marker[r];
    if (!m) continue;
    b = b ? [Math.min(b[0], m[0]), Math.min(b[1], m[1]), Math.max(b[2], m[0]), Math.max(b[3], m[1])] : [m[0], m[1], m[0], m[1]];
  }
  return { tilejson: '3.0.0', bounds: b, minzoom: 0, maxzoom: (config.tiles && config.tiles.maxzoom) || 16 };
}

/** `chains/{id}/analysis[?weak_below=N]`: as published, reclassified for another threshold. @param {string} id @param {URLSearchParams} q */
async function analysis(id, q) {
  const a = structuredClone(await file(`data/analysis/${encodeURIComponent(id)}.json`));
  const weak = Number(q.get('weak_below'));
  if (!Number.isInteger(weak) || weak < 1 || weak === a.weak_below) return a;
  a.weak_below = weak;
  a.summary.missing = 0;
  a.summary.weak = 0;
  a.summary.present = 0;
  for (const l of a.links) {
    const k = Number(l.counts && l.counts.key_enterprise) || 0;
    l.status = k === 0 ? 'missing' : k < weak ? 'weak' : 'present';
    a.summary[l.status]++;
  }
  return a;
}

/**
 * The markers of a filter's located sites as GeoJSON points (what the map draws for a filter),
 * or null for no filter (the map draws the archive). @param {URLSearchParams} filterQ
 */
export async function markers(filterQ) {
  if (![...filterQ.keys()].length) return null;
  const { t, f } = await resolve(filterQ);
  const out = [];
  for (const r of matching(t, f)) {
    const m = t.marker[r];
    if (!m || t.values.precision[t.cols.precision[r]] === 'unknown') continue;
    out.push({
      type: 'Feature',
      geometry: { type: 'Point', coordinates: m },
      properties: {
        id: t.id[r],
        category: t.values.category[t.cols.category[r]],
        approximate: t.approximate[r] === 1,
        chains: t.values.chains[t.cols.chains[r]],
        location_precision: t.values.precision[t.cols.precision[r]],
      },
    });
  }
  return out;
}

/** Fixed documents: route → published file. */
const DOCUMENTS = /** @type {Record<string, string>} */ ({
  chains: 'data/chains.json',
  divisions: 'data/divisions.json',
  vocabularies: 'data/vocabularies.json',
  indicators: 'data/indicators.json',
});

/**
 * Answers a GET the page would send to the server (`api/v1/<route>?<query>`, or the TileJSON's
 * URL) from the published files.
 * @param {string} path @returns {Promise<any>}
 */
export async function get(path) {
  const u = new URL(path, document.baseURI);
  const q = u.searchParams;
  if (u.pathname.endsWith('/tiles/sites.json')) return tileJson(q);
  if (u.pathname.endsWith('/config.json')) return config;
  const m = u.pathname.match(/\/api\/v1\/(.+)$/);
  const route = m ? decodeURIComponent(m[1]) : '';
  if (DOCUMENTS[route]) return file(DOCUMENTS[route]);
  if (route === 'sites') return sites(q);
  if (route === 'facets') return facets(q);
  if (route === 'divisions/counts') return townCounts(q);
  const one = route.match(/^sites\/([^/]+)$/);
  if (one) return site(one[1]);
  const an = route.match(/^chains\/([^/]+)\/analysis$/);
  if (an) return analysis(an[1], q);
  throw new StaticError(404, `${route || path}: not part of the published map`);
}

/** The published file of a reference layer of the style (`/api/v1/boundary` → data/boundary.geojson). @param {string} url */
export function styleData(url) {
  if (/api\/v1\/boundary\/context$/.test(url)) return 'data/context.geojson';
  if (/api\/v1\/boundary$/.test(url)) return 'data/boundary.geojson';
  return url;
}
