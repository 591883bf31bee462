// Watch: each watcher owns a stream and resumes after a disconnect from the
// revision after the last one it delivered, so no event is lost or repeated.
import { EventEmitter } from 'node:events';
import type { Event, ResponseHeader } from '../pb/kv.js';
import { EtcdError, Errors, GrpcCode } from '../rpctypes/errors.js';
import { toBytes, type Bytes } from './bytes.js';
import { rangeEndOf, type RangeOptions } from './kv.js';
import { streamMethod } from './rpc.js';
import { isTransportFailure, type Transport } from './transport.js';

export interface WatchOptions extends RangeOptions {
  /** First revision to deliver; default: changes after the current revision. */
  startRevision?: number;
  prevKv?: boolean;
  progressNotify?: boolean;
  noPut?: boolean;
  noDelete?: boolean;
  signal?: AbortSignal;
}

export interface WatchResponse {
  header?: ResponseHeader;
  watchId: number;
  created: boolean;
  canceled: boolean;
  compactRevision: number;
  cancelReason: string;
  fragment: boolean;
  events: Event[];
}

interface WatchRequest {
  createRequest?: { key: Uint8Array; rangeEnd: Uint8Array; startRevision: number; progressNotify: boolean; filters: number[]; prevKv: boolean };
  cancelRequest?: { watchId: number };
  progressRequest?: Record<string, never>;
}

const RECONNECT_MIN_MS = 50;
const RECONNECT_MAX_MS = 1000;

/** Thrown (and emitted) when the watched revision was compacted away; carries the compaction revision and the member's response. */
export class WatchCompactedError extends EtcdError {
  constructor(
    readonly compactRevision: number,
    readonly response?: WatchResponse,
  ) {
    super(Errors.Compacted.code, Errors.Compacted.message);
  }
}

/** Thrown (and emitted) when the member cancels the watch for another reason; `reason` is its cancel_reason, possibly empty. */
export class WatchCanceledError extends EtcdError {
  constructor(
    readonly reason: string,
    readonly response?: WatchResponse,
  ) {
    super(GrpcCode.Canceled, reason || 'watch canceled by server');
  }
}

/**
 * One watch. Events: 'created' (first registration), 'response' (WatchResponse
 * with events, or a progress notification), 'disconnected' (error), 'resumed'
 * (revision), 'error' (final). Async-iterable over its responses.
 */
export class Watcher extends EventEmitter implements AsyncIterable<WatchResponse> {
  /** Revision the next delivered event will have at least; 0 until the watch is created. */
  nextRevision: number;
  private closed = false;
  private failure?: Error;
  private call?: { cancel(): void; end(): void; write(m: Uint8Array): boolean };
  private readonly method = streamMethod<WatchRequest, WatchResponse>('etcdserverpb.Watch', 'Watch');
  private readonly queue: WatchResponse[] = [];
  private wake?: () => void;
  private readonly done: Promise<void>;

  constructor(
    private readonly transport: Transport,
    private readonly key: Uint8Array,
    private readonly opts: WatchOptions,
  ) {
    super();
    this.nextRevision = opts.startRevision ?? 0;
    this.on('error', () => {}); // iteration and listeners both observe failures
    opts.signal?.addEventListener('abort', () => void this.cancel(), { once: true });
    this.done = this.run();
  }

  /** Stops watching; iteration ends without error. */
  async cancel(): Promise<void> {
    if (this.closed) return this.done;
    this.closed = true;
    this.call?.cancel();
    this.poke();
    await this.done;
  }

  /** Asks the member for a progress notification: a response with its current revision and no events. */
  requestProgress(): void {
    this.call?.write(this.method.request.encode({ progressRequest: {} }));
  }

  /** A progress notification rather than events, as clientv3's IsProgressNotify. */
  static isProgressNotify(r: WatchResponse): boolean {
    return r.events.length === 0 && !r.canceled && !r.created && r.compactRevision === 0 && (r.header?.revision ?? 0) !== 0;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<WatchResponse> {
    for (;;) {
      if (this.queue.length > 0) {
        yield this.queue.shift()!;
        continue;
      }
      if (this.failure) throw this.failure;
      if (this.closed) return;
      await new Promise<void>((r) => (this.wake = r));
    }
  }

  private poke(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  private deliver(r: WatchResponse): void {
    this.queue.push(r);
    this.emit('response', r);
    this.poke();
  }

  private fail(err: Error): void {
    if (this.closed) return;
    this.failure = err;
    this.closed = true;
    this.emit('error', err);
    this.poke();
  }

  private async run(): Promise<void> {
    const m = this.method;
    let backoff = RECONNECT_MIN_MS;
    let created = false;
    while (!this.closed) {
      let endpoint;
      try {
        const opened = await this.transport.openStream(m.path, { signal: this.opts.signal });
        endpoint = opened.endpoint;
        const call = opened.call;
        this.call = call;
        if (this.closed) {
          call.cancel();
          return;
        }
        const filters: number[] = [];
        if (this.opts.noPut) filters.push(0);
        if (this.opts.noDelete) filters.push(1);
        call.write(
          m.request.encode({
            createRequest: { key: this.key, rangeEnd: rangeEndOf(this.key, this.opts), startRevision: this.nextRevision, progressNotify: this.opts.progressNotify ?? false, filters, prevKv: this.opts.prevKv ?? false },
          }),
        );
        for await (const msg of call) {
          const r = m.response.decode(msg);
          if (r.created) {
            backoff = RECONNECT_MIN_MS;
            if (this.nextRevision === 0) this.nextRevision = (r.header?.revision ?? 0) + 1;
            if (!created) {
              created = true;
              this.emit('created', r);
            } else this.emit('resumed', this.nextRevision);
            if (!r.canceled) continue;
          }
          if (r.canceled) {
            call.cancel();
            if (r.compactRevision > 0) this.fail(new WatchCompactedError(r.compactRevision, r));
            else this.fail(new WatchCanceledError(r.cancelReason, r));
            return;
          }
          const last = r.events[r.events.length - 1];
          if (last) this.nextRevision = last.kv.modRevision + 1;
          else if (r.header && r.header.revision + 1 > this.nextRevision) this.nextRevision = r.header.revision + 1;
          this.deliver(r);
        }
      } catch (err) {
        if (this.closed) return;
        if (err instanceof EtcdError && err.message === Errors.InvalidAuthToken.message) {
          this.transport.invalidateToken();
        } else if (err instanceof EtcdError && (isTransportFailure(err) || err.code === GrpcCode.Unavailable || err.code === GrpcCode.DeadlineExceeded)) {
          if (endpoint && isTransportFailure(err)) this.transport.reportFailure(endpoint);
          this.emit('disconnected', err);
        } else {
          this.fail(err instanceof Error ? err : new Error(String(err)));
          return;
        }
      } finally {
        this.call = undefined;
      }
      if (this.closed) return;
      await new Promise((r) => setTimeout(r, backoff));
      backoff = Math.min(backoff * 2, RECONNECT_MAX_MS);
    }
  }
}

export class Watch {
  private readonly watchers = new Set<Watcher>();
  constructor(private readonly transport: Transport) {}

  watch(key: Bytes, opts: WatchOptions = {}): Watcher {
    const w = new Watcher(this.transport, toBytes(key), opts);
    this.watchers.add(w);
    const forget = () => this.watchers.delete(w);
    w.once('error', forget);
    return w;
  }

  async close(): Promise<void> {
    await Promise.all([...this.watchers].map((w) => w.cancel()));
    this.watchers.clear();
  }
}
