// etcd 3.6's server flags, which the installed etcd 3.4 does not have: each case follows
// etcd's own tests at v3.6.x, named per test (server/etcdmain/config_test.go,
// server/embed/config_test.go, pkg/featuregate/feature_gate_test.go).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultConfig, featureEnabled, parseConfig, watchProgressNotifyIntervalMs, type ConfigExit, type ParsedConfig } from '../../src/config/index.js';
import { DEPRECATED_FLAG_WARNINGS } from '../../src/config/graduated.js';

const tmp = mkdtempSync(join(tmpdir(), 'etcd-ts-flags36-'));
test.after(() => rmSync(tmp, { recursive: true, force: true }));
const base = ['--data-dir', join(tmp, 'data')];

function ok(argv: string[], env: NodeJS.ProcessEnv = {}): ParsedConfig {
  const r = parseConfig([...base, ...argv], env);
  assert.ok(!('exit' in r), `expected a config for ${argv.join(' ')}, got ${JSON.stringify(r)}`);
  return r;
}
function fail(argv: string[], env: NodeJS.ProcessEnv = {}): ConfigExit {
  const r = parseConfig([...base, ...argv], env);
  assert.ok('exit' in r, `expected an exit for ${JSON.stringify(argv)}`);
  return r;
}
/** The reason of a verification error ("error verifying flags, <reason>. See ..."). */
function reason(r: ConfigExit): string {
  const m = /error verifying flags, (.*)\. See 'etcd-ts --help'\./.exec(r.stderr ?? '');
  assert.ok(m, `not a verification error: ${r.stderr}`);
  return m[1];
}
let fileNo = 0;
function yaml(text: string): string {
  const p = join(tmp, `c${fileNo++}.yaml`);
  writeFileSync(p, `data-dir: ${join(tmp, 'data')}\n${text}`);
  return p;
}

// server/etcdmain/config_test.go TestParseFeatureGateFlags
test('--feature-gates: experimental flag and gate, as TestParseFeatureGateFlags', () => {
  const d = ok([]).config;
  assert.equal(featureEnabled(d.featureGates, 'StopGRPCServiceOnDefrag'), false);
  assert.equal(featureEnabled(d.featureGates, 'TxnModeWriteWithSharedBuffer'), true, 'a BETA gate defaults on');

  const both = fail(['--experimental-stop-grpc-service-on-defrag=false', '--feature-gates=StopGRPCServiceOnDefrag=true']);
  assert.equal(both.exit, 1);
  assert.equal(
    reason(both),
    'cannot specify both flags: --experimental-stop-grpc-service-on-defrag=false and --feature-gates=StopGRPCServiceOnDefrag=true at the same time, please just use --feature-gates=StopGRPCServiceOnDefrag=true',
  );

  const different = ok(['--experimental-stop-grpc-service-on-defrag=true', '--feature-gates=InitialCorruptCheck=true']).config;
  assert.equal(featureEnabled(different.featureGates, 'StopGRPCServiceOnDefrag'), true);
  assert.equal(featureEnabled(different.featureGates, 'InitialCorruptCheck'), true);

  const fromFlag = ok(['--experimental-stop-grpc-service-on-defrag=true']).config;
  assert.equal(featureEnabled(fromFlag.featureGates, 'StopGRPCServiceOnDefrag'), true);
  assert.equal(featureEnabled(fromFlag.featureGates, 'InitialCorruptCheck'), false);

  const fromGates = ok(['--feature-gates=StopGRPCServiceOnDefrag=true,InitialCorruptCheck=true']).config;
  assert.equal(featureEnabled(fromGates.featureGates, 'StopGRPCServiceOnDefrag'), true);
  assert.equal(featureEnabled(fromGates.featureGates, 'InitialCorruptCheck'), true);
});

