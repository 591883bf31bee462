// Side-by-side terminal sessions: the same keystrokes typed into the real etcdctl
// against a real etcd (the reference), into etcdctl-ts against another real etcd,
// and into etcdctl-ts against etcd-ts. Each side has its own fresh member driven
// through the same history, so the three screens must be equal once identities
// (member, cluster and lease IDs), ports and timestamps are masked.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { readFileSync } from 'node:fs';
import { Client } from '../../src/client/index.js';
import { ETCDCTL_BIN, startMembers, type Member, type MemberOptions } from '../helpers/index.js';
import { openTerminal, type Exited, type Terminal } from '../helpers/pty.js';
import { ETCDCTL_TS } from './run.js';

export type Ctl = 'etcdctl' | 'etcdctl-ts';

export interface Side {
  readonly name: string;
  readonly ctl: Ctl;
  readonly member: Member;
  /** A client of this side's member, for what happens next to the session (another user's writes). */
  readonly client: Client;
}

export interface Sides {
  readonly all: Side[];
  close(): Promise<void>;
}

export interface SidesOptions {
  member?: MemberOptions;
  /** Options of each side's own client (TLS, credentials). */
  client?: Partial<ConstructorParameters<typeof Client>[0]>;
}

/** Starts the three sides' members (etcd, etcd, etcd-ts) with the same flags. */
export async function startSides(opts: SidesOptions = {}): Promise<Sides> {
  const members = await startMembers([
    ['etcd', opts.member],
    ['etcd', opts.member],
    ['etcd-ts', opts.member],
  ]);
  const mk = (name: string, ctl: Ctl, member: Member): Side => ({ name, ctl, member, client: new Client({ endpoints: [member.endpoint], ...opts.client }) });
  const all = [mk('etcdctl → etcd', 'etcdctl', members[0]!), mk('etcdctl-ts → etcd', 'etcdctl-ts', members[1]!), mk('etcdctl-ts → etcd-ts', 'etcdctl-ts', members[2]!)];
  return {
    all,
    close: async () => {
      await Promise.all(all.map((s) => s.client.close()));
      await Promise.all(members.map((m) => m.close()));
    },
  };
}

/** What a session's shell would pass on: nothing of the test process's own environment. */
export function terminalEnv(extra: Record<string, string> = {}): Record<string, string> {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', LANG: 'C.UTF-8', TERM: 'xterm', ETCDCTL_API: '3', ...extra };
}

/** The command line a person types: `<ctl> --endpoints=<member> args…`. */
export function ctlCommand(side: Side, args: string[]): { file: string; args: string[] } {
  const full = [`--endpoints=${side.member.endpoint}`, ...args];
  return side.ctl === 'etcdctl' ? { file: ETCDCTL_BIN, args: full } : { file: process.execPath, args: [ETCDCTL_TS, ...full] };
}

/** Opens `<ctl> --endpoints=… args…` on a terminal of its own. */
export function openCtl(side: Side, args: string[], env: Record<string, string> = {}): Terminal {
  const c = ctlCommand(side, args);
  return openTerminal(c.file, c.args, { env: terminalEnv(env) });
}

