// Embedded etcd for Node tests: a member in-process on an ephemeral port and data
// dir, with a client, gone again on close(). This file is the example the README shows.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { Compare, Op, startEtcd, type EmbeddedEtcd } from '../../src/index.js';

let etcd: EmbeddedEtcd;

before(async () => {
  etcd = await startEtcd();
});
after(async () => {
  await etcd.close();
});

test('a key written is read back, with its revision', async () => {
  const put = await etcd.client.put('greeting', 'hello');
  assert.equal(await etcd.client.getString('greeting'), 'hello');
  const res = await etcd.client.get('greeting');
  assert.equal(res.kvs[0]!.modRevision, put.header!.revision);
});

test('a transaction takes the branch its compare selects', async () => {
  await etcd.client.put('config/mode', 'blue');
  const res = await etcd.client
    .txn()
    .if(Compare.value('config/mode', '=', 'blue'))
    .then(Op.put('config/mode', 'green'), Op.get('config/mode'))
    .else(Op.get('config/mode'))
    .commit();
  assert.equal(res.succeeded, true);
  assert.equal(await etcd.client.getString('config/mode'), 'green');
});

test('a watcher sees the changes made after it started', async () => {
  const watcher = etcd.client.watch('jobs/', { prefix: true });
  await new Promise((resolve) => watcher.once('created', resolve));
  await etcd.client.put('jobs/1', 'queued');
  await etcd.client.delete('jobs/1');
  const seen: string[] = [];
  for await (const res of watcher) {
    for (const ev of res.events) seen.push(`${ev.type === 0 ? 'PUT' : 'DELETE'} ${Buffer.from(ev.kv.key).toString()}`);
    if (seen.length >= 2) break;
  }
  await watcher.cancel();
  assert.deepEqual(seen, ['PUT jobs/1', 'DELETE jobs/1']);
});

test('keys attached to a lease go when it is revoked', async () => {
  const lease = await etcd.client.lease.grant(30);
  await etcd.client.put('session/alive', 'yes', { lease: lease.ID });
  await etcd.client.lease.revoke(lease.ID);
  assert.equal(await etcd.client.getString('session/alive'), undefined);
});

test('start and stop take well under a second, and the data dir is removed', async () => {
  const t0 = performance.now();
  const e = await startEtcd();
  const started = performance.now() - t0;
  await e.client.put('k', 'v');
  const dir = e.dataDir;
  const t1 = performance.now();
  await e.close();
  const stopped = performance.now() - t1;
  assert.ok(started < 1000, `start took ${started.toFixed(1)} ms`);
  assert.ok(stopped < 1000, `stop took ${stopped.toFixed(1)} ms`);
  assert.equal(existsSync(dir), false);
  console.log(`embedded member: start ${started.toFixed(1)} ms, stop ${stopped.toFixed(1)} ms`);
});
