// The write-ahead log of one member: hard state, entries and snapshot markers,
// appended to segment files opened with O_DSYNC, so a write is durable when it
// returns and save() resolves only then.
//
// Group commit: writes are serialised through one queue. While a durable write is
// in flight, further save() calls wait in the queue; when it finishes, all of them
// go out as one writev. Under load the number of syncs therefore tracks disk
// latency, not the number of callers.

import { existsSync, readdirSync, writevSync } from 'node:fs';
import { mkdir, open, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Entry, HardState } from '../raft/types.js';
import { encodeSave, encodeSnapshot, type EncodedBatch } from './format.js';
import { DirLock } from './lock.js';
import { scanSegment } from './reader.js';
import { ReplayBuilder, type WalReplay, type WalSnapshot } from './replay.js';
import { createSegment, openForAppend, listSegments, parseSegmentName, removeStaleTemps, syncDir, type OpenSegment, type SegmentName } from './segment.js';
import { WalCorruptError } from './errors.js';
import { failpointsOn, failpointAsync } from '../pkg/failpoint.js';

export interface WalOptions {
  /** Bytes per segment file before a new one is cut (default 64 MiB). */
  segmentSize?: number;
  /** Called with the duration of every fdatasync, for metrics. */
  onFsync?: (seconds: number) => void;
}

export interface WalStats {
  fsyncs: number;
  bytes: number;
  lastFsyncMs: number;
}

const DEFAULT_SEGMENT_SIZE = 64 * 1024 * 1024;

type Pending =
  | { kind: 'write'; batch?: EncodedBatch; sync: boolean; lastIndex?: number; hardState?: HardState; snapshot?: WalSnapshot; resolve: () => void; reject: (e: unknown) => void }
  | { kind: 'task'; run: () => Promise<void>; resolve: () => void; reject: (e: unknown) => void };

type Write = Extract<Pending, { kind: 'write' }>;

interface WriterState {
  seq: number;
  lastIndex: number;
  hardState?: HardState;
  snapshot?: WalSnapshot;
}

export class Wal {
  readonly stats: WalStats = { fsyncs: 0, bytes: 0, lastFsyncMs: 0 };
  private readonly segmentSize: number;
  private readonly onFsync?: (seconds: number) => void;
  private queue: Pending[] = [];
  private flushing = false;
  private dirty = false;
  private failed?: unknown;
  private closed = false;
  /** Highest entry index accepted so far, to refuse a save that would leave a gap. */
  private acceptedIndex: number;

  private constructor(
    private readonly dir: string,
    private readonly lock: DirLock,
    private readonly metadata: Uint8Array,
    private segments: SegmentName[],
    private seg: OpenSegment & { preambleEnd: number },
    private state: WriterState,
    opts: WalOptions,
  ) {
    this.segmentSize = opts.segmentSize ?? DEFAULT_SEGMENT_SIZE;
    this.onFsync = opts.onFsync;
    this.acceptedIndex = state.lastIndex;
  }

  static exists(dir: string): boolean {
    return existsSync(dir) && readdirSync(dir).some((n) => parseSegmentName(n) !== undefined);
  }

  static async create(dir: string, metadata: Uint8Array, opts: WalOptions = {}): Promise<Wal> {
    checkSegmentSize(opts);
    await mkdir(dir, { recursive: true });
    if (Wal.exists(dir)) throw new Error(`wal: ${dir} already holds a WAL`);
    const lock = DirLock.acquire(dir);
    try {
      await removeStaleTemps(dir);
      const seg = await createSegment(dir, { seq: 0, firstIndex: 0, prevCrc: 0, metadata }, opts.segmentSize ?? DEFAULT_SEGMENT_SIZE);
      const segments = [parseSegmentName(seg.name)!];
      return new Wal(dir, lock, new Uint8Array(metadata), segments, { ...seg, preambleEnd: seg.offset }, { seq: 0, lastIndex: 0 }, opts);
    } catch (err) {
      lock.release();
      throw err;
    }
  }

