import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BoltFile, BoltWriter, fnv1a64, writeBolt, BOLT_PAGE_SIZE, type BoltSummary } from '../../src/bolt/index.js';

type Entries = [Buffer, Buffer][];

/** Writes into one in-memory file and checks every page was written exactly once. */
function build(buckets: [string, Entries][], pageSize?: number): { file: Buffer; summary: BoltSummary } {
  const writes: { offset: number; bytes: Uint8Array }[] = [];
  const summary = writeBolt(
    buckets.map(([name, e]) => [Buffer.from(name), e] as const),
    (bytes, offset) => writes.push({ offset, bytes: Uint8Array.from(bytes) }),
    pageSize === undefined ? {} : { pageSize },
  );
  const file = Buffer.alloc(summary.size);
  const written = new Uint8Array(summary.pages);
  const ps = pageSize ?? BOLT_PAGE_SIZE;
  for (const w of writes) {
    assert.equal(w.offset % ps, 0, 'page-aligned writes');
    assert.equal(w.bytes.length % ps, 0, 'whole pages');
    file.set(w.bytes, w.offset);
    for (let p = w.offset / ps; p < (w.offset + w.bytes.length) / ps; p++) written[p]++;
  }
  assert.ok(written.every((n) => n === 1), 'every page written once, none left out');
  return { file, summary };
}

function readAll(file: Buffer): Map<string, Entries> {
  const db = new BoltFile(file);
  const out = new Map<string, Entries>();
  for (const b of db.buckets()) {
    assert.ok(b.isBucket, 'root entries are buckets');
    out.set(Buffer.from(b.key).toString(), db.entries(b).map((e) => [Buffer.from(e.key), Buffer.from(e.value)]));
  }
  return out;
}

const revKey = (i: number) => {
  const k = Buffer.alloc(17);
  k.writeBigInt64BE(BigInt(i), 0);
  k[8] = 0x5f;
  return k;
};

test('empty buckets round-trip and the root bucket lists them in byte order', () => {
  const { file, summary } = build([
    ['members', []],
    ['key', []],
    ['authUsers', []],
    ['alarm', []],
  ]);
  // metas, freelist, four empty bucket leaves, the root bucket's leaf
  assert.equal(summary.pages, 3 + 4 + 1);
  const got = readAll(file);
  assert.deepEqual([...got.keys()], ['alarm', 'authUsers', 'key', 'members']);
  for (const e of got.values()) assert.deepEqual(e, []);
});

test('meta pages carry bbolt magic, version, page size, root, freelist, high-water and a valid checksum', () => {
  const { file, summary } = build([['key', [[Buffer.from('a'), Buffer.from('1')]]]]);
  for (const id of [0, 1]) {
    const p = file.subarray(id * BOLT_PAGE_SIZE);
    assert.equal(p.readBigUInt64LE(0), BigInt(id));
    assert.equal(p.readUInt16LE(8), 0x04);
    const m = p.subarray(16, 16 + 64);
    assert.equal(m.readUInt32LE(0), 0xed0cdaed);
    assert.equal(m.readUInt32LE(4), 2);
    assert.equal(m.readUInt32LE(8), BOLT_PAGE_SIZE);
    assert.equal(m.readBigUInt64LE(16), BigInt(summary.root));
    assert.equal(m.readBigUInt64LE(32), 2n, 'freelist page');
    assert.equal(m.readBigUInt64LE(40), BigInt(summary.pages));
    assert.equal(m.readBigUInt64LE(56), fnv1a64(m.subarray(0, 56)));
  }
  assert.equal(file.readUInt16LE(2 * BOLT_PAGE_SIZE + 8), 0x10, 'freelist page flags');
  assert.equal(file.readUInt16LE(2 * BOLT_PAGE_SIZE + 10), 0, 'nothing free');
});

test('FNV-1a 64 matches the reference vectors', () => {
  assert.equal(fnv1a64(Buffer.alloc(0)), 0xcbf29ce484222325n);
  assert.equal(fnv1a64(Buffer.from('a')), 0xaf63dc4c8601ec8cn);
  assert.equal(fnv1a64(Buffer.from('foobar')), 0x85944171f73967e8n);
});

