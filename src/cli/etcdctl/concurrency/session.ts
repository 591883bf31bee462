// clientv3/concurrency's Session, as etcdctl's lock and elect hold one: a lease
// granted for the command and kept alive until the process ends. It is never
// revoked: etcdctl leaves its session lease to expire after it exits.
import type { Client } from '../../../client/client.js';
import type { LeaseKeepAlive } from '../../../client/lease.js';

export class Session {
  /** Resolves when the lease is no longer refreshed (expired, revoked, or unreachable past its TTL). */
  readonly done: Promise<void>;

  private constructor(
    readonly client: Client,
    readonly lease: bigint,
    private readonly keepAlive: LeaseKeepAlive,
  ) {
    this.done = new Promise((resolve) => keepAlive.once('lost', () => resolve()));
  }

  /** NewSession: grants a lease of `ttl` seconds (no deadline, as clientv3's client context) and keeps it alive. */
  static async open(client: Client, ttl: number): Promise<Session> {
    const granted = await client.lease.grant(ttl);
    return new Session(client, granted.ID, client.lease.keepAlive(granted.ID, granted.TTL));
  }

  /** Stops refreshing; the lease expires on its own. */
  orphan(): void {
    this.keepAlive.close();
  }
}
