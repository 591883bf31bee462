// What etcd records about each applied request: its duration by operation (3.6's
// etcd_server_apply_duration_seconds), and the "apply request took too long" warning
// with etcd_server_slow_apply_total when it ran past --warning-apply-duration.
import type { Logger } from '../pkg/logger.js';
import type { Metrics } from '../metrics/index.js';
import { formatGoDuration } from '../config/go-values.js';

/** The InternalRaftRequest field set, by etcd's name for the operation (its dispatch's op). */
const OPS: ReadonlyArray<[string, string]> = [
  ['range', 'Range'],
  ['put', 'Put'],
  ['deleteRange', 'DeleteRange'],
  ['txn', 'Txn'],
  ['compaction', 'Compaction'],
  ['leaseGrant', 'LeaseGrant'],
  ['leaseRevoke', 'LeaseRevoke'],
  ['leaseCheckpoint', 'LeaseCheckpoint'],
  ['alarm', 'Alarm'],
  ['authEnable', 'AuthEnable'],
  ['authDisable', 'AuthDisable'],
  ['authStatus', 'AuthStatus'],
  ['authenticate', 'Authenticate'],
  ['authUserAdd', 'AuthUserAdd'],
  ['authUserDelete', 'AuthUserDelete'],
  ['authUserGet', 'AuthUserGet'],
  ['authUserChangePassword', 'AuthUserChangePassword'],
  ['authUserGrantRole', 'AuthUserGrantRole'],
  ['authUserRevokeRole', 'AuthUserRevokeRole'],
  ['authUserList', 'AuthUserList'],
  ['authRoleAdd', 'AuthRoleAdd'],
  ['authRoleDelete', 'AuthRoleDelete'],
  ['authRoleGet', 'AuthRoleGet'],
  ['authRoleGrantPermission', 'AuthRoleGrantPermission'],
  ['authRoleRevokePermission', 'AuthRoleRevokePermission'],
  ['authRoleList', 'AuthRoleList'],
];

export function applyOpName(req: object): string {
  const r = req as Record<string, unknown>;
  for (const [field, op] of OPS) if (r[field] != null) return op;
  // Member attributes and the cluster version, which etcd 3.4 writes as v2 requests (3.6 names them so).
  const v2 = r.v2 as { Path?: string } | undefined;
  if (v2?.Path === '/0/version') return 'ClusterVersionSet';
  if (v2?.Path !== undefined && /^\/0\/members\/[0-9a-f]+\/attributes$/.test(v2.Path)) return 'ClusterMemberAttrSet';
  return 'unknown';
}

export class ApplyWatch {
  constructor(
    private readonly metrics: Metrics,
    private readonly logger: Logger,
    /** --warning-apply-duration, in milliseconds. */
    private readonly warnAfterMs: number,
  ) {}

  /** Records one applied request that started at `startedMs` (performance.now()). */
  applied(req: object, startedMs: number, err: unknown): void {
    const tookMs = performance.now() - startedMs;
    const op = applyOpName(req);
    // As etcd: a compacted read still counts as served.
    const success = err === undefined || (err as Error).message === 'mvcc: required revision has been compacted';
    this.metrics.applyDuration.labels('v3', op, String(success)).observe(Math.floor(tookMs * 1000) / 1e6);
    if (tookMs <= this.warnAfterMs) return;
    this.metrics.slowApply.inc();
    this.logger.warn('apply request took too long', {
      took: formatGoDuration(Math.round(tookMs * 1000) / 1000),
      'expected-duration': formatGoDuration(this.warnAfterMs),
      prefix: '',
      request: op,
      response: '',
      ...(err !== undefined ? { error: (err as Error).message } : {}),
    });
  }
}
