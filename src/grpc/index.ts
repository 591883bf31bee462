// etcd-ts's gRPC transport: a server on our own HTTP/2 (src/http2) and a client
// on node:http2 that move raw message bytes (each method brings its protobuf
// codec), plus the same-port mux that hands plain HTTP/1.1 and non-gRPC HTTP/2
// requests to `opts.http`.
//
//   const server = new GrpcServer({ maxRecvMessageBytes, http: gatewayHandler });
//   server.addService('etcdserverpb.KV', { Range: { kind: 'unary', decode, encode, handler } });
//   const { port } = await server.listen(new URL('http://127.0.0.1:2379'));
//
// Handlers throw EtcdError for etcd's statuses; anything else is Unknown.
export type {
  BidiHandler,
  BidiStream,
  CallContext,
  ClientStreamHandler,
  Metadata,
  MethodDef,
  MethodKind,
  ServerReadable,
  ServerStreamHandler,
  ServerWritable,
  UnaryHandler,
} from './types.js';
export { GrpcServer, type GrpcServerOptions, type HttpHandler, type HttpRequest, type HttpResponse, type TlsListenOptions } from './server.js';
export { ClientCall, GrpcClient, type ClientMetadata, type GrpcClientOptions } from './client.js';
export { decodeGrpcMessage, encodeGrpcMessage, formatGrpcTimeout, parseGrpcTimeout } from './status.js';
export { MessageReader, frameMessage } from './frame.js';
