// BENCH_DISK=1: disk operation counts per request (WAL writes, backend commits),
// read from each member's /metrics before and after a workload. Two servers
// spending different CPU per request often differ first in how many syncs they issue.
const COUNTERS = {
  walSyncs: 'etcd_disk_wal_fsync_duration_seconds_count',
  backendCommits: 'etcd_disk_backend_commit_duration_seconds_count',
} as const;

export type DiskCounts = Record<keyof typeof COUNTERS, number>;

async function memberCounts(endpoint: string): Promise<DiskCounts> {
  const text = await (await fetch(`${endpoint}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
  const out = { walSyncs: 0, backendCommits: 0 };
  for (const [field, name] of Object.entries(COUNTERS) as Array<[keyof DiskCounts, string]>) {
    const m = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text);
    out[field] = m ? Number(m[1]) : NaN;
  }
  return out;
}

/** Counters summed over the members. */
export async function diskCounts(endpoints: string[]): Promise<DiskCounts> {
  const all = await Promise.all(endpoints.map(memberCounts));
  return { walSyncs: all.reduce((s, c) => s + c.walSyncs, 0), backendCommits: all.reduce((s, c) => s + c.backendCommits, 0) };
}

export function diskLine(side: string, before: DiskCounts, after: DiskCounts, requests: number): string {
  const per = (k: keyof DiskCounts) => ((after[k] - before[k]) / Math.max(1, requests)).toFixed(3);
  return `${side.padEnd(8)} disk ops per request (3 members): wal writes ${per('walSyncs')}, backend commits ${per('backendCommits')}`;
}
