// etcdctl dials per-endpoint calls (endpoint status, hashkv, defrag) with the
// endpoint string itself as the HTTP/2 :authority, e.g. "http://127.0.0.1:2379".
// grpc-go's server accepts that; nghttp2 (inside node:http2) rejects the '/' and
// resets the stream. So before a cleartext connection reaches nghttp2, this gate
// reads the client's first frames itself: it sends an empty SETTINGS, answers the
// client's ACK and PINGs, and once the first request's HEADERS arrive it rewrites an
// invalid :authority value byte for byte ('/' → '_', same length, so both HPACK
// dynamic tables stay in step), then hands the socket — native, no copying layer —
// to nghttp2 with the buffered frames put back in front.
import type { Socket } from 'node:net';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const hpack = require('hpack.js');

const PREFACE_LEN = 24;
const FRAME_HEADER = 9;
const T_HEADERS = 1;
const T_SETTINGS = 4;
const T_PING = 6;
const T_CONTINUATION = 9;
const F_ACK = 0x1;
const F_END_HEADERS = 0x4;
const F_PADDED = 0x8;
const F_PRIORITY = 0x20;
const DEFAULT_MAX_FRAME = 16384;
/** How long to wait, after the first request, for the client's ACK of our SETTINGS. */
const ACK_WAIT_MS = 2000;
/** Give up inspecting (and hand over untouched) past this many buffered bytes. */
const MAX_GATE_BYTES = 256 * 1024;

const EMPTY_SETTINGS = Buffer.from([0, 0, 0, T_SETTINGS, 0, 0, 0, 0, 0]);

