// @ts-check
// Same-origin calls to /api/v1 (relative URLs, so the page also works behind a path prefix).
// Reads are public; writes carry the signed-in editor's bearer token (see auth.js) and, for an
// existing record, its version in `If-Match`.
// A published map (`atlas publish`) has no server: `useSource` puts its static data source
// (published.js) behind the same calls — reads answered from the published files, download
// links pointing at them, writes refused.

/**
 * The static data source of a published map, or null (the server answers).
 * @typedef {{get: (path: string) => Promise<any>, href: (url: string) => string, tiles: (base: string) => string}} StaticSource
 * @type {StaticSource | null}
 */
let source = null;

/** Answers the page's reads from a published map's files from now on. @param {StaticSource} s */
export function useSource(s) {
  source = s;
}

/** The static data source of a published map, or null. */
export function staticSource() {
  return source;
}

/** An error answer of the API: its HTTP status, its error code and message, its details. */
export class ApiError extends Error {
  /** @param {number} status @param {string} code @param {string} message @param {any} details */
  constructor(status, code, message, details) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

// After a write (or while an editor is signed in) reads revalidate with the server instead of
// trusting the browser's cache, so the page never shows a record older than the one just saved.
let revalidate = false;

/** Reads revalidate from now on (`no-cache`), or trust the HTTP cache again. @param {boolean} on */
export function setRevalidate(on) {
  revalidate = !!on;
}

/** Whether reads revalidate with the server (the map's tile requests follow it too). */
export function revalidating() {
  return revalidate;
}

/** @param {Response} res */
async function errorOf(res) {
  let code = 'http_' + res.status;
  let message = res.statusText || String(res.status);
  let details;
  try {
    const body = await res.json();
    if (body && body.error) {
      code = body.error.code || code;
      message = body.error.message || message;
      details = body.error.details;
    }
  } catch { /* not JSON */ }
  return new ApiError(res.status, code, message, details);
}

/**
 * GET a JSON document; an error response becomes an ApiError with the API's code and message.
 * @param {string} path
 * @param {{signal?: AbortSignal, fresh?: boolean}} [o]
 * @returns {Promise<any>}
 */
export async function getJSON(path, { signal, fresh = false } = {}) {
  if (source) return source.get(path).catch((e) => {
    throw new ApiError(e.status || 500, e.code || 'static', e.message || String(e), undefined);
  });
  const res = await fetch(path, {
    signal,
    cache: fresh || revalidate ? 'no-cache' : 'default',
    headers: { Accept: 'application/json, application/geo+json' },
  });
  if (!res.ok) throw await errorOf(res);
  return res.json();
}

/**
 * A request with the editor's token: `{method, token, body (JSON) | form (FormData), ifMatch}`.
 * Resolves `{status, data, etag}`; an error response rejects with an ApiError.
 * @param {string} path
 * @param {{method?: string, token?: string | null, body?: any, form?: FormData, ifMatch?: string | null, signal?: AbortSignal}} [o]
 * @returns {Promise<{status: number, data: any, etag: string | null}>}
 */
export async function send(path, { method = 'GET', token, body, form, ifMatch, signal } = {}) {
  if (source) throw new ApiError(405, 'read_only', 'a published map is read-only', undefined);
  /** @type {Record<string, string>} */
  const headers = { Accept: 'application/json, application/geo+json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (ifMatch !== undefined && ifMatch !== null) headers['If-Match'] = quoteEtag(ifMatch);
  let payload;
  if (form) payload = form;
  else if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  const res = await fetch(path, { method, headers, body: payload, signal, cache: 'no-store' });
  if (!res.ok) throw await errorOf(res);
  setRevalidate(true);
  const etag = res.headers.get('ETag');
  let data = null;
  if (res.status !== 204) {
    const text = await res.text();
    data = text ? JSON.parse(text) : null;
  }
  return { status: res.status, data, etag: etag ? unquoteEtag(etag) : null };
}

/** `"7"` → `7` as text (weak or strong). @param {string} v */
export function unquoteEtag(v) {
  return String(v).replace(/^W\//, '').replace(/^"|"$/g, '');
}

/** @param {string} v */
function quoteEtag(v) {
  const s = String(v);
  return s.startsWith('"') || s.startsWith('W/') ? s : `"${s}"`;
}

/** `api/v1/<route>?<query>` @param {string} route @param {URLSearchParams} [query] */
export function apiUrl(route, query) {
  const q = query ? query.toString() : '';
  const url = `api/v1/${route}${q ? '?' + q : ''}`;
  return source ? source.href(url) : url;
}
