// Same-origin calls to /api/v1 (relative URLs, so the page also works behind a path prefix).

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** GET a JSON document; an error response becomes an ApiError with the API's code and message. */
export async function getJSON(path, { signal } = {}) {
  const res = await fetch(path, { signal, headers: { Accept: 'application/json, application/geo+json' } });
  if (!res.ok) {
    let code = 'http_' + res.status;
    let message = res.statusText || String(res.status);
    try {
      const body = await res.json();
      if (body && body.error) {
        code = body.error.code || code;
        message = body.error.message || message;
      }
    } catch { /* not JSON */ }
    throw new ApiError(res.status, code, message);
  }
  return res.json();
}

/** `api/v1/<route>?<query>` */
export function apiUrl(route, query) {
  const q = query ? query.toString() : '';
  return `api/v1/${route}${q ? '?' + q : ''}`;
}
