// @ts-check
// Printing: a table of the shown sites with the filter and the time, under the printed map, then
// the sites without a location (not on the map: the 位置待定 tray), and the filter as one line of
// text (also the progress board's "current filter").

import { t, num, lang } from '../i18n.js';
import { h, clear, $ } from '../dom.js';
import { siteChains } from '../sites.js';
import * as L from '../labels.js';
import { hasLocation } from '../locate.js';

/** @typedef {import('../page.js').App} App */
/** @typedef {import('../urlstate.js').Filter} Filter */

/**
 * The filter in words, in the page's language.
 * @param {Filter} f
 */
export function filterSummary(f) {
  const parts = [];
  if (f.category.length) parts.push(f.category.map((c) => L.vocabLabel('category', c)).join('、'));
  if (f.chain) parts.push(`${t('chain')}：${L.chainLabel(f.chain)}`);
  if (f.link) parts.push(`${t('link')}：${L.linkLabel(f.link)}`);
  for (const dim of /** @type {const} */ (['kind', 'level', 'status', 'scope'])) if (f[dim]) parts.push(`${t(dim)}：${L.vocabLabel(dim, f[dim])}`);
  if (f.town) parts.push(`${t('town')}：${L.townLabel(f.town)}`);
  if (f.q) parts.push(`“${f.q}”`);
  if (f.filter) parts.push(`CQL2：${f.filter}`);
  return parts.length ? parts.join('；') : t('noFilter');
}

/** Area and available area as one text (`12,000 / 8,000`, `— / 8,000`), or ''. @param {any} p */
function areas(p) {
  if (p.area_m2 == null && p.available_area_m2 == null) return '';
  const show = (/** @type {number|null|undefined} */ v) => (v == null ? '—' : num(v));
  return `${show(p.area_m2)} / ${show(p.available_area_m2)}`;
}

/** The printed columns: header key and cell, the same columns as the XLSX list sheet 清单. */
const PRINT_COLUMNS = /** @type {const} */ ([
  ['colName', (/** @type {any} */ p) => [h('span', { lang: 'zh-CN' }, p.name_zh), p.name_en ? h('div', { class: 'en', lang: 'en' }, p.name_en) : null]],
  ['colCategory', (/** @type {any} */ p) => L.vocabLabel('category', p.category, p.category_zh)],
  ['colKind', (/** @type {any} */ p) => L.vocabLabel('kind', p.kind, p.kind_zh)],
  ['colChains', (/** @type {any} */ p) => siteChains(p.chains).map((c) => (c.link ? `${L.chainLabel(c.chain)}·${L.linkLabel(c.link)}` : L.chainLabel(c.chain))).join('；')],
  ['colTown', (/** @type {any} */ p) => (p.town_code ? L.townLabel(p.town_code, p.town_name) : '')],
  ['colAddress', (/** @type {any} */ p) => p.address || ''],
  ['colArea', areas],
  ['colStatus', (/** @type {any} */ p) => L.vocabLabel('status', p.status, p.status_zh)],
  ['colContact', (/** @type {any} */ p) => [p.contact, p.phone].filter(Boolean).join(' ')],
  ['colPrecision', (/** @type {any} */ p) => L.vocabLabel('location_precision', p.location_precision, p.location_precision_zh)],
]);

/** One printed row. @param {import('../sites.js').Feature} f @param {number} i */
function printRow(f, i) {
  const p = f.properties;
  return h('tr', {}, h('td', {}, String(i + 1)), PRINT_COLUMNS.map(([, cell]) => h('td', {}, cell(p))));
}

/** The printed table of `features`. @param {import('../sites.js').Feature[]} features @param {string} [id] */
function printTable(features, id) {
  const table = h('table', { id },
    h('thead', {}, h('tr', {}, ['#', ...PRINT_COLUMNS.map(([key]) => t(key))].map((x) => h('th', {}, x)))));
  table.appendChild(h('tbody', {}, features.map(printRow)));
  return table;
}

/** @param {App} app */
export function mountPrint(app) {
  const { state } = app;
  function beforePrint() {
    const box = clear($('print-list'));
    box.appendChild(h('h2', {}, t('printTitle')));
    box.appendChild(h('p', { class: 'print-meta' }, t('printMeta', { filter: filterSummary(state.filter), n: num(state.matched), time: new Date().toLocaleString(lang() === 'zh' ? 'zh-CN' : 'en-GB') })));
    // A large catalogue's list holds the pages loaded so far: the print says so (export has all).
    if (state.features.length < state.matched) {
      box.appendChild(h('p', { class: 'print-meta' }, t('printPartial', { shown: num(state.features.length), n: num(state.matched) })));
    }
    box.appendChild(printTable(state.features.filter(hasLocation)));
    const unknown = state.features.filter((f) => !hasLocation(f));
    if (unknown.length) {
      box.appendChild(h('h3', { id: 'print-unknown' }, t('printUnknownTitle', { n: num(unknown.length) })));
      box.appendChild(printTable(unknown, 'print-unknown-table'));
    }
    const map = app.mapNow();
    if (map) map.resize();
  }
  const afterPrint = () => {
    const map = app.mapNow();
    if (map) map.resize();
  };
  $('btn-print').addEventListener('click', () => window.print());
  window.addEventListener('beforeprint', beforePrint);
  window.addEventListener('afterprint', afterPrint);
  if (window.matchMedia) {
    window.matchMedia('print').addEventListener('change', (m) => (m.matches ? beforePrint() : afterPrint()));
  }
}
