// A member's peer transport, speaking etcd 3.4's rafthttp so that etcd members and
// etcd-ts members form one cluster: an HTTP listener on --listen-peer-urls serving
// Raft's routes (streams, pipeline, snapshots, probing) and etcd's peer API, and per
// peer the streams and pipeline of peer.ts. Requests from another cluster (by cluster
// ID), from versions that can't work with 3.4, and from removed or unknown members
// are refused as etcd refuses them.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { TLSSocket } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { unlinkSync } from 'node:fs';
import { MessageType, type ConfState, type Message, type NodeId } from '../raft/types.js';
import { decodeMessage, encodeMessage } from '../raft/index.js';
import type { Logger } from '../pkg/logger.js';
import type { BackendView } from '../backend/backend.js';
import { Peer, Remote, type PeerHooks } from './peer.js';
import { HDR_CLUSTER_ID, HDR_PEER_URLS, HDR_SERVER_VERSION, HDR_TO, PATH_RAFT, PATH_SNAPSHOT, PATH_STREAM_MESSAGE, PATH_STREAM_MSGAPP } from './paths.js';
import { checkCompatibility, refusalError, senderHeaders } from './compat.js';
import { httpError, methodNotAllowed } from './http-error.js';
import { peerRequest, type PeerTls } from './tls.js';
import { goTlsError, rejectedConnectionFields } from '../tlsutil/verify.js';
import { PATH_PROBING, PeerProber, serveProbing, type RoundTripObserver } from './prober.js';
import { PATH_HASHKV, serveHashKV, fetchPeerHashKV, type PeerHashKV } from './hashkv.js';
import { peerApiRoute, servePeerApi, type PeerApiHooks } from './peer-api.js';
import { fetchVersion, leaseRenewHTTP, leaseTimeToLiveHTTP, promoteMemberHTTP, type Versions } from './peer-client.js';
import type { Member } from '../membership/index.js';
import { buildSnapshotFile, readSnapshotMessage, receiveSnapshotDb, snapshotBodyLength, writeSnapshotBody, type SnapshotFile } from './snapshot-stream.js';
import type { StreamType } from './stream-writer.js';

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
  /** This member's peer URLs as others reach it (X-PeerURLs). */
  advertiseUrls: string[];
  /** The release this member runs as: sent as X-Server-Version, checked against peers' X-Min-Cluster-Version. */
  serverVersion: string;
  logger: Logger;
  /** Required for https:// listen URLs and https:// peers. */
  tls?: PeerTls;
  /** Timed probes of each peer (etcd_network_peer_round_trip_time_seconds); none when absent. */
  onPeerRoundTrip?: RoundTripObserver;
}

export interface TransportHooks extends PeerApiHooks {
  raft: RaftReceiver;
  /** A point-in-time view of the applied state, for a snapshot leaving this member. */
  snapshotView(): Promise<BackendView>;
  /** What a snapshot built from `view` carries besides the database: the v2 store and the configuration, as of the view. */
  snapshotMeta(view: BackendView): { data: Uint8Array; confState: ConfState };
  /** Where an outgoing snapshot's database file is built (the data dir: a real disk). */
  snapshotScratchDir(): string;
  /** Where incoming snapshot databases are written: member/snap. */
  snapshotDir(): string;
  /** A snapshot's database arrived at `path`: it must be installed when Raft hands over its metadata. */
  receiveSnapshot(index: number, path: string): void;
  isRemoved(id: NodeId): boolean;
  /** Peers say this member was removed from the cluster. */
  onRemovedSelf(): void;
  /** The key-value store's hash at a revision, for peers' corruption checks (throws Compacted / FutureRev). */
  hashKV?(revision: number): Promise<PeerHashKV>;
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

/** An incoming snapshot whose sender sends nothing for this long is dropped. */
const SNAPSHOT_IDLE_TIMEOUT_MS = 30_000;
/** etcd reads a pipeline body whole; a Raft message (MsgApp included) stays well under this. */
const MAX_PIPELINE_BODY = 512 * 1024 * 1024;

const hex = (id: bigint) => id.toString(16);

function parseId(s: string): bigint | undefined {
  return /^[0-9a-fA-F]{1,16}$/.test(s) ? BigInt('0x' + s) : undefined;
}

export class RaftTransport {
  private peers = new Map<NodeId, Peer>();
  private remotes = new Map<NodeId, Remote>();
  private probers = new Map<NodeId, PeerProber>();
  private servers: Server[] = [];
  private hooks?: TransportHooks;
  clusterId: bigint;
  /** Listen URLs with ephemeral ports resolved. */
  readonly boundUrls: string[] = [];
  private readonly peerHooks: PeerHooks;

