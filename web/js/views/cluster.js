// @ts-check
// The list that opens on the map when a cluster (or several sites at one place) is clicked: its
// sites by name, each selecting its site; arrow keys move between them. A cluster of the browser's
// clustering (GeoJSON path) names its sites, all loaded already. A cluster of the tiles names its
// sites when it holds few (`ids`, fetched one by one when not loaded); a larger one is listed
// through the API — the filter within the box of its markers, a page at a time ("more").

import { t, num } from '../i18n.js';
import { h } from '../dom.js';
import { symbolIcon } from '../symbols.js';
import { getJSON, apiUrl } from '../api.js';
import { filterQuery } from '../urlstate.js';
import { pageList, clusterPageQuery } from '../sitepages.js';

/** @typedef {import('../page.js').App} App */
/** @typedef {import('../sites.js').Feature} Feature */
/**
 * @typedef {object} Cluster
 * @property {any} lngLat
 * @property {string[] | null} ids  its sites, when known
 * @property {number} [count]  how many sites it holds (default: ids.length)
 * @property {number[] | null} [bbox]  the box of its markers (tile clusters)
 * @property {boolean} samePlace
 * @property {(() => void) | null} [zoomIn]
 */

/** @param {Feature[]} feats */
const byName = (feats) => feats.sort((a, b) => String(a.properties.name_zh).localeCompare(String(b.properties.name_zh), 'zh-CN'));

/** @param {App} app */
export function mountClusterList(app) {
  /** @param {Record<string, any>} p @param {any} map */
  const item = (p, map) => {
    const st = map.categoryStyle(p.category);
    return h('li', {},
      h('button', { type: 'button', class: 'row', 'data-id': p.id, onclick: () => app.select(p.id, { fly: false }) },
        symbolIcon(st.shape, p.approximate ? 'hollow' : 'solid', st.color, 14),
        h('span', { class: 'names' },
          h('span', { class: 'zh', lang: 'zh-CN' }, p.name_zh),
          p.name_en ? h('span', { class: 'en', lang: 'en' }, p.name_en) : null)));
  };

  /** The sites of `ids`: from the loaded ones, the others fetched. @param {string[]} ids */
  async function sitesOf(ids) {
    const got = await Promise.all(ids.map((id) => app.state.byId.get(id) || getJSON(apiUrl(`sites/${encodeURIComponent(id)}`)).catch(() => null)));
    return byName(/** @type {Feature[]} */ (got.filter(Boolean)));
  }

  /** @param {Cluster} c */
  function show(c) {
    const map = app.mapNow();
    const count = c.count ?? (c.ids ? c.ids.length : 0);
    const list = h('ul', { class: 'cluster-list' });
    const note = h('p', { class: 'cluster-note cluster-box-note', hidden: true });
    const more = /** @type {HTMLButtonElement} */ (h('button', { type: 'button', class: 'more cluster-more', hidden: true }));
    const node = h('div', { class: 'cluster-box', role: 'dialog', 'aria-label': t('clusterTitle', { n: num(count) }), 'data-count': String(count) },
      h('p', { class: 'cluster-title' }, t('clusterTitle', { n: num(count) })),
      c.samePlace ? h('p', { class: 'cluster-note' }, t('samePlace')) : null,
      c.zoomIn ? h('button', { type: 'button', class: 'zoom-in', onclick: () => { map.closePopup(); if (c.zoomIn) c.zoomIn(); } }, t('zoomIn')) : null,
      list, note, more);
    list.addEventListener('keydown', keys);
    map.popup(c.lngLat, node);
    /** @param {Feature[]} feats */
    const add = (feats) => { for (const f of feats) list.appendChild(item(f.properties, map)); };
    if (c.ids) {
      app.track(sitesOf(c.ids).then(add));
      return;
    }
    if (c.bbox) app.track(pageThrough(c.bbox, count, { add, note, more, list }));
  }

  /**
   * Lists the filter's sites within `bbox` a page at a time.
   * @param {number[]} bbox @param {number} count
   * @param {{add: (f: Feature[]) => void, note: HTMLElement, more: HTMLButtonElement, list: HTMLElement}} ui
   */
  async function pageThrough(bbox, count, { add, note, more, list }) {
    const q = filterQuery(app.state.filter);
    const pages = pageList((offset, limit) => getJSON(apiUrl('sites', clusterPageQuery(q, bbox, offset, limit))));
    const next = async () => {
      const from = pages.items.length;
      try {
        await pages.next();
      } catch (e) {
        note.hidden = false;
        note.textContent = t('loadError', { msg: /** @type {any} */ (e).message || String(e) });
        return;
      }
      add(pages.items.slice(from));
      const left = (pages.matched ?? 0) - pages.items.length;
      more.hidden = left <= 0;
      more.textContent = t('more', { n: num(left) });
      if (pages.matched !== null && pages.matched !== count) {
        note.hidden = false;
        note.textContent = t('clusterBoxCount', { n: num(pages.matched) });
      }
    };
    more.addEventListener('click', () => {
      const before = list.querySelectorAll('button.row').length;
      app.track(next().then(() => {
        const first = /** @type {HTMLElement | undefined} */ (list.querySelectorAll('button.row')[before]);
        if (first) first.focus();
      }));
    });
    await next();
  }

  /** Arrow keys between the rows. @param {KeyboardEvent} e */
  function keys(e) {
    const list = /** @type {HTMLElement} */ (e.currentTarget);
    const rows = /** @type {HTMLElement[]} */ ([...list.querySelectorAll('button')]);
    const i = rows.indexOf(/** @type {HTMLElement} */ (document.activeElement));
    if (e.key === 'ArrowDown' && i < rows.length - 1) { e.preventDefault(); rows[i + 1].focus(); }
    if (e.key === 'ArrowUp' && i > 0) { e.preventDefault(); rows[i - 1].focus(); }
  }
  return { show };
}
