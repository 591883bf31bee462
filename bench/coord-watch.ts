// Watch over gRPC: event delivery from a writer's puts to many watchers, and
// the server memory an idle watcher costs. Driven by the lean gRPC client.
import { performance } from 'node:perf_hooks';
import { GrpcClient, type ClientCall } from '../src/grpc/client.js';
import { codec } from '../src/pb/codec.js';
import type { Event } from '../src/pb/kv.js';
import { cpuMicros, rssBytes } from './proc.js';
import { summarize, type LatencySummary } from './stats.js';

interface WatchCreate { key: Uint8Array; rangeEnd?: Uint8Array; startRevision?: number }
interface WatchRequest { createRequest?: WatchCreate }
interface WatchResponse { watchId: number; created: boolean; canceled: boolean; cancelReason: string; events: Event[] }
interface PutRequest { key: Uint8Array; value: Uint8Array }

const watchReq = codec<WatchRequest>('etcdserverpb.WatchRequest');
const watchRes = codec<WatchResponse>('etcdserverpb.WatchResponse');
const putReq = codec<PutRequest>('etcdserverpb.PutRequest');

const WATCH = '/etcdserverpb.Watch/Watch';
const PUT = '/etcdserverpb.KV/Put';
const CALL_TIMEOUT_MS = 30_000;
const enc = new TextEncoder();
const dec = new TextDecoder();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface DeliveryCase {
  name: string;
  streams: number;
  watchersPerStream: number;
  /** Distinct keys watched; watcher g (over all streams) watches key g % keys, so each put reaches watchers/keys of them. */
  keys: number;
  puts: number;
  /** Puts the writer keeps in flight. */
  writerConcurrency: number;
  timeCapMs: number;
}

export interface DeliveryResult extends LatencySummary {
  name: string;
  puts: number;
  expectedEvents: number;
  events: number;
  eventsPerSec: number;
  /** Server CPU per delivered event, µs. */
  serverCpuPerEventUs: number;
  /** This process's CPU (writer and watch client) per delivered event, µs: near a full core, the client limits the rate. */
  clientCpuPerEventUs: number;
  /** Client CPU over the phase as % of one core. */
  clientCpuPct: number;
  errors: string[];
}

/** Which watchers a put to key `k` reaches: pure, so the fan-out is checked, not assumed. */
export function fanOut(streams: number, watchersPerStream: number, keys: number): number {
  const total = streams * watchersPerStream;
  if (total % keys !== 0) throw new Error(`${total} watchers do not spread evenly over ${keys} keys`);
  return total / keys;
}

const deliveryKey = (k: number) => enc.encode(`bench/watch/${String(k).padStart(6, '0')}`);

/** Cancels a stream this benchmark is done with; its own cancellation is not an error to record. */
function endQuietly(call: ClientCall): void {
  call.removeAllListeners('error');
  call.cancel();
}

/** A watch stream with `keys.length` watchers created on it; resolves once every create is acknowledged. */
async function openWatchStream(client: GrpcClient, keys: Uint8Array[], onEvents: (events: Event[]) => void, errors: string[]): Promise<ClientCall> {
  const call = client.bidi(WATCH);
  let created = 0;
  let ready!: () => void;
  let failed!: (e: Error) => void;
  const allCreated = new Promise<void>((res, rej) => ((ready = res), (failed = rej)));
  call.on('data', (buf: Uint8Array) => {
    const r = watchRes.decode(buf);
    if (r.created) {
      if (++created === keys.length) ready();
    }
    if (r.canceled) errors.push(`watch ${r.watchId} canceled: ${r.cancelReason}`);
    if (r.events.length > 0) onEvents(r.events);
  });
  call.on('error', (e: Error) => {
    errors.push(`watch stream: ${e.message}`);
    failed(e);
  });
  for (const key of keys) call.write(watchReq.encode({ createRequest: { key } }));
  const timer = setTimeout(() => failed(new Error(`only ${created}/${keys.length} watchers created within ${CALL_TIMEOUT_MS} ms`)), CALL_TIMEOUT_MS);
  try {
    await allCreated;
  } finally {
    clearTimeout(timer);
  }
  return call;
}

