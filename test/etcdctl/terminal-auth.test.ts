// Authentication through etcdctl-ts typed into a terminal, side by side with the real
// etcdctl 3.4 (see terminal.ts): root added at the password prompts, auth enabled,
// --user root:… and --user root with its "Password: " prompt, a user confined to a
// prefix and a from-key range writing, reading, deleting and watching inside and
// outside them, lease grant/list/timetolive/revoke, auth disable; then, over mutual
// TLS, a client certificate whose CN is root writing concurrently with permission
// changes, and another user's certificate before and after its grants.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { readFileSync } from 'node:fs';
import { Client } from '../../src/client/index.js';
import { tmpDir, type TmpDir } from '../helpers/index.js';
import { makePki, type Pki } from '../auth/certs.js';
import { sameEverywhere, startSides, watchesAdded, type Side, type Sides } from './terminal.js';
import type { Exited } from '../helpers/pty.js';

const ROOT = ['--user', 'root:rootpw'];
const U = ['--user', 'u:upw'];

/** The answer to a write whose auth revision an auth change overtook (after the retry warning). */
const OLD_AUTH_REVISION = /\r\nError: etcdserver: revision of auth store is old\r\n$/;
/** How many auth changes the concurrent-writes test makes, so how often a put can be overtaken. */
const AUTH_CHANGES = 3;

/** A denied call: clientv3's retry warning, then etcdctl's error line. */
const DENIED = /^\{"level":"warn","ts":"<ts>","caller":"clientv3\/retry_interceptor.go:62","msg":"retrying of unary invoker failed","target":"endpoint:\/\/client-<uuid>\/127.0.0.1:<client-port>","attempt":0,"error":"rpc error: code = PermissionDenied desc = etcdserver: permission denied"\}\r\nError: etcdserver: permission denied\r\n$/;

