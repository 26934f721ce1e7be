// @ts-check
// Editing in the browser, for editors and admins only (nothing here is built for a reader): the
// site form (new site: POST; edit: PATCH of the changed properties with If-Match), mark verified,
// delete, and drag-to-correct on the map. The form checks what it can before sending; whatever
// the server still refuses (422) is shown next to the form; a stale version (412) is never
// overwritten — the editor is told and may load the latest record.

import { t } from '../i18n.js';
import { h, clear } from '../dom.js';
import { send, apiUrl } from '../api.js';
import * as auth from './auth.js';
import * as L from '../labels.js';
import { openDialog, confirmDialog } from '../dialog.js';
import { markerOf } from '../sites.js';
import { TEXT, SELECTS, NUMBERS, round7, chainList, valuesOf, validateSite, patchOf, featureOf } from './sitevalues.js';

/** @typedef {import('../sites.js').Feature} Feature */

/** The UI label of a property (for the form, errors and the history). */
export function fieldLabel(key) {
  const keys = {
    id: 'fieldId', name_zh: 'nameZh', name_en: 'nameEn', category: 'category', kind: 'kind', level: 'level',
    status: 'status', scope: 'scope', chains: 'chains', town_code: 'town', town_name: 'town', address: 'address',
    area_m2: 'area', available_area_m2: 'availableArea', established: 'established', contact: 'contact',
    phone: 'phone', website: 'website', location_precision: 'precision', location_source: 'locationSource',
    source: 'dataSource', source_quote: 'sourceQuote', notes: 'notes', lon: 'lon', lat: 'lat',
    geometry: 'geometryField', verified_at: 'verified', updated_at: 'updated',
  };
  return keys[key] ? t(keys[key]) : key;
}

/** A message for a failed write, in the page's language (401 also ends the session). */
export function errorText(e) {
  if (!e || !e.status) return t('writeFailed', { msg: (e && e.message) || String(e) });
  switch (e.status) {
    case 401:
      auth.expired();
      return t('sessionExpired');
    case 403:
      return t('forbidden');
    case 404:
      return t('notFoundSite');
    case 412:
      return t('conflict');
    case 413:
      return t('tooLarge');
    case 422:
      return t('serverRejected', { msg: e.message });
    case 429:
      return t('signInThrottled');
    default:
      return t('writeFailed', { msg: e.message });
  }
}

/** GET a site without any cache, with its version (ETag). */
export async function fetchSite(id) {
  const res = await send(apiUrl(`sites/${encodeURIComponent(id)}`), { token: auth.currentToken() });
  return { feature: res.data, version: res.etag };
}

// ---------------------------------------------------------------- the form

function fieldBox(key, label, control, { wide = false, hint = null, required = false } = {}) {
  const id = `ed-${key}`;
  control.id = id;
  if (!control.name) control.name = key;
  const errId = `${id}-error`;
  const hintEl = hint ? h('p', { class: 'hint', id: `${id}-hint` }, hint) : null;
  control.setAttribute('aria-describedby', [hintEl ? `${id}-hint` : null, errId].filter(Boolean).join(' '));
  if (required) control.required = true;
  return h('div', { class: 'field' + (wide ? ' wide' : ''), 'data-field': key },
    h('label', { for: id }, label, required ? h('span', { class: 'req', 'aria-hidden': 'true' }, ' *') : null),
    control, hintEl, h('p', { class: 'field-error', id: errId, hidden: true }));
}

function selectOf(key, options, value, { empty = null } = {}) {
  const sel = h('select', { name: key });
  if (empty !== null) sel.appendChild(h('option', { value: '' }, empty));
  for (const o of options) sel.appendChild(h('option', { value: o.value }, o.label));
  sel.value = value ?? '';
  return sel;
}

const vocabOptions = (dim) => (L.vocabOrder[dim] || []).map((id) => ({ value: id, label: L.vocabLabel(dim, id) }));

function kindOptions(category) {
  return (L.vocabOrder.kind || [])
    .filter((id) => !category || !L.kindCategory[id] || L.kindCategory[id] === category)
    .map((id) => ({ value: id, label: L.vocabLabel('kind', id) }));
}

