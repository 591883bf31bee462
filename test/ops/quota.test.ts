// --quota-backend-bytes and the NOSPACE alarm, real etcd 3.4 and etcd-ts side by side:
// the write that crosses the quota raises the alarm, writes are refused while reads
// and deletes work, and compaction + defrag + disarm bring writes back.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { etcdctl } from '../helpers/etcdctl.js';
import { startMembers, type Member } from '../helpers/member.js';
import { same, type Pair } from '../compat/pair.js';

const QUOTA = ['--quota-backend-bytes', String(16 * 1024 * 1024)];
// Under --max-request-bytes (1.5 MiB); 16 MiB fills within ~25 puts.
const VALUE = randomBytes(520 * 1024).toString('base64');
const MAX_PUTS = 40;

let pair: Pair;
before(async () => {
  const [etcd, ts] = await startMembers([['etcd', { extraArgs: QUOTA }], ['etcd-ts', { extraArgs: QUOTA }]]);
  pair = { etcd, ts, close: async () => void (await Promise.all([etcd.close(), ts.close()])) };
});
after(async () => {
  await pair?.close();
});

async function health(m: Member): Promise<{ status: number; body: string }> {
  const r = await fetch(`${m.endpoint}/health`, { signal: AbortSignal.timeout(5000) });
  return { status: r.status, body: await r.text() };
}

async function memberIdOf(m: Member): Promise<bigint> {
  const r = await etcdctl(m, ['endpoint', 'status', '-w', 'json']);
  const id = /"member_id":(\d+)/.exec(r.stdout);
  assert.ok(id, r.stdout);
  return BigInt(id[1]!);
}

/** Puts until the quota refuses one; returns how many puts succeeded. */
async function fill(m: Member): Promise<number> {
  for (let i = 0; i < MAX_PUTS; i++) {
    const r = await etcdctl(m, ['put', `q/${i}`], { stdin: VALUE });
    if (r.code !== 0) {
      assert.match(r.stderr, /Error: etcdserver: mvcc: database space exceeded/);
      return i;
    }
  }
  assert.fail(`${m.kind}: ${MAX_PUTS} puts of ${VALUE.length} bytes never reached the quota`);
}

test('NOSPACE: raised through the log when the quota is crossed, writes refused, reads and deletes served, recovered by compact + defrag + disarm', async () => {
  const filled = await Promise.all([fill(pair.etcd), fill(pair.ts)]);
  assert.ok(filled[1] > 10 && filled[1] < 32, `etcd-ts took ${filled[1]} puts (etcd ${filled[0]})`);

  for (const m of [pair.etcd, pair.ts]) {
    const list = await etcdctl(m, ['alarm', 'list']);
    assert.equal(list.stdout, `memberID:${await memberIdOf(m)} alarm:NOSPACE \n`, `${m.kind} alarm list`);
    const status = await etcdctl(m, ['endpoint', 'status', '-w', 'json']);
    assert.match(status.stdout, /"errors":\["memberID:\d+ alarm:NOSPACE "\]/, `${m.kind} status errors`);
  }
  const [h1, h2] = await Promise.all([health(pair.etcd), health(pair.ts)]);
  assert.deepEqual(h2, h1);
  assert.equal(h1.status, 503);
  assert.equal(JSON.parse(h1.body).health, 'false');
  // ?exclude=NOSPACE leaves that alarm out of the verdict.
  for (const m of [pair.etcd, pair.ts]) {
    const r = await fetch(`${m.endpoint}/health?exclude=NOSPACE`, { signal: AbortSignal.timeout(5000) });
    assert.deepEqual({ status: r.status, body: await r.text() }, { status: 200, body: '{"health":"true"}' }, m.kind);
  }

  // Writes that add data are refused; a txn with only reads, ranges and deletes are not.
  const put = await same(pair, ['put', 'small', 'v']);
  assert.equal(put.code, 1);
  assert.match(put.stderr, /Error: etcdserver: mvcc: database space exceeded/);
  const grant = await same(pair, ['lease', 'grant', '10']);
  assert.match(grant.stderr, /Error: failed to grant lease \(etcdserver: mvcc: database space exceeded\)/);
  const txnPut = await same(pair, ['txn'], { stdin: '\nput t v\n\n\n' });
  assert.match(txnPut.stderr, /database space exceeded/);
  assert.equal((await same(pair, ['txn'], { stdin: '\nget q/0 --keys-only\n\n\n' })).stdout, 'SUCCESS\n\nq/0\n\n');
  assert.equal((await same(pair, ['get', 'q/0', '--keys-only'])).stdout, 'q/0\n\n');
  // etcd may apply the put that crosses the quota and still answer "database space
  // exceeded". etcd-ts answers an applied write with success and refuses only what it
  // did not apply, so exactly the puts it acknowledged are there.
  const deleted = await Promise.all([pair.etcd, pair.ts].map(async (m) => Number((await etcdctl(m, ['del', 'q/', '--prefix'])).stdout)));
  assert.ok(deleted[0] === filled[0] || deleted[0] === filled[0]! + 1, `etcd deleted ${deleted[0]} after ${filled[0]} puts`);
  assert.equal(deleted[1], filled[1], 'etcd-ts: every put it refused left nothing behind');

  // Still refused after deleting: the alarm stays until disarmed.
  assert.equal((await same(pair, ['put', 'small', 'v'])).code, 1);
  for (const m of [pair.etcd, pair.ts]) {
    const st = await etcdctl(m, ['endpoint', 'status', '-w', 'json']);
    const rev = /"revision":(\d+)/.exec(st.stdout)![1]!;
    assert.equal((await etcdctl(m, ['compact', rev])).code, 0);
  }
  assert.match((await same(pair, ['defrag'])).stdout, /^Finished defragmenting etcd member\[/);
  for (const m of [pair.etcd, pair.ts]) {
    const disarm = await etcdctl(m, ['alarm', 'disarm']);
    assert.equal(disarm.stdout, `memberID:${await memberIdOf(m)} alarm:NOSPACE \n`, `${m.kind} disarm`);
  }
  assert.equal((await same(pair, ['alarm', 'list'])).stdout, '');
  assert.equal((await same(pair, ['alarm', 'disarm'])).stdout, '', 'nothing left to disarm');
  assert.equal((await same(pair, ['put', 'small', 'v'])).stdout, 'OK\n');
  const [g1, g2] = await Promise.all([health(pair.etcd), health(pair.ts)]);
  assert.deepEqual(g2, g1);
  assert.equal(g1.status, 200);

  // The alarm bucket is durable: a restart with an alarm raised keeps it raised.
  const ts = pair.ts;
  assert.equal((await etcdctl(ts, ['put', 'x', 'y'])).code, 0);
  await fill(ts);
  await ts.restart();
  assert.match((await etcdctl(ts, ['alarm', 'list'])).stdout, /alarm:NOSPACE/);
  assert.equal((await etcdctl(ts, ['put', 'small', 'v'])).code, 1);
});

test('/readyz and /livez answer ok while the member serves', async () => {
  for (const path of ['/readyz', '/livez']) {
    const r = await fetch(`${pair.ts.endpoint}${path}`, { signal: AbortSignal.timeout(5000) });
    assert.equal(r.status, 200);
    // etcd 3.6's body (Fprint of "ok\n"); test/api/health36.test.ts covers the checks.
    assert.equal(await r.text(), 'ok\n');
  }
});
