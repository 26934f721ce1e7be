// @ts-check
// The filter form: the search box, the category layer toggles (with counts), the township totals
// toggle, the chain/link and "more filters" selects (each option with its count of the current
// filter), the CQL2 box (a filter in the text GIS staff write for /ogc), the export link of the filter. Changes go to the store through `app.setFilter`.

import { t, num, lang } from '../i18n.js';
import { h, clear, $, debounce, keepFocus } from '../dom.js';
import { symbolIcon } from '../symbols.js';
import { apiUrl, staticSource } from '../api.js';
import * as urlstate from '../urlstate.js';
import * as L from '../labels.js';

/** @typedef {import('../page.js').App} App */

export const CATEGORIES = ['innovation_resource', 'carrier_platform', 'key_enterprise'];
const SELECTS = ['chain', 'link', 'kind', 'level', 'status', 'scope', 'town'];
/** The filters under "more filters". */
export const MORE = ['kind', 'level', 'status', 'scope', 'town'];

/**
 * The categories after a layer toggle (`[]` = all), or null when none would be left.
 * @param {string[]} current  the filter's categories (`[]` = all)
 * @param {string} cat
 * @param {boolean} on
 * @returns {string[] | null}
 */
export function toggledCategories(current, cat, on) {
  let cats = current.length ? [...current] : [...CATEGORIES];
  if (on && !cats.includes(cat)) cats.push(cat);
  if (!on) cats = cats.filter((c) => c !== cat);
  if (!cats.length) return null;
  cats = CATEGORIES.filter((c) => cats.includes(c));
  return cats.length === CATEGORIES.length ? [] : cats;
}

/** @typedef {{value: string, label: string, count?: number | null}} Option */

/**
 * Fills a filter select: "all" (or a placeholder), the options that would find something, and a
 * list value ("any of", e.g. from a progress-board link) as its labels joined.
 * @param {string} id @param {Option[]} options @param {string} value
 * @param {{disabled?: boolean, placeholder?: string, keepZero?: boolean}} [o]
 */
function fill(id, options, value, { disabled = false, placeholder, keepZero = false } = {}) {
  const sel = /** @type {HTMLSelectElement} */ (clear($(`f-${id}`)));
  sel.appendChild(h('option', { value: '' }, placeholder || t('all')));
  for (const o of options) {
    if (o.count === 0 && o.value !== value && !keepZero) continue; // only values that would find something
    sel.appendChild(h('option', { value: o.value, 'data-count': o.count ?? '' }, o.count === null || o.count === undefined ? o.label : `${o.label}（${num(o.count)}）`));
  }
  if (value && ![...sel.options].some((op) => op.value === value)) {
    const label = value.split(',').map((v) => (id === 'chain' ? L.chainLabel(v) : id === 'link' ? L.linkLabel(v) : id === 'town' ? L.townLabel(v) : L.vocabLabel(id, v))).join('、');
    sel.appendChild(h('option', { value }, label));
  }
  sel.value = value || '';
  sel.disabled = disabled;
}

/** @typedef {import('../state.js').State} State */

/** @param {State} state @param {string} dim @returns {any[]} */
function facetList(state, dim) {
  const f = state.facets && state.facets[dim];
  return Array.isArray(f) ? f : [];
}

/** @param {State} state @param {string} dim @param {string} id */
function facetCount(state, dim, id) {
  const x = facetList(state, dim).find((c) => String(c.id) === String(id));
  return x ? x.count : 0;
}

/** One category's layer toggle: symbol, name, count. @param {App} app @param {string} cat @param {string[]} active @param {(on: boolean) => void} onToggle */
function layerToggle(app, cat, active, onToggle) {
  const { state } = app;
  const st = app.categoryStyle(cat);
  const count = state.facets ? facetCount(state, 'category', cat) : null;
  const name = L.vocabLabel('category', cat);
  const input = h('input', {
    type: 'checkbox', id: `layer-${cat}`, 'data-category': cat, checked: active.includes(cat),
    onchange: (/** @type {Event} */ e) => onToggle(/** @type {HTMLInputElement} */ (e.target).checked),
  });
  return h('label', { class: 'layer-toggle', for: `layer-${cat}`, title: count === null ? name : t('layerToggle', { name, n: num(count) }) },
    input,
    symbolIcon(st.shape, 'solid', st.color, 18),
    h('span', { class: 'layer-name' }, name),
    h('span', { class: 'count', 'data-count': count ?? '' }, count === null ? '' : num(count)));
}

/** The township totals toggle (a layer, not a filter). @param {App} app */
function townTotalsToggle(app) {
  return h('label', { class: 'layer-toggle town-totals', for: 'layer-town-totals', title: t('townTotalsHint') },
    h('input', { type: 'checkbox', id: 'layer-town-totals', checked: app.state.townTotals, onchange: (/** @type {Event} */ e) => app.setTownTotals(/** @type {HTMLInputElement} */ (e.target).checked) }),
    h('span', { class: 'town-swatch', 'aria-hidden': 'true' }),
    h('span', { class: 'layer-name' }, t('townTotals')),
    h('span', {}));
}

