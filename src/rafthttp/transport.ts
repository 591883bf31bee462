// A member's Raft transport: an HTTP listener on --listen-peer-urls taking frame
// streams and snapshots from peers, and one outgoing stream per peer. Messages from
// another cluster (by cluster ID) or from removed members are refused, as in etcd.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { TLSSocket } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { unlinkSync } from 'node:fs';
import { MessageType, type Message, type NodeId } from '../raft/types.js';
import { encodeMessage, decodeMessage } from '../raft/index.js';
import type { Logger } from '../pkg/logger.js';
import { FrameReader } from './frame.js';
import { Peer } from './peer.js';
import { HDR_CLUSTER_ID, HDR_FROM, PATH_LEASE, PATH_MEMBERS, PATH_SNAPSHOT, PATH_STREAM } from './paths.js';
import { peerRequest, type PeerTls } from './tls.js';
import { goTlsError, rejectedConnectionFields } from '../tlsutil/verify.js';
import { PATH_PROBING, PeerProber, serveProbing, type RoundTripObserver } from './prober.js';
import { PATH_HASHKV, serveHashKV, fetchPeerHashKV, type PeerHashKV } from './hashkv.js';
import { PATH_VERSION, fetchPeerServerVersion, serveVersion, type PeerVersions } from './version.js';
import { buildSnapshotFile, receiveSnapshotBody, snapshotBodyLength, writeSnapshotBody, type SnapshotFile } from './snapshot-stream.js';
import type { BackendView } from '../backend/backend.js';

export interface RaftReceiver {
  step(m: Message): void;
  reportUnreachable(id: NodeId): void;
  reportSnapshot(id: NodeId, ok: boolean): void;
  /** A connection to the peer was refused: nothing listens at its address. */
  reportDown?(id: NodeId): void;
}

export interface TransportOptions {
  memberId: NodeId;
  clusterId: bigint;
  listenUrls: URL[];
  logger: Logger;
  /** Messages beyond this many per peer, waiting on a slow link, are dropped. */
  maxQueue?: number;
  /** Required for https:// listen URLs and https:// peers. */
  tls?: PeerTls;
  /** Timed probes of each peer (etcd_network_peer_round_trip_time_seconds); none when absent. */
  onPeerRoundTrip?: RoundTripObserver;
}

export interface TransportHooks {
  raft: RaftReceiver;
  /** A point-in-time view of the applied state, for a snapshot leaving this member. */
  snapshotView(): Promise<BackendView>;
  /** Where an outgoing snapshot's database file is built (the data dir: a real disk). */
  snapshotScratchDir(): string;
  /** Where incoming snapshot databases are written: member/snap. */
  snapshotDir(): string;
  /** A snapshot's database arrived at `path`: it must be installed when Raft hands over its metadata. */
  receiveSnapshot(index: number, path: string): void;
  /** What GET /members answers: the member list a joining member checks itself against. */
  members(): unknown;
  isRemoved(id: NodeId): boolean;
  /** Peers say this member was removed from the cluster. */
  onRemovedSelf(): void;
  /** A lease call forwarded by a follower (JSON in, JSON out; errors by message). */
  leaseCall(op: string, body: unknown): Promise<unknown>;
  /** The key-value store's hash at a revision, for peers' corruption checks (throws Compacted / FutureRev). */
  hashKV?(revision: number): Promise<PeerHashKV>;
  /** What GET /version answers: this member's server and cluster versions. */
  versions?(): PeerVersions;
}

export interface PeerInfo {
  id: NodeId;
  peerUrls: string[];
}

