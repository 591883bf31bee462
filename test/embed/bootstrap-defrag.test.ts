// --bootstrap-defrag-threshold-megabytes (etcd 3.6; old name --experimental-…): before
// replaying its log, a member defragments its backend when that frees at least the
// threshold, and otherwise logs "Skipping defragmentation". Follows etcd's
// tests/e2e/etcd_config_test.go TestBootstrapDefragFlag (a threshold of 1000 MB skips) and
// server/etcdserver/bootstrap.go maybeDefragBackend (free = size - in use, compared in bytes).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startMember } from '../helpers/index.js';
import { tmpDir } from '../helpers/tmp.js';
import { Client } from '../../src/client/index.js';
import { shouldDefragAtBootstrap } from '../../src/server/bootstrap-defrag.js';

/** The log lines of one start, parsed. */
function lines(log: string, msg: string): Array<Record<string, unknown>> {
  return log.split('\n').filter((l) => l.startsWith('{') && l.includes(`"msg":"${msg}"`)).map((l) => JSON.parse(l) as Record<string, unknown>);
}

test('the threshold compares freeable bytes, as maybeDefragBackend', () => {
  assert.equal(shouldDefragAtBootstrap(3 << 20, 1 << 20, 2 << 20), true, 'exactly the threshold is defragmented');
  assert.equal(shouldDefragAtBootstrap(3 << 20, (1 << 20) + 1, 2 << 20), false);
});

test('--bootstrap-defrag-threshold-megabytes: skipped above the freeable space, done below it, data kept', { timeout: 120_000 }, async (t) => {
  const dir = tmpDir('bootstrap-defrag');
  t.after(() => dir.cleanup());
  const dataDir = join(dir.path, 'm.etcd');
  // Fill about 8 MB, then delete and compact it away: the pages stay in the file, free.
  let m = await startMember('etcd-ts', { dataDir });
  const client = new Client({ endpoints: [m.endpoint] });
  const value = 'v'.repeat(64 * 1024);
  try {
    for (let batch = 0; batch < 8; batch++) {
      await Promise.all(Array.from({ length: 16 }, (_, i) => client.kv.put(`big/${batch}/${i}`, value)));
    }
    await client.kv.put('keep', 'me');
    const del = await client.kv.delete('big/', { prefix: true });
    assert.equal(Number(del.deleted), 128);
    await client.kv.compact(Number(del.header!.revision), { physical: true });
    // Let the compaction's batch reach the file before stopping.
    await new Promise((r) => setTimeout(r, 500));
  } finally {
    await client.close();
  }
  await m.stop();

  // etcd's own test: a threshold of 1000 MB is more than there is to free.
  m = await startMember('etcd-ts', { dataDir, extraArgs: ['--experimental-bootstrap-defrag-threshold-megabytes', '1000'] });
  let log = m.logs();
  await m.stop();
  const [skip] = lines(log, 'Skipping defragmentation');
  assert.ok(skip, log);
  assert.equal(skip['experimental-bootstrap-defrag-threshold-bytes'], 1000 * 1024 * 1024);
  assert.equal(skip['experimental-bootstrap-defrag-threshold'], '1.0 GB');
  const size = skip['current-db-size-bytes'] as number;
  const inUse = skip['current-db-size-in-use-bytes'] as number;
  assert.ok(size - inUse >= 4 << 20, `at least 4 MiB free after the compaction (size ${size}, in use ${inUse})`);
  assert.ok(log.includes("--experimental-bootstrap-defrag-threshold-megabytes is deprecated in v3.6 and will be decommissioned in v3.7. Use '--bootstrap-defrag-threshold-megabytes' instead."), 'the old name warns');
  assert.equal(lines(log, 'defragmenting').length, 0);

  m = await startMember('etcd-ts', { dataDir, extraArgs: ['--bootstrap-defrag-threshold-megabytes', '1'] });
  t.after(() => m.close());
  log = m.logs();
  assert.equal(lines(log, 'Skipping defragmentation').length, 0, log);
  const [before] = lines(log, 'defragmenting');
  const [after] = lines(log, 'finished defragmenting directory');
  assert.ok(before && after, log);
  assert.ok((after['current-db-size-bytes'] as number) < (before['current-db-size-bytes'] as number), 'the file shrank');
  assert.equal(after['current-db-size-bytes-diff'], (after['current-db-size-bytes'] as number) - (before['current-db-size-bytes'] as number));
  assert.ok(log.indexOf('finished defragmenting directory') < log.indexOf('ready to serve client requests'), 'defragmented before serving');
  const c2 = new Client({ endpoints: [m.endpoint] });
  try {
    const kept = await c2.kv.get('keep');
    assert.equal(Buffer.from(kept.kvs[0]!.value).toString(), 'me');
    assert.equal(Number((await c2.kv.get('big/', { prefix: true, countOnly: true })).count), 0);
  } finally {
    await c2.close();
  }
});
