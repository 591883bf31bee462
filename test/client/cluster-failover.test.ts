// The client against a 3-member cluster when the member it talks to (a follower) is
// killed with SIGKILL: reads and writes move to a live member, and a watch resumes there from
// the revision after its last event, losing and repeating nothing.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Client, type WatchResponse } from '../../src/index.js';
import { leaderOf, startCluster } from '../helpers/cluster.js';

const text = (b: Uint8Array) => Buffer.from(b).toString();

test('kill -9 of the connected member: the client fails over and its watch resumes', { timeout: 60_000 }, async (t) => {
  const c = await startCluster(3);
  t.after(() => c.close());
  // The client dials its first endpoint: make that a follower, so the kill tests the
  // client's failover and not an election (a put caught by one may time out, as in etcd).
  const leader = await leaderOf(c);
  const victim = c.members.find((m) => m !== leader)!;
  const client = new Client({ endpoints: [victim, ...c.members.filter((m) => m !== victim)].map((m) => m.endpoint), dialTimeoutMs: 2000 });
  t.after(() => client.close());

  const watcher = client.watch('f/', { prefix: true });
  await new Promise((r) => watcher.once('created', r));
  const resumed = new Promise((r) => watcher.once('resumed', r));
  const seen: { key: string; rev: number }[] = [];
  const collect = (async () => {
    for await (const r of watcher as AsyncIterable<WatchResponse>) {
      for (const ev of r.events) seen.push({ key: text(ev.kv.key), rev: ev.kv.modRevision });
      if (seen.length >= 6) return;
    }
  })();
  await client.put('f/1', 'a');
  await client.put('f/2', 'b');
  const deadline = Date.now() + 5000;
  while (seen.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  assert.equal(seen.length, 2);

  // The client's first endpoint is the one it dialled; kill it without warning.
  await victim.kill9();
  // A read is safe to retry, so it moves to a live member by itself. (A put already on
  // the dying connection fails with Unavailable and is not retried: it may have been
  // applied. etcd's client behaves the same.)
  assert.equal(await client.getString('f/2', { timeoutMs: 5000 }), 'b');
  const w3 = await client.put('f/3', 'c', { timeoutMs: 15_000 });
  assert.ok(w3.header!.revision > seen[1]!.rev);
  assert.equal(await client.getString('f/3', { timeoutMs: 5000 }), 'c');
  await client.put('f/4', 'd', { timeoutMs: 5000 });
  await Promise.race([resumed, new Promise((_, rej) => setTimeout(() => rej(new Error('watch did not resume')), 15_000))]);
  await client.put('f/5', 'e', { timeoutMs: 5000 });
  await client.put('f/6', 'f', { timeoutMs: 5000 });
  await Promise.race([collect, new Promise((_, rej) => setTimeout(() => rej(new Error(`only saw ${JSON.stringify(seen)}`)), 10_000))]);
  await watcher.cancel();
  assert.deepEqual(seen.map((s) => s.key), ['f/1', 'f/2', 'f/3', 'f/4', 'f/5', 'f/6']);
  for (let i = 1; i < seen.length; i++) assert.ok(seen[i]!.rev > seen[i - 1]!.rev, 'revisions strictly increase');
});
