// @ts-check
// The layout map page, wired together: the store (state.js shapes it, store.js holds it), the map,
// the data the filter needs (sites + facets, the chain view's analysis, the township counts: one
// fetch–abort–render channel each, see latest.js), and the views that mount against the store
// (views/: map, filters, list, legend, chain panel, selection and card, board, tabs, cluster list,
// print; edit/: the staff's tools, loaded on demand where there is a server to write to).
// State in the URL (urlstate.js); all user data goes into the DOM as text (dom.js).

import { t, applyStatic, initialLang, setLang, lang, num, missingKeys } from './i18n.js';
import { h, $ } from './dom.js';
import * as urlstate from './urlstate.js';
import { getJSON, apiUrl, useSource } from './api.js';
import { loadStyle } from './map.js';
import { boundsOf } from './sites.js';
import { MatchPanel } from './match.js';
import * as L from './labels.js';
import { dialogOpen } from './dialog.js';
import { createStore } from './store.js';
import { latest } from './latest.js';
import { initialState } from './state.js';
import { mountFilters } from './views/filters.js';
import { mountList, LIST_STEP } from './views/list.js';
import { mountLegend } from './views/legend.js';
import { mountChainPanel, chainViewChain } from './views/chainpanel.js';
import { mountSelection } from './views/selection.js';
import { mountBoard } from './views/board.js';
import { mountTabs } from './views/tabs.js';
import { mountPrint, filterSummary } from './views/print.js';
import { mountClusterList } from './views/cluster.js';
import { mapHolder, mountMap } from './views/mapview.js';
import { mountTray } from './views/tray.js';
import { mapMode, PAGE_SIZE, pageQuery, tileTemplate, tileJsonUrl } from './sitepages.js';

// The GeoJSON path (a catalogue of at most TILE_THRESHOLD sites, see sitepages.js) fetches the
// filter's sites whole, in one page of the API's largest size; the tile path one list page.
const PAGE = 10000;

const store = createStore(initialState(urlstate.parse(location.search), LIST_STEP));
const { state } = store;

// ---------------------------------------------------------------- work the page waits for

let pending = Promise.resolve();
let busy = 0;

/**
 * Waits for `p` too in `window.atlas.settled()`; `<html data-state>` is `busy` while anything
 * tracked runs, `idle` (and `atlas:idle` is dispatched) once it all ended and the map drew it.
 * @template T @param {Promise<T>} p @returns {Promise<T>}
 */
function track(p) {
  pending = Promise.allSettled([pending, p]).then(() => undefined);
  busy++;
  document.documentElement.dataset.state = 'busy';
  const done = () => {
    busy--;
    if (!busy) settled().then(() => {
      if (busy) return;
      document.documentElement.dataset.state = 'idle';
      window.dispatchEvent(new Event('atlas:idle'));
    });
  };
  p.then(done, done);
  return p;
}

/** Resolves when every tracked job ended, the camera stopped and the map has drawn. */
async function settled() {
  await ready;
  let p;
  do {
    p = pending;
    await p;
  } while (p !== pending);
  const atlasMap = mapView.now();
  if (!atlasMap || !atlasMap.map) return;
  await atlasMap.readyPromise;
  const map = atlasMap.map;
  if (map.isMoving()) await new Promise((resolve) => map.once('moveend', resolve));
  await new Promise((resolve) => {
    map.once('idle', resolve);
    map.triggerRepaint();
  });
}

// ---------------------------------------------------------------- the map, once ready

const mapView = mapHolder();
const { onMap } = mapView;

// ---------------------------------------------------------------- the views

const matchPanel = new MatchPanel({
  onSelect: (/** @type {string} */ id) => app.select(id, { fly: true }),
  onResults: showMatches,
  onPickStart: (/** @type {any} */ cb) => onMap((m) => {
    m.setPickMode(cb);
    // On a phone the map sits above the form: bring it into view to pick.
    const pane = /** @type {HTMLElement} */ (document.querySelector('.map-pane'));
    const r = pane.getBoundingClientRect();
    if (r.bottom < 80 || r.top > window.innerHeight - 80) pane.scrollIntoView({ block: 'start', behavior: 'smooth' });
  }),
  onPickCancel: () => onMap((m) => m.setPickMode(null)),
  selectedId: () => state.site,
});

