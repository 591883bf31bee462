// The dashboard's own JSON API, for what etcd's gateway has no route for: one
// level of the key tree with counts, a value decoded for display, a key's history.
// POST /dashboard/api/v1/<name> with a JSON body; keys and values are base64 as in
// the gateway. Every read goes through the guarded Range method as the caller (the
// gateway's Authorization header), and errors come back as the gateway's
// {"error", "message", "code"} with its HTTP status. See docs/DASHBOARD.md.
import type { ServerResponse } from 'node:http';
import type { HttpRequest, HttpResponse } from '../grpc/index.js';
import { gatewayCallContext, type MethodTable } from '../gateway/index.js';
import { errorBody, grpcErrorOf, httpStatusOf } from '../gateway/status.js';
import { GrpcCode } from '../rpctypes/errors.js';
import type { KeyValue } from '../pb/kv.js';
import { deletionsCall, rangeCall, type DeletionsCall, type RangeCall } from './calls.js';
import { treeLevel } from './tree.js';
import { keyHistory } from './history.js';
import { viewValue } from './value.js';

type Req = HttpRequest;
type Res = HttpResponse;

const MAX_BODY_BYTES = 64 * 1024;
const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');

/** A request the API refuses before reading anything: gRPC's InvalidArgument. */
class BadRequest extends Error {}

type Body = Record<string, unknown>;

function bytesField(body: Body, name: string, required: boolean): Uint8Array | undefined {
  const v = body[name];
  if (v === undefined || v === null) {
    if (required) throw new BadRequest(`${name} is required`);
    return undefined;
  }
  if (typeof v !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(v)) throw new BadRequest(`${name} must be base64`);
  return Buffer.from(v, 'base64');
}

function intField(body: Body, name: string, fallback: number): number {
  const v = body[name];
  if (v === undefined || v === null) return fallback;
  const n = typeof v === 'string' && /^[0-9]+$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) throw new BadRequest(`${name} must be a non-negative integer`);
  return n;
}

function kvJson(kv: KeyValue, withValue: boolean): Record<string, unknown> {
  return {
    key: b64(kv.key),
    create_revision: kv.createRevision,
    mod_revision: kv.modRevision,
    version: kv.version,
    lease: kv.lease.toString(),
    size: kv.value.length,
    ...(withValue ? { value: b64(kv.value) } : {}),
  };
}

const ROUTES: Record<string, (range: RangeCall, body: Body, deletions: DeletionsCall) => Promise<unknown>> = {
  async tree(range, body) {
    const level = await treeLevel(range, bytesField(body, 'prefix', false) ?? new Uint8Array(0), {
      after: bytesField(body, 'after', false),
      limit: intField(body, 'limit', 200),
    });
    return {
      revision: level.revision,
      total: level.total,
      children: level.children.map((c) => ({ name: b64(c.name), key: b64(c.key), dir: c.dir, count: c.count })),
      ...(level.next ? { next: b64(level.next) } : {}),
    };
  },
  async value(range, body) {
    const key = bytesField(body, 'key', true)!;
    const r = await range({ key, revision: intField(body, 'revision', 0) });
    const kv = r.kvs[0];
    return { revision: r.header?.revision ?? 0, kv: kv ? kvJson(kv, true) : null, view: kv ? viewValue(kv.value) : null };
  },
  async history(range, body, deletions) {
    const key = bytesField(body, 'key', true)!;
    const before = intField(body, 'before', 0);
    const page = await keyHistory(range, deletions, key, { before: before > 0 ? before : undefined, limit: intField(body, 'limit', 50) });
    return {
      versions: page.entries.map((e) => (e.kind === 'put' ? { ...kvJson(e.kv, false), form: viewValue(e.kv.value).form } : { deleted: true, mod_revision: e.modRevision })),
      ...(page.end ? { end: page.end, end_revision: page.endRevision } : {}),
      ...(page.before ? { before: page.before } : {}),
    };
  },
};

function json(res: Res, status: number, body: string): void {
  (res as ServerResponse).writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

async function readJson(req: Req): Promise<Body> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    n += c.length;
    if (n > MAX_BODY_BYTES) throw new BadRequest('request body too large');
    chunks.push(c);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return {};
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw new BadRequest(err instanceof Error ? err.message : String(err));
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new BadRequest('the body must be a JSON object');
  return v as Body;
}

export function isApiRoute(name: string): boolean {
  return Object.hasOwn(ROUTES, name);
}

export function apiHandler(methods: MethodTable): (req: Req, res: Res, name: string) => void {
  return (req, res, name) => {
    const route = Object.hasOwn(ROUTES, name) ? ROUTES[name] : undefined;
    if (route === undefined) return json(res, 404, errorBody(GrpcCode.NotFound, `dashboard: no API ${name}`));
    if (req.method !== 'POST') {
      (res as ServerResponse).setHeader('Allow', 'POST');
      return json(res, 405, errorBody(GrpcCode.InvalidArgument, 'dashboard: the API takes POST'));
    }
    const call = gatewayCallContext(req, res);
    const range = rangeCall(methods, call);
    void (async () => {
      let body: Body;
      try {
        body = await readJson(req);
        const out = await route(range, body, deletionsCall(methods, call));
        json(res, 200, JSON.stringify(out));
      } catch (err) {
        if (err instanceof BadRequest) return json(res, 400, errorBody(GrpcCode.InvalidArgument, `dashboard: ${err.message}`));
        const e = grpcErrorOf(err);
        json(res, httpStatusOf(e.code), errorBody(e.code, e.message));
      }
    })();
  };
}
