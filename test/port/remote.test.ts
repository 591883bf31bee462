// The member port across a thread boundary, with a stand-in member behind it: calls,
// errors, cancellation, watch flow control and batching, over a real MessageChannel.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MessageChannel } from 'node:worker_threads';
import { PortHost } from '../../src/port/host.js';
import { RemotePort, WATCH_WINDOW } from '../../src/port/remote.js';
import type { MemberPort, WatchOutlet, WatchStreamPort } from '../../src/port/member-port.js';
import { Errors, EtcdError, GrpcCode } from '../../src/rpctypes/errors.js';
import { encodeWatchResponse, sharedWatchResponse, type WatchResponseFields } from '../../src/pb/watch-wire.js';
import { EventType } from '../../src/pb/kv.js';

type Fake = Partial<MemberPort> & Record<string, unknown>;

function connect(fake: Fake, metrics: () => Promise<unknown[]> = async () => []) {
  const { port1, port2 } = new MessageChannel();
  let posts = 0;
  const counted = {
    postMessage: (v: unknown) => {
      posts++;
      port2.postMessage(v);
    },
    on: (e: 'message', f: (v: any) => void) => port2.on(e, f),
  };
  let packedBytes = 0;
  const core = {
    postMessage: (v: { p?: ArrayBuffer }, transfer?: ArrayBuffer[]) => {
      packedBytes += v.p?.byteLength ?? 0;
      port1.postMessage(v, transfer);
    },
    on: (e: 'message', f: (v: any) => void) => port1.on(e, f),
  };
  const logs: string[] = [];
  const host = new PortHost(core, fake as MemberPort, (level, msg) => logs.push(`${level} ${msg}`));
  const remote = new RemotePort(counted, metrics);
  return {
    port: remote.port,
    remote,
    host,
    logs,
    posts: () => posts,
    packedBytes: () => packedBytes,
    close() {
      host.close();
      remote.close(new Error('closed'));
      port1.close();
      port2.close();
    },
  };
}

function header(revision: number) {
  return { clusterId: 1n, memberId: 2n, revision, raftTerm: 3 };
}

test('hot KV calls travel packed: a turn of them is one message, bytes in and bytes out, credentials with them', async () => {
  const seen: Array<{ req: Uint8Array; who: unknown }> = [];
  const c = connect({
    put: async (req: Uint8Array, who: unknown) => {
      seen.push({ req, who });
      return Uint8Array.from([...req].reverse());
    },
  });
  try {
    // A request that is a view into a larger buffer arrives as exactly its bytes.
    const slab = Buffer.alloc(65536, 0x61);
    slab[11] = 0x62;
    const req = slab.subarray(10, 13);
    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => c.port.put(req, i === 7 ? { token: 'tok', commonName: 'cn' } : {})));
    assert.equal(answers.length, 50);
    assert.deepEqual([...answers[0]!], [0x61, 0x62, 0x61]);
    assert.equal(c.posts(), 1, 'fifty calls in one turn leave as one message');
    assert.deepEqual([...seen[0]!.req], [0x61, 0x62, 0x61]);
    assert.deepEqual(seen[0]!.who, { token: undefined, commonName: undefined });
    assert.deepEqual(seen[7]!.who, { token: 'tok', commonName: 'cn' });
  } finally {
    c.close();
  }
});

test('other calls cross by structured clone with bigints, and byte views cross as exactly their bytes', async () => {
  const seen: unknown[] = [];
  const c = connect({
    leaseGrant: async (req: any) => {
      seen.push(req);
      return { header: header(5), ID: req.ID, TTL: req.TTL, error: '' };
    },
    lock: async (req: any) => {
      seen.push(req);
      return { header: header(6), key: req.name };
    },
  });
  try {
    assert.deepEqual(await c.port.leaseGrant({ ID: 1n << 62n, TTL: 10 }, {}), { header: header(5), ID: 1n << 62n, TTL: 10, error: '' });
    const slab = Buffer.alloc(65536, 0x61);
    const r = await c.port.lock({ name: slab.subarray(1, 4), lease: 1n }, {}, new AbortController().signal);
    const got = seen[1] as { name: Uint8Array };
    assert.equal(got.name.buffer.byteLength, 3, 'only the name bytes crossed');
    assert.equal(Buffer.from(r.key).toString(), 'aaa');
  } finally {
    c.close();
  }
});

test("errors keep etcd's code and message, and the shared instances stay identical", async () => {
  const c = connect({
    range: async () => {
      throw Errors.Compacted;
    },
    put: async () => {
      throw new EtcdError(GrpcCode.FailedPrecondition, 'something particular');
    },
    txn: async () => {
      throw new Error('plain failure');
    },
    memberList: async () => {
      throw Errors.NoLeader;
    },
  });
  try {
    const none = new Uint8Array(0);
    await assert.rejects(c.port.range(none, {}), (e) => e === Errors.Compacted);
    await assert.rejects(c.port.put(none, {}), (e: any) => e instanceof EtcdError && e.code === GrpcCode.FailedPrecondition && e.message === 'something particular');
    await assert.rejects(c.port.txn(none, {}), (e: any) => !(e instanceof EtcdError) && e.message === 'plain failure');
    await assert.rejects(c.port.memberList({}, {}), (e) => e === Errors.NoLeader);
  } finally {
    c.close();
  }
});

