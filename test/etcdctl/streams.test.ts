// Golden tests of the long-running commands: watch (plain, json, prev-kv, from a
// revision, with a command per event, interactive), lock and elect. Both etcdctls
// watch the same etcd-ts member, so they see the very same events.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Client } from '../../src/client/index.js';
import { normalizeStderr, startMember, type Member } from '../helpers/index.js';
import { killLeftRunning, startLong, type LongRunning } from './run.js';
import { watchCount, watchesAdded } from './terminal.js';

let member: Member;
let client: Client;

before(async () => {
  member = await startMember('etcd-ts', { name: 'streams' });
  client = new Client({ endpoints: [member.endpoint] });
});
after(async () => {
  await killLeftRunning();
  await client?.close();
  await member?.close();
});

const lines = (n: number) => (s: string) => s.split('\n').length - 1 >= n;
const maskLease = (s: string) => s.replace(/\/[0-9a-f]{10,16}\b/g, '/<lease>');

/**
 * Starts the same watch with both etcdctls and waits until the member counts the
 * watch streams they open (`streams`: etcdctl shares one among its watches,
 * etcdctl-ts opens one per watch).
 */
async function bothWatching(args: string[], opts: { stdin?: string } = {}, streams = 2): Promise<[LongRunning, LongRunning]> {
  // The last test's etcdctls were killed, and the member drops their watches once it
  // sees their connections close: counted from before that, the new ones never add up.
  const base = await watchesSettled();
  const pair: [LongRunning, LongRunning] = [startLong('etcdctl', member.endpoint, args, opts), startLong('etcdctl-ts', member.endpoint, args, opts)];
  await watchesAdded(member, base, streams);
  return pair;
}

/** The member's watch count once the last test's watches are gone (at most 5 s). */
async function watchesSettled(): Promise<number> {
  const deadline = Date.now() + 5000;
  let n = await watchCount(member);
  while (n > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 25));
    n = await watchCount(member);
  }
  return n;
}

async function stopBoth(pair: [LongRunning, LongRunning], expectedLines: number): Promise<void> {
  await Promise.all(pair.map((p) => p.waitFor(lines(expectedLines))));
  const [a, b] = await Promise.all(pair.map((p) => p.stop()));
  assert.equal(maskLease(b!.stdout), maskLease(a!.stdout));
}

