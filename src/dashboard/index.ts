// The web dashboard a member serves under /dashboard/ on its client URLs when
// --enable-dashboard is set: static page files, plus a small JSON API for what
// etcd's gateway has no route for. The page reads everything else through the
// member's JSON gateway (/v3/...), /health, /readyz, /version and /metrics.
import type { ServerResponse } from 'node:http';
import type { HttpRequest, HttpResponse } from '../grpc/index.js';
import type { MethodTable } from '../gateway/services.js';
import { apiHandler } from './api.js';
import { staticFiles } from './static.js';

type Req = HttpRequest;
type Res = HttpResponse;

import { DASHBOARD_PATH } from './paths.js';

export { DASHBOARD_PATH, isDashboardPath } from './paths.js';
const API_PREFIX = 'api/v1/';

export function dashboardHandler(methods: MethodTable): (req: Req, res: Res, path: string) => void {
  const api = apiHandler(methods);
  const files = staticFiles();
  return (req, res, path) => {
    const r = res as ServerResponse;
    if (path === '/dashboard') {
      r.writeHead(301, { Location: DASHBOARD_PATH, 'Content-Length': 0 });
      res.end();
      return;
    }
    const rest = path.slice(DASHBOARD_PATH.length);
    if (rest.startsWith(API_PREFIX)) return api(req, res, rest.slice(API_PREFIX.length));
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      r.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('Method Not Allowed\n');
      return;
    }
    files(req, res, rest === '' ? 'index.html' : rest);
  };
}