test('many revision keys span two branch levels and read back in order', () => {
  const n = 30_000;
  const entries: Entries = [];
  for (let i = 1; i <= n; i++) entries.push([revKey(i), Buffer.from(`value-${i}`)]);
  const { file, summary } = build([['key', entries], ['meta', [[Buffer.from('consistent_index'), Buffer.alloc(8, 1)]]]]);
  const db = new BoltFile(file);
  const keyBucket = db.buckets().find((b) => Buffer.from(b.key).toString() === 'key')!;
  const root = Number(Buffer.from(keyBucket.value).readBigUInt64LE(0));
  const rootPage = file.subarray(root * BOLT_PAGE_SIZE);
  assert.equal(rootPage.readUInt16LE(8), 0x01, 'the bucket root is a branch');
  const child = Number(rootPage.readBigUInt64LE(16 + 8));
  assert.equal(file.readUInt16LE(child * BOLT_PAGE_SIZE + 8), 0x01, 'its children are branches too');
  const got = readAll(file);
  assert.equal(got.get('key')!.length, n);
  assert.deepEqual(got.get('key'), entries);
  assert.equal(got.get('meta')!.length, 1);
  assert.ok(summary.size < n * 64, `compact file: ${summary.size} bytes`);
});

test('a bucket of 200 000 keys reads back whole (the reader does not recurse per entry)', () => {
  const n = 200_000;
  const entries: Entries = [];
  for (let i = 0; i < n; i++) entries.push([revKey(i + 2), Buffer.from('v')]);
  const { file } = build([['key', entries]]);
  const got = readAll(file).get('key')!;
  assert.equal(got.length, n);
  assert.deepEqual(got[n - 1], entries[n - 1]);
});

test('a value larger than a page lands on overflow pages next to small ones', () => {
  const big = Buffer.alloc(100 * 1024);
  for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 0xff;
  const entries: Entries = [
    [Buffer.from('a'), Buffer.from('small')],
    [Buffer.from('b'), big],
    [Buffer.from('c'), Buffer.from('after')],
  ];
  const { file } = build([['key', entries]]);
  const got = readAll(file).get('key')!;
  assert.deepEqual(got, entries);
  // The big element's page has 100 KiB / 4 KiB overflow pages.
  let found = false;
  for (let p = 3; p * BOLT_PAGE_SIZE < file.length; p++) {
    const overflow = file.readUInt32LE(p * BOLT_PAGE_SIZE + 12);
    if (overflow > 0) {
      assert.equal(overflow, Math.ceil((16 + 16 + 1 + big.length) / BOLT_PAGE_SIZE) - 1);
      found = true;
      break;
    }
  }
  assert.ok(found, 'an overflowed page exists');
});

test('smaller pages: a different page size round-trips', () => {
  const entries: Entries = [];
  for (let i = 0; i < 2000; i++) entries.push([Buffer.from(`k${String(i).padStart(6, '0')}`), Buffer.alloc(i % 300, i & 0xff)]);
  const { file } = build([['lease', entries]], 1024);
  assert.equal(new BoltFile(file).pageSize, 1024);
  assert.deepEqual(readAll(file).get('lease'), entries);
});

test('misuse is refused: keys out of order, duplicate buckets, puts outside a bucket, writing after finish', () => {
  const sink = () => {};
  const w = new BoltWriter(sink);
  assert.throws(() => w.put(Buffer.from('a'), Buffer.from('1')), /outside a bucket/);
  w.beginBucket(Buffer.from('key'));
  w.put(Buffer.from('b'), Buffer.from('1'));
  assert.throws(() => w.put(Buffer.from('a'), Buffer.from('1')), /out of order/);
  assert.throws(() => w.put(Buffer.from('b'), Buffer.from('1')), /out of order/);
  w.beginBucket(Buffer.from('key'));
  assert.throws(() => w.finish(), /written twice/);
  const done = new BoltWriter(sink);
  done.finish();
  assert.throws(() => done.beginBucket(Buffer.from('x')), /finished/);
});

test('a meta page failing its checksum is passed over for the other one, as bbolt does; two bad metas are an invalid database', () => {
  const entries: Entries = [[Buffer.from('a'), Buffer.from('1')], [Buffer.from('b'), Buffer.from('2')]];
  const { file } = build([['key', entries]]);
  // The writer gives meta 1 the higher txid: it is the current one. Tear its root pointer.
  const torn = Buffer.from(file);
  torn.writeBigUInt64LE(999n, BOLT_PAGE_SIZE + 16 + 16);
  assert.deepEqual(readAll(torn).get('key'), entries, 'read through meta 0');
  const both = Buffer.from(torn);
  both.writeBigUInt64LE(999n, 16 + 16);
  assert.throws(() => new BoltFile(both), /invalid database/);
});
