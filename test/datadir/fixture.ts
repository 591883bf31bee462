// Data dirs written by the real etcd 3.4 for the takeover tests: one member on
// loopback, filled with history (overwrites, deletes, a txn, a compaction), leases with
// keys, users and roles with permissions, and auth on.
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { tmpDir, type TmpDir } from '../helpers/tmp.js';
import { ClusterMember } from '../helpers/cluster.js';
import { etcdctl } from '../helpers/etcdctl.js';
import { freePort } from '../helpers/ports.js';
import { Client } from '../../src/client/index.js';

/** A temporary dir and a start() for members in it; the test's end stops every member started and removes the dir. */
export function testMembers(t: TestContext, prefix: string): { dir: TmpDir; start(m: ClusterMember): Promise<ClusterMember> } {
  const dir = tmpDir(prefix);
  const started: ClusterMember[] = [];
  t.after(async () => {
    for (const m of started) await m.stop();
    dir.cleanup();
  });
  return {
    dir,
    async start(m) {
      started.push(m);
      m.spawn();
      await m.ready(30_000);
      return m;
    },
  };
}

export interface SingleMember {
  member(kind: 'etcd' | 'etcd-ts', extraArgs?: string[]): ClusterMember;
  dataDir: string;
  ports: { client: number; peer: number };
}

/** One member's flags and data dir (<root>/m1.etcd), run as either server in turn; `ports` to reuse another's (its IDs follow its peer URL). */
export async function singleMember(root: string, etcdArgs: string[], ports?: { client: number; peer: number }): Promise<SingleMember> {
  const client = ports?.client ?? (await freePort());
  const peer = ports?.peer ?? (await freePort());
  const initialCluster = `m1=http://127.0.0.1:${peer}`;
  const make = (kind: 'etcd' | 'etcd-ts', extraArgs: string[] = []) =>
    new ClusterMember('m1', client, peer, root, {
      name: 'm1',
      initialCluster,
      state: 'new',
      kind,
      extraArgs: [...etcdArgs, ...(kind === 'etcd-ts' ? ['--emulated-etcd-version', '3.4.23'] : []), ...extraArgs],
    });
  return { member: make, dataDir: make('etcd').dataDir, ports: { client, peer } };
}

async function ctl(endpoint: string, args: string[]): Promise<void> {
  const r = await etcdctl(endpoint, args);
  assert.equal(r.code, 0, `etcdctl ${args.join(' ')}: ${r.stderr}`);
}

/** Writes the history, leases and auth setup every comparison covers; leaves auth enabled (root:rootpw). */
export async function fill(endpoint: string, puts = 150): Promise<void> {
  const c = new Client({ endpoints: [endpoint] });
  try {
    for (let i = 0; i < puts; i++) await c.put(`k/${i % 13}`, `v${i}`);
    await c.delete('k/3');
    await c.delete('k/1', { prefix: true });
    for (let i = 0; i < 20; i++) await c.put(`k/${i % 5}`, `w${i}`);
    const mid = (await c.put('mid', 'x')).header!.revision;
    await c.kv.compact(Number(mid) - 10);
    for (let i = 0; i < 10; i++) await c.put(`after/${i}`, `a${i}`);
    const l1 = (await c.lease.grant(3600)).ID;
    const l2 = (await c.lease.grant(1800)).ID;
    await c.put('leased/1', 'x', { lease: l1 });
    await c.put('leased/2', 'y', { lease: l1 });
    await c.put('leased/3', 'z', { lease: l2 });
  } finally {
    await c.close();
  }
  for (const args of [
    ['user', 'add', 'root:rootpw'],
    ['user', 'add', 'alice:alicepw'],
    ['role', 'add', 'reader'],
    ['role', 'grant-permission', 'reader', 'read', 'k/', '--prefix'],
    ['role', 'add', 'writer'],
    ['role', 'grant-permission', 'writer', 'readwrite', 'after/0', 'after/5'],
    ['user', 'grant-role', 'alice', 'reader'],
    ['user', 'grant-role', 'alice', 'writer'],
    ['auth', 'enable'],
  ]) {
    await ctl(endpoint, args);
  }
}
