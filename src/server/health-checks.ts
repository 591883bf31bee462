// etcd 3.6's /livez and /readyz (server/etcdserver/api/etcdhttp/health.go): named checks,
// each also served under its own path (/readyz/linearizable_read), ?exclude=<check> to
// skip some, ?verbose to list them. A failure answers 503 with every check's line.
import type { EtcdServer } from './server.js';
import type { Metrics } from '../metrics/index.js';
import type { Logger } from '../pkg/logger.js';
import { AlarmType } from './alarms.js';
import type { HealthAnswer } from '../port/member-port.js';

export type CheckType = 'livez' | 'readyz';
type Check = () => Promise<void>;

/** A range of one key, keys only, as etcd's readCheck: proves the read path answers. */
function readCheck(server: EtcdServer, serializable: boolean): Check {
  return async () => {
    await server.range({
      key: new Uint8Array([0]),
      rangeEnd: new Uint8Array([0]),
      limit: 1,
      revision: 0,
      sortOrder: 0,
      sortTarget: 0,
      serializable,
      keysOnly: true,
      countOnly: false,
      minModRevision: 0,
      maxModRevision: 0,
      minCreateRevision: 0,
      maxCreateRevision: 0,
    });
  };
}

function checks(server: EtcdServer, type: CheckType): Map<string, Check> {
  if (type === 'livez') return new Map([['serializable_read', readCheck(server, true)]]);
  return new Map<string, Check>([
    [
      'data_corruption',
      async () => {
        if (server.alarms.has(AlarmType.CORRUPT)) throw new Error('alarm activated: CORRUPT');
      },
    ],
    ['serializable_read', readCheck(server, true)],
    ['linearizable_read', readCheck(server, false)],
    [
      'non_learner',
      async () => {
        if (server.members().find((m) => m.id === server.id)?.isLearner) throw new Error('not supported for learner');
      },
    ],
  ]);
}

/** Runs the checks of `/livez` or `/readyz` (or one of them, by its subpath) and records etcd's metrics. */
export async function runHealthChecks(server: EtcdServer, metrics: Metrics, logger: Logger, path: string, query: URLSearchParams): Promise<HealthAnswer | undefined> {
  const [, type, only, ...rest] = path.split('/') as [string, string, string | undefined, ...string[]];
  if ((type !== 'livez' && type !== 'readyz') || rest.length > 0) return undefined;
  const all = checks(server, type);
  let names: string[];
  if (only !== undefined) {
    if (!all.has(only)) return undefined;
    names = [only];
  } else {
    const excluded = new Set(query.getAll('exclude').filter((x) => x !== ''));
    names = [...all.keys()].filter((n) => !excluded.delete(n));
    if (excluded.size > 0) logger.warn('some health checks cannot be excluded', { 'missing-health-checks': [...excluded].map((x) => JSON.stringify(x)).join(',') });
  }
  let failed = false;
  let reason = '';
  for (const name of names) {
    try {
      await all.get(name)!();
      reason += `[+]${name} ok\n`;
      metrics.recordHealthCheck(type, name, true);
    } catch (err) {
      failed = true;
      reason += `[-]${name} failed: ${err instanceof Error ? err.message : String(err)}\n`;
      metrics.recordHealthCheck(type, name, false);
    }
  }
  if (failed) {
    logger.error('Health check error', { path, reason, 'status-code': 503 });
    return { status: 503, body: reason };
  }
  return { status: 200, body: (query.has('verbose') ? reason : '') + 'ok\n' };
}