function textInput(key, value, { type = 'text', multiline = false, attrs = {} } = {}) {
  if (multiline) return h('textarea', { name: key, rows: 3, ...attrs }, value ?? '');
  return h('input', { type, name: key, value: value ?? '', autocomplete: 'off', ...attrs });
}

function numberInput(key, value, attrs = {}) {
  return h('input', { type: 'number', name: key, value: value ?? '', step: 'any', inputmode: 'decimal', ...attrs });
}

/** Checkboxes per chain: its links, or "whole chain" (link not stated). */
function chainPicker(selected) {
  const chosen = new Set(selected);
  const box = h('div', { class: 'chain-picker' });
  const count = h('span', { class: 'badge chain-count' });
  const update = () => {
    const n = box.querySelectorAll('input:checked').length;
    count.textContent = n ? String(n) : '';
    for (const d of box.querySelectorAll('details')) {
      const k = d.querySelectorAll('input:checked').length;
      d.querySelector('.badge').textContent = k ? String(k) : '';
    }
  };
  for (const chain of L.chainOrder) {
    const links = L.chainLinks(chain);
    const any = chosen.has(chain) || links.some((l) => chosen.has(l.id));
    const check = (value, label, cls) => h('label', { class: `chain-check ${cls}` },
      h('input', { type: 'checkbox', name: 'chains', value, checked: chosen.has(value), 'data-chain': chain }), ' ', label);
    box.appendChild(h('details', { open: any, 'data-chain': chain },
      h('summary', {}, L.chainLabel(chain), ' ', h('span', { class: 'badge' })),
      h('div', { class: 'chain-checks' },
        check(chain, t('chainWhole'), 'whole'),
        links.map((l) => check(l.id, L.linkLabel(l.id), 'link')))));
  }
  // "Whole chain" and its links exclude each other: the link is either stated or not.
  box.addEventListener('change', (e) => {
    const input = e.target;
    if (!input.matches('input[name=chains]') || !input.checked) return update();
    const chain = input.dataset.chain;
    for (const other of box.querySelectorAll(`input[data-chain="${CSS.escape(chain)}"]`)) {
      if (other === input) continue;
      if (input.value === chain || other.value === chain) other.checked = false;
    }
    update();
  });
  update();
  return { box, count };
}

/**
 * @typedef {object} FormCtx  one open site form
 * @property {boolean} creating
 * @property {boolean} pointEditable
 * @property {Feature | null} current  the record as last loaded
 * @property {string | null} currentVersion  its ETag (a PATCH's If-Match)
 * @property {HTMLFormElement} form
 * @property {HTMLElement} summary  the error list (or an info line) on top
 * @property {HTMLElement} conflictBox  the 412 message with "load the latest"
 * @property {HTMLButtonElement} submit
 * @property {HTMLButtonElement} cancel
 * @property {{close(): void} | null} dlg
 * @property {(feature: Feature | null, info: {id: string, created: boolean, name: string}) => void} onSaved
 */

/** The "basics" fields: id (new site), names, category and its kinds, level, status, scope, town. */
function basicFields(v, creating) {
  const category = selectOf('category', vocabOptions('category'), v.category, { empty: creating ? t('notSet') : null });
  const kind = selectOf('kind', kindOptions(v.category), v.kind, { empty: t('notSet') });
  category.addEventListener('change', () => {
    const keep = kind.value;
    clear(kind).appendChild(h('option', { value: '' }, t('notSet')));
    for (const o of kindOptions(category.value)) kind.appendChild(h('option', { value: o.value }, o.label));
    kind.value = kindOptions(category.value).some((o) => o.value === keep) ? keep : '';
  });
  const towns = L.townOrder.map((code) => ({ value: code, label: L.townLabel(code) }));
  return [
    creating ? fieldBox('id', t('fieldId'), textInput('id', '', { attrs: { spellcheck: 'false', autocapitalize: 'off', maxlength: 80 } }), { required: true, hint: t('fieldIdHint'), wide: true }) : null,
    fieldBox('name_zh', t('nameZh'), textInput('name_zh', v.name_zh, { attrs: { lang: 'zh-CN' } }), { required: true, wide: true }),
    fieldBox('name_en', t('nameEn'), textInput('name_en', v.name_en, { attrs: { lang: 'en' } }), { wide: true }),
    fieldBox('category', t('category'), category, { required: true }),
    fieldBox('kind', t('kind'), kind, { required: true }),
    fieldBox('level', t('level'), selectOf('level', vocabOptions('level'), v.level ?? 'none')),
    fieldBox('status', t('status'), selectOf('status', vocabOptions('status'), v.status ?? 'operating')),
    fieldBox('scope', t('scope'), selectOf('scope', vocabOptions('scope'), v.scope ?? 'local')),
    fieldBox('town_code', t('town'), selectOf('town_code', towns, v.town_code, { empty: t('notSet') })),
  ];
}

