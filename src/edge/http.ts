// The plain-HTTP endpoints etcd serves on its client port beside gRPC, and the
// JSON gateway under /v3/.
import type { ServerResponse } from 'node:http';
import type { HttpRequest, HttpResponse } from '../grpc/index.js';
import type { HttpPort, MemberPort } from '../port/member-port.js';
import type { GrpcMetrics } from '../metrics/edge.js';
import type { Logger } from '../pkg/logger.js';
import { CORS, gatewayHandler, gatewayMethods, isGatewayPath, type MethodTable } from '../gateway/index.js';
import { isDashboardPath } from '../dashboard/paths.js';
import type { EdgeSettings } from '../api/index.js';

type Req = HttpRequest;
type Res = HttpResponse;
type DashboardHandler = (req: Req, res: Res, path: string) => void;

function send(res: Res, status: number, contentType: string, body: string): void {
  (res as ServerResponse).writeHead(status, { ...CORS, 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

/** Prometheus' text exposition format, as prom-client names it. */
const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export function httpHandler(port: MemberPort, metrics: GrpcMetrics, logger: Logger, settings: EdgeSettings, opts: { grpcGateway?: boolean; dashboard?: boolean; maxRecvMessageBytes?: number } = {}) {
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
    if (path.startsWith('/livez') || path.startsWith('/readyz')) {
      serveHealthChecks(port, req, res, path);
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
      case '/version':
        void port.version().then(
          (v) => send(res, 200, 'application/json', JSON.stringify(v)),
          (err) => send(res, 500, 'text/plain; charset=utf-8', String(err)),
        );
        return;
      case '/metrics':
        // As Go's promhttp: a scrape sees itself in flight, and is counted once answered.
        metrics.promhttpInFlight.inc();
        void port
          .metricsText()
          .then(
            (text) => {
              send(res, 200, METRICS_CONTENT_TYPE, text);
              metrics.promhttpRequests.labels('200').inc();
            },
            (err) => {
              send(res, 500, 'text/plain; charset=utf-8', String(err));
              metrics.promhttpRequests.labels('500').inc();
            },
          )
          .finally(() => metrics.promhttpInFlight.dec());
        return;
      default:
        if (serveGateway && isGatewayPath(path)) {
          methods ??= gatewayMethods(port, metrics, logger, settings);
          gateway ??= gatewayHandler(methods, (b) => settings.release.has(b), opts.maxRecvMessageBytes);
          gateway(req, res, path);
          return;
        }
        goError(res, 404, '404 page not found');
    }
  };
}

/** etcd 3.6's /livez and /readyz and their per-check paths, answered behind the member port. */
function serveHealthChecks(port: HttpPort, req: Req, res: Res, path: string): void {
  if (req.method !== 'GET') {
    (res as ServerResponse).setHeader('Allow', 'GET');
    goError(res, 405, 'Method Not Allowed');
    return;
  }
  const query = new URL(req.url ?? '/', 'http://localhost').search;
  void port.healthChecks(path, query).then(
    (answer) => {
      if (answer === undefined) return goError(res, 404, '404 page not found');
      // A failure goes out through http.Error: every check's line, then its newline.
      if (answer.status !== 200) return goError(res, answer.status, answer.body);
      (res as ServerResponse).setHeader('X-Content-Type-Options', 'nosniff');
      send(res, 200, 'text/plain; charset=utf-8', answer.body);
    },
    (err) => goError(res, 500, String(err)),
  );
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
