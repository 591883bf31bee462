// Prometheus metrics under etcd's names and meanings, so the official etcd Grafana
// dashboards and alert rules work unchanged against etcd-ts.
import client from 'prom-client';
import { HotCounter, HotGauge, HotHistogram, PulledFamily } from './hot.js';
import { grpcFamilies, type GrpcFamilies, type UnaryDone } from './edge.js';
import { fdLimit, fdUsed } from './fd.js';

export { EdgeMetrics, grpcCodeName, type GrpcMetrics, type UnaryDone } from './edge.js';

/** The state the scrape-time families read; the server binds it once it has started. */
export interface MetricsSources {
  mvccOps(): { ranges: number; puts: number; deletes: number; txns: number; putBytes: number };
  liveKeys(): number;
  currentRevision(): number;
  /** -1 before the first compaction, as etcd reports it. */
  compactRevision(): number;
  watch(): { streams: number; watchers: number; slow: number; eventsSent: number };
  authRevision(): number;
  isLearner(): boolean;
  snapshotApplyInProgress(): boolean;
  walBytes(): number;
  /** Raised alarms as (member id in hex, alarm name). */
  alarms(): Array<{ memberId: string; alarm: string }>;
  /** This member's id and its peers', hex, and whether each peer's link is up. */
  peers(): { local: string; remote: Array<{ id: string; active: boolean }> };
}
// The families counted where calls are served come from grpcFamilies (edge.ts), as on the edge threads.
export interface Metrics extends GrpcFamilies {}

export class Metrics {
  readonly registry = new client.Registry();

  readonly hasLeader = this.gauge('etcd_server_has_leader', 'Whether or not a leader exists. 1 is existence, 0 is not.');
  readonly isLeader = this.gauge('etcd_server_is_leader', 'Whether or not this member is a leader. 1 if is, 0 otherwise.');
  readonly leaderChanges = this.counter('etcd_server_leader_changes_seen_total', 'The number of leader changes seen.');
  readonly proposalsCommitted = this.gauge('etcd_server_proposals_committed_total', 'The total number of consensus proposals committed.');
  readonly proposalsApplied = this.gauge('etcd_server_proposals_applied_total', 'The total number of consensus proposals applied.');
  readonly proposalsPending = new HotGauge('etcd_server_proposals_pending', 'The current number of pending proposals to commit.', this.registry);
  readonly proposalsFailed = this.counter('etcd_server_proposals_failed_total', 'The total number of failed proposals seen.');
  readonly slowApply = this.counter('etcd_server_slow_apply_total', 'The total number of slow apply requests (likely overloaded from slow disk).');
  readonly slowReadIndexes = this.counter('etcd_server_slow_read_indexes_total', 'The total number of pending read indexes not in sync with leader\'s or timed out read index requests.');
  readonly readIndexesFailed = this.counter('etcd_server_read_indexes_failed_total', 'The total number of failed read indexes seen.');
  readonly healthSuccess = this.counter('etcd_server_health_success', 'The total number of successful health checks');
  readonly healthFailures = this.counter('etcd_server_health_failures', 'The total number of failed health checks');
  readonly quotaBackendBytes = this.gauge('etcd_server_quota_backend_bytes', 'Current backend storage quota size in bytes.');
  readonly serverVersion = new client.Gauge({ name: 'etcd_server_version', help: 'Which version is running. 1 for \'server_version\' label with current version.', labelNames: ['server_version'], registers: [this.registry] });
  readonly clusterVersion = new client.Gauge({ name: 'etcd_cluster_version', help: 'Which version is running. 1 for \'cluster_version\' label with current cluster version', labelNames: ['cluster_version'], registers: [this.registry] });
  readonly serverId = new client.Gauge({ name: 'etcd_server_id', help: 'Server or member ID in hexadecimal format. 1 for \'server_id\' label with current ID.', labelNames: ['server_id'], registers: [this.registry] });

