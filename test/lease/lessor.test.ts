// The lessor on its own, with a fake clock: grant/revoke as applied from the log,
// renewals and expiry on the primary only, attachment through the KV applier,
// and restore from the backend's lease bucket.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KvApplier } from '../../src/apply/kv-applier.js';
import { MemoryBackend } from '../../src/backend/memory.js';
import { MvccStore } from '../../src/mvcc/store.js';
import { EventType, type Event } from '../../src/pb/kv.js';
import { codec } from '../../src/pb/codec.js';
import { Errors } from '../../src/rpctypes/errors.js';
import { ExpiryLoop, FOREVER, Lessor, NotPrimaryError, leaseKey, minLeaseTtl, MAX_LEASE_TTL } from '../../src/lease/index.js';
import { ExpiryQueue } from '../../src/lease/expiry-queue.js';
import { b, s } from '../mvcc/util.js';
import { delReq, opPut, putReq, rangeReq, txnReq } from '../apply/reqs.js';

class FakeClock {
  t = 1_000_000;
  now = () => this.t;
  advance(ms: number): void {
    this.t += ms;
  }
}

function fresh(backend = new MemoryBackend()) {
  const clock = new FakeClock();
  const store = MvccStore.open(backend);
  const lessor = new Lessor({ backend, keys: store, minTtlSeconds: 2, now: clock.now });
  lessor.restoreKeys(store);
  const kv = new KvApplier(store, lessor);
  return { backend, clock, store, lessor, kv };
}

const keysOf = (l: Lessor, id: bigint) => l.lookup(id)!.keys().map(s);

test('minimum TTL follows etcd: ceil(floor(3 * electionTicks / 2) * heartbeat)', () => {
  assert.equal(minLeaseTtl(10, 100), 2); // etcd defaults: 15 ticks * 100 ms = 1.5 s → 2 s
  assert.equal(minLeaseTtl(5, 100), 1); // 7 ticks → 0.7 s → 1 s
  assert.equal(minLeaseTtl(10, 1000), 15);
});

test('grant: TTL raised to the minimum; ID 0, too large TTLs and duplicates are refused', () => {
  const { lessor } = fresh();
  assert.equal(lessor.grant(1n, 1).ttl, 2);
  assert.equal(lessor.grant(2n, 60).ttl, 60);
  assert.equal(lessor.grant(3n, MAX_LEASE_TTL).ttl, MAX_LEASE_TTL);
  assert.throws(() => lessor.grant(0n, 10), (e) => e === Errors.LeaseNotFound);
  assert.throws(() => lessor.grant(4n, MAX_LEASE_TTL + 1), (e) => e === Errors.LeaseTTLTooLarge);
  assert.throws(() => lessor.grant(2n, 10), (e) => e === Errors.LeaseExist);
  assert.deepEqual(lessor.leases().map((l) => l.id).sort(), [1n, 2n, 3n]);
});

test('grant persists etcd\'s layout: 8-byte big-endian ID → leasepb.Lease', () => {
  const { backend, lessor } = fresh();
  lessor.grant(0x0102030405060708n, 30);
  const raw = backend.get('lease', new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]));
  assert.ok(raw, 'lease record under the big-endian ID');
  assert.deepEqual(codec<any>('leasepb.Lease').decode(raw), { ID: 0x0102030405060708n, TTL: 30, RemainingTTL: 0 });
  lessor.revoke(0x0102030405060708n);
  assert.equal(backend.get('lease', leaseKey(0x0102030405060708n)), undefined);
});

test('a follower never expires leases and cannot renew them', async () => {
  const { clock, lessor } = fresh();
  lessor.grant(5n, 3);
  assert.equal(lessor.lookup(5n)!.expiry, FOREVER);
  clock.advance(3_600_000);
  assert.deepEqual(lessor.findExpired(), []);
  assert.equal(lessor.lookup(5n)!.expired(clock.t), false);
  await assert.rejects(lessor.renew(5n), NotPrimaryError);
  const loop = new ExpiryLoop(lessor, async () => assert.fail('a follower proposed a revoke'));
  assert.deepEqual(loop.round(), []);
});

