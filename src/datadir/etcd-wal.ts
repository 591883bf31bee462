// etcd's own WAL (etcd 3.4's wal package), read to take an etcd member over and written
// to hand one back. A segment `%016x-%016x.wal` (sequence, first index) is a run of
// frames: a u64 LE length word (low 56 bits the record's size; when its top bit is set,
// the low 3 bits of the top byte count the zero padding that aligns frames to 8 bytes),
// then a walpb.Record {type, crc, data}. The CRC is CRC-32C chained over every record's
// data from the first segment on; each segment opens with a crc record carrying the
// previous segment's last CRC. Types: metadata (etcdserverpb.Metadata), entry
// (raftpb.Entry), state (raftpb.HardState), crc, snapshot (walpb.Snapshot {index, term}).
// A zero length word ends a segment's data (segments are preallocated with zeros).
//
// The reader refuses anything etcd could not read as a whole log, naming the file:
// etcd repairs a torn tail itself when it starts, so a dir that needs that repair is
// one to start etcd on once, not one to take over.
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeSync, ftruncateSync } from 'node:fs';
import { join } from 'node:path';
import { crc32c } from '../pkg/crc32c.js';
import { PbReader, PbWriter, decodeEntry, decodeHardState, encodeEntry, encodeHardState } from '../raft/codec.js';
import type { Entry, HardState } from '../raft/types.js';
import { parseSegmentName, segmentName, type SegmentName } from '../wal/segment.js';
import { EtcdDataDirError } from './errors.js';

export enum EtcdRecordType {
  Metadata = 1,
  Entry = 2,
  State = 3,
  Crc = 4,
  Snapshot = 5,
}

/** etcd's SegmentSizeBytes: every segment is preallocated to this. */
export const ETCD_SEGMENT_BYTES = 64 * 1000 * 1000;
/** etcd's maxWALEntrySizeLimit: a larger record is corruption, not data. */
const MAX_RECORD_BYTES = 10 * 1024 * 1024;
const FRAME_LEN = 8;

export interface EtcdWalSnapshot {
  index: number;
  term: number;
}

export interface EtcdWal {
  /** etcdserverpb.Metadata bytes: the member and cluster IDs. */
  metadata: Uint8Array;
  /** Snapshot records in the order written (the first segment's is etcd's empty one). */
  snapshots: EtcdWalSnapshot[];
  /** The newest snapshot record. */
  snapshot: EtcdWalSnapshot;
  hardState: HardState;
  /** The entries after the newest snapshot, conflicts resolved as etcd resolves them (a later entry at an index replaces the tail from it). */
  entries: Entry[];
  segments: string[];
}

/** The directory's etcd WAL segments in sequence order, or [] when it has none. */
export function listEtcdSegments(dir: string): SegmentName[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .map(parseSegmentName)
    .filter((s): s is SegmentName => s !== undefined)
    .sort((a, b) => a.seq - b.seq);
}

/** Whether the segment file opens as etcd writes one: a crc record first. */
export function looksLikeEtcdSegment(buf: Uint8Array): boolean {
  // Record{type: crc(4), crc: …}: 0x08 0x04 right after the length word, whose top bytes are 0 or the padding mark.
  return buf.length >= 10 && buf[8] === 0x08 && buf[9] === EtcdRecordType.Crc && buf[4] === 0 && buf[5] === 0 && buf[6] === 0;
}

interface WalRecord {
  type: number;
  crc: number;
  data: Uint8Array;
}

function decodeRecord(b: Uint8Array): WalRecord {
  const r = new PbReader(b);
  const rec: WalRecord = { type: 0, crc: 0, data: new Uint8Array(0) };
  while (!r.done()) {
    const tag = r.tag();
    if (tag === 0x08) rec.type = r.uvarint();
    else if (tag === 0x10) rec.crc = r.uvarint();
    else if (tag === 0x1a) rec.data = r.bytes();
    else r.skip(tag & 7);
  }
  return rec;
}

function decodeWalSnapshot(b: Uint8Array): EtcdWalSnapshot {
  const r = new PbReader(b);
  const s = { index: 0, term: 0 };
  while (!r.done()) {
    const tag = r.tag();
    if (tag === 0x08) s.index = r.uvarint();
    else if (tag === 0x10) s.term = r.uvarint();
    else r.skip(tag & 7);
  }
  return s;
}