/** The chains fieldset: a checkbox per chain and link. */
function chainsSection(p) {
  const picker = chainPicker(chainList(p.chains));
  return h('fieldset', { class: 'ed-section chains-field', 'data-field': 'chains', 'aria-describedby': 'ed-chains-hint ed-chains-error' },
    h('legend', {}, t('sectionChains'), ' ', picker.count),
    h('p', { class: 'hint', id: 'ed-chains-hint' }, t('chainsHint')),
    picker.box,
    h('p', { class: 'field-error', id: 'ed-chains-error', hidden: true }));
}

/** The location fields: lon/lat (points only), precision, its source, the address. */
function locationFields(v, { creating, pointEditable }) {
  const precision = selectOf('location_precision', vocabOptions('location_precision'), v.location_precision, { empty: creating ? t('precisionAuto') : null });
  const location = pointEditable
    ? [
      fieldBox('lon', t('lon'), numberInput('lon', v.lon, { min: -180, max: 180 })),
      fieldBox('lat', t('lat'), numberInput('lat', v.lat, { min: -90, max: 90 })),
      h('p', { class: 'hint wide' }, t('lonLatHint')),
    ]
    : [h('p', { class: 'approx-note wide' }, t('polygonNote'))];
  location.push(
    fieldBox('location_precision', t('precision'), precision, { hint: creating ? null : t('precisionHint') }),
    fieldBox('location_source', t('locationSource'), textInput('location_source', v.location_source, { multiline: true }), { wide: true }),
    fieldBox('address', t('address'), textInput('address', v.address), { wide: true }));
  return location;
}

/** Areas, founding year, contact. */
function detailFields(v) {
  return [
    fieldBox('area_m2', t('area') + ' (m²)', numberInput('area_m2', v.area_m2, { min: 0 })),
    fieldBox('available_area_m2', t('availableArea') + ' (m²)', numberInput('available_area_m2', v.available_area_m2, { min: 0 })),
    fieldBox('established', t('established'), numberInput('established', v.established, { min: 1000, max: 9999, step: 1, inputmode: 'numeric' })),
    fieldBox('contact', t('contact'), textInput('contact', v.contact)),
    fieldBox('phone', t('phone'), textInput('phone', v.phone, { type: 'tel' })),
    fieldBox('website', t('website'), textInput('website', v.website, { type: 'url', attrs: { spellcheck: 'false' } })),
  ];
}

/** Where the record comes from. */
function sourceFields(v) {
  return [
    fieldBox('source', t('dataSource'), textInput('source', v.source, { multiline: true }), { required: true, wide: true }),
    fieldBox('source_quote', t('sourceQuote'), textInput('source_quote', v.source_quote, { multiline: true, attrs: { lang: 'zh-CN' } }), { wide: true }),
    fieldBox('notes', t('notes'), textInput('notes', v.notes, { multiline: true }), { wide: true }),
  ];
}

/** (Re)builds the form's fields from a record (null: an empty new site). */
function buildForm(ctx, f) {
  const v = valuesOf(f);
  const p = (f && f.properties) || {};
  const section = (title, children) => h('fieldset', { class: 'ed-section' }, h('legend', {}, title), h('div', { class: 'ed-grid' }, children));
  clear(ctx.form).append(
    ctx.summary, ctx.conflictBox,
    section(t('sectionBasics'), basicFields(v, ctx.creating)),
    chainsSection(p),
    section(t('sectionLocation'), locationFields(v, ctx)),
    section(t('sectionDetails'), detailFields(v)),
    section(t('sectionSource'), sourceFields(v)),
    h('div', { class: 'form-actions sticky-actions' }, ctx.submit, ctx.cancel));
}

