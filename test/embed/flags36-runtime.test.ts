// etcd 3.6's flags at work in a running member. 3.6-only behaviours follow etcd's own tests
// (tests/e2e/etcd_config_test.go TestEtcdTLSVersion and TestEtcdDeprecatedFlags,
// server/embed/config_test.go TestTLSVersionMinMax, tests/framework/e2e/cluster.go
// WithClientHTTPSeparate, client/pkg/logutil zap.go); those etcd 3.4.23 also has
// (--experimental-warning-apply-duration) run side by side with it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { connect, type ConnectionOptions } from 'node:tls';
import { request } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { etcdctl, freePort, startMember, startMembers, ETCD_BIN, type Member } from '../helpers/index.js';
import { addLearner, startCluster } from '../helpers/cluster.js';

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/etcd-tls/', import.meta.url));
const fx = (name: string) => join(FIXTURES, name);
const serverTls = ['--cert-file', fx('server.crt'), '--key-file', fx('server.key.insecure')];

/** The TLS version a handshake with the member settles on, or the error refusing it. */
function handshake(port: number, opts: ConnectionOptions): Promise<string> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port, servername: 'localhost', ca: readFileSync(fx('ca.crt')), ALPNProtocols: ['h2'], ...opts }, () => {
      resolve(s.getProtocol() ?? 'none');
      s.destroy();
    });
    s.on('error', (err) => resolve(`error: ${(err as NodeJS.ErrnoException).code ?? err.message}`));
  });
}

test('--tls-min-version=TLS1.3 refuses TLS 1.2 clients; --tls-max-version=TLS1.2 refuses TLS 1.3-only ones', { timeout: 60_000 }, async () => {
  const min13 = await startMember('etcd-ts', { clientScheme: 'https', extraArgs: [...serverTls, '--tls-min-version', 'TLS1.3'] });
  try {
    assert.equal(await handshake(min13.clientPort, {}), 'TLSv1.3');
    assert.match(await handshake(min13.clientPort, { maxVersion: 'TLSv1.2' }), /^error: /);
  } finally {
    await min13.close();
  }
  const max12 = await startMember('etcd-ts', { clientScheme: 'https', extraArgs: [...serverTls, '--tls-min-version', 'TLS1.2', '--tls-max-version', 'TLS1.2'] });
  try {
    assert.equal(await handshake(max12.clientPort, {}), 'TLSv1.2');
    assert.match(await handshake(max12.clientPort, { minVersion: 'TLSv1.3' }), /^error: /);
    // The member's clients still work over TLS 1.2.
    const r = await etcdctl(max12, ['--cacert', fx('ca.crt'), 'put', 'k', 'v']);
    assert.equal(r.stdout, 'OK\n', r.stderr);
  } finally {
    await max12.close();
  }
});

test('--tls-min-version applies to the peer listener too', { timeout: 60_000 }, async (t) => {
  const c = await startCluster(1, { peerScheme: 'https', extraArgs: ['--peer-cert-file', fx('server.crt'), '--peer-key-file', fx('server.key.insecure'), '--peer-trusted-ca-file', fx('ca.crt'), '--tls-min-version', 'TLS1.3'] });
  t.after(() => c.close());
  const port = c.members[0]!.peerPort;
  assert.equal(await handshake(port, { ALPNProtocols: [] }), 'TLSv1.3');
  assert.match(await handshake(port, { ALPNProtocols: [], maxVersion: 'TLSv1.2' }), /^error: /);
});

