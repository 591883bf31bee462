// EtcdServer wires the subsystems into one member, as etcd's etcdserver does:
//   request → checks → proposal (InternalRaftRequest) → Raft → WAL fsync → commit
//   → apply to MVCC (with the applied index, atomically) → the waiting caller.
// Reads: serializable ranges answer from the local MVCC store; linearizable ranges
// first wait for a ReadIndex round and for the applied index to reach it.
import { mkdirSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { RawNode, MemoryStorage, ProposalDroppedError } from '../raft/index.js';
import { EntryType, type ConfState, type Entry, type SoftState } from '../raft/types.js';
import { Wal } from '../wal/index.js';
import type { MessageCodec } from '../pb/codec.js';
import { internalRequestCodec } from '../pb/internal-request.js';
import type * as kv from '../pb/kv.js';
import type * as leasepb from '../pb/lease.js';
import { Lessor, ExpiryLoop, NotPrimaryError, minLeaseTtl } from '../lease/index.js';
import { WatchHub } from '../watch/index.js';
import { Errors, EtcdError, GrpcCode } from '../rpctypes/errors.js';
import type { Logger } from '../pkg/logger.js';
import type { Metrics } from '../metrics/index.js';
import { RaftHost } from './raft-host.js';
import { Wait } from './wait.js';
import { RequestIdGenerator, clusterId as deriveClusterId, memberId as deriveMemberId, hex } from './ids.js';
import { openStorage, type MemberStorage } from './storage.js';
import { Applier, refusedWhileCorrupt, type ApplyRequest, type ApplyResult } from './applier.js';
import type { CheckLimits } from '../apply/index.js';
import { DEFAULT_QUOTA_BACKEND_BYTES, type ServerOptions } from './options.js';
import { EtcdRelease, parseClusterVersion, parseSemver, compareSemver, minorOf, type Semver } from '../version/index.js';
import { ClusterVersionMonitor, allowedDowngradeVersion, wantedStorageVersion, type DowngradeInfo, type MemberVersions } from './cluster-version.js';
import { readStorageVersion, writeStorageVersion } from './storage-version.js';
import { AuthStore, SimpleTokens, applyAuth, isAuthRequest, type AuthInfo, type AuthRaftRequest } from '../auth/index.js';
import { checkWriteAtApply } from '../auth/kv-check.js';
import { RaftTransport, fetchCluster, resolvePeerTls, promoteMemberHTTP, leaseRenewHTTP, leaseTimeToLiveHTTP } from '../rafthttp/index.js';
import { Membership, encodeV2Store, decodeV2Store, type Member } from '../membership/index.js';
import { decodeEntryRequest, encodeV2Request, type EntryRequest, type V2Request } from '../pb/entry.js';
import { applyV2Request, RateLimitedWarnings } from './apply-v2.js';
import { loadConfFromView } from './storage.js';
import { ConfChangeType, type ConfChange, type Snapshot } from '../raft/types.js';
import * as reconfig from './reconfig.js';
import { AlarmStore, AlarmAction, AlarmType, alarmString, type AlarmMember, type AlarmRequest } from './alarms.js';
import { BackendQuota, quotaCost } from './quota.js';
import type { BackendView } from '../backend/backend.js';
import { checkInitialHashKV, CorruptionMonitor, type CorruptCheckDeps } from './corrupt.js';
import { newCompactor, type Compactor } from './compactor.js';
import { scanHashKV, type HashSource } from './hash-scan.js';
import { CompactHashChecker } from './compact-hash-check.js';
import { ApplyWatch } from './apply-watch.js';
import { formatGoDuration } from '../config/go-values.js';
import type { CompactionStats, HashKVResult, MvccStore } from '../mvcc/store.js';
import { failpointsOn, failpoint } from '../pkg/failpoint.js';

/** One log entry's request: what the applier applies, plus the proposal's identity. */
interface InternalRaftRequest extends ApplyRequest, AuthRaftRequest {
  header?: { ID: bigint; username: string; authRevision: number };
  v2?: V2Request;
  alarm?: AlarmRequest;
  /** etcd 3.5+: the cluster version, decided by the leader. */
  clusterVersionSet?: { ver: string };
  /** etcd 3.5+: a downgrade job enabled (with its target) or cancelled. */
  downgradeInfoSet?: { enabled: boolean; ver: string };
}
const internalCodec: MessageCodec<InternalRaftRequest> = internalRequestCodec;

/** How often a membership change not yet applied is proposed again. */
const CONF_CHANGE_RETRY_MS = 500;

/** etcd's grpc overhead allowance on top of --max-request-bytes. */
export const GRPC_OVERHEAD_BYTES = 512 * 1024;

export class EtcdServer {
  readonly id: bigint;
  readonly clusterId: bigint;
  readonly membership: Membership;
  /** The etcd release this member reports and behaves as. */
  readonly release: EtcdRelease;
  /** The request checks made before proposing, as this release makes them. */
  private readonly checkLimits: CheckLimits;
  /** Watchers over the member's MVCC store (etcd's watchable store). */
  watchHub!: WatchHub;
  private host!: RaftHost;
  private storage!: MemberStorage;
  private applier!: Applier;
  /** Users, roles, permissions and tokens: etcd's auth store. */
  auth!: AuthStore;
  /** Raised alarms (NOSPACE, CORRUPT), changed only by applied entries. */
  alarms!: AlarmStore;
  private quota!: BackendQuota;
  private lessor!: Lessor;
  private expiryLoop!: ExpiryLoop;
  private wait = new Wait();
  /** The peer network; absent for a member started without --listen-peer-urls. */
  private transport?: RaftTransport;
  /** Set while a leader's snapshot replaces the backend; local reads wait for it. */
  private installing?: Promise<void>;
  /** The database file received from the leader, waiting for Raft to hand over its snapshot. */
  private incomingSnapshot?: { index: number; path: string };
  private reqIds: RequestIdGenerator;
  private commitTimer?: NodeJS.Timeout;
  private corruptMonitor?: CorruptionMonitor;
  private compactHashChecker?: CompactHashChecker;
  private applyWatch!: ApplyWatch;
  private unwatchCompactions?: () => void;
  private compactor?: Compactor;
  private versionMonitor!: ClusterVersionMonitor;
  private leaderChangedAt = 0;
  private readonly v2Warnings = new RateLimitedWarnings();
  /** A joining member's view of the cluster until the log or a snapshot gives it the membership. */
  private bootPeers: Member[] = [];
  private stopping = false;
  /** Set when the Raft loop failed: the backend's uncommitted batch must not be committed. */
  private failed = false;
  private readonly requestTimeoutMs: number;
  private readyResolve!: () => void;
  /** Resolves once this member has a leader and has applied its own bootstrap entries. */
  readonly ready: Promise<void> = new Promise((r) => (this.readyResolve = r));
  private stoppedResolve!: () => void;
  /** Resolves once the member has stopped, asked to or on its own (removed from the cluster). */
  readonly stopped: Promise<void> = new Promise((r) => (this.stoppedResolve = r));

  private constructor(
    readonly opts: ServerOptions,
    readonly logger: Logger,
    readonly metrics: Metrics,
    ids: { id: bigint; clusterId: bigint },
    membership: Membership,
  ) {
    this.id = ids.id;
    this.clusterId = ids.clusterId;
    this.membership = membership;
    this.release = opts.release ?? EtcdRelease.default();
    this.checkLimits = { maxTxnOps: opts.maxTxnOps, sortOrderChecked: this.release.has('sortOrderCheck') };
    this.reqIds = new RequestIdGenerator(this.id, Date.now());
    // etcd: 5 s plus twice the election timeout.
    this.requestTimeoutMs = 5000 + 2 * opts.electionTimeoutMs;
  }

  static async start(opts: ServerOptions, logger: Logger, metrics: Metrics): Promise<EtcdServer> {
    const memberDir = join(opts.dataDir, 'member');
    mkdirSync(memberDir, { recursive: true });
    const initial = opts.initialCluster.map((m) => ({
      name: m.name,
      peerUrls: m.peerUrls,
      id: deriveMemberId(m.peerUrls, opts.initialClusterToken),
    }));
    const walDir = opts.walDir || join(memberDir, 'wal');
    // As etcd's: a member with a WAL restarts from it, its identity and membership are
    // the stored ones, and --initial-cluster and --initial-cluster-state are not read.
    const restarting = Wal.exists(walDir);
    if (restarting) logger.info('server has been already initialized', { 'data-dir': opts.dataDir, 'dir-type': 'member' });
    const listed = initial.find((m) => m.name === opts.name);
    if (!listed && !restarting) throw new Error(`couldn't find local name "${opts.name}" in the initial cluster configuration`);
    const self = listed ?? { name: opts.name, peerUrls: opts.advertisePeerUrls ?? [], id: 0n };
    let bootClusterId = deriveClusterId(initial.map((m) => m.id));
    const joining = opts.initialClusterState === 'existing' && !restarting;
    let remoteMembers: Member[] | undefined;
    const peerTls = resolvePeerTls(opts.peerTls, opts.dataDir, opts.listenPeerUrls ?? [], logger);
    if (joining) {
      // etcd: the existing cluster assigned this member's ID when it was added; find it by peer URLs.
      const mine = (m: Member) => [...m.peerUrls].sort().join(',') === [...self.peerUrls].sort().join(',');
      const remote = await fetchCluster(initial.filter((m) => m.name !== opts.name).flatMap((m) => m.peerUrls), 2000, peerTls, (c) => c.members.some(mine));
      const listed = remote.members.find(mine);
      if (!listed) throw new Error(`member with peer URLs ${self.peerUrls.join(',')} has not been added to cluster ${hex(remote.clusterId)} (add it with "etcdctl member add" first)`);
      self.id = listed.id;
      bootClusterId = remote.clusterId;
      remoteMembers = remote.members;
    }

    const storage = await openStorage(memberDir, {
      walDir,
      memberId: self.id,
      clusterId: bootClusterId,
      initialVoters: joining ? undefined : initial.map((m) => m.id),
      logger,
      onWalFsync: (s) => metrics.walFsync.observe(s),
      bootstrapDefragThresholdMegabytes: opts.bootstrapDefragThresholdMegabytes,
    });
    if (storage.memberId !== self.id && storage.existing) {
      logger.info('restarting member with the identity stored in its data dir', { 'member-id': hex(storage.memberId) });
    }
    // A joining member learns the membership as etcd's does: from the log it replays
    // (the cluster's first conf changes) or the leader's snapshot. Until then it reaches
    // the members the cluster listed to it.
    const membership = storage.existing
      ? Membership.load(storage.backend)
      : Membership.bootstrap(storage.backend, remoteMembers ? [] : initial.map((m) => ({ id: m.id, name: m.name, peerUrls: m.peerUrls, clientUrls: [] as string[], isLearner: false })));
    const server = new EtcdServer(opts, logger, metrics, { id: storage.memberId, clusterId: storage.clusterId }, membership);
    server.storage = storage;
    try {
      server.checkNotDowngraded();
    } catch (err) {
      await storage.close();
      throw err;
    }
    server.bootPeers = remoteMembers ?? [];
    if (opts.listenPeerUrls?.length) {
      try {
        server.transport = await RaftTransport.listen({
          memberId: storage.memberId,
          clusterId: storage.clusterId,
          listenUrls: opts.listenPeerUrls,
          advertiseUrls: opts.advertisePeerUrls ?? (listed ? self.peerUrls : (membership.get(storage.memberId)?.peerUrls ?? [])),
          serverVersion: server.release.version,
          logger,
          tls: peerTls,
          onPeerRoundTrip: (to, seconds) => metrics.peerRoundTrip.labels(to.toString(16)).observe(seconds),
        });
      } catch (err) {
        await storage.close();
        throw err;
      }
    }
    if (opts.initialCorruptCheck && storage.existing && server.transport) {
      // etcd checks a restarting member against its peers before it serves anything.
      try {
        await checkInitialHashKV(server.corruptCheckDeps());
      } catch (err) {
        await server.transport.close();
        await storage.close();
        throw err;
      }
    }
    await server.boot();
    return server;
  }

  private async boot(): Promise<void> {
    const { storage, opts, logger } = this;
    const electionTick = Math.max(2, Math.round(opts.electionTimeoutMs / opts.heartbeatMs));
    this.lessor = new Lessor({ backend: storage.backend, keys: storage.mvcc, minTtlSeconds: minLeaseTtl(electionTick, opts.heartbeatMs) });
    this.lessor.restoreKeys(storage.mvcc);
    this.expiryLoop = new ExpiryLoop(
      this.lessor,
      (id) => this.revokeExpired(id),
      (id, err) => this.logger.warn('failed to revoke an expired lease', { 'lease-id': hex(id), error: String(err) }),
    );
    this.applier = new Applier(storage.mvcc, { logger: this.logger, lessor: this.lessor, metrics: this.metrics });
    this.auth = new AuthStore(storage.backend, { bcryptCost: opts.bcryptCost ?? 10, tokenTtlMs: (opts.authTokenTtlSeconds ?? 300) * 1000, tokenSpec: opts.authToken });
    this.alarms = new AlarmStore(storage.backend);
    this.applyWatch = new ApplyWatch(this.metrics, this.logger, opts.warningApplyDurationMs ?? 100);
    this.watchCompactions(storage.mvcc);
    this.quota = new BackendQuota(opts.quotaBackendBytes, () => this.storage.backend.size());
    const r = this.release;
    this.watchHub = new WatchHub(storage.mvcc, {
      maxRequestBytes: opts.maxRequestBytes,
      progressIntervalMs: opts.watchProgressNotifyIntervalMs,
      rules: {
        progressAfterSync: r.has('progressAfterSync'),
        noProgressBeforeStartRevision: r.has('noProgressBeforeStartRevision'),
        refuseNegativeStartRevision: r.has('refuseNegativeStartRevision'),
      },
    });
    const raftStorage = storage.raftStorage;
    const node = new RawNode({
      id: this.id,
      electionTick,
      heartbeatTick: 1,
      storage: raftStorage,
      applied: storage.appliedIndex,
      maxSizePerMsg: 1024 * 1024,
      maxInflightMsgs: 512,
      checkQuorum: true,
      preVote: true,
      random: Math.random,
    });
    this.host = new RaftHost(
      this.id,
      node,
      raftStorage,
      storage.wal,
      {
        applyEntries: (entries) => this.applyEntries(entries),
        onConfChange: (cc, confState, index, rejected) => this.onConfChange(cc, confState, index, rejected),
        validateConfChange: (cc, index) => this.validateConfChange(cc, index),
        onSoftState: (s) => this.onSoftState(s),
        onApplied: (index) => this.onApplied(index),
        onSnapshot: (snap) => this.installSnapshot(snap),
      },
      logger,
      this.transport,
      {
        appliedIndex: storage.appliedIndex,
        confState: storage.confState,
        onFatal: (err) => this.stopAfterStorageFailure(err),
      },
    );
    this.metrics.serverVersion.set({ server_version: this.release.version }, 1);
    const clusterVersion = this.membership.clusterVersion();
    if (clusterVersion !== undefined) this.clusterVersionMetric(clusterVersion);
    this.metrics.serverId.set({ server_id: hex(this.id) }, 1);
    this.metrics.quotaBackendBytes.set(opts.quotaBackendBytes);
    this.bindMetrics();
    this.transport?.attach({
      raft: {
        step: (m) => this.host.step(m),
        reportUnreachable: (id) => this.host.reportUnreachable(id),
        reportSnapshot: (id, ok) => this.host.reportSnapshot(id, ok),
        reportDown: (id) => this.host.reportDown(id),
      },
      snapshotView: () => this.backendSnapshotView(),
      snapshotScratchDir: () => opts.dataDir,
      snapshotDir: () => join(opts.dataDir, 'member', 'snap'),
      snapshotMeta: (view) => ({ data: encodeV2Store(Membership.readView(view)), confState: loadConfFromView(view) ?? this.host.confState }),
      receiveSnapshot: (index, path) => {
        const prev = this.incomingSnapshot;
        if (prev && prev.index > index) return void rmSync(path, { force: true });
        if (prev && prev.path !== path) rmSync(prev.path, { force: true });
        this.incomingSnapshot = { index, path };
      },
      members: () => this.members(),
      promoteMember: (id) => this.memberPromote(id),
      leaseRenew: (id) => this.leaseRenewLocal(id),
      leaseTimeToLive: async (id, keys) => {
        const r = this.leaseTimeToLive({ ID: id, keys });
        return { ttl: r.TTL, grantedTtl: r.grantedTTL, keys: r.keys };
      },
      waitApplied: () => this.host.waitApplied(),
      isRemoved: (id) => this.membership.isRemoved(id),
      onRemovedSelf: () => this.removedFromCluster(),
      hashKV: (rev) => this.hashByRev(rev, true),
      versions: () => this.versions(),
    });
    const transport = this.transport;
    this.syncPeers();
    this.host.start(opts.heartbeatMs);
    // A single voter needs no election timeout to pass: campaign at once.
    if (storage.confState.voters.length === 1 && storage.confState.voters[0] === this.id) node.campaign();
    this.host.kick();
    this.commitTimer = setInterval(() => void this.commitBackend(), opts.backendBatchIntervalMs);
    this.commitTimer.unref?.();
    this.expiryLoop.start();
    if (opts.corruptCheckTimeMs && opts.corruptCheckTimeMs > 0 && this.transport) {
      this.corruptMonitor = new CorruptionMonitor(
        {
          ...this.corruptCheckDeps(),
          isLeader: () => this.host.isLeader,
          linearizableReadNotify: () => this.linearizableReadNotify(),
          raiseCorrupt: async (memberID) => void (await this.alarm({ action: AlarmAction.ACTIVATE, memberID, alarm: AlarmType.CORRUPT })),
        },
        opts.corruptCheckTimeMs,
      );
      this.corruptMonitor.start();
    }
    if (opts.compactHashCheckTimeMs && opts.compactHashCheckTimeMs > 0 && this.transport) {
      this.compactHashChecker = new CompactHashChecker(
        {
          ...this.corruptCheckDeps(),
          isLeader: () => this.host.isLeader,
          compactionHashes: () => this.storage.mvcc.compactionHashes(),
          raiseCorrupt: async (memberID) => void (await this.alarm({ action: AlarmAction.ACTIVATE, memberID, alarm: AlarmType.CORRUPT })),
        },
        opts.compactHashCheckTimeMs,
      );
      this.compactHashChecker.start();
    }
    this.compactor = newCompactor(
      { mode: opts.autoCompactionMode ?? 'periodic', retention: opts.autoCompactionRetention ?? 0, intervalMs: opts.autoCompactionIntervalMs },
      { logger: this.logger, rev: () => this.storage.mvcc.rev(), compact: async (revision) => void (await this.compact({ revision, physical: false })) },
    );
    // As in etcd, only the leader's compactor acts; leadership changes resume or pause it.
    if (!this.host.isLeader) this.compactor?.pause();
    this.compactor?.run();
    this.versionMonitor = new ClusterVersionMonitor({
      logger,
      isLeader: () => this.host.isLeader,
      memberVersions: () => this.memberVersions(),
      clusterVersion: () => this.membership.clusterVersion(),
      downgrade: () => (this.release.has('downgradeRpc') ? this.membership.downgradeInfo() : undefined),
      proposeClusterVersion: (v) => this.proposeClusterVersion(v),
      cancelDowngrade: () => this.proposeDowngradeInfo({ enabled: false, ver: '' }),
      updateStorageVersion: this.release.has('storageVersion') ? () => this.updateStorageVersion() : undefined,
    });
    this.versionMonitor.start(opts.versionMonitorIntervalMs, opts.downgradeCheckTimeMs ?? opts.versionMonitorIntervalMs);
  }

  private corruptCheckDeps(): CorruptCheckDeps {
    const transport = this.transport;
    if (!transport) throw new Error('corruption checks need the peer transport');
    return {
      memberId: this.id,
      logger: this.logger,
      requestTimeoutMs: this.requestTimeoutMs,
      hashByRev: (rev) => this.hashByRev(rev, true),
      peers: () => this.membership.list().filter((m) => m.id !== this.id),
      fetchHashKV: (url, rev, timeoutMs) => transport.peerHashKV(url, rev, timeoutMs),
    };
  }

  // ---- metrics ----------------------------------------------------------------------

  /** The state etcd's gauges and scrape-time counters read, as this member holds it now. */
  private bindMetrics(): void {
    this.metrics.bind({
      mvccOps: () => this.storage.mvcc.ops,
      liveKeys: () => this.storage.mvcc.liveKeyCount(),
      currentRevision: () => this.storage.mvcc.rev(),
      compactRevision: () => this.storage.mvcc.compactRev(),
      watch: () => {
        const w = this.watchHub.stats();
        return { streams: w.streams, watchers: w.synced + w.unsynced, slow: w.unsynced, eventsSent: w.eventsSent };
      },
      authRevision: () => this.auth.revision,
      isLearner: () => this.membership.get(this.id)?.isLearner ?? false,
      snapshotApplyInProgress: () => this.installing !== undefined,
      walBytes: () => this.storage.wal.stats.bytes,
      alarms: () => this.alarms.get(AlarmType.NONE).map((a) => ({ memberId: hex(a.memberID), alarm: AlarmType[a.alarm] })),
      peers: () => ({
        local: hex(this.id),
        remote: this.membership
          .list()
          .filter((m) => m.id !== this.id)
          .map((m) => ({ id: hex(m.id), active: this.transport?.isActive(m.id) ?? false })),
      }),
    });
  }

  /** etcd's compaction metrics, from each compaction of this store (a snapshot install brings a new one). */
  private watchCompactions(mvcc: MvccStore): void {
    // Kept only where the check runs: hashing at each compaction reads all stored history.
    mvcc.keepCompactionHashes = (this.opts.compactHashCheckTimeMs ?? 0) > 0;
    this.unwatchCompactions?.();
    this.unwatchCompactions = mvcc.onCompact((c: CompactionStats) => {
      this.metrics.indexCompactionPause.observe(Math.floor(c.indexMs));
      this.metrics.dbCompactionTotal.observe(Math.floor(c.totalMs));
      this.metrics.dbCompactionKeys.inc(c.keys);
      this.metrics.dbCompactionLast.set(Math.floor(Date.now() / 1000));
    });
  }

  // ---- apply -----------------------------------------------------------------------

  /**
   * The consistent index is written once per call, for the last entry applied: this
   * runs synchronously, so no backend commit can fall between an entry's effects and
   * the index that covers them, and the finally keeps that true when an entry throws.
   */
  private applyEntries(entries: Entry[]): void {
    const mvcc = this.storage.mvcc;
    const from = mvcc.consistentIndex();
    let applied = from;
    try {
      // A watcher gets one response for all it matched in this batch.
      this.watchHub.batch(() => this.applyEntriesAfter(entries, from, (index) => (applied = index)));
    } finally {
      if (applied > from) mvcc.setConsistentIndex(applied);
    }
    this.metrics.proposalsApplied.set(this.host.appliedIndex);
  }

  private applyEntriesAfter(entries: Entry[], from: number, setApplied: (index: number) => void): void {
    for (const e of entries) {
      if (e.index <= from) continue; // already in the backend
      if (e.type !== EntryType.Normal || e.data.length === 0) {
        setApplied(e.index);
        // A new leader's empty entry: everything from earlier terms is applied, so
        // leases restart their TTLs here rather than expiring all at once.
        if (e.type === EntryType.Normal && this.host.isLeader) {
          this.lessor.promote(this.opts.electionTimeoutMs);
          // etcd's version monitor runs on a new term's first commit.
          setImmediate(() => void this.versionMonitor?.updateClusterVersion());
        }
        continue;
      }
      let decoded: EntryRequest;
      try {
        decoded = decodeEntryRequest(e.data);
      } catch (err) {
        // A committed entry we cannot decode means a corrupt log or a newer writer.
        throw new Error(`cannot decode committed entry ${e.index}: ${String(err)}`);
      }
      if (failpointsOn) failpoint('beforeApplyOneEntryNormal');
      setApplied(e.index);
      const v2 = decoded.v2 ?? (decoded.v3.v2 as V2Request | undefined);
      if (v2) {
        // etcd 3.4's own requests (member attributes, cluster version), bare or nested.
        const result = this.applyV2(v2, e.index);
        if (this.wait.isRegistered(v2.ID)) this.wait.trigger(v2.ID, result);
        continue;
      }
      const req: InternalRaftRequest = decoded.v3;
      if (isAuthRequest(req)) {
        this.applyAuthEntry(req, e.index);
        continue;
      }
      // Checked again where every member agrees: the grants may have changed since the request was.
      const denied = checkWriteAtApply(this.auth, req, { username: req.header?.username ?? '', revision: req.header?.authRevision ?? 0 });
      if (denied) {
        const waiter = req.header?.ID;
        if (waiter !== undefined && this.wait.isRegistered(waiter)) this.wait.trigger(waiter, { err: denied });
        continue;
      }
      const overQuota = !req.alarm && !req.downgradeInfoSet && this.overQuota(req);
      const started = performance.now();
      const result = req.alarm
        ? this.applyAlarm(req.alarm)
        : req.downgradeInfoSet
          ? this.applyDowngradeInfoSet(req.downgradeInfoSet)
          : this.applyWithQuota(req);
      // A request's reads outside its write txn were one read txn (etcd's mvcc metrics).
      this.storage.mvcc.endReadTxn();
      this.applyWatch.applied(req, started, result.err);
      const id = req.header?.ID;
      if (overQuota && !result.err && !this.alarms.has(AlarmType.NOSPACE)) {
        // The write took the backend over its quota. It is applied, so it answers
        // success (etcd answers "database space exceeded" for a write it applied);
        // NOSPACE is raised through the log first, so the next write is refused.
        this.raiseNoSpace().finally(() => id !== undefined && this.wait.isRegistered(id) && this.wait.trigger(id, result));
        continue;
      }
      if (id !== undefined && this.wait.isRegistered(id)) this.wait.trigger(id, result);
      if (failpointsOn) failpoint('afterApplyOneEntryNormal');
    }
  }

  private applyAuthEntry(req: InternalRaftRequest, index: number): void {
    const ai = { username: req.header?.username ?? '', revision: req.header?.authRevision ?? 0 };
    const result = applyAuth(this.auth, req, ai, index);
    const id = req.header?.ID;
    if (id !== undefined && this.wait.isRegistered(id)) this.wait.trigger(id, result);
  }

  /**
   * etcd 3.4's v2 requests, applied as its v2 applier applies them: a PUT of a
   * member's attributes (its name and client URLs, published when it starts) and of
   * the cluster version; SYNC expires v2 TTL keys, of which etcd-ts has none. Other v2
   * requests write v2 keys, which etcd-ts does not keep (it has no v2 API): they are
   * logged and skipped.
   */
  private applyV2(r: V2Request, index: number): ApplyResult {
    const before = this.membership.clusterVersion();
    const outcome = applyV2Request(r, this.membership);
    if (outcome.warn) this.v2Warnings.warn(this.logger, outcome.warn, { method: r.Method, path: r.Path, index });
    if (outcome.clusterVersion !== undefined && outcome.clusterVersion !== before) this.clusterVersionChanged(before, outcome.clusterVersion);
    return { resp: {} };
  }

  private clusterVersionChanged(before: string | undefined, version: string): void {
    this.clusterVersionMetric(version);
    const shown = version.split('.').slice(0, 2).join('.');
    if (before === undefined) {
      this.logger.info('set initial cluster version', { 'cluster-id': hex(this.clusterId), 'local-member-id': hex(this.id), 'cluster-version': shown });
    } else {
      this.logger.info('updated cluster version', { 'cluster-id': hex(this.clusterId), 'local-member-id': hex(this.id), from: before.split('.').slice(0, 2).join('.'), to: shown });
    }
    this.logger.info('enabled capabilities for version', { 'cluster-version': shown });
    // etcd's storage version monitor also runs when the cluster version changes.
    if (this.release.has('storageVersion')) setImmediate(() => !this.stopping && this.updateStorageVersion());
  }

  /** etcd 3.5+: a downgrade job enabled (with its target) or cancelled, the same on every member. */
  private applyDowngradeInfoSet(r: { enabled: boolean; ver: string }): ApplyResult {
    this.membership.setDowngradeInfo({ enabled: r.enabled, targetVersion: r.enabled ? r.ver : '' });
    return { resp: {} };
  }

  private clusterVersionMetric(version: string): void {
    // etcd labels the gauge with major.minor and keeps one label set.
    this.metrics.clusterVersion.reset();
    this.metrics.clusterVersion.set({ cluster_version: version.split('.').slice(0, 2).join('.') }, 1);
  }

  // ---- alarms and quota --------------------------------------------------------------

  /**
   * While NOSPACE or CORRUPT is raised, writes they forbid are refused before they
   * change anything. Both alarms travel through the log, so every member refuses
   * the same entries; the backend's size, which differs between members, never
   * decides whether an entry is applied.
   */
  private applyWithQuota(req: InternalRaftRequest): ApplyResult {
    if (this.alarms.has(AlarmType.CORRUPT) && refusedWhileCorrupt(req)) return { err: Errors.Corrupt };
    if (quotaCost(req) > 0 && this.alarms.has(AlarmType.NOSPACE)) return { err: Errors.NoSpace };
    return this.applier.apply(req);
  }

  /** Whether applying this write takes this member's backend over its quota. */
  private overQuota(req: InternalRaftRequest): boolean {
    return quotaCost(req) > 0 && !this.quota.available(req);
  }

  private applyAlarm(r: AlarmRequest): ApplyResult {
    const alarms: AlarmMember[] = [];
    if (r.action === AlarmAction.GET) {
      alarms.push(...this.alarms.get(r.alarm));
    } else if (r.action === AlarmAction.ACTIVATE) {
      const raised = this.alarms.get(r.alarm).length > 0;
      alarms.push(this.alarms.activate(r.memberID, r.alarm));
      if (!raised) this.logger.warn('alarm raised', { alarm: AlarmType[r.alarm], from: hex(r.memberID) });
    } else if (r.action === AlarmAction.DEACTIVATE) {
      const m = this.alarms.deactivate(r.memberID, r.alarm);
      if (m) alarms.push(m);
      if (m && !this.alarms.has(r.alarm)) this.logger.warn('alarm disarmed', { alarm: AlarmType[r.alarm], from: hex(r.memberID) });
    }
    return { resp: { alarms } };
  }

  private async raiseNoSpace(): Promise<void> {
    this.logger.warn('message exceeded backend quota; raising alarm', { 'quota-size-bytes': this.opts.quotaBackendBytes });
    try {
      await this.alarm({ action: AlarmAction.ACTIVATE, memberID: this.id, alarm: AlarmType.NOSPACE });
    } catch (err) {
      this.logger.warn('failed to raise the NOSPACE alarm', { error: String(err) });
    }
  }

  /** Refuses a write that would take the backend over its quota, raising NOSPACE as etcd's quota servers do. */
  private async checkQuota(req: InternalRaftRequest): Promise<void> {
    if (this.quota.available(req)) return;
    await this.raiseNoSpace();
    throw Errors.NoSpace;
  }

  /** Maintenance.Alarm: every action, GET included, goes through the log; as etcd's, the answer carries no header. */
  async alarm(r: AlarmRequest): Promise<{ alarms: AlarmMember[] }> {
    const res = this.unwrap<{ alarms: AlarmMember[] }>(await this.propose({ alarm: r }));
    return { alarms: res.alarms };
  }

  /** Entries the backend already holds were validated when first applied: the member list shows the outcome. */
  private validateConfChange(cc: ConfChange, index: number): unknown {
    if (index > this.storage.mvcc.consistentIndex()) return reconfig.validateConfChange(cc, this.membership, this.maxLearners());
    const known = this.membership.get(cc.nodeId) !== undefined || this.membership.isRemoved(cc.nodeId);
    return cc.type === ConfChangeType.RemoveNode || known ? undefined : Errors.MemberNotFound;
  }

  /** A committed membership change, applied to the member list as etcd's applyConfChange applies it. */
  private onConfChange(cc: ConfChange, confState: ConfState, index: number, rejected?: unknown): void {
    if (failpointsOn) failpoint('beforeApplyOneConfChange');
    const ctx = reconfig.decodeContext(cc);
    const reqId = cc.id === 0n ? undefined : cc.id;
    const fresh = index > this.storage.mvcc.consistentIndex();
    // Entries the backend already holds (replayed, or covered by an installed snapshot) are not re-applied.
    if (fresh && rejected === undefined) {
      if (cc.type === ConfChangeType.RemoveNode) this.membership.remove(cc.nodeId);
      // etcd replaces the raft attributes whole: an update's context says learner or not.
      else if (cc.type === ConfChangeType.UpdateNode && ctx) this.membership.updateRaftAttributes(cc.nodeId, ctx.member.peerUrls, ctx.member.isLearner);
      else if (ctx?.isPromote) this.membership.promote(cc.nodeId);
      else if (ctx) this.membership.add(ctx.member);
      this.logger.info('applied a membership change', { type: ConfChangeType[cc.type], 'member-id': hex(cc.nodeId), index });
    } else if (fresh) {
      this.logger.warn('rejected a membership change at apply', { type: ConfChangeType[cc.type], 'member-id': hex(cc.nodeId), index, error: String((rejected as Error).message ?? rejected) });
    }
    if (fresh) this.storage.mvcc.setConsistentIndex(index);
    if (rejected !== undefined) {
      if (reqId !== undefined && this.wait.isRegistered(reqId)) this.wait.trigger(reqId, { err: rejected as EtcdError });
      return;
    }
    this.storage.saveConfState(confState);
    // A member joining now must be sent a snapshot whose configuration lists it.
    const rs = this.storage.raftStorage;
    if (index > rs.snapshot().metadata.index && index <= rs.lastIndex()) rs.createSnapshot(index, confState, new Uint8Array(0));
    this.syncPeers();
    if (failpointsOn) failpoint('afterApplyOneConfChange');
    if (reqId !== undefined && this.wait.isRegistered(reqId)) this.wait.trigger(reqId, { resp: {} });
    if (cc.type === ConfChangeType.RemoveNode && cc.nodeId === this.id) this.removedFromCluster();
  }

  private removedFromCluster(): void {
    if (this.stopping) return;
    this.logger.warn('the member has been permanently removed from the cluster', { 'local-member-id': hex(this.id) });
    setImmediate(() => void this.stop());
  }

  private syncPeers(): void {
    // Until a joining member's own addition is applied, the members it was told of stay
    // reachable even if the log it replays has not added them yet.
    if (this.bootPeers.length && this.membership.get(this.id)) this.bootPeers = [];
    const list = this.membership.list();
    for (const m of this.bootPeers) if (!this.membership.get(m.id) && !this.membership.isRemoved(m.id)) list.push(m);
    this.transport?.setPeers(list.map((m) => ({ id: m.id, peerUrls: m.peerUrls })));
  }

  /** The leader's backend replaces ours; everything derived from it is rebuilt. */
  private async installSnapshot(snap: Snapshot): Promise<void> {
    // Local reads wait for the whole install: the backend is replaced a batch at a time,
    // and a read between two batches would see neither the old state nor the new.
    let installed!: () => void;
    this.installing = new Promise<void>((r) => (installed = r));
    // Watch catch-up reads the backend too: it waits for the new store (restore) as well.
    this.watchHub.freeze();
    try {
      await this.installSnapshotBackend(snap);
    } finally {
      this.watchHub.thaw();
      this.installing = undefined;
      installed();
    }
  }

  private async installSnapshotBackend(snap: Snapshot): Promise<void> {
    const incoming = this.incomingSnapshot;
    if (!incoming || incoming.index !== snap.metadata.index) throw new Error(`no database received for snapshot at index ${snap.metadata.index}`);
    this.incomingSnapshot = undefined;
    this.expiryLoop.stop();
    this.lessor.demote();
    await this.storage.installBackend(incoming.path, snap.metadata.index);
    rmSync(incoming.path, { force: true });
    const mvcc = this.storage.mvcc;
    const electionTick = Math.max(2, Math.round(this.opts.electionTimeoutMs / this.opts.heartbeatMs));
    this.lessor = new Lessor({ backend: this.storage.backend, keys: mvcc, minTtlSeconds: minLeaseTtl(electionTick, this.opts.heartbeatMs) });
    this.lessor.restoreKeys(mvcc);
    this.expiryLoop = new ExpiryLoop(
      this.lessor,
      (id) => this.revokeExpired(id),
      (id, err) => this.logger.warn('failed to revoke an expired lease', { 'lease-id': hex(id), error: String(err) }),
    );
    this.expiryLoop.start();
    this.applier = new Applier(mvcc, { logger: this.logger, lessor: this.lessor, metrics: this.metrics });
    this.watchCompactions(mvcc);
    // Users, roles and the enabled flag arrive with the leader's backend.
    this.auth = new AuthStore(this.storage.backend, { bcryptCost: this.opts.bcryptCost ?? 10, tokenTtlMs: (this.opts.authTokenTtlSeconds ?? 300) * 1000, tokenSpec: this.opts.authToken });
    // Watchers carry on over the new store: they catch up from its history, or learn it was compacted.
    this.watchHub.restore(mvcc);
    this.membership.reload();
    // etcd 3.4 rebuilds its member list from the snapshot's v2 store, not the database's
    // buckets: so does this member, so that both kinds agree on it.
    if (snap.data.length > 0) {
      try {
        this.membership.replace(decodeV2Store(snap.data));
      } catch (err) {
        this.logger.warn('snapshot data is not a v2 store; keeping the database\'s member list', { error: String(err) });
      }
    }
    this.storage.saveConfState(snap.metadata.confState);
    this.syncPeers();
    void this.commitBackend();
    if (this.host.lead !== 0n) this.readyResolve();
    this.logger.info('applied snapshot', { 'snapshot-index': snap.metadata.index, 'consistent-index': mvcc.consistentIndex(), revision: mvcc.rev() });
  }

  private onSoftState(s: SoftState): void {
    this.metrics.hasLeader.set(s.lead !== 0n ? 1 : 0);
    this.metrics.isLeader.set(s.lead === this.id ? 1 : 0);
    if (s.lead !== this.id && this.lessor.isPrimary) this.lessor.demote();
    if (s.lead === this.id) this.compactor?.resume();
    else this.compactor?.pause();
    if (s.lead !== 0n) {
      this.metrics.leaderChanges.inc();
      this.leaderChangedAt = Date.now();
      this.logger.info(s.lead === this.id ? 'elected leader' : 'leader changed', {
        'local-member-id': hex(this.id),
        'leader-member-id': hex(s.lead),
        term: this.host.term,
      });
    }
  }

  private onApplied(index: number): void {
    this.metrics.proposalsCommitted.set(index);
    if (index >= this.storage.bootIndex && this.host.lead !== 0n) this.readyResolve();
    if (this.storage.backend.pendingWrites() >= this.opts.backendBatchLimit) void this.commitBackend();
  }

  /**
   * As etcd panics on a failed WAL write, apply or backend commit: nothing more is
   * applied or committed (the WAL still holds every entry, so a restart replays what
   * was left half done), and the member stops rather than serving without them.
   */
  private stopAfterStorageFailure(err: unknown): void {
    if (this.failed) return;
    this.logger.error('stopping member after a storage failure', { error: String(err) });
    this.failed = true;
    this.wait.failAll(Errors.Stopped);
    process.exitCode = 1;
    setImmediate(() => void this.stop());
  }

  private committing?: Promise<void>;
  /** Batches applied state into one backend transaction, as etcd batches bbolt commits. */
  commitBackend(): Promise<void> {
    if (this.committing) return this.committing;
    const started = process.hrtime.bigint();
    this.committing = this.storage
      .commit()
      .then(
        () => {
          this.metrics.backendCommit.observe(Number(process.hrtime.bigint() - started) / 1e9);
          this.metrics.dbTotalSize.set(this.storage.backend.size());
          this.metrics.dbTotalSizeInUse.set(this.storage.backend.sizeInUse());
          this.metrics.dbTotalSizeDebugging.set(this.storage.backend.size());
          // Before Raft runs (the initial corruption check commits too) there is nothing to snapshot.
          if (this.host === undefined) return;
          return this.storage.maybeSnapshot(this.host, this.opts.snapshotCount, this.opts.snapshotCatchupEntries).catch((err) => {
            this.logger.error('failed to save a snapshot', { error: String(err) });
          });
        },
        (err) => {
          // As etcd's batch tx, which panics when a commit fails: the backend no longer
          // holds what was applied, so the member must not go on serving from it.
          this.logger.error('backend commit failed', { error: String(err) });
          this.stopAfterStorageFailure(err);
        },
      )
      .finally(() => {
        this.committing = undefined;
      });
    return this.committing;
  }

  // ---- proposals ---------------------------------------------------------------------

  /** Proposes on a client's behalf: its user and auth revision go with the entry, for the check at apply. */
  private propose(req: InternalRaftRequest, ai?: AuthInfo): Promise<ApplyResult> {
    const id = this.reqIds.next();
    req.header = { ID: id, username: ai?.username ?? '', authRevision: ai?.revision ?? 0 };
    return this.proposeRaw(req, id);
  }

  private async proposeRaw(req: InternalRaftRequest, id: bigint): Promise<ApplyResult> {
    if (this.stopping) throw Errors.Stopped;
    // Exact-size and unshared (the codec copies out of protobufjs's slabs): the entry outlives them.
    return this.proposeData(internalCodec.encode(req), id);
  }

  /** Proposes an entry's data and waits for the apply of the request `id`. */
  private async proposeData(data: Uint8Array, id: bigint): Promise<ApplyResult> {
    if (data.length > this.opts.maxRequestBytes) throw Errors.RequestTooLarge;
    const done = this.wait.register<ApplyResult>(id, this.requestTimeoutMs, this.timeoutError());
    try {
      this.metrics.proposalsPending.inc();
      this.host.propose(data, (err) => this.wait.fail(id, err instanceof ProposalDroppedError ? this.dropError(err) : err));
    } catch (err) {
      this.metrics.proposalsPending.dec();
      this.wait.fail(id, err instanceof ProposalDroppedError ? this.dropError(err) : err);
      this.metrics.proposalsFailed.inc();
      return done;
    }
    try {
      return await done;
    } catch (err) {
      this.metrics.proposalsFailed.inc();
      throw err;
    } finally {
      this.metrics.proposalsPending.dec();
    }
  }

  private dropError(err: ProposalDroppedError): EtcdError {
    if (/no leader/.test(err.message)) return Errors.NoLeader;
    if (/transfer/.test(err.message)) return Errors.LeaderChanged;
    if (/too large/.test(err.message)) return Errors.RequestTooLarge;
    return Errors.Timeout;
  }

  private timeoutError(): EtcdError {
    // etcd blames the previous leader when one changed within the last election window.
    if (Date.now() - this.leaderChangedAt < 3 * this.opts.electionTimeoutMs) return Errors.TimeoutDueToLeaderFail;
    return Errors.Timeout;
  }

  private unwrap<T>(r: ApplyResult): T {
    if (r.err) throw r.err;
    return r.resp as T;
  }

  header(revision?: number): kv.ResponseHeader {
    return {
      clusterId: this.clusterId,
      memberId: this.id,
      revision: revision ?? this.storage.mvcc.rev(),
      raftTerm: this.host.term,
    };
  }

  // ---- KV ----------------------------------------------------------------------------

  /** etcd's etcd_mvcc_*_total: requests applied to the store by kind. */
  /** With `raw`, see KvApplier.range: the key-values may come as stored bytes. */
  async range(req: kv.RangeRequest, opts?: { raw?: boolean }): Promise<kv.RangeResponse & { raw?: Uint8Array[] }> {
    this.applier.check({ range: req }, this.checkLimits);
    if (!req.serializable) await this.linearizableReadNotify();
    if (this.installing) await this.installing;
    const started = performance.now();
    let resp: kv.RangeResponse & { raw?: Uint8Array[] };
    try {
      resp = this.applier.range(req, opts);
    } catch (err) {
      this.metrics.rangeDuration.labels('false').observe((performance.now() - started) / 1000);
      throw err;
    } finally {
      this.storage.mvcc.endReadTxn();
    }
    this.metrics.rangeDuration.labels('true').observe((performance.now() - started) / 1000);
    resp.header = this.header();
    return resp;
  }

  async put(req: kv.PutRequest, ai?: AuthInfo): Promise<kv.PutResponse> {
    this.applier.check({ put: req }, this.checkLimits);
    await this.checkQuota({ put: req });
    const r = this.unwrap<kv.PutResponse>(await this.propose({ put: req }, ai));
    r.header = this.header(r.header?.revision);
    return r;
  }

  async deleteRange(req: kv.DeleteRangeRequest, ai?: AuthInfo): Promise<kv.DeleteRangeResponse> {
    this.applier.check({ deleteRange: req }, this.checkLimits);
    const r = this.unwrap<kv.DeleteRangeResponse>(await this.propose({ deleteRange: req }, ai));
    r.header = this.header(r.header?.revision);
    return r;
  }

  async txn(req: kv.TxnRequest, ai?: AuthInfo): Promise<kv.TxnResponse> {
    this.applier.check({ txn: req }, this.checkLimits);
    if (isReadOnlyTxn(req)) {
      // etcd serves read-only txns like ranges: a ReadIndex round, then locally.
      if (!req.success.concat(req.failure).every((op) => op.requestRange?.serializable)) await this.linearizableReadNotify();
      if (this.installing) await this.installing;
      let resp: kv.TxnResponse;
      try {
        resp = this.applier.txnReadOnly(req);
      } finally {
        this.storage.mvcc.endReadTxn();
      }
      resp.header = this.header();
      return resp;
    }
    await this.checkQuota({ txn: req });
    const r = this.unwrap<kv.TxnResponse>(await this.propose({ txn: req }, ai));
    r.header = this.header(r.header?.revision);
    return r;
  }

  async compact(req: kv.CompactionRequest, ai?: AuthInfo): Promise<kv.CompactionResponse> {
    const r = this.unwrap<kv.CompactionResponse & { physicalDone?: Promise<void> }>(await this.propose({ compaction: req }, ai));
    if (req.physical && r.physicalDone) await r.physicalDone;
    return { header: this.header(r.header?.revision) };
  }

  /** Waits until this member has applied everything committed before the call (ReadIndex). */
  async linearizableReadNotify(): Promise<void> {
    if (this.stopping) throw Errors.Stopped;
    if (this.host.lead === 0n) {
      // No leader now: give an election a chance within the request timeout.
      await this.waitForLeader();
    }
    // The timer ends with the read: left running, every read kept its timer, promises
    // and closures alive for the whole request timeout (tens of MiB of heap under load).
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(Errors.Timeout), this.requestTimeoutMs);
      timer.unref?.();
    });
    try {
      await Promise.race([this.host.readIndex(), timeout]);
    } catch (err) {
      // etcd's linearizableReadLoop: a timed-out read index is a slow one, one cut short by a leader change a failed one.
      if (err === Errors.Timeout) this.metrics.slowReadIndexes.inc();
      else if (err === Errors.LeaderChanged) this.metrics.readIndexesFailed.inc();
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  private async waitForLeader(): Promise<void> {
    const deadline = Date.now() + this.requestTimeoutMs;
    while (this.host.lead === 0n) {
      if (Date.now() > deadline) throw Errors.NoLeader;
      await new Promise((r) => setTimeout(r, this.opts.heartbeatMs));
    }
  }

  // ---- auth -------------------------------------------------------------------------

  /** Proposes one auth request on behalf of `ai`; the admin check happens when it applies. */
  async proposeAuth(req: AuthRaftRequest, ai?: AuthInfo): Promise<Record<string, unknown>> {
    const id = this.reqIds.next();
    const r = await this.proposeRaw({ ...req, header: { ID: id, username: ai?.username ?? '', authRevision: ai?.revision ?? 0 } }, id);
    const resp = this.unwrap<Record<string, unknown>>(r);
    return { ...resp, header: this.header() };
  }

  /** Checks the password here, then issues a token through the log as etcd 3.4 does. */
  async authenticate(name: string, password: string): Promise<{ token: string }> {
    await this.auth.checkPassword(name, password);
    const r = await this.proposeAuth({ authenticate: { name, password: '', simpleToken: SimpleTokens.prefix() } });
    return r as unknown as { token: string };
  }

  // ---- leases ------------------------------------------------------------------------

  async leaseGrant(req: leasepb.LeaseGrantRequest, ai?: AuthInfo): Promise<leasepb.LeaseGrantResponse> {
    // etcd picks a positive 63-bit ID when the client leaves it 0.
    while (req.ID === 0n) req.ID = randomBytes(8).readBigUInt64BE(0) & 0x7fffffffffffffffn;
    await this.checkQuota({ leaseGrant: req });
    const r = this.unwrap<leasepb.LeaseGrantResponse>(await this.propose({ leaseGrant: req }, ai));
    r.header = this.header(r.header?.revision);
    return r;
  }

  async leaseRevoke(req: leasepb.LeaseRevokeRequest, ai?: AuthInfo): Promise<leasepb.LeaseRevokeResponse> {
    const r = this.unwrap<leasepb.LeaseRevokeResponse>(await this.propose({ leaseRevoke: req }, ai));
    r.header = this.header(r.header?.revision);
    return r;
  }

  /** The leader revokes a lease that expired; etcd counts each such revoke that succeeds. */
  private async revokeExpired(id: bigint): Promise<leasepb.LeaseRevokeResponse> {
    const r = await this.leaseRevoke({ ID: id });
    this.metrics.leaseExpired.inc();
    return r;
  }

  /** Renews on the leader (not through the log); returns the TTL. */
  async leaseRenew(id: bigint): Promise<number> {
    if (this.stopping) throw Errors.Stopped;
    if (!this.host.isLeader && this.transport) {
      const transport = this.transport;
      return this.forwardLease((url, timeoutMs) => transport.leaseRenew(url, id, timeoutMs));
    }
    return this.leaseRenewLocal(id);
  }

  /** Renews on this member's lessor, which only the leader's may do. */
  private async leaseRenewLocal(id: bigint): Promise<number> {
    if (!this.host.isLeader) throw this.host.lead === 0n ? Errors.NoLeader : Errors.NotLeader;
    try {
      const ttl = await this.lessor.renew(id);
      this.metrics.leaseRenewed.inc();
      return ttl;
    } catch (err) {
      if (err instanceof NotPrimaryError) throw Errors.NotLeader;
      throw err;
    }
  }

  /** leaseTimeToLive on any member: a follower asks the leader. */
  async leaseTimeToLiveAnywhere(req: leasepb.LeaseTimeToLiveRequest): Promise<leasepb.LeaseTimeToLiveResponse> {
    if (this.host.isLeader || !this.transport) return this.leaseTimeToLive(req);
    const transport = this.transport;
    const out = await this.forwardLease((url, timeoutMs) => transport.leaseTimeToLive(url, req.ID, !!req.keys, timeoutMs));
    return { header: this.header(), ID: req.ID, TTL: out.ttl, grantedTTL: out.grantedTtl, keys: out.keys };
  }

  /** Remaining and granted TTL as the leader sees them; throws LeaseNotFound. */
  leaseTimeToLive(req: leasepb.LeaseTimeToLiveRequest): leasepb.LeaseTimeToLiveResponse {
    if (!this.host.isLeader) throw this.host.lead === 0n ? Errors.NoLeader : Errors.NotLeader;
    const l = this.lessor.lookup(req.ID);
    if (!l) throw Errors.LeaseNotFound;
    return {
      header: this.header(),
      ID: req.ID,
      TTL: this.lessor.remainingSeconds(l),
      grantedTTL: l.ttl,
      keys: req.keys ? l.keys() : [],
    };
  }

  /**
   * Followers hand lease renewals and TTL queries to the leader, which alone tracks
   * expiry (etcd's /leases and /leases/internal): each of its peer URLs in turn, again
   * after a pause, until one answers or the request times out. LeaseNotFound is final.
   */
  private async forwardLease<T>(call: (leaderUrl: string, timeoutMs: number) => Promise<T>): Promise<T> {
    const deadline = Date.now() + this.requestTimeoutMs;
    while (Date.now() < deadline) {
      if (this.stopping) throw Errors.Stopped;
      const leader = await this.waitLeaderMember(deadline);
      if (leader.id === this.id) throw Errors.NotLeader; // became the leader meanwhile: the caller's client retries here
      for (const url of leader.peerUrls) {
        try {
          return await call(url, Math.max(1, deadline - Date.now()));
        } catch (err) {
          if (err === Errors.LeaseNotFound) throw err;
        }
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    throw Errors.Timeout;
  }

  leaseLeases(): leasepb.LeaseLeasesResponse {
    return { header: this.header(), leases: this.lessor.leases().map((l) => ({ ID: l.id })) };
  }

  // ---- maintenance -------------------------------------------------------------------

  status() {
    const st = this.host.node.status();
    const resp = {
      header: this.header(),
      version: this.release.version,
      dbSize: this.storage.backend.size(),
      dbSizeInUse: this.storage.backend.sizeInUse(),
      leader: this.host.lead,
      raftIndex: this.storage.raftStorage.lastIndex(),
      raftTerm: st.hardState.term,
      raftAppliedIndex: this.host.appliedIndex,
      errors: [...(this.host.lead === 0n ? [Errors.NoLeader.message] : []), ...this.alarms.get(AlarmType.NONE).map(alarmString)],
      isLearner: this.membership.get(this.id)?.isLearner ?? false,
    };
    if (!this.release.has('statusStorageFields')) return resp;
    const d = this.membership.downgradeInfo();
    return {
      ...resp,
      storageVersion: readStorageVersion(this.storage.backend) ?? '',
      dbSizeQuota: this.opts.quotaBackendBytes > 0 ? this.opts.quotaBackendBytes : DEFAULT_QUOTA_BACKEND_BYTES,
      downgradeInfo: { enabled: d.enabled, targetVersion: d.targetVersion },
    };
  }

  /** Returns the backend's free pages to the file system while the member keeps serving. */
  async defragment(): Promise<void> {
    this.logger.info('starting defragment');
    const started = process.hrtime.bigint();
    this.metrics.defragInflight.set(1);
    try {
      await this.storage.backend.defrag();
    } finally {
      this.metrics.defragInflight.set(0);
    }
    this.metrics.backendDefrag.observe(Number(process.hrtime.bigint() - started) / 1e9);
    this.metrics.dbTotalSize.set(this.storage.backend.size());
    this.metrics.dbTotalSizeDebugging.set(this.storage.backend.size());
    this.metrics.dbTotalSizeInUse.set(this.storage.backend.sizeInUse());
    this.logger.info('finished defragment');
  }

  /** A point-in-time view of the applied state (etcd's backend.Snapshot); applying goes on while it is open. */
  async backendSnapshotView(): Promise<BackendView> {
    // A view taken mid-install would hold half of the leader's database.
    while (this.installing) await this.installing;
    await this.commitBackend();
    return this.storage.backend.snapshotView();
  }

  /** etcd 3.6's HashStorage.HashByRev: a hash kept at a compaction answers for its revision, as of now. */
  private async hashByRev(revision: number, refuseWhileInstalling: boolean): Promise<HashKVResult> {
    const kept = revision > 0 ? this.storage.mvcc.compactionHash(revision) : undefined;
    if (kept) return { hash: kept.hash, revision: this.storage.mvcc.rev(), compactRevision: kept.compactRevision, hashRevision: kept.revision };
    return scanHashKV(this.hashSource(), revision, refuseWhileInstalling);
  }

  async hashKV(revision: number) {
    const started = performance.now();
    const h = await this.hashByRev(revision, false);
    this.metrics.hashRevDuration.observe((performance.now() - started) / 1000);
    const resp = { header: this.header(h.revision), hash: h.hash, compactRevision: h.compactRevision };
    return this.release.has('hashKVHashRevision') ? { ...resp, hashRevision: h.hashRevision } : resp;
  }

  async hash() {
    const started = performance.now();
    const hash = (await scanHashKV(this.hashSource(), 0)).hash;
    this.metrics.hashDuration.observe((performance.now() - started) / 1000);
    return { header: this.header(), hash };
  }

  /** What a HashKV scan reads: refused to peers while a snapshot is being installed, when it would describe neither the old state nor the new. */
  private hashSource(): HashSource {
    return {
      mvcc: () => this.storage.mvcc,
      installing: () => this.installing,
      snapshotView: () => this.backendSnapshotView(),
    };
  }

  members(): Member[] {
    return this.membership.list();
  }

  /** Cluster.MemberList: after a ReadIndex round when the client asks for it and the release honours it (etcd 3.5+). */
  async memberList(linearizable: boolean): Promise<Member[]> {
    if (linearizable && this.release.has('memberListLinearizable')) await this.linearizableReadNotify();
    return this.membership.list();
  }

  get appliedIndex(): number {
    return this.host.appliedIndex;
  }
  get term(): number {
    return this.host.term;
  }
  get leader(): bigint {
    return this.host.lead;
  }
  get currentRevision(): number {
    return this.storage.mvcc.rev();
  }

  /** Publishes this member's name and client URLs through the log (etcd's "published local member"). */
  async publish(clientUrls: string[]): Promise<void> {
    const val = JSON.stringify({ name: this.opts.name, clientURLs: clientUrls });
    // As etcd's publish: retried until it is applied or the member stops (a leader lost
    // during startup only delays readiness).
    for (;;) {
      try {
        await this.proposeV2(`/0/members/${hex(this.id)}/attributes`, val);
        break;
      } catch (err) {
        if (this.stopping || err === Errors.Stopped) throw err;
        this.logger.warn('failed to publish local member to cluster through raft', { 'local-member-id': hex(this.id), 'publish-timeout': formatGoDuration(this.requestTimeoutMs), error: err instanceof Error ? err.message : String(err) });
        await new Promise((r) => setTimeout(r, this.opts.heartbeatMs));
      }
    }
    // The leader decides the cluster version as soon as it can; the monitor keeps it current.
    if (this.host.isLeader && !this.membership.clusterVersion()) await this.versionMonitor.updateClusterVersion();
  }

  // ---- versions and downgrades ----------------------------------------------------------

  /** GET /version, on the client and the peer port: etcd's version.Versions. */
  versions(): { etcdserver: string; etcdcluster: string; storage?: string } {
    const out: { etcdserver: string; etcdcluster: string; storage?: string } = {
      etcdserver: this.release.version,
      etcdcluster: this.membership.clusterVersion() ?? 'not_decided',
    };
    if (this.release.has('storageVersion')) out.storage = readStorageVersion(this.storage.backend) ?? 'unknown';
    return out;
  }

  /** The cluster version the leader decided, as "3.6.0"; undefined until then. */
  get clusterVersion(): string | undefined {
    return this.membership.clusterVersion();
  }

  /** The backend's storage version ("3.6.0"); undefined before one is recorded or for releases without one. */
  storageVersion(): string | undefined {
    return this.release.has('storageVersion') ? readStorageVersion(this.storage.backend) : undefined;
  }

  /** The downgrade job as Status reports it. */
  downgradeInfo(): DowngradeInfo {
    return this.membership.downgradeInfo();
  }

  /** Every member's server version: this member's own, the others' from their peer /version. */
  private async memberVersions(): Promise<MemberVersions> {
    const members = this.membership.list();
    const versions = await Promise.all(
      members.map((m) =>
        m.id === this.id
          ? this.release.version
          : (this.transport?.fetchVersion(m.peerUrls, 1000).then(
              (v) => v.server,
              () => undefined,
            ) ?? undefined),
      ),
    );
    return new Map(members.map((m, i) => [m.id, versions[i]]));
  }

  private async proposeClusterVersion(version: string): Promise<void> {
    await this.proposeV2('/0/version', version);
  }

  private async proposeDowngradeInfo(d: { enabled: boolean; ver: string }): Promise<void> {
    this.unwrap(await this.propose({ downgradeInfoSet: d }));
  }

  /** etcd 3.6's storage version monitor: the backend's schema follows the cluster version. */
  private updateStorageVersion(): void {
    const current = readStorageVersion(this.storage.backend);
    const want = wantedStorageVersion(this.membership.clusterVersion(), current);
    if (want === undefined) return;
    if (current !== undefined) this.logger.info('cluster version differs from storage version.', { 'cluster-version': this.membership.clusterVersion(), 'storage-version': current });
    writeStorageVersion(this.storage.backend, want);
    const d = this.membership.downgradeInfo();
    if (d.enabled) this.logger.info('The server is ready to downgrade', { 'target-version': d.targetVersion, 'server-version': this.release.version });
  }

  /** etcd's MustDetectDowngrade: a release older than the cluster's version may not serve its data. */
  private checkNotDowngraded(): void {
    const stored = this.membership.clusterVersion();
    const cv = stored === undefined ? undefined : parseSemver(stored);
    if (cv === undefined) return;
    if (compareSemver(minorOf(this.release.semver), minorOf(cv)) >= 0) return;
    const message = 'invalid downgrade; server version is lower than determined cluster version';
    this.logger.error(message, { 'current-server-version': this.release.version, 'determined-cluster-version': `${cv.major}.${cv.minor}` });
    throw new Error(message);
  }

  /**
   * Maintenance.Downgrade (etcd 3.5+): VALIDATE checks a target against the cluster version,
   * ENABLE records the job through the log (the leader then lowers the cluster version),
   * CANCEL ends it. Answers the cluster version as major.minor.
   */
  async downgrade(action: number, version: string): Promise<{ version: string }> {
    const shown = () => (this.membership.clusterVersion() ?? '').split('.').slice(0, 2).join('.');
    const validate = async (target: Semver) => {
      await this.linearizableReadNotify();
      const cv = parseSemver(this.membership.clusterVersion() ?? '');
      if (cv === undefined) throw Errors.ClusterVersionUnavailable;
      if (compareSemver(target, allowedDowngradeVersion(cv)) !== 0) throw Errors.InvalidDowngradeTargetVersion;
      if (this.membership.downgradeInfo().enabled) throw Errors.DowngradeInProcess;
    };
    switch (action) {
      case 0: {
        const target = parseClusterVersion(version);
        if (target === undefined) throw Errors.WrongDowngradeVersionFormat;
        if (this.membership.clusterVersion() === undefined) throw Errors.ClusterVersionUnavailable;
        const answer = shown();
        await validate(target);
        return { version: answer };
      }
      case 1: {
        const target = parseClusterVersion(version);
        if (target === undefined) throw Errors.WrongDowngradeVersionFormat;
        await validate(target);
        await this.proposeDowngradeInfo({ enabled: true, ver: `${target.major}.${target.minor}.${target.patch}` });
        return { version: shown() };
      }
      case 2: {
        // etcd 3.6 logs a failed cancel (no job, say) and still answers with the cluster version.
        try {
          await this.linearizableReadNotify();
          if (!this.membership.downgradeInfo().enabled) throw Errors.NoInflightDowngrade;
          await this.proposeDowngradeInfo({ enabled: false, ver: '' });
        } catch (err) {
          this.logger.warn('failed to cancel downgrade', { error: err instanceof Error ? err.message : String(err) });
        }
        return { version: shown() };
      }
      default:
        throw new EtcdError(GrpcCode.Unknown, 'etcdserver: unknown method');
    }
  }

  /** A v2 request as etcd 3.4 proposes one: the bare Request in the entry. */
  private async proposeV2(path: string, val: string): Promise<void> {
    if (this.stopping) throw Errors.Stopped;
    const id = this.reqIds.next();
    const data = encodeV2Request({ ID: id, Method: 'PUT', Path: path, Val: val });
    const r = await this.proposeData(data, id);
    if (r.err) throw r.err;
  }

  // ---- cluster membership -------------------------------------------------------------

  private isActive = (id: bigint): boolean => id === this.id || (this.transport?.isActive(id) ?? false);
  private activeSince = (id: bigint): number => this.transport?.activeSince(id) ?? 0;

  private maxLearners(): number {
    return this.opts.maxLearners ?? reconfig.DEFAULT_MAX_LEARNERS;
  }

  private strict(): boolean {
    return this.opts.strictReconfigCheck ?? true;
  }

  /** Proposes a membership change and waits for it to apply (etcd's configure); `make` gets the request ID. */
  private async proposeConfChange(make: (reqId: bigint) => ConfChange): Promise<Member[]> {
    if (this.stopping) throw Errors.Stopped;
    const reqId = this.reqIds.next();
    const done = this.wait.register<ApplyResult>(reqId, this.requestTimeoutMs, this.timeoutError());
    const cc = make(reqId);
    const propose = () => {
      try {
        this.host.proposeConfChange(cc);
      } catch (err) {
        // The leader holds one unapplied change at a time: the retry below proposes this one again.
        if (err instanceof ProposalDroppedError && /conf change is already pending/.test(err.message)) return;
        this.wait.fail(reqId, err instanceof ProposalDroppedError ? this.dropError(err) : err);
      }
    };
    propose();
    // A leader with a membership change still unapplied drops the next one (Raft allows
    // one at a time). Proposing again is safe: a copy applied after the first is
    // refused by the apply-time check, and only the first answers the caller.
    const retry = setInterval(() => this.wait.isRegistered(reqId) && !this.stopping && propose(), CONF_CHANGE_RETRY_MS);
    try {
      this.unwrap(await done);
    } finally {
      clearInterval(retry);
    }
    return this.members();
  }

  async memberAdd(peerUrls: string[], isLearner: boolean): Promise<{ member: Member; members: Member[] }> {
    const urls = reconfig.checkPeerUrls(peerUrls);
    const members = this.members();
    // etcd names a new member by its URLs and the time it was added.
    const id = deriveMemberId(urls, '', Math.floor(Date.now() / 1000));
    if (this.membership.get(id) || this.membership.isRemoved(id)) throw Errors.MemberExist;
    reconfig.checkUrlsFree(members, urls);
    if (isLearner && members.filter((m) => m.isLearner).length >= this.maxLearners()) throw Errors.TooManyLearners;
    if (this.strict()) {
      // etcd's mayAddMember: started voters keep a quorum, and every voter has been linked for a while.
      if (!isLearner) reconfig.checkCanAddVoter(members);
      reconfig.checkConnectedToAll(members, this.id, this.activeSince, Date.now());
    }
    const member: Member = { id, name: '', peerUrls: urls, clientUrls: [], isLearner };
    const after = await this.proposeConfChange((reqId) => reconfig.confChange(isLearner ? ConfChangeType.AddLearnerNode : ConfChangeType.AddNode, member, reqId));
    return { member, members: after };
  }

  async memberRemove(id: bigint): Promise<Member[]> {
    const m = this.membership.get(id);
    if (!m) throw Errors.MemberNotFound;
    // etcd's mayRemoveMember; removing a learner never costs quorum.
    if (this.strict() && !m.isLearner) {
      reconfig.checkCanRemoveVoter(this.members(), id);
      reconfig.checkRemoveKeepsActiveQuorum(this.members(), id, this.id, this.activeSince, Date.now());
    }
    return this.proposeConfChange((reqId) => reconfig.removeConfChange(id, reqId));
  }

  async memberUpdate(id: bigint, peerUrls: string[]): Promise<Member[]> {
    const urls = reconfig.checkPeerUrls(peerUrls);
    const m = this.membership.get(id);
    if (!m) throw Errors.MemberNotFound;
    reconfig.checkUrlsFree(this.members(), urls, id);
    return this.proposeConfChange((reqId) => reconfig.confChange(ConfChangeType.UpdateNode, { ...m, peerUrls: urls }, reqId));
  }

  /** Only the leader knows whether a learner caught up: a follower hands the promotion to it (etcd's PromoteMember). */
  async memberPromote(id: bigint): Promise<Member[]> {
    const progress = this.host.node.status().progress;
    if (!progress) return this.forwardPromote(id);
    const m = this.membership.get(id);
    if (!m) throw Errors.MemberNotFound;
    if (!m.isLearner) throw Errors.MemberNotLearner;
    // etcd: the learner must have replicated at least 90% of the leader's log.
    const leaderMatch = progress.get(this.id)?.match ?? 0;
    const learnerMatch = progress.get(id)?.match ?? 0;
    if (learnerMatch < leaderMatch * 0.9) {
      this.metrics.learnerPromoteFailures.inc({ Reason: Errors.LearnerNotReady.message });
      throw Errors.LearnerNotReady;
    }
    const members = await this.proposeConfChange((reqId) => reconfig.promoteConfChange(id, reqId));
    this.metrics.learnerPromoteSuccesses.inc();
    return members;
  }

  private async forwardPromote(id: bigint): Promise<Member[]> {
    const transport = this.transport;
    if (!transport) throw Errors.NotLeader;
    const deadline = Date.now() + this.requestTimeoutMs;
    while (Date.now() < deadline) {
      if (this.stopping) throw Errors.Stopped;
      const leader = await this.waitLeaderMember(deadline);
      for (const url of leader.peerUrls) {
        try {
          return await transport.promoteMember(url, id, Math.max(1, deadline - Date.now()));
        } catch (err) {
          if (err === Errors.LearnerNotReady || err === Errors.MemberNotFound || err === Errors.MemberNotLearner) throw err;
        }
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    throw Errors.Timeout;
  }

  /** The leader's member entry, once there is a leader this member knows (etcd's waitLeader). */
  private async waitLeaderMember(deadline: number): Promise<Member> {
    for (;;) {
      const lead = this.host.lead;
      const m = lead === 0n ? undefined : this.membership.get(lead) ?? this.bootPeers.find((p) => p.id === lead);
      if (m && m.peerUrls.length) return m;
      if (this.stopping) throw Errors.Stopped;
      if (Date.now() > deadline) throw lead === 0n ? Errors.NoLeader : Errors.Timeout;
      await new Promise((r) => setTimeout(r, this.opts.heartbeatMs));
    }
  }

  /** Hands leadership to a voter and waits until it leads (etcd's MoveLeader). */
  async moveLeader(target: bigint): Promise<void> {
    if (!this.host.isLeader) throw Errors.NotLeader;
    const m = this.membership.get(target);
    if (!m || m.isLearner) throw Errors.BadLeaderTransferee;
    if (target === this.id) return;
    this.host.transferLeader(target);
    const deadline = Date.now() + this.requestTimeoutMs;
    while (this.host.lead !== target) {
      if (this.stopping) throw Errors.Stopped;
      if (Date.now() > deadline) throw Errors.TimeoutLeaderTransfer;
      await new Promise((r) => setTimeout(r, this.opts.heartbeatMs / 2));
    }
  }

  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    if (this.commitTimer) clearInterval(this.commitTimer);
    this.corruptMonitor?.stop();
    this.compactHashChecker?.stop();
    this.compactor?.stop();
    this.versionMonitor?.stop();
    // A storage failure may stop a member whose start has not reached these yet.
    this.expiryLoop?.stop();
    await this.host?.stop();
    await this.transport?.close();
    // Renewals waiting on an expiring lease give up rather than hang.
    this.lessor.demote();
    this.wait.failAll(Errors.Stopped);
    this.watchHub.close();
    if (!this.failed) await this.commitBackend();
    await this.storage.close();
    this.stoppedResolve();
  }
}

function isReadOnlyTxn(req: kv.TxnRequest): boolean {
  const ro = (ops: kv.RequestOp[]): boolean =>
    ops.every((op) => (op.requestRange ? true : op.requestTxn ? isReadOnlyTxn(op.requestTxn) : false));
  return ro(req.success) && ro(req.failure);
}

export { GrpcCode };
