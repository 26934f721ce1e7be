// The layout map page: state in the URL, one fetch of the filtered sites and facets per filter
// change, a map and a list that show the same sites, a record card, exports and print; the chain
// view (gap analysis of the chosen chain), site matching (智慧选址) and the progress board.
// Signed-in staff (editors, admins) also get the editing tools: the staff bar, the card's edit
// actions, the site form, drag-to-correct, history and upload; a reader gets none of them.
// All user data goes into the DOM as text (see dom.js), never as HTML.

import { t, applyStatic, initialLang, setLang, lang, num, missingKeys } from './i18n.js';
import { h, clear, $, debounce } from './dom.js';
import * as urlstate from './urlstate.js';
import { getJSON, apiUrl } from './api.js';
import { AtlasMap, loadStyle } from './map.js';
import { siteChains, boundsOf } from './sites.js';
import { symbolCanvas } from './symbols.js';
import { renderCard } from './card.js';
import { renderIndicators, renderTownTable } from './indicators.js';
import { renderChainView } from './chainview.js';
import { MatchPanel } from './match.js';
import * as L from './labels.js';
import * as auth from './auth.js';
import { dialogOpen } from './dialog.js';
import { renderStaff, openSignIn } from './staff.js';
import { openSiteForm, fetchSite, verifySite, deleteSite, errorText, MoveMode } from './editor.js';
import { openHistory, openDeleted } from './history.js';
import { openUpload } from './upload.js';

const PAGE = 10000; // the API's largest page: the map and list show at most this many sites
const LIST_STEP = 200; // list rows rendered at once
const CATEGORIES = ['innovation_resource', 'carrier_platform', 'key_enterprise'];
const SELECTS = ['chain', 'link', 'kind', 'level', 'status', 'scope', 'town'];
const MORE = ['kind', 'level', 'status', 'scope', 'town']; // the filters under "more filters"

const initial = urlstate.parse(location.search);
const state = {
  filter: initial.filter,
  color: initial.color,
  view: initial.view,
  site: initial.site,
  weak: initial.weak, // the chain view's weak threshold; null = the server's default
  townTotals: initial.townTotals, // the township totals layer is on
  tab: initial.tab, // the sidebar tab: 'sites' or 'match'
  analysis: { key: null, data: null, error: null }, // the chain view's analysis
  townCounts: { key: null, data: null, error: null }, // /divisions/counts of the current filter
  features: [],
  byId: new Map(),
  matched: 0,
  facets: null,
  listShown: LIST_STEP,
  selectedFeature: null,
  version: null, // {id, etag} of the selected site (editors only): what a write's If-Match holds
  config: {},
  errors: [],
};

let atlasMap = null;
let loadSeq = 0;
let pending = Promise.resolve();
let controller = null;
let firstData = true;
let restoring = false; // true while the state is being restored from the URL (back/forward)
let analysisController = null;
let townController = null;
let selectSeq = 0;

const moveMode = new MoveMode({
  map: () => atlasMap,
  onSaved: (id) => track(afterWrite(id)),
  onStatus: (msg, isError) => (state.site ? cardNote(state.site, msg, isError) : showStatus(msg, isError)),
  onEnd: ({ focusCard }) => {
    if (focusCard && !$('card').hidden) $('card').focus();
  },
});

const matchPanel = new MatchPanel({
  onSelect: (id) => select(id, { fly: true }),
  onResults: showMatches,
  onPickStart: (cb) => {
    if (!atlasMap || !atlasMap.ready) return;
    atlasMap.setPickMode(cb);
    // On a phone the map sits above the form: bring it into view to pick.
    const pane = document.querySelector('.map-pane');
    const r = pane.getBoundingClientRect();
    if (r.bottom < 80 || r.top > window.innerHeight - 80) pane.scrollIntoView({ block: 'start', behavior: 'smooth' });
  },
  onPickCancel: () => atlasMap && atlasMap.ready && atlasMap.setPickMode(null),
  selectedId: () => state.site,
});

/** Waits for `p` too in `window.atlas.settled()`. */
function track(p) {
  const prev = pending;
  pending = Promise.allSettled([prev, p]);
  return p;
}

// ---------------------------------------------------------------- startup

setLang(initialLang());
applyStatic();
updateLangButton();

const ready = start().catch((e) => {
  showStatus(t('loadError', { msg: e.message || String(e) }), true);
  throw e;
});

// The test hook (and a console handle for staff): the map, the state, and promises to wait on.
window.atlas = {
  get map() {
    return atlasMap && atlasMap.map;
  },
  state,
  ready,
  /** Resolves when the last filter's data is shown and the map has drawn it. */
  async settled() {
    await ready;
    let p;
    do {
      p = pending;
      await p;
    } while (p !== pending);
    if (atlasMap && atlasMap.map) {
      await atlasMap.readyPromise;
      const map = atlasMap.map;
      await new Promise((resolve) => {
        map.once('idle', resolve);
        map.triggerRepaint();
      });
    }
  },
  missingKeys,
  /** The matching panel (tests run a raw query through `match.run(params)`). */
  match: matchPanel,
  /** The signed-in user, or null. */
  get user() {
    return auth.currentUser();
  },
};

async function start() {
  const [config, style, chains, divisions, vocab] = await Promise.all([
    getJSON('config.json').catch(() => ({})),
    loadStyle('style/atlas-style.json'),
    getJSON(apiUrl('chains')),
    getJSON(apiUrl('divisions')),
    getJSON(apiUrl('vocabularies')),
    auth.restore(),
  ]);
  auth.onChange(onAuthChange);
  renderStaffBar();
  state.config = config || {};
  L.loadVocabularies(vocab);
  L.loadChains(chains);
  const divisionList = L.loadDivisions(divisions);
  bindControls();
  createMap(style, divisionList);
  if (state.tab === 'match') setTab('match', { push: false });
  await reload({ fit: false });
}