/** The context every view mounts against (see page.js for its shape). @type {import('./page.js').App} */
const app = /** @type {any} */ ({
  store,
  state,
  track,
  onMap,
  mapNow: mapView.now,
  categoryStyle: mapView.categoryStyle,
  matchPanel,
  showStatus,
  commit,
  reload,
  ensureAnalysis,
  ensureTownCounts,
  setFilter,
  replaceFilter,
  setTab,
  setColorMode,
  setTownTotals,
  copyLink,
  filterSummary: () => filterSummary(state.filter),
  select: (/** @type {string} */ id, /** @type {any} */ o) => app.card.select(id, o),
  editActionsFor: (/** @type {any} */ f) => app.editing.editActionsFor(f),
  stopMove: () => app.editing.moveMode.stop(),
});

// ---------------------------------------------------------------- startup

setLang(initialLang());
applyStatic();
updateLangButton();

const ready = start().catch((e) => {
  showStatus(t('loadError', { msg: e.message || String(e) }), true);
  throw e;
});

// The test hook (and a console handle for staff): the map, the state, and promises to wait on.
/** @type {any} */ (window).atlas = {
  get map() {
    const m = mapView.now();
    return m && m.map;
  },
  state,
  ready,
  /** Resolves when the last filter's data is shown, the camera stopped and the map has drawn it. */
  settled,
  missingKeys,
  /** The matching panel (tests run a raw query through `match.run(params)`). */
  match: matchPanel,
  /** The signed-in user, or null. */
  get user() {
    return staffTools ? staffTools.currentUser() : null;
  },
};

async function start() {
  document.documentElement.dataset.state = 'busy';
  const config = (await getJSON('config.json').catch(() => ({}))) || {};
  if (config.mode === 'static') await openPublished(config);
  // A published map has no server to evaluate a CQL2 filter: it says so and shows the rest.
  const unapplied = published && state.filter.filter;
  if (unapplied) state.filter = { ...state.filter, filter: '' };
  state.config = config;
  const divisions = getJSON(apiUrl('divisions'));
  // The map starts as soon as its style and the way it draws the sites are known (its library
  // and worker take the longest to start), while the rest of the page loads.
  const mapStarted = Promise.all([
    loadStyle('style/atlas-style.json', published ? published.styleData : undefined),
    // A published map always draws the whole catalogue from its archive's tiles.
    published ? 'tiles' : getJSON(apiUrl('sites', new URLSearchParams({ limit: '1' }))).then((all) => mapMode(all && all.numberMatched)),
  ]).then(([style, mode]) => {
    state.mode = mode;
    document.documentElement.dataset.mapMode = mode;
    mountMap(app, mapView, style, divisions.then((d) => L.loadDivisions(d)));
  });
  const [chains, vocab, staff] = await Promise.all([
    getJSON(apiUrl('chains')),
    getJSON(apiUrl('vocabularies')),
    published ? null : import('./edit/editing.js').then((m) => m.openStaffTools()),
    divisions,
    mapStarted,
  ]);
  staffTools = staff;
  L.loadVocabularies(vocab);
  L.loadChains(chains);
  mountViews();
  if (state.tab === 'match') setTab('match', { push: false });
  await reload({ fit: false });
  if (unapplied) showStatus(t('cqlNotPublished', { filter: unapplied }), true);
}

/** @type {any} the static data source of a published map (published.js), or null */
let published = null;

/**
 * The staff's tools (edit/editing.js `openStaffTools`), or null on a published map, which has
 * no server to write to and ships none of their code.
 * @type {Awaited<ReturnType<typeof import('./edit/editing.js').openStaffTools>> | null}
 */
let staffTools = null;

/**
 * What a published map has in place of the editing tools and the 待定位 worklist: nothing to show
 * and nothing to do. @returns {{editing: any, worklist: any}}
 */
function readerTools() {
  const none = () => {};
  return {
    editing: {
      editActionsFor: () => null,
      fresh: async () => null,
      errorText: (/** @type {any} */ e) => t('loadError', { msg: (e && e.message) || String(e) }),
      moveMode: { moving: false, stop: none },
      renderStaffBar: none,
    },
    worklist: { locate: { active: false, stop: none }, relabel: none, isOpen: () => false, close: none, toggle: none },
  };
}

/**
 * A published map (config.json `mode: "static"`): the page's reads come from the published
 * files; signing in, editing and site matching (which need the server) are left out.
 * @param {any} config
 */
