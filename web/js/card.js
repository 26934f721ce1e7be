// @ts-check
// The record card of one site: every field of the record, as text, and how old the record is.

import { t, num } from './i18n.js';
import { h, clear } from './dom.js';
import { siteChains } from './sites.js';
import * as L from './labels.js';
import { hasLocation } from './locate.js';

function row(label, value, opts = {}) {
  const empty = value === null || value === undefined || value === '' || (Array.isArray(value) && !value.length);
  if (empty && !opts.always) return null;
  return [h('dt', {}, label), h('dd', { class: empty ? 'muted' : opts.class || null }, empty ? t('notStated') : value)];
}

function area(v) {
  return Number.isFinite(v) ? t('squareMetres', { n: num(v) }) : null;
}

function safeLink(url) {
  try {
    const u = new URL(url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return url;
    return h('a', { href: u.href, rel: 'noopener noreferrer', target: '_blank' }, url);
  } catch {
    return url;
  }
}

/** Source text with its URLs as links (split on `; `), all as text nodes. */
function sourceNodes(text) {
  if (!text) return null;
  const parts = String(text).split(/;\s+/);
  return parts.map((part, i) => h('span', { class: 'source-part' }, /^https?:\/\//.test(part) ? safeLink(part) : part, i < parts.length - 1 ? '; ' : ''));
}

function approxNote(p) {
  if (p.location_precision === 'unknown') return t('approxUnknown');
  if (p.scope === 'partner' && p.location_precision === 'district') return t('approxPartner');
  if (p.location_precision === 'district') return t('approxDistrict');
  if (p.location_precision === 'town') return t('approxTown');
  return null;
}

function coords(lon, lat) {
  if (!Number.isFinite(lon) || !Number.isFinite(lat)) return null;
  return `${lon.toFixed(6)}, ${lat.toFixed(6)}`;
}

/** Whole days from a date (`YYYY-MM-DD…`) to today, or null. */
export function daysSince(dateText, now = new Date()) {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(String(dateText || ''));
  if (!m) return null;
  const then = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  const today = Date.UTC(now.getFullYear(), now.getMonth(), now.getDate());
  return Math.max(0, Math.floor((today - then) / 86_400_000));
}

/** A record not verified within a year (365 days, as `/api/v1/stale?older_than=365d`) is stale. */
export const STALE_DAYS = 365;

/** How old the record is, for everyone: when it was verified, and a warning when stale or never. */
function freshness(p) {
  const days = daysSince(p.verified_at);
  const date = p.verified_at ? String(p.verified_at).slice(0, 10) : '';
  const stale = days === null || days > STALE_DAYS;
  return h('div', { class: 'freshness' + (stale ? ' stale' : ''), 'data-days': days ?? '', 'data-stale': stale ? 'true' : 'false' },
    days !== null ? h('p', { class: 'verified-age' }, days === 0 ? t('verifiedToday', { date }) : t('verifiedAgo', { n: num(days), date })) : null,
    stale ? h('p', { class: 'stale-note', role: 'note' }, days === null ? t('neverVerified') : t('staleWarning')) : null);
}

/**
 * Renders the card of feature `f` into `el`. `editActions` (a node, only for a signed-in editor)
 * goes under the card's own buttons.
 */
export function renderCard(el, f, { onClose, onPermalink, onShowOnMap, symbolFor, editActions = null }) {
  const p = f.properties || {};
  clear(el);
  el.dataset.id = p.id;
  const note = approxNote(p);
  // One line per chain with its links (`chain` alone = on the chain, stage not stated).
  const byChain = new Map();
  for (const c of siteChains(p.chains)) {
    if (!byChain.has(c.chain)) byChain.set(c.chain, []);
    if (c.link) byChain.get(c.chain).push(c.link);
  }
  const chainNodes = byChain.size
    ? h('ul', { class: 'chain-list' }, [...byChain].map(([chain, ls]) => h('li', {}, L.chainLabel(chain),
      ls.length ? h('span', { class: 'link' }, ` → ${ls.map((l) => L.linkLabel(l)).join('、')}`) : null)))
    : null;
  const town = p.town_code ? L.townLabel(p.town_code, p.town_name) : null;
  const precision = L.vocabLabel('location_precision', p.location_precision, p.location_precision_zh);
  const original = p.original_crs ? `${p.original_crs}: ${coords(p.original_lon, p.original_lat) || ''}` : null;
  const contact = [p.contact].filter(Boolean).join(' ');

  const head = h('div', { class: 'card-head' },
    h('div', { class: 'card-kicker' }, symbolFor(p), h('span', {}, `${L.vocabLabel('category', p.category, p.category_zh)} · ${L.vocabLabel('kind', p.kind, p.kind_zh)}`)),
    h('h2', { id: 'card-title', lang: 'zh-CN' }, p.name_zh || p.id),
    p.name_en ? h('p', { class: 'name-en', lang: 'en' }, p.name_en) : null,
    h('button', { type: 'button', class: 'close', 'aria-label': t('cardClose'), title: t('cardClose'), onclick: onClose }, '×'));

  const notes = [];
  if (note) notes.push(h('p', { class: 'approx-note', role: 'note' }, note));
  if (p.outside_district === true && !(p.scope === 'partner' && p.location_precision === 'district')) {
    notes.push(h('p', { class: 'approx-note outside', role: 'note' }, t('outsideDistrict')));
  }

  const dl = h('dl', { class: 'fields' },
    row(t('nameZh'), p.name_zh),
    row(t('nameEn'), p.name_en, { always: true }),
    row(t('category'), L.vocabLabel('category', p.category, p.category_zh)),
    row(t('kind'), L.vocabLabel('kind', p.kind, p.kind_zh)),
    row(t('level'), L.vocabLabel('level', p.level, p.level_zh)),
    row(t('status'), L.vocabLabel('status', p.status, p.status_zh)),
    row(t('scope'), L.vocabLabel('scope', p.scope, p.scope_zh)),
    row(t('chains'), chainNodes, { always: true }),
    row(t('town'), town, { always: true }),
    row(t('address'), p.address, { always: true }),
    row(t('area'), area(p.area_m2), { always: true }),
    row(t('availableArea'), area(p.available_area_m2)),
    row(t('established'), Number.isFinite(p.established) ? String(p.established) : null),
    row(t('contact'), contact, { always: true }),
    row(t('phone'), p.phone),
    row(t('website'), p.website ? safeLink(p.website) : null),
    row(t('precision'), precision, { class: note ? 'approx-flag' : null }),
    row(t('locationSource'), p.location_source ? sourceNodes(p.location_source) : null, { always: true }),
    row(t('coordinates'), coords(p.lon, p.lat)),
    row(t('originalCoordinates'), original),
    row(t('dataSource'), sourceNodes(p.source), { always: true }),
    row(t('sourceQuote'), p.source_quote ? h('q', { lang: 'zh-CN' }, p.source_quote) : null),
    row(t('notes'), p.notes),
    row(t('updated'), p.updated_at, { always: true }),
    row(t('verified'), p.verified_at || t('notVerified')));

  const foot = h('div', { class: 'card-foot' },
    hasLocation(f) ? h('button', { type: 'button', class: 'show-on-map', onclick: onShowOnMap }, t('showOnMap')) : null,
    h('button', { type: 'button', class: 'permalink', onclick: (e) => onPermalink(e.currentTarget) }, t('permalink')));

  el.append(head, freshness(p), ...notes, dl, foot);
  if (editActions) el.appendChild(editActions);
}
