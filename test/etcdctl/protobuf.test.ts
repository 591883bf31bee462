// -w protobuf, byte for byte: every command etcdctl 3.4 prints as protobuf (and the
// ones it refuses to), through the real etcdctl against etcd, etcdctl-ts against
// etcd and etcdctl-ts against etcd-ts. The three members are started with the same
// advertised peer URL, so their member and cluster IDs are equal and the marshaled
// responses must be identical bytes, headers included.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { Client } from '../../src/client/index.js';
import { codec } from '../../src/pb/codec.js';
import { ETCDCTL_BIN, etcdctl, normalizeStderr, startMembers, type EtcdctlResult, type Member } from '../helpers/index.js';
import { ETCDCTL_TS, etcdctlTs } from './run.js';

interface Side {
  name: string;
  ctl: 'etcdctl' | 'etcdctl-ts';
  member: Member;
  client: Client;
}

let sides: Side[];

before(async () => {
  const same = { name: 'pb', extraArgs: ['--initial-advertise-peer-urls', 'http://127.0.0.1:1', '--initial-cluster', 'pb=http://127.0.0.1:1'] };
  const ms = await startMembers([['etcd', same], ['etcd', same], ['etcd-ts', same]]);
  const names = ['etcdctl → etcd', 'etcdctl-ts → etcd', 'etcdctl-ts → etcd-ts'];
  sides = ms.map((member, i) => ({ name: names[i]!, ctl: i === 0 ? 'etcdctl' : 'etcdctl-ts', member, client: new Client({ endpoints: [member.endpoint] }) }));
});
after(async () => {
  await Promise.all(sides?.map((s) => s.client.close()) ?? []);
  await Promise.all(sides?.map((s) => s.member.close()) ?? []);
});

/** The member's own URLs differ only in their ports: masked with as many digits, so lengths stay. */
function maskPorts(b: Buffer, m: Member): Buffer {
  const text = b.toString('latin1').replace(new RegExp(`127\\.0\\.0\\.1:(${m.clientPort}|${m.peerPort})`, 'g'), (_, p: string) => `127.0.0.1:${'P'.repeat(p.length)}`);
  return Buffer.from(text, 'latin1');
}

const run = (s: Side, args: string[], stdin?: string): Promise<EtcdctlResult> => (s.ctl === 'etcdctl' ? etcdctl(s.member, args, { stdin }) : etcdctlTs(s.member, args, { stdin }));

/** Runs `args` on every side; stdout bytes, stderr and exit code must equal the reference's. Returns the reference's. */
async function same(args: string[] | ((s: Side) => string[]), stdin?: string): Promise<EtcdctlResult> {
  const argsOf = (s: Side) => (typeof args === 'function' ? args(s) : args);
  const results = await Promise.all(sides.map((s) => run(s, argsOf(s), stdin)));
  const view = (r: EtcdctlResult, s: Side) => ({ stdout: maskPorts(r.stdoutBytes, s.member).toString('hex'), stderr: normalizeStderr(r.stderr, s.member), code: r.code });
  const ref = view(results[0]!, sides[0]!);
  results.forEach((r, i) => assert.deepEqual(view(r, sides[i]!), ref, `${sides[i]!.name}: etcdctl ${argsOf(sides[i]!).join(' ')}`));
  return results[0]!;
}

const PB = ['-w', 'protobuf'];

