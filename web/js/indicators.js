// @ts-check
// The progress board (规划进度看板): the plan's indicators — baseline, 2025 target, the
// catalogue's own count where it can count one, percent to target, the source of every figure
// (`/api/v1/indicators`) — and the per-township counts of the current filter
// (`/api/v1/divisions/counts`), which the map also draws as graduated circles at the seats.

import { t, num, lang } from './i18n.js';
import { h, clear } from './dom.js';
import { pair } from './labels.js';
import * as L from './labels.js';

const CATEGORIES = ['innovation_resource', 'carrier_platform', 'key_enterprise'];

function list(v) {
  if (Array.isArray(v)) return v;
  if (v && Array.isArray(v.indicators)) return v.indicators;
  return [];
}

function pick(p) {
  return lang() === 'en' ? p.en || p.zh : p.zh || p.en;
}

function amount(v, unit) {
  if (v === null || v === undefined || v === '') return null;
  const n = Number(v);
  if (!Number.isFinite(n)) return String(v);
  if (unit === '%') return `${num(n)} %`;
  if (unit === 'm²') return `${num(n)} m²`;
  if (unit === '家') return lang() === 'en' ? num(n) : `${num(n)} 家`;
  return unit ? `${num(n)} ${unit}` : num(n);
}

function catalogueValue(x) {
  for (const k of ['catalogue', 'catalogue_value', 'value', 'count', 'current']) {
    const v = x[k];
    if (v === null || v === undefined) continue;
    if (typeof v === 'object' && 'value' in v) return v.value;
    return v;
  }
  return null;
}

function percentOf(x, value) {
  if (x.percent_of_target !== undefined) return x.percent_of_target;
  if (value === null || !(Number(x.target) > 0)) return null;
  return (Number(value) / Number(x.target)) * 100;
}

/** `kind=a,b&level=c` in words: "类型：孵化器、众创空间；级别：省级". */
export function filterInWords(countFilter) {
  const parts = [];
  for (const [k, v] of new URLSearchParams(countFilter || '')) {
    const values = v.split(',').filter(Boolean);
    const label = (id) => (k === 'chain' ? L.chainLabel(id) : k === 'link' ? L.linkLabel(id) : k === 'town' ? L.townLabel(id) : L.vocabLabel(k, id));
    parts.push(`${t(k)}：${values.map(label).join('、')}`);
  }
  return parts.join('；');
}

function sourceDetails(x, countable) {
  const items = [];
  if (x.source) {
    items.push(h('li', {}, h('span', { class: 'src-k' }, t('planSource')), ' ',
      String(x.source).split(/;\s+/).map((s, i, a) => h('span', { class: 'source-part' }, s, i < a.length - 1 ? '；' : ''))));
  }
  if (x.source_quote) items.push(h('li', {}, h('span', { class: 'src-k' }, t('sourceQuote')), ' ', h('q', { lang: 'zh-CN' }, x.source_quote)));
  if (countable) {
    const what = filterInWords(x.count_filter) || t('noFilter');
    items.push(h('li', {}, h('span', { class: 'src-k' }, t('catalogueSource')), ' ',
      t(x.measure === 'sum_area' ? 'catalogueAreaOf' : 'catalogueCountOf', { filter: what })));
  } else {
    items.push(h('li', {}, h('span', { class: 'src-k' }, t('catalogueSource')), ' ', t('notCountableWhy')));
  }
  return h('details', { class: 'src' },
    h('summary', { title: x.source || '' }, t('indicatorSource')),
    h('ul', {}, items));
}

/**
 * The indicators table. `onShowSites(countFilter)` (optional) puts a counted indicator's sites
 * on the map.
 * @param {HTMLElement} body
 * @param {any} data
 * @param {{onShowSites?: (countFilter: string) => void}} [o]
 */