function createMap(style, divisionList) {
  const container = $('map');
  try {
    atlasMap = new AtlasMap(container, {
      style,
      config: state.config,
      view: state.view,
      onMove: (view) => {
        state.view = view;
        commit(false);
      },
      onSiteClick: (id) => select(id, { fly: false, fromMap: true }),
      onClusterClick: showClusterList,
      onError: (e) => {
        console.warn('map:', e && e.message ? e.message : e);
        state.errors.push(String(e && e.message ? e.message : e));
      },
    });
  } catch (e) {
    mapUnavailable(e);
    return;
  }
  atlasMap.readyPromise.then(async () => {
    atlasMap.setTowns(divisionList);
    atlasMap.setColorMode(state.color);
    showSitesOnMap();
    atlasMap.setTownCountsVisible(state.townTotals);
    if (state.townCounts.data) atlasMap.setTownCounts(state.townCounts.data);
    if (state.tab === 'match') matchPanel.open(state.filter);
    if (!state.view) {
      const sel = state.site && state.byId.get(state.site);
      if (sel) atlasMap.flyToSite(sel);
      else {
        const b = await atlasMap.districtBounds();
        if (b) atlasMap.fitTo(b, { animate: false });
      }
    }
  });
}

function mapUnavailable(e) {
  console.warn('no map:', e);
  const box = $('map-error');
  box.textContent = t('mapError');
  box.hidden = false;
}

// ---------------------------------------------------------------- data

/** Fetches the filtered sites and facets, then redraws map, list, counts and filters. */
function reload({ fit = false } = {}) {
  const seq = ++loadSeq;
  if (controller) controller.abort();
  controller = new AbortController();
  const { signal } = controller;
  const q = urlstate.filterQuery(state.filter);
  const siteQ = new URLSearchParams(q);
  siteQ.set('limit', String(PAGE));
  showStatus(t('loading'));
  const job = Promise.all([
    getJSON(apiUrl('sites', siteQ), { signal }),
    getJSON(apiUrl('facets', q), { signal }),
  ])
    .then(([fc, facets]) => {
      if (seq !== loadSeq) return;
      state.features = fc.features || [];
      state.matched = fc.numberMatched ?? state.features.length;
      state.byId = new Map(state.features.map((f) => [f.properties.id, f]));
      state.facets = facets && facets.facets ? facets.facets : facets;
      L.learnFacetLabels(state.facets);
      state.listShown = LIST_STEP;
      renderAll();
      showSitesOnMap();
      if (fit) fitResults();
      if (firstData) {
        firstData = false;
        if (state.site) select(state.site, { fly: false, push: false });
      } else if (state.site && !state.byId.has(state.site) && state.selectedFeature) {
        // The selected site left the filter: keep its card, drop the list highlight.
        highlightRow(null);
      }
      const shown = state.features.length;
      showStatus(shown < state.matched ? t('showingFirst', { shown: num(shown), n: num(state.matched) }) : '');
    })
    .catch((e) => {
      if (e.name === 'AbortError') return;
      if (seq !== loadSeq) return;
      showStatus(t('loadError', { msg: e.message }), true);
    });
  track(job);
  ensureAnalysis();
  ensureTownCounts();
  return job;
}

/** Fetches the chain view's analysis when the chain or the threshold changed. */
function ensureAnalysis() {
  const chain = chainViewChain();
  const key = chain ? `${chain}|${state.weak ?? ''}` : null;
  if (key === state.analysis.key) return;
  if (analysisController) analysisController.abort();
  state.analysis = { key, data: null, error: null };
  renderChainPanel();
  if (!chain) return;
  analysisController = new AbortController();
  const q = new URLSearchParams();
  if (state.weak) q.set('weak_below', String(state.weak));
  const job = getJSON(apiUrl(`chains/${encodeURIComponent(chain)}/analysis`, q), { signal: analysisController.signal })
    .then((data) => {
      if (state.analysis.key !== key) return;
      state.analysis.data = data;
      renderChainPanel();
    })
    .catch((e) => {
      if (e.name === 'AbortError' || state.analysis.key !== key) return;
      state.analysis.error = e.message || String(e);
      renderChainPanel();
    });
  track(job);
}

/** The chain of the chain view: the filter's chain, else the chain of the filter's link. */
function chainViewChain() {
  if (state.filter.chain) return state.filter.chain.split(',')[0];
  if (state.filter.link) return L.chainOfLink(state.filter.link.split(',')[0]) || '';
  return '';
}

function renderChainPanel() {
  keepFocus($('chain-view'), () => renderChainView($('chain-view'), {
    chainId: chainViewChain(),
    analysis: state.analysis.data,
    error: state.analysis.error,
    activeLink: state.filter.link,
    weakBelow: state.weak,
    onLink: (id) => setFilter(id ? { chain: chainViewChain(), link: id } : { link: '' }),
    onWeak: (n) => {
      state.weak = n;
      commit(false);
      ensureAnalysis();
    },
    onSite: (id) => select(id, { fly: true }),
    symbolFor: (cat) => {
      const st = atlasMap ? atlasMap.categoryStyle(cat) : { shape: 'circle', color: '#666' };
      return symbolCanvas(st.shape, 'solid', st.color, 13);
    },
  }));
}

/** Fetches the per-township counts of the current filter when the board or the layer needs them. */
function ensureTownCounts() {
  if (!state.townTotals && $('board').hidden) return;
  const q = urlstate.filterQuery(state.filter);
  const key = q.toString();
  if (key === state.townCounts.key && (state.townCounts.data || state.townCounts.error)) {
    renderTownBoard();
    return;
  }
  if (townController) townController.abort();
  townController = new AbortController();
  state.townCounts = { key, data: null, error: null };
  renderTownBoard();
  const job = getJSON(apiUrl('divisions/counts', q), { signal: townController.signal })
    .then((data) => {
      if (state.townCounts.key !== key) return;
      state.townCounts.data = data;
      if (atlasMap && atlasMap.ready) atlasMap.setTownCounts(data);
      renderTownBoard();
    })
    .catch((e) => {
      if (e.name === 'AbortError' || state.townCounts.key !== key) return;
      state.townCounts.error = e.message || String(e);
      renderTownBoard();
    });
  track(job);
}

