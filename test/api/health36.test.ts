// etcd 3.6's /livez and /readyz and the 3.6 metric families, which etcd 3.4 does not
// have; the cases follow etcd's tests/e2e/http_health_check_test.go (v3.6.x) and
// server/etcdserver/api/etcdhttp/health.go: named checks, ?verbose, ?exclude=, per-check
// paths, a CORRUPT alarm failing readiness but not liveness, a NOSPACE alarm failing
// neither, and etcd_server_healthcheck / etcd_server_healthchecks_total recording each check.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { etcdctl, grpcKv, startMember, type Member } from '../helpers/index.js';
import { startCluster } from '../helpers/cluster.js';

let m: Member;
before(async () => {
  m = await startMember('etcd-ts', { extraArgs: ['--feature-gates=InitialCorruptCheck=true', '--logger', 'zap'] });
});
after(async () => {
  await m?.close();
});

async function get(path: string, init: RequestInit = {}): Promise<{ status: number; body: string; type: string | null }> {
  const r = await fetch(`${m.endpoint}${path}`, { ...init, signal: AbortSignal.timeout(15_000) });
  return { status: r.status, body: await r.text(), type: r.headers.get('content-type') };
}

async function metrics(): Promise<string> {
  return (await get('/metrics')).body;
}

function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(series + ' '));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

test('/livez and /readyz answer ok; ?verbose lists the checks; per-check paths; exclude', async () => {
  assert.deepEqual(await get('/livez'), { status: 200, body: 'ok\n', type: 'text/plain; charset=utf-8' });
  assert.equal((await get('/readyz')).body, 'ok\n');
  assert.equal((await get('/livez?verbose=true')).body, '[+]serializable_read ok\nok\n');
  assert.equal((await get('/readyz?verbose')).body, '[+]data_corruption ok\n[+]serializable_read ok\n[+]linearizable_read ok\n[+]non_learner ok\nok\n');
  assert.equal((await get('/readyz?verbose&exclude=linearizable_read&exclude=non_learner')).body, '[+]data_corruption ok\n[+]serializable_read ok\nok\n');
  // A name that is no check is logged and otherwise ignored.
  assert.equal((await get('/readyz?verbose&exclude=no_such_check')).status, 200);
  assert.match(m.logs(), /"msg":"some health checks cannot be excluded","missing-health-checks":"\\"no_such_check\\""/);
  assert.equal((await get('/readyz/linearizable_read?verbose')).body, '[+]linearizable_read ok\nok\n');
  assert.equal((await get('/livez/serializable_read')).body, 'ok\n');
  assert.equal((await get('/readyz/no_such_check')).status, 404);
  const post = await get('/readyz', { method: 'POST' });
  assert.equal(post.status, 405);
  assert.equal(post.body, 'Method Not Allowed\n');
});

test('readiness metrics: one gauge and counters per check', async () => {
  const before = await metrics();
  await get('/readyz');
  const now = await metrics();
  for (const name of ['data_corruption', 'serializable_read', 'linearizable_read', 'non_learner']) {
    assert.equal(sample(now, `etcd_server_healthcheck{type="readyz",name="${name}"}`), 1, name);
    const series = `etcd_server_healthchecks_total{type="readyz",name="${name}",status="success"}`;
    assert.equal(sample(now, series), (sample(before, series) ?? 0) + 1, series);
  }
});

