// @ts-check
// Upload a spreadsheet (CSV/XLSX) in two steps: a dry run shows the row report (counts, and each
// bad row's line, column and reason), then "import" writes — all rows or none, or the valid rows
// when "skip invalid rows" is ticked. Editors only.

import { t, num } from '../i18n.js';
import { h, clear } from '../dom.js';
import { send, apiUrl } from '../api.js';
import * as auth from './auth.js';
import { openDialog } from '../dialog.js';
import { errorText } from './editor.js';

const CRS = ['wgs84', 'cgcs2000', 'gcj02', 'bd09'];

/** The import report from a response: 200 body, or a 422's `error.details`. */
function reportOf(x) {
  if (!x || typeof x !== 'object') return null;
  if (Array.isArray(x.errors) || Number.isFinite(x.rows)) return x;
  if (x.report) return x.report;
  return null;
}

/**
 * @typedef {object} UploadCtx  one open upload dialog
 * @property {HTMLInputElement} file
 * @property {HTMLElement} fileError
 * @property {HTMLElement} fileName
 * @property {HTMLSelectElement} crs
 * @property {HTMLInputElement} skip
 * @property {HTMLButtonElement} dry
 * @property {HTMLButtonElement} commit
 * @property {HTMLElement} note
 * @property {HTMLElement} report
 * @property {any} checked  the dry run's report, for the file and CRS it was made with
 * @property {number} seq  the latest request (an older answer is dropped)
 * @property {() => Promise<void> | void} onImported
 */

/** The dialog's controls (not yet in a form). */
function uploadControls() {
  const file = h('input', { type: 'file', id: 'up-file', name: 'file', accept: '.csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', 'aria-describedby': 'up-file-error' });
  file.setAttribute('aria-labelledby', 'up-file-label up-file-name');
  return {
    file,
    fileError: h('p', { class: 'field-error', id: 'up-file-error', hidden: true }),
    fileName: h('span', { class: 'file-name', id: 'up-file-name' }, t('noFileChosen')),
    crs: h('select', { id: 'up-crs', name: 'crs' },
      h('option', { value: '' }, t('crsDefault')),
      CRS.map((c) => h('option', { value: c }, t(`crs_${c}`)))),
    skip: h('input', { type: 'checkbox', id: 'up-skip', name: 'skip_invalid' }),
    dry: h('button', { type: 'submit', class: 'button primary', id: 'up-dry' }, t('dryRun')),
    commit: h('button', { type: 'button', class: 'button', id: 'up-commit', disabled: true }, t('commitImport')),
    note: h('p', { class: 'upload-note', id: 'up-note', role: 'status' }),
    report: h('div', { class: 'upload-report', id: 'up-report' }),
  };
}

/** The form around the controls. */
function uploadForm(c) {
  return h('form', { class: 'upload-form', novalidate: true },
    h('p', { class: 'hint' }, t('uploadIntro')),
    h('div', { class: 'field wide' },
      h('span', { class: 'field-label', id: 'up-file-label' }, t('uploadFile')),
      h('div', { class: 'file-pick' }, c.file, h('label', { for: 'up-file', class: 'button' }, t('chooseFile')), c.fileName),
      c.fileError),
    h('div', { class: 'field' }, h('label', { for: 'up-crs' }, t('uploadCrs')), c.crs),
    h('label', { class: 'inline-check', for: 'up-skip' }, c.skip, ' ', t('skipInvalid')),
    h('div', { class: 'form-actions' }, c.dry, c.commit),
    c.note,
    c.report);
}

/** POST /import of the chosen file (a dry run or the real one). */
function request(ctx, dryRun) {
  const f = ctx.file.files[0];
  const q = new URLSearchParams();
  q.set('dry_run', dryRun ? 'true' : 'false');
  if (ctx.skip.checked) q.set('skip_invalid', 'true');
  if (ctx.crs.value) q.set('crs', ctx.crs.value);
  const body = new FormData();
  body.append('file', f, f.name);
  return send(apiUrl('import', q), { method: 'POST', token: auth.currentToken(), form: body });
}

/** The report's counts. */
function counts(r) {
  const items = [
    ['countRows', r.rows], ['countInserted', r.inserted], ['countUpdated', r.updated],
    ['countUnchanged', r.unchanged], ['countSkipped', r.skipped], ['countErrors', (r.errors || []).length],
  ];
  return h('dl', { class: 'upload-counts' }, items.map(([k, v]) => h('div', { class: `count-${k}`, 'data-count': Number.isFinite(v) ? v : '' },
    h('dt', {}, t(k)), h('dd', {}, Number.isFinite(v) ? num(v) : '–'))));
}

