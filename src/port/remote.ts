// The member port as an edge thread sees it: every call becomes a message to the
// core thread's PortHost and its answer a message back. Watch streams keep their
// flow control across the threads: the core sends no more than a window of
// responses ahead of what this side has handed to its outlet.
import type * as kv from '../pb/kv.js';
import type { WatchCreate } from '../watch/types.js';
import { Link, type MessageEndpoint } from './link.js';
import type { Credentials, MemberPort, SnapshotFile, WatchOutlet, WatchStreamPort } from './member-port.js';
import { detach } from './detach.js';
import { fromWireError, type CallMethod, type CoreMessage, type EdgeMessage, type WatchOp } from './protocol.js';
import { readPacked, PackedKind, type PackedMethod } from './packed.js';
import { composeWatchResponse } from '../pb/watch-wire.js';

interface Pending {
  resolve(v: unknown): void;
  reject(e: unknown): void;
  item?: (v: unknown) => void;
}

/** Answers the core's request for this thread's metrics (prom-client's JSON form). */
export type MetricsSource = () => Promise<unknown[]>;

export class RemotePort {
  private readonly link: Link<EdgeMessage, CoreMessage>;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly streams = new Map<number, RemoteWatch>();
  private nextStream = 1;
  private closed = false;

  /** The port itself: MemberPort's methods, each forwarded to the core. */
  readonly port: MemberPort;

  constructor(endpoint: MessageEndpoint, private readonly metricsSource: MetricsSource) {
    this.link = new Link(endpoint, (batch, packed) => {
      if (packed) this.receivePacked(packed);
      for (const m of batch) this.receive(m);
    });
    this.port = this.buildPort();
  }

  /** A log line for the core thread's logger. */
  log(level: 'debug' | 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>): void {
    this.link.send({ t: 'log', level, msg, fields: fields && detach(fields, new WeakMap()) });
  }

  /** Fails every call still waiting (the core is gone). */
  close(reason: Error): void {
    if (this.closed) return;
    this.closed = true;
    for (const p of this.pending.values()) p.reject(reason);
    this.pending.clear();
    this.link.close();
  }

  private receive(m: CoreMessage): void {
    switch (m.t) {
      case 'ok': {
        const p = this.pending.get(m.id);
        this.pending.delete(m.id);
        p?.resolve(m.value);
        return;
      }
      case 'err': {
        const p = this.pending.get(m.id);
        this.pending.delete(m.id);
        p?.reject(fromWireError(m.error));
        return;
      }
      case 'item':
        this.pending.get(m.id)?.item?.(m.value);
        return;
      case 'metrics?':
        void this.metricsSource().then(
          (json) => this.link.send({ t: 'metrics', id: m.id, json }),
          () => this.link.send({ t: 'metrics', id: m.id, json: [] }),
        );
        return;
    }
  }

  /** Answers to packed calls: the response bytes, or the error. */
  private receivePacked(buffer: ArrayBuffer): void {
    for (const r of readPacked(buffer)) {
      if (r.kind === PackedKind.Watch) {
        this.streams.get(r.id)?.deliver(r.payload);
        continue;
      }
      if (r.kind === PackedKind.WatchShared) {
        this.streams.get(r.id)?.deliver(composeWatchResponse(r.header, r.watchId, r.events));
        continue;
      }
      const p = this.pending.get(r.id);
      this.pending.delete(r.id);
      if (p === undefined) continue;
      if (r.kind === PackedKind.Answer) p.resolve(r.payload);
      else if (r.kind === PackedKind.Error) p.reject(r.code === PLAIN_ERROR ? new Error(r.message) : fromWireError({ code: r.code, message: r.message }));
    }
  }

  /** A hot KV call: its request bytes go packed with the turn's others. */
  private packedCall(method: PackedMethod, req: Uint8Array, who: Credentials): Promise<any> {
    if (this.closed) return Promise.reject(new Error('member port closed'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.link.packed.call(id, method, who.token, who.commonName, req);
      this.link.packedWritten();
    });
  }

