// @ts-check
// The chain view (产业链分析): the chosen chain's links in order, upstream → downstream, from
// `/api/v1/chains/{id}/analysis` — counts per category, the gap status (missing / weak /
// present, told by an icon and a word as well as by colour), who serves each link, a weak
// threshold, the chain report downloads. A click on a link filters the map and the list to it.

import { t, num, lang } from './i18n.js';
import { h, clear } from './dom.js';
import { apiUrl } from './api.js';
import * as L from './labels.js';

/** The category order of the counts: enterprises first, they decide the status. */
export const COUNT_ORDER = ['key_enterprise', 'carrier_platform', 'innovation_resource'];
const STATUS_ICON = { missing: '✕', weak: '!', present: '✓' };
const openServed = new Set(); // links whose "served by" list is open, kept across re-renders

/** A record's name in the current language (the other one when missing). */
export function localName(o) {
  const p = L.pair(o);
  return lang() === 'en' ? p.en || p.zh : p.zh || p.en;
}

/** The status badge: icon + word, both languages' words from i18n. */
export function statusBadge(status) {
  return h('span', { class: `cv-status ${status}`, 'data-status': status },
    h('span', { class: 'cv-icon', 'aria-hidden': 'true' }, STATUS_ICON[status] || '?'),
    ' ', t(`status_${status}`));
}

function counts(c, symbolFor) {
  return h('span', { class: 'cv-counts' }, COUNT_ORDER.map((cat) => {
    const n = (c && c[cat]) || 0;
    const label = L.vocabLabel('category', cat);
    return h('span', { class: 'cv-count' + (n ? '' : ' zero'), 'data-category': cat, 'data-count': n, title: `${label}：${num(n)}` },
      symbolFor(cat), h('span', { class: 'cv-count-label', 'aria-hidden': 'true' }, t(`short_${cat}`)),
      h('span', { class: 'visually-hidden' }, `${label} `), h('span', { class: 'n' }, num(n)));
  }));
}

/** The report download URL of a chain. */
export function reportUrl(chainId, format, weakBelow) {
  const p = new URLSearchParams({ format });
  if (weakBelow !== null && weakBelow !== undefined) p.set('weak_below', String(weakBelow));
  return apiUrl(`chains/${encodeURIComponent(chainId)}/report`, p);
}

/** The weak threshold input and the report downloads. */
function controls(o, weak) {
  const weakInput = h('input', {
    type: 'number', id: 'cv-weak', min: '1', max: '999', step: '1', inputmode: 'numeric',
    value: weak ?? '', 'aria-describedby': 'cv-weak-hint',
  });
  const commitWeak = () => {
    const n = Number(weakInput.value);
    if (Number.isInteger(n) && n >= 1 && n <= 999) {
      weakInput.removeAttribute('aria-invalid');
      if (n !== weak) o.onWeak(n);
    } else weakInput.setAttribute('aria-invalid', 'true');
  };
  weakInput.addEventListener('change', commitWeak);
  weakInput.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') {
      e.preventDefault();
      commitWeak();
    }
  });
  return h('div', { class: 'cv-controls' },
    h('label', { class: 'cv-weak', for: 'cv-weak' }, t('weakBelowBefore'), weakInput, t('weakBelowAfter')),
    h('span', { class: 'visually-hidden', id: 'cv-weak-hint' }, t('weakHint')),
    h('span', { class: 'cv-report', role: 'group', 'aria-label': t('chainReport') },
      h('span', { class: 'cv-report-label', 'aria-hidden': 'true' }, t('chainReport')),
      h('a', { class: 'button', id: 'cv-report-xlsx', href: reportUrl(o.chainId, 'xlsx', weak), download: '', 'aria-label': `${t('chainReport')} XLSX` }, 'XLSX'),
      h('a', { class: 'button', id: 'cv-report-csv', href: reportUrl(o.chainId, 'csv', weak), download: '', 'aria-label': `${t('chainReport')} CSV` }, 'CSV')));
}

