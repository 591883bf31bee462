// Starts a single-member cluster of either real etcd or etcd-ts with the same
// etcd command-line flags, so that tests can drive both side by side.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './ports.js';
import { tmpDir, type TmpDir } from './tmp.js';

export type MemberKind = 'etcd' | 'etcd-ts';

export interface MemberOptions {
  name?: string;
  /** Reused as is and never removed; by default a fresh temp dir owned by the member. */
  dataDir?: string;
  extraArgs?: string[];
  env?: Record<string, string>;
  /** 'https' serves clients over TLS (extraArgs then carry the TLS flags); readiness is read from the log. */
  clientScheme?: 'http' | 'https';
  /** Bound on waiting for readiness; 15 s by default. */
  readyTimeoutMs?: number;
  /**
   * etcd-ts only: the etcd release it behaves as (--emulated-etcd-version); 'default' runs it
   * without the flag. Unset: the default, except beside a real etcd in startMembers.
   */
  release?: '3.4.23' | '3.6.14' | 'default';
}

/** The release etcd-ts emulates when it runs side by side with the real etcd, which is 3.4.23. */
export const REAL_ETCD_RELEASE = '3.4.23';

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface Member {
  readonly kind: MemberKind;
  readonly name: string;
  readonly endpoint: string;
  readonly clientPort: number;
  readonly peerPort: number;
  readonly dataDir: string;
  /** Pid of the current process; changes on restart. */
  readonly pid: number;
  /** Everything the member wrote to stdout and stderr, across restarts. */
  logs(): string;
  /** Sends `signal` (SIGTERM), then SIGKILL if the process is still alive after `timeoutMs` (5 s). */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<ExitInfo>;
  kill9(): Promise<ExitInfo>;
  /** Stops if running, then starts again on the same ports and data dir. */
  restart(): Promise<void>;
  /** Stops and removes the data dir when the member created it. */
  close(): Promise<void>;
}

export const READY_MILESTONE = 'ready to serve client requests';
const SECURE_MILESTONE = 'serving client traffic securely';
const DEFAULT_READY_TIMEOUT_MS = 15_000;
const LOG_LIMIT = 4 * 1024 * 1024;
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
export const ETCD_TS_ENTRY = join(repoRoot, 'dist', 'src', 'cli', 'etcd.js');
export const ETCD_BIN = '/usr/bin/etcd';

/** With ETCD_TS_COMPAT_SELFCHECK=1, 'etcd-ts' members run real etcd: validates the harness itself. */
export function selfCheck(): boolean {
  return process.env.ETCD_TS_COMPAT_SELFCHECK === '1';
}

function command(kind: MemberKind): { file: string; args: string[] } {
  if (kind === 'etcd' || selfCheck()) return { file: ETCD_BIN, args: [] };
  if (!existsSync(ETCD_TS_ENTRY)) {
    throw new Error(`etcd-ts server is not built: ${ETCD_TS_ENTRY} does not exist`);
  }
  return { file: process.execPath, args: [ETCD_TS_ENTRY] };
}

