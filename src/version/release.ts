// The etcd release a member reports and behaves as. By default that is the newest
// release whose client API etcd-ts implements in full (3.6.14), plus KV.RangeStream
// from etcd 3.7, which clients probe for and fall back from on Unimplemented.
// --emulated-etcd-version names another release: the member then reports it and
// behaves as it wherever the releases differ in a way a client can observe.
import { compareSemver, formatSemver, majorMinorText, minorOf, parseSemver, type Semver } from './semver.js';

/**
 * Client-observable behaviours that differ between etcd releases, each with the first
 * release of every minor line that has it (a line not listed has it from its .0 if it
 * comes after the lines listed, and never if it comes before).
 */
export const INTRODUCED = {
  /** Maintenance.Downgrade. */
  downgradeRpc: ['3.5.0'],
  /** Auth.AuthStatus. */
  authStatusRpc: ['3.5.0'],
  /** KV.RangeStream. */
  rangeStreamRpc: ['3.7.0'],
  /** A Range whose sort order is outside the enum is refused ("invalid sort option"); before, answered unsorted. */
  sortOrderCheck: ['3.5.0'],
  /**
   * AuthUserAddRequest/AuthUserChangePasswordRequest.hashedPassword: the API layer hashes a
   * password before the log; a password change without a password stores the client's hash.
   */
  hashedPasswordField: ['3.5.0'],
  /** MemberListRequest.linearizable is honoured (a ReadIndex round first). */
  memberListLinearizable: ['3.5.0'],
  /** The JSON gateway binds HashKV to /v3/maintenance/hashkv (before: to Hash's path, where Hash answered). */
  hashKVGatewayRoute: ['3.5.10'],
  /** Maintenance.Alarm answers carry a response header. */
  alarmResponseHeader: ['3.5.0'],
  /** StatusResponse.storageVersion, dbSizeQuota and downgradeInfo. */
  statusStorageFields: ['3.6.0'],
  /** HashKVResponse.hash_revision. */
  hashKVHashRevision: ['3.6.0'],
  /** SnapshotResponse.version. */
  snapshotVersion: ['3.6.0'],
  /** The member keeps a storage version at the cluster version (Status.storageVersion, /version's "storage"). */
  storageVersion: ['3.6.0'],
  /**
   * A requested progress notification goes out only once every watcher of the stream has
   * been sent all events up to its revision (never ahead of events); before, it went out
   * at once at the store's revision.
   */
  progressAfterSync: ['3.4.25', '3.5.8'],
  /** No progress notification below a watcher's start revision (a watch on a future revision). */
  noProgressBeforeStartRevision: ['3.4.38', '3.5.22', '3.6.2'],
  /** A watch with a negative start revision is refused (created and canceled, "compacted"). */
  refuseNegativeStartRevision: ['3.4.38', '3.5.24', '3.6.6'],
  /**
   * With auth on, every endpoint checks its caller as etcd 3.6.12 does: maintenance calls
   * need the root role (answered with etcd's gRPC errors, not 3.4's raw "auth: …"), except
   * Status and listing alarms, which need a user, as MemberList, lease grants, revokes,
   * time-to-live, lease lists and keep-alives do; Compact needs the root role. (The state
   * after 3.6.9's guards, 3.6.10's member list and alarms, 3.6.12's Status; 3.5.32 in 3.5.)
   */
  authOnEveryEndpoint: ['3.5.32', '3.6.12'],
} as const satisfies Record<string, readonly string[]>;

export type Behaviour = keyof typeof INTRODUCED;

/** The releases --emulated-etcd-version accepts: those whose differences are implemented and tested. */
export const EMULATED_RELEASES = ['3.4.23', '3.6.14'] as const;

/** What etcd-ts reports by default: the newest etcd release whose client API it implements in full. */
export const DEFAULT_RELEASE_VERSION = '3.6.14';

/** Served by default beyond the default release: additive RPCs of newer releases clients probe for. */
const DEFAULT_EXTENSIONS: readonly Behaviour[] = ['rangeStreamRpc'];

export class EtcdRelease {
  private constructor(
    readonly semver: Semver,
    /** Set by --emulated-etcd-version: exactly that release, nothing newer. */
    readonly emulated: boolean,
    private readonly extensions: ReadonlySet<Behaviour>,
  ) {}

  /** The default: 3.6.14 and RangeStream. */
  static default(): EtcdRelease {
    return new EtcdRelease(parseSemver(DEFAULT_RELEASE_VERSION)!, false, new Set(DEFAULT_EXTENSIONS));
  }

  /** The release --emulated-etcd-version names, or why it is refused. */
  static emulate(version: string): EtcdRelease | { error: string } {
    if (!(EMULATED_RELEASES as readonly string[]).includes(version)) {
      return { error: `unsupported emulated etcd version ${JSON.stringify(version)} (supported: ${EMULATED_RELEASES.join(', ')})` };
    }
    return new EtcdRelease(parseSemver(version)!, true, new Set());
  }

  /** "3.6.14": Status.version, /version's etcdserver, etcd_server_version. */
  get version(): string {
    return formatSemver(this.semver);
  }

  /** "3.6.0": the cluster version this member proposes, and its storage version. */
  get clusterVersion(): string {
    return formatSemver(minorOf(this.semver));
  }

  /** "3.6": the API version etcd's clients print. */
  get apiVersion(): string {
    return majorMinorText(this.semver);
  }

  has(b: Behaviour): boolean {
    return this.extensions.has(b) || introducedBy(this.semver, INTRODUCED[b]);
  }

  /** A plain form that crosses threads (structured clone): the edge rebuilds the release from it. */
  describe(): ReleaseDescription {
    return { version: this.version, emulated: this.emulated };
  }

  static from(d: ReleaseDescription): EtcdRelease {
    if (!d.emulated) return EtcdRelease.default();
    const r = EtcdRelease.emulate(d.version);
    if ('error' in r) throw new Error(r.error);
    return r;
  }
}

export interface ReleaseDescription {
  version: string;
  emulated: boolean;
}

/** Whether release v has a behaviour first shipped in `since` (one release per minor line). */
export function introducedBy(v: Semver, since: readonly string[]): boolean {
  const firsts = since.map((s) => parseSemver(s)!);
  const sameLine = firsts.find((f) => f.major === v.major && f.minor === v.minor);
  if (sameLine !== undefined) return compareSemver(v, sameLine) >= 0;
  // Another line: a later line has it iff some earlier line did.
  return firsts.some((f) => compareSemver(minorOf(v), minorOf(f)) > 0);
}