/** Reads and checks every segment of the etcd WAL in `dir`; throws EtcdDataDirError naming the file at fault. */
export function readEtcdWal(dir: string): EtcdWal {
  const segs = listEtcdSegments(dir);
  if (segs.length === 0) throw new EtcdDataDirError(dir, 'no WAL segments (if etcd ran with --wal-dir, give etcd-ts the same)');
  for (let i = 1; i < segs.length; i++) {
    if (segs[i]!.seq !== segs[i - 1]!.seq + 1) throw new EtcdDataDirError(join(dir, segs[i]!.name), `WAL segment ${segs[i - 1]!.seq + 1} is missing before it`);
  }
  let crc = 0;
  let metadata: Uint8Array | undefined;
  const snapshots: EtcdWalSnapshot[] = [];
  let hardState: HardState = { term: 0, vote: 0n, commit: 0 };
  let entries: Entry[] = [];
  segs.forEach((seg, si) => {
    const file = join(dir, seg.name);
    const buf = readFileSync(file);
    const last = si === segs.length - 1;
    let off = 0;
    let first = true;
    while (off < buf.length) {
      if (off + FRAME_LEN > buf.length) {
        if (buf.subarray(off).every((b) => b === 0)) break;
        throw new EtcdDataDirError(file, `truncated WAL segment: a length word at offset ${off} runs past the end of the file (${buf.length} bytes)`);
      }
      const word = buf.readBigUInt64LE(off);
      if (word === 0n) break;
      const recBytes = Number(word & 0x00ff_ffff_ffff_ffffn);
      const padBytes = word >> 63n ? Number((word >> 56n) & 7n) : 0;
      if (recBytes >= MAX_RECORD_BYTES - padBytes) throw new EtcdDataDirError(file, `corrupt WAL record at offset ${off}: length ${recBytes} is beyond etcd's limit`);
      const end = off + FRAME_LEN + recBytes + padBytes;
      if (end > buf.length) throw new EtcdDataDirError(file, `truncated WAL segment: the record at offset ${off} (${recBytes} bytes) runs past the end of the file (${buf.length} bytes)`);
      let rec: WalRecord;
      try {
        rec = decodeRecord(buf.subarray(off + FRAME_LEN, off + FRAME_LEN + recBytes));
      } catch (err) {
        throw new EtcdDataDirError(file, `corrupt WAL record at offset ${off}: ${(err as Error).message}`);
      }
      if (first && rec.type !== EtcdRecordType.Crc) throw new EtcdDataDirError(file, 'WAL segment does not start with a crc record (not an etcd WAL)');
      first = false;
      if (rec.type === EtcdRecordType.Crc) {
        if (crc !== 0 && rec.crc !== crc) throw new EtcdDataDirError(file, `CRC mismatch at offset ${off}: the segment continues CRC ${rec.crc.toString(16)}, the previous one ended at ${crc.toString(16)}`);
        crc = rec.crc;
      } else {
        crc = crc32c(rec.data, crc);
        if (rec.crc !== crc) throw new EtcdDataDirError(file, `CRC mismatch in the WAL record at offset ${off}${last ? ' (a torn write: start etcd on it once to repair the tail)' : ''}`);
      }
      try {
        switch (rec.type) {
          case EtcdRecordType.Metadata:
            if (metadata && !Buffer.from(metadata).equals(rec.data)) throw new Error('metadata differs from the earlier segments');
            metadata = rec.data;
            break;
          case EtcdRecordType.Entry:
            entries = appendEntry(entries, decodeEntry(rec.data));
            break;
          case EtcdRecordType.State:
            hardState = decodeHardState(rec.data);
            break;
          case EtcdRecordType.Snapshot:
            snapshots.push(decodeWalSnapshot(rec.data));
            break;
          case EtcdRecordType.Crc:
            break;
          default:
            throw new Error(`unknown record type ${rec.type}`);
        }
      } catch (err) {
        if (err instanceof EtcdDataDirError) throw err;
        throw new EtcdDataDirError(file, `corrupt WAL record at offset ${off}: ${(err as Error).message}`);
      }
      off = end;
    }
  });
  const segments = segs.map((s) => join(dir, s.name));
  const lastFile = segments[segments.length - 1]!;
  if (!metadata) throw new EtcdDataDirError(lastFile, 'the WAL has no metadata record');
  if (snapshots.length === 0) throw new EtcdDataDirError(lastFile, 'the WAL has no snapshot record');
  const snapshot = snapshots.reduce((a, b) => (b.index >= a.index ? b : a));
  const after = entries.filter((e) => e.index > snapshot.index);
  if (after.length && after[0]!.index !== snapshot.index + 1) {
    throw new EtcdDataDirError(lastFile, `the WAL's entries after its snapshot at index ${snapshot.index} start at ${after[0]!.index}`);
  }
  return { metadata, snapshots, snapshot, hardState, entries: after, segments };
}

