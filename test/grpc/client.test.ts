// The project's own client against the server: round trips, statuses,
// back-pressure on large streams, and graceful close.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { EtcdError, GrpcCode } from '../../src/rpctypes/errors.js';
import { GrpcClient } from '../../src/grpc/client.js';
import { GrpcServer } from '../../src/grpc/server.js';
import type { ServerWritable } from '../../src/grpc/types.js';
import { decode, encode, startServer, testService, waitFor, type Observed } from './helpers.js';

let server: GrpcServer;
let port: number;
let seen: Observed;
let client: GrpcClient;

before(async () => {
  ({ server, port, seen } = await startServer({ maxRecvMessageBytes: 4096 }));
  client = new GrpcClient(`http://127.0.0.1:${port}`, { connections: 2 });
});
after(async () => {
  client.close();
  await server.close();
});

const isStatus = (code: GrpcCode, message?: string) => (err: unknown) => {
  assert.ok(err instanceof EtcdError, String(err));
  assert.equal(err.code, code);
  if (message !== undefined) assert.equal(err.message, message);
  return true;
};

test('unary over several connections, with metadata', async () => {
  const res = await Promise.all(Array.from({ length: 50 }, (_, i) => client.unary('/test.Svc/Echo', encode(`m${i}`), { token: 'abc' })));
  assert.deepEqual(res.map(decode), Array.from({ length: 50 }, (_, i) => `echo:m${i}`));
  assert.equal(seen.lastCall!.metadata.token, 'abc');
});

test('statuses come back as EtcdError with decoded messages', async () => {
  await assert.rejects(client.unary('/test.Svc/Fail', encode('9|etcdserver: 50% – done')), isStatus(9, 'etcdserver: 50% – done'));
  await assert.rejects(client.unary('/nope.Svc/X', encode('')), isStatus(GrpcCode.Unimplemented, 'unknown service nope.Svc'));
  await assert.rejects(
    client.unary('/test.Svc/Echo', encode('y'.repeat(5000))),
    isStatus(GrpcCode.ResourceExhausted, 'grpc: received message larger than max (5000 vs. 4096)'),
  );
});

test('timeout sets the deadline the server sees and fails with DeadlineExceeded', async () => {
  seen.aborted.length = 0;
  await assert.rejects(client.unary('/test.Svc/Slow', encode(''), undefined, 60), isStatus(GrpcCode.DeadlineExceeded, 'context deadline exceeded'));
  await waitFor(() => seen.aborted.length === 1);
  await client.unary('/test.Svc/Echo', encode('d'), undefined, 5000);
  assert.ok(seen.lastCall!.deadline! > Date.now() + 4000);
});

test('server stream iterates; bidi exchanges; cancel reaches the server', async () => {
  const got: string[] = [];
  for await (const m of client.serverStream('/test.Svc/Count', encode('4'))) got.push(decode(m));
  assert.deepEqual(got, ['n0', 'n1', 'n2', 'n3']);

  const chat = client.bidi('/test.Svc/Chat');
  const replies: string[] = [];
  const ended = new Promise<void>((resolve, reject) => {
    chat.on('data', (m: Uint8Array) => replies.push(decode(m)));
    chat.on('end', resolve);
    chat.on('error', reject);
  });
  chat.write(encode('p'));
  chat.write(encode('q'));
  chat.end();
  await ended;
  assert.deepEqual(replies, ['re:p', 're:q']);

  seen.aborted.length = 0;
  const hang = client.serverStream('/test.Svc/Hang', encode(''));
  const failed = new Promise<unknown>((r) => hang.on('error', r));
  await new Promise((r) => hang.once('data', r));
  hang.cancel();
  assert.equal(((await failed) as EtcdError).code, GrpcCode.Canceled);
  await waitFor(() => seen.aborted.length === 1);
});

test('server stream respects back-pressure and delivers everything in order', async () => {
  const chunk = 'v'.repeat(64 * 1024);
  const total = 200; // 12.5 MiB, well past the 1 MiB stream window
  let sawFull = false;
  const big = new GrpcServer({ maxRecvMessageBytes: 1024 });
  big.addService('bp.Svc', {
    Flood: {
      kind: 'serverStream',
      decode,
      encode,
      handler: async (_req: string, stream: ServerWritable<string>) => {
        for (let i = 0; i < total; i++) {
          if (!stream.write(`${i}:${chunk}`)) {
            sawFull = true;
            await new Promise((r) => stream.once('drain', r));
          }
        }
      },
    },
  });
  const { port: p } = await big.listen({ host: '127.0.0.1', port: 0 });
  const c = new GrpcClient(`http://127.0.0.1:${p}`);
  try {
    const call = c.serverStream('/bp.Svc/Flood', encode(''));
    let n = 0;
    let paused = false;
    for await (const m of call) {
      assert.equal(decode(m).slice(0, decode(m).indexOf(':')), String(n));
      n++;
      if (n === 2 && !paused) {
        // A slow reader: let the server hit the window before reading on.
        paused = true;
        call.pause();
        await sleep(100);
        call.resume();
      }
    }
    assert.equal(n, total);
    assert.ok(sawFull, 'write() must report back-pressure');
  } finally {
    c.close();
    await big.close();
  }
});

