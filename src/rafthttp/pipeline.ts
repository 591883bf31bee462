// Raft messages to a peer one POST /raft each, when no stream to it is up (etcd's
// pipeline): a new member's first messages, messages while a stream redials, and
// answers to members we know only from their requests. At most four in flight and
// 64 waiting; an overflow or a failed POST drops the message and tells Raft the
// peer is unreachable. A 403 means the peer removed us.
import { MessageType, type Message, type NodeId } from '../raft/types.js';
import { encodeMessage } from '../raft/index.js';
import type { Logger } from '../pkg/logger.js';
import { PATH_RAFT } from './paths.js';
import { refusalError, senderHeaders, type PeerSender } from './compat.js';
import { peerRequest } from './tls.js';
import type { UrlPicker } from './url-picker.js';

/** etcd's connPerPipeline and pipelineBufSize. */
const CONNECTIONS = 4;
const QUEUE = 64;
const POST_TIMEOUT_MS = 10_000;

export interface PipelineDeps extends PeerSender {
  reportUnreachable(id: NodeId): void;
  reportSnapshot(id: NodeId, ok: boolean): void;
  onRemoved(): void;
  onRefused(): void;
  /** A POST went through (the peer is reachable). */
  onSuccess(): void;
}

export class Pipeline {
  private queue: Message[] = [];
  private inflight = 0;
  private stopped = false;
  private warned = false;

  constructor(
    private readonly peerId: NodeId,
    private readonly picker: UrlPicker,
    private readonly deps: PipelineDeps,
    private readonly logger: Logger,
  ) {}

  send(m: Message): void {
    if (this.stopped) return;
    if (this.queue.length >= QUEUE) {
      this.deps.reportUnreachable(m.to);
      if (m.type === MessageType.Snap) this.deps.reportSnapshot(m.to, false);
      return;
    }
    this.queue.push(m);
    this.pump();
  }

  private pump(): void {
    while (!this.stopped && this.inflight < CONNECTIONS && this.queue.length) {
      const m = this.queue.shift()!;
      this.inflight++;
      this.post(m).then(
        () => {
          this.warned = false;
          this.deps.onSuccess();
          if (m.type === MessageType.Snap) this.deps.reportSnapshot(m.to, true);
        },
        (err: Error) => {
          if (!this.stopped) {
            if (!this.warned) this.logger.warn('failed to send a Raft message through the pipeline', { 'remote-peer-id': this.peerId.toString(16), error: err.message });
            this.warned = true;
            this.deps.reportUnreachable(m.to);
            if (m.type === MessageType.Snap) this.deps.reportSnapshot(m.to, false);
          }
        },
      ).finally(() => {
        this.inflight--;
        this.pump();
      });
    }
  }

  private post(m: Message): Promise<void> {
    const base = this.picker.pick();
    const body = encodeMessage(m);
    return new Promise<void>((resolve, reject) => {
      let req;
      try {
        req = peerRequest(new URL(PATH_RAFT, base), {
          method: 'POST',
          agent: this.deps.agent,
          timeout: POST_TIMEOUT_MS,
          headers: {
            'content-type': 'application/protobuf',
            'content-length': body.length,
            ...senderHeaders(this.deps.localId, this.deps.clusterId(), this.deps.advertiseUrls, this.deps.serverVersion),
          },
        }, this.deps.tls);
      } catch (err) {
        return reject(err instanceof Error ? err : new Error(String(err)));
      }
      req.on('response', (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          if (text.length < 4096) text += c;
        });
        res.on('error', reject);
        res.on('end', () => {
          if (res.statusCode === 204) return resolve();
          this.picker.unreachable(base);
          if (res.statusCode === 403) {
            this.deps.onRemoved();
            return reject(new Error('the member has been permanently removed from the cluster'));
          }
          if (res.statusCode === 412) return reject(refusalError(text));
          reject(new Error(`unexpected http status ${res.statusCode} while posting to ${base}${PATH_RAFT}`));
        });
      });
      req.on('timeout', () => req.destroy(new Error('timed out')));
      req.on('error', (err: NodeJS.ErrnoException) => {
        this.picker.unreachable(base);
        if (err.code === 'ECONNREFUSED') this.deps.onRefused();
        reject(err);
      });
      req.end(body);
    });
  }

  stop(): void {
    this.stopped = true;
    this.queue = [];
  }
}