async function openPublished(config) {
  published = await import('./published.js');
  await published.open(config);
  useSource(published);
  // css/atlas.css hides the sign-in button, the staff bar and the matching tab.
  document.documentElement.dataset.source = 'static';
  $('btn-print').after(h('a', { id: 'link-about', class: 'button', href: 'about.html', 'data-i18n': 'aboutMap' }, t('aboutMap')));
  for (const a of document.querySelectorAll('a[href^="api/v1/"]')) {
    a.setAttribute('href', published.href(a.getAttribute('href') || ''));
  }
  if (config.title) document.title = config.title;
}

function mountViews() {
  if (staffTools) app.editing = staffTools.mountEditing(app);
  else ({ editing: app.editing, worklist: app.worklist } = readerTools());
  app.filters = mountFilters(app);
  app.list = mountList(app);
  app.tray = mountTray(app);
  if (staffTools) app.worklist = staffTools.mountWorklist(app);
  app.legend = mountLegend(app);
  app.chainPanel = mountChainPanel(app);
  app.card = mountSelection(app);
  app.board = mountBoard(app);
  app.tabs = mountTabs(app);
  app.cluster = mountClusterList(app);
  mountPrint(app);
  bindPage();
  syncControls();
}

// ---------------------------------------------------------------- data

const sitesChannel = latest(track);
const analysisChannel = latest(track);
const townChannel = latest(track);
let firstData = true;

/**
 * Fetches the filter's sites (GeoJSON path: all of them; tile path: the list's first page and
 * the TileJSON's bounds, while the map loads the filter's tiles) and facets, then redraws map,
 * list, counts and filters.
 */
function reload({ fit = false } = {}) {
  const q = urlstate.filterQuery(state.filter);
  const tiles = state.mode === 'tiles';
  const siteQ = pageQuery(q, 0, tiles ? PAGE_SIZE : PAGE);
  if (tiles && !published) {
    const template = tileTemplate(document.baseURI, q);
    const refresh = !firstData; // after an edit the same filter's tiles changed too
    onMap((m) => m.setTileFilter(template, state.filter.chain, { refresh }));
  }
  showStatus(t('loading'));
  const bounds = (/** @type {AbortSignal} */ signal) => (tiles ? getJSON(tileJsonUrl(document.baseURI, q), { signal }).catch(() => null) : null);
  // A published map draws a filter's markers itself (no static tile holds a filter's clusters).
  const markers = () => (published ? published.markers(q) : null);
  const job = sitesChannel.run(
    (signal) => Promise.all([getJSON(apiUrl('sites', siteQ), { signal }), getJSON(apiUrl('facets', q), { signal }), bounds(signal), markers()]),
    { ok: ([fc, facets, tj, pts]) => showSites(fc, facets, fit, tj, pts), fail: (e) => showStatus(t('loadError', { msg: e.message }), true) },
  );
  ensureAnalysis();
  ensureTownCounts();
  return job;
}

/** @param {any} fc @param {any} facets @param {boolean} fit @param {any} tileJson @param {any[] | null} [markers] */
function showSites(fc, facets, fit, tileJson, markers = null) {
  state.features = fc.features || [];
  state.bounds = boundsOfTileJson(tileJson);
  state.matched = fc.numberMatched ?? state.features.length;
  state.byId = new Map(state.features.map((/** @type {any} */ f) => [f.properties.id, f]));
  state.facets = facets && facets.facets ? facets.facets : facets;
  L.learnFacetLabels(state.facets);
  state.listShown = LIST_STEP;
  renderAll();
  app.tray.load();
  onMap((m) => {
    if (state.mode === 'geojson') m.setSites(state.features, state.filter.chain || null);
    if (published) m.showPublished(markers, state.filter.chain || '');
    if (state.selectedFeature) m.setSelection(state.selectedFeature);
  });
  if (fit) fitResults();
  if (firstData) {
    firstData = false;
    if (state.site) app.select(state.site, { fly: false, push: false });
  } else if (state.site && !state.byId.has(state.site) && state.selectedFeature) {
    // The selected site left the filter: keep its card, drop the list highlight.
    app.list.highlight(null);
  }
  // Only a catalogue that grew past the threshold since the page loaded can show fewer.
  const shown = state.features.length;
  showStatus(state.mode === 'geojson' && shown < state.matched ? t('showingFirst', { shown: num(shown), n: num(state.matched) }) : '');
}

/** A TileJSON's `bounds` as [[w, s], [e, n]], or null. @param {any} tj @returns {import('./state.js').Bounds | null} */
function boundsOfTileJson(tj) {
  const b = tj && Array.isArray(tj.bounds) ? tj.bounds.map(Number) : [];
  return b.length === 4 && b.every(Number.isFinite) ? [[b[0], b[1]], [b[2], b[3]]] : null;
}

