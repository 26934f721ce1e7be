// @ts-check
// The list that opens on the map when a cluster (or several sites at one place) is clicked: its
// sites by name, each selecting its site; arrow keys move between them.

import { t, num } from '../i18n.js';
import { h } from '../dom.js';
import { symbolCanvas } from '../symbols.js';

/** @typedef {import('../page.js').App} App */

/** @param {App} app */
export function mountClusterList(app) {
  /** @param {Record<string, any>} p @param {any} map */
  const item = (p, map) => {
    const st = map.categoryStyle(p.category);
    return h('li', {},
      h('button', { type: 'button', class: 'row', 'data-id': p.id, onclick: () => app.select(p.id, { fly: false }) },
        symbolCanvas(st.shape, p.approximate ? 'hollow' : 'solid', st.color, 14),
        h('span', { class: 'names' },
          h('span', { class: 'zh', lang: 'zh-CN' }, p.name_zh),
          p.name_en ? h('span', { class: 'en', lang: 'en' }, p.name_en) : null)));
  };

  /** @param {{lngLat: any, ids: string[], samePlace: boolean, zoomIn?: () => void}} o */
  function show({ lngLat, ids, samePlace, zoomIn }) {
    const map = app.mapNow();
    const feats = ids.map((id) => app.state.byId.get(id)).filter(Boolean);
    feats.sort((a, b) => String(a.properties.name_zh).localeCompare(String(b.properties.name_zh), 'zh-CN'));
    const list = h('ul', { class: 'cluster-list' }, feats.map((f) => item(f.properties, map)));
    const node = h('div', { class: 'cluster-box', role: 'dialog', 'aria-label': t('clusterTitle', { n: feats.length }) },
      h('p', { class: 'cluster-title' }, t('clusterTitle', { n: num(feats.length) })),
      samePlace ? h('p', { class: 'cluster-note' }, t('samePlace')) : null,
      zoomIn ? h('button', { type: 'button', class: 'zoom-in', onclick: () => { map.closePopup(); zoomIn(); } }, t('zoomIn')) : null,
      list);
    list.addEventListener('keydown', (e) => {
      const rows = /** @type {HTMLElement[]} */ ([...list.querySelectorAll('button')]);
      const i = rows.indexOf(/** @type {HTMLElement} */ (document.activeElement));
      if (e.key === 'ArrowDown' && i < rows.length - 1) { e.preventDefault(); rows[i + 1].focus(); }
      if (e.key === 'ArrowUp' && i > 0) { e.preventDefault(); rows[i - 1].focus(); }
    });
    map.popup(lngLat, node);
  }
  return { show };
}
