// Writes a bbolt file (the format of etcd's backend and its snapshots) from buckets
// given in key order. Pure: pages go to a positional sink as they fill, so a large
// database never sits in memory; only the first key of each page is kept, to build
// the branch levels once a bucket is complete. The two meta pages and the freelist
// page, which must name the root and the high-water mark, are written last.
import { compareBytes } from '../backend/bytes.js';

export const BOLT_PAGE_SIZE = 4096;
export const BOLT_MAGIC = 0xed0cdaed;
export const BOLT_VERSION = 2;

export const PAGE_HEADER = 16;
const ELEMENT = 16;
const BUCKET_HEADER = 16;
export const BRANCH_PAGE = 0x01;
export const LEAF_PAGE = 0x02;
export const META_PAGE = 0x04;
export const FREELIST_PAGE = 0x10;
export const BUCKET_LEAF_FLAG = 0x01;
const META_PGID = [0, 1] as const;
const FREELIST_PGID = 2;
const FIRST_DATA_PGID = 3;
/** A page's element count is a u16. */
const MAX_COUNT = 0xffff;

/** Receives `bytes` to be stored at byte `offset` of the file; offsets are page-aligned. */
export type PageSink = (bytes: Uint8Array, offset: number) => void;

export interface BoltWriterOptions {
  pageSize?: number;
  /** Transaction id of meta page 0; page 1 carries the next one, so readers pick page 1. */
  txid?: bigint;
}

export interface BoltSummary {
  /** Pages in the file (the meta's high-water mark). */
  pages: number;
  /** File size in bytes: pages times the page size. */
  size: number;
  /** Page of the root bucket's leaf (the one naming the top-level buckets). */
  root: number;
}

interface ChildRef {
  key: Buffer;
  pgid: number;
}

export class BoltWriter {
  readonly pageSize: number;
  private readonly txid: bigint;
  private nextPgid = FIRST_DATA_PGID;
  private readonly buckets: { name: Buffer; root: number }[] = [];
  private bucket?: Buffer;
  /** Pages written so far for the tree being filled (a bucket's, or at the end the root bucket's). */
  private leaves: ChildRef[] = [];
  private finished = false;
  // The leaf being filled: its keys and values back to back in `data`.
  private data = Buffer.allocUnsafe(2 * BOLT_PAGE_SIZE);
  private dataLen = 0;
  private sizes: number[] = [];
  private elementFlags: number[] = [];
  private lastKey?: Buffer;

  constructor(
    private readonly sink: PageSink,
    opts: BoltWriterOptions = {},
  ) {
    this.pageSize = opts.pageSize ?? BOLT_PAGE_SIZE;
    if (this.pageSize < 1024 || this.pageSize % 512 !== 0) throw new Error(`bolt: bad page size ${this.pageSize}`);
    this.txid = opts.txid ?? 1n;
  }

  /** Starts the next top-level bucket (closing the previous one). */
  beginBucket(name: Uint8Array): void {
    this.assertOpen();
    if (name.length === 0) throw new Error('bolt: empty bucket name');
    this.endBucket();
    this.bucket = Buffer.from(name);
    this.leaves = [];
  }

  /** Adds a key/value to the current bucket; keys must come in strictly ascending byte order. */
  put(key: Uint8Array, value: Uint8Array): void {
    if (this.bucket === undefined) throw new Error('bolt: put outside a bucket');
    if (key.length === 0) throw new Error('bolt: empty key');
    this.add(key, value, 0);
  }

  /** Closes the last bucket, writes the root bucket, the freelist and both metas. */
  finish(): BoltSummary {
    this.assertOpen();
    this.endBucket();
    this.finished = true;
    const byName = [...this.buckets].sort((a, b) => compareBytes(a.name, b.name));
    for (let i = 1; i < byName.length; i++) {
      if (compareBytes(byName[i - 1].name, byName[i].name) === 0) throw new Error(`bolt: bucket ${byName[i].name} written twice`);
    }
    // The root bucket is itself a bucket whose values are the buckets' headers.
    const header = Buffer.alloc(BUCKET_HEADER);
    for (const b of byName) {
      header.writeBigUInt64LE(BigInt(b.root), 0);
      this.add(b.name, header, BUCKET_LEAF_FLAG);
    }
    const root = this.closeTree();
    this.writeFreelist();
    for (const id of META_PGID) this.writeMeta(id, root, this.txid + BigInt(id));
    return { pages: this.nextPgid, size: this.nextPgid * this.pageSize, root };
  }