// pkg/featuregate/feature_gate_test.go TestFeatureGateFlag: an unknown gate and a missing value are flag errors.
test('--feature-gates: an unknown gate, a bad value and a missing value are refused as Go flag errors (exit 2)', () => {
  const unknown = fail(['--feature-gates=NoSuchGate=true']);
  assert.equal(unknown.exit, 2);
  assert.equal(unknown.stderr!.split('\n')[0], 'invalid value "NoSuchGate=true" for flag -feature-gates: unrecognized feature gate: NoSuchGate');
  const missing = fail(['--feature-gates=InitialCorruptCheck']);
  assert.equal(missing.stderr!.split('\n')[0], 'invalid value "InitialCorruptCheck" for flag -feature-gates: missing bool value for InitialCorruptCheck');
  const bad = fail(['--feature-gates=InitialCorruptCheck=maybe']);
  assert.equal(
    bad.stderr!.split('\n')[0],
    'invalid value "InitialCorruptCheck=maybe" for flag -feature-gates: invalid value of InitialCorruptCheck=maybe, err: strconv.ParseBool: parsing "maybe": invalid syntax',
  );
  // Through the environment the same text names the variable instead.
  const env = fail([], { ETCD_FEATURE_GATES: 'Nope=true' });
  assert.equal(reason(env), 'invalid value "Nope=true" for ETCD_FEATURE_GATES: unrecognized feature gate: Nope');
});

// pkg/featuregate/feature_gate_test.go: AllAlpha/AllBeta set every gate of their stage not set explicitly.
test('--feature-gates: AllAlpha turns on every alpha gate not named, spaces around pairs are trimmed', () => {
  const c = ok(['--feature-gates= AllAlpha=true , CompactHashCheck=false']).config;
  assert.equal(featureEnabled(c.featureGates, 'InitialCorruptCheck'), true);
  assert.equal(featureEnabled(c.featureGates, 'LeaseCheckpoint'), true);
  assert.equal(featureEnabled(c.featureGates, 'CompactHashCheck'), false);
  assert.equal(featureEnabled(c.featureGates, 'TxnModeWriteWithSharedBuffer'), true);
  // A second --feature-gates adds to the first, as Set merges.
  const merged = ok(['--feature-gates=InitialCorruptCheck=true', '--feature-gates=LeaseCheckpoint=true']).config;
  assert.equal(featureEnabled(merged.featureGates, 'InitialCorruptCheck'), true);
  assert.equal(featureEnabled(merged.featureGates, 'LeaseCheckpoint'), true);
});

// server/embed/config_test.go TestConfigFileFeatureGates
test('feature-gates in the config file, and experimental keys folding into gates', () => {
  const both = fail(['--config-file', yaml('feature-gates: InitialCorruptCheck=true\nexperimental-initial-corrupt-check: false\n')]);
  assert.match(reason(both), /^cannot specify both flags: --experimental-initial-corrupt-check=false and --feature-gates=InitialCorruptCheck=true/);
  const r = ok(['--config-file', yaml('feature-gates: StopGRPCServiceOnDefrag=true,TxnModeWriteWithSharedBuffer=true,LeaseCheckpoint=true,SetMemberLocalAddr=true\nexperimental-compact-hash-check-enabled: true\nexperimental-initial-corrupt-check: true\n')]);
  for (const g of ['StopGRPCServiceOnDefrag', 'CompactHashCheck', 'InitialCorruptCheck', 'TxnModeWriteWithSharedBuffer', 'LeaseCheckpoint', 'SetMemberLocalAddr'] as const) {
    assert.equal(featureEnabled(r.config.featureGates, g), true, g);
  }
  // Gates etcd-ts accepts without their feature are reported, under the name they were given.
  assert.deepEqual(r.notYetAvailable.sort(), ['feature-gates=LeaseCheckpoint', 'feature-gates=SetMemberLocalAddr', 'feature-gates=StopGRPCServiceOnDefrag']);
  const bogus = fail(['--config-file', yaml('feature-gates: Bogus=true\n')]);
  assert.equal(bogus.exit, 1);
  assert.equal(bogus.stderr, 'etcd-ts: unrecognized feature gate: Bogus\n');
});

