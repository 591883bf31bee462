// etcd's "message" stream and pipeline bodies: each Raft message as its raftpb
// encoding preceded by its length, 8 bytes big-endian (rafthttp's messageEncoder).
// The link heartbeat that keeps an idle stream from timing out is an all-zero
// MsgHeartbeat: Raft never sends a message without From and To.
import { MessageType, NONE, type Message } from '../raft/types.js';
import { messageEncodedSize, newMessage, PbReader, PbWriter, readMessage, writeMessage } from '../raft/index.js';
import type { StreamBuffer } from './stream-buffer.js';
import { readUint64BE, writeUint64BE } from '../pkg/uint64.js';

/** etcd's readBytesLimit: a length beyond this is a corrupt stream, not a message. */
export const MAX_MESSAGE_BYTES = 512 * 1024 * 1024;

export const LINK_HEARTBEAT: Message = Object.freeze(newMessage(MessageType.Heartbeat, NONE));

export function isLinkHeartbeat(m: Message): boolean {
  return m.type === MessageType.Heartbeat && m.from === 0n && m.to === 0n;
}

/** Messages, each framed as etcd frames them, in one buffer: one write for the batch. */
export function encodeMessageStream(messages: readonly Message[]): Buffer {
  let size = 0;
  const sizes = messages.map((m) => messageEncodedSize(m));
  for (const s of sizes) size += 8 + s;
  const buf = Buffer.allocUnsafe(size);
  const w = new PbWriter(buf);
  for (let i = 0; i < messages.length; i++) {
    writeUint64BE(buf, w.pos, sizes[i]!);
    w.pos += 8;
    writeMessage(w, messages[i]!);
  }
  if (w.pos !== size) throw new Error(`message stream: encoded ${w.pos} bytes, sized ${size}`);
  return buf;
}

/** Reads length-prefixed messages as they arrive; undefined until the next one is complete. */
export class MessageStreamDecoder {
  decode(sb: StreamBuffer): Message | undefined {
    if (sb.length < 8) return undefined;
    const n = readUint64BE(sb.head(8), sb.headAt);
    if (n > MAX_MESSAGE_BYTES) throw new RangeError(`message stream: a message of ${n} bytes exceeds ${MAX_MESSAGE_BYTES}`);
    if (sb.length < 8 + n) return undefined;
    const b = sb.head(8 + n);
    const at = sb.headAt + 8;
    const m = readMessage(new PbReader(b, at, at + n));
    sb.consume(8 + n);
    return m;
  }
}