export async function measureDelivery(endpoint: string, pid: number, c: DeliveryCase): Promise<DeliveryResult> {
  const fan = fanOut(c.streams, c.watchersPerStream, c.keys);
  const keys = Array.from({ length: c.keys }, (_, k) => deliveryKey(k));
  const sentAt = new Float64Array(c.puts);
  const latencies = new Float64Array(c.puts * fan);
  const errors: string[] = [];
  let events = 0;
  let lastEventAt = 0;
  const onEvents = (evs: Event[]) => {
    const now = performance.now();
    for (const ev of evs) {
      const seq = Number(dec.decode(ev.kv.value));
      if (!(seq >= 0 && seq < c.puts) || events >= latencies.length) {
        errors.push(`unexpected event on ${dec.decode(ev.kv.key)} value ${dec.decode(ev.kv.value)}`);
        continue;
      }
      latencies[events++] = now - sentAt[seq]!;
    }
    lastEventAt = now;
  };
  // Streams spread over a few connections, as a client library with several channels would.
  const watchClients = Array.from({ length: Math.min(4, c.streams) }, () => new GrpcClient(endpoint));
  const writer = new GrpcClient(endpoint);
  const calls: ClientCall[] = [];
  try {
    for (let s = 0; s < c.streams; s++) {
      const mine = Array.from({ length: c.watchersPerStream }, (_, j) => keys[(s * c.watchersPerStream + j) % c.keys]!);
      calls.push(await openWatchStream(watchClients[s % watchClients.length]!, mine, onEvents, errors));
    }
    const expectedMax = c.puts * fan;
    const cpu0 = cpuMicros(pid);
    const ownCpu0 = process.cpuUsage();
    const start = performance.now();
    const deadline = start + c.timeCapMs;
    let seq = 0;
    const put = async () => {
      while (seq < c.puts && performance.now() < deadline && errors.length < 100) {
        const n = seq++;
        const req = putReq.encode({ key: keys[n % c.keys]!, value: enc.encode(String(n)) });
        sentAt[n] = performance.now();
        try {
          await writer.unary(PUT, req, undefined, CALL_TIMEOUT_MS);
        } catch (e) {
          errors.push(`put: ${(e as Error).message}`);
        }
      }
    };
    await Promise.all(Array.from({ length: c.writerConcurrency }, put));
    const puts = seq;
    const expected = puts * fan;
    // Events still in flight after the last put is acknowledged: wait for them, bounded.
    const drainUntil = performance.now() + 5_000;
    while (events < expected && performance.now() < drainUntil && errors.length === 0) await sleep(5);
    const serverCpu = cpuMicros(pid) - cpu0;
    const own = process.cpuUsage(ownCpu0);
    if (events < expected) errors.push(`${expected - events} of ${expected} events not delivered within 5 s of the last put`);
    if (expected > expectedMax) throw new Error('more puts than the case allows');
    const elapsed = (lastEventAt || performance.now()) - start;
    return {
      name: c.name,
      puts,
      expectedEvents: expected,
      events,
      eventsPerSec: (events * 1000) / elapsed,
      serverCpuPerEventUs: events > 0 ? serverCpu / events : NaN,
      clientCpuPerEventUs: events > 0 ? (own.user + own.system) / events : NaN,
      clientCpuPct: ((own.user + own.system) / 1000 / (performance.now() - start)) * 100,
      errors,
      ...summarize(latencies, events),
    };
  } finally {
    for (const call of calls) endQuietly(call);
    writer.close();
    for (const w of watchClients) w.close();
  }
}

export interface IdleWatcherResult {
  watchers: number;
  rssBeforeBytes: number;
  rssAfterBytes: number;
  bytesPerWatcher: number;
}

/** Server RSS growth from `watchers` idle watchers (distinct keys, never written) over `streams` streams. */
export async function measureIdleWatchers(endpoint: string, pid: number, watchers: number, streams: number, settleMs: number): Promise<IdleWatcherResult> {
  if (watchers % streams !== 0) throw new Error(`${watchers} watchers do not spread evenly over ${streams} streams`);
  const client = new GrpcClient(endpoint);
  const calls: ClientCall[] = [];
  const errors: string[] = [];
  try {
    const rssBeforeBytes = rssBytes(pid);
    const per = watchers / streams;
    for (let s = 0; s < streams; s++) {
      const keys = Array.from({ length: per }, (_, j) => enc.encode(`bench/idle/${s}/${j}`));
      calls.push(await openWatchStream(client, keys, () => errors.push('an idle watcher got an event'), errors));
    }
    await sleep(settleMs);
    const rssAfterBytes = rssBytes(pid);
    if (errors.length > 0) throw new Error(`idle watchers: ${errors[0]}`);
    return { watchers, rssBeforeBytes, rssAfterBytes, bytesPerWatcher: (rssAfterBytes - rssBeforeBytes) / watchers };
  } finally {
    for (const call of calls) endQuietly(call);
    client.close();
  }
}
