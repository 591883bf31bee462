// Reads a bbolt file (etcd's backend and its snapshots) just far enough for
// `snapshot status`: the newest valid meta page, buckets and their key/values in
// key order. Read-only; the page layout is bbolt's on-disk format. A file opened with
// openFile() is read a page at a time with positional reads, so memory stays bounded
// by the tree's depth rather than the file's size.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { fnv1a64 } from './writer.js';

const MAGIC = 0xed0cdaed;
const PAGE_HEADER = 16;
const BRANCH = 0x01;
const LEAF = 0x02;
const META = 0x04;
const BUCKET_LEAF = 0x01;
const ELEMENT = 16;

export interface BoltEntry {
  key: Uint8Array;
  value: Uint8Array;
  isBucket: boolean;
}

/** Where pages come from: a whole buffer, or a file read piece by piece. */
export interface BoltPageSource {
  readonly length: number;
  /** `len` bytes at `off` (fewer only past the end). */
  read(off: number, len: number): Buffer;
  close(): void;
}

function bufferSource(buf: Buffer): BoltPageSource {
  return { length: buf.length, read: (off, len) => buf.subarray(off, off + len), close() {} };
}

function fileSource(path: string): BoltPageSource {
  const fd = openSync(path, 'r');
  let open = true;
  const length = fstatSync(fd).size;
  return {
    length,
    read(off, len) {
      if (!open) throw new Error('bolt: file closed');
      const n = Math.max(0, Math.min(len, length - off));
      const out = Buffer.allocUnsafe(n);
      for (let done = 0; done < n; ) {
        const r = readSync(fd, out, done, n - done, off + done);
        if (r === 0) throw new Error(`bolt: short read at ${off + done}`);
        done += r;
      }
      return out;
    },
    close() {
      if (open) closeSync(fd);
      open = false;
    },
  };
}

export class BoltFile {
  readonly pageSize: number;
  /** Pages in use (meta's high-water mark): tx.Size() is this times the page size. */
  readonly highWater: bigint;
  private readonly root: bigint;
  private readonly src: BoltPageSource;
  /** Meta pages (0, 1) that fail their checks: bbolt opens on the other, but a clean file has none. */
  readonly invalidMetas: number[];

  constructor(buf: Buffer);
  constructor(src: BoltPageSource);
  constructor(bufOrSrc: Buffer | BoltPageSource) {
    this.src = Buffer.isBuffer(bufOrSrc) ? bufferSource(bufOrSrc) : bufOrSrc;
    const all = [0, 1].map((i) => this.meta(i));
    this.invalidMetas = [0, 1].filter((i) => all[i] === undefined);
    const metas = all.filter((m) => m !== undefined);
    if (metas.length === 0) throw new Error('invalid database');
    const m = metas.sort((a, b) => (a!.txid > b!.txid ? -1 : 1))[0]!;
    this.pageSize = m.pageSize;
    this.highWater = m.pgid;
    this.root = m.root;
  }

  /** Opens a file for page-at-a-time reads; close() releases it. */
  static openFile(path: string): BoltFile {
    const src = fileSource(path);
    try {
      return new BoltFile(src);
    } catch (err) {
      src.close();
      throw err;
    }
  }

  /** Releases the file of a BoltFile from openFile() (a no-op for one over a buffer). */
  close(): void {
    this.src.close();
  }

  get size(): number {
    return Number(this.highWater) * this.pageSize;
  }