  /**
   * Replays every segment and reopens the last one for appending. A torn tail
   * of the last segment is cut off (it was never acknowledged); any other damage
   * throws WalCorruptError and leaves the files untouched.
   */
  static async open(dir: string, opts: WalOptions & { fromSnapshot?: WalSnapshot } = {}): Promise<{ wal: Wal; replay: WalReplay }> {
    checkSegmentSize(opts);
    const lock = DirLock.acquire(dir);
    try {
      await removeStaleTemps(dir);
      const segments = await listSegments(dir);
      if (segments.length === 0) throw new Error(`wal: no segments in ${dir}`);
      const builder = new ReplayBuilder(opts.fromSnapshot);
      let prev: { crc: number; end: number } | undefined;
      let tail!: { end: number; lastCrc: number; torn?: string; size: number; preambleEnd: number };
      for (let i = 0; i < segments.length; i++) {
        const s = segments[i]!;
        if (i > 0 && s.seq !== segments[i - 1]!.seq + 1) {
          throw new WalCorruptError(s.name, 0, `segment ${segments[i - 1]!.seq + 1} is missing`);
        }
        const buf = await readFile(join(dir, s.name));
        builder.file = s.name;
        let preambleEnd = 0;
        const scan = scanSegment(s.name, buf, i === segments.length - 1, (type, b, st, en, off) => {
          builder.visit(type, b, st, en, off);
          if (preambleEnd === 0) preambleEnd = en;
        });
        if (scan.header.seq !== s.seq || scan.header.firstIndex !== s.firstIndex) {
          throw new WalCorruptError(s.name, 0, 'segment header does not match the file name');
        }
        if (prev !== undefined && scan.header.prevCrc !== prev.crc) {
          throw new WalCorruptError(segments[i - 1]!.name, prev.end, 'segment does not end where its successor begins (truncated?)');
        }
        prev = { crc: scan.lastCrc, end: scan.end };
        tail = { ...scan, size: buf.length, preambleEnd };
      }
      const replay = builder.finish();
      const last = segments[segments.length - 1]!;
      const fh = await openForAppend(join(dir, last.name));
      try {
        if (tail.torn !== undefined) {
          // Zero the torn bytes (rather than only shortening the file) so the
          // segment keeps its preallocated size.
          await fh.truncate(tail.end);
          await fh.truncate(Math.max(tail.size, opts.segmentSize ?? DEFAULT_SEGMENT_SIZE));
          await fh.sync();
        }
      } catch (err) {
        await fh.close();
        throw err;
      }
      const state: WriterState = {
        seq: last.seq,
        lastIndex: Math.max(replay.lastIndex, builder.latestMarker?.index ?? 0),
        hardState: replay.hardState,
        snapshot: builder.latestMarker,
      };
      const seg = { fh, name: last.name, offset: tail.end, lastCrc: tail.lastCrc, preambleEnd: tail.preambleEnd };
      const wal = new Wal(dir, lock, replay.metadata, segments, seg, state, opts);
      const { lastIndex: _, ...pub } = replay;
      return { wal, replay: pub };
    } catch (err) {
      lock.release();
      throw err;
    }
  }

