// Progress notifications under a write load, as kube-apiserver uses them: its watch cache
// watches each resource prefix; a consistent read takes the current revision from a quorum
// Get and then waits until the cache has seen it, sending RequestProgress every 100 ms
// (k8s.io/apiserver pkg/storage/cacher: waitUntilFreshAndBlock / the progress requester).
// Checked: a progress notification never runs ahead of events on its stream (etcd 3.6's
// tests/robustness watch validation), every event arrives once and in order, and a read's
// wait for progress on an idle prefix ends within a bound while other prefixes are written.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { grpcKv, startMember, type Member, type Msg } from '../helpers/index.js';
import { isProgress, openWatch } from '../helpers/watch.js';

const WRITERS = 4;
const MAX_PUTS = 3000;
const MAX_LOAD_MS = 12_000;
const READS = 20;

let m: Member;
before(async () => {
  m = await startMember('etcd-ts');
});
after(async () => {
  await m?.close();
});

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

test('under a write load: progress never ahead of events, every event once in order, consistent reads wait briefly for progress', async () => {
  const { kv, close } = grpcKv(m);
  const start = Number((await kv.range({ key: Buffer.from('/registry/') })).header.revision);
  // Watcher on the written prefix (kube's pods cache) and one on an idle prefix (configmaps).
  const busy = openWatch(m);
  const idle = openWatch(m);
  busy.send({ createRequest: { key: Buffer.from('/registry/pods/'), rangeEnd: Buffer.from('/registry/pods0'), startRevision: start + 1, prevKv: true, progressNotify: true } });
  idle.send({ createRequest: { key: Buffer.from('/registry/configmaps/'), rangeEnd: Buffer.from('/registry/configmaps0'), startRevision: start + 1, prevKv: true, progressNotify: true } });
  await Promise.all([busy.waitFor((r) => r.created), idle.waitFor((r) => r.created)]);
  const busyTicker = setInterval(() => busy.send({ progressRequest: {} }), 20);

  let puts = 0;
  const deadline = Date.now() + MAX_LOAD_MS;
  const value = Buffer.alloc(1024, 'p');
  const writers = Array.from({ length: WRITERS }, async (_, w) => {
    const c = grpcKv(m);
    try {
      while (puts < MAX_PUTS && Date.now() < deadline) {
        puts++;
        await c.kv.put({ key: Buffer.from(`/registry/pods/ns/p-${w}-${puts % 200}`), value });
      }
    } finally {
      c.close();
    }
  });

  // Consistent reads on the idle prefix while the load runs.
  const waits: number[] = [];
  const reads = (async () => {
    for (let i = 0; i < READS && Date.now() < deadline; i++) {
      const target = Number((await kv.range({ key: Buffer.from('/registry/configmaps/'), rangeEnd: Buffer.from('/registry/configmaps0'), limit: 1 })).header.revision);
      const t0 = performance.now();
      const from = idle.got.length;
      const asker = setInterval(() => idle.send({ progressRequest: {} }), 100);
      idle.send({ progressRequest: {} });
      try {
        await idle.waitFor((r) => isProgress(r) && Number(r.header.revision) >= target, 5000);
      } finally {
        clearInterval(asker);
      }
      waits.push(performance.now() - t0);
      assert.ok(idle.got.slice(from).every((g) => g.msg.events.length === 0), 'nothing is written under the idle prefix');
      await new Promise((r) => setTimeout(r, 150));
    }
  })();
  await Promise.all([...writers, reads]);
  clearInterval(busyTicker);

  // Drain: a final progress at the final revision.
  const last = Number((await kv.range({ key: Buffer.from('x') })).header.revision);
  const finalAsker = setInterval(() => busy.send({ progressRequest: {} }), 50);
  try {
    await busy.waitFor((r) => isProgress(r) && Number(r.header.revision) >= last, 10_000);
  } finally {
    clearInterval(finalAsker);
  }
  close();
  busy.close();
  idle.close();

  // Order: events strictly after every progress notification that preceded them.
  let seen = start;
  let progressSeen = start;
  let events = 0;
  let progresses = 0;
  for (const { msg } of busy.got) {
    if (msg.created) continue;
    if (isProgress(msg)) {
      const r = Number(msg.header.revision);
      assert.ok(r >= progressSeen, 'progress revisions never go back');
      progressSeen = r;
      progresses++;
      continue;
    }
    for (const e of msg.events as Msg[]) {
      const mod = Number(e.kv.modRevision);
      assert.ok(mod > progressSeen, `event at ${mod} after a progress notification at ${progressSeen}`);
      assert.ok(mod > seen, `event at ${mod} after one at ${seen}`);
      seen = mod;
      events++;
    }
  }
  assert.equal(events, last - start, 'every write under the prefix arrived once');
  assert.ok(progresses > 0);
  assert.ok(waits.length >= 5, `only ${waits.length} reads`);
  const p50 = percentile(waits, 50);
  const max = Math.max(...waits);
  console.log(`# ${puts} puts by ${WRITERS} writers; ${progresses} progress notifications on the busy stream; consistent-read wait for progress: p50 ${p50.toFixed(1)} ms, max ${max.toFixed(1)} ms over ${waits.length} reads`);
  // One request every 100 ms is kube's pace: a read must not need many of them.
  assert.ok(max < 2000, `a read waited ${max.toFixed(0)} ms for progress`);
});
