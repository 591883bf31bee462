// unix:// and unixs:// peer and client URLs, side by side with etcd 3.4.23: a URL's host
// part names a socket file relative to the working directory ("etcd.unix:1"), the
// member serves clients and peers through it, and removes it when it stops.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { etcdctl, tmpDir, ETCD_BIN, ETCD_TS_ENTRY, READY_MILESTONE } from '../helpers/index.js';

const skip = existsSync(ETCD_BIN) ? false : `${ETCD_BIN} is not installed`;
const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/etcd-tls/', import.meta.url));
const fx = (name: string) => join(FIXTURES, name);

interface Proc {
  child: ChildProcess;
  log: () => string;
  stop(): Promise<void>;
}

async function run(kind: 'etcd' | 'etcd-ts', cwd: string, args: string[], readyTimeoutMs = 20_000): Promise<Proc> {
  const child = kind === 'etcd' ? spawn(ETCD_BIN, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] }) : spawn(process.execPath, [ETCD_TS_ENTRY, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout!.on('data', (b: Buffer) => (log += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (log += b.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(t);
  };
  const deadline = Date.now() + readyTimeoutMs;
  while (!log.includes(READY_MILESTONE) && !log.includes('serving client traffic')) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`${kind} did not start:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { child, log: () => log, stop };
}

function unixMember(name: string, peer: string, client: string): string[] {
  return ['--name', name, '--data-dir', `${name}.etcd`, '--listen-peer-urls', peer, '--initial-advertise-peer-urls', peer, '--initial-cluster', `${name}=${peer}`, '--listen-client-urls', client, '--advertise-client-urls', client];
}

test('unix:// peer and client URLs: the member serves etcdctl through its socket, with the same IDs as etcd', { skip, timeout: 60_000 }, async () => {
  const out: Record<string, string[]> = {};
  for (const kind of ['etcd', 'etcd-ts'] as const) {
    const dir = tmpDir(`unix-${kind}`);
    const p = await run(kind, dir.path, unixMember('e1', 'unix://etcd.unix:1', 'unix://client.unix:1'));
    try {
      assert.ok(existsSync(join(dir.path, 'client.unix:1')), `${kind}: the client socket is a file in the working directory`);
      assert.ok(existsSync(join(dir.path, 'etcd.unix:1')), `${kind}: so is the peer socket`);
      const ep = `unix://${join(dir.path, 'client.unix:1')}`;
      const results: string[] = [];
      for (const args of [['put', 'k', 'v'], ['get', 'k'], ['member', 'list'], ['endpoint', 'health']]) {
        const r = await etcdctl(ep, args);
        assert.equal(r.code, 0, `${kind} etcdctl ${args.join(' ')}: ${r.stderr}`);
        results.push(r.stdout.replace(/took = [0-9.]+[mµn]?s/, 'took = <t>').replaceAll(dir.path, '<dir>'));
      }
      out[kind] = results;
    } finally {
      await p.stop();
      // Like etcd, the sockets are removed on the way out.
      assert.ok(!existsSync(join(dir.path, 'client.unix:1')), `${kind}: the client socket is removed`);
      dir.cleanup();
    }
  }
  assert.deepEqual(out.etcd!.slice(0, 3), ['OK\n', 'k\nv\n', 'b16965eda2672782, started, e1, unix://etcd.unix:1, unix://client.unix:1, false\n']);
  assert.deepEqual(out['etcd-ts'], out.etcd);
});

/** GET /health over a TLS unix socket, verifying the fixture certificate (issued for localhost). */
function healthOverUnixs(socketPath: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path: '/health', servername: 'localhost', ca: [readFileSync(fx('ca.crt'))], cert: readFileSync(fx('server.crt')), key: readFileSync(fx('server.key.insecure')), timeout: 10_000 }, (res) => {
      let body = '';
      res.on('data', (b: Buffer) => (body += b.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

test('unixs:// peer and client URLs serve TLS through the sockets, as etcd', { skip, timeout: 60_000 }, async () => {
  const tls = ['--cert-file', fx('server.crt'), '--key-file', fx('server.key.insecure'), '--trusted-ca-file', fx('ca.crt'), '--peer-cert-file', fx('server.crt'), '--peer-key-file', fx('server.key.insecure'), '--peer-trusted-ca-file', fx('ca.crt')];
  const seen: Record<string, unknown> = {};
  for (const kind of ['etcd', 'etcd-ts'] as const) {
    const dir = tmpDir(`unixs-${kind}`);
    const p = await run(kind, dir.path, [...unixMember('e1', 'unixs://etcd.unix:1', 'unixs://client.unix:1'), ...tls, '--logger', 'zap']);
    try {
      const deadline = Date.now() + 15_000;
      let h = await healthOverUnixs(join(dir.path, 'client.unix:1'));
      while (h.body !== '{"health":"true"}' && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 200));
        h = await healthOverUnixs(join(dir.path, 'client.unix:1'));
      }
      seen[kind] = h;
      assert.match(p.log(), /"msg":"serving client traffic securely"[^\n]*"address":"client.unix:1"/);
    } finally {
      await p.stop();
      dir.cleanup();
    }
  }
  assert.deepEqual(seen.etcd, { status: 200, body: '{"health":"true"}' });
  assert.deepEqual(seen['etcd-ts'], seen.etcd);
});

test('three etcd-ts members talk to each other over unix peer sockets', { timeout: 90_000 }, async () => {
  const dir = tmpDir('unix-cluster');
  const names = ['m1', 'm2', 'm3'];
  const cluster = names.map((n) => `${n}=unix://${n}-peer.sock:1`).join(',');
  const procs = await Promise.all(
    names.map((n) =>
      run('etcd-ts', dir.path, [
        '--name', n, '--data-dir', `${n}.etcd`,
        '--listen-peer-urls', `unix://${n}-peer.sock:1`, '--initial-advertise-peer-urls', `unix://${n}-peer.sock:1`,
        '--initial-cluster', cluster,
        '--listen-client-urls', `unix://${n}-client.sock:1`, '--advertise-client-urls', `unix://${n}-client.sock:1`,
      ], 60_000),
    ),
  );
  try {
    const ep = (n: string) => `unix://${join(dir.path, `${n}-client.sock:1`)}`;
    assert.equal((await etcdctl(ep('m1'), ['put', 'over', 'unix'])).code, 0);
    const got = await etcdctl(ep('m3'), ['get', 'over']);
    assert.equal(got.stdout, 'over\nunix\n');
    const list = await etcdctl(ep('m2'), ['member', 'list']);
    assert.equal(list.stdout.split('\n').filter((l) => /, started, m\d, unix:\/\/m\d-peer\.sock:1, /.test(l)).length, 3, list.stdout);
  } finally {
    await Promise.all(procs.map((p) => p.stop()));
    dir.cleanup();
  }
});
