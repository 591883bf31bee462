// `npm run robustness -- --histories N --profile P --failpoints F --members 1,3,5 --seed S`:
// histories of realistic traffic, each with one fault inside or around the server,
// each checked (linearizability, watch properties, acknowledged writes, one HashKV).
// Profiles, faults and cluster sizes rotate over the histories; history i runs with
// seed S+i, and a failing history prints the one command that replays it. Data dirs
// are on lossyfs unless --lossy 0, so a crash loses what was not synced; every member
// runs with random pauses armed in its core unless --pauses 0. Faults that restart
// a member cost seconds each: --crash-share says what share of histories get one
// (the rest get network faults, SIGSTOP, leader transfer), so many histories fit in
// a few hours; every selected fault still comes round.
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RobustCluster } from './cluster.js';
import { PAUSE_FAILPOINTS, restarts, selectFaults, type Fault } from './faults.js';
import { healthy, runHistory } from './run.js';
import { selectProfiles } from './traffic/index.js';
import { addHistory, newTally, summaryTables, type Cell, type Tally } from './summary.js';
import type { Profile } from './traffic/common.js';

export interface Args {
  histories: number;
  profile: string;
  failpoints: string;
  members: number[];
  seed: number;
  rate: number;
  lossy: boolean;
  /** Stop after this many minutes, whatever is left. */
  minutes: number;
  edgeThreads: number;
  crashShare: number;
  pauses: boolean;
}

export function parseArgs(argv: string[]): Args {
  const a: Args = { histories: 10, profile: 'all', failpoints: 'all', members: [1, 3, 5], seed: Date.now() % 1_000_000_000, rate: 200, lossy: true, minutes: Infinity, edgeThreads: 0, crashShare: 0.1, pauses: true };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!.replace(/^--?/, '');
    const v = argv[++i];
    if (v === undefined) throw new Error(`--${flag} needs a value`);
    const num = () => {
      const n = Number(v);
      if (!Number.isFinite(n) || n < 0) throw new Error(`--${flag} needs a non-negative number`);
      return n;
    };
    switch (flag) {
      case 'histories': a.histories = Math.floor(num()); break;
      case 'profile': a.profile = v; break;
      case 'failpoints': a.failpoints = v; break;
      case 'members': a.members = v.split(',').map(Number); break;
      case 'seed': a.seed = Math.floor(num()); break;
      case 'rate': a.rate = num(); break;
      case 'lossy': a.lossy = num() > 0; break;
      case 'minutes': a.minutes = num(); break;
      case 'edge-threads': a.edgeThreads = Math.floor(num()); break;
      case 'crash-share': a.crashShare = Math.min(1, num()); break;
      case 'pauses': a.pauses = num() > 0; break;
      default: throw new Error(`unknown flag --${flag} (have --histories, --profile, --failpoints, --members, --seed, --rate, --lossy, --minutes, --edge-threads, --crash-share, --pauses)`);
    }
  }
  for (const m of a.members) if (![1, 3, 5].includes(m)) throw new Error(`--members takes 1, 3 and 5: ${m}`);
  return a;
}

/**
 * History i's cluster size, profile and fault: sizes in blocks; within a block the
 * profiles rotate, and the faults go round a cycle where those that restart a member
 * take `crashShare` of the places.
 */
export function plan(i: number, n: number, sizes: number[], profiles: Profile[], faults: Fault[], crashShare: number): { size: number; profile: Profile; fault: Fault } {
  const block = Math.ceil(n / sizes.length);
  const size = sizes[Math.min(sizes.length - 1, Math.floor(i / block))]!;
  const j = i % block;
  const profile = profiles[j % profiles.length]!;
  const fits = faults.filter((f) => f.minSize <= size);
  if (fits.length === 0) throw new Error(`no selected fault applies to ${size} member(s)`);
  const cycle = faultCycle(fits, crashShare);
  const fault = cycle[Math.floor(j / profiles.length) % cycle.length]!;
  return { size, profile, fault };
}

/** Each restarting fault once, the others repeated so that restarting ones make up about `share` of the cycle. */
export function faultCycle(faults: Fault[], share: number): Fault[] {
  const heavy = faults.filter(restarts);
  const light = faults.filter((f) => !restarts(f));
  if (heavy.length === 0 || light.length === 0 || share >= 1) return faults;
  const lightSlots = Math.max(light.length, Math.round((heavy.length * (1 - share)) / Math.max(share, 0.001)));
  const out: Fault[] = [];
  // Interleaved: a restarting fault every so often, not all in one stretch.
  const every = lightSlots / heavy.length;
  let l = 0;
  for (let h = 0; h < heavy.length; h++) {
    out.push(heavy[h]!);
    for (const end = Math.round((h + 1) * every); l < end; l++) out.push(light[l % light.length]!);
  }
  return out;
}

export function replayCommand(seed: number, size: number, profile: Profile, fault: Fault, a: Args): string {
  return `npm run robustness -- --seed ${seed} --histories 1 --members ${size} --profile ${profile.name} --failpoints ${fault.name} --rate ${a.rate} --edge-threads ${a.edgeThreads}${a.lossy ? '' : ' --lossy 0'}${a.pauses ? '' : ' --pauses 0'}`;
}

/** Lines of each member's log kept with a failed history. */
const MEMBER_LOG_LINES = 300;

export interface CampaignResult {
  total: Tally;
  /** Per cluster size, profile and fault, keyed by their line's text. */
  byCell: Map<string, Tally>;
  cells: Map<string, Cell>;
  /** Per failed history: its seed, problems, saved history and replay command. */
  failures: string[];
  /** Times a member's unsynced writes were dropped with it. */
  drops: number;
}

