// Watch and Lock over gRPC against etcd-ts and real etcd side by side: created
// responses, a duplicate client-chosen watch id, a compacted start revision, a
// progress request, and Lock with a lease that does not exist.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { grpcFailure, grpcKv, startMembers, type Member, type Msg } from '../helpers/index.js';

const protoRoot = fileURLToPath(new URL('../../../proto', import.meta.url));
const def = protoLoader.loadSync(['etcdserverpb/rpc.proto', 'v3lockpb/v3lock.proto'], { includeDirs: [protoRoot], longs: String, bytes: Buffer, enums: String, defaults: true, oneofs: true });
const pkgs = grpc.loadPackageDefinition(def) as any;

let ts: Member;
let etcd: Member;
before(async () => {
  [ts, etcd] = await startMembers([['etcd-ts'], ['etcd']]);
});
after(async () => {
  await Promise.all([ts?.close(), etcd?.close()]);
});

const addr = (m: Member) => m.endpoint.replace(/^http:\/\//, '');
const shape = (r: Msg) => ({ rev: r.header.revision, watchId: r.watchId, created: r.created, canceled: r.canceled, compactRevision: r.compactRevision, cancelReason: r.cancelReason, events: r.events.map((e: Msg) => `${e.type}:${e.kv.key}:${e.kv.value}`) });

/** Sends the requests in order and collects n responses (bounded by 5 s). */
async function watchExchange(m: Member, reqs: Msg[], n: number): Promise<Msg[]> {
  const client = new pkgs.etcdserverpb.Watch(addr(m), grpc.credentials.createInsecure());
  const call = client.Watch();
  const got: Msg[] = [];
  try {
    return await new Promise<Msg[]>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`got only ${JSON.stringify(got.map(shape))}`)), 5000);
      call.on('data', (r: Msg) => {
        got.push(r);
        if (got.length === n) {
          clearTimeout(t);
          resolve(got);
        }
      });
      call.on('error', () => {});
      for (const r of reqs) call.write(r);
    });
  } finally {
    call.cancel();
    client.close();
  }
}

test('watch over gRPC: duplicate id, compacted start, progress request — as etcd', async () => {
  const results = await Promise.all(
    [ts, etcd].map(async (m) => {
      const { kv, close } = grpcKv(m);
      for (let i = 0; i < 4; i++) await kv.put({ key: Buffer.from('g'), value: Buffer.from(`v${i}`) });
      await kv.compact({ revision: 3, physical: true });
      close();
      const k = Buffer.from('g');
      const rs = await watchExchange(m, [
        { createRequest: { key: k, watchId: 7, startRevision: 4 } },
        { createRequest: { key: k, watchId: 7 } },
        { createRequest: { key: k, startRevision: 2 } },
        { progressRequest: {} },
      ], 6);
      return rs.map(shape);
    }),
  );
  // The order between the history of watcher 7 and the control responses may differ; compare as sets.
  const sort = (a: object[]) => a.map((x) => JSON.stringify(x)).sort();
  assert.deepEqual(sort(results[0]), sort(results[1]));
  assert.ok(results[0].some((r) => r.cancelReason === 'mvcc: duplicate watch ID provided on the WatchStream'));
  assert.ok(results[0].some((r) => r.compactRevision === '3' && r.canceled));
});

test('a watch starting exactly at the compaction revision is served, as etcd 3.4 serves it', async () => {
  const results = await Promise.all(
    [ts, etcd].map(async (m) => {
      const { kv, close } = grpcKv(m);
      for (let i = 0; i < 4; i++) await kv.put({ key: Buffer.from('at'), value: Buffer.from(`v${i}`) });
      const top = Number((await kv.range({ key: Buffer.from('at') })).header.revision);
      await kv.compact({ revision: top - 1, physical: true });
      close();
      // created, then the history from the compaction revision on (one response).
      const rs = await watchExchange(m, [{ createRequest: { key: Buffer.from('at'), startRevision: top - 1 } }], 2);
      return rs.map((r) => ({ ...shape(r), rev: undefined, revs: r.events.map((e: Msg) => Number(e.kv.modRevision) - top) }));
    }),
  );
  assert.deepEqual(results[0], results[1]);
  assert.deepEqual(results[1][1].events, ['PUT:at:v2', 'PUT:at:v3']);
  assert.equal(results[1][1].canceled, false);
});

test('Lock with a lease that does not exist fails as etcd fails it', async () => {
  const [a, b] = await Promise.all(
    [ts, etcd].map(async (m) => {
      const client = new pkgs.v3lockpb.Lock(addr(m), grpc.credentials.createInsecure());
      try {
        return await grpcFailure(new Promise((resolve, reject) => client.Lock({ name: Buffer.from('l'), lease: '12345' }, { deadline: Date.now() + 5000 }, (err: unknown, res: unknown) => (err ? reject(err) : resolve(res)))));
      } finally {
        client.close();
      }
    }),
  );
  assert.deepEqual(a, b);
  assert.deepEqual(a, { code: grpc.status.UNKNOWN, message: 'etcdserver: requested lease not found' });
});
