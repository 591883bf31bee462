// etcd-ts taking over the data dir of an etcd 3.4.23 member killed with -9 in the middle
// of a write load. etcd's backend commits lazily (here only at its snapshots), so the
// database trails the WAL and the takeover must replay the WAL's tail. The reference is
// the real etcd restarted on a copy of the same dir: both must serve the same thing, and
// every write acknowledged before the kill must be there. And the other state etcd can
// stop in: a leader's snapshot recorded, its database not yet installed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '../../src/client/index.js';
import { dumpMember } from './dump.js';
import { singleMember, testMembers } from './fixture.js';

const WRITERS = 6;
/** Bounds of the load: puts per writer; the kill comes once KILL_AFTER_ACKED writes are acknowledged, or after KILL_BY_MS. */
const MAX_PUTS = 2000;
const KILL_AFTER_ACKED = 400;
const KILL_BY_MS = 8000;

test('etcd-ts takes over an etcd member killed with -9 mid-load: the WAL tail is replayed and nothing acknowledged is lost', async (t) => {
  const { dir, start } = testMembers(t, 'datadir-crash');
  // Snapshots every 300 entries commit the backend; between them only the WAL holds the writes.
  const args = ['--snapshot-count', '300', '--backend-batch-interval', '1h', '--backend-batch-limit', '1000000'];
  const one = await singleMember(join(dir.path, 'taken'), args);
  const etcd = await start(one.member('etcd'));

  const acked = new Map<string, string>();
  const c = new Client({ endpoints: [etcd.endpoint] });
  const lease = (await c.lease.grant(3600)).ID;
  await c.put('leased', 'x', { lease });
  let stop = false;
  const writer = async (w: number) => {
    for (let i = 0; i < MAX_PUTS && !stop; i++) {
      const key = i % 4 === 0 ? `shared/${i % 16}` : `w/${w}/${i}`;
      const value = `${w}-${i}`;
      try {
        await c.put(key, value, { timeoutMs: 2000 });
      } catch {
        return; // the member is gone
      }
      // A shared key's acknowledged value may be overwritten by a later acknowledged put.
      if (!key.startsWith('shared/')) acked.set(key, value);
    }
  };
  const load = Promise.all(Array.from({ length: WRITERS }, (_, w) => writer(w)));
  const deadline = Date.now() + KILL_BY_MS;
  while (Date.now() < deadline && acked.size < KILL_AFTER_ACKED) await new Promise((r) => setTimeout(r, 20));
  await etcd.kill9();
  stop = true;
  await load;
  await c.close();
  assert.ok(acked.size > 100, `only ${acked.size} writes were acknowledged before the kill`);

  // The reference: the real etcd on a copy of the killed member's dir.
  const refRoot = join(dir.path, 'reference');
  cpSync(one.dataDir, join(refRoot, 'm1.etcd'), { recursive: true });

  const ts = await start(one.member('etcd-ts'));
  const replayed = Number(/"wal-entries-to-replay":(\d+)/.exec(ts.logs())?.[1] ?? -1);
  assert.ok(replayed > 0, `the takeover replayed the WAL's tail (${replayed} entries)\n${ts.logs()}`);
  t.diagnostic(`${acked.size} writes acknowledged before the kill; the takeover replayed ${replayed} WAL entries`);
  const taken = await dumpMember(ts.endpoint, false);
  await ts.kill9(); // its dump is taken; the reference needs the ports
  const values = new Map((taken.kvs as Array<{ key: string; value: string }>).map((kv) => [kv.key, kv.value]));
  const lost = [...acked].filter(([k, v]) => values.get(k) !== v);
  assert.deepEqual(lost.slice(0, 5), [], `${lost.length} acknowledged writes missing`);

  const ref = await singleMember(refRoot, args, one.ports);
  const real = await start(ref.member('etcd'));
  assert.deepEqual(taken, await dumpMember(real.endpoint, false));
  await real.stop();
});

test('etcd stopped between recording a leader\'s snapshot and installing its database: the takeover installs <index>.snap.db, as etcd does', async (t) => {
  const { dir, start } = testMembers(t, 'datadir-snap-db');
  const one = await singleMember(join(dir.path, 'taken'), ['--snapshot-count', '30']);
  let etcd = await start(one.member('etcd'));
  const c1 = new Client({ endpoints: [etcd.endpoint] });
  for (let i = 0; i < 20; i++) await c1.put(`s/${i}`, `a${i}`);
  await c1.close();
  await etcd.stop();
  const snapDir = join(one.dataDir, 'member', 'snap');
  const olderDb = readFileSync(join(snapDir, 'db'));
  etcd = await start(one.member('etcd'));
  const c2 = new Client({ endpoints: [etcd.endpoint] });
  for (let i = 0; i < 60; i++) await c2.put(`s/${i % 25}`, `b${i}`);
  await c2.close();
  const newest = readdirSync(snapDir).filter((n) => n.endsWith('.snap')).sort().pop()!;
  await etcd.stop();
  // The state etcd 3.4 leaves when it stops after a leader's snapshot was saved but before
  // its database replaced member/snap/db: the database waits as <index>.snap.db.
  const index = Number.parseInt(newest.slice(17, 33), 16);
  const pending = join(snapDir, `${index.toString(16).padStart(16, '0')}.snap.db`);
  renameSync(join(snapDir, 'db'), pending);
  writeFileSync(join(snapDir, 'db'), olderDb);

  const refRoot = join(dir.path, 'reference');
  cpSync(one.dataDir, join(refRoot, 'm1.etcd'), { recursive: true });
  const ts = await start(one.member('etcd-ts'));
  assert.ok(ts.logs().includes(`"database":"${pending}"`), ts.logs());
  const taken = await dumpMember(ts.endpoint, false);
  await ts.kill9();
  const ref = await singleMember(refRoot, ['--snapshot-count', '30'], one.ports);
  const real = await start(ref.member('etcd'));
  assert.deepEqual(taken, await dumpMember(real.endpoint, false));
  assert.equal(taken.revision, 81);
});