/** Runs the histories `a` asks for, printing a line per history through `log`. */
export async function campaign(a: Args, log: (line: string) => void = console.log, shouldStop: () => boolean = () => false): Promise<CampaignResult> {
  const profiles = selectProfiles(a.profile);
  const faults = selectFaults(a.failpoints);
  const until = Date.now() + a.minutes * 60_000;
  log(`robustness: ${a.histories} histories, members ${a.members.join('/')}, profiles ${profiles.map((p) => p.name).join(',')}, ${faults.length} faults (${Math.round(a.crashShare * 100)}% restarting), seeds from ${a.seed}, lossyfs ${a.lossy ? 'on' : 'off'}, pauses ${a.pauses ? 'armed' : 'off'}, edge threads ${a.edgeThreads}`);
  const total = newTally();
  const cells = new Map<string, Cell>();
  const failures: string[] = [];
  const outDir = join(tmpdir(), 'etcd-ts-robustness');
  let cluster: RobustCluster | undefined;
  let clusterSize = 0;
  let drops = 0;
  const close = async () => {
    drops += cluster?.mounts.reduce((n, m) => n + m.drops, 0) ?? 0;
    await cluster?.close();
    cluster = undefined;
  };
  try {
    for (let i = 0; i < a.histories && !shouldStop() && Date.now() < until; i++) {
      const seed = a.seed + i;
      const { size, profile, fault } = plan(i, a.histories, a.members, profiles, faults, a.crashShare);
      if (cluster && (clusterSize !== size || !(await healthy(cluster)))) await close();
      if (!cluster) {
        cluster = await RobustCluster.start({ size, lossy: a.lossy, edgeThreads: a.edgeThreads, baseFailpoints: a.pauses ? PAUSE_FAILPOINTS : '' });
        clusterSize = size;
      }
      const r = await runHistory(cluster, { seed, profile, fault, rate: a.rate, leadMs: 150, tailMs: 300 });
      const problems = r.error ? [r.error] : r.verdict!.problems;
      const failed = problems.length > 0;
      addHistory(total, r, failed);
      const cell = `${size} member(s) ${profile.name} ${fault.name}`;
      if (!cells.has(cell)) cells.set(cell, { size, profile: profile.name, fault: fault.name, tally: newTally() });
      addHistory(cells.get(cell)!.tally, r, failed);
      const v = r.verdict;
      log(
        `history ${i + 1} seed=${seed} ${cell}: ${r.outcome?.did ?? '-'}${r.outcome && !r.outcome.triggered ? ' [not triggered]' : ''}; ` +
          (v ? `${v.requests} requests (${v.unknown} unknown), ${v.ackedWrites} acked writes, ${v.watchEvents} watch events, rev ${v.finalRevision}` : 'not checked') +
          ` ${(r.ms / 1000).toFixed(1)} s (${Object.entries(r.phases).map(([k, v]) => `${k} ${v}`).join(', ')}) ${failed ? 'FAILED' : v?.inconclusive ? 'INCONCLUSIVE' : 'OK'}`,
      );
      if (failed) {
        mkdirSync(outDir, { recursive: true });
        const file = join(outDir, `history-${seed}.json`);
        // What each member said last: a member that stopped tells why only in its log.
        const memberLogs = cluster.c.members.map((m) => m.logs().split('\n').slice(-MEMBER_LOG_LINES));
        writeFileSync(file, JSON.stringify({ seed, size, profile: profile.name, fault: fault.name, outcome: r.outcome, problems, memberLogs, history: r.history }, null, 1));
        const cmd = replayCommand(seed, size, profile, fault, a);
        const text = `seed=${seed} ${cell}\n  ${problems.slice(0, 10).join('\n  ')}\n  history (and the members' last log lines): ${file}\n  replay: ${cmd}`;
        failures.push(text);
        log(`  ${text}`);
        // A cluster that failed a check is not trusted with the next history.
        await close();
      }
    }
  } finally {
    await close();
  }
  const byCell = new Map([...cells].map(([k, c]) => [k, c.tally]));
  return { total, byCell, cells, failures, drops };
}

async function main(): Promise<number> {
  const a = parseArgs(process.argv.slice(2));
  let stopping = false;
  process.once('SIGINT', () => (stopping = true));
  const { total, byCell, cells, failures, drops } = await campaign(a, console.log, () => stopping);
  console.log('\nper cluster size, profile and fault: histories (failed) / requests / acked writes / watch events');
  for (const [cell, t] of [...byCell].sort()) console.log(`  ${cell}: ${t.histories} (${t.failed}) / ${t.requests} / ${t.ackedWrites} / ${t.watchEvents}${t.untriggered ? `, ${t.untriggered} not triggered` : ''}`);
  console.log('');
  for (const line of summaryTables(cells.values())) console.log(line);
  console.log('');
  console.log(
    `robustness: ${total.histories} histories checked, ${total.failed} failed, ${total.inconclusive} inconclusive; ` +
      `${total.requests} requests (${total.unknown} of unknown outcome: ${total.resolvedApplied} resolved as applied, ${total.resolvedDropped} as never applied), ` +
      `${total.checked} answers checked against the log, ${total.linearized} operations linearized, ${total.ackedWrites} acknowledged writes present, ` +
      `${total.watchEvents} watch events validated in ${total.watchStreams} streams; ${total.untriggered} failpoints armed but not reached; unsynced writes dropped ${drops} times`,
  );
  for (const f of failures) console.log(`FAILED ${f}`);
  return total.failed === 0 ? 0 : 1;
}

// Not when imported by a test.
if (process.argv[1]?.endsWith('runner.js')) {
  main().then(
    (code) => process.exit(code),
    (err) => {
      console.error(err);
      process.exit(2);
    },
  );
}
