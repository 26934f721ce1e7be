// @ts-check
// Pure helpers of the page at any size (no DOM, no map): which way the map draws the sites, the
// URLs of the server's vector tiles, the query of one page of sites, a list that grows a page at
// a time from the API, and what a clicked cluster of the tiles says about its members.
//
// The map draws from the server's vector tiles (`/tiles/sites/{z}/{x}/{y}.mvt?<filter>`, clusters
// with exact counts) when the catalogue holds more than TILE_THRESHOLD sites; a smaller catalogue
// is fetched whole as one GeoJSON and clustered in the browser. The catalogue's size is read once,
// at page load (an import that crosses the threshold takes effect on the next load).

/** Above this many sites in the catalogue the map draws from vector tiles. */
export const TILE_THRESHOLD = 2000;

/** Sites asked of the API per list page. */
export const PAGE_SIZE = 200;

/**
 * How the map draws the sites of a catalogue of `total` sites.
 * @param {number | null | undefined} total  the catalogue's numberMatched (null: unknown)
 * @returns {'tiles' | 'geojson'}
 */
export function mapMode(total) {
  return Number(total) > TILE_THRESHOLD ? 'tiles' : 'geojson';
}

/**
 * The tile URL template of a filter, as MapLibre takes it: `{z}/{x}/{y}` left unescaped.
 * @param {string} base  the page's base URL (document.baseURI)
 * @param {URLSearchParams} filterQ  the filter's API query (urlstate.filterQuery)
 */
export function tileTemplate(base, filterQ) {
  const q = filterQ.toString();
  return new URL('tiles/sites/', base).href + '{z}/{x}/{y}.mvt' + (q ? `?${q}` : '');
}

/**
 * The TileJSON document of a filter (its `bounds` are where the filter's sites are).
 * @param {string} base @param {URLSearchParams} filterQ
 */
export function tileJsonUrl(base, filterQ) {
  const q = filterQ.toString();
  return new URL('tiles/sites.json', base).href + (q ? `?${q}` : '');
}

/**
 * The API query of one page of a filter's sites (`extra` adds or replaces parameters: a bbox,
 * `precision=unknown`, …).
 * @param {URLSearchParams} filterQ @param {number} offset @param {number} limit
 * @param {Record<string, string>} [extra]
 */
export function pageQuery(filterQ, offset, limit, extra = {}) {
  const q = new URLSearchParams(filterQ);
  for (const [k, v] of Object.entries(extra)) q.set(k, v);
  q.set('limit', String(limit));
  if (offset > 0) q.set('offset', String(offset));
  return q;
}

/**
 * @typedef {object} PageList
 * @property {any[]} items  the features loaded so far, in the API's order
 * @property {number | null} matched  the API's numberMatched (null before the first page)
 * @property {boolean} loading
 * @property {string | null} error
 * @property {() => boolean} hasMore  more sites than loaded
 * @property {() => Promise<boolean>} next  loads the next page; false when nothing was loaded
 *   (all loaded, one already loading, or the list was reset meanwhile)
 * @property {() => void} reset  forgets everything (an answer still on its way is dropped)
 */

/**
 * A list that grows a page at a time: `load(offset, limit)` resolves a FeatureCollection with
 * `numberMatched`. One page loads at a time; a reset drops the answers of the pages before it.
 * @param {(offset: number, limit: number) => Promise<{features?: any[], numberMatched?: number}>} load
 * @param {number} [limit]
 * @returns {PageList}
 */
