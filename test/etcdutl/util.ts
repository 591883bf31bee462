// Runs etcdutl-ts and etcdctl-ts as processes, and makes snapshots with real etcd and
// etcdctl, for the offline-tool tests.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { etcdctl, startMember, type Member } from '../helpers/index.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
export const ETCDUTL_TS = join(repoRoot, 'bin', 'etcdutl-ts.js');
export const ETCDCTL_TS = join(repoRoot, 'bin', 'etcdctl-ts.js');

export interface RunResult {
  stdout: string;
  stderr: string;
  code: number;
}

/** Runs `node <bin> args` in cwd, bounded by timeoutMs. */
export function runNode(bin: string, args: string[], opts: { cwd?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${bin} ${args.join(' ')} timed out\n${Buffer.concat(err).toString()}`));
    }, opts.timeoutMs ?? 60_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString(), code: code ?? (signal ? 128 : -1) });
    });
  });
}

export const etcdutlTs = (args: string[], opts?: { cwd?: string; timeoutMs?: number }) => runNode(ETCDUTL_TS, args, opts);
export const etcdctlTs = (args: string[], opts?: { cwd?: string; timeoutMs?: number }) => runNode(ETCDCTL_TS, args, opts);

/** Real etcdctl, offline commands (no member is dialled by snapshot status/restore). */
export const etcdctlOffline = (args: string[]) => etcdctl('127.0.0.1:1', args);

/** Fails the test with etcdctl's output when a command did not succeed. */
export async function ok(p: Promise<RunResult>): Promise<RunResult> {
  const r = await p;
  if (r.code !== 0) throw new Error(`exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r;
}

/**
 * Starts real etcd, lets `fill` write to it, saves a snapshot with real etcdctl into
 * `path` and stops etcd. Resolves with what `fill` returned.
 */
export async function realEtcdSnapshot<T>(path: string, fill: (m: Member) => Promise<T>): Promise<T> {
  const m = await startMember('etcd');
  try {
    const out = await fill(m);
    await ok(etcdctl(m, ['snapshot', 'save', path]));
    return out;
  } finally {
    await m.close();
  }
}

export interface JsonKv {
  key: string;
  value?: string;
  create_revision: number;
  mod_revision: number;
  version: number;
  lease?: number;
}

export interface JsonRange {
  header: { revision: number; cluster_id: number | string; member_id: number | string };
  kvs?: JsonKv[];
  count?: number;
}

/** `get "" --prefix -w json` through real etcdctl. Big IDs lose precision in JSON.parse: only revisions and keys are compared. */
export async function getAll(target: Member | string): Promise<JsonRange> {
  const r = await ok(etcdctl(target, ['get', '', '--prefix', '-w', 'json']));
  return JSON.parse(r.stdout) as JsonRange;
}

/** The fields a restore must keep, lease IDs as JSON.parse reads them (both sides round alike). */
export function kvFacts(r: JsonRange): string[] {
  return (r.kvs ?? []).map((kv) => `${kv.key}=${kv.value ?? ''} c${kv.create_revision} m${kv.mod_revision} v${kv.version} l${kv.lease ?? 0}`);
}