test('--log-format=console writes zap console lines: time, level, message, then the fields as JSON', { timeout: 60_000 }, async () => {
  const m = await startMember('etcd-ts', { extraArgs: ['--log-format', 'console'] });
  try {
    // The harness may see /health answer before the serving lines are read from the pipe.
    const deadline = Date.now() + 10_000;
    while (!m.logs().includes('\tserving client traffic insecurely') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const lines = m.logs().split('\n').filter((l) => l !== '');
    const ready = lines.find((l) => l.includes('\tready to serve client requests'));
    assert.ok(ready, m.logs());
    assert.match(ready, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z\tinfo\tready to serve client requests$/);
    const serving = lines.find((l) => l.includes('\tserving client traffic insecurely'))!;
    const [, level, msg, fields] = serving.split('\t');
    assert.equal(level, 'info');
    assert.equal(msg, 'serving client traffic insecurely; this is strongly discouraged!');
    assert.deepEqual(JSON.parse(fields!), { traffic: 'grpc+http', address: `127.0.0.1:${m.clientPort}` });
    assert.ok(!lines.some((l) => l.startsWith('{')), 'no JSON lines');
  } finally {
    await m.close();
  }
});

/** A plain HTTP/1.1 GET: the status, or how the connection ended when nothing was answered. */
function http1(port: number, path: string): Promise<string> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, timeout: 5000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(String(res.statusCode)));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (err) => resolve(`closed: ${(err as NodeJS.ErrnoException).code ?? err.message}`));
    req.end();
  });
}

test('--listen-client-http-urls: HTTP there only, gRPC only on --listen-client-urls', { timeout: 60_000 }, async () => {
  const httpPort = await freePort();
  const m = await startMember('etcd-ts', { extraArgs: ['--listen-client-http-urls', `http://127.0.0.1:${httpPort}`] });
  try {
    // gRPC works on the client URL, where HTTP/1 is cut without an answer (etcd serves gRPC alone there).
    assert.equal((await etcdctl(m, ['put', 'k', 'v'])).stdout, 'OK\n');
    assert.match(await http1(m.clientPort, '/health'), /^closed: /);
    // The HTTP URL answers /health, /metrics and /version, and no gRPC.
    for (const path of ['/health', '/metrics', '/version', '/readyz']) assert.equal(await http1(httpPort, path), '200', path);
    const grpcThere = await etcdctl(`http://127.0.0.1:${httpPort}`, ['--dial-timeout=2s', '--command-timeout=3s', 'get', 'k']);
    assert.notEqual(grpcThere.code, 0, 'no gRPC on the HTTP-only URL');
    assert.match(m.logs(), /"msg":"serving client traffic insecurely; this is strongly discouraged!","traffic":"grpc","address":"127.0.0.1:\d+"/);
    assert.match(m.logs(), /"msg":"serving client traffic insecurely; this is strongly discouraged!","traffic":"http","address":"127.0.0.1:\d+"/);
    assert.doesNotMatch(m.logs(), /Running http and grpc server on single port/);
  } finally {
    await m.close();
  }
});

test('deprecated and graduated flags in a running member: 3.6\'s warnings, the value under either name', { timeout: 60_000 }, async () => {
  const m = await startMember('etcd-ts', { extraArgs: ['--max-snapshots=10', '--experimental-corrupt-check-time=3m', '--feature-gates=InitialCorruptCheck=true'] });
  try {
    assert.match(m.logs(), /"level":"warn"[^\n]*"msg":"--max-snapshots is deprecated in 3.6 and will be decommissioned in 3.8."/);
    assert.match(m.logs(), /"msg":"--experimental-corrupt-check-time is deprecated in v3.6 and will be decommissioned in v3.7. Use '--corrupt-check-time' instead."/);
    assert.equal((await etcdctl(m, ['put', 'k', 'v'])).code, 0);
  } finally {
    await m.close();
  }
});

test('--max-learners: as many learners as allowed, then "too many learner members in cluster"', { timeout: 60_000 }, async () => {
  for (const [flags, allowed] of [[[], 1], [['--max-learners', '2'], 2]] as const) {
    const m = await startMember('etcd-ts', { extraArgs: [...flags] });
    try {
      for (let i = 0; i <= allowed; i++) {
        const r = await etcdctl(m, ['member', 'add', `l${i}`, '--learner', `--peer-urls=http://127.0.0.1:${await freePort()}`]);
        if (i < allowed) assert.equal(r.code, 0, r.stderr);
        else assert.match(r.stderr, /Error: etcdserver: too many learner members in cluster/);
      }
    } finally {
      await m.close();
    }
  }
});

