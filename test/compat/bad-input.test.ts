// Hostile and oversized input: etcd-ts must answer with the same gRPC code and
// message as real etcd, keep serving, and keep what was written before.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { grpcFailure, grpcKv, type GrpcFailure, type Msg } from '../helpers/grpc.js';
import type { Member } from '../helpers/member.js';
import { probeHealth } from '../helpers/member.js';
import { same, startPair, type Pair } from './pair.js';
import { frameHeader, grpcFrame, HTTP2_PREFACE, rawExchange, rawGrpcCall } from './raw-wire.js';

const MiB = 1024 * 1024;
const SENTINEL = Buffer.from('bad/sentinel');

let pair: Pair;
before(async () => {
  pair = await startPair();
  for (const m of [pair.etcd, pair.ts]) await onKv(m, (c) => c.put({ key: SENTINEL, value: Buffer.from('still here') }));
});
after(async () => {
  await pair?.close();
});

async function onKv<T>(m: Member, f: (kv: ReturnType<typeof grpcKv>['kv']) => Promise<T>): Promise<T> {
  const c = grpcKv(m);
  try {
    return await f(c.kv);
  } finally {
    c.close();
  }
}

/** Runs the same probe against both members; etcd's answer first, so revisions line up. */
async function both<T>(probe: (m: Member) => Promise<T>): Promise<[T, T]> {
  const want = await probe(pair.etcd);
  const got = await probe(pair.ts);
  return [want, got];
}

/** A member still serves reads and writes, and the sentinel written at start survives. */
async function assertServing(m: Member): Promise<void> {
  assert.ok(await probeHealth(m.endpoint, 2000), `${m.kind} /health after bad input`);
  await onKv(m, async (kv) => {
    const r = await kv.range({ key: SENTINEL });
    assert.equal(r.kvs[0]?.value.toString(), 'still here', `${m.kind} lost the sentinel key`);
    await kv.put({ key: Buffer.from('bad/after'), value: Buffer.from('ok') });
  });
}

async function assertBothServing(): Promise<void> {
  await assertServing(pair.etcd);
  await assertServing(pair.ts);
}

const put = (key: Buffer, value: Buffer): Msg => ({ requestPut: { key, value } });

test('garbage bytes on the client port: connection closed without an answer, member keeps serving', async () => {
  const garbage = Buffer.from('\x00\x01\x02garbage\xff\xfe\r\n\r\nmore garbage'.repeat(10), 'latin1');
  const [want, got] = await both((m) => rawExchange(m.clientPort, garbage, 3000));
  assert.deepEqual(want, { closedByServer: true, response: Buffer.alloc(0) });
  assert.deepEqual(got, want);
  const notHttp = Buffer.from('NOTHTTP / FOO\r\n\r\n', 'latin1');
  const [want2, got2] = await both((m) => rawExchange(m.clientPort, notHttp, 3000));
  assert.equal(want2.closedByServer, true);
  assert.deepEqual(got2, want2);
  await assertBothServing();
});

test('a truncated HTTP/2 frame then disconnect: server preface is SETTINGS, member keeps serving', async () => {
  // a SETTINGS frame that announces 6 bytes of payload but carries 2
  const truncated = Buffer.concat([HTTP2_PREFACE, frameHeader(6, 0x4, 0, 0), Buffer.from([0, 3])]);
  const firstFrame = (b: Buffer) => b.length >= 9 && b.length >= 9 + b.readUIntBE(0, 3);
  const [want, got] = await both(async (m) => {
    const r = await rawExchange(m.clientPort, truncated, 3000, firstFrame);
    return { firstFrameType: r.response.length >= 9 ? r.response.readUInt8(3) : undefined, firstFrameStream: r.response.length >= 9 ? r.response.readUInt32BE(5) : undefined };
  });
  assert.deepEqual(want, { firstFrameType: 0x4, firstFrameStream: 0 });
  assert.deepEqual(got, want);
  await assertBothServing();
});

