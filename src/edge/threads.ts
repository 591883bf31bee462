// The core thread's side of the edge threads: it starts them (the first opens the
// listening sockets, the others accept on the same ones), serves each one's
// member-port channel, gathers their metrics at scrape time and stops them.
import { MessageChannel, Worker } from 'node:worker_threads';
import type { MemberPort } from '../port/member-port.js';
import { PortHost } from '../port/host.js';
import type { Logger } from '../pkg/logger.js';
import type { ListenerOptions } from './listeners.js';
import type { EdgeControl, EdgeWorkerData } from './worker.js';

export interface EdgeThreads {
  clientUrls: string[];
  /** Each thread's metrics in prom-client's JSON form. */
  metrics(): Promise<unknown[][]>;
  /** Ends every client connection; the listening sockets stay open until terminate(). */
  drain(): Promise<void>;
  /** Ends the threads (and with them the listening sockets); call once the core has stopped. */
  terminate(): Promise<void>;
}

/** How long a scrape waits for an edge thread's metrics. */
const METRICS_WAIT_MS = 2000;
/** How long close() waits for a thread to finish its connections before terminating it. */
const CLOSE_WAIT_MS = 10_000;

interface Started {
  worker: Worker;
  host: PortHost;
}

export async function startEdgeThreads(port: MemberPort, count: number, listen: ListenerOptions, logger: Logger): Promise<EdgeThreads> {
  if (!(count >= 1)) throw new Error(`edge: at least one edge thread expected, got ${count}`);
  const started: Started[] = [];
  let clientUrls: string[] = [];
  try {
    let fds: number[] | undefined;
    for (let i = 0; i < count; i++) {
      const opts: ListenerOptions = fds ? { ...listen, listeners: listen.listeners.map((l, j) => ({ ...l, fd: fds![j] })) } : listen;
      const s = await startOne(port, i, opts, logger);
      started.push(s.started);
      if (i === 0) {
        fds = s.fds;
        clientUrls = s.clientUrls;
      }
    }
  } catch (err) {
    await Promise.all(started.map((s) => drainOne(s)));
    await Promise.all(started.map((s) => s.worker.terminate()));
    throw err;
  }
  return {
    clientUrls,
    metrics: () => Promise.all(started.map((s) => s.host.edgeMetrics(METRICS_WAIT_MS))),
    drain: async () => void (await Promise.all(started.map((s) => drainOne(s)))),
    terminate: async () => void (await Promise.all(started.map((s) => s.worker.terminate()))),
  };
}

async function startOne(port: MemberPort, index: number, listen: ListenerOptions, logger: Logger): Promise<{ started: Started; clientUrls: string[]; fds: number[] }> {
  const { port1, port2 } = new MessageChannel();
  const log = logger.with({ 'edge-thread': index });
  const host = new PortHost(port1, port, (level, msg, fields) => log[level](msg, fields));
  const data: EdgeWorkerData = { edgeWorker: true, index, port: port2 as unknown as EdgeWorkerData['port'], listen };
  const worker = new Worker(new URL('./worker.js', import.meta.url), { workerData: data, transferList: [port2] });
  const started = { worker, host };
  const reply = await new Promise<EdgeControl>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`edge thread ${index} exited with code ${code} before listening`)));
  });
  worker.removeAllListeners('error');
  worker.removeAllListeners('exit');
  worker.on('error', (err) => log.error('edge thread failed', { error: err.message }));
  worker.on('exit', () => host.close());
  if (reply.t !== 'listening') {
    await worker.terminate();
    throw new Error(reply.t === 'failed' ? reply.message : 'edge thread did not start');
  }
  return { started, clientUrls: reply.clientUrls, fds: reply.fds };
}

/** Asks the thread to finish its connections. */
async function drainOne(s: Started): Promise<void> {
  const closed = new Promise<void>((resolve) => {
    const t = setTimeout(resolve, CLOSE_WAIT_MS);
    s.worker.on('message', (m: EdgeControl) => {
      if (m.t === 'closed') {
        clearTimeout(t);
        resolve();
      }
    });
    s.worker.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
  });
  s.worker.postMessage({ t: 'close' });
  await closed;
  s.host.close();
}