// server/embed/config_test.go TestLeaseCheckpointValidate, with the gates' wording.
test('LeaseCheckpointPersist without LeaseCheckpoint is refused in 3.6 words through --feature-gates', () => {
  assert.equal(reason(fail(['--feature-gates=LeaseCheckpointPersist=true'])), 'enabling feature gate LeaseCheckpointPersist requires enabling feature gate LeaseCheckpoint');
  const warned = ok(['--feature-gates=LeaseCheckpoint=true']);
  assert.ok(warned.warnings.includes('Detected that checkpointing is enabled without persistence. Consider enabling feature gate LeaseCheckpointPersist'));
});

// server/etcdmain/config_test.go Test*FlagMigration: the graduated name, the old name, both at once.
const migrations: Array<{ old: string; graduated: string; value: string; field: keyof ParsedConfig['config']; want: unknown }> = [
  { old: 'experimental-corrupt-check-time', graduated: 'corrupt-check-time', value: '3m', field: 'corruptCheckTimeMs', want: 180_000 },
  { old: 'experimental-compact-hash-check-time', graduated: 'compact-hash-check-time', value: '2m', field: 'compactHashCheckTimeMs', want: 120_000 },
  { old: 'experimental-compaction-batch-limit', graduated: 'compaction-batch-limit', value: '9', field: 'compactionBatchLimit', want: 9 },
  { old: 'experimental-compaction-sleep-interval', graduated: 'compaction-sleep-interval', value: '30s', field: 'compactionSleepIntervalMs', want: 30_000 },
  { old: 'experimental-warning-apply-duration', graduated: 'warning-apply-duration', value: '250ms', field: 'warningApplyDurationMs', want: 250 },
  { old: 'experimental-bootstrap-defrag-threshold-megabytes', graduated: 'bootstrap-defrag-threshold-megabytes', value: '100', field: 'bootstrapDefragThresholdMegabytes', want: 100 },
  { old: 'experimental-memory-mlock', graduated: 'memory-mlock', value: 'true', field: 'memoryMlock', want: true },
  { old: 'experimental-snapshot-catchup-entries', graduated: 'snapshot-catchup-entries', value: '1000', field: 'snapshotCatchupEntries', want: 1000 },
  { old: 'experimental-downgrade-check-time', graduated: 'downgrade-check-time', value: '1m', field: 'downgradeCheckTimeMs', want: 60_000 },
  { old: 'experimental-peer-skip-client-san-verification', graduated: 'peer-skip-client-san-verification', value: 'true', field: 'peerSkipClientSanVerification', want: true },
  { old: 'experimental-enable-distributed-tracing', graduated: 'enable-distributed-tracing', value: 'true', field: 'enableDistributedTracing', want: true },
  { old: 'experimental-distributed-tracing-address', graduated: 'distributed-tracing-address', value: 'collector:4317', field: 'distributedTracingAddress', want: 'collector:4317' },
  { old: 'experimental-distributed-tracing-service-name', graduated: 'distributed-tracing-service-name', value: 'svc', field: 'distributedTracingServiceName', want: 'svc' },
  { old: 'experimental-distributed-tracing-instance-id', graduated: 'distributed-tracing-instance-id', value: 'i1', field: 'distributedTracingInstanceId', want: 'i1' },
  { old: 'experimental-distributed-tracing-sampling-rate', graduated: 'distributed-tracing-sampling-rate', value: '100', field: 'distributedTracingSamplingRate', want: 100 },
];

