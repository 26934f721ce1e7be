// @ts-check
// Pure helpers of locating a site (no DOM, no map; unit-tested under node): the coordinates of an
// Amap / Baidu / Tencent share link, typed coordinate text, the "located X / N" counter and the
// PATCH body that gives a site its point. Errors are i18n keys (see i18n.js), never thrown.

/** @typedef {'wgs84' | 'gcj02' | 'bd09'} Crs */
/** @typedef {{lon: number, lat: number}} LonLat */
/** @typedef {{ok: true, lon: number, lat: number, crs: Crs} | {ok: false, error: string}} LinkResult */
/** @typedef {{ok: true, lon: number, lat: number} | {ok: false, error: string}} CoordResult */

/** The CRSs an editor may type coordinates in (the server converts to WGS84 and keeps the original). */
export const CRS = /** @type {const} */ (['wgs84', 'gcj02', 'bd09']);

/** The precisions an editor may give a point (a click or a typed coordinate is never `town`/`district`). */
export const LOCATE_PRECISIONS = /** @type {const} */ (['surveyed', 'building', 'street']);

/** Hosts of share links that carry no coordinate (they must be opened, then the full link pasted). */
const SHORT_HOSTS = ['surl.amap.com', 'url.amap.com', 'mo.amap.com', 'j.map.baidu.com', 'dwz.cn', 'map.qq.com/m', 't.cn'];

/** @param {number} lon @param {number} lat */
export function inRange(lon, lat) {
  return Number.isFinite(lon) && Number.isFinite(lat) && Math.abs(lon) <= 180 && Math.abs(lat) <= 90;
}

/** Rounds to 7 decimals (about 1 cm), the precision the store keeps. @param {number} x */
export function round7(x) {
  return Math.round(x * 1e7) / 1e7;
}

/** The first http(s) URL in a pasted text (share texts wrap the link in words), or null. @param {string} text */
export function firstUrl(text) {
  const m = /https?:\/\/[^\s"'<>，。）)】]+/i.exec(String(text || ''));
  return m ? m[0] : null;
}

/** `"a,b"` → [a, b] as numbers, or null. @param {string | null} v */
function pair(v) {
  if (!v) return null;
  const parts = v.split(/[,，\s]+/).filter(Boolean).map(Number);
  return parts.length === 2 && parts.every(Number.isFinite) ? parts : null;
}

/** Which map a URL's host belongs to. @param {string} host @returns {'amap' | 'baidu' | 'qq' | null} */
function providerOf(host) {
  if (/(^|\.)(amap|autonavi|gaode)\.com$/.test(host)) return 'amap';
  if (/(^|\.)baidu\.com$/.test(host)) return 'baidu';
  if (/(^|\.)qq\.com$/.test(host)) return 'qq';
  return null;
}

/** Baidu's `coord_type` (bd09ll, gcj02, wgs84) as our CRS; Baidu's own by default. @param {string | null} v @returns {Crs} */
function baiduCrs(v) {
  const s = String(v || '').toLowerCase();
  if (s === 'wgs84') return 'wgs84';
  if (s === 'gcj02') return 'gcj02';
  return 'bd09';
}

/**
 * [lon, lat] of a URL's query, by provider: Amap `position=` / `lnglat=` / `lng=&lat=` (lon first);
 * Baidu `location=` / `latlng=` (lat first); Tencent `marker=coord:` / `coord=` (lat first).
 * @param {'amap' | 'baidu' | 'qq'} provider @param {URLSearchParams} q @returns {number[] | null}
 */
function coordsOf(provider, q) {
  const lonFirst = pair(q.get('position')) || pair(q.get('lnglat'));
  if (lonFirst) return lonFirst;
  const lng = Number(q.get('lng') ?? q.get('lon') ?? NaN);
  const lat = Number(q.get('lat') ?? NaN);
  if (q.has('lat') && Number.isFinite(lng) && Number.isFinite(lat)) return [lng, lat];
  const marker = q.get('marker');
  const latFirst = pair(q.get('location')) || pair(q.get('latlng')) || pair(q.get('coord'))
    || (marker ? pair((/coord:([^;]+)/.exec(marker) || [])[1] || null) : null);
  if (latFirst) return [latFirst[1], latFirst[0]];
  return provider === 'amap' ? pair(q.get('q')) : null;
}

/**
 * The coordinates of a pasted Amap/Baidu/Tencent share link, with their CRS (Amap and Tencent:
 * GCJ-02; Baidu: BD-09 unless `coord_type` says otherwise). A short link, another site's link
 * or a link without coordinates is an error key.
 * @param {string} text
 * @returns {LinkResult}
 */
export function parseShareLink(text) {
  const raw = firstUrl(text);
  if (!raw) return { ok: false, error: 'linkNone' };
  let url;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, error: 'linkNone' };
  }
  const host = url.hostname.toLowerCase();
  const provider = providerOf(host);
  const q = new URLSearchParams(url.search.replace(/&amp;/g, '&'));
  const c = provider ? coordsOf(provider, q) : null;
  if (!c) {
    const short = SHORT_HOSTS.some((s) => (host + url.pathname).startsWith(s));
    if (short) return { ok: false, error: 'linkShort' };
    return { ok: false, error: provider ? 'linkNoCoords' : 'linkUnknown' };
  }
  let [lon, lat] = c;
  // A link that put latitude first where longitude belongs (China: lon 73–136, lat 3–54).
  if (Math.abs(lon) <= 90 && Math.abs(lat) > 90) [lon, lat] = [lat, lon];
  if (!inRange(lon, lat)) return { ok: false, error: 'errCoordRange' };
  const crs = provider === 'baidu' ? baiduCrs(q.get('coord_type')) : 'gcj02';
  return { ok: true, lon, lat, crs };
}

