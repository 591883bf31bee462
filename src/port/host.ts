// The core thread's end of one edge thread's channel: calls arrive a turn's worth
// at a time and are answered from the member port; watch streams and observers
// send their responses back as they come, within the edge's flow-control window.
import { detach, type Memo } from './detach.js';
import { Link, type MessageEndpoint } from './link.js';
import type { Credentials, MemberPort, WatchDelivery, WatchOutlet, WatchStreamPort } from './member-port.js';
import { toWireError, type CoreMessage, type EdgeMessage, type WatchOp } from './protocol.js';
import { PLAIN_ERROR, WATCH_WINDOW } from './remote.js';
import { readPacked, PackedKind } from './packed.js';
import { EtcdError } from '../rpctypes/errors.js';

export interface PortHostLog {
  (level: 'debug' | 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>): void;
}

export class PortHost {
  private readonly link: Link<CoreMessage, EdgeMessage>;
  private readonly aborts = new Map<number, AbortController>();
  private readonly files = new Map<number, () => void>();
  private readonly streams = new Map<number, HostWatch>();
  private readonly metricsWaits = new Map<number, (json: unknown[]) => void>();
  private nextMetrics = 1;
  private closed = false;
  /** Shared objects (watch events) detached once for every stream that sends them. */
  private readonly memo: Memo = new WeakMap();

  constructor(
    endpoint: MessageEndpoint,
    private readonly port: MemberPort,
    private readonly log: PortHostLog,
  ) {
    this.link = new Link(endpoint, (batch, packed) => {
      if (packed) this.receivePacked(packed);
      for (const m of batch) this.receive(m);
    });
  }

  /** This edge thread's metrics, or nothing if it does not answer within the time given. */
  edgeMetrics(timeoutMs: number): Promise<unknown[]> {
    if (this.closed) return Promise.resolve([]);
    const id = this.nextMetrics++;
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.metricsWaits.delete(id);
        resolve([]);
      }, timeoutMs);
      this.metricsWaits.set(id, (json) => {
        clearTimeout(t);
        resolve(json);
      });
      this.link.send({ t: 'metrics?', id });
    });
  }

  /** The edge thread is gone: its streams close, its calls are abandoned, its files released. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const w of this.streams.values()) w.stream.close();
    this.streams.clear();
    for (const a of this.aborts.values()) a.abort();
    for (const release of this.files.values()) release();
    this.files.clear();
    for (const done of this.metricsWaits.values()) done([]);
    this.link.close();
  }

  /** Hot KV calls: request bytes in, response bytes (or the error) packed back. */
  private receivePacked(buffer: ArrayBuffer): void {
    for (const r of readPacked(buffer)) {
      if (r.kind !== PackedKind.Call) continue;
      const { id } = r;
      let p: Promise<Uint8Array>;
      try {
        p = this.port[r.method](r.payload, { token: r.token, commonName: r.commonName });
      } catch (err) {
        p = Promise.reject(err);
      }
      p.then(
        (bytes) => {
          this.link.packed.answer(id, bytes);
          this.link.packedWritten();
        },
        (err) => {
          if (err instanceof EtcdError) this.link.packed.error(id, err.code, err.message);
          else this.link.packed.error(id, PLAIN_ERROR, err instanceof Error ? err.message : String(err));
          this.link.packedWritten();
        },
      );
    }
  }

  private receive(m: EdgeMessage): void {
    switch (m.t) {
      case 'call':
        return this.answer(m.id, () => this.invoke(m.method, m.args, m.id));
      case 'observe': {
        const ac = this.track(m.id);
        const [req, who] = m.args as [{ name: Uint8Array }, Credentials];
        return this.answer(m.id, () => this.port.observe(req, who, (r) => this.link.send({ t: 'item', id: m.id, value: detach(r, this.memo) }), ac.signal));
      }
      case 'snapshot': {
        const ac = this.track(m.id);
        return this.answer(m.id, async () => {
          const f = await this.port.snapshot(m.args[0] as Credentials, ac.signal);
          if (this.closed) f.release();
          else this.files.set(m.id, f.release);
          return { path: f.path, size: f.size, version: f.version };
        });
      }
      case 'abort':
        this.aborts.get(m.id)?.abort();
        return;
      case 'release': {
        const release = this.files.get(m.id);
        this.files.delete(m.id);
        release?.();
        return;
      }
      case 'watch':
        return this.watchOp(m.stream, m.op, m.arg);
      case 'metrics': {
        const done = this.metricsWaits.get(m.id);
        this.metricsWaits.delete(m.id);
        done?.(m.json);
        return;
      }
      case 'log':
        this.log(m.level, m.msg, m.fields);
        return;
    }
  }

  private invoke(method: string, args: unknown[], id: number): Promise<unknown> {
    const fn = (this.port as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[method];
    if (typeof fn !== 'function') return Promise.reject(new Error(`member port: no method ${method}`));
    if (method === 'lock' || method === 'campaign') return fn.call(this.port, ...args, this.track(id).signal);
    if (method === 'health') return fn.call(this.port, new Set(args[0] as string[]));
    return fn.apply(this.port, args);
  }

  private track(id: number): AbortController {
    const ac = new AbortController();
    this.aborts.set(id, ac);
    return ac;
  }

  private answer(id: number, run: () => Promise<unknown>): void {
    let p: Promise<unknown>;
    try {
      p = run();
    } catch (err) {
      p = Promise.reject(err);
    }
    p.then(
      (value) => {
        this.aborts.delete(id);
        this.link.send({ t: 'ok', id, value: detach(value, new WeakMap()) });
      },
      (err) => {
        this.aborts.delete(id);
        this.link.send({ t: 'err', id, error: toWireError(err) });
      },
    );
  }

  private watchOp(id: number, op: WatchOp, arg: unknown): void {
    if (op === 'open') {
      const w = new HostWatch((r) => {
        if (r instanceof Uint8Array) this.link.packed.watch(id, r);
        else this.link.packed.watchShared(id, r);
        this.link.packedWritten();
      });
      w.stream = this.port.openWatch(arg as Credentials, w.outlet);
      this.streams.set(id, w);
      return;
    }
    const w = this.streams.get(id);
    if (w === undefined) return;
    switch (op) {
      case 'watch':
        return w.stream.watch(arg as Parameters<WatchStreamPort['watch']>[0]);
      case 'cancel':
        return w.stream.cancel(arg as number);
      case 'progress':
        return w.stream.requestProgress();
      case 'ack':
        return w.ack(arg as number);
      case 'close':
        this.streams.delete(id);
        return w.stream.close();
    }
  }
}

/** One edge watch stream on the core: its responses counted until the edge acknowledges them. */
class HostWatch {
  stream!: WatchStreamPort;
  private unacked = 0;
  /** The hub was told to hold off; it is told to resume once the window has room. */
  private held = false;

  constructor(private readonly send: (r: WatchDelivery) => void) {}

  readonly outlet: WatchOutlet = (r) => {
    this.send(r);
    this.unacked++;
    if (this.unacked < WATCH_WINDOW) return true;
    this.held = true;
    return false;
  };

  ack(n: number): void {
    this.unacked -= n;
    if (this.held && this.unacked < WATCH_WINDOW / 2) {
      this.held = false;
      this.stream.drained();
    }
  }
}