  private meta(i: number): { pageSize: number; root: bigint; pgid: bigint; txid: bigint } | undefined {
    // Page 0's meta tells the page size; a fresh file uses 4096 for the second page too.
    const probeSize = i === 0 ? 0 : this.src.length >= PAGE_HEADER + 12 ? this.src.read(PAGE_HEADER + 8, 4).readUInt32LE(0) : 4096;
    const off = i * probeSize;
    if (off + PAGE_HEADER + 64 > this.src.length) return undefined;
    const b = this.src.read(off, PAGE_HEADER + 64);
    if ((b.readUInt16LE(8) & META) === 0) return undefined;
    const m = PAGE_HEADER;
    if (b.readUInt32LE(m) !== MAGIC || b.readUInt32LE(m + 4) !== 2) return undefined;
    // A torn meta page fails its checksum; bbolt then uses the other one, and so do we.
    if (fnv1a64(b.subarray(m, m + 56)) !== b.readBigUInt64LE(m + 56)) return undefined;
    return { pageSize: b.readUInt32LE(m + 8), root: b.readBigUInt64LE(m + 16), pgid: b.readBigUInt64LE(m + 40), txid: b.readBigUInt64LE(m + 48) };
  }

  /** Every entry of the root bucket (the named buckets), in key order. */
  buckets(): BoltEntry[] {
    return this.entriesOfPage(this.pageAt(this.root));
  }

  /** Every key/value of one top-level bucket, in key order. */
  entries(bucket: BoltEntry): BoltEntry[] {
    const root = bucket.value.length >= 8 ? Buffer.from(bucket.value.buffer, bucket.value.byteOffset, bucket.value.length).readBigUInt64LE(0) : 0n;
    if (root === 0n) {
      // An inline bucket: its single leaf page follows the 16-byte bucket header.
      const v = Buffer.from(bucket.value.buffer, bucket.value.byteOffset, bucket.value.length);
      return this.entriesOfPage(v.subarray(16));
    }
    return this.entriesOfPage(this.pageAt(root));
  }

  /** The key/values of one top-level bucket in key order, one at a time: a large bucket need not fit in an array. */
  *iterate(bucket: BoltEntry): Generator<BoltEntry> {
    const root = bucket.value.length >= 8 ? Buffer.from(bucket.value.buffer, bucket.value.byteOffset, bucket.value.length).readBigUInt64LE(0) : 0n;
    if (root === 0n) {
      yield* this.entriesOfPage(Buffer.from(bucket.value.buffer, bucket.value.byteOffset, bucket.value.length).subarray(16));
      return;
    }
    yield* this.walkPage(this.pageAt(root));
  }

  private *walkPage(p: Buffer): Generator<BoltEntry> {
    if (p.readUInt16LE(8) & BRANCH) {
      const count = p.readUInt16LE(10);
      for (let i = 0; i < count; i++) yield* this.walkPage(this.pageAt(p.readBigUInt64LE(PAGE_HEADER + i * ELEMENT + 8)));
      return;
    }
    yield* this.entriesOfPage(p);
  }

  private pageAt(id: bigint): Buffer {
    const off = Number(id) * this.pageSize;
    if (off + PAGE_HEADER > this.src.length) throw new Error(`page ${id} beyond the end of the file`);
    const overflow = this.src.read(off + 12, 4).readUInt32LE(0);
    return this.src.read(off, (overflow + 1) * this.pageSize);
  }

  /** Appends the page's entries (a branch: its subtree's) to `out`; spreading would overflow the stack on large buckets. */
  private entriesOfPage(p: Buffer, out: BoltEntry[] = []): BoltEntry[] {
    const flags = p.readUInt16LE(8);
    const count = p.readUInt16LE(10);
    for (let i = 0; i < count; i++) {
      const e = PAGE_HEADER + i * ELEMENT;
      if (flags & BRANCH) {
        this.entriesOfPage(this.pageAt(p.readBigUInt64LE(e + 8)), out);
      } else if (flags & LEAF) {
        const eflags = p.readUInt32LE(e);
        const pos = p.readUInt32LE(e + 4);
        const ksize = p.readUInt32LE(e + 8);
        const vsize = p.readUInt32LE(e + 12);
        const k = e + pos;
        out.push({ key: p.subarray(k, k + ksize), value: p.subarray(k + ksize, k + ksize + vsize), isBucket: (eflags & BUCKET_LEAF) !== 0 });
      } else {
        throw new Error(`unexpected page flags ${flags}`);
      }
    }
    return out;
  }
}