test('a truncated gRPC message then disconnect leaves the member serving; half-closed, it fails with etcd\'s code', async () => {
  const payload = Buffer.from('0123456789');
  const truncated = grpcFrame(payload, 1000);
  const [wantDrop, gotDrop] = await both((m) => rawGrpcCall(m.endpoint, '/etcdserverpb.KV/Put', truncated, false));
  assert.equal(wantDrop.timedOut, false);
  assert.equal(gotDrop.timedOut, false);
  await assertBothServing();
  const [want, got] = await both((m) => rawGrpcCall(m.endpoint, '/etcdserverpb.KV/Put', truncated, true));
  assert.equal(want.timedOut, false);
  assert.ok(want.status !== undefined && want.status !== 0, `etcd answered ${JSON.stringify(want)}`);
  // Only the code: the message is Go's io error text, which no client matches on.
  assert.equal(got.status, want.status, `etcd-ts answered ${JSON.stringify(got)}, etcd ${JSON.stringify(want)}`);
  await assertBothServing();
});

test('a complete gRPC message that is not a valid request is refused with etcd\'s code, for each KV method', async () => {
  // Field 1 (key) declares 100 bytes where 3 follow: no protobuf decoder accepts it.
  const garbage = Buffer.from([0x0a, 100, 0x61, 0x62, 0x63]);
  for (const method of ['Range', 'Put', 'DeleteRange', 'Txn']) {
    const [want, got] = await both((m) => rawGrpcCall(m.endpoint, `/etcdserverpb.KV/${method}`, grpcFrame(garbage), true));
    assert.equal(want.status, 13, `etcd answered ${JSON.stringify(want)}`);
    // The code and grpc-go's prefix; the rest is the decoder's own words.
    assert.equal(got.status, want.status, `${method}: etcd-ts answered ${JSON.stringify(got)}`);
    assert.match(got.message ?? '', /^grpc: error unmarshalling request: /);
  }
  await assertBothServing();
});

test('2 MiB values and keys exceed the gRPC limit exactly like etcd; 1.6 MiB exceeds the request limit', async () => {
  const cases: Array<[string, Msg]> = [
    ['2 MiB value', { key: Buffer.from('bad/big'), value: Buffer.alloc(2 * MiB, 0x61) }],
    ['2 MiB key', { key: Buffer.alloc(2 * MiB, 0x62), value: Buffer.from('v') }],
    ['1.6 MiB value', { key: Buffer.from('bad/big'), value: Buffer.alloc(1.6 * MiB, 0x61) }],
  ];
  for (const [what, req] of cases) {
    const [want, got] = await both((m) => onKv(m, (kv) => grpcFailure(kv.put(req))));
    assert.deepEqual(got, want, what);
  }
  const [big] = await both((m) => onKv(m, (kv) => grpcFailure(kv.put(cases[0]![1]))));
  assert.equal(big.code, 8);
  assert.match(big.message, /^grpc: received message larger than max \(\d+ vs\. 2097152\)$/);
  const [mid] = await both((m) => onKv(m, (kv) => grpcFailure(kv.put(cases[2]![1]))));
  assert.deepEqual(mid, { code: 3, message: 'etcdserver: request is too large' });
  for (const m of [pair.etcd, pair.ts]) {
    const r = await onKv(m, (kv) => kv.range({ key: Buffer.from('bad/big') }));
    assert.equal(r.count, '0', `${m.kind} stored a rejected value`);
  }
  await assertBothServing();
});

test('a value just under the request limit is accepted by both', async () => {
  const req = { key: Buffer.from('bad/large-ok'), value: Buffer.alloc(1.5 * MiB - 1024, 0x63) };
  const [want, got] = await both((m) => onKv(m, async (kv) => {
    const p = await kv.put(req);
    const r = await kv.range({ key: req.key });
    return { revision: p.header.revision, size: r.kvs[0]?.value.length };
  }));
  assert.equal(want.size, req.value.length);
  assert.deepEqual(got, want);
});

test('txn with 1000 (and 129) operations fails with TooManyOps; 128 is accepted', async () => {
  const ops = Array.from({ length: 1000 }, (_, i) => put(Buffer.from(`bad/op/${i}`), Buffer.from('v')));
  const probe = (n: number) => both((m) => onKv(m, (kv) => grpcFailure(kv.txn({ success: ops.slice(0, n) }))));
  const tooMany: GrpcFailure = { code: 3, message: 'etcdserver: too many operations in txn request' };
  for (const n of [1000, 129]) {
    const [want, got] = await probe(n);
    assert.deepEqual(want, tooMany);
    assert.deepEqual(got, want);
  }
  const [want, got] = await both((m) => onKv(m, async (kv) => {
    const r = await kv.txn({ success: ops.slice(0, 128) });
    return { succeeded: r.succeeded, responses: r.responses.length, revision: r.header.revision };
  }));
  assert.equal(want.responses, 128);
  assert.deepEqual(got, want);
  await assertBothServing();
});

