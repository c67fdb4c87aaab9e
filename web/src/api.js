// The dashboard's only way to the server: the documented JSON API under
// /api/v1 (docs/openapi.json), authenticated by the session cookie. Every
// non-GET carries the session's CSRF token; a 401 anywhere sends the viewer to
// the login page and back here afterwards.

export const session = { name: '', role: '', csrf: '', open: false };

export class ApiError extends Error {
  constructor(status, message, code) {
    super(message);
    this.status = status;
    this.code = code || '';
  }
}

// The page to come back to after logging in: only our own pages, so a link
// cannot send a fresh login anywhere else (open redirect).
export function safeNext(next) {
  if (typeof next !== 'string' || !next.startsWith('/ui/') || next.startsWith('/ui/login')) return '/ui/';
  return next;
}

export function loginUrl() {
  const here = location.pathname + location.search;
  return '/ui/login?next=' + encodeURIComponent(safeNext(here));
}

let onUnauthorized = () => { location.assign(loginUrl()); };
export function setUnauthorizedHandler(fn) { onUnauthorized = fn; }

async function request(method, path, body, quiet401) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && session.csrf) headers['X-CSRF-Token'] = session.csrf;
  let res;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
      cache: 'no-store',
    });
  } catch (e) {
    throw new ApiError(0, 'Cannot reach the server: ' + e.message, 'UNREACHABLE');
  }
  if (res.status === 204) return null;
  let data = null;
  const text = await res.text();
  if (text) {
    try { data = JSON.parse(text); } catch { data = null; }
  }
  if (!res.ok) {
    const err = data && data.error ? data.error : {};
    const message = err.message || `${res.status} ${res.statusText}`;
    if (res.status === 401 && path !== '/api/v1/session' && !quiet401) onUnauthorized();
    throw new ApiError(res.status, message, err.code);
  }
  return data;
}

// A GET started before the page that needs it exists (the landing page's
// data, in parallel with the session check); the first get() of the same
// path takes it over.
const early = new Map();
export function prefetch(path) {
  // A 401 here is left to the session check, which sends the viewer to the
  // login page once (two redirects at once would race).
  const p = request('GET', path, undefined, true);
  p.catch(() => {}); // its consumer sees the error; none unhandled if none comes
  early.set(path, p);
}

export const get = (path) => {
  const p = early.get(path);
  if (p) {
    early.delete(path);
    return p;
  }
  return request('GET', path);
};
export const post = (path, body) => request('POST', path, body === undefined ? {} : body);

// Builds "/api/v1/x?a=1&b=2", leaving out empty values.
export function url(path, params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params || {})) {
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

export const seg = encodeURIComponent;

function remember(data) {
  session.name = data.name || '';
  session.role = data.role || '';
  session.csrf = data.csrf_token || '';
  session.open = !!data.open;
  return data;
}

// The current session, or null when there is none (401).
export async function loadSession() {
  try {
    return remember(await request('GET', '/api/v1/session'));
  } catch (e) {
    if (e.status === 401) return null;
    throw e;
  }
}

export async function login(token) {
  return remember(await request('POST', '/api/v1/session', { token }));
}

export async function logout() {
  try { await request('DELETE', '/api/v1/session'); } finally {
    session.name = session.role = session.csrf = '';
  }
}

export const canAct = () => session.role === 'admin';
