// A million keys: the dashboard's tree levels and the keys view in the browser
// open in under a second, because a level is a few small keys-only reads and
// count-only reads, never a load of the key space. The keys are written in-process
// (an embedded member, big txns) to keep the setup short.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startEtcd, type EmbeddedEtcd } from '../../src/index.js';
import type { RequestOp } from '../../src/pb/kv.js';
import { EtcdError, Errors } from '../../src/rpctypes/errors.js';
import { browserSkip, launchBrowser, type Browser } from '../helpers/browser.js';
import { waitText } from './page.js';
import { b64, ok } from './gateway-calls.js';

const KEYS = 1_000_000;
const NAMESPACES = 100;
const TXN_OPS = 10_000;
const LIMIT_MS = 1000;
const skip = browserSkip();

let etcd: EmbeddedEtcd;
let browser: Browser | undefined;

before(async () => {
  etcd = await startEtcd({ enableDashboard: true, maxTxnOps: TXN_OPS, maxRequestBytes: 16 * 1024 * 1024 });
  const enc = new TextEncoder();
  const value = enc.encode('v');
  const server = etcd.member.server;
  const t0 = performance.now();
  for (let i = 0; i < KEYS; i += TXN_OPS) {
    const success: RequestOp[] = [];
    for (let j = i; j < i + TXN_OPS; j++) {
      success.push({ requestPut: { key: enc.encode(`/registry/pods/ns${String(j % NAMESPACES).padStart(2, '0')}/pod-${String(j).padStart(7, '0')}`), value, lease: 0n, prevKv: false, ignoreValue: false, ignoreLease: false } });
    }
    // Puts of the same keys and values are safe to repeat: a txn that timed out on a
    // loaded machine (and may have been applied after all) is sent again.
    for (let attempt = 0; ; attempt++) {
      try {
        await server.txn({ compare: [], success, failure: [] });
        break;
      } catch (err) {
        if (attempt >= 3 || !(err instanceof EtcdError && err.message === Errors.Timeout.message)) throw err;
      }
    }
  }
  console.log(`wrote ${KEYS} keys in ${(performance.now() - t0).toFixed(0)} ms`);
  if (!skip) browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await etcd?.close();
});

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t = performance.now();
  const v = await fn();
  return [v, performance.now() - t];
}

test('tree levels over a million keys answer in under a second', { timeout: 120_000 }, async () => {
  const base = etcd.endpoints[0]!;
  const level = (prefix: string) => ok(base, '/dashboard/api/v1/tree', { prefix: b64(prefix), limit: 200 });
  await level('/registry/'); // warm up the routes and the JIT
  const [root, tRoot] = await timed(() => level(''));
  assert.equal(root.total, KEYS);
  assert.deepEqual(root.children.map((c: any) => [Buffer.from(c.name, 'base64').toString(), c.count]), [['/registry/', KEYS]]);
  const [pods, tPods] = await timed(() => level('/registry/pods/'));
  assert.equal(pods.children.length, NAMESPACES);
  assert.ok(pods.children.every((c: any) => c.dir && c.count === KEYS / NAMESPACES));
  assert.equal(pods.next, undefined);
  const [ns, tNs] = await timed(() => level('/registry/pods/ns42/'));
  assert.equal(ns.total, KEYS / NAMESPACES);
  assert.equal(ns.children.length, 200);
  assert.ok(ns.next);
  const [page2, tPage2] = await timed(() => ok(base, '/dashboard/api/v1/tree', { prefix: b64('/registry/pods/ns42/'), limit: 200, after: ns.next }));
  assert.equal(Buffer.from(page2.children[0].name, 'base64').toString(), 'pod-0020042');
  console.log(`tree over ${KEYS} keys: root ${tRoot.toFixed(0)} ms, 100 directories ${tPods.toFixed(0)} ms, 200 of 10000 keys ${tNs.toFixed(0)} ms, next page ${tPage2.toFixed(0)} ms`);
  for (const [what, ms] of [['root', tRoot], ['/registry/pods/', tPods], ['ns42', tNs], ['ns42 page 2', tPage2]] as const) assert.ok(ms < LIMIT_MS, `${what}: ${ms.toFixed(0)} ms`);
});

test('the keys view opens on a million keys in under a second', { skip, timeout: 120_000 }, async () => {
  const page = browser!.page;
  const base = etcd.endpoints[0]!;
  // The page's scripts once, as a returning operator has them.
  await page.goto(`${base}/dashboard/#/cluster`);
  await page.locator('[data-stat=leader]').waitFor();
  const t0 = performance.now();
  await page.goto(`${base}/dashboard/#/keys?p=${encodeURIComponent(b64('/registry/pods/'))}`);
  await page.locator('a[data-dir="ns99/"]').waitFor();
  const ms = performance.now() - t0;
  await waitText(page, '.tree .muted', /^1,000,000 keys under this prefix/);
  await browser!.screenshot('keys-million');
  console.log(`keys view over ${KEYS} keys rendered in ${ms.toFixed(0)} ms`);
  assert.ok(ms < LIMIT_MS, `keys view took ${ms.toFixed(0)} ms`);
});