  /**
   * Appends entries then the hard state; resolves once they are on disk. Every
   * write is durable (O_DSYNC); `sync` is kept for callers that state their intent.
   */
  save(hardState: HardState | undefined, entries: Entry[], sync = true, inline = false): Promise<void> {
    try {
      this.checkUsable();
      for (let i = 1; i < entries.length; i++) {
        if (entries[i]!.index !== entries[i - 1]!.index + 1) throw new Error(`wal: entries not contiguous at index ${entries[i]!.index}`);
      }
      const first = entries[0];
      if (first && first.index > this.acceptedIndex + 1) {
        throw new Error(`wal: entry ${first.index} would leave a gap after index ${this.acceptedIndex}`);
      }
      const last = entries[entries.length - 1];
      const batch = first || hardState ? encodeSave(hardState, entries) : undefined;
      if (last) this.acceptedIndex = last.index;
      const w = { batch, sync, lastIndex: last?.index, hardState: hardState && { ...hardState } };
      if (inline && this.canWriteInline(batch)) {
        this.writeInline(w);
        return Promise.resolve();
      }
      return this.enqueueWrite(w);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Records that a snapshot at `snap` exists; replay can start from it. */
  saveSnapshot(snap: WalSnapshot): Promise<void> {
    try {
      this.checkUsable();
      const batch = encodeSnapshot(snap.index, snap.term);
      this.acceptedIndex = Math.max(this.acceptedIndex, snap.index);
      return this.enqueueWrite({ batch, sync: true, snapshot: { index: snap.index, term: snap.term } });
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /**
   * Deletes the segments whose entries are all below `index`; the segment that
   * may contain `index` and everything after it stay. Never releases past the
   * latest snapshot marker written: entries above it exist nowhere else, and a
   * WAL missing them would be refused on replay.
   */
  releaseTo(index: number): Promise<void> {
    return this.enqueueTask(async () => {
      index = Math.min(index, this.state.snapshot?.index ?? 0);
      let keep = 0;
      for (let i = 0; i < this.segments.length; i++) if (this.segments[i]!.firstIndex <= index) keep = i;
      // Never the segment being written.
      keep = Math.min(keep, this.segments.length - 1);
      if (keep === 0) return;
      for (const s of this.segments.slice(0, keep)) await unlink(join(this.dir, s.name));
      this.segments = this.segments.slice(keep);
      await syncDir(this.dir);
    });
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    const done = this.enqueueTask(async () => {
      try {
        if (this.dirty && this.failed === undefined) await this.fsync();
      } finally {
        try {
          await this.seg.fh.close();
        } finally {
          this.lock.release();
        }
      }
    });
    this.closed = true;
    return done;
  }

  private checkUsable(): void {
    if (this.closed) throw new Error('wal: closed');
    if (this.failed !== undefined) throw this.failed;
  }

  private enqueueWrite(w: Omit<Write, 'kind' | 'resolve' | 'reject'>): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ kind: 'write', ...w, resolve, reject });
      this.kick();
    });
  }

  private enqueueTask(run: () => Promise<void>): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ kind: 'task', run, resolve, reject });
      this.kick();
    });
  }

  private kick(): void {
    if (this.flushing) return;
    this.flushing = true;
    void this.flush();
  }

  private async flush(): Promise<void> {
    // Yield once so callers issuing saves in the same tick share the first fsync.
    await null;
    while (this.queue.length > 0) {
      const head = this.queue[0]!;
      let group: Pending[];
      if (head.kind === 'task') group = this.queue.splice(0, 1);
      else {
        const n = this.queue.findIndex((p) => p.kind === 'task');
        group = this.queue.splice(0, n < 0 ? this.queue.length : n);
      }
      try {
        if (this.failed !== undefined && head.kind === 'write') throw this.failed;
        if (head.kind === 'task') await head.run();
        else await this.writeGroup(group as Write[]);
        for (const p of group) p.resolve();
      } catch (err) {
        // A failed write or fsync leaves the file in an unknown state: every later
        // write fails too, as the member must restart and replay.
        if (head.kind === 'write' && this.failed === undefined) this.failed = err;
        for (const p of group) p.reject(err);
      }
    }
    this.flushing = false;
  }

  /**
   * A write may skip the queue and the thread pool when nothing is queued or being
   * written (order is kept), the segment has room (cutting one is asynchronous), and
   * no failpoint may pause around the sync.
   */
  private canWriteInline(batch: EncodedBatch | undefined): boolean {
    if (this.flushing || this.queue.length > 0 || failpointsOn) return false;
    return batch === undefined || !this.needsCut(batch.buf.length);
  }

  /** Whether `bytes` more would overfill the segment (one holding only its preamble takes anything). */
  private needsCut(bytes: number): boolean {
    return this.seg.offset + bytes > this.segmentSize && this.seg.offset > this.seg.preambleEnd;
  }

  /** What one durable write changes in the writer's state. */
  private written(w: Omit<Write, 'kind' | 'resolve' | 'reject'>): void {
    if (w.lastIndex !== undefined) this.state.lastIndex = w.lastIndex;
    if (w.hardState) this.state.hardState = w.hardState;
    if (w.snapshot) {
      this.state.snapshot = w.snapshot;
      this.state.lastIndex = Math.max(this.state.lastIndex, w.snapshot.index);
    }
    if (w.batch) this.seg.lastCrc = w.batch.lastCrc;
  }

  /**
   * Writes on the calling thread: the caller has nothing to do until the write is
   * durable, and the hand-off to the thread pool and back costs two thread wakeups.
   */
  private writeInline(w: Omit<Write, 'kind' | 'resolve' | 'reject'>): void {
    const batch = w.batch;
    if (batch !== undefined) {
      const t0 = performance.now();
      try {
        let done = 0;
        while (done < batch.buf.length) {
          const n = writevSync(this.seg.fh.fd, [batch.buf.subarray(done)], this.seg.offset + done);
          if (n === 0) throw new Error('wal: write made no progress');
          done += n;
        }
      } catch (err) {
        // As a failed queued write: the file is in an unknown state, every later write fails.
        this.failed = err;
        throw err;
      }
      this.advance(batch.buf.length);
      // Segments are open with O_DSYNC: the write itself was the sync.
      this.recordSync(performance.now() - t0);
    }
    this.written(w);
  }

  private async writeGroup(group: Write[]): Promise<void> {
    const bufs: Buffer[] = [];
    let bytes = 0;
    for (const w of group) {
      if (w.batch) {
        bufs.push(w.batch.buf);
        bytes += w.batch.buf.length;
      }
    }
    if (bytes > 0) {
      if (this.needsCut(bytes)) await this.cut();
      if (failpointsOn) await failpointAsync('walBeforeSync');
      const t0 = performance.now();
      await this.writeAll(bufs, bytes);
      // Segments are open with O_DSYNC: the write itself was the sync.
      this.recordSync(performance.now() - t0);
      if (failpointsOn) await failpointAsync('walAfterSync');
    }
    for (const w of group) this.written(w);
  }

  private async writeAll(bufs: Buffer[], bytes: number): Promise<void> {
    let { bytesWritten } = await this.seg.fh.writev(bufs, this.seg.offset);
    // Regular files rarely write short, but a short writev must not lose the rest.
    while (bytesWritten < bytes) {
      const rest = Buffer.concat(bufs).subarray(bytesWritten);
      const r = await this.seg.fh.write(rest, 0, rest.length, this.seg.offset + bytesWritten);
      if (r.bytesWritten === 0) throw new Error('wal: write made no progress');
      bytesWritten += r.bytesWritten;
    }
    this.advance(bytes);
  }

  /** The segment's end moves past bytes just written. */
  private advance(bytes: number): void {
    this.seg.offset += bytes;
    this.stats.bytes += bytes;
  }

  private async fsync(): Promise<void> {
    const t0 = performance.now();
    await this.seg.fh.datasync();
    this.recordSync(performance.now() - t0);
  }

  private recordSync(ms: number): void {
    this.dirty = false;
    this.stats.fsyncs++;
    this.stats.lastFsyncMs = ms;
    this.onFsync?.(ms / 1000);
  }

  /** Seals the current segment and continues in a new one. */
  private async cut(): Promise<void> {
    if (this.dirty) await this.fsync();
    const { seq, lastIndex, snapshot, hardState } = this.state;
    const hasState = hardState && (hardState.term !== 0 || hardState.vote !== 0n || hardState.commit !== 0);
    const next = await createSegment(
      this.dir,
      { seq: seq + 1, firstIndex: lastIndex + 1, prevCrc: this.seg.lastCrc, metadata: this.metadata, snapshot, hardState: hasState ? hardState : undefined },
      this.segmentSize,
    );
    await this.seg.fh.close();
    this.seg = { ...next, preambleEnd: next.offset };
    this.state.seq = seq + 1;
    this.segments.push(parseSegmentName(next.name)!);
  }
}

function checkSegmentSize(opts: WalOptions): void {
  const s = opts.segmentSize;
  if (s !== undefined && (!Number.isSafeInteger(s) || s < 1024)) throw new RangeError(`wal: segmentSize ${s} is below 1 KiB`);
}
