// The MVCC store: a deterministic state machine over a Backend. Every write txn
// creates at most one revision; reads are served at any revision not yet compacted.
// It does no I/O of its own beyond the backend's batch; committing the batch is the
// caller's business, and the consistent (applied) index goes into the same batch.
import type { Backend } from '../backend/backend.js';
import { bytesToKey } from '../backend/bytes.js';
import { EventType, type Event, type KeyValue } from '../pb/kv.js';
import { Errors } from '../rpctypes/errors.js';
import { Crc32c } from '../pkg/crc32c.js';
import { KeyIndex } from './key-index.js';
import { decodeKeyMeta, decodeKeyValue, encodeKeyValue, type KeyMeta } from '../pb/keyvalue.js';
import { rememberKeyValueBytes } from '../pb/watch-wire.js';
import {
  META_FINISHED_COMPACT,
  META_SCHEDULED_COMPACT,
  readConsistentIndex,
  readRevMeta,
  writeConsistentIndex,
  writeRevMeta,
} from './meta.js';
import { bytesToRev, isTombstone, mainRevPrefix, readUint64, revToBytes } from './revision.js';
import { TreeIndex } from './tree-index.js';
import { failpointsOn, failpoint } from '../pkg/failpoint.js';

export interface RangeOptions {
  /** At most this many kvs (0: no limit); count still reports every match. */
  limit?: number;
  /** Read at this revision; 0 or omitted: the current one. */
  rev?: number;
  /** Only count the matches. */
  count?: boolean;
  /** Give the stored mvccpb.KeyValue bytes in `raw` instead of decoding them into `kvs`. */
  raw?: boolean;
}

export interface RangeResult {
  kvs: KeyValue[];
  /** Number of keys in the range at the read revision, regardless of limit. */
  count: number;
  /** The store's current revision (as the txn sees it), not the read revision. */
  rev: number;
  /** With RangeOptions.raw: the matches' stored bytes (kvs is then empty). */
  raw?: Uint8Array[];
}

/** A hash kept at a compaction (etcd's KeyValueHash): the store at `revision`, over history above `compactRevision`. */
export interface CompactionHash {
  hash: number;
  revision: number;
  compactRevision: number;
}

/** etcd's hashStorageMaxSize. */
export const COMPACTION_HASHES = 10;

export interface HashKVResult {
  hash: number;
  /** The store's revision when the scan began. */
  revision: number;
  compactRevision: number;
  /** The revision hashed up to (the one asked for, or the store's then). */
  hashRevision: number;
}

export type WriteListener = (events: readonly Event[], rev: number) => void;

/**
 * Operations counted as etcd's metricsTxnWrite counts them, for its mvcc metrics: every
 * range, put and delete-range a read or write txn makes, and the txns that made more than
 * one. Reads outside a write txn form one read txn until a write txn begins or the caller
 * ends it (endReadTxn), as a request's reads do in etcd.
 */
export interface MvccOpCounts {
  ranges: number;
  puts: number;
  deletes: number;
  txns: number;
  /** Bytes of key plus value of every put (etcd_debugging_mvcc_total_put_size_in_bytes). */
  putBytes: number;
}

/** What one compaction did, for etcd's compaction metrics. */
export interface CompactionStats {
  /** Time spent compacting the key index, in milliseconds. */
  indexMs: number;
  /** Revisions deleted from the key bucket. */
  keys: number;
  /** Whole compaction, in milliseconds. */
  totalMs: number;
}

const KEY_BUCKET_NAME = Buffer.from('key');
const EMPTY = new Uint8Array(0);

/**
 * One HashKV computation, fed the key bucket's entries in [start, end) in ascending
 * order. Revisions at or below the compact revision count only if a compaction at
 * atRev would keep them (etcd's Keep(rev) filter); that is asked of the key index per
 * such revision rather than built as a set of every key up front, which on a large
 * store would hold the event loop for as long as the scan's first chunk many times over.
 */
