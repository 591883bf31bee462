// A real gRPC client (grpc-js + proto-loader over etcd's wire protos) for tests
// that need to send requests etcdctl cannot express, and to read exact status
// codes and messages.
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { fileURLToPath } from 'node:url';
import type { Member } from './member.js';

const protoRoot = fileURLToPath(new URL('../../../proto', import.meta.url));

/** Message objects as proto-loader renders them: camelCase fields, int64 as decimal strings, bytes as Buffer. */
export type Msg = Record<string, any>;

export interface CallOptions {
  /** Per-call deadline; 10 s by default. */
  timeoutMs?: number;
}

type Unary = (req: Msg, opts?: CallOptions) => Promise<Msg>;

export interface KvClient {
  range: Unary;
  put: Unary;
  deleteRange: Unary;
  txn: Unary;
  compact: Unary;
}

export interface MaintenanceClient {
  status: Unary;
  hashKV: Unary;
  alarm: Unary;
  defragment: Unary;
}

export interface GrpcKv {
  kv: KvClient;
  maintenance: MaintenanceClient;
  /** The underlying channels' owners, for tests that need streaming or metadata. */
  raw: { kv: grpc.Client; maintenance: grpc.Client };
  close(): void;
}

/** The part of a failed call that etcd clients match on. */
export interface GrpcFailure {
  code: number;
  message: string;
}

let cached: grpc.GrpcObject | undefined;
function etcdserverpb(): grpc.GrpcObject {
  if (cached === undefined) {
    const def = protoLoader.loadSync('etcdserverpb/rpc.proto', {
      includeDirs: [protoRoot],
      longs: String,
      bytes: Buffer,
      enums: String,
      defaults: true,
      oneofs: true,
    });
    cached = (grpc.loadPackageDefinition(def) as any).etcdserverpb as grpc.GrpcObject;
  }
  return cached;
}

function promisify(client: grpc.Client, method: string): Unary {
  const fn = (client as any)[method] as Function | undefined;
  if (typeof fn !== 'function') throw new Error(`no gRPC method ${method}`);
  return (req, opts = {}) =>
    new Promise((resolve, reject) => {
      const deadline = new Date(Date.now() + (opts.timeoutMs ?? 10_000));
      fn.call(client, req, new grpc.Metadata(), { deadline }, (err: grpc.ServiceError | null, res: Msg) => {
        if (err) reject(err);
        else resolve(res);
      });
    });
}

export function grpcKv(target: Member | string, channelOptions: grpc.ChannelOptions = {}): GrpcKv {
  const endpoint = typeof target === 'string' ? target : target.endpoint;
  const address = endpoint.replace(/^https?:\/\//, '');
  const pkg = etcdserverpb() as any;
  const creds = grpc.credentials.createInsecure();
  const options = { 'grpc.max_receive_message_length': 64 * 1024 * 1024, ...channelOptions };
  const kv: grpc.Client = new pkg.KV(address, creds, options);
  const maintenance: grpc.Client = new pkg.Maintenance(address, creds, options);
  return {
    kv: {
      range: promisify(kv, 'Range'),
      put: promisify(kv, 'Put'),
      deleteRange: promisify(kv, 'DeleteRange'),
      txn: promisify(kv, 'Txn'),
      compact: promisify(kv, 'Compact'),
    },
    maintenance: {
      status: promisify(maintenance, 'Status'),
      hashKV: promisify(maintenance, 'HashKV'),
      alarm: promisify(maintenance, 'Alarm'),
      defragment: promisify(maintenance, 'Defragment'),
    },
    raw: { kv, maintenance },
    close() {
      kv.close();
      maintenance.close();
    },
  };
}

/** Runs `call` expecting it to fail, and returns the gRPC code and message. */
export async function grpcFailure(call: Promise<unknown>): Promise<GrpcFailure> {
  try {
    await call;
  } catch (err) {
    const e = err as Partial<grpc.ServiceError>;
    if (typeof e.code !== 'number') throw err;
    return { code: e.code, message: e.details ?? '' };
  }
  throw new Error('expected the gRPC call to fail, it succeeded');
}
