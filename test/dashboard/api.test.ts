// The dashboard on a member: off unless enabled (then /dashboard/ is etcd's 404),
// its page served with a content security policy and nothing else of the
// package, and its JSON API checked on the member exactly as the gateway is:
// no token, a forbidden read, a forbidden write and an expired token get etcd's
// errors; values decode as the k8s output does; history walks back to the
// compaction point.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startMember, startMembers, type Member } from '../helpers/member.js';
import { envelope } from '../helpers/k8s.js';
import { b64, call, enableAuth, ok, put, token } from './gateway-calls.js';

const fromB64 = (s: string) => Buffer.from(s, 'base64').toString('utf8');

describe('dashboard off', () => {
  let etcd: Member;
  let ts: Member;
  before(async () => {
    [etcd, ts] = await startMembers([['etcd'], ['etcd-ts']]);
  });
  after(async () => {
    await Promise.all([etcd?.close(), ts?.close()]);
  });

  test('without --enable-dashboard, /dashboard/ answers as etcd does for an unknown path', async () => {
    for (const path of ['/dashboard/', '/dashboard', '/dashboard/app.js', '/dashboard/api/v1/tree']) {
      const [e, t] = await Promise.all([call(etcd.endpoint, path, undefined), call(ts.endpoint, path, undefined)]);
      assert.equal(t.status, e.status, path);
      assert.equal(t.status, 404);
      assert.equal(t.text, e.text, path);
      assert.equal(t.headers['content-type'], e.headers['content-type']);
    }
  });
});

