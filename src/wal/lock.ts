// Keeps two members from sharing a WAL directory. Node has no flock(), so the
// lock is a file holding the owner's pid, put in place with link(2): the link
// fails if the lock exists and never exposes a lock file without its pid. A lock whose pid
// is no longer running was left by a crashed member (kill -9, power loss) and is
// taken over; a live pid, including this process's own, refuses the directory.
// Known limit: a recycled pid of an unrelated live process keeps the lock held
// until the file is removed by hand.

import { linkSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { WalLockedError } from './errors.js';

export const LOCK_FILE = 'wal.lock';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class DirLock {
  private released = false;
  private constructor(private readonly path: string) {}

  static acquire(dir: string): DirLock {
    const path = join(dir, LOCK_FILE);
    const mine = `${path}.${process.pid}`;
    writeFileSync(mine, String(process.pid), { mode: 0o600 });
    try {
      return DirLock.take(dir, path, mine);
    } finally {
      unlinkSync(mine);
    }
  }

  private static take(dir: string, path: string, mine: string): DirLock {
    // Two attempts: the second follows removal of a stale lock. If another
    // process takes the lock in between, link() makes us lose cleanly.
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        linkSync(mine, path);
        return new DirLock(path);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      let owner = Number.NaN;
      try {
        owner = Number.parseInt(readFileSync(path, 'utf8'), 10);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw err;
      }
      if (Number.isInteger(owner) && owner > 0 && alive(owner)) throw new WalLockedError(dir, owner);
      try {
        unlinkSync(path);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    }
    throw new WalLockedError(dir, -1);
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    try {
      unlinkSync(this.path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
}