export function pageList(load, limit = PAGE_SIZE) {
  let generation = 0;
  /** @type {PageList} */
  const list = {
    items: [],
    matched: null,
    loading: false,
    error: null,
    hasMore: () => list.matched === null || list.items.length < list.matched,
    async next() {
      if (list.loading || !list.hasMore()) return false;
      const mine = generation;
      list.loading = true;
      try {
        const fc = await load(list.items.length, limit);
        if (mine !== generation) return false;
        const got = fc.features || [];
        list.items.push(...got);
        list.matched = fc.numberMatched ?? list.items.length;
        if (!got.length) list.matched = list.items.length; // the catalogue shrank meanwhile
        list.error = null;
        return got.length > 0;
      } catch (e) {
        if (mine !== generation) return false;
        list.error = e && /** @type {any} */ (e).message ? /** @type {any} */ (e).message : String(e);
        throw e;
      } finally {
        if (mine === generation) list.loading = false;
      }
    },
    reset() {
      generation++;
      list.items = [];
      list.matched = null;
      list.loading = false;
      list.error = null;
    },
  };
  return list;
}

/**
 * What a cluster feature of the tiles says about its members: their number, the box of their
 * markers, their ids when the server listed them (small clusters), whether they share one place.
 * @param {Record<string, any>} p  the feature's properties
 * @returns {{count: number, bbox: number[] | null, ids: string[] | null, samePlace: boolean}}
 */
export function clusterInfo(p) {
  const count = Number(p.count) || 0;
  const box = String(p.bbox || '').split(',').map(Number);
  const bbox = box.length === 4 && box.every(Number.isFinite) ? box : null;
  const ids = typeof p.ids === 'string' && p.ids ? p.ids.split(',') : null;
  const samePlace = !!bbox && bbox[0] === bbox[2] && bbox[1] === bbox[3];
  return { count, bbox, ids, samePlace };
}

/** A cluster's count as its bubble says it: 950, 1.2k, 12k (as the browser's clustering did). */
const ABBREVIATED = ['case',
  ['>=', ['get', 'count'], 10000], ['concat', ['to-string', ['round', ['/', ['get', 'count'], 1000]]], 'k'],
  ['>=', ['get', 'count'], 1000], ['concat', ['to-string', ['/', ['round', ['/', ['get', 'count'], 100]], 10]], 'k'],
  ['to-string', ['get', 'count']]];

/** The browser clustering's expressions and what the tiles' properties say instead. */
const TILE_EXPRESSIONS = [
  [['has', 'point_count'], ['==', ['get', 'cluster'], true]],
  [['get', 'point_count'], ['get', 'count']],
  [['get', 'point_count_abbreviated'], ABBREVIATED],
];

/** @param {any} x @returns {any} */
function toTileExpression(x) {
  if (!Array.isArray(x)) return x && typeof x === 'object' ? mapValues(x, toTileExpression) : x;
  const json = JSON.stringify(x);
  for (const [from, to] of TILE_EXPRESSIONS) if (json === JSON.stringify(from)) return structuredClone(to);
  return x.map(toTileExpression);
}

/** @param {Record<string, any>} o @param {(v: any) => any} fn */
function mapValues(o, fn) {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, fn(v)]));
}

/**
 * The style with its `sites` source drawn from the server's vector tiles: the same layers (same
 * symbols, hollow approximate sites, cluster bubbles), reading the tiles' `cluster` and `count`
 * where the browser's clustering wrote `point_count`.
 * @param {any} style  the page's style (atlas-style.json); not changed
 * @param {string} template  tileTemplate(…)
 * @param {number} [maxzoom]  the tiles' deepest zoom (MapLibre overzooms above)
 */
export function vectorSitesStyle(style, template, maxzoom = 16) {
  const out = structuredClone(style);
  out.sources.sites = { type: 'vector', tiles: [template], minzoom: 0, maxzoom };
  out.layers = out.layers.map((/** @type {any} */ l) => (l.source === 'sites' ? { ...toTileExpression(l), 'source-layer': 'sites' } : l));
  return out;
}

/**
 * The API query of one page of a cluster's sites: the filter within the box of the cluster's
 * markers (a box may hold a few sites of a neighbouring cluster too; the list says how many).
 * @param {URLSearchParams} filterQ @param {number[]} bbox @param {number} offset @param {number} limit
 */
export function clusterPageQuery(filterQ, bbox, offset, limit) {
  return pageQuery(filterQ, offset, limit, { bbox: bbox.join(',') });
}
