// etcd 3.4's JSON gateway on the client port: POST /v3/... with a JSON body, answered
// by the same service methods as gRPC. Unary calls answer one JSON object; streaming
// calls (watch, lease keep-alive, observe, snapshot) answer newline-delimited
// {"result": …} objects while the request body may keep sending requests.
import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import type { HttpRequest, HttpResponse } from '../grpc/index.js';
import type * as PB from 'protobufjs';
import type { CallContext, MethodDef, Metadata } from '../grpc/types.js';
import { EtcdError, GrpcCode } from '../rpctypes/errors.js';
import { ROUTES } from './routes.js';
import type { Behaviour } from '../version/index.js';
import { binaryToJson, jsonToBinary, JsonInputError, methodTypes } from './jsonpb.js';
import { blankJson, parseGoJson, type JsonValue } from './go-json.js';
import { errorBody, grpcErrorOf, httpStatusOf, streamErrorBody } from './status.js';
import { JsonValueSplitter, ScalarValue, StreamBreak } from './json-stream.js';
import type { MethodTable } from './services.js';

export { gatewayMethods, type MethodTable } from './services.js';

type Req = HttpRequest;
type Res = HttpResponse;

/** The CORS headers etcd sends on every HTTP response of the client port. */
export const CORS = {
  'Access-Control-Allow-Headers': 'accept, content-type, authorization',
  'Access-Control-Allow-Methods': 'POST, GET, OPTIONS, PUT, DELETE',
  'Access-Control-Allow-Origin': '*',
};
const JSON_HEADERS = { ...CORS, 'Content-Type': 'application/json', 'Grpc-Metadata-Content-Type': 'application/grpc' };
/** Bound on a unary request body, past --max-request-bytes and gRPC's overhead. */
const MAX_BODY_BYTES = 64 * 1024 * 1024;

interface Bound {
  def: MethodDef<any, any>;
  maxRecvMessageBytes: number;
  reqType: PB.Type;
  resType: PB.Type;
}

export function isGatewayPath(path: string): boolean {
  return path.startsWith('/v3/') || path.startsWith('/v3beta/');
}

/**
 * `binds` says whether the member's release has a route that only some releases bind;
 * `maxRecvMessageBytes` is the gRPC server's limit, which etcd's gateway meets since
 * it passes each request on to that server as a gRPC message.
 */
export function gatewayHandler(methods: MethodTable, binds: (since: Behaviour) => boolean = () => true, maxRecvMessageBytes = Infinity): (req: Req, res: Res, path: string) => void {
  const bound = new Map<string, Bound>();
  const bind = (path: string): Bound | undefined => {
    const cached = bound.get(path);
    if (cached) return cached;
    const route = ROUTES.get(path);
    const def = route && (route.since === undefined || binds(route.since)) ? methods.get(`${route.service}/${route.method}`) : undefined;
    if (!route || !def) return undefined;
    const b = { def, maxRecvMessageBytes, ...methodTypes(route.service, route.method) };
    bound.set(path, b);
    return b;
  };
  return (req, res, requested) => {
    // etcd 3.4 still answers the 3.3 clients' /v3beta prefix.
    const path = requested.startsWith('/v3beta/') ? `/v3/${requested.slice('/v3beta/'.length)}` : requested;
    if (req.method === 'OPTIONS') return void plain(res, 200, '');
    const b = ROUTES.has(path) ? bind(path) : undefined;
    if (!b) return void plain(res, 404, 'Not Found\n');
    if (req.method !== 'POST') return void plain(res, 405, 'Method Not Allowed\n');
    const call = gatewayCallContext(req, res);
    if (b.def.kind === 'unary') void unary(b, req, res, call);
    else if (b.def.kind === 'serverStream') void serverStream(b, req, res, call);
    else if (b.def.kind === 'bidi') bidi(b, req, res, call);
    else fail(res, GrpcCode.Unimplemented, 'client streaming is not served by the gateway');
  };
}

