// HPACK encoding (RFC 7541 §6) of the headers this server sends. Only fields
// whose values come from a small fixed set (content-type, grpc-status, …) enter
// the dynamic table, so after the first responses the table stops changing and
// a HeaderBlock's bytes, kept per encoder and table generation, are copied as they are.
import { huffmanEncode, huffmanLength } from './huffman.js';
import { ENTRY_OVERHEAD, STATIC_COUNT, STATIC_NAME_INDEX, STATIC_PAIR_INDEX } from './hpack-static.js';
import { DynamicTable } from './hpack-table.js';
import { DEFAULT_HEADER_TABLE } from './constants.js';

/** Names whose values repeat from a small set: worth a dynamic table entry. */
const INDEXED_NAMES = new Set([
  'content-type',
  'grpc-accept-encoding',
  'grpc-encoding',
  'grpc-status',
  'access-control-allow-headers',
  'access-control-allow-methods',
  'access-control-allow-origin',
  'grpc-metadata-content-type',
  'x-content-type-options',
  'allow',
]);
/** Longest value worth indexing. */
const MAX_INDEXED_VALUE = 128;

/**
 * A fixed list of fields (name, value, name, value…) sent over and over: each
 * encoder keeps its encoding while its table is unchanged. Make one per kind of
 * response, not one per response.
 */
export class HeaderBlock {
  readonly maxLength: number;
  constructor(readonly fields: readonly string[]) {
    this.maxLength = maxEncodedLength(fields);
  }
}

/** HeaderBlocks whose bytes an encoder keeps. */
const CACHED_BLOCKS = 8;

/** An upper bound on the encoded size of `fields`. */
export function maxEncodedLength(fields: readonly string[]): number {
  let n = 6; // a table size update
  for (let i = 0; i < fields.length; i += 2) n += fields[i]!.length + fields[i + 1]!.length + 12;
  return n;
}

class EncoderTable extends DynamicTable {
  readonly seqOf = new Map<string, number>();
  protected override onEvict(name: string, value: string, seq: number): void {
    const key = name + '\0' + value;
    if (this.seqOf.get(key) === seq) this.seqOf.delete(key);
  }
}

export class HpackEncoder {
  private readonly table = new EncoderTable(DEFAULT_HEADER_TABLE);
  /** Changes whenever the table does; cached HeaderBlock bytes from another generation are stale. */
  gen = 0;
  private pendingSizeUpdate = -1;
  private readonly cachedBlocks: HeaderBlock[] = [];
  private readonly cachedBytes: Buffer[] = [];
  private readonly cachedGen: number[] = [];
  private nextEvict = 0;

  /** The peer's SETTINGS_HEADER_TABLE_SIZE; we use at most the default 4096. */
  setPeerTableSize(size: number): void {
    const max = Math.min(size, DEFAULT_HEADER_TABLE);
    if (max === this.table.maxSize && this.pendingSizeUpdate < 0) return;
    this.table.setMaxSize(max);
    this.pendingSizeUpdate = max;
    this.gen++;
  }

  /** Writes the block at dst[at] (room for block.maxLength is the caller's); returns the end. */
  encodeBlock(block: HeaderBlock, dst: Buffer, at: number): number {
    const blocks = this.cachedBlocks;
    let slot = blocks.indexOf(block);
    if (slot >= 0 && this.cachedGen[slot] === this.gen) {
      const bytes = this.cachedBytes[slot]!;
      if (bytes.length > 64) {
        dst.set(bytes, at);
        return at + bytes.length;
      }
      // Usually a few bytes (indexes into the table): copied by hand, cheaper than a native copy.
      for (let i = 0; i < bytes.length; i++) dst[at++] = bytes[i]!;
      return at;
    }
    const gen = this.gen;
    const end = this.encode(block.fields, dst, at);
    if (this.gen === gen) {
      if (slot < 0) {
        slot = blocks.length < CACHED_BLOCKS ? blocks.length : this.nextEvict++ % CACHED_BLOCKS;
        blocks[slot] = block;
      }
      this.cachedBytes[slot] = Buffer.from(dst.subarray(at, end));
      this.cachedGen[slot] = gen;
    }
    return end;
  }

  /** Writes `fields` at dst[at] (room for maxEncodedLength(fields) is the caller's); returns the end. */
  encode(fields: readonly string[], dst: Buffer, at: number): number {
    if (this.pendingSizeUpdate >= 0) {
      at = integer(dst, at, this.pendingSizeUpdate, 5, 0x20);
      this.pendingSizeUpdate = -1;
    }
    const table = this.table;
    for (let i = 0; i < fields.length; i += 2) {
      const name = fields[i]!;
      const value = fields[i + 1]!;
      const key = name + '\0' + value;
      const full = STATIC_PAIR_INDEX.get(key);
      if (full !== undefined) {
        at = integer(dst, at, full, 7, 0x80);
        continue;
      }
      const seq = table.seqOf.get(key);
      if (seq !== undefined) {
        at = integer(dst, at, STATIC_COUNT + table.inserted - seq, 7, 0x80);
        continue;
      }
      const nameIndex = STATIC_NAME_INDEX.get(name) ?? 0;
      if (INDEXED_NAMES.has(name) && value.length <= MAX_INDEXED_VALUE && name.length + value.length + ENTRY_OVERHEAD <= table.maxSize) {
        at = integer(dst, at, nameIndex, 6, 0x40);
        if (nameIndex === 0) at = string(dst, at, name);
        at = string(dst, at, value);
        table.seqOf.set(key, table.inserted);
        table.add(name, value, 1);
        this.gen++;
      } else {
        at = integer(dst, at, nameIndex, 4, 0x00);
        if (nameIndex === 0) at = string(dst, at, name);
        at = string(dst, at, value);
      }
    }
    return at;
  }
}

function integer(dst: Buffer, at: number, value: number, prefixBits: number, flags: number): number {
  const max = (1 << prefixBits) - 1;
  if (value < max) {
    dst[at++] = flags | value;
    return at;
  }
  dst[at++] = flags | max;
  value -= max;
  while (value >= 0x80) {
    dst[at++] = (value & 0x7f) | 0x80;
    value = Math.floor(value / 128);
  }
  dst[at++] = value;
  return at;
}

/** A string literal, Huffman-coded when that is shorter. */
function string(dst: Buffer, at: number, s: string): number {
  const h = s.length > 4 ? huffmanLength(s) : s.length;
  if (h < s.length) {
    at = integer(dst, at, h, 7, 0x80);
    return huffmanEncode(s, dst, at);
  }
  at = integer(dst, at, s.length, 7, 0x00);
  return at + dst.write(s, at, 'latin1');
}