function renderTownBoard() {
  if ($('board').hidden) return;
  $('town-board-filter').textContent = t('currentFilter', { filter: filterSummary() });
  $('board-town-layer').checked = state.townTotals;
  const body = $('town-board-body');
  const c = state.townCounts;
  if (c.error) clear(body).appendChild(h('p', { class: 'error' }, t('loadError', { msg: c.error })));
  else if (!c.data) clear(body).appendChild(h('p', {}, t('loading')));
  else renderTownTable(body, c.data);
}

function setTownTotals(on) {
  state.townTotals = !!on;
  if (atlasMap && atlasMap.ready) atlasMap.setTownCountsVisible(state.townTotals);
  $('board-town-layer').checked = state.townTotals;
  renderLayerToggles();
  renderLegend();
  commit(true);
  ensureTownCounts();
}

/** Shows matching results on the map (null clears); fits the map to them when asked. */
function showMatches(features, center, radiusKm, { fit = false } = {}) {
  if (!atlasMap || !atlasMap.ready) return;
  atlasMap.setMatches(features, center, radiusKm);
  renderLegend();
  if (!fit) return;
  const pts = [...(features || [])];
  if (center) {
    // The whole search circle: its bounding box (about 111 km per degree of latitude).
    const dLat = radiusKm > 0 ? radiusKm / 111.2 : 0;
    const dLon = radiusKm > 0 ? dLat / Math.cos((center[1] * Math.PI) / 180) : 0;
    for (const [x, y] of [[center[0] - dLon, center[1] - dLat], [center[0] + dLon, center[1] + dLat]]) {
      pts.push({ type: 'Feature', geometry: { type: 'Point', coordinates: [x, y] }, properties: {} });
    }
  }
  if (pts.length) atlasMap.fitTo(pts);
}

// ---------------------------------------------------------------- tabs

function setTab(name, { focus = false, push = true } = {}) {
  state.tab = name === 'match' ? 'match' : 'sites';
  for (const [tab, panel] of [['sites', 'panel-sites'], ['match', 'panel-match']]) {
    const on = tab === state.tab;
    const btn = $(`tab-${tab}`);
    btn.setAttribute('aria-selected', on ? 'true' : 'false');
    btn.tabIndex = on ? 0 : -1;
    $(panel).hidden = !on;
    if (on && focus) btn.focus();
  }
  if (state.tab === 'match') matchPanel.open(state.filter);
  else {
    matchPanel.cancelPick();
    if (atlasMap && atlasMap.ready) atlasMap.setMatches(null);
  }
  renderLegend();
  if (push) commit(true);
}

function tabKeys(e) {
  const order = ['sites', 'match'];
  const i = order.indexOf(state.tab);
  let next = null;
  if (e.key === 'ArrowRight') next = order[(i + 1) % order.length];
  else if (e.key === 'ArrowLeft') next = order[(i + order.length - 1) % order.length];
  else if (e.key === 'Home') next = order[0];
  else if (e.key === 'End') next = order[order.length - 1];
  if (next) {
    e.preventDefault();
    setTab(next, { focus: true });
  }
}

function showSitesOnMap() {
  if (!atlasMap || !atlasMap.ready) return;
  atlasMap.setSites(state.features, state.filter.chain || null);
  if (state.selectedFeature) atlasMap.setSelection(state.selectedFeature);
}

function fitResults() {
  if (!atlasMap || !atlasMap.ready || !state.features.length) return;
  atlasMap.fitTo(state.features);
}

// ---------------------------------------------------------------- URL and history

/** Writes the state to the URL: a new history entry (`push`) or the current one. */
function commit(push) {
  if (restoring) return;
  const next = urlstate.serialize(state) || location.pathname;
  const now = location.search || location.pathname;
  if (next === now) return;
  if (push) history.pushState(null, '', next);
  else history.replaceState(null, '', next);
}

window.addEventListener('popstate', () => {
  const s = urlstate.parse(location.search);
  const filterChanged = !urlstate.sameFilter(s.filter, state.filter);
  restoring = true;
  try {
    state.filter = s.filter;
    if (s.color !== state.color) {
      state.color = s.color;
      if (atlasMap && atlasMap.ready) atlasMap.setColorMode(state.color);
    }
    if (s.townTotals !== state.townTotals) {
      state.townTotals = s.townTotals;
      if (atlasMap && atlasMap.ready) atlasMap.setTownCountsVisible(state.townTotals);
    }
    state.weak = s.weak;
    if (s.tab !== state.tab) setTab(s.tab, { push: false });
    if (s.view && atlasMap && atlasMap.ready) {
      state.view = s.view;
      atlasMap.map.jumpTo({ center: [s.view.lon, s.view.lat], zoom: s.view.zoom });
    }
    syncControls();
    if (!s.site) closeCard({ push: false });
  } finally {
    restoring = false;
  }
  const after = () => {
    if (s.site) select(s.site, { fly: false, push: false });
  };
  if (filterChanged) reload().then(after);
  else {
    renderAll();
    ensureAnalysis();
    ensureTownCounts();
    after();
  }
});

// ---------------------------------------------------------------- controls