/** The form's texts as validateSite reads them (`*Bad`: the browser could not read a number). */
function readForm(form, creating) {
  const el = form.elements;
  const raw = {};
  const val = (k) => (el[k] ? el[k].value : '');
  if (creating) raw.id = val('id');
  for (const k of [...TEXT, ...SELECTS]) raw[k] = val(k);
  for (const k of [...NUMBERS, 'lon', 'lat']) {
    raw[k] = val(k);
    raw[`${k}Bad`] = !!(el[k] && el[k].validity && el[k].validity.badInput);
  }
  raw.chains = [...form.querySelectorAll('input[name=chains]:checked')].map((x) => x.value);
  return raw;
}

// ---------------------------------------------------------------- the form's messages

function clearErrors({ form, summary }) {
  summary.hidden = true;
  clear(summary);
  for (const p of form.querySelectorAll('.field-error')) {
    p.hidden = true;
    p.textContent = '';
  }
  for (const x of form.querySelectorAll('[aria-invalid]')) x.removeAttribute('aria-invalid');
}

/** The box of a field, by its `data-field`. */
const fieldOf = (form, field) => form.querySelector(`[data-field="${CSS.escape(field)}"]`);

/** Puts a message under a field; false when the form has no such field. */
function fieldError(form, field, message) {
  const box = fieldOf(form, field);
  if (!box) return false;
  const p = box.querySelector('.field-error');
  p.textContent = p.textContent ? `${p.textContent} ${message}` : message;
  p.hidden = false;
  const control = box.querySelector('input, select, textarea');
  if (control) control.setAttribute('aria-invalid', 'true');
  return true;
}

/** Shows errors (`[{field, message}]`) at their fields and as a list on top; focuses the list. */
function showErrors(ctx, list, heading) {
  const { form, summary } = ctx;
  clearErrors(ctx);
  const items = [];
  for (const { field, message } of list) {
    const placed = field ? fieldError(form, field, message) : false;
    const label = field ? `${fieldLabel(field)}：` : '';
    const target = placed ? fieldOf(form, field).querySelector('input, select, textarea') : null;
    items.push(h('li', {}, target
      ? h('a', { href: `#${target.id}`, onclick: (e) => { e.preventDefault(); target.focus(); } }, label, message)
      : [label, message]));
  }
  summary.append(h('p', {}, heading), items.length ? h('ul', {}, items) : null);
  summary.hidden = false;
  summary.focus();
}

/** An information line on top of the form (not an error). */
function showInfo({ summary }, text) {
  summary.classList.add('info');
  clear(summary).appendChild(h('p', {}, text));
  summary.hidden = false;
  summary.focus();
}

/** The server's refusal (422/400/409): its rows at their fields where the form has them. */
function serverErrors(ctx, e) {
  const list = [];
  const details = e.details;
  const rows = Array.isArray(details) ? details : details && Array.isArray(details.errors) ? details.errors : [];
  for (const d of rows) {
    if (!d || typeof d !== 'object') continue;
    const field = d.column || d.field || d.property || null;
    const known = field && fieldOf(ctx.form, field);
    const reason = String(d.reason || d.message || JSON.stringify(d));
    list.push({ field: known ? field : null, message: field && !known ? `${field}: ${reason}` : reason });
  }
  showErrors(ctx, list, list.length ? t('serverRejectedList') : t('serverRejected', { msg: e.message }));
}

/** A 412: someone else saved first; offer to load their version. */
function showConflict(ctx) {
  clearErrors(ctx);
  clear(ctx.conflictBox).append(
    h('p', {}, t('conflict')),
    h('button', { type: 'button', class: 'button reload-latest', onclick: () => reloadLatest(ctx) }, t('reloadLatest')));
  ctx.conflictBox.hidden = false;
  ctx.conflictBox.focus();
}

