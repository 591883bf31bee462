// The plain-HTTP endpoints etcd serves on its client port beside gRPC.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import type { EtcdServer } from '../server/server.js';
import type { Metrics } from '../metrics/index.js';
import { AlarmType } from '../server/alarms.js';
import { CORS, gatewayHandler, gatewayMethods, isGatewayPath } from '../gateway/index.js';
import { ETCD_API_VERSION, ETCD_CLUSTER_VERSION } from '../server/version.js';

type Req = IncomingMessage | Http2ServerRequest;
type Res = ServerResponse | Http2ServerResponse;


function send(res: Res, status: number, contentType: string, body: string): void {
  (res as ServerResponse).writeHead(status, { ...CORS, 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

export function httpHandler(server: EtcdServer, metrics: Metrics, opts: { grpcGateway?: boolean } = {}) {
  const serveGateway = opts.grpcGateway ?? true;
  let gateway: ReturnType<typeof gatewayHandler> | undefined;
  return (req: Req, res: Res): void => {
    const path = (req.url ?? '/').split('?')[0];
    switch (path) {
      case '/health':
        if (req.method !== 'GET') {
          (res as ServerResponse).setHeader('Allow', 'GET');
          goError(res, 405, 'Method Not Allowed');
          return;
        }
        void health(server, excludedAlarms(req.url ?? '/')).then((h) => {
          (h.ok ? metrics.healthSuccess : metrics.healthFailures).inc();
          // As Go's net/http: a failure goes out through http.Error, with its newline.
          if (h.ok) send(res, 200, 'text/plain; charset=utf-8', JSON.stringify(h.body));
          else goError(res, 503, JSON.stringify(h.body));
        });
        return;
      case '/livez':
        send(res, 200, 'text/plain; charset=utf-8', 'ok');
        return;
      case '/readyz':
        // As etcd 3.5: not ready without a leader or with a corrupt store.
        if (server.leader === 0n || server.alarms.has(AlarmType.CORRUPT)) send(res, 503, 'text/plain; charset=utf-8', 'not ok');
        else send(res, 200, 'text/plain; charset=utf-8', 'ok');
        return;
      case '/version':
        send(res, 200, 'application/json', JSON.stringify({ etcdserver: ETCD_API_VERSION, etcdcluster: ETCD_CLUSTER_VERSION }));
        return;
      case '/metrics':
        void metrics.text().then(
          (text) => send(res, 200, metrics.contentType, text),
          (err) => send(res, 500, 'text/plain; charset=utf-8', String(err)),
        );
        return;
      default:
        if (serveGateway && isGatewayPath(path)) {
          gateway ??= gatewayHandler(gatewayMethods(server, metrics));
          gateway(req, res, path);
          return;
        }
        goError(res, 404, '404 page not found');
    }
  };
}

/** Go's http.Error: plain text, no sniffing, the message and a newline. */
function goError(res: Res, status: number, message: string): void {
  (res as ServerResponse).setHeader('X-Content-Type-Options', 'nosniff');
  send(res, status, 'text/plain; charset=utf-8', message + '\n');
}

/** Alarm names given as ?exclude=NOSPACE do not make /health fail. */
function excludedAlarms(url: string): Set<string> {
  return new Set(new URL(url, 'http://localhost').searchParams.getAll('exclude'));
}

/** As etcd 3.4: healthy when no (unexcluded) alarm is raised, there is a leader and a linearizable read succeeds in time. */
async function health(server: EtcdServer, excluded: Set<string>): Promise<{ ok: boolean; body: { health: string; reason?: string } }> {
  if (server.alarms.get(AlarmType.NONE).some((a) => !excluded.has(AlarmType[a.alarm]))) return { ok: false, body: { health: 'false' } };
  if (server.leader === 0n) return { ok: false, body: { health: 'false' } };
  try {
    await withTimeout(server.linearizableReadNotify(), 1000);
    return { ok: true, body: { health: 'true' } };
  } catch {
    return { ok: false, body: { health: 'false' } };
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('timeout')), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e) => {
        clearTimeout(t);
        reject(e);
      },
    );
  });
}
