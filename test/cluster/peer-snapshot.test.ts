// Raft snapshots between members travel as etcd sends them, a bbolt database file
// streamed from disk to disk after the raftpb message: a joining member receives
// member/snap/<index>.snap.db, installs it and removes it; a transfer cut short, or of
// something that is not a whole database as new as the snapshot, is refused and leaves nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { addLearner, startCluster } from '../helpers/cluster.js';
import { grpcKv, type Msg } from '../helpers/grpc.js';
import { tmpDir } from '../helpers/tmp.js';
import { LmdbBackend } from '../../src/backend/lmdb.js';
import { writeConsistentIndex } from '../../src/mvcc/meta.js';
import { encodeMessage } from '../../src/raft/index.js';
import { MessageType, type Message } from '../../src/raft/types.js';
import { buildSnapshotFile, readSnapshotMessage, receiveSnapshotDb, snapshotDbPath, snapshotHead } from '../../src/rafthttp/snapshot-stream.js';
import { BoltFile } from '../../src/bolt/reader.js';
import { MvccStore } from '../../src/mvcc/index.js';
import { openStorage, INSTALLING_SNAPSHOT_KEY } from '../../src/server/storage.js';
import { silentLogger } from '../../src/pkg/logger.js';

const KEYS = 50_000;
const PER_TXN = 128;
const key = (i: number) => `k/${String(i).padStart(6, '0')}`;