test('primary: expiry is only reported, the lease stays until its revoke is applied', () => {
  const { clock, lessor } = fresh();
  lessor.promote(0);
  lessor.grant(7n, 10);
  clock.advance(9_999);
  assert.deepEqual(lessor.findExpired(), []);
  assert.equal(lessor.remainingSeconds(lessor.lookup(7n)!), 0);
  clock.advance(1);
  assert.deepEqual(lessor.findExpired(), [7n]);
  assert.ok(lessor.exists(7n), 'expired but not revoked: still there');
  // Handed out once; offered again only after the retry interval, in case the revoke was lost.
  assert.deepEqual(lessor.findExpired(), []);
  clock.advance(2_999);
  assert.deepEqual(lessor.findExpired(), []);
  clock.advance(1);
  assert.deepEqual(lessor.findExpired(), [7n]);
  lessor.revoke(7n);
  clock.advance(10_000);
  assert.deepEqual(lessor.findExpired(), []);
});

test('renew restarts the TTL on the primary; a missing lease is not found', async () => {
  const { clock, lessor } = fresh();
  lessor.promote(0);
  lessor.grant(8n, 10);
  clock.advance(8_000);
  assert.equal(lessor.remainingSeconds(lessor.lookup(8n)!), 2);
  assert.equal(await lessor.renew(8n), 10);
  assert.equal(lessor.remainingSeconds(lessor.lookup(8n)!), 10);
  clock.advance(9_000);
  assert.deepEqual(lessor.findExpired(), []);
  await assert.rejects(lessor.renew(99n), (e) => e === Errors.LeaseNotFound);
});

test('renewing an expired lease waits for its revoke, then reports it not found', async () => {
  const { clock, lessor } = fresh();
  lessor.promote(0);
  lessor.grant(9n, 2);
  clock.advance(2_500);
  let settled = false;
  const renewal = lessor.renew(9n).finally(() => (settled = true));
  await new Promise((r) => setImmediate(r));
  assert.equal(settled, false, 'must not renew a lease that is being revoked');
  lessor.revoke(9n);
  await assert.rejects(renewal, (e) => e === Errors.LeaseNotFound);
});

test('demote releases renewals waiting on an expired lease with not-primary', async () => {
  const { clock, lessor } = fresh();
  lessor.promote(0);
  lessor.grant(10n, 2);
  clock.advance(5_000);
  const renewal = lessor.renew(10n);
  lessor.demote();
  await assert.rejects(renewal, NotPrimaryError);
  assert.equal(lessor.lookup(10n)!.expiry, FOREVER);
  assert.deepEqual(lessor.findExpired(), []);
});

test('promote extends every lease to now + extend + TTL instead of expiring them at once', () => {
  const { clock, lessor } = fresh();
  lessor.grant(11n, 5);
  lessor.grant(12n, 30);
  clock.advance(60_000); // long without a leader: both would be overdue
  lessor.promote(1_000);
  assert.equal(lessor.lookup(11n)!.expiry, clock.t + 6_000);
  assert.equal(lessor.lookup(12n)!.expiry, clock.t + 31_000);
  clock.advance(5_999);
  assert.deepEqual(lessor.findExpired(), []);
  clock.advance(1);
  assert.deepEqual(lessor.findExpired(), [11n]);
});

test('promote staggers a pile of leases so revokes stay under the revoke rate', () => {
  const { clock, lessor } = fresh();
  for (let i = 1; i <= 2000; i++) lessor.grant(BigInt(i), 10);
  lessor.promote(0);
  const perSecond = new Map<number, number>();
  for (const l of lessor.leases()) {
    const sec = Math.floor((l.expiry - clock.t) / 1000);
    perSecond.set(sec, (perSecond.get(sec) ?? 0) + 1);
  }
  assert.ok(Math.max(...perSecond.values()) <= 1000, `at most the revoke rate per second: ${[...perSecond.entries()]}`);
  assert.ok(Math.min(...lessor.leases().map((l) => l.expiry)) >= clock.t + 10_000, 'no lease earlier than its TTL');
});