  readonly walFsync = this.histogram('etcd_disk_wal_fsync_duration_seconds', 'The latency distributions of fsync called by WAL.', expBuckets(0.001, 2, 14));
  readonly backendCommit = this.histogram('etcd_disk_backend_commit_duration_seconds', 'The latency distributions of commit called by backend.', expBuckets(0.001, 2, 14));
  readonly backendDefrag = this.histogram('etcd_disk_backend_defrag_duration_seconds', 'The latency distribution of backend defragmentation.', expBuckets(0.1, 2, 13));
  readonly dbTotalSize = this.gauge('etcd_mvcc_db_total_size_in_bytes', 'Total size of the underlying database physically allocated in bytes.');
  readonly dbTotalSizeInUse = this.gauge('etcd_mvcc_db_total_size_in_use_in_bytes', 'Total size of the underlying database logically in use in bytes.');
  readonly dbTotalSizeDebugging = this.gauge('etcd_debugging_mvcc_db_total_size_in_bytes', 'Total size of the underlying database physically allocated in bytes.');
  readonly hashDuration = this.histogram('etcd_mvcc_hash_duration_seconds', 'The latency distribution of storage hash operation.', expBuckets(0.01, 2, 15));
  readonly hashRevDuration = this.histogram('etcd_mvcc_hash_rev_duration_seconds', 'The latency distribution of storage hash by revision operation.', expBuckets(0.01, 2, 15));
  readonly indexCompactionPause = this.histogram('etcd_debugging_mvcc_index_compaction_pause_duration_milliseconds', 'Bucketed histogram of index compaction pause duration.', expBuckets(0.5, 2, 14));
  readonly dbCompactionPause = this.histogram('etcd_debugging_mvcc_db_compaction_pause_duration_milliseconds', 'Bucketed histogram of db compaction pause duration.', expBuckets(1, 2, 13));
  readonly dbCompactionTotal = this.histogram('etcd_debugging_mvcc_db_compaction_total_duration_milliseconds', 'Bucketed histogram of db compaction total duration.', expBuckets(100, 2, 14));
  readonly dbCompactionKeys = this.counter('etcd_debugging_mvcc_db_compaction_keys_total', 'Total number of db keys compacted.');
  readonly dbCompactionLast = this.gauge('etcd_debugging_mvcc_db_compaction_last', 'The unix time of the last db compaction. Resets to 0 on start.');
  readonly backendSnapshot = this.histogram('etcd_disk_backend_snapshot_duration_seconds', 'The latency distribution of backend snapshots.', expBuckets(0.01, 2, 17));
  readonly defragInflight = this.gauge('etcd_disk_defrag_inflight', 'Whether or not defrag is active on the member. 1 means active, 0 means not.');

  readonly leaseGranted = this.counter('etcd_debugging_lease_granted_total', 'The total number of granted leases.');
  readonly leaseRevoked = this.counter('etcd_debugging_lease_revoked_total', 'The total number of revoked leases.');
  readonly leaseRenewed = this.counter('etcd_debugging_lease_renewed_total', 'The number of renewed leases seen by the leader.');
  readonly leaseTtl = this.histogram('etcd_debugging_lease_ttl_total', 'Bucketed histogram of lease TTLs.', expBuckets(1, 2, 24));
  readonly leaseExpired = this.counter('etcd_debugging_server_lease_expired_total', 'The total number of expired leases.');

  readonly learnerPromoteSuccesses = this.counter('etcd_server_learner_promote_successes', 'The total number of successful learner promotions while this member is leader.');
  readonly learnerPromoteFailures = new client.Counter({ name: 'etcd_server_learner_promote_failures', help: 'The total number of failed learner promotions (likely learner not ready) while this member is leader.', labelNames: ['Reason'], registers: [this.registry] });
  readonly featureEnabled = new client.Gauge({ name: 'etcd_server_feature_enabled', help: 'Whether or not a feature is enabled. 1 is enabled, 0 is not.', labelNames: ['name', 'stage'], registers: [this.registry] });
  readonly healthCheck = new client.Gauge({ name: 'etcd_server_healthcheck', help: 'The result of each kind of healthcheck.', labelNames: ['type', 'name'], registers: [this.registry] });
  readonly healthChecks = new client.Counter({ name: 'etcd_server_healthchecks_total', help: 'The total number of each kind of healthcheck.', labelNames: ['type', 'name', 'status'], registers: [this.registry] });
  readonly applyDuration = new HotHistogram('etcd_server_apply_duration_seconds', 'The latency distributions of v2 apply called by backend.', this.registry, ['version', 'op', 'success'], expBuckets(0.0001, 2, 20));
  readonly rangeDuration = new HotHistogram('etcd_server_range_duration_seconds', 'The latency distributions of txn.Range', this.registry, ['success'], expBuckets(0.0001, 2, 20));
  private sources?: MetricsSources;

