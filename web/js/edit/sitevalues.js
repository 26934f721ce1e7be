// @ts-check
// The site form's values without the form (no DOM): the canonical values of a feature, the
// client's checks of what the editor typed, and the bodies sent (PATCH of what changed, POST of
// a new site). editor.js builds the form around them; tests/e2e/unit tests them under node.

import * as L from '../labels.js';
import { siteChains, markerOf } from '../sites.js';

/** @typedef {import('../sites.js').Feature} Feature */
/** @typedef {Record<string, any>} Values  the editable values (null = empty), plus lon/lat (and id when creating) */
/** @typedef {{field: string, key: string, params?: Record<string, any>}} FieldError  an i18n key at a field */

/** Free-text properties. */
export const TEXT = ['name_zh', 'name_en', 'address', 'contact', 'phone', 'website', 'source', 'source_quote', 'notes', 'location_source'];
/** Properties chosen from a vocabulary (or the township list). */
export const SELECTS = ['category', 'kind', 'level', 'status', 'scope', 'town_code', 'location_precision'];
/** Numeric properties. */
export const NUMBERS = ['area_m2', 'available_area_m2', 'established'];
/** Every property the form edits. */
export const EDITABLE = [...TEXT, ...SELECTS, ...NUMBERS, 'chains'];
const ID_RE = /^[a-z0-9][a-z0-9_-]{0,79}$/;
const PRECISE = ['surveyed', 'building', 'street'];

/** @param {unknown} v */
const blank = (v) => v === null || v === undefined || String(v).trim() === '';

/**
 * The chain and link ids of a `chains` text, sorted (a link stands for itself, not its chain).
 * @param {string | null | undefined} text
 * @returns {string[]}
 */
export function chainList(text) {
  return siteChains(text).map((c) => c.link || c.chain).sort();
}

/**
 * The editable values of a feature, canonical (null for empty) so that two can be compared.
 * @param {Feature | null} f
 * @returns {Values}
 */
export function valuesOf(f) {
  const p = (f && f.properties) || {};
  /** @type {Values} */
  const v = {};
  for (const k of TEXT) v[k] = blank(p[k]) ? null : String(p[k]).trim();
  for (const k of SELECTS) v[k] = blank(p[k]) ? null : String(p[k]);
  for (const k of NUMBERS) v[k] = Number.isFinite(p[k]) ? p[k] : null;
  const chains = chainList(p.chains);
  v.chains = chains.length ? chains.join(';') : null;
  const pt = f ? markerOf(f) : null;
  v.lon = pt ? pt[0] : null;
  v.lat = pt ? pt[1] : null;
  return v;
}

/**
 * The client's checks: `raw` holds the form's texts (`*Bad` = the browser could not read a
 * number). Returns `{values, errors: [{field, key, params}]}`.
 * @param {Record<string, any>} raw
 * `unlocated`: the record has no location yet (precision unknown), so blank lon/lat stay blank.
 * @param {{creating: boolean, pointEditable: boolean, unlocated?: boolean}} opts
 * @returns {{values: Values, errors: FieldError[]}}
 */
