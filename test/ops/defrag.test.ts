// Defragment on a member under load: the backend file shrinks, every key survives,
// and reads and writes keep being answered while the compacted copy is made and
// swapped in. ETCD_TS_DEFRAG_MB scales the database for a measurement run.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { grpcKv, type GrpcKv } from '../helpers/grpc.js';
import { startMember, type Member } from '../helpers/member.js';

const DB_MB = Number(process.env.ETCD_TS_DEFRAG_MB ?? 24);
const VALUE = Buffer.alloc(64 * 1024, 'v');
const KEYS = Math.ceil((DB_MB * 1024 * 1024) / VALUE.length);
const CONCURRENCY = 8;
const key = (i: number) => Buffer.from(`d/${String(i).padStart(7, '0')}`);

let member: Member;
let c: GrpcKv;
before(async () => {
  member = await startMember('etcd-ts');
  c = grpcKv(member);
});
after(async () => {
  c?.close();
  await member?.close();
});

test(`defragment of a ~${DB_MB} MB backend returns free space while requests keep being served`, { timeout: 600_000 }, async (t) => {
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < KEYS) await c.kv.put({ key: key(next++), value: VALUE });
    }),
  );
  // Overwrite the first half, then compact away its history: free pages in the file.
  const half = Math.floor(KEYS / 2);
  let rev = 0;
  for (let i = 0; i < half; i++) rev = Number((await c.kv.put({ key: key(i), value: Buffer.from('small') })).header.revision);
  await c.kv.compact({ revision: rev, physical: true });
  // The backend commits in batches; let the compaction reach the file.
  await new Promise((r) => setTimeout(r, 300));
  const before = await c.maintenance.status({});
  t.diagnostic(`db size before: ${before.dbSize} bytes, in use ${before.dbSizeInUse}`);

  let stop = false;
  let maxPauseMs = 0;
  let served = 0;
  const load = (async () => {
    const deadline = Date.now() + 300_000;
    for (let i = 0; !stop && i < 1_000_000 && Date.now() < deadline; i++) {
      const started = performance.now();
      const k = Buffer.from(`load/${i % 100}`);
      await c.kv.put({ key: k, value: Buffer.from(String(i)) });
      const got = await c.kv.range({ key: key(KEYS - 1) });
      assert.equal(got.kvs[0].value.length, VALUE.length);
      maxPauseMs = Math.max(maxPauseMs, performance.now() - started);
      served++;
    }
  })();
  await new Promise((r) => setTimeout(r, 100));
  const started = performance.now();
  await c.maintenance.defragment({});
  const tookMs = performance.now() - started;
  const servedDuring = served;
  await new Promise((r) => setTimeout(r, 100));
  stop = true;
  await load;

  const afterStatus = await c.maintenance.status({});
  t.diagnostic(`defrag took ${tookMs.toFixed(0)} ms; db size after: ${afterStatus.dbSize} bytes; longest put+range during it: ${maxPauseMs.toFixed(1)} ms; ${servedDuring} requests pairs served by the end of it`);
  assert.ok(Number(afterStatus.dbSize) < Number(before.dbSize) * 0.75, `db shrank: ${before.dbSize} -> ${afterStatus.dbSize}`);
  assert.ok(maxPauseMs < 2000, `longest request pause ${maxPauseMs} ms`);
  const all = await c.kv.range({ key: Buffer.from('d/'), rangeEnd: Buffer.from('d0'), countOnly: true });
  assert.equal(Number(all.count), KEYS);
  const small = await c.kv.range({ key: key(0) });
  assert.equal(small.kvs[0].value.toString(), 'small');

  // The swapped-in file is the one the member restarts from.
  await member.restart();
  c.close();
  c = grpcKv(member);
  assert.equal(Number((await c.kv.range({ key: Buffer.from('d/'), rangeEnd: Buffer.from('d0'), countOnly: true })).count), KEYS);
  assert.equal((await c.kv.range({ key: key(KEYS - 1) })).kvs[0].value.length, VALUE.length);
});
