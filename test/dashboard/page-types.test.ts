// The page's plain JavaScript is type-checked against its JSDoc and the DOM's
// types (it is served as written, so nothing else compiles it).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));

test('the dashboard page type-checks', { timeout: 120_000 }, () => {
  const args = ['--ignoreConfig', '--allowJs', '--checkJs', '--noEmit', '--strict', 'false', '--target', 'es2022', '--module', 'esnext', '--moduleResolution', 'bundler', '--lib', 'es2022,dom,dom.iterable', 'src/dashboard/web/app.js'];
  const r = spawnSync(process.execPath, [`${root}node_modules/typescript/bin/tsc`, ...args], { cwd: root, encoding: 'utf8' });
  assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
});