export function renderIndicators(body, data, { onShowSites } = {}) {
  clear(body);
  const rows = list(data).map((x) => {
    const name = pick(pair(x)) || x.id;
    const unit = x.unit || '';
    const base = amount(x.baseline, unit);
    const target = amount(x.target, unit);
    const value = catalogueValue(x);
    const countable = x.measure ? x.measure !== 'none' : value !== null;
    const cat = countable && value !== null ? amount(value, unit) : null;
    const pct = countable && value !== null ? percentOf(x, value) : null;
    let pctCell;
    if (pct === null || pct === undefined || !Number.isFinite(Number(pct))) {
      pctCell = h('td', { class: 'pct muted', 'data-percent': '', 'data-label': t('percentToTarget') }, '—');
    } else {
      const p = Number(pct);
      const w = Math.max(0, Math.min(100, p));
      pctCell = h('td', { class: 'pct' + (p >= 100 ? ' reached' : ''), 'data-percent': String(p), 'data-label': t('percentToTarget') },
        h('span', { class: 'pct-text' }, `${num(p, { maximumFractionDigits: 1 })} %`),
        h('span', { class: 'bar', 'aria-hidden': 'true' }, h('span', { class: 'fill', style: `width:${w.toFixed(1)}%` })));
    }
    const showSites = countable && x.count_filter && onShowSites
      ? h('button', { type: 'button', class: 'linklike show-sites', title: t('showTheseSites'), 'aria-label': `${t('showTheseSites')}：${name}`, onclick: () => onShowSites(x.count_filter) }, t('showOnMapShort'))
      : null;
    const year = x.baseline_year ? (lang() === 'en' ? ` (${x.baseline_year})` : `（${x.baseline_year}）`) : '';
    const op = x.target_op && x.target_op !== '=' ? `${x.target_op.replace('>=', '≥').replace('<=', '≤')} ` : '';
    return h('tr', { 'data-id': x.id },
      h('th', { scope: 'row' }, h('span', { class: 'ind-name' }, name), sourceDetails(x, countable)),
      h('td', { 'data-label': t('baseline') }, base ? `${base}${year}` : '—'),
      h('td', { 'data-label': t('target') }, target ? `${op}${target}` : '—'),
      h('td', { class: countable ? 'cat' : 'cat muted', 'data-label': t('catalogue') }, countable ? (cat ?? '—') : t('notCountable'), showSites ? ' ' : null, showSites),
      pctCell);
  });
  body.appendChild(h('table', { class: 'indicator-table' },
    h('thead', {}, h('tr', {},
      h('th', { scope: 'col' }, t('indicator')),
      h('th', { scope: 'col' }, t('baseline')),
      h('th', { scope: 'col' }, t('target')),
      h('th', { scope: 'col' }, t('catalogue')),
      h('th', { scope: 'col' }, t('percentToTarget')))),
    h('tbody', {}, rows)));
  body.appendChild(h('p', { class: 'board-note' }, t('indicatorNote')));
}

/** The per-township table of `/api/v1/divisions/counts` (the current filter). */
export function renderTownTable(body, data) {
  clear(body);
  const towns = (data && data.towns) || [];
  const cell = (c, cat) => h('td', { 'data-category': cat }, num((c && c[cat]) || 0));
  const sums = { innovation_resource: 0, carrier_platform: 0, key_enterprise: 0 };
  let total = 0;
  let unseated = 0;
  const rows = towns.map((x) => {
    for (const cat of CATEGORIES) sums[cat] += (x.counts && x.counts[cat]) || 0;
    total += x.total || 0;
    const noSeat = !x.seat;
    if (noSeat && x.total > 0) unseated++;
    return h('tr', { 'data-code': x.code, 'data-total': x.total, class: x.total ? '' : 'zero' },
      h('th', { scope: 'row' }, pick(pair(x)) || L.townLabel(x.code),
        noSeat && x.total > 0 ? h('span', { class: 'no-seat', title: t('noSeat') }, '＊', h('span', { class: 'visually-hidden' }, t('noSeat'))) : null),
      CATEGORIES.map((cat) => cell(x.counts, cat)),
      h('td', { class: 'total' }, num(x.total || 0)));
  });
  const nt = (data && data.no_town) || { counts: {}, total: 0 };
  for (const cat of CATEGORIES) sums[cat] += (nt.counts && nt.counts[cat]) || 0;
  total += nt.total || 0;
  body.appendChild(h('table', { class: 'town-table' },
    h('thead', {}, h('tr', {},
      h('th', { scope: 'col' }, t('town')),
      CATEGORIES.map((cat) => h('th', { scope: 'col' }, L.vocabLabel('category', cat))),
      h('th', { scope: 'col' }, t('total')))),
    h('tbody', {}, rows),
    h('tfoot', {},
      h('tr', { class: 'no-town', 'data-total': nt.total || 0 },
        h('th', { scope: 'row' }, t('noTown')), CATEGORIES.map((cat) => cell(nt.counts, cat)), h('td', { class: 'total' }, num(nt.total || 0))),
      h('tr', { class: 'sum', 'data-total': total },
        h('th', { scope: 'row' }, t('total')), CATEGORIES.map((cat) => h('td', {}, num(sums[cat]))), h('td', { class: 'total' }, num(total))))));
  const notes = [t('townTableNote')];
  if (unseated) notes.push(t('noSeatNote'));
  body.appendChild(h('p', { class: 'board-note' }, notes.join(' ')));
}
