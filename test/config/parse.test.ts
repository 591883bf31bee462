import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig, defaultEdgeThreads, ETCD_API_VERSION, FLAGS, type EtcdConfig, type ParsedConfig, type ConfigExit } from '../../src/config/index.js';

const tmp = mkdtempSync(join(tmpdir(), 'etcd-ts-config-'));
test.after(() => rmSync(tmp, { recursive: true, force: true }));
const dataDir = join(tmp, 'data');

function ok(argv: string[], env: NodeJS.ProcessEnv = {}): ParsedConfig {
  const r = parseConfig(argv, env);
  assert.ok(!('exit' in r), `expected a config, got ${JSON.stringify(r)}`);
  return r;
}
function fail(argv: string[], env: NodeJS.ProcessEnv = {}): ConfigExit {
  const r = parseConfig(argv, env);
  assert.ok('exit' in r, `expected an exit for ${JSON.stringify(argv)}`);
  return r;
}
const hrefs = (us: URL[]) => us.map((u) => u.href);

test('defaults are etcd 3.4 defaults', () => {
  const { config: c, notYetAvailable } = ok(['--data-dir', dataDir]);
  assert.equal(c.name, 'default');
  assert.equal(c.walDir, '');
  assert.deepEqual(hrefs(c.listenClientUrls), ['http://localhost:2379/']);
  assert.deepEqual(hrefs(c.advertiseClientUrls), ['http://localhost:2379/']);
  assert.deepEqual(hrefs(c.listenPeerUrls), ['http://localhost:2380/']);
  assert.deepEqual(hrefs(c.initialAdvertisePeerUrls), ['http://localhost:2380/']);
  assert.deepEqual([...c.initialCluster.keys()], ['default']);
  assert.deepEqual(hrefs(c.initialCluster.get('default')!), ['http://localhost:2380/']);
  assert.equal(c.initialClusterState, 'new');
  assert.equal(c.initialClusterToken, 'etcd-cluster');
  assert.equal(c.snapshotCount, 100000);
  assert.equal(c.heartbeatIntervalMs, 100);
  assert.equal(c.electionTimeoutMs, 1000);
  assert.equal(c.quotaBackendBytes, 0);
  assert.equal(c.maxRequestBytes, 1572864);
  assert.equal(c.maxTxnOps, 128);
  assert.equal(c.maxConcurrentStreams, 4294967295);
  assert.equal(c.grpcKeepaliveMinTimeMs, 5000);
  assert.equal(c.grpcKeepaliveIntervalMs, 7200000);
  assert.equal(c.grpcKeepaliveTimeoutMs, 20000);
  assert.equal(c.autoCompactionMode, 'periodic');
  assert.equal(c.autoCompactionRetention, '0');
  assert.equal(c.strictReconfigCheck, true);
  assert.equal(c.enableV2, false);
  assert.equal(c.authToken, 'simple');
  assert.equal(c.bcryptCost, 10);
  assert.equal(c.authTokenTtl, 300);
  assert.equal(c.logger, 'capnslog');
  assert.deepEqual(c.logOutputs, ['default']);
  assert.equal(c.logLevel, 'info');
  assert.deepEqual(c.cors, ['*']);
  assert.deepEqual(c.hostWhitelist, ['*']);
  assert.equal(c.proxy, 'off');
  assert.deepEqual(notYetAvailable, []);
});

test('--edge-threads -1 gives a thread per core beyond two, at most 8: the core thread serves clients itself on 1 and 2 cores', () => {
  assert.equal(ok(['--data-dir', dataDir]).config.edgeThreads, -1);
  const byCores = [1, 2, 3, 4, 8, 10, 16, 64].map((cores) => [cores, defaultEdgeThreads(cores)]);
  assert.deepEqual(byCores, [[1, 0], [2, 0], [3, 1], [4, 2], [8, 6], [10, 8], [16, 8], [64, 8]]);
});

