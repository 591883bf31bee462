// `etcd-ts gateway start`: etcd's TCP gateway, with its flags and cobra's answers to
// bad ones. The gateway forwards client connections to the cluster's endpoints, from
// --endpoints or from DNS SRV records (--discovery-srv).
import { lookup } from 'node:dns/promises';
import { resolveSrv } from 'node:dns/promises';
import { readFileSync } from 'node:fs';
import { createServer, isIP } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { goQuote, parseGoBool, parseGoDuration } from '../config/go-values.js';
import { createLogger, type Logger } from '../pkg/logger.js';
import { discoverSrvEndpoints, TcpProxy, type ProxyTarget, type SrvResolver } from '../tcpproxy/index.js';

export interface GatewayFlags {
  listenAddr: string;
  endpoints: string[];
  retryDelayMs: number;
  discoverySrv: string;
  discoverySrvName: string;
  insecureDiscovery: boolean;
  trustedCaFile: string;
}

export interface CliOutcome {
  exit: number;
  stdout?: string;
  stderr?: string;
}

const GATEWAY_HELP = `gateway related command

Usage:
  etcd-ts gateway [command]

Available Commands:
  start       start the gateway

Flags:
  -h, --help   help for gateway

Use "etcd-ts gateway [command] --help" for more information about a command.
`;

const START_USAGE = `Usage:
  etcd-ts gateway start [flags]

Flags:
      --discovery-srv string        DNS domain used to bootstrap initial cluster
      --discovery-srv-name string   service name to query when using DNS discovery
      --endpoints strings           comma separated etcd cluster endpoints (default [127.0.0.1:2379])
  -h, --help                        help for start
      --insecure-discovery          accept insecure SRV records
      --listen-addr string          listen address (default "127.0.0.1:23790")
      --retry-delay duration        duration of delay before retrying failed endpoints (default 1m0s)
      --trusted-ca-file string      path to the client server TLS CA file for verifying the discovered endpoints when discovery-srv is provided.
`;

/** cobra's failure: the error, the usage, then the error once more from etcd's main (no newline). */
function cobraError(message: string): CliOutcome {
  return { exit: 1, stderr: `Error: ${message}\n${START_USAGE}\n${message}` };
}

type Kind = 'string' | 'strings' | 'bool' | 'duration';
const START_FLAGS: Record<string, { kind: Kind; key: keyof GatewayFlags }> = {
  'listen-addr': { kind: 'string', key: 'listenAddr' },
  'discovery-srv': { kind: 'string', key: 'discoverySrv' },
  'discovery-srv-name': { kind: 'string', key: 'discoverySrvName' },
  'insecure-discovery': { kind: 'bool', key: 'insecureDiscovery' },
  'trusted-ca-file': { kind: 'string', key: 'trustedCaFile' },
  endpoints: { kind: 'strings', key: 'endpoints' },
  'retry-delay': { kind: 'duration', key: 'retryDelayMs' },
};