  private assertOpen(): void {
    if (this.finished) throw new Error('bolt: writer finished');
  }

  private endBucket(): void {
    if (this.bucket === undefined) return;
    this.buckets.push({ name: this.bucket, root: this.closeTree() });
    this.bucket = undefined;
  }

  /** Writes the last leaf and the branch levels of the tree being filled; returns its root page. */
  private closeTree(): number {
    // An empty tree still gets an (empty) root leaf, as bbolt gives a new bucket.
    this.flushLeaf(this.leaves.length === 0);
    const root = this.branchLevels(this.leaves);
    this.leaves = [];
    this.lastKey = undefined;
    return root;
  }

  private add(key: Uint8Array, value: Uint8Array, flags: number): void {
    if (this.lastKey !== undefined && compareBytes(this.lastKey, key) >= 0) throw new Error('bolt: keys out of order');
    const n = this.elementFlags.length;
    const need = ELEMENT + key.length + value.length;
    if (n > 0 && (PAGE_HEADER + n * ELEMENT + this.dataLen + need > this.pageSize || n === MAX_COUNT)) {
      this.flushLeaf(false);
    }
    this.ensureData(key.length + value.length);
    this.data.set(key, this.dataLen);
    this.lastKey = this.data.subarray(this.dataLen, this.dataLen + key.length);
    this.dataLen += key.length;
    this.data.set(value, this.dataLen);
    this.dataLen += value.length;
    this.sizes.push(key.length, value.length);
    this.elementFlags.push(flags);
  }

  private ensureData(extra: number): void {
    if (this.dataLen + extra <= this.data.length) return;
    const grown = Buffer.allocUnsafe(Math.max(2 * this.data.length, this.dataLen + extra));
    this.data.copy(grown, 0, 0, this.dataLen);
    this.data = grown;
    if (this.lastKey !== undefined) this.lastKey = Buffer.from(this.lastKey);
  }

  /** Writes the leaf being filled (if it has elements, or `always`) and records it in the tree. */
  private flushLeaf(always: boolean): void {
    const n = this.elementFlags.length;
    if (n === 0 && !always) return;
    const elementsEnd = PAGE_HEADER + n * ELEMENT;
    const pgid = this.nextPgid;
    const page = this.allocPage(pgid, LEAF_PAGE, n, elementsEnd + this.dataLen);
    let dataPos = elementsEnd;
    for (let i = 0; i < n; i++) {
      const e = PAGE_HEADER + i * ELEMENT;
      const ksize = this.sizes[2 * i];
      const vsize = this.sizes[2 * i + 1];
      page.writeUInt32LE(this.elementFlags[i], e);
      // bbolt's pos counts from the element itself to its key.
      page.writeUInt32LE(dataPos - e, e + 4);
      page.writeUInt32LE(ksize, e + 8);
      page.writeUInt32LE(vsize, e + 12);
      dataPos += ksize + vsize;
    }
    this.data.copy(page, elementsEnd, 0, this.dataLen);
    const firstKey = n > 0 ? Buffer.from(this.data.subarray(0, this.sizes[0])) : Buffer.alloc(0);
    this.emit(page, pgid);
    this.leaves.push({ key: firstKey, pgid });
    // The last key moves out of the reused buffer so ordering stays checked across pages.
    if (this.lastKey !== undefined) this.lastKey = Buffer.from(this.lastKey);
    this.dataLen = 0;
    this.sizes = [];
    this.elementFlags = [];
  }

  /** Builds branch pages over `children` until one page remains: the tree's root. */
  private branchLevels(children: ChildRef[]): number {
    if (children.length === 0) throw new Error('bolt: a tree needs a root page');
    let level = children;
    while (level.length > 1) {
      const up: ChildRef[] = [];
      let start = 0;
      let bytes = PAGE_HEADER;
      for (let i = 0; i <= level.length; i++) {
        const need = i < level.length ? ELEMENT + level[i].key.length : 0;
        const count = i - start;
        if (i === level.length || (count > 0 && (bytes + need > this.pageSize || count === MAX_COUNT))) {
          up.push(this.writeBranch(level, start, i));
          start = i;
          bytes = PAGE_HEADER;
        }
        bytes += need;
      }
      level = up;
    }
    return level[0].pgid;
  }

