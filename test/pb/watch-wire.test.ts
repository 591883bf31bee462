// The hand WatchResponse encoder against the reflection codec, and its sharing: an
// event is encoded once however many responses carry it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { codec } from '../../src/pb/codec.js';
import { composeWatchResponse, encodeEvent, encodeWatchResponse, rememberKeyValueBytes, sharedWatchResponse, type WatchResponseFields } from '../../src/pb/watch-wire.js';
import { encodeKeyValue } from '../../src/pb/keyvalue.js';
import { EventType, type Event, type KeyValue } from '../../src/pb/kv.js';
import { mulberry32 } from '../helpers/rng.js';

const watchResp = codec<WatchResponseFields>('etcdserverpb.WatchResponse');
type Rng = () => number;
const int = (r: Rng, max: number) => Math.floor(r() * max);
const bytes = (r: Rng, max: number) => Uint8Array.from({ length: int(r, max) }, () => int(r, 256));

function kv(r: Rng): KeyValue {
  return { key: bytes(r, 20), value: bytes(r, 200), createRevision: int(r, 1e6), modRevision: int(r, 1e6), version: int(r, 100), lease: int(r, 2) ? 0n : BigInt(int(r, 2 ** 31)) };
}

test('WatchResponse encodes to what the reflection codec reads back', () => {
  const r = mulberry32(3);
  for (let i = 0; i < 1000; i++) {
    const events: Event[] = Array.from({ length: int(r, 4) }, () => {
      const e: Event = { type: int(r, 2) ? EventType.PUT : EventType.DELETE, kv: kv(r) };
      if (r() < 0.4) e.prevKv = kv(r);
      return e;
    });
    const m: WatchResponseFields = {
      header: { clusterId: BigInt(int(r, 2 ** 40)), memberId: (1n << 63n) + 9n, revision: int(r, 1e7), raftTerm: int(r, 9) },
      watchId: [0, 1, -1, int(r, 1e5)][int(r, 4)]!,
      created: r() < 0.2,
      canceled: r() < 0.2,
      compactRevision: int(r, 2) ? 0 : int(r, 1e6),
      cancelReason: r() < 0.2 ? 'rpc error: code = PermissionDenied desc = etcdserver: permission denied ✓' : '',
      fragment: r() < 0.1,
      events,
    };
    assert.deepEqual(watchResp.decode(Buffer.from(encodeWatchResponse(m))), watchResp.decode(watchResp.encode(m as any)));
  }
});

test('an event is encoded once, and a stored key-value is not encoded again', () => {
  const r = mulberry32(8);
  const k = kv(r);
  const stored = encodeKeyValue(k);
  rememberKeyValueBytes(k, stored);
  const ev: Event = { type: EventType.PUT, kv: k };
  const a = encodeEvent(ev);
  assert.equal(encodeEvent(ev), a, 'the same bytes for every response that carries the event');
  // The event's kv field is the stored buffer's bytes, copied in once.
  assert.deepEqual(Buffer.from(a.subarray(a.length - stored.length)), Buffer.from(stored));
});

test('an events response as a shared body and its watch ID has the bytes of the whole response', () => {
  const r = mulberry32(11);
  for (let i = 0; i < 500; i++) {
    const events: Event[] = Array.from({ length: 1 + int(r, 4) }, () => ({ type: int(r, 2) ? EventType.PUT : EventType.DELETE, kv: kv(r), ...(r() < 0.4 ? { prevKv: kv(r) } : {}) }));
    const m: WatchResponseFields = {
      header: { clusterId: BigInt(int(r, 2 ** 40)), memberId: 7n, revision: int(r, 1e7), raftTerm: int(r, 9) },
      watchId: [0, 1, int(r, 1e5), 2 ** 40][int(r, 4)]!,
      created: false, canceled: false, compactRevision: 0, cancelReason: '', fragment: false, events,
    };
    const shared = sharedWatchResponse(m);
    assert.ok(shared, 'a plain events response is shareable');
    assert.equal(shared.watchId, m.watchId);
    assert.deepEqual(Buffer.from(composeWatchResponse(shared.body.header, shared.watchId, shared.body.events)), Buffer.from(encodeWatchResponse(m)));
  }
});

test('watchers sent the same events at the same revision share one body; anything else gets its own', () => {
  const r = mulberry32(12);
  const header = { clusterId: 5n, memberId: 7n, revision: 40, raftTerm: 2 };
  const ev: Event = { type: EventType.PUT, kv: kv(r) };
  const other: Event = { type: EventType.PUT, kv: kv(r) };
  const resp = (watchId: number, events: Event[], h = header): WatchResponseFields => ({ header: h, watchId, created: false, canceled: false, compactRevision: 0, cancelReason: '', fragment: false, events });
  const a = sharedWatchResponse(resp(1, [ev]))!;
  const b = sharedWatchResponse(resp(2, [ev]))!;
  assert.equal(a.body, b.body, 'the same events in a list of its own: one body');
  assert.deepEqual([a.watchId, b.watchId], [1, 2]);
  assert.notEqual(sharedWatchResponse(resp(3, [ev, other]))!.body, a.body, 'more events');
  assert.notEqual(sharedWatchResponse(resp(4, [other]))!.body, a.body, 'other events');
  assert.notEqual(sharedWatchResponse(resp(5, [ev], { ...header, revision: 41 }))!.body, a.body, 'another revision');
  // A list that grows after it was shared does not change what was sent.
  const held = [ev];
  const first = sharedWatchResponse(resp(6, held))!;
  held.push(other);
  const grown = sharedWatchResponse(resp(7, held))!;
  assert.notEqual(grown.body, first.body);
  const decoded = watchResp.decode(Buffer.from(composeWatchResponse(first.body.header, 6, first.body.events))) as unknown as { events: unknown[] };
  assert.equal(decoded.events.length, 1);
  for (const notShared of [
    { ...resp(1, [ev]), created: true },
    { ...resp(1, [ev]), canceled: true, cancelReason: 'x' },
    { ...resp(1, [ev]), compactRevision: 3 },
    { ...resp(1, [ev]), fragment: true },
    resp(1, []),
    resp(-1, [ev]),
  ]) assert.equal(sharedWatchResponse(notShared), undefined);
});
