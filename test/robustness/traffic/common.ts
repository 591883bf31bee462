// What every traffic profile is given and shares: the members, the history's key
// prefix and recorder, a seeded random source per client, a request rate limit,
// unique values and lease IDs, and when to stop.
import { Random } from '../../chaos/random.js';
import { TrafficClient, type Recorder } from '../client.js';

export interface TrafficContext {
  endpoints: string[];
  /** Every key the traffic touches starts with it. */
  prefix: string;
  rec: Recorder;
  seed: number;
  /** Requests per second across all clients (a limit, not a promise). */
  rate: number;
  /** Per-request deadline; past it the outcome is unknown. */
  timeoutMs: number;
  /** True once the traffic should wind down. */
  stopping(): boolean;
  /** The highest revision it is safe to compact to now (every observer has seen it). */
  safeCompactRevision(): number;
  /** A value never written before in this history. */
  uniqueValue(client: number): string;
  /** A lease ID (hex) never granted before in this history. */
  uniqueLeaseId(): string;
}

export interface Profile {
  readonly name: string;
  /** Runs until ctx.stopping(); every loop is bounded in count too. */
  run(ctx: TrafficContext): Promise<void>;
}

/** No client issues more than this many requests in one history, whatever the rate. */
export const MAX_REQUESTS_PER_CLIENT = 5000;

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Spaces requests out so that all clients together stay near `rate` per second. */
export class RateLimiter {
  private next = performance.now();
  private readonly gapMs: number;

  constructor(rate: number) {
    if (!(rate > 0)) throw new Error(`rate must be positive: ${rate}`);
    this.gapMs = 1000 / rate;
  }

  async take(): Promise<void> {
    const t = performance.now();
    const at = Math.max(this.next, t);
    this.next = at + this.gapMs;
    if (at > t) await sleep(at - t);
  }
}

/** Opens `count` clients spread over the members, each with its own seeded random source. */
export function openClients(ctx: TrafficContext, count: number, firstId: number): Array<{ client: TrafficClient; rnd: Random }> {
  return Array.from({ length: count }, (_, i) => ({
    client: new TrafficClient(firstId + i, ctx.endpoints[(firstId + i) % ctx.endpoints.length]!, ctx.rec, ctx.timeoutMs),
    rnd: new Random(ctx.seed * 1000 + firstId + i + 1),
  }));
}

/** Picks an entry by weight. */
export function weighted<T extends string>(rnd: Random, choices: ReadonlyArray<readonly [T, number]>): T {
  const total = choices.reduce((n, [, w]) => n + w, 0);
  let x = rnd.next() * total;
  for (const [c, w] of choices) {
    x -= w;
    if (x < 0) return c;
  }
  return choices[choices.length - 1]![0];
}

/** A failed call is followed by a short pause, so an unreachable member does not fill the history with unknowns. */
export async function backoff(ok: boolean): Promise<void> {
  if (!ok) await sleep(250);
}
