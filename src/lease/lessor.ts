// The lessor: grants, revokes and renews leases and tracks the keys attached to
// them, with etcd's semantics (lease/lessor.go). Grant and revoke are applied from
// the log on every member; renewals and expiry belong to the primary (the leader)
// alone. Followers keep every lease "forever", so a lease only ever disappears
// through a LeaseRevoke entry, and each member deletes its keys identically.
import assert from 'node:assert/strict';
import type { Backend } from '../backend/backend.js';
import { Errors } from '../rpctypes/errors.js';
import { ExpiryQueue } from './expiry-queue.js';
import { FOREVER, Lease } from './lease.js';
import { deleteLease, loadLeases, persistLease } from './persist.js';
import { failpointsOn, failpoint } from '../pkg/failpoint.js';

/** etcd's MaxLeaseTTL: 9,000,000,000 seconds. */
export const MAX_LEASE_TTL = 9_000_000_000;
/** etcd: expired leases handed out for revoking per second (half per 500 ms round). */
export const LEASE_REVOKE_RATE = 1000;
/** etcd: how long before an expired lease whose revoke did not land is handed out again. */
export const EXPIRED_LEASE_RETRY_MS = 3000;

/** Thrown by renew on a member that is not the primary; the caller must ask the leader. */
export class NotPrimaryError extends Error {
  constructor() {
    super('not a primary lessor');
    this.name = 'NotPrimaryError';
  }
}

/** What revoke needs from MVCC: one write txn that deletes the attached keys. */
export interface KeyDeleter {
  write(): { deleteRange(key: Uint8Array): unknown; end(): unknown };
}

/** What restore needs from MVCC: every live key with its lease. */
export interface KeyLister {
  range(key: Uint8Array, end: Uint8Array | undefined): { kvs: Array<{ key: Uint8Array; lease: bigint }> };
}

export interface LessorOptions {
  backend: Backend;
  /** Deletes a revoked lease's keys; without it revoke only forgets the lease. */
  keys?: KeyDeleter;
  /** Minimum TTL in seconds (etcd: ceil(3 * electionTicks / 2 * heartbeat)). */
  minTtlSeconds: number;
  /** Monotonic milliseconds; injected so expiry is deterministic under test. */
  now?: () => number;
  expiredRetryMs?: number;
}

/** etcd's minLeaseTTL: long enough for a new leader to be elected before leases can expire. */
export function minLeaseTtl(electionTicks: number, heartbeatMs: number): number {
  return Math.ceil((Math.floor((3 * electionTicks) / 2) * heartbeatMs) / 1000);
}

export class Lessor {
  readonly minTtlSeconds: number;
  private readonly leaseMap = new Map<bigint, Lease>();
  /** Keys attached over all leases: while 0, a put need not look up its key's previous lease. */
  private attachedKeys = 0;
  private readonly queue = new ExpiryQueue();
  private readonly backend: Backend;
  private readonly deleter?: KeyDeleter;
  private readonly now: () => number;
  private readonly retryMs: number;
  private primary = false;
  private demoted?: { promise: Promise<void>; resolve: () => void };

  constructor(opts: LessorOptions) {
    if (!(opts.minTtlSeconds >= 1)) throw new Error(`lease: minimum TTL must be ≥ 1 s, got ${opts.minTtlSeconds}`);
    this.backend = opts.backend;
    this.deleter = opts.keys;
    this.minTtlSeconds = opts.minTtlSeconds;
    this.now = opts.now ?? (() => performance.now());
    this.retryMs = opts.expiredRetryMs ?? EXPIRED_LEASE_RETRY_MS;
    this.restoreLeases();
  }

  get isPrimary(): boolean {
    return this.primary;
  }

  get size(): number {
    return this.leaseMap.size;
  }

  // ---- applied from the log (every member) ------------------------------------------

  grant(id: bigint, ttl: number): Lease {
    if (id === 0n) throw Errors.LeaseNotFound;
    if (ttl > MAX_LEASE_TTL) throw Errors.LeaseTTLTooLarge;
    if (this.leaseMap.has(id)) throw Errors.LeaseExist;
    const l = new Lease(id, Math.max(ttl, this.minTtlSeconds));
    if (this.primary) l.refresh(this.now(), 0);
    this.leaseMap.set(id, l);
    persistLease(this.backend, id, l.ttl, l.remainingTtl);
    if (this.primary) this.queue.registerOrUpdate(id, l.expiry);
    return l;
  }

  /** Deletes the lease and, in one write txn (one revision), every key attached to it. */
  revoke(id: bigint): void {
    const l = this.leaseMap.get(id);
    if (!l) throw Errors.LeaseNotFound;
    const keys = l.keys();
    if (failpointsOn) failpoint('leaseRevokeBeforeDeleteKeys');
    if (this.deleter && keys.length > 0) {
      const txn = this.deleter.write();
      try {
        for (const k of keys) txn.deleteRange(k);
      } finally {
        txn.end();
      }
    }
    if (failpointsOn) failpoint('leaseRevokeAfterDeleteKeys');
    this.attachedKeys -= l.keyCount;
    this.leaseMap.delete(id);
    this.queue.remove(id);
    // Same backend batch as the key deletes: a crash keeps both or neither.
    deleteLease(this.backend, id);
    l.markRevoked();
  }

  // ---- KvApplier hooks ---------------------------------------------------------------

  exists(id: bigint): boolean {
    return this.leaseMap.has(id);
  }

