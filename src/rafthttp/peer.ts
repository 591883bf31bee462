// Everything between this member and one peer, as etcd's rafthttp peer: two streams
// the peer opened to us (we write its MsgApps on msgappv2 and its other messages on
// the message stream), two streams we opened to it (we read its messages for us), and
// the pipeline for when our writing streams are down. A Remote is the pipeline alone,
// for a member we only know from its requests (it joined after our member list).
import { Agent } from 'node:http';
import type { ServerResponse } from 'node:http';
import { MessageType, type Message, type NodeId } from '../raft/types.js';
import type { Logger } from '../pkg/logger.js';
import { Pipeline, type PipelineDeps } from './pipeline.js';
import { StreamReader, type StreamReaderDeps } from './stream-reader.js';
import { StreamWriter, type StreamType } from './stream-writer.js';
import { peerAgent, type PeerTls } from './tls.js';
import { UrlPicker } from './url-picker.js';

export interface PeerHooks {
  localId: NodeId;
  clusterId(): bigint;
  advertiseUrls: readonly string[];
  /** The release this member runs as (X-Server-Version). */
  serverVersion: string;
  tls?: PeerTls;
  deliver(m: Message): void;
  reportUnreachable(id: NodeId): void;
  reportSnapshot(id: NodeId, ok: boolean): void;
  /** A peer says this member was removed from the cluster. */
  removedSelf(): void;
  /** A connect was refused: no process listens at the peer's URL. */
  refused(id: NodeId): void;
}

/** Pipelines reuse up to four connections; each stream holds one of its own. */
/** A pipeline POST that went through keeps the peer counted as reachable this long. */
const PIPELINE_ACTIVE_MS = 5000;

function newAgent(tls: PeerTls | undefined, keepAlive: boolean): Agent {
  const opts = { keepAlive, maxSockets: keepAlive ? 4 : Infinity };
  return peerAgent(tls, opts) ?? new Agent(opts);
}

export class Remote {
  readonly picker: UrlPicker;
  protected readonly pipeline: Pipeline;
  protected readonly pipelineAgent: Agent;

  constructor(
    readonly id: NodeId,
    urls: string[],
    protected readonly hooks: PeerHooks,
    protected readonly logger: Logger,
  ) {
    this.picker = new UrlPicker(urls);
    this.pipelineAgent = newAgent(hooks.tls, true);
    this.pipeline = new Pipeline(id, this.picker, this.pipelineDeps(), logger);
  }

  /** A pipeline POST went through. */
  protected pipelineSucceeded(): void {}

  private pipelineDeps(): PipelineDeps {
    const h = this.hooks;
    return {
      localId: h.localId,
      clusterId: () => h.clusterId(),
      advertiseUrls: h.advertiseUrls,
      serverVersion: h.serverVersion,
      tls: h.tls,
      agent: this.pipelineAgent,
      reportUnreachable: (id) => h.reportUnreachable(id),
      reportSnapshot: (id, ok) => h.reportSnapshot(id, ok),
      onRemoved: () => h.removedSelf(),
      onRefused: () => h.refused(this.id),
      onSuccess: () => this.pipelineSucceeded(),
    };
  }

  send(m: Message): void {
    this.pipeline.send(m);
  }

  update(urls: string[]): void {
    this.picker.update(urls);
  }

  stop(): void {
    this.pipeline.stop();
    this.pipelineAgent.destroy();
  }
}

export class Peer extends Remote {
  private readonly msgAppWriter: StreamWriter;
  private readonly messageWriter: StreamWriter;
  private readonly readers: StreamReader[];
  private readonly streamAgent: Agent;
  private pipelineOkAt = 0;
  /** When the peer last became reachable (0: not now), for the log's active/inactive lines. */
  private activeSince = 0;

  constructor(id: NodeId, urls: string[], hooks: PeerHooks, logger: Logger) {
    super(id, urls, hooks, logger);
    this.streamAgent = newAgent(hooks.tls, false);
    const writerHooks = { reportUnreachable: (pid: NodeId) => hooks.reportUnreachable(pid), onStatus: () => this.status() };
    this.msgAppWriter = new StreamWriter('msgappv2', id, writerHooks, logger);
    this.messageWriter = new StreamWriter('message', id, writerHooks, logger);
    const readerDeps: StreamReaderDeps = {
      localId: hooks.localId,
      clusterId: () => hooks.clusterId(),
      advertiseUrls: hooks.advertiseUrls,
      serverVersion: hooks.serverVersion,
      tls: hooks.tls,
      agent: this.streamAgent,
      deliver: (m) => hooks.deliver(m),
      onStatus: () => this.status(),
      onRemoved: () => hooks.removedSelf(),
      onRefused: () => hooks.refused(id),
    };
    this.readers = [new StreamReader('msgappv2', id, this.picker, readerDeps, logger), new StreamReader('message', id, this.picker, readerDeps, logger)];
    for (const r of this.readers) r.start();
  }

  protected override pipelineSucceeded(): void {
    this.pipelineOkAt = Date.now();
    this.status();
  }

  /** etcd's pick: MsgApp on msgappv2, others on the message stream, the pipeline when neither is up. */
  override send(m: Message): void {
    if (m.type === MessageType.App && this.msgAppWriter.send(m)) return;
    if (this.messageWriter.send(m)) return;
    this.pipeline.send(m);
  }

  /** The end of a batch of messages: the streams write what they queued. */
  flush(): void {
    this.msgAppWriter.flush();
    this.messageWriter.flush();
  }

  attach(type: StreamType, res: ServerResponse, headers: Record<string, string>): void {
    (type === 'msgappv2' ? this.msgAppWriter : this.messageWriter).attach(res, headers);
  }

  /** Connected now, as etcd's peer status counts it: a stream up either way, or a recent pipeline POST. */
  get active(): boolean {
    return this.up();
  }

  /** When the peer became reachable (etcd's ActiveSince), 0 while it is not; brought up to date when asked. */
  get since(): number {
    this.status();
    return this.activeSince;
  }

  private up(): boolean {
    return this.msgAppWriter.working || this.messageWriter.working || this.readers.some((r) => r.working) || Date.now() - this.pipelineOkAt < PIPELINE_ACTIVE_MS;
  }

  private status(): void {
    const up = this.up();
    if (up && this.activeSince === 0) {
      this.activeSince = Date.now();
      this.logger.info('peer became active', { 'remote-peer-id': this.id.toString(16) });
    } else if (!up && this.activeSince !== 0) {
      this.activeSince = 0;
      this.logger.warn('peer became inactive (message send to peer failed)', { 'remote-peer-id': this.id.toString(16) });
    }
  }

  override stop(): void {
    super.stop();
    this.msgAppWriter.close();
    this.messageWriter.close();
    for (const r of this.readers) r.stop();
    this.streamAgent.destroy();
  }
}
