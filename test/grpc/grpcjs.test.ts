// Round trips and statuses as a grpc-js client (the grpc-go wire behaviour) sees them.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { GrpcCode } from '../../src/rpctypes/errors.js';
import type { GrpcServer } from '../../src/grpc/server.js';
import { decode, encode, grpcClient, startServer, unaryJs, waitFor, type Observed } from './helpers.js';

let server: GrpcServer;
let port: number;
let seen: Observed;
let client: grpc.Client;

before(async () => {
  ({ server, port, seen } = await startServer({ maxRecvMessageBytes: 1000 }));
  client = grpcClient(port, { 'grpc.max_send_message_length': -1 });
});
after(async () => {
  client.close();
  await server.close();
});

test('unary round trip, sync and async handlers, metadata and peer visible', async () => {
  assert.equal(await unaryJs(client, 'Echo', 'hello'), 'echo:hello');
  assert.equal(await unaryJs(client, 'AsyncEcho', 'x'), 'async:x');
  assert.equal(await unaryJs(client, 'Echo', ''), 'echo:');
  assert.match(seen.lastCall!.peer, /^127\.0\.0\.1:\d+$/);
  assert.equal(seen.lastCall!.authority, `127.0.0.1:${port}`);
  assert.match(String(seen.lastCall!.metadata['user-agent']), /grpc-node-js/);
});

test('many concurrent unary calls on one connection', async () => {
  const reqs = Array.from({ length: 300 }, (_, i) => unaryJs(client, 'AsyncEcho', `r${i}`));
  const res = await Promise.all(reqs);
  assert.deepEqual(res, Array.from({ length: 300 }, (_, i) => `async:r${i}`));
});

test('EtcdError code and message reach the client, percent-encoding round trips', async () => {
  const msg = 'etcdserver: 100% wrong – ключ\nnext';
  await assert.rejects(unaryJs(client, 'Fail', `${GrpcCode.OutOfRange}|${msg}`), (err: grpc.ServiceError) => {
    assert.equal(err.code, GrpcCode.OutOfRange);
    assert.equal(err.details, msg);
    return true;
  });
  await assert.rejects(unaryJs(client, 'Throw', ''), (err: grpc.ServiceError) => {
    assert.equal(err.code, GrpcCode.Unknown);
    assert.equal(err.details, 'boom: plain failure');
    return true;
  });
});

test('unknown service and unknown method get grpc-go texts', async () => {
  const call = (path: string) =>
    new Promise<grpc.ServiceError>((resolve) =>
      client.makeUnaryRequest(path, encode, decode, 'x', (err) => resolve(err!)),
    );
  const s = await call('/etcdserverpb.Foo/Range');
  assert.equal(s.code, GrpcCode.Unimplemented);
  assert.equal(s.details, 'unknown service etcdserverpb.Foo');
  const m = await call('/test.Svc/Bar');
  assert.equal(m.code, GrpcCode.Unimplemented);
  assert.equal(m.details, 'unknown method Bar for service test.Svc');
});

test('oversize request is refused with ResourceExhausted and grpc-go text', async () => {
  await assert.rejects(unaryJs(client, 'Echo', 'z'.repeat(5000)), (err: grpc.ServiceError) => {
    assert.equal(err.code, GrpcCode.ResourceExhausted);
    assert.equal(err.details, 'grpc: received message larger than max (5000 vs. 1000)');
    return true;
  });
  assert.equal(await unaryJs(client, 'Echo', 'fits'), 'echo:fits');
});

test('deadline aborts the handler signal', async () => {
  seen.aborted.length = 0;
  await assert.rejects(unaryJs(client, 'Slow', '', { deadline: Date.now() + 80 }), (err: grpc.ServiceError) => {
    assert.equal(err.code, GrpcCode.DeadlineExceeded);
    return true;
  });
  await waitFor(() => seen.aborted.length === 1);
  // grpc-js also times the call itself and may reset the stream before the server's timer fires.
  assert.ok(['context deadline exceeded', 'context canceled'].includes(seen.aborted[0]), seen.aborted[0]);
});

test('client cancel aborts the handler signal', async () => {
  seen.aborted.length = 0;
  const p = new Promise<grpc.ServiceError>((resolve) => {
    const call = client.makeUnaryRequest('/test.Svc/Slow', encode, decode, '', (err) => resolve(err!));
    setTimeout(() => call.cancel(), 50);
  });
  assert.equal((await p).code, GrpcCode.Canceled);
  await waitFor(() => seen.aborted.length === 1);
  assert.equal(seen.aborted[0], 'context canceled');
});

test('server streaming round trip', async () => {
  const got: string[] = [];
  await new Promise<void>((resolve, reject) => {
    const call = client.makeServerStreamRequest('/test.Svc/Count', encode, decode, '5');
    call.on('data', (m: string) => got.push(m));
    call.on('error', reject);
    call.on('status', (s: grpc.StatusObject) => (s.code === 0 ? resolve() : reject(new Error(s.details))));
  });
  assert.deepEqual(got, ['n0', 'n1', 'n2', 'n3', 'n4']);
});

test('server stream cancelled by the client emits cancel and aborts', async () => {
  seen.aborted.length = 0;
  seen.cancelEvents = 0;
  const call = client.makeServerStreamRequest('/test.Svc/Hang', encode, decode, '');
  call.on('error', () => {});
  await new Promise((r) => call.once('data', r));
  call.cancel();
  await waitFor(() => seen.cancelEvents === 1 && seen.aborted.length === 1);
  assert.equal(seen.aborted[0], 'context canceled');
});

test('bidi round trip, then an error status ends the stream', async () => {
  const call = client.makeBidiStreamRequest('/test.Svc/Chat', encode, decode);
  const got: string[] = [];
  const status = new Promise<grpc.StatusObject>((r) => call.on('status', r));
  call.on('error', () => {});
  call.on('data', (m: string) => {
    got.push(m);
    if (got.length === 3) call.end();
  });
  for (const m of ['a', 'b', 'c']) call.write(m);
  assert.equal((await status).code, GrpcCode.OK);
  assert.deepEqual(got, ['re:a', 're:b', 're:c']);

  const failing = client.makeBidiStreamRequest('/test.Svc/Chat', encode, decode);
  failing.on('error', () => {});
  const st = new Promise<grpc.StatusObject>((r) => failing.on('status', r));
  failing.write('fail');
  const s = await st;
  assert.equal(s.code, GrpcCode.Aborted);
  assert.equal(s.details, 'chat aborted');
});

test('client streaming round trip', async () => {
  const res = await new Promise<string>((resolve, reject) => {
    const call = client.makeClientStreamRequest('/test.Svc/Join', encode, decode, (err, r) => (err ? reject(err) : resolve(r!)));
    call.write('a');
    call.write('b');
    call.end();
  });
  assert.equal(res, 'a+b');
});

test('aggressive client keepalive pings are tolerated', async () => {
  const pinging = grpcClient(port, {
    'grpc.keepalive_time_ms': 50,
    'grpc.keepalive_timeout_ms': 1000,
    'grpc.keepalive_permit_without_calls': 1,
  });
  try {
    assert.equal(await unaryJs(pinging, 'Echo', 'k1'), 'echo:k1');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(await unaryJs(pinging, 'Echo', 'k2'), 'echo:k2');
  } finally {
    pinging.close();
  }
});