  readonly peerRoundTrip = new client.Histogram({ name: 'etcd_network_peer_round_trip_time_seconds', help: 'Round-Trip-Time histogram between peers', labelNames: ['To'], buckets: expBuckets(0.0001, 2, 14), registers: [this.registry] });

  /** Told of every finished unary call; the member logs the slow ones (etcd 3.6's "request stats"). */
  unaryDone?: UnaryDone;

  constructor() {
    // Counted where calls are served (see GrpcMetrics): on the core thread when it serves clients itself.
    Object.assign(this, grpcFamilies(this.registry));
    client.collectDefaultMetrics({ register: this.registry });
    const src = () => this.sources;
    const one = (v: number | undefined) => (v === undefined ? [] : [{ value: v }]);
    const ops = () => src()?.mvccOps();
    // etcd 3.4 and 3.5 export the mvcc counters under both names; 3.6 keeps only etcd_mvcc_*.
    for (const prefix of ['etcd_mvcc', 'etcd_debugging_mvcc']) {
      new PulledFamily(`${prefix}_range_total`, 'Total number of ranges seen by this member.', this.registry, 'counter', () => one(ops()?.ranges ?? 0));
      new PulledFamily(`${prefix}_put_total`, 'Total number of puts seen by this member.', this.registry, 'counter', () => one(ops()?.puts ?? 0));
      new PulledFamily(`${prefix}_delete_total`, 'Total number of deletes seen by this member.', this.registry, 'counter', () => one(ops()?.deletes ?? 0));
      new PulledFamily(`${prefix}_txn_total`, 'Total number of txns seen by this member.', this.registry, 'counter', () => one(ops()?.txns ?? 0));
    }
    new PulledFamily('etcd_debugging_mvcc_total_put_size_in_bytes', 'The total size of put kv pairs seen by this member.', this.registry, 'gauge', () => one(ops()?.putBytes ?? 0));
    new PulledFamily('etcd_debugging_mvcc_keys_total', 'Total number of keys.', this.registry, 'gauge', () => one(src()?.liveKeys() ?? 0));
    new PulledFamily('etcd_debugging_mvcc_current_revision', 'The current revision of store.', this.registry, 'gauge', () => one(src()?.currentRevision()));
    new PulledFamily('etcd_debugging_mvcc_compact_revision', 'The revision of the last compaction in store.', this.registry, 'gauge', () => one(src()?.compactRevision()));
    const watch = () => src()?.watch();
    new PulledFamily('etcd_debugging_mvcc_watch_stream_total', 'Total number of watch streams.', this.registry, 'gauge', () => one(watch()?.streams ?? 0));
    new PulledFamily('etcd_debugging_mvcc_watcher_total', 'Total number of watchers.', this.registry, 'gauge', () => one(watch()?.watchers ?? 0));
    new PulledFamily('etcd_debugging_mvcc_slow_watcher_total', 'Total number of unsynced slow watchers.', this.registry, 'gauge', () => one(watch()?.slow ?? 0));
    new PulledFamily('etcd_debugging_mvcc_events_total', 'Total number of events sent by this member.', this.registry, 'counter', () => one(watch()?.eventsSent ?? 0));
    // Events etcd holds back for slow watchers; etcd-ts re-reads them from history instead of holding them.
    new PulledFamily('etcd_debugging_mvcc_pending_events_total', 'Total number of pending events to be sent.', this.registry, 'gauge', () => one(0));
    new PulledFamily('etcd_debugging_auth_revision', 'The current revision of auth store.', this.registry, 'gauge', () => one(src()?.authRevision()));
    new PulledFamily('etcd_server_is_learner', 'Whether or not this member is a learner. 1 if is, 0 otherwise.', this.registry, 'gauge', () => one(src() ? Number(src()!.isLearner()) : 0));
    new PulledFamily('etcd_server_snapshot_apply_in_progress_total', '1 if the server is applying the incoming snapshot. 0 if none.', this.registry, 'gauge', () => one(src() ? Number(src()!.snapshotApplyInProgress()) : 0));
    new PulledFamily('etcd_disk_wal_write_bytes_total', 'Total number of bytes written in WAL.', this.registry, 'gauge', () => one(src()?.walBytes() ?? 0));
    new PulledFamily('etcd_debugging_server_alarms', "Alarms for every member in cluster. 1 for 'server_id' label with current ID. 2 for 'alarm_type' label with type of this alarm", this.registry, 'gauge', () =>
      (src()?.alarms() ?? []).map((a) => ({ labels: { server_id: a.memberId, alarm_type: a.alarm }, value: 1 })),
    );
    const peers = () => src()?.peers() ?? { local: '', remote: [] };
    new PulledFamily('etcd_network_known_peers', 'The current number of known peers.', this.registry, 'gauge', () =>
      peers().remote.map((p) => ({ labels: { Local: peers().local, Remote: p.id }, value: 1 })),
    );
    new PulledFamily('etcd_network_active_peers', 'The current number of active peer connections.', this.registry, 'gauge', () =>
      peers().remote.filter((p) => p.active).map((p) => ({ labels: { Local: peers().local, Remote: p.id }, value: 1 })),
    );
    new PulledFamily('os_fd_used', 'The number of used file descriptors.', this.registry, 'gauge', () => one(fdUsed()));
    new PulledFamily('os_fd_limit', 'The file descriptor limit.', this.registry, 'gauge', () => one(fdLimit()));
  }