/**
 * Typed coordinates: "lon, lat" (comma, Chinese comma, semicolon or spaces between them).
 * @param {string} text
 * @returns {CoordResult}
 */
export function parseCoordText(text) {
  const s = String(text || '').trim();
  if (!s) return { ok: false, error: 'errCoordEmpty' };
  const parts = s.split(/[\s,，;；]+/).filter(Boolean);
  if (parts.length !== 2) return { ok: false, error: 'errCoordFormat' };
  const [lon, lat] = parts.map(Number);
  if (!Number.isFinite(lon) || !Number.isFinite(lat)) return { ok: false, error: 'errCoordFormat' };
  if (Math.abs(lon) <= 90 && Math.abs(lat) > 90 && Math.abs(lat) <= 180) return { ok: false, error: 'errCoordOrder' };
  if (!inRange(lon, lat)) return { ok: false, error: 'errCoordRange' };
  return { ok: true, lon, lat };
}

/**
 * The locate PATCH body (`properties.crs` says what CRS the coordinates are in; the server
 * converts and keeps the original), or the error keys of what is missing.
 * @param {{lon: number, lat: number, crs: string, precision: string, source: string}} o
 * @returns {{ok: true, body: any} | {ok: false, errors: {field: string, key: string}[]}}
 */
export function locatePatch({ lon, lat, crs, precision, source }) {
  /** @type {{field: string, key: string}[]} */
  const errors = [];
  if (!inRange(lon, lat)) errors.push({ field: 'point', key: 'errPointNeeded' });
  if (!CRS.includes(/** @type {any} */ (crs))) errors.push({ field: 'crs', key: 'errCrs' });
  if (!LOCATE_PRECISIONS.includes(/** @type {any} */ (precision))) errors.push({ field: 'precision', key: 'errPrecisionNeeded' });
  const note = String(source || '').trim();
  if (!note) errors.push({ field: 'source', key: 'errSourceNeeded' });
  if (errors.length) return { ok: false, errors };
  return {
    ok: true,
    body: {
      geometry: { type: 'Point', coordinates: [round7(lon), round7(lat)] },
      properties: { location_precision: precision, location_source: note, crs },
    },
  };
}

/**
 * The worklist counter: how many of all sites are located (total minus the worklist's count).
 * @param {number} total  all sites @param {number} unlocated  `located=false` numberMatched
 * @returns {{located: number, total: number}}
 */
export function locatedCount(total, unlocated) {
  const t = Math.max(0, Number(total) || 0);
  const u = Math.min(t, Math.max(0, Number(unlocated) || 0));
  return { located: t - u, total: t };
}

/**
 * Whether a feature has a location the map can draw (a site of precision `unknown` has
 * `geometry: null` and is never drawn).
 * @param {{geometry?: any, properties?: Record<string, any>}} f
 */
export function hasLocation(f) {
  return !!(f && f.geometry && f.geometry.coordinates) && !(f.properties && f.properties.location_precision === 'unknown');
}

/**
 * The unknown-location count of the facets' `precision` group (null when the server has none).
 * @param {Record<string, any[]> | null} facets
 * @returns {number | null}
 */
export function unknownCount(facets) {
  const g = facets && facets.precision;
  if (!Array.isArray(g)) return null;
  const e = g.find((x) => x && (x.value === 'unknown' || x.id === 'unknown'));
  return e ? Number(e.count) || 0 : 0;
}
