// Non-gRPC HTTP/2 requests (health, version, metrics, the JSON gateway) for the
// same `http` handler that serves HTTP/1.1: a request that reads like
// node:http's IncomingMessage and a response that writes like its
// ServerResponse, for the parts of them the handlers use.
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { Readable } from 'node:stream';
import type { Stream, StreamSink } from '../http2/index.js';

/** Fields HTTP/2 forbids in a message (RFC 9113 §8.2.2); HTTP/1 handlers may still set them. */
const CONNECTION_SPECIFIC = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade']);

export class Http2Request extends Readable {
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, string | string[]>;
  readonly httpVersion = '2.0';
  readonly httpVersionMajor = 2;
  readonly httpVersionMinor = 0;

  constructor(
    private readonly stream: Stream,
    readonly socket: Socket,
  ) {
    super();
    this.method = stream.field(':method') ?? '';
    this.url = stream.field(':path') ?? '';
    const headers: Record<string, string | string[]> = {};
    const f = stream.fields;
    for (let i = 0; i < f.length; i += 2) {
      const name = f[i]!;
      const prev = headers[name];
      if (prev === undefined) headers[name] = f[i + 1]!;
      else if (Array.isArray(prev)) prev.push(f[i + 1]!);
      else headers[name] = [prev, f[i + 1]!];
    }
    this.headers = headers;
  }

  override _read(): void {
    this.stream.resume();
  }

  /** @internal The body's bytes as they arrive; the peer is held back while the reader lags. */
  deliver(chunk: Buffer): void {
    if (!this.push(chunk)) this.stream.pause();
  }
}

export class Http2Response extends EventEmitter {
  statusCode = 200;
  headersSent = false;
  writableEnded = false;
  private readonly fields = new Map<string, string | number | readonly string[]>();
  private readonly bodyless: boolean;

  constructor(
    private readonly stream: Stream,
    method: string,
  ) {
    super();
    this.bodyless = method === 'HEAD';
  }

  setHeader(name: string, value: string | number | readonly string[]): this {
    this.fields.set(name.toLowerCase(), value);
    return this;
  }
  getHeader(name: string): string | number | readonly string[] | undefined {
    return this.fields.get(name.toLowerCase());
  }
  hasHeader(name: string): boolean {
    return this.fields.has(name.toLowerCase());
  }
  removeHeader(name: string): void {
    this.fields.delete(name.toLowerCase());
  }

  writeHead(status: number, headers?: Record<string, string | number | readonly string[]>): this {
    if (this.headersSent) return this;
    this.statusCode = status;
    if (headers) for (const [k, v] of Object.entries(headers)) this.setHeader(k, v);
    this.sendHeaders(false);
    return this;
  }

  write(chunk: string | Uint8Array, encoding?: BufferEncoding | (() => void)): boolean {
    if (this.writableEnded) return false;
    if (!this.headersSent) this.sendHeaders(false);
    if (this.bodyless || this.stream.closed) return true;
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, typeof encoding === 'string' ? encoding : 'utf8') : chunk;
    if (bytes.length === 0) return true;
    return this.stream.write(bytes);
  }

  end(chunk?: string | Uint8Array | (() => void), encoding?: BufferEncoding | (() => void)): this {
    if (this.writableEnded) return this;
    const body = typeof chunk === 'function' ? undefined : chunk;
    if (body !== undefined && body.length > 0 && !this.bodyless) {
      this.write(body, encoding);
    }
    this.writableEnded = true;
    if (!this.headersSent) this.sendHeaders(true);
    else if (!this.stream.closed) this.stream.end();
    this.emit('finish');
    return this;
  }

  private sendHeaders(endStream: boolean): void {
    this.headersSent = true;
    if (this.stream.closed) return;
    const out: string[] = [':status', String(this.statusCode)];
    for (const [name, value] of this.fields) {
      if (CONNECTION_SPECIFIC.has(name)) continue;
      if (Array.isArray(value)) for (const v of value) out.push(name, String(v));
      else out.push(name, String(value));
    }
    if (!this.fields.has('date')) out.push('date', new Date().toUTCString());
    this.stream.respond(out, endStream);
  }
}

/** Ties a stream to its request and response objects. */
export class HttpExchange implements StreamSink {
  readonly req: Http2Request;
  readonly res: Http2Response;

  constructor(stream: Stream, socket: Socket) {
    this.req = new Http2Request(stream, socket);
    this.res = new Http2Response(stream, this.req.method);
    stream.sink = this;
  }

  onData(chunk: Buffer): void {
    this.req.deliver(chunk);
  }
  onEnd(): void {
    this.req.push(null);
  }
  onWritable(): void {
    this.res.emit('drain');
  }
  onClose(code: number): void {
    // A request cut short ends its body without an 'error' nobody may be listening for.
    if (code !== 0 && !this.req.readableEnded) this.req.destroy();
    this.res.emit('close');
  }
}
