// Turns a table of handlers into gRPC method definitions for one etcd service:
// codecs come from the .proto, and every call is counted under etcd's gRPC metrics,
// its messages' bytes and its client's API version as etcd's v3rpc layer counts them.
import { codec, serviceMethods } from '../pb/codec.js';
import type { BidiStream, MethodDef, CallContext } from '../grpc/types.js';
import { EtcdError, GrpcCode } from '../rpctypes/errors.js';
import { grpcCodeName, type GrpcMetrics } from '../metrics/edge.js';
import type { Behaviour, EtcdRelease } from '../version/index.js';

/** RPCs later etcd releases added: a member behaving as an older release does not serve them. */
const INTRODUCED_RPCS: Readonly<Record<string, Behaviour>> = {
  'etcdserverpb.KV/RangeStream': 'rangeStreamRpc',
  'etcdserverpb.Maintenance/Downgrade': 'downgradeRpc',
  'etcdserverpb.Auth/AuthStatus': 'authStatusRpc',
};

/** The method definitions of `service` that `release` serves. */
export function servedBy<T>(release: EtcdRelease, service: string, defs: Record<string, T>): Record<string, T> {
  return Object.fromEntries(
    Object.entries(defs).filter(([method]) => {
      const b = INTRODUCED_RPCS[`${service}/${method}`];
      return b === undefined || release.has(b);
    }),
  );
}

export type UnaryImpl = (req: any, call: CallContext) => unknown | Promise<unknown>;
export type StreamImpl = (stream: any) => void | Promise<void>;

/** A handler that takes its requests and gives its responses as protobuf bytes. */
export interface EncodedImpl {
  encoded: ((req: Uint8Array, call: CallContext) => Promise<Uint8Array>) | ((stream: BidiStream<Uint8Array, Uint8Array>) => void);
}

/** Marks a unary handler as taking and giving wire bytes: no codec runs on this side. */
export const encoded = (fn: (req: Uint8Array, call: CallContext) => Promise<Uint8Array>): EncodedImpl => ({ encoded: fn });

/** The same for a bidi stream's handler: its messages both ways are wire bytes. */
export const encodedStream = (fn: (stream: BidiStream<Uint8Array, Uint8Array>) => void): EncodedImpl => ({ encoded: fn });

const passThrough = (b: Uint8Array) => b;

function encodedOr(c: { encode(m: unknown): Uint8Array }): { encode(m: unknown): Uint8Array } {
  return { encode: (m) => (m instanceof Uint8Array ? m : c.encode(m)) };
}

export function defineService(
  fullName: string,
  impl: Record<string, UnaryImpl | StreamImpl | EncodedImpl>,
  metrics: GrpcMetrics,
): Record<string, MethodDef<any, any>> {
  const out: Record<string, MethodDef<any, any>> = {};
  const [pkg, svc] = splitName(fullName);
  for (const m of serviceMethods(fullName)) {
    const given = impl[m.name];
    const raw = given !== undefined && typeof given === 'object';
    const fn = raw ? (given as EncodedImpl).encoded : (given as UnaryImpl | StreamImpl | undefined);
    const req = raw ? { decode: passThrough, encode: passThrough } : codec<any>(m.requestType);
    // A handler may give its response already encoded (the member port's watch responses).
    const res = raw ? { encode: passThrough } : encodedOr(codec<any>(m.responseType));
    const grpcType = m.requestStream && m.responseStream ? 'bidi_stream' : m.responseStream ? 'server_stream' : m.requestStream ? 'client_stream' : 'unary';
    const { decode, encode } = countedCodec(req, res, metrics, [grpcType, `${pkg}.${svc}`, m.name]);
    const started = metrics.grpcStarted.labels(grpcType, `${pkg}.${svc}`, m.name);
    const handling = metrics.grpcHandling.labels(grpcType, `${pkg}.${svc}`, m.name);
    const fullMethod = `/${pkg}.${svc}/${m.name}`;
    const handled = (code: number) => metrics.grpcHandled.labels(grpcType, `${pkg}.${svc}`, m.name, grpcCodeName(code)).inc();
    const notAvailable = () => new EtcdError(GrpcCode.Unimplemented, `etcd-ts: ${svc}.${m.name} is not available yet`);
    if (!m.requestStream && !m.responseStream) {
      const ok = metrics.grpcHandled.labels(grpcType, `${pkg}.${svc}`, m.name, 'OK');
      out[m.name] = {
        kind: 'unary',
        decode,
        encode,
        handler: async (r: unknown, call: CallContext) => {
          started.inc();
          countClient(metrics, 'unary', call);
          const t0 = performance.now();
          try {
            if (!fn) throw notAvailable();
            const v = await (fn as UnaryImpl)(r, call);
            ok.inc();
            return v;
          } catch (err) {
            handled(err instanceof EtcdError ? err.code : GrpcCode.Unknown);
            throw err;
          } finally {
            const took = performance.now() - t0;
            handling.observe(took / 1000);
            metrics.unaryDone?.(fullMethod, Date.now() - took, took, call.peer);
          }
        },
      };
    } else {
      const kind = m.requestStream && m.responseStream ? 'bidi' : m.responseStream ? 'serverStream' : 'clientStream';
      out[m.name] = {
        kind,
        decode,
        encode,
        handler: (...args: any[]) => {
          started.inc();
          countClient(metrics, 'stream', args[args.length - 1] as CallContext);
          if (!fn) {
            // The stream is the handler's last argument; end it rather than leave the client waiting.
            (args[args.length - 1] as { end(err: EtcdError): void }).end(notAvailable());
            return;
          }
          return (fn as (...a: any[]) => any)(...args);
        },
      } as MethodDef<any, any>;
    }
  }
  return out;
}

/**
 * Request decoding and response encoding that count the bytes, as etcd's gRPC codec does,
 * and the messages per method, as go-grpc-prometheus does (a unary call's response is
 * encoded, so counted, only when it succeeded).
 */
function countedCodec(req: { decode(b: Uint8Array): unknown }, res: { encode(m: any): Uint8Array }, metrics: GrpcMetrics, labels: [string, string, string]) {
  const received = metrics.grpcMsgReceived.labels(...labels);
  const sent = metrics.grpcMsgSent.labels(...labels);
  return {
    decode: (b: Uint8Array): any => {
      metrics.grpcReceivedBytes.inc(b.byteLength);
      received.inc();
      return req.decode(b);
    },
    encode: (msg: any): Uint8Array => {
      const b = res.encode(msg);
      metrics.grpcSentBytes.inc(b.byteLength);
      sent.inc();
      return b;
    },
  };
}

/** etcd_server_client_requests_total: by call type and the client's "client-api-version" header. */
function countClient(metrics: GrpcMetrics, type: 'unary' | 'stream', call: CallContext | undefined): void {
  const v = call?.metadata?.['client-api-version'];
  const version = (Array.isArray(v) ? v[0] : v) || 'unknown';
  metrics.clientRequests.labels(type, version).inc();
}

function splitName(full: string): [string, string] {
  const i = full.lastIndexOf('.');
  return [full.slice(0, i), full.slice(i + 1)];
}