/** Fetches the chain view's analysis when the chain or the threshold changed. */
function ensureAnalysis() {
  const chain = chainViewChain(state.filter);
  const key = chain ? `${chain}|${state.weak ?? ''}` : null;
  if (key === state.analysis.key) return;
  analysisChannel.cancel();
  state.analysis = { key, data: null, error: null };
  app.chainPanel.render();
  if (!chain) return;
  const q = new URLSearchParams();
  if (state.weak) q.set('weak_below', String(state.weak));
  analysisChannel.run((signal) => getJSON(apiUrl(`chains/${encodeURIComponent(chain)}/analysis`, q), { signal }), {
    ok: (data) => {
      state.analysis.data = data;
      app.chainPanel.render();
    },
    fail: (e) => {
      state.analysis.error = e.message || String(e);
      app.chainPanel.render();
    },
  });
}

/** Fetches the per-township counts of the current filter when the board or the layer needs them. */
function ensureTownCounts() {
  if (!state.townTotals && !app.board.isOpen()) return;
  const q = urlstate.filterQuery(state.filter);
  const key = q.toString();
  if (key === state.townCounts.key && (state.townCounts.data || state.townCounts.error)) {
    app.board.renderTownBoard();
    return;
  }
  state.townCounts = { key, data: null, error: null };
  app.board.renderTownBoard();
  townChannel.run((signal) => getJSON(apiUrl('divisions/counts', q), { signal }), {
    ok: (data) => {
      state.townCounts.data = data;
      onMap((m) => m.setTownCounts(data));
      app.board.renderTownBoard();
    },
    fail: (e) => {
      state.townCounts.error = e.message || String(e);
      app.board.renderTownBoard();
    },
  });
}

// ---------------------------------------------------------------- actions

/** Changes filter fields; refetches when one changed (`always`: even when none did). */
function setFilter(/** @type {Partial<urlstate.Filter>} */ patch, { always = false } = {}) {
  const next = { ...state.filter };
  let changed = always;
  for (const [k, v] of Object.entries(patch)) {
    if (JSON.stringify(next[k]) !== JSON.stringify(v)) {
      next[k] = v;
      changed = true;
    }
  }
  if (changed) replaceFilter(next);
}

/** Puts a whole filter in place: controls, URL (a new history entry), data. @param {urlstate.Filter} filter */
function replaceFilter(filter) {
  store.set({ filter });
  syncControls();
  commit(true);
  reload();
}

/** @param {string} name @param {{focus?: boolean, push?: boolean}} [o] */
function setTab(name, { focus = false, push = true } = {}) {
  store.set({ tab: name === 'match' ? 'match' : 'sites' });
  app.tabs.render({ focus });
  if (state.tab === 'match') matchPanel.open(state.filter);
  else {
    matchPanel.cancelPick();
    onMap((m) => m.setMatches(null));
  }
  if (push) commit(true);
}

/** @param {string} mode */
function setColorMode(mode) {
  store.set({ color: mode === 'chain' ? 'chain' : 'category' });
  commit(true);
}

/** @param {boolean} on */
function setTownTotals(on) {
  store.set({ townTotals: !!on });
  commit(true);
  ensureTownCounts();
}

/**
 * Shows matching results on the map (null clears); fits the map to them when asked.
 * @param {any[] | null} features @param {number[] | null} center @param {number | null} radiusKm
 */
function showMatches(features, center, radiusKm, { fit = false } = {}) {
  onMap((m) => {
    m.setMatches(features, center, radiusKm);
    app.legend.render();
    if (!fit) return;
    const pts = [...(features || [])];
    if (center) {
      // The whole search circle: its bounding box (about 111 km per degree of latitude).
      const r = radiusKm || 0;
      const dLat = r > 0 ? r / 111.2 : 0;
      const dLon = r > 0 ? dLat / Math.cos((center[1] * Math.PI) / 180) : 0;
      for (const [x, y] of [[center[0] - dLon, center[1] - dLat], [center[0] + dLon, center[1] + dLat]]) {
        pts.push({ type: 'Feature', geometry: { type: 'Point', coordinates: [x, y] }, properties: {} });
      }
    }
    if (pts.length) m.fitTo(pts);
  });
}

/** Fits the map to the filter's sites: their features (GeoJSON path) or their bounds (tiles). */
function fitResults() {
  const b = state.bounds;
  if (state.mode === 'tiles') {
    if (b && state.matched) onMap((m) => m.fitTo(b));
  } else if (state.features.length) onMap((m) => m.fitTo(state.features));
}

