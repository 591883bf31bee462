// The systemd environment file is read by the same configuration parser the
// member uses, so a misspelled or conflicting ETCD_* line fails here, not at boot.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConfig } from '../../src/config/index.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const systemdDir = join(repoRoot, 'deploy', 'systemd');

/** systemd's EnvironmentFile syntax as used here: KEY=VALUE lines, # comments. */
function readEnvFile(path: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const eq = trimmed.indexOf('=');
    assert.ok(eq > 0, `not KEY=VALUE: ${line}`);
    env[trimmed.slice(0, eq)] = trimmed.slice(eq + 1);
  }
  return env;
}

test('etcd-ts.env is a complete bootstrap configuration that etcd-ts accepts without warnings', () => {
  const env = readEnvFile(join(systemdDir, 'etcd-ts.env'));
  const parsed = parseConfig([], env);
  assert.ok(!('exit' in parsed), `refused: ${'exit' in parsed ? parsed.stderr : ''}`);
  assert.deepEqual(parsed.warnings, []);
  assert.deepEqual(parsed.notYetAvailable, []);
  const c = parsed.config;
  assert.equal(c.name, 'etcd-1');
  assert.ok(c.dataDir.startsWith('/var/lib/etcd-ts/'), 'data dir under the unit\'s StateDirectory');
  assert.equal(c.initialClusterState, 'new');
  assert.deepEqual([...c.initialCluster.keys()], ['etcd-1', 'etcd-2', 'etcd-3']);
  assert.deepEqual(c.initialCluster.get('etcd-1')!.map((u) => u.href.replace(/\/$/, '')), [env.ETCD_INITIAL_ADVERTISE_PEER_URLS]);
  assert.ok(c.listenClientUrls.some((u) => u.hostname === '127.0.0.1'), 'local tools and the health wait reach loopback');
});

test('etcd-ts.service runs the member as a dedicated user from the environment file, waiting for /health', () => {
  const unit = readFileSync(join(systemdDir, 'etcd-ts.service'), 'utf8');
  const directives = new Map<string, string[]>();
  for (const line of unit.split('\n')) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line.trim());
    if (m) directives.set(m[1], [...(directives.get(m[1]) ?? []), m[2]]);
  }
  const one = (k: string) => {
    const v = directives.get(k);
    assert.equal(v?.length, 1, `${k} set once`);
    return v![0];
  };
  assert.equal(one('Type'), 'simple');
  assert.equal(one('User'), 'etcd');
  assert.equal(one('Restart'), 'on-failure');
  assert.ok(Number(one('LimitNOFILE')) >= 40000);
  assert.equal(one('EnvironmentFile'), '/etc/etcd-ts/etcd-ts.env');
  assert.match(one('ExecStart'), /^\/usr\/bin\/node \/opt\/etcd-ts\/dist\/src\/cli\/etcd\.js$/);
  assert.match(one('ExecStartPost'), /deploy\/health\.mjs --wait (\d+)$/);
  // The health wait must give up before systemd's start timeout kills it mid-check.
  const wait = Number(/--wait (\d+)$/.exec(one('ExecStartPost'))![1]);
  assert.ok(wait < Number(one('TimeoutStartSec')));
  assert.equal(one('StateDirectory'), 'etcd-ts');
  assert.equal(one('StateDirectoryMode'), '0700');
});
