// Every /metrics family etcd 3.4.23 exports, driven side by side on etcd and etcd-ts:
// the same requests go to both, and each family's change over a step must be the same
// (a histogram by its _count; byte counts that depend on member IDs or on the storage
// format only by having moved). The family sets are compared too: what etcd has and
// etcd-ts does not is exactly the list of families that cannot apply to it (Go's
// runtime, the v2 store, bbolt's commit phases, the gRPC proxy), each with its reason.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { etcdctl, ETCDCTL_BIN, grpcKv, startMembers, ETCD_BIN, type Member } from '../helpers/index.js';
import { parsePrometheus, scrapeText as scrapeMember, type Samples } from '../helpers/prometheus.js';

const skip = existsSync(ETCD_BIN) ? false : `${ETCD_BIN} is not installed`;

/** Families of etcd 3.4 that an etcd-ts member does not have, and why. */
const NOT_APPLICABLE: Record<string, string> = {
  etcd_debugging_disk_backend_commit_rebalance_duration_seconds: "bbolt's commit phases; the LMDB backend has none (its whole commit is etcd_disk_backend_commit_duration_seconds)",
  etcd_debugging_disk_backend_commit_spill_duration_seconds: "bbolt's commit phases",
  etcd_debugging_disk_backend_commit_write_duration_seconds: "bbolt's commit phases",
  etcd_debugging_snap_save_marshalling_duration_seconds: 'raft snapshots carry no state to marshal: the backend is the snapshot',
  etcd_debugging_snap_save_total_duration_seconds: 'as above',
  etcd_snap_db_fsync_duration_seconds: 'not measured yet (received snapshot database fsync)',
  etcd_snap_db_save_total_duration_seconds: 'not measured yet (received snapshot database save)',
  etcd_snap_fsync_duration_seconds: 'raft snapshot files are not written',
  etcd_debugging_store_expires_total: 'the v2 store',
  etcd_debugging_store_reads_total: 'the v2 store',
  etcd_debugging_store_watch_requests_total: 'the v2 store',
  etcd_debugging_store_watchers: 'the v2 store',
  etcd_debugging_store_writes_total: 'the v2 store',
  etcd_grpc_proxy_cache_hits_total: 'the gRPC proxy, which a member never runs',
  etcd_grpc_proxy_cache_keys_total: 'the gRPC proxy',
  etcd_grpc_proxy_cache_misses_total: 'the gRPC proxy',
  etcd_grpc_proxy_events_coalescing_total: 'the gRPC proxy',
  etcd_grpc_proxy_watchers_coalescing_total: 'the gRPC proxy',
  etcd_mvcc_db_open_read_transactions: "etcd's count of concurrent read txns, which move with every range; etcd-ts reads ranges in place without a txn to count",
  etcd_server_go_version: 'Go',
  etcd_server_heartbeat_send_failures_total: 'not measured yet',
  process_virtual_memory_max_bytes: "prom-client's process collector has no such sample",
};

const parse = parsePrometheus;
const scrapeText = (m: Member) => scrapeMember(m.endpoint);

function families(text: string): Set<string> {
  return new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]!));
}

