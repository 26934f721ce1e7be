// @ts-check
// The sidebar's two tabs (sites and chains / site matching), as an ARIA tablist: arrow keys,
// Home and End move between them.

import { $ } from '../dom.js';

/** @typedef {import('../page.js').App} App */

const ORDER = ['sites', 'match'];

/**
 * The tab a key moves to from `current`, or null.
 * @param {string} key @param {string} current
 */
export function tabAfterKey(key, current) {
  const i = ORDER.indexOf(current);
  if (key === 'ArrowRight') return ORDER[(i + 1) % ORDER.length];
  if (key === 'ArrowLeft') return ORDER[(i + ORDER.length - 1) % ORDER.length];
  if (key === 'Home') return ORDER[0];
  if (key === 'End') return ORDER[ORDER.length - 1];
  return null;
}

/** @param {App} app */
export function mountTabs(app) {
  /** Shows the tab of the state. @param {{focus?: boolean}} [o] */
  function render({ focus = false } = {}) {
    for (const [tab, panel] of [['sites', 'panel-sites'], ['match', 'panel-match']]) {
      const on = tab === app.state.tab;
      const btn = $(`tab-${tab}`);
      btn.setAttribute('aria-selected', on ? 'true' : 'false');
      btn.tabIndex = on ? 0 : -1;
      $(panel).hidden = !on;
      if (on && focus) btn.focus();
    }
  }
  for (const tab of ORDER) {
    $(`tab-${tab}`).addEventListener('click', () => app.setTab(tab));
    $(`tab-${tab}`).addEventListener('keydown', (e) => {
      const next = tabAfterKey(e.key, app.state.tab);
      if (next) {
        e.preventDefault();
        app.setTab(next, { focus: true });
      }
    });
  }
  return { render };
}
