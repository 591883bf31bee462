// Lease: grant, revoke, time-to-live, list, and keep-alives over one stream per lease.
import { EventEmitter } from 'node:events';
import { EtcdError, Errors, GrpcCode } from '../rpctypes/errors.js';
import { streamMethod, unaryMethod, type ClientDefaults, type UnaryMethod } from './rpc.js';
import { isTransportFailure, type CallOptions, type Transport } from './transport.js';
import type { LeaseGrantResponse, LeaseKeepAliveResponse, LeaseLeasesResponse, LeaseRevokeResponse, LeaseTimeToLiveResponse } from './types.js';

/**
 * Keeps one lease alive, refreshing every TTL/3 s. Events: 'keepalive'
 * (LeaseKeepAliveResponse), 'lost' (EtcdError: expired, revoked, or unreachable
 * past the TTL). close() stops refreshing; the lease then expires on its own.
 */
export class LeaseKeepAlive extends EventEmitter {
  private closed = false;
  private timer?: NodeJS.Timeout;
  private call?: { cancel(): void };
  /** Local deadline after which the lease may have expired on the server. */
  deadline: number;

  constructor(
    private readonly transport: Transport,
    readonly id: bigint,
    ttlSeconds: number,
  ) {
    super();
    this.deadline = Date.now() + ttlSeconds * 1000;
    void this.run(ttlSeconds);
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.call?.cancel();
  }

  private lost(err: EtcdError): void {
    if (this.closed) return;
    this.close();
    this.emit('lost', err);
  }

  private async run(ttl: number): Promise<void> {
    const m = streamMethod<{ ID: bigint }, LeaseKeepAliveResponse>('etcdserverpb.Lease', 'LeaseKeepAlive');
    while (!this.closed) {
      if (Date.now() > this.deadline) return this.lost(Errors.LeaseNotFound);
      let endpoint;
      try {
        const opened = await this.transport.openStream(m.path, { timeoutMs: Math.max(1, this.deadline - Date.now()) });
        endpoint = opened.endpoint;
        const call = opened.call;
        this.call = call;
        if (this.closed) return call.cancel();
        const send = () => {
          if (!this.closed) call.write(m.request.encode({ ID: this.id }));
        };
        send();
        for await (const msg of call) {
          const r = m.response.decode(msg);
          if (r.TTL <= 0) return this.lost(Errors.LeaseNotFound);
          ttl = r.TTL;
          this.deadline = Date.now() + r.TTL * 1000;
          this.emit('keepalive', r);
          clearTimeout(this.timer);
          this.timer = setTimeout(send, Math.max(500, (r.TTL * 1000) / 3));
        }
      } catch (err) {
        if (this.closed) return;
        const e = err instanceof EtcdError ? err : new EtcdError(GrpcCode.Unknown, String(err));
        if (e.message === Errors.InvalidAuthToken.message) this.transport.invalidateToken();
        else if (e.code !== GrpcCode.Unavailable && e.code !== GrpcCode.DeadlineExceeded) return this.lost(e);
        else if (endpoint && isTransportFailure(e)) this.transport.reportFailure(endpoint);
      }
      clearTimeout(this.timer);
      if (!this.closed) await new Promise((r) => setTimeout(r, Math.min(500, (ttl * 1000) / 3)));
    }
  }
}

export class Lease {
  private readonly grantRpc: UnaryMethod<{ TTL: number; ID: bigint }, LeaseGrantResponse>;
  private readonly revokeRpc: UnaryMethod<{ ID: bigint }, LeaseRevokeResponse>;
  private readonly ttlRpc: UnaryMethod<{ ID: bigint; keys: boolean }, LeaseTimeToLiveResponse>;
  private readonly leasesRpc: UnaryMethod<object, LeaseLeasesResponse>;
  private readonly keepAlives = new Set<LeaseKeepAlive>();

  constructor(private readonly transport: Transport, defaults: ClientDefaults) {
    const m = <Q, R>(name: string, idempotent: boolean) => unaryMethod<Q, R>(transport, defaults, 'etcdserverpb.Lease', name, idempotent);
    this.grantRpc = m('LeaseGrant', false);
    this.revokeRpc = m('LeaseRevoke', false);
    this.ttlRpc = m('LeaseTimeToLive', true);
    this.leasesRpc = m('LeaseLeases', true);
  }

  /** Grants a lease of `ttlSeconds`; `id` 0n lets the server choose. */
  grant(ttlSeconds: number, opts: CallOptions & { id?: bigint } = {}): Promise<LeaseGrantResponse> {
    return this.grantRpc({ TTL: ttlSeconds, ID: opts.id ?? 0n }, opts);
  }

  revoke(id: bigint, opts?: CallOptions): Promise<LeaseRevokeResponse> {
    return this.revokeRpc({ ID: id }, opts);
  }

  timeToLive(id: bigint, opts: CallOptions & { keys?: boolean } = {}): Promise<LeaseTimeToLiveResponse> {
    return this.ttlRpc({ ID: id, keys: opts.keys ?? false }, opts);
  }

  leases(opts?: CallOptions): Promise<LeaseLeasesResponse> {
    return this.leasesRpc({}, opts);
  }

  /** One refresh, as `etcdctl lease keep-alive --once`. */
  async keepAliveOnce(id: bigint, opts: CallOptions = {}): Promise<LeaseKeepAliveResponse> {
    const m = streamMethod<{ ID: bigint }, LeaseKeepAliveResponse>('etcdserverpb.Lease', 'LeaseKeepAlive');
    const { call } = await this.transport.openStream(m.path, opts);
    const onAbort = () => call.cancel();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      call.write(m.request.encode({ ID: id }));
      for await (const msg of call) {
        const r = m.response.decode(msg);
        call.end();
        if (r.TTL <= 0) throw Errors.LeaseNotFound;
        return r;
      }
      throw new EtcdError(GrpcCode.Internal, 'keepalive stream closed without a response');
    } finally {
      opts.signal?.removeEventListener('abort', onAbort);
      call.cancel();
    }
  }

  /** Refreshes the lease until close() or until it is lost. */
  keepAlive(id: bigint, ttlSeconds = 5): LeaseKeepAlive {
    const k = new LeaseKeepAlive(this.transport, id, ttlSeconds);
    this.keepAlives.add(k);
    k.once('lost', () => this.keepAlives.delete(k));
    return k;
  }

  close(): void {
    for (const k of this.keepAlives) k.close();
    this.keepAlives.clear();
  }
}
