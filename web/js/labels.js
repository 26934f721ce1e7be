// Labels of vocabulary values, chains, links and townships in the current language, read from
// the API's reference routes (`/vocabularies`, `/facets`, `/chains`, `/divisions`).

import { lang } from './i18n.js';

const vocab = new Map(); // "dim:id" -> {zh, en} (from the API's name_zh / name_en)
const chains = new Map(); // chain id -> {zh, en, links: [{id, zh, en}]}
const links = new Map(); // link id -> {zh, en, chain}
const towns = new Map(); // code -> {zh, en}
export const chainOrder = [];
export const townOrder = [];
export const vocabOrder = {}; // dim -> [id]
export const kindCategory = {}; // kind id -> its category id

/**
 * `{zh, en}` of an API object. Every label of the API is `name_zh` / `name_en` (vocabulary
 * terms, facet values, chains, links, townships, indicators; see `/api/v1/openapi.json`).
 */
export function pair(o) {
  if (!o || typeof o !== 'object') return { zh: '', en: '' };
  return { zh: String(o.name_zh ?? ''), en: String(o.name_en ?? '') };
}

function pick(p, fallback = '') {
  if (!p) return fallback;
  const v = lang() === 'en' ? p.en || p.zh : p.zh || p.en;
  return v || fallback;
}

/** The list under `key` of a response (`{chains: [...]}`, `{divisions: [...]}`), or none. */
function listOf(v, key) {
  return v && Array.isArray(v[key]) ? v[key] : [];
}

/**
 * Reads `/api/v1/vocabularies`: `{dim: [{id, name_zh, name_en, …}]}`; members that are not
 * lists of terms (`filter_parameters`) are skipped.
 */
export function loadVocabularies(v) {
  for (const [dim, values] of Object.entries(v || {})) {
    if (!Array.isArray(values)) continue;
    const terms = values.filter((x) => x && typeof x === 'object' && x.id !== undefined);
    if (!terms.length) continue;
    vocabOrder[dim] = [];
    for (const x of terms) {
      const id = String(x.id);
      vocabOrder[dim].push(id);
      vocab.set(`${dim}:${id}`, pair(x));
      if (dim === 'kind' && x.category) kindCategory[id] = String(x.category);
    }
  }
}

/** Takes labels that arrive with facets (each value carries `name_zh`/`name_en`). */
export function learnFacetLabels(facets) {
  for (const [dim, arr] of Object.entries(facets || {})) {
    if (!Array.isArray(arr)) continue;
    for (const x of arr) {
      const p = pair(x);
      if (x && x.id !== undefined && (p.zh || p.en) && !vocab.has(`${dim}:${x.id}`)) vocab.set(`${dim}:${x.id}`, p);
    }
  }
}

export function loadChains(v) {
  chainOrder.length = 0;
  for (const c of listOf(v, 'chains')) {
    const ls = (c.links || []).map((l) => ({ id: l.id, ...pair(l) }));
    chains.set(c.id, { ...pair(c), links: ls });
    chainOrder.push(c.id);
    for (const l of ls) links.set(l.id, { zh: l.zh, en: l.en, chain: c.id });
  }
}

export function loadDivisions(v) {
  townOrder.length = 0;
  const arr = listOf(v, 'divisions');
  for (const d of arr) {
    towns.set(String(d.code), pair(d));
    townOrder.push(String(d.code));
  }
  return arr;
}

/** Label of a vocabulary value (`dim` = category, kind, level, status, scope, location_precision). */
export function vocabLabel(dim, id, zhFallback) {
  if (id === null || id === undefined || id === '') return '';
  const p = vocab.get(`${dim}:${id}`);
  if (p) return pick(p, String(id));
  return lang() === 'zh' && zhFallback ? zhFallback : String(id);
}

export function chainLabel(id) {
  return pick(chains.get(id), id);
}

export function chainLinks(id) {
  return (chains.get(id) || { links: [] }).links;
}

/** The chain a link belongs to (`chain.link` ids start with it), or null. */
export function chainOfLink(id) {
  const l = links.get(id);
  if (l) return l.chain;
  const dot = String(id || '').indexOf('.');
  return dot > 0 ? String(id).slice(0, dot) : null;
}

export function linkLabel(id) {
  return pick(links.get(id), id);
}

export function townLabel(code, zhFallback) {
  const p = towns.get(String(code));
  if (p) return pick(p, String(code));
  return zhFallback || String(code || '');
}

/** Both names of a township, for bilingual places. */
export function townPair(code) {
  return towns.get(String(code)) || null;
}
