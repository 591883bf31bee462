// A traffic client: one member's connection whose every call lands in the history,
// with the call's interval on the shared clock and what came back. A call that
// fails with an error saying it had no effect is recorded with its return; any
// other failure leaves the outcome unknown (no return).
import type * as grpc from '@grpc/grpc-js';
import { connect, definitelyFailed, describeError, type Conn, type Msg } from './conn.js';
import { now, toKeyValue, type Op, type Request, type Response, type WatchRecord, type WatchResponse } from './history.js';

export interface Recorder {
  ops: Op[];
  watches: WatchRecord[];
}

const hexId = (id: string) => BigInt('0x' + id).toString();

function header(res: Msg): number {
  const r = Number(res.header?.revision);
  if (!Number.isSafeInteger(r) || r <= 0) throw new Error(`response without a header revision: ${JSON.stringify(res.header)}`);
  return r;
}

export class TrafficClient {
  readonly conn: Conn;

  constructor(
    readonly id: number,
    endpoint: string,
    private readonly rec: Recorder,
    private readonly timeoutMs: number,
  ) {
    this.conn = connect(endpoint);
  }

  close(): void {
    this.conn.close();
  }

  /** Runs and records one request; resolves to its response, or undefined when it failed. */
  private async record(req: Request, call: () => Promise<Response>): Promise<Response | undefined> {
    const op: Op = { client: this.id, call: now(), req };
    this.rec.ops.push(op);
    try {
      const resp = await call();
      op.return = now();
      op.resp = resp;
      return resp;
    } catch (err) {
      op.error = describeError(err);
      if (definitelyFailed(err)) op.return = now();
      return undefined;
    }
  }

  range(key: string, o: { end?: string; revision?: number; serializable?: boolean; limit?: number } = {}): Promise<Response | undefined> {
    const req: Request = { type: 'range', key, ...o };
    return this.record(req, async () => {
      const res = await this.conn.range(
        { key: Buffer.from(key), rangeEnd: o.end === undefined ? Buffer.alloc(0) : Buffer.from(o.end), revision: String(o.revision ?? 0), serializable: o.serializable ?? false, limit: String(o.limit ?? 0) },
        this.timeoutMs,
      );
      return { revision: header(res), kvs: (res.kvs ?? []).map(toKeyValue), more: !!res.more, count: Number(res.count) };
    });
  }

  put(key: string, value: string, lease?: string): Promise<Response | undefined> {
    return this.record({ type: 'put', key, value, ...(lease ? { lease } : {}) }, async () => {
      const res = await this.conn.put({ key: Buffer.from(key), value: Buffer.from(value), lease: lease ? hexId(lease) : '0' }, this.timeoutMs);
      return { revision: header(res) };
    });
  }

  delete(key: string): Promise<Response | undefined> {
    return this.record({ type: 'delete', key }, async () => {
      const res = await this.conn.deleteRange({ key: Buffer.from(key) }, this.timeoutMs);
      return { revision: header(res), deleted: Number(res.deleted) };
    });
  }

  /** If the key's mod revision (or value) is as given, put or delete it; else read it (kube-apiserver's guarded update). */
  txn(key: string, compare: { modRevision: number } | { value: string | null }, then: { put: string; lease?: string } | { delete: true }): Promise<Response | undefined> {
    return this.record({ type: 'txn', key, compare, then }, async () => {
      const k = Buffer.from(key);
      const cmp =
        'modRevision' in compare
          ? { key: k, target: 'MOD', result: 'EQUAL', modRevision: String(compare.modRevision) }
          : compare.value === null
            ? { key: k, target: 'CREATE', result: 'EQUAL', createRevision: '0' }
            : { key: k, target: 'VALUE', result: 'EQUAL', value: Buffer.from(compare.value) };
      const op = 'put' in then ? { requestPut: { key: k, value: Buffer.from(then.put), lease: then.lease ? hexId(then.lease) : '0' } } : { requestDeleteRange: { key: k } };
      const res = await this.conn.txn({ compare: [cmp], success: [op], failure: [{ requestRange: { key: k } }] }, this.timeoutMs);
      const out: Response = { revision: header(res), succeeded: res.succeeded === true };
      if (!out.succeeded) out.kvs = (res.responses?.[0]?.responseRange?.kvs ?? []).map(toKeyValue);
      return out;
    });
  }

  leaseGrant(id: string, ttl: number): Promise<Response | undefined> {
    return this.record({ type: 'leaseGrant', id, ttl }, async () => {
      const res = await this.conn.leaseGrant({ ID: hexId(id), TTL: String(ttl) }, this.timeoutMs);
      if (res.error) throw new Error(res.error);
      return { revision: header(res) };
    });
  }

  leaseRevoke(id: string): Promise<Response | undefined> {
    return this.record({ type: 'leaseRevoke', id }, async () => ({ revision: header(await this.conn.leaseRevoke({ ID: hexId(id) }, this.timeoutMs)) }));
  }

  compact(revision: number): Promise<Response | undefined> {
    return this.record({ type: 'compact', revision }, async () => ({ revision: header(await this.conn.compact({ revision: String(revision), physical: false }, this.timeoutMs)) }));
  }

  lock(name: string, lease: string, timeoutMs: number): Promise<Response | undefined> {
    return this.record({ type: 'lock', name, lease }, async () => {
      const res = await this.conn.lock({ name: Buffer.from(name), lease: hexId(lease) }, timeoutMs);
      return { revision: header(res), key: Buffer.from(res.key).toString('utf8') };
    });
  }