/** The bad rows: line, column, reason (and the value read). */
function errorTable(errors) {
  return h('div', { class: 'table-scroll' }, h('table', { class: 'row-errors' },
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, t('colLine')), h('th', { scope: 'col' }, t('colColumn')), h('th', { scope: 'col' }, t('colReason')))),
    h('tbody', {}, errors.map((e) => h('tr', { 'data-line': e.line ?? '' },
      h('td', { class: 'line' }, e.line ?? ''),
      h('td', { class: 'column' }, e.column ?? ''),
      h('td', { class: 'reason' }, e.reason ?? e.message ?? '',
        e.value !== undefined && e.value !== null && e.value !== '' ? h('span', { class: 'value' }, ` “${e.value}”`) : null))))));
}

function showReport(ctx, r, { done }) {
  const errors = r.errors || [];
  clear(ctx.report).append(
    h('h3', {}, done ? t('reportDone') : t('reportDry')),
    counts(r),
    errors.length ? errorTable(errors) : null);
}

/** "Import" is possible after a dry run whose errors are none, or skipped. */
function updateCommit(ctx) {
  const { commit, note, checked } = ctx;
  commit.disabled = true;
  note.classList.remove('error');
  if (!checked) return;
  const bad = (checked.errors || []).length;
  if (bad && !ctx.skip.checked) {
    note.textContent = t('uploadHasErrors', { n: num(bad) });
    note.classList.add('error');
    return;
  }
  const badLines = new Set((checked.errors || []).map((e) => e.line)).size;
  note.textContent = bad ? t('uploadSkipNote', { n: num(Math.max(0, (checked.rows || 0) - badLines)) }) : t('uploadReady');
  commit.disabled = false;
}

/** The file or the CRS changed: the dry run no longer tells what an import would do. */
function invalidate(ctx) {
  if (!ctx.checked) return;
  ctx.checked = null;
  clear(ctx.report);
  updateCommit(ctx);
  ctx.note.textContent = t('uploadRedo');
}

/** No file chosen: says so at the file field. */
function needFile(ctx) {
  ctx.fileError.textContent = t('uploadChoose');
  ctx.fileError.hidden = false;
  ctx.file.setAttribute('aria-invalid', 'true');
  ctx.file.focus();
}

function showNoteError(ctx, e) {
  ctx.note.textContent = errorText(e);
  ctx.note.classList.add('error');
}

/** A successful answer: the report; after a real import, the counts and the page's reload. */
async function answered(ctx, res, dryRun) {
  const r = reportOf(res.data) || {};
  showReport(ctx, r, { done: !dryRun });
  if (dryRun) {
    ctx.checked = r;
    updateCommit(ctx);
    return;
  }
  ctx.checked = null;
  ctx.note.textContent = t('uploadDone', {
    inserted: num(r.inserted || 0), updated: num(r.updated || 0), unchanged: num(r.unchanged || 0), skipped: num(r.skipped || 0),
  });
  await ctx.onImported();
}

/** A refusal: a 422 carries the row report (all or nothing: nothing was written). */
function refused(ctx, e, dryRun) {
  const r = e.status === 422 ? reportOf(e.details) : null;
  if (!r) {
    showNoteError(ctx, e);
    return;
  }
  showReport(ctx, r, { done: false });
  ctx.checked = dryRun ? r : null;
  updateCommit(ctx);
  if (!dryRun) showNoteError(ctx, e);
}

/** A dry run (`dryRun`) or the import. */
async function run(ctx, dryRun) {
  const mine = ++ctx.seq;
  if (!ctx.file.files || !ctx.file.files.length) {
    needFile(ctx);
    return;
  }
  ctx.dry.disabled = true;
  ctx.commit.disabled = true;
  ctx.note.classList.remove('error');
  ctx.note.textContent = dryRun ? t('checking') : t('importing');
  try {
    const res = await request(ctx, dryRun);
    if (mine !== ctx.seq) return; // a newer check replaced this one
    await answered(ctx, res, dryRun);
  } catch (e) {
    if (mine !== ctx.seq) return;
    refused(ctx, e, dryRun);
  } finally {
    if (mine === ctx.seq) ctx.dry.disabled = false;
  }
}

/** `onImported()` after a real import (the page reloads the sites). */
export function openUpload({ onImported }) {
  /** @type {UploadCtx} */
  const ctx = { ...uploadControls(), checked: null, seq: 0, onImported };
  const form = uploadForm(ctx);
  const dlg = openDialog({ title: t('uploadTitle'), content: form, className: 'upload', wide: true, focus: ctx.file });
  ctx.file.addEventListener('change', () => {
    const { file } = ctx;
    ctx.fileName.textContent = file.files && file.files.length ? file.files[0].name : t('noFileChosen');
    ctx.fileError.hidden = true;
    file.removeAttribute('aria-invalid');
    invalidate(ctx);
  });
  ctx.crs.addEventListener('change', () => invalidate(ctx));
  // Skipping changes what would be written: check again, so that the counts say what commit does.
  ctx.skip.addEventListener('change', () => {
    if (ctx.checked) run(ctx, true);
    else updateCommit(ctx);
  });
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    run(ctx, true);
  });
  ctx.commit.addEventListener('click', () => run(ctx, false));
  return dlg;
}
