// Watches on followers see exactly what watches on the leader see: the same events,
// in the same order, at the same revisions — live, and replayed from history.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster } from '../helpers/cluster.js';
import { Client } from '../../src/client/index.js';

interface Seen {
  type: number;
  key: string;
  value: string;
  modRevision: number;
}

/** Collects `count` events; `created` resolves once the member has registered the watch. */
function watchFrom(client: Client, count: number, startRevision?: number): { created: Promise<void>; events: Promise<Seen[]> } {
  const watcher = client.watch('wf/', { prefix: true, startRevision });
  const created = new Promise<void>((resolve) => watcher.once('created', () => resolve()));
  return { created, events: collect(watcher, count) };
}

async function collect(watcher: ReturnType<Client['watch']>, count: number): Promise<Seen[]> {
  const seen: Seen[] = [];
  const deadline = setTimeout(() => watcher.cancel(), 20_000);
  try {
    for await (const resp of watcher) {
      for (const ev of resp.events) {
        const kv = ev.kv!;
        seen.push({ type: ev.type, key: Buffer.from(kv.key).toString(), value: Buffer.from(kv.value).toString(), modRevision: Number(kv.modRevision) });
      }
      if (seen.length >= count) break;
    }
  } finally {
    clearTimeout(deadline);
    watcher.cancel();
  }
  return seen;
}

test('watches on every member of a 3-member cluster deliver identical streams', { timeout: 90_000 }, async () => {
  const c = await startCluster(3);
  const clients = c.members.map((m) => new Client({ endpoints: [m.endpoint] }));
  try {
    const writes = 60;
    const live = clients.map((cl) => watchFrom(cl, writes));
    // The watches are registered before the writes (a loaded member may take a while).
    await Promise.race([Promise.all(live.map((w) => w.created)), new Promise((r) => setTimeout(r, 20_000))]);
    // Writes through every member: followers forward them to the leader.
    for (let i = 0; i < writes; i++) {
      const via = clients[i % clients.length]!;
      if (i % 10 === 9) await via.delete(`wf/${i - 1}`);
      else await via.put(`wf/${i}`, `v${i}`);
    }
    const streams = await Promise.all(live.map((w) => w.events));
    assert.equal(streams[0]!.length, writes);
    for (const s of streams.slice(1)) assert.deepEqual(s, streams[0]);
    const revs = streams[0]!.map((e) => e.modRevision);
    assert.deepEqual(revs, [...revs].sort((a, b) => a - b), 'events in revision order');

    // The same history replayed from a past revision on each member.
    const from = streams[0]![10]!.modRevision;
    const replays = await Promise.all(clients.map((cl) => watchFrom(cl, writes - 10, from).events));
    for (const r of replays) assert.deepEqual(r, streams[0]!.slice(10));
  } finally {
    await Promise.all(clients.map((cl) => cl.close()));
    await c.close();
  }
});
