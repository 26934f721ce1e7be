// Site matching (智慧选址): for an investor in a chain/link, carrier platforms with at least X m²
// of available space, optionally within R km of a point (typed, or picked on the map) or inside
// chosen townships, ranked by the server (`/api/v1/match`). The form checks what it can before
// asking; whatever the server still refuses comes back as its JSON error, shown in the form.
// Results: a ranked list (distance, fit, area or "unknown"), numbered markers on the map, exports.

import { t, num } from './i18n.js';
import { h, clear, $ } from './dom.js';
import { getJSON, apiUrl, ApiError } from './api.js';
import * as L from './labels.js';

const FIELDS = { chain: 'm-chain', link: 'm-link', min_area_m2: 'm-area', near: 'm-near', radius_km: 'm-radius', town: 'm-towns' };
const FIT_ORDER = ['link', 'chain', 'general', 'other'];
/** Server error codes the form can explain in the page's language. */
const SERVER_CODES = { radius_without_near: 'errRadiusNeedsPoint', invalid_area: 'errAreaNegative' };

/** Parses `lon,lat` (comma, or whitespace); null when malformed. */
export function parsePoint(text) {
  const m = /^\s*(-?\d+(?:\.\d+)?)\s*[,，\s]\s*(-?\d+(?:\.\d+)?)\s*$/.exec(String(text || ''));
  if (!m) return null;
  const lon = Number(m[1]);
  const lat = Number(m[2]);
  if (!Number.isFinite(lon) || !Number.isFinite(lat)) return null;
  return [lon, lat];
}

/**
 * The client's checks of the form's values: `{params, errors: [{field, key}], center, radius}`.
 * `values` holds the raw texts (`area`, `near`, `radius`) plus `chain`, `link`, `towns` and
 * `areaBad`/`radiusBad` (the browser could not read a number).
 */
export function validate(values) {
  const errors = [];
  const params = new URLSearchParams();
  if (values.chain) params.set('chain', values.chain);
  if (values.link) params.set('link', values.link);
  const areaText = String(values.area ?? '').trim();
  if (values.areaBad) errors.push({ field: 'min_area_m2', key: 'errNumber' });
  else if (areaText !== '') {
    const a = Number(areaText);
    if (!Number.isFinite(a)) errors.push({ field: 'min_area_m2', key: 'errNumber' });
    else if (a < 0) errors.push({ field: 'min_area_m2', key: 'errAreaNegative' });
    else params.set('min_area_m2', areaText);
  }
  let center = null;
  const nearText = String(values.near ?? '').trim();
  if (nearText) {
    center = parsePoint(nearText);
    if (!center) errors.push({ field: 'near', key: 'errPointFormat' });
    else if (Math.abs(center[0]) > 180 || Math.abs(center[1]) > 90) {
      errors.push({ field: 'near', key: 'errPointRange' });
      center = null;
    } else params.set('near', `${center[0]},${center[1]}`);
  }
  let radius = null;
  const radiusText = String(values.radius ?? '').trim();
  if (values.radiusBad) errors.push({ field: 'radius_km', key: 'errNumber' });
  else if (radiusText !== '') {
    const r = Number(radiusText);
    if (!Number.isFinite(r)) errors.push({ field: 'radius_km', key: 'errNumber' });
    else if (r <= 0) errors.push({ field: 'radius_km', key: 'errRadiusPositive' });
    else if (!nearText) errors.push({ field: 'radius_km', key: 'errRadiusNeedsPoint' });
    else if (center) {
      radius = r;
      params.set('radius_km', radiusText);
    }
  }
  if (values.towns && values.towns.length) params.set('town', values.towns.join(','));
  return { params, errors, center, radius };
}

/** Which form field a server error is about (the parameter it names), or null. */
export function fieldOfError(message) {
  const m = String(message || '');
  const named = /parameter '([a-z_0-9]+)'/.exec(m);
  if (named && named[1] in FIELDS) return named[1];
  for (const k of ['min_area_m2', 'radius_km', 'near', 'chain', 'link', 'town']) {
    if (new RegExp(`\\b${k}\\b`).test(m)) return k;
  }
  return null;
}

