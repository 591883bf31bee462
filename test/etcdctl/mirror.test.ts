// make-mirror from one etcd-ts member to another: existing keys are copied, later
// puts and deletes follow; the mirrored-key count is printed periodically.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Client } from '../../src/client/index.js';
import { etcdctl, startMembers, type Member } from '../helpers/index.js';
import { etcdctlTs, killLeftRunning, startLong } from './run.js';

let source: Member;
let dest: Member;
let src: Client;
let dst: Client;

before(async () => {
  [source, dest] = await startMembers([['etcd-ts', { name: 'mirror-src' }], ['etcd-ts', { name: 'mirror-dst' }]]);
  src = new Client({ endpoints: [source.endpoint] });
  dst = new Client({ endpoints: [dest.endpoint] });
});
after(async () => {
  await killLeftRunning();
  await Promise.all([src?.close(), dst?.close()]);
  await Promise.all([source?.close(), dest?.close()]);
});

const text = (b: Uint8Array) => Buffer.from(b).toString('utf8');

async function destKeys(prefix: string): Promise<Record<string, string>> {
  const r = await dst.get(prefix, { prefix: true });
  return Object.fromEntries(r.kvs.map((kv) => [text(kv.key), text(kv.value)]));
}

async function eventually(check: () => Promise<boolean>, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('make-mirror', { concurrency: false }, () => {
  test('copies existing keys under a prefix to a new prefix, then follows puts and deletes', async () => {
    await src.put('app/a', '1');
    await src.put('app/b', '2');
    await src.put('other/x', 'not mirrored');
    const mirror = startLong('etcdctl-ts', source.endpoint, ['make-mirror', '--prefix', 'app/', '--dest-prefix', 'copy/', dest.endpoint], {
      env: { ETCDCTL_TS_MIRROR_REPORT_INTERVAL: '300ms' },
    });
    try {
      await eventually(async () => Object.keys(await destKeys('copy/')).length === 2, 'the initial copy');
      assert.deepEqual(await destKeys('copy/'), { 'copy/a': '1', 'copy/b': '2' });
      await src.put('app/c', '3');
      await src.put('app/a', '1b');
      await src.delete('app/b');
      await src.txn().then({ requestPut: { key: Buffer.from('app/d'), value: Buffer.from('4'), lease: 0n, prevKv: false, ignoreValue: false, ignoreLease: false } }, { requestDeleteRange: { key: Buffer.from('app/c'), rangeEnd: new Uint8Array(), prevKv: false } }).commit();
      await eventually(async () => JSON.stringify(await destKeys('copy/')) === JSON.stringify({ 'copy/a': '1b', 'copy/d': '4' }), 'the changes after start');
      assert.deepEqual(await destKeys('other/'), {});
      // 2 copied + 3 single changes + a txn of 2.
      await mirror.waitFor((out) => out.split('\n').includes('7'));
    } finally {
      const r = await mirror.stop();
      assert.equal(r.stderr, '');
    }
  });

  test('the whole keyspace with --no-dest-prefix keeps keys as they are', async () => {
    const mirror = startLong('etcdctl-ts', source.endpoint, ['make-mirror', '--no-dest-prefix', dest.endpoint]);
    try {
      await eventually(async () => (await destKeys('other/'))['other/x'] === 'not mirrored', 'the other prefix');
      await src.put('late', 'yes');
      await eventually(async () => (await destKeys('late'))['late'] === 'yes', 'a later put');
    } finally {
      await mirror.stop();
    }
  });

  test('argument errors as etcdctl', async () => {
    for (const args of [['make-mirror'], ['make-mirror', 'a', 'b'], ['make-mirror', '--dest-prefix', 'x', '--no-dest-prefix', dest.endpoint]]) {
      const [ts, real] = [await etcdctlTs(source, args), await etcdctl(source, args)];
      assert.deepEqual([ts.code, ts.stdout, ts.stderr], [real.code, real.stdout, real.stderr], args.join(' '));
    }
  });
});
