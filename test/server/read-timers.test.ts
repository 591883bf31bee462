// A linearizable read's request timeout ends with the read. Every read used to leave
// its timer running for the whole request timeout (7 s), holding the timer, three
// promises and their closures: tens of MiB of the core's heap under a read load.
// Timers are counted as the process creates and clears them, so nothing here waits
// on time.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startEtcd, type EmbeddedEtcd } from '../../src/index.js';

/** Long timers (a request timeout's length or more) created and not yet cleared or fired. */
const pending = new Set<unknown>();
let counting = false;
const realSetTimeout = globalThis.setTimeout;
const realClearTimeout = globalThis.clearTimeout;

let etcd: EmbeddedEtcd;

before(async () => {
  globalThis.setTimeout = ((fn: (...a: unknown[]) => void, ms?: number, ...args: unknown[]) => {
    const long = counting && (ms ?? 0) >= 5000;
    const t = realSetTimeout(
      (...a: unknown[]) => {
        pending.delete(t);
        fn(...a);
      },
      ms,
      ...args,
    );
    if (long) pending.add(t);
    return t;
  }) as typeof setTimeout;
  globalThis.clearTimeout = ((t?: Parameters<typeof clearTimeout>[0]) => {
    pending.delete(t);
    realClearTimeout(t);
  }) as typeof clearTimeout;
  etcd = await startEtcd();
});

after(async () => {
  await etcd.close();
  globalThis.setTimeout = realSetTimeout;
  globalThis.clearTimeout = realClearTimeout;
});

test('linearizable reads leave no request-timeout timer running once answered', async () => {
  await etcd.client.put('k', 'v');
  counting = true;
  try {
    for (let round = 0; round < 10; round++) {
      const got = await Promise.all(Array.from({ length: 20 }, () => etcd.client.getString('k')));
      assert.deepEqual(new Set(got), new Set(['v']));
    }
  } finally {
    counting = false;
  }
  assert.equal(pending.size, 0, `${pending.size} long timers still running after 200 answered reads`);
});
