// The core thread's side of the edge threads: it starts them while the member
// boots (loading their modules is most of their start), then has them serve (the
// first opens the listening sockets, the others accept on the same ones), serves
// each one's member-port channel, gathers their metrics at scrape time and stops
// them.
import { MessageChannel, Worker, type ResourceLimits } from 'node:worker_threads';
import type { MemberPort } from '../port/member-port.js';
import { PortHost } from '../port/host.js';
import { PROTO_ROOT_KEY, protoRootJson } from '../pb/codec.js';
import type { Logger } from '../pkg/logger.js';
import type { ListenerOptions } from './listeners.js';
import type { EdgeCommand, EdgeControl, EdgeWorkerData } from './worker.js';

export interface EdgeThreads {
  clientUrls: string[];
  /** Each thread's metrics in prom-client's JSON form. */
  metrics(): Promise<unknown[][]>;
  /** Ends every client connection; the listening sockets stay open until terminate(). */
  drain(): Promise<void>;
  /** Ends the threads (and with them the listening sockets); call once the core has stopped. */
  terminate(): Promise<void>;
}

/** Threads started and loaded, not yet serving. */
export interface BootingEdgeThreads {
  serve(port: MemberPort, listen: ListenerOptions, logger: Logger): Promise<EdgeThreads>;
  /** Each thread's V8 heap limits, as its isolate was made with them (once the threads have booted). */
  resourceLimits(): Promise<ResourceLimits[]>;
  terminate(): Promise<void>;
}

/**
 * An edge thread's young generation, in MiB: V8 splits it into two semi-spaces and
 * a large-object share (a third each), so 6 gives 2 MiB semi-spaces. An edge
 * thread's objects live for one request (frames, headers, views of the bytes it
 * forwards), so a small young generation costs no more scavenging, while V8's
 * default grows each semi-space to 16 MiB under load: 32 MiB of the thread's heap
 * resident for good, about a quarter of the member's memory after a load run.
 * (--max-semi-space-size, if given to node, still wins over this.)
 */
export const EDGE_YOUNG_GENERATION_MB = 6;

/** How long a scrape waits for an edge thread's metrics. */
const METRICS_WAIT_MS = 2000;
/** How long drain() waits for a thread to finish its connections. */
const CLOSE_WAIT_MS = 10_000;

interface Thread {
  worker: Worker;
  booted: Promise<void>;
  host?: PortHost;
}

export function bootEdgeThreads(count: number): BootingEdgeThreads {
  if (!(count >= 1)) throw new Error(`edge: at least one edge thread expected, got ${count}`);
  const threads: Thread[] = Array.from({ length: count }, (_, index) => boot(index));
  const terminate = async () => void (await Promise.all(threads.map((t) => t.worker.terminate())));
  return {
    terminate,
    resourceLimits: async () => {
      await Promise.all(threads.map((t) => t.booted));
      return threads.map((t) => t.worker.resourceLimits ?? {});
    },
    async serve(port, listen, logger) {
      let clientUrls: string[] = [];
      try {
        let fds: number[] | undefined;
        for (const [i, t] of threads.entries()) {
          const opts: ListenerOptions = fds ? { ...listen, listeners: listen.listeners.map((l, j) => ({ ...l, fd: fds![j] })) } : listen;
          const r = await serveOne(t, i, port, opts, logger);
          if (i === 0) ({ fds, clientUrls } = r);
        }
      } catch (err) {
        await Promise.all(threads.map((t) => drainOne(t)));
        await terminate();
        throw err;
      }
      return {
        clientUrls,
        metrics: () => Promise.all(threads.map((t) => t.host?.edgeMetrics(METRICS_WAIT_MS) ?? [])),
        drain: async () => void (await Promise.all(threads.map((t) => drainOne(t)))),
        terminate,
      };
    },
  };
}

function boot(index: number): Thread {
  const data: EdgeWorkerData & Record<string, unknown> = { edgeWorker: true, index, [PROTO_ROOT_KEY]: protoRootJson() };
  const worker = new Worker(new URL('./worker.js', import.meta.url), { workerData: data, resourceLimits: { maxYoungGenerationSizeMb: EDGE_YOUNG_GENERATION_MB } });
  const booted = nextControl(worker, index).then((m) => {
    if (m.t !== 'booted') throw new Error(`edge thread ${index}: unexpected ${m.t}`);
  });
  booted.catch(() => {});
  return { worker, booted };
}

/** The thread's next word about itself; its failing or exiting first is an error. */
function nextControl(worker: Worker, index: number): Promise<EdgeControl> {
  return new Promise<EdgeControl>((resolve, reject) => {
    const cleanup = () => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
    };
    const onMessage = (m: EdgeControl) => {
      cleanup();
      resolve(m);
    };
    const onError = (err: Error) => {
      cleanup();
      reject(err);
    };
    const onExit = (code: number) => {
      cleanup();
      reject(new Error(`edge thread ${index} exited with code ${code}`));
    };
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
  });
}

async function serveOne(t: Thread, index: number, port: MemberPort, listen: ListenerOptions, logger: Logger): Promise<{ clientUrls: string[]; fds: number[] }> {
  await t.booted;
  const { port1, port2 } = new MessageChannel();
  const log = logger.with({ 'edge-thread': index });
  const host = (t.host = new PortHost(port1, port, (level, msg, fields) => log[level](msg, fields)));
  const reply = nextControl(t.worker, index);
  t.worker.postMessage({ t: 'serve', port: port2 as unknown as Extract<EdgeCommand, { t: 'serve' }>['port'], listen } satisfies EdgeCommand, [port2]);
  const m = await reply;
  t.worker.on('error', (err) => log.error('edge thread failed', { error: err.message }));
  t.worker.on('exit', () => host.close());
  if (m.t !== 'listening') throw new Error(m.t === 'failed' ? m.message : `edge thread ${index} did not start serving`);
  return { clientUrls: m.clientUrls, fds: m.fds };
}

/** Asks a serving thread to finish its connections. */
async function drainOne(t: Thread): Promise<void> {
  if (t.host === undefined) return;
  const closed = new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, CLOSE_WAIT_MS);
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    t.worker.on('message', (m: EdgeControl) => m.t === 'closed' && done());
    t.worker.once('exit', done);
  });
  t.worker.postMessage({ t: 'close' } satisfies EdgeCommand);
  await closed;
  t.host.close();
}
