// The guarded service methods the dashboard's own API reads through: the same
// method table the JSON gateway serves, so every read is checked against the
// caller's token exactly as a gRPC or gateway call is.
import { EventEmitter } from 'node:events';
import type { BidiStream, CallContext, MethodDef } from '../grpc/types.js';
import type { MethodTable } from '../gateway/services.js';
import type { RangeRequest, RangeResponse } from '../pb/kv.js';
import { codec } from '../pb/codec.js';

export type RangeCall = (req: Partial<RangeRequest> & { key: Uint8Array }) => Promise<RangeResponse>;

const EMPTY = new Uint8Array(0);

function unary<Req, Res>(methods: MethodTable, name: string): (req: Req, call: CallContext) => Promise<Res> {
  const def = methods.get(name) as MethodDef<Req, Res> | undefined;
  if (def === undefined || def.kind !== 'unary') throw new Error(`dashboard: no unary method ${name}`);
  const handler = def.handler;
  return async (req, call) => handler(req, call);
}

const rangeRequest = codec<RangeRequest>('etcdserverpb.RangeRequest');
const rangeResponse = codec<RangeResponse>('etcdserverpb.RangeResponse');

/**
 * Range as the caller: etcd's defaults for every field not given. The method takes
 * and gives wire bytes (the member decodes), so the request is encoded here and the
 * answer decoded, as a gRPC client would.
 */
export function rangeCall(methods: MethodTable, call: CallContext): RangeCall {
  const range = unary<Uint8Array, Uint8Array>(methods, 'etcdserverpb.KV/Range');
  return async (req) => {
    const bytes = rangeRequest.encode({
        rangeEnd: EMPTY,
        limit: 0,
        revision: 0,
        sortOrder: 0,
        sortTarget: 0,
        serializable: false,
        keysOnly: false,
        countOnly: false,
        minModRevision: 0,
        maxModRevision: 0,
        minCreateRevision: 0,
        maxCreateRevision: 0,
        ...req,
      });
    return rangeResponse.decode(await range(bytes, call));
  };
}

/** The revisions at which a key was deleted, up to a revision, oldest first. */
export type DeletionsCall = (key: Uint8Array, upto: number) => Promise<number[]>;

/** Bounds on one replay: a key with more history than this is refused, not read forever. */
export const MAX_REPLAY_EVENTS = 100_000;
export const REPLAY_TIMEOUT_MS = 10_000;
const PROGRESS_EVERY_MS = 25;

interface WatchEventMsg {
  type: number;
  kv?: { modRevision: number | bigint };
}
interface WatchResponseMsg {
  header?: { revision: number | bigint };
  watchId: number | bigint;
  created: boolean;
  canceled: boolean;
  compactRevision: number | bigint;
  cancelReason: string;
  events: WatchEventMsg[];
}

const watchRequest = codec<Record<string, unknown>>('etcdserverpb.WatchRequest');
const watchResponse = codec<WatchResponseMsg>('etcdserverpb.WatchResponse');
const DELETE = 1;

/**
 * A key's deletions, read by replaying its events through the guarded Watch method as the
 * caller: Range never shows a deleted key, so the revisions between one life of a key and
 * the next are only in its event history. The replay starts at the oldest revision not
 * compacted and ends once a progress notification says every event up to `upto` was sent
 * (etcd 3.6 answers progress only when the watch is synced; a member behaving as 3.4.23
 * answers at once, so there a replay may end early and show fewer deletions).
 */
export function deletionsCall(methods: MethodTable, call: CallContext): DeletionsCall {
  const def = methods.get('etcdserverpb.Watch/Watch') as MethodDef<unknown, unknown> | undefined;
  if (def === undefined || def.kind !== 'bidi') throw new Error('dashboard: no bidi method etcdserverpb.Watch/Watch');
  const handler = def.handler;
  const replay = (key: Uint8Array, from: number, upto: number) =>
    new Promise<{ deletions: number[]; compacted?: number }>((resolve, reject) => {
      const deletions: number[] = [];
      const stream = new ReplayStream(call);
      let seen = 0;
      let timer: NodeJS.Timeout | undefined;
      let done = false;
      const finish = (err: Error | undefined, compacted?: number) => {
        if (done) return;
        done = true;
        clearInterval(timer);
        clearTimeout(deadline);
        stream.close();
        if (err) reject(err);
        else resolve({ deletions, compacted });
      };
      const deadline = setTimeout(() => finish(new Error('key history replay timed out')), REPLAY_TIMEOUT_MS);
      const send = (req: Record<string, unknown>) => stream.emit('data', def.decode(watchRequest.encode(req)));
      stream.onResponse = (bytes) => {
        const r = watchResponse.decode(def.encode(bytes));
        if (r.canceled) return finish(r.compactRevision ? undefined : new Error(r.cancelReason || 'watch canceled'), Number(r.compactRevision) || undefined);
        if (r.created) {
          timer = setInterval(() => send({ progressRequest: {} }), PROGRESS_EVERY_MS);
          send({ progressRequest: {} });
          return;
        }
        for (const ev of r.events) {
          const rev = Number(ev.kv?.modRevision ?? 0);
          if (rev > upto) return finish(undefined);
          if (ev.type === DELETE) deletions.push(rev);
          if (++seen > MAX_REPLAY_EVENTS) return finish(new Error(`key history longer than ${MAX_REPLAY_EVENTS} events`));
        }
        // A progress notification (no events, stream-wide ID): everything up to its revision was sent.
        if (r.events.length === 0 && Number(r.watchId) === -1 && Number(r.header?.revision ?? 0) >= upto) finish(undefined);
      };
      stream.onEnd = (err) => finish(err ?? new Error('watch ended'));
      handler(stream as unknown as BidiStream<unknown, unknown>);
      send({ createRequest: { key, startRevision: from } });
    });
  return async (key, upto) => {
    let r = await replay(key, 1, upto);
    // Revision 1 was compacted: start again at the compaction point.
    if (r.compacted !== undefined) r = await replay(key, r.compacted, upto);
    if (r.compacted !== undefined) throw new Error('key history compacted while it was read');
    return r.deletions;
  };
}

/** The server side of a Watch call made inside the member: responses go to a callback. */
class ReplayStream extends EventEmitter {
  ended = false;
  onResponse: (msg: unknown) => void = () => {};
  onEnd: (err?: Error) => void = () => {};
  private readonly ac = new AbortController();

  constructor(private readonly call: CallContext) {
    super();
  }
  get metadata() {
    return this.call.metadata;
  }
  get signal() {
    return this.ac.signal;
  }
  get peer() {
    return this.call.peer;
  }
  write(msg: unknown): boolean {
    if (!this.ended) this.onResponse(msg);
    return true;
  }
  end(err?: Error): void {
    if (this.ended) return;
    this.ended = true;
    this.onEnd(err);
  }
  close(): void {
    if (this.ended) return;
    this.ended = true;
    this.emit('cancel');
    this.ac.abort();
  }
  pause(): void {}
  resume(): void {}
}
