// The experimental flags etcd 3.6 graduated: the old name still sets the same value, with
// 3.6's deprecation warning, and giving both names at once is refused as 3.6 refuses it.

/** etcd 3.6's experimentalFlagMigrationMap: old name → graduated name. */
export const GRADUATED_FLAGS: Readonly<Record<string, string>> = {
  'experimental-compact-hash-check-time': 'compact-hash-check-time',
  'experimental-corrupt-check-time': 'corrupt-check-time',
  'experimental-compaction-batch-limit': 'compaction-batch-limit',
  'experimental-watch-progress-notify-interval': 'watch-progress-notify-interval',
  'experimental-warning-apply-duration': 'warning-apply-duration',
  'experimental-bootstrap-defrag-threshold-megabytes': 'bootstrap-defrag-threshold-megabytes',
  'experimental-memory-mlock': 'memory-mlock',
  'experimental-snapshot-catchup-entries': 'snapshot-catchup-entries',
  'experimental-compaction-sleep-interval': 'compaction-sleep-interval',
  'experimental-downgrade-check-time': 'downgrade-check-time',
  'experimental-peer-skip-client-san-verification': 'peer-skip-client-san-verification',
  'experimental-enable-distributed-tracing': 'enable-distributed-tracing',
  'experimental-distributed-tracing-address': 'distributed-tracing-address',
  'experimental-distributed-tracing-service-name': 'distributed-tracing-service-name',
  'experimental-distributed-tracing-instance-id': 'distributed-tracing-instance-id',
  'experimental-distributed-tracing-sampling-rate': 'distributed-tracing-sampling-rate',
};

/** etcd 3.6's deprecatedFlags: the warning logged, word for word, when one of these is set. */
export const DEPRECATED_FLAG_WARNINGS: Readonly<Record<string, string>> = {
  'max-snapshots': '--max-snapshots is deprecated in 3.6 and will be decommissioned in 3.8.',
  'v2-deprecation': '--v2-deprecation is deprecated and scheduled for removal in v3.8. The default value is enforced, ignoring user input.',
  'experimental-compact-hash-check-enabled': "--experimental-compact-hash-check-enabled is deprecated in 3.6 and will be decommissioned in 3.7. Use '--feature-gates=CompactHashCheck=true' instead.",
  'experimental-compact-hash-check-time': "--experimental-compact-hash-check-time is deprecated in 3.6 and will be decommissioned in 3.7. Use '--compact-hash-check-time' instead.",
  'experimental-txn-mode-write-with-shared-buffer': "--experimental-txn-mode-write-with-shared-buffer is deprecated in v3.6 and will be decommissioned in v3.7. Use '--feature-gates=TxnModeWriteWithSharedBuffer=true' instead.",
  'experimental-corrupt-check-time': "--experimental-corrupt-check-time is deprecated in v3.6 and will be decommissioned in v3.7. Use '--corrupt-check-time' instead.",
  'experimental-compaction-batch-limit': "--experimental-compaction-batch-limit is deprecated in v3.6 and will be decommissioned in v3.7. Use '--compaction-batch-limit' instead.",
  'experimental-watch-progress-notify-interval': "--experimental-watch-progress-notify-interval is deprecated in v3.6 and will be decommissioned in v3.7. Use '--watch-progress-notify-interval' instead.",
  'experimental-warning-apply-duration': "--experimental-warning-apply-duration is deprecated in v3.6 and will be decommissioned in v3.7. Use '--warning-apply-duration' instead.",
  'experimental-bootstrap-defrag-threshold-megabytes': "--experimental-bootstrap-defrag-threshold-megabytes is deprecated in v3.6 and will be decommissioned in v3.7. Use '--bootstrap-defrag-threshold-megabytes' instead.",
  'experimental-memory-mlock': "--experimental-memory-mlock is deprecated in v3.6 and will be decommissioned in v3.7. Use '--memory-mlock' instead.",
  'experimental-snapshot-catchup-entries': "--experimental-snapshot-catchup-entries is deprecated in v3.6 and will be decommissioned in v3.7. Use '--snapshot-catchup-entries' instead.",
  // etcd's own text drops the dashes of the new name here; kept so log searches match.
  'experimental-compaction-sleep-interval': "--experimental-compaction-sleep-interval is deprecated in v3.6 and will be decommissioned in v3.7. Use 'compaction-sleep-interval' instead.",
  'experimental-downgrade-check-time': "--experimental-downgrade-check-time is deprecated in v3.6 and will be decommissioned in v3.7. Use '--downgrade-check-time' instead.",
  'experimental-enable-distributed-tracing': '--experimental-enable-distributed-tracing is deprecated in 3.6 and will be decommissioned in 3.7. Use --enable-distributed-tracing instead.',
  'experimental-distributed-tracing-address': '--experimental-distributed-tracing-address is deprecated in 3.6 and will be decommissioned in 3.7. Use --distributed-tracing-address instead.',
  'experimental-distributed-tracing-service-name': '--experimental-distributed-tracing-service-name is deprecated in 3.6 and will be decommissioned in 3.7. Use --distributed-tracing-service-name instead.',
  'experimental-distributed-tracing-instance-id': '--experimental-distributed-tracing-instance-id is deprecated in 3.6 and will be decommissioned in 3.7. Use --distributed-tracing-instance-id instead.',
  'experimental-distributed-tracing-sampling-rate': '--experimental-distributed-tracing-sampling-rate is deprecated in 3.6 and will be decommissioned in 3.7. Use --distributed-tracing-sampling-rate instead.',
};

/** 3.6's refusal when a flag is given under both its names; undefined when none is. */
export function graduatedConflict(explicitlySet: ReadonlySet<string>): string | undefined {
  for (const [old, graduated] of Object.entries(GRADUATED_FLAGS)) {
    if (explicitlySet.has(old) && explicitlySet.has(graduated)) return `cannot set --${old} and --${graduated} at the same time, please use --${graduated} only`;
  }
  return undefined;
}

/** The deprecation warnings for the flags set, in the order etcd's table lists them. */
export function deprecationWarnings(explicitlySet: ReadonlySet<string>): string[] {
  return Object.entries(DEPRECATED_FLAG_WARNINGS)
    .filter(([name]) => explicitlySet.has(name))
    .map(([, message]) => message);
}