async function reloadLatest(ctx) {
  try {
    const fresh = await fetchSite(ctx.current.properties.id);
    ctx.current = fresh.feature;
    ctx.currentVersion = fresh.version;
    ctx.conflictBox.hidden = true;
    buildForm(ctx, ctx.current);
    showInfo(ctx, t('reloadedLatest'));
  } catch (e) {
    showErrors(ctx, [{ field: null, message: errorText(e) }], t('formErrors'));
  }
}

// ---------------------------------------------------------------- submitting

/** The write a valid form asks for: POST of a new site, PATCH of the changes, or null (no changes). */
function requestOf(ctx, values) {
  if (ctx.creating) return { url: apiUrl('sites'), method: 'POST', body: featureOf(values) };
  const body = patchOf(valuesOf(ctx.current), values, { pointEditable: ctx.pointEditable });
  if (!body.properties && !body.geometry) return null;
  return { url: apiUrl(`sites/${encodeURIComponent(ctx.current.properties.id)}`), method: 'PATCH', body, ifMatch: ctx.currentVersion };
}

/** Checks, then sends; closes the dialog on success, shows the server's answer otherwise. */
async function submitForm(ctx) {
  const { creating, pointEditable, summary, submit } = ctx;
  summary.classList.remove('info');
  ctx.conflictBox.hidden = true;
  const unlocated = !creating && !!ctx.current && !ctx.current.geometry;
  const { values, errors } = validateSite(readForm(ctx.form, creating), { creating, pointEditable, unlocated });
  if (errors.length) {
    showErrors(ctx, errors.map((x) => ({ field: x.field, message: t(x.key, x.params) })), t('formErrors'));
    return;
  }
  clearErrors(ctx);
  if (pointEditable && values.lon !== null) {
    values.lon = round7(values.lon);
    values.lat = round7(values.lat);
  }
  const request = requestOf(ctx, values);
  if (!request) {
    showInfo(ctx, t('noChanges'));
    return;
  }
  submit.disabled = true;
  const label = submit.textContent;
  submit.textContent = t('saving');
  try {
    const res = await send(request.url, { method: request.method, token: auth.currentToken(), body: request.body, ifMatch: request.ifMatch });
    const id = creating ? values.id : ctx.current.properties.id;
    ctx.dlg.close();
    ctx.onSaved(res.data && res.data.properties ? res.data : null, { id, created: creating, name: values.name_zh });
  } catch (err) {
    if (err.status === 412) showConflict(ctx);
    else if (err.status === 422 || err.status === 400 || err.status === 409) serverErrors(ctx, err);
    else showErrors(ctx, [{ field: null, message: errorText(err) }], t('formErrors'));
  } finally {
    submit.disabled = false;
    submit.textContent = label;
  }
}

/**
 * The site form in a modal dialog: `feature` + `version` to edit, null to create.
 * `onSaved(feature, {id, created, name})` after a successful write.
 */
export function openSiteForm({ feature = null, version = null, onSaved }) {
  const creating = !feature;
  const geomType = feature && feature.geometry ? feature.geometry.type : 'Point';
  const name = feature ? feature.properties.name_zh || feature.properties.id : '';
  /** @type {FormCtx} */
  const ctx = {
    creating,
    pointEditable: creating || geomType === 'Point',
    current: feature,
    currentVersion: version,
    form: h('form', { class: 'site-form', novalidate: true, autocomplete: 'off' }),
    summary: h('div', { class: 'form-error', role: 'alert', hidden: true, tabindex: '-1' }),
    conflictBox: h('div', { class: 'form-error conflict', role: 'alert', hidden: true, tabindex: '-1' }),
    submit: h('button', { type: 'submit', class: 'button primary' }, creating ? t('create') : t('save')),
    cancel: h('button', { type: 'button', class: 'cancel' }, t('cancel')),
    dlg: null,
    onSaved,
  };
  ctx.form.addEventListener('input', (e) => {
    const target = /** @type {HTMLElement} */ (e.target);
    if (target.closest('[data-field]')) target.removeAttribute('aria-invalid');
  });
  ctx.form.addEventListener('submit', (e) => {
    e.preventDefault();
    submitForm(ctx);
  });
  buildForm(ctx, ctx.current);
  ctx.dlg = openDialog({
    title: creating ? t('newTitle') : t('editTitle', { name }),
    content: ctx.form,
    className: 'site-editor',
    wide: true,
    focus: creating ? '#ed-id' : '#ed-name_zh',
  });
  ctx.cancel.addEventListener('click', () => ctx.dlg.close());
  return ctx.dlg;
}

