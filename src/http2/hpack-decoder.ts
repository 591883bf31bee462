// HPACK decoding (RFC 7541 §6): one complete header block in, name/value pairs
// out. Any malformation is a COMPRESSION_ERROR for the whole connection, since
// the two dynamic tables can no longer be assumed in step.
import { huffmanDecode, HuffmanError } from './huffman.js';
import { ENTRY_OVERHEAD, STATIC_COUNT, STATIC_TABLE } from './hpack-static.js';
import { DynamicTable } from './hpack-table.js';
import { validName, validValue } from './field-check.js';

export class HpackError extends Error {}

/** Integers past this are refused: no index, length or size we accept comes near it. */
const MAX_INT = 0x7fff_ffff;

export class HpackDecoder {
  private readonly table: DynamicTable;
  /** Size of the decoded list of the last block (RFC 9113 §6.5.2 accounting). */
  listSize = 0;
  /** False when the last block held a field grpc-go's framer refuses (see field-check.ts). */
  fieldsValid = true;
  private pos = 0;

  /** `limit` is our SETTINGS_HEADER_TABLE_SIZE: the most the encoder may ask for. */
  constructor(private readonly limit: number) {
    this.table = new DynamicTable(limit);
  }

  /**
   * Decodes `src[start, end)` into `out` as name, value, name, value…; past
   * `maxListSize` fields are still decoded (to keep the table in step) but not kept.
   */
  decode(src: Buffer, start: number, end: number, out: string[], maxListSize: number): void {
    const table = this.table;
    this.pos = start;
    this.listSize = 0;
    this.fieldsValid = true;
    let sizeUpdateAllowed = true;
    while (this.pos < end) {
      const b = src[this.pos]!;
      let name: string;
      let value: string;
      let valid: number;
      if (b & 0x80) {
        // Indexed field.
        const index = this.integer(src, end, 7);
        if (index === 0) throw new HpackError('index 0');
        if (index <= STATIC_COUNT) {
          const e = STATIC_TABLE[index - 1]!;
          name = e[0];
          value = e[1];
          valid = 1;
        } else {
          const i = index - STATIC_COUNT;
          if (i > table.count) throw new HpackError(`index ${index} beyond the table`);
          const slot = table.slot(i);
          name = table.names[slot]!;
          value = table.values[slot]!;
          valid = table.valid[slot]!;
        }
        sizeUpdateAllowed = false;
      } else if ((b & 0xe0) === 0x20) {
        // Dynamic table size update: only before the first field (§4.2).
        if (!sizeUpdateAllowed) throw new HpackError('table size update after a field');
        const size = this.integer(src, end, 5);
        if (size > this.limit) throw new HpackError(`table size ${size} above ${this.limit}`);
        table.setMaxSize(size);
        continue;
      } else {
        // Literal: with incremental indexing (01), without (0000) or never indexed (0001).
        const indexing = (b & 0xc0) === 0x40;
        const nameIndex = this.integer(src, end, indexing ? 6 : 4);
        let nameValid = 1;
        if (nameIndex === 0) {
          name = this.string(src, end);
          nameValid = validName(name) ? 1 : 0;
        } else if (nameIndex <= STATIC_COUNT) {
          name = STATIC_TABLE[nameIndex - 1]![0];
        } else {
          const i = nameIndex - STATIC_COUNT;
          if (i > table.count) throw new HpackError(`name index ${nameIndex} beyond the table`);
          const slot = table.slot(i);
          name = table.names[slot]!;
          nameValid = validName(name) ? 1 : 0;
        }
        value = this.string(src, end);
        valid = nameValid && validValue(value) ? 1 : 0;
        if (indexing) table.add(name, value, valid);
        sizeUpdateAllowed = false;
      }
      this.listSize += name.length + value.length + ENTRY_OVERHEAD;
      if (valid === 0) this.fieldsValid = false;
      if (this.listSize <= maxListSize) out.push(name, value);
    }
  }

  /** An integer with an N-bit prefix (§5.1), starting at this.pos. */
  private integer(src: Buffer, end: number, prefixBits: number): number {
    const max = (1 << prefixBits) - 1;
    let value = src[this.pos++]! & max;
    if (value < max) return value;
    let shift = 0;
    for (;;) {
      if (this.pos >= end) throw new HpackError('truncated integer');
      const c = src[this.pos++]!;
      value += (c & 0x7f) * 2 ** shift;
      if (value > MAX_INT) throw new HpackError('integer overflow');
      if ((c & 0x80) === 0) return value;
      shift += 7;
    }
  }

  /** A string literal (§5.2) as latin1. */
  private string(src: Buffer, end: number): string {
    if (this.pos >= end) throw new HpackError('truncated string');
    const huffman = (src[this.pos]! & 0x80) !== 0;
    const len = this.integer(src, end, 7);
    const from = this.pos;
    if (len > end - from) throw new HpackError('string beyond the block');
    this.pos = from + len;
    if (!huffman) return src.toString('latin1', from, from + len);
    try {
      return huffmanDecode(src, from, from + len);
    } catch (err) {
      if (err instanceof HuffmanError) throw new HpackError(err.message);
      throw err;
    }
  }
}
