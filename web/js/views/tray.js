// @ts-check
// The 位置待定 tray beside the list: the current filter's sites without a location (precision
// `unknown`, `geometry: null`), fetched as `sites?<filter>&precision=unknown` (N = numberMatched),
// each row opening the site's card. The map never draws them; the layer toggles still count them.
// The rows come a page at a time ("more" asks the API for the next page).

import { t, num } from '../i18n.js';
import { h, clear, $ } from '../dom.js';
import { getJSON, apiUrl } from '../api.js';
import { latest } from '../latest.js';
import * as urlstate from '../urlstate.js';
import { unknownCount } from '../locate.js';
import * as L from '../labels.js';
import { listKeys } from './list.js';
import { pageList, pageQuery } from '../sitepages.js';

/** @typedef {import('../page.js').App} App */
/** @typedef {import('../sites.js').Feature} Feature */

/** @param {Record<string, any>} p a site's properties */
function trayMeta(p) {
  const parts = [L.vocabLabel('category', p.category, p.category_zh), L.vocabLabel('kind', p.kind, p.kind_zh)];
  if (p.town_code) parts.push(L.townLabel(p.town_code, p.town_name));
  if (p.scope === 'partner') parts.push(L.vocabLabel('scope', 'partner', p.scope_zh));
  return parts.filter(Boolean).join(' · ');
}

/** A row of the tray: the site, which opens its card. @param {App} app @param {Feature} f */
function trayRow(app, f) {
  const p = f.properties;
  return h('li', {},
    h('button', {
      type: 'button', class: 'row', id: `tray-row-${p.id}`, 'data-id': p.id,
      onclick: () => app.select(p.id, { fly: false }),
    },
    h('span', { class: 'unknown-mark', 'aria-hidden': 'true' }, '?'),
    h('span', { class: 'names' },
      h('span', { class: 'zh', lang: 'zh-CN' }, p.name_zh),
      p.name_en ? h('span', { class: 'en', lang: 'en' }, p.name_en) : null,
      h('span', { class: 'meta' }, trayMeta(p)))));
}

/** Opens the tray and brings it into view (the legend's entry). */
function revealTray() {
  const box = /** @type {HTMLDetailsElement} */ ($('tray'));
  box.open = true;
  box.scrollIntoView({ block: 'nearest' });
  const first = /** @type {HTMLElement | null} */ (box.querySelector('button.row'));
  if (first) first.focus();
}

/** @param {App} app */
export function mountTray(app) {
  const { state } = app;
  const channel = latest(app.track);
  /** @type {import('../sitepages.js').PageList | null} the current filter's pages */
  let pages = null;

  function render() {
    const box = $('tray');
    const u = state.unlocated;
    const n = u.matched || 0;
    box.hidden = !n && !u.error;
    box.dataset.count = String(n);
    $('tray-title').textContent = t('trayTitle', { n: num(n) });
    const err = $('tray-error');
    err.textContent = u.error ? t('trayLoadError', { msg: u.error }) : '';
    err.hidden = !u.error;
    const list = clear($('tray-list'));
    for (const f of u.features) list.appendChild(trayRow(app, f));
    renderMore();
  }

  function renderMore() {
    const u = state.unlocated;
    const left = (u.matched || 0) - u.features.length;
    const more = $('tray-more');
    more.hidden = left <= 0 || !!u.error;
    more.textContent = t('more', { n: num(left) });
  }

  /** Appends the tray's next page. */
  async function more() {
    const list = pages;
    if (!list) return;
    const from = list.items.length;
    try {
      await list.next();
    } catch (e) {
      if (list === pages) show({ error: /** @type {any} */ (e).message || String(e) });
      return;
    }
    if (list !== pages) return; // another filter meanwhile
    state.unlocated.matched = list.matched;
    const box = $('tray-list');
    for (const f of list.items.slice(from)) box.appendChild(trayRow(app, f));
    renderMore();
  }

  /** @param {Partial<import('../state.js').Unlocated>} patch */
  function show(patch) {
    state.unlocated = { features: [], matched: null, error: null, ...patch };
    render();
    app.legend.render();
  }

  /**
   * Fetches the filter's sites without a location, once the facets arrived: a server whose facets
   * count no precision has none (and knows no `precision` parameter), so nothing is asked of it.
   */
  function load() {
    if (unknownCount(state.facets) === null) {
      pages = null;
      channel.cancel();
      show({});
      return Promise.resolve();
    }
    const q = urlstate.filterQuery(state.filter);
    const list = pageList((offset, limit) => getJSON(apiUrl('sites', pageQuery(q, offset, limit, { precision: 'unknown' }))));
    pages = list;
    return channel.run(() => list.next().then(() => list), {
      ok: (l) => show({ features: l.items, matched: l.matched }),
      fail: (e) => show({ error: e.message || String(e) }),
    });
  }

  $('tray-list').addEventListener('keydown', listKeys);
  $('tray-more').addEventListener('click', () => app.track(more()));
  return { load, render, reveal: revealTray };
}
