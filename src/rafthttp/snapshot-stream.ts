// A Raft snapshot travels between members as etcd 3.4 sends it (POST /raft/snapshot):
//   [u64 message length, big-endian][MsgSnap as raftpb][the bbolt database, to the end]
// The message's snapshot data is the v2 store with the membership; the database is
// the leader's backend, streamed from disk to disk. The receiver writes it to
// member/snap/<index>.snap.db.<tag>.part and renames it into place once the body
// ended whole and the file holds a bbolt database at least as new as the snapshot.
import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ClientRequest } from 'node:http';
import { decodeMessage } from '../raft/index.js';
import { MessageType, type Message } from '../raft/types.js';
import type { BackendView } from '../backend/backend.js';
import { fileChunks, snapshotScratch, writeBackendSnapshot } from '../bolt/backend-snapshot.js';
import { BoltFile } from '../bolt/reader.js';
import { META_CONSISTENT_INDEX } from '../mvcc/meta.js';
import { MAX_MESSAGE_BYTES } from './msg-codec.js';
import { readUint64BE, writeUint64BE } from '../pkg/uint64.js';
import { failpointsOn, failpointAsync } from '../pkg/failpoint.js';

/** Bytes per write of a database leaving for a peer. */
export const SNAPSHOT_CHUNK_BYTES = 256 * 1024;
const PART_SUFFIX = '.part';

/** Where a received database waits for Raft to take its snapshot: etcd's <index in hex>.snap.db. */
export function snapshotDbPath(snapDir: string, index: number): string {
  return join(snapDir, `${index.toString(16).padStart(16, '0')}.snap.db`);
}

/** Names a received database file (complete, or partial with its receipt's tag) could have, for start-up cleanup. */
export function isSnapshotDbName(name: string): boolean {
  return /^[0-9a-f]{16}\.snap\.db(\.([0-9a-f]{8}\.)?part)?$/.test(name);
}

/** The applied index recorded in a backend view (0 if none). */
export function viewConsistentIndex(view: BackendView): number {
  for (const [k, v] of view.range('meta', META_CONSISTENT_INDEX, Buffer.concat([META_CONSISTENT_INDEX, Buffer.from([0])]))) {
    if (Buffer.compare(Buffer.from(k), META_CONSISTENT_INDEX) === 0) return readU64(v);
  }
  return 0;
}

/** The applied index recorded in a bbolt database file, read page by page. */
export function boltConsistentIndex(path: string): number {
  const db = BoltFile.openFile(path);
  try {
    const meta = db.buckets().find((b) => b.isBucket && Buffer.from(b.key).toString() === 'meta');
    if (!meta) return 0;
    for (const e of db.iterate(meta)) if (Buffer.compare(Buffer.from(e.key), META_CONSISTENT_INDEX) === 0) return readU64(e.value);
    return 0;
  } finally {
    db.close();
  }
}

function readU64(v: Uint8Array): number {
  if (v.byteLength < 8) throw new Error('snapshot: consistent index shorter than 8 bytes');
  const n = Buffer.from(v.buffer, v.byteOffset, 8).readBigUInt64BE(0);
  if (n > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error('snapshot: consistent index beyond 2^53');
  return Number(n);
}

export interface SnapshotFile {
  path: string;
  size: number;
  /** The applied index the database holds (at least the snapshot's index). */
  consistentIndex: number;
  /** Removes the file and its scratch directory. */
  remove(): void;
}

/**
 * Writes the view as a bbolt file in a scratch directory under `scratchDir` (the data
 * dir's disk, not a memory-backed tmpfs). The view must hold at least `index`: the
 * snapshot's metadata promises the state up to it.
 */
export async function buildSnapshotFile(view: BackendView, scratchDir: string, index: number): Promise<SnapshotFile> {
  const consistentIndex = viewConsistentIndex(view);
  if (consistentIndex < index) throw new Error(`snapshot: backend holds index ${consistentIndex}, behind the snapshot's ${index}`);
  const scratch = snapshotScratch(scratchDir);
  try {
    const { size } = await writeBackendSnapshot(view, scratch.path);
    return { path: scratch.path, size, consistentIndex, remove: scratch.remove };
  } catch (err) {
    scratch.remove();
    throw err;
  }
}

/** The bytes before the database: the message's length and the message. */
export function snapshotHead(message: Uint8Array): Buffer {
  const head = Buffer.allocUnsafe(8 + message.length);
  writeUint64BE(head, 0, message.length);
  head.set(message, 8);
  return head;
}

export function snapshotBodyLength(messageLength: number, dbSize: number): number {
  return 8 + messageLength + dbSize;
}

/** Writes the head, then the file in chunks (waiting for drain), and ends the request. */
export async function writeSnapshotBody(req: ClientRequest, message: Uint8Array, file: { path: string; size: number }): Promise<void> {
  const write = async (b: Buffer) => {
    if (req.destroyed) throw new Error('snapshot: request closed');
    if (!req.write(b)) await drained(req);
  };
  await write(snapshotHead(message));
  for await (const chunk of fileChunks(file.path, file.size, SNAPSHOT_CHUNK_BYTES)) {
    await write(chunk);
    if (failpointsOn) await failpointAsync('snapshotSendMidStream');
  }
  req.end();
}

function drained(req: ClientRequest): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (err?: unknown) => {
      req.off('drain', done);
      req.off('close', closed);
      if (err) reject(err);
      else resolve();
    };
    const closed = () => done(new Error('snapshot: request closed'));
    req.on('drain', done);
    req.on('close', closed);
  });
}