test('revoke deletes every attached key in one write txn that watchers see', () => {
  const { store, lessor, kv } = fresh();
  lessor.grant(20n, 60);
  kv.put(putReq('b', '1', { lease: 20n }));
  kv.put(putReq('a', '2', { lease: 20n }));
  kv.put(putReq('c', '3'));
  const seen: Array<{ rev: number; events: Array<[EventType, string]> }> = [];
  store.onWrite((events: readonly Event[], rev) => seen.push({ rev, events: events.map((e) => [e.type, s(e.kv.key)]) }));
  const before = store.rev();
  lessor.revoke(20n);
  assert.equal(store.rev(), before + 1, 'one revision for all the deletes');
  assert.deepEqual(seen, [{ rev: before + 1, events: [[EventType.DELETE, 'a'], [EventType.DELETE, 'b']] }]);
  assert.deepEqual(kv.range(rangeReq('\0', { end: '\0' })).kvs.map((x) => s(x.key)), ['c']);
  assert.equal(lessor.exists(20n), false);
  assert.throws(() => lessor.revoke(20n), (e) => e === Errors.LeaseNotFound);
});

test('revoking a lease without keys writes no revision', () => {
  const { store, lessor } = fresh();
  lessor.grant(21n, 60);
  const before = store.rev();
  lessor.revoke(21n);
  assert.equal(store.rev(), before);
});

test('attach/detach through puts: ignore_lease keeps it, a put moves a key, delete and plain put detach', () => {
  const { lessor, kv } = fresh();
  lessor.grant(30n, 60);
  lessor.grant(31n, 60);
  kv.put(putReq('k', 'v1', { lease: 30n }));
  assert.deepEqual(keysOf(lessor, 30n), ['k']);
  kv.put(putReq('k', 'v2', { ignoreLease: true }));
  assert.deepEqual(keysOf(lessor, 30n), ['k'], 'ignore_lease keeps the lease');
  assert.equal(kv.range(rangeReq('k')).kvs[0]!.lease, 30n);
  kv.put(putReq('k', 'v3', { lease: 31n }));
  assert.deepEqual([keysOf(lessor, 30n), keysOf(lessor, 31n)], [[], ['k']], 'moved to the other lease');
  kv.put(putReq('k', 'v4'));
  assert.deepEqual(keysOf(lessor, 31n), [], 'a put without a lease detaches');
  kv.txn(txnReq([], [opPut(putReq('t1', 'x', { lease: 31n })), opPut(putReq('t2', 'y', { lease: 31n }))], []));
  assert.deepEqual(keysOf(lessor, 31n), ['t1', 't2']);
  kv.deleteRange(delReq('t1'));
  assert.deepEqual(keysOf(lessor, 31n), ['t2'], 'deleted keys leave their lease');
  // A revoke now deletes only what is still attached.
  lessor.revoke(30n);
  assert.equal(kv.range(rangeReq('k')).kvs.length, 1);
});

test('the attached-key count follows puts, deletes, revokes and restores (puts skip the previous-lease read only at 0)', () => {
  const backend = new MemoryBackend();
  const { lessor, kv } = fresh(backend);
  assert.equal(lessor.hasAttachedKeys(), false);
  lessor.grant(50n, 60);
  lessor.grant(51n, 60);
  assert.equal(lessor.hasAttachedKeys(), false, 'a lease alone attaches nothing');
  kv.put(putReq('a', '1', { lease: 50n }));
  kv.put(putReq('a', '2', { lease: 50n }));
  kv.put(putReq('b', '1', { lease: 51n }));
  assert.equal(lessor.hasAttachedKeys(), true);
  kv.put(putReq('a', '3'));
  kv.put(putReq('b', '2', { lease: 50n }));
  assert.deepEqual([keysOf(lessor, 50n), keysOf(lessor, 51n)], [['b'], []]);
  kv.deleteRange(delReq('b'));
  assert.equal(lessor.hasAttachedKeys(), false, 'a re-put key counted once, then moved and deleted');
  kv.put(putReq('c', '1', { lease: 51n }));
  kv.put(putReq('d', '1', { lease: 51n }));
  lessor.revoke(51n);
  assert.equal(lessor.hasAttachedKeys(), false, 'a revoke takes its keys off the count');
  kv.put(putReq('e', '1', { lease: 50n }));
  const again = fresh(backend);
  assert.equal(again.lessor.hasAttachedKeys(), true, 'restored attachments count');
  again.kv.put(putReq('e', '2'));
  assert.deepEqual(keysOf(again.lessor, 50n), [], 'and a later plain put still detaches');
  assert.equal(again.lessor.hasAttachedKeys(), false);
});