  private writeBranch(level: ChildRef[], from: number, to: number): ChildRef {
    const n = to - from;
    let keys = 0;
    for (let i = from; i < to; i++) keys += level[i].key.length;
    const pgid = this.nextPgid;
    const page = this.allocPage(pgid, BRANCH_PAGE, n, PAGE_HEADER + n * ELEMENT + keys);
    let keyPos = PAGE_HEADER + n * ELEMENT;
    for (let i = 0; i < n; i++) {
      const child = level[from + i];
      const e = PAGE_HEADER + i * ELEMENT;
      page.writeUInt32LE(keyPos - e, e);
      page.writeUInt32LE(child.key.length, e + 4);
      page.writeBigUInt64LE(BigInt(child.pgid), e + 8);
      child.key.copy(page, keyPos);
      keyPos += child.key.length;
    }
    this.emit(page, pgid);
    return { key: level[from].key, pgid };
  }

  /** A zeroed page (plus overflow pages when `bytes` needs them) with its header filled in. */
  private allocPage(pgid: number, flags: number, count: number, bytes: number): Buffer {
    const pages = Math.max(1, Math.ceil(bytes / this.pageSize));
    const page = Buffer.alloc(pages * this.pageSize);
    page.writeBigUInt64LE(BigInt(pgid), 0);
    page.writeUInt16LE(flags, 8);
    page.writeUInt16LE(count, 10);
    page.writeUInt32LE(pages - 1, 12);
    return page;
  }

  private emit(page: Buffer, pgid: number): void {
    this.nextPgid = pgid + page.length / this.pageSize;
    this.sink(page, pgid * this.pageSize);
  }

  private writeFreelist(): void {
    // Every page is in use: the freelist is empty.
    const page = Buffer.alloc(this.pageSize);
    page.writeBigUInt64LE(BigInt(FREELIST_PGID), 0);
    page.writeUInt16LE(FREELIST_PAGE, 8);
    this.sink(page, FREELIST_PGID * this.pageSize);
  }

  private writeMeta(id: number, root: number, txid: bigint): void {
    const page = Buffer.alloc(this.pageSize);
    page.writeBigUInt64LE(BigInt(id), 0);
    page.writeUInt16LE(META_PAGE, 8);
    const m = PAGE_HEADER;
    page.writeUInt32LE(BOLT_MAGIC, m);
    page.writeUInt32LE(BOLT_VERSION, m + 4);
    page.writeUInt32LE(this.pageSize, m + 8);
    page.writeUInt32LE(0, m + 12);
    page.writeBigUInt64LE(BigInt(root), m + 16);
    page.writeBigUInt64LE(0n, m + 24);
    page.writeBigUInt64LE(BigInt(FREELIST_PGID), m + 32);
    page.writeBigUInt64LE(BigInt(this.nextPgid), m + 40);
    page.writeBigUInt64LE(txid, m + 48);
    page.writeBigUInt64LE(fnv1a64(page.subarray(m, m + 56)), m + 56);
    this.sink(page, id * this.pageSize);
  }
}

const FNV_OFFSET = 0xcbf29ce484222325n;
const FNV_PRIME = 0x100000001b3n;
const U64 = (1n << 64n) - 1n;

/** FNV-1a, 64 bits: bbolt's meta checksum. */
export function fnv1a64(b: Uint8Array): bigint {
  let h = FNV_OFFSET;
  for (const byte of b) h = ((h ^ BigInt(byte)) * FNV_PRIME) & U64;
  return h;
}

/** Writes whole buckets (name and ascending entries) through a BoltWriter. */
export function writeBolt(buckets: Iterable<readonly [Uint8Array, Iterable<readonly [Uint8Array, Uint8Array]>]>, sink: PageSink, opts?: BoltWriterOptions): BoltSummary {
  const w = new BoltWriter(sink, opts);
  for (const [name, entries] of buckets) {
    w.beginBucket(name);
    for (const [k, v] of entries) w.put(k, v);
  }
  return w.finish();
}
