// Builds and mounts lossyfs (lossyfs.c beside the compiled tests' sources): a data
// dir whose unsynced writes live only in the lossyfs process, so that killing it
// loses them as a power cut would. dropUnsynced() does that and mounts a fresh one
// over the same backing directory.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const source = fileURLToPath(new URL('../../../../test/robustness/lossyfs/lossyfs.c', import.meta.url));

let built: string | undefined;

/** Compiles lossyfs once per source version; throws with the compiler's words when it cannot. */
export function buildLossyfs(): string {
  if (built !== undefined) return built;
  if (!existsSync('/dev/fuse')) throw new Error('lossyfs needs /dev/fuse');
  const src = readFileSync(source);
  const out = join(tmpdir(), `etcd-ts-lossyfs-${statSync(source).mtimeMs.toFixed(0)}-${src.length}`);
  if (!existsSync(out)) {
    const flags = spawnSync('pkg-config', ['--cflags', '--libs', 'fuse3'], { encoding: 'utf8' });
    if (flags.status !== 0) throw new Error(`lossyfs needs libfuse3-dev (pkg-config fuse3): ${flags.stderr}`);
    const cc = spawnSync('cc', ['-O2', '-Wall', '-o', out, source, ...flags.stdout.trim().split(/\s+/)], { encoding: 'utf8' });
    if (cc.status !== 0) throw new Error(`lossyfs did not compile:\n${cc.stderr}`);
  }
  built = out;
  return out;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function isMounted(path: string): boolean {
  try {
    return readFileSync('/proc/self/mounts', 'utf8').split('\n').some((l) => l.split(' ')[1] === path);
  } catch {
    return false;
  }
}

/** One lossyfs mount: `mountpoint` shows `backing`, with unsynced writes held in the daemon. */
export class LossyMount {
  private daemon?: ChildProcess;
  /** Times unsynced data was dropped. */
  drops = 0;

  constructor(
    readonly backing: string,
    readonly mountpoint: string,
  ) {}

  async mount(): Promise<void> {
    if (this.daemon) throw new Error(`${this.mountpoint} is already mounted`);
    const bin = buildLossyfs();
    mkdirSync(this.backing, { recursive: true });
    mkdirSync(this.mountpoint, { recursive: true });
    // Single-threaded, in the foreground (its death is the drop).
    const d = spawn(bin, [this.backing, this.mountpoint, '-f', '-s'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    d.stderr!.on('data', (b: Buffer) => {
      if (err.length < 4096) err += b.toString();
    });
    this.daemon = d;
    for (let i = 0; i < 100; i++) {
      if (isMounted(this.mountpoint)) return;
      if (d.exitCode !== null) break;
      await sleep(20);
    }
    this.daemon = undefined;
    d.kill('SIGKILL');
    throw new Error(`lossyfs did not mount ${this.mountpoint}: ${err}`);
  }

  /**
   * Loses every write not yet synced: the daemon holding them is killed, the dead
   * mount detached, and a fresh daemon mounted over the backing directory. The
   * member using it must be dead already.
   */
  async dropUnsynced(): Promise<void> {
    await this.kill();
    this.drops++;
    await this.mount();
  }

  async unmount(): Promise<void> {
    await this.kill();
  }

  private async kill(): Promise<void> {
    const d = this.daemon;
    this.daemon = undefined;
    if (d && d.exitCode === null && d.signalCode === null) {
      const gone = new Promise((r) => d.once('exit', r));
      d.kill('SIGKILL');
      await gone;
    }
    // A killed FUSE daemon leaves its mount behind ("transport endpoint is not connected").
    for (let i = 0; i < 50 && isMounted(this.mountpoint); i++) {
      spawnSync('umount', ['-l', this.mountpoint]);
      if (isMounted(this.mountpoint)) await sleep(20);
    }
  }
}