  private constructor(private readonly opts: TransportOptions) {
    this.clusterId = opts.clusterId;
    this.peerHooks = {
      localId: opts.memberId,
      clusterId: () => this.clusterId,
      advertiseUrls: opts.advertiseUrls,
      serverVersion: opts.serverVersion,
      tls: opts.tls,
      deliver: (m) => this.process(m),
      reportUnreachable: (id) => this.hooks?.raft.reportUnreachable(id),
      reportSnapshot: (id, ok) => this.hooks?.raft.reportSnapshot(id, ok),
      removedSelf: () => this.hooks?.onRemovedSelf(),
      refused: (id) => this.hooks?.raft.reportDown?.(id),
    };
  }

  static async listen(opts: TransportOptions): Promise<RaftTransport> {
    const t = new RaftTransport(opts);
    try {
      for (const url of opts.listenUrls) {
        const server = t.createListener(url);
        server.keepAliveTimeout = 0;
        server.requestTimeout = 0;
        server.headersTimeout = 10_000;
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
    } catch (err) {
      await t.close();
      throw err;
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

  /** Brings the peers in line with the member list (excluding this member). */
  setPeers(list: PeerInfo[]): void {
    const want = new Map(list.filter((p) => p.id !== this.opts.memberId && p.peerUrls.length > 0).map((p) => [p.id, p.peerUrls]));
    for (const [id, peer] of this.peers) {
      if (want.has(id)) continue;
      peer.stop();
      this.peers.delete(id);
      this.probers.get(id)?.stop();
      this.probers.delete(id);
      this.opts.logger.info('removed remote peer', { 'remote-peer-id': hex(id) });
    }
    for (const [id, urls] of want) {
      const peer = this.peers.get(id);
      if (peer) {
        peer.update(urls);
        continue;
      }
      this.remotes.get(id)?.stop();
      this.remotes.delete(id);
      const p = new Peer(id, urls, this.peerHooks, this.opts.logger);
      this.peers.set(id, p);
      this.opts.logger.info('added remote peer', { 'remote-peer-id': hex(id), 'remote-peer-urls': urls });
      const observe = this.opts.onPeerRoundTrip;
      if (observe) this.probers.set(id, new PeerProber(id, () => p.picker.all(), observe, this.opts.tls, undefined, this.opts.logger));
    }
  }

  /** A member not (yet) in our list sent us its URLs: answer it by pipeline (etcd's AddRemote). */
  private addRemote(req: IncomingMessage): void {
    const from = parseId(String(req.headers['x-server-from'] ?? ''));
    const urls = String(req.headers[HDR_PEER_URLS] ?? '').split(',').filter((u) => u !== '');
    if (from === undefined || from === this.opts.memberId || urls.length === 0) return;
    if (this.peers.has(from) || this.remotes.has(from) || this.hooks?.isRemoved(from)) return;
    this.remotes.set(from, new Remote(from, urls, this.peerHooks, this.opts.logger));
    this.opts.logger.info('added new remote peer', { 'remote-peer-id': hex(from), 'remote-peer-urls': urls });
  }

  /** Whether a peer is reachable now (etcd's ActiveSince is non-zero). */
  isActive(id: NodeId): boolean {
    return this.peers.get(id)?.active ?? false;
  }

  /** When the stream to a peer came up (epoch ms), 0 while it is down: etcd's ActiveSince. */
  activeSince(id: NodeId): number {
    return this.peers.get(id)?.since ?? 0;
  }

  send(messages: Message[]): void {
    // A Ready's messages leave as soon as they are handed over, one write per stream,
    // so a leader's appends reach the followers before it applies and fsyncs.
    const touched: Peer[] = [];
    for (const m of messages) {
      if (m.to === 0n) continue;
      const peer = this.peers.get(m.to);
      if (peer) {
        if (m.type === MessageType.Snap) void this.sendSnapshot(peer, m);
        else {
          peer.send(m);
          if (!touched.includes(peer)) touched.push(peer);
        }
        continue;
      }
      const remote = this.remotes.get(m.to);
      if (!remote) continue;
      // As etcd: snapshots go to members only; a remote gets its snapshot once it is one.
      if (m.type === MessageType.Snap) this.hooks?.raft.reportSnapshot(m.to, false);
      else remote.send(m);
    }
    for (const peer of touched) peer.flush();
  }

  /** A raft message from a peer, by any route (etcd's Process). */
  private process(m: Message): 'ok' | 'removed' {
    const hooks = this.hooks;
    if (!hooks) return 'ok';
    if (hooks.isRemoved(m.from)) return 'removed';
    // A peer must not drive our local machinery (etcd's node.Step ignores these too).
    if (m.type === MessageType.Hup || m.type === MessageType.Beat || m.type === MessageType.Unreachable || m.type === MessageType.SnapStatus || m.type === MessageType.CheckQuorum) return 'ok';
    if (m.type === MessageType.Prop && m.entries.length === 0) return 'ok';
    try {
      hooks.raft.step(m);
    } catch (err) {
      this.opts.logger.warn('failed to process Raft message', { 'remote-peer-id': hex(m.from), type: MessageType[m.type], error: String(err) });
    }
    return 'ok';
  }

  private async sendSnapshot(peer: Peer, m: Message): Promise<void> {
    const hooks = this.hooks;
    if (!hooks || !m.snapshot) return;
    const index = m.snapshot.metadata.index;
    let ok = false;
    let file: SnapshotFile | undefined;
    try {
      const view = await hooks.snapshotView();
      let meta: { data: Uint8Array; confState: ConfState };
      try {
        // The membership and configuration as of the database sent, as etcd merges them.
        meta = hooks.snapshotMeta(view);
        file = await buildSnapshotFile(view, hooks.snapshotScratchDir(), index);
      } finally {
        view.close();
      }
      const msg = encodeMessage({ ...m, snapshot: { metadata: { ...m.snapshot.metadata, confState: meta.confState }, data: meta.data } });
      this.opts.logger.info('sending database snapshot', { 'remote-peer-id': hex(peer.id), 'snapshot-index': index, 'consistent-index': file.consistentIndex, size: file.size });
      const base = peer.picker.pick();
      const res = await postSnapshot(new URL(PATH_SNAPSHOT, base), senderHeaders(this.opts.memberId, this.clusterId, this.opts.advertiseUrls, this.opts.serverVersion), this.opts.tls, msg, file);
      ok = res.status === 204;
      if (ok) this.opts.logger.info('sent database snapshot', { 'remote-peer-id': hex(peer.id), 'snapshot-index': index, size: file.size });
      else {
        peer.picker.unreachable(base);
        if (res.status === 403) hooks.onRemovedSelf();
        const reason = res.status === 412 ? refusalError(res.body).message : res.body.trim();
        this.opts.logger.warn('peer refused the snapshot', { 'remote-peer-id': hex(peer.id), status: res.status, error: reason });
      }
    } catch (err) {
      this.opts.logger.warn('failed to send database snapshot', { 'remote-peer-id': hex(peer.id), error: String(err) });
    } finally {
      try {
        file?.remove();
      } catch (err) {
        // What is left is removed at the next start (removeSnapshotLeftovers); the member goes on.
        this.opts.logger.warn('failed to remove a sent snapshot file', { path: file?.path, error: String(err) });
      }
    }
    hooks.raft.reportSnapshot(peer.id, ok);
    if (!ok) hooks.raft.reportUnreachable(peer.id);
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '').split('?')[0]!;
    if (path === PATH_RAFT) return this.servePipeline(req, res);
    if (path === PATH_PROBING) return serveProbing(res);
    if (path === PATH_SNAPSHOT) return this.serveSnapshot(req, res);
    if (path.startsWith(PATH_RAFT + '/stream/')) return this.serveStream(path, req, res);
    if (path === PATH_HASHKV) {
      const hashKV = this.hooks?.hashKV;
      if (!hashKV) return httpError(res, 503, 'not ready');
      return serveHashKV(req, res, this.clusterId, hashKV);
    }
    const route = peerApiRoute(path);
    if (route) return servePeerApi(route, path, req, res, this.clusterId, this.opts.serverVersion, this.hooks);
    req.resume();
    httpError(res, 404, '404 page not found');
  }

  /** Checks every Raft route makes first; false when it answered a refusal. */
  private admit(req: IncomingMessage, res: ServerResponse, method: string, headers: Record<string, string>): boolean {
    if (req.method !== method) {
      // etcd checks the method before it sets any header of its own.
      req.resume();
      methodNotAllowed(res, method);
      return false;
    }
    const refusal = checkCompatibility(req.headers, this.clusterId, this.opts.serverVersion);
    if (refusal) {
      req.resume();
      this.opts.logger.warn(refusal.reason === 'cluster ID mismatch' ? 'request cluster ID mismatch' : 'failed to check version compatibility', { error: refusal.detail });
      httpError(res, 412, refusal.reason, headers);
      return false;
    }
    if (!this.hooks) {
      req.resume();
      httpError(res, 503, 'not ready', headers);
      return false;
    }
    return true;
  }

  private serveStream(path: string, req: IncomingMessage, res: ServerResponse): void {
    const headers = { [HDR_SERVER_VERSION]: this.opts.serverVersion, [HDR_CLUSTER_ID]: hex(this.clusterId) };
    if (!this.admit(req, res, 'GET', headers)) return;
    const slash = path.lastIndexOf('/');
    const dir = path.slice(0, slash);
    const type: StreamType | undefined = dir === PATH_STREAM_MSGAPP ? 'msgappv2' : dir === PATH_STREAM_MESSAGE ? 'message' : undefined;
    if (!type) return httpError(res, 404, 'invalid path', headers);
    const from = parseId(path.slice(slash + 1));
    if (from === undefined) return httpError(res, 404, 'invalid from', headers);
    if (this.hooks!.isRemoved(from)) return httpError(res, 410, 'removed member', headers);
    const peer = this.peers.get(from);
    if (!peer) {
      // A member that joined after our member list, or one of another cluster with our ID.
      this.addRemote(req);
      return httpError(res, 404, 'error sender not found', headers);
    }
    if (String(req.headers[HDR_TO] ?? '') !== hex(this.opts.memberId)) return httpError(res, 412, 'to field mismatch', headers);
    peer.attach(type, res, headers);
  }

  private servePipeline(req: IncomingMessage, res: ServerResponse): void {
    const headers = { [HDR_CLUSTER_ID]: hex(this.clusterId) };
    if (!this.admit(req, res, 'POST', headers)) return;
    this.addRemote(req);
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_PIPELINE_BODY) return void req.destroy();
      chunks.push(c);
    });
    req.on('error', () => httpError(res, 400, 'error reading raft message', headers));
    req.on('end', () => {
      let m: Message;
      try {
        m = decodeMessage(Buffer.concat(chunks, size));
      } catch {
        return httpError(res, 400, 'error unmarshalling raft message', headers);
      }
      if (this.process(m) === 'removed') {
        // etcd 3.4 means to answer 403 here, but its error doesn't implement the writer it
        // checks for: it answers 500 and drops the connection, which is what senders see.
        res.writeHead(500, { ...headers, 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' });
        res.write('error processing raft message\n');
        res.socket?.destroy();
        return;
      }
      res.writeHead(204, headers).end();
    });
  }

  private serveSnapshot(req: IncomingMessage, res: ServerResponse): void {
    const headers = { [HDR_CLUSTER_ID]: hex(this.clusterId) };
    if (!this.admit(req, res, 'POST', headers)) return;
    this.addRemote(req);
    const hooks = this.hooks!;
    // A sender that stalls (a partition mid-transfer) must not hold the file open forever.
    req.setTimeout(SNAPSHOT_IDLE_TIMEOUT_MS, () => req.destroy(new Error(`snapshot: no data for ${SNAPSHOT_IDLE_TIMEOUT_MS} ms`)));
    const it = req[Symbol.asyncIterator]();
    void (async () => {
      let head: Awaited<ReturnType<typeof readSnapshotMessage>>;
      try {
        head = await readSnapshotMessage(it);
      } catch (err) {
        httpError(res, 400, `failed to decode raft message (${err instanceof Error ? err.message : String(err)})`, { ...headers, connection: 'close' });
        return void req.destroy();
      }
      const { message } = head;
      if (message.type !== MessageType.Snap || !message.snapshot) {
        httpError(res, 400, 'wrong raft message type', { ...headers, connection: 'close' });
        return void req.destroy();
      }
      if (hooks.isRemoved(message.from)) {
        httpError(res, 500, 'failed to process raft message (cannot process message from removed member)', { ...headers, connection: 'close' });
        return void req.destroy();
      }
      try {
        const { path, size } = await receiveSnapshotDb(message, head.rest, it, hooks.snapshotDir());
        const index = message.snapshot.metadata.index;
        this.opts.logger.info('received and saved database snapshot', { 'remote-snapshot-sender-id': hex(message.from), 'incoming-snapshot-index': index, 'incoming-snapshot-size-bytes': size });
        hooks.receiveSnapshot(index, path);
      } catch (err) {
        this.opts.logger.warn('failed to save incoming database snapshot', { 'remote-snapshot-sender-id': hex(message.from), error: String(err) });
        httpError(res, 500, `failed to save KV snapshot (${err instanceof Error ? err.message : String(err)})`, { ...headers, connection: 'close' });
        return void req.destroy();
      }
      this.process(message);
      res.writeHead(204, headers).end();
    })();
  }

  /** GET /version of a member (the leader's cluster version monitor). */
  fetchVersion(peerUrls: string[], timeoutMs: number): Promise<Versions> {
    return fetchVersion(peerUrls, timeoutMs, this.opts.tls);
  }

  /** POST /members/promote/<id> to the leader. */
  promoteMember(leaderUrl: string, id: bigint, timeoutMs: number): Promise<Member[]> {
    return promoteMemberHTTP(leaderUrl, id, timeoutMs, this.opts.tls);
  }

  /** POST /leases to the leader: the renewed lease's TTL. */
  leaseRenew(leaderUrl: string, id: bigint, timeoutMs: number): Promise<number> {
    return leaseRenewHTTP(leaderUrl, id, timeoutMs, this.opts.tls);
  }

  /** POST /leases/internal to the leader. */
  leaseTimeToLive(leaderUrl: string, id: bigint, keys: boolean, timeoutMs: number): Promise<{ ttl: number; grantedTtl: number; keys: Uint8Array[] }> {
    return leaseTimeToLiveHTTP(leaderUrl, id, keys, timeoutMs, this.opts.tls);
  }

  /** Asks a peer for its key-value store's hash at `revision` (GET /members/hashkv). */
  peerHashKV(peerUrl: string, revision: number, timeoutMs: number): Promise<PeerHashKV> {
    return fetchPeerHashKV(peerUrl, revision, timeoutMs, this.opts.tls, this.clusterId);
  }

  async close(): Promise<void> {
    for (const p of this.peers.values()) p.stop();
    for (const r of this.remotes.values()) r.stop();
    for (const p of this.probers.values()) p.stop();
    this.probers.clear();
    this.peers.clear();
    this.remotes.clear();
    await Promise.all(this.servers.map((s) => new Promise<void>((r) => {
      s.close(() => r());
      s.closeAllConnections();
    })));
    this.servers = [];
  }
}

/** POSTs a snapshot (message, then the database) in chunks, honouring back-pressure. */
function postSnapshot(url: URL, headers: Record<string, string>, tls: PeerTls | undefined, msg: Uint8Array, file: SnapshotFile): Promise<{ status: number; body: string }> {
  let req: ReturnType<typeof peerRequest> | undefined;
  let sending: Promise<void> = Promise.resolve();
  const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
    req = peerRequest(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/octet-stream',
        'content-length': String(snapshotBodyLength(msg.length, file.size)),
        ...headers,
      },
      timeout: 60_000,
    }, tls);
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        if (body.length < 4096) body += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    const r = req;
    r.on('timeout', () => r.destroy(new Error('snapshot send timed out')));
    r.on('error', reject);
    sending = writeSnapshotBody(r, msg, file).catch((err: unknown) => void r.destroy(err instanceof Error ? err : new Error(String(err))));
  });
  // Settled only once the body writer has stopped and closed the database file: the
  // caller removes the file next, and on FUSE a file removed while open stays behind
  // as a hidden one, which left its directory not empty.
  return answer.finally(() => {
    if (req && !req.writableFinished) req.destroy();
    return sending;
  });
}
