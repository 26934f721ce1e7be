// @ts-check
// The result list: one row per site of the filter, LIST_STEP at a time: when the "more" button at
// its end scrolls into view (or is pressed) the next rows come, from the sites already loaded or,
// past them, as the next page of the API. The count is the API's numberMatched. The selected row
// is highlighted, arrow keys move between rows, rows select their site.

import { t, num } from '../i18n.js';
import { h, clear, $ } from '../dom.js';
import { symbolIcon } from '../symbols.js';
import { siteChains } from '../sites.js';
import * as L from '../labels.js';
import { getJSON, apiUrl } from '../api.js';
import { filterQuery } from '../urlstate.js';
import { pageQuery, PAGE_SIZE } from '../sitepages.js';

/** @typedef {import('../page.js').App} App */
/** @typedef {import('../sites.js').Feature} Feature */

/** List rows rendered at once. */
export const LIST_STEP = 200;

/** @param {Record<string, any>} p a site's properties */
function rowMeta(p) {
  const parts = [L.vocabLabel('kind', p.kind, p.kind_zh)];
  if (p.town_code) parts.push(L.townLabel(p.town_code, p.town_name));
  if (p.scope === 'partner') parts.push(L.vocabLabel('scope', 'partner', p.scope_zh));
  if (p.approximate || p.location_precision === 'unknown') parts.push(L.vocabLabel('location_precision', p.location_precision, p.location_precision_zh));
  return parts.filter(Boolean).join(' · ');
}

/**
 * The chain a row is coloured by: the filter's chain when the site is on it, else its first.
 * @param {Record<string, any>} p
 * @param {string} filterChain
 */
export function primaryChain(p, filterChain) {
  const chains = siteChains(p.chains);
  if (filterChain && chains.some((c) => c.chain === filterChain)) return filterChain;
  return chains.length ? chains[0].chain : 'none';
}

/** Arrow keys, Home and End move between the rows of a list. @param {KeyboardEvent} e */
export function listKeys(e) {
  const box = /** @type {HTMLElement} */ (e.currentTarget);
  const rows = /** @type {HTMLElement[]} */ ([...box.querySelectorAll('button.row')]);
  const i = rows.indexOf(/** @type {HTMLElement} */ (document.activeElement));
  let next = null;
  if (e.key === 'ArrowDown') next = rows[Math.min(rows.length - 1, i + 1)];
  else if (e.key === 'ArrowUp') next = rows[Math.max(0, i - 1)];
  else if (e.key === 'Home') next = rows[0];
  else if (e.key === 'End') next = rows[rows.length - 1];
  if (next) {
    e.preventDefault();
    next.focus();
  }
}

/** A site's row: its symbol, names and what kind of site it is where. @param {App} app @param {Feature} f */
function listRow(app, f) {
  const { state } = app;
  const p = f.properties;
  const st = app.categoryStyle(p.category);
  const map = app.mapNow();
  const color = map && state.color === 'chain' ? map.chainColor(primaryChain(p, state.filter.chain)) : st.color;
  const selected = p.id === state.site;
  return h('li', {},
    h('button', {
      type: 'button',
      class: 'row' + (selected ? ' selected' : ''),
      id: `row-${p.id}`,
      'data-id': p.id,
      'aria-current': selected ? 'true' : null,
      onclick: () => app.select(p.id, { fly: true }),
    },
    p.location_precision === 'unknown' ? h('span', { class: 'unknown-mark', 'aria-hidden': 'true' }, '?') : symbolIcon(st.shape, p.approximate ? 'hollow' : 'solid', color, 16),
    h('span', { class: 'names' },
      h('span', { class: 'zh', lang: 'zh-CN' }, p.name_zh),
      p.name_en ? h('span', { class: 'en', lang: 'en' }, p.name_en) : null,
      h('span', { class: 'meta' }, rowMeta(p)))));
}

/** Marks the row of `id` (none: null) and scrolls it into view. @param {string | null} id */
function highlightRow(id) {
  for (const el of $('list').querySelectorAll('button.row.selected')) {
    el.classList.remove('selected');
    el.removeAttribute('aria-current');
  }
  if (!id) return null;
  const el = document.getElementById(`row-${id}`);
  if (el) {
    el.classList.add('selected');
    el.setAttribute('aria-current', 'true');
    el.scrollIntoView({ block: 'nearest' });
  }
  return el;
}

/** @param {App} app */
export function mountList(app) {
  const { state } = app;

  function render() {
    const list = clear($('list'));
    if (!state.features.length && state.facets) list.appendChild(h('li', { class: 'empty' }, t('noResults')));
    appendRows(0);
    renderMore();
  }

  /** Appends the rows from `from` up to listShown. @param {number} from */
  function appendRows(from) {
    const list = $('list');
    for (const f of state.features.slice(from, state.listShown)) list.appendChild(listRow(app, f));
  }

  /** The "more" button: how many sites are not listed yet. */
  function renderMore() {
    const shown = Math.min(state.listShown, state.features.length);
    const left = Math.max(0, state.matched - shown);
    const more = $('btn-more');
    more.hidden = left <= 0;
    more.textContent = t('more', { n: num(left) });
    watchEnd();
  }

  /** @type {Feature[] | null} the list a page is being loaded for */
  let loadingFor = null;

  /** Loads the filter's next page of sites from the API and appends it (one at a time). */
  async function loadPage() {
    const base = state.features;
    if (loadingFor === base || base.length >= state.matched) return;
    loadingFor = base;
    try {
      const fc = await getJSON(apiUrl('sites', pageQuery(filterQuery(state.filter), base.length, PAGE_SIZE)));
      if (state.features !== base) return; // another filter meanwhile
      const got = fc.features || [];
      for (const f of got) state.byId.set(f.properties.id, f);
      base.push(...got);
      // An empty page: the catalogue shrank since the count; the count follows what is there.
      state.matched = got.length ? fc.numberMatched ?? state.matched : base.length;
    } catch (e) {
      app.showStatus(t('loadError', { msg: /** @type {any} */ (e).message || String(e) }), true);
    } finally {
      if (loadingFor === base) loadingFor = null;
    }
  }

  /** The next LIST_STEP rows: loaded ones first, then a page from the API. */
  async function more() {
    const base = state.features;
    const rendered = Math.min(state.listShown, base.length);
    if (rendered >= base.length) await loadPage();
    if (state.features !== base || rendered >= base.length) return;
    state.listShown = rendered + LIST_STEP;
    appendRows(rendered);
    renderMore();
  }

  // The "more" button doubles as the sentinel: in view, it loads the next rows by itself.
  const watcher = typeof IntersectionObserver === 'function'
    ? new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting) && !$('btn-more').hidden) app.track(more());
    })
    : null;

  /** Observes the button afresh: an observer tells the state at once, so rows still short of the
   * pane's end load the next ones too. */
  function watchEnd() {
    if (!watcher) return;
    watcher.disconnect();
    if (!$('btn-more').hidden) watcher.observe($('btn-more'));
  }

  /** Makes sure the row of the site at `index` is rendered. @param {number} index */
  function reveal(index) {
    if (index >= state.listShown) {
      state.listShown = index + LIST_STEP;
      render();
    }
  }

  $('btn-more').addEventListener('click', () => app.track(more()));
  $('list').addEventListener('keydown', listKeys);
  $('match-list').addEventListener('keydown', listKeys);
  app.store.subscribe(['color'], render);
  return { render, highlight: highlightRow, reveal };
}