function removeSocketFile(path: string): void {
  try {
    unlinkSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

/** The leader's answer to a forwarded lease call was an error with this message. */
export class LeaseForwardError extends Error {}

/** An incoming snapshot whose sender sends nothing for this long is dropped. */
const SNAPSHOT_IDLE_TIMEOUT_MS = 30_000;

export class RaftTransport {
  private peers = new Map<NodeId, Peer>();
  private probers = new Map<NodeId, PeerProber>();
  private servers: Server[] = [];
  private hooks?: TransportHooks;
  clusterId: bigint;
  /** Listen URLs with ephemeral ports resolved. */
  readonly boundUrls: string[] = [];

  private constructor(private readonly opts: TransportOptions) {
    this.clusterId = opts.clusterId;
  }

  static async listen(opts: TransportOptions): Promise<RaftTransport> {
    const t = new RaftTransport(opts);
    for (const url of opts.listenUrls) {
      const server = t.createListener(url);
      server.keepAliveTimeout = 0;
      server.requestTimeout = 0;
      const unix = url.protocol === 'unix:' || url.protocol === 'unixs:';
      // As etcd's unix listener: a stale socket file is replaced, and removed again on close.
      if (unix) removeSocketFile(url.host);
      const host = url.hostname.replace(/^\[|\]$/g, '');
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        if (unix) server.listen(url.host, () => resolve());
        else server.listen({ host: host === 'localhost' ? '127.0.0.1' : host, port: Number(url.port || 2380) }, () => resolve());
      });
      if (unix) server.once('close', () => removeSocketFile(url.host));
      t.servers.push(server);
      t.boundUrls.push(unix ? `${url.protocol}//${url.host}` : `${url.protocol}//${url.hostname}:${(server.address() as AddressInfo).port}`);
    }
    return t;
  }

  private createListener(url: URL): Server {
    const handler = (req: IncomingMessage, res: ServerResponse) => this.handle(req, res);
    if (url.protocol === 'http:' || url.protocol === 'unix:') return createServer(handler);
    if (url.protocol !== 'https:' && url.protocol !== 'unixs:') throw new Error(`peer URL scheme not available: ${url.href}`);
    const tls = this.opts.tls;
    if (!tls) throw new Error(`TLS key/cert (--peer-cert-file, --peer-key-file) must be provided for peer url ${url.href.replace(/\/$/, '')} with HTTPS scheme`);
    const server = createHttpsServer(tls.listen, handler);
    const accept = tls.accept;
    if (accept) server.on('secureConnection', (socket: TLSSocket) => accept(socket) || socket.destroy());
    server.on('tlsClientError', (err: Error, socket: TLSSocket) => {
      this.opts.logger.warn('rejected connection', rejectedConnectionFields(socket, goTlsError(err)));
    });
    return server as unknown as Server;
  }

  /** Messages arriving before attach() are refused: the member isn't ready for them. */
  attach(hooks: TransportHooks): void {
    this.hooks = hooks;
  }

  /** Brings the outgoing links in line with the member list (excluding this member). */
  setPeers(list: PeerInfo[]): void {
    const want = new Map(list.filter((p) => p.id !== this.opts.memberId).map((p) => [p.id, p.peerUrls]));
    for (const [id, peer] of this.peers) {
      if (!want.has(id)) {
        peer.close();
        this.peers.delete(id);
        this.probers.get(id)?.stop();
        this.probers.delete(id);
      }
    }
    for (const [id, urls] of want) {
      const peer = this.peers.get(id);
      if (peer) {
        peer.urls = urls;
        continue;
      }
      const p = new Peer(id, urls, this.opts.memberId, {
        reportUnreachable: (pid) => this.hooks?.raft.reportUnreachable(pid),
        refused: (pid) => this.hooks?.raft.reportDown?.(pid),
        clusterId: () => this.clusterId,
        removedSelf: () => this.hooks?.onRemovedSelf(),
      }, this.opts.logger, this.opts.maxQueue ?? 4096, this.opts.tls);
      this.peers.set(id, p);
      p.connect();
      const observe = this.opts.onPeerRoundTrip;
      if (observe) this.probers.set(id, new PeerProber(id, () => p.urls, observe, this.opts.tls, undefined, this.opts.logger));
    }
  }

  /** Whether the stream to a peer is up. */
  isActive(id: NodeId): boolean {
    return this.peers.get(id)?.active ?? false;
  }

  /** When the stream to a peer came up (epoch ms), 0 while it is down: etcd's ActiveSince. */
  activeSince(id: NodeId): number {
    return this.peers.get(id)?.activeSince ?? 0;
  }

  send(messages: Message[]): void {
    for (const m of messages) {
      const peer = this.peers.get(m.to);
      if (!peer) continue; // unknown or removed member
      if (m.type === MessageType.Snap) void this.sendSnapshot(peer, m);
      else peer.send(m);
    }
  }

  private async sendSnapshot(peer: Peer, m: Message): Promise<void> {
    const hooks = this.hooks;
    if (!hooks || !m.snapshot) return;
    const index = m.snapshot.metadata.index;
    let ok = false;
    let file: SnapshotFile | undefined;
    try {
      const view = await hooks.snapshotView();
      try {
        file = await buildSnapshotFile(view, hooks.snapshotScratchDir(), index);
      } finally {
        view.close();
      }
      const msg = encodeMessage(m);
      this.opts.logger.info('sending database snapshot', { 'remote-peer-id': peer.id.toString(16), 'snapshot-index': index, 'consistent-index': file.consistentIndex, size: file.size });
      const status = await postSnapshot(new URL(PATH_SNAPSHOT, peer.urls[0]), this.clusterId, this.opts.memberId, this.opts.tls, msg, file);
      ok = status === 204;
      if (ok) this.opts.logger.info('sent database snapshot', { 'remote-peer-id': peer.id.toString(16), 'snapshot-index': index, size: file.size });
      else this.opts.logger.warn('peer refused the snapshot', { 'remote-peer-id': peer.id.toString(16), status });
    } catch (err) {
      this.opts.logger.warn('failed to send database snapshot', { 'remote-peer-id': peer.id.toString(16), error: String(err) });
    } finally {
      file?.remove();
    }
    hooks.raft.reportSnapshot(peer.id, ok);
    if (!ok) hooks.raft.reportUnreachable(peer.id);
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '').split('?')[0];
    if (req.method === 'GET' && path === PATH_MEMBERS) {
      if (!this.hooks) return void res.writeHead(503).end('not ready\n');
      res.writeHead(200, { 'content-type': 'application/json', [HDR_CLUSTER_ID]: this.clusterId.toString(16) });
      res.end(JSON.stringify(this.hooks.members()));
      return;
    }
    if (req.method === 'GET' && path === PATH_PROBING) return serveProbing(res);
    if (req.method === 'GET' && path === PATH_VERSION) {
      const versions = this.hooks?.versions;
      if (!versions) return void res.writeHead(503).end('not ready\n');
      return serveVersion(res, versions());
    }
    if (req.method === 'POST' && path.startsWith(PATH_LEASE)) return this.receiveLeaseCall(path.slice(PATH_LEASE.length), req, res);
    if (path === PATH_HASHKV) {
      const hashKV = this.hooks?.hashKV;
      if (!hashKV) return void res.writeHead(503).end('not ready\n');
      return serveHashKV(req, res, this.clusterId, hashKV);
    }
    if (req.method !== 'POST' || (path !== PATH_STREAM && path !== PATH_SNAPSHOT)) return void res.writeHead(404).end();
    const hooks = this.hooks;
    if (!hooks) return void res.writeHead(503).end('not ready\n');
    const cid = String(req.headers[HDR_CLUSTER_ID] ?? '');
    if (cid !== this.clusterId.toString(16)) {
      this.opts.logger.error('request cluster ID mismatch', { 'local-member-cluster-id': this.clusterId.toString(16), 'remote-peer-cluster-id': cid });
      res.writeHead(412, { [HDR_CLUSTER_ID]: this.clusterId.toString(16) }).end('cluster ID mismatch\n');
      return;
    }
    const from = BigInt('0x' + String(req.headers[HDR_FROM] ?? '0'));
    if (hooks.isRemoved(from)) {
      res.writeHead(410).end('the member has been permanently removed from the cluster\n');
      return;
    }
    if (path === PATH_STREAM) this.receiveStream(req, res, hooks);
    else this.receiveSnapshot(req, res, hooks);
  }

  private receiveStream(req: IncomingMessage, res: ServerResponse, hooks: TransportHooks): void {
    req.socket.setNoDelay(true);
    const reader = new FrameReader();
    req.on('data', (chunk: Buffer) => {
      let msgs: Message[];
      try {
        msgs = reader.push(chunk);
      } catch (err) {
        this.opts.logger.warn('dropping a corrupt peer stream', { error: String(err) });
        req.destroy();
        return;
      }
      for (const m of msgs) {
        if (hooks.isRemoved(m.from)) {
          // etcd answers a removed member with 410 Gone so that it stops itself.
          if (!res.headersSent) res.writeHead(410).end('the member has been permanently removed from the cluster\n');
          req.destroy();
          return;
        }
        hooks.raft.step(m);
      }
    });
    req.on('end', () => res.writeHead(200).end());
    req.on('error', () => res.destroy());
  }

  private receiveSnapshot(req: IncomingMessage, res: ServerResponse, hooks: TransportHooks): void {
    // A sender that stalls (a partition mid-transfer) must not hold the file open forever.
    req.setTimeout(SNAPSHOT_IDLE_TIMEOUT_MS, () => req.destroy(new Error(`snapshot: no data for ${SNAPSHOT_IDLE_TIMEOUT_MS} ms`)));
    receiveSnapshotBody(req, hooks.snapshotDir()).then(
      ({ message, path, size }) => {
        const index = message.snapshot!.metadata.index;
        this.opts.logger.info('received database snapshot', { 'remote-peer-id': message.from.toString(16), 'snapshot-index': index, size });
        hooks.receiveSnapshot(index, path);
        hooks.raft.step(message);
        res.writeHead(204).end();
      },
      (err: unknown) => {
        this.opts.logger.warn('failed to receive database snapshot', { error: String(err) });
        if (!res.headersSent) res.writeHead(400, { connection: 'close' }).end(String(err));
        req.destroy();
      },
    );
  }

  private receiveLeaseCall(op: string, req: IncomingMessage, res: ServerResponse): void {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      const hooks = this.hooks;
      if (!hooks) return void res.writeHead(503).end();
      hooks.leaseCall(op, JSON.parse(body || '{}')).then(
        (out) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(out)),
        (err: unknown) => res.writeHead(409, { 'content-type': 'application/json' }).end(JSON.stringify({ error: err instanceof Error ? err.message : String(err) })),
      );
    });
  }

  /** Sends a lease call to the leader; rejects with the leader's error message. */
  forwardLeaseCall(peerUrls: string[], op: string, body: unknown, timeoutMs: number): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const req = peerRequest(new URL(PATH_LEASE + op, peerUrls[0]), {
        method: 'POST',
        headers: { 'content-type': 'application/json', [HDR_CLUSTER_ID]: this.clusterId.toString(16), [HDR_FROM]: this.opts.memberId.toString(16) },
        timeout: timeoutMs,
      }, this.opts.tls);
      req.on('response', (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => {
          try {
            const o = JSON.parse(text) as { error?: string };
            if (res.statusCode === 200) resolve(o);
            else reject(new LeaseForwardError(o.error ?? `status ${res.statusCode}`));
          } catch (err) {
            reject(err);
          }
        });
      });
      req.on('timeout', () => req.destroy(new LeaseForwardError('timeout')));
      req.on('error', reject);
      req.end(JSON.stringify(body));
    });
  }

  /** Asks a peer for its key-value store's hash at `revision` (GET /members/hashkv). */
  peerHashKV(peerUrl: string, revision: number, timeoutMs: number): Promise<PeerHashKV> {
    return fetchPeerHashKV(peerUrl, revision, timeoutMs, this.opts.tls, this.clusterId);
  }

  /** A peer's server version from its first peer URL that answers; undefined when none does. */
  async peerServerVersion(peerUrls: string[], timeoutMs: number): Promise<string | undefined> {
    for (const url of peerUrls) {
      const v = await fetchPeerServerVersion(url, timeoutMs, this.opts.tls);
      if (v !== undefined) return v;
    }
    return undefined;
  }

  async close(): Promise<void> {
    for (const p of this.peers.values()) p.close();
    for (const p of this.probers.values()) p.stop();
    this.probers.clear();
    this.peers.clear();
    await Promise.all(this.servers.map((s) => new Promise<void>((r) => {
      s.close(() => r());
      s.closeAllConnections();
    })));
    this.servers = [];
  }
}

