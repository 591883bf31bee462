// Bad input for the JSON gateway, from a seed: malformed and truncated JSON, values
// of the wrong type, base64 that is not base64, numbers past int64, deep nesting,
// bodies past --max-request-bytes, wrong methods and content types. Requests that
// would change the cluster's shape (member add/remove, auth enable, alarms raised)
// are never valid, so the fuzzed member stays a single-member cluster both servers
// can keep answering.

export interface GatewayInput {
  kind: string;
  path: string;
  method: string;
  contentType?: string;
  body: Buffer;
}

/** Routes and a valid body for each (keys are base64, as the gateway takes bytes). */
const ROUTES: Array<[string, Record<string, unknown>]> = [
  ['/v3/kv/range', { key: 'Zm9v', range_end: 'Zm9w', limit: '10', sort_order: 'DESCEND', sort_target: 'MOD', keys_only: true }],
  ['/v3/kv/put', { key: 'Zm9v', value: 'YmFy', prev_kv: true }],
  ['/v3/kv/deleterange', { key: 'eno=', prev_kv: true }],
  ['/v3/kv/txn', { compare: [{ key: 'Zm9v', target: 'VERSION', result: 'GREATER', version: '0' }], success: [{ request_range: { key: 'Zm9v' } }], failure: [{ request_put: { key: 'Zm9v', value: 'eA==' } }] }],
  ['/v3/kv/compaction', { revision: '1', physical: true }],
  ['/v3/lease/grant', { TTL: '30', ID: '0' }],
  ['/v3/lease/revoke', { ID: '12345' }],
  ['/v3/lease/timetolive', { ID: '12345', keys: true }],
  ['/v3/lease/leases', {}],
  ['/v3/kv/lease/timetolive', { ID: '1' }],
  ['/v3/auth/user/get', { name: 'root' }],
  ['/v3/auth/role/get', { role: 'nobody' }],
  ['/v3/auth/user/list', {}],
  ['/v3/auth/authenticate', { name: 'root', password: 'x' }],
  ['/v3/maintenance/status', {}],
  ['/v3/maintenance/hash', {}],
  ['/v3/maintenance/alarm', { action: 'GET', memberID: '0', alarm: 'NONE' }],
  ['/v3/cluster/member/list', {}],
  ['/v3/watch', { create_request: { key: 'Zm9v', start_revision: '1', filters: ['NOPUT'], prev_kv: true } }],
];

/** Paths only ever sent broken bodies: a valid one would change the cluster (or end it). */
const SHAPE_ROUTES = ['/v3/cluster/member/add', '/v3/cluster/member/remove', '/v3/auth/enable', '/v3/maintenance/transfer-leadership'];