export class HashKVScan {
  readonly start = mainRevPrefix(0);
  readonly end: Uint8Array;
  private readonly h = new Crc32c().update(KEY_BUCKET_NAME);
  private lastMain = -1;
  private lastSub = -1;
  private readonly meta: KeyMeta = { name: '', createRevision: 0, version: 0 };

  constructor(
    /** The revision hashed up to. */
    readonly atRev: number,
    /** The store's revision when the scan began (reported as etcd does). */
    readonly revision: number,
    readonly compactRevision: number,
    /** Whether compacted-range revisions are filtered at all (etcd: only when its keep set is not empty). */
    private readonly filter: boolean,
    private readonly kept: (name: string, main: number, sub: number) => boolean,
  ) {
    this.end = mainRevPrefix(atRev + 1);
  }

  add(k: Uint8Array, v: Uint8Array): void {
    const r = bytesToRev(k);
    // Out-of-order input would hash to a value no other member computes.
    if (r.main < this.lastMain || (r.main === this.lastMain && r.sub <= this.lastSub)) throw new Error('mvcc: hashKV entries out of order');
    this.lastMain = r.main;
    this.lastSub = r.sub;
    if (this.filter && r.main <= this.compactRevision) {
      decodeKeyMeta(Buffer.from(v.buffer, v.byteOffset, v.byteLength), this.meta);
      if (!this.kept(this.meta.name, r.main, r.sub)) return;
    }
    this.h.update(k).update(v);
  }

  result(): HashKVResult {
    return { hash: this.h.digest(), revision: this.revision, compactRevision: this.compactRevision, hashRevision: this.atRev };
  }
}

/** A change event whose prevKv is read from the backend only when asked for. */
class StoreEvent implements Event {
  private prev: KeyValue | undefined | null = null;

  constructor(
    readonly type: EventType,
    readonly kv: KeyValue,
    private readonly backend: Backend,
    private readonly prevMain: number,
    private readonly prevSub: number,
  ) {}

  /** A put of a key that did not exist (a new key, or a new generation of a deleted one). */
  get createdKey(): boolean {
    return this.type === EventType.PUT && this.prevMain === 0;
  }

  /** The key's value before this change (undefined if it did not exist or was compacted since). */
  get prevKv(): KeyValue | undefined {
    if (this.prev === null) {
      this.prev = undefined;
      if (this.prevMain > 0) {
        const v = this.backend.get('key', revToBytes(this.prevMain, this.prevSub));
        if (v !== undefined) this.prev = decodeKeyValue(v);
      }
    }
    return this.prev;
  }
}

export class MvccStore {
  private readonly index = new TreeIndex();
  private currentRev = 1;
  /** -1 until the first compaction, as etcd reports it (HashKV's compact_revision). */
  private compactMainRev = -1;
  private writing: TxnWrite | undefined;
  private readonly listeners = new Set<WriteListener>();
  private readonly compactListeners = new Set<(s: CompactionStats) => void>();
  /** Keys whose latest generation is live (etcd's keysGauge). */
  private liveKeys = 0;
  /** Shared with the store this one replaces (a snapshot install), so the counters never go back. */
  readonly ops: MvccOpCounts;
  /** Ranges of the read txn in progress (reads outside a write txn). */
  private readTxnRanges = 0;

  /** Cached consistent index; -1 until first read. */
  private ci = -1;

  private constructor(
    readonly backend: Backend,
    ops?: MvccOpCounts,
  ) {
    this.ops = ops ?? { ranges: 0, puts: 0, deletes: 0, txns: 0, putBytes: 0 };
  }

  /** Opens a store over the backend, rebuilding the index from the key bucket. */
  static open(backend: Backend, ops?: MvccOpCounts): MvccStore {
    const s = new MvccStore(backend, ops);
    s.restore();
    return s;
  }

  /** The revision of the last write txn (1 on an empty store, as etcd). */
  rev(): number {
    return this.currentRev;
  }

  /** The last compacted revision (-1: never compacted); reads below it fail. */
  compactRev(): number {
    return this.compactMainRev;
  }

