// Lease keep-alive throughput: real etcd 3.4 and etcd-ts, each started with the
// same flags, renewed over pipelined LeaseKeepAlive streams for a fixed time.
//   BENCH_LEASE_MS=3000  measuring time per case     BENCH_ONLY=etcd|etcd-ts
import { startMember, type MemberKind } from '../test/helpers/member.js';
import { LeaseClient } from '../test/lease/grpc-client.js';

export interface LeaseCase {
  streams: number;
  /** Keep-alives each stream keeps outstanding. */
  window: number;
}

export interface LeaseBenchResult {
  kind: MemberKind;
  streams: number;
  window: number;
  keepAlivesPerSec: number;
  /** Mean time from request to answer, ms. */
  meanLatencyMs: number;
}

export const LEASE_CASES: LeaseCase[] = [
  { streams: 1, window: 1 },
  { streams: 16, window: 32 },
];

async function runCase(endpoint: string, leases: bigint[], c: LeaseCase, ms: number): Promise<{ perSec: number; latencyMs: number }> {
  const client = new LeaseClient(endpoint, Math.min(4, c.streams));
  let answered = 0;
  let latencySum = 0;
  const deadline = performance.now() + ms;
  const started = performance.now();
  try {
    await Promise.all(
      Array.from({ length: c.streams }, (_, s) =>
        new Promise<void>((resolve, reject) => {
          const sentAt: number[] = [];
          let i = 0;
          const id = () => leases[(s + i++) % leases.length]!;
          const ka = client.keepAlive(
            (r) => {
              if (r.TTL <= 0) return reject(new Error(`lease ${r.ID.toString(16)} not kept alive`));
              answered++;
              latencySum += performance.now() - sentAt.shift()!;
              if (performance.now() < deadline) {
                sentAt.push(performance.now());
                ka.send(id());
              } else if (sentAt.length === 0) {
                ka.end();
                resolve();
              }
            },
            reject,
          );
          for (let w = 0; w < c.window; w++) {
            sentAt.push(performance.now());
            ka.send(id());
          }
        }),
      ),
    );
  } finally {
    client.close();
  }
  const elapsed = performance.now() - started;
  return { perSec: Math.round((answered * 1000) / elapsed), latencyMs: latencySum / Math.max(1, answered) };
}

/** Runs every case against each server kind in turn; returns one result per kind and case. */
export async function benchLease(opts: { kinds?: MemberKind[]; ms?: number; cases?: LeaseCase[] } = {}): Promise<LeaseBenchResult[]> {
  const only = process.env.BENCH_ONLY as MemberKind | undefined;
  const kinds = opts.kinds ?? (only ? [only] : ['etcd-ts', 'etcd']);
  const ms = opts.ms ?? Number(process.env.BENCH_LEASE_MS ?? '3000');
  const out: LeaseBenchResult[] = [];
  for (const kind of kinds) {
    const m = await startMember(kind, { readyTimeoutMs: 60_000 });
    try {
      const admin = new LeaseClient(m.endpoint);
      const leases: bigint[] = [];
      for (let i = 0; i < 64; i++) leases.push((await admin.grant(600)).ID);
      admin.close();
      // A short warm-up, not counted.
      await runCase(m.endpoint, leases, { streams: 4, window: 8 }, Math.min(500, ms));
      for (const c of opts.cases ?? LEASE_CASES) {
        const r = await runCase(m.endpoint, leases, c, ms);
        out.push({ kind, streams: c.streams, window: c.window, keepAlivesPerSec: r.perSec, meanLatencyMs: Math.round(r.latencyMs * 1000) / 1000 });
      }
    } finally {
      await m.close();
    }
  }
  return out;
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/.*\/dist\//, '/dist/'))) {
  const results = await benchLease();
  for (const r of results) {
    console.log(`${r.kind.padEnd(8)} streams=${String(r.streams).padEnd(3)} window=${String(r.window).padEnd(3)} ${String(r.keepAlivesPerSec).padStart(7)} keep-alives/s  mean ${r.meanLatencyMs} ms`);
  }
}
