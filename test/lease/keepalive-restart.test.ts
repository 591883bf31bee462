// Keep-alive streams and restarts, real etcd and etcd-ts side by side.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { etcdctl } from '../helpers/etcdctl.js';
import type { Member } from '../helpers/member.js';
import { startPair, type Pair } from '../compat/pair.js';
import { LeaseClient } from './grpc-client.js';
import type { LeaseKeepAliveResponse } from '../../src/pb/lease.js';

let pair: Pair;
before(async () => {
  pair = await startPair();
});
after(async () => {
  await pair?.close();
});

/** Sends the IDs on one stream and collects as many answers, within 10 s. */
async function keepAliveAll(m: Member, ids: bigint[]): Promise<LeaseKeepAliveResponse[]> {
  const c = new LeaseClient(m.endpoint);
  try {
    return await new Promise((resolve, reject) => {
      const got: LeaseKeepAliveResponse[] = [];
      const timer = setTimeout(() => reject(new Error(`${m.kind}: ${got.length}/${ids.length} keep-alive answers in 10 s`)), 10_000);
      const ka = c.keepAlive(
        (r) => {
          got.push(r);
          if (got.length === ids.length) {
            clearTimeout(timer);
            ka.end();
            resolve(got);
          }
        },
        (e) => {
          clearTimeout(timer);
          reject(e);
        },
      );
      for (const id of ids) ka.send(id);
    });
  } finally {
    c.close();
  }
}

test('one keep-alive stream answers every request in order; a missing lease answers TTL 0', async () => {
  for (const m of [pair.etcd, pair.ts]) {
    const c = new LeaseClient(m.endpoint);
    const a = (await c.grant(30)).ID;
    const b = (await c.grant(1)).ID;
    c.close();
    const got = await keepAliveAll(m, [a, 0x1234n, b, a]);
    assert.deepEqual(
      got.map((r) => [r.ID, r.TTL]),
      [[a, 30], [0x1234n, 0], [b, 2], [a, 30]],
      `${m.kind} keep-alive answers`,
    );
    assert.ok(got.every((r) => r.header && r.header.revision >= 1 && r.header.clusterId !== 0n), `${m.kind} headers filled`);
  }
});

test('a lease granted with a chosen ID keeps it; the same ID twice is refused', async () => {
  for (const m of [pair.etcd, pair.ts]) {
    const c = new LeaseClient(m.endpoint);
    try {
      assert.equal((await c.grant(60, 0x7777n)).ID, 0x7777n);
      await assert.rejects(c.grant(60, 0x7777n), (e: Error) => e.message === 'etcdserver: lease already exists', m.kind);
    } finally {
      c.close();
    }
  }
});

test('after a restart leases and their keys are back, with their TTL restarted', async () => {
  const ids = new Map<Member, string>();
  for (const m of [pair.etcd, pair.ts]) {
    const g = await etcdctl(m, ['lease', 'grant', '40']);
    const id = /lease ([0-9a-f]{16}) granted/.exec(g.stdout)?.[1];
    assert.ok(id, g.stdout + g.stderr);
    ids.set(m, id);
    assert.equal((await etcdctl(m, ['put', 'rs/a', '1', `--lease=${id}`])).code, 0);
    assert.equal((await etcdctl(m, ['put', 'rs/b', '2', `--lease=${id}`])).code, 0);
  }
  await Promise.all([pair.etcd.restart(), pair.ts.restart()]);
  for (const m of [pair.etcd, pair.ts]) {
    const id = ids.get(m)!;
    let out = '';
    // The member may need a moment to elect itself after it reports ready.
    for (let i = 0; i < 40; i++) {
      const r = await etcdctl(m, ['lease', 'timetolive', id, '--keys']);
      out = r.stdout;
      if (r.code === 0 && /granted/.test(out)) break;
      await new Promise((res) => setTimeout(res, 100));
    }
    const match = /granted with TTL\(40s\), remaining\((\d+)s\), attached keys\(\[(.*)\]\)/.exec(out);
    assert.ok(match, `${m.kind}: ${out}`);
    // Promote restarts the TTL (plus the election timeout) instead of counting down from before.
    assert.ok(Number(match[1]) >= 35 && Number(match[1]) <= 41, `${m.kind} remaining ${match[1]}`);
    assert.deepEqual(match[2]!.split(' ').sort(), ['rs/a', 'rs/b']);
    assert.equal((await etcdctl(m, ['lease', 'revoke', id])).code, 0);
    assert.equal((await etcdctl(m, ['get', 'rs/', '--prefix'])).stdout, '', `${m.kind}: revoke deleted the keys`);
  }
});