/** A long-running command's stdout bytes once it has been quiet for a while, then SIGINT. */
function streamBytes(s: Side, args: string[], quietMs = 700, boundMs = 20_000): Promise<Buffer> {
  const [file, pre] = s.ctl === 'etcdctl' ? [ETCDCTL_BIN, []] : [process.execPath, [ETCDCTL_TS]];
  return new Promise((resolve, reject) => {
    const child = spawn(file, [...pre, `--endpoints=${s.member.endpoint}`, ...args], { env: { ...process.env, ETCDCTL_API: '3' }, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let quiet: NodeJS.Timeout | undefined;
    const bound = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${s.name}: ${args.join(' ')} printed nothing`));
    }, boundMs);
    child.stdout.on('data', (c: Buffer) => {
      out.push(c);
      clearTimeout(quiet);
      quiet = setTimeout(() => child.kill('SIGINT'), quietMs);
    });
    child.on('close', () => {
      clearTimeout(bound);
      clearTimeout(quiet);
      resolve(Buffer.concat(out));
    });
  });
}

describe('-w protobuf matches etcdctl 3.4 byte for byte', { concurrency: false }, () => {
  test('put, get, del and txn print their responses', async () => {
    const put = await same(['put', 'k', 'v1', ...PB]);
    assert.equal(codec<any>('etcdserverpb.PutResponse').decode(put.stdoutBytes).header.revision, 2);
    const prev = await same(['put', 'k', 'v2', '--prev-kv', ...PB]);
    assert.equal(Buffer.from(codec<any>('etcdserverpb.PutResponse').decode(prev.stdoutBytes).prevKv.value).toString(), 'v1');
    const got = await same(['get', 'k', ...PB]);
    assert.equal(Buffer.from(codec<any>('etcdserverpb.RangeResponse').decode(got.stdoutBytes).kvs[0].value).toString(), 'v2');
    await same(['get', '', '--from-key', '--keys-only', ...PB]);
    await same(['get', 'nothing', ...PB]);
    await same(['get', 'k', '--rev', '2', '--hex', ...PB]);
    const txn = await same(['txn', ...PB], 'val("k") = "v2"\n\nput k v3\nget k\n\ndel nothing\n\n');
    assert.equal(codec<any>('etcdserverpb.TxnResponse').decode(txn.stdoutBytes).responses.length, 2);
    await same(['put', 'd', 'x']);
    const del = await same(['del', 'd', '--prev-kv', ...PB]);
    assert.equal(codec<any>('etcdserverpb.DeleteRangeResponse').decode(del.stdoutBytes).deleted, 1);
  });

  test('watch prints each response, a compacted watch its canceled response', async () => {
    const replays = await Promise.all(sides.map((s) => streamBytes(s, ['watch', 'k', '--rev', '1', ...PB])));
    for (const r of replays.slice(1)) assert.equal(r.toString('hex'), replays[0]!.toString('hex'));
    assert.equal(codec<any>('etcdserverpb.WatchResponse').decode(replays[0]!).events.length, 3);
    await same(['compaction', '3', ...PB]);
    const canceled = await same(['watch', 'k', '--rev', '1', ...PB]);
    assert.equal(canceled.code, 5);
    const w = codec<any>('etcdserverpb.WatchResponse').decode(canceled.stdoutBytes);
    assert.equal(w.canceled, true);
    assert.equal(w.compactRevision, 3);
  });

  test('lease responses print only their header; lease revoke refuses with its %v', async () => {
    const grant = await same(['lease', 'grant', '100', ...PB]);
    assert.ok(codec<any>('etcdserverpb.ResponseHeader').decode(grant.stdoutBytes).revision > 0);
    const ids = new Map<string, string>();
    for (const s of sides) ids.set(s.name, (await s.client.lease.leases()).leases[0]!.ID.toString(16));
    const id = (s: Side) => ids.get(s.name)!;
    await same(['lease', 'list', ...PB]);
    await same((s) => ['lease', 'timetolive', id(s), '--keys', ...PB]);
    await same((s) => ['lease', 'keep-alive', '--once', id(s), ...PB]);
    const revoke = await same((s) => ['lease', 'revoke', id(s), ...PB]);
    assert.equal(revoke.code, 4);
    assert.match(revoke.stderr, /^Error: marshal unsupported for type clientv3.LeaseRevokeResponse \(\{cluster_id:\d+ member_id:\d+ revision:\d+ raft_term:\d+ \}\)\n$/);
  });

  test('users, roles and permissions print their responses', async () => {
    for (const args of [
      ['user', 'add', 'u:p'],
      ['user', 'get', 'u'],
      ['user', 'list'],
      ['role', 'add', 'r'],
      ['role', 'grant-permission', 'r', 'readwrite', 'a', 'b'],
      ['role', 'grant-permission', 'r', 'read', 'p', '--prefix'],
      ['role', 'get', 'r'],
      ['role', 'list'],
      ['user', 'grant-role', 'u', 'r'],
      ['user', 'get', 'u', '--detail'],
      ['user', 'revoke-role', 'u', 'r'],
      ['role', 'revoke-permission', 'r', 'a', 'b'],
      ['user', 'delete', 'u'],
      ['role', 'delete', 'r'],
    ]) {
      const r = await same([...args, ...PB]);
      assert.equal(r.code, 0, args.join(' '));
    }
    const missing = await same(['user', 'passwd', 'nobody', '--interactive=false', ...PB], 'pw\n');
    assert.equal(missing.code, 1);
  });

  test('cluster and maintenance commands: member list and alarms print, the others refuse', async () => {
    const members = await same(['member', 'list', ...PB]);
    assert.equal(codec<any>('etcdserverpb.MemberListResponse').decode(members.stdoutBytes).members[0].name, 'pb');
    await same(['alarm', 'list', ...PB]);
    await same(['alarm', 'disarm', ...PB]);
    for (const args of [['endpoint', 'status'], ['endpoint', 'health'], ['endpoint', 'hashkv']]) {
      const r = await same([...args, ...PB]);
      assert.deepEqual([r.code, r.stderr], [4, 'Error: protobuf not supported as output format\n'], args.join(' '));
    }
  });
});
