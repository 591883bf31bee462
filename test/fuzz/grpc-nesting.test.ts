// Deeply nested requests on the client gRPC port, side by side with the real etcd
// 3.4.23: a txn inside a txn's op, 1 to 100,000 levels deep (the only recursion in
// etcd's requests). etcd decodes any depth and answers TooManyOps once the nested
// ops outgrow --max-txn-ops (128); etcd-ts must answer each depth as etcd does, and
// go on serving. (Oversized messages on this port: test/compat/bad-input.test.ts.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startPair } from '../compat/pair.js';
import { grpcFrame, rawGrpcCall } from '../compat/raw-wire.js';
import { probeHealth } from '../helpers/member.js';

function varint(n: number): Buffer {
  const b: number[] = [];
  for (; n >= 0x80; n = Math.floor(n / 128)) b.push((n & 0x7f) | 0x80);
  b.push(n);
  return Buffer.from(b);
}

const field = (tag: number, body: Buffer) => Buffer.concat([Buffer.from([tag]), varint(body.length), body]);

/**
 * A TxnRequest whose success branch nests `depth` txns, `width` ops at each level
 * (ranges, the last one the next txn). Lengths are worked out from the inside first,
 * then the bytes written from the outside in: linear in the depth.
 */
function nestedTxn(depth: number, width: number): Buffer {
  const range = field(0x12, field(0x0a, field(0x0a, Buffer.from('foo')))); // success: RequestOp{request_range{key}}
  const txnLen: number[] = [width * range.length];
  for (let d = 1; d < depth; d++) {
    const op = 1 + varint(txnLen[d - 1]!).length + txnLen[d - 1]!; // RequestOp{request_txn (field 4)}
    txnLen.push((width - 1) * range.length + 1 + varint(op).length + op);
  }
  const out = Buffer.alloc(txnLen[depth - 1]!);
  let at = 0;
  const put = (b: Buffer) => (at += b.copy(out, at));
  for (let d = depth - 1; d >= 1; d--) {
    for (let k = 0; k < width - 1; k++) put(range);
    const op = 1 + varint(txnLen[d - 1]!).length + txnLen[d - 1]!;
    put(Buffer.from([0x12]));
    put(varint(op));
    put(Buffer.from([0x22]));
    put(varint(txnLen[d - 1]!));
  }
  for (let k = 0; k < width; k++) put(range);
  assert.equal(at, out.length);
  return out;
}

test('txns nested 1 to 100,000 deep over gRPC: answered as etcd answers each depth', { timeout: 60_000 }, async (t) => {
  const pair = await startPair();
  try {
    const cases: Array<[number, number]> = [[1, 1], [49, 1], [60, 1], [127, 1], [128, 1], [129, 1], [200, 1], [3000, 1], [100_000, 1], [40, 3], [43, 3], [44, 3], [600, 2]];
    for (const [depth, width] of cases) {
      const body = grpcFrame(nestedTxn(depth, width));
      const started = Date.now();
      const want = await rawGrpcCall(pair.etcd.endpoint, '/etcdserverpb.KV/Txn', body, true, 15_000);
      const etcdMs = Date.now() - started;
      const got = await rawGrpcCall(pair.ts.endpoint, '/etcdserverpb.KV/Txn', body, true, 15_000);
      t.diagnostic(`depth ${depth} x${width}: ${body.length} bytes, etcd ${etcdMs} ms, etcd-ts ${Date.now() - started - etcdMs} ms`);
      assert.equal(want.timedOut, false, `etcd answered depth ${depth}`);
      assert.deepEqual({ status: got.status ?? 0, message: got.message ?? '' }, { status: want.status ?? 0, message: want.message ?? '' }, `depth ${depth}, ${width} op(s) a level (${body.length} bytes)`);
    }
    t.diagnostic(`${cases.length} nesting depths compared with etcd`);
    assert.ok(await probeHealth(pair.ts.endpoint, 2000), 'etcd-ts still serves');
  } finally {
    await pair.close();
  }
});
