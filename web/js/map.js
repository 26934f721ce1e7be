// @ts-check
// The MapLibre map: the project's one style (style/atlas-style.json), the offline base map drawn
// from the project's own data, an optional online base map chosen by the server, and the sites.

// The version in the URL lets the server mark the vendored files immutable (see server/assets.rs).
import * as maplibregl from '../vendor/maplibre-gl/maplibre-gl.mjs?v=6.17.0';
import { installSymbolFactory, symbolName } from './symbols.js';
import { siteChains, markerOf, boundsOf } from './sites.js';
import { hasLocation } from './locate.js';
import { clusterInfo, vectorSitesStyle } from './sitepages.js';
import { revalidating } from './api.js';

export const SITE_LAYERS = ['site-clusters', 'site-points'];
/** The graduated symbols at township seats (per-township totals of the current filter). */
export const TOWN_COUNT_LAYERS = ['town-count-circle', 'town-count-label'];
const MATCH_LAYERS = ['match-points'];
const EMPTY = { type: 'FeatureCollection', features: [] };
const MAX_ZOOM = 19;

/** English names of Maoming's county-level units for the context labels (the data has Chinese). */
const CONTEXT_EN = {
  440902: 'Maonan',
  440904: 'Dianbai',
  440981: 'Gaozhou',
  440982: 'Huazhou',
  440983: 'Xinyi',
};

/**
 * Loads the style file and points its `/api/v1` URLs at this server (relative to the page), or
 * through `dataFile` at a published map's files.
 * @param {string} url @param {(url: string) => string} [dataFile]
 */
export async function loadStyle(url, dataFile = (u) => u) {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  const style = await res.json();
  for (const src of Object.values(style.sources)) {
    if (typeof src.data === 'string' && src.data.startsWith('/')) {
      src.data = new URL(dataFile(src.data.slice(1)), document.baseURI).href;
    }
  }
  // The page fills the sites itself (filtered, polygons split off).
  style.sources.sites.data = EMPTY;
  return style;
}

/** Adds the server-chosen online base map under the project's layers. */
async function withBasemap(style, basemap) {
  if (!basemap) return style;
  const first = 'context-fill';
  const idx = style.layers.findIndex((l) => l.id === first);
  const dim = () => {
    for (const l of style.layers) {
      if (l.id === 'context-fill') l.paint['fill-opacity'] = 0;
      if (l.id === 'district-fill') l.paint['fill-opacity'] = 0.25;
    }
  };
  if (basemap.kind === 'style' && basemap.url) {
    const res = await fetch(basemap.url);
    if (!res.ok) throw new Error(`${basemap.url}: HTTP ${res.status}`);
    const base = await res.json();
    const baseLayers = (base.layers || []).map((l) => ({ ...l, id: `basemap:${l.id}` }));
    style.sources = { ...base.sources, ...style.sources };
    if (base.glyphs) style.glyphs = base.glyphs;
    if (base.sprite) style.sprite = base.sprite;
    style.layers.splice(idx, 0, ...baseLayers);
    dim();
    return style;
  }
  const layers = [];
  (basemap.layers || []).forEach((b, i) => {
    const id = `basemap-${i}`;
    style.sources[id] = {
      type: 'raster',
      tiles: b.tiles,
      tileSize: b.tileSize || 256,
      maxzoom: b.maxzoom || 18,
      attribution: i === 0 ? basemap.attribution || '' : '',
    };
    layers.push({ id, type: 'raster', source: id });
  });
  style.layers.splice(idx, 0, ...layers);
  dim();
  return style;
}

export class AtlasMap {
  /**
   * @param {HTMLElement} container
   * @param {object} opts {style, config, view, tiles, onMove, onSiteClick, onClusterClick, onError};
   *   `tiles`: the tile URL template the style's `sites` source draws from (see sitepages.js), or
   *   null when the page fills a GeoJSON source (setSites)
   */
  constructor(container, opts) {
    this.opts = opts;
    this.colorMode = 'category';
    /** The `sites` source's tile URL template, or null (GeoJSON). */
    this.tiles = opts.tiles || null;
    /** The filter's chain: what chain colour a tile site takes (tiles carry no chains). */
    this.tileChain = '';
    this.meta = opts.style.metadata || {};
    this.ready = false;
    this.readyPromise = new Promise((resolve) => (this._resolveReady = resolve));
    this._init(container, opts).catch((e) => opts.onError && opts.onError(e));
  }

