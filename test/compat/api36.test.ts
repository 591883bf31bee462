// etcd 3.6's Maintenance, Cluster and Auth additions, and the version a member reports,
// by default (etcd 3.6.14) and behaving as etcd 3.4.23. Written from etcd 3.6.14's
// server/etcdserver/api/v3rpc/maintenance.go (Status, HashKV, Alarm, Snapshot, Downgrade),
// server/etcdserver/version/ (version.go, monitor.go, downgrade.go: the downgrade rules
// and MustDetectDowngrade), server/etcdserver/v3_server.go (downgradeValidate/Enable/Cancel),
// server/etcdserver/api/etcdhttp/version.go (GET /version), api/etcdserverpb/rpc.proto
// (the fields and gateway paths), tests/common/auth_test.go TestAuthStatus and
// tests/e2e/cluster_downgrade_test.go (enable, then cancel right after). What etcd 3.4.23
// answers is checked side by side with the real one in compat/maintenance-status.test.ts
// and gateway/gateway.test.ts.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { fileURLToPath } from 'node:url';
import { startMember, type Member, type Msg } from '../helpers/index.js';

const protoRoot = fileURLToPath(new URL('../../../proto', import.meta.url));
// defaults: false, so that a field the server did not send is absent rather than zero.
const pb = (grpc.loadPackageDefinition(
  protoLoader.loadSync('etcdserverpb/rpc.proto', { includeDirs: [protoRoot], longs: Number, bytes: Buffer, enums: String, defaults: false, oneofs: true }),
) as any).etcdserverpb;

type Call = (service: string, method: string, req?: Msg, md?: Record<string, string>) => Promise<Msg>;

function caller(m: Member): { call: Call; close(): void } {
  const addr = m.endpoint.replace(/^http:\/\//, '');
  const clients = new Map<string, any>();
  const call: Call = (service, method, req = {}, md = {}) => {
    let c = clients.get(service);
    if (!c) clients.set(service, (c = new pb[service](addr, grpc.credentials.createInsecure())));
    const meta = new grpc.Metadata();
    for (const [k, v] of Object.entries(md)) meta.set(k, v);
    return new Promise((resolve, reject) => c[method](req, meta, { deadline: Date.now() + 10_000 }, (err: grpc.ServiceError | null, r: Msg) => (err ? reject(err) : resolve(r))));
  };
  return { call, close: () => clients.forEach((c) => c.close()) };
}

/** Keys b, a, c, then a again: a at version 2, b and c at 1. */
async function putSortKeys(c: ReturnType<typeof caller>): Promise<void> {
  for (const [k, v] of [['b', '1'], ['a', '1'], ['c', '1'], ['a', '2']]) await c.call('KV', 'Put', { key: Buffer.from(k), value: Buffer.from(v) });
}

/** Range [a, d) with the sort options given: the keys answered and `more`, or the error. */
function sortedRange(c: ReturnType<typeof caller>, opts: Msg): Promise<unknown> {
  const r = c.call('KV', 'Range', { key: Buffer.from('a'), rangeEnd: Buffer.from('d'), ...opts });
  return r.then(
    (x) => [(x.kvs as { key: Buffer }[]).map((kv) => kv.key.toString()), x.more ?? false],
    (err: grpc.ServiceError) => [err.code, err.details],
  );
}

const failure = (p: Promise<unknown>) => p.then(() => undefined, (err: grpc.ServiceError) => [err.code, err.details]);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function versions(m: Member): Promise<Record<string, string>> {
  return (await fetch(`${m.endpoint}/version`, { signal: AbortSignal.timeout(5000) })).json() as Promise<Record<string, string>>;
}

/** Polls GET /version until pred holds (the leader's version monitor runs every 4 s). */
async function versionsUntil(m: Member, pred: (v: Record<string, string>) => boolean, timeoutMs = 15_000): Promise<Record<string, string>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await versions(m);
    if (pred(v) || Date.now() > deadline) return v;
    await sleep(200);
  }
}