/** Who serves a link: its own sites first, then those serving the whole chain (kept open across re-renders). */
function servedList(link, served, o) {
  const own = served.filter((s) => s.via === 'link');
  const wide = served.filter((s) => s.via !== 'link');
  const entry = (s) => h('li', {},
    h('button', { type: 'button', class: 'linklike', 'data-id': s.id, onclick: () => o.onSite(s.id) },
      o.symbolFor(s.category), h('span', {}, localName(s))),
    s.via === 'link' ? null : h('span', { class: 'cv-via' }, t('servesWholeChain')));
  const details = h('details', { class: 'cv-served', 'data-link': link.id, open: openServed.has(link.id) },
    h('summary', {}, t('servedBy', { n: num(served.length) }), wide.length ? t('servedByWide', { n: num(wide.length) }) : ''),
    h('ul', {}, [...own, ...wide].map(entry)));
  details.addEventListener('toggle', () => (details.open ? openServed.add(link.id) : openServed.delete(link.id)));
  return details;
}

/** One link of the chain: a button filtering to it (status, counts) and who serves it. */
function linkItem(link, o) {
  const active = o.activeLink === link.id;
  const btn = h('button', {
    type: 'button',
    class: 'cv-link-btn',
    id: `cv-link-${link.id}`,
    'data-link': link.id,
    'aria-pressed': active ? 'true' : 'false',
    title: active ? t('linkFilterOff') : t('linkFilterOn'),
    onclick: () => o.onLink(active ? '' : link.id),
  },
  h('span', { class: 'cv-order', 'aria-hidden': 'true' }, String(link.order ?? '')),
  h('span', { class: 'cv-name' }, h('span', { class: 'visually-hidden' }, t('linkOrder', { n: link.order ?? '' })), localName(link)),
  statusBadge(link.status),
  counts(link.counts, o.symbolFor));
  const item = h('li', { class: `cv-link ${link.status}${active ? ' active' : ''}`, 'data-link': link.id, 'data-status': link.status }, btn);
  const served = link.served_by || [];
  if (served.length) item.appendChild(servedList(link, served, o));
  else if (link.status === 'missing') item.appendChild(h('p', { class: 'cv-unserved' }, t('servedByNone')));
  return item;
}

/**
 * Renders the view into `box`.
 * @param {HTMLElement} box
 * @param {object} o {chainId, analysis, loading, error, activeLink, weakBelow, onLink(id), onWeak(n),
 *   onSite(id), symbolFor(category)}
 */
export function renderChainView(box, o) {
  clear(box);
  if (!o.chainId) {
    box.hidden = true;
    return;
  }
  box.hidden = false;
  const a = o.analysis && o.analysis.chain && o.analysis.chain.id === o.chainId ? o.analysis : null;
  const weak = a ? a.weak_below : o.weakBelow;
  const title = h('h2', { id: 'chain-view-title' }, t('chainViewTitle', { chain: L.chainLabel(o.chainId) }));
  const summary = a
    ? h('p', { class: 'cv-summary', id: 'cv-summary' },
      t('chainSummary', { n: num(a.links.length), missing: num(a.summary.missing), weak: num(a.summary.weak), present: num(a.summary.present) }))
    : null;
  box.append(h('div', { class: 'cv-head' }, title, summary), controls(o, weak));
  if (o.error) {
    box.appendChild(h('p', { class: 'error', role: 'alert' }, t('loadError', { msg: o.error })));
    return;
  }
  if (!a) {
    box.appendChild(h('p', { class: 'cv-loading' }, t('loading')));
    return;
  }
  box.appendChild(h('ol', { class: 'cv-links', 'aria-label': t('chainLinksLabel') }, a.links.map((link) => linkItem(link, o))));
  const wide = a.chain_wide;
  if (wide && wide.counts) {
    const n = wide.site_ids ? wide.site_ids.length : COUNT_ORDER.reduce((s, c) => s + (wide.counts[c] || 0), 0);
    if (n) box.appendChild(h('p', { class: 'cv-note' }, t('chainWideNote', { n: num(n) })));
  }
  box.appendChild(h('p', { class: 'cv-note' }, t('chainViewNote', { weak: num(weak) })));
}