describe('dashboard on, auth on', () => {
  let m: Member;
  // Tokens live 2 s unused here (for the expiry test): each test logs in afresh.
  const root = () => token(m.endpoint, 'root', 'rootpw');
  const reader = () => token(m.endpoint, 'reader', 'readerpw');
  before(async () => {
    m = await startMember('etcd-ts', { extraArgs: ['--enable-dashboard', '--auth-token-ttl', '2'] });
    await put(m.endpoint, '/app/config', 'color=blue');
    await put(m.endpoint, '/other/secret', 's3cr3t');
    await put(m.endpoint, '/registry/pods/default/web', envelope('v1', 'Pod', 'Pod', { metadata: { name: 'web', namespace: 'default' }, spec: { containers: [{ name: 'web', image: 'nginx:1.25' }] } }));
    await put(m.endpoint, '/bin/blob', Uint8Array.of(0, 1, 2, 0xff));
    await put(m.endpoint, '/json/doc', '{"a":[1,2]}');
    await enableAuth(m.endpoint);
  });
  after(async () => {
    await m?.close();
  });

  test('the page and its scripts are served with a content security policy; nothing else is', async () => {
    const page = await call(m.endpoint, '/dashboard/', undefined);
    assert.equal(page.status, 200);
    assert.match(String(page.headers['content-type']), /^text\/html/);
    assert.match(String(page.headers['content-security-policy']), /script-src 'self'/);
    assert.match(page.text, /<script type="module" src="app.js">/);
    assert.doesNotMatch(page.text, /rootpw|token/i);
    const js = await call(m.endpoint, '/dashboard/app.js', undefined);
    assert.equal(js.status, 200);
    assert.match(String(js.headers['content-type']), /^text\/javascript/);
    const again = await call(m.endpoint, '/dashboard/app.js', undefined, { method: 'GET' });
    assert.equal(again.headers.etag, js.headers.etag);
    const redirect = await call(m.endpoint, '/dashboard', undefined);
    assert.equal(redirect.status, 301);
    assert.equal(redirect.headers.location, '/dashboard/');
    for (const path of ['/dashboard/%2e%2e/%2e%2e/package.json', '/dashboard/../package.json', '/dashboard/.hidden.js', '/dashboard/nope.js', '/dashboard/views/../../static.ts']) {
      assert.equal((await call(m.endpoint, path, undefined)).status, 404, path);
    }
    assert.equal((await call(m.endpoint, '/dashboard/', {}, { method: 'POST' })).status, 405);
  });

  test('without a token the API serves nothing: the gateway\'s error for a missing user', async () => {
    for (const name of ['tree', 'value', 'history']) {
      const r = await call(m.endpoint, `/dashboard/api/v1/${name}`, { key: b64('/app/config') });
      const g = await call(m.endpoint, '/v3/kv/range', { key: b64('/app/config') });
      assert.equal(r.status, g.status, name);
      assert.deepEqual(r.body, g.body, name);
      assert.equal(r.body.message, 'etcdserver: user name is empty');
    }
  });

  test('a forbidden read is refused as the gateway refuses it; a permitted one works', async () => {
    const readerToken = await reader();
    const denied = await call(m.endpoint, '/dashboard/api/v1/tree', { prefix: '' }, { token: readerToken });
    assert.equal(denied.status, 403);
    assert.deepEqual(denied.body, { error: 'etcdserver: permission denied', message: 'etcdserver: permission denied', code: 7 });
    const value = await call(m.endpoint, '/dashboard/api/v1/value', { key: b64('/other/secret') }, { token: readerToken });
    assert.equal(value.status, 403);
    assert.doesNotMatch(value.text, /s3cr3t/);
    const history = await call(m.endpoint, '/dashboard/api/v1/history', { key: b64('/other/secret') }, { token: readerToken });
    assert.equal(history.status, 403);
    const level = await ok(m.endpoint, '/dashboard/api/v1/tree', { prefix: b64('/app/') }, { token: readerToken });
    assert.deepEqual(level.children.map((c: any) => fromB64(c.key)), ['/app/config']);
    const v = await ok(m.endpoint, '/dashboard/api/v1/value', { key: b64('/app/config') }, { token: readerToken });
    assert.deepEqual(v.view, { form: 'text', text: 'color=blue' });
  });

  test('a forbidden write through the gateway the page uses is refused and changes nothing', async () => {
    const rootToken = await root();
    const readerToken = await reader();
    const w = await call(m.endpoint, '/v3/kv/put', { key: b64('/app/config'), value: b64('hacked') }, { token: readerToken });
    assert.equal(w.status, 403);
    assert.equal(w.body.message, 'etcdserver: permission denied');
    const v = await ok(m.endpoint, '/dashboard/api/v1/value', { key: b64('/app/config') }, { token: rootToken });
    assert.equal(fromB64(v.kv.value), 'color=blue');
  });

  test('values show as the k8s output decodes them, JSON parsed, bytes as binary', async () => {
    const rootToken = await root();
    const pod = await ok(m.endpoint, '/dashboard/api/v1/value', { key: b64('/registry/pods/default/web') }, { token: rootToken });
    assert.equal(pod.view.form, 'k8s');
    assert.equal(pod.view.object.kind, 'Pod');
    assert.equal(pod.view.object.spec.containers[0].image, 'nginx:1.25');
    assert.match(pod.view.yaml, /^apiVersion: v1\nkind: Pod\n/);
    const bin = await ok(m.endpoint, '/dashboard/api/v1/value', { key: b64('/bin/blob') }, { token: rootToken });
    assert.equal(bin.view.form, 'binary');
    assert.deepEqual([...Buffer.from(bin.kv.value, 'base64')], [0, 1, 2, 0xff]);
    const json = await ok(m.endpoint, '/dashboard/api/v1/value', { key: b64('/json/doc') }, { token: rootToken });
    assert.deepEqual(json.view, { form: 'json', object: { a: [1, 2] } });
    const missing = await ok(m.endpoint, '/dashboard/api/v1/value', { key: b64('/no/such') }, { token: rootToken });
    assert.equal(missing.kv, null);
  });

  test('bad requests get InvalidArgument, unknown APIs NotFound', async () => {
    const rootToken = await root();
    const bad = await call(m.endpoint, '/dashboard/api/v1/value', { key: 'not base64!' }, { token: rootToken });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.code, 3);
    const noKey = await call(m.endpoint, '/dashboard/api/v1/history', {}, { token: rootToken });
    assert.equal(noKey.status, 400);
    const notJson = await call(m.endpoint, '/dashboard/api/v1/tree', undefined, { token: rootToken, method: 'POST' });
    assert.equal(notJson.status, 200, 'an empty body is an empty request');
    const unknown = await call(m.endpoint, '/dashboard/api/v1/nope', {}, { token: rootToken });
    assert.equal(unknown.status, 404);
    const get = await call(m.endpoint, '/dashboard/api/v1/tree', undefined, { token: rootToken });
    assert.equal(get.status, 405);
  });

  test('an expired token is refused as etcd refuses it', async () => {
    const t = await token(m.endpoint, 'reader', 'readerpw');
    await ok(m.endpoint, '/dashboard/api/v1/value', { key: b64('/app/config') }, { token: t });
    // --auth-token-ttl 2: unused for longer than that, the token is gone.
    await new Promise((r) => setTimeout(r, 3500));
    const r = await call(m.endpoint, '/dashboard/api/v1/value', { key: b64('/app/config') }, { token: t });
    assert.equal(r.status, 401);
    assert.deepEqual(r.body, { error: 'etcdserver: invalid auth token', message: 'etcdserver: invalid auth token', code: 16 });
  });
});

