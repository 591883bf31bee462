import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig, type ParsedConfig } from '../../src/config/index.js';
import { parseCompactionRetention, parseGoDurationNs } from '../../src/config/compaction.js';
import { freePort } from '../helpers/ports.js';

const ETCD = '/usr/bin/etcd';
const haveEtcd = existsSync(ETCD);
const tmp = mkdtempSync(join(tmpdir(), 'etcd-ts-compactor-flags-'));
test.after(() => rmSync(tmp, { recursive: true, force: true }));

function ok(argv: string[]): ParsedConfig {
  const r = parseConfig(['--data-dir', join(tmp, 'never-created'), ...argv], {});
  assert.ok(!('exit' in r), `rejected ${argv.join(' ')}: ${'exit' in r ? r.stderr : ''}`);
  return r;
}

test('retention: unitless is hours (periodic) or revisions (revision); durations as Go reads them', () => {
  const H = 3_600_000;
  const cases: Array<[mode: 'periodic' | 'revision', retention: string, want: number]> = [
    ['periodic', '0', 0],
    ['periodic', '', 0],
    ['periodic', '1', H],
    ['periodic', '+2', 2 * H],
    ['periodic', '72', 72 * H],
    ['periodic', '30m', 30 * 60_000],
    ['periodic', '1h30m', 1.5 * H],
    ['periodic', '1.5h', 1.5 * H],
    ['periodic', '500ms', 500],
    ['periodic', '0s', 0],
    ['periodic', '-1h', -H],
    ['revision', '1000', 1000],
    ['revision', '0', 0],
    // etcd's own reading: a duration in revision mode counts its nanoseconds.
    ['revision', '1s', 1e9],
  ];
  for (const [mode, retention, want] of cases) {
    assert.deepEqual(parseCompactionRetention(mode, retention), { retention: want }, `${mode} ${JSON.stringify(retention)}`);
  }
});

test('Go duration errors keep Go\'s wording', () => {
  assert.deepEqual(parseGoDurationNs('abc'), { error: 'time: invalid duration "abc"' });
  assert.deepEqual(parseGoDurationNs('-1'), { error: 'time: missing unit in duration "-1"' });
  assert.deepEqual(parseGoDurationNs('1h5'), { error: 'time: missing unit in duration "1h5"' });
  assert.deepEqual(parseGoDurationNs('1x'), { error: 'time: unknown unit "x" in duration "1x"' });
  assert.deepEqual(parseGoDurationNs('1µ'), { error: 'time: unknown unit "\\xc2\\xb5" in duration "1\\xc2\\xb5"' });
  assert.deepEqual(parseGoDurationNs('.h'), { error: 'time: invalid duration ".h"' });
  assert.deepEqual(parseGoDurationNs(''), { error: 'time: invalid duration ""' });
  assert.deepEqual(parseGoDurationNs('1.5µs'), { ns: 1500 });
});

test('the flags are parsed for the member and no longer reported as not available', () => {
  const rev = ok(['--auto-compaction-mode=revision', '--auto-compaction-retention=10']);
  assert.equal(rev.config.autoCompactionMode, 'revision');
  assert.equal(rev.autoCompactionRetention, 10);
  assert.deepEqual(rev.notYetAvailable.filter((f) => f.startsWith('auto-compaction')), []);
  const periodic = ok(['--auto-compaction-retention=5m']);
  assert.equal(periodic.config.autoCompactionMode, 'periodic');
  assert.equal(periodic.autoCompactionRetention, 300_000);
  assert.equal(ok([]).autoCompactionRetention, 0);

  const r = parseConfig(['--auto-compaction-retention=1x'], {});
  assert.ok('exit' in r);
  assert.equal(r.exit, 1);
  assert.equal(r.stderr, 'etcd-ts: error parsing CompactionRetention: time: unknown unit "x" in duration "1x"\n');
});

test('the config file\'s retention goes through the same parsing', () => {
  const file = join(tmp, 'etcd.yaml');
  writeFileSync(file, `data-dir: ${join(tmp, 'never-created')}\nauto-compaction-mode: revision\nauto-compaction-retention: "2h"\n`);
  const good = parseConfig(['--config-file', file], {});
  assert.ok(!('exit' in good));
  assert.equal(good.autoCompactionRetention, 7.2e12);
  writeFileSync(file, `data-dir: ${join(tmp, 'never-created')}\nauto-compaction-retention: "-5"\n`);
  const bad = parseConfig(['--config-file', file], {});
  assert.ok('exit' in bad);
  assert.equal(bad.stderr, 'etcd-ts: error parsing CompactionRetention: time: missing unit in duration "-5"\n');
});

test('bad values: same exit code and message as etcd', { skip: haveEtcd ? false : `${ETCD} is not installed` }, async () => {
  // etcd binds its listeners before it reads the retention, so each run gets its own free ports.
  const cases: string[][] = [
    ['--auto-compaction-retention=abc'],
    ['--auto-compaction-retention=-1'],
    ['--auto-compaction-retention=1.5'],
    ['--auto-compaction-retention=1x'],
    ['--auto-compaction-retention=1h5'],
    ['--auto-compaction-retention=1µ'],
    ['--auto-compaction-mode=revision', '--auto-compaction-retention=ten'],
    ['--auto-compaction-mode=revision', '--auto-compaction-retention=-10'],
  ];
  for (const [i, extra] of cases.entries()) {
    const peer = await freePort();
    const client = await freePort();
    const argv = [
      '--data-dir', join(tmp, `real-${i}`),
      '--listen-peer-urls', `http://127.0.0.1:${peer}`,
      '--initial-advertise-peer-urls', `http://127.0.0.1:${peer}`,
      '--initial-cluster', `default=http://127.0.0.1:${peer}`,
      '--listen-client-urls', `http://127.0.0.1:${client}`,
      '--advertise-client-urls', `http://127.0.0.1:${client}`,
      ...extra,
    ];
    const real = spawnSync(ETCD, argv, { env: { PATH: '/usr/bin:/bin' }, encoding: 'utf8', timeout: 5000, killSignal: 'SIGKILL' });
    const got = parseConfig(argv, {});
    assert.ok('exit' in got, `etcd-ts accepted ${extra.join(' ')}`);
    assert.equal(got.exit, real.status, extra.join(' '));
    const line = real.stderr.split('\n').find((l) => / C \| /.test(l));
    assert.ok(line, `etcd said: ${real.stderr}`);
    assert.equal(got.stderr!.trim(), `etcd-ts: ${line.replace(/^.* C \| [a-z/]+: /, '')}`, extra.join(' '));
    assert.equal(existsSync(join(tmp, `real-${i}`)), false, 'etcd stopped before creating its data dir');
  }
});