/** POSTs a snapshot (message, database file, digest) in chunks, honouring back-pressure; resolves with the status code. */
function postSnapshot(url: URL, clusterId: bigint, from: NodeId, tls: PeerTls | undefined, msg: Uint8Array, file: SnapshotFile): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = peerRequest(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/octet-stream',
        'content-length': String(snapshotBodyLength(msg.length, file.size)),
        [HDR_CLUSTER_ID]: clusterId.toString(16),
        [HDR_FROM]: from.toString(16),
      },
      timeout: 60_000,
    }, tls);
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('snapshot send timed out')));
    req.on('error', reject);
    writeSnapshotBody(req, msg, file).catch((err: unknown) => req.destroy(err instanceof Error ? err : new Error(String(err))));
  });
}

export interface RemoteCluster {
  clusterId: bigint;
  members: Array<{ id: string; name: string; peerURLs: string[]; clientURLs: string[]; isLearner: boolean }>;
}

/** Asks the first peer that answers for the cluster's ID and members (joining an existing cluster). */
export async function fetchCluster(peerUrls: string[], timeoutMs: number, tls?: PeerTls): Promise<RemoteCluster> {
  const errors: string[] = [];
  for (const base of peerUrls) {
    try {
      return await new Promise<RemoteCluster>((resolve, reject) => {
        const req = peerRequest(new URL(PATH_MEMBERS, base), { method: 'GET', timeout: timeoutMs }, tls, (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (body += c));
          res.on('end', () => {
            if (res.statusCode !== 200) return reject(new Error(`${base}: status ${res.statusCode}`));
            try {
              resolve({ clusterId: BigInt('0x' + String(res.headers[HDR_CLUSTER_ID])), members: JSON.parse(body) });
            } catch (err) {
              reject(err);
            }
          });
        });
        req.on('timeout', () => req.destroy(new Error(`${base}: timed out`)));
        req.on('error', reject);
        req.end();
      });
    } catch (err) {
      errors.push(String(err instanceof Error ? err.message : err));
    }
  }
  throw new Error(`could not retrieve cluster information from the given URLs: ${errors.join('; ')}`);
}
