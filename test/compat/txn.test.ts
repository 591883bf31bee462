// etcdctl txn (compares, success and failure branches read from stdin), real etcd against etcd-ts.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { same, startPair, type Pair } from './pair.js';

let pair: Pair;
before(async () => {
  pair = await startPair();
});
after(async () => {
  await pair?.close();
});

/** etcdctl's txn input: three sections (compares, success ops, failure ops), each ended by a blank line. */
const section = (lines: string[]) => lines.map((l) => `${l}\n`).join('') + '\n';
const txnInput = (compares: string[], success: string[], failure: string[]) => section(compares) + section(success) + section(failure);

test('txn takes the failure branch when the compare does not hold', async () => {
  const r = await same(pair, ['txn'], { stdin: txnInput(['mod("t/k") > "0"'], ['put t/k v'], ['put t/miss 1', 'get t/miss']) });
  assert.equal(r.stdout, 'FAILURE\n\nOK\n\nt/miss\n1\n');
  assert.equal(r.code, 0);
});

test('txn takes the success branch and runs put, get and del', async () => {
  await same(pair, ['put', 't/k', 'v']);
  const r = await same(pair, ['txn'], {
    stdin: txnInput(['value("t/k") = "v"', 'create("t/k") > "0"'], ['put t/a 1', 'get t/k', 'del t/miss'], ['put t/never 1']),
  });
  assert.equal(r.stdout, 'SUCCESS\n\nOK\n\nt/k\nv\n\n1\n');
  assert.equal((await same(pair, ['get', 't/never'])).stdout, '');
});

test('txn -w json and -w fields show the responses and header revisions', async () => {
  const j = await same(pair, ['txn', '-w', 'json'], {
    stdin: txnInput(['version("t/k") = "1"'], ['put t/b 2 --prev-kv', 'get t/ --prefix --keys-only'], []),
  });
  assert.match(j.stdout, /"succeeded":true,"responses":\[\{"Response":\{"ResponsePut":\{"header":\{"revision":\d+\}\}\}\},\{"Response":\{"ResponseRange":/);
  const f = await same(pair, ['txn', '-w', 'fields'], {
    stdin: txnInput(['value("t/k") = "other"'], [], ['del t/ --prefix --prev-kv']),
  });
  assert.match(f.stdout, /^"Succeeded" : false$/m);
  assert.equal((await same(pair, ['get', 't/', '--prefix'])).stdout, '');
});

test('txn with an empty compare list succeeds; < and != compares pick the failure branch', async () => {
  const r = await same(pair, ['txn', '-w', 'json'], { stdin: txnInput([], ['put t/c 3'], []) });
  assert.match(r.stdout, /"succeeded":true/);
  const lt = await same(pair, ['txn'], { stdin: txnInput(['mod("t/c") < "1"', 'value("t/c") != "3"'], ['put t/d 4'], ['get t/c']) });
  assert.equal(lt.stdout, 'FAILURE\n\nt/c\n3\n');
});

test('txn errors: duplicate key, malformed compare, table output', async () => {
  const dup = await same(pair, ['txn'], { stdin: txnInput([], ['put t/x 1', 'put t/x 2'], []) });
  assert.equal(dup.code, 1);
  assert.match(dup.stderr, /Error: etcdserver: duplicate key given in txn request/);
  const bad = await same(pair, ['txn'], { stdin: 'bad syntax\n' });
  assert.equal(bad.code, 3);
  assert.match(bad.stderr, /malformed comparison/);
  const table = await same(pair, ['txn', '-w', 'table'], { stdin: txnInput([], ['put t/y 1'], []) });
  assert.notEqual(table.code, 0);
});

test('txn -i prompts and answers like etcd', async () => {
  const r = await same(pair, ['txn', '-i'], { stdin: txnInput(['mod("t/c") > "0"'], ['get t/c'], []) });
  assert.match(r.stdout, /^compares:\nsuccess requests \(get, put, del\):\nfailure requests \(get, put, del\):\nSUCCESS\n/);
});
