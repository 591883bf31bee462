// The on-disk record format of a WAL segment.
//
// A segment is a sequence of frames, each starting on an 8-byte boundary:
//
//   offset 0  u32 LE  word: bits 0-27 payload length, bits 28-31 record type
//   offset 4  u32 LE  CRC-32C of bytes 0-3 followed by the payload
//   offset 8  payload, then zero padding up to the next multiple of 8
//
// Every frame carries its own checksum (no rolling chain inside a segment), so
// a batch can be encoded before the writer knows where it will land, and a
// reader can tell a frame that is merely torn from one followed by valid data:
// frames are aligned, so after a bad frame the reader probes each later 8-byte
// boundary for a frame that verifies. A word of 0 (type 0 is never written)
// marks the end of the data: segments are preallocated with zeros.
//
// Segments are chained instead: each one begins with a SegmentHeader frame
// holding its sequence number, the first entry index it was cut for (both also
// in the file name) and the CRC of the last frame of the previous segment, so
// a segment truncated at a frame boundary or a missing middle segment is
// detected. The header is followed by the Metadata frame and the latest
// Snapshot marker and HardState, so every segment can be replayed without its
// predecessors once those are released.
//
// Payloads (all integers little-endian; indexes and terms are u64 but held as
// JS numbers, so they must stay below 2^53):
//   SegmentHeader  u64 seq, u64 firstIndex, u32 prevCrc, u32 zero
//   Metadata       opaque bytes given to Wal.create
//   Entry          u64 index, u64 term, u8 type, then the entry data
//   HardState      u64 term, u64 vote, u64 commit
//   Snapshot       u64 index, u64 term

import { crc32c } from '../pkg/crc32c.js';
import type { Entry, HardState } from '../raft/types.js';

export enum RecordType {
  SegmentHeader = 1,
  Metadata = 2,
  Entry = 3,
  HardState = 4,
  Snapshot = 5,
}

const MAX_TYPE = RecordType.Snapshot;
export const FRAME_HEADER = 8;
export const FRAME_ALIGN = 8;
/** The type shares the length word, so a payload is under 256 MiB. */
export const MAX_PAYLOAD = (1 << 28) - 1;

export const ENTRY_FIXED = 17;
export const HARD_STATE_SIZE = 24;
export const SNAPSHOT_SIZE = 16;
export const SEGMENT_HEADER_SIZE = 24;

const TWO32 = 0x1_0000_0000;

export function frameSize(payloadLength: number): number {
  const raw = FRAME_HEADER + payloadLength;
  return raw + ((FRAME_ALIGN - (raw % FRAME_ALIGN)) % FRAME_ALIGN);
}

function writeU64(buf: Buffer, n: number, at: number): void {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`wal: ${n} is not a u64 index/term`);
  buf.writeUInt32LE(n % TWO32, at);
  buf.writeUInt32LE(Math.floor(n / TWO32), at + 4);
}

function readU64(buf: Buffer, at: number): number {
  const hi = buf.readUInt32LE(at + 4);
  if (hi >= 1 << 21) throw new RangeError('wal: u64 field beyond 2^53');
  return hi * TWO32 + buf.readUInt32LE(at);
}

/**
 * Seals the frame whose payload was already written at `at + FRAME_HEADER`:
 * writes the length word, zeroes the padding and stores the CRC, which it returns.
 */
function sealFrame(buf: Buffer, at: number, type: RecordType, payloadLength: number): number {
  if (payloadLength > MAX_PAYLOAD) throw new RangeError(`wal: record of ${payloadLength} bytes is too large`);
  buf.writeUInt32LE(((type << 28) | payloadLength) >>> 0, at);
  const end = at + FRAME_HEADER + payloadLength;
  buf.fill(0, end, at + frameSize(payloadLength));
  const crc = crc32c(buf, crc32c(buf, 0, at, at + 4), at + FRAME_HEADER, end);
  buf.writeUInt32LE(crc, at + 4);
  return crc;
}

/** An encoded run of frames ready for one write, with the CRC of its last frame. */
export interface EncodedBatch {
  buf: Buffer;
  lastCrc: number;
}

