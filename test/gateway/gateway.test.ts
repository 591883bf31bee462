// The JSON gateway against etcd 3.4's: the same POSTs to both servers must answer the
// same status and the same JSON, member-specific values (IDs, URLs, sizes) masked.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startMembers, type Member } from '../helpers/member.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const MASKED_IDS = new Set(['cluster_id', 'member_id', 'leader', 'ID', 'memberID']);
const MASKED_OTHER = new Set(['peerURLs', 'clientURLs', 'dbSize', 'dbSizeInUse', 'hash', 'raftIndex', 'raftAppliedIndex']);

function mask(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(mask);
  if (v === null || typeof v !== 'object') return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k] = MASKED_IDS.has(k) ? '<id>' : MASKED_OTHER.has(k) ? '<member>' : mask(x);
  return out;
}

interface Answer {
  status: number;
  contentType: string | null;
  body: unknown;
}

async function post(m: Member, path: string, body: string): Promise<Answer> {
  const r = await fetch(`${m.endpoint}${path}`, { method: 'POST', body, signal: AbortSignal.timeout(5000) });
  const text = await r.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // plain-text answers (404, 405) are compared as text
  }
  return { status: r.status, contentType: r.headers.get('content-type'), body: parsed };
}

let etcd: Member;
let ts: Member;
before(async () => {
  [etcd, ts] = await startMembers([['etcd'], ['etcd-ts']]);
});
after(async () => {
  await Promise.all([etcd?.close(), ts?.close()]);
});

/** Posts to both; asserts equal masked answers; returns etcd's unmasked answer. */
async function same(path: string, body: object | string): Promise<Answer> {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const want = await post(etcd, path, text);
  const got = await post(ts, path, text);
  assert.deepEqual({ ...got, body: mask(got.body) }, { ...want, body: mask(want.body) }, `POST ${path} ${text}`);
  return want;
}

test('gateway KV: put, range, txn, delete, compaction and their errors as etcd 3.4', async () => {
  const put = await same('/v3/kv/put', { key: b64('foo'), value: b64('bar') });
  assert.equal(put.status, 200);
  assert.equal((put.body as any).header.revision, '2');
  const prev = await same('/v3/kv/put', { key: b64('foo'), value: b64('baz'), prev_kv: true });
  assert.equal((prev.body as any).prev_kv.value, b64('bar'));
  const range = await same('/v3/kv/range', { key: b64('foo') });
  assert.deepEqual((range.body as any).kvs, [{ key: b64('foo'), create_revision: '2', mod_revision: '3', version: '2', value: b64('baz') }]);
  assert.equal((range.body as any).count, '1');
  await same('/v3/kv/range', { key: b64('none') });
  await same('/v3/kv/range', { key: b64('a'), range_end: b64('z'), keys_only: true, sort_order: 'DESCEND', sort_target: 'KEY', limit: '1' });
  await same('/v3/kv/range', { key: b64('foo'), countOnly: true });
  await same('/v3/kv/put', { key: b64('n'), value: b64('1'), unknown_field: 1 });
  // Errors: status from the gRPC code, {"error","message","code"}.
  const empty = await same('/v3/kv/range', { key: '' });
  assert.deepEqual(empty.body, { error: 'etcdserver: key is not provided', message: 'etcdserver: key is not provided', code: 3 });
  assert.equal(empty.status, 400);
  assert.equal((await same('/v3/kv/range', { key: b64('foo'), revision: 100 })).status, 400);
  const txn = await same('/v3/kv/txn', {
    compare: [{ target: 'VALUE', key: b64('foo'), value: b64('bar') }],
    success: [{ requestPut: { key: b64('foo'), value: b64('x') } }],
    failure: [{ request_range: { key: b64('foo') } }, { request_put: { key: b64('t'), value: b64('1') } }],
  });
  assert.equal((txn.body as any).succeeded, undefined, 'false is left out');
  assert.equal((txn.body as any).responses.length, 2);
  await same('/v3/kv/txn', { compare: [{ target: 'VERSION', key: b64('foo'), result: 'GREATER', version: '0' }], success: [{ request_delete_range: { key: b64('t'), prev_kv: true } }] });
  await same('/v3/kv/deleterange', { key: b64('foo'), prevKv: true });
  await same('/v3/kv/compaction', { revision: '3' });
  assert.equal((await same('/v3/kv/compaction', { revision: 2 })).status, 400);
  const bad = await same('/v3/kv/range', '{"key": ');
  assert.equal(bad.status, 400);
  for (const text of ['{bad', '{"key" "x"}', '{"key": "Zm9v" "x"}', '[1 2]', 'x']) await same('/v3/kv/range', text);
  // An empty body is an empty request.
  await same('/v3/kv/range', '');
});