/** @param {string} href @param {HTMLElement} btn */
async function copyLink(href, btn) {
  const label = btn.textContent;
  try {
    await navigator.clipboard.writeText(href);
    btn.textContent = t('copied');
    setTimeout(() => (btn.textContent = label), 1600);
  } catch {
    const input = /** @type {HTMLInputElement} */ (h('input', { type: 'text', readonly: true, value: href, class: 'copy-fallback', 'aria-label': t('copyFailed') }));
    showStatus(t('copyFailed'));
    $('status-line').appendChild(input);
    input.select();
  }
}

/** @param {string} msg */
function showStatus(msg, isError = false) {
  const el = $('status-line');
  el.textContent = msg || '';
  el.classList.toggle('error', !!isError);
}

// ---------------------------------------------------------------- URL and history

let restoring = false; // true while the state is being restored from the URL (back/forward)

/** Writes the state to the URL: a new history entry (`push`) or the current one. @param {boolean} push */
function commit(push) {
  if (restoring) return;
  const next = urlstate.serialize(state) || location.pathname;
  const now = location.search || location.pathname;
  if (next === now) return;
  if (push) history.pushState(null, '', next);
  else history.replaceState(null, '', next);
}

/** Back/forward: the state of the URL, then the data it needs. */
function restore() {
  const s = urlstate.parse(location.search);
  const filterChanged = !urlstate.sameFilter(s.filter, state.filter);
  restoring = true;
  try {
    store.set({ filter: s.filter, color: s.color, townTotals: s.townTotals, weak: s.weak });
    if (s.tab !== state.tab) setTab(s.tab, { push: false });
    const view = s.view;
    if (view) {
      onMap((m) => {
        state.view = view;
        m.map.jumpTo({ center: [view.lon, view.lat], zoom: view.zoom });
      });
    }
    syncControls();
    if (!s.site) app.card.close({ push: false });
  } finally {
    restoring = false;
  }
  const after = () => {
    if (s.site) app.select(s.site, { fly: false, push: false });
  };
  if (filterChanged) reload().then(after);
  else {
    renderAll();
    ensureAnalysis();
    ensureTownCounts();
    after();
  }
}

// ---------------------------------------------------------------- page-wide controls

function bindPage() {
  window.addEventListener('popstate', restore);
  $('btn-fit').addEventListener('click', fitResults);
  $('btn-permalink').addEventListener('click', (e) => copyLink(location.href, /** @type {HTMLElement} */ (e.currentTarget)));
  $('btn-lang').addEventListener('click', switchLanguage);
  document.addEventListener('keydown', (e) => {
    if (e.key !== 'Escape') return;
    if (dialogOpen()) return; // the dialog closes itself
    const card = $('card');
    if (app.editing.moveMode.moving) app.editing.moveMode.stop({ focusCard: true });
    else if (app.worklist.locate.active) app.worklist.locate.stop();
    else if (matchPanel.picking) matchPanel.cancelPick();
    else if (!card.hidden && card.contains(document.activeElement)) app.card.close({ push: true, focusRow: true });
    else if (app.board.isOpen()) app.board.close();
  });
}

function switchLanguage() {
  setLang(lang() === 'zh' ? 'en' : 'zh');
  applyStatic();
  updateLangButton();
  renderAll();
  matchPanel.relabel();
  app.editing.renderStaffBar();
  app.worklist.relabel();
  if (state.selectedFeature) app.card.show(state.selectedFeature);
  if (app.board.isOpen()) app.board.open();
}

function updateLangButton() {
  const b = $('btn-lang');
  b.textContent = t('langSwitch');
  b.lang = lang() === 'zh' ? 'en' : 'zh-CN';
}

/** Puts the state's filter into the form controls. */
function syncControls() {
  app.filters.syncSearch();
  app.filters.renderSelects();
  app.legend.render();
  app.filters.renderLayerToggles();
  app.filters.updateExport();
  app.chainPanel.render();
}

function renderAll() {
  app.filters.renderLayerToggles();
  app.filters.renderSelects();
  $('result-count').textContent = t('resultCount', { n: num(state.matched) });
  app.list.render();
  app.tray.render();
  app.legend.render();
  app.filters.updateExport();
  app.chainPanel.render();
  app.board.renderTownBoard();
}

// Export only what helps tests and debugging.
export { state, boundsOf };
