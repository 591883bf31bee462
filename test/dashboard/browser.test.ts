// The dashboard in a real browser (Debian's Chromium, headless) against an etcd-ts
// member with auth on: log in, browse to a Kubernetes object and see it decoded,
// edit a key and see the new value and revision, its history and a diff, watch a
// prefix while another client writes (pausing loses nothing), leases, users and
// roles, metrics; then a user who may only read /app/ sees nothing else and cannot
// write. Every view is saved as a PNG under dist/screenshots/.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { login, waitText } from './page.js';
import { startMember, type Member } from '../helpers/member.js';
import { envelope } from '../helpers/k8s.js';
import { browserSkip, launchBrowser, type Browser } from '../helpers/browser.js';
import { b64, enableAuth, ok, put, token } from './gateway-calls.js';

const skip = browserSkip();

let m: Member;
let browser: Browser;
before(async () => {
  if (skip) return;
  m = await startMember('etcd-ts', { extraArgs: ['--enable-dashboard'] });
  await put(m.endpoint, '/registry/pods/default/web', envelope('v1', 'Pod', 'Pod', { metadata: { name: 'web', namespace: 'default', uid: 'u-1' }, spec: { containers: [{ name: 'web', image: 'nginx:1.25' }], restartPolicy: 'Always' } }));
  await put(m.endpoint, '/registry/namespaces/default', envelope('v1', 'Namespace', 'Namespace', { metadata: { name: 'default' }, status: { phase: 'Active' } }));
  await put(m.endpoint, '/app/config', 'color=blue');
  await put(m.endpoint, '/other/secret', 's3cr3t');
  await enableAuth(m.endpoint);
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await m?.close();
});

test('root browses, decodes, edits, diffs, watches; a read-only user sees only its prefix', { skip, timeout: 120_000 }, async () => {
  await browser.onFailure('single-member', () => rootAndReader(browser.page));
});

