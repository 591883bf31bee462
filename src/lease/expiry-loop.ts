// The leader's expiry loop (etcd's lessor runLoop + server revokeExpiredLeases):
// every round it takes the expired leases and proposes a LeaseRevoke for each.
// Nothing is deleted here: the revoke is applied from the log on every member.
import type { Lessor } from './lessor.js';

export const EXPIRY_CHECK_INTERVAL_MS = 500;

export class ExpiryLoop {
  private timer?: NodeJS.Timeout;
  private readonly inFlight = new Set<bigint>();

  constructor(
    private readonly lessor: Lessor,
    private readonly proposeRevoke: (id: bigint) => Promise<unknown>,
    private readonly onError: (id: bigint, err: unknown) => void = () => {},
    private readonly intervalMs = EXPIRY_CHECK_INTERVAL_MS,
  ) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.round(), this.intervalMs);
    this.timer.unref?.();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One round: proposes revokes for the expired leases not already being revoked. */
  round(): bigint[] {
    const ids = this.lessor.findExpired().filter((id) => !this.inFlight.has(id));
    for (const id of ids) {
      this.inFlight.add(id);
      this.proposeRevoke(id)
        .catch((err) => this.onError(id, err))
        .finally(() => this.inFlight.delete(id));
    }
    return ids;
  }
}
