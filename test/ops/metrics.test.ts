// /metrics under etcd's names: every series the etcd dashboards rely on exists on
// both real etcd 3.4 and etcd-ts, and etcd-ts's move when the member does work.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { grpcKv } from '../helpers/grpc.js';
import { startMembers, type Member } from '../helpers/member.js';
import { parsePrometheus, scrapeText, type Samples } from '../helpers/prometheus.js';

const NAMES = [
  'etcd_server_has_leader',
  'etcd_server_is_leader',
  'etcd_server_leader_changes_seen_total',
  'etcd_server_proposals_committed_total',
  'etcd_server_proposals_applied_total',
  'etcd_server_proposals_pending',
  'etcd_server_proposals_failed_total',
  'etcd_server_quota_backend_bytes',
  'etcd_server_health_success',
  'etcd_server_health_failures',
  'etcd_disk_wal_fsync_duration_seconds_bucket',
  'etcd_disk_wal_fsync_duration_seconds_count',
  'etcd_disk_backend_commit_duration_seconds_count',
  'etcd_disk_backend_defrag_duration_seconds_count',
  'etcd_mvcc_db_total_size_in_bytes',
  'etcd_mvcc_db_total_size_in_use_in_bytes',
  'etcd_debugging_mvcc_keys_total',
  'etcd_debugging_mvcc_current_revision',
  'etcd_debugging_mvcc_compact_revision',
  'etcd_debugging_mvcc_watch_stream_total',
  'etcd_debugging_mvcc_watcher_total',
  'etcd_debugging_mvcc_slow_watcher_total',
  'grpc_server_started_total',
  'grpc_server_handled_total',
  'grpc_server_handling_seconds_bucket',
  'grpc_server_handling_seconds_count',
  'process_cpu_seconds_total',
  'process_resident_memory_bytes',
  'process_open_fds',
  'process_max_fds',
  'process_start_time_seconds',
];

async function scrape(m: Member): Promise<Samples> {
  return parsePrometheus(await scrapeText(m.endpoint));
}

