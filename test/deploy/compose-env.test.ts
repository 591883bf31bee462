// Runs deploy/docker-compose.yml's members as plain processes on 127.0.0.1: the
// same ETCD_* environment, with service hostnames and container ports mapped to
// free loopback ports, so that a mistake in the compose configuration shows up
// as a cluster that does not form rather than at someone's first `up`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { freePort, tmpDir, etcdctl, ETCD_TS_ENTRY } from '../helpers/index.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const composePath = join(repoRoot, 'deploy', 'docker-compose.yml');
const CLIENT_PORT = 2379;
const PEER_PORT = 2380;
const REQUIRED = [
  'ETCD_NAME', 'ETCD_DATA_DIR', 'ETCD_LISTEN_CLIENT_URLS', 'ETCD_ADVERTISE_CLIENT_URLS', 'ETCD_LISTEN_PEER_URLS',
  'ETCD_INITIAL_ADVERTISE_PEER_URLS', 'ETCD_INITIAL_CLUSTER', 'ETCD_INITIAL_CLUSTER_STATE', 'ETCD_INITIAL_CLUSTER_TOKEN',
];

interface Service {
  environment?: Record<string, string> | string[];
  volumes?: string[];
  ports?: string[];
  healthcheck?: { test?: string[] };
}

function environmentOf(s: Service): Record<string, string> {
  if (Array.isArray(s.environment)) {
    return Object.fromEntries(s.environment.map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
  }
  return Object.fromEntries(Object.entries(s.environment ?? {}).map(([k, v]) => [k, String(v)]));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((r) => child.once('exit', () => r()));
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited(child);
  clearTimeout(timer);
}

function run(file: string, args: string[], timeoutMs: number): Promise<number> {
  return new Promise((resolve) => {
    const c = spawn(file, args, { stdio: 'ignore' });
    const timer = setTimeout(() => c.kill('SIGKILL'), timeoutMs);
    c.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code ?? -1);
    });
  });
}

test('docker-compose.yml: three members with etcd\'s ETCD_* settings, named volumes, /health checks, distinct host ports', () => {
  const compose = parse(readFileSync(composePath, 'utf8')) as { services: Record<string, Service>; volumes?: Record<string, unknown> };
  const names = Object.keys(compose.services).sort();
  assert.deepEqual(names, ['etcd-1', 'etcd-2', 'etcd-3']);
  const hostPorts = new Set<string>();
  for (const name of names) {
    const s = compose.services[name];
    const env = environmentOf(s);
    for (const k of REQUIRED) assert.ok(env[k], `${name} sets ${k}`);
    assert.equal(env.ETCD_NAME, name);
    assert.equal(env.ETCD_INITIAL_CLUSTER_STATE, 'new');
    const cluster = new Map(env.ETCD_INITIAL_CLUSTER.split(',').map((m) => m.split('=') as [string, string]));
    assert.deepEqual([...cluster.keys()].sort(), names, `${name}'s initial cluster names every member`);
    assert.equal(cluster.get(name), env.ETCD_INITIAL_ADVERTISE_PEER_URLS, `${name} advertises the peer URL the others expect`);
    // The data must live on a named volume, or it is lost with the container.
    const mounts = (s.volumes ?? []).map((v) => v.split(':'));
    const volume = mounts.find(([source, target]) => env.ETCD_DATA_DIR.startsWith(target) && compose.volumes?.[source] !== undefined);
    assert.ok(volume, `${name}'s ETCD_DATA_DIR ${env.ETCD_DATA_DIR} is on a named volume`);
    const published = (s.ports ?? []).map((p) => p.split(':'));
    assert.deepEqual(published.map(([, target]) => Number(target)), [CLIENT_PORT], `${name} publishes its client port only`);
    for (const [host] of published) {
      assert.ok(!hostPorts.has(host), `host port ${host} is published once`);
      hostPorts.add(host);
    }
    assert.ok((s.healthcheck?.test ?? []).join(' ').includes('/health'), `${name}'s healthcheck asks /health`);
  }
});

