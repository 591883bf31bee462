// One history: traffic of a profile on a fresh key prefix, watch observers on every
// member, one fault injected and undone while the traffic runs, then the checks.
import { Random } from '../chaos/random.js';
import type { RobustCluster } from './cluster.js';
import { connect } from './conn.js';
import type { Fault, FaultOutcome } from './faults.js';
import { now, type History } from './history.js';
import { Observer } from './observer.js';
import { verifyHistory, type HistoryVerdict } from './verify.js';
import type { Profile, TrafficContext } from './traffic/common.js';

export interface HistorySpec {
  seed: number;
  profile: Profile;
  fault: Fault;
  /** Requests per second the traffic aims at. */
  rate: number;
  /** Traffic before the fault and after it is undone, in ms. */
  leadMs: number;
  tailMs: number;
}

export interface HistoryResult {
  spec: HistorySpec;
  outcome?: FaultOutcome;
  verdict?: HistoryVerdict;
  /** Set when the history could not be run or checked at all (the cluster did not recover, say). */
  error?: string;
  history: History;
  ms: number;
  /** Where the time went: ms per phase. */
  phases: Record<string, number>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function currentRevision(cluster: RobustCluster): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const conn = cluster.conn(attempt % cluster.size);
    try {
      const st = await conn.range({ key: Buffer.from('/'), limit: '1' }, 3000);
      return Number(st.header.revision);
    } catch {
      await sleep(200);
    } finally {
      conn.close();
    }
  }
  throw new Error('no member answered a linearizable read');
}

export async function runHistory(cluster: RobustCluster, spec: HistorySpec): Promise<HistoryResult> {
  const started = now();
  const prefix = `/rb/${spec.seed}/`;
  const startRevision = await currentRevision(cluster);
  const history: History = { ops: [], watches: [], startRevision, prefix };
  const observers = cluster.endpoints().map((e, i) => new Observer(e, 900 + i, history, prefix, startRevision));
  for (const o of observers) o.start();
  let stopping = false;
  let values = 0;
  let leases = 0;
  const safeCompactRevision = () => Math.min(...observers.map((o) => o.observed));
  const ctx: TrafficContext = {
    endpoints: cluster.endpoints(),
    prefix,
    rec: history,
    seed: spec.seed,
    rate: spec.rate,
    timeoutMs: 2000,
    stopping: () => stopping,
    safeCompactRevision,
    uniqueValue: (client) => `${spec.seed}.${client}.${values++}`,
    // Unique across histories too: a lease outlives its history.
    uniqueLeaseId: () => ((BigInt(spec.seed % 1_000_000) << 20n) | BigInt(++leases)).toString(16),
  };
  const result: HistoryResult = { spec, history, ms: 0, phases: {} };
  let mark = now();
  const phase = (name: string) => {
    const t = now();
    result.phases[name] = Math.round(t - mark);
    mark = t;
  };
  const traffic = spec.profile.run(ctx);
  try {
    await sleep(spec.leadMs);
    phase('lead');
    result.outcome = await spec.fault.inject({ cluster, rnd: new Random(spec.seed), prefix: `/rbt/${spec.seed}/`, safeCompactRevision });
    phase('fault');
    await sleep(spec.tailMs);
  } catch (err) {
    result.error = `fault ${spec.fault.name} failed: ${(err as Error).stack ?? err}`;
  } finally {
    stopping = true;
    await traffic.catch((err) => {
      result.error ??= `traffic failed: ${(err as Error).stack ?? err}`;
    });
  }
  phase('traffic');
  const end = now();
  try {
    if (result.error === undefined) result.verdict = await verifyHistory(cluster.c.members, observers, history, end);
  } catch (err) {
    result.error = `verification failed: ${(err as Error).message}`;
  } finally {
    await Promise.all(observers.map((o) => o.stop()));
  }
  phase('verify');
  result.ms = now() - started;
  return result;
}

/** Every member answers its status: the cluster is whole (after a fault every member is restarted). */
export async function healthy(cluster: RobustCluster): Promise<boolean> {
  for (let i = 0; i < cluster.size; i++) {
    const conn = connect(cluster.c.members[i]!.endpoint);
    try {
      await conn.status({}, 3000);
    } catch {
      return false;
    } finally {
      conn.close();
    }
  }
  return true;
}
