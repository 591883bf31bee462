// What every command gets: parsed flags and arguments, the display, and a client
// built from the global flags (connected lazily, as etcdctl's mustClientFromCmd).
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { EtcdError, GrpcCode } from '../../rpctypes/errors.js';
import { Client } from '../../client/client.js';
import { DialError } from '../../client/transport.js';
import { Display, type OutputFormat } from './display.js';
import { askPassword } from './password.js';
import { CliExit, ExitCode } from './exit.js';
import { boolOf, intOf, parseDuration, strOf, type FlagSpec, type Parsed } from './flags.js';

const b = (name: string, def = 'false', short?: string): FlagSpec => ({ name, kind: 'bool', default: def, short });
const s = (name: string, def = '', short?: string): FlagSpec => ({ name, kind: 'string', default: def, short });
const d = (name: string, def: string): FlagSpec => ({ name, kind: 'duration', default: def });

export const GLOBAL_FLAGS: FlagSpec[] = [
  { name: 'endpoints', kind: 'strings', default: '127.0.0.1:2379' },
  b('debug'),
  s('write-out', 'simple', 'w'),
  b('hex'),
  d('dial-timeout', '2s'),
  d('command-timeout', '5s'),
  d('keepalive-time', '2s'),
  d('keepalive-timeout', '6s'),
  b('insecure-transport', 'true'),
  b('insecure-discovery', 'true'),
  b('insecure-skip-tls-verify'),
  s('cert'),
  s('key'),
  s('cacert'),
  s('user'),
  s('password'),
  s('discovery-srv', '', 'd'),
  s('discovery-srv-name'),
];

/** Go's pflag name → ETCDCTL_ variable, as flags.SetPflagsFromEnv. */
export const envName = (flag: string) => 'ETCDCTL_' + flag.toUpperCase().replace(/-/g, '_');

export interface CommandIO {
  /** stdout: text, or bytes as they are (-w protobuf). */
  out(s: string | Uint8Array): void;
  err(s: string): void;
  readStdin(): Promise<string>;
  /** All of stdin as bytes (put's value: binary values pass unchanged, as etcdctl's). */
  readStdinBytes(): Promise<Uint8Array>;
  /** Lines of stdin as they arrive (interactive txn and watch). */
  stdinLines(): AsyncIterable<string>;
  /** One line of stdin, without its newline; undefined at the end. */
  readLine(): Promise<string | undefined>;
  /** One white-space delimited word of stdin, as fmt.Scanf("%s"). */
  readToken(): Promise<string>;
}

export class Ctx {
  readonly display: Display;
  readonly commandTimeoutMs: number;
  readonly dialTimeoutMs: number;
  private clients: Client[] = [];

  constructor(
    readonly flags: Parsed,
    readonly args: string[],
    readonly io: CommandIO,
    /** The command line as typed (watch reads its "--" from it, as etcdctl reads os.Args). */
    readonly argv: string[] = [],
    readonly env: NodeJS.ProcessEnv = {},
  ) {
    const format = strOf(flags, 'write-out');
    if (!['simple', 'json', 'fields', 'table', 'protobuf', 'k8s', 'k8s-json'].includes(format)) throw new CliExit(ExitCode.BadFeature, 'unsupported output format');
    this.display = new Display(format as OutputFormat, boolOf(flags, 'hex'), io.out, io.err);
    this.commandTimeoutMs = parseDuration(strOf(flags, 'command-timeout'));
    this.dialTimeoutMs = parseDuration(strOf(flags, 'dial-timeout'));
  }

  bool = (name: string) => boolOf(this.flags, name);
  str = (name: string) => strOf(this.flags, name);
  int = (name: string) => intOf(this.flags, name);

  endpoints(): string[] {
    return this.str('endpoints').split(',').filter((e) => e !== '');
  }

  private asked: Promise<string> | undefined;

  /** --user and --password; a --user without ":password" is asked for once, as etcdctl does. */
  private async credentials(): Promise<{ username?: string; password?: string }> {
    const user = this.str('user');
    const password = this.str('password');
    if (user === '') {
      if (password !== '') throw new CliExit(ExitCode.BadArgs, 'username is empty');
      return {};
    }
    if (password !== '') {
      if (user.includes(':')) throw new CliExit(ExitCode.BadArgs, 'password is specified, but username also contains password');
      return { username: user, password };
    }
    const i = user.indexOf(':');
    if (i < 0) return { username: user, password: await (this.asked ??= askPassword(this.io, 'Password: ')) };
    return { username: user.slice(0, i), password: user.slice(i + 1) };
  }

