// The peer port's answers to requests etcd refuses, side by side with the real etcd 3.4:
// the same request to both, the same status, body and headers back. A member of
// another cluster (cluster ID mismatch), a version too old (or too new) to work with
// 3.4, an unknown member, a removed member, a wrong X-Raft-To, bad paths and methods,
// undecodable messages; and the peer API's errors. Then refusals end to end: a member
// started with another cluster's ID beside a real etcd, each way, is refused and says so.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { MixedCluster, type MixedMember } from './harness.js';
import { etcdctl } from '../helpers/etcdctl.js';
import { freePort } from '../helpers/ports.js';
import { ClusterMember } from '../helpers/cluster.js';
import { encodeMessage, MessageType, type Message } from '../../src/raft/index.js';
import { writeUint64BE } from '../../src/pkg/uint64.js';
import { parseMembers } from '../../src/membership/index.js';

interface Reply {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

/** One request to a peer port; a stream that opens (200) is read only up to its headers. */
function call(peerUrl: string, method: string, path: string, headers: Record<string, string>, body?: Uint8Array): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, peerUrl), { method, headers: body ? { ...headers, 'content-length': String(body.length) } : headers, timeout: 10_000 }, (res) => {
      if (res.statusCode === 200 && path.startsWith('/raft/stream/')) {
        resolve({ status: 200, body: '', headers: res.headers });
        res.on('error', () => undefined);
        req.on('error', () => undefined);
        res.destroy();
        return;
      }
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, headers: res.headers }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: timed out`)));
    req.on('error', reject);
    req.end(body);
  });
}

interface Side {
  m: MixedMember;
  cluster: string;
  /** A learner that was added but never started: a member the peer knows. */
  known: string;
  /** A member added and removed again. */
  removed: string;
}

async function side(c: MixedCluster): Promise<Side> {
  const m = c.live()[0]!;
  const add = async (port: number) => {
    const r = await etcdctl(m.endpoint, ['member', 'add', `x${port}`, `--peer-urls=http://127.0.0.1:${port}`, '--learner']);
    assert.equal(r.code, 0, r.stderr);
    return /Member\s+([0-9a-f]+) added/.exec(r.stdout)![1]!;
  };
  // One learner at a time: the removed one first.
  const gone = await add(await freePort());
  const rm = await etcdctl(m.endpoint, ['member', 'remove', gone]);
  assert.equal(rm.code, 0, rm.stderr);
  const known = await add(await freePort());
  return { m, cluster: c.clusterId, known, removed: gone };
}

function headersFor(s: Side, from: string, extra: Record<string, string | undefined> = {}): Record<string, string> {
  const h: Record<string, string | undefined> = {
    'X-Server-From': from,
    'X-Server-Version': '3.4.23',
    'X-Min-Cluster-Version': '3.0.0',
    'X-Etcd-Cluster-ID': s.cluster,
    'X-Raft-To': s.m.id,
    ...extra,
  };
  return Object.fromEntries(Object.entries(h).filter(([, v]) => v !== undefined)) as Record<string, string>;
}

const message = (type: MessageType, from: string, to: string): Message => ({ type, to: BigInt('0x' + to), from: BigInt('0x' + from), term: 0, logTerm: 0, index: 0, entries: [], commit: 0, reject: false, rejectHint: 0 });

function framed(m: Message): Uint8Array {
  const msg = encodeMessage(m);
  const out = new Uint8Array(8 + msg.length + 16);
  writeUint64BE(out, 0, msg.length);
  out.set(msg, 8);
  return out;
}

/** What must match between etcd's reply and ours: status, body, and the headers a peer reads. */
function shape(r: Reply, s: Side): unknown {
  return {
    status: r.status,
    body: r.body.replace(s.cluster, '<cluster>'),
    contentType: r.headers['content-type'],
    nosniff: r.headers['x-content-type-options'],
    allow: r.headers.allow,
    clusterIdHeader: r.headers['x-etcd-cluster-id'] === undefined ? 'absent' : r.headers['x-etcd-cluster-id'] === s.cluster ? 'ours' : r.headers['x-etcd-cluster-id'],
    serverVersion: r.headers['x-server-version'],
  };
}