describe('auth in a terminal matches etcdctl 3.4', { concurrency: false }, () => {
  let sides: Sides;
  before(async () => {
    sides = await startSides({ member: { extraArgs: ['--bcrypt-cost', '4'] } });
  });
  after(async () => {
    await sides?.close();
  });

  test('root added at the prompts, auth enabled, --user with and without its password', async () => {
    const added = await sameEverywhere(sides, ['user', 'add', 'root'], async (t) => {
      for (const prompt of ['Password of root: ', 'Type password of root again for confirmation: ']) {
        await t.waitFor(prompt);
        await t.waitForEchoOff();
        t.type('rootpw\n');
      }
    });
    assert.deepEqual(added, { code: 0, screen: 'Password of root: \r\nType password of root again for confirmation: \r\nUser root created\r\n' });
    // etcdctl creates the root role the first attempt asks for, after the attempt's retry warning.
    const enabled = await sameEverywhere(sides, ['auth', 'enable']);
    assert.equal(enabled.code, 0);
    assert.match(enabled.screen, /"error":"rpc error: code = FailedPrecondition desc = etcdserver: root user does not have root role"\}\r\nAuthentication Enabled\r\n$/);
    const anonymous = await sameEverywhere(sides, ['put', 'a', '1']);
    assert.equal(anonymous.code, 1);
    assert.match(anonymous.screen, /Error: etcdserver: user name is empty\r\n$/);
    assert.deepEqual(await sameEverywhere(sides, [...ROOT, 'put', 'a', '1']), { code: 0, screen: 'OK\r\n' });
    const prompted = await sameEverywhere(sides, ['--user', 'root', 'put', 'a', '2'], async (t) => {
      await t.waitFor('Password: ');
      await t.waitForEchoOff();
      t.type('rootpw\n');
    });
    assert.deepEqual(prompted, { code: 0, screen: 'Password: \r\nOK\r\n' });
    const wrong = await sameEverywhere(sides, ['--user', 'root', 'get', 'a'], async (t) => {
      await t.waitFor('Password: ');
      await t.waitForEchoOff();
      t.type('nope\n');
    });
    assert.equal(wrong.code, 2);
    assert.match(wrong.screen, /^Password: \r\n.*Error: etcdserver: authentication failed, invalid user ID or password\r\n$/s);
  });

  test('a user confined to a prefix and a from-key range', async () => {
    for (const args of [
      ['role', 'add', 'r'],
      ['role', 'grant', 'r', 'readwrite', 'p/', '--prefix'],
      ['role', 'grant-permission', 'r', 'read', 'z', '--from-key'],
      ['user', 'add', 'u', '--new-user-password', 'upw'],
      ['user', 'grant-role', 'u', 'r'],
    ]) {
      assert.equal((await sameEverywhere(sides, [...ROOT, ...args])).code, 0, args.join(' '));
    }
    const role = await sameEverywhere(sides, [...ROOT, 'role', 'get', 'r']);
    assert.equal(role.screen, 'Role r\r\nKV Read:\r\n\t[p/, p0) (prefix p/)\r\n\t[z, <open ended>\r\nKV Write:\r\n\t[p/, p0) (prefix p/)\r\n');
    assert.deepEqual(await sameEverywhere(sides, [...U, 'put', 'p/x', '1']), { code: 0, screen: 'OK\r\n' });
    assert.match((await sameEverywhere(sides, [...U, 'put', 'q', '1'])).screen, DENIED);
    assert.deepEqual(await sameEverywhere(sides, [...U, 'get', 'z9']), { code: 0, screen: '' });
    assert.match((await sameEverywhere(sides, [...U, 'put', 'z9', '1'])).screen, DENIED);
    assert.match((await sameEverywhere(sides, [...U, 'get', 'a'])).screen, DENIED);
    assert.deepEqual(await sameEverywhere(sides, [...U, 'get', 'p/', '--prefix']), { code: 0, screen: 'p/x\r\n1\r\n' });
    assert.deepEqual(await sameEverywhere(sides, [...U, 'del', 'p/x']), { code: 0, screen: '1\r\n' });
    assert.match((await sameEverywhere(sides, [...U, 'del', 'a', '--prefix'])).screen, DENIED);
    const txn = await sameEverywhere(sides, [...U, 'txn', '-i'], async (t) => {
      await t.waitFor('compares:\r\n');
      t.type('\n');
      await t.waitFor('success requests (get, put, del):\r\n');
      t.type('put p/t 1\nput q 1\n\n');
      await t.waitFor('failure requests (get, put, del):\r\n');
      t.type('\n');
    });
    assert.equal(txn.code, 1);
    assert.match(txn.screen, /Error: etcdserver: permission denied\r\n$/);
  });

  test('watching inside the permitted prefix, and outside it', async () => {
    const inside = await sameEverywhere(sides, [...U, 'watch', 'p/', '--prefix'], async (t, side, before) => {
      await watchesAdded(side.member, before.watches);
      await rootClient(side).put('p/w', 'v');
      await t.waitFor('PUT\r\np/w\r\nv\r\n');
      t.type('\x03');
    });
    assert.deepEqual(inside, { code: 130, screen: 'PUT\r\np/w\r\nv\r\n^C' });
    const outside = await sameEverywhere(sides, [...U, 'watch', 'q', '-w', 'json']);
    assert.deepEqual(outside, {
      code: 5,
      screen: 'watch was canceled (rpc error: code = PermissionDenied desc = etcdserver: permission denied)\r\n{"Header":{},"Events":null,"CompactRevision":0,"Canceled":true,"Created":false}\r\nError: watch is canceled by the server\r\n',
    });
  });

  test('lease grant, list, timetolive and revoke under auth', async () => {
    const granted = new Map<string, string>();
    const grant = await sameEverywhere(sides, [...ROOT, 'lease', 'grant', '300'], async (t, side) => {
      await t.waitFor(/granted with TTL\(300s\)\r\n/);
      granted.set(side.name, /lease ([0-9a-f]+) granted/.exec(t.screen())![1]!);
    });
    assert.deepEqual(grant, { code: 0, screen: 'lease <id> granted with TTL(300s)\r\n' });
    const id = (s: Side) => granted.get(s.name)!;
    assert.equal((await sameEverywhere(sides, (s) => [...ROOT, 'put', 'p/leased', 'v', '--lease', id(s)])).code, 0);
    assert.deepEqual(await sameEverywhere(sides, [...ROOT, 'lease', 'list']), { code: 0, screen: 'found 1 leases\r\n<id>\r\n' });
    const ttl = await sameEverywhere(sides, (s) => [...ROOT, 'lease', 'timetolive', id(s), '--keys'], undefined, { mask: (x) => x.replace(/remaining\(\d+s\)/, 'remaining(<n>s)') });
    assert.deepEqual(ttl, { code: 0, screen: 'lease <id> granted with TTL(300s), remaining(<n>s), attached keys([p/leased])\r\n' });
    // What a user confined to a few keys may do with leases, whatever 3.4 answers.
    await sameEverywhere(sides, [...U, 'lease', 'grant', '60']);
    await sameEverywhere(sides, [...U, 'lease', 'list']);
    assert.deepEqual(await sameEverywhere(sides, (s) => [...ROOT, 'lease', 'revoke', id(s)]), { code: 0, screen: 'lease <id> revoked\r\n' });
    assert.deepEqual(await sameEverywhere(sides, [...ROOT, 'get', 'p/leased']), { code: 0, screen: '' });
    const gone = await sameEverywhere(sides, (s) => [...ROOT, 'lease', 'revoke', id(s)]);
    assert.equal(gone.code, 1);
    assert.match(gone.screen, /Error: failed to revoke lease \(etcdserver: requested lease not found\)\r\n$/);
  });

  test('auth disable, then anyone may write', async () => {
    assert.match((await sameEverywhere(sides, [...U, 'auth', 'disable'])).screen, DENIED);
    assert.deepEqual(await sameEverywhere(sides, [...ROOT, 'auth', 'disable']), { code: 0, screen: 'Authentication Disabled\r\n' });
    assert.deepEqual(await sameEverywhere(sides, ['put', 'a', '3']), { code: 0, screen: 'OK\r\n' });
  });

  /** A client of the side's member authenticated as root (the side's own client has no credentials). */
  const roots = new Map<string, Client>();
  function rootClient(side: Side): Client {
    let c = roots.get(side.name);
    if (!c) {
      c = new Client({ endpoints: [side.member.endpoint], username: 'root', password: 'rootpw' });
      roots.set(side.name, c);
    }
    return c;
  }
  after(async () => {
    await Promise.all([...roots.values()].map((c) => c.close()));
  });
});