  /**
   * The applied raft index as this store last read or wrote it: the store is the only
   * writer of the key while open (an installed snapshot reopens the store), so it is
   * kept in memory rather than read back through the backend on every entry.
   */
  consistentIndex(): number {
    if (this.ci < 0) this.ci = readConsistentIndex(this.backend);
    return this.ci;
  }

  /** Records the applied raft index in the current backend batch, alongside the changes it caused. */
  setConsistentIndex(index: number): void {
    writeConsistentIndex(this.backend, index);
    this.ci = index;
  }

  /** Number of keys in the index, live or with retained history. */
  keyCount(): number {
    return this.index.size;
  }

  /** Number of keys that exist now (not deleted): etcd_debugging_mvcc_keys_total. */
  liveKeyCount(): number {
    return this.liveKeys;
  }

  onWrite(listener: WriteListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Called after each compaction with what it did. */
  onCompact(listener: (s: CompactionStats) => void): () => void {
    this.compactListeners.add(listener);
    return () => this.compactListeners.delete(listener);
  }

  /** A client-visible read: counted, as part of the read txn in progress. */
  range(key: Uint8Array, end: Uint8Array | undefined, opts: RangeOptions = {}): RangeResult {
    this.ops.ranges++;
    this.readTxnRanges++;
    return this.rangeKeys(key, end, this.currentRev, opts);
  }

  /** The latest revision in the index: an open write txn's own once it has changes. */
  private indexRev(): number {
    const w = this.writing;
    return w !== undefined && w.changeCount > 0 ? w.beginRev + 1 : this.currentRev;
  }

  /** A read on the member's own behalf (watch history), which etcd's mvcc metrics do not count. */
  internalRange(key: Uint8Array, end: Uint8Array | undefined, opts: RangeOptions = {}): RangeResult {
    return this.rangeKeys(key, end, this.currentRev, opts);
  }

  /** Ends the read txn in progress: a txn of more than one range counts as a txn. */
  endReadTxn(): void {
    if (this.readTxnRanges > 1) this.ops.txns++;
    this.readTxnRanges = 0;
  }

  /** Starts the write txn; only one may be open, and it must be ended before any other call. */
  write(): TxnWrite {
    if (this.writing !== undefined) throw new Error('mvcc: a write txn is already open');
    this.endReadTxn();
    this.writing = new TxnWrite(this, this.currentRev);
    return this.writing;
  }

  /**
   * etcd 3.6's hash storage: with it on, each compaction first hashes the store at its
   * revision (HashKV's hash, over the history the previous compaction left), and the
   * newest COMPACTION_HASHES of those hashes answer for revisions since compacted.
   * Off by default: the hash reads every stored revision up to the compaction's.
   */
  keepCompactionHashes = false;
  private readonly compactionHashList: CompactionHash[] = [];

  /** The hashes kept at compactions, oldest first. */
  compactionHashes(): CompactionHash[] {
    return [...this.compactionHashList];
  }

  /** The hash kept for a compaction at exactly `rev`, if any. */
  compactionHash(rev: number): CompactionHash | undefined {
    return this.compactionHashList.find((h) => h.revision === rev);
  }

  /** Drops history below rev, from the index and from the backend batch. */
  compact(rev: number): void {
    this.assertNoWrite();
    if (rev <= this.compactMainRev) throw Errors.Compacted;
    if (rev > this.currentRev) throw Errors.FutureRev;
    if (this.keepCompactionHashes) {
      const h = this.hashKV(rev);
      this.compactionHashList.push({ hash: h.hash, revision: rev, compactRevision: h.compactRevision });
      if (this.compactionHashList.length > COMPACTION_HASHES) this.compactionHashList.shift();
    }
    writeRevMeta(this.backend, META_SCHEDULED_COMPACT, rev);
    this.compactLockfree(rev);
  }

  /** CRC-32C over the key bucket up to rev as etcd's HashKV computes it (rev 0: current). */
  hashKV(rev = 0): HashKVResult {
    const scan = this.hashKVScan(rev);
    for (const [k, v] of this.backend.range('key', scan.start, scan.end)) scan.add(k, v);
    return scan.result();
  }

  /**
   * HashKV in steps: fixes the revision, compact revision and kept revisions now; the
   * caller then feeds it the key bucket's entries in [start, end), in order. Fed from
   * a point-in-time view of the backend taken after this call, a long scan can yield
   * between chunks while writes go on.
   */
  hashKVScan(rev = 0): HashKVScan {
    this.assertNoWrite();
    const compactRevision = this.compactMainRev;
    if (rev > 0 && rev <= compactRevision) throw Errors.Compacted;
    if (rev > this.currentRev) throw Errors.FutureRev;
    const atRev = rev === 0 ? this.currentRev : rev;
    // Before any compaction no revision is at or below it: nothing to filter.
    const filter = compactRevision >= 0 && this.index.keepsAny(atRev);
    const index = this.index;
    return new HashKVScan(atRev, this.currentRev, compactRevision, filter, (name, main, sub) => index.byName(name)?.keeps(atRev, main, sub) ?? false);
  }

  /** @internal */
  rangeKeys(key: Uint8Array, end: Uint8Array | undefined, curRev: number, opts: RangeOptions): RangeResult {
    const want = opts.rev ?? 0;
    if (want > curRev) throw Errors.FutureRev;
    const rev = want <= 0 ? curRev : want;
    if (rev < this.compactMainRev) throw Errors.Compacted;
    const limit = opts.limit !== undefined && opts.limit > 0 ? opts.limit : Infinity;
    const mains: number[] = [];
    const subs: number[] = [];
    // At the index's latest revision the count comes from the ordered keys' live
    // counts, and a limited read stops visiting once it has its keys.
    const latest = rev === this.indexRev();
    let count = latest ? this.index.countLatest(key, end) : 0;
    if (latest && opts.count) return { kvs: [], count, rev: curRev };
    let seen = 0;
    this.index.visit(key, end, (ki) => {
      const r = ki.get(rev);
      if (r === undefined) return true;
      if (!opts.count && seen < limit) {
        mains.push(r.main);
        subs.push(r.sub);
      }
      seen++;
      return !latest || seen < limit;
    });
    if (!latest) count = seen;
    if (opts.count) return { kvs: [], count, rev: curRev };
    const stored = new Array<Uint8Array>(mains.length);
    for (let i = 0; i < mains.length; i++) {
      const v = this.backend.get('key', revToBytes(mains[i], subs[i]));
      if (v === undefined) throw new Error(`mvcc: revision ${mains[i]}.${subs[i]} in the index but not in the backend`);
      stored[i] = v;
    }
    if (opts.raw) return { kvs: [], raw: stored, count, rev: curRev };
    return { kvs: stored.map((v) => decodeKeyValue(v)), count, rev: curRev };
  }

  /** @internal */
  txnPut(txn: TxnWrite, key: Uint8Array, value: Uint8Array, lease: bigint): void {
    const rev = txn.beginRev + 1;
    const sub = txn.changes.length;
    // One index lookup for a key written before (the common case), two for a new one.
    const ki = this.index.keyIndex(key);
    const prev = ki?.get(rev);
    const kv: KeyValue = {
      key,
      value,
      createRevision: prev === undefined ? rev : prev.createdMain,
      modRevision: rev,
      version: (prev?.version ?? 0) + 1,
      lease,
    };
    const stored = encodeKeyValue(kv);
    this.backend.put('key', revToBytes(rev, sub), stored);
    // Watch responses carrying this put reuse these bytes rather than encode the key-value again.
    rememberKeyValueBytes(kv, stored);
    if (ki !== undefined) this.index.putAt(ki, rev, sub);
    else this.index.put(key, rev, sub);
    if (prev === undefined) this.liveKeys++;
    txn.changes.push(new StoreEvent(EventType.PUT, kv, this.backend, prev?.main ?? 0, prev?.sub ?? 0));
  }

  /** @internal */
  txnDeleteRange(txn: TxnWrite, key: Uint8Array, end: Uint8Array | undefined): number {
    const readRev = txn.changes.length > 0 ? txn.beginRev + 1 : txn.beginRev;
    const live: { ki: KeyIndex; main: number; sub: number }[] = [];
    this.index.visit(key, end, (ki) => {
      const r = ki.get(readRev);
      if (r !== undefined) live.push({ ki, main: r.main, sub: r.sub });
      return true;
    });
    const rev = txn.beginRev + 1;
    for (const { ki, main, sub: prevSub } of live) {
      const sub = txn.changes.length;
      // etcd stores a tombstone as a KeyValue holding only the key.
      const stored: KeyValue = { key: ki.key, value: EMPTY, createRevision: 0, modRevision: 0, version: 0, lease: 0n };
      this.backend.put('key', revToBytes(rev, sub, true), encodeKeyValue(stored));
      this.index.tombstoneAt(ki, rev, sub);
      this.liveKeys--;
      const kv: KeyValue = { ...stored, modRevision: rev };
      txn.changes.push(new StoreEvent(EventType.DELETE, kv, this.backend, main, prevSub));
    }
    return live.length;
  }

  /** @internal */
  endWrite(txn: TxnWrite): readonly Event[] {
    if (this.writing !== txn) throw new Error('mvcc: ending a write txn that is not open');
    this.writing = undefined;
    if (txn.changes.length === 0) return [];
    this.currentRev = txn.beginRev + 1;
    const events = txn.changes;
    for (const l of this.listeners) l(events, this.currentRev);
    return events;
  }

  /**
   * Rolls back a write txn that failed part-way (a check that can only fail once
   * earlier ops of the same txn are applied): the index and the backend batch are
   * as before it, the revision does not move and no listener hears of it, so a
   * request that answers an error has changed nothing.
   */
  abortWrite(txn: TxnWrite): void {
    if (this.writing !== txn) throw new Error('mvcc: aborting a write txn that is not open');
    this.writing = undefined;
    const rev = txn.beginRev + 1;
    for (let sub = txn.changes.length - 1; sub >= 0; sub--) {
      const ev = txn.changes[sub];
      const tombstone = ev.type === EventType.DELETE;
      const ki = this.index.keyIndex(ev.kv.key);
      if (ki === undefined) throw new Error('mvcc: undo of a change to a key missing from the index');
      this.index.undoAt(ki, rev, sub, tombstone);
      // The live-key count goes back with the change: a delete brought the key back, a put of a new key took it away.
      if (tombstone) this.liveKeys++;
      else if (ev.createdKey) this.liveKeys--;
      this.backend.delete('key', revToBytes(rev, sub, tombstone));
    }
    txn.changes.length = 0;
  }

  private assertNoWrite(): void {
    if (this.writing !== undefined) throw new Error('mvcc: operation not allowed inside a write txn');
  }

  private compactLockfree(rev: number): void {
    const started = performance.now();
    this.compactMainRev = rev;
    // The index holds exactly the revisions in the key bucket, so what it drops is
    // what the backend must delete: no scan of the bucket is needed.
    const dropped: Array<[number, number, boolean]> = [];
    this.index.compact(rev, (main, sub, tombstone) => dropped.push([main, sub, tombstone]));
    const indexMs = performance.now() - started;
    for (const [main, sub, tombstone] of dropped) this.backend.delete('key', revToBytes(main, sub, tombstone));
    if (failpointsOn) failpoint('compactBeforeSetFinishedCompact');
    writeRevMeta(this.backend, META_FINISHED_COMPACT, rev);
    if (failpointsOn) failpoint('compactAfterSetFinishedCompact');
    const stats: CompactionStats = { indexMs, keys: dropped.length, totalMs: performance.now() - started };
    for (const l of this.compactListeners) l(stats);
  }

  private restore(): void {
    const b = this.backend;
    this.compactMainRev = readRevMeta(b, META_FINISHED_COMPACT) ?? -1;
    const scheduled = readRevMeta(b, META_SCHEDULED_COMPACT);
    const byKey = new Map<string, KeyIndex>();
    let maxRev = 0;
    const meta = { name: '', createRevision: 0, version: 0 };
    for (const [k, v] of b.range('key', mainRevPrefix(0))) {
      const main = readUint64(k, 0);
      const sub = readUint64(k, 9);
      decodeKeyMeta(Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength), meta);
      let ki = byKey.get(meta.name);
      if (isTombstone(k)) {
        if (ki === undefined) {
          // A compaction at this very revision kept only the delete.
          ki = new KeyIndex(meta.name);
          ki.restoreTombstone(main, sub);
          byKey.set(meta.name, ki);
        } else if (ki.generations[ki.generations.length - 1].isEmpty) {
          throw new Error(`mvcc: tombstone at ${main}.${sub} for a key that is not live`);
        } else {
          ki.tombstone(main, sub);
        }
      } else if (ki === undefined) {
        ki = new KeyIndex(meta.name);
        ki.restore(meta.createRevision, main, sub, meta.version);
        byKey.set(meta.name, ki);
      } else if (ki.generations[ki.generations.length - 1].isEmpty && meta.createRevision !== main) {
        // History before this put was compacted away along with the old generation.
        ki.restore(meta.createRevision, main, sub, meta.version);
      } else {
        ki.put(main, sub);
      }
      maxRev = main;
    }
    this.index.load(byKey);
    for (const ki of byKey.values()) if (!ki.generations[ki.generations.length - 1].isEmpty) this.liveKeys++;
    this.currentRev = Math.max(maxRev, this.compactMainRev, 1);
    if (scheduled !== undefined && scheduled > this.compactMainRev) this.compactLockfree(scheduled);
  }
}