describe('dashboard API without auth', () => {
  let m: Member;
  before(async () => {
    m = await startMember('etcd-ts', { extraArgs: ['--enable-dashboard'] });
  });
  after(async () => {
    await m?.close();
  });

  test('history walks back through the versions to the compaction point, a page at a time', async () => {
    const revs: number[] = [];
    for (let i = 1; i <= 6; i++) revs.push(await put(m.endpoint, 'h/key', `v${i}`));
    await ok(m.endpoint, '/v3/kv/compaction', { revision: revs[1] });
    const first = await ok(m.endpoint, '/dashboard/api/v1/history', { key: b64('h/key'), limit: 3 });
    assert.deepEqual(first.versions.map((v: any) => v.mod_revision), [revs[5], revs[4], revs[3]]);
    assert.deepEqual(first.versions.map((v: any) => v.version), [6, 5, 4]);
    assert.equal(first.before, revs[3]);
    const rest = await ok(m.endpoint, '/dashboard/api/v1/history', { key: b64('h/key'), limit: 3, before: first.before });
    // revs[1] is the compaction point: still readable; below it nothing is.
    assert.deepEqual(rest.versions.map((v: any) => v.mod_revision), [revs[2], revs[1]]);
    assert.equal(rest.end, 'compacted');
    const old = await ok(m.endpoint, '/dashboard/api/v1/value', { key: b64('h/key'), revision: revs[2] });
    assert.equal(fromB64(old.kv.value), 'v3');

    await put(m.endpoint, 'h/fresh', 'a');
    await put(m.endpoint, 'h/fresh', 'b');
    const fresh = await ok(m.endpoint, '/dashboard/api/v1/history', { key: b64('h/fresh') });
    assert.deepEqual(fresh.versions.map((v: any) => v.version), [2, 1]);
    assert.equal(fresh.end, 'created');
  });

  test("history goes on past a deletion into the key's earlier lives, until the compaction point", async () => {
    const del = async (key: string) => Number((await ok(m.endpoint, '/v3/kv/deleterange', { key: b64(key) })).header.revision);
    const a1 = await put(m.endpoint, 'h/life', 'a1');
    await put(m.endpoint, 'h/other', 'x');
    const a2 = await put(m.endpoint, 'h/life', 'a2');
    const d1 = await del('h/life');
    const b1 = await put(m.endpoint, 'h/life', 'b1');
    const d2 = await del('h/life');
    const c1 = await put(m.endpoint, 'h/life', 'c1');
    const shape = (vs: any[]) => vs.map((v: any) => (v.deleted ? `del@${v.mod_revision}` : `${v.version}@${v.mod_revision}`));

    const all = await ok(m.endpoint, '/dashboard/api/v1/history', { key: b64('h/life') });
    assert.deepEqual(shape(all.versions), [`1@${c1}`, `del@${d2}`, `1@${b1}`, `del@${d1}`, `2@${a2}`, `1@${a1}`]);
    assert.equal(all.end, 'created');
    assert.equal(all.end_revision, a1);

    // Pages cut anywhere, also right after a deletion, and join up.
    const p1 = await ok(m.endpoint, '/dashboard/api/v1/history', { key: b64('h/life'), limit: 2 });
    assert.deepEqual(shape(p1.versions), [`1@${c1}`, `del@${d2}`]);
    assert.equal(p1.before, d2);
    const p2 = await ok(m.endpoint, '/dashboard/api/v1/history', { key: b64('h/life'), limit: 3, before: p1.before });
    assert.deepEqual(shape(p2.versions), [`1@${b1}`, `del@${d1}`, `2@${a2}`]);

    // A key deleted now: its history starts with the deletion.
    const d3 = await del('h/life');
    const gone = await ok(m.endpoint, '/dashboard/api/v1/history', { key: b64('h/life'), limit: 2 });
    assert.deepEqual(shape(gone.versions), [`del@${d3}`, `1@${c1}`]);

    // After compacting at b1, the lives before it are no longer readable.
    await ok(m.endpoint, '/v3/kv/compaction', { revision: b1 });
    const later = await ok(m.endpoint, '/dashboard/api/v1/history', { key: b64('h/life') });
    assert.deepEqual(shape(later.versions), [`del@${d3}`, `1@${c1}`, `del@${d2}`, `1@${b1}`]);
    assert.equal(later.end, 'compacted');

    // A key that never existed.
    const never = await ok(m.endpoint, '/dashboard/api/v1/history', { key: b64('h/never') });
    assert.deepEqual(never.versions, []);
    assert.equal(never.end, 'absent');
  });

  test('the tree pages children with counts and skips over directories', async () => {
    for (let i = 0; i < 30; i++) await put(m.endpoint, `t/dir${i % 3}/k${i}`, 'x');
    for (let i = 0; i < 5; i++) await put(m.endpoint, `t/leaf${i}`, 'x');
    const all: string[] = [];
    let next: string | undefined;
    let pages = 0;
    do {
      const r = await ok(m.endpoint, '/dashboard/api/v1/tree', { prefix: b64('t/'), limit: 3, ...(next ? { after: next } : {}) });
      assert.equal(r.total, 35);
      for (const c of r.children) all.push(`${fromB64(c.name)}:${c.count}:${c.dir}`);
      next = r.next;
      pages++;
    } while (next && pages < 10);
    assert.deepEqual(all, ['dir0/:10:true', 'dir1/:10:true', 'dir2/:10:true', 'leaf0:1:false', 'leaf1:1:false', 'leaf2:1:false', 'leaf3:1:false', 'leaf4:1:false']);
    assert.equal(pages, 3);
  });
});

