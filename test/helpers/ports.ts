// Free TCP ports on 127.0.0.1 for test members. The kernel picks an unused
// ephemeral port; a process-wide set keeps two callers from being handed the
// same port between "closed the probe socket" and "the member bound it", and a
// reservation file does the same across the test files that run at once (the
// kernel hands a port just closed by one process's probe to the next probe).
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const handedOut = new Set<number>();

function probe(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => {
        if (addr === null || typeof addr === 'string') reject(new Error('no TCP address from probe socket'));
        else resolve(addr.port);
      });
    });
  });
}

export const RESERVATIONS = join(tmpdir(), 'etcd-ts-test-ports');
/**
 * A reservation only has to cover the moments until its member binds the port (from
 * then on the kernel's probes skip it), so an older one is taken over: files left by
 * earlier runs never use the range up.
 */
const RESERVATION_STALE_MS = 5 * 60_000;

/** True if this process may hand out `port`: no other test process reserved it lately. */
export function reserve(port: number): boolean {
  mkdirSync(RESERVATIONS, { recursive: true });
  const file = join(RESERVATIONS, String(port));
  try {
    writeFileSync(file, String(process.pid), { flag: 'wx' });
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  try {
    if (Date.now() - statSync(file).mtimeMs < RESERVATION_STALE_MS) return false;
    writeFileSync(file, String(process.pid));
    return true;
  } catch {
    return false;
  }
}

export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await probe();
    if (!handedOut.has(port) && reserve(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error('freePort: no unused port after 50 attempts');
}