/** Parses `gateway ...` arguments as cobra and pflag do; returns the flags or what to print and exit with. */
export function parseGatewayArgs(argv: readonly string[]): { flags: GatewayFlags } | CliOutcome {
  const [sub, ...rest] = argv;
  if (sub !== 'start') return { exit: 0, stdout: GATEWAY_HELP };
  const flags: GatewayFlags = {
    listenAddr: '127.0.0.1:23790',
    endpoints: ['127.0.0.1:2379'],
    retryDelayMs: 60_000,
    discoverySrv: '',
    discoverySrvName: '',
    insecureDiscovery: false,
    trustedCaFile: '',
  };
  let endpointsGiven = false;
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    if (a === '--') break;
    if (!a.startsWith('-') || a === '-') continue; // cobra leaves positional arguments to the command, which ignores them
    if (a === '-h' || a === '--help') return { exit: 0, stdout: `start the gateway\n\n${START_USAGE}` };
    if (!a.startsWith('--')) return cobraError(`unknown shorthand flag: '${a[1]}' in ${a}`);
    const eq = a.indexOf('=');
    const name = eq < 0 ? a.slice(2) : a.slice(2, eq);
    const spec = START_FLAGS[name];
    if (spec === undefined) return cobraError(`unknown flag: --${name}`);
    let value: string | undefined = eq < 0 ? undefined : a.slice(eq + 1);
    if (value === undefined) {
      if (spec.kind === 'bool') value = 'true';
      else if (i + 1 < rest.length) value = rest[++i];
      else return cobraError(`flag needs an argument: --${name}`);
    }
    const invalid = (why: string) => cobraError(`invalid argument ${goQuote(value!)} for ${goQuote(`--${name}`)} flag: ${why}`);
    switch (spec.kind) {
      case 'string':
        (flags as unknown as Record<string, unknown>)[spec.key] = value;
        break;
      case 'bool': {
        const b = parseGoBool(value!);
        if (b === undefined) return invalid(`strconv.ParseBool: parsing ${goQuote(value!)}: invalid syntax`);
        flags.insecureDiscovery = b;
        break;
      }
      case 'duration': {
        const ms = parseGoDuration(value!);
        if (ms === undefined) return invalid(`time: invalid duration ${goQuote(value!)}`);
        flags.retryDelayMs = ms;
        break;
      }
      case 'strings': {
        // pflag's StringSlice: the first use replaces the default, later ones append.
        const parts = value === '' ? [] : value!.split(',');
        flags.endpoints = endpointsGiven ? [...flags.endpoints, ...parts] : parts;
        endpointsGiven = true;
        break;
      }
    }
  }
  return { flags };
}

/** An endpoint as "host:port", its scheme dropped (the gateway proxies TCP). */
export function stripScheme(ep: string): string {
  try {
    const u = new URL(ep);
    if (u.host !== '' && /^[a-z][a-z0-9+.-]*:$/.test(u.protocol) && ep.includes('://')) return u.host;
  } catch {
    // not a URL: already host:port
  }
  return ep;
}

function splitHostPort(hp: string): { host: string; port: string } | undefined {
  const m = /^\[([^\]]*)\]:([^:]*)$/.exec(hp) ?? /^([^:]*):([^:]*)$/.exec(hp);
  return m ? { host: m[1]!, port: m[2]! } : undefined;
}

async function lookupAll(host: string): Promise<string[]> {
  if (isIP(host) !== 0) return [host];
  return (await lookup(host, { all: true })).map((a) => a.address);
}

/** etcd's ValidateSecureEndpoints: keeps the https endpoints a TLS handshake with the CA accepts. */
async function validateSecure(urls: string[], ca: string, serverName: string): Promise<{ ok: string[]; errors: string[] }> {
  const ok: string[] = [];
  const errors: string[] = [];
  for (const ep of urls) {
    if (!ep.startsWith('https://')) {
      errors.push(`${goQuote(ep)} is insecure`);
      continue;
    }
    const u = new URL(ep);
    const good = await new Promise<string | undefined>((resolve) => {
      const s = tlsConnect({ host: u.hostname, port: Number(u.port), servername: serverName, ...(ca ? { ca: readFileSync(ca) } : {}) }, () => {
        s.destroy();
        resolve(undefined);
      });
      s.setTimeout(5000, () => s.destroy(new Error('i/o timeout')));
      s.on('error', (err) => resolve(err.message));
    });
    if (good === undefined) ok.push(ep);
    else errors.push(`${goQuote(ep)} failed to dial (${good})`);
  }
  return { ok, errors };
}

interface Resolved {
  targets: ProxyTarget[];
}

