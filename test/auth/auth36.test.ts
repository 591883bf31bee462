// With auth enabled, what etcd 3.6.14 checks beyond etcd 3.4.23, by default and behaving as
// 3.4.23. Written from etcd 3.6.14's server/etcdserver/api/v3rpc/maintenance.go
// (authMaintenanceServer: root for Defragment, Snapshot, Hash, HashKV, MoveLeader, Downgrade
// and alarm changes; a user for Status and listing alarms), v3rpc/key.go (Compact for root),
// server/etcdserver/server.go MemberList and v3_server.go (requireAuthInfo on lease grants,
// revokes, time-to-live; checkLeaseLeases; checkLeaseRenew), and tests/common/
// maintenance_auth_test.go (no auth and a plain user refused, root accepted).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { fileURLToPath } from 'node:url';
import { startMember, type Member, type Msg } from '../helpers/index.js';

const protoRoot = fileURLToPath(new URL('../../../proto', import.meta.url));
const pb = (grpc.loadPackageDefinition(protoLoader.loadSync('etcdserverpb/rpc.proto', { includeDirs: [protoRoot], longs: String, bytes: Buffer, enums: String, defaults: true, oneofs: true })) as any).etcdserverpb;

interface Auth {
  call(service: string, method: string, req?: Msg, token?: string): Promise<Msg>;
  keepAlive(id: string, token?: string): Promise<Msg>;
  root: string;
  alice: string;
  lease: string;
  close(): void;
}

