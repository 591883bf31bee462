// The client across member restarts: watches resume without losing or repeating
// events, reads and unsent writes fail over, and deadlines and AbortSignals end calls.
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, test } from 'node:test';
import { Client, EtcdError, GrpcCode, startEtcd, type EmbeddedEtcd, type WatchResponse } from '../../src/index.js';
import { tmpDir } from '../helpers/index.js';

const dirs = tmpDir('client-resilience');
after(() => dirs.cleanup());

/** A member on a fixed data dir and port that can be stopped and started again. */
async function restartable(name: string) {
  const dataDir = `${dirs.path}/${name}.etcd`;
  let etcd: EmbeddedEtcd = await startEtcd({ dataDir, name });
  const port = Number(new URL(etcd.endpoints[0]!).port);
  return {
    endpoint: etcd.endpoints[0]!,
    stop: () => etcd.close(),
    async start() {
      etcd = await startEtcd({ dataDir, name, port });
    },
    close: () => etcd.close(),
  };
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

const text = (b: Uint8Array) => Buffer.from(b).toString();

test('a watch resumes after a member restart from the revision after the last event', async () => {
  const m = await restartable('watch');
  const client = new Client({ endpoints: [m.endpoint], dialTimeoutMs: 5000 });
  try {
    const watcher = client.watch('w/', { prefix: true });
    await new Promise((r) => watcher.once('created', r));
    const resumed = new Promise((r) => watcher.once('resumed', r));
    await client.put('w/1', 'a');
    await client.put('w/2', 'b');
    const seen: { key: string; rev: number }[] = [];
    const collect = (async () => {
      for await (const r of watcher as AsyncIterable<WatchResponse>) {
        for (const ev of r.events) seen.push({ key: text(ev.kv.key), rev: ev.kv.modRevision });
        if (seen.length >= 5) return;
      }
    })();
    const deadline = Date.now() + 5000;
    while (seen.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    await m.stop();
    await m.start();
    // Written before the watcher is back: it must still see them, once.
    const writer = new Client({ endpoints: [m.endpoint] });
    await writer.put('w/3', 'c');
    await writer.put('w/4', 'd');
    await resumed;
    await writer.put('w/5', 'e');
    writer.close();
    await Promise.race([collect, new Promise((_, rej) => setTimeout(() => rej(new Error(`only saw ${JSON.stringify(seen)}`)), 8000))]);
    await watcher.cancel();
    assert.deepEqual(seen.map((s) => s.key), ['w/1', 'w/2', 'w/3', 'w/4', 'w/5']);
    for (let i = 1; i < seen.length; i++) assert.ok(seen[i]!.rev > seen[i - 1]!.rev, 'revisions strictly increase');
  } finally {
    await client.close();
    await m.close();
  }
});

test('reads retry across a restart; writes that never reached a member wait for one', async () => {
  const m = await restartable('failover');
  const client = new Client({ endpoints: [m.endpoint], dialTimeoutMs: 5000 });
  try {
    await client.put('k', 'v1');
    await m.stop();
    const restarting = new Promise((r) => setTimeout(r, 300)).then(() => m.start());
    const [read, write] = await Promise.all([client.getString('k', { timeoutMs: 5000 }), client.put('k', 'v2', { timeoutMs: 5000 })]);
    await restarting;
    // The read and the write are concurrent: either order is linearizable, and which
    // one the restarted member serves first is timing.
    assert.ok(read === 'v1' || read === 'v2', `read ${read}`);
    assert.ok(write.header!.revision >= 3);
    assert.equal(await client.getString('k'), 'v2');
  } finally {
    await client.close();
    await m.close();
  }
});

test('a dead endpoint in the list is skipped for a live one', async () => {
  const m = await restartable('skip');
  const dead = `http://127.0.0.1:${await closedPort()}`;
  const client = new Client({ endpoints: [dead, m.endpoint] });
  try {
    await client.put('x', '1');
    assert.equal(await client.getString('x'), '1');
    assert.equal(client.transport.activeEndpoint.raw, m.endpoint);
  } finally {
    await client.close();
    await m.close();
  }
});

test('no reachable member: the call fails after the dial timeout', async () => {
  const client = new Client({ endpoints: [`127.0.0.1:${await closedPort()}`], dialTimeoutMs: 300 });
  const t0 = Date.now();
  await assert.rejects(client.get('k'), (e: EtcdError) => e.code === GrpcCode.DeadlineExceeded && e.message === 'context deadline exceeded');
  const took = Date.now() - t0;
  assert.ok(took >= 250 && took < 2000, `took ${took} ms`);
  await client.close();
});

test('deadlines and AbortSignals end calls that would block', async () => {
  const etcd = await startEtcd();
  try {
    const c = etcd.client;
    const holder = await c.lease.grant(30);
    await c.lock.lock('L', holder.ID);
    const waiter = await c.lease.grant(30);
    // The lock is held: waiting for it runs into the deadline.
    await assert.rejects(c.lock.lock('L', waiter.ID, { timeoutMs: 200 }), (e: EtcdError) => e.code === GrpcCode.DeadlineExceeded);
    // …or is abandoned when its signal fires.
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    await assert.rejects(c.lock.lock('L', waiter.ID, { signal: ac.signal }), (e: EtcdError) => e.code === GrpcCode.Canceled && e.message === 'context canceled');
    // An already-aborted signal sends nothing.
    await assert.rejects(c.put('never', 'sent', { signal: AbortSignal.abort() }), (e: EtcdError) => e.code === GrpcCode.Canceled);
    assert.equal(await c.getString('never'), undefined);
    // A watch ends quietly when its signal fires.
    const wac = new AbortController();
    const w = c.watch('nothing', { signal: wac.signal });
    await new Promise((r) => w.once('created', r));
    setTimeout(() => wac.abort(), 50);
    let responses = 0;
    for await (const _ of w) responses++;
    assert.equal(responses, 0);
  } finally {
    await etcd.close();
  }
});

test('a keep-alive holds a lease past its TTL until closed', async () => {
  const etcd = await startEtcd();
  try {
    const c = etcd.client;
    const g = await c.lease.grant(2);
    const k = c.lease.keepAlive(g.ID, g.TTL);
    let refreshes = 0;
    k.on('keepalive', () => refreshes++);
    await new Promise((r) => setTimeout(r, 2600));
    const ttl = await c.lease.timeToLive(g.ID);
    assert.ok(ttl.TTL > 0, `lease still alive (TTL ${ttl.TTL})`);
    assert.ok(refreshes >= 2, `refreshed ${refreshes} times`);
    k.close();
    const once = await c.lease.keepAliveOnce(g.ID);
    assert.equal(once.ID, g.ID);
  } finally {
    await etcd.close();
  }
});

test('watch reports a compacted start revision', async () => {
  const etcd = await startEtcd();
  try {
    const c = etcd.client;
    await c.put('a', '1');
    const p = await c.put('a', '2');
    await c.kv.compact(p.header!.revision);
    const w = c.watch('a', { startRevision: 1 });
    await assert.rejects(
      (async () => {
        for await (const _ of w) void _;
      })(),
      (e: EtcdError & { compactRevision?: number }) => e.code === GrpcCode.OutOfRange && e.compactRevision === p.header!.revision,
    );
  } finally {
    await etcd.close();
  }
});
