// The metrics an edge thread keeps: the gRPC calls it served. It does not load
// prom-client (a large share of a thread's start): its families are hot.ts's, kept
// in a plain list, and the core reads them in prom-client's JSON form at scrape
// time and sums them with its own.
import { HotCounter, HotGauge, HotHistogram, type FamilyRegistry } from './hot.js';

/** Told of every finished unary call; the member logs the slow ones (etcd 3.6's "request stats"). */
export type UnaryDone = (fullMethod: string, startedAtMs: number, tookMs: number, peer: string) => void;

/**
 * What is counted where client calls are served (the core thread, or each edge thread):
 * go-grpc-prometheus's per-call families, etcd's client traffic and client-version
 * counters, and promhttp's scrape counters.
 */
export interface GrpcMetrics {
  readonly grpcStarted: HotCounter;
  readonly grpcHandled: HotCounter;
  readonly grpcHandling: HotHistogram;
  readonly grpcMsgReceived: HotCounter;
  readonly grpcMsgSent: HotCounter;
  readonly grpcSentBytes: HotCounter;
  readonly grpcReceivedBytes: HotCounter;
  readonly clientRequests: HotCounter;
  readonly promhttpRequests: HotCounter;
  readonly promhttpInFlight: HotGauge;
  unaryDone?: UnaryDone;
}

export type GrpcFamilies = Omit<GrpcMetrics, 'unaryDone'>;

export function grpcFamilies(registry: FamilyRegistry): GrpcFamilies {
  // Updated on every call: see hot.ts.
  const callLabels = ['grpc_type', 'grpc_service', 'grpc_method'];
  return {
    grpcStarted: new HotCounter('grpc_server_started_total', 'Total number of RPCs started on the server.', registry, callLabels),
    grpcHandled: new HotCounter('grpc_server_handled_total', 'Total number of RPCs completed on the server, regardless of success or failure.', registry, [...callLabels, 'grpc_code']),
    grpcHandling: new HotHistogram('grpc_server_handling_seconds', 'Histogram of response latency (seconds) of gRPC that had been application-level handled by the server.', registry, callLabels, [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]),
    grpcMsgReceived: new HotCounter('grpc_server_msg_received_total', 'Total number of RPC stream messages received on the server.', registry, callLabels),
    grpcMsgSent: new HotCounter('grpc_server_msg_sent_total', 'Total number of gRPC stream messages sent by the server.', registry, callLabels),
    grpcSentBytes: new HotCounter('etcd_network_client_grpc_sent_bytes_total', 'The total number of bytes sent to grpc clients.', registry),
    grpcReceivedBytes: new HotCounter('etcd_network_client_grpc_received_bytes_total', 'The total number of bytes received from grpc clients.', registry),
    clientRequests: new HotCounter('etcd_server_client_requests_total', 'The total number of client requests per client version.', registry, ['type', 'client_api_version']),
    promhttpRequests: new HotCounter('promhttp_metric_handler_requests_total', 'Total number of scrapes by HTTP status code.', registry, ['code']),
    promhttpInFlight: new HotGauge('promhttp_metric_handler_requests_in_flight', 'Current number of scrapes being served.', registry),
  };
}

interface JsonFamily {
  get(): Promise<unknown>;
}

// The families come from grpcFamilies, set in the constructor.
export interface EdgeMetrics extends GrpcFamilies {}

/** An edge thread's own metrics: the calls it served, read by the core at scrape time. */
export class EdgeMetrics implements GrpcMetrics {
  private readonly families: JsonFamily[] = [];
  unaryDone?: UnaryDone;

  constructor() {
    const registry: FamilyRegistry = { registerMetric: (m: never) => void this.families.push(m as JsonFamily) };
    Object.assign(this, grpcFamilies(registry));
  }

  /** prom-client's JSON form, which the core sums with its own. */
  json(): Promise<unknown[]> {
    return Promise.all(this.families.map((f) => f.get()));
  }
}

const GRPC_CODE_NAMES = ['OK', 'Canceled', 'Unknown', 'InvalidArgument', 'DeadlineExceeded', 'NotFound', 'AlreadyExists', 'PermissionDenied', 'ResourceExhausted', 'FailedPrecondition', 'Aborted', 'OutOfRange', 'Unimplemented', 'Internal', 'Unavailable', 'DataLoss', 'Unauthenticated'];
export const grpcCodeName = (code: number) => GRPC_CODE_NAMES[code] ?? 'Unknown';
