// @ts-check
// Pure helpers on site features (no DOM, no map): the chains text, the marker point, the bounds.
// Shared by the map, the list, the card, the editor and the history; unit-tested under node.

/** @typedef {{type: string, coordinates: any}} Geometry */
/** @typedef {{type?: string, id?: string, geometry: Geometry | null, properties: Record<string, any>}} Feature */
/** @typedef {{chain: string, link: string | null}} ChainRef */

/**
 * The chains of a site's `chains` text (`chain` or `chain.link`, `;`-separated).
 * @param {string | null | undefined} chainsText
 * @returns {ChainRef[]}
 */
export function siteChains(chainsText) {
  const out = [];
  for (const part of String(chainsText || '').split(';')) {
    const s = part.trim();
    if (!s) continue;
    const dot = s.indexOf('.');
    out.push({ chain: dot < 0 ? s : s.slice(0, dot), link: dot < 0 ? null : s });
  }
  return out;
}

/**
 * The marker point of a feature: its point, or the marker (`lon`/`lat`) of a polygon; none for a
 * site of precision `unknown` (`geometry: null`: it has no place and is never drawn).
 * @param {Feature} f
 * @returns {number[] | null}
 */
export function markerOf(f) {
  const g = f.geometry;
  if (!g && f.properties && f.properties.location_precision === 'unknown') return null;
  if (g && g.type === 'Point') return g.coordinates;
  const p = f.properties || {};
  if (Number.isFinite(p.lon) && Number.isFinite(p.lat)) return [p.lon, p.lat];
  return null;
}

/**
 * Bounds of a GeoJSON FeatureCollection: [[w,s],[e,n]] or null.
 * @param {{type?: string, features?: Feature[]} | null | undefined} fc
 * @returns {number[][] | null}
 */
export function boundsOf(fc) {
  let w = Infinity, s = Infinity, e = -Infinity, n = -Infinity;
  /** @param {any} c */
  const visit = (c) => {
    if (typeof c[0] === 'number') {
      w = Math.min(w, c[0]); e = Math.max(e, c[0]);
      s = Math.min(s, c[1]); n = Math.max(n, c[1]);
    } else c.forEach(visit);
  };
  for (const f of (fc && fc.features) || []) {
    if (f.geometry && f.geometry.coordinates) visit(f.geometry.coordinates);
  }
  return Number.isFinite(w) ? [[w, s], [e, n]] : null;
}
