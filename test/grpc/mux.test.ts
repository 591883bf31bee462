// One port for gRPC and plain HTTP: sniffing, fallbacks, and surviving bad peers.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import http2 from 'node:http2';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { GrpcServer } from '../../src/grpc/server.js';
import { classify } from '../../src/grpc/mux.js';
import { GrpcClient } from '../../src/grpc/client.js';
import { decode, encode, grpcClient, testService, unaryJs } from './helpers.js';

let server: GrpcServer;
let port: number;
let client: grpc.Client;

function httpHandler(req: { url?: string; httpVersion: string }, res: { setHeader(k: string, v: string): void; end(b: string): void }) {
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ url: req.url, version: req.httpVersion }));
}

before(async () => {
  server = new GrpcServer({ maxRecvMessageBytes: 1 << 20, http: httpHandler as never, sniffTimeoutMs: 200 });
  server.addService('test.Svc', testService({ aborted: [], cancelEvents: 0 }));
  ({ port } = await server.listen({ host: '127.0.0.1', port: 0 }));
  client = grpcClient(port);
});
after(async () => {
  client.close();
  await server.close();
});

function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent: false }, (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      })
      .on('error', reject);
  });
}

/** Writes bytes on a fresh connection and waits for the server to close it. */
function sendAndWaitClose(bytes: Buffer, endAfter: boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => {
      s.write(bytes);
      if (endAfter) s.destroy();
    });
    s.on('data', () => {});
    s.on('error', () => {});
    s.on('close', () => resolve());
    setTimeout(() => reject(new Error('server kept the connection open')), 3000).unref();
  });
}