/** Runs a shell line on a terminal; `$CTL` in it is this side's etcdctl command with its endpoint. */
export function openShell(side: Side, line: string, env: Record<string, string> = {}): Terminal {
  const c = ctlCommand(side, []);
  const quote = (a: string) => `'${a.replace(/'/g, `'\\''`)}'`;
  return openTerminal('/bin/sh', ['-c', line.replaceAll('$CTL', [c.file, ...c.args].map(quote).join(' '))], { env: terminalEnv(env) });
}

/** Masks what differs between two members given the same history. */
export function maskScreen(screen: string, side: Side): string {
  return screen
    .replaceAll(`127.0.0.1:${side.member.clientPort}`, '127.0.0.1:<client-port>')
    .replaceAll(`127.0.0.1:${side.member.peerPort}`, '127.0.0.1:<peer-port>')
    .replace(/"ts":"[^"]*"/g, '"ts":"<ts>"')
    .replace(/endpoint:\/\/client-[0-9a-f-]+\//g, 'endpoint://client-<uuid>/')
    // JSON's numeric IDs first: a decimal ID of 12 to 16 digits also reads as a hex one.
    .replace(/"(cluster_id|member_id|raft_term|lease|ID|id)":\d+/g, '"$1":<$1>')
    .replace(/"(ClusterID|MemberID|RaftTerm|Lease|ID)" : \d+/g, '"$1" : <$1>')
    .replace(/\b[0-9a-f]{12,16}\b/g, '<id>');
}

/** What a session knows from before it opened: how many watches its member had. */
export interface Before {
  watches: number;
}

export type Drive = (t: Terminal, side: Side, before: Before) => Promise<void>;

export interface SessionOptions {
  env?: Record<string, string>;
  /** Bound on the whole session once driven; 30 s by default. */
  timeoutMs?: number;
  /** Run through /bin/sh -c with $CTL standing for the etcdctl command (to look at the terminal afterwards). */
  shell?: string;
  /** The files to read a TLS member's metrics with (its watch count). */
  tls?: MetricsTls;
  /** Flags typed before the command on every side (--cacert, --cert, --key). */
  globals?: string[];
  /** A further mask for what legitimately differs in this session (a lease's remaining seconds). */
  mask?: (screen: string) => string;
}

/** A command line, the same for every side or made per side (a lease ID only that side knows). */
export type Args = string[] | ((side: Side) => string[]);

async function session(side: Side, args: string[], drive: Drive, opts: SessionOptions): Promise<Exited> {
  const before = { watches: side.member.endpoint.startsWith('https:') && !opts.tls ? Number.NaN : await watchCount(side.member, opts.tls) };
  const t = opts.shell === undefined ? openCtl(side, args, opts.env) : openShell(side, opts.shell, opts.env);
  try {
    await drive(t, side, before);
    const bound = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), opts.timeoutMs ?? 30_000).unref());
    const ended = await Promise.race([t.exited, bound]);
    if (ended === 'timeout') throw new Error(`${side.name}: ${args.join(' ')} did not exit; screen ${JSON.stringify(t.screen())}`);
    return ended;
  } finally {
    await t.kill();
  }
}

/**
 * Drives the same session on every side at once and asserts that each side's
 * masked screen and exit status equal the reference's; returns the reference's.
 */
export async function sameEverywhere(sides: Sides, args: Args, drive: Drive = async () => {}, opts: SessionOptions = {}): Promise<Exited> {
  const argsOf = (side: Side) => (typeof args === 'function' ? args(side) : args);
  const results = await Promise.all(sides.all.map((side) => session(side, [...(opts.globals ?? []), ...argsOf(side)], drive, opts)));
  const extra = opts.mask ?? ((x: string) => x);
  const [ref, ...rest] = results.map((r, i) => ({ ...r, masked: extra(maskScreen(r.screen, sides.all[i]!)) }));
  rest.forEach((r, i) => {
    const what = `${sides.all[i + 1]!.name}: ${opts.shell ?? argsOf(sides.all[i + 1]!).join(' ')}`;
    assert.equal(r.masked, ref!.masked, `screen of ${what}`);
    assert.equal(r.code, ref!.code, `exit status of ${what}`);
  });
  return { code: ref!.code, screen: ref!.masked };
}

/** Watchers the member has open (etcd's own gauge), or for etcd-ts the Watch streams ever started. */
export interface MetricsTls {
  ca: string;
  cert: string;
  key: string;
}

export async function watchCount(m: Member, tls?: MetricsTls): Promise<number> {
  const text = await new Promise<string>((resolve, reject) => {
    const url = `${m.endpoint}/metrics`;
    const get = url.startsWith('https:') ? httpsRequest : request;
    const req = get(url, tls ? { ca: readFileSync(tls.ca), cert: readFileSync(tls.cert), key: readFileSync(tls.key) } : {}, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve(body));
    });
    req.on('error', reject);
    req.end();
  });
  const gauge = /^etcd_debugging_mvcc_watcher_total (\d+)/m.exec(text);
  if (gauge) return Number(gauge[1]);
  const started = /^grpc_server_started_total\{[^}]*grpc_method="Watch"[^}]*\} (\d+)/m.exec(text);
  return started ? Number(started[1]) : 0;
}

/** Waits until the member has at least `n` more watches than `base`, at most 20 s. */
export async function watchesAdded(m: Member, base: number, n = 1, tls?: MetricsTls): Promise<void> {
  if (Number.isNaN(base)) throw new Error('watch count unknown: give the session its member\'s TLS files');
  const deadline = Date.now() + 20_000;
  while ((await watchCount(m, tls)) < base + n) {
    if (Date.now() > deadline) throw new Error(`${m.kind}: no new watch registered`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
