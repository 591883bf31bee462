// HPACK's Huffman code (RFC 7541 Appendix B). The code is canonical: each
// symbol's code follows from the code lengths alone (shorter codes first, ties
// by symbol), so the table below is just the 257 lengths; symbol 256 is EOS.
//
// Decoding runs a 4-bit state machine built from the code tree at load: two
// table lookups per input byte, at most one symbol out per nibble (no code is
// shorter than 5 bits).

const LENGTHS = [
  13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28,
  6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6, 5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10,
  13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6,
  15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5, 6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28,
  20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23, 24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24,
  22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23, 21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23,
  26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25, 19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27,
  20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23, 26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26,
  30,
];
const EOS = 256;

/** Each symbol's code, right-aligned, and its length in bits. */
const CODES = new Uint32Array(257);
const BITS = new Uint8Array(257);

/** Decoder states are the internal nodes of the code tree; the root is state 0. */
const ACCEPT = 1; // ending here leaves only valid padding (a prefix of EOS, under 8 bits)
const EMIT = 2; // this transition produced a symbol
const FAIL = 4; // this transition decoded EOS, which must never appear in a string
/** Per (state, nibble): next state, flags, symbol. */
let NEXT: Uint16Array;
let FLAGS: Uint8Array;
let SYM: Uint8Array;

function build(): void {
  const order = LENGTHS.map((len, sym) => ({ len, sym })).sort((a, b) => a.len - b.len || a.sym - b.sym);
  let code = 0;
  let prev = order[0]!.len;
  for (let i = 0; i < order.length; i++) {
    const { len, sym } = order[i]!;
    if (i > 0) code = (code + 1) * 2 ** (len - prev);
    prev = len;
    CODES[sym] = code;
    BITS[sym] = len;
  }
  // The code tree: child[node*2 + bit] is another node (>= 0) or a leaf (-1 - symbol).
  const child: number[] = [0, 0];
  let nodes = 1;
  for (let sym = 0; sym <= EOS; sym++) {
    let node = 0;
    for (let b = BITS[sym]! - 1; b >= 0; b--) {
      const bit = Math.floor(CODES[sym]! / 2 ** b) & 1;
      const slot = node * 2 + bit;
      if (b === 0) {
        child[slot] = -1 - sym;
      } else {
        if (child[slot] === 0) {
          child[slot] = nodes++;
          child.push(0, 0);
        }
        node = child[slot]!;
      }
    }
  }
  // States reached from the root by 1..7 one-bits are where padding may end.
  const accepting = new Uint8Array(nodes);
  accepting[0] = 1;
  for (let node = 0, depth = 0; depth < 7; depth++) {
    node = child[node * 2 + 1]!;
    accepting[node] = 1;
  }
  NEXT = new Uint16Array(nodes * 16);
  FLAGS = new Uint8Array(nodes * 16);
  SYM = new Uint8Array(nodes * 16);
  for (let state = 0; state < nodes; state++) {
    for (let nib = 0; nib < 16; nib++) {
      let node = state;
      let flags = 0;
      let sym = 0;
      for (let b = 3; b >= 0; b--) {
        const next = child[node * 2 + ((nib >> b) & 1)]!;
        if (next < 0) {
          if (-1 - next === EOS) {
            flags |= FAIL;
            break;
          }
          sym = -1 - next;
          flags |= EMIT;
          node = 0;
        } else {
          node = next;
        }
      }
      const i = state * 16 + nib;
      NEXT[i] = node;
      SYM[i] = sym;
      FLAGS[i] = flags | (accepting[node] ? ACCEPT : 0);
    }
  }
}
build();

export class HuffmanError extends Error {}

/** Decodes `src[start, end)` to a latin1 string (header octets as one-byte chars). */
export function huffmanDecode(src: Uint8Array, start: number, end: number): string {
  // A string decodes to at most 8/5 of its length.
  const out = scratch(((end - start) * 8) / 5 + 1);
  let n = 0;
  let state = 0;
  let accept = true;
  for (let i = start; i < end; i++) {
    const byte = src[i]!;
    let t = state * 16 + (byte >> 4);
    let f = FLAGS[t]!;
    if (f & FAIL) throw new HuffmanError('EOS in Huffman string');
    if (f & EMIT) out[n++] = SYM[t]!;
    state = NEXT[t]!;
    t = state * 16 + (byte & 15);
    f = FLAGS[t]!;
    if (f & FAIL) throw new HuffmanError('EOS in Huffman string');
    if (f & EMIT) out[n++] = SYM[t]!;
    state = NEXT[t]!;
    accept = (f & ACCEPT) !== 0;
  }
  if (!accept) throw new HuffmanError('invalid Huffman padding');
  return out.toString('latin1', 0, n);
}

let scratchBuf = Buffer.allocUnsafe(256);
function scratch(size: number): Buffer {
  if (scratchBuf.length < size) scratchBuf = Buffer.allocUnsafe(Math.ceil(size));
  return scratchBuf;
}

/** Length in bytes of the Huffman encoding of a latin1 string. */
export function huffmanLength(s: string): number {
  let bits = 0;
  for (let i = 0; i < s.length; i++) bits += BITS[s.charCodeAt(i) & 0xff]!;
  return Math.ceil(bits / 8);
}

/** Writes the Huffman encoding of a latin1 string at `dst[at]`; returns the end offset. */
export function huffmanEncode(s: string, dst: Uint8Array, at: number): number {
  // acc holds fewer than 8 pending bits above each new code (at most 37 bits: exact in a double).
  let acc = 0;
  let bits = 0;
  for (let i = 0; i < s.length; i++) {
    const sym = s.charCodeAt(i) & 0xff;
    const len = BITS[sym]!;
    acc = acc * 2 ** len + CODES[sym]!;
    bits += len;
    while (bits >= 8) {
      bits -= 8;
      const div = 2 ** bits;
      const byte = Math.floor(acc / div);
      dst[at++] = byte;
      acc -= byte * div;
    }
  }
  if (bits > 0) dst[at++] = (acc << (8 - bits)) | (0xff >> bits); // pad with EOS's leading ones
  return at;
}
