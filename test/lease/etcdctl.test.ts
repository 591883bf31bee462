// The real etcdctl's lease commands against real etcd and etcd-ts side by side.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { etcdctl } from '../helpers/etcdctl.js';
import { startPair } from '../compat/pair.js';
import { jsonRevision } from '../compat/pair.js';
import { leasePair, remainingWithin, sameLease, sortedKeys, sortedList, type LeasePair } from './leases.js';

let p: LeasePair;
before(async () => {
  p = leasePair(await startPair());
});
after(async () => {
  await p?.close();
});

test('grant: TTL as asked, raised to the minimum, and too large refused', async () => {
  assert.equal((await sameLease(p, ['lease', 'grant', '600'])).stdout, 'lease <lease-1> granted with TTL(600s)\n');
  assert.equal((await sameLease(p, ['lease', 'grant', '1'])).stdout, 'lease <lease-2> granted with TTL(2s)\n');
  // A 2 s lease would expire while the later tests run, on each server at its own moment
  // (etcd revokes expired leases from a background loop): revoked here, the list stays comparable.
  assert.equal((await sameLease(p, ['lease', 'revoke', '<lease-2>'])).stdout, 'lease <lease-2> revoked\n');
  const big = await sameLease(p, ['lease', 'grant', '9000000001']);
  assert.equal(big.code, 1);
  assert.match(big.stderr, /Error: failed to grant lease \(etcdserver: too large lease TTL\)/);
  const j = await sameLease(p, ['lease', 'grant', '300', '-w', 'json']);
  assert.match(j.stdout, /"ID":"<ID>","TTL":300,"Error":""/);
});

test('put --lease attaches; timetolive shows TTLs and keys; keep-alive --once renews', async () => {
  await sameLease(p, ['put', 'lk/b', '1', '--lease=<lease-1>']);
  await sameLease(p, ['put', 'lk/a', '2', '--lease=<lease-1>']);
  const ttl = await sameLease(p, ['lease', 'timetolive', '<lease-1>', '--keys'], sortedKeys(remainingWithin(590, 600)));
  assert.equal(ttl.stdout, 'lease <lease-1> granted with TTL(600s), remaining(<n>s), attached keys([lk/a lk/b])\n');
  const plain = await sameLease(p, ['lease', 'timetolive', '<lease-1>'], remainingWithin(590, 600));
  assert.equal(plain.stdout, 'lease <lease-1> granted with TTL(600s), remaining(<n>s)\n');
  const ka = await sameLease(p, ['lease', 'keep-alive', '--once', '<lease-1>']);
  assert.equal(ka.stdout, 'lease <lease-1> keepalived with TTL(600)\n');
  const get = await sameLease(p, ['get', 'lk/a', '-w', 'json']);
  assert.match(get.stdout, /"lease":"?<lease-1>"?/);
});

test('put --ignore-lease keeps the lease; a put without one detaches the key', async () => {
  await sameLease(p, ['put', 'il/k', 'v1', '--lease=<lease-3>']);
  await sameLease(p, ['put', 'il/k', 'v2', '--ignore-lease']);
  const kept = await sameLease(p, ['lease', 'timetolive', '<lease-3>', '--keys'], remainingWithin(290, 300));
  assert.match(kept.stdout, /attached keys\(\[il\/k\]\)/);
  await sameLease(p, ['put', 'il/k', 'v3']);
  const gone = await sameLease(p, ['lease', 'timetolive', '<lease-3>', '--keys'], remainingWithin(290, 300));
  assert.match(gone.stdout, /attached keys\(\[\]\)/);
});

test('lease list names every lease', async () => {
  const r = await sameLease(p, ['lease', 'list'], sortedList);
  assert.equal(r.stdout, 'found 2 leases\n<lease-1>\n<lease-3>\n');
});

test('revoke deletes the attached keys at one revision', async () => {
  const before = jsonRevision((await sameLease(p, ['get', 'lk/', '--prefix', '-w', 'json'])).stdout);
  assert.equal((await sameLease(p, ['lease', 'revoke', '<lease-1>'])).stdout, 'lease <lease-1> revoked\n');
  const after = await sameLease(p, ['get', 'lk/', '--prefix', '-w', 'json']);
  assert.equal(jsonRevision(after.stdout), before + 1);
  assert.doesNotMatch(after.stdout, /"kvs"/);
  assert.equal((await sameLease(p, ['lease', 'timetolive', '<lease-1>'])).stdout, 'lease <lease-1> already expired\n');
});

test('a missing lease: put, keep-alive, revoke and timetolive answer as etcd', async () => {
  const put = await sameLease(p, ['put', 'ml/k', 'v', '--lease=1234']);
  assert.notEqual(put.code, 0);
  assert.match(put.stderr, /Error: etcdserver: requested lease not found/);
  const ka = await sameLease(p, ['lease', 'keep-alive', '--once', '1234']);
  assert.notEqual(ka.code, 0);
  assert.match(ka.stderr, /requested lease not found/);
  const rv = await sameLease(p, ['lease', 'revoke', '1234']);
  assert.equal(rv.code, 1);
  assert.match(rv.stderr, /Error: failed to revoke lease \(etcdserver: requested lease not found\)/);
  const ttl = await sameLease(p, ['lease', 'timetolive', '1234', '-w', 'json']);
  assert.match(ttl.stdout, /"ttl":-1/);
});

test('an expiring lease deletes its keys on both servers', async () => {
  // <lease-2> has the minimum TTL (2 s); it may already have expired by now.
  await sameLease(p, ['lease', 'grant', '2']);
  await sameLease(p, ['put', 'ex/k', 'v', '--lease=<lease-4>']);
  const deadline = Date.now() + 10_000;
  const gone = async (m: typeof p.etcd) => (await etcdctl(m, ['get', 'ex/k', '--print-value-only'])).stdout === '';
  for (let i = 0; i < 100 && Date.now() < deadline; i++) {
    if ((await gone(p.etcd)) && (await gone(p.ts))) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  assert.ok(await gone(p.ts), 'etcd-ts deleted the key of the expired lease');
  assert.ok(await gone(p.etcd), 'etcd deleted the key of the expired lease');
  assert.equal((await sameLease(p, ['lease', 'timetolive', '<lease-4>'])).stdout, 'lease <lease-4> already expired\n');
  const list = await sameLease(p, ['lease', 'list'], sortedList);
  assert.equal(list.stdout, 'found 1 leases\n<lease-3>\n');
  await sameLease(p, ['get', 'ex/k', '-w', 'json']);
});
