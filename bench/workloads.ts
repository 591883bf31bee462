// The KV workloads of the side-by-side benchmark, shared by the orchestrator
// and the load generator process. Shaped after etcd's `benchmark put` and
// `benchmark range` tools: random keys over a fixed key space, fixed-size values.

export type Op = 'put' | 'range-linearizable' | 'range-serializable';

export interface WorkloadSpec {
  /** Unique label, e.g. "put c=16". */
  name: string;
  op: Op;
  /** Concurrent clients, each with one request in flight. */
  clients: number;
  /** HTTP/2 connections the clients are spread over (client i uses connection i % connections). */
  connections: number;
  /** Request cap of the measured phase. */
  total: number;
  /** Time cap of the measured phase. */
  timeCapMs: number;
  /** Warm-up before measuring: whichever of the two bounds comes first. */
  warmupRequests: number;
  warmupMs: number;
  /** put: keys drawn uniformly from [0, keySpace). */
  keySpace: number;
  /** put: keys 0, 1, 2, … in order instead of random (the load phase). */
  sequential: boolean;
  valueSize: number;
  /** range: the key index read by every request. */
  rangeKey: number;
}

export interface LoadResult {
  /** Requests that completed OK in the measured phase. */
  requests: number;
  errors: number;
  firstError?: string;
  elapsedMs: number;
  meanMs: number;
  p50Ms: number;
  p99Ms: number;
  /** CPU the load generator itself spent in the measured phase, to tell client-bound runs apart. */
  loadgenCpuMicros: number;
}

/** Messages between the orchestrator and the load generator child (over the fork IPC channel). */
export type ToLoadgen = { type: 'run'; endpoint: string; spec: WorkloadSpec } | { type: 'go' };
export type FromLoadgen =
  | { type: 'warmed' }
  | { type: 'done'; result: LoadResult }
  | { type: 'failed'; error: string };

export const KEY_SPACE = 100_000;
export const VALUE_SIZE = 256;
const CONCURRENCY: ReadonlyArray<{ clients: number; connections: number }> = [
  { clients: 1, connections: 1 },
  { clients: 16, connections: 4 },
  { clients: 256, connections: 16 },
];

/** Request caps per concurrency level, at scale 1; the time cap bounds slow servers. */
const PUT_TOTAL = [10_000, 50_000, 100_000];
const RANGE_TOTAL = [20_000, 100_000, 200_000];
const TIME_CAP_MS = 10_000;
const WARMUP_MS = 1_000;

/** etcd benchmark's key encoding: an int as a zig-zag varint in an 8-byte key. */
export function keyBytes(i: number): Uint8Array {
  const k = new Uint8Array(8);
  let v = i >= 0 ? i * 2 : -i * 2 - 1;
  let n = 0;
  while (v >= 0x80 && n < 7) {
    k[n++] = (v & 0x7f) | 0x80;
    v = Math.floor(v / 128);
  }
  k[n] = v;
  return k;
}

function base(scale: number): Pick<WorkloadSpec, 'timeCapMs' | 'warmupMs' | 'keySpace' | 'sequential' | 'valueSize' | 'rangeKey'> {
  return {
    timeCapMs: Math.max(500, Math.round(TIME_CAP_MS * scale)),
    warmupMs: Math.max(200, Math.round(WARMUP_MS * scale)),
    keySpace: KEY_SPACE,
    sequential: false,
    valueSize: VALUE_SIZE,
    rangeKey: 0,
  };
}

const atLeast = (n: number, scale: number, min: number) => Math.max(min, Math.round(n * scale));

/** Fills keys 0..n-1 once, at the highest concurrency; RSS is read after it. */
export function loadWorkload(scale: number): WorkloadSpec {
  return {
    ...base(scale),
    name: 'load',
    op: 'put',
    clients: 256,
    connections: 16,
    total: atLeast(KEY_SPACE, scale, 1000),
    // Loading is count-bound: allow far longer than a measured workload.
    timeCapMs: Math.max(5_000, Math.round(120_000 * scale)),
    warmupRequests: 0,
    warmupMs: 0,
    sequential: true,
  };
}

/** The measured workloads, in run order. */
export function kvWorkloads(scale: number): WorkloadSpec[] {
  const out: WorkloadSpec[] = [];
  const ops: Array<[Op, string, number[]]> = [
    ['put', 'put', PUT_TOTAL],
    ['range-linearizable', 'range-l', RANGE_TOTAL],
    ['range-serializable', 'range-s', RANGE_TOTAL],
  ];
  for (const [op, label, totals] of ops) {
    CONCURRENCY.forEach(({ clients, connections }, i) => {
      out.push({
        ...base(scale),
        name: `${label} c=${clients}`,
        op,
        clients,
        connections,
        total: atLeast(totals[i], scale, clients * 4),
        warmupRequests: Math.max(clients * 4, atLeast(totals[i] / 10, scale, 10)),
      });
    });
  }
  return out;
}
