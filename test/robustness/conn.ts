// One gRPC connection to one member for the robustness traffic, on grpc-js (an
// implementation independent of etcd-ts's own client): KV, Lease, Watch, Lock,
// Election, Cluster and Maintenance, each unary call with a deadline.
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { fileURLToPath } from 'node:url';

const protoRoot = fileURLToPath(new URL('../../../proto', import.meta.url));

/** Messages as proto-loader renders them: camelCase, int64 as decimal strings, bytes as Buffer. */
export type Msg = Record<string, any>;
type Unary = (req: Msg, timeoutMs: number) => Promise<Msg>;

let pkgs: { rpc: any; lock: any; election: any } | undefined;
function packages(): { rpc: any; lock: any; election: any } {
  if (pkgs === undefined) {
    const opts = { includeDirs: [protoRoot], longs: String, bytes: Buffer, enums: String, defaults: true, oneofs: true };
    const def = protoLoader.loadSync(['etcdserverpb/rpc.proto', 'v3lockpb/v3lock.proto', 'v3electionpb/v3election.proto'], opts);
    const root = grpc.loadPackageDefinition(def) as any;
    pkgs = { rpc: root.etcdserverpb, lock: root.v3lockpb, election: root.v3electionpb };
  }
  return pkgs;
}

function unary(client: grpc.Client, method: string): Unary {
  const fn = (client as any)[method] as Function;
  if (typeof fn !== 'function') throw new Error(`no gRPC method ${method}`);
  return (req, timeoutMs) =>
    new Promise((resolve, reject) => {
      fn.call(client, req, new grpc.Metadata(), { deadline: new Date(Date.now() + timeoutMs) }, (err: grpc.ServiceError | null, res: Msg) =>
        err ? reject(err) : resolve(res),
      );
    });
}

export interface Conn {
  readonly endpoint: string;
  range: Unary;
  put: Unary;
  deleteRange: Unary;
  txn: Unary;
  compact: Unary;
  leaseGrant: Unary;
  leaseRevoke: Unary;
  leaseTimeToLive: Unary;
  lock: Unary;
  unlock: Unary;
  campaign: Unary;
  proclaim: Unary;
  leader: Unary;
  resign: Unary;
  status: Unary;
  hashKV: Unary;
  defragment: Unary;
  moveLeader: Unary;
  memberList: Unary;
  memberAdd: Unary;
  memberRemove: Unary;
  memberUpdate: Unary;
  /** A bidirectional Watch stream (write WatchRequests, read WatchResponses). */
  watch(): grpc.ClientDuplexStream<Msg, Msg>;
  /** A LeaseKeepAlive stream. */
  keepAlive(): grpc.ClientDuplexStream<Msg, Msg>;
  close(): void;
}

export function connect(endpoint: string): Conn {
  const address = endpoint.replace(/^https?:\/\//, '');
  const { rpc, lock, election } = packages();
  const creds = grpc.credentials.createInsecure();
  // Reconnect quickly after a member restarts: the default backoff reaches seconds.
  const options: grpc.ChannelOptions = {
    'grpc.max_receive_message_length': 64 * 1024 * 1024,
    'grpc.initial_reconnect_backoff_ms': 100,
    'grpc.max_reconnect_backoff_ms': 500,
  };
  const kv: grpc.Client = new rpc.KV(address, creds, options);
  const lease: grpc.Client = new rpc.Lease(address, creds, options);
  const watch: grpc.Client = new rpc.Watch(address, creds, options);
  const maint: grpc.Client = new rpc.Maintenance(address, creds, options);
  const cluster: grpc.Client = new rpc.Cluster(address, creds, options);
  const lk: grpc.Client = new lock.Lock(address, creds, options);
  const el: grpc.Client = new election.Election(address, creds, options);
  const all = [kv, lease, watch, maint, cluster, lk, el];
  return {
    endpoint,
    range: unary(kv, 'Range'),
    put: unary(kv, 'Put'),
    deleteRange: unary(kv, 'DeleteRange'),
    txn: unary(kv, 'Txn'),
    compact: unary(kv, 'Compact'),
    leaseGrant: unary(lease, 'LeaseGrant'),
    leaseRevoke: unary(lease, 'LeaseRevoke'),
    leaseTimeToLive: unary(lease, 'LeaseTimeToLive'),
    lock: unary(lk, 'Lock'),
    unlock: unary(lk, 'Unlock'),
    campaign: unary(el, 'Campaign'),
    proclaim: unary(el, 'Proclaim'),
    leader: unary(el, 'Leader'),
    resign: unary(el, 'Resign'),
    status: unary(maint, 'Status'),
    hashKV: unary(maint, 'HashKV'),
    defragment: unary(maint, 'Defragment'),
    moveLeader: unary(maint, 'MoveLeader'),
    memberList: unary(cluster, 'MemberList'),
    memberAdd: unary(cluster, 'MemberAdd'),
    memberRemove: unary(cluster, 'MemberRemove'),
    memberUpdate: unary(cluster, 'MemberUpdate'),
    watch: () => (watch as any).Watch() as grpc.ClientDuplexStream<Msg, Msg>,
    keepAlive: () => (lease as any).LeaseKeepAlive() as grpc.ClientDuplexStream<Msg, Msg>,
    close() {
      for (const c of all) c.close();
    },
  };
}

/** The gRPC status of a failed call, or its message: how an error is recorded. */
export function describeError(err: unknown): string {
  const e = err as Partial<grpc.ServiceError>;
  if (typeof e?.code === 'number') return `${grpc.status[e.code] ?? e.code}: ${e.details ?? ''}`;
  return String((err as Error)?.message ?? err);
}

/**
 * True when a failed call certainly had no effect: etcd refused it before proposing
 * (bad request, compacted, lease not found…). Timeouts, unavailability and
 * cancellation leave the outcome unknown.
 */
export function definitelyFailed(err: unknown): boolean {
  const code = (err as Partial<grpc.ServiceError>)?.code;
  return code === grpc.status.INVALID_ARGUMENT || code === grpc.status.OUT_OF_RANGE || code === grpc.status.NOT_FOUND || code === grpc.status.FAILED_PRECONDITION || code === grpc.status.PERMISSION_DENIED;
}