export function memberFlags(name: string, dataDir: string, clientPort: number, peerPort: number, clientScheme: 'http' | 'https' = 'http'): string[] {
  const client = `${clientScheme}://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  return [
    '--name', name,
    '--data-dir', dataDir,
    '--listen-client-urls', client,
    '--advertise-client-urls', client,
    '--listen-peer-urls', peer,
    '--initial-advertise-peer-urls', peer,
    '--initial-cluster', `${name}=${peer}`,
    '--initial-cluster-state', 'new',
  ];
}

/** True when GET /health answers {"health": true|"true"}; https endpoints are checked against caFile. */
export function probeHealth(endpoint: string, timeoutMs = 1000, caFile?: string): Promise<boolean> {
  return new Promise((resolve) => {
    const https = endpoint.startsWith('https:');
    const request = https ? httpsRequest : httpRequest;
    const tls = https && caFile ? { ca: readFileSync(caFile) } : {};
    const req = request(`${endpoint}/health`, { method: 'GET', timeout: timeoutMs, ...tls }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { if (body.length < 4096) body += c; });
      res.on('end', () => {
        try {
          const h = (JSON.parse(body) as { health?: unknown }).health;
          resolve(res.statusCode === 200 && (h === true || h === 'true'));
        } catch {
          resolve(false);
        }
      });
      res.on('error', () => resolve(false));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;
function trackForExit(child: ChildProcess): void {
  live.add(child);
  child.once('exit', () => live.delete(child));
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // A crashed or interrupted test run must not leave servers behind.
  const killAll = () => {
    for (const c of live) c.kill('SIGKILL');
  };
  process.once('exit', killAll);
  for (const [signal, status] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    process.once(signal, () => {
      killAll();
      process.exit(status);
    });
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The suite's etcd-ts members serve clients on one edge thread whatever the machine:
 * the threaded edge (the default from 3 cores up) is then what every test drives, on
 * CI's 2 cores too, where the default is the core thread's own edge (exercised by the
 * members tests start themselves, and by ETCD_TS_TEST_EDGE_THREADS=0 for a whole run).
 * A test's own --edge-threads or ETCD_EDGE_THREADS wins.
 */
function suiteEdgeThreads(kind: MemberKind, args: readonly string[]): Record<string, string> {
  if (kind !== 'etcd-ts' || selfCheck() || args.some((a) => a.startsWith('--edge-threads'))) return {};
  return { ETCD_EDGE_THREADS: process.env.ETCD_TS_TEST_EDGE_THREADS ?? '1' };
}

export async function startMember(kind: MemberKind, opts: MemberOptions = {}): Promise<Member> {
  const name = opts.name ?? 'n1';
  const owned: TmpDir | undefined = opts.dataDir === undefined ? tmpDir(`compat-${kind}`) : undefined;
  const dataDir = opts.dataDir ?? join(owned!.path, `${name}.etcd`);
  const clientPort = await freePort();
  const peerPort = await freePort();
  const scheme = opts.clientScheme ?? 'http';
  const endpoint = `${scheme}://127.0.0.1:${clientPort}`;
  const { file, args: prefix } = command(kind);
  const release = kind === 'etcd-ts' && !selfCheck() && opts.release !== undefined && opts.release !== 'default' ? ['--emulated-etcd-version', opts.release] : [];
  const args = [...prefix, ...memberFlags(name, dataDir, clientPort, peerPort, scheme), ...release, ...(opts.extraArgs ?? [])];
  const readyTimeoutMs = opts.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
  let log = '';
  let child: ChildProcess | undefined;
  let exited: Promise<ExitInfo> = Promise.resolve({ code: null, signal: null });
  let running = false;

  const append = (chunk: Buffer) => {
    if (log.length < LOG_LIMIT) log += chunk.toString('utf8');
  };

  async function launch(): Promise<void> {
    const c = spawn(file, args, {
      env: { ...suiteEdgeThreads(kind, args), ...process.env, ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = c;
    running = true;
    trackForExit(c);
    c.stdout!.on('data', append);
    c.stderr!.on('data', append);
    exited = new Promise<ExitInfo>((resolve) => {
      c.once('exit', (code, signal) => {
        running = false;
        resolve({ code, signal });
      });
      c.once('error', (err) => {
        append(Buffer.from(`spawn error: ${err.message}\n`));
        running = false;
        resolve({ code: null, signal: null });
      });
    });
    const deadline = Date.now() + readyTimeoutMs;
    const logStart = log.length;
    while (Date.now() < deadline) {
      if (!running) {
        throw new Error(`${kind} member ${name} exited before becoming ready\n--- log ---\n${log}`);
      }
      // etcd logs the milestone once its client listener is open, so either signal means
      // connections will be served; the milestone is checked only in this run's output.
      // etcd 3.4 with --logger=zap never logs the milestone; over TLS its secure-serving line stands in.
      if (log.includes(READY_MILESTONE, logStart) || (scheme === 'https' && log.includes(SECURE_MILESTONE, logStart))) return;
      // Only the real etcd is taken as ready by its /health: etcd-ts always logs the
      // milestone, and a /health answer could come from another process on the port.
      if (kind === 'etcd' && scheme === 'http' && (await probeHealth(endpoint, 500))) return;
      await sleep(50);
    }
    await stopProcess('SIGKILL', 1000);
    throw new Error(`${kind} member ${name} not ready within ${readyTimeoutMs} ms\n--- log ---\n${log}`);
  }

  async function stopProcess(signal: NodeJS.Signals, timeoutMs: number): Promise<ExitInfo> {
    const c = child;
    if (c === undefined || !running) return exited;
    c.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    const escalated = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        c.kill('SIGKILL');
        resolve();
      }, timeoutMs);
    });
    await Promise.race([exited, escalated]);
    clearTimeout(timer);
    return exited;
  }

  try {
    await launch();
  } catch (err) {
    owned?.cleanup();
    throw err;
  }

  return {
    kind,
    name,
    endpoint,
    clientPort,
    peerPort,
    dataDir,
    get pid() {
      return child?.pid ?? -1;
    },
    logs: () => log,
    stop: (signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 5000) => stopProcess(signal, timeoutMs),
    kill9: () => stopProcess('SIGKILL', 1000),
    async restart() {
      await stopProcess('SIGTERM', 5000);
      await launch();
    },
    async close() {
      await stopProcess('SIGTERM', 5000);
      owned?.cleanup();
    },
  };
}

/**
 * Starts several members at once. If any fails to start, the others are closed before
 * the error is rethrown: a member left running would keep the test process alive.
 */
export async function startMembers(specs: Array<[MemberKind, MemberOptions?]>): Promise<Member[]> {
  // Compared with the real etcd, etcd-ts behaves as that release unless a spec says otherwise.
  const beside = specs.some(([kind]) => kind === 'etcd');
  const settled = await Promise.allSettled(
    specs.map(([kind, opts]) => startMember(kind, beside && kind === 'etcd-ts' && opts?.release === undefined ? { ...opts, release: REAL_ETCD_RELEASE } : opts)),
  );
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (!failed) return settled.map((s) => (s as PromiseFulfilledResult<Member>).value);
  await Promise.all(settled.map((s) => (s.status === 'fulfilled' ? s.value.close() : undefined)));
  throw failed.reason;
}
