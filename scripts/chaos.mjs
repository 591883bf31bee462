// `npm run chaos -- --minutes N [--seed S] [--histories K] [--steps F] [--size 3..5]`:
// random fault schedules against a proxied etcd-ts cluster, each history checked for
// linearizability; runs the compiled runner in dist/test/chaos/.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const r = spawnSync(process.execPath, [join(root, 'dist', 'test', 'chaos', 'runner.js'), ...process.argv.slice(2)], {
  cwd: root,
  stdio: 'inherit',
});
process.exit(r.status ?? 1);
