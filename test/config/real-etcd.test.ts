import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ETCD_API_VERSION, parseConfig } from '../../src/config/index.js';

// Bad flags make etcd exit before it opens its data dir or any port, so each run is immediate.
const ETCD = '/usr/bin/etcd';
const haveEtcd = existsSync(ETCD);
const tmp = mkdtempSync(join(tmpdir(), 'etcd-ts-real-'));
test.after(() => rmSync(tmp, { recursive: true, force: true }));

const safeFlags = [
  '--data-dir', join(tmp, 'never-created'),
  '--listen-peer-urls', 'http://127.0.0.1:23980',
  '--initial-advertise-peer-urls', 'http://127.0.0.1:23980',
  '--initial-cluster', 'default=http://127.0.0.1:23980',
];

function realEtcd(args: string[], env: NodeJS.ProcessEnv = {}): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(ETCD, args, { env: { PATH: '/usr/bin:/bin', ...env }, encoding: 'utf8', timeout: 5000, killSignal: 'SIGKILL' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function ours(args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = parseConfig(args, env);
  assert.ok('exit' in r, `etcd-ts accepted ${JSON.stringify(args)}`);
  return r;
}

const flagErrors: string[][] = [
  ['--foo'],
  ['-foo=1'],
  ['--snapshot-count=abc'],
  ['--snapshot-count=-1'],
  ['--heartbeat-interval=abc'],
  ['--initial-cluster-state=foo'],
  ['--listen-client-urls=foo'],
  ['--listen-client-urls=http://127.0.0.1:2379/x'],
  ['--listen-client-urls=http://127.0.0.1'],
  ['--max-concurrent-streams=abc'],
  ['--grpc-keepalive-min-time=abc'],
  ['--quota-backend-bytes=1e9'],
  ['--enable-v2=maybe'],
  ['--name'],
  ['---name=x'],
];

test('flag errors: same exit code and first line as etcd', { skip: haveEtcd ? false : `${ETCD} is not installed` }, () => {
  for (const bad of flagErrors) {
    const want = realEtcd([...bad]);
    const got = ours([...bad]);
    assert.equal(got.exit, want.status, bad.join(' '));
    assert.equal(got.stderr!.split('\n')[0], want.stderr.split('\n')[0], bad.join(' '));
    assert.equal(want.stderr.split('\n')[1], 'Usage:');
    assert.equal(got.stderr!.split('\n')[1], 'Usage:');
  }
});

// The text after "error verifying flags, " up to ". See 'etcd --help'."
function verifyingReason(stderr: string): string | undefined {
  return /error verifying flags, (.*)\. See 'etcd(?:-ts)? --help'\./.exec(stderr)?.[1];
}

const verificationErrors: Array<{ args: string[]; env?: NodeJS.ProcessEnv }> = [
  { args: ['--heartbeat-interval=0'] },
  { args: ['--heartbeat-interval=300'] },
  { args: ['--election-timeout=60000'] },
  { args: ['--auto-compaction-mode=foo'] },
  { args: ['--listen-client-urls=http://example.com:23979', '--advertise-client-urls=http://127.0.0.1:23979'] },
  { args: ['--listen-client-urls=http://127.0.0.1:23979'] },
  { args: ['--discovery=http://127.0.0.1:1/token'] },
  { args: ['--logger=fancy'] },
  { args: ['stray-argument'] },
  { args: [], env: { ETCD_SNAPSHOT_COUNT: 'abc' } },
  { args: [], env: { ETCD_ENABLE_V2: 'yes' } },
  { args: [], env: { ETCD_INITIAL_CLUSTER_STATE: 'bad' } },
  { args: ['--config-file', '/nonexistent/etcd.yaml'] },
];

test('verification errors: same exit code and reason as etcd', { skip: haveEtcd ? false : `${ETCD} is not installed` }, () => {
  for (const { args, env } of verificationErrors) {
    const argv = args[0] === 'stray-argument' ? args : [...safeFlags, ...args];
    const want = realEtcd(argv, env);
    const got = ours(argv, env ?? {});
    const label = `${args.join(' ')} ${JSON.stringify(env ?? {})}`;
    assert.equal(got.exit, want.status, label);
    const reason = verifyingReason(want.stderr);
    assert.ok(reason !== undefined, `etcd said: ${want.stderr}`);
    assert.equal(verifyingReason(got.stderr!), reason, label);
  }
});

test('shadowed environment variable and bootstrap errors match etcd', { skip: haveEtcd ? false : `${ETCD} is not installed` }, () => {
  const cases: Array<{ args: string[]; env?: NodeJS.ProcessEnv }> = [
    { args: ['--name', 'a'], env: { ETCD_NAME: 'b' } },
    { args: ['--initial-cluster', 'a=http://127.0.0.1:23980'] },
    { args: ['--name', 'a', '--initial-cluster', 'a=http://127.0.0.1:23981'] },
    { args: ['--name', 'a', '--initial-cluster', 'garbage'] },
  ];
  cases.forEach(({ args, env }, i) => {
    const argv = ['--data-dir', join(tmp, `bootstrap-${i}`), ...safeFlags.slice(2, 6), '--listen-client-urls=http://127.0.0.1:23979', '--advertise-client-urls=http://127.0.0.1:23979', ...args];
    // etcd creates its data dir before these checks, so etcd-ts reads the flags first.
    const got = ours(argv, env ?? {});
    const want = realEtcd(argv, env);
    assert.equal(got.exit, want.status, args.join(' '));
    const etcdLine = want.stderr.split('\n').find((l) => / C \| /.test(l));
    assert.ok(etcdLine, `etcd said: ${want.stderr}`);
    const reason = etcdLine.replace(/^.* C \| [a-z/]+: /, '');
    assert.equal(got.stderr!.trim(), `etcd-ts: ${reason}`.trim());
  });
});

test('--version and --help exit 0 like etcd, with the etcd version first', { skip: haveEtcd ? false : `${ETCD} is not installed` }, () => {
  const want = realEtcd(['--version']);
  const got = ours(['--version']);
  assert.equal(got.exit, want.status);
  // The same first line, naming the release this member reports (etcd 3.6.14 by default).
  assert.match(want.stdout.split('\n')[0], /^etcd Version: 3\.4\.\d+$/);
  assert.equal(got.stdout!.split('\n')[0], `etcd Version: ${ETCD_API_VERSION}`);
  const help = realEtcd(['--help']);
  assert.equal(ours(['--help']).exit, help.status);
  // Every flag etcd documents is accepted.
  const documented = [...help.stdout.matchAll(/^ {2}--([a-z0-9-]+)/gm)].map((m) => m[1]);
  assert.ok(documented.length > 70, `only ${documented.length} flags documented`);
  for (const name of documented) {
    const r = parseConfig([`--${name}=x`], {});
    if ('exit' in r) assert.doesNotMatch(r.stderr ?? '', /flag provided but not defined/, name);
  }
});
