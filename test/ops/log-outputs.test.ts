// --log-outputs and --log-level as etcd 3.4 with --logger=zap (capnslog takes one output): every target gets
// the same JSON lines with etcd's keys, and a level drops what is below it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { ETCD_BIN, ETCD_TS_ENTRY, etcdctl, freePort, memberFlags, probeHealth, startMember, tmpDir, type MemberKind } from '../helpers/index.js';

function lines(path: string): Record<string, unknown>[] {
  return readFileSync(path, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l));
}

for (const kind of ['etcd', 'etcd-ts'] as MemberKind[]) {
  test(`${kind}: a log file beside stderr gets the same JSON lines`, async () => {
    const dir = tmpDir(`log-outputs-${kind}`);
    const file = join(dir.path, 'member.log');
    const zap = ['--logger', 'zap'];
    const m = await startMember(kind, { dataDir: join(dir.path, 'n1.etcd'), extraArgs: [...zap, '--log-outputs', `stderr,${file}`] });
    try {
      assert.equal((await etcdctl(m, ['put', 'k', 'v'])).code, 0);
      const got = lines(file);
      assert.ok(got.length > 3);
      for (const l of got) assert.ok(typeof l.level === 'string' && typeof l.ts === 'string' && typeof l.msg === 'string', JSON.stringify(l));
      assert.ok(got.some((l) => l.msg === 'serving client traffic insecurely; this is strongly discouraged!'), 'the serving milestone reaches the file');
      // stderr saw the same lines.
      assert.ok(m.logs().includes('"msg":"serving client traffic insecurely; this is strongly discouraged!"'));
    } finally {
      await m.close();
    }
    dir.cleanup();
  });

  test(`${kind}: --log-level=warn drops info lines`, async () => {
    const dir = tmpDir(`log-level-${kind}`);
    const file = join(dir.path, 'warn.log');
    const zap = ['--logger', 'zap'];
    // Nothing at info reaches any output, so readiness is judged by /health.
    const clientPort = await freePort();
    const flags = [...memberFlags('n1', join(dir.path, 'n1.etcd'), clientPort, await freePort()), ...zap, '--log-outputs', file, '--log-level', 'warn'];
    const child = kind === 'etcd' ? spawn(ETCD_BIN, flags, { stdio: 'ignore' }) : spawn(process.execPath, [ETCD_TS_ENTRY, ...flags], { stdio: 'ignore' });
    try {
      const endpoint = `http://127.0.0.1:${clientPort}`;
      const deadline = Date.now() + 15_000;
      while (!(await probeHealth(endpoint, 500))) {
        assert.ok(Date.now() < deadline && child.exitCode === null, 'member serves');
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal((await etcdctl(endpoint, ['put', 'k', 'v'])).code, 0);
      for (const l of lines(file)) assert.notEqual(l.level, 'info', `no info lines at --log-level=warn: ${JSON.stringify(l)}`);
    } finally {
      child.kill('SIGKILL');
      await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(null) : child.once('exit', r)));
      dir.cleanup();
    }
  });
}
