// @ts-check
// The map view: the AtlasMap (map.js) created from the style, fed from the store once it is
// loaded, and the one "map ready" promise — `onMap(fn)` runs `fn(map)` now when the map is ready,
// else when it is (never, when the browser has no WebGL: the page then works without a map).

import { t } from '../i18n.js';
import { $ } from '../dom.js';
import { AtlasMap } from '../map.js';
import { tileTemplate, vectorSitesStyle } from '../sitepages.js';
import { filterQuery } from '../urlstate.js';
import { staticSource } from '../api.js';

/** @typedef {import('../page.js').App} App */

/** The map's holder: the map (maybe not loaded yet), its ready promise, what waits for it. */
export function mapHolder() {
  /** @type {AtlasMap | null} */
  let map = null;
  let isReady = false;
  /** @type {(m: AtlasMap) => void} */
  let loaded = () => {};
  /** @type {Promise<AtlasMap>} */
  const ready = new Promise((resolve) => (loaded = resolve));
  return {
    /** The AtlasMap, loaded or not; null before it is created or when there is none. */
    now: () => map,
    /** Runs `fn(map)` now when the map is ready, else once it is. @param {(m: AtlasMap) => void} fn */
    onMap(fn) {
      if (isReady && map) fn(map);
      else ready.then(fn);
    },
    /** A category's symbol (a neutral one before the style is known). @param {string} cat */
    categoryStyle(cat) {
      return map ? map.categoryStyle(cat) : { shape: 'circle', color: '#666' };
    },
    /** @param {AtlasMap} m */
    created(m) {
      map = m;
    },
    /** The map took the state: whatever waited for it runs now. */
    markReady() {
      if (!map) return;
      isReady = true;
      loaded(map);
    },
  };
}

/** @typedef {ReturnType<typeof mapHolder>} MapHolder */

/**
 * Creates the map in `#map` and feeds it from the store (the views may mount after it).
 * @param {App} app @param {MapHolder} holder @param {any} style
 * @param {Promise<any[]>} divisionList  the townships, for their seats and totals
 */
export function mountMap(app, holder, style, divisionList) {
  const { state } = app;
  // A large catalogue: the sites come from the server's vector tiles of the current filter.
  // A published map: its archive's tiles (api.js's static source), whatever the filter.
  const source = staticSource();
  const tiles = state.mode === 'tiles' ? (source ? source.tiles(document.baseURI) : tileTemplate(document.baseURI, filterQuery(state.filter))) : null;
  let m;
  try {
    m = new AtlasMap($('map'), {
      style: tiles ? vectorSitesStyle(style, tiles) : style,
      plainStyle: style,
      tiles,
      config: state.config,
      view: state.view,
      onMove: (/** @type {any} */ view) => {
        state.view = view;
        app.commit(false);
      },
      onSiteClick: (/** @type {string} */ id) => app.select(id, { fly: false, fromMap: true }),
      onClusterClick: (/** @type {any} */ o) => app.cluster.show(o),
      onError: (/** @type {any} */ e) => {
        console.warn('map:', e && e.message ? e.message : e);
        state.errors.push(String(e && e.message ? e.message : e));
      },
    });
  } catch (e) {
    mapUnavailable(e);
    return;
  }
  m.tileChain = state.filter.chain;
  holder.created(m);
  app.store.subscribe(['color'], () => holder.onMap((x) => x.setColorMode(state.color)));
  app.store.subscribe(['townTotals'], () => holder.onMap((x) => x.setTownCountsVisible(state.townTotals)));
  app.track(m.readyPromise.then(() => loadedWith(app, holder, m, divisionList)));
}

/**
 * The map is loaded: it takes the state's modes, then whatever waited for it runs (the sites, the
 * selection and the township counts that arrived first were queued with onMap); the first view.
 * @param {App} app @param {MapHolder} holder @param {AtlasMap} m @param {Promise<any[]>} divisionList
 */
async function loadedWith(app, holder, m, divisionList) {
  const { state } = app;
  m.setTowns(await divisionList);
  m.setColorMode(state.color);
  m.setTownCountsVisible(state.townTotals);
  if (state.tab === 'match') app.matchPanel.open(state.filter);
  holder.markReady();
  if (!state.view) {
    const sel = state.site && state.byId.get(state.site);
    if (sel) m.flyToSite(sel);
    else {
      const b = await m.districtBounds();
      if (b) m.fitTo(b, { animate: false });
    }
  }
}

/** @param {any} e */
function mapUnavailable(e) {
  console.warn('no map:', e);
  const box = $('map-error');
  box.textContent = t('mapError');
  box.hidden = false;
}