test('duplicate keys in a txn fail with DuplicateKey in either branch; put plus range is allowed', async () => {
  const k = Buffer.from('bad/dup');
  const dup: GrpcFailure = { code: 3, message: 'etcdserver: duplicate key given in txn request' };
  const requests: Msg[] = [
    { success: [put(k, Buffer.from('1')), put(k, Buffer.from('2'))] },
    { success: [put(k, Buffer.from('1')), { requestDeleteRange: { key: k } }] },
    { success: [put(k, Buffer.from('1')), { requestDeleteRange: { key: Buffer.from('bad/'), rangeEnd: Buffer.from('bad0') } }] },
    { failure: [put(k, Buffer.from('1')), put(k, Buffer.from('1'))] },
  ];
  for (const req of requests) {
    const [want, got] = await both((m) => onKv(m, (kv) => grpcFailure(kv.txn(req))));
    assert.deepEqual(want, dup, JSON.stringify(req));
    assert.deepEqual(got, want);
  }
  const [want, got] = await both((m) => onKv(m, async (kv) => {
    const r = await kv.txn({ success: [put(k, Buffer.from('x')), { requestRange: { key: k } }] });
    return { succeeded: r.succeeded, revision: r.header.revision, read: r.responses[1]?.responseRange?.kvs.map((kv: Msg) => kv.value.toString()) };
  }));
  assert.equal(want.succeeded, true);
  assert.deepEqual(got, want);
  await assertBothServing();
});

test('keys and values that are not UTF-8 round trip byte for byte', async () => {
  const keys = [Buffer.from([0xff, 0xfe, 0x00, 0xc3, 0x28, 0x80]), Buffer.from([0x62, 0x69, 0x6e, 0x2f, 0xed, 0xa0, 0x80]), Buffer.from([0x62, 0x69, 0x6e, 0x2f, 0x00])];
  const [want, got] = await both((m) => onKv(m, async (kv) => {
    for (const key of keys) await kv.put({ key, value: Buffer.concat([Buffer.from([0xc3, 0x28]), key]) });
    const single = await kv.range({ key: keys[0] });
    const prefix = await kv.range({ key: Buffer.from('bin/'), rangeEnd: Buffer.from('bin0') });
    return {
      single: single.kvs.map((x: Msg) => [x.key.toString('hex'), x.value.toString('hex')]),
      prefix: prefix.kvs.map((x: Msg) => [x.key.toString('hex'), x.value.toString('hex'), x.modRevision]),
    };
  }));
  assert.deepEqual(want.single, [[keys[0]!.toString('hex'), `c328${keys[0]!.toString('hex')}`]]);
  assert.deepEqual(want.prefix.map((p: string[]) => p[0]), [keys[2]!.toString('hex'), keys[1]!.toString('hex')]);
  assert.deepEqual(got, want);
  const hex = await same(pair, ['get', 'bin/', '--prefix', '--hex']);
  assert.equal(hex.stdout, '\\x62\\x69\\x6e\\x2f\\x00\n\\xc3\\x28\\x62\\x69\\x6e\\x2f\\x00\n\\x62\\x69\\x6e\\x2f\\xed\\xa0\\x80\n\\xc3\\x28\\x62\\x69\\x6e\\x2f\\xed\\xa0\\x80\n');
  await assertBothServing();
});

test('an empty key over gRPC fails with etcd\'s code and message', async () => {
  const [want, got] = await both((m) => onKv(m, async (kv) => [
    await grpcFailure(kv.put({ key: Buffer.alloc(0), value: Buffer.from('x') })),
    await grpcFailure(kv.range({ key: Buffer.alloc(0) })),
    await grpcFailure(kv.deleteRange({ key: Buffer.alloc(0) })),
  ]));
  assert.deepEqual(want, Array(3).fill({ code: 3, message: 'etcdserver: key is not provided' }));
  assert.deepEqual(got, want);
});