test('graduated flags: either name sets the value, the old one with 3.6\'s warning, both at once refused', () => {
  for (const m of migrations) {
    const viaNew = ok([`--${m.graduated}=${m.value}`]);
    assert.deepEqual(viaNew.config[m.field], m.want, m.graduated);
    assert.ok(!viaNew.warnings.some((w) => w.includes(`--${m.old} is deprecated`)), `${m.graduated} warns of nothing`);
    const viaOld = ok([`--${m.old}=${m.value}`]);
    assert.deepEqual(viaOld.config[m.field], m.want, m.old);
    // 3.6 warns for most old names; for a few (--experimental-peer-skip-client-san-verification) its table has no entry.
    const warning = DEPRECATED_FLAG_WARNINGS[m.old];
    if (warning !== undefined) assert.ok(viaOld.warnings.includes(warning), `${m.old} logs 3.6's deprecation warning`);
    else assert.ok(!viaOld.warnings.some((w) => w.includes('deprecated')), `${m.old} is not in 3.6's table`);
    const both = fail([`--${m.old}=${m.value}`, `--${m.graduated}=${m.value}`]);
    assert.equal(reason(both), `cannot set --${m.old} and --${m.graduated} at the same time, please use --${m.graduated} only`);
    // The same through the environment.
    const envBoth = fail([], { [`ETCD_${m.old.toUpperCase().replaceAll('-', '_')}`]: m.value, [`ETCD_${m.graduated.toUpperCase().replaceAll('-', '_')}`]: m.value });
    assert.match(reason(envBoth), /^cannot set --/);
  }
});

// server/embed/config.go experimentalFlagMigrationMap has the progress interval too; its two
// names keep their own fields (the experimental one, when set, wins as in 3.6's config).
test('--experimental-watch-progress-notify-interval: 3.6\'s warning, the graduated name beside it refused', () => {
  const viaOld = ok(['--experimental-watch-progress-notify-interval=2s']);
  assert.equal(watchProgressNotifyIntervalMs(viaOld.config, defaultConfig()), 2000);
  assert.ok(viaOld.warnings.includes(DEPRECATED_FLAG_WARNINGS['experimental-watch-progress-notify-interval']!));
  const viaNew = ok(['--watch-progress-notify-interval=3s']);
  assert.equal(watchProgressNotifyIntervalMs(viaNew.config, defaultConfig()), 3000);
  assert.ok(!viaNew.warnings.some((w) => w.includes('deprecated')));
  const both = fail(['--experimental-watch-progress-notify-interval=2s', '--watch-progress-notify-interval=3s']);
  assert.equal(reason(both), 'cannot set --experimental-watch-progress-notify-interval and --watch-progress-notify-interval at the same time, please use --watch-progress-notify-interval only');
});

test('3.6 deprecation warnings word for word', () => {
  // server/etcdmain/config.go deprecatedFlags; etcd's own text drops the dashes of one new name.
  assert.deepEqual(ok(['--experimental-corrupt-check-time=1m']).warnings.filter((w) => w.includes('deprecated')), [
    "--experimental-corrupt-check-time is deprecated in v3.6 and will be decommissioned in v3.7. Use '--corrupt-check-time' instead.",
  ]);
  assert.ok(ok(['--max-snapshots=3']).warnings.includes('--max-snapshots is deprecated in 3.6 and will be decommissioned in 3.8.'));
  assert.ok(ok(['--experimental-compaction-sleep-interval=1s']).warnings.includes("--experimental-compaction-sleep-interval is deprecated in v3.6 and will be decommissioned in v3.7. Use 'compaction-sleep-interval' instead."));
  assert.ok(ok(['--experimental-txn-mode-write-with-shared-buffer=true']).warnings.includes("--experimental-txn-mode-write-with-shared-buffer is deprecated in v3.6 and will be decommissioned in v3.7. Use '--feature-gates=TxnModeWriteWithSharedBuffer=true' instead."));
});