export function validateSite(raw, { creating, pointEditable, unlocated = false }) {
  /** @type {FieldError[]} */
  const errors = [];
  /** @param {string} field @param {string} key @param {Record<string, any>} [params] */
  const err = (field, key, params) => errors.push({ field, key, params });
  /** @type {Values} */
  const values = {};
  if (creating) {
    const id = String(raw.id || '').trim();
    if (!id) err('id', 'errRequired');
    else if (!ID_RE.test(id)) err('id', 'errIdFormat');
    values.id = id;
  }
  for (const k of TEXT) values[k] = blank(raw[k]) ? null : String(raw[k]).trim();
  for (const k of SELECTS) values[k] = blank(raw[k]) ? null : String(raw[k]);
  if (!values.name_zh) err('name_zh', 'errRequired');
  else if ([...values.name_zh].length > 200) err('name_zh', 'errTooLong', { n: 200 });
  if (values.name_en && [...values.name_en].length > 200) err('name_en', 'errTooLong', { n: 200 });
  if (!values.category) err('category', 'errRequired');
  if (!values.kind) err('kind', 'errRequired');
  else if (values.category && L.kindCategory[values.kind] && L.kindCategory[values.kind] !== values.category) err('kind', 'errKindCategory');
  if (!values.source) err('source', 'errRequired');

  /** @param {string} k @param {{min?: number | null, integer?: boolean}} [o] @returns {number | null} */
  const number = (k, { min = null, integer = false } = {}) => {
    if (raw[`${k}Bad`]) {
      err(k, 'errNumber');
      return null;
    }
    if (blank(raw[k])) return null;
    const n = Number(String(raw[k]).trim());
    if (!Number.isFinite(n)) {
      err(k, 'errNumber');
      return null;
    }
    if (integer && (!Number.isInteger(n) || n < 1000 || n > 9999)) {
      err(k, 'errYear');
      return null;
    }
    if (min !== null && n < min) {
      err(k, 'errAreaNegativeField');
      return null;
    }
    return n;
  };
  values.area_m2 = number('area_m2', { min: 0 });
  values.available_area_m2 = number('available_area_m2', { min: 0 });
  values.established = number('established', { integer: true });

  values.chains = raw.chains && raw.chains.length ? [...raw.chains].sort().join(';') : null;

  values.lon = null;
  values.lat = null;
  if (pointEditable) {
    const lon = number('lon');
    const lat = number('lat');
    const lonGiven = !blank(raw.lon) || raw.lonBad;
    const latGiven = !blank(raw.lat) || raw.latBad;
    if (lonGiven !== latGiven) err(lonGiven ? 'lat' : 'lon', creating ? 'errLonLatBoth' : 'errLonLatNeeded');
    else if (!lonGiven && !creating && !unlocated) {
      err('lon', 'errLonLatNeeded');
    }
    if (lon !== null && Math.abs(lon) > 180) err('lon', 'errLon');
    else values.lon = lon;
    if (lat !== null && Math.abs(lat) > 90) err('lat', 'errLat');
    else values.lat = lat;
    if (creating) {
      const hasPoint = values.lon !== null && values.lat !== null;
      if (hasPoint && !values.location_precision) err('location_precision', 'errPrecisionRequired');
      if (!hasPoint && !lonGiven && !latGiven && PRECISE.includes(values.location_precision)) err('location_precision', 'errPrecisionNeedsPoint');
    }
  }
  return { values, errors };
}

/**
 * The PATCH body: the properties that changed (null clears one) and the geometry if it moved.
 * @param {Values} before
 * @param {Values} values
 * @param {{pointEditable: boolean}} opts
 * @returns {{properties?: Record<string, any>, geometry?: {type: 'Point', coordinates: number[]}}}
 */
export function patchOf(before, values, { pointEditable }) {
  /** @type {Record<string, any>} */
  const properties = {};
  for (const k of EDITABLE) {
    if (JSON.stringify(before[k] ?? null) !== JSON.stringify(values[k] ?? null)) properties[k] = values[k] ?? null;
  }
  /** @type {{properties?: Record<string, any>, geometry?: {type: 'Point', coordinates: number[]}}} */
  const body = {};
  let moved = false;
  if (pointEditable && values.lon !== null && values.lat !== null) {
    moved = before.lon === null || Math.abs(before.lon - values.lon) > 1e-9 || Math.abs(before.lat - values.lat) > 1e-9;
  }
  if (Object.keys(properties).length) body.properties = properties;
  if (moved) body.geometry = { type: 'Point', coordinates: [values.lon, values.lat] };
  return body;
}

/**
 * The POST body of a new site.
 * @param {Values} values
 * @returns {Feature}
 */
export function featureOf(values) {
  /** @type {Record<string, any>} */
  const properties = { id: values.id };
  for (const k of EDITABLE) if (values[k] !== null && values[k] !== undefined) properties[k] = values[k];
  const hasPoint = values.lon !== null && values.lat !== null;
  return {
    type: 'Feature',
    id: values.id,
    geometry: hasPoint ? { type: 'Point', coordinates: [values.lon, values.lat] } : null,
    properties,
  };
}

/**
 * Seven decimals (about a centimetre): what the importer keeps.
 * @param {number} x
 */
export const round7 = (x) => Math.round(x * 1e7) / 1e7;