export interface ReceivedSnapshot {
  /** The MsgSnap to step into Raft once its database is in place. */
  message: Message;
  /** member/snap/<index>.snap.db, complete, verified and fsynced. */
  path: string;
  size: number;
}

/** Reads the message at the head of a snapshot body; the rest of the body is the database. */
export async function readSnapshotMessage(it: AsyncIterator<Uint8Array>): Promise<{ message: Message; rest: Buffer }> {
  let pending: Buffer = Buffer.alloc(0);
  const fill = async (n: number) => {
    while (pending.length < n) {
      const r = await it.next();
      if (r.done) throw new Error(`snapshot: body ended early (wanted ${n} bytes, have ${pending.length})`);
      pending = pending.length ? Buffer.concat([pending, Buffer.from(r.value)]) : Buffer.from(r.value);
    }
  };
  await fill(8);
  const msgLen = readUint64BE(pending, 0);
  if (msgLen > MAX_MESSAGE_BYTES) throw new Error(`snapshot: message of ${msgLen} bytes exceeds ${MAX_MESSAGE_BYTES}`);
  await fill(8 + msgLen);
  const message = decodeMessage(new Uint8Array(pending.buffer, pending.byteOffset + 8, msgLen));
  return { message, rest: pending.subarray(8 + msgLen) };
}

/**
 * Streams the database that follows `message` in a snapshot body to
 * `<snapDir>/<index>.snap.db` by way of a partial file of its own, fsyncs it and
 * renames it into place. A body cut short, a file that is not a whole bbolt database,
 * or one behind the snapshot's index removes the partial file and rejects; nothing of
 * the member's state is touched.
 */
export async function receiveSnapshotDb(message: Message, rest: Buffer, it: AsyncIterator<Uint8Array>, snapDir: string): Promise<ReceivedSnapshot> {
  if (message.type !== MessageType.Snap || !message.snapshot) throw new Error('wrong raft message type');
  const index = message.snapshot.metadata.index;
  const path = snapshotDbPath(snapDir, index);
  // Each receipt writes its own file: a resent snapshot must not share one with a stalled earlier receipt.
  const part = `${path}.${randomBytes(4).toString('hex')}${PART_SUFFIX}`;
  const fh = await open(part, 'wx', 0o600);
  let closed = false;
  let renamed = false;
  try {
    let written = 0;
    const put = async (b: Uint8Array) => {
      for (let off = 0; off < b.length; ) off += (await fh.write(b, off, b.length - off, written + off)).bytesWritten;
      written += b.length;
    };
    if (rest.length) await put(rest);
    for (let r = await it.next(); !r.done; r = await it.next()) await put(r.value);
    await fh.sync();
    await fh.close();
    closed = true;
    checkWholeDatabase(part, written, index);
    await rename(part, path);
    renamed = true;
    await syncDir(snapDir);
    return { message, path, size: written };
  } catch (err) {
    if (!closed) await fh.close().catch(() => undefined);
    await rm(renamed ? path : part, { force: true });
    throw err;
  }
}

/** The file must hold every page its meta counts, and a consistent index at least the snapshot's. */
function checkWholeDatabase(path: string, size: number, index: number): void {
  let db: BoltFile;
  try {
    db = BoltFile.openFile(path);
  } catch (err) {
    throw new Error(`snapshot: not a bbolt database (${err instanceof Error ? err.message : String(err)})`);
  }
  try {
    if (size < db.size) throw new Error(`snapshot: database cut short (${size} of ${db.size} bytes)`);
  } finally {
    db.close();
  }
  const ci = boltConsistentIndex(path);
  if (ci < index) throw new Error(`snapshot: database holds index ${ci}, behind the snapshot's ${index}`);
}

async function syncDir(dir: string): Promise<void> {
  const d = await open(dir, 'r');
  try {
    await d.sync();
  } finally {
    await d.close();
  }
}