export class TxnWrite {
  /** @internal */
  readonly changes: StoreEvent[] = [];
  private ended = false;
  /** Ranges, puts and delete-ranges made, for etcd's txn counter. */
  private opCount = 0;

  /** @internal */
  constructor(
    private readonly store: MvccStore,
    readonly beginRev: number,
  ) {}

  /** The revision this txn's reads see: its own writes once it has any. */
  rev(): number {
    return this.changes.length > 0 ? this.beginRev + 1 : this.beginRev;
  }

  range(key: Uint8Array, end: Uint8Array | undefined, opts: RangeOptions = {}): RangeResult {
    this.assertOpen();
    this.opCount++;
    this.store.ops.ranges++;
    return this.store.rangeKeys(key, end, this.rev(), opts);
  }

  /** Writes key; returns the txn's revision. */
  put(key: Uint8Array, value: Uint8Array, lease = 0n): number {
    this.assertOpen();
    if (key.byteLength === 0) throw new Error('mvcc: put with an empty key');
    this.store.txnPut(this, key, value, lease);
    this.opCount++;
    this.store.ops.puts++;
    this.store.ops.putBytes += key.byteLength + value.byteLength;
    return this.beginRev + 1;
  }

  /** Deletes the live keys in [key, end); returns how many and the txn's revision after it. */
  deleteRange(key: Uint8Array, end?: Uint8Array): { deleted: number; rev: number } {
    this.assertOpen();
    const deleted = this.store.txnDeleteRange(this, key, end);
    this.opCount++;
    this.store.ops.deletes++;
    return { deleted, rev: this.rev() };
  }

  /** Number of changes so far. */
  get changeCount(): number {
    return this.changes.length;
  }

  /** Ends the txn: the store moves to the txn's revision if it changed anything. */
  end(): readonly Event[] {
    this.assertOpen();
    this.ended = true;
    if (this.opCount > 1) this.store.ops.txns++;
    return this.store.endWrite(this);
  }

  /** Ends the txn undoing every change it made (see MvccStore.abortWrite). */
  abort(): void {
    this.assertOpen();
    this.ended = true;
    this.store.abortWrite(this);
  }

  private assertOpen(): void {
    if (this.ended) throw new Error('mvcc: write txn already ended');
  }
}
