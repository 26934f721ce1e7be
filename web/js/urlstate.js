// @ts-check
// The page state in the URL: filters (named like the API's query parameters, `filter` being a
// CQL2 text expression the server evaluates alongside the others), the colour mode,
// the map view (`map=zoom/lat/lon`), the selected site (`site=id`), the chain view's weak
// threshold (`weak_below=N`), the township totals layer (`town_totals=1`) and the open sidebar
// tab (`tab=match`). Reload or share restores it; filter and selection changes push a history
// entry, map moves replace the current one.

/**
 * @typedef {{category: string[], kind: string, chain: string, link: string, level: string,
 *   status: string, scope: string, town: string, q: string, filter: string}} Filter
 * @typedef {{zoom: number, lat: number, lon: number}} View
 * @typedef {{filter: Filter, color: 'category' | 'chain', view: View | null, site: string | null,
 *   weak: number | null, townTotals: boolean, tab: 'sites' | 'match'}} UrlState
 */

/** @type {(keyof Filter)[]} */
export const FILTER_KEYS = ['category', 'kind', 'chain', 'link', 'level', 'status', 'scope', 'town', 'q', 'filter'];

/** @returns {Filter} */
export function emptyFilter() {
  return { category: [], kind: '', chain: '', link: '', level: '', status: '', scope: '', town: '', q: '', filter: '' };
}

/**
 * Reads the state from a query string.
 * @param {string} search
 * @returns {UrlState}
 */
export function parse(search) {
  const p = new URLSearchParams(search);
  const filter = emptyFilter();
  for (const k of FILTER_KEYS) {
    const v = (p.get(k) || '').trim();
    if (k === 'category') filter.category = v ? v.split(',').map((s) => s.trim()).filter(Boolean) : [];
    else /** @type {Record<string, any>} */ (filter)[k] = v;
  }
  let view = null;
  const m = (p.get('map') || '').split('/').map(Number);
  if (m.length === 3 && m.every(Number.isFinite) && Math.abs(m[1]) <= 85 && Math.abs(m[2]) <= 180) {
    view = { zoom: m[0], lat: m[1], lon: m[2] };
  }
  const weak = Number(p.get('weak_below'));
  return {
    filter,
    color: p.get('color') === 'chain' ? 'chain' : 'category',
    view,
    site: p.get('site') || null,
    weak: Number.isInteger(weak) && weak >= 1 ? weak : null,
    townTotals: p.get('town_totals') === '1',
    tab: p.get('tab') === 'match' ? 'match' : 'sites',
  };
}

/**
 * The API query of a filter (only non-empty parameters, canonical order).
 * @param {Filter} filter
 * @returns {URLSearchParams}
 */
export function filterQuery(filter) {
  const p = new URLSearchParams();
  for (const k of FILTER_KEYS) {
    const v = k === 'category' ? filter.category.join(',') : filter[k];
    if (v) p.set(k, v);
  }
  return p;
}

/**
 * The page URL's query string for a state (`?…`), or '' when the state is the default one.
 * @param {UrlState} state
 * @returns {string}
 */
export function serialize(state) {
  const p = filterQuery(state.filter);
  if (state.color === 'chain') p.set('color', 'chain');
  if (state.view) {
    const { zoom, lat, lon } = state.view;
    p.set('map', `${zoom.toFixed(2)}/${lat.toFixed(5)}/${lon.toFixed(5)}`);
  }
  if (state.site) p.set('site', state.site);
  if (state.weak) p.set('weak_below', String(state.weak));
  if (state.townTotals) p.set('town_totals', '1');
  if (state.tab === 'match') p.set('tab', 'match');
  const s = p.toString();
  return s ? `?${s}` : '';
}

/**
 * @param {Filter} a
 * @param {Filter} b
 */
export function sameFilter(a, b) {
  return filterQuery(a).toString() === filterQuery(b).toString();
}
