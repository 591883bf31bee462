// KV.RangeStream (etcd 3.7), written from etcd v3.7's tests/integration/v3_grpc_test.go
// (TestV3RangeRequest's streamed comparison, TestV3RangeStreamCount,
// TestV3RangeStreamPartialThenCompacted, TestV3RangeStreamWriteBetweenChunks,
// TestV3RangeStreamLargeValues) and server/etcdserver/api/v3rpc/key.go
// (checkRangeStreamRequest). The merged chunks of every request must equal Range's
// answer, here Range of the real etcd 3.4.23 fed the same history. A member behaving
// as etcd 3.4.23 answers Unimplemented, as the real one does: kube-apiserver then falls
// back to paging.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { fileURLToPath } from 'node:url';
import { grpcKv, startMember, startMembers, type Member, type Msg } from '../helpers/index.js';

const protoRoot = fileURLToPath(new URL('../../../proto', import.meta.url));
const pb = (grpc.loadPackageDefinition(
  protoLoader.loadSync('etcdserverpb/rpc.proto', { includeDirs: [protoRoot], longs: Number, bytes: Buffer, enums: String, defaults: false, oneofs: true }),
) as any).etcdserverpb;
const k = (s: string) => Buffer.from(s);

interface Streamed {
  chunks: Msg[];
  merged: Msg;
}

/** proto.Merge of every chunk: kvs appended, set scalars and the header taken from the chunk that has them. */
function merge(chunks: Msg[]): Msg {
  const out: Msg = { kvs: [] };
  for (const c of chunks) {
    const r = c.rangeResponse ?? {};
    out.kvs.push(...(r.kvs ?? []));
    if (r.header) out.header = { ...out.header, ...r.header };
    if (r.more) out.more = r.more;
    if (r.count) out.count = r.count;
  }
  return out;
}