test('a member added to a cluster of 50k keys gets them through a streamed database file', { timeout: 120_000 }, async (t) => {
  // A small --snapshot-count keeps only a short log: the joiner must be sent a snapshot.
  const c = await startCluster(1, { extraArgs: ['--snapshot-count', '100'] });
  t.after(() => c.close());
  const leader = c.members[0]!;
  const lc = grpcKv(leader.endpoint);
  t.after(() => lc.close());
  for (let i = 0; i < KEYS; i += PER_TXN) {
    const success: Msg[] = [];
    for (let j = i; j < Math.min(KEYS, i + PER_TXN); j++) success.push({ requestPut: { key: Buffer.from(key(j)), value: Buffer.from(`v${j}`) } });
    await lc.kv.txn({ success });
  }

  const joiner = await addLearner(c, leader, 'm2');
  const received = /received and saved database snapshot.*/.exec(joiner.logs())?.[0] ?? '';
  const size = Number(/"incoming-snapshot-size-bytes":(\d+)/.exec(received)?.[1]);
  assert.ok(size > 50_000 * 20, `received a database of ${size} bytes: ${received}`);
  assert.match(joiner.logs(), /applied snapshot/);
  assert.match(leader.logs(), /sent database snapshot/);

  const want = await lc.kv.range({ key: Buffer.from('k/'), rangeEnd: Buffer.from('k0') });
  assert.equal(want.kvs.length, KEYS);
  const jc = grpcKv(joiner.endpoint);
  t.after(() => jc.close());
  let got: Msg = {};
  for (let i = 0; i < 100; i++) {
    got = await jc.kv.range({ key: Buffer.from('k/'), rangeEnd: Buffer.from('k0'), serializable: true });
    if (got.header.revision === want.header.revision) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(got.header.revision, want.header.revision);
  assert.equal(got.kvs.length, KEYS);
  for (let i = 0; i < KEYS; i++) {
    const [g, w] = [got.kvs[i], want.kvs[i]];
    if (g.key.equals(w.key) && g.value.equals(w.value) && g.modRevision === w.modRevision && g.createRevision === w.createRevision && g.version === w.version) continue;
    assert.fail(`key ${i}: got ${g.key}=${g.value}@${g.modRevision}, want ${w.key}=${w.value}@${w.modRevision}`);
  }

  const snapFiles = readdirSync(join(joiner.dataDir, 'member', 'snap')).filter((n) => n.includes('.snap.db'));
  assert.deepEqual(snapFiles, [], 'the received database is removed once installed');
  assert.deepEqual(readdirSync(leader.dataDir).filter((n) => n.startsWith('snapshot-tmp-')), [], 'the sent database file is removed');
});

/** A backend at `dir` holding keys and the applied index `ci`, and a bbolt file of it. */
async function snapshotOf(dir: string, ci: number) {
  const be = LmdbBackend.open(join(dir, 'leader-db'));
  for (let i = 0; i < 2000; i++) be.put('key', Buffer.from(key(i)), Buffer.from(`v${i}`));
  writeConsistentIndex(be, ci);
  const view = await be.snapshotView();
  try {
    return { file: await buildSnapshotFile(view, dir, Math.min(ci, 10)), close: () => be.close() };
  } finally {
    view.close();
  }
}

function snapMessage(index: number): Uint8Array {
  const m: Message = {
    type: MessageType.Snap, to: 2n, from: 1n, term: 3, logTerm: 0, index: 0, entries: [], commit: index, reject: false, rejectHint: 0,
    snapshot: { metadata: { index, term: 3, confState: { voters: [1n], learners: [2n] } }, data: new Uint8Array(0) },
  };
  return encodeMessage(m);
}

/** The body split into small chunks, as a socket delivers it. */
function bodyOf(parts: Buffer[]): Readable {
  const all = Buffer.concat(parts);
  const chunks: Buffer[] = [];
  for (let off = 0; off < all.length; off += 7919) chunks.push(all.subarray(off, off + 7919));
  return Readable.from(chunks);
}

/** What the transport's snapshot handler does with a request body. */
async function receive(body: AsyncIterable<Uint8Array>, snapDir: string) {
  const it = body[Symbol.asyncIterator]();
  const { message, rest } = await readSnapshotMessage(it);
  return receiveSnapshotDb(message, rest, it, snapDir);
}

test('receiving: a whole database lands at <index>.snap.db; a body cut short, a non-database or a stale database is refused and leaves nothing', async (t) => {
  const dir = tmpDir('peer-snapshot');
  t.after(() => dir.cleanup());
  const { file, close } = await snapshotOf(dir.path, 42);
  t.after(async () => {
    file.remove();
    await close();
  });
  const snapDir = join(dir.path, 'member-snap');
  (await import('node:fs')).mkdirSync(snapDir);
  // The member's own backend beside the incoming files: a refused transfer leaves it as it was.
  const own = LmdbBackend.open(join(snapDir, 'db'));
  t.after(() => own.close());
  own.put('key', Buffer.from('mine'), Buffer.from('old'));
  await own.commit();

  const db = readFileSync(file.path);
  const msg = snapMessage(40);
  const incoming = () => readdirSync(snapDir).filter((n) => n.includes('.snap.db'));

  // The sender's connection broke: its bytes end early.
  await assert.rejects(receive(bodyOf([snapshotHead(msg), db.subarray(0, db.length - 4096)]), snapDir), /cut short/);
  assert.deepEqual(incoming(), []);

  await assert.rejects(receive(bodyOf([snapshotHead(msg), Buffer.alloc(8192, 7)]), snapDir), /not a bbolt database/);
  assert.deepEqual(incoming(), []);

  // The database must hold at least the snapshot's index, or it is not the state the metadata describes.
  await assert.rejects(receive(bodyOf([snapshotHead(snapMessage(43)), db]), snapDir), /holds index 42, behind the snapshot's 43/);
  assert.deepEqual(incoming(), []);
  assert.equal(Buffer.from(own.get('key', Buffer.from('mine'))!).toString(), 'old');

  const notSnap = encodeMessage({ type: MessageType.App, to: 2n, from: 1n, term: 3, logTerm: 0, index: 0, entries: [], commit: 0, reject: false, rejectHint: 0 });
  await assert.rejects(receive(bodyOf([snapshotHead(notSnap), db]), snapDir), /wrong raft message type/);
  assert.deepEqual(incoming(), []);

  // A receipt that stalls midway (a partition) and a resend of the same snapshot do not
  // share a file: the resend lands whole, the stalled one's failure removes only its own.
  let resume!: () => void;
  const stalledBody = (async function* () {
    yield snapshotHead(msg);
    yield db.subarray(0, db.length >> 1);
    await new Promise<void>((r) => (resume = r));
    throw new Error('aborted');
  })();
  const stalledDone = receive(stalledBody, snapDir).then(() => 'received', (e: Error) => e.message);
  while (!incoming().some((n) => n.endsWith('.part'))) await new Promise((r) => setTimeout(r, 5));
  const resent = await receive(bodyOf([snapshotHead(msg), db]), snapDir);
  resume();
  assert.match(await stalledDone, /aborted/);
  assert.ok(readFileSync(resent.path).equals(db), 'the resent database is intact');
  assert.deepEqual(incoming(), ['0000000000000028.snap.db'], 'the stalled partial is gone, the resent file stays');
  (await import('node:fs')).rmSync(resent.path);

  const ok = await receive(bodyOf([snapshotHead(msg), db]), snapDir);
  assert.equal(ok.path, snapshotDbPath(snapDir, 40));
  assert.equal(ok.size, db.length);
  assert.equal(ok.message.snapshot?.metadata.index, 40);
  assert.deepEqual(incoming(), ['0000000000000028.snap.db']);
  assert.ok(readFileSync(ok.path).equals(db));
  // Read back page by page, the file holds every key in order.
  const bolt = BoltFile.openFile(ok.path);
  try {
    const keys = bolt.buckets().find((b) => Buffer.from(b.key).toString() === 'key')!;
    let n = 0;
    for (const e of bolt.iterate(keys)) assert.equal(Buffer.from(e.key).toString(), key(n++));
    assert.equal(n, 2000);
  } finally {
    bolt.close();
  }
  assert.ok(existsSync(ok.path));
});

/** An MVCC backend of `n` keys at applied index `ci`, written out as a bbolt snapshot file. */
async function mvccSnapshotOf(dir: string, n: number, ci: number) {
  const be = LmdbBackend.open(join(dir, 'leader-mvcc-db'));
  const store = MvccStore.open(be);
  for (let i = 0; i < n; i += 500) {
    const txn = store.write();
    for (let j = i; j < Math.min(n, i + 500); j++) txn.put(Buffer.from(key(j)), Buffer.from(`v${j}`));
    txn.end();
  }
  store.setConsistentIndex(ci);
  const view = await be.snapshotView();
  try {
    return { file: await buildSnapshotFile(view, dir, ci), rev: store.rev() };
  } finally {
    view.close();
    await be.close();
  }
}

test('installing a database file replaces the backend a batch at a time; a stop midway resumes from the file at the next start', async (t) => {
  const dir = tmpDir('peer-snapshot-install');
  t.after(() => dir.cleanup());
  const { file, rev } = await mvccSnapshotOf(dir.path, 25_000, 77);
  const memberDir = join(dir.path, 'member');
  const snapDir = join(memberDir, 'snap');
  const opts = { memberId: 2n, clusterId: 9n, logger: silentLogger };

  // A lagging member's own state is replaced, not merged.
  let ms = await openStorage(memberDir, opts);
  const txn = ms.mvcc.write();
  txn.put(Buffer.from('stale'), Buffer.from('x'));
  txn.end();
  await ms.commit();
  const installed = snapshotDbPath(snapDir, 70);
  (await import('node:fs')).copyFileSync(file.path, installed);
  await ms.installBackend(installed, 70);
  assert.equal(ms.mvcc.consistentIndex(), 77);
  assert.equal(ms.mvcc.rev(), rev);
  assert.equal(ms.mvcc.range(Buffer.from('stale'), undefined).kvs.length, 0);
  const all = ms.mvcc.range(Buffer.from('k/'), Buffer.from('k0'));
  assert.equal(all.kvs.length, 25_000);
  assert.equal(Buffer.from(all.kvs[24_999]!.value).toString(), 'v24999');
  assert.equal(ms.backend.get('meta', INSTALLING_SNAPSHOT_KEY), undefined);
  // A database behind the snapshot's index is refused before anything is replaced.
  await assert.rejects(ms.installBackend(installed, 78), /holds index 77, behind the snapshot's 78/);
  assert.equal(ms.backend.get('meta', INSTALLING_SNAPSHOT_KEY), undefined);
  assert.equal(ms.mvcc.range(Buffer.from('k/'), Buffer.from('k0')).kvs.length, 25_000);
  await ms.close();

  // As if the member stopped midway: the marker is set, part of the data is gone, the file is kept.
  const be = LmdbBackend.open(join(snapDir, 'db'));
  const mark = Buffer.alloc(8);
  mark.writeBigUInt64BE(70n);
  be.put('meta', INSTALLING_SNAPSHOT_KEY, mark);
  const revs = [...be.range('key', new Uint8Array(0))].slice(0, 10_000).map(([k]) => Buffer.from(k));
  for (const k of revs) be.delete('key', k);
  await be.commit();
  assert.equal([...be.range('key', new Uint8Array(0))].length, 15_000);
  await be.close();
  (await import('node:fs')).writeFileSync(snapshotDbPath(snapDir, 71) + '.part', 'partial');
  ms = await openStorage(memberDir, opts);
  t.after(() => ms.close());
  assert.equal(ms.mvcc.range(Buffer.from('k/'), Buffer.from('k0')).kvs.length, 25_000);
  assert.equal(ms.mvcc.consistentIndex(), 77);
  assert.equal(ms.backend.get('meta', INSTALLING_SNAPSHOT_KEY), undefined);
  assert.deepEqual(readdirSync(snapDir).filter((n) => n.includes('.snap.db')), [], 'received files are removed at start');
  file.remove();
});

test('a stop after Raft recorded a leader snapshot but before its install: the next start installs the received file, or refuses without it', async (t) => {
  const dir = tmpDir('peer-snapshot-wal-ahead');
  t.after(() => dir.cleanup());
  const { file, rev } = await mvccSnapshotOf(dir.path, 5_000, 77);
  t.after(() => file.remove());
  const opts = { memberId: 2n, clusterId: 9n, logger: silentLogger };

  for (const withFile of [true, false]) {
    const memberDir = join(dir.path, `member-${withFile}`);
    const snapDir = join(memberDir, 'snap');
    // A member of a new cluster, then the WAL's snapshot record of a leader's database
    // (which Raft writes first) and nothing more: the member stops there.
    let ms = await openStorage(memberDir, { ...opts, initialVoters: [2n] });
    if (withFile) (await import('node:fs')).copyFileSync(file.path, snapshotDbPath(snapDir, 77));
    await ms.wal.saveSnapshot({ index: 77, term: 2 });
    assert.equal(ms.mvcc.consistentIndex(), 1);
    await ms.close();

    if (!withFile) {
      await assert.rejects(openStorage(memberDir, opts), /snapshot at index 77 is ahead of the backend \(applied index 1\) and its database .* is missing/);
      continue;
    }
    ms = await openStorage(memberDir, opts);
    try {
      assert.equal(ms.mvcc.consistentIndex(), 77, 'the backend caught up with the WAL');
      assert.equal(ms.mvcc.rev(), rev);
      assert.equal(ms.mvcc.range(Buffer.from('k/'), Buffer.from('k0')).kvs.length, 5_000);
      assert.deepEqual(readdirSync(snapDir).filter((n) => n.includes('.snap.db')), [], 'the installed file is removed');
    } finally {
      await ms.close();
    }
  }
});
