// The contract between the gRPC transport and the services it serves. The
// transport knows nothing about protobuf: each method brings its own codec.
import type { EventEmitter } from 'node:events';
import type { PeerCertificate } from 'node:tls';
import type { EtcdError } from '../rpctypes/errors.js';

export type MethodKind = 'unary' | 'serverStream' | 'clientStream' | 'bidi';

/** Request headers as received (lower-case names; `-bin` values stay base64). */
export type Metadata = Record<string, string | string[] | undefined>;

export interface CallContext {
  readonly metadata: Metadata;
  /** Absolute deadline in ms since the epoch (Date.now() clock), from grpc-timeout. */
  readonly deadline?: number;
  /** Aborted when the client cancels, the deadline passes or the server closes. */
  readonly signal: AbortSignal;
  /** "address:port" of the client. */
  readonly peer: string;
  readonly authority?: string;
  /** The client's certificate on a TLS connection that presented one. */
  readonly tlsPeerCertificate?: PeerCertificate;
}

/** Server side of a response stream. write() returns false when the caller should wait for 'drain'. */
export interface ServerWritable<Res> extends CallContext, EventEmitter {
  write(msg: Res): boolean;
  /** Ends the call: OK without an error, otherwise the error's code and message. Idempotent. */
  end(err?: EtcdError | Error): void;
  /** True once end() ran or the call was cancelled. */
  readonly ended: boolean;
  on(event: 'drain' | 'cancel', listener: () => void): this;
  on(event: string | symbol, listener: (...args: any[]) => void): this;
}

/** Server side of a request stream: 'data' per message, 'end' when the client half-closes. */
export interface ServerReadable<Req> extends CallContext, EventEmitter {
  pause(): void;
  resume(): void;
  on(event: 'data', listener: (msg: Req) => void): this;
  on(event: 'end' | 'cancel', listener: () => void): this;
  on(event: string | symbol, listener: (...args: any[]) => void): this;
}

export interface BidiStream<Req, Res> extends ServerWritable<Res>, ServerReadable<Req> {
  on(event: 'data', listener: (msg: Req) => void): this;
  on(event: 'end' | 'cancel' | 'drain', listener: () => void): this;
  on(event: string | symbol, listener: (...args: any[]) => void): this;
}

export type UnaryHandler<Req, Res> = (req: Req, call: CallContext) => Res | Promise<Res>;
/** A returned promise ends the stream when it settles; a void return leaves ending to the handler. */
export type ServerStreamHandler<Req, Res> = (req: Req, stream: ServerWritable<Res>) => void | Promise<void>;
export type ClientStreamHandler<Req, Res> = (stream: ServerReadable<Req>) => Res | Promise<Res>;
/** The handler owns ending the stream; a rejected promise ends it with that error. */
export type BidiHandler<Req, Res> = (stream: BidiStream<Req, Res>) => void | Promise<void>;

interface Codec<Req, Res> {
  decode(buf: Uint8Array): Req;
  encode(msg: Res): Uint8Array;
}

export type MethodDef<Req, Res> = Codec<Req, Res> &
  (
    | { kind: 'unary'; handler: UnaryHandler<Req, Res> }
    | { kind: 'serverStream'; handler: ServerStreamHandler<Req, Res> }
    | { kind: 'clientStream'; handler: ClientStreamHandler<Req, Res> }
    | { kind: 'bidi'; handler: BidiHandler<Req, Res> }
  );
