// The page's only way to the member: etcd's JSON gateway (/v3/...), the
// dashboard's own API (/dashboard/api/v1/...) and the plain endpoints. The auth
// token lives in sessionStorage (gone with the tab) and rides in the gateway's
// Authorization header; no password is ever kept.

const TOKEN = 'etcd-ts-dashboard-token';
const USER = 'etcd-ts-dashboard-user';

export class ApiError extends Error {
  /** @param {number} code gRPC code @param {string} message @param {number} status HTTP status */
  constructor(code, message, status) {
    super(message);
    this.code = code;
    this.status = status;
  }
}

/** gRPC Unauthenticated: the token expired or the member does not know it. */
export const UNAUTHENTICATED = 16;
export const PERMISSION_DENIED = 7;

export const session = {
  get token() {
    return sessionStorage.getItem(TOKEN) ?? '';
  },
  get user() {
    return sessionStorage.getItem(USER) ?? '';
  },
  /** @param {string} user @param {string} token */
  set(user, token) {
    sessionStorage.setItem(USER, user);
    sessionStorage.setItem(TOKEN, token);
  },
  clear() {
    sessionStorage.removeItem(USER);
    sessionStorage.removeItem(TOKEN);
  },
};

/** Called when a call fails for want of a valid token. @type {(err: ApiError) => void} */
let onUnauthenticated = () => {};
/** @param {(err: ApiError) => void} fn */
export function whenUnauthenticated(fn) {
  onUnauthenticated = fn;
}

/** @param {Response} res */
async function failure(res) {
  let body;
  try {
    body = await res.json();
  } catch {
    body = undefined;
  }
  const err = new ApiError(typeof body?.code === 'number' ? body.code : 2, body?.message ?? body?.error ?? `${res.status} ${res.statusText}`, res.status);
  if (err.code === UNAUTHENTICATED) onUnauthenticated(err);
  return err;
}

function authHeaders() {
  const t = session.token;
  return t ? { Authorization: t } : {};
}

/**
 * POST a JSON request to this member (or, with base, another one) and return its JSON answer.
 * @param {string} path @param {object} body @param {{ base?: string, auth?: boolean, signal?: AbortSignal }} [opts]
 */
export async function post(path, body, opts = {}) {
  const headers = { 'Content-Type': 'application/json', ...(opts.auth === false ? {} : authHeaders()) };
  const res = await fetch((opts.base ?? '') + path, { method: 'POST', headers, body: JSON.stringify(body ?? {}), signal: opts.signal ?? AbortSignal.timeout(10000) });
  if (!res.ok) throw await failure(res);
  return res.json();
}

/** A gateway call, e.g. gw('/v3/kv/range', { key }). */
export const gw = (path, body, opts) => post(path, body, opts);

/** A dashboard API call, e.g. dash('tree', { prefix }). */
export const dash = (name, body, opts) => post(`/dashboard/api/v1/${name}`, body, opts);

/**
 * GET a plain endpoint (/health, /readyz, /version, /metrics) as text, with its status.
 * @param {string} url
 */
export async function getText(url, timeoutMs = 3000) {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), cache: 'no-store' });
  return { status: res.status, text: await res.text() };
}

/**
 * A streaming gateway call (watch): sends the requests, then hands each {"result": …}
 * line to onResult until the stream ends or signal aborts.
 * @param {string} path @param {object[]} requests @param {(r: any) => void} onResult @param {AbortSignal} signal
 */
export async function stream(path, requests, onResult, signal) {
  const res = await fetch(path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...authHeaders() },
    body: requests.map((r) => JSON.stringify(r)).join('\n'),
    signal,
  });
  if (!res.ok) throw await failure(res);
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buf = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buf += value;
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      if (line === '') continue;
      const msg = JSON.parse(line);
      if (msg.error) {
        const err = new ApiError(msg.error.grpc_code ?? 2, msg.error.message ?? 'stream failed', msg.error.http_code ?? 500);
        if (err.code === UNAUTHENTICATED) onUnauthenticated(err);
        throw err;
      }
      onResult(msg.result);
    }
  }
}

/**
 * Whether the member wants a token: a count-only read of one key without one is
 * refused with etcd's "user name is empty" when auth is on.
 */
export async function authRequired() {
  try {
    await gw('/v3/kv/range', { key: 'AA==', count_only: true }, { auth: false });
    return false;
  } catch (err) {
    if (err instanceof ApiError && err.status < 500) return true;
    throw err;
  }
}