test('peer refusals and peer API errors: the same answers as etcd 3.4', { timeout: 180_000 }, async (t) => {
  const etcd = await MixedCluster.start(['etcd'], 'e', { snapshotCount: 10000 });
  t.after(() => etcd.close());
  const ts = await MixedCluster.start(['etcd-ts'], 't', { snapshotCount: 10000 });
  t.after(() => ts.close());
  const sides = [await side(etcd), await side(ts)];
  const unknown = 'abcdef0123456789';

  const cases: Array<{ name: string; run: (s: Side) => Promise<Reply> }> = [
    { name: 'stream from another cluster', run: (s) => call(s.m.peerUrl, 'GET', `/raft/stream/message/${s.known}`, headersFor(s, s.known, { 'X-Etcd-Cluster-ID': '1234abcd' })) },
    { name: 'stream from a 2.3 member (version too old)', run: (s) => call(s.m.peerUrl, 'GET', `/raft/stream/msgapp/${s.known}`, headersFor(s, s.known, { 'X-Server-Version': '2.3.7', 'X-Min-Cluster-Version': '2.3.0' })) },
    { name: 'stream without version headers (etcd 2.0)', run: (s) => call(s.m.peerUrl, 'GET', `/raft/stream/message/${s.known}`, headersFor(s, s.known, { 'X-Server-Version': undefined, 'X-Min-Cluster-Version': undefined })) },
    { name: 'stream from a member needing a newer cluster (local too low)', run: (s) => call(s.m.peerUrl, 'GET', `/raft/stream/message/${s.known}`, headersFor(s, s.known, { 'X-Server-Version': '3.6.0', 'X-Min-Cluster-Version': '3.5.0' })) },
    { name: 'stream from an unknown member', run: (s) => call(s.m.peerUrl, 'GET', `/raft/stream/message/${unknown}`, headersFor(s, unknown)) },
    { name: 'stream from a removed member', run: (s) => call(s.m.peerUrl, 'GET', `/raft/stream/message/${s.removed}`, headersFor(s, s.removed)) },
    { name: 'stream of an unknown type', run: (s) => call(s.m.peerUrl, 'GET', `/raft/stream/msgappv3/${s.known}`, headersFor(s, s.known)) },
    { name: 'stream with a sender that is no ID', run: (s) => call(s.m.peerUrl, 'GET', '/raft/stream/message/xyz', headersFor(s, s.known)) },
    { name: 'stream meant for another member (X-Raft-To)', run: (s) => call(s.m.peerUrl, 'GET', `/raft/stream/message/${s.known}`, headersFor(s, s.known, { 'X-Raft-To': unknown })) },
    { name: 'stream opened by POST', run: (s) => call(s.m.peerUrl, 'POST', `/raft/stream/message/${s.known}`, headersFor(s, s.known)) },
    { name: 'stream from a known member', run: (s) => call(s.m.peerUrl, 'GET', `/raft/stream/msgapp/${s.known}`, headersFor(s, s.known)) },
    { name: 'pipeline from another cluster', run: (s) => call(s.m.peerUrl, 'POST', '/raft', headersFor(s, s.known, { 'X-Etcd-Cluster-ID': '1234abcd' }), encodeMessage(message(MessageType.Heartbeat, s.known, s.m.id))) },
    { name: 'pipeline from a version too old', run: (s) => call(s.m.peerUrl, 'POST', '/raft', headersFor(s, s.known, { 'X-Server-Version': '2.1.0' }), encodeMessage(message(MessageType.Heartbeat, s.known, s.m.id))) },
    { name: 'pipeline of bytes that are no message', run: (s) => call(s.m.peerUrl, 'POST', '/raft', headersFor(s, s.known), new Uint8Array([0x0a, 0xff, 0x07])) },
    { name: 'pipeline from a removed member', run: (s) => call(s.m.peerUrl, 'POST', '/raft', headersFor(s, s.removed), encodeMessage(message(MessageType.HeartbeatResp, s.removed, s.m.id))) },
    { name: 'pipeline by GET', run: (s) => call(s.m.peerUrl, 'GET', '/raft', headersFor(s, s.known)) },
    { name: 'snapshot from another cluster', run: (s) => call(s.m.peerUrl, 'POST', '/raft/snapshot', headersFor(s, s.known, { 'X-Etcd-Cluster-ID': '1234abcd' }), framed(message(MessageType.Snap, s.known, s.m.id))) },
    { name: 'snapshot carrying another message type', run: (s) => call(s.m.peerUrl, 'POST', '/raft/snapshot', headersFor(s, s.known), framed(message(MessageType.App, s.known, s.m.id))) },
    { name: 'snapshot by GET', run: (s) => call(s.m.peerUrl, 'GET', '/raft/snapshot', headersFor(s, s.known)) },
    { name: 'promote of an unknown member', run: (s) => call(s.m.peerUrl, 'POST', `/members/promote/${BigInt('0x' + unknown)}`, {}) },
    { name: 'promote of a voter', run: (s) => call(s.m.peerUrl, 'POST', `/members/promote/${BigInt('0x' + s.m.id)}`, {}) },
    { name: 'promote of a learner that is not in sync', run: (s) => call(s.m.peerUrl, 'POST', `/members/promote/${BigInt('0x' + s.known)}`, {}) },
    { name: 'promote with an ID that is no number', run: (s) => call(s.m.peerUrl, 'POST', '/members/promote/zz', {}) },
    { name: 'promote by GET', run: (s) => call(s.m.peerUrl, 'GET', `/members/promote/${BigInt('0x' + s.known)}`, {}) },
    { name: 'members by POST', run: (s) => call(s.m.peerUrl, 'POST', '/members', {}) },
    { name: 'lease keep-alive by GET', run: (s) => call(s.m.peerUrl, 'GET', '/leases', {}) },
    { name: 'lease keep-alive of bytes that are no request', run: (s) => call(s.m.peerUrl, 'POST', '/leases', { 'content-type': 'application/protobuf' }, new Uint8Array([0x08])) },
    { name: 'lease keep-alive of an unknown lease', run: (s) => call(s.m.peerUrl, 'POST', '/leases', { 'content-type': 'application/protobuf' }, new Uint8Array([0x08, 0x2a])) },
    { name: 'lease time-to-live of an unknown lease', run: (s) => call(s.m.peerUrl, 'POST', '/leases/internal', { 'content-type': 'application/protobuf' }, new Uint8Array([0x0a, 0x02, 0x08, 0x2a])) },
    { name: 'version by POST', run: (s) => call(s.m.peerUrl, 'POST', '/version', {}) },
    { name: 'an unknown path', run: (s) => call(s.m.peerUrl, 'GET', '/nothing/here', {}) },
  ];
  const diffs: string[] = [];
  const outcome = (r: Promise<Reply>, s: Side) => r.then((x) => shape(x, s), (err: NodeJS.ErrnoException) => ({ error: err.code ?? err.message }));
  for (const k of cases) {
    const se = await outcome(k.run(sides[0]!), sides[0]!);
    const sx = await outcome(k.run(sides[1]!), sides[1]!);
    try {
      assert.deepEqual(sx, se);
    } catch {
      diffs.push(`${k.name}: etcd ${JSON.stringify(se)}, etcd-ts ${JSON.stringify(sx)}`);
    }
  }
  assert.deepEqual(diffs, []);

  // The answers peers read for their work: /version and /members, in etcd's JSON.
  for (const s of sides) {
    const v = await call(s.m.peerUrl, 'GET', '/version', {});
    assert.deepEqual(JSON.parse(v.body), { etcdserver: '3.4.23', etcdcluster: '3.4.0' });
    const list = await call(s.m.peerUrl, 'GET', '/members', {});
    assert.equal(list.headers['x-etcd-cluster-id'], s.cluster);
    // Numeric IDs, peer URLs always, the learner flag and the name only when set: etcd's JSON.
    assert.match(list.body, /^\[\{"id":\d+,"peerURLs":\["http/);
    const members = parseMembers(list.body);
    assert.ok(members.some((m) => m.id.toString(16) === s.m.id && m.name === s.m.name && m.peerUrls[0] === s.m.peerUrl && !m.isLearner), list.body);
    assert.ok(members.some((m) => m.id.toString(16) === s.known && m.isLearner && m.name === ''), list.body);
    assert.match(list.body, /"isLearner":true\}/);
  }
});

test('a member of another cluster beside a real etcd is refused with a cluster ID mismatch, each way', { timeout: 120_000 }, async (t) => {
  const etcd = await MixedCluster.start(['etcd'], 'e', { snapshotCount: 10000 });
  t.after(() => etcd.close());
  const e = etcd.live()[0]!;
  // An etcd-ts member bootstrapping a different cluster that lists the etcd member's URL.
  const [cp, pp] = [await freePort(), await freePort()];
  const initial = `x=http://127.0.0.1:${pp},${e.name}=${e.peerUrl}`;
  const stranger = new ClusterMember('x', cp, pp, etcd.dir.path, { name: 'x', initialCluster: initial, state: 'new', kind: 'etcd-ts' });
  stranger.spawn();
  t.after(() => stranger.stop());
  // A real etcd bootstrapping yet another cluster that lists the etcd-ts member.
  const [cq, pq] = [await freePort(), await freePort()];
  const other = new ClusterMember('y', cq, pq, etcd.dir.path, { name: 'y', initialCluster: `y=http://127.0.0.1:${pq},x=http://127.0.0.1:${pp}`, state: 'new', kind: 'etcd' });
  other.spawn();
  t.after(() => other.stop());

  const deadline = Date.now() + 60_000;
  const want = {
    'etcd-ts dialing etcd is told': () => /failed to dial remote peer.*cluster ID mismatch/.test(stranger.logs()),
    'etcd refuses etcd-ts': () => /request cluster ID mismatch/.test(e.logs()),
    'etcd dialing etcd-ts is told': () => /cluster ID mismatch/.test(other.logs()),
    'etcd-ts refuses etcd': () => /request cluster ID mismatch/.test(stranger.logs()),
  };
  while (Date.now() < deadline && !Object.values(want).every((f) => f())) await new Promise((r) => setTimeout(r, 200));
  for (const [what, f] of Object.entries(want)) assert.ok(f(), what);
  // Neither side let the other in: the etcd member's cluster still has only itself.
  const list = await etcd.memberList();
  assert.deepEqual(list.map((m) => m.name), [e.name]);
});
