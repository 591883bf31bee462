// A second real client, the etcd3 npm package, runs the same KV scenario
// against real etcd and etcd-ts; the answers must be identical.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Etcd3 } from 'etcd3';
import type { Member } from '../helpers/member.js';
import { startPair, type Pair } from './pair.js';

let pair: Pair;
before(async () => {
  pair = await startPair();
});
after(async () => {
  await pair?.close();
});

function bounded<T>(what: string, p: Promise<T>, ms = 20_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** Everything the scenario observed, without IDs and terms (which legitimately differ). */
async function scenario(client: Etcd3): Promise<Record<string, unknown>> {
  const seen: Record<string, unknown> = {};
  const put = await client.put('e3/a').value('1').exec();
  seen.putRevision = put.header.revision;
  await client.put('e3/b').value('2');
  await client.put('e3/c').value(Buffer.from([0x00, 0xff, 0x10]));
  seen.prevOnOverwrite = (await client.put('e3/b').value('22').getPrevious())?.value.toString();
  seen.get = await client.get('e3/a').string();
  seen.getBinary = [...((await client.get('e3/c').buffer()) ?? [])];
  seen.getMissing = await client.get('e3/missing').string();
  seen.prefixStrings = await client.getAll().prefix('e3/').keys();
  seen.prefixCount = await client.getAll().prefix('e3/').count();
  seen.sortedLimited = await client.getAll().prefix('e3/').sort('Key', 'Descend').limit(2).keys();
  const raw = await client.get('e3/b').exec();
  seen.rawKv = raw.kvs.map((kv) => ({ key: kv.key.toString(), value: kv.value.toString(), version: kv.version, create: kv.create_revision, mod: kv.mod_revision, lease: kv.lease }));
  seen.rawCount = raw.count;
  seen.rawRevision = raw.header.revision;

  const ok = await client.if('e3/a', 'Value', '==', '1').then(client.put('e3/t').value('yes')).else(client.put('e3/t').value('no')).commit();
  seen.txnSucceeded = ok.succeeded;
  seen.txnRevision = ok.header.revision;
  const no = await client.if('e3/a', 'Version', '>', 5).then(client.put('e3/t').value('yes')).else(client.get('e3/t'), client.delete().key('e3/c')).commit();
  seen.txnFailed = no.succeeded;
  seen.txnFailureRange = no.responses[0]?.response_range?.kvs.map((kv) => kv.value.toString());
  seen.txnFailureDeleted = no.responses[1]?.response_delete_range?.deleted;
  seen.afterTxn = await client.get('e3/t').string();

  const ns = client.namespace('ns/');
  await ns.put('x').value('in-namespace');
  seen.namespaced = await client.get('ns/x').string();
  seen.namespaceKeys = await ns.getAll().keys();

  seen.deleteOne = (await client.delete().key('e3/b')).deleted;
  const del = await client.delete().prefix('e3/').getPrevious();
  seen.deletePrefixPrev = del.map((kv) => `${kv.key.toString()}=${kv.value.toString()}`);
  seen.afterDelete = await client.getAll().prefix('e3/').count();
  return seen;
}

/** Closing the client in every case also ends a scenario that overran its bound. */
async function runScenario(m: Member): Promise<Record<string, unknown>> {
  const client = new Etcd3({ hosts: m.endpoint, dialTimeout: 2000 });
  try {
    return await bounded(`etcd3 scenario against ${m.kind}`, scenario(client));
  } finally {
    client.close();
  }
}

test('etcd3 client: put, get, prefix, sort, txn, namespace, delete agree with real etcd', async () => {
  const want = await runScenario(pair.etcd);
  const got = await runScenario(pair.ts);
  assert.deepEqual(want, {
    putRevision: '2',
    prevOnOverwrite: '2',
    get: '1',
    getBinary: [0x00, 0xff, 0x10],
    getMissing: null,
    prefixStrings: ['e3/a', 'e3/b', 'e3/c'],
    prefixCount: 3,
    sortedLimited: ['e3/c', 'e3/b'],
    rawKv: [{ key: 'e3/b', value: '22', version: '2', create: '3', mod: '5', lease: '0' }],
    rawCount: '1',
    rawRevision: '5',
    txnSucceeded: true,
    txnRevision: '6',
    txnFailed: false,
    txnFailureRange: ['yes'],
    txnFailureDeleted: '1',
    afterTxn: 'yes',
    namespaced: 'in-namespace',
    namespaceKeys: ['x'],
    deleteOne: '1',
    deletePrefixPrev: ['e3/a=1', 'e3/t=yes'],
    afterDelete: 0,
  });
  assert.deepEqual(got, want);
});