test('data-dir defaults to ${name}.etcd and initial-cluster follows --name', () => {
  const { config: c, warnings } = ok(['--name', 'infra1', '--initial-advertise-peer-urls', 'http://127.0.0.1:23380', '--listen-peer-urls', 'http://127.0.0.1:23380']);
  assert.equal(c.dataDir, 'infra1.etcd');
  assert.ok(warnings.some((w) => w.includes('infra1.etcd')));
  assert.equal(c.initialClusterText, 'infra1=http://127.0.0.1:23380');
  assert.deepEqual(hrefs(c.initialCluster.get('infra1')!), ['http://127.0.0.1:23380/']);
});

test('every Go flag syntax form is accepted', () => {
  for (const form of [
    ['--snapshot-count=7'],
    ['--snapshot-count', '7'],
    ['-snapshot-count=7'],
    ['-snapshot-count', '7'],
    ['--snapshot-count=0x7'],
    ['--snapshot-count=07'],
  ]) {
    assert.equal(ok([...form, '--data-dir', dataDir]).config.snapshotCount, 7, form.join(' '));
  }
  assert.equal(ok(['--pre-vote', '--data-dir', dataDir]).config.preVote, true);
  assert.equal(ok(['-pre-vote', '--data-dir', dataDir]).config.preVote, true);
  assert.equal(ok(['--strict-reconfig-check=false', '--data-dir', dataDir]).config.strictReconfigCheck, false);
  assert.equal(ok(['--strict-reconfig-check=0', '--data-dir', dataDir]).config.strictReconfigCheck, false);
  assert.equal(ok(['--pre-vote=T', '--data-dir', dataDir]).config.preVote, true);
  // The last occurrence of a flag wins, as with Go's flag package.
  assert.equal(ok(['--max-txn-ops=1', '--max-txn-ops=2', '--data-dir', dataDir]).config.maxTxnOps, 2);
  // "--" ends the flags; anything after it is an argument, which etcd refuses.
  assert.match(fail(['--data-dir', dataDir, '--', '--name=x']).stderr!, /'--name=x' is not a valid flag/);
});

test('list flags are comma-separated, validated, de-duplicated and sorted', () => {
  const { config: c } = ok([
    '--data-dir', dataDir,
    '--listen-client-urls', 'http://127.0.0.1:23379,http://127.0.0.1:23378,http://127.0.0.1:23379',
    '--advertise-client-urls', 'https://10.0.0.1:2379',
    '--cipher-suites', 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256',
    '--host-whitelist', 'b.example,a.example',
    '--log-outputs', 'stderr',
  ]);
  assert.deepEqual(hrefs(c.listenClientUrls), ['http://127.0.0.1:23378/', 'http://127.0.0.1:23379/']);
  assert.deepEqual(hrefs(c.advertiseClientUrls), ['https://10.0.0.1:2379/']);
  assert.deepEqual(c.cipherSuites, ['TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256']);
  assert.deepEqual(c.hostWhitelist, ['a.example', 'b.example']);
  assert.deepEqual(c.logOutputs, ['stderr']);
});

test('durations use Go syntax and are stored in milliseconds', () => {
  const { config: c } = ok(['--data-dir', dataDir, '--grpc-keepalive-min-time=1m30s', '--grpc-keepalive-timeout', '250ms', '--backend-batch-interval=1.5s']);
  assert.equal(c.grpcKeepaliveMinTimeMs, 90_000);
  assert.equal(c.grpcKeepaliveTimeoutMs, 250);
  assert.equal(c.backendBatchIntervalMs, 1500);
  assert.match(fail(['--grpc-keepalive-timeout=10']).stderr!, /^invalid value "10" for flag -grpc-keepalive-timeout: parse error\n/);
});

