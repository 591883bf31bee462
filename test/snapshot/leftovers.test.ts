// A member killed while building a snapshot leaves its temporary file in the data
// dir; the next start removes it (and says so) instead of letting them pile up.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startMember, tmpDir } from '../helpers/index.js';

test('a restart removes half-built snapshot files from the data dir', async () => {
  const dir = tmpDir('snapshot-leftovers');
  const dataDir = join(dir.path, 'n1.etcd');
  const stale = join(dataDir, 'snapshot-tmp-AbC123');
  mkdirSync(stale, { recursive: true });
  writeFileSync(join(stale, 'db'), Buffer.alloc(8192, 1));
  const m = await startMember('etcd-ts', { dataDir });
  try {
    assert.equal(existsSync(stale), false);
    assert.match(m.logs(), /removed unfinished snapshot files/);
    assert.ok(existsSync(join(dataDir, 'member')), 'the member itself is untouched');
  } finally {
    await m.close();
    dir.cleanup();
  }
});