test('the compose members, started on 127.0.0.1 with the same environment, elect a leader and pass their healthcheck', { timeout: 60_000 }, async (t) => {
  const compose = parse(readFileSync(composePath, 'utf8')) as { services: Record<string, Service> };
  const names = Object.keys(compose.services).sort();
  const dir = tmpDir('deploy-compose');
  const ports = new Map<string, { client: number; peer: number }>();
  for (const name of names) ports.set(name, { client: await freePort(), peer: await freePort() });

  // Inside the compose network every member has its own hostname and the same two ports;
  // on loopback each gets its own pair of ports instead.
  const rewrite = (own: string, value: string): string => {
    let out = value;
    for (const [name, p] of ports) {
      out = out.replaceAll(`${name}:${CLIENT_PORT}`, `127.0.0.1:${p.client}`).replaceAll(`${name}:${PEER_PORT}`, `127.0.0.1:${p.peer}`);
    }
    const mine = ports.get(own)!;
    for (const host of ['0.0.0.0', '127.0.0.1', 'localhost']) {
      out = out.replaceAll(`//${host}:${CLIENT_PORT}`, `//127.0.0.1:${mine.client}`).replaceAll(`//${host}:${PEER_PORT}`, `//127.0.0.1:${mine.peer}`);
    }
    return out;
  };

  const children: ChildProcess[] = [];
  const logs = new Map<string, string>();
  t.after(async () => {
    await Promise.all(children.map(stop));
    dir.cleanup();
  });
  for (const name of names) {
    const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
    for (const [k, v] of Object.entries(environmentOf(compose.services[name]))) env[k] = rewrite(name, v);
    env.ETCD_DATA_DIR = join(dir.path, name, 'data');
    assert.ok(!Object.values(env).some((v) => /etcd-\d:/.test(v)), `${name}: every compose hostname was mapped`);
    const child = spawn(process.execPath, [ETCD_TS_ENTRY], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    logs.set(name, '');
    const append = (c: Buffer) => {
      const l = logs.get(name)!;
      if (l.length < 1_000_000) logs.set(name, l + c.toString('utf8'));
    };
    child.stdout!.on('data', append);
    child.stderr!.on('data', append);
    children.push(child);
  }
  const endpoints = names.map((n) => `127.0.0.1:${ports.get(n)!.client}`);
  const dump = () => [...logs].map(([n, l]) => `--- ${n} ---\n${l.slice(-3000)}`).join('\n');

  // Member IDs are uint64: kept as text, since a JSON number would round them. A
  // member without a leader omits the field, as etcd's JSON does for zero values.
  interface Status { Endpoint: string; Status: { header: { member_id: string }; leader?: string } }
  const leaderOf = (s: Status) => s.Status.leader ?? '0';
  let statuses: Status[] = [];
  const deadline = Date.now() + 25_000;
  for (let attempt = 0; attempt < 100 && Date.now() < deadline; attempt++) {
    for (const [i, c] of children.entries()) assert.equal(c.exitCode, null, `${names[i]} exited early\n${dump()}`);
    // A member still starting (slowly, on a busy machine) may not answer within
    // etcdctl's dial and command timeouts: that is one more attempt, not a failure.
    const r = await etcdctl(endpoints, ['endpoint', 'status', '-w', 'json', '--command-timeout=2s'], { timeoutMs: 10_000 })
      .catch((err: Error) => ({ code: -1, stdout: '', stderr: err.message }));
    if (r.code === 0) {
      statuses = JSON.parse(r.stdout.replace(/":(\d+)/g, '":"$1"')) as Status[];
      const leaders = new Set(statuses.map(leaderOf));
      if (statuses.length === 3 && leaders.size === 1 && !leaders.has('0')) break;
    }
    await sleep(250);
  }
  assert.equal(statuses.length, 3, `all three members answer endpoint status\n${dump()}`);
  const leader = leaderOf(statuses[0]);
  assert.ok(leader !== '0', 'a leader was elected');
  assert.ok(statuses.every((s) => leaderOf(s) === leader), 'every member follows the same leader');
  assert.equal(statuses.filter((s) => s.Status.header.member_id === leader).length, 1, `the leader is one of the three: ${JSON.stringify(statuses)}`);

  const members = await etcdctl(endpoints, ['member', 'list', '-w', 'json'], { timeoutMs: 5000 });
  assert.equal(members.code, 0, members.stderr);
  const listed = (JSON.parse(members.stdout) as { members: { name: string; peerURLs: string[] }[] }).members;
  assert.deepEqual(listed.map((m) => m.name).sort(), names, 'members carry their ETCD_NAME');

  // The compose healthcheck command itself, pointed at each member's mapped port.
  const healthScript = join(repoRoot, 'deploy', 'health.mjs');
  for (const name of names) {
    const [, , script, url] = compose.services[name].healthcheck!.test!;
    assert.equal(script, '/opt/etcd-ts/deploy/health.mjs');
    assert.equal(await run(process.execPath, [healthScript, rewrite(name, url)], 10_000), 0, `${name}'s healthcheck passes`);
  }

  const put = await etcdctl(endpoints, ['put', 'deploy/check', 'ok'], { timeoutMs: 5000 });
  assert.equal(put.code, 0, put.stderr);
  for (const endpoint of endpoints) {
    const get = await etcdctl(endpoint, ['get', 'deploy/check', '--print-value-only'], { timeoutMs: 5000 });
    assert.equal(get.stdout.trim(), 'ok', `${endpoint} serves the replicated key`);
  }
});
