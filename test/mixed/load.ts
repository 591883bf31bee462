// The load a cluster carries while it is migrated: clients putting, reading and
// compare-and-swapping a few keys, each call to one of the members live at that moment
// (as a client with every endpoint fails over), every call recorded for the
// linearizability check; and watchers over the same keys that resume on another member
// from the next revision when theirs goes away, as clientv3's watches do.
import { grpcKv, type GrpcKv } from '../helpers/grpc.js';
import { Recorder, recordedKv, type KvRecorder } from '../linearizability/recorder.js';
import type { KvOperation } from '../linearizability/kv-model.js';
import { ackedWrites, randomCall } from '../chaos/workload.js';
import { Random } from '../chaos/random.js';
import { Client } from '../../src/client/index.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Each client stops after this many calls or this long, whatever happens: every loop is bounded. */
const MAX_CALLS_PER_CLIENT = 50_000;
const MAX_RUN_MS = 15 * 60_000;

export const PREFIX = '/mig/';

export class MigrationLoad {
  readonly recorder: KvRecorder = new Recorder();
  /** Why calls failed, by the kind of member that answered: "<kind> <gRPC code>: <message>" → how many times. */
  readonly failuresByKind = new Map<string, number>();
  private stopping = false;
  private loops: Promise<void>[] = [];
  private conns = new Map<string, GrpcKv>();

  constructor(
    private readonly endpoints: () => string[],
    private readonly opts: { clients: number; keys: number; seed: number; thinkMs: number },
    /** The kind of member serving an endpoint ("etcd", "etcd-ts"), for telling whose errors clients saw. */
    private readonly kindOf: (endpoint: string) => string = () => 'member',
  ) {}

  private conn(endpoint: string): GrpcKv {
    let c = this.conns.get(endpoint);
    if (!c) {
      c = grpcKv(endpoint);
      this.conns.set(endpoint, c);
    }
    return c;
  }

  /** The endpoint's KV client, its failures also counted under the kind of member serving it. */
  private kvAt(endpoint: string): GrpcKv['kv'] {
    const kv = this.conn(endpoint).kv;
    const note = (err: unknown) => {
      const e = err as { code?: unknown; details?: unknown; message?: unknown };
      const text = String(e.details ?? e.message ?? err).replace(/ after [\d.]+s,.*$/, '');
      const reason = `${this.kindOf(endpoint)} ${typeof e.code === 'number' ? e.code : 'none'}: ${text}`;
      this.failuresByKind.set(reason, (this.failuresByKind.get(reason) ?? 0) + 1);
      throw err;
    };
    return {
      ...kv,
      put: (req, opts) => kv.put(req, opts).catch(note),
      range: (req, opts) => kv.range(req, opts).catch(note),
      deleteRange: (req, opts) => kv.deleteRange(req, opts).catch(note),
      txn: (req, opts) => kv.txn(req, opts).catch(note),
    };
  }

  start(): void {
    for (let id = 0; id < this.opts.clients; id++) this.loops.push(this.run(id));
  }

  private async run(id: number): Promise<void> {
    const rnd = new Random(this.opts.seed * 1000 + id + 1);
    const keys = Array.from({ length: this.opts.keys }, (_, i) => `${PREFIX}k${i}`);
    const seen = new Map<string, string | null>();
    const until = Date.now() + MAX_RUN_MS;
    for (let n = 0; !this.stopping && n < MAX_CALLS_PER_CLIENT && Date.now() < until; n++) {
      const eps = this.endpoints();
      if (eps.length === 0) {
        await sleep(50);
        continue;
      }
      const kv = recordedKv(this.kvAt(eps[(id + n) % eps.length]!), this.recorder, id, { timeoutMs: 5000 });
      const ok = await randomCall(kv, rnd, keys, seen, `${id}.${n}`);
      await sleep(ok ? this.opts.thinkMs : 100);
    }
  }

  async stop(): Promise<KvOperation[]> {
    this.stopping = true;
    await Promise.all(this.loops);
    for (const c of this.conns.values()) c.close();
    this.conns.clear();
    return this.recorder.history();
  }
}

export interface SeenEvent {
  key: string;
  value: string;
  revision: number;
}

/** One watch of PREFIX from a revision on, resumed elsewhere whenever its member fails it. */
export class ResumingWatcher {
  readonly events: SeenEvent[] = [];
  private next: number;
  private stopping = false;
  private current?: { cancel(): Promise<void> };
  private readonly done: Promise<void>;
  resumes = 0;

  constructor(
    private readonly endpoints: () => string[],
    startRevision: number,
    private readonly offset: number,
  ) {
    this.next = startRevision;
    this.done = this.run();
  }

  get lastRevision(): number {
    return this.next - 1;
  }