/** The frames one save() writes: entries in order, then the hard state. */
export function encodeSave(hardState: HardState | undefined, entries: readonly Entry[]): EncodedBatch {
  let size = hardState ? frameSize(HARD_STATE_SIZE) : 0;
  for (const e of entries) size += frameSize(ENTRY_FIXED + e.data.length);
  const buf = Buffer.allocUnsafe(size);
  let at = 0;
  let lastCrc = 0;
  for (const e of entries) {
    const p = at + FRAME_HEADER;
    writeU64(buf, e.index, p);
    writeU64(buf, e.term, p + 8);
    buf[p + 16] = e.type;
    buf.set(e.data, p + ENTRY_FIXED);
    lastCrc = sealFrame(buf, at, RecordType.Entry, ENTRY_FIXED + e.data.length);
    at += frameSize(ENTRY_FIXED + e.data.length);
  }
  if (hardState) {
    writeHardState(buf, at + FRAME_HEADER, hardState);
    lastCrc = sealFrame(buf, at, RecordType.HardState, HARD_STATE_SIZE);
    at += frameSize(HARD_STATE_SIZE);
  }
  return { buf, lastCrc };
}

function writeHardState(buf: Buffer, p: number, hs: HardState): void {
  writeU64(buf, hs.term, p);
  buf.writeBigUInt64LE(hs.vote, p + 8);
  writeU64(buf, hs.commit, p + 16);
}

export function encodeSnapshot(index: number, term: number): EncodedBatch {
  const buf = Buffer.allocUnsafe(frameSize(SNAPSHOT_SIZE));
  writeU64(buf, index, FRAME_HEADER);
  writeU64(buf, term, FRAME_HEADER + 8);
  return { buf, lastCrc: sealFrame(buf, 0, RecordType.Snapshot, SNAPSHOT_SIZE) };
}

export interface SegmentPreamble {
  seq: number;
  firstIndex: number;
  prevCrc: number;
  metadata: Uint8Array;
  snapshot?: { index: number; term: number };
  hardState?: HardState;
}

/** The frames every segment starts with (see the format description above). */
export function encodePreamble(p: SegmentPreamble): EncodedBatch {
  let size = frameSize(SEGMENT_HEADER_SIZE) + frameSize(p.metadata.length);
  if (p.snapshot) size += frameSize(SNAPSHOT_SIZE);
  if (p.hardState) size += frameSize(HARD_STATE_SIZE);
  const buf = Buffer.allocUnsafe(size);
  let at = 0;
  writeU64(buf, p.seq, at + FRAME_HEADER);
  writeU64(buf, p.firstIndex, at + FRAME_HEADER + 8);
  buf.writeUInt32LE(p.prevCrc >>> 0, at + FRAME_HEADER + 16);
  buf.writeUInt32LE(0, at + FRAME_HEADER + 20);
  let lastCrc = sealFrame(buf, at, RecordType.SegmentHeader, SEGMENT_HEADER_SIZE);
  at += frameSize(SEGMENT_HEADER_SIZE);
  buf.set(p.metadata, at + FRAME_HEADER);
  lastCrc = sealFrame(buf, at, RecordType.Metadata, p.metadata.length);
  at += frameSize(p.metadata.length);
  if (p.snapshot) {
    writeU64(buf, p.snapshot.index, at + FRAME_HEADER);
    writeU64(buf, p.snapshot.term, at + FRAME_HEADER + 8);
    lastCrc = sealFrame(buf, at, RecordType.Snapshot, SNAPSHOT_SIZE);
    at += frameSize(SNAPSHOT_SIZE);
  }
  if (p.hardState) {
    writeHardState(buf, at + FRAME_HEADER, p.hardState);
    lastCrc = sealFrame(buf, at, RecordType.HardState, HARD_STATE_SIZE);
    at += frameSize(HARD_STATE_SIZE);
  }
  return { buf, lastCrc };
}

export type FrameCheck =
  | { kind: 'ok'; type: RecordType; payloadStart: number; payloadEnd: number; next: number; crc: number }
  | { kind: 'end' }
  | { kind: 'bad'; reason: string };

/** Verifies the frame at `at` (an 8-byte boundary) in a segment's bytes. */
export function checkFrame(buf: Buffer, at: number): FrameCheck {
  if (at + FRAME_HEADER > buf.length) {
    for (let i = at; i < buf.length; i++) if (buf[i] !== 0) return { kind: 'bad', reason: 'short frame header' };
    return { kind: 'end' };
  }
  const word = buf.readUInt32LE(at);
  if (word === 0) return { kind: 'end' };
  const type = word >>> 28;
  const length = word & MAX_PAYLOAD;
  if (type < 1 || type > MAX_TYPE) return { kind: 'bad', reason: `unknown record type ${type}` };
  const payloadEnd = at + FRAME_HEADER + length;
  const next = at + frameSize(length);
  if (next > buf.length) return { kind: 'bad', reason: 'short payload' };
  const crc = crc32c(buf, crc32c(buf, 0, at, at + 4), at + FRAME_HEADER, payloadEnd);
  if (crc !== buf.readUInt32LE(at + 4)) return { kind: 'bad', reason: 'checksum mismatch' };
  for (let i = payloadEnd; i < next; i++) if (buf[i] !== 0) return { kind: 'bad', reason: 'nonzero padding' };
  return { kind: 'ok', type, payloadStart: at + FRAME_HEADER, payloadEnd, next, crc };
}

