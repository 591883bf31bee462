// What a client listen URL means for the socket behind it: etcd's http/https URLs are
// TCP addresses, unix/unixs URLs name a socket file by their host part ("etcd.unix:1").
import { unlinkSync } from 'node:fs';
import type { ListenAddress } from '../grpc/server.js';

export function isUnix(url: URL): boolean {
  return url.protocol === 'unix:' || url.protocol === 'unixs:';
}

export function isSecure(url: URL): boolean {
  return url.protocol === 'https:' || url.protocol === 'unixs:';
}

/** The socket address to bind; "localhost" binds the IPv4 loopback, as etcd resolves it. */
export function listenAddress(url: URL): ListenAddress {
  if (isUnix(url)) return { path: url.host };
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return { host: host === 'localhost' ? '127.0.0.1' : host, port: Number(url.port || 2379) };
}

/** As etcd's unix listener: a stale socket file is removed before binding and after closing. */
export function removeSocketFile(path: string): void {
  try {
    unlinkSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}
