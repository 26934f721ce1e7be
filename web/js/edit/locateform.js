// @ts-check
// Locate mode (editors): giving a site of the 待定位 worklist its point. A click on the map sets
// the point (a yellow marker, dragged or clicked again to change it); or typed coordinates with
// their CRS; or a pasted Amap/Baidu/Tencent share link (read here, see locate.js). With a
// precision and a source note it is one PATCH with If-Match (`properties.crs` names the CRS of
// the coordinates; the server converts to WGS84 and keeps the original). A stale version (412)
// is shown and never overwritten.

import { t } from '../i18n.js';
import { h } from '../dom.js';
import { send, apiUrl } from '../api.js';
import * as auth from './auth.js';
import * as L from '../labels.js';
import { fetchSite, errorText } from './editor.js';
import { CRS, LOCATE_PRECISIONS, parseCoordText, parseShareLink, locatePatch } from '../locate.js';

/** @typedef {import('../sites.js').Feature} Feature */
/** @typedef {{lon: number, lat: number, crs: string}} Point */
/**
 * @typedef {object} LocateDeps
 * @property {import('../page.js').App} app
 * @property {(id: string, name: string) => void} onSaved  the site has its point
 * @property {(id: string, message: string) => void} onConflict  someone else changed it (412)
 * @property {() => void} onEnd  locate mode ended (saved, cancelled or failed)
 */

/** @param {string} key @param {string} label @param {HTMLElement} control @param {HTMLElement | null} [extra] */
function field(key, label, control, extra = null) {
  control.id = `locate-${key}`;
  return h('div', { class: 'field' }, h('label', { for: control.id }, label), extra ? h('div', { class: 'point-row' }, control, extra) : control);
}

export class LocateMode {
  /** @param {LocateDeps} deps */
  constructor(deps) {
    this.deps = deps;
    /** @type {{feature: Feature, version: string, point: Point | null, form: HTMLFormElement, els: Record<string, any>} | null} */
    this.active = null;
  }

  /** The site being located, or null. */
  get siteId() {
    return this.active ? this.active.feature.properties.id : null;
  }

  /**
   * Starts locating `f` (its version fetched now, for If-Match); resolves the form to show.
   * @param {Feature} f @returns {Promise<HTMLFormElement>}
   */
  async start(f) {
    this.stop({ quiet: true });
    const { app } = this.deps;
    app.stopMove();
    if (app.matchPanel.picking) app.matchPanel.cancelPick();
    const fresh = await fetchSite(f.properties.id);
    const form = this.buildForm(fresh.feature);
    this.active = { feature: fresh.feature, version: String(fresh.version), point: null, form, els: this.els };
    this.armMap();
    return form;
  }

  /** The next map click sets the point; from then on the marker follows clicks and drags. */
  armMap() {
    this.deps.app.onMap((m) => {
      m.stopDrag();
      m.setPickMode((/** @type {number[]} */ pt) => this.clicked(pt));
      const pane = /** @type {HTMLElement} */ (document.querySelector('.map-pane'));
      const r = pane.getBoundingClientRect();
      if (r.bottom < 80 || r.top > window.innerHeight - 80) pane.scrollIntoView({ block: 'start', behavior: 'smooth' });
    });
  }

  /** A click on the map (WGS84, like the map). @param {number[]} pt */
  clicked(pt) {
    if (!this.active) return;
    const name = this.active.feature.properties.name_zh || this.active.feature.properties.id;
    this.setPoint({ lon: pt[0], lat: pt[1], crs: 'wgs84' }, true);
    this.deps.app.onMap((m) => m.startDrag(pt, {
      label: t('dragMarker', { name }),
      onDrop: (/** @type {number[]} */ p) => this.setPoint({ lon: p[0], lat: p[1], crs: 'wgs84' }, true),
    }));
  }

  /**
   * The point to save; `fromMap`: it came from the map (else the marker moves to a WGS84 point,
   * and leaves for another CRS, whose place on this map is only known after the server converts it).
   * @param {Point} p @param {boolean} [fromMap]
   */
  setPoint(p, fromMap = false) {
    const a = this.active;
    if (!a) return;
    a.point = p;
    const lon = p.lon.toFixed(6);
    const lat = p.lat.toFixed(6);
    a.els.point.textContent = fromMap ? t('locatePointMap', { lon, lat }) : t('locatePointCrs', { lon, lat, crs: t(`crs_${p.crs}`) });
    a.els.point.dataset.lon = String(p.lon);
    a.els.point.dataset.lat = String(p.lat);
    a.els.point.dataset.crs = p.crs;
    a.els.error.hidden = true;
    this.message('');
    if (fromMap) {
      // The fields follow the map: the point as WGS84 text, ready to be corrected by hand.
      a.els.coords.value = `${lon}, ${lat}`;
      a.els.crs.value = 'wgs84';
      return;
    }
    if (p.crs === 'wgs84') {
      this.clicked([p.lon, p.lat]);
      this.deps.app.onMap((m) => m.focusPoint([p.lon, p.lat]));
    } else this.armMap();
  }

  /** A note under the coordinate fields (an error in red). @param {string} text @param {boolean} [error] */
  message(text, error = false) {
    const el = this.active ? this.active.els.msg : null;
    if (!el) return;
    el.textContent = text;
    el.hidden = !text;
    el.classList.toggle('error', error);
  }

