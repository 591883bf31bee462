// A Raft snapshot travels between members as etcd sends it: the leader's backend as
// a bbolt database file, streamed from disk to disk. The request body is
//   [u32 message length][MsgSnap][u64 database length][database bytes][SHA-256 of the database]
// so the receiver knows how much to expect, writes it to member/snap/<index>.snap.db.part,
// and only renames it into place once the length and digest both check out.
import { createHash, randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ClientRequest } from 'node:http';
import { decodeMessage } from '../raft/index.js';
import { MessageType, type Message } from '../raft/types.js';
import type { BackendView } from '../backend/backend.js';
import { fileChunks, snapshotScratch, writeBackendSnapshot } from '../bolt/backend-snapshot.js';
import { BoltFile } from '../bolt/reader.js';
import { META_CONSISTENT_INDEX } from '../mvcc/meta.js';
import { MAX_FRAME_BYTES } from './frame.js';

/** Bytes per write of a database leaving for a peer. */
export const SNAPSHOT_CHUNK_BYTES = 256 * 1024;
const DIGEST_BYTES = 32;
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

/** The bytes before the database: the message and the database's length. */
export function snapshotHead(message: Uint8Array, dbSize: number): Buffer {
  const head = Buffer.allocUnsafe(4 + message.length + 8);
  head.writeUInt32BE(message.length, 0);
  head.set(message, 4);
  head.writeBigUInt64BE(BigInt(dbSize), 4 + message.length);
  return head;
}

export function snapshotBodyLength(messageLength: number, dbSize: number): number {
  return 4 + messageLength + 8 + dbSize + DIGEST_BYTES;
}

/** Writes head, the file in chunks (waiting for drain), then the digest trailer, and ends the request. */
export async function writeSnapshotBody(req: ClientRequest, message: Uint8Array, file: { path: string; size: number }): Promise<void> {
  const write = async (b: Buffer) => {
    if (req.destroyed) throw new Error('snapshot: request closed');
    if (!req.write(b)) await drained(req);
  };
  await write(snapshotHead(message, file.size));
  const sha = createHash('sha256');
  for await (const chunk of fileChunks(file.path, file.size, SNAPSHOT_CHUNK_BYTES)) {
    sha.update(chunk);
    await write(chunk);
  }
  req.end(sha.digest());
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

/**
 * Streams a snapshot body to `<snapDir>/<index>.snap.db.part`, checks its length and
 * digest, fsyncs it and renames it to `<index>.snap.db`. Any failure (short body,
 * digest mismatch, a database behind the snapshot's index) removes the partial file
 * and rejects; nothing of the member's state is touched.
 */
export async function receiveSnapshotBody(body: AsyncIterable<Uint8Array>, snapDir: string): Promise<ReceivedSnapshot> {
  const it = body[Symbol.asyncIterator]();
  let pending: Buffer = Buffer.alloc(0);
  /** Reads exactly n bytes into memory (the small head and trailer only). */
  const take = async (n: number): Promise<Buffer> => {
    while (pending.length < n) {
      const r = await it.next();
      if (r.done) throw new Error(`snapshot: body ended early (wanted ${n} bytes, have ${pending.length})`);
      pending = pending.length ? Buffer.concat([pending, Buffer.from(r.value)]) : Buffer.from(r.value);
    }
    const out = pending.subarray(0, n);
    pending = pending.subarray(n);
    return out;
  };
  const msgLen = (await take(4)).readUInt32BE(0);
  if (msgLen > MAX_FRAME_BYTES) throw new Error(`snapshot: message of ${msgLen} bytes exceeds ${MAX_FRAME_BYTES}`);
  const message = decodeMessage(new Uint8Array(await take(msgLen)));
  if (message.type !== MessageType.Snap || !message.snapshot) throw new Error('snapshot: not a snapshot message');
  const index = message.snapshot.metadata.index;
  const size64 = (await take(8)).readBigUInt64BE(0);
  if (size64 > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error('snapshot: database length beyond 2^53');
  const size = Number(size64);

  const path = snapshotDbPath(snapDir, index);
  // Each receipt writes its own file: a resent snapshot must not share one with a stalled earlier receipt.
  const part = `${path}.${randomBytes(4).toString('hex')}${PART_SUFFIX}`;
  const fh = await open(part, 'wx', 0o600);
  let closed = false;
  let renamed = false;
  try {
    const sha = createHash('sha256');
    let written = 0;
    const put = async (b: Buffer) => {
      sha.update(b);
      for (let off = 0; off < b.length; ) off += (await fh.write(b, off, b.length - off, written + off)).bytesWritten;
      written += b.length;
    };
    if (pending.length) {
      const b = pending.subarray(0, size);
      pending = pending.subarray(b.length);
      await put(b);
    }
    while (written < size) {
      const r = await it.next();
      if (r.done) throw new Error(`snapshot: body ended after ${written} of ${size} database bytes`);
      const chunk = Buffer.from(r.value.buffer, r.value.byteOffset, r.value.byteLength);
      const b = chunk.subarray(0, size - written);
      pending = chunk.subarray(b.length);
      await put(b);
    }
    const digest = await take(DIGEST_BYTES);
    const extra = pending.length > 0 || !(await it.next()).done;
    if (extra) throw new Error('snapshot: bytes after the digest');
    if (!sha.digest().equals(digest)) throw new Error('snapshot: database digest mismatch');
    await fh.sync();
    await fh.close();
    closed = true;
    const ci = boltConsistentIndex(part);
    if (ci < index) throw new Error(`snapshot: database holds index ${ci}, behind the snapshot's ${index}`);
    await rename(part, path);
    renamed = true;
    await syncDir(snapDir);
    return { message, path, size };
  } catch (err) {
    if (!closed) await fh.close().catch(() => undefined);
    await rm(renamed ? path : part, { force: true });
    throw err;
  }
}

async function syncDir(dir: string): Promise<void> {
  const d = await open(dir, 'r');
  try {
    await d.sync();
  } finally {
    await d.close();
  }
}