test('gateway lease, cluster and maintenance as etcd 3.4', async () => {
  await same('/v3/lease/grant', { TTL: 60, ID: '7587861231285799685' });
  await same('/v3/lease/leases', {});
  await same('/v3/kv/lease/leases', {});
  await same('/v3/lease/timetolive', { ID: '7587861231285799685', keys: true });
  await same('/v3/lease/timetolive', { ID: 1 });
  // A 64-bit ID as a bare JSON number keeps every digit, as Go's decoder reads it.
  const exact = await same('/v3/lease/timetolive', '{"ID": 7587861231285799685}');
  assert.equal((exact.body as any).TTL !== '-1', true, 'the lease is found');
  // The 3.3 clients' prefix is still served.
  await same('/v3beta/kv/range', { key: b64('foo') });
  await same('/v3alpha/kv/range', { key: b64('foo') });
  await same('/v3/lease/revoke', { ID: '7587861231285799685' });
  assert.equal((await same('/v3/lease/revoke', { ID: 1 })).status, 404);
  await same('/v3/cluster/member/list', {});
  await same('/v3/maintenance/status', {});
  await same('/v3/maintenance/alarm', {});
  await same('/v3/maintenance/hash', {});
  await same('/v3/maintenance/defragment', {});
  await same('/v3/auth/authenticate', { name: 'root', password: 'x' });
  // Routes that do not exist, and methods other than POST.
  await same('/v3/nothing', {});
  await same('/v3/auth/status', {});
  for (const m of [etcd, ts]) {
    const r = await fetch(`${m.endpoint}/v3/kv/range`, { signal: AbortSignal.timeout(5000) });
    assert.equal(r.status, 405, m.kind);
    assert.equal(await r.text(), 'Method Not Allowed\n');
  }
});

/** Reads newline-delimited JSON from a streaming POST until `count` lines arrived. */
async function streamLines(m: Member, path: string, body: string, count: number, during?: () => Promise<void>): Promise<unknown[]> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), 5000);
  try {
    const r = await fetch(`${m.endpoint}${path}`, { method: 'POST', body, signal: ac.signal });
    assert.equal(r.status, 200);
    const reader = r.body!.getReader();
    const lines: unknown[] = [];
    let buf = '';
    let triggered = false;
    while (lines.length < count) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += Buffer.from(value).toString('utf8');
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        lines.push(JSON.parse(buf.slice(0, i)));
        buf = buf.slice(i + 1);
      }
      if (!triggered && during && lines.length > 0) {
        triggered = true;
        await during();
      }
    }
    ac.abort();
    return lines;
  } finally {
    clearTimeout(timer);
  }
}

test('gateway watch streams {"result": …} lines as etcd 3.4', async () => {
  const watch = JSON.stringify({ create_request: { key: b64('w'), prev_kv: true } });
  const results = await Promise.all(
    [etcd, ts].map((m) =>
      streamLines(m, '/v3/watch', watch, 2, async () => {
        await post(m, '/v3/kv/put', JSON.stringify({ key: b64('w'), value: b64('1') }));
      }),
    ),
  );
  assert.deepEqual(mask(results[1]), mask(results[0]));
  const [created, event] = results[0] as any[];
  assert.equal(created.result.created, true);
  assert.equal(event.result.events[0].kv.value, b64('1'));

  // A compacted start revision cancels the watch with the compact revision.
  const compacted = JSON.stringify({ create_request: { key: b64('w'), start_revision: 1 } });
  const [e2, t2] = await Promise.all([etcd, ts].map((m) => streamLines(m, '/v3/watch', compacted, 2)));
  assert.deepEqual(mask(t2), mask(e2));
  assert.equal((e2![1] as any).result.canceled, true);

  // Lease keep-alive through the gateway: one answer per request in the body.
  const ka = JSON.stringify({ ID: 1 });
  const [e3, t3] = await Promise.all([etcd, ts].map((m) => streamLines(m, '/v3/lease/keepalive', ka, 1)));
  assert.deepEqual(mask(t3), mask(e3));
});
