// Runs the real etcdctl (v3 API) against a member or a list of endpoints.
import { spawn } from 'node:child_process';
import type { Member } from './member.js';

export const ETCDCTL_BIN = '/usr/bin/etcdctl';

export interface EtcdctlOptions {
  stdin?: string;
  env?: Record<string, string>;
  /** Whole-process bound; 15 s by default. */
  timeoutMs?: number;
}

export interface EtcdctlResult {
  stdout: string;
  /** stdout as bytes, for -w protobuf. */
  stdoutBytes: Buffer;
  stderr: string;
  code: number;
}

function endpointsOf(target: Member | string | string[]): string {
  if (typeof target === 'string') return target;
  if (Array.isArray(target)) return target.join(',');
  return target.endpoint;
}

/** The caller's ETCDCTL_* variables would silently change what is being compared. */
function cleanEnv(extra: Record<string, string> | undefined): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('ETCDCTL_')) env[k] = v;
  return { ...env, ETCDCTL_API: '3', ...extra };
}

export function etcdctl(target: Member | string | string[], args: string[], opts: EtcdctlOptions = {}): Promise<EtcdctlResult> {
  const timeoutMs = opts.timeoutMs ?? 15_000;
  return new Promise((resolve, reject) => {
    const child = spawn(ETCDCTL_BIN, [`--endpoints=${endpointsOf(target)}`, ...args], {
      env: cleanEnv(opts.env),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    const text = (b: Buffer[]) => Buffer.concat(b).toString('utf8');
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`etcdctl ${args.join(' ')} timed out after ${timeoutMs} ms\nstdout: ${text(out)}\nstderr: ${text(err)}`));
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const stdoutBytes = Buffer.concat(out);
      resolve({ stdout: stdoutBytes.toString('utf8'), stdoutBytes, stderr: text(err), code: code ?? (signal ? 128 : -1) });
    });
    child.stdin.on('error', () => {}); // etcdctl may exit before reading all of stdin
    child.stdin.end(opts.stdin ?? '');
  });
}
