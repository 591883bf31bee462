// etcd's TCP gateway (`etcd gateway start`): a layer-4 proxy that forwards each client
// connection to one of the cluster's endpoints, as is, both ways. An endpoint that
// refuses a connection is set aside and tried again every --retry-delay.
import { connect, type Server, type Socket } from 'node:net';
import type { Logger } from '../pkg/logger.js';
import { pick, type Endpoint, type PickState } from './pick.js';

export interface ProxyTarget {
  host: string;
  port: number;
  priority?: number;
  weight?: number;
}

export interface TcpProxyOptions {
  listener: Server;
  targets: readonly ProxyTarget[];
  /** How long a refusing endpoint stays inactive before it is tried again. */
  retryDelayMs: number;
  logger: Logger;
  /** Integer in [0, n); Math.random by default. */
  random?: (n: number) => number;
}

/** Go's net.Dial error text for the common refusals, which etcd logs. */
function dialError(addr: string, err: NodeJS.ErrnoException): string {
  if (err.code === 'ECONNREFUSED') return `dial tcp ${addr}: connect: connection refused`;
  if (err.code === 'ETIMEDOUT') return `dial tcp ${addr}: i/o timeout`;
  return `dial tcp ${addr}: ${err.message}`;
}

export class TcpProxy {
  private readonly endpoints: Endpoint[];
  private readonly state: PickState = { count: 0 };
  private monitor?: NodeJS.Timeout;
  private readonly sockets = new Set<Socket>();
  private readonly random: (n: number) => number;

  constructor(private readonly opts: TcpProxyOptions) {
    if (opts.targets.length === 0) throw new Error('tcpproxy: no endpoints');
    this.endpoints = opts.targets.map((t) => ({ addr: `${t.host}:${t.port}`, priority: t.priority ?? 0, weight: t.weight ?? 0, active: true }));
    this.random = opts.random ?? ((n) => Math.floor(Math.random() * n));
  }

  run(): void {
    const seconds = this.opts.retryDelayMs / 1000;
    this.opts.logger.info('ready to proxy client requests', { endpoints: this.endpoints.map((e) => e.addr) });
    this.monitor = setInterval(() => this.reactivate(seconds), this.opts.retryDelayMs);
    this.opts.listener.on('connection', (s: Socket) => void this.serve(s));
  }

  private track(s: Socket): void {
    this.sockets.add(s);
    s.once('close', () => this.sockets.delete(s));
  }

  private async serve(inbound: Socket): Promise<void> {
    this.track(inbound);
    inbound.pause();
    inbound.on('error', () => inbound.destroy());
    for (;;) {
      const e = pick(this.endpoints, this.state, this.random);
      if (e === undefined) return void inbound.destroy();
      const out = await this.dial(e.addr).catch((err: NodeJS.ErrnoException) => {
        e.active = false;
        this.opts.logger.warn('deactivated endpoint', { address: e.addr, interval: this.opts.retryDelayMs / 1000, error: dialError(e.addr, err) });
        return undefined;
      });
      if (out === undefined) continue;
      if (inbound.destroyed) return void out.destroy();
      this.track(out);
      out.on('error', () => out.destroy());
      // Either side closing closes both, as etcd's two io.Copy goroutines do.
      out.once('close', () => inbound.destroy());
      inbound.once('close', () => out.destroy());
      inbound.pipe(out);
      out.pipe(inbound);
      inbound.resume();
      return;
    }
  }

  private dial(addr: string): Promise<Socket> {
    const i = addr.lastIndexOf(':');
    const host = addr.slice(0, i).replace(/^\[(.*)\]$/, '$1');
    const port = Number(addr.slice(i + 1));
    return new Promise((resolve, reject) => {
      const s = connect({ host, port });
      s.setNoDelay(true);
      s.once('connect', () => {
        s.removeListener('error', reject);
        resolve(s);
      });
      s.once('error', reject);
    });
  }

  private reactivate(seconds: number): void {
    for (const e of this.endpoints) {
      if (e.active) continue;
      this.dial(e.addr).then(
        (s) => {
          s.destroy();
          e.active = true;
          this.opts.logger.info('activated', { address: e.addr });
        },
        (err: NodeJS.ErrnoException) => {
          this.opts.logger.warn('failed to activate endpoint (stay inactive for another interval)', { address: e.addr, interval: seconds, error: dialError(e.addr, err) });
        },
      );
    }
  }

  async stop(): Promise<void> {
    if (this.monitor) clearInterval(this.monitor);
    await new Promise<void>((r) => this.opts.listener.close(() => r()));
    for (const s of this.sockets) s.destroy();
  }
}
