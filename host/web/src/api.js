// The dashboard's only way to the server: the public HTTP API (/api/v1) and
// its WebSocket. Tokens live in this module's memory only (never in
// localStorage or a readable cookie): a reload signs the user out, which is
// the price of not leaving a bearer token where injected script could read it.

const session = { access: null, refresh: null, expiresAt: 0, me: null };
const listeners = new Set();

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.code = problem?.code || '';
    this.field = problem?.field || '';
    this.problem = problem || {};
  }
}

export function onSessionChange(fn) { listeners.add(fn); }
function changed() { for (const fn of listeners) fn(session.me); }

export function me() { return session.me; }
export function signedIn() { return !!session.access; }
export function accessToken() { return session.access; }

function keep(tokens) {
  session.access = tokens.access_token;
  if (tokens.refresh_token) session.refresh = tokens.refresh_token;
  session.expiresAt = Date.now() + 1000 * (tokens.expires_in || 900);
}

async function raw(method, path, body, auth = true) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (auth && session.access) headers.Authorization = `Bearer ${session.access}`;
  const resp = await fetch(`/api/v1${path}`, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'omit', cache: 'no-store',
  });
  const text = await resp.text();
  let data = null;
  if (text) {
    try { data = JSON.parse(text); } catch { data = { detail: text.slice(0, 200) }; }
  }
  return { resp, data };
}

let refreshing = null;
async function refreshTokens() {
  if (!session.refresh) return false;
  if (!refreshing) {
    refreshing = (async () => {
      const { resp, data } = await raw('POST', '/auth/refresh', { refresh_token: session.refresh }, false);
      if (!resp.ok) return false;
      keep(data);
      return true;
    })().finally(() => { refreshing = null; });
  }
  return refreshing;
}

// One API call; JSON in, JSON out, problem+json turned into ApiError. An
// expired access token is refreshed once, transparently.
export async function api(method, path, body) {
  if (session.access && session.refresh && Date.now() > session.expiresAt - 15000) {
    await refreshTokens();
  }
  let { resp, data } = await raw(method, path, body);
  if (resp.status === 401 && session.refresh && await refreshTokens()) {
    ({ resp, data } = await raw(method, path, body));
  }
  if (resp.status === 401 && session.access) {
    signOut();
  }
  if (!resp.ok) throw new ApiError(resp.status, data);
  return data;
}

export const get = (path) => api('GET', path);
export const post = (path, body) => api('POST', path, body ?? {});
export const put = (path, body) => api('PUT', path, body ?? {});
export const patch = (path, body) => api('PATCH', path, body ?? {});
export const del = (path) => api('DELETE', path);

export async function login(email, password) {
  const { resp, data } = await raw('POST', '/auth/login', { email, password }, false);
  if (!resp.ok) throw new ApiError(resp.status, data);
  keep(data);
  session.me = await get('/me');
  changed();
  return session.me;
}

export async function register(email, password) {
  const { resp, data } = await raw('POST', '/auth/register', { email, password }, false);
  if (!resp.ok) throw new ApiError(resp.status, data);
  return login(email, password);
}

export async function reloadMe() {
  session.me = await get('/me');
  changed();
  return session.me;
}

export function signOut() {
  const refresh = session.refresh;
  // Revoke the refresh token (the route needs the access token, so send it
  // before forgetting both).
  if (refresh && session.access) {
    raw('POST', '/auth/logout', { refresh_token: refresh }).catch(() => {});
  }
  session.access = session.refresh = session.me = null;
  session.expiresAt = 0;
  changed();
}

// Query string from an object, skipping empty values.
export function qs(params) {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') u.set(k, String(v));
  }
  const s = u.toString();
  return s ? `?${s}` : '';
}

// Items of a list answer, whatever envelope the route uses.
export function items(data) {
  if (Array.isArray(data)) return data;
  return data?.items ?? data?.data ?? [];
}