export function generateGatewayInput(rand: () => number, maxRequestBytes: number): GatewayInput {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
  const [path, valid] = pick(ROUTES);
  const json = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v));
  const input = (kind: string, body: Buffer | string, over: Partial<GatewayInput> = {}): GatewayInput => ({ kind, path, method: 'POST', body: Buffer.isBuffer(body) ? body : Buffer.from(body), ...over });
  const text = JSON.stringify(valid);
  const fields = Object.keys(valid);
  const r = rand();
  if (r < 0.2) {
    // Malformed JSON: a valid body with a byte dropped, replaced or inserted, or cut short.
    const at = int(0, Math.max(0, text.length - 1));
    const junk = pick(['{', '}', '[', ']', ',', ':', '"', '\\', 'x', '0', '-', '.', 'e', ' ', '\u0000', '\n', 't', 'n']);
    const how = pick(['drop', 'replace', 'insert', 'cut']);
    const out = how === 'drop' ? text.slice(0, at) + text.slice(at + 1) : how === 'replace' ? text.slice(0, at) + junk + text.slice(at + 1) : how === 'insert' ? text.slice(0, at) + junk + text.slice(at) : text.slice(0, at);
    return input(`malformed:${how}`, out);
  }
  if (r < 0.45 && fields.length > 0) {
    // A field of the wrong type.
    const f = pick(fields);
    const wrong = pick<unknown>([5, -1, 1.5, true, false, 'x', '', '!!', [], [1], {}, { a: 1 }, '1e3', 1e300, '9223372036854775808', -9223372036854775809n, 'DESCEND', [null], null]);
    const raw = typeof wrong === 'bigint' ? `${text.slice(0, -1)}${text.length > 2 ? ',' : ''}"${f}":${wrong}}` : JSON.stringify({ ...valid, [f]: wrong });
    return input(`type:${f}`, raw);
  }
  if (r < 0.55) {
    // base64 that is not base64, in a bytes field.
    const bad = pick(['Zm9', 'Zm9v=', 'Z', '====', 'Zm 9v', 'Zm9v\n', 'Zm9v!', 'Zm==9v', 'Zm9vYg', 'Zm9vYg=', 'Zm9vYg=x', '_-8=', 'ü', 'Zm9v'.repeat(int(1, 50)) + '@']);
    const key = path === '/v3/kv/txn' ? 'compare' : 'key';
    const body = key === 'compare' ? { ...valid, compare: [{ key: bad, target: 'VALUE', result: 'EQUAL', value: 'eA==' }] } : { ...valid, key: bad };
    return input('base64', json(body));
  }
  if (r < 0.63) {
    // Numbers Go's int64 does not hold, or does not take.
    const f = pick(['limit', 'revision', 'TTL', 'ID', 'min_mod_revision', 'max_create_revision']);
    const n = pick(['99999999999999999999999', '-9223372036854775809', '18446744073709551616', '1e400', '1.0', '-0', '1E5', '0.5', '-', '01', '"01"', '"1 "', '" 1"', '"0x10"', '"null"', '"true"', '""']);
    return input(`number:${f}`, `{"key":"Zm9v","${f}":${n}}`);
  }
  if (r < 0.68) {
    // Deep nesting: arrays, objects, or txns within txns.
    const depth = pick([200, 9_999, 10_001, 100_000]);
    const shape = pick(['array', 'object', 'txn']);
    if (shape === 'array') return input(`nested:array:${depth}`, `{"key":"Zm9v","x":${'['.repeat(depth)}${']'.repeat(depth)}}`);
    if (shape === 'object') return input(`nested:object:${depth}`, `{"key":"Zm9v","x":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}`);
    // Past 128 levels etcd refuses it (TooManyOps); deeper ones only cost etcd's jsonpb time.
    const d = Math.min(depth, 300);
    return input(`nested:txn:${d}`, `{"success":[${'{"request_txn":{"success":['.repeat(d)}{"request_range":{"key":"Zm9v"}}${']}}'.repeat(d)}]}`, { path: '/v3/kv/txn' });
  }
  if (r < 0.73) {
    // Past --max-request-bytes (and past the gRPC limit that sits 512 KiB above it), or just under.
    const size = pick([maxRequestBytes + 1, maxRequestBytes + 600 * 1024, Math.floor(maxRequestBytes / 2)]);
    const value = Buffer.alloc(size, 'v').toString('base64');
    return input(`oversized:${size}`, `{"key":"Zm9vYg==","value":"${value}"}`, { path: '/v3/kv/put' });
  }
  if (r < 0.8) {
    // Wrong methods and content types; unknown routes.
    const m = pick(['GET', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'POST']);
    const ct = pick(['text/plain', 'application/x-www-form-urlencoded', 'application/grpc', 'multipart/form-data; boundary=x', 'application/json; charset=utf-16']);
    const p = rand() < 0.2 ? pick(['/v3/kv', '/v3/kv/range/x', '/v3/KV/RANGE', '/v3/', '/v3beta/kv/range', '/v3alpha/kv/range']) : path;
    return input(`method:${m}:${ct}`, m === 'GET' || m === 'HEAD' ? '' : text, { method: m, contentType: ct, path: p });
  }
  if (r < 0.87) {
    // Routes that change the cluster's shape, with bodies that cannot be valid.
    const p = pick(SHAPE_ROUTES);
    const body = pick(['{"peerURLs":"http://127.0.0.1:1"}', '{"peerURLs":[5]}', '{"ID":"x"}', '{"ID":true}', '{"targetID":[]}', '[', '{"isLearner":"yes"}', 'null x', '{"peerURLs":[{"a":1}]}']);
    return input(`shape:${p}`, body, { path: p });
  }
  if (r < 0.93) {
    // Values that are JSON but not a request: top-level scalars, arrays, several values.
    const body = pick(['1', '"x"', 'true', 'null', '[]', '[{}]', '{} {}', '{}garbage', '{"key":"Zm9v"}{"key":', '   ', '\n\n', '{"key":"Zm9v","key":5}', '{"KEY":5,"Key":[]}', '\ufeff{}']);
    return input('shape', body);
  }
  // Random bytes.
  const bytes = Buffer.alloc(int(0, 200));
  for (let k = 0; k < bytes.length; k++) bytes[k] = int(0, 255);
  if (rand() < 0.5 && bytes.length > 0) bytes[0] = '{'.charCodeAt(0);
  return input('bytes', bytes);
}
