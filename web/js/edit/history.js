// @ts-check
// The history of a site (every revision: who, when, what, each changed field before → after, as
// text) with "revert to this", and the list of recently deleted sites with "restore". Editors only.

import { t, lang } from '../i18n.js';
import { h, clear } from '../dom.js';
import { send, apiUrl } from '../api.js';
import * as auth from './auth.js';
import * as L from '../labels.js';
import { openDialog, confirmDialog } from '../dialog.js';
import { fieldLabel, errorText, fetchSite } from './editor.js';
import { siteChains } from '../sites.js';

const VOCAB = ['category', 'kind', 'level', 'status', 'scope', 'location_precision'];

/** A timestamp as local date and time (the text itself when it is not one). */
export function when(at) {
  if (!at) return '';
  const d = new Date(at);
  if (Number.isNaN(d.getTime())) return String(at);
  if (/^\d{4}-\d{2}-\d{2}$/.test(String(at))) return String(at);
  return d.toLocaleString(lang() === 'zh' ? 'zh-CN' : 'en-GB', { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' });
}

/** The before → after table of a revision; folded for a first record (everything "changed"). */
function changesOf(rows, fold) {
  if (!rows.length) return null;
  const table = h('div', { class: 'table-scroll' }, h('table', { class: 'changes' },
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, t('colField')), h('th', { scope: 'col' }, t('colBefore')), h('th', { scope: 'col' }, t('colAfter')))),
    h('tbody', {}, rows)));
  return fold ? h('details', { class: 'rev-fields' }, h('summary', {}, t('revFields', { n: rows.length })), table) : table;
}

