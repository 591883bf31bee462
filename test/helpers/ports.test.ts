// Port reservations across test processes: a port reserved lately is refused to every
// other caller, and a reservation older than a member needs to bind is taken over.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { RESERVATIONS, reserve } from './ports.js';

test('a reserved port is refused until its reservation is stale, then taken over', () => {
  // Port 1 is privileged: the kernel's probes never hand it out, so no test file races for it.
  const file = join(RESERVATIONS, '1');
  rmSync(file, { force: true });
  try {
    assert.equal(reserve(1), true, 'first reservation');
    assert.equal(reserve(1), false, 'reserved a moment ago (by any process)');
    const tenMinutesAgo = new Date(Date.now() - 10 * 60_000);
    utimesSync(file, tenMinutesAgo, tenMinutesAgo);
    assert.equal(reserve(1), true, 'a stale reservation is taken over');
    assert.equal(reserve(1), false, 'and is fresh again');
  } finally {
    rmSync(file, { force: true });
  }
});
