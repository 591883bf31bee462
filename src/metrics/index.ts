// Prometheus metrics under etcd's names and meanings, so the official etcd Grafana
// dashboards and alert rules work unchanged against etcd-ts.
import client from 'prom-client';
import { HotCounter, HotGauge, HotHistogram } from './hot.js';
import { grpcFamilies } from './edge.js';

export { EdgeMetrics, grpcCodeName, type GrpcMetrics } from './edge.js';

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
  readonly readIndexFailed = this.counter('etcd_server_slow_read_indexes_total', 'The total number of pending read indexes not in sync with leader\'s or timed out read index requests.');
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
  readonly keysTotal = this.gauge('etcd_debugging_mvcc_keys_total', 'Total number of keys.');
  readonly putTotal = new HotCounter('etcd_mvcc_put_total', 'Total number of puts seen by this member.', this.registry);
  readonly deleteTotal = new HotCounter('etcd_mvcc_delete_total', 'Total number of deletes seen by this member.', this.registry);
  readonly rangeTotal = new HotCounter('etcd_mvcc_range_total', 'Total number of ranges seen by this member.', this.registry);
  readonly txnTotal = new HotCounter('etcd_mvcc_txn_total', 'Total number of txns seen by this member.', this.registry);
  // Read from the store and the watch hub when scraped (see onScrape), as etcd's gauge funcs are.
  readonly currentRevision = this.gauge('etcd_debugging_mvcc_current_revision', 'The current revision of store.');
  readonly compactRevision = this.gauge('etcd_debugging_mvcc_compact_revision', 'The revision of the last compaction in store.');
  readonly watchStreams = this.gauge('etcd_debugging_mvcc_watch_stream_total', 'Total number of watch streams.');
  readonly watchers = this.gauge('etcd_debugging_mvcc_watcher_total', 'Total number of watchers.');
  readonly slowWatchers = this.gauge('etcd_debugging_mvcc_slow_watcher_total', 'Total number of unsynced slow watchers.');

  readonly peerRoundTrip = new client.Histogram({ name: 'etcd_network_peer_round_trip_time_seconds', help: 'Round-Trip-Time histogram between peers', labelNames: ['To'], buckets: expBuckets(0.0001, 2, 14), registers: [this.registry] });

  // Counted where calls are served: on the core thread when it serves clients itself.
  readonly grpcStarted: HotCounter;
  readonly grpcHandled: HotCounter;
  readonly grpcHandling: HotHistogram;

  constructor() {
    ({ grpcStarted: this.grpcStarted, grpcHandled: this.grpcHandled, grpcHandling: this.grpcHandling } = grpcFamilies(this.registry));
    client.collectDefaultMetrics({ register: this.registry });
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