/** One value of a revision as text. */
function valueText(key, v) {
  if (v === null || v === undefined || v === '') return t('emptyValue');
  if (key === 'geometry' && typeof v === 'object') {
    if (v.type === 'Point') return `${Number(v.coordinates[0]).toFixed(6)}, ${Number(v.coordinates[1]).toFixed(6)}`;
    const ring = v.type === 'Polygon' ? v.coordinates[0] : v.type === 'MultiPolygon' ? v.coordinates[0][0] : [];
    return t('polygonValue', { n: ring.length });
  }
  if (VOCAB.includes(key)) return `${L.vocabLabel(key, v)}（${v}）`;
  if (key === 'town_code') return `${L.townLabel(v)}（${v}）`;
  if (key === 'chains') {
    return siteChains(v).map((c) => (c.link ? `${L.chainLabel(c.chain)} → ${L.linkLabel(c.link)}` : L.chainLabel(c.chain))).join('；') || String(v);
  }
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** A field of a revision's `before`/`after` (a property map, or a Feature). */
function pick(obj, key) {
  if (!obj || typeof obj !== 'object') return null;
  if (key === 'geometry') {
    if (obj.geometry !== undefined) return obj.geometry;
    const q = obj.properties || obj;
    return Number.isFinite(q.lon) && Number.isFinite(q.lat) ? { type: 'Point', coordinates: [q.lon, q.lat] } : null;
  }
  if (obj.properties && typeof obj.properties === 'object') return obj.properties[key] ?? null;
  return obj[key] ?? null;
}

function actionLabel(action) {
  const key = `action_${action}`;
  const s = t(key);
  return s === key ? String(action || '') : s;
}

/**
 * The history dialog of a site. `getVersion()` gives the version shown (for If-Match);
 * `onReverted(id)` after a revert (the page reloads the record).
 */
export function openHistory({ feature, getVersion, onReverted }) {
  const p = feature.properties;
  const id = p.id;
  const name = p.name_zh || id;
  const status = h('p', { class: 'dialog-status', role: 'status' });
  const list = h('div', { class: 'history-list' }, h('p', {}, t('loading')));
  const dlg = openDialog({
    title: t('historyTitle', { name }),
    content: [h('p', { class: 'hint' }, t('historyIntro')), status, list],
    className: 'history',
    wide: true,
  });

  async function load(message) {
    let data;
    try {
      data = (await send(apiUrl(`sites/${encodeURIComponent(id)}/history`), { token: auth.currentToken() })).data;
    } catch (e) {
      clear(list).appendChild(h('p', { class: 'error' }, errorText(e)));
      return;
    }
    render(data.revisions || []);
    if (message) status.textContent = message;
  }

  function render(revisions) {
    clear(list);
    if (!revisions.length) {
      list.appendChild(h('p', {}, t('historyEmpty')));
      return;
    }
    const ol = h('ol', { class: 'revisions' });
    revisions.forEach((r, i) => {
      const changed = Array.isArray(r.changed) ? r.changed : [];
      const rows = changed.map((key) => h('tr', {},
        h('th', { scope: 'row' }, fieldLabel(key)),
        h('td', { class: 'before' }, valueText(key, pick(r.before, key))),
        h('td', { class: 'after' }, valueText(key, pick(r.after, key)))));
      const canRevert = i > 0 && r.action !== 'delete';
      ol.appendChild(h('li', { class: 'revision', 'data-rev': r.rev, 'data-action': r.action },
        h('div', { class: 'rev-head' },
          h('span', { class: 'rev-no' }, t('revN', { n: r.rev })),
          h('span', { class: `rev-action action-${r.action}` }, actionLabel(r.action)),
          h('span', { class: 'rev-who' }, r.who || ''),
          h('time', { class: 'rev-at', datetime: r.at || null }, when(r.at)),
          i === 0 ? h('span', { class: 'rev-current' }, t('currentRev')) : null,
          canRevert ? h('button', { type: 'button', class: 'revert', onclick: () => revert(r.rev) }, t('revertTo')) : null),
        changesOf(rows, !r.before && rows.length > 3)));
    });
    list.appendChild(ol);
  }

  async function revert(rev) {
    const ok = await confirmDialog({
      title: t('revertTitle', { n: rev }),
      message: t('revertConfirm', { name, n: rev }),
      confirmLabel: t('revertTo'),
    });
    if (!ok) return;
    status.classList.remove('error');
    try {
      let version = getVersion();
      if (!version) version = (await fetchSite(id)).version;
      await send(apiUrl(`sites/${encodeURIComponent(id)}/revert`), {
        method: 'POST', token: auth.currentToken(), ifMatch: version, body: { rev },
      });
      await onReverted(id);
      await load(t('reverted', { n: rev }));
      status.setAttribute('tabindex', '-1');
      status.focus();
    } catch (e) {
      status.textContent = errorText(e);
      status.classList.add('error');
      if (e.status === 412) await onReverted(id);
    }
  }

  load();
  return dlg;
}

/** The recently deleted sites with "restore"; `onRestored(id)` after a restore. */
export function openDeleted({ onRestored }) {
  const status = h('p', { class: 'dialog-status', role: 'status' });
  const list = h('div', { class: 'deleted-list' }, h('p', {}, t('loading')));
  const dlg = openDialog({ title: t('deletedTitle'), content: [status, list], className: 'deleted', wide: true });

  async function load() {
    let data;
    try {
      data = (await send(apiUrl('deleted'), { token: auth.currentToken() })).data;
    } catch (e) {
      clear(list).appendChild(h('p', { class: 'error' }, errorText(e)));
      return;
    }
    const sites = (data && data.sites) || [];
    clear(list);
    if (!sites.length) {
      list.appendChild(h('p', {}, t('deletedEmpty')));
      return;
    }
    list.appendChild(h('ul', { class: 'deleted-sites' }, sites.map((s) => h('li', { 'data-id': s.id },
      h('span', { class: 'names' },
        h('span', { class: 'zh', lang: 'zh-CN' }, s.name_zh || s.id),
        s.name_en ? h('span', { class: 'en', lang: 'en' }, s.name_en) : null,
        h('span', { class: 'meta' }, [L.vocabLabel('category', s.category), t('deletedMeta', { who: s.deleted_by || '', at: when(s.deleted_at) })].filter(Boolean).join(' · '))),
      h('button', { type: 'button', class: 'restore', onclick: (e) => restore(s, e.currentTarget) }, t('restore'))))));
  }

  async function restore(s, btn) {
    btn.disabled = true;
    status.classList.remove('error');
    try {
      await send(apiUrl(`sites/${encodeURIComponent(s.id)}/restore`), { method: 'POST', token: auth.currentToken() });
      status.textContent = t('restored', { name: s.name_zh || s.id });
      const li = btn.closest('li');
      li.remove();
      if (!list.querySelector('li')) clear(list).appendChild(h('p', {}, t('deletedEmpty')));
      status.setAttribute('tabindex', '-1');
      status.focus();
      await onRestored(s.id);
    } catch (e) {
      btn.disabled = false;
      status.textContent = errorText(e);
      status.classList.add('error');
    }
  }

  load();
  return dlg;
}
