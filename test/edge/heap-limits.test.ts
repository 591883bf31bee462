// Edge threads run with a small young generation (V8's default semi-spaces grow to
// 16 MiB each under load and stay resident): the limit is given to each thread's
// isolate as designed, and the thread serves its purpose with it (it boots).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bootEdgeThreads, EDGE_YOUNG_GENERATION_MB } from '../../src/edge/threads.js';

test('every edge thread runs with the edge young generation; its old generation keeps V8s default', { timeout: 30_000 }, async (t) => {
  const booting = bootEdgeThreads(2);
  t.after(() => booting.terminate());
  const limits = await booting.resourceLimits();
  assert.equal(limits.length, 2);
  for (const l of limits) {
    assert.equal(l.maxYoungGenerationSizeMb, EDGE_YOUNG_GENERATION_MB);
    // No cap on the old generation: a full edge thread would die of it, not slow down.
    assert.ok((l.maxOldGenerationSizeMb ?? 0) > 256, `old generation limit ${l.maxOldGenerationSizeMb} MiB`);
  }
});