/** etcd's rule: an entry at an index already held replaces that entry and everything after it. */
function appendEntry(entries: Entry[], e: Entry): Entry[] {
  if (entries.length) {
    const first = entries[0]!.index;
    const lastIndex = entries[entries.length - 1]!.index;
    if (e.index <= lastIndex) entries = e.index <= first ? [] : entries.slice(0, e.index - first);
    else if (e.index !== lastIndex + 1) throw new Error(`entry ${e.index} follows entry ${lastIndex}`);
  }
  entries.push(e);
  return entries;
}

// ---- writing ---------------------------------------------------------------------------

function encodeRecord(type: EtcdRecordType, crc: number, data: Uint8Array | undefined): Buffer {
  const w = new PbWriter(new Uint8Array(32 + (data?.length ?? 0)));
  w.tag(1, 0);
  w.uvarint(type);
  w.tag(2, 0);
  w.uvarint(crc);
  if (data) w.bytes(3, data);
  const rec = Buffer.from(w.buf.buffer, w.buf.byteOffset, w.pos);
  const pad = (8 - (rec.length % 8)) % 8;
  const frame = Buffer.alloc(FRAME_LEN + rec.length + pad);
  let word = BigInt(rec.length);
  if (pad) word |= BigInt(0x80 | pad) << 56n;
  frame.writeBigUInt64LE(word, 0);
  rec.copy(frame, FRAME_LEN);
  return frame;
}

function encodeWalSnapshot(s: EtcdWalSnapshot): Uint8Array {
  const w = new PbWriter(new Uint8Array(24));
  w.tag(1, 0);
  w.uvarint(s.index);
  w.tag(2, 0);
  w.uvarint(s.term);
  return w.buf.subarray(0, w.pos);
}

export interface EtcdWalContents {
  metadata: Uint8Array;
  snapshot: EtcdWalSnapshot;
  hardState: HardState;
  /** Entries after the snapshot, contiguous. */
  entries: Entry[];
}

/**
 * Writes a new etcd WAL into `dir` (which must not exist): one segment laid out as etcd's
 * wal.Create and etcdutl's restore leave it (crc, metadata, the empty snapshot, the
 * snapshot, then the entries and the hard state), preallocated to etcd's segment size.
 * Built in `<dir>.tmp` and renamed into place, as etcd creates its WAL.
 */
export function writeEtcdWal(dir: string, c: EtcdWalContents): void {
  for (let i = 0; i < c.entries.length; i++) {
    if (c.entries[i]!.index !== c.snapshot.index + 1 + i) throw new Error(`etcd WAL: entry ${c.entries[i]!.index} is not at ${c.snapshot.index + 1 + i}`);
  }
  const frames: Buffer[] = [];
  let crc = 0;
  const add = (type: EtcdRecordType, data: Uint8Array) => {
    crc = crc32c(data, crc);
    frames.push(encodeRecord(type, crc, data));
  };
  frames.push(encodeRecord(EtcdRecordType.Crc, 0, undefined));
  add(EtcdRecordType.Metadata, c.metadata);
  add(EtcdRecordType.Snapshot, encodeWalSnapshot({ index: 0, term: 0 }));
  add(EtcdRecordType.Snapshot, encodeWalSnapshot(c.snapshot));
  for (const e of c.entries) add(EtcdRecordType.Entry, encodeEntry(e));
  add(EtcdRecordType.State, encodeHardState(c.hardState));
  const body = Buffer.concat(frames);
  if (body.length > ETCD_SEGMENT_BYTES) throw new Error(`etcd WAL: ${body.length} bytes of log do not fit one segment`);

  const tmp = `${dir}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true, mode: 0o700 });
  const file = join(tmp, segmentName(0, 0));
  const fd = openSync(file, 'w', 0o600);
  try {
    for (let at = 0; at < body.length; ) at += writeSync(fd, body, at, body.length - at, at);
    ftruncateSync(fd, ETCD_SEGMENT_BYTES);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  syncPath(tmp);
  renameSync(tmp, dir);
}

/** fsync of a file or a directory (a directory's entries: what was created or renamed in it). */
export function syncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
