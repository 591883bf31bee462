// The corruption-check flags: parsed from flags, ETCD_* variables and the config file
// as etcd 3.4 parses them, off by default, and no longer reported as unavailable.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig, type ParsedConfig, type ConfigExit } from '../../src/config/index.js';

const tmp = mkdtempSync(join(tmpdir(), 'etcd-ts-corrupt-flags-'));
test.after(() => rmSync(tmp, { recursive: true, force: true }));
const dataDir = join(tmp, 'data');

function ok(argv: string[], env: NodeJS.ProcessEnv = {}): ParsedConfig {
  const r = parseConfig(argv, env);
  assert.ok(!('exit' in r), `expected a config, got ${JSON.stringify(r)}`);
  return r;
}
function exit(argv: string[]): ConfigExit {
  const r = parseConfig(argv, {});
  assert.ok('exit' in r, `expected an exit for ${JSON.stringify(argv)}`);
  return r;
}

test('both checks are off by default', () => {
  const { config } = ok(['--data-dir', dataDir]);
  assert.equal(config.experimentalInitialCorruptCheck, false);
  assert.equal(config.corruptCheckTimeMs, 0);
});

test('flags: a bool and a Go duration, and neither is reported as not available', () => {
  const r = ok(['--data-dir', dataDir, '--experimental-initial-corrupt-check', '--experimental-corrupt-check-time=1m30s']);
  assert.equal(r.config.experimentalInitialCorruptCheck, true);
  assert.equal(r.config.corruptCheckTimeMs, 90_000);
  assert.deepEqual(r.notYetAvailable, []);
  assert.equal(ok(['--data-dir', dataDir, '--experimental-corrupt-check-time', '250ms']).config.corruptCheckTimeMs, 250);
  assert.equal(ok(['--data-dir', dataDir, '--experimental-initial-corrupt-check=false']).config.experimentalInitialCorruptCheck, false);
});

test('a duration without a unit is refused, as Go flag parsing does', () => {
  const r = exit(['--data-dir', dataDir, '--experimental-corrupt-check-time=5']);
  assert.notEqual(r.exit, 0);
  assert.match(r.stderr ?? '', /experimental-corrupt-check-time/);
});

test('ETCD_* variables and the config file set them too', () => {
  const env = ok(['--data-dir', dataDir], { ETCD_EXPERIMENTAL_INITIAL_CORRUPT_CHECK: 'true', ETCD_EXPERIMENTAL_CORRUPT_CHECK_TIME: '2s' });
  assert.equal(env.config.experimentalInitialCorruptCheck, true);
  assert.equal(env.config.corruptCheckTimeMs, 2000);

  const p = join(tmp, 'corrupt.yaml');
  // etcd's config file holds a time.Duration as integer nanoseconds.
  writeFileSync(p, `data-dir: ${dataDir}\nexperimental-initial-corrupt-check: true\nexperimental-corrupt-check-time: 3000000000\n`);
  const file = ok(['--config-file', p]);
  assert.equal(file.config.experimentalInitialCorruptCheck, true);
  assert.equal(file.config.corruptCheckTimeMs, 3000);
  assert.deepEqual(file.notYetAvailable, []);
});

test('--help lists both with etcd 3.4 defaults', () => {
  const help = exit(['--help']).stdout ?? '';
  assert.match(help, /--experimental-initial-corrupt-check 'false'/);
  assert.match(help, /--experimental-corrupt-check-time '0s'/);
});
