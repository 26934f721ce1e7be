// @ts-check
// The result list: one row per site of the filter (LIST_STEP at a time, "more" adds rows), the
// selected row highlighted, arrow keys between rows. Rows select their site.

import { t, num } from '../i18n.js';
import { h, clear, $ } from '../dom.js';
import { symbolCanvas } from '../symbols.js';
import { siteChains } from '../sites.js';
import * as L from '../labels.js';

/** @typedef {import('../page.js').App} App */

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

/** @param {App} app */
export function mountList(app) {
  const { state } = app;

  /** @param {import('../sites.js').Feature} f */
  function row(f) {
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
      p.location_precision === 'unknown' ? h('span', { class: 'unknown-mark', 'aria-hidden': 'true' }, '?') : symbolCanvas(st.shape, p.approximate ? 'hollow' : 'solid', color, 16),
      h('span', { class: 'names' },
        h('span', { class: 'zh', lang: 'zh-CN' }, p.name_zh),
        p.name_en ? h('span', { class: 'en', lang: 'en' }, p.name_en) : null,
        h('span', { class: 'meta' }, rowMeta(p)))));
  }

  function render() {
    const list = clear($('list'));
    const shown = state.features.slice(0, state.listShown);
    if (!state.features.length && state.facets) list.appendChild(h('li', { class: 'empty' }, t('noResults')));
    for (const f of shown) list.appendChild(row(f));
    const left = state.features.length - shown.length;
    const more = $('btn-more');
    more.hidden = left <= 0;
    more.textContent = t('more', { n: num(left) });
  }

  /** Marks the row of `id` (none: null) and scrolls it into view. @param {string | null} id */
  function highlight(id) {
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

  /** Makes sure the row of the site at `index` is rendered. @param {number} index */
  function reveal(index) {
    if (index >= state.listShown) {
      state.listShown = index + LIST_STEP;
      render();
    }
  }

  $('btn-more').addEventListener('click', () => {
    state.listShown += LIST_STEP;
    render();
  });
  $('list').addEventListener('keydown', listKeys);
  $('match-list').addEventListener('keydown', listKeys);
  app.store.subscribe(['color'], render);
  return { render, highlight, reveal };
}
