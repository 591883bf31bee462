// Records what clients observed into a history: call and return times on one
// monotonic clock, and the results as the KV model reads them. A failed call is
// recorded without return: the client cannot tell whether it took effect.
import type { KvClient, Msg } from '../helpers/grpc.js';
import type { Operation } from './history.js';
import type { KvInput, KvOperation, KvOutput } from './kv-model.js';

export class Recorder<I, O> {
  private readonly ops: Operation<I, O>[] = [];
  private failures = 0;
  /** Why calls failed: "<gRPC code>: <message>" → how many times. */
  private readonly reasons = new Map<string, number>();

  constructor(private readonly clock: () => number = () => performance.now()) {}

  /** Runs `call`, recording it under `clientId`; resolves to its output, or undefined when it failed. */
  async record(clientId: number, input: I, call: () => Promise<O>): Promise<O | undefined> {
    const op: Operation<I, O> = { clientId, call: this.clock(), input };
    this.ops.push(op);
    try {
      const output = await call();
      op.return = this.clock();
      op.output = output;
      return output;
    } catch (err) {
      this.failures++;
      const e = err as { code?: unknown; details?: unknown; message?: unknown };
      // grpc-js appends timings and addresses to a deadline's text: keep what identifies the failure.
      const text = String(e.details ?? e.message ?? err).replace(/ after [\d.]+s,.*$/, '');
      const reason = `${typeof e.code === 'number' ? e.code : 'none'}: ${text}`;
      this.reasons.set(reason, (this.reasons.get(reason) ?? 0) + 1);
      return undefined;
    }
  }

  /** The operations recorded so far, in call order; operations still in flight appear without return. */
  history(): Operation<I, O>[] {
    return this.ops.map((op) => ({ ...op }));
  }

  /** How many calls failed (and so have unknown outcomes). */
  failed(): number {
    return this.failures;
  }

  /** Why calls failed, "<gRPC code>: <message>" with a count each. */
  failureReasons(): Map<string, number> {
    return new Map(this.reasons);
  }
}

export type KvRecorder = Recorder<KvInput, KvOutput>;

/** One client's view of the KV API, each call recorded. Values are UTF-8 strings. */
export interface RecordedKv {
  put(key: string, value: string): Promise<KvOutput | undefined>;
  get(key: string): Promise<KvOutput | undefined>;
  delete(key: string): Promise<KvOutput | undefined>;
  /** A txn: if value(key) == expected (null: absent) then put(key, value). */
  cas(key: string, expected: string | null, value: string): Promise<KvOutput | undefined>;
}

export interface RecordedKvOptions {
  /** Per-call deadline; a call past it has an unknown outcome. 2 s by default. */
  timeoutMs?: number;
}

function revisionOf(res: Msg): number {
  const r = Number(res.header?.revision);
  if (!Number.isSafeInteger(r) || r <= 0) throw new Error(`response without a header revision: ${JSON.stringify(res.header)}`);
  return r;
}

/** Wraps a gRPC KV client (test/helpers grpcKv) so that every call lands in `recorder` as `clientId`. */
export function recordedKv(kv: KvClient, recorder: KvRecorder, clientId: number, opts: RecordedKvOptions = {}): RecordedKv {
  const call = { timeoutMs: opts.timeoutMs ?? 2000 };
  return {
    put: (key, value) =>
      recorder.record(clientId, { kind: 'put', key, value }, async () => {
        const res = await kv.put({ key: Buffer.from(key), value: Buffer.from(value) }, call);
        return { kind: 'put', revision: revisionOf(res) };
      }),
    get: (key) =>
      recorder.record(clientId, { kind: 'get', key }, async () => {
        const res = await kv.range({ key: Buffer.from(key) }, call);
        const kvs = (res.kvs ?? []) as Msg[];
        if (kvs.length > 1) throw new Error(`range of one key returned ${kvs.length} keys`);
        const found = kvs[0];
        if (found === undefined) return { kind: 'get', value: null, revision: revisionOf(res) };
        return {
          kind: 'get',
          value: (found.value as Buffer).toString('utf8'),
          modRevision: Number(found.modRevision),
          revision: revisionOf(res),
        };
      }),
    delete: (key) =>
      recorder.record(clientId, { kind: 'delete', key }, async () => {
        const res = await kv.deleteRange({ key: Buffer.from(key) }, call);
        return { kind: 'delete', deleted: Number(res.deleted), revision: revisionOf(res) };
      }),
    cas: (key, expected, value) =>
      recorder.record(clientId, { kind: 'cas', key, expected, value }, async () => {
        const k = Buffer.from(key);
        // An absent key is the one whose create revision is 0, as clientv3's concurrency package tests it.
        const compare =
          expected === null
            ? { key: k, target: 'CREATE', result: 'EQUAL', createRevision: '0' }
            : { key: k, target: 'VALUE', result: 'EQUAL', value: Buffer.from(expected) };
        const res = await kv.txn(
          { compare: [compare], success: [{ requestPut: { key: k, value: Buffer.from(value) } }], failure: [] },
          call,
        );
        return { kind: 'cas', succeeded: res.succeeded === true, revision: revisionOf(res) };
      }),
  };
}

export type { KvOperation };