describe('by default etcd-ts reports and serves etcd 3.6.14', { concurrency: false }, () => {
  let m: Member;
  let c: ReturnType<typeof caller>;
  before(async () => {
    m = await startMember('etcd-ts', { extraArgs: ['--quota-backend-bytes', '100000000'] });
    c = caller(m);
  });
  after(async () => {
    c?.close();
    await m?.close();
  });

  test('a sort order outside the enum is refused, as etcd 3.5+ refuse it', async () => {
    assert.deepEqual(await sortedRange(c, { sortOrder: 5 }), [grpc.status.INVALID_ARGUMENT, 'etcdserver: invalid sort option']);
    assert.deepEqual(await sortedRange(c, { sortOrder: 1, sortTarget: 9 }), [grpc.status.INVALID_ARGUMENT, 'etcdserver: invalid sort option']);
  });

  test('Status: version 3.6.14 and storageVersion, dbSizeQuota and downgradeInfo as 3.6 fills them', async () => {
    const s = await c.call('Maintenance', 'Status');
    assert.equal(s.version, '3.6.14');
    assert.equal(s.storageVersion, '3.6.0');
    assert.equal(s.dbSizeQuota, 100000000);
    // etcd 3.6 always sends downgradeInfo, empty when no downgrade runs.
    assert.deepEqual(s.downgradeInfo, {});
    assert.equal(s.leader, s.header.memberId);
    assert.ok(s.dbSize > 0 && s.dbSizeInUse > 0);
  });

  test('GET /version on the client and the peer port: server, cluster and storage versions', async () => {
    assert.deepEqual(await versions(m), { etcdserver: '3.6.14', etcdcluster: '3.6.0', storage: '3.6.0' });
    const peer = await (await fetch(`http://127.0.0.1:${m.peerPort}/version`, { signal: AbortSignal.timeout(5000) })).json();
    assert.deepEqual(peer, { etcdserver: '3.6.14', etcdcluster: '3.6.0', storage: '3.6.0' });
    const metrics = await (await fetch(`${m.endpoint}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
    assert.match(metrics, /^etcd_server_version\{server_version="3\.6\.14"\} 1$/m);
    assert.match(metrics, /^etcd_cluster_version\{cluster_version="3\.6"\} 1$/m);
  });

  test('HashKV.hash_revision: the revision hashed up to; Alarm answers carry a header; Snapshot messages carry the storage version', async () => {
    const put = await c.call('KV', 'Put', { key: Buffer.from('h'), value: Buffer.from('1') });
    await c.call('KV', 'Put', { key: Buffer.from('h'), value: Buffer.from('2') });
    const now = await c.call('Maintenance', 'HashKV', { revision: 0 });
    assert.equal(now.hashRevision, now.header.revision);
    const at = await c.call('Maintenance', 'HashKV', { revision: put.header.revision });
    assert.equal(at.hashRevision, put.header.revision);
    const alarms = await c.call('Maintenance', 'Alarm', { action: 'GET' });
    assert.equal(alarms.header.memberId, now.header.memberId);
    const client = new pb.Maintenance(m.endpoint.replace(/^http:\/\//, ''), grpc.credentials.createInsecure());
    try {
      const first = await new Promise<Msg>((resolve, reject) => {
        const call = client.Snapshot({});
        call.once('data', (msg: Msg) => {
          resolve(msg);
          call.cancel();
        });
        call.on('error', (err: grpc.ServiceError) => (err.code === grpc.status.CANCELLED ? undefined : reject(err)));
      });
      assert.equal(first.version, '3.6.0');
    } finally {
      client.close();
    }
  });

  test('Auth.AuthStatus: enabled and the auth revision, root only once auth is on (TestAuthStatus)', async () => {
    const off = await c.call('Auth', 'AuthStatus');
    assert.equal(off.enabled, undefined, 'not enabled');
    await c.call('Auth', 'UserAdd', { name: 'root', password: 'rootpw' });
    await c.call('Auth', 'UserGrantRole', { user: 'root', role: 'root' });
    await c.call('Auth', 'UserAdd', { name: 'alice', password: 'alicepw' });
    await c.call('Auth', 'AuthEnable');
    try {
      const root = (await c.call('Auth', 'Authenticate', { name: 'root', password: 'rootpw' })).token;
      const alice = (await c.call('Auth', 'Authenticate', { name: 'alice', password: 'alicepw' })).token;
      const on = await c.call('Auth', 'AuthStatus', {}, { token: root });
      assert.equal(on.enabled, true);
      assert.ok(on.authRevision > (off.authRevision ?? 0));
      assert.deepEqual(await failure(c.call('Auth', 'AuthStatus', {}, { token: alice })), [grpc.status.PERMISSION_DENIED, 'etcdserver: permission denied']);
    } finally {
      const root = (await c.call('Auth', 'Authenticate', { name: 'root', password: 'rootpw' })).token;
      await c.call('Auth', 'AuthDisable', {}, { token: root });
    }
  });

  test('Downgrade: VALIDATE, ENABLE, CANCEL with etcd 3.6.14 rules and errors; the cluster and storage versions follow', async () => {
    const dg = (action: string, version = '') => c.call('Maintenance', 'Downgrade', { action, version });
    assert.equal((await dg('VALIDATE', '3.5')).version, '3.6');
    assert.equal((await dg('VALIDATE', '3.5.9')).version, '3.6', 'a patch release is cut to major.minor');
    assert.deepEqual(await failure(dg('VALIDATE', '3.4')), [grpc.status.INVALID_ARGUMENT, 'etcdserver: invalid downgrade target version']);
    assert.deepEqual(await failure(dg('VALIDATE', '3.6')), [grpc.status.INVALID_ARGUMENT, 'etcdserver: invalid downgrade target version']);
    assert.deepEqual(await failure(dg('VALIDATE', 'v3.5')), [grpc.status.INVALID_ARGUMENT, 'etcdserver: wrong downgrade target version format']);
    assert.deepEqual(await failure(dg('ENABLE', '')), [grpc.status.INVALID_ARGUMENT, 'etcdserver: wrong downgrade target version format']);
    // 3.6.14 logs a cancel without a job and answers with the cluster version.
    assert.equal((await dg('CANCEL')).version, '3.6');

    assert.equal((await dg('ENABLE', '3.5')).version, '3.6');
    const s = await c.call('Maintenance', 'Status');
    assert.deepEqual(s.downgradeInfo, { enabled: true, targetVersion: '3.5.0' });
    assert.deepEqual(await failure(dg('VALIDATE', '3.5')), [grpc.status.FAILED_PRECONDITION, 'etcdserver: cluster has a downgrade job in progress']);
    assert.deepEqual(await failure(dg('ENABLE', '3.5')), [grpc.status.FAILED_PRECONDITION, 'etcdserver: cluster has a downgrade job in progress']);
    // The leader lowers the cluster version to the target; the storage version follows.
    assert.deepEqual(await versionsUntil(m, (v) => v.storage === '3.5.0'), { etcdserver: '3.6.14', etcdcluster: '3.5.0', storage: '3.5.0' });
    assert.equal((await c.call('Maintenance', 'Status')).storageVersion, '3.5.0');
    // While the job runs, every validation answers that one is in progress.
    assert.deepEqual(await failure(dg('VALIDATE', '3.4')), [grpc.status.FAILED_PRECONDITION, 'etcdserver: cluster has a downgrade job in progress']);

    assert.equal((await dg('CANCEL')).version, '3.5');
    assert.deepEqual((await c.call('Maintenance', 'Status')).downgradeInfo, {});
    assert.deepEqual(await versionsUntil(m, (v) => v.storage === '3.6.0'), { etcdserver: '3.6.14', etcdcluster: '3.6.0', storage: '3.6.0' });
  });

  test('the JSON gateway binds 3.5+ paths: /v3/maintenance/hashkv, /v3/maintenance/downgrade, /v3/auth/status', async () => {
    const post = async (path: string, body: unknown) => {
      const r = await fetch(`${m.endpoint}${path}`, { method: 'POST', body: JSON.stringify(body), signal: AbortSignal.timeout(5000) });
      return [r.status, await r.json()] as const;
    };
    const [hs, hkv] = await post('/v3/maintenance/hashkv', {});
    assert.equal(hs, 200);
    assert.ok('hash_revision' in hkv && 'compact_revision' in hkv);
    const [ds, d] = await post('/v3/maintenance/downgrade', { action: 'VALIDATE', version: '3.5' });
    assert.deepEqual([ds, d.version], [200, '3.6']);
    const [as, a] = await post('/v3/auth/status', {});
    assert.equal(as, 200);
    assert.ok('header' in a);
  });
});

describe('behaving as etcd 3.4.23', { concurrency: false }, () => {
  let m: Member;
  let c: ReturnType<typeof caller>;
  before(async () => {
    m = await startMember('etcd-ts', { release: '3.4.23' });
    c = caller(m);
  });
  after(async () => {
    c?.close();
    await m?.close();
  });

  test('Status without the 3.6 fields, HashKV without hash_revision, Alarm without a header, 3.4 versions', async () => {
    const s = await c.call('Maintenance', 'Status');
    assert.equal(s.version, '3.4.23');
    for (const f of ['storageVersion', 'dbSizeQuota', 'downgradeInfo']) assert.equal(f in s, false, f);
    assert.equal('hashRevision' in (await c.call('Maintenance', 'HashKV', { revision: 0 })), false);
    assert.equal('header' in (await c.call('Maintenance', 'Alarm', { action: 'GET' })), false);
    assert.deepEqual(await versions(m), { etcdserver: '3.4.23', etcdcluster: '3.4.0' });
  });

  test('a sort order outside the enum is answered in key order, unsorted, with the limit applied; a sort target outside it is refused', async () => {
    await putSortKeys(c);
    // etcd 3.4.23's answers over its gateway to the same requests (its gRPC path has the same checks).
    assert.deepEqual(await sortedRange(c, { sortOrder: 5 }), [['a', 'b', 'c'], false]);
    assert.deepEqual(await sortedRange(c, { sortOrder: 5, sortTarget: 2, limit: 2 }), [['a', 'b'], true]);
    assert.deepEqual(await sortedRange(c, { sortOrder: -1, sortTarget: 1 }), [['a', 'b', 'c'], false]);
    // NONE with a target other than KEY sorts ascending, as always.
    assert.deepEqual(await sortedRange(c, { sortOrder: 0, sortTarget: 2, limit: 1 }), [['b'], true]);
    // etcd 3.4.23 panics on this one, taking the member down; etcd-ts refuses it as 3.5+ do.
    assert.deepEqual(await sortedRange(c, { sortOrder: 1, sortTarget: 9 }), [grpc.status.INVALID_ARGUMENT, 'etcdserver: invalid sort option']);
  });

  test('Downgrade and AuthStatus are unknown methods; the 3.5+ gateway paths are not bound', async () => {
    assert.deepEqual(await failure(c.call('Maintenance', 'Downgrade', { action: 'VALIDATE', version: '3.3' })), [grpc.status.UNIMPLEMENTED, 'unknown method Downgrade for service etcdserverpb.Maintenance']);
    assert.deepEqual(await failure(c.call('Auth', 'AuthStatus')), [grpc.status.UNIMPLEMENTED, 'unknown method AuthStatus for service etcdserverpb.Auth']);
    for (const path of ['/v3/maintenance/hashkv', '/v3/maintenance/downgrade', '/v3/auth/status']) {
      const r = await fetch(`${m.endpoint}${path}`, { method: 'POST', body: '{}', signal: AbortSignal.timeout(5000) });
      assert.equal(r.status, 404, path);
      await r.arrayBuffer();
    }
  });
});

test('a data dir whose cluster version is 3.6 does not start as etcd 3.4.23 (MustDetectDowngrade), and starts again as 3.6.14', async () => {
  const m = await startMember('etcd-ts');
  try {
    await m.stop();
    const { spawnSync } = await import('node:child_process');
    const { ETCD_TS_ENTRY, memberFlags } = await import('../helpers/index.js');
    const r = spawnSync(process.execPath, [ETCD_TS_ENTRY, ...memberFlags('n1', m.dataDir, m.clientPort, m.peerPort), '--emulated-etcd-version', '3.4.23'], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /"msg":"invalid downgrade; server version is lower than determined cluster version","current-server-version":"3\.4\.23","determined-cluster-version":"3\.6"/);
    await m.restart();
    assert.equal((await versions(m)).etcdcluster, '3.6.0');
  } finally {
    await m.close();
  }
});