  /** Hands the scrape-time families the state they read. */
  bind(sources: MetricsSources): void {
    this.sources = sources;
  }

  /** One /livez or /readyz check's outcome, as etcd 3.6 records it. */
  recordHealthCheck(type: string, name: string, ok: boolean): void {
    this.healthCheck.set({ type, name }, ok ? 1 : 0);
    this.healthChecks.inc({ type, name, status: ok ? 'success' : 'error' });
  }

  private gauge(name: string, help: string) {
    return new client.Gauge({ name, help, registers: [this.registry] });
  }
  private counter(name: string, help: string) {
    return new client.Counter({ name, help, registers: [this.registry] });
  }
  private histogram(name: string, help: string, buckets: number[]) {
    return new client.Histogram({ name, help, buckets, registers: [this.registry] });
  }

  private readonly scrapeHooks: Array<() => void> = [];

  /** Runs fn before every scrape, to set gauges whose value is read rather than tracked. */
  onScrape(fn: () => void): void {
    this.scrapeHooks.push(fn);
  }

  /** Sets the read-at-scrape gauges; call before reading the registry. */
  beforeScrape(): void {
    for (const fn of this.scrapeHooks) fn();
  }

  async text(): Promise<string> {
    this.beforeScrape();
    return this.registry.metrics();
  }
  get contentType(): string {
    return this.registry.contentType;
  }
}

/** Prometheus text of the core's registry with the edge threads' counts added in. */
export async function aggregateText(core: client.Registry, edges: unknown[][]): Promise<string> {
  if (edges.length === 0) return core.metrics();
  type Family = { name: string; aggregator?: string };
  const summed = new Set(edges.flatMap((e) => (e as Family[]).map((f) => f.name)));
  // One process, several threads: a family the edges count too is summed; every other
  // one is the core's alone and printed as it is (prom-client's own aggregators are for
  // several processes, and would drop process_start_time_seconds, say).
  const own = (await core.getMetricsAsJSON()).map((f) => ({ ...f, aggregator: summed.has(f.name) ? 'sum' : 'first' }));
  const all = [own, ...edges] as Parameters<typeof client.AggregatorRegistry.aggregate>[0];
  return client.AggregatorRegistry.aggregate(all).metrics();
}

function expBuckets(start: number, factor: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => start * factor ** i);
}
