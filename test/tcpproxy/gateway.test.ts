// `etcd-ts gateway start`, etcd's TCP gateway, side by side with etcd 3.4.23's: the same
// answers to its flags (cobra's help and errors, etcd's checks of the listen address and
// endpoints), etcdctl served through it, a refusing endpoint set aside and retried with
// etcd's log lines; and the endpoint choice and SRV discovery as etcd's tcpproxy and srv.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { etcdctl, freePort, startMember, ETCD_BIN, ETCD_TS_ENTRY } from '../helpers/index.js';
import { pick, discoverSrvEndpoints, srvServiceName, type Endpoint } from '../../src/tcpproxy/index.js';
import { parseGatewayArgs, resolveTargets } from '../../src/cli/gateway.js';
import { silentLogger } from '../../src/pkg/logger.js';

const skip = existsSync(ETCD_BIN) ? false : `${ETCD_BIN} is not installed`;

function run(kind: 'etcd' | 'etcd-ts', args: string[]) {
  const r = kind === 'etcd'
    ? spawnSync(ETCD_BIN, args, { encoding: 'utf8', timeout: 10_000 })
    : spawnSync(process.execPath, [ETCD_TS_ENTRY, ...args], { encoding: 'utf8', timeout: 10_000 });
  // etcd-ts names itself where etcd says "etcd".
  const norm = (s: string) => s.replaceAll('etcd-ts gateway', 'etcd gateway');
  return { status: r.status, stdout: norm(r.stdout), stderr: norm(r.stderr) };
}

test('gateway flags: help, cobra\'s errors and etcd\'s address checks answer as etcd\'s', { skip, timeout: 60_000 }, async () => {
  const busy = await freePort();
  const cases: string[][] = [
    ['gateway'],
    ['gateway', '--help'],
    ['gateway', 'stop'],
    ['gateway', 'start', '--help'],
    ['gateway', 'start', '-h'],
    ['gateway', 'start', '--foo'],
    ['gateway', 'start', '--retry-delay', 'abc'],
    ['gateway', 'start', '--insecure-discovery=maybe'],
    ['gateway', 'start', '--listen-addr'],
    ['gateway', 'start', '--listen-addr', 'bad'],
    ['gateway', 'start', '--listen-addr', `127.0.0.1:${busy}`, `--endpoints=127.0.0.1:${busy}`],
    ['gateway', 'start', '--listen-addr', `127.0.0.1:${busy}`, '--endpoints=http://127.0.0.1:1,localhost:' + busy],
    ['gateway', 'start', '--listen-addr', `127.0.0.1:${busy}`, '--endpoints=nonsense'],
  ];
  for (const args of cases) {
    const want = run('etcd', args);
    const got = run('etcd-ts', args);
    assert.deepEqual(got, want, args.join(' '));
  }
});

async function waitFor(child: ChildProcess, log: () => string, text: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!log().includes(text)) {
    assert.ok(child.exitCode === null && Date.now() < deadline, `never logged ${text}:\n${log()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('the gateway proxies etcdctl to the cluster, sets a refusing endpoint aside and retries it, as etcd\'s', { skip, timeout: 90_000 }, async () => {
  const member = await startMember('etcd-ts');
  const seen: Record<string, unknown[]> = {};
  try {
    for (const kind of ['etcd', 'etcd-ts'] as const) {
      const listen = `127.0.0.1:${await freePort()}`;
      const dead = `127.0.0.1:${await freePort()}`;
      const args = ['gateway', 'start', '--listen-addr', listen, `--endpoints=http://${dead},127.0.0.1:${member.clientPort}`, '--retry-delay', '1s'];
      const child = kind === 'etcd' ? spawn(ETCD_BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] }) : spawn(process.execPath, [ETCD_TS_ENTRY, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      let log = '';
      child.stdout!.on('data', (b: Buffer) => (log += b.toString()));
      child.stderr!.on('data', (b: Buffer) => (log += b.toString()));
      try {
        await waitFor(child, () => log, 'ready to proxy client requests');
        const put = await etcdctl(`http://${listen}`, ['put', `via-${kind}`, 'gateway']);
        assert.equal(put.stdout, 'OK\n', put.stderr);
        assert.equal((await etcdctl(`http://${listen}`, ['get', `via-${kind}`, '--print-value-only'])).stdout, 'gateway\n');
        await waitFor(child, () => log, 'failed to activate endpoint');
        seen[kind] = log
          .split('\n')
          .filter((l) => l.startsWith('{'))
          .map((l) => JSON.parse(l) as Record<string, unknown>)
          .map(({ ts: _ts, caller: _c, ...rest }) => JSON.parse(JSON.stringify(rest).replaceAll(dead, 'DEAD').replaceAll(`127.0.0.1:${member.clientPort}`, 'LIVE')))
          .slice(0, 3);
      } finally {
        child.kill();
      }
    }
  } finally {
    await member.close();
  }
  assert.deepEqual(seen.etcd, [
    { level: 'info', msg: 'ready to proxy client requests', endpoints: ['DEAD', 'LIVE'] },
    { level: 'warn', msg: 'deactivated endpoint', address: 'DEAD', interval: 1, error: 'dial tcp DEAD: connect: connection refused' },
    { level: 'warn', msg: 'failed to activate endpoint (stay inactive for another interval)', address: 'DEAD', interval: 1, error: 'dial tcp DEAD: connect: connection refused' },
  ]);
  assert.deepEqual(seen['etcd-ts'], seen.etcd);
});

