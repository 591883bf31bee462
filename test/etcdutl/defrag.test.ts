// defrag --data-dir: a stopped member's backend shrinks after deletes and a compaction,
// the member boots with its data afterwards, and a running member is refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '../../src/client/index.js';
import { startMember, tmpDir } from '../helpers/index.js';
import { etcdutlTs, getAll, ok } from './util.js';

const dbFile = (dataDir: string) => join(dataDir, 'member', 'snap', 'db', 'data.mdb');

test('offline defrag shrinks a stopped member backend and the member boots with its data', async () => {
  const m = await startMember('etcd-ts');
  const client = new Client({ endpoints: [m.endpoint] });
  try {
    const value = 'v'.repeat(1024);
    for (let batch = 0; batch < 40; batch++) {
      await Promise.all(Array.from({ length: 50 }, (_, i) => client.put(`bulk/${batch}/${i}`, value)));
    }
    await client.put('keep', 'me');
    await client.delete('bulk/', { prefix: true });
    const rev = (await client.put('keep', 'me too')).header!.revision;
    await client.kv.compact(rev, { physical: true });

    const running = await etcdutlTs(['defrag', '--data-dir', m.dataDir]);
    assert.equal(running.code, 1);
    assert.match(running.stderr, /Error: Failed to defragment etcd data\[.*\] \(the member is running/);

    await client.close();
    const before = await getAll(m);
    await m.stop();
    const sizeBefore = statSync(dbFile(m.dataDir)).size;
    await ok(etcdutlTs(['defrag', '--data-dir', m.dataDir]));
    const sizeAfter = statSync(dbFile(m.dataDir)).size;
    assert.ok(sizeAfter < sizeBefore / 2, `defrag shrank ${sizeBefore} to ${sizeAfter}`);

    await m.restart();
    const after = await getAll(m);
    assert.equal(after.header.revision, before.header.revision);
    assert.deepEqual(after.kvs, before.kvs);
    assert.equal(after.kvs?.length, 1);
  } finally {
    await client.close().catch(() => undefined);
    await m.close();
  }
});

test('offline defrag of a directory without a backend fails instead of creating one', async () => {
  const dir = tmpDir('etcdutl-defrag-empty');
  try {
    const r = await etcdutlTs(['defrag', '--data-dir', dir.path]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Error: Failed to defragment etcd data\[.*\] \(open .*member\/snap\/db: no such file or directory\)/);
    const none = await etcdutlTs(['defrag']);
    assert.equal(none.code, 128);
  } finally {
    dir.cleanup();
  }
});
