// The server binary applies --edge-threads -1 (its default) as defaultEdgeThreads of the
// cores it may run on: none on 1 and 2 cores, where the core thread serves clients
// itself, and one per core beyond two elsewhere.
import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { test } from 'node:test';
import { defaultEdgeThreads } from '../../src/config/index.js';
import { Client } from '../../src/client/index.js';
import { selfCheck, startMember } from '../helpers/index.js';

test('a member started without --edge-threads runs the default number of edge threads for this machine', { skip: selfCheck() && 'runs real etcd', timeout: 30_000 }, async (t) => {
  // An empty ETCD_EDGE_THREADS is skipped, as etcd skips empty variables: the default
  // applies, not the one edge thread the suite's members are otherwise given.
  const m = await startMember('etcd-ts', { name: 'default-threads', env: { ETCD_EDGE_THREADS: '' } });
  t.after(() => m.close());
  const client = new Client({ endpoints: [m.endpoint] });
  t.after(() => client.close());
  await client.put('k', 'v');
  assert.equal((await client.get('k')).kvs[0]?.value.toString(), 'v', 'the member serves clients');
  const expected = defaultEdgeThreads(availableParallelism());
  const announced = /"msg":"serving clients on edge threads"[^\n]*"edge-threads":(\d+)/.exec(m.logs());
  assert.equal(announced ? Number(announced[1]) : 0, expected, `${availableParallelism()} cores`);
});
