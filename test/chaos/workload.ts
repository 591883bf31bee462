// Clients that keep putting, reading and compare-and-swapping a few keys through
// recordedKv, each bound to one member, so that the history shows what every member
// answered while faults came and went.
import { grpcKv, type CallOptions, type GrpcKv, type Msg } from '../helpers/grpc.js';
import { Recorder, recordedKv, type KvRecorder, type RecordedKv } from '../linearizability/recorder.js';
import type { KvOperation } from '../linearizability/kv-model.js';
import { Random } from './random.js';

export interface WorkloadOptions {
  /** The members' client endpoints; client i talks to endpoints[i % length] only. */
  endpoints: string[];
  keys: string[];
  clients: number;
  seed: number;
  /** Per-call deadline (unknown outcome past it); 1000 ms by default. */
  timeoutMs?: number;
  /** Pause between one client's calls, bounding the history's size; 15 ms by default. */
  thinkMs?: number;
  /** Pause after a failed call, so an unreachable member does not fill the history with unknowns; 250 ms by default. */
  backoffMs?: number;
  /**
   * Reads answered from the member's own store without a quorum (etcd's serializable
   * range), which may be stale: a workload for showing that the checks catch anomalies.
   */
  serializableReads?: boolean;
}

export interface WorkloadStats {
  calls: number;
  failed: number;
  /** Writes acknowledged (puts and successful swaps). */
  ackedWrites: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Each client stops after this many calls, whatever the schedule: every loop is bounded. */
const MAX_CALLS_PER_CLIENT = 20_000;

export class Workload {
  readonly recorder: KvRecorder = new Recorder();
  private stopping = false;
  private loops: Promise<void>[] = [];
  private conns: GrpcKv[] = [];

  constructor(private readonly opts: WorkloadOptions) {
    if (opts.endpoints.length === 0 || opts.keys.length === 0 || opts.clients < 1) throw new Error('a workload needs endpoints, keys and clients');
  }

  start(): void {
    if (this.loops.length) throw new Error('workload already started');
    for (let id = 0; id < this.opts.clients; id++) {
      const conn = grpcKv(this.opts.endpoints[id % this.opts.endpoints.length]!);
      this.conns.push(conn);
      this.loops.push(this.run(id, conn));
    }
  }

  private async run(id: number, conn: GrpcKv): Promise<void> {
    const rnd = new Random(this.opts.seed * 1000 + id + 1);
    const client = this.opts.serializableReads ? { ...conn.kv, range: (req: Msg, o?: CallOptions) => conn.kv.range({ ...req, serializable: true }, o) } : conn.kv;
    const kv = recordedKv(client, this.recorder, id, { timeoutMs: this.opts.timeoutMs ?? 1000 });
    // The value this client last saw per key: a swap from it has a fair chance to win.
    const seen = new Map<string, string | null>();
    for (let n = 0; !this.stopping && n < MAX_CALLS_PER_CLIENT; n++) {
      const ok = await randomCall(kv, rnd, this.opts.keys, seen, `${id}.${n}`);
      await sleep(ok ? (this.opts.thinkMs ?? 15) : (this.opts.backoffMs ?? 250));
    }
  }

  /** Stops issuing calls and waits for those in flight (each bounded by its deadline). */
  async stop(): Promise<KvOperation[]> {
    this.stopping = true;
    await Promise.all(this.loops);
    for (const c of this.conns) c.close();
    this.conns = [];
    return this.recorder.history();
  }

  stats(): WorkloadStats {
    const h = this.recorder.history();
    return { calls: h.length, failed: this.recorder.failed(), ackedWrites: ackedWrites(h).length };
  }
}

/**
 * One client call on a random key: a get (45%), a put of `value` (30%) or a
 * compare-and-swap to it from the value this client last saw (25%, so it has a fair
 * chance to win). `seen` is that memory, kept per client. False when the call failed.
 */
export async function randomCall(kv: RecordedKv, rnd: Random, keys: readonly string[], seen: Map<string, string | null>, value: string): Promise<boolean> {
  const key = rnd.pick(keys);
  const roll = rnd.next();
  if (roll < 0.45) {
    const out = await kv.get(key);
    if (out?.kind === 'get') seen.set(key, out.value);
    return out !== undefined;
  }
  if (roll < 0.75) {
    const ok = (await kv.put(key, value)) !== undefined;
    if (ok) seen.set(key, value);
    return ok;
  }
  const out = await kv.cas(key, seen.get(key) ?? null, value);
  if (out?.kind === 'cas' && out.succeeded) seen.set(key, value);
  return out !== undefined;
}

/** Completed writes that took effect, with the revision each was acknowledged at. */
export function ackedWrites(history: readonly KvOperation[]): Array<{ key: string; value: string; revision: number }> {
  const out: Array<{ key: string; value: string; revision: number }> = [];
  for (const op of history) {
    const o = op.output;
    if (o === undefined || o.revision === undefined) continue;
    if (op.input.kind === 'put' && o.kind === 'put') out.push({ key: op.input.key, value: op.input.value, revision: o.revision });
    if (op.input.kind === 'cas' && o.kind === 'cas' && o.succeeded) out.push({ key: op.input.key, value: op.input.value, revision: o.revision });
  }
  return out;
}