/** Characters nghttp2 accepts in :authority (RFC 3986 authority). */
const VALID_AUTHORITY = /^[A-Za-z0-9\-._~!$&'()*+,;=:@[\]%]*$/;

export function gateH2(socket: Socket, handOff: (socket: Socket) => void): { release(): void } {
  let buf: Buffer = Buffer.alloc(0);
  let ackDropped = false;
  let done = false;
  const kept: Buffer[] = [];
  let pos = 0;
  let headerBlock: { frames: number[] } | undefined;
  let headersDone = false;
  let ackTimer: NodeJS.Timeout | undefined;

  const finish = () => {
    if (done) return;
    done = true;
    if (ackTimer) clearTimeout(ackTimer);
    socket.removeListener('data', onData);
    socket.removeListener('error', onError);
    socket.pause();
    const rest = buf.subarray(pos);
    socket.unshift(Buffer.concat(kept.length ? [...kept, rest] : [buf]));
    handOff(socket);
  };
  const onError = () => socket.destroy();

  const step = () => {
    if (kept.length === 0) {
      if (buf.length < PREFACE_LEN) return;
      kept.push(Buffer.from(buf.subarray(0, PREFACE_LEN)));
      pos = PREFACE_LEN;
    }
    while (!done) {
      if (buf.length - pos < FRAME_HEADER) return;
      const len = buf.readUIntBE(pos, 3);
      const type = buf[pos + 3]!;
      const flags = buf[pos + 4]!;
      // Not HTTP/2 as a client may send it before our SETTINGS allow more (or a first
      // frame that isn't SETTINGS): nghttp2 answers such a peer with its own error.
      if (len > DEFAULT_MAX_FRAME || (kept.length === 1 && type !== T_SETTINGS)) return finish();
      if (buf.length - pos < FRAME_HEADER + len) {
        if (buf.length > MAX_GATE_BYTES) finish();
        return;
      }
      const frame = buf.subarray(pos, pos + FRAME_HEADER + len);
      pos += FRAME_HEADER + len;
      if (type === T_SETTINGS && flags & F_ACK && !ackDropped) {
        ackDropped = true; // the ACK of our own empty SETTINGS: nghttp2 never sent it
        if (headersDone) finish();
        continue;
      }
      if (type === T_PING && !(flags & F_ACK)) {
        const ack = Buffer.from(frame);
        ack[4] = F_ACK;
        socket.write(ack);
        continue;
      }
      if (!headersDone && (type === T_HEADERS || (type === T_CONTINUATION && headerBlock))) {
        kept.push(Buffer.from(frame));
        if (!headerBlock) headerBlock = { frames: [] };
        headerBlock.frames.push(kept.length - 1);
        if (flags & F_END_HEADERS && !headersDone) {
          headersDone = true;
          repairAuthority(kept, headerBlock.frames);
          // The client's ACK of our SETTINGS must not reach nghttp2, which never sent them.
          if (ackDropped) finish();
          else ackTimer = setTimeout(finish, ACK_WAIT_MS);
        }
        continue;
      }
      kept.push(Buffer.from(frame));
      if (headersDone && ackDropped) finish();
    }
  };

  const onData = (chunk: Buffer) => {
    buf = buf.length === pos ? chunk : Buffer.concat([buf.subarray(pos), chunk]);
    pos = 0;
    step();
  };

  socket.write(EMPTY_SETTINGS);
  socket.once('close', () => {
    done = true;
    if (ackTimer) clearTimeout(ackTimer);
  });
  socket.on('error', onError);
  socket.on('data', onData);
  socket.resume();
  // Hands the connection to nghttp2 as it is, e.g. so that it can say GOAWAY at close.
  return { release: finish };
}

/**
 * Rewrites, in place, a literal :authority value that nghttp2 would reject. Works on a
 * header block that fits in its HEADERS frame (CONTINUATION blocks are left alone).
 */
function repairAuthority(kept: Buffer[], frameIdx: number[]): void {
  if (frameIdx.length !== 1) return;
  const frame = kept[frameIdx[0]!]!;
  const flags = frame[4]!;
  let p = FRAME_HEADER;
  let end = frame.length;
  if (flags & F_PADDED) {
    end -= frame[p]!;
    p += 1;
  }
  if (flags & F_PRIORITY) p += 5;
  const block = frame.subarray(p, end);
  const found = findAuthority(block);
  if (!found) return;
  const value = found.huffman ? Buffer.from(huffmanDecode(block.subarray(found.valueStart, found.valueEnd))) : block.subarray(found.valueStart, found.valueEnd);
  const text = value.toString('latin1');
  if (VALID_AUTHORITY.test(text)) return;
  const fixed = Buffer.from(text.replace(/[^A-Za-z0-9\-._~!$&'()*+,;=:@[\]%]/g, '_'), 'latin1');
  // A raw (non-Huffman) string literal with the same decoded length.
  const lenPrefix = encodeInt(fixed.length, 7, 0x00);
  const newBlock = Buffer.concat([block.subarray(0, found.lengthStart), lenPrefix, fixed, block.subarray(found.valueEnd)]);
  const head = Buffer.from(frame.subarray(0, FRAME_HEADER));
  const pre = frame.subarray(FRAME_HEADER, p);
  const pad = frame.subarray(end);
  const body = Buffer.concat([pre, newBlock, pad]);
  head.writeUIntBE(body.length, 0, 3);
  kept[frameIdx[0]!] = Buffer.concat([head, body]);
}

interface Found {
  lengthStart: number;
  valueStart: number;
  valueEnd: number;
  huffman: boolean;
}

/** Walks an HPACK block for a literal whose name is :authority (static index 1 or spelled out). */
function findAuthority(block: Buffer): Found | undefined {
  let p = 0;
  while (p < block.length) {
    const b = block[p]!;
    if (b & 0x80) {
      p = decodeInt(block, p, 7).next; // indexed field: no literal value here
      continue;
    }
    if ((b & 0xe0) === 0x20) {
      p = decodeInt(block, p, 5).next; // dynamic table size update
      continue;
    }
    const prefix = (b & 0xc0) === 0x40 ? 6 : 4;
    const nameIdx = decodeInt(block, p, prefix);
    p = nameIdx.next;
    let isAuthority = nameIdx.value === 1;
    if (nameIdx.value === 0) {
      const name = readString(block, p);
      const nameBytes = name.huffman ? Buffer.from(huffmanDecode(block.subarray(name.start, name.end))) : block.subarray(name.start, name.end);
      isAuthority = nameBytes.toString('latin1') === ':authority';
      p = name.end;
    }
    const value = readString(block, p);
    if (isAuthority) return { lengthStart: p, valueStart: value.start, valueEnd: value.end, huffman: value.huffman };
    p = value.end;
  }
  return undefined;
}

function readString(block: Buffer, p: number): { start: number; end: number; huffman: boolean } {
  const huffman = (block[p]! & 0x80) !== 0;
  const len = decodeInt(block, p, 7);
  const end = len.next + len.value;
  if (end > block.length) throw new Error('hpack: string beyond block');
  return { start: len.next, end, huffman };
}

function decodeInt(block: Buffer, p: number, prefixBits: number): { value: number; next: number } {
  const mask = (1 << prefixBits) - 1;
  let value = block[p]! & mask;
  p++;
  if (value < mask) return { value, next: p };
  let m = 0;
  for (;;) {
    if (p >= block.length) throw new Error('hpack: truncated integer');
    const c = block[p++]!;
    value += (c & 0x7f) * 2 ** m;
    m += 7;
    if (!(c & 0x80)) return { value, next: p };
    if (m > 28) throw new Error('hpack: integer too large');
  }
}

function encodeInt(value: number, prefixBits: number, firstByteFlags: number): Buffer {
  const mask = (1 << prefixBits) - 1;
  if (value < mask) return Buffer.from([firstByteFlags | value]);
  const out = [firstByteFlags | mask];
  value -= mask;
  while (value >= 0x80) {
    out.push((value & 0x7f) | 0x80);
    value = Math.floor(value / 128);
  }
  out.push(value);
  return Buffer.from(out);
}

function huffmanDecode(bytes: Uint8Array): number[] {
  const d = hpack.decoder.create();
  const lenPrefix = encodeInt(bytes.length, 7, 0x80);
  d.push(Buffer.concat([lenPrefix, Buffer.from(bytes)]));
  return d.decodeStr();
}
