// Compares etcdctl lease commands between real etcd and etcd-ts. Lease IDs are
// random on both sides, so each side's IDs are named in order of first appearance
// (<lease-1>, <lease-2>…) and commands refer to leases by those names.
import assert from 'node:assert/strict';
import { etcdctl, type EtcdctlResult } from '../helpers/etcdctl.js';
import type { Member } from '../helpers/member.js';
import { comparable, formatOf, type Pair } from '../compat/pair.js';

/** One side's lease names: hex ID ↔ <lease-N>. */
class LeaseNames {
  private readonly byId = new Map<string, string>();
  private readonly byName = new Map<string, string>();

  /** Names every hex lease ID etcdctl printed ("lease <16 hex>" or a json "ID":<decimal>). */
  learn(stdout: string): void {
    for (const m of stdout.matchAll(/\blease ([0-9a-f]{16})\b/g)) this.name(m[1]!);
    for (const m of stdout.matchAll(/"ID":(\d+)/g)) this.name(BigInt(m[1]!).toString(16).padStart(16, '0'));
    // lease list prints bare IDs without padding
    if (/^found \d+ leases\n/.test(stdout)) for (const line of stdout.split('\n').slice(1)) if (/^[0-9a-f]+$/.test(line)) this.name(line.padStart(16, '0'));
  }

  private name(hex16: string): void {
    if (this.byId.has(hex16)) return;
    const name = `<lease-${this.byId.size + 1}>`;
    this.byId.set(hex16, name);
    this.byName.set(name, hex16);
  }

  /** The hex ID for a name, as etcdctl takes it. */
  id(name: string): string {
    const hex = this.byName.get(name);
    assert.ok(hex, `no lease called ${name} yet`);
    return hex;
  }

  mask(text: string): string {
    let out = text;
    for (const [hex, name] of this.byId) {
      out = out.replaceAll(hex, name).replaceAll(hex.replace(/^0+/, ''), name);
      out = out.replaceAll(`"ID":${BigInt('0x' + hex)}`, `"ID":"${name}"`).replaceAll(`"lease":${BigInt('0x' + hex)}`, `"lease":"${name}"`);
    }
    return out;
  }
}

export interface LeasePair extends Pair {
  names: Map<Member, LeaseNames>;
}

export function leasePair(pair: Pair): LeasePair {
  return { ...pair, names: new Map([[pair.etcd, new LeaseNames()], [pair.ts, new LeaseNames()]]) };
}

export interface LeaseRun {
  /** etcd's raw result. */
  raw: EtcdctlResult;
  /** etcd's stdout with lease IDs named. */
  stdout: string;
  stderr: string;
  code: number;
}

/**
 * Runs etcdctl on both sides with `<lease-N>` in args replaced by each side's ID,
 * and asserts the outputs are equal once IDs are named and `volatile` (applied to
 * both sides' stdout) masked what legitimately differs, such as remaining seconds.
 */
export async function sameLease(p: LeasePair, args: string[], volatile: (stdout: string) => string = (x) => x): Promise<LeaseRun> {
  const format = formatOf(args);
  const run = async (m: Member) => {
    const names = p.names.get(m)!;
    const r = await etcdctl(m, args.map((a) => a.replace(/<lease-\d+>/g, (n) => names.id(n))));
    names.learn(r.stdout);
    const c = comparable(r, m, format);
    return { raw: r, stdout: volatile(names.mask(c.stdout)), stderr: names.mask(c.stderr), code: c.code };
  };
  const want = await run(p.etcd);
  const got = await run(p.ts);
  const view = (x: LeaseRun) => ({ stdout: x.stdout, stderr: x.stderr, code: x.code });
  assert.deepEqual(view(got), view(want), `etcdctl ${args.join(' ')} differs from real etcd`);
  return want;
}

/** Masks "remaining(Ns)" after checking N is within [lo, hi] seconds. */
export function remainingWithin(lo: number, hi: number): (stdout: string) => string {
  return (stdout) =>
    stdout.replace(/remaining\((-?\d+)s\)/g, (_, n: string) => {
      assert.ok(Number(n) >= lo && Number(n) <= hi, `remaining ${n}s not within [${lo}, ${hi}]`);
      return 'remaining(<n>s)';
    });
}

/** Sorts "attached keys([…])" (Go map order on etcd's side), then applies `then`. */
export function sortedKeys(then: (stdout: string) => string = (x) => x): (stdout: string) => string {
  return (stdout) => then(stdout.replace(/attached keys\(\[([^\]]*)\]\)/g, (_, ks: string) => `attached keys([${ks.split(' ').sort().join(' ')}])`));
}

/** Sorts the lines after "found N leases" (Go map order on etcd's side). */
export function sortedList(stdout: string): string {
  const [head, ...rest] = stdout.trimEnd().split('\n');
  return [head, ...rest.sort()].join('\n') + '\n';
}
