// Go's http.Error, as etcd's handlers answer refusals: plain text, no sniffing, the
// message and a newline; headers set before it (the cluster ID) stay.
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';

export function httpError(res: ServerResponse, status: number, message: string, headers: OutgoingHttpHeaders = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = message + '\n';
  res.writeHead(status, {
    ...headers,
    'content-type': 'text/plain; charset=utf-8',
    'x-content-type-options': 'nosniff',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

/** etcd's allowMethod: 405 naming the methods that are. */
export function methodNotAllowed(res: ServerResponse, allow: string, headers: OutgoingHttpHeaders = {}): void {
  httpError(res, 405, 'Method Not Allowed', { ...headers, allow });
}
