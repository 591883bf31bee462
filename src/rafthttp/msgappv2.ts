// etcd's msgappv2 stream, which carries a leader's MsgApps to one follower. Both ends
// track the term and index the last message left off at, so a MsgApp that carries
// on from there (the common case while replicating) travels as its entries and
// commit index alone:
//   link heartbeat   0x00
//   AppEntries       0x01, u64 count, per entry (u64 size, raftpb Entry), u64 commit
//   MsgApp           0x02, u64 size, raftpb Message
// (all integers 8 bytes big-endian). From and To are implied by the stream.
import { MessageType, type Entry, type Message, type NodeId } from '../raft/types.js';
import { entryEncodedSize, messageEncodedSize, PbReader, PbWriter, readEntry, readMessage, writeEntry, writeMessage } from '../raft/index.js';

function readEntryAt(b: Uint8Array, at: number, size: number): Entry {
  return readEntry(new PbReader(b, at, at + size));
}
import { isLinkHeartbeat, LINK_HEARTBEAT, MAX_MESSAGE_BYTES } from './msg-codec.js';
import type { StreamBuffer } from './stream-buffer.js';
import { readUint64BE, writeUint64BE } from '../pkg/uint64.js';

const TYPE_LINK_HEARTBEAT = 0;
const TYPE_APP_ENTRIES = 1;
const TYPE_APP = 2;

export class MsgAppV2Encoder {
  private term = 0;
  private index = 0;

  /** The batch as one buffer; the encoder's state moves on as each message is written. */
  encode(messages: readonly Message[]): Buffer {
    let size = 0;
    const plan: Array<{ kind: number; sizes?: number[]; size?: number }> = [];
    // Sizing walks the same state the writing does, on a copy.
    let term = this.term;
    let index = this.index;
    for (const m of messages) {
      if (isLinkHeartbeat(m)) {
        plan.push({ kind: TYPE_LINK_HEARTBEAT });
        size += 1;
      } else if (index === m.index && term === m.logTerm && m.logTerm === m.term) {
        const sizes = m.entries.map((e) => entryEncodedSize(e));
        plan.push({ kind: TYPE_APP_ENTRIES, sizes });
        size += 1 + 8 + 8;
        for (const s of sizes) size += 8 + s;
        index += m.entries.length;
      } else {
        const s = messageEncodedSize(m);
        plan.push({ kind: TYPE_APP, size: s });
        size += 1 + 8 + s;
        term = m.term;
        index = m.entries.length > 0 ? m.entries[m.entries.length - 1]!.index : m.index;
      }
    }
    const buf = Buffer.allocUnsafe(size);
    const w = new PbWriter(buf);
    for (let i = 0; i < messages.length; i++) {
      const m = messages[i]!;
      const p = plan[i]!;
      buf[w.pos++] = p.kind;
      if (p.kind === TYPE_APP_ENTRIES) {
        writeUint64BE(buf, w.pos, m.entries.length);
        w.pos += 8;
        for (let j = 0; j < m.entries.length; j++) {
          writeUint64BE(buf, w.pos, p.sizes![j]!);
          w.pos += 8;
          writeEntry(w, m.entries[j]!);
        }
        writeUint64BE(buf, w.pos, m.commit);
        w.pos += 8;
        this.index += m.entries.length;
      } else if (p.kind === TYPE_APP) {
        writeUint64BE(buf, w.pos, p.size!);
        w.pos += 8;
        writeMessage(w, m);
        this.term = m.term;
        this.index = m.entries.length > 0 ? m.entries[m.entries.length - 1]!.index : m.index;
      }
    }
    if (w.pos !== size) throw new Error(`msgappv2: encoded ${w.pos} bytes, sized ${size}`);
    return buf;
  }
}

export class MsgAppV2Decoder {
  private term = 0;
  private index = 0;
  /** Bytes the record at the head needs before it is worth looking at again. */
  private need = 1;

  constructor(
    private readonly local: NodeId,
    private readonly remote: NodeId,
  ) {}

  decode(sb: StreamBuffer): Message | undefined {
    if (sb.length < this.need) return undefined;
    const type = sb.peek();
    switch (type) {
      case TYPE_LINK_HEARTBEAT:
        sb.consume(1);
        return LINK_HEARTBEAT;
      case TYPE_APP_ENTRIES:
        return this.appEntries(sb);
      case TYPE_APP: {
        if (!this.has(sb, 9)) return undefined;
        const n = readUint64BE(sb.head(9), sb.headAt + 1);
        if (n > MAX_MESSAGE_BYTES) throw new RangeError(`msgappv2: a message of ${n} bytes exceeds ${MAX_MESSAGE_BYTES}`);
        if (!this.has(sb, 9 + n)) return undefined;
        const b = sb.head(9 + n);
        const at = sb.headAt + 9;
        const m = readMessage(new PbReader(b, at, at + n));
        sb.consume(9 + n);
        this.need = 1;
        this.term = m.term;
        this.index = m.entries.length > 0 ? m.entries[m.entries.length - 1]!.index : m.index;
        return m;
      }
      default:
        throw new RangeError(`failed to parse type ${type} in msgappv2 stream`);
    }
  }

  private has(sb: StreamBuffer, n: number): boolean {
    if (sb.length >= n) return true;
    this.need = n;
    return false;
  }

  private appEntries(sb: StreamBuffer): Message | undefined {
    if (!this.has(sb, 9)) return undefined;
    const count = readUint64BE(sb.head(9), sb.headAt + 1);
    let pos = 9;
    const spans: Array<[number, number]> = [];
    for (let i = 0; i < count; i++) {
      if (!this.has(sb, pos + 8)) return undefined;
      const size = readUint64BE(sb.head(pos + 8), sb.headAt + pos);
      if (size > MAX_MESSAGE_BYTES) throw new RangeError(`msgappv2: an entry of ${size} bytes exceeds ${MAX_MESSAGE_BYTES}`);
      pos += 8;
      if (!this.has(sb, pos + size)) return undefined;
      spans.push([pos, size]);
      pos += size;
    }
    if (!this.has(sb, pos + 8)) return undefined;
    const b = sb.head(pos + 8);
    const base = sb.headAt;
    const entries: Entry[] = spans.map(([at, size]) => readEntryAt(b, base + at, size));
    const m: Message = {
      type: MessageType.App,
      from: this.remote,
      to: this.local,
      term: this.term,
      logTerm: this.term,
      index: this.index,
      entries,
      commit: readUint64BE(b, base + pos),
      reject: false,
      rejectHint: 0,
    };
    sb.consume(pos + 8);
    this.need = 1;
    this.index += count;
    return m;
  }
}