// server/etcdmain/config_test.go TestConfigFileDeprecatedOptions
test('config file: deprecated experimental keys warn, experimental-snapshot-catch-up-entries counts as experimental-snapshot-catchup-entries', () => {
  const r = ok([
    '--config-file',
    yaml(
      [
        'experimental-compact-hash-check-enabled: true',
        'experimental-compact-hash-check-time: 2m',
        'experimental-warning-unary-request-duration: 1s',
        'experimental-corrupt-check-time: 1m',
        'experimental-compaction-batch-limit: 1',
        'experimental-warning-apply-duration: 3m',
        'experimental-bootstrap-defrag-threshold-megabytes: 100',
        'experimental-snapshot-catch-up-entries: 1000',
        'experimental-compaction-sleep-interval: 30s',
        'experimental-downgrade-check-time: 1m',
        '',
      ].join('\n'),
    ),
  ]);
  const flagged = Object.keys(DEPRECATED_FLAG_WARNINGS).filter((f) => r.explicitlySet.has(f)).sort();
  assert.deepEqual(flagged, [
    'experimental-bootstrap-defrag-threshold-megabytes',
    'experimental-compact-hash-check-enabled',
    'experimental-compact-hash-check-time',
    'experimental-compaction-batch-limit',
    'experimental-compaction-sleep-interval',
    'experimental-corrupt-check-time',
    'experimental-downgrade-check-time',
    'experimental-snapshot-catchup-entries',
    'experimental-warning-apply-duration',
  ]);
  for (const f of flagged) assert.ok(r.warnings.includes(DEPRECATED_FLAG_WARNINGS[f]!), f);
  assert.equal(r.config.snapshotCatchupEntries, 1000);
  assert.equal(r.warningUnaryRequestMs, 1000);
  const snap = ok(['--config-file', yaml('snapshot-count: 10000\nmax-snapshots: 5\n')]);
  assert.ok(snap.warnings.includes(DEPRECATED_FLAG_WARNINGS['max-snapshots']!));
  assert.equal(snap.warnings.filter((w) => w.includes('is deprecated')).length, 1);
});

// server/etcdmain/config.go parseWarningUnaryRequestDuration
test('--warning-unary-request-duration: 300ms by default, at most one of its two names', () => {
  assert.equal(ok([]).warningUnaryRequestMs, 300);
  assert.equal(ok(['--warning-unary-request-duration=1s']).warningUnaryRequestMs, 1000);
  const old = ok(['--experimental-warning-unary-request-duration=2s']);
  assert.equal(old.warningUnaryRequestMs, 2000);
  assert.ok(old.warnings.includes('--experimental-warning-unary-request-duration is deprecated, and will be decommissioned in v3.7. Use --warning-unary-request-duration instead.'));
  assert.equal(
    reason(fail(['--experimental-warning-unary-request-duration=2s', '--warning-unary-request-duration=1s'])),
    'both --experimental-warning-unary-request-duration and --warning-unary-request-duration flags are set. Use only --warning-unary-request-duration',
  );
});

// server/embed/config_test.go TestTLSVersionMinMax
test('--tls-min-version / --tls-max-version as TestTLSVersionMinMax', () => {
  const min13 = ok(['--tls-min-version=TLS1.3']).config;
  assert.equal(min13.tlsMinVersion, 'TLS1.3');
  assert.equal(min13.tlsMaxVersion, '');
  assert.equal(ok(['--tls-max-version=TLS1.2']).config.tlsMaxVersion, 'TLS1.2');
  ok(['--tls-min-version=TLS1.3', '--tls-max-version=TLS1.3']);
  assert.equal(reason(fail(['--tls-min-version=TLS1.3', '--tls-max-version=TLS1.2'])), 'min version (TLS1.3) is greater than max version (TLS1.2)');
  assert.equal(reason(fail(['--tls-min-version=invalid version'])), 'unexpected TLS version "invalid version" (must be one of: TLS1.2, TLS1.3)');
  assert.equal(reason(fail(['--tls-max-version=invalid version'])), 'unexpected TLS version "invalid version" (must be one of: TLS1.2, TLS1.3)');
  assert.equal(
    reason(fail(['--tls-min-version=TLS1.3', '--cipher-suites=TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256'])),
    'cipher suites cannot be configured when only TLS1.3 is enabled',
  );
  assert.equal(ok(['--config-file', yaml('tls-min-version: TLS1.3\n')]).config.tlsMinVersion, 'TLS1.3');
});