/** Sum of a family's samples whose labels include every given one; a histogram by its count. */
function total(s: Samples, family: string, labels: Record<string, string> = {}): number {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  let sum = 0;
  for (const [k, v] of s) {
    const name = k.replace(/\{.*$/, '');
    if (name !== family && name !== `${family}_count`) continue;
    if (want.every((l) => k.includes(l))) sum += v;
  }
  return sum;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let etcd: Member;
let ts: Member;
before(async () => {
  if (skip) return;
  [etcd, ts] = await startMembers([['etcd', { extraArgs: ['--logger', 'zap'] }], ['etcd-ts']]);
});
after(async () => {
  await Promise.all([etcd?.close(), ts?.close()]);
});

interface Check {
  family: string;
  labels?: Record<string, string>;
  /** The change etcd shows (checked against etcd too, so a wrong expectation fails). */
  delta?: number;
  /** Only that both moved (sizes that depend on IDs or the storage format). */
  moved?: boolean;
}

/** Runs `work` on each side between two scrapes and compares the changes. */
async function step(name: string, work: (m: Member) => Promise<void>, checks: Check[]): Promise<void> {
  const deltas: Record<string, number[]> = {};
  for (const m of [etcd, ts]) {
    const before = parse(await scrapeText(m));
    await work(m);
    await sleep(300); // backend commits run on a 100 ms batch interval
    const after = parse(await scrapeText(m));
    for (const c of checks) {
      const key = `${c.family}${JSON.stringify(c.labels ?? {})}`;
      (deltas[key] ??= []).push(total(after, c.family, c.labels) - total(before, c.family, c.labels));
    }
  }
  for (const c of checks) {
    const [e, t] = deltas[`${c.family}${JSON.stringify(c.labels ?? {})}`]!;
    const what = `${name}: ${c.family} ${JSON.stringify(c.labels ?? {})} (etcd ${e}, etcd-ts ${t})`;
    if (c.moved) {
      assert.ok(e! > 0 && t! > 0, what);
      continue;
    }
    if (c.delta !== undefined) assert.equal(e, c.delta, `${what}: etcd moved otherwise than expected`);
    assert.equal(t, e, what);
  }
}

const ctl = async (m: Member, args: string[], stdin?: string) => {
  const r = await etcdctl(m, args, stdin === undefined ? {} : { stdin });
  assert.equal(r.code, 0, `etcdctl ${args.join(' ')} on ${m.kind}: ${r.stderr}`);
  return r.stdout;
};

test('every metric family moves on etcd-ts as on etcd 3.4.23', { skip, timeout: 120_000 }, async () => {
  await step('two puts', async (m) => {
    await ctl(m, ['put', 'a', '1']);
    await ctl(m, ['put', 'b', '22']);
  }, [
    { family: 'etcd_mvcc_put_total', delta: 2 },
    { family: 'etcd_debugging_mvcc_put_total', delta: 2 },
    { family: 'etcd_mvcc_txn_total', delta: 0 },
    { family: 'etcd_debugging_mvcc_keys_total', delta: 2 },
    { family: 'etcd_debugging_mvcc_total_put_size_in_bytes', delta: 5 },
    { family: 'etcd_debugging_mvcc_current_revision', delta: 2 },
    { family: 'etcd_server_proposals_committed_total', delta: 2 },
    { family: 'etcd_server_proposals_applied_total', delta: 2 },
    { family: 'etcd_server_proposals_pending', delta: 0 },
    { family: 'etcd_server_proposals_failed_total', delta: 0 },
    { family: 'etcd_server_slow_apply_total', delta: 0 },
    { family: 'etcd_server_client_requests_total', labels: { type: 'unary', client_api_version: '3.4' }, delta: 2 },
    { family: 'etcd_network_client_grpc_received_bytes_total' },
    { family: 'etcd_network_client_grpc_sent_bytes_total', moved: true },
    { family: 'grpc_server_started_total', labels: { grpc_method: 'Put' }, delta: 2 },
    { family: 'grpc_server_handled_total', labels: { grpc_method: 'Put', grpc_code: 'OK' }, delta: 2 },
    { family: 'grpc_server_msg_received_total', labels: { grpc_method: 'Put' }, delta: 2 },
    { family: 'grpc_server_msg_sent_total', labels: { grpc_method: 'Put' }, delta: 2 },
    { family: 'etcd_disk_wal_fsync_duration_seconds', moved: true },
    { family: 'etcd_disk_wal_write_bytes_total', moved: true },
    { family: 'etcd_disk_backend_commit_duration_seconds', moved: true },
    { family: 'promhttp_metric_handler_requests_total', labels: { code: '200' }, delta: 1 },
    { family: 'promhttp_metric_handler_requests_in_flight', delta: 0 },
  ]);

  await step('a get', (m) => ctl(m, ['get', 'a']).then(() => undefined), [
    { family: 'etcd_mvcc_range_total', delta: 1 },
    { family: 'etcd_debugging_mvcc_range_total', delta: 1 },
    { family: 'etcd_mvcc_txn_total', delta: 0 },
    { family: 'etcd_debugging_mvcc_current_revision', delta: 0 },
    { family: 'grpc_server_handled_total', labels: { grpc_method: 'Range', grpc_code: 'OK' }, delta: 1 },
  ]);

  // etcd counts a txn per read or write txn of more than one operation: the compares are
  // one read txn, the chosen branch's writes another.
  await step('txns', async (m) => {
    // etcdctl reads compares, success ops and failure ops, each ended by an empty line.
    await ctl(m, ['txn'], 'value("a") = "1"\nvalue("b") = "22"\n\nput c 333\n\n\n');
    await ctl(m, ['txn'], 'value("a") = "1"\n\nput d 4\n\n\n');
    await ctl(m, ['txn'], 'value("a") = "x"\n\n\nget a\nget b\n\n');
  }, [
    { family: 'etcd_mvcc_txn_total', delta: 2 },
    { family: 'etcd_debugging_mvcc_txn_total', delta: 2 },
    { family: 'etcd_mvcc_range_total', delta: 6 },
    { family: 'etcd_mvcc_put_total', delta: 2 },
    { family: 'etcd_debugging_mvcc_total_put_size_in_bytes', delta: 6 },
    { family: 'etcd_debugging_mvcc_keys_total', delta: 2 },
  ]);

  await step('deletes', async (m) => {
    await ctl(m, ['del', 'a']);
    await ctl(m, ['del', '--prev-kv', 'c', 'e']);
    await ctl(m, ['del', 'nothing']);
  }, [
    { family: 'etcd_mvcc_delete_total', delta: 3 },
    { family: 'etcd_debugging_mvcc_delete_total', delta: 3 },
    { family: 'etcd_mvcc_range_total', delta: 1 },
    { family: 'etcd_mvcc_txn_total', delta: 1 },
    { family: 'etcd_debugging_mvcc_keys_total', delta: -3 },
    { family: 'etcd_debugging_mvcc_current_revision', delta: 2 },
  ]);

  await step('a lease granted, renewed, used and revoked', async (m) => {
    const id = /lease ([0-9a-f]+) granted/.exec(await ctl(m, ['lease', 'grant', '100']))![1]!;
    await ctl(m, ['lease', 'keep-alive', '--once', id]);
    await ctl(m, ['put', '--lease', id, 'l1', 'v']);
    await ctl(m, ['put', '--lease', id, 'l2', 'v']);
    await ctl(m, ['lease', 'revoke', id]);
  }, [
    { family: 'etcd_debugging_lease_granted_total', delta: 1 },
    { family: 'etcd_debugging_lease_renewed_total', delta: 1 },
    { family: 'etcd_debugging_lease_revoked_total', delta: 1 },
    { family: 'etcd_debugging_lease_ttl_total', delta: 1 },
    { family: 'etcd_mvcc_delete_total', delta: 2 },
    { family: 'etcd_mvcc_txn_total', delta: 1 },
    { family: 'etcd_debugging_mvcc_keys_total', delta: 0 },
  ]);

  await step('a lease that expires', async (m) => {
    const id = /lease ([0-9a-f]+) granted/.exec(await ctl(m, ['lease', 'grant', '2']))![1]!;
    await ctl(m, ['put', '--lease', id, 'short', 'v']);
    const deadline = Date.now() + 15_000;
    while ((await ctl(m, ['get', 'short'])) !== '') {
      assert.ok(Date.now() < deadline, `${m.kind}: the lease never expired`);
      await sleep(250);
    }
  }, [
    { family: 'etcd_debugging_server_lease_expired_total', delta: 1 },
    { family: 'etcd_debugging_lease_revoked_total', delta: 1 },
    { family: 'etcd_debugging_lease_granted_total', delta: 1 },
    { family: 'etcd_debugging_mvcc_keys_total', delta: 0 },
  ]);

  await step('a watcher gets an event', async (m) => {
    const w = spawn(ETCDCTL_BIN, [`--endpoints=${m.endpoint}`, 'watch', 'w'], { env: { ...process.env, ETCDCTL_API: '3' }, stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    w.stdout.on('data', (b: Buffer) => (out += b.toString()));
    try {
      const deadline = Date.now() + 10_000;
      while (total(parse(await scrapeText(m)), 'etcd_debugging_mvcc_watcher_total') < 1) {
        assert.ok(Date.now() < deadline, `${m.kind}: the watcher never registered`);
        await sleep(100);
      }
      await ctl(m, ['put', 'w', 'x']);
      while (!out.includes('PUT')) {
        assert.ok(Date.now() < deadline, `${m.kind}: the watcher never got its event`);
        await sleep(50);
      }
    } finally {
      w.kill();
    }
  }, [
    { family: 'etcd_debugging_mvcc_events_total', delta: 1 },
    { family: 'etcd_debugging_mvcc_pending_events_total', delta: 0 },
    { family: 'etcd_debugging_mvcc_slow_watcher_total', delta: 0 },
    { family: 'grpc_server_started_total', labels: { grpc_method: 'Watch' }, delta: 1 },
    { family: 'etcd_server_client_requests_total', labels: { type: 'stream' }, delta: 1 },
  ]);
  // The stream and its watcher are gone once the client is.
  for (const m of [etcd, ts]) {
    const deadline = Date.now() + 10_000;
    while (total(parse(await scrapeText(m)), 'etcd_debugging_mvcc_watch_stream_total') !== 0) {
      assert.ok(Date.now() < deadline, `${m.kind}: the watch stream gauge did not go back to 0`);
      await sleep(100);
    }
    assert.equal(total(parse(await scrapeText(m)), 'etcd_debugging_mvcc_watcher_total'), 0);
  }

  await step('a compaction', async (m) => {
    const rev = JSON.parse(await ctl(m, ['get', 'b', '-w', 'json'])).header.revision as number;
    await ctl(m, ['compact', String(rev)]);
  }, [
    { family: 'etcd_debugging_mvcc_db_compaction_keys_total' },
    { family: 'etcd_debugging_mvcc_index_compaction_pause_duration_milliseconds', delta: 1 },
    { family: 'etcd_debugging_mvcc_db_compaction_total_duration_milliseconds', delta: 1 },
    { family: 'etcd_debugging_mvcc_db_compaction_pause_duration_milliseconds', delta: 0 },
  ]);
  for (const m of [etcd, ts]) {
    const s = parse(await scrapeText(m));
    assert.ok(total(s, 'etcd_debugging_mvcc_db_compaction_keys_total') > 0, m.kind);
    assert.equal(total(s, 'etcd_debugging_mvcc_compact_revision'), total(s, 'etcd_debugging_mvcc_current_revision'), `${m.kind}: compacted at the current revision`);
  }

  await step('defragment, hash and hashkv', async (m) => {
    await ctl(m, ['defrag']);
    await ctl(m, ['endpoint', 'hashkv']);
    const c = grpcKv(m);
    try {
      await new Promise<void>((resolve, reject) => (c.raw.maintenance as any).Hash({}, (err: Error | null) => (err ? reject(err) : resolve())));
    } finally {
      c.close();
    }
  }, [
    { family: 'etcd_disk_backend_defrag_duration_seconds', delta: 1 },
    { family: 'etcd_disk_defrag_inflight', delta: 0 },
    { family: 'etcd_mvcc_hash_rev_duration_seconds', delta: 1 },
    { family: 'etcd_mvcc_hash_duration_seconds', delta: 1 },
  ]);

  await step('a snapshot saved', async (m) => {
    const dir = mkdtempSync(join(tmpdir(), 'families-snap-'));
    try {
      await ctl(m, ['snapshot', 'save', join(dir, 'db')]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, [
    { family: 'etcd_disk_backend_snapshot_duration_seconds', delta: 1 },
    { family: 'etcd_server_read_indexes_failed_total', delta: 0 },
    { family: 'etcd_server_slow_read_indexes_total', delta: 0 },
  ]);

  await step('health checks', async (m) => {
    await fetch(`${m.endpoint}/health`, { signal: AbortSignal.timeout(5000) }).then((r) => r.text());
  }, [
    { family: 'etcd_server_health_success', delta: 1 },
    { family: 'etcd_server_health_failures', delta: 0 },
  ]);

  await step('auth changes', async (m) => {
    await ctl(m, ['user', 'add', 'root:pw']);
    await ctl(m, ['auth', 'enable']);
    await ctl(m, ['--user', 'root:pw', 'auth', 'disable']);
  }, [{ family: 'etcd_debugging_auth_revision' }]);

  // Gauges that hold a state rather than count: the same on both sides.
  const [e, t] = await Promise.all([scrapeText(etcd), scrapeText(ts)]);
  const es = parse(e);
  const tsm = parse(t);
  for (const family of [
    'etcd_server_has_leader',
    'etcd_server_is_leader',
    'etcd_server_is_learner',
    'etcd_server_leader_changes_seen_total',
    'etcd_server_learner_promote_successes',
    'etcd_server_snapshot_apply_in_progress_total',
    'etcd_server_quota_backend_bytes',
    'etcd_server_slow_read_indexes_total',
    'etcd_debugging_auth_revision',
    'etcd_debugging_mvcc_keys_total',
    'etcd_debugging_mvcc_current_revision',
    'etcd_debugging_mvcc_compact_revision',
  ]) {
    assert.equal(total(tsm, family), total(es, family), family);
  }
  for (const s of [es, tsm]) {
    assert.ok(total(s, 'os_fd_used') > 0 && total(s, 'os_fd_limit') >= total(s, 'os_fd_used'));
    assert.equal(total(s, 'etcd_debugging_mvcc_db_total_size_in_bytes'), total(s, 'etcd_mvcc_db_total_size_in_bytes'));
    assert.equal(total(s, 'etcd_server_version', { server_version: '3.4.23' }), 1);
    assert.equal(total(s, 'etcd_server_id'), 1);
  }

  // The family sets: what etcd has beyond etcd-ts is exactly the list above.
  const missing = [...families(e)].filter((f) => !families(t).has(f) && !f.startsWith('go_')).sort();
  assert.deepEqual(missing, Object.keys(NOT_APPLICABLE).sort());
});
