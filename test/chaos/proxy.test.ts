// The peer proxy on its own: links told apart by x-server-from, each link passed,
// black-holed, delayed and healed without touching the others; a stream GET judged by
// the link its payload travels (from the proxied member to the one that opened it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:http';
import { PeerProxy, senderOf, streamTargetOf } from './proxy.js';
import { freePort } from '../helpers/ports.js';

/** An echo server standing in for a member's peer port: answers each POST with its sender and body. */
async function peerStub(): Promise<{ server: Server; port: number }> {
  const port = await freePort();
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => res.end(`${req.headers['x-server-from'] ?? '-'}:${body}`));
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
  return { server, port };
}

function post(port: number, from: string | undefined, body: string, timeoutMs: number): Promise<{ text: string; ms: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/raft/stream', headers: from ? { 'X-Server-From': from } : {}, agent: false, timeout: timeoutMs }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ text, ms: performance.now() - started }));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end(body);
  });
}

test('senderOf reads the rafthttp sender from a request head, case-insensitively and without leading zeros', () => {
  assert.equal(senderOf(Buffer.from('POST /raft HTTP/1.1\r\nHost: x\r\nX-Server-From: 00ab12\r\n\r\n')), 'ab12');
  assert.equal(senderOf(Buffer.from('GET /members HTTP/1.1\r\nHost: x\r\n\r\n')), undefined);
  assert.equal(streamTargetOf(Buffer.from('GET /raft/stream/message/b2 HTTP/1.1\r\nX-Server-From: b2\r\nX-Raft-To: 0a1\r\n\r\n')), 'a1');
  assert.equal(streamTargetOf(Buffer.from('POST /raft HTTP/1.1\r\nX-Server-From: b2\r\nX-Raft-To: a1\r\n\r\n')), undefined);
});

/**
 * Opens a stream as rafthttp does (GET, the answer streamed back) and reads it until a
 * tick arrives or timeoutMs pass; resolves with what arrived.
 */
function openStream(port: number, from: string, to: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    const req = request({ host: '127.0.0.1', port, method: 'GET', path: `/raft/stream/message/${from}`, headers: { 'X-Server-From': from, 'X-Raft-To': to }, agent: false }, (res) => {
      res.on('data', (c: Buffer) => {
        text += c.toString();
        done();
      });
    });
    const timer = setTimeout(() => done(), timeoutMs);
    function done(): void {
      clearTimeout(timer);
      req.destroy();
      resolve(text);
    }
    req.on('error', () => undefined);
    req.end();
  });
}

test('a stream GET is faulted by the link its payload travels: from the proxied member to the one that opened it', async (t) => {
  // The proxied member streams "tick" lines to whoever opens a stream.
  const port = await freePort();
  const server = createServer((req, res) => {
    res.writeHead(200);
    const timer = setInterval(() => res.write('tick\n'), 20);
    res.on('close', () => clearInterval(timer));
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
  const a = new PeerProxy(await freePort(), port);
  const b = new PeerProxy(await freePort(), await freePort());
  a.group = b.group = new Map([['a1', a], ['b2', b]]);
  await a.listen();
  t.after(async () => {
    await a.close();
    await b.close();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });
  assert.match(await openStream(a.listenPort, 'b2', 'a1', 5000), /tick/);
  // The link into a1 from b2 doesn't carry a1's stream to b2...
  a.setFault('b2', { kind: 'drop' });
  assert.match(await openStream(a.listenPort, 'b2', 'a1', 5000), /tick/);
  a.heal();
  // ...the link a1 → b2 does, though b2's proxy holds it: ticks every 20 ms, none through.
  b.setFault('a1', { kind: 'drop' });
  assert.equal(await openStream(a.listenPort, 'b2', 'a1', 600), '');
  b.heal();
  assert.match(await openStream(a.listenPort, 'b2', 'a1', 5000), /tick/);
});

test('each directed link passes, drops, delays and heals on its own', async (t) => {
  const stub = await peerStub();
  const proxy = new PeerProxy(await freePort(), stub.port);
  await proxy.listen();
  t.after(async () => {
    await proxy.close();
    await new Promise((r) => stub.server.close(r));
  });

  assert.equal((await post(proxy.listenPort, 'a1', 'hello', 2000)).text, 'a1:hello');

  proxy.setFault('a1', { kind: 'drop' });
  await assert.rejects(post(proxy.listenPort, 'a1', 'lost', 400), /timed out/);
  // Another sender's link, and unclassified requests, still pass.
  assert.equal((await post(proxy.listenPort, 'b2', 'other', 2000)).text, 'b2:other');
  assert.equal((await post(proxy.listenPort, undefined, 'anon', 2000)).text, '-:anon');
  assert.ok(proxy.stats.droppedBytes > 0);

  // A delay long enough that a busy machine's scheduling can't pass for it.
  proxy.setFault('a1', { kind: 'delay', ms: 400 });
  const slow = await post(proxy.listenPort, 'a1', 'slow', 3000);
  assert.equal(slow.text, 'a1:slow');
  // Delayed both ways: the request and the answer.
  assert.ok(slow.ms >= 780, `a delayed round trip took ${slow.ms.toFixed(0)} ms`);

  proxy.heal();
  const fast = await post(proxy.listenPort, 'a1', 'back', 2000);
  assert.equal(fast.text, 'a1:back');
  // Under one way's delay: not delayed in either direction.
  assert.ok(fast.ms < 390, `a healed round trip took ${fast.ms.toFixed(0)} ms`);
  assert.equal(proxy.faultOf('a1').kind, 'pass');
});

test('a dropped link\'s open connections are closed on heal and closing the proxy leaves nothing open', async () => {
  const stub = await peerStub();
  const proxy = new PeerProxy(await freePort(), stub.port);
  await proxy.listen();
  try {
    proxy.setFault('c3', { kind: 'drop' });
    const pending = post(proxy.listenPort, 'c3', 'held', 5000);
    for (let i = 0; i < 50 && proxy.openConnections === 0; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(proxy.openConnections, 1);
    proxy.heal();
    await assert.rejects(pending);
    for (let i = 0; i < 50 && proxy.openConnections > 0; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(proxy.openConnections, 0);
  } finally {
    await proxy.close();
    await new Promise((r) => stub.server.close(r));
  }
  assert.equal(proxy.openConnections, 0);
});

test('refuse stands in for a dead member (dialing it is refused); admit listens again', async (t) => {
  const stub = await peerStub();
  const proxy = new PeerProxy(await freePort(), stub.port);
  await proxy.listen();
  t.after(async () => {
    await proxy.close();
    stub.server.close();
  });
  assert.equal((await post(proxy.listenPort, 'a1', 'x', 2000)).text, 'a1:x');
  await proxy.refuse();
  await assert.rejects(post(proxy.listenPort, 'a1', 'x', 2000), (e: NodeJS.ErrnoException) => e.code === 'ECONNREFUSED');
  await proxy.admit();
  assert.equal((await post(proxy.listenPort, 'a1', 'y', 2000)).text, 'a1:y');
});
