// An HTTP-only client listener (etcd 3.6's --listen-client-http-urls): /health, /metrics,
// /version, the JSON gateway and the rest of the HTTP endpoints, but no gRPC. As etcd's
// HTTP/1-only matcher, a connection speaking anything else is closed unanswered.
import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { HttpHandler, ListenAddress, TlsListenOptions } from '../grpc/server.js';

export class HttpListener {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private closing = false;

  constructor(handler: HttpHandler, tls?: TlsListenOptions) {
    if (tls) {
      const { accept, ...secure } = tls;
      this.server = createHttpsServer({ ...secure, ALPNProtocols: ['http/1.1'] }, handler) as unknown as Server;
      if (accept) this.server.on('secureConnection', (s: TLSSocket) => accept(s) || s.destroy());
    } else {
      this.server = createServer(handler);
    }
    this.server.on('clientError', (_err, socket: Socket) => socket.destroy());
    this.server.on('connection', (s: Socket) => {
      if (this.closing) return void s.destroy();
      this.sockets.add(s);
      s.once('close', () => this.sockets.delete(s));
    });
    this.server.keepAliveTimeout = 5000;
  }

  /** Binds (or, with `fd`, accepts on a socket this process already listens on); the port is 0 for a unix socket. */
  listen(addr: ListenAddress): Promise<{ port: number; fd: number }> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      const done = () => {
        this.server.removeListener('error', reject);
        const a = this.server.address();
        const fd = (this.server as unknown as { _handle?: { fd?: number } })._handle?.fd ?? -1;
        resolve({ port: typeof a === 'object' && a !== null ? a.port : 0, fd });
      };
      const fd = addr instanceof URL ? undefined : addr.fd;
      if (fd !== undefined) this.server.listen({ fd }, done);
      else if ('path' in addr) this.server.listen(addr.path, done);
      else if (addr instanceof URL) this.server.listen(Number(addr.port), addr.hostname, done);
      else this.server.listen(addr.port, addr.host, done);
    });
  }

  /** With `leaveListening`, the listening socket stays open (threads sharing it close it last) and new connections are dropped. */
  async close(opts: { leaveListening?: boolean } = {}): Promise<void> {
    this.closing = true;
    const listenerClosed = opts.leaveListening ? Promise.resolve() : new Promise<void>((r) => this.server.close(() => r()));
    this.server.closeIdleConnections();
    // Streams (a /v3/watch through the gateway) do not end on their own: cut them after a grace period.
    const until = Date.now() + 2000;
    while (this.sockets.size > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    for (const s of this.sockets) s.destroy();
    await listenerClosed;
  }
}