  private async run(): Promise<void> {
    const until = Date.now() + MAX_RUN_MS;
    for (let attempt = 0; !this.stopping && attempt < 100_000 && Date.now() < until; attempt++) {
      const eps = this.endpoints();
      const ep = eps[(this.offset + attempt) % Math.max(1, eps.length)];
      if (!ep) {
        await sleep(50);
        continue;
      }
      const client = new Client({ endpoints: [ep] });
      try {
        const w = client.watch(PREFIX, { prefix: true, startRevision: this.next });
        this.current = w;
        // The client would redial the same member; a watch that lost its member moves on.
        w.on('disconnected', () => void w.cancel());
        for await (const r of w) {
          for (const e of r.events) {
            const rev = Number(e.kv!.modRevision);
            // A resumed watch starts at `next`: anything earlier is a duplicate the check must see.
            this.events.push({ key: Buffer.from(e.kv!.key).toString(), value: Buffer.from(e.kv!.value).toString(), revision: rev });
            this.next = Math.max(this.next, rev + 1);
          }
          if (this.stopping) break;
        }
      } catch {
        // the member went away or refused: resume on another one
      } finally {
        this.current = undefined;
        await client.close();
      }
      if (!this.stopping) {
        this.resumes++;
        await sleep(100);
      }
    }
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.current?.cancel();
    await this.done;
  }
}

/**
 * What the watchers must have seen: every revision after `from` up to `to` exactly
 * once and in order (only the load writes under PREFIX, one revision per write), and
 * each acknowledged write at its revision with its value.
 */
export function checkWatch(w: ResumingWatcher, from: number, to: number, history: readonly KvOperation[]): string[] {
  const problems: string[] = [];
  const revs = w.events.map((e) => e.revision);
  for (let i = 1; i < revs.length; i++) {
    if (revs[i]! <= revs[i - 1]!) {
      problems.push(`event at revision ${revs[i]} after ${revs[i - 1]} (duplicate or out of order)`);
      break;
    }
  }
  const expected = to - from;
  if (revs.length !== expected || revs[0] !== from + 1 || revs[revs.length - 1] !== to) {
    problems.push(`saw ${revs.length} events from ${revs[0]} to ${revs[revs.length - 1]}, expected every revision from ${from + 1} to ${to}`);
  }
  const byRev = new Map(w.events.map((e) => [e.revision, e]));
  for (const a of ackedWrites(history)) {
    const e = byRev.get(a.revision);
    if (!e || e.key !== a.key || e.value !== a.value) {
      problems.push(`acknowledged ${a.key}=${a.value} at revision ${a.revision}, watched ${e ? `${e.key}=${e.value}` : 'nothing'}`);
      if (problems.length > 10) break;
    }
  }
  return problems;
}

/** The longest stretch with no acknowledged write, and the slowest acknowledged write (ms). */
export function writePauses(history: readonly KvOperation[]): { longestGapMs: number; slowestWriteMs: number } {
  const acks: number[] = [];
  let slowest = 0;
  for (const op of history) {
    if (op.return === undefined || op.input.kind === 'get') continue;
    acks.push(op.return);
    slowest = Math.max(slowest, op.return - op.call);
  }
  acks.sort((a, b) => a - b);
  let gap = 0;
  for (let i = 1; i < acks.length; i++) gap = Math.max(gap, acks[i]! - acks[i - 1]!);
  return { longestGapMs: Math.round(gap), slowestWriteMs: Math.round(slowest) };
}

/**
 * Failures the clients saw, by kind of member, other than etcd's retryable ones: gRPC
 * Unavailable (no leader, leader changed, a member stopping or gone), DeadlineExceeded
 * (the client's own deadline) and Canceled (a member's stream torn down as it was
 * removed). A real etcd 3.4 member also answers Raft's own errors raw, as gRPC Unknown:
 * "raft: stopped" while it is being removed and "raft proposal dropped" while its
 * leadership moves (processInternalRaftRequestOnce returns Propose's error as it is).
 * Those are allowed from etcd members only: etcd-ts must answer no worse than etcd's
 * retryable errors.
 */
export function unexpectedFailures(failuresByKind: Map<string, number>): string[] {
  const RETRYABLE = new Set([1, 4, 14]);
  const ETCD_RAW = new Set(['raft: stopped', 'raft proposal dropped']);
  const out: string[] = [];
  for (const [reason, n] of failuresByKind) {
    const m = /^(\S+) (\S+): (.*)$/s.exec(reason);
    if (!m) {
      out.push(`${n}× ${reason}`);
      continue;
    }
    const [, kind, code, text] = m;
    if (RETRYABLE.has(Number(code))) continue;
    if (kind === 'etcd' && Number(code) === 2 && ETCD_RAW.has(text!)) continue;
    out.push(`${n}× ${reason}`);
  }
  return out;
}