function plain(res: Res, status: number, body: string): void {
  (res as ServerResponse).writeHead(status, { ...CORS, 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

function fail(res: Res, code: number, message: string): void {
  const body = errorBody(code, message);
  (res as ServerResponse).writeHead(httpStatusOf(code), { ...CORS, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

/** A call made for an HTTP request: its Authorization header as the gRPC token, cancelled when the client goes. */
export function gatewayCallContext(req: Req, res: Res): CallContext {
  const ac = new AbortController();
  // The client going away cancels the call, as a reset gRPC stream does.
  res.on('close', () => ac.abort());
  const auth = req.headers['authorization'];
  const metadata: Metadata = auth === undefined ? {} : { authorization: auth, token: auth };
  const sock = req.socket;
  return { metadata, signal: ac.signal, peer: `${sock?.remoteAddress ?? ''}:${sock?.remotePort ?? 0}` };
}

async function readBody(req: Req): Promise<string> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    n += c.length;
    if (n > MAX_BODY_BYTES) throw new JsonInputError('http: request body too large');
    chunks.push(c);
  }
  // One character per byte, as Go's decoder reads bytes (see go-json).
  return Buffer.concat(chunks).toString('latin1');
}

function parseRequest(b: Bound, text: string): unknown {
  // An empty body is an empty request, as Go's decoder treats io.EOF; after the first value the body is not read.
  const json: JsonValue = blankJson(text) ? {} : parseGoJson(text, 'decoder');
  const bytes = jsonToBinary(b.reqType, json);
  if (bytes.length > b.maxRecvMessageBytes) throw new EtcdError(GrpcCode.ResourceExhausted, `grpc: received message larger than max (${bytes.length} vs. ${b.maxRecvMessageBytes})`);
  return b.def.decode(bytes);
}

function result(b: Bound, msg: unknown): Record<string, unknown> {
  return binaryToJson(b.resType, b.def.encode(msg));
}

async function unary(b: Bound, req: Req, res: Res, call: CallContext): Promise<void> {
  let request: unknown;
  try {
    request = parseRequest(b, await readBody(req));
  } catch (err) {
    return fail(res, inputCode(err), inputMessage(err));
  }
  try {
    const out = await (b.def.handler as (r: unknown, c: CallContext) => unknown)(request, call);
    const body = JSON.stringify(result(b, out));
    (res as ServerResponse).writeHead(200, { ...JSON_HEADERS, 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  } catch (err) {
    const e = grpcErrorOf(err);
    fail(res, e.code, e.message);
  }
}

/** What Go's decoder says of an unfinished value. */
function pendingError(text: string): string {
  try {
    parseGoJson(text, 'decoder');
  } catch (err) {
    return inputMessage(err);
  }
  return 'unexpected EOF';
}

/** A request the gateway could not read is InvalidArgument; one the gRPC server would refuse keeps that server's code. */
function inputCode(err: unknown): GrpcCode {
  return err instanceof EtcdError ? err.code : GrpcCode.InvalidArgument;
}

function inputMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** One gateway response stream: results as JSON lines, an error line if it fails after starting. */
class GatewayStream extends EventEmitter {
  ended = false;
  private started = false;

  constructor(
    private readonly b: Bound,
    private readonly res: Res,
    readonly call: CallContext,
  ) {
    super();
    res.on('drain', () => this.emit('drain'));
    call.signal.addEventListener('abort', () => {
      if (this.ended) return;
      this.ended = true;
      this.emit('cancel');
    });
  }

  get metadata() {
    return this.call.metadata;
  }
  get signal() {
    return this.call.signal;
  }
  get peer() {
    return this.call.peer;
  }

  write(msg: unknown): boolean {
    if (this.ended) return false;
    this.start();
    return (this.res as ServerResponse).write(JSON.stringify({ result: result(this.b, msg) }) + '\n');
  }

  end(err?: Error): void {
    if (this.ended) return;
    this.ended = true;
    if (err) {
      const e = grpcErrorOf(err);
      if (!this.started) return fail(this.res, e.code, e.message);
      this.res.end(streamErrorBody(e.code, e.message) + '\n');
      return;
    }
    this.start();
    this.res.end();
  }

  pause(): void {}
  resume(): void {}

  private start(): void {
    if (this.started) return;
    this.started = true;
    (this.res as ServerResponse).writeHead(200, JSON_HEADERS);
  }
}

async function serverStream(b: Bound, req: Req, res: Res, call: CallContext): Promise<void> {
  let request: unknown;
  try {
    request = parseRequest(b, await readBody(req));
  } catch (err) {
    return fail(res, inputCode(err), inputMessage(err));
  }
  const stream = new GatewayStream(b, res, call);
  try {
    await (b.def.handler as (r: unknown, s: unknown) => unknown)(request, stream);
    stream.end();
  } catch (err) {
    stream.end(err as Error);
  }
}

/** Requests come from the body as it arrives; the call lives until the client or the service ends it. */
function bidi(b: Bound, req: Req, res: Res, call: CallContext): void {
  const stream = new GatewayStream(b, res, call);
  const splitter = new JsonValueSplitter();
  req.setEncoding('latin1');
  req.on('data', (text: string) => {
    try {
      let values: string[];
      try {
        values = splitter.push(text);
      } catch (broken) {
        // The values complete before the break are read first, as Go's decoder reads them.
        if (broken instanceof StreamBreak) for (const v of broken.before) stream.emit('data', parseRequest(b, v));
        throw broken;
      }
      for (const v of values) stream.emit('data', parseRequest(b, v));
    } catch (caught) {
      let err = caught;
      if (err instanceof ScalarValue) {
        try {
          parseRequest(b, err.text);
        } catch (reason) {
          err = reason;
        }
      }
      stream.end(err instanceof EtcdError ? err : Object.assign(new Error(inputMessage(err)), { code: GrpcCode.Unknown }));
    }
  });
  req.on('end', () => {
    // A body cut inside a value fails the call, as Go's decoder reports it: a syntax error in what came, or unexpected EOF.
    if (splitter.pending) return stream.end(Object.assign(new Error(pendingError(splitter.rest)), { code: GrpcCode.Unknown }));
    stream.emit('end');
  });
  try {
    const done = (b.def.handler as (s: unknown) => unknown)(stream);
    if (done instanceof Promise) done.then(() => stream.end(), (err) => stream.end(err as Error));
  } catch (err) {
    stream.end(err as Error);
  }
}