function bindControls() {
  const form = $('filters');
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    setFilter({ q: $('f-q').value.trim() });
  });
  const search = debounce(() => setFilter({ q: $('f-q').value.trim() }), 350);
  $('f-q').addEventListener('input', search);
  for (const k of SELECTS) {
    $(`f-${k}`).addEventListener('change', (e) => {
      const v = e.target.value;
      if (k === 'chain') setFilter({ chain: v, link: '' });
      else setFilter({ [k]: v });
    });
  }
  $('btn-reset').addEventListener('click', () => {
    $('f-q').value = '';
    state.filter = urlstate.emptyFilter();
    afterFilterChange();
  });
  $('btn-fit').addEventListener('click', fitResults);
  $('export-format').addEventListener('change', updateExport);
  $('btn-permalink').addEventListener('click', (e) => copyLink(location.href, e.currentTarget));
  $('btn-lang').addEventListener('click', () => {
    setLang(lang() === 'zh' ? 'en' : 'zh');
    applyStatic();
    updateLangButton();
    renderAll();
    matchPanel.relabel();
    renderStaffBar();
    if (state.selectedFeature) showCard(state.selectedFeature);
    if (!$('board').hidden) openIndicators();
  });
  $('btn-print').addEventListener('click', () => window.print());
  $('btn-signin').addEventListener('click', () => openSignIn({
    onSignedIn: () => {
      const first = $('btn-new-site') || $('btn-signout');
      if (first) first.focus();
    },
  }));
  $('btn-indicators').addEventListener('click', () => {
    if ($('board').hidden) openIndicators();
    else closeIndicators();
  });
  $('board-town-layer').addEventListener('change', (e) => setTownTotals(e.target.checked));
  for (const tab of ['sites', 'match']) {
    $(`tab-${tab}`).addEventListener('click', () => setTab(tab));
    $(`tab-${tab}`).addEventListener('keydown', tabKeys);
  }
  $('indicators-close').addEventListener('click', closeIndicators);
  $('btn-more').addEventListener('click', () => {
    state.listShown += LIST_STEP;
    renderList();
  });
  $('list').addEventListener('keydown', listKeys);
  $('match-list').addEventListener('keydown', listKeys);
  document.addEventListener('keydown', (e) => {
    if (e.key !== 'Escape') return;
    if (dialogOpen()) return; // the dialog closes itself
    if (moveMode.moving) moveMode.stop({ focusCard: true });
    else if (matchPanel.picking) matchPanel.cancelPick();
    else if (!$('card').hidden && $('card').contains(document.activeElement)) closeCard({ push: true, focusRow: true });
    else if (!$('board').hidden) closeIndicators();
  });
  window.addEventListener('beforeprint', beforePrint);
  window.addEventListener('afterprint', () => atlasMap && atlasMap.resize());
  if (window.matchMedia) {
    window.matchMedia('print').addEventListener('change', (m) => (m.matches ? beforePrint() : atlasMap && atlasMap.resize()));
  }
  syncControls();
  if (MORE.some((k) => state.filter[k])) $('more-filters').open = true;
}

function setFilter(patch) {
  let changed = false;
  for (const [k, v] of Object.entries(patch)) {
    if (JSON.stringify(state.filter[k]) !== JSON.stringify(v)) {
      state.filter[k] = v;
      changed = true;
    }
  }
  if (changed) afterFilterChange();
}

function afterFilterChange() {
  syncControls();
  commit(true);
  reload();
}

function toggleCategory(cat, on) {
  let cats = state.filter.category.length ? [...state.filter.category] : [...CATEGORIES];
  if (on && !cats.includes(cat)) cats.push(cat);
  if (!on) cats = cats.filter((c) => c !== cat);
  if (!cats.length) {
    showStatus(t('atLeastOneLayer'));
    renderLayerToggles();
    return;
  }
  cats = CATEGORIES.filter((c) => cats.includes(c));
  state.filter.category = cats.length === CATEGORIES.length ? [] : cats;
  afterFilterChange();
}

/** Puts the state's filter into the form controls. */
function syncControls() {
  if ($('f-q').value.trim() !== state.filter.q) $('f-q').value = state.filter.q;
  renderSelects();
  renderLegend();
  renderLayerToggles();
  updateExport();
  renderChainPanel();
}

function updateLangButton() {
  const b = $('btn-lang');
  b.textContent = t('langSwitch');
  b.lang = lang() === 'zh' ? 'en' : 'zh-CN';
}

// ---------------------------------------------------------------- rendering

function renderAll() {
  renderLayerToggles();
  renderSelects();
  renderCount();
  renderList();
  renderLegend();
  updateExport();
  renderChainPanel();
  renderTownBoard();
}

function facetList(dim) {
  const f = state.facets && state.facets[dim];
  return Array.isArray(f) ? f : [];
}

function facetCount(dim, id) {
  const x = facetList(dim).find((c) => String(c.id) === String(id));
  return x ? x.count : 0;
}

/** Runs `fn` (which rebuilds `box`) and gives focus back to the element with the same id. */
function keepFocus(box, fn) {
  const active = document.activeElement;
  const id = active && box.contains(active) ? active.id : null;
  fn();
  if (id && document.getElementById(id)) document.getElementById(id).focus();
}

function renderLayerToggles() {
  keepFocus($('layer-toggles'), buildLayerToggles);
}

