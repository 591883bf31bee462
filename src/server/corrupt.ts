// Corruption detection between members, as etcd 3.4's: members compare the hash of
// their key-value stores (HashKV) at one revision over the peer API.
//  - The initial check (--experimental-initial-corrupt-check) runs on a restarting
//    member before it serves anything: it asks every peer for the hash at its own
//    revision, and refuses to start when one differs at the same compact revision.
//  - The periodic check (--experimental-corrupt-check-time) runs on the leader: it
//    asks every follower for the hash at the leader's revision and raises a CORRUPT
//    alarm through the log when one differs. As in etcd 3.4.23 the alarm carries
//    member ID 0: two members disagreeing does not say which one is corrupt.
// Only hashes that can be compared are compared: a peer that is behind (future
// revision) or already compacted past the revision is skipped, as is a peer whose
// compact revision differs.
import type { Logger } from '../pkg/logger.js';
import { PeerHashKVError, type PeerHashKV } from '../rafthttp/index.js';
import { hex } from './ids.js';

export interface HashKVPeer {
  id: bigint;
  peerUrls: string[];
}

/** What a corruption check needs from its member. */
export interface CorruptCheckDeps {
  memberId: bigint;
  logger: Logger;
  /** Bound on each peer request (etcd: the request timeout). */
  requestTimeoutMs: number;
  /** This member's hash at a revision (0: its current one); throws Compacted / FutureRev. */
  hashByRev(revision: number): PeerHashKV | Promise<PeerHashKV>;
  /** The other members. */
  peers(): HashKVPeer[];
  /** One peer URL's hash at `revision`; rejects with PeerHashKVError. */
  fetchHashKV(peerUrl: string, revision: number, timeoutMs: number): Promise<PeerHashKV>;
}

/** What the periodic check additionally needs: leadership, a ReadIndex round, and a way to raise the alarm. */
export interface CorruptMonitorDeps extends CorruptCheckDeps {
  isLeader(): boolean;
  /** Waits until this member has applied everything committed so far. */
  linearizableReadNotify(): Promise<void>;
  /** Proposes a CORRUPT alarm for `memberId` through the log. */
  raiseCorrupt(memberId: bigint): Promise<void>;
}

/** One peer's answer: its hash, or why there is none (every URL failed). */
export interface PeerHashKVAnswer {
  peer: HashKVPeer;
  resp?: PeerHashKV;
  err?: PeerHashKVError;
}

/** The member refused to start: its data differs from a peer's. */
export class CorruptionError extends Error {}

/** Asks every peer (their URLs in turn until one answers) for its hash at `revision`. */
export async function peerHashKVs(deps: CorruptCheckDeps, revision: number): Promise<PeerHashKVAnswer[]> {
  const peers = deps.peers().filter((p) => p.id !== deps.memberId && p.peerUrls.length > 0);
  return Promise.all(
    peers.map(async (peer): Promise<PeerHashKVAnswer> => {
      let last: PeerHashKVError | undefined;
      for (const url of peer.peerUrls) {
        try {
          return { peer, resp: await deps.fetchHashKV(url, revision, deps.requestTimeoutMs) };
        } catch (err) {
          last = err instanceof PeerHashKVError ? err : new PeerHashKVError('other', String(err));
          deps.logger.warn('failed hash kv request', { 'local-member-id': hex(deps.memberId), 'requested-revision': revision, 'remote-peer-endpoint': url, error: last.message });
        }
      }
      return { peer, err: last };
    }),
  );
}

/**
 * etcd's CheckInitialHashKV: throws CorruptionError when a peer's hash at this
 * member's revision differs with the same compact revision. Peers that cannot
 * answer, are behind, or have compacted differently do not fail the check.
 */
export async function checkInitialHashKV(deps: CorruptCheckDeps): Promise<void> {
  const { logger } = deps;
  const local = hex(deps.memberId);
  logger.info('starting initial corruption check', { 'local-member-id': local, timeout: `${deps.requestTimeoutMs}ms` });
  const own = await deps.hashByRev(0);
  const answers = await peerHashKVs(deps, own.revision);
  let mismatch = 0;
  for (const a of answers) {
    const base = {
      'local-member-id': local,
      'local-member-revision': own.revision,
      'local-member-compact-revision': own.compactRevision,
      'local-member-hash': own.hash,
      'remote-peer-id': hex(a.peer.id),
      'remote-peer-endpoints': a.peer.peerUrls,
    };
    if (a.resp) {
      if (a.resp.hash === own.hash) continue;
      const fields = { ...base, 'remote-peer-revision': a.resp.revision, 'remote-peer-compact-revision': a.resp.compactRevision, 'remote-peer-hash': a.resp.hash };
      if (a.resp.compactRevision === own.compactRevision) {
        logger.warn('found different hash values from remote peer', fields);
        mismatch++;
      } else {
        logger.warn('found different compact revision values from remote peer', fields);
      }
    } else if (a.err?.kind === 'future') {
      logger.warn('cannot fetch hash from slow remote peer', { ...base, error: a.err.message });
    } else if (a.err?.kind === 'compacted') {
      logger.warn('cannot fetch hash from remote peer; local member is behind', { ...base, error: a.err.message });
    }
  }
  if (mismatch > 0) throw new CorruptionError(`${local} found data inconsistency with peers`);
  logger.info('initial corruption checking passed; no corruption', { 'local-member-id': local });
}

