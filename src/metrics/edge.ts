// The metrics an edge thread keeps: the gRPC calls it served. It does not load
// prom-client (a large share of a thread's start): its families are hot.ts's, kept
// in a plain list, and the core reads them in prom-client's JSON form at scrape
// time and sums them with its own.
import { HotCounter, HotHistogram, type FamilyRegistry } from './hot.js';

/** The gRPC server's per-call metrics, as go-grpc-prometheus names them. */
export interface GrpcMetrics {
  readonly grpcStarted: HotCounter;
  readonly grpcHandled: HotCounter;
  readonly grpcHandling: HotHistogram;
}

export function grpcFamilies(registry: FamilyRegistry): GrpcMetrics {
  // Updated on every call: see hot.ts.
  return {
    grpcStarted: new HotCounter('grpc_server_started_total', 'Total number of RPCs started on the server.', registry, ['grpc_type', 'grpc_service', 'grpc_method']),
    grpcHandled: new HotCounter('grpc_server_handled_total', 'Total number of RPCs completed on the server, regardless of success or failure.', registry, ['grpc_type', 'grpc_service', 'grpc_method', 'grpc_code']),
    grpcHandling: new HotHistogram('grpc_server_handling_seconds', 'Histogram of response latency (seconds) of gRPC that had been application-level handled by the server.', registry, ['grpc_type', 'grpc_service', 'grpc_method'], [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]),
  };
}

interface JsonFamily {
  get(): Promise<unknown>;
}

/** An edge thread's own metrics: the calls it served, read by the core at scrape time. */
export class EdgeMetrics implements GrpcMetrics {
  private readonly families: JsonFamily[] = [];
  readonly grpcStarted: HotCounter;
  readonly grpcHandled: HotCounter;
  readonly grpcHandling: HotHistogram;

  constructor() {
    const registry: FamilyRegistry = { registerMetric: (m: never) => void this.families.push(m as JsonFamily) };
    ({ grpcStarted: this.grpcStarted, grpcHandled: this.grpcHandled, grpcHandling: this.grpcHandling } = grpcFamilies(registry));
  }

  /** prom-client's JSON form, which the core sums with its own. */
  json(): Promise<unknown[]> {
    return Promise.all(this.families.map((f) => f.get()));
  }
}

const GRPC_CODE_NAMES = ['OK', 'Canceled', 'Unknown', 'InvalidArgument', 'DeadlineExceeded', 'NotFound', 'AlreadyExists', 'PermissionDenied', 'ResourceExhausted', 'FailedPrecondition', 'Aborted', 'OutOfRange', 'Unimplemented', 'Internal', 'Unavailable', 'DataLoss', 'Unauthenticated'];
export const grpcCodeName = (code: number) => GRPC_CODE_NAMES[code] ?? 'Unknown';