function buildLayerToggles() {
  const box = clear($('layer-toggles'));
  const active = state.filter.category.length ? state.filter.category : CATEGORIES;
  for (const cat of CATEGORIES) {
    const st = atlasMap ? atlasMap.categoryStyle(cat) : { shape: 'circle', color: '#666' };
    const count = state.facets ? facetCount('category', cat) : null;
    const name = L.vocabLabel('category', cat);
    const input = h('input', {
      type: 'checkbox',
      id: `layer-${cat}`,
      'data-category': cat,
      checked: active.includes(cat),
      onchange: (e) => toggleCategory(cat, e.target.checked),
    });
    box.appendChild(
      h('label', { class: 'layer-toggle', for: `layer-${cat}`, title: count === null ? name : t('layerToggle', { name, n: num(count) }) },
        input,
        symbolCanvas(st.shape, 'solid', st.color, 18),
        h('span', { class: 'layer-name' }, name),
        h('span', { class: 'count', 'data-count': count ?? '' }, count === null ? '' : num(count))),
    );
  }
  box.appendChild(
    h('label', { class: 'layer-toggle town-totals', for: 'layer-town-totals', title: t('townTotalsHint') },
      h('input', { type: 'checkbox', id: 'layer-town-totals', checked: state.townTotals, onchange: (e) => setTownTotals(e.target.checked) }),
      h('span', { class: 'town-swatch', 'aria-hidden': 'true' }),
      h('span', { class: 'layer-name' }, t('townTotals')),
      h('span', {})),
  );
}

function renderSelects() {
  const f = state.filter;
  const all = () => t('all');
  const fill = (id, options, value, { disabled = false, placeholder, keepZero = false } = {}) => {
    const sel = clear($(`f-${id}`));
    sel.appendChild(h('option', { value: '' }, placeholder || all()));
    for (const o of options) {
      if (o.count === 0 && o.value !== value && !keepZero) continue; // only values that would find something
      sel.appendChild(h('option', { value: o.value, 'data-count': o.count ?? '' }, o.count === null || o.count === undefined ? o.label : `${o.label}（${num(o.count)}）`));
    }
    if (value && ![...sel.options].some((op) => op.value === value)) {
      // A list ("any of", e.g. from a progress-board link): its labels, joined.
      const label = value.split(',').map((v) => (id === 'chain' ? L.chainLabel(v) : id === 'link' ? L.linkLabel(v) : id === 'town' ? L.townLabel(v) : L.vocabLabel(id, v))).join('、');
      sel.appendChild(h('option', { value }, label));
    }
    sel.value = value || '';
    sel.disabled = disabled;
  };
  const known = state.facets !== null;
  const cnt = (dim, id) => (known ? facetCount(dim, id) : null);
  fill('chain', L.chainOrder.map((id) => ({ value: id, label: L.chainLabel(id), count: cnt('chain', id) })), f.chain);
  if (f.chain) {
    fill('link', L.chainLinks(f.chain).map((l) => ({ value: l.id, label: L.linkLabel(l.id), count: cnt('link', l.id) })), f.link, { placeholder: t('allLinks'), keepZero: true });
  } else {
    fill('link', [], f.link, { disabled: !f.link, placeholder: t('chooseChainFirst') });
  }
  for (const dim of ['kind', 'level', 'status', 'scope']) {
    const ids = L.vocabOrder[dim] || facetList(dim).map((c) => String(c.id));
    fill(dim, ids.map((id) => ({ value: id, label: L.vocabLabel(dim, id), count: cnt(dim, id) })), f[dim]);
  }
  const towns = L.townOrder.length ? L.townOrder : facetList('town').map((c) => String(c.id));
  fill('town', towns.map((code) => ({ value: code, label: L.townLabel(code), count: cnt('town', code) })), f.town);
  const active = MORE.filter((k) => f[k]).length;
  $('more-count').textContent = active ? String(active) : '';
}

function renderCount() {
  $('result-count').textContent = t('resultCount', { n: num(state.matched) });
}

function rowMeta(p) {
  const parts = [L.vocabLabel('kind', p.kind, p.kind_zh)];
  if (p.town_code) parts.push(L.townLabel(p.town_code, p.town_name));
  if (p.scope === 'partner') parts.push(L.vocabLabel('scope', 'partner', p.scope_zh));
  if (p.approximate) parts.push(L.vocabLabel('location_precision', p.location_precision, p.location_precision_zh));
  return parts.filter(Boolean).join(' · ');
}

function renderList() {
  const list = clear($('list'));
  const shown = state.features.slice(0, state.listShown);
  if (!state.features.length && state.facets) {
    list.appendChild(h('li', { class: 'empty' }, t('noResults')));
  }
  for (const f of shown) {
    const p = f.properties;
    const st = atlasMap ? atlasMap.categoryStyle(p.category) : { shape: 'circle', color: '#666' };
    const color = atlasMap && state.color === 'chain' ? atlasMap.chainColor(primaryChain(p)) : st.color;
    const selected = p.id === state.site;
    list.appendChild(
      h('li', {},
        h('button', {
          type: 'button',
          class: 'row' + (selected ? ' selected' : ''),
          id: `row-${p.id}`,
          'data-id': p.id,
          'aria-current': selected ? 'true' : null,
          onclick: () => select(p.id, { fly: true }),
        },
        symbolCanvas(st.shape, p.approximate ? 'hollow' : 'solid', color, 16),
        h('span', { class: 'names' },
          h('span', { class: 'zh', lang: 'zh-CN' }, p.name_zh),
          p.name_en ? h('span', { class: 'en', lang: 'en' }, p.name_en) : null,
          h('span', { class: 'meta' }, rowMeta(p))))),
    );
  }
  const left = state.features.length - shown.length;
  const more = $('btn-more');
  more.hidden = left <= 0;
  more.textContent = t('more', { n: num(left) });
}

function primaryChain(p) {
  const chains = siteChains(p.chains);
  if (state.filter.chain && chains.some((c) => c.chain === state.filter.chain)) return state.filter.chain;
  return chains.length ? chains[0].chain : 'none';
}

function renderLegend() {
  keepFocus($('legend'), buildLegend);
}

