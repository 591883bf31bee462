// Runs etcdutl-ts and etcdctl-ts as processes, and makes snapshots with real etcd and
// etcdctl, for the offline-tool tests.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { etcdctl, freePort, startMember, type Member } from '../helpers/index.js';
import { ClusterMember } from '../helpers/cluster.js';

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

/**
 * Restores one snapshot into three fresh data dirs under root (m1 and m3 by etcdutl-ts,
 * m2 by etcdctl-ts: they share the restore) and starts them as a new three-member cluster.
 */
export async function restoreThreeMembers(snapPath: string, root: string, token: string): Promise<ClusterMember[]> {
  const ports: Array<[number, number]> = [];
  for (let i = 0; i < 3; i++) ports.push([await freePort(), await freePort()]);
  const initialCluster = ports.map(([, p], i) => `m${i + 1}=http://127.0.0.1:${p}`).join(',');
  const members = ports.map(([c, p], i) => new ClusterMember(`m${i + 1}`, c, p, root, { name: `m${i + 1}`, initialCluster, state: 'new', extraArgs: ['--initial-cluster-token', token] }));
  for (const m of members) {
    const tool = m.name === 'm2' ? etcdctlTs : etcdutlTs;
    await ok(tool(['snapshot', 'restore', snapPath, '--data-dir', m.dataDir, '--name', m.name, '--initial-cluster', initialCluster, '--initial-cluster-token', token, '--initial-advertise-peer-urls', m.peerUrl]));
  }
  try {
    for (const m of members) m.spawn();
    await Promise.all(members.map((m) => m.ready()));
  } catch (err) {
    await Promise.all(members.map((m) => m.stop()));
    throw err;
  }
  return members;
}

/** Waits (bounded) until every member serves `key` at mod revision `rev` from its own state. */
export async function expectReplicated(members: ClusterMember[], key: string, rev: number): Promise<void> {
  for (const m of members) {
    let seen: JsonRange | undefined;
    for (let i = 0; i < 50; i++) {
      seen = JSON.parse((await ok(etcdctl(m.endpoint, ['get', key, '--consistency=s', '-w', 'json']))).stdout) as JsonRange;
      if (seen.kvs?.length) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    if (seen?.kvs?.[0]?.mod_revision !== rev) throw new Error(`member ${m.name} serves ${key} at ${JSON.stringify(seen?.kvs)}, want mod revision ${rev}`);
  }
}