  private request(make: (id: number) => EdgeMessage, item?: (v: unknown) => void, signal?: AbortSignal): Promise<any> {
    if (this.closed) return Promise.reject(new Error('member port closed'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, item });
      this.link.send(make(id));
      if (signal) {
        const abort = () => this.pending.has(id) && this.link.send({ t: 'abort', id });
        if (signal.aborted) abort();
        else signal.addEventListener('abort', abort, { once: true });
      }
    });
  }

  private call(method: CallMethod, args: unknown[], signal?: AbortSignal): Promise<any> {
    const sent = detach(args, new WeakMap());
    return this.request((id) => ({ t: 'call', id, method, args: sent }), undefined, signal);
  }

  /** @internal */
  watchOp(stream: number, op: WatchOp, arg?: unknown): void {
    this.link.send({ t: 'watch', stream, op, arg: detach(arg, new WeakMap()) });
  }

  /** @internal */
  forget(stream: number): void {
    this.streams.delete(stream);
  }

  private buildPort(): MemberPort {
    const c = (method: CallMethod) => (...args: unknown[]) => this.call(method, args);
    const signalled = (method: CallMethod) => (req: unknown, who: Credentials, signal: AbortSignal) => this.call(method, [req, who], signal);
    return {
      range: (req: Uint8Array, who: Credentials) => this.packedCall('range', req, who),
      put: (req: Uint8Array, who: Credentials) => this.packedCall('put', req, who),
      deleteRange: (req: Uint8Array, who: Credentials) => this.packedCall('deleteRange', req, who),
      txn: (req: Uint8Array, who: Credentials) => this.packedCall('txn', req, who),
      compact: c('compact'),
      openWatch: (who: Credentials, out: WatchOutlet): WatchStreamPort => {
        const id = this.nextStream++;
        const w = new RemoteWatch(this, id, out);
        this.streams.set(id, w);
        this.watchOp(id, 'open', who);
        return w;
      },
      leaseGrant: c('leaseGrant'),
      leaseRevoke: c('leaseRevoke'),
      leaseKeepAlive: (req: Uint8Array, who: Credentials) => this.packedCall('leaseKeepAlive', req, who),
      leaseTimeToLive: c('leaseTimeToLive'),
      leaseLeases: c('leaseLeases'),
      memberList: c('memberList'),
      memberAdd: c('memberAdd'),
      memberRemove: c('memberRemove'),
      memberUpdate: c('memberUpdate'),
      memberPromote: c('memberPromote'),
      status: c('status'),
      hash: c('hash'),
      hashKV: c('hashKV'),
      moveLeader: c('moveLeader'),
      alarm: c('alarm'),
      defragment: c('defragment'),
      downgrade: c('downgrade'),
      snapshot: async (who: Credentials, signal: AbortSignal): Promise<SnapshotFile> => {
        let id = 0;
        const f = (await this.request((i) => ((id = i), { t: 'snapshot', id: i, args: [detach(who, new WeakMap())] }), undefined, signal)) as { path: string; size: number; version?: string };
        return { path: f.path, size: f.size, version: f.version, release: () => this.link.send({ t: 'release', id }) };
      },
      authenticate: c('authenticate'),
      authRequest: c('authRequest'),
      lock: signalled('lock'),
      unlock: c('unlock'),
      campaign: signalled('campaign'),
      proclaim: c('proclaim'),
      leader: c('leader'),
      resign: c('resign'),
      observe: (req: { name: Uint8Array }, who: Credentials, out: (r: { header: kv.ResponseHeader; kv?: kv.KeyValue }) => void, signal: AbortSignal) =>
        this.request((id) => ({ t: 'observe', id, args: detach([req, who], new WeakMap()) }), out as (v: unknown) => void, signal),
      health: (exclude: ReadonlySet<string>) => this.call('health', [[...exclude]]),
      healthChecks: c('healthChecks'),
      version: c('version'),
      metricsText: c('metricsText'),
    } as MemberPort;
  }
}

/** The error code a packed answer gives for an error that is not etcd's (no gRPC code). */
export const PLAIN_ERROR = 255;

/** Responses the core may send ahead of the edge's acknowledgement. */
export const WATCH_WINDOW = 256;

class RemoteWatch implements WatchStreamPort {
  private closed = false;
  /** The outlet said "full": responses delivered since are acknowledged only once it drains. */
  private blocked = false;
  private unacked = 0;
  /** Responses passed on and not yet acknowledged: one ack per batch of them, not per response. */
  private passed = 0;

  constructor(
    private readonly remote: RemotePort,
    private readonly id: number,
    private readonly out: WatchOutlet,
  ) {}

  deliver(r: Uint8Array): void {
    if (this.closed) return;
    const room = this.out(r);
    if (this.blocked || !room) {
      this.blocked = true;
      this.unacked++;
      return;
    }
    if (this.passed++ === 0) queueMicrotask(this.ackPassed);
  }

  /** Runs once the batch that delivered the responses is done: a fan-out of many events costs one ack message. */
  private readonly ackPassed = (): void => {
    const n = this.passed;
    this.passed = 0;
    if (!this.closed && n > 0) this.remote.watchOp(this.id, 'ack', n);
  };

  watch(req: WatchCreate): void {
    if (!this.closed) this.remote.watchOp(this.id, 'watch', req);
  }
  cancel(watchId: number): void {
    if (!this.closed) this.remote.watchOp(this.id, 'cancel', watchId);
  }
  requestProgress(): void {
    if (!this.closed) this.remote.watchOp(this.id, 'progress');
  }
  drained(): void {
    if (this.closed || !this.blocked) return;
    this.blocked = false;
    const n = this.unacked;
    this.unacked = 0;
    this.remote.watchOp(this.id, 'ack', n);
  }
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.remote.watchOp(this.id, 'close');
    this.remote.forget(this.id);
  }
}
