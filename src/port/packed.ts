// The hot calls of the member port (Range, Put, DeleteRange, Txn, LeaseKeepAlive) and their answers
// cross between threads packed into one byte buffer per turn, moved rather than
// copied: a structured clone of a request object costs several microseconds on each
// side, while these records are the request's own protobuf bytes behind a few
// bytes of framing.
//
//   call   : kind=1 u8, id u32, method u8, token str16, commonName str16, payload bytes32
//   answer : kind=2 u8, id u32, payload bytes32
//   error  : kind=3 u8, id u32, code u8, message str16
//   watch  : kind=4 u8, stream u32, payload bytes32 (an encoded WatchResponse)
//   body   : kind=5 u8, body u32, header bytes32, events bytes32 (a WatchEventsBody, once per buffer)
//   shared : kind=6 u8, stream u32, body u32, watchId f64 (an events response: that body, this ID)
// (str16: u16 length then UTF-8; bytes32: u32 length then the bytes; big-endian.)

import type { SharedWatchResponse, WatchEventsBody } from '../pb/watch-wire.js';

export enum PackedKind {
  Call = 1,
  Answer = 2,
  Error = 3,
  Watch = 4,
  WatchBody = 5,
  WatchShared = 6,
}

/** The packed methods, by their number on the wire. */
export const PACKED_METHODS = ['range', 'put', 'deleteRange', 'txn', 'leaseKeepAlive'] as const;
export type PackedMethod = (typeof PACKED_METHODS)[number];
const METHOD_CODE = new Map<string, number>(PACKED_METHODS.map((m, i) => [m, i]));

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

/** Largest payload a record may carry: a message over this is not a request etcd would take. */
export const MAX_PACKED_PAYLOAD = 0x7fffffff;

export class PackedWriter {
  private buf = new Uint8Array(4096);
  private view = new DataView(this.buf.buffer);
  private pos = 0;
  /** The watch bodies already in this buffer, by their number in it. */
  private bodies = new Map<WatchEventsBody, number>();

  get length(): number {
    return this.pos;
  }

  call(id: number, method: PackedMethod, token: string | undefined, commonName: string | undefined, payload: Uint8Array): void {
    const code = METHOD_CODE.get(method);
    if (code === undefined) throw new Error(`packed: ${method} is not a packed method`);
    this.u8(PackedKind.Call);
    this.u32(id);
    this.u8(code);
    this.str16(token ?? '');
    this.str16(commonName ?? '');
    this.bytes32(payload);
  }

  answer(id: number, payload: Uint8Array): void {
    this.u8(PackedKind.Answer);
    this.u32(id);
    this.bytes32(payload);
  }

  watch(stream: number, payload: Uint8Array): void {
    this.u8(PackedKind.Watch);
    this.u32(stream);
    this.bytes32(payload);
  }

  /** An events response as its shared body (written into the buffer once) and its watch ID. */
  watchShared(stream: number, r: SharedWatchResponse): void {
    let body = this.bodies.get(r.body);
    if (body === undefined) {
      body = this.bodies.size;
      this.bodies.set(r.body, body);
      this.u8(PackedKind.WatchBody);
      this.u32(body);
      this.bytes32(r.body.header);
      this.bytes32(r.body.events);
    }
    this.u8(PackedKind.WatchShared);
    this.u32(stream);
    this.u32(body);
    this.ensure(8);
    this.view.setFloat64(this.pos, r.watchId);
    this.pos += 8;
  }

  error(id: number, code: number, message: string): void {
    this.u8(PackedKind.Error);
    this.u32(id);
    this.u8(code);
    this.str16(message);
  }

  /** The records written so far, in a buffer of their own (to be moved to the other thread); the writer starts over. */
  take(): ArrayBuffer {
    const out = this.buf.buffer.slice(0, this.pos);
    this.pos = 0;
    this.bodies.clear();
    return out;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  private u8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v;
  }

  private u32(v: number): void {
    this.ensure(4);
    this.view.setUint32(this.pos, v);
    this.pos += 4;
  }

  private str16(s: string): void {
    // A UTF-8 string takes at most 3 bytes per UTF-16 unit.
    this.ensure(2 + s.length * 3);
    const { written } = utf8.encodeInto(s, this.buf.subarray(this.pos + 2));
    if (written > 0xffff) throw new Error('packed: string longer than 65535 bytes');
    this.view.setUint16(this.pos, written);
    this.pos += 2 + written;
  }

  private bytes32(b: Uint8Array): void {
    if (b.byteLength > MAX_PACKED_PAYLOAD) throw new Error('packed: payload too large');
    this.u32(b.byteLength);
    this.ensure(b.byteLength);
    this.buf.set(b, this.pos);
    this.pos += b.byteLength;
  }
}

export type PackedRecord =
  | { kind: PackedKind.Call; id: number; method: PackedMethod; token?: string; commonName?: string; payload: Uint8Array }
  | { kind: PackedKind.Answer; id: number; payload: Uint8Array }
  | { kind: PackedKind.Error; id: number; code: number; message: string }
  | { kind: PackedKind.Watch; id: number; payload: Uint8Array }
  | { kind: PackedKind.WatchShared; id: number; watchId: number; header: Uint8Array; events: Uint8Array };

/** Walks the records of one buffer; payloads are views into it (the buffer belongs to this thread now). */
export function* readPacked(buffer: ArrayBuffer): Generator<PackedRecord> {
  const bytes = new Uint8Array(buffer);
  const view = new DataView(buffer);
  let pos = 0;
  const need = (n: number) => {
    if (pos + n > bytes.length) throw new Error('packed: truncated record');
  };
  const u8 = () => (need(1), bytes[pos++]!);
  const u32 = () => {
    need(4);
    const v = view.getUint32(pos);
    pos += 4;
    return v;
  };
  const str16 = () => {
    need(2);
    const n = view.getUint16(pos);
    pos += 2;
    need(n);
    const s = fromUtf8.decode(bytes.subarray(pos, pos + n));
    pos += n;
    return s;
  };
  const bytes32 = () => {
    const n = u32();
    need(n);
    const b = bytes.subarray(pos, pos + n);
    pos += n;
    return b;
  };
  const bodies: Array<{ header: Uint8Array; events: Uint8Array }> = [];
  while (pos < bytes.length) {
    const kind = u8();
    const id = u32();
    if (kind === PackedKind.Call) {
      const code = u8();
      const method = PACKED_METHODS[code];
      if (method === undefined) throw new Error(`packed: unknown method ${code}`);
      const token = str16();
      const commonName = str16();
      yield { kind, id, method, token: token || undefined, commonName: commonName || undefined, payload: bytes32() };
    } else if (kind === PackedKind.Answer) {
      yield { kind, id, payload: bytes32() };
    } else if (kind === PackedKind.Watch) {
      yield { kind, id, payload: bytes32() };
    } else if (kind === PackedKind.WatchBody) {
      if (id !== bodies.length) throw new Error(`packed: watch body ${id} out of order`);
      const header = bytes32();
      bodies.push({ header, events: bytes32() });
    } else if (kind === PackedKind.WatchShared) {
      const body = bodies[u32()];
      if (body === undefined) throw new Error('packed: watch response of an unknown body');
      need(8);
      const watchId = view.getFloat64(pos);
      pos += 8;
      yield { kind, id, watchId, header: body.header, events: body.events };
    } else if (kind === PackedKind.Error) {
      const code = u8();
      yield { kind, id, code, message: str16() };
    } else {
      throw new Error(`packed: unknown record kind ${kind}`);
    }
  }
}
