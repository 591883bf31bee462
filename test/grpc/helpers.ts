// Shared fixtures for the gRPC layer tests: a string codec and a test service.
import { setTimeout as sleep } from 'node:timers/promises';
import * as grpc from '@grpc/grpc-js';
import { EtcdError, GrpcCode } from '../../src/rpctypes/errors.js';
import { GrpcServer, type GrpcServerOptions } from '../../src/grpc/server.js';
import type { CallContext, MethodDef } from '../../src/grpc/types.js';

export const decode = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.length).toString('utf8');
export const encode = (s: string) => Buffer.from(s, 'utf8');

/** What the slow handlers saw, for assertions about cancellation. */
export interface Observed {
  aborted: string[];
  cancelEvents: number;
  lastCall?: CallContext;
}

export function testService(seen: Observed): Record<string, MethodDef<string, string>> {
  const codec = { decode, encode };
  return {
    Echo: { kind: 'unary', ...codec, handler: (req, call) => ((seen.lastCall = call), `echo:${req}`) },
    AsyncEcho: { kind: 'unary', ...codec, handler: async (req) => (await sleep(1), `async:${req}`) },
    Fail: {
      kind: 'unary',
      ...codec,
      handler: (req) => {
        const i = req.indexOf('|');
        throw new EtcdError(Number(req.slice(0, i)) as GrpcCode, req.slice(i + 1));
      },
    },
    Throw: { kind: 'unary', ...codec, handler: () => Promise.reject(new Error('boom: plain failure')) },
    Slow: {
      kind: 'unary',
      ...codec,
      handler: (_req, call) =>
        new Promise<string>((resolve) => {
          call.signal.addEventListener('abort', () => {
            seen.aborted.push((call.signal.reason as Error).message);
            resolve('too late');
          });
        }),
    },
    Count: {
      kind: 'serverStream',
      ...codec,
      handler: async (req, stream) => {
        for (let i = 0; i < Number(req); i++) stream.write(`n${i}`);
      },
    },
    Hang: {
      kind: 'serverStream',
      ...codec,
      handler: (_req, stream) => {
        stream.write('first');
        stream.on('cancel', () => seen.cancelEvents++);
        stream.signal.addEventListener('abort', () => seen.aborted.push((stream.signal.reason as Error).message));
      },
    },
    Chat: {
      kind: 'bidi',
      ...codec,
      handler: (stream) => {
        stream.on('data', (m: string) => (m === 'fail' ? stream.end(new EtcdError(GrpcCode.Aborted, 'chat aborted')) : stream.write(`re:${m}`)));
        stream.on('end', () => stream.end());
      },
    },
    Join: {
      kind: 'clientStream',
      ...codec,
      handler: (stream) =>
        new Promise<string>((resolve) => {
          const parts: string[] = [];
          stream.on('data', (m: string) => parts.push(m));
          stream.on('end', () => resolve(parts.join('+')));
        }),
    },
  };
}

export async function startServer(opts: Partial<GrpcServerOptions> = {}) {
  const seen: Observed = { aborted: [], cancelEvents: 0 };
  const server = new GrpcServer({ maxRecvMessageBytes: 1024 * 1024, ...opts });
  server.addService('test.Svc', testService(seen));
  const { port } = await server.listen({ host: '127.0.0.1', port: 0 });
  return { server, port, seen };
}

/** Polls until cond() holds; bounded by time. */
export async function waitFor(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await sleep(5);
  }
}

export function grpcClient(port: number, opts: grpc.ClientOptions = {}): grpc.Client {
  return new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), opts);
}

export function unaryJs(
  client: grpc.Client,
  method: string,
  req: string,
  options: grpc.CallOptions = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(`/test.Svc/${method}`, encode, (b: Buffer) => decode(b), req, new grpc.Metadata(), options, (err, res) =>
      err ? reject(err) : resolve(res!),
    );
  });
}