test('ETCD_* variables fill flags not given on the command line', () => {
  const { config: c, warnings } = ok(['--data-dir', dataDir], {
    ETCD_NAME: 'env-member',
    ETCD_SNAPSHOT_COUNT: '42',
    ETCD_PRE_VOTE: 'true',
    ETCD_INITIAL_ADVERTISE_PEER_URLS: 'http://127.0.0.1:23380',
    ETCD_LISTEN_CLIENT_URLS: 'http://127.0.0.1:23379',
    ETCD_ADVERTISE_CLIENT_URLS: 'http://127.0.0.1:23379',
    ETCD_EMPTY_IS_SKIPPED: '',
    ETCD_BOGUS: '1',
    ETCDCTL_API: '3',
    PATH: '/usr/bin',
  });
  assert.equal(c.name, 'env-member');
  assert.equal(c.snapshotCount, 42);
  assert.equal(c.preVote, true);
  assert.equal(c.initialClusterText, 'env-member=http://127.0.0.1:23380');
  assert.deepEqual(warnings, ['unrecognized environment variable ETCD_EMPTY_IS_SKIPPED=', 'unrecognized environment variable ETCD_BOGUS=1']);
});

test('a flag also set in the environment is refused, as etcd does', () => {
  const r = fail(['--name', 'a'], { ETCD_NAME: 'b' });
  assert.equal(r.exit, 1);
  assert.match(r.stderr!, /conflicting environment variable "ETCD_NAME" is shadowed by corresponding command-line flag/);
});

test('a bad environment value names the variable', () => {
  const r = fail([], { ETCD_SNAPSHOT_COUNT: 'abc' });
  assert.equal(r.exit, 1);
  assert.match(r.stderr!, /error verifying flags, invalid value "abc" for ETCD_SNAPSHOT_COUNT: parse error/);
  assert.match(fail([], { ETCD_INITIAL_CLUSTER_STATE: 'bad' }).stderr!, /invalid value "bad" for ETCD_INITIAL_CLUSTER_STATE: invalid value/);
});

test('listen-client-urls without advertise-client-urls is refused (also via env)', () => {
  for (const [argv, env] of [
    [['--listen-client-urls', 'http://127.0.0.1:23379'], {}],
    [[], { ETCD_LISTEN_CLIENT_URLS: 'http://127.0.0.1:23379' }],
  ] as const) {
    const r = fail([...argv], { ...env });
    assert.equal(r.exit, 1);
    assert.match(r.stderr!, /--advertise-client-urls is required when --listen-client-urls is set explicitly/);
  }
});