/** Reads a RangeStream to its end; `readDelayMs` holds each chunk before asking for the next. */
function rangeStream(m: Member, req: Msg, opts: { onChunk?: (c: Msg, n: number) => Promise<void> } = {}): Promise<Streamed> {
  const client = new pb.KV(m.endpoint.replace(/^http:\/\//, ''), grpc.credentials.createInsecure(), { 'grpc.max_receive_message_length': -1 });
  const call = client.RangeStream(req, { deadline: Date.now() + 60_000 });
  const chunks: Msg[] = [];
  return new Promise<Streamed>((resolve, reject) => {
    let chain = Promise.resolve();
    call.on('data', (c: Msg) => {
      chunks.push(c);
      if (opts.onChunk) {
        call.pause();
        chain = chain.then(() => opts.onChunk!(c, chunks.length)).then(() => call.resume(), reject);
      }
    });
    call.on('error', (err: grpc.ServiceError) => reject(err));
    call.on('end', () => chain.then(() => resolve({ chunks, merged: merge(chunks) }), reject));
  }).finally(() => client.close());
}

const plain = (r: Msg) => ({
  kvs: (r.kvs ?? []).map((kv: Msg) => [kv.key.toString(), (kv.value ?? Buffer.alloc(0)).toString(), Number(kv.createRevision ?? 0), Number(kv.modRevision ?? 0), Number(kv.version ?? 0)]),
  more: !!r.more,
  count: Number(r.count ?? 0),
  revision: Number(r.header?.revision ?? 0),
});

describe('RangeStream by default', { concurrency: false }, () => {
  let ts: Member;
  let etcd: Member;
  before(async () => {
    [ts, etcd] = await startMembers([['etcd-ts', { release: 'default' }], ['etcd']]);
    for (const m of [ts, etcd]) {
      const { kv, close } = grpcKv(m);
      for (let i = 0; i < 25; i++) await kv.put({ key: k(`k${String(i).padStart(2, '0')}`), value: k(`v${i}`) });
      await kv.put({ key: k('k05'), value: k('again') });
      await kv.deleteRange({ key: k('k07') });
      close();
    }
  });
  after(async () => {
    await Promise.all([ts?.close(), etcd?.close()]);
  });

  test('merged chunks equal Range, for every shape of request', async () => {
    const reqs: Msg[] = [
      { key: k('k00'), rangeEnd: k('l') },
      { key: k('k'), rangeEnd: k('l'), limit: 5 },
      { key: k('k'), rangeEnd: k('l'), limit: 10 },
      { key: k('k'), rangeEnd: k('l'), limit: 24 },
      { key: k('k'), rangeEnd: k('l'), limit: 100 },
      { key: k('k1'), rangeEnd: Buffer.from([0]) },
      { key: k('k12') },
      { key: k('nothing') },
      { key: k('k'), rangeEnd: k('l'), keysOnly: true },
      { key: k('k'), rangeEnd: k('l'), countOnly: true },
      { key: k('k'), rangeEnd: k('l'), countOnly: true, limit: 3 },
      { key: k('k'), rangeEnd: k('l'), revision: 12 },
      { key: k('k'), rangeEnd: k('l'), revision: 12, limit: 7 },
      { key: k('k'), rangeEnd: k('l'), serializable: true },
      { key: k('k'), rangeEnd: k('l'), sortOrder: 'ASCEND', sortTarget: 'KEY' },
    ];
    const { kv, close } = grpcKv(etcd);
    try {
      for (const req of reqs) {
        const want = plain(await kv.range(req));
        const got = await rangeStream(ts, req);
        assert.deepEqual(plain(got.merged), want, `RangeStream ${JSON.stringify(req)}`);
        // Only the last chunk has the header, `more` and `count`.
        for (const c of got.chunks.slice(0, -1)) assert.equal(c.rangeResponse.header, undefined);
        assert.ok(got.chunks.at(-1)!.rangeResponse.header, 'the last chunk has the header');
      }
    } finally {
      close();
    }
  });

  test('count and more on the last chunk; chunks start at 10 keys (TestV3RangeStreamCount)', async () => {
    const cases: Array<[number, number, boolean, number, number]> = [
      // limit, count, more, keys, at least this many chunks
      [0, 24, false, 24, 2],
      [5, 24, true, 5, 1],
      [24, 24, false, 24, 2],
      [100, 24, false, 24, 2],
      [10, 24, true, 10, 1],
    ];
    for (const [limit, count, more, keys, minChunks] of cases) {
      const got = await rangeStream(ts, { key: k('k00'), rangeEnd: k('l'), limit });
      assert.deepEqual([got.merged.count, !!got.merged.more, got.merged.kvs.length], [count, more, keys], `limit ${limit}`);
      assert.ok(got.chunks.length >= minChunks, `limit ${limit}: ${got.chunks.length} chunks`);
      assert.ok(got.chunks[0].rangeResponse.kvs.length <= 10);
    }
  });

  test("etcd's refusals: custom sort orders and revision filters are Unimplemented, an empty key and a compacted revision as Range answers them", async () => {
    const fail = async (req: Msg) => {
      try {
        await rangeStream(ts, req);
      } catch (err) {
        return [(err as grpc.ServiceError).code, (err as grpc.ServiceError).details];
      }
      return undefined;
    };
    assert.deepEqual(await fail({ key: k('k'), rangeEnd: k('l'), sortOrder: 'DESCEND' }), [grpc.status.UNIMPLEMENTED, 'RangeStream does not support custom sort orders']);
    assert.deepEqual(await fail({ key: k('k'), rangeEnd: k('l'), sortOrder: 'ASCEND', sortTarget: 'VALUE' }), [grpc.status.UNIMPLEMENTED, 'RangeStream does not support custom sort orders']);
    assert.deepEqual(await fail({ key: k('k'), rangeEnd: k('l'), minModRevision: 3 }), [grpc.status.UNIMPLEMENTED, 'RangeStream does not support revision filters']);
    assert.deepEqual(await fail({ key: Buffer.alloc(0) }), [grpc.status.INVALID_ARGUMENT, 'etcdserver: key is not provided']);
    assert.deepEqual(await fail({ key: k('k'), rangeEnd: k('l'), revision: 1000 }), [grpc.status.OUT_OF_RANGE, 'etcdserver: mvcc: required revision is a future revision']);
  });

  test('the revision is pinned at the first chunk: a write between chunks is not seen (TestV3RangeStreamWriteBetweenChunks)', async () => {
    const { kv, close } = grpcKv(ts);
    try {
      const pinned = Number((await kv.range({ key: k('x') })).header.revision);
      const got = await rangeStream(ts, { key: k('k00'), rangeEnd: k('l') }, {
        onChunk: async (_c, n) => {
          if (n === 1) await kv.put({ key: k('k99-new'), value: k('v') });
        },
      });
      assert.ok(got.chunks.length >= 2);
      assert.equal(got.merged.kvs.length, 24);
      assert.ok(got.merged.kvs.every((kv: Msg) => kv.key.toString() !== 'k99-new'));
      assert.equal(Number(got.merged.header.revision), pinned);
      assert.equal(got.merged.count, 24);
    } finally {
      await kv.deleteRange({ key: k('k99-new') });
      close();
    }
  });
});

describe('RangeStream on large data', { concurrency: false }, () => {
  let m: Member;
  before(async () => {
    m = await startMember('etcd-ts');
  });
  after(async () => {
    await m?.close();
  });

  test('values near the chunk target: every key, in order, in bounded chunks (TestV3RangeStreamLargeValues)', async () => {
    const value = Buffer.alloc(1024 * 1024, 'b');
    const { kv, close } = grpcKv(m);
    for (let i = 0; i < 25; i++) await kv.put({ key: k(`big-${String(i).padStart(2, '0')}`), value });
    close();
    const got = await rangeStream(m, { key: k('big-'), rangeEnd: k('big.') });
    assert.deepEqual(got.merged.kvs.map((kv: Msg) => kv.key.toString()), Array.from({ length: 25 }, (_, i) => `big-${String(i).padStart(2, '0')}`));
    assert.ok(got.merged.kvs.every((kv: Msg) => kv.value.equals(value)));
    assert.ok(got.chunks.length >= 4, `${got.chunks.length} chunks`);
    // After the first chunk of 10, the limit halves toward the 1.5 MiB target.
    assert.ok(got.chunks.slice(1).every((c) => c.rangeResponse.kvs.length <= 5), got.chunks.map((c) => c.rangeResponse.kvs.length).join(','));
  });

  test('a compaction past the pinned revision mid-stream fails the next chunk as compacted (TestV3RangeStreamPartialThenCompacted)', async () => {
    const value = Buffer.alloc(10 * 1024, 'x');
    const { kv, close } = grpcKv(m);
    try {
      for (let i = 0; i < 400; i++) await kv.put({ key: k(`stream-${String(i).padStart(4, '0')}`), value });
      let received = 0;
      await assert.rejects(
        rangeStream(m, { key: k('stream-'), rangeEnd: k('stream.') }, {
          onChunk: async (c) => {
            received += c.rangeResponse.kvs.length;
            if (received >= 10 && received - c.rangeResponse.kvs.length < 10) {
              const adv = await kv.put({ key: k('zz-advance'), value: k('x') });
              await kv.compact({ revision: Number(adv.header.revision), physical: true });
            }
          },
        }),
        (err: grpc.ServiceError) => err.code === grpc.status.OUT_OF_RANGE && err.details === 'etcdserver: mvcc: required revision has been compacted',
      );
      assert.ok(received >= 10 && received < 400, `received ${received}`);
    } finally {
      close();
    }
  });
});

test('a member behaving as etcd 3.4.23 answers RangeStream Unimplemented, as the real etcd 3.4.23 does', async () => {
  const [ts, etcd] = await startMembers([['etcd-ts'], ['etcd']]);
  try {
    const answers = [];
    for (const m of [ts!, etcd!]) {
      try {
        await rangeStream(m, { key: k('a') });
        answers.push('served');
      } catch (err) {
        answers.push([(err as grpc.ServiceError).code, (err as grpc.ServiceError).details]);
      }
    }
    assert.deepEqual(answers[0], answers[1]);
    assert.deepEqual(answers[1], [grpc.status.UNIMPLEMENTED, 'unknown method RangeStream for service etcdserverpb.KV']);
  } finally {
    await Promise.all([ts?.close(), etcd?.close()]);
  }
});
