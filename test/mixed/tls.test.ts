// etcd's peer protocol over mutual TLS between real etcd and etcd-ts members: https
// peer URLs, --peer-client-cert-auth and an allowed CN. An etcd-ts learner joins a real
// etcd member from its snapshot, is promoted, takes and hands back leadership; a real
// etcd learner joins from an etcd-ts leader's snapshot. A member whose certificate
// comes from another CA is refused by both kinds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MixedCluster } from './harness.js';
import { preload } from './preload.js';
import { converge } from '../chaos/verify.js';
import { makePki } from '../auth/certs.js';
import { etcdctl } from '../helpers/etcdctl.js';
import { freePort } from '../helpers/ports.js';
import { ClusterMember } from '../helpers/cluster.js';
import { tmpDir } from '../helpers/tmp.js';

test('mixed cluster over mutual TLS: snapshots and replication both ways, leadership both ways, a foreign CA refused', { timeout: 300_000 }, async (t) => {
  const pkiDir = tmpDir('mixed-pki');
  t.after(() => pkiDir.cleanup());
  const pki = makePki(pkiDir.path);
  const tlsArgs = (cert: { cert: string; key: string }) => [
    '--peer-cert-file', cert.cert, '--peer-key-file', cert.key,
    '--peer-trusted-ca-file', pki.ca, '--peer-client-cert-auth', '--peer-cert-allowed-cn', 'etcd-peer',
  ];
  const c = await MixedCluster.start(['etcd'], 'e', { snapshotCount: 1000, peerScheme: 'https', extraArgs: tlsArgs(pki.peer) });
  t.after(() => c.close());
  const [e1] = c.members;
  await preload(c.endpoints(), 6500);

  const t1 = await c.addLearner('etcd-ts', 't1');
  await c.caughtUp(t1);
  assert.match(t1.logs(), /received and saved database snapshot/);
  await c.promote(t1);
  await c.moveLeader(t1);
  assert.equal((await c.leader()).name, 't1');

  // A real etcd learner joins while etcd-ts leads: it gets etcd-ts's snapshot over TLS.
  await preload(c.endpoints(), 1500);
  const f1 = await c.addLearner('etcd', 'f1');
  await c.caughtUp(f1);
  assert.match(f1.logs(), /received and saved database snapshot/);
  await c.promote(f1);
  await c.moveLeader(e1!);
  assert.equal((await c.leader()).name, 'e1');
  const { revision } = await converge(c.live(), 30_000);
  assert.ok(revision >= 8000);

  // A member with another CA's certificate: both kinds refuse its handshake.
  const [cp, pp] = [await freePort(), await freePort()];
  const stranger = new ClusterMember('s', cp, pp, c.dir.path, {
    name: 's', initialCluster: `s=https://127.0.0.1:${pp},${e1!.name}=${e1!.peerUrl},t1=${t1.peerUrl}`, state: 'existing', kind: 'etcd-ts', peerScheme: 'https', extraArgs: tlsArgs(pki.stranger),
  });
  stranger.spawn();
  t.after(() => stranger.stop());
  const deadline = Date.now() + 30_000;
  while (stranger.running && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  assert.equal(stranger.running, false, 'a foreign-CA member must not get in');
  assert.match(stranger.logs(), /could not retrieve cluster information/);
  const list = await etcdctl(c.endpoints(), ['member', 'list']);
  assert.doesNotMatch(list.stdout, new RegExp(String(pp)));
});
