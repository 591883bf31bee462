// Peer TLS refusals logged in etcd's words, which operators' alerts match: three members
// with --peer-cert-allowed-cn (or --peer-cert-allowed-hostname), the third holding a
// certificate that fails the check. Side by side with etcd 3.4.23: the two accepted
// members form their cluster meanwhile and log "rejected connection" with "client
// certificate authentication failed" (and their probers the same error); the refused
// member logs "remote error: tls: bad certificate" for what the others answer it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { ClusterMember } from '../helpers/cluster.js';
import { etcdctl } from '../helpers/etcdctl.js';
import { freePort } from '../helpers/ports.js';
import { tmpDir } from '../helpers/tmp.js';
import { ETCD_BIN } from '../helpers/member.js';
import { makePki, type Pki } from '../auth/certs.js';

const skip = existsSync(ETCD_BIN) ? false : `${ETCD_BIN} is not installed`;
type Kind = 'etcd' | 'etcd-ts';

function lines(m: ClusterMember): Array<Record<string, unknown>> {
  return m
    .logs()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** The fields operators match on, without times, addresses and ids. */
function shape(l: Record<string, unknown>): Record<string, unknown> {
  const { ts: _ts, caller: _c, 'remote-addr': _a, 'remote-peer-id': _p, rtt: _r, ...rest } = l;
  return rest;
}

interface Outcome {
  /** "rejected connection" lines of the accepted members, and their probers' warnings, by shape. */
  accepted: Set<string>;
  refused: Set<string>;
}

async function run(pki: Pki, mode: 'cn' | 'hostname', kinds: [Kind, Kind, Kind]): Promise<Outcome> {
  const dir = tmpDir(`peer-refusal-${mode}`);
  const good = pki.custom('good', 'etcd-peer', 'DNS:localhost,IP:127.0.0.1');
  const bad = mode === 'cn' ? pki.custom('bad-cn', 'intruder', 'DNS:localhost,IP:127.0.0.1') : pki.custom('bad-host', 'etcd-peer', 'DNS:elsewhere.example,IP:127.0.0.1');
  const allow = mode === 'cn' ? ['--peer-cert-allowed-cn', 'etcd-peer'] : ['--peer-cert-allowed-hostname', 'localhost'];
  const ports: Array<[number, number]> = [];
  for (let i = 0; i < 3; i++) ports.push([await freePort(), await freePort()]);
  const initialCluster = ports.map(([, p], i) => `m${i + 1}=https://127.0.0.1:${p}`).join(',');
  const members = ports.map(([c, p], i) => {
    const cert = i === 2 ? bad : good;
    const args = ['--peer-cert-file', cert.cert, '--peer-key-file', cert.key, '--peer-trusted-ca-file', pki.ca, '--peer-client-cert-auth', ...allow, '--logger', 'zap'];
    return new ClusterMember(`m${i + 1}`, c, p, dir.path, { name: `m${i + 1}`, initialCluster, state: 'new', extraArgs: args, peerScheme: 'https', kind: kinds[i] });
  });
  try {
    for (const m of members) m.spawn();
    // The accepted two elect a leader and serve; the refused one never learns the cluster.
    await Promise.all([members[0]!.ready(60_000), members[1]!.ready(60_000)]);
    const put = await etcdctl(members[0]!.endpoint, ['put', 'formed', 'yes']);
    assert.equal(put.code, 0, put.stderr);
    assert.equal((await etcdctl(members[1]!.endpoint, ['get', 'formed', '--print-value-only'])).stdout, 'yes\n');
    // etcd's prober reports an unhealthy peer at most every 5 s, probing every 4 s: a first
    // report (say, of a peer not listening yet) can hold the TLS one back by up to 8 s. Let
    // each side log a round, then wait for every member's report of the TLS refusal.
    await new Promise((r) => setTimeout(r, 7000));
    const reportsTls = (m: ClusterMember) =>
      lines(m).some((l) => l.msg === 'prober detected unhealthy status' && /certificate/.test(String(l.error)));
    for (const until = Date.now() + 15_000; Date.now() < until && !members.every(reportsTls); ) {
      await new Promise((r) => setTimeout(r, 500));
    }
    assert.ok(members[2]!.running, 'the refused member keeps running, as etcd does');
    const pick = (ms: ClusterMember[]) =>
      new Set(
        ms
          .flatMap(lines)
          .filter((l) => l.msg === 'rejected connection' || l.msg === 'prober detected unhealthy status')
          .map((l) => JSON.stringify(shape(l))),
      );
    return { accepted: pick(members.slice(0, 2)), refused: pick(members.slice(2)) };
  } finally {
    await Promise.all(members.map((m) => m.stop()));
    dir.cleanup();
  }
}

for (const mode of ['cn', 'hostname'] as const) {
  test(`--peer-cert-allowed-${mode === 'cn' ? 'cn' : 'hostname'}: refusals logged in etcd's words while the accepted members form their cluster`, { skip, timeout: 300_000 }, async () => {
    const dir = tmpDir('peer-refusal-pki');
    try {
      const pki = makePki(dir.path);
      const names = mode === 'cn' ? { ip: ['127.0.0.1'], dns: ['localhost'] } : { ip: ['127.0.0.1'], dns: ['elsewhere.example'] };
      const refusal = JSON.stringify({ level: 'warn', msg: 'rejected connection', 'server-name': '', 'ip-addresses': names.ip, 'dns-names': names.dns, error: 'client certificate authentication failed' });
      const prober = JSON.stringify({ level: 'warn', msg: 'prober detected unhealthy status', 'round-tripper-name': 'ROUND_TRIPPER_RAFT_MESSAGE', error: 'client certificate authentication failed' });
      const badCert = JSON.stringify({ level: 'warn', msg: 'rejected connection', 'server-name': '', error: 'remote error: tls: bad certificate' });
      const proberBadCert = JSON.stringify({ level: 'warn', msg: 'prober detected unhealthy status', 'round-tripper-name': 'ROUND_TRIPPER_RAFT_MESSAGE', error: 'remote error: tls: bad certificate' });

      const etcd = await run(pki, mode, ['etcd', 'etcd', 'etcd']);
      for (const l of [refusal, prober]) assert.ok(etcd.accepted.has(l), `etcd's accepted members log ${l}: ${[...etcd.accepted].join('\n')}`);
      for (const l of [badCert, proberBadCert]) assert.ok(etcd.refused.has(l), `etcd's refused member logs ${l}: ${[...etcd.refused].join('\n')}`);

      // etcd-ts as the refusing members: the same lines.
      const ts = await run(pki, mode, ['etcd-ts', 'etcd-ts', 'etcd-ts']);
      for (const l of [refusal, prober]) assert.ok(ts.accepted.has(l), `etcd-ts's accepted members log ${l}: ${[...ts.accepted].join('\n')}`);

      // etcd-ts as the refused member of etcd's members: it reports their TLS alert as etcd does.
      const mixed = await run(pki, mode, ['etcd', 'etcd', 'etcd-ts']);
      for (const l of [badCert, proberBadCert]) assert.ok(mixed.refused.has(l), `etcd-ts refused by etcd logs ${l}: ${[...mixed.refused].join('\n')}`);
    } finally {
      dir.cleanup();
    }
  });
}
