// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum etcd's WAL
// uses. Node 20 ships only CRC-32 (zlib), so this is a slicing-by-8 table
// implementation: eight 256-entry tables let the hot loop consume 8 bytes per step,
// which matters because every WAL byte is checksummed on write and on replay.

const POLY = 0x82f63b78;
const TABLES: Int32Array[] = buildTables();

function buildTables(): Int32Array[] {
  const tables = Array.from({ length: 8 }, () => new Int32Array(256));
  const t0 = tables[0]!;
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
    t0[n] = c;
  }
  for (let n = 0; n < 256; n++) {
    let c = t0[n]!;
    for (let k = 1; k < 8; k++) {
      c = t0[c & 0xff]! ^ (c >>> 8);
      tables[k]![n] = c;
    }
  }
  return tables;
}

const [T0, T1, T2, T3, T4, T5, T6, T7] = TABLES as [
  Int32Array, Int32Array, Int32Array, Int32Array, Int32Array, Int32Array, Int32Array, Int32Array,
];

/**
 * Continues a CRC-32C over `data[start, end)`. Pass the previous result as `crc`
 * to checksum discontiguous pieces as one stream; start a fresh stream with 0.
 */
export function crc32c(data: Uint8Array, crc = 0, start = 0, end = data.length): number {
  let c = ~crc;
  let i = start;
  const stop8 = end - ((end - start) & 7);
  while (i < stop8) {
    const lo = c ^ (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24));
    c =
      T7[lo & 0xff]! ^
      T6[(lo >>> 8) & 0xff]! ^
      T5[(lo >>> 16) & 0xff]! ^
      T4[lo >>> 24]! ^
      T3[data[i + 4]!]! ^
      T2[data[i + 5]!]! ^
      T1[data[i + 6]!]! ^
      T0[data[i + 7]!]!;
    i += 8;
  }
  while (i < end) c = T0[(c ^ data[i++]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

/** Incremental form, like Go's hash.Hash32, for hashes built from many pieces (HashKV). */
export class Crc32c {
  private crc = 0;

  update(b: Uint8Array): this {
    this.crc = crc32c(b, this.crc);
    return this;
  }

  digest(): number {
    return this.crc >>> 0;
  }
}
