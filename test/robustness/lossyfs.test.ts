// lossyfs truly loses what was not synced: after the daemon is killed and a fresh one
// mounted, fsynced data is all there and unsynced writes are gone (a file written
// without fsync reads empty, an unsynced append is cut off, an unsynced overwrite of
// synced bytes or truncating rewrite is undone), while what was read back before the drop was the new data.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, fsyncSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LossyMount } from './lossyfs/lossyfs.js';

function write(path: string, data: string, o: { sync: boolean; flags?: string; position?: number }): void {
  const fd = openSync(path, o.flags ?? 'w');
  try {
    writeSync(fd, data, o.position ?? null);
    if (o.sync) fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

test('lossyfs keeps synced writes and drops unsynced ones when its daemon dies', async () => {
  const root = mkdtempSync(join(tmpdir(), 'lossyfs-test-'));
  const mount = new LossyMount(join(root, 'backing'), join(root, 'mnt'));
  await mount.mount();
  try {
    const p = (name: string) => join(mount.mountpoint, name);
    write(p('synced'), 'durable', { sync: true });
    write(p('unsynced'), 'volatile', { sync: false });
    write(p('appended'), 'head|', { sync: true });
    write(p('appended'), 'tail', { sync: false, flags: 'a' });
    write(p('overwritten'), 'AAAAAAAA', { sync: true });
    write(p('overwritten'), 'BB', { sync: false, flags: 'r+', position: 2 });
    write(p('truncated'), 'old contents', { sync: true });
    write(p('truncated'), 'new', { sync: false });
    // Before the drop, readers see every write, synced or not.
    assert.equal(readFileSync(p('unsynced'), 'utf8'), 'volatile');
    assert.equal(readFileSync(p('appended'), 'utf8'), 'head|tail');
    assert.equal(readFileSync(p('overwritten'), 'utf8'), 'AABBAAAA');
    assert.equal(readFileSync(p('truncated'), 'utf8'), 'new');
    // Nothing unsynced reached the backing files.
    assert.equal(readFileSync(join(mount.backing, 'unsynced'), 'utf8'), '');
    await mount.dropUnsynced();
    assert.equal(mount.drops, 1);
    assert.equal(readFileSync(p('synced'), 'utf8'), 'durable');
    assert.equal(readFileSync(p('unsynced'), 'utf8'), '');
    assert.equal(readFileSync(p('appended'), 'utf8'), 'head|');
    assert.equal(readFileSync(p('overwritten'), 'utf8'), 'AAAAAAAA');
    // A truncating open is a size change like any other: unsynced, it never happened.
    assert.equal(readFileSync(p('truncated'), 'utf8'), 'old contents');
  } finally {
    await mount.unmount();
    rmSync(root, { recursive: true, force: true });
  }
});
