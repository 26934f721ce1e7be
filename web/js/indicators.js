// The indicators panel: the plan's baselines and 2025 targets beside the catalogue's own counts
// (`/api/v1/indicators`), so the map doubles as a progress board.

import { t, num, lang } from './i18n.js';
import { h, clear } from './dom.js';
import { pair } from './labels.js';

function list(v) {
  if (Array.isArray(v)) return v;
  if (v && Array.isArray(v.indicators)) return v.indicators;
  return [];
}

function pick(p) {
  return lang() === 'en' ? p.en || p.zh : p.zh || p.en;
}

function amount(v, unit) {
  if (v === null || v === undefined || v === '') return null;
  const n = Number(v);
  if (!Number.isFinite(n)) return String(v);
  if (unit === '%') return `${num(n)} %`;
  if (unit === 'm²') return `${num(n)} m²`;
  return unit ? `${num(n)} ${unit}` : num(n);
}

function catalogueValue(x) {
  for (const k of ['catalogue', 'catalogue_value', 'value', 'count', 'current']) {
    const v = x[k];
    if (v === null || v === undefined) continue;
    if (typeof v === 'object' && 'value' in v) return v.value;
    return v;
  }
  return null;
}

export function renderIndicators(body, data) {
  clear(body);
  const rows = list(data).map((x) => {
    const name = pick(pair(x)) || x.id;
    const unit = x.unit || '';
    const base = amount(x.baseline, unit);
    const target = amount(x.target, unit);
    const value = catalogueValue(x);
    const countable = x.measure ? x.measure !== 'none' : value !== null;
    const cat = countable && value !== null ? amount(value, unit) : null;
    let bar = null;
    if (countable && value !== null && Number(x.target) > 0) {
      const pct = Math.max(0, Math.min(100, (Number(value) / Number(x.target)) * 100));
      bar = h('span', { class: 'bar', role: 'img', 'aria-label': `${Math.round(pct)} %` }, h('span', { class: 'fill', style: `width:${pct.toFixed(1)}%` }));
    }
    return h('tr', { 'data-id': x.id },
      h('th', { scope: 'row' }, name, x.source ? h('span', { class: 'src', title: x.source }, ' ⓘ') : null),
      h('td', {}, base ? `${base}${x.baseline_year ? `（${x.baseline_year}）` : ''}` : '—'),
      h('td', {}, target ? `${x.target_op && x.target_op !== '=' ? x.target_op.replace('>=', '≥').replace('<=', '≤') + ' ' : ''}${target}` : '—'),
      h('td', { class: countable ? '' : 'muted' }, countable ? (cat ?? '—') : t('notCountable'), bar));
  });
  body.appendChild(h('table', { class: 'indicator-table' },
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, t('indicator')), h('th', { scope: 'col' }, t('baseline')), h('th', { scope: 'col' }, t('target')), h('th', { scope: 'col' }, t('catalogue')))),
    h('tbody', {}, rows)));
}