async function setUp(m: Member): Promise<Auth> {
  const addr = m.endpoint.replace(/^http:\/\//, '');
  const clients = new Map<string, any>();
  const call = (service: string, method: string, req: Msg = {}, token?: string): Promise<Msg> => {
    let c = clients.get(service);
    if (!c) clients.set(service, (c = new pb[service](addr, grpc.credentials.createInsecure())));
    const md = new grpc.Metadata();
    if (token) md.set('token', token);
    return new Promise((resolve, reject) => c[method](req, md, { deadline: Date.now() + 10_000 }, (e: grpc.ServiceError | null, r: Msg) => (e ? reject(e) : resolve(r))));
  };
  const keepAlive = (id: string, token?: string): Promise<Msg> => {
    let c = clients.get('Lease');
    if (!c) clients.set('Lease', (c = new pb.Lease(addr, grpc.credentials.createInsecure())));
    const md = new grpc.Metadata();
    if (token) md.set('token', token);
    const s = c.LeaseKeepAlive(md);
    return new Promise<Msg>((resolve, reject) => {
      s.on('data', (r: Msg) => resolve(r));
      s.on('error', reject);
      s.write({ ID: id });
    }).finally(() => s.cancel());
  };
  // root, and alice who may read and write "a" only; a lease holding "secret".
  const lease = String((await call('Lease', 'LeaseGrant', { TTL: 600 })).ID);
  await call('KV', 'Put', { key: Buffer.from('secret'), value: Buffer.from('s'), lease });
  for (const [name, password] of [['root', 'rootpw'], ['alice', 'alicepw']]) await call('Auth', 'UserAdd', { name, password });
  await call('Auth', 'UserGrantRole', { user: 'root', role: 'root' });
  await call('Auth', 'RoleAdd', { name: 'a-only' });
  await call('Auth', 'RoleGrantPermission', { name: 'a-only', perm: { permType: 'READWRITE', key: Buffer.from('a'), rangeEnd: Buffer.alloc(0) } });
  await call('Auth', 'UserGrantRole', { user: 'alice', role: 'a-only' });
  await call('Auth', 'AuthEnable');
  const root = (await call('Auth', 'Authenticate', { name: 'root', password: 'rootpw' })).token;
  const alice = (await call('Auth', 'Authenticate', { name: 'alice', password: 'alicepw' })).token;
  return { call, keepAlive, root, alice, lease, close: () => clients.forEach((c) => c.close()) };
}

const outcome = (p: Promise<unknown>) => p.then(() => 'ok', (e: grpc.ServiceError) => `${grpc.status[e.code]}: ${e.details}`);
const USER_EMPTY = 'INVALID_ARGUMENT: etcdserver: user name is empty';
const DENIED = 'PERMISSION_DENIED: etcdserver: permission denied';

describe('auth as etcd 3.6.14 (default)', { concurrency: false }, () => {
  let m: Member;
  let a: Auth;
  before(async () => {
    m = await startMember('etcd-ts');
    a = await setUp(m);
  });
  after(async () => {
    a?.close();
    await m?.close();
  });

  test('Status, MemberList and listing alarms need a user; changing alarms, hashes, defragment and Compact need root', async () => {
    const cases: Array<[string, string, Msg, string, string, string]> = [
      // service, method, request, without a token, as alice, as root
      ['Maintenance', 'Status', {}, USER_EMPTY, 'ok', 'ok'],
      ['Cluster', 'MemberList', {}, USER_EMPTY, 'ok', 'ok'],
      ['Maintenance', 'Alarm', { action: 'GET' }, USER_EMPTY, 'ok', 'ok'],
      ['Maintenance', 'Alarm', { action: 'DEACTIVATE', alarm: 'NOSPACE' }, USER_EMPTY, DENIED, 'ok'],
      ['Maintenance', 'HashKV', {}, USER_EMPTY, DENIED, 'ok'],
      ['Maintenance', 'Hash', {}, USER_EMPTY, DENIED, 'ok'],
      ['Maintenance', 'Defragment', {}, USER_EMPTY, DENIED, 'ok'],
      ['Maintenance', 'Downgrade', { action: 'VALIDATE', version: '3.5' }, USER_EMPTY, DENIED, 'ok'],
      ['KV', 'Compact', { revision: 1 }, USER_EMPTY, DENIED, 'ok'],
    ];
    for (const [service, method, req, none, alice, root] of cases) {
      const got = [await outcome(a.call(service, method, req)), await outcome(a.call(service, method, req, a.alice)), await outcome(a.call(service, method, req, a.root))];
      assert.deepEqual(got, [none, alice, root], `${service}.${method} ${JSON.stringify(req)}`);
    }
  });

  test("leases: a user to grant; only keys the caller may read or write to see or renew a lease's", async () => {
    assert.equal(await outcome(a.call('Lease', 'LeaseGrant', { TTL: 60 })), USER_EMPTY);
    assert.equal(await outcome(a.call('Lease', 'LeaseGrant', { TTL: 60 }, a.alice)), 'ok');
    assert.equal(await outcome(a.call('Lease', 'LeaseTimeToLive', { ID: a.lease, keys: true }, a.alice)), DENIED);
    assert.equal(await outcome(a.call('Lease', 'LeaseTimeToLive', { ID: a.lease, keys: true }, a.root)), 'ok');
    assert.equal(await outcome(a.call('Lease', 'LeaseLeases', {}, a.alice)), DENIED);
    assert.equal(await outcome(a.call('Lease', 'LeaseLeases', {}, a.root)), 'ok');
    assert.equal(await outcome(a.keepAlive(a.lease, a.alice)), DENIED);
    assert.equal(await outcome(a.keepAlive(a.lease)), USER_EMPTY);
    assert.equal((await a.keepAlive(a.lease, a.root)).TTL, '600');
  });
});

describe('auth as etcd 3.4.23', { concurrency: false }, () => {
  let m: Member;
  let a: Auth;
  before(async () => {
    m = await startMember('etcd-ts', { release: '3.4.23' });
    a = await setUp(m);
  });
  after(async () => {
    a?.close();
    await m?.close();
  });

  test('Status, MemberList, alarms and Compact answer anyone; hashes and defragment refuse with the auth store\'s own error', async () => {
    assert.equal(await outcome(a.call('Maintenance', 'Status')), 'ok');
    assert.equal(await outcome(a.call('Cluster', 'MemberList')), 'ok');
    assert.equal(await outcome(a.call('Maintenance', 'Alarm', { action: 'GET' })), 'ok');
    assert.equal(await outcome(a.call('KV', 'Compact', { revision: 1 }, a.alice)), 'ok');
    assert.equal(await outcome(a.call('Maintenance', 'HashKV', {}, a.alice)), 'UNKNOWN: auth: permission denied');
    assert.equal(await outcome(a.call('Lease', 'LeaseLeases', {}, a.alice)), 'ok');
    assert.equal((await a.keepAlive(a.lease, a.alice)).TTL, '600');
  });
});