test('--snapshot-catchup-entries: a member behind by more entries than kept gets a snapshot, one within them the log', { timeout: 240_000 }, async () => {
  const sent = (logs: string) => (logs.match(/sent database snapshot/g) ?? []).length;
  for (const [catchup, wantSnapshot] of [['10', true], ['5000', false]] as const) {
    const c = await startCluster(1, { extraArgs: ['--snapshot-count', '10000', '--snapshot-catchup-entries', catchup] });
    try {
      const leader = c.members[0]!;
      const joiner = await addLearner(c, leader, 'm2');
      // The learner falls 60 entries behind while it is down.
      await joiner.stop();
      const before = sent(leader.logs());
      for (let i = 0; i < 60; i++) assert.equal((await etcdctl(leader.endpoint, ['put', `k${i}`, 'v'])).code, 0);
      await new Promise((r) => setTimeout(r, 500)); // the log is trimmed after a backend commit
      joiner.spawn();
      await joiner.ready(60_000);
      const deadline = Date.now() + 30_000;
      while ((await etcdctl(joiner.endpoint, ['get', 'k59', '--consistency=s', '--print-value-only'])).stdout !== 'v\n') {
        assert.ok(Date.now() < deadline, 'the learner never caught up');
        await new Promise((r) => setTimeout(r, 200));
      }
      assert.equal(sent(leader.logs()) > before, wantSnapshot, `catch-up ${catchup}: ${wantSnapshot ? 'a' : 'no'} snapshot to catch up`);
    } finally {
      await c.close();
    }
  }
});

const skipReal = existsSync(ETCD_BIN) ? false : `${ETCD_BIN} is not installed`;

test('--experimental-warning-apply-duration: an apply slower than it logs etcd\'s warning and counts as slow, side by side', { skip: skipReal, timeout: 60_000 }, async () => {
  const flags = ['--experimental-warning-apply-duration', '1ns', '--logger', 'zap'];
  const [etcd, ts] = await startMembers([['etcd', { extraArgs: flags }], ['etcd-ts', { extraArgs: flags }]]);
  try {
    for (const m of [etcd, ts] as Member[]) {
      assert.equal((await etcdctl(m, ['put', 'slow', 'v'])).code, 0);
      const line = m
        .logs()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .find((l) => l.msg === 'apply request took too long');
      assert.ok(line, `${m.kind} logged no slow apply`);
      assert.equal(line.level, 'warn');
      assert.equal(line['expected-duration'], '1ns', m.kind);
      assert.equal(line.prefix, '', m.kind);
      assert.match(String(line.took), /^[0-9.]+(ns|µs|ms|s)$/, m.kind);
      const metrics = await (await fetch(`${m.endpoint}/metrics`)).text();
      assert.ok(Number(/^etcd_server_slow_apply_total (\d+)/m.exec(metrics)?.[1]) >= 1, `${m.kind} counts the slow apply`);
    }
  } finally {
    await Promise.all([etcd.close(), ts.close()]);
  }
});

// server/etcdserver/api/v3rpc/interceptor.go logUnaryRequestStats (v3.6).
test('--warning-unary-request-duration: a unary call slower than it is logged as "request stats"', { timeout: 60_000 }, async () => {
  const m = await startMember('etcd-ts', { extraArgs: ['--warning-unary-request-duration', '1ns'] });
  try {
    assert.equal((await etcdctl(m, ['put', 'k', 'v'])).code, 0);
    const deadline = Date.now() + 5000;
    let line: Record<string, unknown> | undefined;
    while (line === undefined && Date.now() < deadline) {
      line = m.logs().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'request stats' && l['response type'] === '/etcdserverpb.KV/Put');
      if (line === undefined) await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(line, m.logs());
    assert.equal(line.level, 'warn');
    assert.match(String(line.remote), /^127\.0\.0\.1:\d+$/);
    assert.match(String(line['time spent']), /^[0-9.]+(ns|µs|ms|s)$/);
  } finally {
    await m.close();
  }
});