async function rootAndReader(page: Page): Promise<void> {
  const rootToken = await token(m.endpoint, 'root', 'rootpw');
  await page.goto(`${m.endpoint}/dashboard/`);
  await page.locator('form.login').waitFor();
  await browser.screenshot('login');
  await login(page, 'root', 'rootpw');
  assert.equal(await page.evaluate(() => document.documentElement.outerHTML.includes('rootpw')), false, 'no password in the page');
  await waitText(page, '[data-stat=leader] .value', /^n1$/);
  await waitText(page, 'tr[data-member=n1] [data-health]', /healthy/);
  await browser.screenshot('cluster');

  // Keys: down the tree to a Kubernetes pod, decoded.
  await page.locator('a[data-view=keys]').click();
  await page.locator('a[data-dir="/registry/"]').click();
  await page.locator('a[data-dir="pods/"]').click();
  await page.locator('a[data-dir="default/"]').click();
  await page.locator('a[data-key="web"]').click();
  const pod = await waitText(page, 'pre.value[data-form=k8s]', /kind: Pod/);
  assert.match(pod, /image: nginx:1\.25/);
  assert.match(pod, /namespace: default/);
  await browser.screenshot('keys-k8s');

  // Edit a key: the new value and its revision show, and the member has them.
  await page.locator('a[data-view=keys]').click();
  await page.locator('a[data-dir="/app/"]').click();
  await page.locator('a[data-key="config"]').click();
  await waitText(page, 'pre.value', /^color=blue$/);
  await page.getByRole('button', { name: 'Edit' }).click();
  await page.locator('textarea.editor').fill('color=green');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.locator('dialog.confirm button[data-confirm]').click();
  const saved = await page.locator('[data-saved-revision]').getAttribute('data-saved-revision');
  await waitText(page, 'pre.value', /^color=green$/);
  assert.equal(await page.locator('[data-mod-revision]').getAttribute('data-mod-revision'), saved);
  const stored = await ok(m.endpoint, '/v3/kv/range', { key: b64('/app/config') }, { token: rootToken });
  assert.equal(Buffer.from(stored.kvs[0].value, 'base64').toString(), 'color=green');
  assert.equal(stored.kvs[0].mod_revision, saved);

  // History and a diff between the two versions.
  await page.getByRole('button', { name: 'History' }).click();
  await page.locator('tr[data-revision]').nth(1).waitFor();
  const revs = await page.locator('tr[data-revision]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-revision')));
  assert.equal(revs.length, 2);
  await page.locator(`tr[data-revision="${revs[1]}"] input[name=old]`).check();
  await page.locator(`tr[data-revision="${revs[0]}"] input[name=new]`).check();
  await page.getByRole('button', { name: 'Compare selected' }).click();
  const diff = await waitText(page, 'pre.diff', /\+ color=green/);
  assert.match(diff, /- color=blue/);
  await browser.screenshot('keys-history-diff');

  // Watch a prefix while another client writes; a pause loses nothing.
  await page.locator('a[data-view=watch]').click();
  await page.locator('input[name=watch-prefix]').fill('/app/');
  await page.locator('form.bar button[type=submit]').click();
  await waitText(page, '[data-watch-status]', /Watching \/app\//);
  await put(m.endpoint, '/app/w1', 'first', { token: rootToken });
  await page.locator('tr[data-key="/app/w1"][data-event=PUT]').waitFor();
  await page.getByRole('button', { name: 'Pause' }).click();
  await waitText(page, '[data-watch-status]', /Paused/);
  await put(m.endpoint, '/app/w2', 'while paused', { token: rootToken });
  await ok(m.endpoint, '/v3/kv/deleterange', { key: b64('/app/w1') }, { token: rootToken });
  await page.getByRole('button', { name: 'Resume' }).click();
  await page.locator('tr[data-key="/app/w2"][data-event=PUT]').waitFor();
  await page.locator('tr[data-key="/app/w1"][data-event=DELETE]').waitFor();
  assert.equal(await page.locator('tr[data-event]').count(), 3);
  await browser.screenshot('watch');

  // Leases with their TTL and keys, and the key's lease in the keys view.
  const lease = await ok(m.endpoint, '/v3/lease/grant', { TTL: 600 }, { token: rootToken });
  await put(m.endpoint, '/app/leased', 'x', { token: rootToken, lease: lease.ID });
  await page.locator('a[data-view=leases]').click();
  const leaseRow = await waitText(page, `tr[data-lease="${BigInt(lease.ID).toString(16)}"]`, /\/app\/leased/);
  assert.match(leaseRow, /\d+ s/);
  await browser.screenshot('leases');
  await page.goto(`${m.endpoint}/dashboard/#/keys?p=${encodeURIComponent(b64('/app/'))}&k=${encodeURIComponent(b64('/app/leased'))}`);
  await waitText(page, 'dl.meta', /s left of 600 s/);

  // Users and roles.
  await page.locator('a[data-view=access]').click();
  await waitText(page, 'tr[data-user-row=reader]', /app-reader/);
  await waitText(page, 'tr[data-role-row=app-reader]', /READ.*prefix \/app\//);
  await browser.screenshot('access');

  // Metrics: charts drawn from samples of the member's /metrics.
  await page.locator('a[data-view=metrics]').click();
  await waitText(page, 'main .bar .muted', /^([3-9]|\d\d+) samples/);
  assert.equal(await page.locator('figure.chart-box').count(), 7);
  await browser.screenshot('metrics');

  // A user who may only read /app/.
  await page.getByRole('button', { name: 'Log out' }).click();
  await login(page, 'reader', 'readerpw');
  await page.locator('a[data-view=keys]').click();
  await waitText(page, 'ul.children', /permission denied/);
  await page.locator('li.readable a', { hasText: 'prefix /app/' }).click();
  await page.locator('a[data-key="config"]').waitFor();
  const listed = await page.locator('ul.children').textContent();
  assert.doesNotMatch(listed ?? '', /secret|registry|other/);
  await page.goto(`${m.endpoint}/dashboard/#/keys?p=${encodeURIComponent(b64('/other/'))}&k=${encodeURIComponent(b64('/other/secret'))}`);
  await waitText(page, '.detail', /permission denied/);
  assert.doesNotMatch((await page.locator('main').textContent()) ?? '', /s3cr3t/);
  await page.goto(`${m.endpoint}/dashboard/#/keys?p=${encodeURIComponent(b64('/app/'))}&k=${encodeURIComponent(b64('/app/config'))}`);
  await waitText(page, 'pre.value', /^color=green$/);
  await page.getByRole('button', { name: 'Edit' }).click();
  await page.locator('textarea.editor').fill('color=hacked');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.locator('dialog.confirm button[data-confirm]').click();
  await waitText(page, '.detail .error', /permission denied/);
  await browser.screenshot('keys-read-only-user');
  const after = await ok(m.endpoint, '/v3/kv/range', { key: b64('/app/config') }, { token: rootToken });
  assert.equal(Buffer.from(after.kvs[0].value, 'base64').toString(), 'color=green');
}