/** Every filter select from the state's filter, with the facets' counts. @param {State} state */
function renderSelects(state) {
  const f = state.filter;
  const known = state.facets !== null;
  /** @param {string} dim @param {string} id */
  const cnt = (dim, id) => (known ? facetCount(state, dim, id) : null);
  fill('chain', L.chainOrder.map((id) => ({ value: id, label: L.chainLabel(id), count: cnt('chain', id) })), f.chain);
  if (f.chain) {
    fill('link', L.chainLinks(f.chain).map((l) => ({ value: l.id, label: L.linkLabel(l.id), count: cnt('link', l.id) })), f.link, { placeholder: t('allLinks'), keepZero: true });
  } else {
    fill('link', [], f.link, { disabled: !f.link, placeholder: t('chooseChainFirst') });
  }
  for (const dim of /** @type {const} */ (['kind', 'level', 'status', 'scope'])) {
    const ids = L.vocabOrder[dim] || facetList(state, dim).map((c) => String(c.id));
    fill(dim, ids.map((id) => ({ value: id, label: L.vocabLabel(dim, id), count: cnt(dim, id) })), f[dim]);
  }
  const towns = L.townOrder.length ? L.townOrder : facetList(state, 'town').map((c) => String(c.id));
  fill('town', towns.map((code) => ({ value: code, label: L.townLabel(code), count: cnt('town', code) })), f.town);
  const active = MORE.filter((k) => /** @type {Record<string, any>} */ (f)[k]).length;
  $('more-count').textContent = active ? String(active) : '';
  $('cql-active').textContent = f.filter ? '1' : '';
}

/** The export link of the filter, in the chosen format and the page's language. @param {State} state */
function updateExport(state) {
  const fmt = /** @type {HTMLSelectElement} */ ($('export-format')).value || 'xlsx';
  const p = new URLSearchParams();
  p.set('format', fmt);
  p.set('lang', lang());
  for (const [k, v] of urlstate.filterQuery(state.filter)) p.set(k, v);
  const a = /** @type {HTMLAnchorElement} */ ($('btn-export'));
  a.href = apiUrl('export', p);
  // A published map offers the files of the whole published catalogue.
  a.title = staticSource() ? t('exportPublished') : t('exportTitle', { n: num(state.matched) });
}

/** The search box, the selects, reset and the export format. @param {App} app @param {() => void} onExport */
function bindForm(app, onExport) {
  const q = /** @type {HTMLInputElement} */ ($('f-q'));
  $('filters').addEventListener('submit', (e) => {
    e.preventDefault();
    app.setFilter({ q: q.value.trim() });
  });
  q.addEventListener('input', debounce(() => app.setFilter({ q: q.value.trim() }), 350));
  for (const k of SELECTS) {
    $(`f-${k}`).addEventListener('change', (e) => {
      const v = /** @type {HTMLSelectElement} */ (e.target).value;
      if (k === 'chain') app.setFilter({ chain: v, link: '' });
      else app.setFilter({ [k]: v });
    });
  }
  $('btn-reset').addEventListener('click', () => {
    q.value = '';
    app.replaceFilter(urlstate.emptyFilter());
  });
  const cql = /** @type {HTMLTextAreaElement} */ ($('f-cql'));
  const applyCql = () => app.setFilter({ filter: cql.value.trim() });
  $('btn-cql').addEventListener('click', applyCql);
  cql.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) applyCql();
  });
  $('export-format').addEventListener('change', onExport);
  if (MORE.some((k) => /** @type {Record<string, any>} */ (app.state.filter)[k])) /** @type {HTMLDetailsElement} */ ($('more-filters')).open = true;
  if (app.state.filter.filter) /** @type {HTMLDetailsElement} */ ($('cql-filter')).open = true;
}

/** @param {App} app */
export function mountFilters(app) {
  const { state } = app;

  function buildLayerToggles() {
    const box = clear($('layer-toggles'));
    const active = state.filter.category.length ? state.filter.category : CATEGORIES;
    for (const cat of CATEGORIES) box.appendChild(layerToggle(app, cat, active, (on) => toggleCategory(cat, on)));
    box.appendChild(townTotalsToggle(app));
  }
  const renderLayerToggles = () => keepFocus($('layer-toggles'), buildLayerToggles);

  /** @param {string} cat @param {boolean} on */
  function toggleCategory(cat, on) {
    const cats = toggledCategories(state.filter.category, cat, on);
    if (!cats) {
      app.showStatus(t('atLeastOneLayer'));
      renderLayerToggles();
      return;
    }
    app.setFilter({ category: cats }, { always: true });
  }

  bindForm(app, () => updateExport(state));
  app.store.subscribe(['townTotals'], renderLayerToggles);
  return {
    renderLayerToggles,
    renderSelects: () => renderSelects(state),
    updateExport: () => updateExport(state),
    /** Puts the state's filter into the search and CQL2 boxes (the rest is rendered from the state). */
    syncSearch() {
      const q = /** @type {HTMLInputElement} */ ($('f-q'));
      if (q.value.trim() !== state.filter.q) q.value = state.filter.q;
      const cql = /** @type {HTMLTextAreaElement} */ ($('f-cql'));
      if (cql.value.trim() !== state.filter.filter) cql.value = state.filter.filter;
    },
  };
}
