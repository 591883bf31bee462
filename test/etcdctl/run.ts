// Runs etcdctl-ts the way test/helpers' etcdctl runs the real one, so both can be compared.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { etcdctl, normalize, normalizeStderr, type EtcdctlOptions, type EtcdctlResult, type Member, type OutputFormat } from '../helpers/index.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
export const ETCDCTL_TS = join(repoRoot, 'bin', 'etcdctl-ts.js');

function cleanEnv(extra: Record<string, string> | undefined): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('ETCDCTL_')) env[k] = v;
  return { ...env, ETCDCTL_API: '3', ...extra };
}

export function etcdctlTs(member: Member | string, args: string[], opts: EtcdctlOptions & { stdinBytes?: Uint8Array } = {}): Promise<EtcdctlResult> {
  const endpoint = typeof member === 'string' ? member : member.endpoint;
  const timeoutMs = opts.timeoutMs ?? 15_000;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [ETCDCTL_TS, `--endpoints=${endpoint}`, ...args], { env: cleanEnv(opts.env), stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`etcdctl-ts ${args.join(' ')} timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const stdoutBytes = Buffer.concat(out);
      resolve({ stdout: stdoutBytes.toString('utf8'), stdoutBytes, stderr: Buffer.concat(err).toString('utf8'), code: code ?? (signal ? 128 : -1) });
    });
    child.stdin.on('error', () => {});
    child.stdin.end(opts.stdinBytes ?? opts.stdin ?? '');
  });
}

/** Output format a command line asks for. */
export function formatOf(args: string[]): OutputFormat {
  const known = (f: string | undefined): OutputFormat => (f === 'json' || f === 'fields' || f === 'table' ? f : 'simple');
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '-w' || a === '--write-out') return known(args[i + 1]);
    const m = /^(?:-w|--write-out=)(\w+)$/.exec(a);
    if (m) return known(m[1]);
  }
  return 'simple';
}

/**
 * Lease IDs are random per server: masked wherever they are printed, in JSON as decimals
 * (first: a decimal of 16 digits also reads as a hex ID) and elsewhere in hex.
 */
const maskLeases = (t: string) => t.replace(/"(ID|id)":\d+/g, '"$1":<id>').replace(/"ID" : \d+/g, '"ID" : <id>').replace(/\b[0-9a-f]{16}\b/g, '<lease>');

export interface Compared {
  real: { stdout: string; stderr: string; code: number };
  ts: { stdout: string; stderr: string; code: number };
}

/** One command through both etcdctls, each against its member, normalized for comparison. */
export async function both(real: Member, ts: Member, args: string[], opts: EtcdctlOptions = {}): Promise<Compared> {
  const [a, b] = [await etcdctl(real, args, opts), await etcdctlTs(ts, args, opts)];
  const fmt = formatOf(args);
  const norm = (r: EtcdctlResult, m: Member) => ({
    stdout: maskLeases(normalize(r.stdout, fmt, m)),
    stderr: maskLeases(normalizeStderr(r.stderr, m)),
    code: r.code,
  });
  return { real: norm(a, real), ts: norm(b, ts) };
}

export interface LongRunning {
  output(): string;
  /** Writes to the command's stdin. */
  write(text: string): void;
  /** Waits until stdout satisfies `done`, bounded by `timeoutMs`. */
  waitFor(done: (stdout: string) => boolean, timeoutMs?: number): Promise<void>;
  /** Sends SIGINT (then SIGKILL after 3 s) and resolves with everything the command printed. */
  stop(): Promise<{ stdout: string; stderr: string; code: number | null }>;
  /** Resolves when the command exits on its own. */
  exited: Promise<{ stdout: string; stderr: string; code: number | null }>;
}

/** The long-running commands not yet exited: a failed test leaves its own behind. */
const running = new Set<ChildProcess>();

/** Kills what a test left running, which would otherwise keep the test file's process alive. */
export async function killLeftRunning(): Promise<void> {
  const left = [...running];
  await Promise.all(left.map((c) => new Promise<void>((resolve) => {
    c.once('close', () => resolve());
    c.kill('SIGKILL');
  })));
}

/** Starts a command that keeps running (watch, lock, elect) with either etcdctl. */
export function startLong(which: 'etcdctl' | 'etcdctl-ts', endpoint: string, args: string[], opts: { stdin?: string; env?: Record<string, string> } = {}): LongRunning {
  const [file, prefix] = which === 'etcdctl' ? ['/usr/bin/etcdctl', []] : [process.execPath, [ETCDCTL_TS]];
  const child = spawn(file, [...prefix, `--endpoints=${endpoint}`, ...args], { env: cleanEnv(opts.env), stdio: ['pipe', 'pipe', 'pipe'] });
  running.add(child);
  child.once('close', () => running.delete(child));
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  child.stdin.on('error', () => {});
  if (opts.stdin !== undefined) child.stdin.write(opts.stdin);
  const exited = new Promise<{ stdout: string; stderr: string; code: number | null }>((resolve) => child.on('close', (code) => resolve({ stdout, stderr, code })));
  return {
    output: () => stdout,
    write: (text) => void child.stdin.write(text),
    exited,
    async waitFor(done, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (!done(stdout)) {
        if (Date.now() > deadline) throw new Error(`${which} ${args.join(' ')}: timed out waiting; stdout so far: ${JSON.stringify(stdout)} stderr: ${JSON.stringify(stderr)}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async stop() {
      child.kill('SIGINT');
      const t = setTimeout(() => child.kill('SIGKILL'), 3000);
      const r = await exited;
      clearTimeout(t);
      return r;
    },
  };
}
