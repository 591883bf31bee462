// v3lock under contention: K clients, each with its own lease and connection,
// loop Lock(name, lease) → Unlock(key) on one name for a bounded time.
import { performance } from 'node:perf_hooks';
import { GrpcClient } from '../src/grpc/client.js';
import { codec } from '../src/pb/codec.js';
import { summarize, type LatencySummary } from './stats.js';

interface LeaseGrantRequest { TTL: number; ID: bigint }
interface LeaseGrantResponse { ID: bigint; TTL: number; error: string }
interface LockRequest { name: Uint8Array; lease: bigint }
interface LockResponse { key: Uint8Array }
interface UnlockRequest { key: Uint8Array }

const grantReq = codec<LeaseGrantRequest>('etcdserverpb.LeaseGrantRequest');
const grantRes = codec<LeaseGrantResponse>('etcdserverpb.LeaseGrantResponse');
const lockReq = codec<LockRequest>('v3lockpb.LockRequest');
const lockRes = codec<LockResponse>('v3lockpb.LockResponse');
const unlockReq = codec<UnlockRequest>('v3lockpb.UnlockRequest');

const CALL_TIMEOUT_MS = 30_000;
/** Long enough to outlive the measurement without keep-alives. */
const LEASE_TTL_S = 120;

export interface LockResult extends LatencySummary {
  clients: number;
  acquisitions: number;
  acquisitionsPerSec: number;
  errors: number;
  firstError?: string;
}

export async function measureLock(endpoint: string, clients: number, durationMs: number): Promise<LockResult> {
  const conns = Array.from({ length: clients }, () => new GrpcClient(endpoint));
  const name = new TextEncoder().encode(`bench-lock-${process.pid}-${Date.now()}`);
  // Every acquisition of the run fits: no client acquires faster than one per 10 µs.
  const latencies = new Float64Array(Math.max(1024, Math.ceil(durationMs * 100)));
  let acquisitions = 0;
  let errors = 0;
  let firstError: string | undefined;
  try {
    const leases = await Promise.all(
      conns.map(async (c) => {
        const r = grantRes.decode(await c.unary('/etcdserverpb.Lease/LeaseGrant', grantReq.encode({ TTL: LEASE_TTL_S, ID: 0n }), undefined, CALL_TIMEOUT_MS));
        if (r.error || r.ID === 0n) throw new Error(`lease grant failed: ${r.error || 'no ID'}`);
        return r.ID;
      }),
    );
    const start = performance.now();
    const deadline = start + durationMs;
    let last = start;
    const loop = async (conn: GrpcClient, lease: bigint) => {
      while (performance.now() < deadline && errors < 100) {
        const t0 = performance.now();
        try {
          const held = lockRes.decode(await conn.unary('/v3lockpb.Lock/Lock', lockReq.encode({ name, lease }), undefined, CALL_TIMEOUT_MS));
          const t1 = performance.now();
          if (acquisitions < latencies.length) latencies[acquisitions] = t1 - t0;
          acquisitions++;
          await conn.unary('/v3lockpb.Lock/Unlock', unlockReq.encode({ key: held.key }), undefined, CALL_TIMEOUT_MS);
          last = performance.now();
        } catch (e) {
          errors++;
          firstError ??= (e as Error).message;
        }
      }
    };
    await Promise.all(conns.map((c, i) => loop(c, leases[i]!)));
    return {
      clients,
      acquisitions,
      acquisitionsPerSec: (acquisitions * 1000) / (last - start),
      errors,
      firstError,
      ...summarize(latencies, Math.min(acquisitions, latencies.length)),
    };
  } finally {
    for (const c of conns) c.close();
  }
}
