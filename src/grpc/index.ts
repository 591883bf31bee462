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
export { GrpcServer, type GrpcServerOptions, type HttpHandler, type TlsListenOptions } from './server.js';
export { ClientCall, GrpcClient, type ClientMetadata, type GrpcClientOptions } from './client.js';
export { decodeGrpcMessage, encodeGrpcMessage, formatGrpcTimeout, parseGrpcTimeout } from './status.js';
export { MessageReader, frameMessage } from './frame.js';
