// Snapshots interoperate with etcd: the real etcdctl saves one from etcd-ts, reads
// its status, restores it, and the real etcd boots from the restored data dir with
// every key, revision and lease, and keeps writing into the file.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { Client } from '../../src/client/index.js';
import { BoltFile } from '../../src/bolt/reader.js';
import { etcdctl, freePort, grpcKv, startMember, tmpDir, type Member, type Msg } from '../helpers/index.js';
import type { JsonKv } from '../etcdutl/util.js';

const ETCDCTL_TS = fileURLToPath(new URL('../../../bin/etcdctl-ts.js', import.meta.url));

function run(file: string, args: string[], timeoutMs = 15_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { env: { ...process.env, ETCDCTL_API: '3' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

async function ok(target: Member, args: string[]): Promise<string> {
  const r = await etcdctl(target, args);
  assert.equal(r.code, 0, `etcdctl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

async function everything(m: Member): Promise<{ revision: number; kvs: JsonKv[] }> {
  const out = JSON.parse(await ok(m, ['get', '--prefix', '', '-w', 'json'])) as { header: { revision: number }; kvs?: JsonKv[] };
  return { revision: out.header.revision, kvs: out.kvs ?? [] };
}

test('the real etcdctl saves, checks and restores an etcd-ts snapshot, and the real etcd boots from it', { timeout: 60_000 }, async () => {
  const tmp = tmpDir('etcd-ts-snapshot-interop');
  const source = await startMember('etcd-ts');
  let restored: Member | undefined;
  try {
    await ok(source, ['put', 'foo', 'bar']);
    await ok(source, ['put', 'foo', 'baz']);
    await ok(source, ['put', 'gone', '1']);
    await ok(source, ['del', 'gone']);
    const lease = /lease ([0-9a-f]+) granted/.exec(await ok(source, ['lease', 'grant', '600']))![1];
    await ok(source, ['put', 'leased', 'x', `--lease=${lease}`]);
    await ok(source, ['compact', '3']);
    for (let i = 0; i < 50; i++) await ok(source, ['put', `k/${String(i).padStart(3, '0')}`, `value ${i} ${'v'.repeat(i * 10)}`]);
    const before = await everything(source);

    const file = join(tmp.path, 'snap.db');
    const saved = await etcdctl(source, ['snapshot', 'save', file]);
    assert.equal(saved.code, 0, saved.stderr);
    assert.equal(saved.stdout, `Snapshot saved at ${file}\n`);
    // The member removes its build file once the last message is out; with an edge thread the
    // removal is a message to the core, which may land after etcdctl has exited.
    const leftovers = () => readdirSync(source.dataDir).filter((n) => n.startsWith('snapshot-tmp-'));
    for (const until = Date.now() + 5000; leftovers().length > 0 && Date.now() < until; ) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(leftovers(), [], 'the build file is removed');
    // The database, then its SHA-256: what `snapshot restore` verifies.
    const bytes = readFileSync(file);
    assert.equal(bytes.length % 512, 32);
    const db = bytes.subarray(0, bytes.length - 32);
    assert.deepEqual(bytes.subarray(bytes.length - 32), createHash('sha256').update(db).digest());
    assert.equal(new BoltFile(db).size, db.length);

    const status = await run('/usr/bin/etcdctl', ['snapshot', 'status', file, '-w', 'json']);
    assert.equal(status.code, 0, status.stderr);
    const real = JSON.parse(status.stdout) as { hash: number; revision: number; totalKey: number; totalSize: number };
    assert.equal(real.revision, before.revision);
    // Every revision since the compaction, plus meta, members, lease and cluster entries.
    assert.ok(real.totalKey > before.revision - 3, `totalKey ${real.totalKey}`);
    assert.equal(real.totalSize, db.length);
    const ours = await run(process.execPath, [ETCDCTL_TS, 'snapshot', 'status', file, '-w', 'json']);
    assert.equal(ours.code, 0, ours.stderr);
    assert.deepEqual(JSON.parse(ours.stdout), real);

    // etcdctl-ts saves the same database from the same member.
    const file2 = join(tmp.path, 'snap-ts.db');
    const savedTs = await run(process.execPath, [ETCDCTL_TS, `--endpoints=${source.endpoint}`, 'snapshot', 'save', file2]);
    assert.equal(savedTs.code, 0, savedTs.stderr);
    assert.equal(savedTs.stdout, `Snapshot saved at ${file2}\n`);
    const status2 = await run('/usr/bin/etcdctl', ['snapshot', 'status', file2, '-w', 'json']);
    assert.equal(status2.code, 0, status2.stderr);
    assert.deepEqual(JSON.parse(status2.stdout), real);

    const dataDir = join(tmp.path, 'restored.etcd');
    const peer = `http://127.0.0.1:${await freePort()}`;
    const restore = await run('/usr/bin/etcdctl', ['snapshot', 'restore', file, '--data-dir', dataDir, '--name', 'm1', '--initial-cluster', `m1=${peer}`, '--initial-advertise-peer-urls', peer]);
    assert.equal(restore.code, 0, restore.stderr);

    // Repeated flags: the last one wins, so the member listens where the restore put it.
    restored = await startMember('etcd', { name: 'm1', dataDir, extraArgs: ['--listen-peer-urls', peer, '--initial-advertise-peer-urls', peer, '--initial-cluster', `m1=${peer}`] });
    const after = await everything(restored);
    assert.equal(after.revision, before.revision);
    assert.deepEqual(after.kvs, before.kvs);
    assert.ok(after.kvs.some((kv) => Buffer.from(kv.key, 'base64').toString() === 'leased' && kv.lease === Number(BigInt('0x' + lease))));
    assert.match(await ok(restored, ['lease', 'list']), new RegExp(lease));
    const compacted = await etcdctl(restored, ['get', 'foo', '--rev=2']);
    assert.match(compacted.stderr, /required revision has been compacted/);

    // bbolt writes into the file: a put lands and reads back.
    await ok(restored, ['put', 'after-restore', 'yes']);
    assert.equal(await ok(restored, ['get', 'after-restore', '--print-value-only']), 'yes\n');
    assert.equal((await everything(restored)).revision, before.revision + 1);
  } finally {
    await restored?.close();
    await source.close();
    tmp.cleanup();
  }
});

test('writes go on during a snapshot, and the snapshot holds exactly one revision', { timeout: 60_000 }, async () => {
  const m = await startMember('etcd-ts');
  const client = new Client({ endpoints: [m.endpoint] });
  try {
    const value = 'x'.repeat(1024);
    for (let base = 0; base < 3000; base += 100) {
      await Promise.all(Array.from({ length: 100 }, (_, i) => client.put(`key/${String(base + i).padStart(5, '0')}`, value)));
    }
    // A put sent once the first chunk is here reached the member after the snapshot's
    // read transaction began, so it must be missing from the snapshot; one sent
    // earlier may be in it, even if its answer came later.
    let writing = true;
    let snapshotBegun = false;
    const sentAfterBegin: number[] = [];
    const writer = (async () => {
      for (let i = 0; i < 2000 && writing; i++) {
        const after = snapshotBegun;
        const r = await client.put(`during/${i}`, 'y');
        if (after) sentAfterBegin.push(Number(r.header!.revision));
      }
    })();
    const chunks: Uint8Array[] = [];
    const started = Date.now();
    for await (const c of client.maintenance.snapshot()) {
      chunks.push(c);
      snapshotBegun = true;
    }
    assert.ok(Date.now() - started < 30_000);
    // However fast the stream ran, a few puts made after it began (10 s at most).
    const deadline = Date.now() + 10_000;
    while (sentAfterBegin.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    writing = false;
    await writer;
    const all = Buffer.concat(chunks);
    const db = all.subarray(0, all.length - 32);
    assert.deepEqual(all.subarray(all.length - 32), createHash('sha256').update(db).digest());
    assert.ok(sentAfterBegin.length > 0, 'puts went on once the snapshot began');

    const file = new BoltFile(db);
    const keyBucket = file.buckets().find((b) => Buffer.from(b.key).toString() === 'key')!;
    const revisions = file.entries(keyBucket).map((e) => Number(Buffer.from(e.key).readBigInt64BE(0)));
    const top = revisions[revisions.length - 1];
    // One put per revision and no compaction: revisions 2..top, none missing, none later.
    assert.equal(revisions.length, top - 1);
    revisions.forEach((r, i) => assert.equal(r, i + 2));
    assert.ok(top >= 3001, 'every put made before the snapshot is in it');
    assert.ok(sentAfterBegin.every((r) => r > top), `writes made after the snapshot began are not in it (top ${top}, after ${sentAfterBegin.join(',')})`);
  } finally {
    await client.close();
    await m.close();
  }
});

/** Every SnapshotResponse of one Maintenance.Snapshot call, as the wire carries them. */
function snapshotMessages(m: Member): Promise<Msg[]> {
  const g = grpcKv(m);
  return new Promise<Msg[]>((resolve, reject) => {
    const msgs: Msg[] = [];
    const call = (g.raw.maintenance as unknown as { snapshot(req: Msg, opts: object): NodeJS.EventEmitter }).snapshot({}, { deadline: new Date(Date.now() + 20_000) });
    call.on('data', (msg: Msg) => msgs.push(msg));
    call.on('error', reject);
    call.on('end', () => resolve(msgs));
  }).finally(() => g.close());
}

for (const kind of ['etcd', 'etcd-ts'] as const) {
  test(`${kind}: the snapshot stream is 32 KiB chunks counting remaining_bytes down to 0, then the SHA-256`, { timeout: 30_000 }, async () => {
    const m = await startMember(kind);
    try {
      // Enough data for several chunks and an uneven last one.
      for (let i = 0; i < 20; i++) await ok(m, ['put', `k${i}`, 'v'.repeat(5000 + i)]);
      const msgs = await snapshotMessages(m);
      assert.ok(msgs.length >= 4, `${msgs.length} messages`);
      const data = msgs.slice(0, -1);
      const total = data.reduce((n, x) => n + (x.blob as Buffer).length, 0);
      assert.equal(total % 4096, 0, 'whole pages');
      let sent = 0;
      for (const [i, x] of data.entries()) {
        const blob = x.blob as Buffer;
        if (i < data.length - 1) assert.equal(blob.length, 32 * 1024);
        sent += blob.length;
        assert.equal(x.remainingBytes, String(total - sent));
        assert.equal(x.header, null, 'no header, as etcd 3.4 sends none');
      }
      const last = msgs[msgs.length - 1];
      assert.equal(last.remainingBytes, '0');
      assert.deepEqual(last.blob, createHash('sha256').update(Buffer.concat(data.map((x) => x.blob as Buffer))).digest());
    } finally {
      await m.close();
    }
  });
}
