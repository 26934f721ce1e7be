// @ts-check
// The progress board (进度看板): the indicators (`/indicators`, fetched once per write) and the
// per-township table of the current filter (`/divisions/counts`, shared with the map's township
// totals layer). An indicator's "show sites" puts its `count_filter` on the map and the list.

import { t } from '../i18n.js';
import { h, clear, $ } from '../dom.js';
import { getJSON, apiUrl } from '../api.js';
import { renderIndicators, renderTownTable } from '../indicators.js';
import * as urlstate from '../urlstate.js';
import { MORE } from './filters.js';

/** @typedef {import('../page.js').App} App */

/** @param {App} app */
export function mountBoard(app) {
  const { state } = app;
  const isOpen = () => !$('board').hidden;

  function renderTownBoard() {
    if (!isOpen()) return;
    $('town-board-filter').textContent = t('currentFilter', { filter: app.filterSummary() });
    /** @type {HTMLInputElement} */ ($('board-town-layer')).checked = state.townTotals;
    const body = $('town-board-body');
    const c = state.townCounts;
    if (c.error) clear(body).appendChild(h('p', { class: 'error' }, t('loadError', { msg: c.error })));
    else if (!c.data) clear(body).appendChild(h('p', {}, t('loading')));
    else renderTownTable(body, c.data);
  }

  async function open() {
    $('board').hidden = false;
    $('btn-indicators').setAttribute('aria-expanded', 'true');
    app.ensureTownCounts();
    renderTownBoard();
    const body = $('indicators-body');
    if (!state.indicators) {
      clear(body).appendChild(h('p', {}, t('loading')));
      try {
        state.indicators = await app.track(getJSON(apiUrl('indicators')));
      } catch (e) {
        clear(body).appendChild(h('p', { class: 'error' }, t('loadError', { msg: e.message })));
        return;
      }
    }
    renderIndicators(body, state.indicators, { onShowSites: showIndicatorSites });
  }

  function close() {
    $('board').hidden = true;
    $('btn-indicators').setAttribute('aria-expanded', 'false');
    $('btn-indicators').focus();
  }

  /** Puts a counted indicator's sites (its `count_filter`) on the map and the list. @param {string} countFilter */
  function showIndicatorSites(countFilter) {
    const f = urlstate.parse(countFilter).filter;
    close();
    app.setTab('sites', { push: false });
    if (MORE.some((k) => f[k])) /** @type {HTMLDetailsElement} */ ($('more-filters')).open = true;
    app.replaceFilter(f);
  }

  $('btn-indicators').addEventListener('click', () => (isOpen() ? close() : open()));
  $('indicators-close').addEventListener('click', close);
  $('board-town-layer').addEventListener('change', (e) => app.setTownTotals(/** @type {HTMLInputElement} */ (e.target).checked));
  app.store.subscribe(['townTotals'], () => {
    /** @type {HTMLInputElement} */ ($('board-town-layer')).checked = state.townTotals;
  });
  return { open, close, isOpen, renderTownBoard };
}
