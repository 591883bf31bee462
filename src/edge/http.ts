// The plain-HTTP endpoints etcd serves on its client port beside gRPC, and the
// JSON gateway under /v3/.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import type { HttpPort, MemberPort } from '../port/member-port.js';
import type { GrpcMetrics } from '../metrics/edge.js';
import type { Logger } from '../pkg/logger.js';
import { CORS, gatewayHandler, gatewayMethods, isGatewayPath, type MethodTable } from '../gateway/index.js';
import { isDashboardPath } from '../dashboard/paths.js';
import type { EdgeSettings } from '../api/index.js';

type Req = IncomingMessage | Http2ServerRequest;
type Res = ServerResponse | Http2ServerResponse;
type DashboardHandler = (req: Req, res: Res, path: string) => void;

function send(res: Res, status: number, contentType: string, body: string): void {
  (res as ServerResponse).writeHead(status, { ...CORS, 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

/** Prometheus' text exposition format, as prom-client names it. */
const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export function httpHandler(port: MemberPort, metrics: GrpcMetrics, logger: Logger, settings: EdgeSettings, opts: { grpcGateway?: boolean; dashboard?: boolean } = {}) {
  const serveGateway = opts.grpcGateway ?? true;
  let methods: MethodTable | undefined;
  let gateway: ReturnType<typeof gatewayHandler> | undefined;
  // Loaded on the first request for it: a member whose dashboard is off never loads it.
  let dashboard: Promise<DashboardHandler> | undefined;
  return (req: Req, res: Res): void => {
    const path = (req.url ?? '/').split('?')[0];
    if (opts.dashboard && isDashboardPath(path)) {
      dashboard ??= import('../dashboard/index.js').then((d) => d.dashboardHandler((methods ??= gatewayMethods(port, metrics, logger, settings))));
      dashboard.then(
        (handle) => handle(req, res, path),
        (err) => send(res, 500, 'text/plain; charset=utf-8', `dashboard: ${String(err)}\n`),
      );
      return;
    }
    switch (path) {
      case '/health':
        if (req.method !== 'GET') {
          (res as ServerResponse).setHeader('Allow', 'GET');
          goError(res, 405, 'Method Not Allowed');
          return;
        }
        void health(port, excludedAlarms(req.url ?? '/')).then((h) => {
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
        void port.ready().then(
          (ok) => send(res, ok ? 200 : 503, 'text/plain; charset=utf-8', ok ? 'ok' : 'not ok'),
          () => send(res, 503, 'text/plain; charset=utf-8', 'not ok'),
        );
        return;
      case '/version':
        void port.version().then(
          (v) => send(res, 200, 'application/json', JSON.stringify(v)),
          (err) => send(res, 500, 'text/plain; charset=utf-8', String(err)),
        );
        return;
      case '/metrics':
        void port.metricsText().then(
          (text) => send(res, 200, METRICS_CONTENT_TYPE, text),
          (err) => send(res, 500, 'text/plain; charset=utf-8', String(err)),
        );
        return;
      default:
        if (serveGateway && isGatewayPath(path)) {
          methods ??= gatewayMethods(port, metrics, logger, settings);
          gateway ??= gatewayHandler(methods, (b) => settings.release.has(b));
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

function health(port: HttpPort, excluded: Set<string>) {
  return port.health(excluded).catch(() => ({ ok: false, body: { health: 'false' } }));
}