  async _init(container, opts) {
    const style = await withBasemap(opts.style, opts.config && opts.config.basemap);
    const v = opts.view;
    const fonts = (this.meta['atlas:fonts'] || ['sans-serif']).join(', ');
    this.map = new maplibregl.Map({
      container,
      style,
      center: v ? [v.lon, v.lat] : style.center,
      zoom: v ? v.zoom : style.zoom,
      maxZoom: MAX_ZOOM,
      minZoom: 2,
      hash: false,
      attributionControl: { compact: true },
      localIdeographFontFamily: fonts,
      canvasContextAttributes: { preserveDrawingBuffer: true },
      cooperativeGestures: false,
      dragRotate: false,
      pitchWithRotate: false,
      touchPitch: false,
      // After a write, tiles revalidate with the server like every other read (api.js).
      transformRequest: (url, type) => (type === 'Tile' && revalidating() ? { url, cache: 'no-cache' } : undefined),
    });
    const map = this.map;
    map.touchZoomRotate.disableRotation();
    map.keyboard.disableRotation();
    installSymbolFactory(map);
    map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
    map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }), 'bottom-right');
    map.on('error', (e) => opts.onError && opts.onError(e.error || e));
    map.on('moveend', () => {
      const c = map.getCenter();
      opts.onMove && opts.onMove({ zoom: map.getZoom(), lat: c.lat, lon: c.lng });
    });
    for (const layer of [...SITE_LAYERS, ...MATCH_LAYERS]) {
      map.on('mouseenter', layer, () => (map.getCanvas().style.cursor = this._picking ? 'crosshair' : 'pointer'));
      map.on('mouseleave', layer, () => (map.getCanvas().style.cursor = this._picking ? 'crosshair' : ''));
    }
    // One click handler decides, in order: picking a point, a match result, a site, a cluster.
    map.on('click', (e) => {
      if (this._drag) {
        // Drag-to-correct: a click puts the marker there (far moves need no long drag).
        if (this._drag.marker.getElement().contains(e.originalEvent.target)) return;
        this._drag.marker.setLngLat(e.lngLat);
        this._drag.onDrop([e.lngLat.lng, e.lngLat.lat]);
        return;
      }
      if (this._picking) {
        const cb = this._picking;
        this.setPickMode(null);
        cb([e.lngLat.lng, e.lngLat.lat]);
        return;
      }
      const hit = (layers) => {
        const present = layers.filter((l) => map.getLayer(l));
        return present.length ? map.queryRenderedFeatures(e.point, { layers: present })[0] : null;
      };
      const m = hit(MATCH_LAYERS);
      if (m) {
        opts.onSiteClick && opts.onSiteClick(m.properties.id);
        return;
      }
      const f = hit(['site-points']);
      if (f) {
        opts.onSiteClick && opts.onSiteClick(f.properties.id);
        return;
      }
      const c = hit(['site-clusters']);
      if (c) {
        if (this.tiles) this._tileClusterClick(c);
        else this._clusterClick(c);
      }
    });
    await new Promise((resolve) => map.once('load', resolve));
    // On a phone the attribution starts folded behind its (i) button, so it covers nothing.
    if (container.clientWidth < 640) {
      const attrib = container.querySelector('.maplibregl-ctrl-attrib.maplibregl-compact');
      if (attrib) {
        attrib.classList.remove('maplibregl-compact-show');
        attrib.removeAttribute('open');
      }
    }
    this._loadContextLabels();
    this.ready = true;
    this._resolveReady();
  }

  async _loadContextLabels() {
    try {
      const src = this.map.getSource('context');
      const data = await src.getData();
      const features = [];
      for (const f of data.features || []) {
        const p = f.properties || {};
        if (p.adcode === '440902') continue; // the district itself: its outline says it
        const pt = labelPoint(f.geometry);
        if (!pt) continue;
        features.push({
          type: 'Feature',
          geometry: { type: 'Point', coordinates: pt },
          properties: { name_zh: p.name_zh || '', name_en: CONTEXT_EN[p.adcode] || '' },
        });
      }
      this.map.getSource('context-labels').setData({ type: 'FeatureCollection', features });
    } catch (e) {
      console.warn('context labels', e);
    }
  }

  /** The district boundary's bounds ([[w,s],[e,n]]) once loaded, else null. */
  async districtBounds() {
    try {
      const data = await this.map.getSource('district').getData();
      return boundsOf(data);
    } catch {
      return null;
    }
  }

  /** Township seats from `/api/v1/divisions` (objects with a seat position). */
  setTowns(divisions) {
    const features = [];
    for (const d of divisions) {
      const pos = seatOf(d);
      if (!pos) continue;
      features.push({
        type: 'Feature',
        geometry: { type: 'Point', coordinates: pos },
        properties: { code: d.code, name_zh: d.name_zh || '', name_en: d.name_en || '' },
      });
    }
    this.map.getSource('towns').setData({ type: 'FeatureCollection', features });
  }

  /**
   * Shows the filtered sites: markers (clustered) and park outlines. A site without a location
   * (precision `unknown`, `geometry: null`) never reaches a source: it is listed, not drawn.
   */
  setSites(features, chosenChain) {
    const points = [];
    const areas = [];
    for (const f of features) {
      if (!hasLocation(f)) continue;
      const p = f.properties || {};
      const pt = markerOf(f);
      const chains = siteChains(p.chains);
      let primary = chains.length ? chains[0].chain : 'none';
      if (chosenChain && chains.some((c) => c.chain === chosenChain)) primary = chosenChain;
      const props = {
        id: p.id,
        category: p.category,
        approximate: p.approximate === true,
        chain_primary: primary,
      };
      if (pt) points.push({ type: 'Feature', geometry: { type: 'Point', coordinates: pt }, properties: props });
      const g = f.geometry;
      if (g && (g.type === 'Polygon' || g.type === 'MultiPolygon')) {
        areas.push({ type: 'Feature', geometry: g, properties: props });
      }
    }
    this.map.getSource('sites').setData({ type: 'FeatureCollection', features: points });
    this.map.getSource('site-areas').setData({ type: 'FeatureCollection', features: areas });
    this.pointCount = points.length;
  }

  /**
   * Draws the sites of another filter from the tiles (`template`: tileTemplate(…)); `refresh`
   * loads the tiles again even when the filter is the same (the data changed).
   * @param {string} template @param {string} chain  the filter's chain ('' for none)
   */
  setTileFilter(template, chain, { refresh = false } = {}) {
    if (!this.tiles) return;
    const chainChanged = chain !== this.tileChain;
    this.tileChain = chain;
    if (chainChanged) this.setColorMode(this.colorMode);
    if (template === this.tiles && !refresh) return;
    this.tiles = template;
    this.map.getSource('sites').setTiles([template]);
  }

  /**
   * A published map's sites: the archive's tiles (the template the map was made with) when
   * `markers` is null (no filter), else the filter's markers as GeoJSON clustered here — no
   * static tile holds a filter's clusters. Swaps the `sites` source and its layers between the
   * style's two forms (vectorSitesStyle and the plain one) by a diff of the style, so every
   * other source keeps its data.
   * @param {any[] | null} markers  Point Features (published.js `markers`) @param {string} chain
   */
  showPublished(markers, chain) {
    if (!this.archive) this.archive = this.tiles;
    const plain = this.opts.plainStyle;
    const want = markers ? null : this.archive;
    if (plain && want !== this.tiles) {
      const form = want ? vectorSitesStyle(plain, want) : plain;
      const style = this.map.getStyle();
      style.sources.sites = structuredClone(form.sources.sites);
      const swapped = new Map(form.layers.filter((/** @type {any} */ l) => l.source === 'sites').map((/** @type {any} */ l) => [l.id, l]));
      style.layers = style.layers.map((/** @type {any} */ l) => structuredClone(swapped.get(l.id) || l));
      this.map.setStyle(style, { diff: true });
      this.tiles = want;
    }
    this.tileChain = chain;
    this.setColorMode(this.colorMode);
    if (markers) this.setSites(markers, chain || null);
  }

  /**
   * Per-township totals (`/api/v1/divisions/counts`) as graduated circles at the township seats;
   * towns without a seat or without sites get no symbol (there are no township polygons).
   */
  setTownCounts(counts) {
    const features = [];
    const towns = (counts && counts.towns) || [];
    const max = towns.reduce((m, x) => Math.max(m, Number(x.total) || 0), 0);
    for (const x of towns) {
      const pos = seatOf(x);
      if (!pos || !(x.total > 0)) continue;
      const c = x.counts || {};
      features.push({
        type: 'Feature',
        geometry: { type: 'Point', coordinates: pos },
        properties: {
          code: x.code,
          name_zh: x.name_zh || '',
          name_en: x.name_en || '',
          total: x.total,
          max_total: max,
          innovation_resource: c.innovation_resource || 0,
          carrier_platform: c.carrier_platform || 0,
          key_enterprise: c.key_enterprise || 0,
        },
      });
    }
    this.map.getSource('town-counts').setData({ type: 'FeatureCollection', features });
    return features.length;
  }

  /** Shows or hides the township totals layer. */
  setTownCountsVisible(on) {
    for (const id of TOWN_COUNT_LAYERS) {
      if (this.map.getLayer(id)) this.map.setLayoutProperty(id, 'visibility', on ? 'visible' : 'none');
    }
  }

  /**
   * Site-matching results as ranked markers (`features` with `properties.match`), the chosen point
   * and the search circle (`radiusKm` around `center`); null clears them.
   */
  setMatches(features, center = null, radiusKm = null) {
    const points = [];
    for (const f of features || []) {
      const pt = markerOf(f);
      if (!pt) continue;
      const m = (f.properties && f.properties.match) || {};
      points.push({
        type: 'Feature',
        geometry: { type: 'Point', coordinates: pt },
        properties: { id: f.properties.id, rank: m.rank ?? 0, area_known: m.area !== 'unknown' },
      });
    }
    const area = [];
    if (center) {
      area.push({ type: 'Feature', geometry: { type: 'Point', coordinates: center }, properties: {} });
      if (radiusKm > 0) area.push({ type: 'Feature', geometry: circlePolygon(center, radiusKm), properties: {} });
    }
    this.map.getSource('match').setData({ type: 'FeatureCollection', features: points });
    this.map.getSource('match-area').setData({ type: 'FeatureCollection', features: area });
  }

  /** While `callback` is set, the next map click picks a point (`[lon, lat]`) instead of a site. */
  setPickMode(callback) {
    this._picking = callback || null;
    if (this.map) this.map.getCanvas().style.cursor = callback ? 'crosshair' : '';
  }

  get picking() {
    return !!this._picking;
  }

  /**
   * Drag-to-correct (editors): a draggable marker at `lngLat`; `onDrop([lon, lat])` when a
   * pointer drag ends, or on Enter when the marker has the focus (MapLibre moves a focused
   * draggable marker with the arrow keys, Shift = 10 px; those moves only end with Enter).
   */
  startDrag(lngLat, { label, onDrop }) {
    this.stopDrag();
    const marker = new maplibregl.Marker({ draggable: true, color: '#facc15', className: 'drag-marker' })
      .setLngLat(lngLat)
      .addTo(this.map);
    const el = marker.getElement();
    el.tabIndex = 0;
    el.setAttribute('role', 'button');
    el.setAttribute('aria-label', label);
    el.title = label;
    let byKeyboard = false;
    const ARROWS = ['ArrowLeft', 'ArrowRight', 'ArrowUp', 'ArrowDown'];
    el.addEventListener('keydown', (e) => {
      if (ARROWS.includes(e.key)) byKeyboard = true;
    }, true);
    for (const type of ['mousedown', 'touchstart']) el.addEventListener(type, () => (byKeyboard = false), true);
    marker.on('dragend', () => {
      if (byKeyboard) return; // a key's move (or the blur after one): wait for Enter
      const p = marker.getLngLat();
      onDrop([p.lng, p.lat]);
    });
    el.addEventListener('keydown', (e) => {
      if (e.key !== 'Enter' && e.key !== ' ') return;
      e.preventDefault(); // no keypress: the confirm dialog's button must not take this Enter
      e.stopPropagation();
      const p = marker.getLngLat();
      onDrop([p.lng, p.lat]);
    });
    this._drag = { marker, origin: lngLat, onDrop };
  }

  /** Centres the map on a point, close enough to place it precisely. */
  focusPoint(pt) {
    this.map.flyTo({ center: pt, zoom: Math.max(this.map.getZoom(), 14), essential: true, maxDuration: 2000 });
  }

  /** Puts the drag marker back where it started. */
  resetDrag() {
    if (this._drag) this._drag.marker.setLngLat(this._drag.origin);
  }

  stopDrag() {
    if (this._drag) this._drag.marker.remove();
    this._drag = null;
  }

  /** The drag marker's element (for focus and tests), or null. */
  dragElement() {
    return this._drag ? this._drag.marker.getElement() : null;
  }

  /** `category` or `chain`: which colour the site symbols take. */
  setColorMode(mode) {
    this.colorMode = mode === 'chain' ? 'chain' : 'category';
    if (!this.map || !this.map.getLayer('site-points')) return;
    const cats = this.meta['atlas:categories'] || {};
    const chainColors = this.meta['atlas:chain-colors'] || {};
    const shape = ['match', ['get', 'category']];
    const catColor = ['match', ['get', 'category']];
    for (const [id, c] of Object.entries(cats)) {
      shape.push(id, c.shape);
      catColor.push(id, c.color);
    }
    shape.push('circle');
    catColor.push('#6b7280');
    let color = catColor;
    if (this.colorMode === 'chain') {
      // A tile site has no chain_primary: the filter's chain (every site drawn is on it), else
      // its `chain` should the tiles carry one, else none.
      color = ['match', ['coalesce', ['get', 'chain_primary'], ...(this.tileChain ? [this.tileChain] : []), ['get', 'chain'], 'none']];
      for (const [id, c] of Object.entries(chainColors)) if (id !== 'none') color.push(id, c);
      color.push(chainColors.none || '#6b7280');
    }
    const fill = ['case', ['==', ['get', 'approximate'], true], 'hollow', 'solid'];
    this.map.setLayoutProperty('site-points', 'icon-image', ['concat', 'site/', shape, '/', fill, '/', color]);
  }

  categoryStyle(category) {
    const c = (this.meta['atlas:categories'] || {})[category] || { color: '#6b7280', shape: 'circle' };
    return c;
  }

  chainColor(chain) {
    const cc = this.meta['atlas:chain-colors'] || {};
    return cc[chain] || cc.none || '#6b7280';
  }

  symbolFor(props) {
    const c = this.categoryStyle(props.category);
    const fill = props.approximate ? 'hollow' : 'solid';
    return symbolName(c.shape, fill, c.color);
  }

  /** Highlights a site (a halo at its marker, above clusters), or clears with null. */
  setSelection(feature) {
    const pt = feature ? markerOf(feature) : null;
    this.map.getSource('selection').setData(
      pt ? { type: 'FeatureCollection', features: [{ type: 'Feature', geometry: { type: 'Point', coordinates: pt }, properties: {} }] } : EMPTY,
    );
  }

  /** Flies to a site: close for precise places, less for approximate ones. */
  async flyToSite(feature) {
    const pt = markerOf(feature);
    if (!pt) return;
    const p = feature.properties || {};
    if (p.outside_district === true) {
      // Far away (a partner in another city): show it together with the district.
      const d = await this.districtBounds();
      if (d) {
        const b = [[Math.min(d[0][0], pt[0]), Math.min(d[0][1], pt[1])], [Math.max(d[1][0], pt[0]), Math.max(d[1][1], pt[1])]];
        this.map.fitBounds(b, { padding: 60, maxZoom: 12, duration: 1200 });
        return;
      }
    }
    const precise = !p.approximate;
    const target = precise ? Math.max(this.map.getZoom(), 14) : p.location_precision === 'town' ? 12 : Math.min(Math.max(this.map.getZoom(), 9.5), 11);
    this.map.flyTo({ center: pt, zoom: target, essential: true, maxDuration: 2500 });
  }

  /** Fits the map to features (or to bounds). */
  fitTo(featuresOrBounds, { animate = true } = {}) {
    const b = Array.isArray(featuresOrBounds) && featuresOrBounds.length === 2 && Array.isArray(featuresOrBounds[0])
      ? featuresOrBounds
      : boundsOf({ type: 'FeatureCollection', features: featuresOrBounds });
    if (!b) return;
    const [[w, s], [e, n]] = b;
    const padding = Math.min(60, Math.round(Math.min(this.map.getContainer().clientWidth, this.map.getContainer().clientHeight) / 8));
    if (w === e && s === n) {
      this.map.jumpTo({ center: [w, s], zoom: Math.max(this.map.getZoom(), 13) });
      return;
    }
    this.map.fitBounds(b, { padding, maxZoom: 15, animate, duration: animate ? 800 : 0 });
  }

  async _clusterClick(f) {
    const src = this.map.getSource('sites');
    const clusterId = f.properties.cluster_id;
    const leaves = await src.getClusterLeaves(clusterId, Infinity, 0);
    const first = leaves[0] && leaves[0].geometry.coordinates;
    const samePlace = leaves.every((l) => l.geometry.coordinates[0] === first[0] && l.geometry.coordinates[1] === first[1]);
    let expansionZoom = null;
    try {
      expansionZoom = await src.getClusterExpansionZoom(clusterId);
    } catch { /* keep null */ }
    const canZoom = !samePlace && expansionZoom !== null && expansionZoom <= MAX_ZOOM;
    this.opts.onClusterClick && this.opts.onClusterClick({
      lngLat: f.geometry.coordinates,
      ids: leaves.map((l) => l.properties.id),
      samePlace,
      zoomIn: canZoom ? () => this.map.easeTo({ center: f.geometry.coordinates, zoom: expansionZoom + 0.1 }) : null,
    });
  }

  /** A cluster of the tiles: its members are listed through the API (views/cluster.js). */
  _tileClusterClick(f) {
    const c = clusterInfo(f.properties);
    const [w, s, e, n] = c.bbox || [];
    const zoomIn = c.bbox && !c.samePlace && this.map.getZoom() < MAX_ZOOM
      ? () => this.map.fitBounds([[w, s], [e, n]], { padding: 48, maxZoom: MAX_ZOOM, duration: 800 })
      : null;
    this.opts.onClusterClick && this.opts.onClusterClick({
      lngLat: f.geometry.coordinates,
      ids: c.ids,
      count: c.count,
      bbox: c.bbox,
      samePlace: c.samePlace,
      zoomIn,
    });
  }

  /** A MapLibre popup holding a DOM node. */
  popup(lngLat, node) {
    if (this._popup) this._popup.remove();
    this._popup = new maplibregl.Popup({ closeButton: true, maxWidth: '320px', focusAfterOpen: true, className: 'cluster-popup' })
      .setLngLat(lngLat)
      .setDOMContent(node)
      .addTo(this.map);
    return this._popup;
  }

  closePopup() {
    if (this._popup) this._popup.remove();
    this._popup = null;
  }

  resize() {
    if (this.map) this.map.resize();
  }
}

