// Calls to a set of endpoints: picks a reachable member, fails over when one goes
// away, carries the auth token (and renews it when the server says it is invalid),
// retries only what is safe to repeat, and honours deadlines and AbortSignals.
import { connect as tcpConnect, type Socket } from 'node:net';
import { GrpcClient, type ClientCall, type ClientMetadata } from '../grpc/client.js';
import { codec } from '../pb/codec.js';
import { EtcdError, Errors, GrpcCode } from '../rpctypes/errors.js';
import { parseEndpoint, tlsConnectionOptions, type Endpoint, type TlsOptions } from './endpoint.js';

export interface TransportOptions {
  endpoints: string[];
  /** Bound on reaching some member before a call fails. Default 2000 ms (etcdctl's). */
  dialTimeoutMs?: number;
  tls?: TlsOptions;
  username?: string;
  password?: string;
  maxRecvMessageBytes?: number;
  /** Told of every failed unary attempt (etcdctl logs these as clientv3's retry interceptor does). */
  onCallError?: (info: { path: string; endpoint: Endpoint; attempt: number; error: EtcdError }) => void;
}

export interface CallOptions {
  /** Whole-call deadline, failover and retries included. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface UnaryOptions extends CallOptions {
  /** Safe to send again after a failure that may have reached the server (reads). */
  idempotent: boolean;
}

const BACKOFF_MS = 50;
const SERVER_DEADLINE_SLACK_MS = 100;
const BACKOFF_MAX_MS = 500;

export const canceledError = () => new EtcdError(GrpcCode.Canceled, 'context canceled');
export const deadlineError = () => new EtcdError(GrpcCode.DeadlineExceeded, 'context deadline exceeded');

/** No member accepted a connection before the deadline: nothing was sent. */
export class DialError extends EtcdError {
  constructor() {
    super(GrpcCode.DeadlineExceeded, 'context deadline exceeded');
  }
}

/** Unavailable raised by the transport (connection lost or refused), not by etcd itself. */
export function isTransportFailure(err: unknown): boolean {
  return err instanceof EtcdError && err.code === GrpcCode.Unavailable && !err.message.startsWith('etcdserver:');
}

/**
 * The request never left this process: the HTTP/2 session failed to connect, so
 * the stream stayed pending. Safe to resend anywhere, writes included.
 */
