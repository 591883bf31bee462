// `npm run robustness -- --histories N --profile P --failpoints F --members 1,3,5 [--seed S]`:
// checked histories of realistic traffic with faults inside and around the server;
// runs the compiled runner in dist/test/robustness/.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const r = spawnSync(process.execPath, [join(root, 'dist', 'test', 'robustness', 'runner.js'), ...process.argv.slice(2)], {
  cwd: root,
  stdio: 'inherit',
});
process.exit(r.status ?? 1);