  applyCoords() {
    const a = this.active;
    if (!a) return;
    const r = parseCoordText(a.els.coords.value);
    if (!r.ok) return this.message(t(r.error), true);
    this.setPoint({ lon: r.lon, lat: r.lat, crs: a.els.crs.value });
  }

  applyLink() {
    const a = this.active;
    if (!a) return;
    const r = parseShareLink(a.els.link.value);
    if (!r.ok) return this.message(t(r.error), true);
    a.els.crs.value = r.crs;
    a.els.coords.value = `${r.lon}, ${r.lat}`;
    this.setPoint({ lon: r.lon, lat: r.lat, crs: r.crs });
    this.message(t('linkRead', { lon: String(r.lon), lat: String(r.lat), crs: t(`crs_${r.crs}`) }));
  }

  /** @param {Feature} f @returns {HTMLFormElement} */
  buildForm(f) {
    const p = f.properties;
    const els = {
      point: h('p', { class: 'locate-point', id: 'locate-point', role: 'status' }, t('locateNoPoint')),
      coords: h('input', { type: 'text', inputmode: 'decimal', autocomplete: 'off', placeholder: t('locateCoordsPlaceholder') }),
      crs: h('select', { 'aria-label': t('locateCrs') }, CRS.map((c) => h('option', { value: c }, t(`crs_${c}`)))),
      link: h('input', { type: 'url', autocomplete: 'off', placeholder: t('locateLinkPlaceholder') }),
      msg: h('p', { class: 'locate-msg', id: 'locate-msg', role: 'status', hidden: true }),
      precision: h('select', {}, LOCATE_PRECISIONS.map((x) => h('option', { value: x, selected: x === 'building' }, L.vocabLabel('location_precision', x)))),
      source: h('input', { type: 'text', required: true, autocomplete: 'off', placeholder: t('locateSourcePlaceholder') }),
      error: h('p', { class: 'form-error', id: 'locate-error', role: 'alert', hidden: true }),
      save: h('button', { type: 'submit', class: 'button primary', id: 'locate-save' }, t('locateSave')),
    };
    this.els = els;
    els.crs.id = 'locate-crs';
    const applyCoords = h('button', { type: 'button', id: 'locate-apply-coords', onclick: () => this.applyCoords() }, t('locateApplyCoords'));
    const applyLink = h('button', { type: 'button', id: 'locate-apply-link', onclick: () => this.applyLink() }, t('locateApplyLink'));
    const form = /** @type {HTMLFormElement} */ (h('form', { class: 'locate-form', id: 'locate-form', novalidate: true, autocomplete: 'off', 'data-id': p.id },
      h('h3', { id: 'locate-title' }, t('locateTitle', { name: p.name_zh || p.id })),
      h('p', { class: 'hint' }, t('locateClickHint')),
      h('div', { class: 'locate-point-box' }, h('span', { class: 'locate-label' }, t('locatePoint')), els.point),
      field('coords', t('locateCoords'), els.coords),
      h('div', { class: 'point-row crs-row' }, els.crs, applyCoords),
      field('link', t('locateLink'), els.link, applyLink),
      els.msg,
      h('div', { class: 'locate-grid' }, field('precision', t('locatePrecision'), els.precision), field('source', t('locateSource'), els.source)),
      els.error,
      h('div', { class: 'form-actions' }, els.save,
        h('button', { type: 'button', id: 'locate-cancel', onclick: () => this.stop() }, t('locateCancel')))));
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      this.deps.app.track(this.save());
    });
    return form;
  }

  /** Checks the form, then one PATCH with If-Match. */
  async save() {
    const a = this.active;
    if (!a || a.els.save.disabled) return;
    const pt = a.point || { lon: NaN, lat: NaN, crs: a.els.crs.value };
    const r = locatePatch({ ...pt, precision: a.els.precision.value, source: a.els.source.value });
    if (!r.ok) {
      a.els.error.textContent = r.errors.map((e) => t(e.key)).join(' ');
      a.els.error.hidden = false;
      if (r.errors.some((e) => e.field === 'source')) a.els.source.focus();
      return;
    }
    const p = a.feature.properties;
    a.els.save.disabled = true;
    a.els.save.textContent = t('locateSaving');
    try {
      await send(apiUrl(`sites/${encodeURIComponent(p.id)}`), { method: 'PATCH', token: auth.currentToken(), ifMatch: a.version, body: r.body });
      this.stop({ quiet: true });
      this.deps.onSaved(p.id, p.name_zh || p.id);
    } catch (e) {
      const text = errorText(e);
      if (e.status === 412) {
        this.stop({ quiet: true });
        this.deps.onConflict(p.id, text);
        return;
      }
      a.els.save.disabled = false;
      a.els.save.textContent = t('locateSave');
      a.els.error.textContent = text;
      a.els.error.hidden = false;
    }
  }

  /** Ends locate mode: no pick, no marker, no form. @param {{quiet?: boolean}} [o] */
  stop({ quiet = false } = {}) {
    const a = this.active;
    if (!a) return;
    this.active = null;
    const m = this.deps.app.mapNow();
    if (m && m.map) {
      m.setPickMode(null);
      m.stopDrag();
    }
    a.form.remove();
    if (!quiet) this.deps.onEnd();
  }
}