/**
 * A polygon approximating the circle of `km` around `[lon, lat]`, for display only (the server
 * measures distances). Points at the given distance along 64 bearings on a sphere.
 */
function circlePolygon([lon, lat], km) {
  const R = 6371.0088;
  const d = km / R;
  const φ1 = (lat * Math.PI) / 180;
  const λ1 = (lon * Math.PI) / 180;
  const ring = [];
  for (let i = 0; i <= 64; i++) {
    const θ = (i / 64) * 2 * Math.PI;
    const φ2 = Math.asin(Math.sin(φ1) * Math.cos(d) + Math.cos(φ1) * Math.sin(d) * Math.cos(θ));
    const λ2 = λ1 + Math.atan2(Math.sin(θ) * Math.sin(d) * Math.cos(φ1), Math.cos(d) - Math.sin(φ1) * Math.sin(φ2));
    ring.push([(λ2 * 180) / Math.PI, (φ2 * 180) / Math.PI]);
  }
  return { type: 'Polygon', coordinates: [ring] };
}

/** A label point of a (multi)polygon: the area-weighted centroid of its largest ring. */
function labelPoint(g) {
  if (!g) return null;
  const polys = g.type === 'Polygon' ? [g.coordinates] : g.type === 'MultiPolygon' ? g.coordinates : [];
  let best = null;
  let bestArea = 0;
  for (const poly of polys) {
    const ring = poly[0];
    let a = 0, cx = 0, cy = 0;
    for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      const cross = ring[j][0] * ring[i][1] - ring[i][0] * ring[j][1];
      a += cross;
      cx += (ring[j][0] + ring[i][0]) * cross;
      cy += (ring[j][1] + ring[i][1]) * cross;
    }
    if (Math.abs(a) > bestArea) {
      bestArea = Math.abs(a);
      best = [cx / (3 * a), cy / (3 * a)];
    }
  }
  return best;
}

/** The seat of a division record, whatever its spelling: `seat: {lon, lat}`, `seat_lon/seat_lat`, GeoJSON. */
function seatOf(d) {
  if (d.geometry && d.geometry.type === 'Point') return d.geometry.coordinates;
  const s = d.seat;
  if (s) {
    if (Array.isArray(s)) return s;
    if (Number.isFinite(s.lon) && Number.isFinite(s.lat)) return [s.lon, s.lat];
    if (s.position && Number.isFinite(s.position.lon)) return [s.position.lon, s.position.lat];
    if (s.coordinates) return s.coordinates;
  }
  if (Number.isFinite(d.seat_lon) && Number.isFinite(d.seat_lat)) return [d.seat_lon, d.seat_lat];
  return null;
}
