// Leader failover: SIGKILL the leader, then time until a put through a
// surviving member succeeds. Between trials the killed member is restarted on
// its data dir and the cluster is given a settled leader again.
import { performance } from 'node:perf_hooks';
import { GrpcClient } from '../src/grpc/client.js';
import { codec } from '../src/pb/codec.js';
import type { BenchCluster } from './cluster-procs.js';

const putReq = codec<{ key: Uint8Array; value: Uint8Array }>('etcdserverpb.PutRequest');
/** Short per-attempt deadline: a put stuck behind the dead leader must not hide the new one. */
const ATTEMPT_TIMEOUT_MS = 250;
/** A failover slower than this is reported as a failure rather than waited for. */
const FAILOVER_CAP_MS = 20_000;
const READY_TIMEOUT_MS = 30_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Milliseconds from the SIGKILL of the leader to the first successful put; NaN if none within the cap. */
async function oneTrial(cluster: BenchCluster, trial: number): Promise<number> {
  const leader = await cluster.leader(READY_TIMEOUT_MS);
  const survivor = cluster.members.find((m) => m !== leader && m.running);
  if (!survivor) throw new Error('no surviving member to put through');
  const client = new GrpcClient(survivor.endpoint);
  const key = new TextEncoder().encode(`bench-failover-${trial}`);
  const value = new TextEncoder().encode('x');
  try {
    // The connection is open before the kill, so the timing does not include a TCP/HTTP2 handshake.
    await client.unary('/etcdserverpb.KV/Put', putReq.encode({ key, value }), undefined, 5_000);
    const t0 = performance.now();
    await leader.kill9();
    while (performance.now() - t0 < FAILOVER_CAP_MS) {
      try {
        await client.unary('/etcdserverpb.KV/Put', putReq.encode({ key, value }), undefined, ATTEMPT_TIMEOUT_MS);
        return performance.now() - t0;
      } catch {
        await sleep(10);
      }
    }
    return NaN;
  } finally {
    client.close();
    // Back to three members for the next trial (or for a clean stop).
    leader.spawn('existing');
    await leader.ready(READY_TIMEOUT_MS);
  }
}

export async function measureFailover(cluster: BenchCluster, trials: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < trials; i++) out.push(await oneTrial(cluster, i));
  return out;
}
