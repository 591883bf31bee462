// One lease: its granted TTL, its expiry on the primary (the leader) and the keys
// attached to it. Followers hold leases "forever": only the leader decides expiry.

/** An expiry that never comes: leases on a member that is not the primary. */
export const FOREVER = Number.POSITIVE_INFINITY;

/** etcd reports a forever lease's remaining time as the largest Go duration, in seconds. */
const FOREVER_SECONDS = 9223372036;

export class Lease {
  /** Absolute expiry in the lessor's clock (ms); FOREVER when not primary. */
  expiry = FOREVER;
  /** Attached keys by their latin1 string (sorts bytewise, as etcd's Go strings). */
  private readonly items = new Map<string, Uint8Array>();
  private revokedResolve?: () => void;
  private revokedPromise?: Promise<void>;

  constructor(
    readonly id: bigint,
    /** Granted TTL in seconds, already raised to the minimum TTL. */
    readonly ttl: number,
    /** A checkpointed remaining TTL in seconds (0: none); refresh prefers it to ttl. */
    public remainingTtl = 0,
  ) {
    if (id === 0n) throw new Error('lease: ID 0 means "no lease"');
  }

  /** Expiry = now + extend + (remaining TTL if checkpointed, else TTL). */
  refresh(now: number, extendMs: number): void {
    const secs = this.remainingTtl > 0 ? this.remainingTtl : this.ttl;
    this.expiry = now + extendMs + secs * 1000;
  }

  forever(): void {
    this.expiry = FOREVER;
  }

  /** Remaining time in ms (may be negative once expired; Infinity when forever). */
  remainingMs(now: number): number {
    return this.expiry - now;
  }

  /** Remaining whole seconds, truncated toward zero as etcd's int64(Remaining().Seconds()). */
  remainingSeconds(now: number): number {
    if (this.expiry === FOREVER) return FOREVER_SECONDS;
    return Math.trunc((this.expiry - now) / 1000);
  }

  expired(now: number): boolean {
    return this.remainingMs(now) <= 0;
  }

  /** True when the key was not attached before. */
  attach(key: Uint8Array): boolean {
    const k = Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('latin1');
    const added = !this.items.has(k);
    this.items.set(k, key);
    return added;
  }

  /** True when the key was attached. */
  detach(key: Uint8Array): boolean {
    return this.items.delete(Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('latin1'));
  }

  get keyCount(): number {
    return this.items.size;
  }

  /** Attached keys in bytewise order, so every member deletes them in the same order. */
  keys(): Uint8Array[] {
    return [...this.items.keys()].sort().map((k) => this.items.get(k)!);
  }

  /** Settles once the lease has been revoked (renewals of an expired lease wait for it). */
  whenRevoked(): Promise<void> {
    if (!this.revokedPromise) this.revokedPromise = new Promise((r) => (this.revokedResolve = r));
    return this.revokedPromise;
  }

  /** @internal called by the lessor once the revoke is applied. */
  markRevoked(): void {
    if (!this.revokedPromise) this.revokedPromise = Promise.resolve();
    this.revokedResolve?.();
  }
}
