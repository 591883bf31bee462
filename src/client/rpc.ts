// Typed unary methods over the transport: encode with etcd's protos, decode into
// plain objects (camelCase fields, revisions as numbers, 64-bit IDs as bigints).
import { codec, serviceMethods } from '../pb/codec.js';
import type { CallOptions, Transport } from './transport.js';

export interface ClientDefaults {
  /** Applied to every call that doesn't pass its own timeoutMs. */
  timeoutMs?: number;
}

export type UnaryMethod<Req, Res> = (req: Partial<Req>, opts?: CallOptions) => Promise<Res>;

function methodOf(service: string, method: string) {
  const m = serviceMethods(service).find((x) => x.name === method);
  if (!m) throw new Error(`no method ${service}/${method}`);
  return m;
}

/** The path, codecs and retry safety of one unary method, bound to a transport. */
export function unaryMethod<Req, Res>(transport: Transport, defaults: ClientDefaults, service: string, method: string, idempotent: boolean): UnaryMethod<Req, Res> {
  const m = methodOf(service, method);
  const path = `/${service}/${method}`;
  const reqCodec = codec<Partial<Req>>(m.requestType);
  const resCodec = codec<Res>(m.responseType);
  return async (req, opts = {}) => {
    const bytes = await transport.unary(path, reqCodec.encode(req), {
      idempotent,
      timeoutMs: opts.timeoutMs ?? defaults.timeoutMs,
      signal: opts.signal,
    });
    return resCodec.decode(bytes);
  };
}

/** Path and codecs of a streaming method. */
export function streamMethod<Req, Res>(service: string, method: string) {
  const m = methodOf(service, method);
  return {
    path: `/${service}/${method}`,
    request: codec<Partial<Req>>(m.requestType),
    response: codec<Res>(m.responseType),
  };
}
