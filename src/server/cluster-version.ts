// The cluster version and etcd's downgrade job. The leader decides the cluster version
// from every member's server version (the lowest, cut to major.minor; "3.0.0" while one is
// unknown and none was decided yet), only ever raising it, except while a downgrade is
// enabled: then it is lowered to the downgrade target, and the job ends once every member
// runs the target. Every member keeps its storage version at the cluster version.
// Decisions are pure functions; ClusterVersionMonitor runs them on etcd's timers.
import { compareSemver, formatSemver, minorOf, parseSemver, type Semver } from '../version/index.js';
import type { Logger } from '../pkg/logger.js';

/** etcd's version.MinClusterVersion: what a cluster reports before its members' versions are known. */
export const MIN_CLUSTER_VERSION = '3.0.0';

/** etcd's monitorVersionInterval (its peer write timeout less a second). */
export const MONITOR_VERSION_INTERVAL_MS = 4000;
/** etcd's --experimental-downgrade-check-time default. */
export const DOWNGRADE_CHECK_INTERVAL_MS = 5000;

export interface DowngradeInfo {
  enabled: boolean;
  /** "3.5.0"; empty when no downgrade is enabled. */
  targetVersion: string;
}

/** Each member's server version; undefined when it could not be learned. */
export type MemberVersions = ReadonlyMap<bigint, string | undefined>;

/** The lowest server version, or undefined when any member's is unknown or unreadable. */
export function minimalServerVersion(versions: MemberVersions): Semver | undefined {
  let min: Semver | undefined;
  for (const text of versions.values()) {
    const v = text === undefined ? undefined : parseSemver(text);
    if (v === undefined) return undefined;
    if (min === undefined || compareSemver(v, min) < 0) min = v;
  }
  return min;
}

/** etcd's isValidDowngrade: only to the previous minor of the same major. */
export function isValidDowngrade(from: Semver, to: Semver): boolean {
  return to.major === from.major && to.minor === from.minor - 1 && to.patch === 0;
}

/** The minor a cluster at `cv` may be downgraded to. */
export function allowedDowngradeVersion(cv: Semver): Semver {
  return { major: cv.major, minor: cv.minor - 1, patch: 0 };
}

export type Decision = { next?: string; error?: string };

/**
 * etcd's decideClusterVersion: the cluster version to propose, if it should change.
 * `downgrade` is honoured only by releases that have downgrades (3.5 and later).
 */
export function decideClusterVersion(current: string | undefined, versions: MemberVersions, downgrade?: DowngradeInfo): Decision {
  const minimal = minimalServerVersion(versions);
  const cv = current === undefined ? undefined : parseSemver(current);
  if (cv === undefined) return { next: minimal === undefined ? MIN_CLUSTER_VERSION : formatSemver(minorOf(minimal)) };
  if (minimal === undefined) return {};
  if (downgrade?.enabled) {
    const target = parseSemver(downgrade.targetVersion);
    if (target === undefined) return { error: 'invalid downgrade target' };
    if (compareSemver(target, cv) === 0) return {};
    if (!isValidDowngrade(cv, target) || !isValidDowngrade(minorOf(minimal), target)) return { error: 'invalid downgrade target' };
    return { next: formatSemver(target) };
  }
  const min = minorOf(minimal);
  if (compareSemver(cv, min) < 0 && cv.major === min.major) return { next: formatSemver(min) };
  return {};
}

/** Whether every member runs the downgrade target's minor: the job is done. */
export function versionsMatchTarget(versions: MemberVersions, target: string): boolean {
  const t = parseSemver(target);
  if (t === undefined) return false;
  for (const text of versions.values()) {
    const v = text === undefined ? undefined : parseSemver(text);
    if (v === undefined || v.major !== t.major || v.minor !== t.minor) return false;
  }
  return true;
}

/** The storage version a member should hold for a cluster version; undefined: leave it. */
export function wantedStorageVersion(clusterVersion: string | undefined, storage: string | undefined): string | undefined {
  if (clusterVersion === undefined || clusterVersion === MIN_CLUSTER_VERSION) return undefined;
  const cv = parseSemver(clusterVersion);
  if (cv === undefined) return undefined;
  const want = formatSemver(minorOf(cv));
  return storage === want ? undefined : want;
}

export interface VersionMonitorDeps {
  logger: Logger;
  isLeader(): boolean;
  /** Every member's server version, this member's own included. */
  memberVersions(): Promise<MemberVersions>;
  clusterVersion(): string | undefined;
  /** undefined when the release has no downgrades: the leader then never lowers the version. */
  downgrade(): DowngradeInfo | undefined;
  proposeClusterVersion(version: string): Promise<void>;
  cancelDowngrade(): Promise<void>;
  /** Keeps the storage version at the cluster version (releases with storage versions only). */
  updateStorageVersion?(): void;
}

/**
 * Runs the decisions on etcd's schedule: the cluster version on the leader every 4 s and
 * when asked (a new term's first commit), the downgrade job's end on the leader every 5 s,
 * the storage version on every member every 4 s and after the cluster version changes.
 */
export class ClusterVersionMonitor {
  private timers: NodeJS.Timeout[] = [];
  private running?: Promise<void>;
  private stopped = false;

  constructor(private readonly deps: VersionMonitorDeps) {}

  start(intervalMs = MONITOR_VERSION_INTERVAL_MS, downgradeCheckMs = DOWNGRADE_CHECK_INTERVAL_MS): void {
    const every = (ms: number, fn: () => void) => {
      const t = setInterval(fn, ms);
      t.unref?.();
      this.timers.push(t);
    };
    every(intervalMs, () => void this.updateClusterVersion());
    every(intervalMs, () => this.deps.updateStorageVersion?.());
    if (this.deps.downgrade() !== undefined) every(downgradeCheckMs, () => void this.cancelDowngradeIfDone());
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
  }

  /** One round of the leader's cluster version decision; rounds never overlap. */
  updateClusterVersion(): Promise<void> {
    this.running ??= this.decideOnce().finally(() => (this.running = undefined));
    return this.running;
  }

  private async decideOnce(): Promise<void> {
    const d = this.deps;
    if (this.stopped || !d.isLeader()) return;
    const versions = await d.memberVersions();
    if (this.stopped || !d.isLeader()) return;
    const decision = decideClusterVersion(d.clusterVersion(), versions, d.downgrade());
    if (decision.error !== undefined) {
      d.logger.error('Failed to monitor cluster version', { error: decision.error });
      return;
    }
    if (decision.next === undefined) return;
    try {
      await d.proposeClusterVersion(decision.next);
    } catch (err) {
      d.logger.warn('failed to update the cluster version', { 'cluster-version': decision.next, error: String(err) });
    }
  }

  private async cancelDowngradeIfDone(): Promise<void> {
    const d = this.deps;
    const info = d.downgrade();
    if (this.stopped || !d.isLeader() || !info?.enabled) return;
    if (!versionsMatchTarget(await d.memberVersions(), info.targetVersion)) return;
    d.logger.info('the cluster has been downgraded', { 'cluster-version': info.targetVersion });
    try {
      await d.cancelDowngrade();
    } catch (err) {
      d.logger.warn('failed to cancel downgrade', { error: String(err) });
    }
  }
}
