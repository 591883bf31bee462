// JSON calls to a member's gateway and dashboard API over http or https (with
// the test CA), and the auth setup the dashboard tests share.
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { readFileSync } from 'node:fs';

export const b64 = (s: string | Uint8Array) => Buffer.from(s).toString('base64');

export interface Answer {
  status: number;
  body: any;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

export function call(endpoint: string, path: string, body: unknown, opts: { token?: string; ca?: string; method?: string } = {}): Promise<Answer> {
  const url = new URL(path, endpoint);
  const data = body === undefined ? undefined : JSON.stringify(body);
  const headers: Record<string, string> = { ...(data !== undefined ? { 'Content-Type': 'application/json' } : {}), ...(opts.token ? { Authorization: opts.token } : {}) };
  const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, { method: opts.method ?? (data === undefined ? 'GET' : 'POST'), headers, timeout: 10_000, ...(opts.ca ? { ca: readFileSync(opts.ca) } : {}) });
  return new Promise((resolve, reject) => {
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => {
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch {
          parsed = undefined;
        }
        resolve({ status: res.statusCode ?? 0, body: parsed, headers: res.headers, text });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`timeout: ${path}`)));
    req.on('error', reject);
    req.end(data);
  });
}

/** A call that must succeed; its JSON answer. */
export async function ok(endpoint: string, path: string, body: unknown, opts: { token?: string; ca?: string } = {}): Promise<any> {
  const r = await call(endpoint, path, body, opts);
  if (r.status !== 200) throw new Error(`${path}: ${r.status} ${r.text}`);
  return r.body;
}

export async function put(endpoint: string, key: string | Uint8Array, value: string | Uint8Array, opts: { token?: string; ca?: string; lease?: string } = {}): Promise<number> {
  const r = await ok(endpoint, '/v3/kv/put', { key: b64(key), value: b64(value), ...(opts.lease ? { lease: opts.lease } : {}) }, opts);
  return Number(r.header.revision);
}

export async function token(endpoint: string, name: string, password: string, ca?: string): Promise<string> {
  return (await ok(endpoint, '/v3/auth/authenticate', { name, password }, { ca })).token;
}

/**
 * A setup call that may time out under load and be applied all the same: retried,
 * and an "already exists" after a retry is the first try having landed.
 */
async function setup(endpoint: string, path: string, body: unknown, ca?: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const r = await call(endpoint, path, body, { ca });
    if (r.status === 200) return;
    if (attempt > 0 && /already exists/.test(r.body?.message ?? '')) return;
    if (attempt < 3 && r.body?.message === 'etcdserver: request timed out') continue;
    throw new Error(`${path}: ${r.status} ${r.text}`);
  }
}

/**
 * root (password "rootpw") and reader (password "readerpw", role app-reader: read
 * /app/ only), then auth enabled.
 */
export async function enableAuth(endpoint: string, ca?: string): Promise<void> {
  await setup(endpoint, '/v3/auth/role/add', { name: 'root' }, ca);
  await setup(endpoint, '/v3/auth/user/add', { name: 'root', password: 'rootpw' }, ca);
  await setup(endpoint, '/v3/auth/user/grant', { user: 'root', role: 'root' }, ca);
  await setup(endpoint, '/v3/auth/role/add', { name: 'app-reader' }, ca);
  await setup(endpoint, '/v3/auth/role/grant', { name: 'app-reader', perm: { permType: 'READ', key: b64('/app/'), range_end: b64('/app0') } }, ca);
  await setup(endpoint, '/v3/auth/user/add', { name: 'reader', password: 'readerpw' }, ca);
  await setup(endpoint, '/v3/auth/user/grant', { user: 'reader', role: 'app-reader' }, ca);
  await setup(endpoint, '/v3/auth/enable', {}, ca);
}
