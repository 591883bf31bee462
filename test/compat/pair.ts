// One real etcd and one etcd-ts, fed the same commands in the same order, so
// that revisions and outputs must come out identical after normalization. The
// real etcd is 3.4.23, so etcd-ts behaves as that release (startMembers' rule).
import assert from 'node:assert/strict';
import { etcdctl, type EtcdctlOptions, type EtcdctlResult } from '../helpers/etcdctl.js';
import { startMembers, type Member } from '../helpers/member.js';
import { normalize, normalizeStderr, type OutputFormat } from '../helpers/normalize.js';
import { normalizeProtobuf } from '../helpers/normalize-protobuf.js';

export interface Pair {
  etcd: Member;
  ts: Member;
  close(): Promise<void>;
}

export async function startPair(): Promise<Pair> {
  const [etcd, ts] = await startMembers([['etcd'], ['etcd-ts']]);
  return {
    etcd: etcd!,
    ts: ts!,
    close: async () => {
      await Promise.all([etcd!.close(), ts!.close()]);
    },
  };
}

/** The -w/--write-out format named in etcdctl args; etcdctl's default is simple. */
export function formatOf(args: string[]): OutputFormat {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const v = a === '-w' || a === '--write-out' ? args[i + 1] : a.startsWith('--write-out=') ? a.slice(12) : a.startsWith('-w=') ? a.slice(3) : undefined;
    if (v === 'json' || v === 'fields' || v === 'table' || v === 'simple') return v;
  }
  return 'simple';
}

export interface Compared {
  stdout: string;
  stderr: string;
  code: number;
}

export function comparable(r: EtcdctlResult, m: Member, format: OutputFormat): Compared {
  return { stdout: normalize(r.stdout, format, m), stderr: normalizeStderr(r.stderr, m), code: r.code };
}

/**
 * Runs etcdctl with `args` against real etcd, then against etcd-ts, asserts that
 * normalized stdout, stderr and exit code are equal, and returns etcd's raw result
 * so the caller can also check it is the expected answer (two identical wrong
 * answers must not pass).
 */
export async function same(pair: Pair, args: string[], opts: EtcdctlOptions = {}): Promise<EtcdctlResult> {
  const format = formatOf(args);
  const want = await etcdctl(pair.etcd, args, opts);
  const got = await etcdctl(pair.ts, args, opts);
  assert.deepEqual(comparable(got, pair.ts, format), comparable(want, pair.etcd, format), `etcdctl ${args.join(' ')} differs from real etcd`);
  return want;
}

/**
 * Like `same` for `-w protobuf` output, which is a marshaled `etcdserverpb.<messageType>`:
 * both answers are decoded and compared with header identities masked; returns etcd's decoded answer.
 */
export async function sameProtobuf(pair: Pair, args: string[], messageType: string, opts: EtcdctlOptions = {}): Promise<any> {
  const full = [...args, '-w', 'protobuf'];
  const want = await etcdctl(pair.etcd, full, opts);
  const got = await etcdctl(pair.ts, full, opts);
  const view = (r: EtcdctlResult, m: Member) => ({
    code: r.code,
    stderr: normalizeStderr(r.stderr, m),
    message: r.code === 0 ? normalizeProtobuf(r.stdoutBytes, messageType) : r.stdout,
  });
  const expected = view(want, pair.etcd);
  assert.deepEqual(view(got, pair.ts), expected, `etcdctl ${full.join(' ')} differs from real etcd`);
  return expected.message;
}

/** The header revision in etcdctl -w json output (revision fits in a double). */
export function jsonRevision(stdout: string): number {
  const m = /"revision":(\d+)/.exec(stdout);
  assert.ok(m, `no revision in ${stdout}`);
  return Number(m[1]);
}
