// The peer API's /members/hashkv: our handler's wire shape and errors, and our client
// against real etcd 3.4's peer listener (the two must understand each other).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serveHashKV, fetchPeerHashKV, PeerHashKVError, PATH_HASHKV, type PeerHashKV } from '../../src/rafthttp/index.js';
import { Errors } from '../../src/rpctypes/errors.js';
import { startMember, etcdctl, grpcKv } from '../helpers/index.js';

/** A peer listener serving only /members/hashkv from `hashByRev`. */
async function hashKVServer(hashByRev: (rev: number) => PeerHashKV): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => serveHashKV(req, res, 0xabcn, hashByRev));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, close: () => new Promise((r) => server.close(() => r())) };
}

/** One raw request, for the exact status and body. */
function raw(url: string, method: string, body: string): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(PATH_HASHKV, url), { method, headers: { 'content-length': Buffer.byteLength(body) }, timeout: 2000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, headers: res.headers }));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end(body);
  });
}

test('our /members/hashkv answers with Go field names and MVCC errors as 400 text', async (t) => {
  const srv = await hashKVServer((rev) => {
    if (rev > 0 && rev <= 4) throw Errors.Compacted;
    if (rev > 9) throw Errors.FutureRev;
    return { hash: 3735928559, revision: 9, compactRevision: rev === 0 ? 0 : 4 };
  });
  t.after(() => srv.close());

  const ok = await raw(srv.url, 'GET', '{"revision":7}');
  assert.equal(ok.status, 200);
  assert.deepEqual(JSON.parse(ok.body), { header: { revision: 9 }, hash: 3735928559, compact_revision: 4 });
  assert.equal(ok.headers['x-etcd-cluster-id'], 'abc');
  // Zero fields are left out, as Go's encoding/json does with omitempty.
  assert.deepEqual(JSON.parse((await raw(srv.url, 'GET', '')).body), { header: { revision: 9 }, hash: 3735928559 });

  const compacted = await raw(srv.url, 'GET', '{"revision":3}');
  assert.equal(compacted.status, 400);
  assert.equal(compacted.body, 'mvcc: required revision has been compacted\n');
  assert.equal((await raw(srv.url, 'POST', '{}')).status, 405);
  assert.equal((await raw(srv.url, 'GET', '{not json')).status, 400);

  assert.deepEqual(await fetchPeerHashKV(srv.url, 7, 2000), { hash: 3735928559, revision: 9, compactRevision: 4 });
  // A caller from another cluster is refused, as etcd answers it (412); from ours, served.
  assert.deepEqual(await fetchPeerHashKV(srv.url, 7, 2000, undefined, 0xabcn), { hash: 3735928559, revision: 9, compactRevision: 4 });
  await assert.rejects(fetchPeerHashKV(srv.url, 7, 2000, undefined, 0xdefn), (e: unknown) => e instanceof PeerHashKVError && e.kind === 'other' && /cluster ID mismatch/.test(e.message));
  await assert.rejects(fetchPeerHashKV(srv.url, 2, 2000), (e: unknown) => e instanceof PeerHashKVError && e.kind === 'compacted');
  await assert.rejects(fetchPeerHashKV(srv.url, 10, 2000), (e: unknown) => e instanceof PeerHashKVError && e.kind === 'future');
  await srv.close();
  await assert.rejects(fetchPeerHashKV(srv.url, 1, 2000), (e: unknown) => e instanceof PeerHashKVError && e.kind === 'other');
});

test("our client reads real etcd 3.4's /members/hashkv: the same hash as its Maintenance.HashKV, and its errors", async (t) => {
  // Under etcd 3.4's default capnslog logger the handler's error path dereferences a nil zap logger and never answers.
  const etcd = await startMember('etcd', { extraArgs: ['--logger=zap'] });
  t.after(() => etcd.close());
  for (let i = 0; i < 5; i++) assert.equal((await etcdctl(etcd, ['put', `k${i}`, `v${i}`])).code, 0);
  assert.equal((await etcdctl(etcd, ['compact', '2'])).code, 0);
  const peer = `http://127.0.0.1:${etcd.peerPort}`;

  const g = grpcKv(etcd);
  t.after(() => g.close());
  const viaGrpc = await g.maintenance.hashKV({ revision: 5 });
  const viaPeer = await fetchPeerHashKV(peer, 5, 3000);
  assert.deepEqual(viaPeer, { hash: viaGrpc.hash, revision: 6, compactRevision: 2 });
  await assert.rejects(fetchPeerHashKV(peer, 1, 3000), (e: unknown) => e instanceof PeerHashKVError && e.kind === 'compacted');
  await assert.rejects(fetchPeerHashKV(peer, 100, 3000), (e: unknown) => e instanceof PeerHashKVError && e.kind === 'future');

  // etcd's own answer has the shape ours has.
  const body = JSON.parse((await raw(peer, 'GET', '{"revision":5}')).body) as Record<string, unknown>;
  assert.deepEqual(Object.keys(body).sort(), ['compact_revision', 'hash', 'header']);
  assert.deepEqual(body.header, { revision: 6 });
});
