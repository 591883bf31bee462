// Multi-member clusters of real processes on 127.0.0.1, for tests that kill, restart and
// add members: etcd-ts members, and real etcd ones beside them (mixed clusters). Each
// member's ports and data dir outlive its process.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { freePort } from './ports.js';
import { tmpDir, type TmpDir } from './tmp.js';
import { ETCD_BIN, ETCD_TS_ENTRY, READY_MILESTONE, probeHealth } from './member.js';
import { Client } from '../../src/client/index.js';
import { etcdctl } from './etcdctl.js';

export interface ClusterMemberOptions {
  name: string;
  initialCluster: string;
  state: 'new' | 'existing';
  extraArgs?: string[];
  /** Scheme of the peer URLs; 'https' needs --peer-* TLS flags in extraArgs. */
  peerScheme?: 'http' | 'https';
  /** Scheme of the client URLs; 'https' needs the client TLS flags in extraArgs and clientCa to check readiness. */
  clientScheme?: 'http' | 'https';
  clientCa?: string;
  /** Which server runs: etcd-ts (default) or the real etcd, for side-by-side tests. */
  kind?: 'etcd' | 'etcd-ts';
  /** Extra environment for the process (the robustness tests arm failpoints with it). */
  env?: Record<string, string>;
}

export class ClusterMember {
  readonly endpoint: string;
  readonly peerUrl: string;
  readonly dataDir: string;
  private child?: ChildProcess;
  private exited: Promise<void> = Promise.resolve();
  private log = '';

  constructor(
    readonly name: string,
    readonly clientPort: number,
    readonly peerPort: number,
    root: string,
    public opts: ClusterMemberOptions,
  ) {
    this.endpoint = `${opts.clientScheme ?? 'http'}://127.0.0.1:${clientPort}`;
    this.peerUrl = `${opts.peerScheme ?? 'http'}://127.0.0.1:${peerPort}`;
    this.dataDir = join(root, `${name}.etcd`);
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  logs(): string {
    return this.log;
  }

  get kind(): 'etcd' | 'etcd-ts' {
    return this.opts.kind ?? 'etcd-ts';
  }

  /** Spawns the process; call ready() to wait for it to serve. */
  spawn(): void {
    const real = this.opts.kind === 'etcd';
    const args = [
      ...(real ? [] : [ETCD_TS_ENTRY]),
      '--name', this.name,
      '--data-dir', this.dataDir,
      '--listen-client-urls', this.endpoint,
      '--advertise-client-urls', this.endpoint,
      '--listen-peer-urls', this.peerUrl,
      '--initial-advertise-peer-urls', this.peerUrl,
      '--initial-cluster', this.opts.initialCluster,
      '--initial-cluster-state', this.opts.state,
      '--heartbeat-interval', '50',
      '--election-timeout', '500',
      ...(this.opts.extraArgs ?? []),
    ];
    const c = spawn(real ? ETCD_BIN : process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], ...(this.opts.env ? { env: { ...process.env, ...this.opts.env } } : {}) });
    this.child = c;
    live.add(c);
    const append = (b: Buffer) => {
      if (this.log.length < 4 * 1024 * 1024) this.log += b.toString('utf8');
    };
    c.stdout!.on('data', append);
    c.stderr!.on('data', append);
    this.exited = new Promise((resolve) => c.once('exit', () => {
      live.delete(c);
      resolve();
    }));
  }

  async ready(timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const from = 0;
    while (Date.now() < deadline) {
      if (!this.running) throw new Error(`member ${this.name} exited\n${this.log}`);
      // Over TLS without a CA to check it with, the milestone alone says the client listener serves.
      const unprobed = this.endpoint.startsWith('https:') && this.opts.clientCa === undefined;
      // etcd 3.4 with --logger=zap never logs the milestone: its /health stands in.
      const milestone = this.log.includes(READY_MILESTONE, from) || (this.opts.kind === 'etcd' && !unprobed);
      if (milestone && (unprobed || (await probeHealth(this.endpoint, 500, this.opts.clientCa)))) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`member ${this.name} not ready within ${timeoutMs} ms\n${this.log}`);
  }

  /** Sends `sig` to the running process (e.g. SIGSTOP/SIGCONT to pause it); false when not running. */
  signal(sig: NodeJS.Signals): boolean {
    if (!this.running) return false;
    return this.child!.kill(sig);
  }

  /** Waits for the process to end on its own (a removed member stops itself); false on timeout. */
  async waitExit(timeoutMs: number): Promise<boolean> {
    if (!this.running) return true;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<false>((r) => (timer = setTimeout(() => r(false), timeoutMs)));
    const ok = await Promise.race([this.exited.then(() => true as const), timedOut]);
    clearTimeout(timer);
    return ok;
  }

  async kill9(): Promise<void> {
    if (!this.running) return;
    this.child!.kill('SIGKILL');
    await this.exited;
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    const c = this.child!;
    c.kill('SIGTERM');
    const t = setTimeout(() => c.kill('SIGKILL'), 5000);
    await this.exited;
    clearTimeout(t);
  }

  async restart(): Promise<void> {
    await this.stop();
    this.opts = { ...this.opts, state: 'existing' };
    this.spawn();
    await this.ready();
  }
}

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});

