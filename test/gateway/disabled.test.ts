// --enable-grpc-gateway=false: /v3/ routes answer Go's 404 as etcd 3.4's do, while
// /health and gRPC keep working.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { etcdctl, startMember, type MemberKind } from '../helpers/index.js';

async function answer(url: string, init?: RequestInit) {
  const r = await fetch(url, { ...init, signal: AbortSignal.timeout(5000) });
  return { status: r.status, nosniff: r.headers.get('x-content-type-options'), body: await r.text() };
}

test('--enable-grpc-gateway=false turns the JSON gateway off, as etcd 3.4', async () => {
  const got: Record<string, unknown> = {};
  for (const kind of ['etcd', 'etcd-ts'] as MemberKind[]) {
    const m = await startMember(kind, { extraArgs: ['--enable-grpc-gateway=false'] });
    try {
      const range = await answer(`${m.endpoint}/v3/kv/range`, { method: 'POST', body: '{"key":"YQ=="}' });
      const health = await answer(`${m.endpoint}/health`);
      assert.equal((await etcdctl(m, ['put', 'a', '1'])).code, 0, 'gRPC still served');
      got[kind] = { range, healthStatus: health.status };
    } finally {
      await m.close();
    }
  }
  assert.deepEqual(got['etcd'], { range: { status: 404, nosniff: 'nosniff', body: '404 page not found\n' }, healthStatus: 200 });
  assert.deepEqual(got['etcd-ts'], got['etcd']);
});
