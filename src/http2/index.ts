// etcd-ts's own HTTP/2 server side (RFC 9113, HPACK per RFC 7541) for the client
// port: a pure protocol core (ServerConnection: bytes in, events and bytes out,
// no sockets, no timers) and the socket edge (Http2Session). It depends on
// nothing else in the project, so it can run wherever the protocol edge runs,
// including a worker thread.
export { ErrorCode, PREFACE } from './constants.js';
export { ServerConnection, type ConnectionHandler, type ConnectionOptions, type PingPolicy } from './connection.js';
export { Stream, type Headers, type StreamSink } from './stream.js';
export { HeaderBlock } from './hpack-encoder.js';
export { Http2Session, type SessionHandler } from './socket.js';