  /** TLS from --cacert/--cert/--key/--insecure-transport, or their `flagPrefix`ed twins (make-mirror's --dest-*). */
  private tls(flagPrefix = '') {
    const read = (flag: string) => {
      const path = this.str(flagPrefix + flag);
      if (path === '' && this.flags.changed.has(flagPrefix + flag)) throw new CliExit(ExitCode.BadArgs, `empty string is passed to --${flagPrefix + flag} option`);
      return path === '' ? undefined : readFileSync(path);
    };
    const ca = read('cacert');
    const cert = read('cert');
    const key = read('key');
    const skip = flagPrefix === '' && this.bool('insecure-skip-tls-verify');
    const secure = ca !== undefined || cert !== undefined || !this.bool(flagPrefix + 'insecure-transport');
    return secure ? { ca, cert, key, insecureSkipVerify: skip } : undefined;
  }

  /** A client for `endpoints` (default: --endpoints). */
  async client(endpoints = this.endpoints(), withAuth = true, direct = false, tlsFlagPrefix = ''): Promise<Client> {
    const first = c0(endpoints[0] ?? '');
    const target = direct ? `passthrough:///${first}` : `endpoint://client-${randomUUID()}/${first}`;
    const c = new Client({
      endpoints,
      // clientv3 3.4 dials without blocking: an unreachable cluster fails the call at its own deadline.
      dialTimeoutMs: Number.POSITIVE_INFINITY,
      tls: this.tls(tlsFlagPrefix),
      ...(withAuth ? withPassword(await this.credentials()) : {}),
      onCallError: ({ attempt, error }) => this.io.err(retryWarning(target, attempt, error, direct ? first : undefined)),
    });
    this.clients.push(c);
    // clientv3.New authenticates before returning: bad credentials end the command as a failed connection.
    await c.transport.login({ timeoutMs: this.commandTimeoutMs }).catch((err) => {
      throw new CliExit(ExitCode.BadConnection, errorText(err));
    });
    return c;
  }

  /** A deadline for one short command, as commandCtx. */
  timeout(): { timeoutMs: number } {
    return { timeoutMs: this.commandTimeoutMs };
  }

  async close(): Promise<void> {
    await Promise.all(this.clients.map((c) => c.close()));
  }
}

/** clientv3 authenticates only with both a name and a password; otherwise calls go unauthenticated. */
const withPassword = (c: { username?: string; password?: string }) => (c.username && c.password ? c : {});

/** clientv3 names its dial target after the first endpoint without its scheme. */
const c0 = (ep: string) => ep.replace(/^[a-z]+:\/\//i, '');

/** Go's grpc status error text: "rpc error: code = <Code> desc = <message>". */
export function grpcErrorText(e: EtcdError): string {
  return `rpc error: code = ${GrpcCode[e.code]} desc = ${e.message}`;
}

/** clientv3's retry interceptor logs each failed unary attempt as a zap warning on stderr. */
function retryWarning(target: string, attempt: number, e: EtcdError, directTo?: string): string {
  const balancer = directTo === undefined ? 'all SubConns are in TransientFailure' : `connection error: desc = "transport: Error while dialing dial tcp ${directTo}: connect: connection refused"`;
  const error = e instanceof DialError ? `rpc error: code = DeadlineExceeded desc = latest balancer error: ${balancer}` : grpcErrorText(e);
  return JSON.stringify({ level: 'warn', ts: goZapTime(new Date()), caller: 'clientv3/retry_interceptor.go:62', msg: 'retrying of unary invoker failed', target, attempt, error }) + '\n';
}

function goZapTime(d: Date): string {
  const off = -d.getTimezoneOffset();
  const p = (n: number, w = 2) => String(Math.abs(n)).padStart(w, '0');
  const zone = off === 0 ? 'Z' : `${off > 0 ? '+' : '-'}${p(Math.floor(Math.abs(off) / 60))}:${p(Math.abs(off) % 60)}`;
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}${zone}`;
}

/**
 * etcdctl's text for a failed call: etcd's own errors and the client's deadline
 * and cancellation by their message, anything else as a gRPC status.
 */
export function errorText(err: unknown): string {
  if (!(err instanceof EtcdError)) return err instanceof Error ? err.message : String(err);
  if (err.message.startsWith('etcdserver: ') || err.message === 'context deadline exceeded' || err.message === 'context canceled') return err.message;
  return grpcErrorText(err);
}

/** Maps a failed call to etcdctl's exit: "Error: <server message>". */
export function fail(err: unknown, code = ExitCode.Error, wrap?: (m: string) => string): never {
  if (err instanceof CliExit) throw err;
  const m = errorText(err);
  throw new CliExit(code, wrap ? wrap(m) : m);
}
