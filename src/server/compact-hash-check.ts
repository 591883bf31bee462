// etcd 3.6's compaction hash check (server/etcdserver/corrupt.go CompactHashCheck, on with
// --feature-gates=CompactHashCheck=true or --experimental-compact-hash-check-enabled):
// every --compact-hash-check-time the leader takes the hashes its store kept at its latest
// compactions, newest first, and asks every follower for its hash at that revision. A
// revision every follower answered with the same compact revision ends the pass: the same
// hash everywhere is a checked revision; different hashes raise CORRUPT alarms for the
// members outside the majority (member 0 when there is none).
import type { CompactionHash } from '../mvcc/index.js';
import { hex } from './ids.js';
import { formatGoDuration } from '../config/go-values.js';
import { peerHashKVs, type CorruptCheckDeps, type PeerHashKVAnswer } from './corrupt.js';

/** What one revision's answers decide. */
export interface PeerHashVerdict {
  /** true: the pass ends here (checked, or alarms raised); false: try the next older hash. */
  done: boolean;
  /** The revision is now checked on every member. */
  consistent: boolean;
  /** Members to raise CORRUPT for (0n: not identifiable). */
  alarms: bigint[];
  /** Peers with the leader's compact revision, as counted by etcd. */
  checked: number;
  /** Each hash with the members holding it, when they differ. */
  groups: Array<{ hash: number; members: bigint[] }>;
  quorum: boolean;
}

/** etcd's checkPeerHashes without its side effects: group members by hash and decide. */
export function judgePeerHashes(leaderId: bigint, leader: CompactionHash, answers: Array<{ id: bigint; hash?: number; compactRevision?: number }>): PeerHashVerdict {
  const groups = new Map<number, bigint[]>([[leader.hash, [leaderId]]]);
  let checked = 0;
  for (const a of answers) {
    if (a.hash === undefined || a.compactRevision !== leader.compactRevision) continue;
    checked++;
    const g = groups.get(a.hash);
    if (g) g.push(a.id);
    else groups.set(a.hash, [a.id]);
  }
  if (groups.size === 1) {
    const all = checked === answers.length;
    return { done: all, consistent: all, alarms: [], checked, groups: [], quorum: true };
  }
  const quorumSize = Math.floor((answers.length + 1) / 2) + 1;
  let majority: number | undefined;
  for (const [hash, members] of groups) {
    if (members.length >= quorumSize) {
      majority = hash;
      break;
    }
  }
  const quorum = majority !== undefined;
  if (quorum) groups.delete(majority!);
  const left = [...groups].map(([hash, members]) => ({ hash, members }));
  const alarms = quorum ? left.flatMap((g) => g.members) : [0n];
  return { done: true, consistent: false, alarms, checked, groups: left, quorum };
}

export interface CompactHashCheckDeps extends CorruptCheckDeps {
  isLeader(): boolean;
  /** The hashes this member's store kept at its compactions. */
  compactionHashes(): CompactionHash[];
  raiseCorrupt(memberId: bigint): Promise<void>;
}

export class CompactHashChecker {
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private latestRevisionChecked = 0;

  constructor(
    private readonly deps: CompactHashCheckDeps,
    readonly intervalMs: number,
  ) {
    if (!(intervalMs > 0)) throw new Error(`compaction hash check interval must be positive, got ${intervalMs}`);
  }

  /** etcd's monitorCompactHash: a pass an interval after the last one ended, on the leader only. */
  start(): void {
    const next = (): void => {
      if (this.stopped) return;
      this.timer = setTimeout(() => {
        const pass = this.deps.isLeader() ? this.check() : Promise.resolve();
        pass
          .catch((err: unknown) => this.deps.logger.warn('failed to check compaction hashes', { error: err instanceof Error ? err.message : String(err) }))
          .finally(next);
      }, this.intervalMs);
      this.timer.unref?.();
    };
    next();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.deps.logger.info('server has stopped; stopping compact hash\'s monitor');
  }

  /** One pass: etcd's CompactHashCheck. */
  async check(): Promise<void> {
    const { deps } = this;
    const { logger } = deps;
    logger.info('starting compact hash check', { 'local-member-id': hex(deps.memberId), timeout: formatGoDuration(deps.requestTimeoutMs) });
    const hashes = deps
      .compactionHashes()
      .sort((a, b) => b.revision - a.revision)
      .filter((h) => h.revision > this.latestRevisionChecked);
    for (let i = 0; i < hashes.length; i++) {
      const h = hashes[i]!;
      const answers = await peerHashKVs(deps, h.revision);
      if (answers.length === 0) continue;
      if (this.checkPeerHashes(h, answers)) {
        logger.info('finished compaction hash check', { 'number-of-hashes-checked': i + 1 });
        return;
      }
    }
    logger.info('finished compaction hash check', { 'number-of-hashes-checked': hashes.length });
  }

  private checkPeerHashes(h: CompactionHash, answers: PeerHashKVAnswer[]): boolean {
    const { deps } = this;
    const { logger } = deps;
    const leaderId = hex(deps.memberId);
    for (const a of answers) {
      const reason = !a.resp
        ? 'no response'
        : a.resp.compactRevision !== h.compactRevision
          ? `the peer's CompactRevision ${a.resp.compactRevision} doesn't match leader's CompactRevision ${h.compactRevision}`
          : undefined;
      if (reason !== undefined) logger.warn("Skipped peer's hash", { 'number-of-peers': answers.length, 'leader-id': leaderId, 'peer-id': hex(a.peer.id), reason });
    }
    const v = judgePeerHashes(deps.memberId, h, answers.map((a) => ({ id: a.peer.id, hash: a.resp?.hash, compactRevision: a.resp?.compactRevision })));
    if (v.groups.length === 0) {
      if (v.consistent) {
        logger.info('successfully checked hash on whole cluster', { 'number-of-peers-checked': v.checked, revision: h.revision, compactRevision: h.compactRevision });
        this.latestRevisionChecked = Math.max(this.latestRevisionChecked, h.revision);
      } else {
        logger.warn('skipped revision in compaction hash check; was not able to check all peers', { 'number-of-peers-checked': v.checked, 'number-of-peers': answers.length, revision: h.revision, compactRevision: h.compactRevision });
      }
      return v.done;
    }
    const where = { 'leader-id': leaderId, 'leader-revision': h.revision, 'leader-compact-revision': h.compactRevision, 'leader-hash': h.hash };
    if (!v.quorum) logger.error('Detected compaction hash mismatch but cannot identify the corrupted members, so intentionally set the memberID as 0', where);
    for (const g of v.groups) {
      logger.error('Detected compaction hash mismatch', { ...where, 'peer-hash': g.hash, 'peer-ids': `[${g.members.map(hex).join(' ')}]`, 'quorum-exist': v.quorum });
    }
    for (const id of v.alarms) {
      deps.raiseCorrupt(id).catch((err: unknown) => logger.warn('failed to raise the CORRUPT alarm', { error: err instanceof Error ? err.message : String(err) }));
    }
    return true;
  }
}