test('close() sends GOAWAY, ends open streams with Unavailable and lets unary calls finish', async () => {
  const local = new GrpcServer({ maxRecvMessageBytes: 1024, closeTimeoutMs: 2000 });
  const localSeen: Observed = { aborted: [], cancelEvents: 0 };
  local.addService('test.Svc', testService(localSeen));
  local.addService('slow.Svc', {
    Wait: { kind: 'unary', decode, encode, handler: async () => (await sleep(150), 'finished') },
  });
  const { port: p } = await local.listen({ host: '127.0.0.1', port: 0 });
  const c = new GrpcClient(`http://127.0.0.1:${p}`);
  try {
    const watch = c.serverStream('/test.Svc/Hang', encode(''));
    const watchErr = new Promise<unknown>((r) => watch.on('error', r));
    await new Promise((r) => watch.once('data', r));
    const inflight = c.unary('/slow.Svc/Wait', encode(''));
    const raw = (await import('node:http2')).connect(`http://127.0.0.1:${p}`);
    raw.on('error', () => {});
    const goaway = new Promise<number>((r) => raw.once('goaway', r));
    await new Promise((r) => raw.once('remoteSettings', r));
    await sleep(20);
    const t0 = Date.now();
    await local.close();
    assert.ok(Date.now() - t0 < 1500, 'close must not wait for the timeout once calls are done');
    assert.equal(decode(await inflight), 'finished');
    assert.equal(((await watchErr) as EtcdError).code, GrpcCode.Unavailable);
    await assert.rejects(c.unary('/test.Svc/Echo', encode('')), (err: unknown) => {
      assert.ok(err instanceof EtcdError && err.code === GrpcCode.Unavailable);
      assert.match(err.message, /^connection error: .*ECONNREFUSED/);
      return true;
    });
    assert.equal(await goaway, 0, 'GOAWAY with NO_ERROR');
    raw.destroy();
  } finally {
    c.close();
  }
});

test('more than 1000 concurrent streams on one connection, PINGs answered, 1.5 MiB request', async () => {
  const local = new GrpcServer({ maxRecvMessageBytes: 2 * 1024 * 1024 });
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let waiting = 0;
  local.addService('gate.Svc', {
    Wait: { kind: 'unary', decode, encode, handler: async (req: string) => (waiting++, await gate, `ok:${req.length}`) },
  });
  const { port: p } = await local.listen({ host: '127.0.0.1', port: 0 });
  const c = new GrpcClient(`http://127.0.0.1:${p}`);
  try {
    const n = 1200;
    const calls = Array.from({ length: n }, () => c.unary('/gate.Svc/Wait', encode('x')));
    await waitFor(() => waiting === n, 5000);
    release();
    assert.deepEqual(new Set((await Promise.all(calls)).map(decode)), new Set(['ok:1']));
    const big = 'b'.repeat(1536 * 1024);
    assert.equal(decode(await c.unary('/gate.Svc/Wait', encode(big))), `ok:${big.length}`);
    const session = (await import('node:http2')).connect(`http://127.0.0.1:${p}`);
    try {
      await new Promise((r) => session.once('connect', r));
      const rtt = await new Promise<number>((resolve, reject) => session.ping((err, ms) => (err ? reject(err) : resolve(ms))));
      assert.ok(rtt >= 0);
    } finally {
      session.destroy();
    }
  } finally {
    c.close();
    await local.close();
  }
});

test('responses over maxSendMessageBytes fail with ResourceExhausted, unary and streaming', async () => {
  const local = new GrpcServer({ maxRecvMessageBytes: 1024, maxSendMessageBytes: 16 });
  local.addService('test.Svc', testService({ aborted: [], cancelEvents: 0 }));
  const { port: p } = await local.listen({ host: '127.0.0.1', port: 0 });
  const c = new GrpcClient(`http://127.0.0.1:${p}`);
  try {
    assert.equal(decode(await c.unary('/test.Svc/Echo', encode('short'))), 'echo:short');
    await assert.rejects(
      c.unary('/test.Svc/Echo', encode('much too long for it')),
      isStatus(GrpcCode.ResourceExhausted, 'grpc: trying to send message larger than max (25 vs. 16)'),
    );
    const chat = c.bidi('/test.Svc/Chat');
    const got: string[] = [];
    chat.on('data', (m: Uint8Array) => got.push(decode(m)));
    const err = new Promise<unknown>((r) => chat.on('error', r));
    chat.write(encode('hi'));
    chat.write(encode('this reply is too long'));
    assert.equal(((await err) as EtcdError).message, 'trying to send message larger than max (25 vs. 16)');
    assert.deepEqual(got, ['re:hi']);
  } finally {
    c.close();
    await local.close();
  }
});
