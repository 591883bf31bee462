// Round-trip probes between members, as etcd's rafthttp prober: every few seconds a
// GET of the peer's /raft/probing, timed, so etcd_network_peer_round_trip_time_seconds
// shows the network between members on the same dashboards as etcd's.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NodeId } from '../raft/types.js';
import type { Logger } from '../pkg/logger.js';
import { goTlsError } from '../tlsutil/verify.js';
import { peerRequest, type PeerTls } from './tls.js';

export const PATH_PROBING = '/raft/probing';
/** etcd: ConnReadTimeout (5 s) minus one second. */
export const PROBE_INTERVAL_MS = 4000;
const PROBE_TIMEOUT_MS = 5000;
/** etcd's statusErrorInterval: an unhealthy peer is reported this often. */
const UNHEALTHY_LOG_INTERVAL_MS = 5000;

/** What etcd's probing handler answers: that the member is up, and its clock. */
export function serveProbing(res: ServerResponse): void {
  // Go's json.Encoder ends with a newline; net/http sniffs the type as text.
  const body = JSON.stringify({ OK: true, Now: new Date().toISOString() }) + '\n';
  res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body) }).end(body);
}

export type RoundTripObserver = (to: NodeId, seconds: number) => void;

/** Probes one peer on a timer until stopped; the first probe goes out at once. */
export class PeerProber {
  private timer?: NodeJS.Timeout;
  private inflight = false;
  private stopped = false;
  private lastUnhealthyLog = 0;

  constructor(
    private readonly id: NodeId,
    private readonly urls: () => string[],
    private readonly observe: RoundTripObserver,
    private readonly tls?: PeerTls,
    private readonly intervalMs = PROBE_INTERVAL_MS,
    private readonly logger?: Logger,
  ) {
    this.probe();
  }

  /** As etcd's monitorProbingStatus, in its words: operators alert on this line. */
  private unhealthy(err: Error): void {
    const now = Date.now();
    if (this.stopped || !this.logger || now - this.lastUnhealthyLog < UNHEALTHY_LOG_INTERVAL_MS) return;
    this.lastUnhealthyLog = now;
    this.logger.warn('prober detected unhealthy status', {
      'round-tripper-name': 'ROUND_TRIPPER_RAFT_MESSAGE',
      'remote-peer-id': this.id.toString(16),
      rtt: '0s',
      error: goTlsError(err),
    });
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => this.probe(), this.intervalMs);
    this.timer.unref();
  }

  private probe(): void {
    const url = this.urls()[0];
    if (this.stopped || this.inflight || url === undefined) return this.schedule();
    this.inflight = true;
    const started = performance.now();
    const done = (ok: boolean) => {
      if (!this.inflight) return;
      this.inflight = false;
      // Only answered probes are timed: an unreachable peer shows as a gap, as in etcd.
      if (ok && !this.stopped) this.observe(this.id, (performance.now() - started) / 1000);
      this.schedule();
    };
    try {
      const req = peerRequest(new URL(PATH_PROBING, url), { method: 'GET', timeout: PROBE_TIMEOUT_MS }, this.tls, (res: IncomingMessage) => {
        res.resume();
        res.on('end', () => done(res.statusCode === 200));
        res.on('error', () => done(false));
      });
      req.on('timeout', () => req.destroy());
      req.on('error', (err) => {
        this.unhealthy(err);
        done(false);
      });
      req.end();
    } catch {
      done(false);
    }
  }
}