test('a NOSPACE alarm leaves /livez and /readyz ok (only /health fails); a CORRUPT alarm fails readiness', async () => {
  const c = grpcKv(m);
  try {
    const st = await c.maintenance.status({});
    const memberID = st.header.member_id;
    await c.maintenance.alarm({ action: 'ACTIVATE', memberID, alarm: 'NOSPACE' });
    assert.equal((await get('/livez')).status, 200);
    assert.equal((await get('/readyz')).status, 200);
    assert.equal((await get('/health')).status, 503);
    assert.match(await metrics(), /etcd_debugging_server_alarms\{server_id="[0-9a-f]+",alarm_type="NOSPACE"\} 1/);

    await c.maintenance.alarm({ action: 'ACTIVATE', memberID, alarm: 'CORRUPT' });
    assert.equal((await get('/livez')).status, 200);
    const ready = await get('/readyz');
    assert.equal(ready.status, 503);
    // A failure lists every check whatever ?verbose says, as http.Error writes it.
    assert.equal(ready.body, '[-]data_corruption failed: alarm activated: CORRUPT\n[+]serializable_read ok\n[+]linearizable_read ok\n[+]non_learner ok\n\n');
    assert.equal((await get('/readyz?exclude=data_corruption')).status, 200);
    assert.equal(sample(await metrics(), 'etcd_server_healthcheck{type="readyz",name="data_corruption"}'), 0);

    for (const alarm of ['NOSPACE', 'CORRUPT']) await c.maintenance.alarm({ action: 'DEACTIVATE', memberID, alarm });
    assert.equal((await get('/readyz')).status, 200);
    assert.doesNotMatch(await metrics(), /etcd_debugging_server_alarms\{/);
  } finally {
    c.close();
  }
});

test('3.6 metric families: feature gates, apply and range durations, the last compaction', async () => {
  assert.equal((await etcdctl(m, ['put', 'k', 'v'])).code, 0);
  assert.equal((await etcdctl(m, ['get', 'k'])).code, 0);
  const text = await metrics();
  assert.equal(sample(text, 'etcd_server_feature_enabled{name="InitialCorruptCheck",stage="ALPHA"}'), 1);
  assert.equal(sample(text, 'etcd_server_feature_enabled{name="StopGRPCServiceOnDefrag",stage="ALPHA"}'), 0);
  assert.equal(sample(text, 'etcd_server_feature_enabled{name="TxnModeWriteWithSharedBuffer",stage="BETA"}'), 1);
  assert.ok(sample(text, 'etcd_server_apply_duration_seconds_count{version="v3",op="Put",success="true"}')! >= 1);
  assert.ok(sample(text, 'etcd_server_range_duration_seconds_count{success="true"}')! >= 1);
  assert.equal(sample(text, 'etcd_debugging_mvcc_db_compaction_last'), 0, 'reset to 0 on start');
  const rev = JSON.parse((await etcdctl(m, ['get', 'k', '-w', 'json'])).stdout).header.revision as number;
  assert.equal((await etcdctl(m, ['compact', String(rev)])).code, 0);
  const last = sample(await metrics(), 'etcd_debugging_mvcc_db_compaction_last')!;
  assert.ok(Math.abs(last - Date.now() / 1000) < 30, `unix time of the last compaction: ${last}`);
});

test('a member that lost its quorum stays live but not ready: the linearizable read fails', { timeout: 90_000 }, async (t) => {
  const c = await startCluster(3);
  t.after(() => c.close());
  const m1 = c.members[0]!;
  const url = (p: string) => `${m1.endpoint}${p}`;
  const known = await (await fetch(url('/metrics'))).text();
  assert.equal((known.match(/^etcd_network_known_peers\{/gm) ?? []).length, 2, 'two known peers');
  assert.equal((known.match(/^etcd_network_active_peers\{/gm) ?? []).length, 2, 'two active peers');
  await Promise.all([c.members[1]!.stop(), c.members[2]!.stop()]);
  const live = await fetch(url('/livez'), { signal: AbortSignal.timeout(30_000) });
  assert.equal(live.status, 200);
  const ready = await fetch(url('/readyz'), { signal: AbortSignal.timeout(30_000) });
  assert.equal(ready.status, 503);
  assert.match(await ready.text(), /^\[\+\]data_corruption ok\n\[\+\]serializable_read ok\n\[-\]linearizable_read failed: etcdserver: [a-z ]+\n\[\+\]non_learner ok\n\n$/);
  const after = await (await fetch(url('/metrics'))).text();
  assert.equal((after.match(/^etcd_network_active_peers\{/gm) ?? []).length, 0, 'no active peer left');
});