  attach(id: bigint, key: Uint8Array): void {
    const l = this.leaseMap.get(id);
    // The applier checked existence before writing; a miss here is a bug upstream.
    if (!l) throw new Error(`lease: attach to missing lease ${id.toString(16)}`);
    if (l.attach(key)) this.attachedKeys++;
  }

  detach(id: bigint, key: Uint8Array): void {
    // A key may outlive its lease's record only transiently (revoke deletes keys first).
    if (this.leaseMap.get(id)?.detach(key)) this.attachedKeys--;
    assert(this.attachedKeys >= 0, 'lease: attached key count went negative');
  }

  hasAttachedKeys(): boolean {
    return this.attachedKeys > 0;
  }

  // ---- reads -------------------------------------------------------------------------

  lookup(id: bigint): Lease | undefined {
    return this.leaseMap.get(id);
  }

  leases(): Lease[] {
    return [...this.leaseMap.values()];
  }

  /** Remaining whole seconds of a lease, as TimeToLive reports it. */
  remainingSeconds(l: Lease): number {
    return l.remainingSeconds(this.now());
  }

  // ---- the primary's business --------------------------------------------------------

  /**
   * Renews a lease: expiry = now + TTL; returns the TTL. An expired lease is
   * being revoked: the renewal waits for that and then reports it not found.
   */
  async renew(id: bigint): Promise<number> {
    if (!this.primary) throw new NotPrimaryError();
    const l = this.leaseMap.get(id);
    if (!l) throw Errors.LeaseNotFound;
    if (l.expired(this.now())) {
      const demoted = this.demotedSignal();
      const outcome = await Promise.race([l.whenRevoked().then(() => 'revoked' as const), demoted.then(() => 'demoted' as const)]);
      if (outcome === 'revoked') throw Errors.LeaseNotFound;
      throw new NotPrimaryError();
    }
    // A renewal supersedes any checkpointed remaining TTL.
    l.remainingTtl = 0;
    l.refresh(this.now(), 0);
    this.queue.registerOrUpdate(id, l.expiry);
    return l.ttl;
  }

  /**
   * Becomes primary: every lease expires no earlier than now + extend + TTL, so
   * leases are not lost to the time the cluster spent without this leader.
   */
  promote(extendMs: number): void {
    const now = this.now();
    this.primary = true;
    this.demoted = undefined;
    for (const l of this.leaseMap.values()) {
      l.refresh(now, extendMs);
      this.queue.registerOrUpdate(l.id, l.expiry);
    }
    if (this.leaseMap.size >= LEASE_REVOKE_RATE) this.spreadExpiries(now, extendMs);
  }

  /** Stops being primary: leases live forever here until the next leader revokes them. */
  demote(): void {
    this.primary = false;
    for (const l of this.leaseMap.values()) l.forever();
    this.queue.clear();
    const d = this.demoted;
    this.demoted = undefined;
    d?.resolve();
  }

  /**
   * Expired leases to propose revokes for, at most `limit`. Each one handed out is
   * looked at again only after the retry interval, in case its revoke is lost.
   */
  findExpired(limit = LEASE_REVOKE_RATE / 2): bigint[] {
    if (!this.primary) return [];
    const now = this.now();
    const out: bigint[] = [];
    while (out.length < limit) {
      const item = this.queue.peek();
      if (!item || item.time > now) break;
      const l = this.leaseMap.get(item.id);
      if (!l) {
        this.queue.remove(item.id);
        continue;
      }
      this.queue.registerOrUpdate(item.id, now + this.retryMs);
      if (l.expired(now)) out.push(l.id);
    }
    return out;
  }

  // ---- restore -----------------------------------------------------------------------

  /** Re-attaches keys after a restart from what MVCC holds (etcd's store restore does this). */
  restoreKeys(kv: KeyLister): void {
    // Listing every key costs seconds on a million-key store: skip it when no lease exists.
    if (this.leaseMap.size === 0) return;
    const all = kv.range(new Uint8Array([0]), new Uint8Array([0])).kvs;
    for (const { key, lease } of all) {
      if (lease === 0n) continue;
      // etcd keeps a key whose lease record is gone; it only loses the attachment.
      if (this.leaseMap.get(lease)?.attach(key)) this.attachedKeys++;
    }
  }

  private restoreLeases(): void {
    for (const pb of loadLeases(this.backend)) {
      const l = new Lease(pb.ID, Math.max(pb.TTL, this.minTtlSeconds), pb.RemainingTTL);
      l.forever();
      this.leaseMap.set(l.id, l);
    }
  }

  private demotedSignal(): Promise<void> {
    if (!this.demoted) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      this.demoted = { promise, resolve };
    }
    return this.demoted.promise;
  }

  /** With many leases, stagger expiries so revokes stay under the revoke rate (etcd's Promote). */
  private spreadExpiries(now: number, extendMs: number): void {
    const leases = [...this.leaseMap.values()].sort((a, b) => a.expiry - b.expiry);
    const target = (3 * LEASE_REVOKE_RATE) / 4;
    let baseWindow = leases[0]!.remainingMs(now);
    let nextWindow = baseWindow + 1000;
    let expires = 0;
    for (const l of leases) {
      const remaining = l.remainingMs(now);
      if (remaining > nextWindow) {
        baseWindow = remaining;
        nextWindow = baseWindow + 1000;
        expires = 1;
        continue;
      }
      expires++;
      if (expires <= target) continue;
      const delay = 1000 * (expires / target) - (remaining - baseWindow);
      nextWindow = baseWindow + delay;
      l.refresh(now, delay + extendMs);
      this.queue.registerOrUpdate(l.id, l.expiry);
    }
  }
}

export { FOREVER };
