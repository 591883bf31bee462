// Peer traffic over mutual TLS: three members with https peer URLs and
// --peer-client-cert-auth elect a leader and replicate; a member whose peer
// certificate comes from another CA is refused by the others and cannot join; --peer-auto-tls members talk over self-signed certificates.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { startCluster } from '../helpers/cluster.js';
import { etcdctl } from '../helpers/etcdctl.js';
import { tmpDir } from '../helpers/tmp.js';
import { makePki } from '../auth/certs.js';

test('https peer URLs with client-cert auth: leader, replication, foreign-CA member refused', { timeout: 40_000 }, async (t) => {
  const dir = tmpDir('peer-pki');
  t.after(() => dir.cleanup());
  const pki = makePki(dir.path);
  const peerTlsArgs = (cert: { cert: string; key: string }) => [
    '--peer-cert-file', cert.cert, '--peer-key-file', cert.key,
    '--peer-trusted-ca-file', pki.ca, '--peer-client-cert-auth', '--peer-cert-allowed-cn', 'etcd-peer',
  ];
  const c = await startCluster(3, { peerScheme: 'https', extraArgs: peerTlsArgs(pki.peer) });
  t.after(() => c.close());
  for (const m of c.members) assert.match(m.peerUrl, /^https:\/\//);

  const st = await etcdctl(c.endpoints(), ['endpoint', 'status', '-w', 'json']);
  assert.equal(st.code, 0, st.stderr);
  const status = JSON.parse(st.stdout) as Array<{ Status: { leader: number; header: { member_id: number } } }>;
  assert.equal(status.length, 3);
  const leaders = new Set(status.map((s) => s.Status.leader));
  assert.equal(leaders.size, 1, 'all members agree on one leader');
  assert.ok(status.some((s) => s.Status.leader === s.Status.header.member_id), 'the leader is a member');

  const put = await etcdctl(c.members[0]!.endpoint, ['put', 'over-tls', 'yes']);
  assert.equal(put.code, 0, put.stderr);
  const got = await etcdctl(c.members[2]!.endpoint, ['get', 'over-tls']);
  assert.equal(got.stdout, 'over-tls\nyes\n');

  // A member added by the cluster but holding a certificate from another CA: it trusts
  // our CA, yet every member refuses its certificate, so it never learns the cluster.
  const stranger = await c.newMember('m4', '');
  await c.linkedForReconfig();
  // "no leader" (an election on a starved machine) means nothing was proposed: try again, as an operator would.
  const addLearner = () => etcdctl(c.endpoints(), ['member', 'add', 'm4', `--peer-urls=${stranger.peerUrl}`, '--learner']);
  let add = await addLearner();
  for (let attempt = 1; attempt < 5 && add.code !== 0 && /etcdserver: no leader/.test(add.stderr); attempt++) {
    await new Promise((r) => setTimeout(r, 1000));
    add = await addLearner();
  }
  assert.equal(add.code, 0, add.stderr);
  const printed = /ETCD_INITIAL_CLUSTER="([^"]+)"/.exec(add.stdout)![1]!;
  stranger.opts = { ...stranger.opts, initialCluster: printed, extraArgs: [...(stranger.opts.extraArgs ?? []), ...peerTlsArgs(pki.stranger)] };
  stranger.spawn();
  const deadline = Date.now() + 10_000;
  while (stranger.running && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  assert.equal(stranger.running, false, `foreign-CA member still running:\n${stranger.logs()}`);
  assert.match(stranger.logs(), /could not retrieve cluster information/);
  // etcd's words for a refused TLS handshake (embed/config_logging.go), which operators' alerts match.
  assert.ok(c.members.some((m) => /"msg":"rejected connection"/.test(m.logs())), 'the cluster logged the refused handshake');

  const list = await etcdctl(c.endpoints(), ['member', 'list']);
  assert.match(list.stdout, new RegExp(`, unstarted, , ${stranger.peerUrl.replace(/[.]/g, '\\.')}, , true`));
  const after = await etcdctl(c.members[1]!.endpoint, ['put', 'still-serving', 'yes']);
  assert.equal(after.code, 0, after.stderr);
});

test('--peer-auto-tls: self-signed peer certificates under <data-dir>/fixtures/peer, peers not verified', { timeout: 30_000 }, async (t) => {
  const c = await startCluster(3, { peerScheme: 'https', extraArgs: ['--peer-auto-tls'] });
  t.after(() => c.close());
  for (const m of c.members) {
    assert.ok(existsSync(join(m.dataDir, 'fixtures', 'peer', 'cert.pem')), `${m.name} has its self-signed peer certificate`);
  }
  const put = await etcdctl(c.members[1]!.endpoint, ['put', 'auto-tls', 'v']);
  assert.equal(put.code, 0, put.stderr);
  const got = await etcdctl(c.members[0]!.endpoint, ['get', 'auto-tls']);
  assert.equal(got.stdout, 'auto-tls\nv\n');
});
