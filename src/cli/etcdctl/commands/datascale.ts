// check datascale: writes a workload of 1 KiB key-values and reports how much the
// endpoint's resident memory grew (process_resident_memory_bytes on /metrics).
import { randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import type { Client } from '../../../client/client.js';
import { CliExit, ExitCode } from '../exit.js';
import { fail, type Ctx } from '../context.js';
import { ProgressBar } from '../progress.js';
import { goQuote } from '../format.js';

const DATASCALE = {
  s: { limit: 10_000, kvSize: 1024, clients: 50 },
  m: { limit: 100_000, kvSize: 1024, clients: 200 },
  l: { limit: 1_000_000, kvSize: 1024, clients: 500 },
  xl: { limit: 3_000_000, kvSize: 1024, clients: 1000 },
} as const;
/** etcdctl's --load names for check perf and check datascale. */
export type LoadModel = 's' | 'm' | 'l' | 'xl';
export const LOAD_MODELS: Record<string, LoadModel> = { s: 's', small: 's', m: 'm', medium: 'm', l: 'l', large: 'l', xl: 'xl', xLarge: 'xl' };

/** binary.PutVarint of a random int63 at the start of a zeroed `size`-byte key. */
export function varintKey(prefix: string, size: number): Buffer {
  const k = Buffer.alloc(size);
  const x = (BigInt(randomInt(2 ** 47)) << 16n) | BigInt(randomInt(2 ** 16));
  let ux = x << 1n;
  let i = 0;
  while (ux >= 0x80n) {
    k[i++] = Number(ux & 0x7fn) | 0x80;
    ux >>= 7n;
  }
  k[i] = Number(ux);
  return Buffer.concat([Buffer.from(prefix), k]);
}

function httpsGet(url: string, c: Ctx): Promise<string> {
  return new Promise((resolve, reject) => {
    const file = (flag: string) => (c.str(flag) === '' ? undefined : readFileSync(c.str(flag)));
    const req = httpsRequest(url, { cert: file('cert'), key: file('key'), rejectUnauthorized: !c.bool('insecure-skip-tls-verify') }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (ch: Buffer) => chunks.push(ch));
      res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** The endpoint's resident memory in bytes; 0 (after printing why) when it can't be read. */
async function residentMemory(c: Ctx, endpoint: string): Promise<number> {
  const key = 'process_resident_memory_bytes';
  const host = /^https?:\/\//.test(endpoint) ? endpoint : `http://${endpoint}`;
  const url = `${host}/metrics`;
  let body: string;
  try {
    body = host.startsWith('https://') ? await httpsGet(url, c) : await (await fetch(url)).text();
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause ?? (err as { code?: string });
    const hostPort = new URL(url).host;
    const why = cause.code === 'ECONNREFUSED' ? `dial tcp ${hostPort}: connect: connection refused` : err instanceof Error ? err.message : String(err);
    c.io.out(`fetch error: Get ${goQuote(url)}: ${why}\n`);
    return 0;
  }
  const line = body.split('\n').find((l) => l.startsWith(key));
  if (line === undefined) {
    c.io.out(`could not find: ${key}\n`);
    return 0;
  }
  const text = line.slice(key.length).trim();
  const value = Number(text);
  if (text === '' || Number.isNaN(value)) {
    c.io.out(`parse error: strconv.ParseFloat: parsing ${goQuote(text)}: invalid syntax\n`);
    return 0;
  }
  return value;
}

/** --auto-compact and --auto-defrag after a check, each step announced as etcdctl does. */
export async function cleanUp(c: Ctx, cli: Client, revision: number): Promise<void> {
  if (c.bool('auto-compact')) {
    c.io.out(`Compacting with revision ${revision}\n`);
    await cli.kv.compact(revision, { physical: true, timeoutMs: 30_000 }).catch((e) => fail(e));
    c.io.out(`Compacted with revision ${revision}\n`);
  }
  if (c.bool('auto-defrag')) {
    for (const ep of c.endpoints()) {
      c.io.out(`Defragmenting ${goQuote(ep)}\n`);
      const one = await c.client([ep], true, true);
      await one.maintenance.defragment({ timeoutMs: 30_000 }).catch((e) => fail(e));
      c.io.out(`Defragmented ${goQuote(ep)}\n`);
    }
  }
}

export async function checkDatascale(c: Ctx): Promise<void> {
  const model = LOAD_MODELS[c.str('load')];
  if (!model) throw new CliExit(ExitCode.BadFeature, `unknown load option ${c.str('load')}`);
  const cfg = DATASCALE[model];
  const prefix = c.str('prefix') || '/etcdctl-check-datascale/';
  const cli = await c.client();
  const existing = await cli.kv.get(prefix, { prefix: true, limit: 1, timeoutMs: 60_000 }).catch((e) => fail(e));
  if (existing.kvs.length > 0) throw new CliExit(ExitCode.InvalidInput, `prefix ${goQuote(prefix)} has keys. Delete with etcdctl del --prefix ${prefix} first`);

  const endpoint = c.endpoints()[0] ?? '127.0.0.1:2379';
  const before = await residentMemory(c, endpoint);
  if (before === 0) {
    c.io.out('FAIL: Could not read process_resident_memory_bytes before the put operations.\n');
    throw new CliExit(ExitCode.Error, '');
  }
  c.io.out(`Start data scale check for work load [${cfg.limit} key-value pairs, ${cfg.kvSize} bytes per key-value, ${cfg.clients} concurrent clients].\n`);
  const bar = new ProgressBar(cfg.limit, c.io.out);
  bar.start();
  const value = Buffer.alloc(cfg.kvSize / 2);
  const errors = new Map<string, number>();
  let issued = 0;
  // `clients` writers share the connection, each with one put in flight.
  const worker = async () => {
    while (issued < cfg.limit) {
      issued++;
      try {
        await cli.kv.put(varintKey(prefix, cfg.kvSize / 2), value);
      } catch (err) {
        const key = err instanceof Error ? err.message : String(err);
        errors.set(key, (errors.get(key) ?? 0) + 1);
      }
      bar.increment();
    }
  };
  await Promise.all(Array.from({ length: cfg.clients }, worker));
  bar.finish();

  const after = await residentMemory(c, endpoint);
  if (after === 0) {
    c.io.out('FAIL: Could not read process_resident_memory_bytes after the put operations.\n');
    throw new CliExit(ExitCode.Error, '');
  }
  const del = await cli.kv.delete(prefix, { prefix: true }).catch((e) => fail(e));
  await cleanUp(c, cli, del.header!.revision);
  if (errors.size > 0) {
    c.io.out('FAIL: too many errors\n');
    for (const [k, v] of errors) c.io.out(`FAIL: ERROR(${k}) -> ${v}\n`);
    throw new CliExit(ExitCode.Error, '');
  }
  const mb = (after - before) / (1024 * 1024);
  c.io.out(`PASS: Approximate system memory used : ${mb.toFixed(2)} MB.\n`);
}