const names = (s: Samples) => new Set([...s.keys()].map((k) => k.replace(/\{.*$/, '')));
/** The value of the one series with that name whose labels include every given label. */
function value(s: Samples, name: string, labels: Record<string, string> = {}, absent?: number): number {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  let found: number | undefined;
  for (const [k, v] of s) {
    if (k !== name && !k.startsWith(name + '{')) continue;
    if (want.every((l) => k.includes(l))) found = (found ?? 0) + v;
  }
  if (found === undefined && absent !== undefined) return absent;
  assert.ok(found !== undefined, `no series ${name} ${want.join(',')}`);
  return found;
}

let etcd: Member;
let ts: Member;
before(async () => {
  // etcd keeps grpc_server_handling_seconds behind --metrics=extensive; etcd-ts always has it.
  [etcd, ts] = await startMembers([['etcd', { extraArgs: ['--metrics', 'extensive'] }], ['etcd-ts']]);
});
after(async () => {
  await Promise.all([etcd?.close(), ts?.close()]);
});

test('etcd 3.4 and etcd-ts both expose the dashboard metrics', async () => {
  // grpc_server_handling_seconds needs at least one call on each side.
  for (const m of [etcd, ts]) {
    const c = grpcKv(m);
    try {
      await c.kv.put({ key: Buffer.from('m'), value: Buffer.from('v') });
    } finally {
      c.close();
    }
    await fetch(`${m.endpoint}/health`, { signal: AbortSignal.timeout(5000) }).then((r) => r.text());
  }
  const [e, t] = await Promise.all([scrape(etcd), scrape(ts)]);
  for (const n of NAMES) {
    assert.ok(names(e).has(n), `real etcd lacks ${n}: the list is wrong`);
    assert.ok(names(t).has(n), `etcd-ts lacks ${n}`);
  }
});

test('etcd-ts metrics move with the work the member does', async () => {
  const before = await scrape(ts);
  const c = grpcKv(ts);
  try {
    for (let i = 0; i < 10; i++) await c.kv.put({ key: Buffer.from(`mv/${i}`), value: Buffer.from('v') });
    await c.kv.range({ key: Buffer.from('mv/0') });
  } finally {
    c.close();
  }
  // Backend commits run on a 100 ms batch interval.
  await new Promise((r) => setTimeout(r, 300));
  const now = await scrape(ts);
  const grew = (name: string, by: number, labels: Record<string, string> = {}) =>
    assert.ok(value(now, name, labels) - value(before, name, labels, 0) >= by, `${name} ${JSON.stringify(labels)} grew by at least ${by}`);

  assert.equal(value(now, 'etcd_server_has_leader'), 1);
  assert.equal(value(now, 'etcd_server_is_leader'), 1);
  assert.ok(value(now, 'etcd_server_leader_changes_seen_total') >= 1);
  grew('etcd_server_proposals_committed_total', 10);
  grew('etcd_server_proposals_applied_total', 10);
  assert.equal(value(now, 'etcd_server_proposals_pending'), 0);
  grew('etcd_disk_wal_fsync_duration_seconds_count', 1);
  grew('etcd_disk_backend_commit_duration_seconds_count', 1);
  grew('grpc_server_started_total', 10, { grpc_method: 'Put' });
  grew('grpc_server_handled_total', 10, { grpc_method: 'Put', grpc_code: 'OK' });
  grew('grpc_server_handling_seconds_count', 10, { grpc_method: 'Put' });
  grew('grpc_server_handled_total', 1, { grpc_method: 'Range', grpc_code: 'OK' });
  grew('etcd_mvcc_put_total', 10);
  grew('etcd_mvcc_range_total', 1);
  assert.ok(value(now, 'etcd_debugging_mvcc_keys_total') >= 10);
  assert.ok(value(now, 'etcd_mvcc_db_total_size_in_bytes') > 0);
  assert.ok(value(now, 'etcd_mvcc_db_total_size_in_use_in_bytes') > 0);
  assert.ok(value(now, 'etcd_mvcc_db_total_size_in_use_in_bytes') <= value(now, 'etcd_mvcc_db_total_size_in_bytes'));
  assert.equal(value(now, 'etcd_server_quota_backend_bytes'), 2 * 1024 ** 3);
  assert.ok(value(now, 'process_resident_memory_bytes') > 1024 * 1024);
  assert.ok(value(now, 'process_cpu_seconds_total') > 0);

  const c2 = grpcKv(ts);
  try {
    await c2.maintenance.defragment({});
  } finally {
    c2.close();
  }
  assert.equal(value(await scrape(ts), 'etcd_disk_backend_defrag_duration_seconds_count'), value(now, 'etcd_disk_backend_defrag_duration_seconds_count') + 1);

  const h = value(now, 'etcd_server_health_success');
  await fetch(`${ts.endpoint}/health`, { signal: AbortSignal.timeout(5000) }).then((r) => r.text());
  assert.equal(value(await scrape(ts), 'etcd_server_health_success'), h + 1);
});

test('revision and watcher gauges read the store and the watch hub when scraped', async () => {
  const c = grpcKv(ts);
  let rev: number;
  try {
    const put = await c.kv.put({ key: Buffer.from('gauge'), value: Buffer.from('1') });
    await c.kv.put({ key: Buffer.from('gauge'), value: Buffer.from('2') });
    rev = Number(put.header.revision) + 1;
    await c.kv.compact({ revision: rev - 1 });
  } finally {
    c.close();
  }
  // A watch held open through the JSON gateway: one stream, one watcher.
  const ac = new AbortController();
  const res = await fetch(`${ts.endpoint}/v3/watch`, { method: 'POST', body: JSON.stringify({ create_request: { key: Buffer.from('gauge').toString('base64') } }), signal: ac.signal });
  const reader = res.body!.getReader();
  await reader.read(); // the created response
  try {
    const now = await scrape(ts);
    assert.equal(value(now, 'etcd_debugging_mvcc_current_revision'), rev);
    assert.equal(value(now, 'etcd_debugging_mvcc_compact_revision'), rev - 1);
    assert.equal(value(now, 'etcd_debugging_mvcc_watch_stream_total'), 1);
    assert.equal(value(now, 'etcd_debugging_mvcc_watcher_total'), 1);
    assert.equal(value(now, 'etcd_debugging_mvcc_slow_watcher_total'), 0);
  } finally {
    ac.abort();
    await reader.cancel().catch(() => {});
  }
  for (let i = 0; i < 50 && value(await scrape(ts), 'etcd_debugging_mvcc_watcher_total') !== 0; i++) await new Promise((r) => setTimeout(r, 20));
  assert.equal(value(await scrape(ts), 'etcd_debugging_mvcc_watcher_total'), 0, 'the watcher goes with its stream');
});
