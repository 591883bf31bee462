// The auth store on its own: etcd's management errors, the root-user rules for
// enabling, permission coverage of keys, ranges, prefixes and from-key, state
// reloaded from the backend, and tokens that expire or die with their user.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryBackend } from '../../src/backend/index.js';
import { AuthStore, PermType, applyAuth } from '../../src/auth/index.js';
import { Errors } from '../../src/rpctypes/errors.js';

const b = (s: string) => new TextEncoder().encode(s);
const ALL = Uint8Array.of(0);
const NONE = new Uint8Array(0);

function newStore(backend = new MemoryBackend()) {
  return new AuthStore(backend, { bcryptCost: 4, tokenTtlMs: 60_000 });
}

function enableWithRoot(s: AuthStore): void {
  s.userAdd('root', { password: 'rootpw' }, false);
  s.userGrantRole('root', 'root');
  s.enable();
}

test('enabling needs a root user holding the root role', () => {
  const s = newStore();
  assert.throws(() => s.enable(), Errors.RootUserNotExist);
  s.userAdd('root', { password: 'pw' }, false);
  assert.throws(() => s.enable(), Errors.RootRoleNotExist);
  s.userGrantRole('root', 'root');
  s.enable();
  assert.equal(s.enabled, true);
  // With auth on, root can neither be deleted nor lose its role.
  assert.throws(() => s.userDelete('root'), Errors.InvalidAuthMgmt);
  assert.throws(() => s.userRevokeRole('root', 'root'), Errors.InvalidAuthMgmt);
  s.disable();
  assert.equal(s.enabled, false);
});

test('user and role management errors are etcd’s', () => {
  const s = newStore();
  assert.throws(() => s.userAdd('', { password: 'x' }, false), Errors.UserEmpty);
  s.userAdd('alice', { password: 'pw' }, false);
  assert.throws(() => s.userAdd('alice', { password: 'pw' }, false), Errors.UserAlreadyExist);
  assert.throws(() => s.userGet('bob'), Errors.UserNotFound);
  assert.throws(() => s.userGrantRole('alice', 'nope'), Errors.RoleNotFound);
  assert.throws(() => s.roleAdd(''), Errors.RoleEmpty);
  s.roleAdd('reader');
  assert.throws(() => s.roleAdd('reader'), Errors.RoleAlreadyExist);
  assert.throws(() => s.userRevokeRole('alice', 'reader'), Errors.RoleNotGranted);
  assert.throws(() => s.roleRevokePermission('reader', b('k'), NONE), Errors.PermissionNotGranted);
  s.userGrantRole('alice', 'reader');
  s.userGrantRole('alice', 'reader'); // granting twice is not an error
  assert.deepEqual(s.userGet('alice'), ['reader']);
  s.roleGrantPermission('reader', { permType: PermType.READ, key: b('k'), rangeEnd: NONE });
  s.roleGrantPermission('reader', { permType: PermType.READWRITE, key: b('k'), rangeEnd: NONE }); // same key: updated
  assert.equal(s.roleGet('reader').length, 1);
  assert.equal(s.roleGet('reader')[0].permType, PermType.READWRITE);
  s.roleDelete('reader');
  assert.deepEqual(s.userGet('alice'), [], 'deleting a role takes it from its users');
  assert.deepEqual(s.userList(), ['alice']);
  assert.deepEqual(s.roleList(), []);
});

test('permission checks cover keys, ranges, prefixes and from-key exactly', () => {
  const s = newStore();
  s.roleAdd('r');
  s.roleGrantPermission('r', { permType: PermType.READ, key: b('key1'), rangeEnd: NONE });
  s.roleGrantPermission('r', { permType: PermType.WRITE, key: b('a'), rangeEnd: b('c') });
  s.roleGrantPermission('r', { permType: PermType.READWRITE, key: b('/pfx/'), rangeEnd: b('/pfx0') });
  s.roleGrantPermission('r', { permType: PermType.READ, key: b('z'), rangeEnd: ALL });
  s.userAdd('u', { password: 'pw' }, false);
  s.userGrantRole('u', 'r');
  enableWithRoot(s);
  const ai = { username: 'u', revision: s.revision };
  s.isRangePermitted(ai, b('key1'), NONE);
  assert.throws(() => s.isPutPermitted(ai, b('key1')), Errors.PermissionDenied);
  assert.throws(() => s.isRangePermitted(ai, b('key1'), b('key2')), Errors.PermissionDenied, 'key1\\0 is outside');
  s.isPutPermitted(ai, b('b/anything'));
  s.isDeleteRangePermitted(ai, b('a'), b('c'));
  assert.throws(() => s.isDeleteRangePermitted(ai, b('a'), b('d')), Errors.PermissionDenied);
  assert.throws(() => s.isRangePermitted(ai, b('a'), NONE), Errors.PermissionDenied);
  s.isRangePermitted(ai, b('/pfx/'), b('/pfx0'));
  s.isPutPermitted(ai, b('/pfx/x'));
  assert.throws(() => s.isRangePermitted(ai, b('/pfx'), b('/pfx0')), Errors.PermissionDenied, 'a range spanning allowed and forbidden keys');
  s.isRangePermitted(ai, b('zz'), ALL);
  assert.throws(() => s.isRangePermitted(ai, b('y'), ALL), Errors.PermissionDenied);
  assert.throws(() => s.isPutPermitted(ai, b('zz')), Errors.PermissionDenied);
  // Without identity, and with an identity from before a change.
  assert.throws(() => s.isRangePermitted(undefined, b('key1'), NONE), Errors.UserEmpty);
  s.roleAdd('other');
  assert.throws(() => s.isRangePermitted(ai, b('key1'), NONE), Errors.AuthOldRevision);
  // Root reads everything.
  s.isRangePermitted({ username: 'root', revision: s.revision }, NONE, ALL);
});