// client/pkg/logutil/log_format.go ConvertToZapFormat
test('--log-format: json or console, anything else refused with etcd\'s words', () => {
  assert.equal(ok([]).config.logFormat, 'json');
  assert.equal(ok(['--log-format=console']).config.logFormat, 'console');
  assert.equal(reason(fail(['--log-format=xml'])), 'unknown log format: xml, supported values json, console');
});

// server/embed/config.go AddFlags: comma-separated lists of allowed names (3.4 took one).
test('allowed CNs and hostnames are comma-separated lists; --listen-client-http-urls is a URL list', () => {
  const c = ok(['--peer-cert-allowed-cn=a,b', '--peer-cert-allowed-hostname=h1,h2', '--client-cert-allowed-hostname=c1,c2', '--listen-client-http-urls=http://127.0.0.1:23790']).config;
  assert.deepEqual(c.peerCertAllowedCn, ['a', 'b']);
  assert.deepEqual(c.peerCertAllowedHostname, ['h1', 'h2']);
  assert.deepEqual(c.clientCertAllowedHostname, ['c1', 'c2']);
  assert.deepEqual(c.listenClientHttpUrls.map((u) => u.href), ['http://127.0.0.1:23790/']);
  assert.equal(reason(fail(['--listen-client-http-urls=http://example.com:23790'])), 'expected IP in URL for binding (http://example.com:23790)');
  const file = ok(['--config-file', yaml('peer-transport-security:\n  allowed-cn: [a, b]\nclient-transport-security:\n  allowed-hostname: [h]\nlisten-client-http-urls: http://127.0.0.1:23791\n')]).config;
  assert.deepEqual(file.peerCertAllowedCn, ['a', 'b']);
  assert.deepEqual(file.clientCertAllowedHostname, ['h']);
  assert.deepEqual(file.listenClientHttpUrls.map((u) => u.href), ['http://127.0.0.1:23791/']);
});

// server/embed/config.go Validate: compact-hash-check-time must be positive, under whichever name was given.
test('--compact-hash-check-time must be >0, named as given', () => {
  assert.equal(reason(fail(['--compact-hash-check-time=0s'])), '--compact-hash-check-time must be >0 (set to 0s)');
  assert.equal(reason(fail(['--experimental-compact-hash-check-time=0s'])), '--experimental-compact-hash-check-time must be >0 (set to 0s)');
});

// server/etcdmain/config_test.go TestFlagsPresentInHelp: --help lists the 3.6 flags and the known gates.
test('--help lists the 3.6 flags and every feature gate with its stage and default', () => {
  const help = parseConfig(['--help'], {});
  assert.ok('exit' in help && help.exit === 0);
  for (const f of ['feature-gates', 'listen-client-http-urls', 'tls-min-version', 'tls-max-version', 'log-format', 'corrupt-check-time', 'max-learners', 'snapshot-catchup-entries', 'compact-hash-check-time']) {
    assert.match(help.stdout!, new RegExp(`--${f} `), f);
  }
  for (const g of ['CompactHashCheck=true|false (ALPHA - default=false)', 'TxnModeWriteWithSharedBuffer=true|false (BETA - default=true)', 'AllAlpha=true|false (ALPHA - default=false)']) {
    assert.ok(help.stdout!.includes(g), g);
  }
});

// server/etcdmain/config.go: --v2-deprecation takes only 3.6's stages.
test('--v2-deprecation takes 3.6\'s stages and warns that it is deprecated', () => {
  const r = ok(['--v2-deprecation=write-only']);
  assert.ok(r.warnings.includes(DEPRECATED_FLAG_WARNINGS['v2-deprecation']!));
  assert.equal(fail(['--v2-deprecation=not-yet']).stderr!.split('\n')[0], 'invalid value "not-yet" for flag -v2-deprecation: invalid value "not-yet"');
});
