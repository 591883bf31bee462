// A small Lease client over our gRPC client and codec, for keep-alive streams
// (which etcdctl only exercises one request at a time) and for the benchmark.
import { GrpcClient, type ClientCall } from '../../src/grpc/client.js';
import { codec } from '../../src/pb/codec.js';
import type * as leasepb from '../../src/pb/lease.js';

const grantReq = codec<leasepb.LeaseGrantRequest>('etcdserverpb.LeaseGrantRequest');
const grantRes = codec<leasepb.LeaseGrantResponse>('etcdserverpb.LeaseGrantResponse');
const kaReq = codec<leasepb.LeaseKeepAliveRequest>('etcdserverpb.LeaseKeepAliveRequest');
const kaRes = codec<leasepb.LeaseKeepAliveResponse>('etcdserverpb.LeaseKeepAliveResponse');

export class LeaseClient {
  readonly grpc: GrpcClient;

  constructor(endpoint: string, connections = 1) {
    this.grpc = new GrpcClient(endpoint, { connections });
  }

  async grant(ttl: number, id = 0n): Promise<leasepb.LeaseGrantResponse> {
    return grantRes.decode(await this.grpc.unary('/etcdserverpb.Lease/LeaseGrant', grantReq.encode({ TTL: ttl, ID: id }), undefined, 10_000));
  }

  /** A keep-alive stream: send() a lease ID, responses arrive in order through onResponse. */
  keepAlive(onResponse: (r: leasepb.LeaseKeepAliveResponse) => void, onError: (e: Error) => void = () => {}): { send(id: bigint): boolean; end(): void; call: ClientCall } {
    const call = this.grpc.bidi('/etcdserverpb.Lease/LeaseKeepAlive');
    call.on('data', (m: Uint8Array) => onResponse(kaRes.decode(m)));
    call.on('error', onError);
    return { send: (id) => call.write(kaReq.encode({ ID: id })), end: () => call.end(), call };
  }

  close(): void {
    this.grpc.close();
  }
}