describe('dashboard on edge threads', () => {
  let m: Member;
  before(async () => {
    m = await startMember('etcd-ts', { extraArgs: ['--enable-dashboard', '--edge-threads', '2'] });
  });
  after(async () => {
    await m?.close();
  });

  test('the page and the API are served by edge threads through the member port', async () => {
    await put(m.endpoint, 'e/a', '1');
    await put(m.endpoint, 'e/b/c', '2');
    for (let i = 0; i < 4; i++) {
      // New connections spread over the threads.
      const page = await call(m.endpoint, '/dashboard/', undefined);
      assert.equal(page.status, 200);
      const level = await ok(m.endpoint, '/dashboard/api/v1/tree', { prefix: b64('e/') });
      assert.deepEqual(level.children.map((c: any) => `${fromB64(c.name)}:${c.count}`), ['a:1', 'b/:1']);
    }
    // A history past a deletion replays the key's events through the Watch method on the edge thread.
    const deleted = Number((await ok(m.endpoint, '/v3/kv/deleterange', { key: b64('e/a') })).header.revision);
    const again = await put(m.endpoint, 'e/a', '3');
    const history = await ok(m.endpoint, '/dashboard/api/v1/history', { key: b64('e/a') });
    assert.deepEqual(history.versions.map((v: any) => (v.deleted ? `del@${v.mod_revision}` : `v${v.version}@${v.mod_revision}`)), [`v1@${again}`, `del@${deleted}`, `v1@${history.end_revision}`]);
  });
});
