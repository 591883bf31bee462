// A 3-member cluster of real processes (real etcd or etcd-ts) started with the
// same etcd flags, for the cluster benchmark: members can be killed with
// SIGKILL and restarted on their own data dir, and the leader can be asked for.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { GrpcClient } from '../src/grpc/client.js';
import { codec } from '../src/pb/codec.js';
import { ETCD_BIN, ETCD_TS_ENTRY } from '../test/helpers/member.js';
import { freePort } from '../test/helpers/ports.js';
import type { ServerKind } from './server.js';

export const HEARTBEAT_MS = 100;
export const ELECTION_TIMEOUT_MS = 1000;
const LOG_LIMIT = 1 << 20;

const rangeReq = codec<{ key: Uint8Array; serializable: boolean }>('etcdserverpb.RangeRequest');
const statusReq = codec<Record<string, never>>('etcdserverpb.StatusRequest');
const statusRes = codec<{ header?: { memberId?: unknown }; leader?: unknown }>('etcdserverpb.StatusResponse');

/** Every member process still running, so an exit handler can end them synchronously. */
const live = new Set<ChildProcess>();
export function killAllClusterMembers(): void {
  for (const c of live) c.kill('SIGKILL');
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class BenchMember {
  readonly endpoint: string;
  private child?: ChildProcess;
  private exited: Promise<void> = Promise.resolve();
  private log = '';

  constructor(
    readonly kind: ServerKind,
    readonly name: string,
    private readonly clientPort: number,
    readonly peerUrl: string,
    private readonly dataDir: string,
    private readonly initialCluster: string,
  ) {
    this.endpoint = `http://127.0.0.1:${clientPort}`;
  }

  get pid(): number {
    return this.child?.pid ?? -1;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  logs(): string {
    return this.log;
  }

  spawn(state: 'new' | 'existing'): void {
    if (this.running) throw new Error(`member ${this.name} is already running`);
    const file = this.kind === 'etcd' ? ETCD_BIN : process.execPath;
    // BENCH_CPU_PROF=<dir>: each etcd-ts member writes a V8 CPU profile there when it exits.
    const prof = process.env.BENCH_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_CPU_PROF] : [];
    // BENCH_NODE_FLAGS="--a --b": Node/V8 flags for the etcd-ts members only (not the load generators).
    const nodeFlags = process.env.BENCH_NODE_FLAGS?.split(/\s+/).filter(Boolean) ?? [];
    const pre = this.kind === 'etcd' ? [] : [...nodeFlags, ...prof, ETCD_TS_ENTRY];
    const args = [
      ...pre,
      '--name', this.name,
      '--data-dir', this.dataDir,
      '--listen-client-urls', this.endpoint,
      '--advertise-client-urls', this.endpoint,
      '--listen-peer-urls', this.peerUrl,
      '--initial-advertise-peer-urls', this.peerUrl,
      '--initial-cluster', this.initialCluster,
      '--initial-cluster-state', state,
      '--initial-cluster-token', 'bench-cluster',
      '--heartbeat-interval', String(HEARTBEAT_MS),
      '--election-timeout', String(ELECTION_TIMEOUT_MS),
    ];
    const c = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = c;
    live.add(c);
    const append = (b: Buffer) => {
      if (this.log.length < LOG_LIMIT) this.log += b.toString('utf8');
    };
    c.stdout!.on('data', append);
    c.stderr!.on('data', append);
    this.exited = new Promise((resolve) => {
      c.once('exit', () => {
        live.delete(c);
        resolve();
      });
      c.once('error', (err) => {
        append(Buffer.from(`spawn error: ${err.message}\n`));
        live.delete(c);
        resolve();
      });
    });
  }

  /** Ready means a linearizable Range answers: the member sees a leader and applies. */
  async ready(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const client = new GrpcClient(this.endpoint);
    try {
      while (Date.now() < deadline) {
        if (!this.running) throw new Error(`${this.kind} member ${this.name} exited\n--- log ---\n${this.log.slice(-4000)}`);
        try {
          await client.unary('/etcdserverpb.KV/Range', rangeReq.encode({ key: new TextEncoder().encode('bench-ready'), serializable: false }), undefined, 1000);
          return;
        } catch {
          await sleep(100);
        }
      }
    } finally {
      client.close();
    }
    throw new Error(`${this.kind} member ${this.name} did not serve a Range within ${timeoutMs} ms\n--- log ---\n${this.log.slice(-4000)}`);
  }

  /** This member's own ID and the leader it believes in, as decimal strings; undefined when it does not answer. */
  async status(timeoutMs = 1000): Promise<{ memberId: string; leader: string } | undefined> {
    const client = new GrpcClient(this.endpoint);
    try {
      const res = statusRes.decode(await client.unary('/etcdserverpb.Maintenance/Status', statusReq.encode({}), undefined, timeoutMs));
      return { memberId: String(res.header?.memberId ?? ''), leader: String(res.leader ?? '') };
    } catch {
      return undefined;
    } finally {
      client.close();
    }
  }

  async kill9(): Promise<void> {
    if (!this.running) return;
    this.child!.kill('SIGKILL');
    await this.exited;
  }

  async stop(timeoutMs = 10_000): Promise<void> {
    if (!this.running) return;
    const c = this.child!;
    c.kill('SIGTERM');
    const t = setTimeout(() => c.kill('SIGKILL'), timeoutMs);
    await this.exited;
    clearTimeout(t);
  }
}

export class BenchCluster {
  private constructor(readonly kind: ServerKind, readonly members: BenchMember[]) {}

  static async start(kind: ServerKind, root: string, readyTimeoutMs: number): Promise<BenchCluster> {
    if (kind === 'etcd-ts' && !existsSync(ETCD_TS_ENTRY)) throw new Error(`etcd-ts is not built: ${ETCD_TS_ENTRY} does not exist`);
    const ports: Array<[number, number]> = [];
    for (let i = 0; i < 3; i++) ports.push([await freePort(), await freePort()]);
    const names = ports.map((_, i) => `bench${i}`);
    const initialCluster = names.map((n, i) => `${n}=http://127.0.0.1:${ports[i][1]}`).join(',');
    const members = names.map((n, i) => new BenchMember(kind, n, ports[i][0], `http://127.0.0.1:${ports[i][1]}`, join(root, `${kind}-${n}.etcd`), initialCluster));
    const cluster = new BenchCluster(kind, members);
    try {
      for (const m of members) m.spawn('new');
      await Promise.all(members.map((m) => m.ready(readyTimeoutMs)));
    } catch (err) {
      await cluster.stop();
      throw err;
    }
    return cluster;
  }

  get endpoints(): string[] {
    return this.members.map((m) => m.endpoint);
  }

  get pids(): number[] {
    return this.members.map((m) => m.pid);
  }

  /** The member every running member agrees leads; polled until `timeoutMs`. */
  async leader(timeoutMs: number): Promise<BenchMember> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const running = this.members.filter((m) => m.running);
      const statuses = await Promise.all(running.map((m) => m.status()));
      const leaders = new Set(statuses.map((s) => s?.leader));
      if (statuses.every((s) => s !== undefined) && leaders.size === 1) {
        const id = statuses[0]!.leader;
        const i = statuses.findIndex((s) => s!.memberId === id);
        if (id !== '0' && i >= 0) return running[i];
      }
      await sleep(100);
    }
    throw new Error(`${this.kind}: the members did not agree on a leader within ${timeoutMs} ms`);
  }

  async stop(): Promise<void> {
    await Promise.all(this.members.map((m) => m.stop()));
  }

  logs(): string {
    return this.members.map((m) => `--- ${m.name} ---\n${m.logs().slice(-3000)}`).join('\n');
  }
}
