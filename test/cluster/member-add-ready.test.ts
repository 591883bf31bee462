// `member add` on a cluster that has just started, side by side with etcd 3.4.23: once the
// members have been linked for etcd's HealthInterval, a new member is added through any
// member, the leader or a follower, also with auth enabled and with client and peer TLS;
// and a voter that was added but never started makes the next voter add fail as etcd does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { startCluster, type Cluster, type StartClusterOptions } from '../helpers/cluster.js';
import { etcdctl, type EtcdctlResult } from '../helpers/etcdctl.js';
import { freePort } from '../helpers/ports.js';
import { startMember, ETCD_BIN } from '../helpers/member.js';
import { tmpDir } from '../helpers/tmp.js';
import { makePki } from '../auth/certs.js';

const skip = existsSync(ETCD_BIN) ? false : `${ETCD_BIN} is not installed`;
const KINDS = ['etcd', 'etcd-ts'] as const;

/** etcdctl prints the ids with %16x: an id below 2^60 is padded with spaces. */
function maskIds(line: string): string {
  return line.replace(/Member +[0-9a-f]+ added to cluster +[0-9a-f]+/, 'Member ID added to cluster ID');
}

/**
 * "Member <id> added to cluster <id>" and the env lines etcdctl prints, with ids and ports
 * masked; the initial cluster lists members in ID order, so its entries are sorted.
 */
function addedShape(r: EtcdctlResult): string {
  const masked = maskIds(r.stdout).replace(/127\.0\.0\.1:\d+/g, 'ADDR');
  return `${r.code} ${masked.replace(/ETCD_INITIAL_CLUSTER="([^"]*)"/, (_m, list: string) => `ETCD_INITIAL_CLUSTER="${list.split(',').sort().join(',')}"`)}`;
}

async function addThroughFollower(c: Cluster, tlsArgs: string[], authArgs: string[]): Promise<EtcdctlResult> {
  const peer = `https://127.0.0.1:${await freePort()}`;
  // A member that is not the leader (etcd answers the same through any member).
  const st = await etcdctl(c.endpoints(), [...tlsArgs, ...authArgs, 'endpoint', 'status', '-w', 'json']);
  const rows = JSON.parse(st.stdout) as Array<{ Endpoint: string; Status: { leader: number; header: { member_id: number } } }>;
  const follower = rows.find((r) => r.Status.leader !== r.Status.header.member_id)!.Endpoint;
  return etcdctl(follower, [...tlsArgs, ...authArgs, 'member', 'add', 'newmember', `--peer-urls=${peer}`]);
}

for (const variant of ['plain', 'auth', 'tls'] as const) {
  test(`member add right after a 3-member cluster is ready (${variant}): added through a follower, as etcd`, { skip, timeout: 120_000 }, async (t) => {
    const dir = tmpDir(`member-add-${variant}`);
    t.after(() => dir.cleanup());
    const pki = variant === 'tls' ? makePki(dir.path) : undefined;
    const serverTls = pki ? ['--cert-file', pki.server.cert, '--key-file', pki.server.key, '--trusted-ca-file', pki.ca, '--client-cert-auth'] : [];
    const peerTls = pki ? ['--peer-cert-file', pki.peer.cert, '--peer-key-file', pki.peer.key, '--peer-trusted-ca-file', pki.ca, '--peer-client-cert-auth'] : [];
    const clientTls = pki ? ['--cacert', pki.ca, '--cert', pki.healthcheck.cert, '--key', pki.healthcheck.key] : [];
    const opts: StartClusterOptions = pki ? { peerScheme: 'https', clientScheme: 'https', extraArgs: [...serverTls, ...peerTls] } : {};
    const shapes: Record<string, string> = {};
    for (const kind of KINDS) {
      const c = await startCluster(3, { ...opts, kind });
      try {
        let authArgs: string[] = [];
        if (variant === 'auth') {
          // The first writes of a just-started etcd-ts cluster can take seconds (see the report); the setup waits for them.
          for (const args of [['user', 'add', 'root:rootpw'], ['auth', 'enable']]) {
            const r = await etcdctl(c.endpoints(), ['--command-timeout=15s', ...args], { timeoutMs: 20_000 });
            assert.equal(r.code, 0, `${kind}: etcdctl ${args.join(' ')}: ${r.stderr}`);
          }
          authArgs = ['--user', 'root:rootpw'];
          const refused = await etcdctl(c.endpoints(), ['member', 'add', 'x', '--peer-urls=http://127.0.0.1:1']);
          assert.match(refused.stderr, /user name is empty|permission denied/, `${kind}: no user, no member add`);
        }
        await c.linkedForReconfig();
        const r = await addThroughFollower(c, clientTls, authArgs);
        assert.equal(r.code, 0, `${kind}: ${r.stderr}`);
        assert.match(r.stdout, /^Member +[0-9a-f]+ added to cluster +[0-9a-f]+\n/);
        shapes[kind] = addedShape(r);
        const list = await etcdctl(c.endpoints(), [...clientTls, ...authArgs, 'member', 'list']);
        assert.match(list.stdout, /, unstarted, , https:\/\/127\.0\.0\.1:\d+, , false\n/, `${kind}: the new member is listed, unstarted`);
      } finally {
        await c.close();
      }
    }
    assert.equal(shapes['etcd-ts'], shapes.etcd);
  });
}

test('a voter added but never started: the next voter add is refused with "not enough started members", a learner add with "unhealthy cluster", as etcd', { skip, timeout: 60_000 }, async () => {
  const out: Record<string, string[]> = {};
  for (const kind of KINDS) {
    const m = await startMember(kind);
    try {
      const results: string[] = [];
      for (const args of [
        ['member', 'add', 'm2', `--peer-urls=http://127.0.0.1:${await freePort()}`],
        ['member', 'add', 'm3', `--peer-urls=http://127.0.0.1:${await freePort()}`],
        ['member', 'add', 'm4', '--learner', `--peer-urls=http://127.0.0.1:${await freePort()}`],
      ]) {
        const r = await etcdctl(m, args, { timeoutMs: 10_000 });
        results.push(`${r.code} ${maskIds(r.stdout.split('\n')[0]!)} ${r.stderr.split('\n').filter((l) => l.startsWith('Error:')).join('')}`);
      }
      out[kind] = results;
    } finally {
      await m.close();
    }
  }
  assert.deepEqual(out.etcd, [
    '0 Member ID added to cluster ID ',
    '1  Error: etcdserver: re-configuration failed due to not enough started members',
    '1  Error: etcdserver: unhealthy cluster',
  ]);
  assert.deepEqual(out['etcd-ts'], out.etcd);
});