test('initial-cluster must list this member with its advertise peer URLs', () => {
  const base = ['--data-dir', dataDir, '--initial-advertise-peer-urls', 'http://127.0.0.1:23380'];
  assert.match(fail([...base, '--initial-cluster', 'a=http://127.0.0.1:23380']).stderr!, /couldn't find local name "default" in the initial cluster configuration/);
  assert.match(
    fail([...base, '--name', 'a', '--initial-cluster', 'a=http://127.0.0.1:23381']).stderr!,
    /--initial-cluster has a=http:\/\/127.0.0.1:23381 but missing from --initial-advertise-peer-urls=http:\/\/127.0.0.1:23380/,
  );
  assert.match(fail([...base, '--name', 'a', '--initial-cluster', 'garbage']).stderr!, /error setting up initial cluster: URL scheme must be http, https, unix, or unixs: $/m);
  assert.match(
    fail([...base, '--name', 'a', '--initial-cluster', 'a=http://127.0.0.1:23380,b=http://127.0.0.1:23380']).stderr!,
    /has duplicate url/,
  );
  const { config: c } = ok([...base, '--name', 'a', '--initial-cluster', 'a=http://127.0.0.1:23380,b=http://127.0.0.2:23380,c=http://127.0.0.3:23380']);
  assert.deepEqual([...c.initialCluster.keys()], ['a', 'b', 'c']);
  // A member with data restarts from it, so a stale --initial-cluster is not checked.
  const existing = join(tmp, 'existing');
  mkdirSync(join(existing, 'member', 'wal'), { recursive: true });
  ok(['--data-dir', existing, '--initial-cluster', 'other=http://127.0.0.1:1']);
});

test('etcd validation errors keep etcd wording', () => {
  const cases: Array<[string[], RegExp]> = [
    [['--heartbeat-interval=0'], /--heartbeat-interval must be >0 \(set to 0ms\)/],
    [['--heartbeat-interval=300'], /--election-timeout\[1000ms\] should be at least as 5 times as --heartbeat-interval\[300ms\]/],
    [['--election-timeout=60000'], /--election-timeout\[60000ms\] is too long, and should be set less than 50000ms/],
    [['--auto-compaction-mode=foo'], /unknown auto-compaction-mode "foo"/],
    [['--listen-peer-urls=http://example.com:2380'], /expected IP in URL for binding \(http:\/\/example.com:2380\)/],
    [['--discovery=http://127.0.0.1:1/x', '--initial-cluster=default=http://localhost:2380'], /multiple discovery or bootstrap flags are set/],
    [['--logger=fancy'], /unknown logger option "fancy"/],
    [['--experimental-enable-lease-checkpoint-persist'], /requires experimental-enable-lease-checkpoint/],
  ];
  for (const [argv, re] of cases) {
    const r = fail([...argv, '--data-dir', dataDir]);
    assert.equal(r.exit, 1, argv.join(' '));
    assert.match(r.stderr!, re);
    assert.match(r.stderr!, /See 'etcd-ts --help'\./);
  }
});

test('bad flag values name the flag and exit 2, never throw', () => {
  const cases: Array<[string[], string]> = [
    [['--snapshot-count=abc'], 'invalid value "abc" for flag -snapshot-count: parse error'],
    [['--snapshot-count=-1'], 'invalid value "-1" for flag -snapshot-count: parse error'],
    [['--snapshot-count=99999999999999999999999'], 'invalid value "99999999999999999999999" for flag -snapshot-count: value out of range'],
    [['--initial-cluster-state=foo'], 'invalid value "foo" for flag -initial-cluster-state: invalid value'],
    [['--listen-peer-urls=foo'], 'invalid value "foo" for flag -listen-peer-urls: URL scheme must be http, https, unix, or unixs: foo'],
    [['--listen-client-urls=http://127.0.0.1:2379/x'], 'invalid value "http://127.0.0.1:2379/x" for flag -listen-client-urls: URL must not contain a path: http://127.0.0.1:2379/x'],
    [['--listen-client-urls=http://127.0.0.1'], 'invalid value "http://127.0.0.1" for flag -listen-client-urls: URL address does not have the form "host:port": http://127.0.0.1'],
    [['--max-concurrent-streams=abc'], 'invalid value "abc" for flag -max-concurrent-streams: strconv.ParseUint: parsing "abc": invalid syntax'],
    [['--enable-v2=maybe'], 'invalid boolean value "maybe" for -enable-v2: parse error'],
    [['--name'], 'flag needs an argument: -name'],
    [['--foo'], 'flag provided but not defined: -foo'],
    [['---foo'], 'bad flag syntax: ---foo'],
    [['--name', 'a\uFFFDb'], 'invalid value "a\uFFFDb" for flag -name: value is not valid UTF-8'],
  ];
  for (const [argv, first] of cases) {
    const r = fail(argv);
    assert.equal(r.exit, 2, argv.join(' '));
    assert.equal(r.stderr!.split('\n')[0], first);
    assert.match(r.stderr!, /\nUsage:\n/);
  }
});

test('invalid UTF-8 in an environment value is refused', () => {
  const bytes = Buffer.from([0x61, 0xff, 0x62]).toString('utf8');
  const r = fail([], { ETCD_NAME: bytes });
  assert.equal(r.exit, 1);
  assert.match(r.stderr!, /for ETCD_NAME: value is not valid UTF-8/);
});

test('--version prints the etcd API version first, --help lists every flag', () => {
  const v = fail(['--version']);
  assert.equal(v.exit, 0);
  const lines = v.stdout!.split('\n');
  assert.equal(lines[0], `etcd Version: ${ETCD_API_VERSION}`);
  assert.match(lines[1], /^etcd-ts Version: \d+\.\d+\.\d+/);
  assert.equal(lines[3], `Node Version: ${process.version}`);
  assert.equal(lines[4], `Node OS/Arch: ${process.platform}/${process.arch}`);
  for (const argv of [['--help'], ['-h'], ['-help'], ['--name', 'x', '--help']]) {
    const h = fail(argv);
    assert.equal(h.exit, 0);
    for (const f of FLAGS.filter((x) => x.section !== undefined)) assert.ok(h.stdout!.includes(`--${f.name} `), f.name);
  }
  assert.match(fail(['--help']).stdout!, /--snapshot-count '100000'/);
  assert.match(fail(['--help']).stdout!, /--grpc-keepalive-min-time '5s'/);
});

test('not-yet-available features are stored and reported only when changed', () => {
  const r = ok(['--data-dir', dataDir, '--enable-v2', '--proxy-dial-timeout=5', '--experimental-initial-corrupt-check', '--experimental-compaction-batch-limit=9', '--discovery-fallback=proxy']);
  assert.equal(r.config.enableV2, true);
  assert.equal(r.config.proxyDialTimeoutMs, 5);
  assert.equal(r.config.experimentalInitialCorruptCheck, true);
  assert.equal(r.config.compactionBatchLimit, 9);
  assert.deepEqual(r.notYetAvailable.sort(), ['enable-v2', 'experimental-compaction-batch-limit', 'proxy-dial-timeout']);
});

test('flags of old releases are accepted and ignored with a warning', () => {
  const r = ok(['--data-dir', dataDir, '-v', '--peer-heartbeat-interval=5']);
  assert.deepEqual(r.warnings, ['flag "-v" is no longer supported - ignoring.', 'flag "-peer-heartbeat-interval" is no longer supported - ignoring.']);
});

test('every flag maps to ETCD_<NAME> and a typed field', () => {
  const keys = new Set<keyof EtcdConfig>();
  for (const f of FLAGS) if (f.key) keys.add(f.key);
  assert.ok(keys.size >= 85, `only ${keys.size} typed flags`);
  const r = ok(['--data-dir', dataDir], { ETCD_AUTO_COMPACTION_RETENTION: '1h', ETCD_AUTO_COMPACTION_MODE: 'periodic', ETCD_PEER_CERT_ALLOWED_CN: 'etcd-peer' });
  assert.equal(r.config.autoCompactionRetention, '1h');
  assert.deepEqual(r.config.peerCertAllowedCn, ['etcd-peer']);
});

function writeYaml(name: string, text: string): string {
  const p = join(tmp, name);
  writeFileSync(p, text);
  return p;
}

test('config file uses etcd keys, including the TLS sections', () => {
  const p = writeYaml(
    'etcd.yaml',
    `name: infra1
data-dir: ${dataDir}
snapshot-count: 5000
heartbeat-interval: 50
election-timeout: 500
listen-client-urls: http://127.0.0.1:23379,http://127.0.0.1:23377
advertise-client-urls: http://127.0.0.1:23379
listen-peer-urls: http://127.0.0.1:23380
initial-advertise-peer-urls: http://127.0.0.1:23380
initial-cluster: infra1=http://127.0.0.1:23380,infra2=http://127.0.0.2:23380
initial-cluster-state: existing
initial-cluster-token: tok
enable-v2: yes
grpc-keepalive-min-time: 3000000000
grpc-keepalive-timeout: 7s
log-outputs: [stderr]
cipher-suites:
  - TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
client-transport-security:
  cert-file: /etc/etcd/server.crt
  key-file: /etc/etcd/server.key
  client-cert-auth: true
  trusted-ca-file: /etc/etcd/ca.crt
  auto-tls: false
peer-transport-security:
  auto-tls: true
proxy: 'off'
`,
  );
  const r = ok(['--config-file', p]);
  const c = r.config;
  assert.equal(c.configFile, p);
  assert.equal(c.name, 'infra1');
  assert.equal(c.snapshotCount, 5000);
  assert.equal(c.heartbeatIntervalMs, 50);
  assert.equal(c.electionTimeoutMs, 500);
  assert.deepEqual(hrefs(c.listenClientUrls), ['http://127.0.0.1:23377/', 'http://127.0.0.1:23379/']);
  assert.deepEqual([...c.initialCluster.keys()], ['infra1', 'infra2']);
  assert.equal(c.initialClusterState, 'existing');
  assert.equal(c.initialClusterToken, 'tok');
  assert.equal(c.enableV2, true);
  assert.equal(c.grpcKeepaliveMinTimeMs, 3000);
  assert.equal(c.grpcKeepaliveTimeoutMs, 7000);
  assert.deepEqual(c.logOutputs, ['stderr']);
  assert.deepEqual(c.cipherSuites, ['TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256']);
  assert.equal(c.certFile, '/etc/etcd/server.crt');
  assert.equal(c.keyFile, '/etc/etcd/server.key');
  assert.equal(c.clientCertAuth, true);
  assert.equal(c.trustedCaFile, '/etc/etcd/ca.crt');
  assert.equal(c.autoTls, false);
  assert.equal(c.peerAutoTls, true);
  assert.equal(c.peerCertFile, '');
  assert.equal(c.proxy, 'off');
  assert.deepEqual(r.notYetAvailable, ['enable-v2']);
});

test('with a config file, other flags and ETCD_* variables are ignored', () => {
  const p = writeYaml('small.yaml', `name: from-file\ndata-dir: ${dataDir}\n`);
  for (const [argv, env] of [
    [['--config-file', p, '--name', 'from-flag'], { ETCD_SNAPSHOT_COUNT: '3' }],
    [['--name', 'from-flag'], { ETCD_CONFIG_FILE: p, ETCD_SNAPSHOT_COUNT: '3' }],
  ] as const) {
    const r = ok([...argv], { ...env });
    assert.equal(r.config.name, 'from-file');
    assert.equal(r.config.snapshotCount, 100000);
    assert.match(r.warnings.join('\n'), /ignored: --name, ETCD_SNAPSHOT_COUNT/);
  }
});

test('config file errors keep etcd wording', () => {
  const cases: Array<[string, RegExp]> = [
    ['snapshot-count: abc\n', /json: cannot unmarshal string into Go struct field configYAML\.snapshot-count of type uint64/],
    ['snapshot-count: -1\n', /cannot unmarshal number -1 into Go struct field configYAML\.snapshot-count of type uint64/],
    ['auto-compaction-retention: 1\n', /cannot unmarshal number into Go struct field configYAML\.auto-compaction-retention of type string/],
    ['listen-client-urls: foo\n', /^etcd-ts: unexpected error setting up listen-client-urls: URL scheme must be http, https, unix, or unixs: foo\n/],
    ['name: n1\n: : bad [\n', /error converting YAML to JSON: yaml: /],
    ['Name: n1\ninitial-cluster-state: bogus\n', /unexpected clusterState "bogus"/],
    ['proxy: bogus\n', /unexpected error setting up proxyFlag: invalid value/],
  ];
  cases.forEach(([text, re], i) => {
    const r = fail(['--config-file', writeYaml(`bad${i}.yaml`, text)]);
    assert.equal(r.exit, 1, text);
    assert.match(r.stderr!, re);
  });
  assert.match(fail(['--config-file', join(tmp, 'missing.yaml')]).stderr!, /error verifying flags, open .*missing\.yaml: no such file or directory/);
});

test('grpc-proxy is accepted as a command but not available yet (gateway is test/tcpproxy/gateway.test.ts)', () => {
  for (const cmd of ['grpc-proxy']) {
    const r = fail([cmd, 'start']);
    assert.equal(r.exit, 1);
    assert.match(r.stderr!, /not available yet/);
  }
});

test('the dashboard is off by default and turned on by flag, ETCD_ENABLE_DASHBOARD or the config file; it needs the gateway', () => {
  assert.equal(ok(['--data-dir', dataDir]).config.enableDashboard, false);
  assert.equal(ok(['--data-dir', dataDir, '--enable-dashboard']).config.enableDashboard, true);
  assert.equal(ok(['--data-dir', dataDir], { ETCD_ENABLE_DASHBOARD: 'true' }).config.enableDashboard, true);
  assert.equal(ok(['--config-file', writeYaml('dashboard.yaml', `data-dir: ${dataDir}\nenable-dashboard: true\n`)]).config.enableDashboard, true);
  assert.match(fail(['--data-dir', dataDir, '--enable-dashboard', '--enable-grpc-gateway=false']).stderr!, /setting enable-dashboard requires enable-grpc-gateway/);
});