describe('client certificates over mutual TLS match etcdctl 3.4', { concurrency: false }, () => {
  let dir: TmpDir;
  let pki: Pki;
  let sides: Sides;
  let asRoot: string[];
  let asAlice: string[];
  before(async () => {
    dir = tmpDir('etcdctl-term-pki');
    pki = makePki(dir.path);
    const root = pki.user('root');
    const alice = pki.user('alice');
    asRoot = ['--cacert', pki.ca, '--cert', root.cert, '--key', root.key];
    asAlice = ['--cacert', pki.ca, '--cert', alice.cert, '--key', alice.key];
    sides = await startSides({
      member: { clientScheme: 'https', extraArgs: ['--cert-file', pki.server.cert, '--key-file', pki.server.key, '--trusted-ca-file', pki.ca, '--client-cert-auth', '--bcrypt-cost', '4'] },
      client: { tls: { ca: readFileSync(pki.ca), cert: readFileSync(root.cert), key: readFileSync(root.key) } },
    });
  });
  after(async () => {
    await sides?.close();
    dir?.cleanup();
  });

  /**
   * A put typed again while it is refused with etcd's "revision of auth store is old":
   * a member reads a certificate's auth revision when the request arrives, so an
   * auth change applied before the put refuses it (etcd 3.4 does the same), and a
   * person retries it. Anything else is the put's answer.
   */
  async function putWhileAuthChanges(side: Side, args: string[]): Promise<Exited> {
    const one: Sides = { all: [side], close: async () => {} };
    for (let attempt = 1; ; attempt++) {
      const r = await sameEverywhere(one, args);
      if (r.code === 0 || attempt === AUTH_CHANGES + 1 || !OLD_AUTH_REVISION.test(r.screen)) return r;
    }
  }

  test('CN=root writes while permissions change; CN=alice is held to its grants', async () => {
    assert.equal((await sameEverywhere(sides, [...asRoot, 'user', 'add', 'root', '--new-user-password', 'rootpw'])).code, 0);
    assert.equal((await sameEverywhere(sides, [...asRoot, 'user', 'add', 'alice', '--new-user-password', 'alicepw'])).code, 0);
    assert.match((await sameEverywhere(sides, [...asRoot, 'auth', 'enable'])).screen, /root user does not have root role"\}\r\nAuthentication Enabled\r\n$/);
    assert.match((await sameEverywhere(sides, [...asAlice, 'put', 'w/alice', 'x'])).screen, DENIED);
    const writes = [1, 2, 3, 4].flatMap((i) => sides.all.map((side) => putWhileAuthChanges(side, [...asRoot, 'put', `w/${i}`, `v${i}`])));
    const permissions = (async () => {
      const steps = [
        ['role', 'add', 'writer'],
        ['role', 'grant-permission', 'writer', 'readwrite', 'w/', '--prefix'],
        ['user', 'grant-role', 'alice', 'writer'],
        ['role', 'get', 'writer'],
      ];
      const out = [];
      for (const args of steps) out.push(await sameEverywhere(sides, [...asRoot, ...args]));
      return out;
    })();
    for (const w of await Promise.all(writes)) assert.deepEqual(w, { code: 0, screen: 'OK\r\n' });
    const [added, granted, roleGranted, got] = await permissions;
    assert.deepEqual([added, granted, roleGranted].map((r) => r!.screen), ['Role writer created\r\n', 'Role writer updated\r\n', 'Role writer is granted to user alice\r\n']);
    assert.equal(got!.screen, 'Role writer\r\nKV Read:\r\n\t[w/, w0) (prefix w/)\r\nKV Write:\r\n\t[w/, w0) (prefix w/)\r\n');
    assert.deepEqual(await sameEverywhere(sides, [...asAlice, 'put', 'w/alice', 'x']), { code: 0, screen: 'OK\r\n' });
    assert.deepEqual(await sameEverywhere(sides, [...asAlice, 'get', 'w/', '--prefix', '--keys-only']), { code: 0, screen: 'w/1\r\n\r\nw/2\r\n\r\nw/3\r\n\r\nw/4\r\n\r\nw/alice\r\n\r\n' });
    assert.match((await sameEverywhere(sides, [...asAlice, 'put', 'elsewhere', 'x'])).screen, DENIED);
    assert.equal((await sameEverywhere(sides, [...asRoot, 'role', 'revoke-permission', 'writer', 'w/', '--prefix'])).screen, 'Permission of range [w/, w0) is revoked from role writer\r\n');
    assert.match((await sameEverywhere(sides, [...asAlice, 'put', 'w/alice', 'y'])).screen, DENIED);
    assert.deepEqual(await sameEverywhere(sides, [...asRoot, 'auth', 'disable']), { code: 0, screen: 'Authentication Disabled\r\n' });
  });
});