  unlock(key: string): Promise<Response | undefined> {
    return this.record({ type: 'unlock', key }, async () => ({ revision: header(await this.conn.unlock({ key: Buffer.from(key) }, this.timeoutMs)) }));
  }

  campaign(name: string, value: string, lease: string, timeoutMs: number): Promise<Response | undefined> {
    return this.record({ type: 'campaign', name, value, lease }, async () => {
      const res = await this.conn.campaign({ name: Buffer.from(name), lease: hexId(lease), value: Buffer.from(value) }, timeoutMs);
      const l = res.leader ?? {};
      return { revision: header(res), key: Buffer.from(l.key ?? []).toString('utf8'), keyRevision: Number(l.rev ?? 0) };
    });
  }

  resign(leaderKey: string, leaderRev: number, name: string, lease: string): Promise<Response | undefined> {
    return this.record({ type: 'resign', leaderKey, leaderRev }, async () => {
      const res = await this.conn.resign({ leader: { name: Buffer.from(name), key: Buffer.from(leaderKey), rev: String(leaderRev), lease: hexId(lease) } }, this.timeoutMs);
      return { revision: header(res) };
    });
  }

  leader(name: string): Promise<Response | undefined> {
    return this.record({ type: 'leader', name }, async () => {
      const res = await this.conn.leader({ name: Buffer.from(name) }, this.timeoutMs);
      return { revision: header(res), kvs: res.kv ? [toKeyValue(res.kv)] : [] };
    });
  }

  /**
   * Opens one watch and records what it delivers until `stop()`; `requestProgress()`
   * asks for a progress notification (kube-apiserver does while it waits).
   */
  watch(o: { key: string; end?: string; startRevision: number; prevKv: boolean; filters?: Array<'NOPUT' | 'NODELETE'>; progressNotify?: boolean }): ActiveWatch {
    const record: WatchRecord = {
      client: this.id,
      endpoint: this.conn.endpoint,
      key: o.key,
      ...(o.end === undefined ? {} : { end: o.end }),
      startRevision: o.startRevision,
      prevKv: o.prevKv,
      filters: o.filters ?? [],
      progressNotify: o.progressNotify ?? false,
      call: now(),
      responses: [],
    };
    this.rec.watches.push(record);
    return new ActiveWatch(this.conn.watch(), record, o);
  }
}

export class ActiveWatch {
  private done = false;
  private closedResolve!: () => void;
  /** Resolves once the stream has ended (by stop(), an error or the server). */
  readonly closed = new Promise<void>((r) => (this.closedResolve = r));
  private waiters: Array<() => void> = [];

  constructor(
    private readonly stream: grpc.ClientDuplexStream<Msg, Msg>,
    readonly record: WatchRecord,
    o: { key: string; end?: string; startRevision: number; prevKv: boolean; filters?: Array<'NOPUT' | 'NODELETE'>; progressNotify?: boolean },
  ) {
    stream.on('data', (m: Msg) => this.onResponse(m));
    stream.on('error', (err) => this.finish(describeError(err)));
    stream.on('end', () => this.finish('stream ended'));
    stream.write({
      createRequest: {
        key: Buffer.from(o.key),
        rangeEnd: o.end === undefined ? Buffer.alloc(0) : Buffer.from(o.end),
        startRevision: String(o.startRevision),
        prevKv: o.prevKv,
        filters: o.filters ?? [],
        progressNotify: o.progressNotify ?? false,
      },
    });
  }

  get ended(): boolean {
    return this.done;
  }

  /** The last revision this stream is known to be complete up to (events or progress), or startRevision - 1. */
  get observedRevision(): number {
    let r = this.record.startRevision - 1;
    for (const resp of this.record.responses) {
      if (resp.progress) r = Math.max(r, resp.revision);
      for (const e of resp.events) r = Math.max(r, e.kv.modRevision);
    }
    return r;
  }

  requestProgress(): void {
    if (!this.done) this.stream.write({ progressRequest: {} });
  }

  /** Waits for the next response (or the end), at most `ms`. */
  next(ms: number): Promise<void> {
    if (this.done) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      this.waiters.push(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  stop(): Promise<void> {
    if (!this.done) {
      this.finish(undefined);
      this.stream.cancel();
    }
    return this.closed;
  }

  private onResponse(m: Msg): void {
    if (this.done) return;
    const events = (m.events ?? []).map((e: Msg) => ({
      type: e.type === 'DELETE' || e.type === 1 ? 'DELETE' : 'PUT',
      kv: toKeyValue(e.kv),
      ...(e.prevKv ? { prevKv: toKeyValue(e.prevKv) } : {}),
    }));
    const resp: WatchResponse = {
      time: now(),
      revision: Number(m.header?.revision ?? 0),
      events,
      progress: events.length === 0 && !m.created && !m.canceled,
      created: !!m.created,
      canceled: !!m.canceled,
      compactRevision: Number(m.compactRevision ?? 0),
      ...(m.cancelReason ? { cancelReason: m.cancelReason } : {}),
    };
    this.record.responses.push(resp);
    if (resp.canceled) this.finish(`canceled${resp.compactRevision ? ` (compacted at ${resp.compactRevision})` : ''}${resp.cancelReason ? `: ${resp.cancelReason}` : ''}`);
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  private finish(why: string | undefined): void {
    if (this.done) return;
    this.done = true;
    if (why !== undefined) this.record.ended = why;
    for (const f of this.waiters) f();
    this.waiters = [];
    this.closedResolve();
  }
}