test('classify tells the HTTP/2 preface, HTTP/1 and garbage apart', () => {
  assert.equal(classify(Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n')), 'h2');
  assert.equal(classify(Buffer.from('PRI * HT')), 'more');
  assert.equal(classify(Buffer.from('GET / HTTP/1.1\r\n')), 'http1');
  assert.equal(classify(Buffer.from('GE')), 'more');
  assert.equal(classify(Buffer.from('PRI / HTTP/1.1\r\n')), 'http1');
  assert.equal(classify(Buffer.from([0x16, 0x03, 0x01])), 'garbage');
  assert.equal(classify(Buffer.from('get / HTTP/1.1')), 'garbage');
});

test('HTTP/1.1 GET on the gRPC port reaches the http handler', async () => {
  const r = await get(`http://127.0.0.1:${port}/health`);
  assert.equal(r.status, 200);
  assert.deepEqual(JSON.parse(r.body), { url: '/health', version: '1.1' });
  assert.equal(await unaryJs(client, 'Echo', 'still'), 'echo:still');
});

test('h2 request that is not gRPC reaches the http handler', async () => {
  const s = http2.connect(`http://127.0.0.1:${port}`);
  try {
    const body = await new Promise<string>((resolve, reject) => {
      const req = s.request({ ':path': '/version' });
      let b = '';
      req.on('data', (c) => (b += c));
      req.on('end', () => resolve(b));
      req.on('error', reject);
    });
    assert.deepEqual(JSON.parse(body), { url: '/version', version: '2.0' });
  } finally {
    s.destroy();
  }
});

test('garbage bytes close that connection only; the next request works', async () => {
  await sendAndWaitClose(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0xff, 0xfe]), false);
  await sendAndWaitClose(Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\nthis is not a frame at all........'), false);
  assert.equal(await unaryJs(client, 'Echo', 'after-garbage'), 'echo:after-garbage');
});

test('truncated frame then disconnect leaves the server serving', async () => {
  const preface = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
  const settingsHead = Buffer.from([0, 0, 12, 4, 0, 0, 0, 0, 0, 0, 3]); // SETTINGS, 12 bytes promised, 1 sent
  await sendAndWaitClose(Buffer.concat([preface, settingsHead]), true);
  await sendAndWaitClose(Buffer.from('PRI * HT'), true);
  assert.equal(await unaryJs(client, 'Echo', 'after-truncation'), 'echo:after-truncation');
});

test('a half-open connection that says nothing is dropped after the sniff timeout', async () => {
  const t0 = Date.now();
  await sendAndWaitClose(Buffer.alloc(0), false);
  assert.ok(Date.now() - t0 >= 150);
});

test('without an http handler: HTTP/1 gets 404, h2 non-gRPC gets 415', async () => {
  const bare = new GrpcServer({ maxRecvMessageBytes: 1024 });
  const { port: p } = await bare.listen({ host: '127.0.0.1', port: 0 });
  try {
    assert.equal((await get(`http://127.0.0.1:${p}/metrics`)).status, 404);
    const s = http2.connect(`http://127.0.0.1:${p}`);
    const st = await new Promise<number>((resolve, reject) => {
      const req = s.request({ ':path': '/x' });
      req.on('response', (h) => resolve(Number(h[':status'])));
      req.on('error', reject);
    });
    s.destroy();
    assert.equal(st, 415);
  } finally {
    await bare.close();
  }
});

test('TLS: ALPN h2 serves gRPC with the client certificate visible, http/1.1 serves HTTP', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'grpc-tls-'));
  try {
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
      '-subj', '/CN=etcd-ts-test', '-addext', 'subjectAltName=IP:127.0.0.1',
      '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'),
    ], { stdio: 'ignore' });
    const key = readFileSync(path.join(dir, 'key.pem'));
    const cert = readFileSync(path.join(dir, 'cert.pem'));
    const seen = { aborted: [], cancelEvents: 0 } as { aborted: string[]; cancelEvents: number; lastCall?: import('../../src/grpc/types.js').CallContext };
    const secure = new GrpcServer({ maxRecvMessageBytes: 1024, http: httpHandler as never });
    secure.addService('test.Svc', testService(seen));
    const { port: p } = await secure.listen({ host: '127.0.0.1', port: 0 }, { key, cert, ca: cert, requestCert: true, rejectUnauthorized: true });
    const c = new grpc.Client(`127.0.0.1:${p}`, grpc.credentials.createSsl(cert, key, cert));
    try {
      assert.equal(await unaryJs(c, 'Echo', 'tls'), 'echo:tls');
      assert.equal(seen.lastCall?.tlsPeerCertificate?.subject?.CN, 'etcd-ts-test');
      const own = new GrpcClient(`https://127.0.0.1:${p}`, { tls: { ca: cert, key, cert } });
      try {
        assert.equal(decode(await own.unary('/test.Svc/Echo', encode('own-tls'))), 'echo:own-tls');
      } finally {
        own.close();
      }
      const body = await new Promise<string>((resolve, reject) => {
        https
          .get({ host: '127.0.0.1', port: p, path: '/health', ca: cert, key, cert, agent: false, servername: '' }, (res) => {
            let b = '';
            res.on('data', (d) => (b += d));
            res.on('end', () => resolve(b));
          })
          .on('error', reject);
      });
      assert.deepEqual(JSON.parse(body), { url: '/health', version: '1.1' });
    } finally {
      c.close();
      await secure.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('close() ends idle HTTP/1 keep-alive connections at once (as Go\'s Shutdown), and one mid-request after its answer', async () => {
  let release: () => void = () => {};
  const slow = new Promise<void>((r) => (release = r));
  const s = new GrpcServer({
    maxRecvMessageBytes: 1 << 20,
    http: ((req: http.IncomingMessage, res: http.ServerResponse) => {
      if (req.url === '/slow') void slow.then(() => res.end('late'));
      else res.end('ok');
    }) as never,
  });
  const { port: p } = await s.listen({ host: '127.0.0.1', port: 0 });
  const agent = new http.Agent({ keepAlive: true, keepAliveMsecs: 60_000 });
  const fetchText = (path: string) =>
    new Promise<string>((resolve, reject) => {
      http.get(`http://127.0.0.1:${p}${path}`, { agent }, (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve(body));
      }).on('error', reject);
    });
  try {
    assert.equal(await fetchText('/idle'), 'ok'); // leaves an idle keep-alive connection
    const pending = fetchText('/slow');
    await new Promise((r) => setTimeout(r, 50));
    const started = Date.now();
    const closing = s.close();
    await new Promise((r) => setTimeout(r, 100));
    release();
    assert.equal(await pending, 'late', 'the request in flight is answered');
    await closing;
    // The server's own bound is 5 s; the keep-alive client would have held it that long.
    assert.ok(Date.now() - started < 1500, `close() took ${Date.now() - started} ms`);
  } finally {
    agent.destroy();
    await s.close();
  }
});
