// User/password auth against the real etcd 3.4 (etcd-ts has no auth yet): the
// client authenticates on first use, sends the token, and when a restarted member
// no longer knows its token ("invalid auth token") gets a new one and resends.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Client, EtcdError, Errors } from '../../src/client/index.js';
import { startMember, type Member } from '../helpers/index.js';

let member: Member;
let admin: Client;

before(async () => {
  member = await startMember('etcd', { name: 'auth' });
  admin = new Client({ endpoints: [member.endpoint] });
  await admin.auth.userAdd('root', 'rootpw');
  await admin.auth.roleAdd('root');
  await admin.auth.userGrantRole('root', 'root');
  await admin.auth.userAdd('alice', 'apw');
  await admin.auth.roleAdd('app');
  await admin.auth.roleGrantPermission('app', 'readwrite', 'app/', { prefix: true });
  await admin.auth.userGrantRole('alice', 'app');
  await admin.auth.enable();
});
after(async () => {
  await admin?.close();
  await member?.close();
});

test('calls without a token are refused once auth is enabled', async () => {
  await assert.rejects(admin.get('app/x'), (e: EtcdError) => e.message === Errors.PermissionDenied.message || e.message === 'etcdserver: user name is empty');
});

test('a user reaches exactly what its roles permit', async () => {
  const alice = new Client({ endpoints: [member.endpoint], username: 'alice', password: 'apw' });
  try {
    await alice.put('app/x', '1');
    assert.equal(await alice.getString('app/x'), '1');
    await assert.rejects(alice.put('other', '1'), (e: EtcdError) => e.message === Errors.PermissionDenied.message);
  } finally {
    await alice.close();
  }
});

test('wrong credentials fail with etcd\'s error', async () => {
  const bad = new Client({ endpoints: [member.endpoint], username: 'alice', password: 'nope' });
  await assert.rejects(bad.get('app/x'), (e: EtcdError) => e.message === Errors.AuthFailed.message);
  await bad.close();
});

test('a token lost in a member restart is renewed and the call resent', async () => {
  const seen: string[] = [];
  const alice = new Client({ endpoints: [member.endpoint], username: 'alice', password: 'apw', dialTimeoutMs: 10_000, onCallError: ({ error }) => seen.push(error.message) });
  try {
    await alice.put('app/y', 'before');
    await member.restart();
    // Simple tokens live in the member's memory only: the old one is now invalid.
    assert.equal(await alice.getString('app/y', { timeoutMs: 10_000 }), 'before');
    await alice.put('app/y', 'after', { timeoutMs: 10_000 });
    assert.equal(await alice.getString('app/y'), 'after');
    assert.ok(seen.includes(Errors.InvalidAuthToken.message), `the old token was refused: ${JSON.stringify(seen)}`);
  } finally {
    await alice.close();
  }
});