describe('watch, lock and elect match etcdctl 3.4', { concurrency: false }, () => {
  test('watch a prefix, simple and json, with previous values', async () => {
    const simple = await bothWatching(['watch', 'w/', '--prefix', '--prev-kv']);
    const json = await bothWatching(['watch', 'w/', '--prefix', '-w', 'json']);
    await client.put('w/a', '1');
    await client.put('w/a', '2');
    await client.delete('w/a');
    await stopBoth(simple, 3 + 5 + 4);
    await Promise.all(json.map((p) => p.waitFor(lines(3))));
    const [a, b] = await Promise.all(json.map((p) => p.stop()));
    const mask = (s: string) => s.replace(/"(cluster_id|member_id|raft_term)":\d+/g, '"$1":0');
    assert.equal(mask(b!.stdout), mask(a!.stdout));
  });

  test('watch from a past revision replays history', async () => {
    const rev = (await client.put('h', 'x')).header!.revision;
    await client.put('h', 'y');
    const pair = await bothWatching(['watch', 'h', '--rev', String(rev)]);
    await stopBoth(pair, 6);
  });

  test('watch runs a command per event with ETCD_WATCH_* set', async () => {
    const pair = await bothWatching(['watch', 'x', '--', 'sh', '-c', 'echo "$ETCD_WATCH_EVENT_TYPE $ETCD_WATCH_KEY $ETCD_WATCH_VALUE $ETCD_WATCH_REVISION"']);
    await client.put('x', 'v"q');
    await stopBoth(pair, 4);
  });

  test('interactive watch takes watch lines from stdin', async () => {
    const pair = await bothWatching(['watch', '-i'], { stdin: 'watch i1\nbogus\nwatch i2 --prev-kv\n' }, 3);
    await client.put('i1', 'a');
    await client.put('i2', 'b');
    await Promise.all(pair.map((p) => p.waitFor(lines(6))));
    const [a, b] = await Promise.all(pair.map((p) => p.stop()));
    assert.equal(b!.stdout, a!.stdout);
    assert.equal(normalizeStderr(b!.stderr), normalizeStderr(a!.stderr));
  });

  test('interactive progress requests print the current revision', async () => {
    const pair = await bothWatching(['watch', '-i'], { stdin: 'watch p1\n' });
    await client.put('p1', 'x');
    await Promise.all(pair.map((p) => p.waitFor(lines(3))));
    const rev = (await client.get('p1')).header!.revision;
    // stdin stays open: write the progress line to both now.
    for (const p of pair) p.write('progress\n');
    await Promise.all(pair.map((p) => p.waitFor((s) => s.includes('progress notify:'))));
    const [a, b] = await Promise.all(pair.map((p) => p.stop()));
    assert.equal(b!.stdout, a!.stdout);
    assert.match(b!.stdout, new RegExp(`progress notify: ${rev}\n`));
  });

  test('watching a compacted revision ends with etcdctl\'s error and exit code', async () => {
    await client.put('cw', '1');
    const r = await client.put('cw', '2');
    await client.kv.compact(r.header!.revision);
    const pair = [startLong('etcdctl', member.endpoint, ['watch', 'cw', '--rev', '1']), startLong('etcdctl-ts', member.endpoint, ['watch', 'cw', '--rev', '1'])];
    const timeout = setTimeout(() => pair.forEach((p) => void p.stop()), 8000);
    const [a, b] = await Promise.all(pair.map((p) => p.exited));
    clearTimeout(timeout);
    assert.equal(b!.code, a!.code);
    assert.equal(b!.stdout, a!.stdout);
    assert.equal(normalizeStderr(b!.stderr), normalizeStderr(a!.stderr));
  });

  test('lock prints the ownership key and waits; the second waits for the first', async () => {
    const first = startLong('etcdctl', member.endpoint, ['lock', 'L']);
    await first.waitFor(lines(1));
    const second = startLong('etcdctl-ts', member.endpoint, ['lock', 'L']);
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(second.output(), '', 'the lock is held by the first');
    const a = await first.stop();
    await second.waitFor(lines(1));
    const b = await second.stop();
    assert.equal(maskLease(b.stdout), maskLease(a.stdout));
    assert.match(b.stdout, /^L\/[0-9a-f]{10,16}\n\n$/);
  });

  test('lease keep-alive, timetolive with keys, put with a lease', async () => {
    // Session leases of the lock and elect tests expire on their own, at times of their own: not listed here.
    for (const l of (await client.lease.leases()).leases) await client.lease.revoke(l.ID);
    const g = await client.lease.grant(60);
    const id = g.ID.toString(16);
    await client.put('leased', 'v', { lease: g.ID });
    for (const args of [['lease', 'timetolive', id, '--keys'], ['lease', 'timetolive', id, '-w', 'json'], ['lease', 'keep-alive', '--once', id], ['put', 'leased', 'w', '--ignore-lease'], ['get', 'leased', '-w', 'fields'], ['lease', 'list', '-w', 'json']]) {
      const a = startLong('etcdctl', member.endpoint, args);
      const ra = await a.exited;
      const b = startLong('etcdctl-ts', member.endpoint, args);
      const rb = await b.exited;
      const mask = (t: string) => t.replace(/"(cluster_id|member_id|raft_term|revision|ttl)":\d+/g, '"$1":0').replace(/remaining\(\d+s\)/, 'remaining(<n>s)').replace(/"Revision" : \d+/, '"Revision" : <n>');
      assert.equal(mask(rb.stdout), mask(ra.stdout), args.join(' '));
      assert.equal(rb.code, ra.code, args.join(' '));
    }
    const pair = [startLong('etcdctl', member.endpoint, ['lease', 'keep-alive', id]), startLong('etcdctl-ts', member.endpoint, ['lease', 'keep-alive', id])];
    await Promise.all(pair.map((p) => p.waitFor(lines(1))));
    const [a, b] = await Promise.all(pair.map((p) => p.stop()));
    assert.equal(b!.stdout.split('\n')[0], a!.stdout.split('\n')[0]);
    await client.lease.revoke(g.ID);
  });

  test('elect prints the leader key and proposal', async () => {
    const a = startLong('etcdctl', member.endpoint, ['elect', 'E', 'p1']);
    await a.waitFor(lines(2));
    const ra = await a.stop();
    const b = startLong('etcdctl-ts', member.endpoint, ['elect', 'E', 'p1']);
    await b.waitFor(lines(2));
    const rb = await b.stop();
    assert.equal(maskLease(rb.stdout), maskLease(ra.stdout));
  });
});
