// grpc-go's keepalive enforcement on the server (http2Server.handlePing), which
// etcd configures with --grpc-keepalive-min-time and no pings without streams:
// a ping sooner than allowed after the previous one is a strike, headers or data
// sent in between forgive the strikes, and a third strike in a row ends the
// connection (GOAWAY ENHANCE_YOUR_CALM "too_many_pings").

export interface PingPolicy {
  /** Pings closer together than this, while streams are open, are strikes (grpc-go's EnforcementPolicy.MinTime). */
  minTimeMs: number;
  /** Pings with no stream open are fine at any rate (otherwise they must be 2 h apart). */
  permitWithoutStream: boolean;
}

/** grpc-go's maxPingStrikes and defaultPingTimeout. */
const MAX_PING_STRIKES = 2;
const PING_WITHOUT_STREAM_MS = 2 * 3_600_000;

export class PingEnforcer {
  private strikes = 0;
  private lastPingAt = -Infinity;
  private framesAtLastPing = 0;

  constructor(private readonly policy: PingPolicy) {}

  /**
   * A ping arrived at `now`; `sentFrames` counts the headers and data frames sent
   * so far. True when the peer is now over the limit.
   */
  ping(now: number, openStreams: number, sentFrames: number): boolean {
    const last = this.lastPingAt;
    this.lastPingAt = now;
    if (sentFrames !== this.framesAtLastPing) {
      this.framesAtLastPing = sentFrames;
      this.strikes = 0;
      return false;
    }
    const minGap = openStreams === 0 && !this.policy.permitWithoutStream ? PING_WITHOUT_STREAM_MS : this.policy.minTimeMs;
    if (now - last < minGap) this.strikes++;
    return this.strikes > MAX_PING_STRIKES;
  }
}