function buildLegend() {
  const box = clear($('legend'));
  if (!atlasMap) return;
  const items = [];
  if (state.color === 'chain') {
    items.push(h('p', { class: 'legend-note' }, t('legendChainNote')));
    for (const id of [...L.chainOrder, 'none']) {
      items.push(h('li', {}, h('span', { class: 'swatch', style: `background:${atlasMap.chainColor(id)}` }), id === 'none' ? t('chainNone') : L.chainLabel(id)));
    }
  } else {
    for (const cat of CATEGORIES) {
      const st = atlasMap.categoryStyle(cat);
      items.push(h('li', {}, symbolCanvas(st.shape, 'solid', st.color, 16), L.vocabLabel('category', cat)));
    }
  }
  items.push(h('li', {}, symbolCanvas('circle', 'hollow', '#475569', 16), t('legendApprox')));
  items.push(h('li', {}, h('span', { class: 'cluster-swatch' }, '9'), t('legendCluster')));
  if (state.townTotals) items.push(h('li', {}, h('span', { class: 'town-swatch' }), t('legendTownTotals')));
  if (state.tab === 'match') items.push(h('li', {}, h('span', { class: 'match-swatch' }, '1'), t('legendMatch')));
  const wasOpen = box.dataset.open;
  const radio = (value, label) => h('label', {},
    h('input', {
      type: 'radio', name: 'color', value, id: `color-${value}`, checked: state.color === value,
      onchange: () => setColorMode(value),
    }), ' ', label);
  const details = h('details', { open: wasOpen ? wasOpen === '1' : !window.matchMedia('(max-width: 760px)').matches },
    h('summary', {}, t('legend')),
    h('fieldset', { class: 'colour-mode' }, h('legend', {}, t('colourBy')), radio('category', t('byCategory')), radio('chain', t('byChain'))),
    h('ul', {}, items));
  details.addEventListener('toggle', () => (box.dataset.open = details.open ? '1' : '0'));
  box.appendChild(details);
}

function setColorMode(mode) {
  state.color = mode === 'chain' ? 'chain' : 'category';
  if (atlasMap && atlasMap.ready) atlasMap.setColorMode(state.color);
  renderLegend();
  renderList();
  commit(true);
}

function updateExport() {
  const fmt = $('export-format').value || 'xlsx';
  const q = urlstate.filterQuery(state.filter);
  const p = new URLSearchParams();
  p.set('format', fmt);
  p.set('lang', lang());
  for (const [k, v] of q) p.set(k, v);
  const a = $('btn-export');
  a.href = apiUrl('export', p);
  a.title = t('exportTitle', { n: num(state.matched) });
}

function showStatus(msg, isError = false) {
  const el = $('status-line');
  el.textContent = msg || '';
  el.classList.toggle('error', !!isError);
}

// ---------------------------------------------------------------- list keyboard