test('an aborted lock call aborts on the core side', async () => {
  let coreSignal: AbortSignal | undefined;
  const c = connect({
    lock: (_req: unknown, _who: unknown, signal: AbortSignal) =>
      new Promise((_resolve, reject) => {
        coreSignal = signal;
        signal.addEventListener('abort', () => reject(new Error('canceled')));
      }),
  });
  try {
    const ac = new AbortController();
    const p = c.port.lock({ name: Buffer.from('n'), lease: 1n }, {}, ac.signal);
    while (coreSignal === undefined) await new Promise((r) => setTimeout(r, 1));
    ac.abort();
    await assert.rejects(p);
    assert.equal(coreSignal.aborted, true);
  } finally {
    c.close();
  }
});

test('watch: the core sends at most a window ahead of what the edge outlet took, and resumes once it drains', async () => {
  let coreOut: WatchOutlet | undefined;
  let drains = 0;
  const stream: WatchStreamPort = { watch() {}, cancel() {}, requestProgress() {}, drained: () => void drains++, close() {} };
  const c = connect({
    openWatch: (_who: unknown, out: WatchOutlet) => {
      coreOut = out;
      return stream;
    },
  });
  try {
    const received: Uint8Array[] = [];
    let room = false;
    const edge = c.port.openWatch({}, (r) => {
      assert.ok(r instanceof Uint8Array, 'the edge is given bytes');
      received.push(r);
      return room;
    });
    while (coreOut === undefined) await new Promise((r) => setTimeout(r, 1));
    const resp = (i: number) => Uint8Array.of(i & 0xff, i >> 8);
    // The edge's outlet is full from the first response on: the core may still send a window's worth.
    let accepted = 0;
    for (let i = 0; i < WATCH_WINDOW * 2; i++) {
      if (!coreOut(resp(i))) break;
      accepted++;
    }
    assert.equal(accepted, WATCH_WINDOW - 1, 'the core stops at the window');
    while (received.length < WATCH_WINDOW) await new Promise((r) => setTimeout(r, 1));
    assert.deepEqual(received.map((b) => b[0]! | (b[1]! << 8)), Array.from({ length: WATCH_WINDOW }, (_, i) => i), 'in order, each once');
    assert.equal(drains, 0, 'nothing acknowledged while the outlet is full');
    room = true;
    edge.drained();
    while (drains === 0) await new Promise((r) => setTimeout(r, 1));
    assert.equal(drains, 1, 'the hub is told to resume once');
    assert.equal(coreOut(resp(999)), true);
    edge.close();
  } finally {
    c.close();
  }
});

test('watch: a fan-out crosses as one shared body and an ID per response; each edge stream gets the whole response', async () => {
  const outs: WatchOutlet[] = [];
  const stream: WatchStreamPort = { watch() {}, cancel() {}, requestProgress() {}, drained() {}, close() {} };
  const c = connect({
    openWatch: (_who: unknown, out: WatchOutlet) => {
      outs.push(out);
      return stream;
    },
  });
  try {
    const got: Uint8Array[][] = [[], [], []];
    for (const g of got) c.port.openWatch({}, (r) => (g.push(r as Uint8Array), true));
    while (outs.length < got.length) await new Promise((r) => setTimeout(r, 1));
    const kv = { key: Buffer.from('k'), value: Buffer.from('v'.repeat(300)), createRevision: 2, modRevision: 9, version: 3, lease: 0n };
    const events = [{ type: EventType.PUT, kv }];
    const resp = (watchId: number): WatchResponseFields => ({ header: { clusterId: 1n, memberId: 2n, revision: 9, raftTerm: 3 }, watchId, created: false, canceled: false, compactRevision: 0, cancelReason: '', fragment: false, events });
    for (let s = 0; s < outs.length; s++) for (const id of [0, 1, 2 ** 33]) assert.equal(outs[s]!(sharedWatchResponse(resp(id))!), true);
    // A response that is not shared still crosses whole, in order with the others.
    outs[0]!(encodeWatchResponse({ ...resp(5), created: true, events: [] }));
    while (got[0]!.length < 4) await new Promise((r) => setTimeout(r, 1));
    for (const [s, g] of got.entries()) {
      const want = [0, 1, 2 ** 33].map((id) => Buffer.from(encodeWatchResponse(resp(id))));
      if (s === 0) want.push(Buffer.from(encodeWatchResponse({ ...resp(5), created: true, events: [] })));
      assert.deepEqual(g.map((b) => Buffer.from(b)), want, `stream ${s}`);
    }
    // The event's ~320 bytes crossed once, not once per response.
    assert.ok(c.packedBytes() < 600, `${c.packedBytes()} bytes crossed`);
  } finally {
    c.close();
  }
});

test("the core reads each edge's metrics, and an edge that does not answer counts as none", async () => {
  const c = connect({}, async () => [{ name: 'grpc_server_started_total', values: [{ value: 3 }] }]);
  try {
    assert.deepEqual(await c.host.edgeMetrics(1000), [{ name: 'grpc_server_started_total', values: [{ value: 3 }] }]);
  } finally {
    c.close();
  }
  const silent = connect({}, () => new Promise(() => {}));
  try {
    assert.deepEqual(await silent.host.edgeMetrics(50), []);
  } finally {
    silent.close();
  }
});

test('log lines from an edge reach the core logger', async () => {
  const c = connect({});
  try {
    c.remote.log('warn', 'edge says', { n: 1n });
    while (c.logs.length === 0) await new Promise((r) => setTimeout(r, 1));
    assert.deepEqual(c.logs, ['warn edge says']);
  } finally {
    c.close();
  }
});
