// A member told to stop (SIGTERM) while clients hold watch streams and idle
// connections exits promptly, as etcd does: it ends their calls and connections
// rather than waiting for the clients to go away.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { Agent, get } from 'node:http';
import { connect } from 'node:http2';
import { Client } from '../../src/client/index.js';
import { ETCDCTL_BIN, startMember, type Member } from '../helpers/index.js';

const STOP_BOUND_MS = 1000;

/** `etcdctl watch <key>` (grpc-go), resolved once it has printed an event for the key. */
function etcdctlWatch(m: Member, key: string): { child: ChildProcess; seen: Promise<void> } {
  const child = spawn(ETCDCTL_BIN, [`--endpoints=${m.endpoint}`, 'watch', key], { env: { ...process.env, ETCDCTL_API: '3' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const seen = new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (b: Buffer) => {
      out += b.toString('utf8');
      if (out.includes(key)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`etcdctl watch ${key} exited with ${code} before an event: ${out}`)));
  });
  seen.catch(() => {});
  return { child, seen };
}

async function stopTimed(m: Member): Promise<{ ms: number; code: number | null; signal: NodeJS.Signals | null }> {
  const started = performance.now();
  const exit = await m.stop('SIGTERM', 5000);
  return { ms: performance.now() - started, ...exit };
}

for (const edgeThreads of ['0', '1']) {
  test(`a member with watch streams and idle client connections exits within 1 s of SIGTERM (--edge-threads ${edgeThreads})`, { timeout: 30_000 }, async (t) => {
    const m = await startMember('etcd-ts', { extraArgs: ['--edge-threads', edgeThreads] });
    t.after(() => m.close());
    const children: ChildProcess[] = [];
    t.after(() => {
      for (const c of children) c.kill('SIGKILL');
    });
    const client = new Client({ endpoints: [m.endpoint] });
    t.after(() => client.close().catch(() => {}));

    // Watch streams from etcdctl (grpc-go) and from a node:http2 client, each seen delivering an event.
    const ctl = ['w0', 'w1'].map((k) => etcdctlWatch(m, k));
    for (const w of ctl) children.push(w.child);
    const watcher = client.watch('w2');
    const delivered = new Promise<void>((resolve) => watcher.on('response', () => resolve()));
    await new Promise<void>((resolve) => watcher.once('created', () => resolve()));
    // etcdctl prints nothing until an event: keep writing until every watch has shown one.
    const seen = Promise.all([...ctl.map((w) => w.seen), delivered]);
    let done = false;
    void seen.then(() => (done = true));
    for (let i = 0; i < 100 && !done; i++) {
      await Promise.all(['w0', 'w1', 'w2'].map((k) => client.kv.put(k, `v${i}`)));
      await Promise.race([seen, new Promise((r) => setTimeout(r, 100))]);
    }
    await seen;

    // An idle HTTP/2 connection (no stream open), a unary client that went quiet, and an
    // HTTP/1.1 keep-alive connection left open after a GET /health (as curl or a scraper leave it).
    const idle = connect(m.endpoint);
    idle.on('error', () => {});
    t.after(() => idle.destroy());
    await new Promise<void>((resolve, reject) => {
      idle.once('connect', () => resolve());
      idle.once('error', reject);
    });
    assert.equal((await client.kv.get('w0')).kvs.length, 1);
    const agent = new Agent({ keepAlive: true });
    t.after(() => agent.destroy());
    const health = await new Promise<{ status?: number; body: string }>((resolve, reject) => {
      get(`${m.endpoint}/health`, { agent }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode, body }));
      }).on('error', reject);
    });
    assert.equal(health.status, 200, health.body);
    assert.equal(Object.values(agent.freeSockets).flat().length, 1, 'the HTTP/1.1 connection is kept alive, idle');

    const stopped = await stopTimed(m);
    assert.equal(stopped.signal, null, `the member was killed after ${Math.round(stopped.ms)} ms: ${m.logs().slice(-2000)}`);
    assert.equal(stopped.code, 0);
    assert.ok(stopped.ms < STOP_BOUND_MS, `the member took ${Math.round(stopped.ms)} ms to exit on SIGTERM with clients connected`);
    assert.match(m.logs(), /received signal; shutting down/);
    t.diagnostic(`exited ${Math.round(stopped.ms)} ms after SIGTERM`);
  });
}