// proxy/tcpproxy/userspace.go pick: best priority class, weights, round robin over all.
test('endpoint choice follows etcd\'s tcpproxy pick', () => {
  const ep = (addr: string, priority = 0, weight = 0, active = true): Endpoint => ({ addr, priority, weight, active });
  const state = { count: 0 };
  const rr = [ep('a'), ep('b'), ep('c', 0, 0, false)];
  assert.deepEqual([0, 1, 2, 3].map(() => pick(rr, state, () => 0)?.addr), ['a', 'b', 'a', 'b'], 'round robin skips the inactive one');
  assert.equal(pick([ep('a', 0, 0, false)], { count: 0 }, () => 0), undefined, 'nothing active');
  const prio = [ep('low', 10, 5), ep('high', 1, 5), ep('high2', 1, 15)];
  assert.equal(pick(prio, { count: 0 }, () => 0)?.addr, 'high', 'best priority, first by weight');
  assert.equal(pick(prio, { count: 0 }, () => 19)?.addr, 'high2');
});

// pkg/srv/srv.go GetClient and GetSRVService.
test('SRV discovery asks _etcd-client-ssl and _etcd-client, with the service name suffix', async () => {
  assert.equal(srvServiceName('etcd-client', '', 'https'), 'etcd-client-ssl');
  assert.equal(srvServiceName('etcd-client', 'prod', 'http'), 'etcd-client-prod');
  const asked: string[] = [];
  const found = await discoverSrvEndpoints('example.com', 'prod', async (name) => {
    asked.push(name);
    if (name.startsWith('_etcd-client-ssl')) throw new Error('queryPrefix ENOTFOUND');
    return [{ name: 'm1.example.com.', port: 2379, priority: 0, weight: 0 }];
  });
  assert.deepEqual(asked, ['_etcd-client-ssl-prod._tcp.example.com', '_etcd-client-prod._tcp.example.com']);
  assert.deepEqual(found.map((f) => f.url), ['http://m1.example.com:2379']);
  await assert.rejects(discoverSrvEndpoints('example.com', '', async () => Promise.reject(new Error('nope'))), /^Error: dns lookup errors: lookup _etcd-client-ssl._tcp.example.com: nope and lookup _etcd-client._tcp.example.com: nope$/);
  // Discovered http endpoints are dropped without --insecure-discovery; with nothing left, --endpoints serve.
  const parsed = parseGatewayArgs(['start', '--discovery-srv', 'example.com', '--endpoints', '127.0.0.1:2379', '--listen-addr', '127.0.0.1:23790']);
  assert.ok(!('exit' in parsed));
  const srv = async (name: string) => {
    if (name.startsWith('_etcd-client-ssl')) throw new Error('queryPrefix ENOTFOUND');
    return [{ name: '127.0.0.1', port: 22379, priority: 0, weight: 0 }];
  };
  const strict = await resolveTargets(parsed.flags, silentLogger, srv);
  assert.ok(!('exit' in strict) && strict.targets.map((t) => `${t.host}:${t.port}`).join() === '127.0.0.1:2379');
  const insecure = await resolveTargets({ ...parsed.flags, insecureDiscovery: true }, silentLogger, srv);
  assert.ok(!('exit' in insecure) && insecure.targets.map((t) => `${t.host}:${t.port}`).join() === '127.0.0.1:22379');
});