test('a put with a missing lease is refused and writes nothing', () => {
  const { store, kv } = fresh();
  const before = store.rev();
  assert.throws(() => kv.put(putReq('x', 'y', { lease: 404n })), (e) => e === Errors.LeaseNotFound);
  assert.throws(() => kv.txn(txnReq([], [opPut(putReq('x', 'y', { lease: 404n }))], [])), (e) => e === Errors.LeaseNotFound);
  assert.equal(store.rev(), before);
});

test('restore: leases come back from the bucket as forever, keys re-attached from MVCC', () => {
  const backend = new MemoryBackend();
  const first = fresh(backend);
  first.lessor.promote(0);
  first.lessor.grant(40n, 60);
  first.lessor.grant(41n, 1); // stored with the minimum TTL
  first.kv.put(putReq('x', '1', { lease: 40n }));
  first.kv.put(putReq('y', '2', { lease: 40n }));
  first.kv.put(putReq('z', '3', { lease: 41n }));
  first.lessor.revoke(41n);

  const again = fresh(backend);
  assert.deepEqual(again.lessor.leases().map((l) => [l.id, l.ttl]), [[40n, 60]]);
  assert.equal(again.lessor.lookup(40n)!.expiry, FOREVER, 'no expiry until promoted');
  assert.deepEqual(keysOf(again.lessor, 40n), ['x', 'y']);
  again.lessor.promote(1_000);
  assert.equal(again.lessor.remainingSeconds(again.lessor.lookup(40n)!), 61);
  again.lessor.revoke(40n);
  assert.equal(again.kv.range(rangeReq('\0', { end: '\0' })).count, 0);
});

test('expiry loop proposes one revoke per expired lease and none while one is in flight', async () => {
  const { clock, lessor } = fresh();
  lessor.promote(0);
  lessor.grant(50n, 2);
  lessor.grant(51n, 2);
  lessor.grant(52n, 100);
  const proposed: bigint[] = [];
  const pending: Array<() => void> = [];
  const loop = new ExpiryLoop(lessor, (id) => {
    proposed.push(id);
    return new Promise<void>((r) => pending.push(() => { lessor.revoke(id); r(); }));
  });
  assert.deepEqual(loop.round(), []);
  clock.advance(2_000);
  assert.deepEqual(loop.round().sort(), [50n, 51n]);
  clock.advance(3_000); // past the retry interval, revokes still in flight
  assert.deepEqual(loop.round(), []);
  for (const p of pending) p();
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(lessor.leases().map((l) => l.id), [52n]);
  assert.deepEqual(proposed.sort(), [50n, 51n]);
});

test('expiry queue keeps one entry per lease and pops in time order', () => {
  const q = new ExpiryQueue();
  const times = [50, 10, 40, 30, 20, 60];
  times.forEach((t, i) => q.registerOrUpdate(BigInt(i), t));
  q.registerOrUpdate(0n, 5); // moved earlier
  q.registerOrUpdate(1n, 70); // moved later
  q.remove(2n);
  assert.equal(q.size, 5);
  const order: bigint[] = [];
  for (let i = 0; i < 10 && q.size > 0; i++) {
    const top = q.peek()!;
    order.push(top.id);
    q.remove(top.id);
  }
  assert.deepEqual(order, [0n, 4n, 3n, 5n, 1n]);
});