test('admin-only requests need the root role when applied', () => {
  const s = newStore();
  s.userAdd('u', { password: 'pw' }, false);
  s.roleAdd('r');
  s.userGrantRole('u', 'r');
  enableWithRoot(s);
  const asUser = { username: 'u', revision: s.revision };
  assert.equal(applyAuth(s, { authUserList: {} }, asUser, 10).err, Errors.PermissionDenied);
  assert.equal(applyAuth(s, { authUserAdd: { name: 'x', password: 'y' } }, { username: '', revision: 0 }, 11).err, Errors.UserEmpty);
  assert.deepEqual(applyAuth(s, { authUserGet: { name: 'u' } }, asUser, 12).resp, { roles: ['r'] }, 'a user reads itself');
  assert.equal(applyAuth(s, { authUserGet: { name: 'root' } }, asUser, 13).err, Errors.PermissionDenied);
  assert.deepEqual(applyAuth(s, { authRoleGet: { role: 'r' } }, asUser, 14).resp, { perm: [] }, 'a user reads its own roles');
  assert.deepEqual(applyAuth(s, { authUserList: {} }, { username: 'root', revision: s.revision }, 15).resp, { users: ['root', 'u'] });
});

test('state survives a reload from the backend', async () => {
  const backend = new MemoryBackend();
  const s = newStore(backend);
  s.roleAdd('r');
  s.roleGrantPermission('r', { permType: PermType.WRITE, key: b('k'), rangeEnd: b('l') });
  s.userAdd('u', { password: 'secret' }, false);
  s.userAdd('nopw', { password: '' }, true);
  s.userGrantRole('u', 'r');
  enableWithRoot(s);
  await backend.commit();
  const again = newStore(backend);
  assert.equal(again.enabled, true);
  assert.equal(again.revision, s.revision);
  assert.deepEqual(again.userList(), ['nopw', 'root', 'u']);
  assert.deepEqual(again.roleGet('r'), s.roleGet('r'));
  assert.equal(await again.checkPassword('u', 'secret'), again.revision);
  await assert.rejects(again.checkPassword('u', 'wrong'), Errors.AuthFailed);
  // etcd's CheckPassword (3.4 and 3.6): ErrNoPasswordUser for a user added with --no-password.
  await assert.rejects(again.checkPassword('nopw', ''), Errors.NoPasswordUser, 'a user without password cannot authenticate');
  await assert.rejects(again.checkPassword('ghost', 'x'), Errors.AuthFailed);
});

test('simple tokens: format, expiry, and invalidation on password change or user delete', () => {
  let now = 1_000_000;
  const s = new AuthStore(new MemoryBackend(), { bcryptCost: 4, tokenTtlMs: 1000, now: () => now });
  s.userAdd('u', { password: 'pw' }, false);
  enableWithRoot(s);
  const t = s.authenticate('u', 'abcdefghijklmnop', 42);
  assert.match(t, /^[A-Za-z]{16}\.42$/);
  assert.equal(s.authInfoFromToken(t).username, 'u');
  now += 900;
  assert.equal(s.authInfoFromToken(t).username, 'u', 'use renews the TTL');
  now += 1001;
  assert.throws(() => s.authInfoFromToken(t), Errors.InvalidAuthToken, 'expired');
  assert.throws(() => s.authInfoFromToken('forged.1'), Errors.InvalidAuthToken);
  const t2 = s.authenticate('u', 'bcdefghijklmnopq', 43);
  s.userChangePassword('u', { password: 'new' });
  assert.throws(() => s.authInfoFromToken(t2), Errors.InvalidAuthToken, 'password changed');
  const t3 = s.authenticate('u', 'cdefghijklmnopqr', 44);
  s.userDelete('u');
  assert.throws(() => s.authInfoFromToken(t3), Errors.InvalidAuthToken, 'user deleted');
});

test('committed writes are checked again at apply, against the revision they were checked at', async () => {
  const { checkWriteAtApply } = await import('../../src/auth/kv-check.js');
  const s = newStore();
  s.roleAdd('w');
  s.roleGrantPermission('w', { permType: PermType.WRITE, key: b('w/'), rangeEnd: b('w0') });
  s.userAdd('u', { password: 'pw' }, false);
  s.userGrantRole('u', 'w');
  const put = (key: string) => ({ key: b(key), value: b('v'), lease: 0n, prevKv: false, ignoreValue: false, ignoreLease: false });
  assert.equal(checkWriteAtApply(s, { put: put('x') }, { username: '', revision: 0 }), undefined, 'auth off: anything goes');
  enableWithRoot(s);
  const ai = { username: 'u', revision: s.revision };
  assert.equal(checkWriteAtApply(s, { put: put('w/a') }, ai), undefined);
  assert.equal(checkWriteAtApply(s, { put: put('x') }, ai), Errors.PermissionDenied);
  assert.equal(checkWriteAtApply(s, { put: put('w/a') }, { username: '', revision: 0 }), Errors.UserEmpty);
  const txn = { compare: [], success: [{ requestPut: put('w/a') }, { requestPut: put('x') }], failure: [] };
  assert.equal(checkWriteAtApply(s, { txn } as any, ai), Errors.PermissionDenied, 'one forbidden op refuses the txn');
  s.roleRevokePermission('w', b('w/'), b('w0'));
  assert.equal(checkWriteAtApply(s, { put: put('w/a') }, ai), Errors.AuthOldRevision, 'grants changed after the request was checked');
  assert.equal(checkWriteAtApply(s, { put: put('w/a') }, { username: 'u', revision: s.revision }), Errors.PermissionDenied);
});
