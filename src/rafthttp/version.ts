// GET /version on the peer port, as etcd serves it to its peers: the leader reads
// every member's server version there to decide the cluster version.
import type { ServerResponse } from 'node:http';
import { peerRequest, type PeerTls } from './tls.js';

export const PATH_VERSION = '/version';

/** etcd's version.Versions as JSON: {"etcdserver", "etcdcluster"[, "storage"]}. */
export type PeerVersions = Record<string, string>;

export function serveVersion(res: ServerResponse, versions: PeerVersions): void {
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(versions));
}

/** The server version a peer reports, or undefined when it cannot be asked or answers nonsense. */
export function fetchPeerServerVersion(peerUrl: string, timeoutMs: number, tls?: PeerTls): Promise<string | undefined> {
  return new Promise((resolve) => {
    let req;
    try {
      req = peerRequest(new URL(PATH_VERSION, peerUrl), { method: 'GET', timeout: timeoutMs }, tls);
    } catch {
      resolve(undefined);
      return;
    }
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        // A version document is tens of bytes: anything long is not one.
        if (text.length < 4096) text += c;
      });
      res.on('error', () => resolve(undefined));
      res.on('end', () => {
        if (res.statusCode !== 200) return resolve(undefined);
        try {
          const v = (JSON.parse(text) as { etcdserver?: unknown }).etcdserver;
          resolve(typeof v === 'string' ? v : undefined);
        } catch {
          resolve(undefined);
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error(`${peerUrl}: timed out`)));
    req.on('error', () => resolve(undefined));
    req.end();
  });
}