/** The outcome of one periodic pass, for logs and tests. */
export interface HashKVCheckResult {
  /** Peers that answered with a hash. */
  checked: number;
  /** Whether a CORRUPT alarm was proposed. */
  alarmed: boolean;
}

/** etcd's monitorKVHash: every interval, the leader compares its hash with its followers'. */
export class CorruptionMonitor {
  private timer?: NodeJS.Timeout;
  private stopped = false;

  constructor(
    private readonly deps: CorruptMonitorDeps,
    readonly intervalMs: number,
  ) {
    if (!(intervalMs > 0)) throw new Error(`corruption check interval must be positive, got ${intervalMs}`);
  }

  start(): void {
    this.deps.logger.info('enabled corruption checking', { 'local-member-id': hex(this.deps.memberId), interval: `${this.intervalMs}ms` });
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  /** The next pass starts an interval after the previous one ended, so passes never overlap. */
  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      const pass = this.deps.isLeader() ? this.checkHashKV() : Promise.resolve(undefined);
      pass
        .catch((err: unknown) => this.deps.logger.warn('failed to check hash KV', { error: err instanceof Error ? err.message : String(err) }))
        .finally(() => this.schedule());
    }, this.intervalMs);
    this.timer.unref?.();
  }

  /** One pass: proposes at most one CORRUPT alarm (member ID 0) however many peers differ. */
  async checkHashKV(): Promise<HashKVCheckResult> {
    const { deps } = this;
    const { logger } = deps;
    const first = await deps.hashByRev(0);
    const answers = await peerHashKVs(deps, first.revision);
    await deps.linearizableReadNotify();
    const second = await deps.hashByRev(0);

    let alarmed = false;
    const mismatch = (): void => {
      if (alarmed) return;
      alarmed = true;
      deps.raiseCorrupt(0n).catch((err: unknown) => logger.warn('failed to raise the CORRUPT alarm', { error: err instanceof Error ? err.message : String(err) }));
    };

    // The leader's own store changed under an unchanged revision: its data is not stable.
    if (second.hash !== first.hash && second.revision === first.revision && second.compactRevision === first.compactRevision) {
      logger.warn('found hash mismatch', {
        'revision-1': first.revision,
        'compact-revision-1': first.compactRevision,
        'hash-1': first.hash,
        'revision-2': second.revision,
        'compact-revision-2': second.compactRevision,
        'hash-2': second.hash,
      });
      mismatch();
    }

    let checked = 0;
    for (const a of answers) {
      const r = a.resp;
      if (!r) continue;
      checked++;
      const follower = hex(a.peer.id);
      // A follower never applies past what the leader has applied after a ReadIndex round.
      if (r.revision > second.revision) {
        logger.warn("revision from follower must be less than or equal to leader's", { 'leader-revision': second.revision, 'follower-revision': r.revision, 'follower-peer-id': follower });
        mismatch();
      }
      if (r.compactRevision > second.compactRevision) {
        logger.warn("compact revision from follower must be less than or equal to leader's", { 'leader-compact-revision': second.compactRevision, 'follower-compact-revision': r.compactRevision, 'follower-peer-id': follower });
        mismatch();
      }
      // Same compact revision as the leader's first hash: the hashes cover the same history and must match.
      if (r.compactRevision === first.compactRevision && r.hash !== first.hash) {
        logger.warn('same compact revision then hashes must match', { 'leader-compact-revision': second.compactRevision, 'leader-hash': first.hash, 'follower-compact-revision': r.compactRevision, 'follower-hash': r.hash, 'follower-peer-id': follower });
        mismatch();
      }
    }
    logger.info('finished peer corruption check', { 'number-of-peers-checked': checked });
    return { checked, alarmed };
  }
}
