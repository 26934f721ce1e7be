// @ts-check
// The map legend: the symbols of the colour mode (categories or chains), approximate locations,
// the count of sites without a location (not drawn; the entry opens the 位置待定 tray),
// clusters, the township totals and the matching markers when shown, and the colour-mode switch.
// It stays open or closed as the user left it across re-renders.

import { t, num } from '../i18n.js';
import { h, clear, $, keepFocus } from '../dom.js';
import { symbolIcon } from '../symbols.js';
import * as L from '../labels.js';
import { CATEGORIES } from './filters.js';

/** @typedef {import('../page.js').App} App */

/** @param {App} app */
export function mountLegend(app) {
  const { state } = app;

  function items() {
    const map = app.mapNow();
    const out = [];
    if (!map) return out;
    if (state.color === 'chain') {
      out.push(h('p', { class: 'legend-note' }, t('legendChainNote')));
      for (const id of [...L.chainOrder, 'none']) {
        out.push(h('li', {}, h('span', { class: 'swatch', style: `background:${map.chainColor(id)}` }), id === 'none' ? t('chainNone') : L.chainLabel(id)));
      }
    } else {
      for (const cat of CATEGORIES) {
        const st = map.categoryStyle(cat);
        out.push(h('li', {}, symbolIcon(st.shape, 'solid', st.color, 16), L.vocabLabel('category', cat)));
      }
    }
    out.push(h('li', {}, symbolIcon('circle', 'hollow', '#475569', 16), t('legendApprox')));
    const unknown = state.unlocated.matched;
    if (unknown) {
      out.push(h('li', { class: 'legend-unknown-item' }, h('span', { class: 'unknown-mark', 'aria-hidden': 'true' }, '?'),
        h('button', { type: 'button', class: 'legend-unknown', id: 'legend-unknown', onclick: () => app.tray.reveal() }, t('legendUnknown', { n: num(unknown) }))));
    }
    out.push(h('li', {}, h('span', { class: 'cluster-swatch' }, '9'), t('legendCluster')));
    if (state.townTotals) out.push(h('li', {}, h('span', { class: 'town-swatch' }), t('legendTownTotals')));
    if (state.tab === 'match') out.push(h('li', {}, h('span', { class: 'match-swatch' }, '1'), t('legendMatch')));
    return out;
  }

  function build() {
    const box = clear($('legend'));
    if (!app.mapNow()) return;
    const wasOpen = box.dataset.open;
    /** @param {'category' | 'chain'} value @param {string} label */
    const radio = (value, label) => h('label', {},
      h('input', {
        type: 'radio', name: 'color', value, id: `color-${value}`, checked: state.color === value,
        onchange: () => app.setColorMode(value),
      }), ' ', label);
    const details = /** @type {HTMLDetailsElement} */ (h('details', { open: wasOpen ? wasOpen === '1' : !window.matchMedia('(max-width: 760px)').matches },
      h('summary', {}, t('legend')),
      h('fieldset', { class: 'colour-mode' }, h('legend', {}, t('colourBy')), radio('category', t('byCategory')), radio('chain', t('byChain'))),
      h('ul', {}, items())));
    details.addEventListener('toggle', () => (box.dataset.open = details.open ? '1' : '0'));
    box.appendChild(details);
  }

  const render = () => keepFocus($('legend'), build);
  app.store.subscribe(['color', 'townTotals', 'tab'], render);
  return { render };
}
