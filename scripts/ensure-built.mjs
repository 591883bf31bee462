// Makes `npm start` / `npm test` work on a fresh clone: installs dependencies when
// they are missing and compiles the TypeScript when any source is newer than dist/.
import { execSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const run = (cmd) => execSync(cmd, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });

if (!existsSync(join(root, 'node_modules', '.package-lock.json'))) {
  run('npm ci --no-audit --no-fund --loglevel=error');
}

function newest(dir) {
  let t = 0;
  if (!existsSync(dir)) return t;
  for (const name of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, name.name);
    t = Math.max(t, name.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}
const stamp = join(root, 'dist', '.built');
const sourceTime = Math.max(newest(join(root, 'src')), newest(join(root, 'test')), newest(join(root, 'bench')), statSync(join(root, 'tsconfig.json')).mtimeMs);
if (!existsSync(stamp) || statSync(stamp).mtimeMs < sourceTime) {
  run('npx tsc -p .');
  removeStale(join(root, 'dist'));
  run(`node -e "require('node:fs').writeFileSync('dist/.built', '')"`);
}

// Compiled files whose TypeScript source is gone must not linger: a stale test would still run.
function removeStale(dir) {
  if (!existsSync(dir)) return;
  for (const d of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, d.name);
    if (d.isDirectory()) {
      removeStale(p);
      continue;
    }
    const m = /^(.*)\.(js|js\.map|d\.ts)$/.exec(relative(join(root, 'dist'), p));
    if (m && !existsSync(join(root, m[1] + '.ts'))) rmSync(p, { force: true });
  }
}
