// Upload a spreadsheet (CSV/XLSX) in two steps: a dry run shows the row report (counts, and each
// bad row's line, column and reason), then "import" writes — all rows or none, or the valid rows
// when "skip invalid rows" is ticked. Editors only.

import { t, num } from './i18n.js';
import { h, clear } from './dom.js';
import { send, apiUrl } from './api.js';
import * as auth from './auth.js';
import { openDialog } from './dialog.js';
import { errorText } from './editor.js';

const CRS = ['wgs84', 'cgcs2000', 'gcj02', 'bd09'];

/** The import report from a response: 200 body, or a 422's `error.details`. */
function reportOf(x) {
  if (!x || typeof x !== 'object') return null;
  if (Array.isArray(x.errors) || Number.isFinite(x.rows)) return x;
  if (x.report) return x.report;
  return null;
}

/** `onImported()` after a real import (the page reloads the sites). */
export function openUpload({ onImported }) {
  const file = h('input', { type: 'file', id: 'up-file', name: 'file', accept: '.csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', 'aria-describedby': 'up-file-error' });
  const fileError = h('p', { class: 'field-error', id: 'up-file-error', hidden: true });
  const fileName = h('span', { class: 'file-name', id: 'up-file-name' }, t('noFileChosen'));
  file.setAttribute('aria-labelledby', 'up-file-label up-file-name');
  const crs = h('select', { id: 'up-crs', name: 'crs' },
    h('option', { value: '' }, t('crsDefault')),
    CRS.map((c) => h('option', { value: c }, t(`crs_${c}`))));
  const skip = h('input', { type: 'checkbox', id: 'up-skip', name: 'skip_invalid' });
  const dry = h('button', { type: 'submit', class: 'button primary', id: 'up-dry' }, t('dryRun'));
  const commit = h('button', { type: 'button', class: 'button', id: 'up-commit', disabled: true }, t('commitImport'));
  const note = h('p', { class: 'upload-note', id: 'up-note', role: 'status' });
  const report = h('div', { class: 'upload-report', id: 'up-report' });
  const form = h('form', { class: 'upload-form', novalidate: true },
    h('p', { class: 'hint' }, t('uploadIntro')),
    h('div', { class: 'field wide' },
      h('span', { class: 'field-label', id: 'up-file-label' }, t('uploadFile')),
      h('div', { class: 'file-pick' }, file, h('label', { for: 'up-file', class: 'button' }, t('chooseFile')), fileName),
      fileError),
    h('div', { class: 'field' }, h('label', { for: 'up-crs' }, t('uploadCrs')), crs),
    h('label', { class: 'inline-check', for: 'up-skip' }, skip, ' ', t('skipInvalid')),
    h('div', { class: 'form-actions' }, dry, commit),
    note,
    report);
  const dlg = openDialog({ title: t('uploadTitle'), content: form, className: 'upload', wide: true, focus: file });

  let checked = null; // the dry run's report, for the file and CRS it was made with

  function request(dryRun) {
    const f = file.files && file.files[0];
    const q = new URLSearchParams();
    q.set('dry_run', dryRun ? 'true' : 'false');
    if (skip.checked) q.set('skip_invalid', 'true');
    if (crs.value) q.set('crs', crs.value);
    const body = new FormData();
    body.append('file', f, f.name);
    return send(apiUrl('import', q), { method: 'POST', token: auth.currentToken(), form: body });
  }

  function counts(r) {
    const items = [
      ['countRows', r.rows], ['countInserted', r.inserted], ['countUpdated', r.updated],
      ['countUnchanged', r.unchanged], ['countSkipped', r.skipped], ['countErrors', (r.errors || []).length],
    ];
    return h('dl', { class: 'upload-counts' }, items.map(([k, v]) => h('div', { class: `count-${k}`, 'data-count': Number.isFinite(v) ? v : '' },
      h('dt', {}, t(k)), h('dd', {}, Number.isFinite(v) ? num(v) : '–'))));
  }

  function showReport(r, { done }) {
    const errors = r.errors || [];
    clear(report).append(
      h('h3', {}, done ? t('reportDone') : t('reportDry')),
      counts(r),
      errors.length
        ? h('div', { class: 'table-scroll' }, h('table', { class: 'row-errors' },
          h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, t('colLine')), h('th', { scope: 'col' }, t('colColumn')), h('th', { scope: 'col' }, t('colReason')))),
          h('tbody', {}, errors.map((e) => h('tr', { 'data-line': e.line ?? '' },
            h('td', { class: 'line' }, e.line ?? ''),
            h('td', { class: 'column' }, e.column ?? ''),
            h('td', { class: 'reason' }, e.reason ?? e.message ?? '',
              e.value !== undefined && e.value !== null && e.value !== '' ? h('span', { class: 'value' }, ` “${e.value}”`) : null))))))
        : null);
  }

  function updateCommit() {
    commit.disabled = true;
    note.classList.remove('error');
    if (!checked) return;
    const bad = (checked.errors || []).length;
    if (bad && !skip.checked) {
      note.textContent = t('uploadHasErrors', { n: num(bad) });
      note.classList.add('error');
      return;
    }
    const badLines = new Set((checked.errors || []).map((e) => e.line)).size;
    note.textContent = bad ? t('uploadSkipNote', { n: num(Math.max(0, (checked.rows || 0) - badLines)) }) : t('uploadReady');
    commit.disabled = false;
  }

  const invalidate = () => {
    if (!checked) return;
    checked = null;
    clear(report);
    updateCommit();
    note.textContent = t('uploadRedo');
  };
  file.addEventListener('change', () => {
    fileName.textContent = file.files && file.files.length ? file.files[0].name : t('noFileChosen');
    fileError.hidden = true;
    file.removeAttribute('aria-invalid');
    invalidate();
  });
  crs.addEventListener('change', invalidate);
  // Skipping changes what would be written: check again, so that the counts say what commit does.
  skip.addEventListener('change', () => {
    if (checked) run(true);
    else updateCommit();
  });

  let seq = 0;
  async function run(dryRun) {
    const mine = ++seq;
    if (!file.files || !file.files.length) {
      fileError.textContent = t('uploadChoose');
      fileError.hidden = false;
      file.setAttribute('aria-invalid', 'true');
      file.focus();
      return;
    }
    dry.disabled = true;
    commit.disabled = true;
    note.classList.remove('error');
    note.textContent = dryRun ? t('checking') : t('importing');
    try {
      const res = await request(dryRun);
      if (mine !== seq) return; // a newer check replaced this one
      const r = reportOf(res.data) || {};
      showReport(r, { done: !dryRun });
      if (dryRun) {
        checked = r;
        updateCommit();
      } else {
        checked = null;
        note.textContent = t('uploadDone', {
          inserted: num(r.inserted || 0), updated: num(r.updated || 0), unchanged: num(r.unchanged || 0), skipped: num(r.skipped || 0),
        });
        await onImported();
      }
    } catch (e) {
      if (mine !== seq) return;
      const r = e.status === 422 ? reportOf(e.details) : null;
      if (r) {
        showReport(r, { done: false });
        checked = dryRun ? r : null;
        updateCommit();
        if (!dryRun) {
          note.textContent = errorText(e);
          note.classList.add('error');
        }
      } else {
        note.textContent = errorText(e);
        note.classList.add('error');
      }
    } finally {
      if (mine === seq) dry.disabled = false;
    }
  }

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    run(true);
  });
  commit.addEventListener('click', () => run(false));
  return dlg;
}