/** The endpoints to proxy to, from SRV records or --endpoints, checked as etcd checks them. */
export async function resolveTargets(f: GatewayFlags, logger: Logger, resolver: SrvResolver = resolveSrv): Promise<Resolved | CliOutcome> {
  let targets: ProxyTarget[] = [];
  if (f.discoverySrv !== '') {
    let found;
    try {
      found = await discoverSrvEndpoints(f.discoverySrv, f.discoverySrvName, resolver);
    } catch (err) {
      return { exit: 1, stderr: `${(err as Error).message}\n` };
    }
    const urls = found.map((d) => d.url);
    logger.info('discovered cluster from SRV', { 'srv-server': f.discoverySrv, endpoints: urls });
    let keep = urls;
    if (!f.insecureDiscovery) {
      logger.info('validating discovered SRV endpoints', { 'srv-server': f.discoverySrv, endpoints: urls });
      const v = await validateSecure(urls, f.trustedCaFile, f.discoverySrv);
      keep = v.ok;
      if (v.errors.length > 0) logger.warn('failed to validate discovered endpoints', { 'srv-server': f.discoverySrv, endpoints: v.ok, error: v.errors.join(', ') });
      else logger.info('using validated discovered SRV endpoints', { 'srv-server': f.discoverySrv, endpoints: v.ok });
    }
    targets = found.filter((d) => keep.includes(d.url)).map((d) => ({ host: d.record.name.replace(/\.$/, ''), port: d.record.port, priority: d.record.priority, weight: d.record.weight }));
  }
  if (targets.length === 0) {
    // Nothing discovered: the endpoints given (or the default) are used.
    for (const ep of f.endpoints.map(stripScheme)) {
      const hp = splitHostPort(ep);
      if (hp === undefined) return { exit: 1, stdout: `error parsing endpoint ${goQuote(ep)}` };
      targets.push({ host: hp.host, port: Number.parseInt(hp.port, 10) || 0 });
    }
  }
  const listen = splitHostPort(f.listenAddr);
  if (listen === undefined) return { exit: 1, stdout: `failed to validate listen address: ${f.listenAddr}\n` };
  let listenAddrs: string[];
  try {
    listenAddrs = await lookupAll(listen.host);
  } catch {
    return { exit: 1, stdout: `failed to resolve listen host: ${listen.host}\n` };
  }
  for (const t of targets) {
    let addrs: string[];
    try {
      addrs = await lookupAll(t.host);
    } catch {
      return { exit: 1, stdout: `failed to resolve endpoint host: ${t.host}\n` };
    }
    if (String(t.port) !== listen.port) continue;
    const same = addrs.find((a) => listenAddrs.includes(a));
    if (same !== undefined) {
      return { exit: 1, stdout: `SRV or endpoint (${t.host}:${t.port}->${same}:${t.port}) should not resolve to the gateway listen addr (${f.listenAddr})\n` };
    }
  }
  if (targets.length === 0) return { exit: 1, stdout: 'no endpoints found\n' };
  return { targets };
}

/** Runs `etcd-ts gateway ...` until a signal; resolves with the exit code for the argument errors. */
export async function runGateway(argv: readonly string[]): Promise<CliOutcome | undefined> {
  const parsed = parseGatewayArgs(argv);
  if ('exit' in parsed) return parsed;
  const f = parsed.flags;
  const logger = createLogger({ level: 'info', outputs: ['stderr'] });
  const resolved = await resolveTargets(f, logger);
  if ('exit' in resolved) return resolved;
  const listen = splitHostPort(f.listenAddr)!;
  const server = createServer();
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: listen.host === '' ? undefined : listen.host, port: Number(listen.port) }, () => resolve());
    });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'EADDRINUSE' ? 'bind: address already in use' : e.code === 'EACCES' ? 'bind: permission denied' : e.message;
    return { exit: 1, stderr: `listen tcp ${f.listenAddr}: ${why}\n` };
  }
  const proxy = new TcpProxy({ listener: server, targets: resolved.targets, retryDelayMs: f.retryDelayMs, logger });
  proxy.run();
  await new Promise<void>((resolve) => {
    const stop = () => void proxy.stop().then(resolve);
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
  return undefined;
}