// ---------------------------------------------------------------- actions on one site

/** Marks a site verified today (the version shown, in If-Match). Resolves true when done. */
export async function verifySite(id, version) {
  await send(apiUrl(`sites/${encodeURIComponent(id)}/verify`), { method: 'POST', token: auth.currentToken(), ifMatch: version });
  return true;
}

/** Asks, then deletes (soft) a site at `version`. Resolves true when deleted. */
export async function deleteSite(feature, version) {
  const p = feature.properties;
  const ok = await confirmDialog({
    title: t('deleteTitle'),
    message: t('deleteConfirm', { name: p.name_zh || p.id }),
    confirmLabel: t('delete'),
    danger: true,
  });
  if (!ok) return false;
  await send(apiUrl(`sites/${encodeURIComponent(p.id)}`), { method: 'DELETE', token: auth.currentToken(), ifMatch: version });
  return true;
}

/**
 * Drag-to-correct: a draggable marker at the site; on drop the editor confirms, then the new
 * geometry is PATCHed (the server records precision `surveyed` and who corrected it where).
 * `deps`: {map (AtlasMap), onSaved(id), onStatus(msg, isError), onEnd()}.
 */
export class MoveMode {
  constructor(deps) {
    this.deps = deps;
    this.active = null; // {feature, version, bar}
  }

  start(feature, version) {
    this.stop();
    const map = this.deps.map();
    const pt = markerOf(feature);
    if (!map || !map.ready || !pt) return;
    const p = feature.properties;
    const name = p.name_zh || p.id;
    const exit = h('button', { type: 'button', class: 'drag-exit', onclick: () => this.stop({ focusCard: true }) }, t('dragExit'));
    const bar = h('div', { class: 'drag-bar', role: 'status' }, h('span', { class: 'drag-hint' }, t('dragHint')), exit);
    document.querySelector('.map-pane').appendChild(bar);
    document.body.classList.add('moving');
    this.active = { feature, version, bar };
    map.startDrag(pt, {
      label: t('dragMarker', { name }),
      onDrop: (lngLat) => this.dropped(lngLat),
    });
    map.focusPoint(pt);
    const pane = document.querySelector('.map-pane');
    if (pane.getBoundingClientRect().top < 0) pane.scrollIntoView({ block: 'start' });
    const el = map.dragElement();
    if (el) el.focus({ preventScroll: true });
  }

  get moving() {
    return !!this.active;
  }

  async dropped([lon, lat]) {
    const a = this.active;
    if (!a || a.busy) return;
    const map = this.deps.map();
    const p = a.feature.properties;
    const x = round7(lon);
    const y = round7(lat);
    a.busy = true;
    const ok = await confirmDialog({
      title: t('moveTitle'),
      message: t('moveConfirm', { name: p.name_zh || p.id, lon: x.toFixed(6), lat: y.toFixed(6) }),
      confirmLabel: t('moveSave'),
    });
    a.busy = false;
    if (!ok) {
      map.resetDrag();
      const el = map.dragElement();
      if (el) el.focus({ preventScroll: true });
      return;
    }
    try {
      await send(apiUrl(`sites/${encodeURIComponent(p.id)}`), {
        method: 'PATCH',
        token: auth.currentToken(),
        ifMatch: a.version,
        body: { geometry: { type: 'Point', coordinates: [x, y] } },
      });
      this.stop();
      this.deps.onStatus(t('moved'));
      this.deps.onSaved(p.id);
    } catch (e) {
      this.stop();
      this.deps.onStatus(errorText(e), true);
      if (e.status === 412) this.deps.onSaved(p.id); // show the record as it is now
    }
  }

  stop({ focusCard = false } = {}) {
    const a = this.active;
    if (!a) return;
    this.active = null;
    const map = this.deps.map();
    if (map) map.stopDrag();
    a.bar.remove();
    document.body.classList.remove('moving');
    if (this.deps.onEnd) this.deps.onEnd({ focusCard });
  }
}
