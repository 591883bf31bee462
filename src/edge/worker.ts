// An edge thread: it serves client connections (HTTP/2, gRPC framing, protobuf,
// the JSON gateway, the HTTP endpoints) and asks the core thread, through the
// member port, for everything that needs the member's state.
import { parentPort, workerData } from 'node:worker_threads';
import { EdgeMetrics } from '../metrics/edge.js';
import { RemotePort } from '../port/remote.js';
import type { MessageEndpoint } from '../port/link.js';
import type { Logger } from '../pkg/logger.js';
import { serveClients, type ListenerOptions, type ServingClients } from './listeners.js';

export interface EdgeWorkerData {
  edgeWorker: true;
  /** Which edge thread this is (0 opens the listening sockets). */
  index: number;
}

/** What the core tells an edge thread: serve (with the channel to its PortHost), or finish. */
export type EdgeCommand = { t: 'serve'; port: MessageEndpoint; listen: ListenerOptions } | { t: 'close' };

/** What an edge thread tells the core about itself (not the member port). */
export type EdgeControl =
  | { t: 'booted' }
  | { t: 'listening'; clientUrls: string[]; fds: number[] }
  | { t: 'failed'; message: string }
  | { t: 'closed' };

/** A logger whose lines the core thread writes, so one process keeps one log. */
function forwardingLogger(send: (level: 'debug' | 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void, base: Record<string, unknown> = {}): Logger {
  return {
    debug: (m, f) => send('debug', m, { ...base, ...f }),
    info: (m, f) => send('info', m, { ...base, ...f }),
    warn: (m, f) => send('warn', m, { ...base, ...f }),
    error: (m, f) => send('error', m, { ...base, ...f }),
    with: (f) => forwardingLogger(send, { ...base, ...f }),
  };
}

/** Serves clients once told to, until told to close. */
async function serve(control: NonNullable<typeof parentPort>, cmd: Extract<EdgeCommand, { t: 'serve' }>): Promise<void> {
  const metrics = new EdgeMetrics();
  const remote = new RemotePort(cmd.port, () => metrics.json());
  const logger = forwardingLogger((level, msg, fields) => remote.log(level, msg, fields));
  let serving: ServingClients;
  try {
    serving = await serveClients(remote.port, metrics, logger, cmd.listen);
  } catch (err) {
    control.postMessage({ t: 'failed', message: err instanceof Error ? err.message : String(err) } satisfies EdgeControl);
    return;
  }
  control.on('message', (m: EdgeCommand) => {
    if (m.t !== 'close') return;
    // The listening sockets are shared with the other edge threads: they close when
    // the threads end, after the core has stopped, so no descriptor is closed twice
    // while the core might reuse its number.
    void serving.close({ leaveListening: true }).then(() => {
      remote.close(new Error('edge thread closed'));
      control.postMessage({ t: 'closed' } satisfies EdgeControl);
    });
  });
  control.postMessage({ t: 'listening', clientUrls: serving.clientUrls, fds: serving.fds } satisfies EdgeControl);
}

if (parentPort && (workerData as EdgeWorkerData | undefined)?.edgeWorker) {
  const control = parentPort;
  // Loading the modules takes most of a thread's start: it is done while the core
  // opens its storage, and the thread then waits to be told to serve.
  control.once('message', (cmd: EdgeCommand) => {
    if (cmd.t === 'serve') void serve(control, cmd);
  });
  control.postMessage({ t: 'booted' } satisfies EdgeControl);
}