export interface Cluster {
  members: ClusterMember[];
  endpoints(): string[];
  /** Reserves ports for a member to be added later (not started). */
  newMember(name: string, initialCluster: string, extraArgs?: string[]): Promise<ClusterMember>;
  /**
   * Waits until the members have been linked for etcd's HealthInterval (5 s) since the cluster
   * became ready: before that, etcd (and etcd-ts) refuse a member add as "unhealthy cluster".
   */
  linkedForReconfig(): Promise<void>;
  close(): Promise<void>;
}

/** etcd's HealthInterval plus a margin for the last peer link coming up after readiness. */
const RECONFIG_SETTLE_MS = 5_500;

export interface StartClusterOptions {
  extraArgs?: string[];
  token?: string;
  peerScheme?: 'http' | 'https';
  clientScheme?: 'http' | 'https';
  clientCa?: string;
  /** Flags for each member in turn, after extraArgs. */
  memberArgs?: string[][];
  kind?: 'etcd' | 'etcd-ts';
}

export async function startCluster(size: number, opts: StartClusterOptions = {}): Promise<Cluster> {
  const dir: TmpDir = tmpDir('cluster');
  const ports: Array<[number, number]> = [];
  for (let i = 0; i < size; i++) ports.push([await freePort(), await freePort()]);
  const peerScheme = opts.peerScheme ?? 'http';
  const initialCluster = ports.map(([, p], i) => `m${i + 1}=${peerScheme}://127.0.0.1:${p}`).join(',');
  const extra = [...(opts.extraArgs ?? []), ...(opts.token ? ['--initial-cluster-token', opts.token] : [])];
  const client = { clientScheme: opts.clientScheme, clientCa: opts.clientCa, kind: opts.kind };
  const members = ports.map(([c, p], i) => new ClusterMember(`m${i + 1}`, c, p, dir.path, { name: `m${i + 1}`, initialCluster, state: 'new', extraArgs: [...extra, ...(opts.memberArgs?.[i] ?? [])], peerScheme, ...client }));
  let readyAt = Date.now();
  const cluster: Cluster = {
    members,
    endpoints: () => members.filter((m) => m.running).map((m) => m.endpoint),
    async linkedForReconfig() {
      const wait = readyAt + RECONFIG_SETTLE_MS - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    },
    async newMember(name, ic, extraArgs) {
      const m = new ClusterMember(name, await freePort(), await freePort(), dir.path, { name, initialCluster: ic, state: 'existing', extraArgs: [...extra, ...(extraArgs ?? [])], peerScheme, ...client });
      members.push(m);
      return m;
    },
    async close() {
      await Promise.all(members.map((m) => m.stop()));
      dir.cleanup();
    },
  };
  try {
    for (const m of members) m.spawn();
    await Promise.all(members.map((m) => m.ready()));
    readyAt = Date.now();
  } catch (err) {
    await cluster.close();
    throw err;
  }
  return cluster;
}

/**
 * Adds a learner with `etcdctl member add --learner` through `via`, starts it with the
 * initial cluster etcdctl printed, and waits until it serves.
 */
export async function addLearner(c: Cluster, via: ClusterMember, name: string, readyTimeoutMs = 60_000): Promise<ClusterMember> {
  const joiner = await c.newMember(name, '');
  const add = await etcdctl(via.endpoint, ['member', 'add', name, `--peer-urls=${joiner.peerUrl}`, '--learner']);
  if (add.code !== 0) throw new Error(`member add ${name}: ${add.stderr}`);
  joiner.opts = { ...joiner.opts, initialCluster: /ETCD_INITIAL_CLUSTER="([^"]+)"/.exec(add.stdout)![1]!, state: 'existing' };
  joiner.spawn();
  await joiner.ready(readyTimeoutMs);
  return joiner;
}

/** The running member that reports itself leader (Status), or an error when none does. */
export async function leaderOf(c: Cluster): Promise<ClusterMember> {
  for (const m of c.members.filter((x) => x.running)) {
    const cl = new Client({ endpoints: [m.endpoint] });
    try {
      const st = await cl.maintenance.status({ timeoutMs: 2000 });
      if (st.leader !== 0n && st.leader === st.header?.memberId) return m;
    } catch {
      // a member that doesn't answer is not the leader we want
    } finally {
      await cl.close();
    }
  }
  throw new Error('no leader among running members');
}
