// The methods the gateway calls: the same service definitions the gRPC port serves
// (gRPC metrics included), keyed "<package.Service>/<Method>".
import type { MethodDef } from '../grpc/types.js';
import type { MemberPort } from '../port/member-port.js';
import type { GrpcMetrics } from '../metrics/edge.js';
import type { Logger } from '../pkg/logger.js';
import { defineService, servedBy } from '../api/service.js';
import type { EdgeSettings } from '../api/index.js';
import { serviceImpls } from '../api/index.js';

export type MethodTable = ReadonlyMap<string, MethodDef<any, any>>;

export function gatewayMethods(port: MemberPort, metrics: GrpcMetrics, logger: Logger, settings: EdgeSettings): MethodTable {
  const out = new Map<string, MethodDef<any, any>>();
  for (const [name, impl] of serviceImpls(port, logger, settings)) {
    for (const [method, def] of Object.entries(servedBy(settings.release, name, defineService(name, impl, metrics)))) out.set(`${name}/${method}`, def);
  }
  return out;
}
