// A source checkout may run its binaries before anything was compiled (`npm ci`
// then `npx etcdctl-ts`): compile on first use. Installed packages ship dist/.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export function ensureBuilt(entry) {
  if (existsSync(fileURLToPath(new URL(`../${entry}`, import.meta.url)))) return;
  const script = fileURLToPath(new URL('../scripts/ensure-built.mjs', import.meta.url));
  if (!existsSync(script)) return;
  // Build output goes to stderr: stdout belongs to the command's own output.
  execFileSync(process.execPath, [script], { stdio: ['ignore', 2, 2] });
}