export function neverSent(err: unknown): boolean {
  return isTransportFailure(err) && /The pending stream has been canceled|connect E(CONNREFUSED|HOSTUNREACH|NETUNREACH|TIMEDOUT)/.test((err as Error).message);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(canceledError());
    const onAbort = () => {
      clearTimeout(t);
      reject(canceledError());
    };
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

interface Slot {
  endpoint: Endpoint;
  client?: GrpcClient;
  /** A TCP connection succeeded since the last transport failure. */
  reachable: boolean;
}

export class Transport {
  readonly endpoints: readonly Endpoint[];
  private readonly slots: Slot[];
  private current = 0;
  private token?: string;
  private authenticating?: Promise<void>;
  private closed = false;
  readonly dialTimeoutMs: number;

  constructor(private readonly opts: TransportOptions) {
    if (opts.endpoints.length === 0) throw new Error('etcdclient: no available endpoints');
    this.endpoints = opts.endpoints.map((e) => parseEndpoint(e, opts.tls !== undefined));
    this.slots = this.endpoints.map((endpoint) => ({ endpoint, reachable: false }));
    this.dialTimeoutMs = opts.dialTimeoutMs ?? 2000;
  }

  /** The endpoint calls currently go to. */
  get activeEndpoint(): Endpoint {
    return this.slots[this.current]!.endpoint;
  }

  /** One request, one response, with failover, re-authentication and safe retries. */
  async unary(path: string, req: Uint8Array, opts: UnaryOptions): Promise<Uint8Array> {
    const deadline = opts.timeoutMs !== undefined ? Date.now() + opts.timeoutMs : undefined;
    let reauthenticated = false;
    let backoff = BACKOFF_MS;
    let retries = 0;
    for (;;) {
      let slot: Slot;
      try {
        slot = await this.pick(deadline, opts.signal);
      } catch (err) {
        if (err instanceof EtcdError) this.opts.onCallError?.({ path, endpoint: this.slots[this.current]!.endpoint, attempt: retries, error: err });
        throw err;
      }
      // Authentication is a call of its own, with its own retries and reports.
      const metadata = await this.metadata(path, deadline, opts.signal);
      try {
        return await this.unaryOnce(slot, path, req, metadata, deadline, opts.signal);
      } catch (err) {
        if (!(err instanceof EtcdError)) throw err;
        this.opts.onCallError?.({ path, endpoint: slot.endpoint, attempt: retries, error: err });
        if (err.message === Errors.InvalidAuthToken.message && this.hasCredentials() && !reauthenticated) {
          // The server rejected the token before doing anything: renewing it and resending is safe.
          reauthenticated = true;
          this.token = undefined;
          continue;
        }
        const transport = isTransportFailure(err);
        if (transport) this.markDown(slot);
        if (!(opts.idempotent || neverSent(err)) || err.code !== GrpcCode.Unavailable) throw err;
        if (deadline === undefined && (!transport || retries >= 2 * this.slots.length)) throw err;
        retries++;
        const wait = Math.min(backoff, deadline === undefined ? backoff : deadline - Date.now());
        if (wait <= 0) throw err;
        if (!transport) await sleep(wait, opts.signal);
        backoff = Math.min(backoff * 2, BACKOFF_MAX_MS);
      }
    }
  }

  /**
   * Opens a stream on a reachable member. The caller owns reconnection: on a
   * transport failure it calls markDown() via reportFailure() and opens again.
   */
  async openStream(path: string, opts: CallOptions & { request?: Uint8Array }): Promise<{ call: ClientCall; endpoint: Endpoint }> {
    const deadline = opts.timeoutMs !== undefined ? Date.now() + opts.timeoutMs : undefined;
    const slot = await this.pick(deadline, opts.signal);
    const metadata = await this.metadata(path, deadline, opts.signal);
    const client = this.clientOf(slot);
    const call = opts.request !== undefined ? client.serverStream(path, opts.request, metadata) : client.bidi(path, metadata);
    return { call, endpoint: slot.endpoint };
  }

  /** Fetches a token now (when credentials are set) instead of on the first call. */
  async login(opts: CallOptions = {}): Promise<void> {
    if (!this.hasCredentials()) return;
    this.token = undefined;
    await this.metadata('', opts.timeoutMs !== undefined ? Date.now() + opts.timeoutMs : undefined, opts.signal);
  }

  /** Resolves once some member accepts connections, within the dial timeout (as a blocking dial). */
  async ready(opts: CallOptions = {}): Promise<void> {
    await this.pick(opts.timeoutMs !== undefined ? Date.now() + opts.timeoutMs : undefined, opts.signal);
  }

  /** A stream on this endpoint failed in transport: prefer another member next time. */
  reportFailure(endpoint: Endpoint): void {
    const slot = this.slots.find((s) => s.endpoint === endpoint);
    if (slot) this.markDown(slot);
  }

  /** A fresh token is needed (a stream was refused with "invalid auth token"). */
  invalidateToken(): void {
    this.token = undefined;
  }

  hasCredentials(): boolean {
    return this.opts.username !== undefined && this.opts.username !== '';
  }

  /** Sends every call to this endpoint (a member's own client, e.g. etcdctl endpoint status per endpoint). */
  pin(raw: string): void {
    const i = this.slots.findIndex((s) => s.endpoint.raw === raw);
    if (i < 0) throw new Error(`unknown endpoint ${raw}`);
    this.current = i;
  }

  close(): void {
    this.closed = true;
    for (const s of this.slots) {
      s.client?.close();
      s.client = undefined;
    }
  }

  private async metadata(path: string, deadline: number | undefined, signal?: AbortSignal): Promise<ClientMetadata | undefined> {
    if (!this.hasCredentials() || path === '/etcdserverpb.Auth/Authenticate') return undefined;
    if (this.token === undefined) {
      this.authenticating ??= this.authenticate(deadline, signal).finally(() => (this.authenticating = undefined));
      await this.authenticating;
    }
    return this.token === undefined ? undefined : { token: this.token };
  }

  private async authenticate(deadline: number | undefined, signal?: AbortSignal): Promise<void> {
    const req = codec<any>('etcdserverpb.AuthenticateRequest').encode({ name: this.opts.username, password: this.opts.password ?? '' });
    const res = await this.unary('/etcdserverpb.Auth/Authenticate', req, {
      idempotent: true,
      timeoutMs: deadline === undefined ? undefined : Math.max(1, deadline - Date.now()),
      signal,
    });
    this.token = codec<{ token: string }>('etcdserverpb.AuthenticateResponse').decode(res).token;
  }

  private unaryOnce(slot: Slot, path: string, req: Uint8Array, metadata: ClientMetadata | undefined, deadline: number | undefined, signal?: AbortSignal): Promise<Uint8Array> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(canceledError());
      const remaining = deadline === undefined ? undefined : deadline - Date.now();
      if (remaining !== undefined && remaining <= 0) return reject(deadlineError());
      let call: ClientCall;
      let timedOut = false;
      try {
        // The server's deadline trails ours a little, so a call that runs out of
        // time ends with the client's own "context deadline exceeded", as in Go.
        const md = remaining === undefined ? metadata : { ...metadata, 'grpc-timeout': `${Math.ceil(remaining) + SERVER_DEADLINE_SLACK_MS}m` };
        call = this.clientOf(slot).serverStream(path, req, md, undefined);
        if (remaining !== undefined) {
          const timer = setTimeout(() => {
            timedOut = true;
            call.cancel();
          }, remaining);
          call.once('error', () => clearTimeout(timer));
          call.once('end', () => clearTimeout(timer));
        }
      } catch (err) {
        return reject(err);
      }
      const onAbort = () => call.cancel();
      signal?.addEventListener('abort', onAbort, { once: true });
      let res: Uint8Array | undefined;
      call.on('data', (m: Uint8Array) => {
        res ??= m;
      });
      call.on('error', (err: EtcdError) => {
        signal?.removeEventListener('abort', onAbort);
        reject(timedOut ? deadlineError() : err);
      });
      call.on('end', () => {
        signal?.removeEventListener('abort', onAbort);
        if (res === undefined) reject(new EtcdError(GrpcCode.Internal, 'grpc: server returned no response message'));
        else {
          slot.reachable = true;
          resolve(res);
        }
      });
    });
  }

  private clientOf(slot: Slot): GrpcClient {
    if (this.closed) throw new EtcdError(GrpcCode.Canceled, 'grpc: the client connection is closing');
    if (!slot.client) {
      const e = slot.endpoint;
      const target = `${e.secure ? 'https' : 'http'}://${e.host.includes(':') ? `[${e.host}]` : e.host}:${e.port}`;
      slot.client = new GrpcClient(target, { tls: e.secure ? tlsConnectionOptions(this.opts.tls) : undefined, maxRecvMessageBytes: this.opts.maxRecvMessageBytes });
    }
    return slot.client;
  }

  private markDown(slot: Slot): void {
    slot.reachable = false;
    slot.client?.close();
    slot.client = undefined;
  }

  /**
   * A member that accepts TCP connections, starting from the current one. Nothing
   * is sent before this succeeds, so a write that fails here never reached a server.
   */
  private async pick(deadline: number | undefined, signal?: AbortSignal): Promise<Slot> {
    const dialDeadline = Math.min(deadline ?? Infinity, Date.now() + this.dialTimeoutMs);
    let backoff = BACKOFF_MS;
    for (;;) {
      if (this.closed) throw new EtcdError(GrpcCode.Canceled, 'grpc: the client connection is closing');
      for (let k = 0; k < this.slots.length; k++) {
        const i = (this.current + k) % this.slots.length;
        const slot = this.slots[i]!;
        if (signal?.aborted) throw canceledError();
        const left = dialDeadline - Date.now();
        if (left <= 0) break;
        if (slot.reachable || (await probe(slot.endpoint, left, signal))) {
          slot.reachable = true;
          this.current = i;
          return slot;
        }
      }
      const left = dialDeadline - Date.now();
      if (left <= 0) throw new DialError();
      await sleep(Math.min(backoff, left), signal);
      backoff = Math.min(backoff * 2, BACKOFF_MAX_MS);
    }
  }
}

/** True when a TCP connection to the endpoint opens within the time left. */
function probe(e: Endpoint, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    let settled = false;
    const sock: Socket = tcpConnect({ host: e.host, port: e.port });
    const finish = (ok: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      sock.destroy();
      resolve(ok);
    };
    const onAbort = () => finish(false);
    const timer = setTimeout(() => finish(false), Math.min(Math.max(1, timeoutMs), 10_000));
    signal?.addEventListener('abort', onAbort, { once: true });
    sock.once('connect', () => finish(true));
    sock.once('error', () => finish(false));
  });
}