function listKeys(e) {
  const rows = [...e.currentTarget.querySelectorAll('button.row')];
  const i = rows.indexOf(document.activeElement);
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

function highlightRow(id) {
  for (const el of $('list').querySelectorAll('button.row.selected')) {
    el.classList.remove('selected');
    el.removeAttribute('aria-current');
  }
  if (!id) return null;
  const row = document.getElementById(`row-${id}`);
  if (row) {
    row.classList.add('selected');
    row.setAttribute('aria-current', 'true');
    row.scrollIntoView({ block: 'nearest' });
  }
  return row;
}

// ---------------------------------------------------------------- selection and card

/** Selects a site: card, list highlight, map halo; flies to it when asked. */
function select(id, opts) {
  return track(selectNow(id, opts));
}

async function selectNow(id, { fly = false, push = true, fromMap = false } = {}) {
  const seq = ++selectSeq;
  let f = state.byId.get(id);
  let version = null;
  if (auth.canEdit()) {
    // An editor sees the record as it is now, with the version a write will name in If-Match.
    try {
      const fresh = await fetchSite(id);
      f = fresh.feature;
      version = fresh.version;
    } catch (e) {
      if (!f) {
        showStatus(e.status ? errorText(e) : t('loadError', { msg: e.message }), true);
        return;
      }
    }
  } else if (!f) {
    try {
      f = await getJSON(apiUrl(`sites/${encodeURIComponent(id)}`));
    } catch (e) {
      showStatus(t('loadError', { msg: e.message }), true);
      return;
    }
  }
  if (seq !== selectSeq) return; // a later selection won
  if (state.cardNote && state.cardNote.id !== id) state.cardNote = null;
  state.site = id;
  state.selectedFeature = f;
  state.version = version ? { id, etag: version } : null;
  if (atlasMap) atlasMap.closePopup();
  const at = state.features.findIndex((x) => x.properties.id === id);
  if (at >= state.listShown) {
    state.listShown = at + LIST_STEP;
    renderList();
  }
  highlightRow(id);
  matchPanel.highlight(id);
  showCard(f);
  if (atlasMap && atlasMap.ready) {
    atlasMap.setSelection(f);
    if (fly) atlasMap.flyToSite(f);
  }
  if (push) commit(true);
  if (fromMap) $('card').focus();
}

function showCard(f) {
  const card = $('card');
  renderCard(card, f, {
    onClose: () => closeCard({ push: true, focusRow: true }),
    onPermalink: (btn) => copyLink(location.href, btn),
    onShowOnMap: () => {
      const pane = document.querySelector('.map-pane');
      if (pane.getBoundingClientRect().top < 0) pane.scrollIntoView({ block: 'start' });
      if (atlasMap && atlasMap.ready) atlasMap.flyToSite(f);
    },
    symbolFor: (p) => {
      const st = atlasMap ? atlasMap.categoryStyle(p.category) : { shape: 'circle', color: '#666' };
      return symbolCanvas(st.shape, p.approximate ? 'hollow' : 'solid', st.color, 18);
    },
    editActions: editActionsFor(f),
  });
  card.hidden = false;
  card.tabIndex = -1;
}

function closeCard({ push = true, focusRow = false } = {}) {
  const id = state.site;
  moveMode.stop();
  state.site = null;
  state.selectedFeature = null;
  state.version = null;
  state.cardNote = null;
  $('card').hidden = true;
  highlightRow(null);
  matchPanel.highlight(null);
  if (atlasMap && atlasMap.ready) atlasMap.setSelection(null);
  if (push) commit(true);
  if (focusRow && id) {
    const row = document.getElementById(state.tab === 'match' ? `match-row-${id}` : `row-${id}`);
    if (row) row.focus();
  }
}

// ---------------------------------------------------------------- staff: sign-in and editing

function renderStaffBar() {
  renderStaff(auth.currentUser(), {
    onNewSite: newSite,
    onUpload: () => openUpload({ onImported: () => track(afterWrite(null, { focus: false })) }),
    onDeleted: () => openDeleted({ onRestored: (id) => track(afterWrite(id, { focus: false, fly: true })) }),
    onSignOut: () => {
      auth.signOut();
      showStatus(t('signedOut'));
      $('btn-signin').focus();
    },
  });
}

function onAuthChange() {
  if (!auth.canEdit()) {
    moveMode.stop();
    state.version = null;
    state.cardNote = null;
  }
  renderStaffBar();
  if (state.site && state.selectedFeature) {
    if (auth.canEdit()) select(state.site, { push: false });
    else showCard(state.selectedFeature);
  }
}

/** The card's editing buttons: only for a signed-in editor (a reader's card has none at all). */
function editActionsFor(f) {
  if (!auth.canEdit()) return null;
  const p = f.properties || {};
  const point = !f.geometry || f.geometry.type === 'Point';
  const btn = (id, cls, label, fn) => h('button', { type: 'button', id, class: cls, onclick: fn }, label);
  const note = state.cardNote && state.cardNote.id === p.id ? state.cardNote : null;
  return h('div', { class: 'card-edit', role: 'group', 'aria-label': t('editorActions') },
    btn('card-edit', 'edit', t('edit'), () => editSite(f)),
    btn('card-verify', 'verify', t('verify'), (e) => verify(f, e.currentTarget)),
    point ? btn('card-move', 'move', t('moveOnMap'), () => startMove(f)) : null,
    btn('card-history', 'history', t('history'), () => showHistory(f)),
    btn('card-delete', 'delete danger', t('delete'), () => removeSite(f)),
    h('p', { class: 'card-status' + (note && note.error ? ' error' : ''), id: 'card-status', role: 'status' }, note ? note.text : ''));
}

/** A message in the card's status line (kept while the same site's card is re-rendered). */
function cardNote(id, text, isError = false) {
  state.cardNote = { id, text, error: !!isError };
  const el = $('card-status');
  if (el && state.site === id) {
    el.textContent = text;
    el.classList.toggle('error', !!isError);
  } else showStatus(text, isError);
}

function versionOf(id) {
  return state.version && state.version.id === id ? state.version.etag : null;
}

/** The record and version the editor is looking at (fetched when not known). */
async function current(f) {
  const id = f.properties.id;
  const v = versionOf(id);
  if (v) return { feature: f, version: v };
  const fresh = await fetchSite(id);
  state.version = { id, etag: fresh.version };
  return fresh;
}

/**
 * After a write: everything that shows data is fetched again (the map, the list, the counts, the
 * chain view), then the written site's card, as it is now.
 */
async function afterWrite(id, { focus = true, fly = false } = {}) {
  state.indicators = null;
  state.analysis.key = null;
  state.townCounts.key = null;
  await reload();
  if (id) await select(id, { fly, push: state.site !== id });
  if (focus && id && !$('card').hidden && (!document.activeElement || document.activeElement === document.body)) $('card').focus();
}

async function editSite(f) {
  let cur;
  try {
    cur = await current(f);
  } catch (e) {
    cardNote(f.properties.id, errorText(e), true);
    return;
  }
  openSiteForm({
    feature: cur.feature,
    version: cur.version,
    onSaved: (_, { id, name }) => {
      state.cardNote = { id, text: t('saved', { name }), error: false };
      track(afterWrite(id));
    },
  });
}

function newSite() {
  openSiteForm({
    feature: null,
    onSaved: (_, { id, name }) => {
      state.cardNote = { id, text: t('created', { name }), error: false };
      track(afterWrite(id, { fly: true }));
    },
  });
}

async function verify(f, btn) {
  const id = f.properties.id;
  btn.disabled = true;
  btn.textContent = t('verifying');
  try {
    const cur = await current(f);
    await verifySite(id, cur.version);
    state.cardNote = { id, text: t('verifyDone'), error: false };
    await track(afterWrite(id));
  } catch (e) {
    btn.disabled = false;
    btn.textContent = t('verify');
    cardNote(id, errorText(e), true);
    if (e.status === 412) track(afterWrite(id));
  }
}

async function startMove(f) {
  try {
    const cur = await current(f);
    moveMode.start(cur.feature, cur.version);
  } catch (e) {
    cardNote(f.properties.id, errorText(e), true);
  }
}

function showHistory(f) {
  openHistory({
    feature: f,
    getVersion: () => versionOf(f.properties.id),
    onReverted: (id) => track(afterWrite(id, { focus: false })),
  });
}

async function removeSite(f) {
  const p = f.properties;
  try {
    const cur = await current(f);
    if (!(await deleteSite(cur.feature, cur.version))) return;
  } catch (e) {
    cardNote(p.id, errorText(e), true);
    if (e.status === 412) track(afterWrite(p.id));
    return;
  }
  closeCard({ push: true });
  await track(afterWrite(null));
  showStatus(t('deleted', { name: p.name_zh || p.id }));
  $('list').focus();
}

function showClusterList({ lngLat, ids, samePlace, zoomIn }) {
  const feats = ids.map((id) => state.byId.get(id)).filter(Boolean);
  feats.sort((a, b) => String(a.properties.name_zh).localeCompare(String(b.properties.name_zh), 'zh-CN'));
  const list = h('ul', { class: 'cluster-list' });
  for (const f of feats) {
    const p = f.properties;
    const st = atlasMap.categoryStyle(p.category);
    list.appendChild(h('li', {},
      h('button', { type: 'button', class: 'row', 'data-id': p.id, onclick: () => select(p.id, { fly: false }) },
        symbolCanvas(st.shape, p.approximate ? 'hollow' : 'solid', st.color, 14),
        h('span', { class: 'names' },
          h('span', { class: 'zh', lang: 'zh-CN' }, p.name_zh),
          p.name_en ? h('span', { class: 'en', lang: 'en' }, p.name_en) : null))));
  }
  const node = h('div', { class: 'cluster-box', role: 'dialog', 'aria-label': t('clusterTitle', { n: feats.length }) },
    h('p', { class: 'cluster-title' }, t('clusterTitle', { n: num(feats.length) })),
    samePlace ? h('p', { class: 'cluster-note' }, t('samePlace')) : null,
    zoomIn ? h('button', { type: 'button', class: 'zoom-in', onclick: () => { atlasMap.closePopup(); zoomIn(); } }, t('zoomIn')) : null,
    list);
  list.addEventListener('keydown', (e) => {
    const rows = [...list.querySelectorAll('button')];
    const i = rows.indexOf(document.activeElement);
    if (e.key === 'ArrowDown' && i < rows.length - 1) { e.preventDefault(); rows[i + 1].focus(); }
    if (e.key === 'ArrowUp' && i > 0) { e.preventDefault(); rows[i - 1].focus(); }
  });
  atlasMap.popup(lngLat, node);
}

// ---------------------------------------------------------------- indicators, links, print

async function openIndicators() {
  const panel = $('board');
  panel.hidden = false;
  $('btn-indicators').setAttribute('aria-expanded', 'true');
  ensureTownCounts();
  renderTownBoard();
  const body = $('indicators-body');
  if (!state.indicators) {
    clear(body).appendChild(h('p', {}, t('loading')));
    try {
      state.indicators = await track(getJSON(apiUrl('indicators')));
    } catch (e) {
      clear(body).appendChild(h('p', { class: 'error' }, t('loadError', { msg: e.message })));
      return;
    }
  }
  renderIndicators(body, state.indicators, { onShowSites: showIndicatorSites });
}

/** Puts a counted indicator's sites (its `count_filter`) on the map and the list. */
function showIndicatorSites(countFilter) {
  const f = urlstate.parse(countFilter).filter;
  state.filter = f;
  closeIndicators();
  setTab('sites', { push: false });
  if (MORE.some((k) => f[k])) $('more-filters').open = true;
  afterFilterChange();
}

function closeIndicators() {
  $('board').hidden = true;
  $('btn-indicators').setAttribute('aria-expanded', 'false');
  $('btn-indicators').focus();
}

async function copyLink(href, btn) {
  const label = btn.textContent;
  try {
    await navigator.clipboard.writeText(href);
    btn.textContent = t('copied');
    setTimeout(() => (btn.textContent = label), 1600);
  } catch {
    const input = h('input', { type: 'text', readonly: true, value: href, class: 'copy-fallback', 'aria-label': t('copyFailed') });
    showStatus(t('copyFailed'));
    const line = $('status-line');
    line.appendChild(input);
    input.select();
  }
}

function filterSummary() {
  const f = state.filter;
  const parts = [];
  if (f.category.length) parts.push(f.category.map((c) => L.vocabLabel('category', c)).join('、'));
  if (f.chain) parts.push(`${t('chain')}：${L.chainLabel(f.chain)}`);
  if (f.link) parts.push(`${t('link')}：${L.linkLabel(f.link)}`);
  for (const dim of ['kind', 'level', 'status', 'scope']) if (f[dim]) parts.push(`${t(dim)}：${L.vocabLabel(dim, f[dim])}`);
  if (f.town) parts.push(`${t('town')}：${L.townLabel(f.town)}`);
  if (f.q) parts.push(`“${f.q}”`);
  return parts.length ? parts.join('；') : t('noFilter');
}

function beforePrint() {
  const box = clear($('print-list'));
  box.appendChild(h('h2', {}, t('printTitle')));
  box.appendChild(h('p', { class: 'print-meta' }, t('printMeta', { filter: filterSummary(), n: num(state.matched), time: new Date().toLocaleString(lang() === 'zh' ? 'zh-CN' : 'en-GB') })));
  const table = h('table', {},
    h('thead', {}, h('tr', {}, ['#', t('colName'), t('colCategory'), t('colChains'), t('colPlace'), t('colPrecision')].map((x) => h('th', {}, x)))));
  const tbody = h('tbody');
  state.features.forEach((f, i) => {
    const p = f.properties;
    tbody.appendChild(h('tr', {},
      h('td', {}, String(i + 1)),
      h('td', {}, h('span', { lang: 'zh-CN' }, p.name_zh), p.name_en ? h('div', { class: 'en', lang: 'en' }, p.name_en) : null),
      h('td', {}, `${L.vocabLabel('category', p.category, p.category_zh)} / ${L.vocabLabel('kind', p.kind, p.kind_zh)}`),
      h('td', {}, siteChains(p.chains).map((c) => (c.link ? `${L.chainLabel(c.chain)}·${L.linkLabel(c.link)}` : L.chainLabel(c.chain))).join('；')),
      h('td', {}, [p.town_code ? L.townLabel(p.town_code, p.town_name) : '', p.address || ''].filter(Boolean).join(' · ')),
      h('td', {}, L.vocabLabel('location_precision', p.location_precision, p.location_precision_zh))));
  });
  table.appendChild(tbody);
  box.appendChild(table);
  if (atlasMap) atlasMap.resize();
}

// Export only what helps tests and debugging.
export { state, boundsOf };