const ZERO_CHUNK = Buffer.alloc(4096);

/** True when every byte from `from` on is zero. */
export function allZeroFrom(buf: Buffer, from: number): boolean {
  let at = from;
  for (; at + ZERO_CHUNK.length <= buf.length; at += ZERO_CHUNK.length) {
    if (!ZERO_CHUNK.equals(buf.subarray(at, at + ZERO_CHUNK.length))) return false;
  }
  for (; at < buf.length; at++) if (buf[at] !== 0) return false;
  return true;
}

/** True when some 8-byte boundary in [from, end) starts a frame that verifies. */
export function anyValidFrameFrom(buf: Buffer, from: number): boolean {
  for (let at = from; at + FRAME_HEADER <= buf.length; at += FRAME_ALIGN) {
    // The preallocated tail is mostly zeros: skip whole zero chunks natively.
    if (at % ZERO_CHUNK.length === 0 && at + ZERO_CHUNK.length <= buf.length && ZERO_CHUNK.equals(buf.subarray(at, at + ZERO_CHUNK.length))) {
      at += ZERO_CHUNK.length - FRAME_ALIGN;
      continue;
    }
    const word = buf.readUInt32LE(at);
    if (word === 0) continue;
    const type = word >>> 28;
    if (type < 1 || type > MAX_TYPE) continue;
    if (checkFrame(buf, at).kind === 'ok') return true;
  }
  return false;
}

export interface DecodedSegmentHeader {
  seq: number;
  firstIndex: number;
  prevCrc: number;
}

// Decoders throw RangeError on a payload of the wrong shape; a payload that passed
// its checksum yet does not decode is corruption, which the reader reports.

function expectSize(actual: number, wanted: number, what: string): void {
  if (actual !== wanted) throw new RangeError(`${what} payload is ${actual} bytes, want ${wanted}`);
}

export function decodeSegmentHeader(buf: Buffer, s: number, e: number): DecodedSegmentHeader {
  expectSize(e - s, SEGMENT_HEADER_SIZE, 'segment header');
  return { seq: readU64(buf, s), firstIndex: readU64(buf, s + 8), prevCrc: buf.readUInt32LE(s + 16) };
}

/**
 * Where replayed entry data is copied to: out of the segment buffer, so entries
 * do not pin whole segments in memory, and into shared blocks, so a replay of
 * many small entries makes one allocation per block rather than one per entry.
 */
export class PayloadArena {
  private static readonly BLOCK = 64 * 1024;
  private block = new Uint8Array(0);
  private used = 0;

  copy(src: Buffer, start: number, end: number): Uint8Array {
    const n = end - start;
    if (n > PayloadArena.BLOCK / 8) return new Uint8Array(src.subarray(start, end));
    if (this.used + n > this.block.length) {
      this.block = new Uint8Array(PayloadArena.BLOCK);
      this.used = 0;
    }
    const out = this.block.subarray(this.used, this.used + n);
    out.set(src.subarray(start, end));
    this.used += n;
    return out;
  }
}

export function decodeEntry(buf: Buffer, s: number, e: number, arena: PayloadArena): Entry {
  if (e - s < ENTRY_FIXED) throw new RangeError(`entry payload is ${e - s} bytes`);
  const type = buf[s + 16]!;
  if (type > 1) throw new RangeError(`unknown entry type ${type}`);
  return { index: readU64(buf, s), term: readU64(buf, s + 8), type, data: arena.copy(buf, s + ENTRY_FIXED, e) };
}

export function decodeHardState(buf: Buffer, s: number, e: number): HardState {
  expectSize(e - s, HARD_STATE_SIZE, 'hard state');
  return { term: readU64(buf, s), vote: buf.readBigUInt64LE(s + 8), commit: readU64(buf, s + 16) };
}

export function decodeSnapshot(buf: Buffer, s: number, e: number): { index: number; term: number } {
  expectSize(e - s, SNAPSHOT_SIZE, 'snapshot');
  return { index: readU64(buf, s), term: readU64(buf, s + 8) };
}