/**
 * The matching panel.
 * @param {object} deps {onSelect(id), onResults(features|null, center, radiusKm), onPickStart(cb),
 *   onPickCancel(), symbolFor(category), selectedId()}
 */
export class MatchPanel {
  constructor(deps) {
    this.deps = deps;
    this.result = null; // {features, numberMatched, numberReturned, center, radius, params}
    this.controller = null;
    this.pending = Promise.resolve();
    this.picking = false;
    this.bound = false;
  }

  /** Fills the selects (once), binds the form; `defaults` = {chain, link} of the site filter. */
  open(defaults = {}) {
    if (!this.bound) {
      this.bind();
      this.bound = true;
      if (defaults.chain) $('m-chain').value = defaults.chain;
      this.fillLinks();
      if (defaults.link) $('m-link').value = defaults.link;
    }
    if (this.result) this.deps.onResults(this.result.features, this.result.center, this.result.radius);
    else if (this.center()) this.deps.onResults([], this.center(), null);
  }

  bind() {
    this.fillChains();
    this.fillTowns();
    const form = $('match-form');
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      this.submit();
    });
    form.addEventListener('reset', () => {
      setTimeout(() => {
        this.clearErrors();
        this.fillLinks();
        this.updateTownCount();
        this.cancelPick();
        this.result = null;
        this.renderResults();
        this.deps.onResults(null, null, null);
      });
    });
    $('m-chain').addEventListener('change', () => this.fillLinks());
    $('m-pick').addEventListener('click', () => (this.picking ? this.cancelPick() : this.startPick()));
    $('m-clear-point').addEventListener('click', () => {
      $('m-near').value = '';
      this.cancelPick();
      this.clearFieldError('near');
      this.showPoint();
    });
    $('m-near').addEventListener('change', () => this.showPoint());
    for (const id of ['m-area', 'm-near', 'm-radius']) {
      $(id).addEventListener('input', () => $(id).removeAttribute('aria-invalid'));
    }
    $('m-towns').addEventListener('change', () => this.updateTownCount());
  }

  /** Relabels everything after a language switch. */
  relabel() {
    if (!this.bound) return;
    const chain = $('m-chain').value;
    const link = $('m-link').value;
    const towns = this.towns();
    this.fillChains();
    $('m-chain').value = chain;
    this.fillLinks();
    $('m-link').value = link;
    this.fillTowns(towns);
    if (this.picking) $('m-pick-hint').textContent = t('pickHint');
    this.renderResults();
  }

  fillChains() {
    const sel = clear($('m-chain'));
    sel.appendChild(h('option', { value: '' }, t('anyChain')));
    for (const id of L.chainOrder) sel.appendChild(h('option', { value: id }, L.chainLabel(id)));
  }

  fillLinks() {
    const chain = $('m-chain').value;
    const sel = clear($('m-link'));
    sel.appendChild(h('option', { value: '' }, chain ? t('anyLink') : t('chooseChainFirst')));
    for (const l of chain ? L.chainLinks(chain) : []) sel.appendChild(h('option', { value: l.id }, L.linkLabel(l.id)));
    sel.disabled = !chain;
  }

  fillTowns(checked = []) {
    const box = clear($('m-towns'));
    for (const code of L.townOrder) {
      const id = `m-town-${code}`;
      box.appendChild(h('label', { for: id },
        h('input', { type: 'checkbox', id, value: code, checked: checked.includes(code) }),
        ' ', L.townLabel(code)));
    }
    this.updateTownCount();
  }

  towns() {
    return [...$('m-towns').querySelectorAll('input:checked')].map((x) => x.value);
  }

  updateTownCount() {
    const n = this.towns().length;
    $('m-town-count').textContent = n ? String(n) : '';
  }

  center() {
    const p = parsePoint($('m-near').value);
    return p && Math.abs(p[0]) <= 180 && Math.abs(p[1]) <= 90 ? p : null;
  }

  /** Shows the chosen point (and the last results) on the map. */
  showPoint() {
    const r = this.result;
    const radius = Number($('m-radius').value) > 0 ? Number($('m-radius').value) : null;
    this.deps.onResults(r ? r.features : [], this.center(), this.center() ? radius : null);
  }

  startPick() {
    this.picking = true;
    $('m-pick').setAttribute('aria-pressed', 'true');
    $('m-pick-hint').textContent = t('pickHint');
    this.deps.onPickStart((lonLat) => {
      this.picking = false;
      $('m-pick').setAttribute('aria-pressed', 'false');
      $('m-pick-hint').textContent = t('pickDone');
      $('m-near').value = `${lonLat[0].toFixed(5)},${lonLat[1].toFixed(5)}`;
      this.clearFieldError('near');
      this.clearFieldError('radius_km');
      this.showPoint();
    });
  }

  cancelPick() {
    if (!this.picking) return;
    this.picking = false;
    $('m-pick').setAttribute('aria-pressed', 'false');
    $('m-pick-hint').textContent = '';
    this.deps.onPickCancel();
  }

  values() {
    const area = $('m-area');
    const radius = $('m-radius');
    return {
      chain: $('m-chain').value,
      link: $('m-link').value,
      area: area.value,
      areaBad: area.validity.badInput,
      near: $('m-near').value,
      radius: radius.value,
      radiusBad: radius.validity.badInput,
      towns: this.towns(),
    };
  }

  clearErrors() {
    $('match-error').hidden = true;
    clear($('match-error'));
    for (const k of Object.keys(FIELDS)) this.clearFieldError(k);
  }

  clearFieldError(field) {
    const input = $(FIELDS[field]);
    if (input) input.removeAttribute('aria-invalid');
    const msg = $(`${FIELDS[field]}-error`);
    if (msg) {
      msg.textContent = '';
      msg.hidden = true;
    }
  }

  /** Marks `field` invalid with `text` under it; returns the input. */
  fieldError(field, text) {
    const input = $(FIELDS[field]);
    const msg = $(`${FIELDS[field]}-error`);
    if (input) input.setAttribute('aria-invalid', 'true');
    if (msg) {
      msg.textContent = text;
      msg.hidden = false;
    }
    return input;
  }

  /** The summary of errors above the buttons (role=alert, so it is announced). */
  showErrors(lines, { server = false } = {}) {
    const box = clear($('match-error'));
    box.appendChild(h('strong', {}, server ? t('matchServerError') : t('matchFormError')));
    box.appendChild(h('ul', {}, lines.map((x) => h('li', {}, x))));
    box.dataset.source = server ? 'server' : 'client';
    box.hidden = false;
  }

  /** Checks the form, then asks the server. */
  submit() {
    this.cancelPick();
    this.clearErrors();
    const v = validate(this.values());
    if (v.errors.length) {
      let first = null;
      for (const e of v.errors) {
        const input = this.fieldError(e.field, t(e.key));
        first = first || input;
      }
      this.showErrors(v.errors.map((e) => t(e.key)));
      if (first) first.focus();
      return Promise.resolve();
    }
    return this.run(v.params, v.center, v.radius);
  }

  /** Runs a query (already checked, or raw for tests) and shows the result or the server's error. */
  run(params, center = null, radius = null) {
    if (this.controller) this.controller.abort();
    this.controller = new AbortController();
    const { signal } = this.controller;
    const q = new URLSearchParams(params);
    q.set('format', 'json');
    $('match-status').textContent = t('loading');
    $('m-submit').disabled = true;
    const job = getJSON(apiUrl('match', q), { signal })
      .then((fc) => {
        const features = [...(fc.features || [])].sort((a, b) => rank(a) - rank(b));
        this.result = {
          features,
          numberMatched: fc.numberMatched ?? features.length,
          numberReturned: fc.numberReturned ?? features.length,
          center,
          radius,
          params: new URLSearchParams(params),
        };
        this.renderResults();
        this.deps.onResults(features, center, radius, { fit: true });
      })
      .catch((e) => {
        if (e.name === 'AbortError') return;
        this.result = null;
        this.renderResults();
        const server = e instanceof ApiError;
        const field = server ? fieldOfError(e.message) : null;
        // The server's own words, after ours where we know the error code.
        const ours = server && SERVER_CODES[e.code] ? t(SERVER_CODES[e.code]) : null;
        if (field) this.fieldError(field, ours || e.message);
        this.showErrors([ours, e.message || String(e)].filter(Boolean), { server });
      })
      .finally(() => {
        $('m-submit').disabled = false;
      });
    this.pending = job;
    return job;
  }

  exportUrl(format) {
    const p = new URLSearchParams(this.result ? this.result.params : '');
    p.set('format', format);
    return apiUrl('match', p);
  }

  renderResults() {
    const list = clear($('match-list'));
    const bar = $('match-exports');
    const r = this.result;
    if (!r) {
      $('match-status').textContent = '';
      $('match-count').textContent = '';
      bar.hidden = true;
      return;
    }
    const unknown = r.features.filter((f) => matchOf(f).area === 'unknown').length;
    $('match-count').textContent = t('matchCount', { n: num(r.numberMatched) });
    const notes = [];
    if (r.numberReturned < r.numberMatched) notes.push(t('matchShowingFirst', { shown: num(r.numberReturned) }));
    if (unknown) notes.push(t('matchUnknownNote', { n: num(unknown) }));
    $('match-status').textContent = notes.join(' ');
    bar.hidden = false;
    for (const fmt of ['xlsx', 'csv']) $(`m-export-${fmt}`).href = this.exportUrl(fmt);
    if (!r.features.length) {
      list.appendChild(h('li', { class: 'empty' }, t('matchNone')));
      return;
    }
    const selected = this.deps.selectedId();
    for (const f of r.features) {
      const p = f.properties || {};
      const m = matchOf(f);
      const facts = [h('span', { class: `fit fit-${m.fit}`, 'data-fit': m.fit }, t(`fit_${FIT_ORDER.includes(m.fit) ? m.fit : 'other'}`))];
      if (m.distance_km !== null && m.distance_km !== undefined) {
        facts.push(h('span', { class: 'dist', 'data-km': m.distance_km }, t('distanceKm', { n: km(m.distance_km) })));
      }
      facts.push(m.area === 'unknown'
        ? h('span', { class: 'area unknown', 'data-area': 'unknown' }, t('areaUnknown'))
        : h('span', { class: 'area', 'data-area': p.available_area_m2 ?? '' }, t('availableM2', { n: num(p.available_area_m2 ?? 0) })));
      const meta = [L.vocabLabel('kind', p.kind, p.kind_zh)];
      if (p.town_code) meta.push(L.townLabel(p.town_code, p.town_name));
      if (p.approximate) meta.push(L.vocabLabel('location_precision', p.location_precision, p.location_precision_zh));
      list.appendChild(h('li', {},
        h('button', {
          type: 'button',
          class: 'row match-row' + (selected === p.id ? ' selected' : ''),
          id: `match-row-${p.id}`,
          'data-id': p.id,
          'data-rank': m.rank,
          'aria-current': selected === p.id ? 'true' : null,
          onclick: () => this.deps.onSelect(p.id),
        },
        h('span', { class: 'rank' + (m.area === 'unknown' ? ' unknown' : ''), 'aria-label': t('rankN', { n: m.rank }) }, String(m.rank ?? '')),
        h('span', { class: 'names' },
          h('span', { class: 'zh', lang: 'zh-CN' }, p.name_zh),
          p.name_en ? h('span', { class: 'en', lang: 'en' }, p.name_en) : null,
          h('span', { class: 'meta' }, meta.filter(Boolean).join(' · ')),
          h('span', { class: 'facts' }, facts)))));
    }
  }

  /** Marks the selected result row. */
  highlight(id) {
    for (const el of $('match-list').querySelectorAll('button.row')) {
      const on = el.dataset.id === id;
      el.classList.toggle('selected', on);
      if (on) el.setAttribute('aria-current', 'true');
      else el.removeAttribute('aria-current');
    }
  }
}

function matchOf(f) {
  return (f.properties && f.properties.match) || {};
}

function rank(f) {
  const r = matchOf(f).rank;
  return Number.isFinite(r) ? r : Infinity;
}

function km(d) {
  const n = Number(d);
  return num(n, { maximumFractionDigits: n < 10 ? 2 : 1 });
}
