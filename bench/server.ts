// Starts the server under test as a child process with etcd's flags. Readiness
// is a served gRPC Range, the path the benchmark drives, so a server whose plain
// HTTP endpoints (/health) are not served yet can still be measured.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { GrpcClient } from '../src/grpc/client.js';
import { codec } from '../src/pb/codec.js';
import { ETCD_BIN, ETCD_TS_ENTRY, memberFlags } from '../test/helpers/member.js';
import { freePort } from '../test/helpers/ports.js';

export type ServerKind = 'etcd' | 'etcd-ts';

export interface ServerProcess {
  readonly kind: ServerKind;
  readonly pid: number;
  readonly endpoint: string;
  logs(): string;
  /** SIGTERM, then SIGKILL after `timeoutMs`. */
  stop(timeoutMs?: number): Promise<void>;
  /** Synchronous SIGKILL, for exit handlers. */
  kill(): void;
}

const LOG_LIMIT = 1 << 20;
/** Every server child still running, so an exit handler can end them synchronously. */
const live = new Set<ChildProcess>();

/** SIGKILLs every server started here that is still running; safe in an 'exit' handler. */
export function killAllServers(): void {
  for (const c of live) c.kill('SIGKILL');
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const rangeReq = codec<{ key: Uint8Array; serializable: boolean }>('etcdserverpb.RangeRequest');

function command(kind: ServerKind): { file: string; args: string[]; label: string } {
  if (kind === 'etcd') return { file: ETCD_BIN, args: [], label: ETCD_BIN };
  if (!existsSync(ETCD_TS_ENTRY)) throw new Error(`etcd-ts is not built: ${ETCD_TS_ENTRY} does not exist`);
  return { file: process.execPath, args: [ETCD_TS_ENTRY], label: 'node dist/src/cli/etcd.js' };
}

export function serverCommandLabel(kind: ServerKind): string {
  return command(kind).label;
}

/** A linearizable Range goes through raft: once it answers, the member has a leader and applies. */
async function servesRange(endpoint: string): Promise<boolean> {
  const client = new GrpcClient(endpoint);
  try {
    await client.unary('/etcdserverpb.KV/Range', rangeReq.encode({ key: new TextEncoder().encode('bench-ready'), serializable: false }), undefined, 1000);
    return true;
  } catch {
    return false;
  } finally {
    client.close();
  }
}

export async function startServer(kind: ServerKind, name: string, dataDir: string, readyTimeoutMs: number): Promise<ServerProcess> {
  const clientPort = await freePort();
  const peerPort = await freePort();
  const endpoint = `http://127.0.0.1:${clientPort}`;
  const { file, args } = command(kind);
  const child: ChildProcess = spawn(file, [...args, ...memberFlags(name, dataDir, clientPort, peerPort)], { stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  let log = '';
  const append = (chunk: Buffer) => {
    if (log.length < LOG_LIMIT) log += chunk.toString('utf8');
  };
  child.stdout!.on('data', append);
  child.stderr!.on('data', append);
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', (err) => {
      append(Buffer.from(`spawn error: ${err.message}\n`));
      resolve();
    });
  });
  let running = true;
  void exited.then(() => {
    running = false;
    live.delete(child);
  });
  const kill = () => {
    if (running) child.kill('SIGKILL');
  };
  const server: ServerProcess = {
    kind,
    get pid() {
      return child.pid ?? -1;
    },
    endpoint,
    logs: () => log,
    kill,
    async stop(timeoutMs = 10_000) {
      if (!running) return;
      child.kill('SIGTERM');
      const timer = setTimeout(kill, timeoutMs);
      await exited;
      clearTimeout(timer);
    },
  };
  const deadline = Date.now() + readyTimeoutMs;
  while (Date.now() < deadline) {
    if (!running) throw new Error(`${kind} exited before serving\n--- log ---\n${log.slice(-4000)}`);
    if (await servesRange(endpoint)) return server;
    await sleep(100);
  }
  kill();
  await exited;
  throw new Error(`${kind} did not serve a Range within ${readyTimeoutMs} ms\n--- log ---\n${log.slice(-4000)}`);
}
