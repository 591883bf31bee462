// The check: the KV and Watch APIs driven exactly as kube-apiserver drives them
// (test/helpers/kube.ts follows k8s.io/apiserver pkg/storage/etcd3 and etcd's
// client/v3/kubernetes), against the real etcd 3.4.23, etcd-ts by default (3.6.14) and
// etcd-ts behaving as 3.4.23. Every KV answer and every watch event must be the same on
// the three; progress notifications, which the releases time differently, must only never
// run ahead of events. Then kube-apiserver's version check (feature_support_checker.go)
// must enable RequestWatchProgress for etcd-ts's default and not for 3.4.23.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startMembers, type Member, type Msg } from '../helpers/index.js';
import { KubeEtcd, LeaseManager, prefixEnd, supportsRequestWatchProgress } from '../helpers/kube.js';
import { isProgress, openWatch, type WatchSession } from '../helpers/watch.js';

/** The test's lease reuse window; kube-apiserver's is 60 s. */
const LEASE_REUSE_SECONDS = 1;
const PODS = '/registry/pods/';

let etcd: Member;
let tsDefault: Member;
let ts34: Member;
before(async () => {
  [etcd, tsDefault, ts34] = await startMembers([['etcd'], ['etcd-ts', { release: 'default' }], ['etcd-ts', { release: '3.4.23' }]]);
});
after(async () => {
  await Promise.all([etcd?.close(), tsDefault?.close(), ts34?.close()]);
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const kvText = (kv: Msg | undefined) => (kv === undefined ? null : `${kv.key}=${kv.value}@c${kv.createRevision}m${kv.modRevision}v${kv.version}`);

interface Run {
  transcript: unknown[];
  events: string[];
  progressRevs: number[];
}

async function drive(m: Member): Promise<Run> {
  const k = new KubeEtcd(m);
  const t: unknown[] = [];
  const leases = new Map<string, string>();
  const leaseName = (id: string) => {
    if (!leases.has(id)) leases.set(id, `lease${leases.size + 1}`);
    return leases.get(id)!;
  };
  // The pods watch cache: from the current revision + 1, with prev_kv and progress_notify.
  const start = (await k.get(`${PODS}none`)).revision;
  const w: WatchSession = openWatch(m);
  w.send({ createRequest: { key: Buffer.from(PODS), rangeEnd: prefixEnd(PODS), startRevision: start + 1, prevKv: true, progressNotify: true } });
  await w.waitFor((r) => r.created);
  const progress = setInterval(() => w.send({ progressRequest: {} }), 100);
  try {
    // Bootstrap compaction: the clock starts at 0, nothing is compacted.
    let clock = await k.compact(0, 0);
    t.push(['compact bootstrap', clock.version, clock.compactRev]);

    // Creates: Txn If(mod_revision == 0); events get a TTL through the lease manager.
    const lm = new LeaseManager(k, LEASE_REUSE_SECONDS);
    for (let i = 0; i < 8; i++) {
      const leaseId = i % 3 === 0 ? await lm.getLease(20) : 0;
      const r = await k.optimisticPut(`${PODS}ns/p${i}`, `pod-${i}`, 0, { leaseId });
      t.push(['create', i, r.succeeded, r.revision, leaseId === 0 ? 0 : leaseName(String(leaseId))]);
    }
    await sleep(LEASE_REUSE_SECONDS * 1000 + 100);
    t.push(['lease after the reuse window', leaseName(await lm.getLease(20))]);
    t.push(['create existing', await k.optimisticPut(`${PODS}ns/p0`, 'again', 0).then((r) => [r.succeeded, kvText(r.kv)])]);

    // Get = Range with rev and limit 1; List pages with continue = last key + "\0".
    const p3 = await k.get(`${PODS}ns/p3`);
    t.push(['get', kvText(p3.kv), p3.revision]);
    t.push(['get missing', (await k.get(`${PODS}ns/nope`)).kv ?? null]);
    const paged = await k.listAll(PODS, 3);
    t.push(['list paged', paged.pages, paged.revision, paged.kvs.map(kvText)]);
    const page1 = await k.list(PODS, { limit: 3 });
    t.push(['list first page', page1.more, page1.count, page1.kvs.map(kvText)]);
    t.push(['count', await k.count(PODS)]);
    t.push(['keys only', await k.keys(PODS)]);

    // Updates and deletes: Txn on mod_revision, the current object on conflict.
    const cur = p3.kv!;
    t.push(['update', await k.optimisticPut(`${PODS}ns/p3`, 'pod-3b', Number(cur.modRevision)).then((r) => [r.succeeded, r.revision])]);
    t.push(['update stale', await k.optimisticPut(`${PODS}ns/p3`, 'pod-3c', Number(cur.modRevision)).then((r) => [r.succeeded, kvText(r.kv)])]);
    const p5 = (await k.get(`${PODS}ns/p5`)).kv!;
    t.push(['delete stale', await k.optimisticDelete(`${PODS}ns/p5`, Number(p5.modRevision) - 1).then((r) => [r.succeeded, kvText(r.kv)])]);
    t.push(['delete', await k.optimisticDelete(`${PODS}ns/p5`, Number(p5.modRevision)).then((r) => [r.succeeded, r.revision])]);
    const old = paged.revision;
    t.push(['list at an old revision', (await k.list(PODS, { revision: old })).kvs.map(kvText)]);

    // Compaction: this compactor CASes the clock and compacts to the revision it saw last round.
    clock = await k.compact(clock.version, old);
    t.push(['compact', clock.version, clock.compactRev]);
    // Another apiserver with a stale clock loses the CAS and learns the compacted revision.
    const loser = await k.compact(0, 999);
    t.push(['compact lost', loser.version, loser.compactRev]);
    const compacted = await k.get(`${PODS}ns/p3`, old - 1).then(() => 'ok', (e: { details: string }) => e.details);
    t.push(['get below the compaction', compacted]);

    // The watch cache sees every change, and a progress at least at the last revision.
    const last = (await k.get(`${PODS}ns/p0`)).revision;
    await w.waitFor((r) => isProgress(r) && Number(r.header.revision) >= last, 5000);
  } finally {
    clearInterval(progress);
    w.close();
    k.close();
  }
  const events: string[] = [];
  const progressRevs: number[] = [];
  let seen = start;
  for (const { msg } of w.got) {
    if (isProgress(msg)) {
      const r = Number(msg.header.revision);
      progressRevs.push(r);
      // etcd 3.4.23 can send a progress notification out of order with events (fixed in
      // later releases); the order is asserted for etcd-ts, which keeps it.
      if (m.kind !== 'etcd') assert.ok(r >= seen, `${m.kind}: progress at ${r} behind an event at ${seen}`);
      continue;
    }
    for (const e of msg.events as Msg[]) {
      const mod = Number(e.kv.modRevision);
      if (m.kind !== 'etcd') assert.ok(progressRevs.every((p) => p < mod), `${m.kind}: event at ${mod} after a progress notification covering it`);
      seen = mod;
      events.push(`${e.type} ${kvText(e.kv)} prev=${kvText(e.prevKv ?? undefined)}`);
    }
  }
  return { transcript: t, events, progressRevs };
}

test("kube-apiserver's KV and Watch traffic: the same answers and events from etcd 3.4.23, etcd-ts and etcd-ts behaving as 3.4.23", async () => {
  const [want, got, got34] = [await drive(etcd), await drive(tsDefault), await drive(ts34)];
  assert.deepEqual(got.transcript, want.transcript, 'etcd-ts (3.6.14) answers as etcd 3.4.23');
  assert.deepEqual(got34.transcript, want.transcript, 'etcd-ts behaving as 3.4.23 answers as etcd 3.4.23');
  assert.deepEqual(got.events, want.events);
  assert.deepEqual(got34.events, want.events);
  assert.equal(want.events.length, 10, 'eight creates, an update, a delete');
  for (const r of [want, got, got34]) assert.ok(r.progressRevs.length > 0);
  // The lease manager reused its lease within the window and granted a new one after it.
  assert.deepEqual(
    want.transcript.filter((x) => Array.isArray(x) && x[0] === 'create').map((x) => (x as unknown[])[4]),
    ['lease1', 0, 0, 'lease1', 0, 0, 'lease1', 0],
  );
  assert.deepEqual(want.transcript.find((x) => Array.isArray(x) && x[0] === 'lease after the reuse window'), ['lease after the reuse window', 'lease2']);
});

test("kube-apiserver's version check enables RequestWatchProgress for etcd-ts, not for 3.4.23 (feature_support_checker.go)", async () => {
  const verdicts: Record<string, [string, boolean]> = {};
  for (const [name, m] of [['etcd 3.4.23', etcd], ['etcd-ts', tsDefault], ['etcd-ts as 3.4.23', ts34]] as const) {
    const k = new KubeEtcd(m!);
    const status = await k.status().finally(() => k.close());
    verdicts[name] = [status.version, supportsRequestWatchProgress(status.version)];
  }
  assert.deepEqual(verdicts, { 'etcd 3.4.23': ['3.4.23', false], 'etcd-ts': ['3.6.14', true], 'etcd-ts as 3.4.23': ['3.4.23', false] });
  // The thresholds themselves, as kube-apiserver reads them.
  assert.deepEqual(['3.4.30', '3.4.31', '3.5.0', '3.5.12', '3.5.13', '3.6.0', '3.6.14', 'v3.6.14'].map(supportsRequestWatchProgress), [false, true, false, false, true, true, true, false]);
});
