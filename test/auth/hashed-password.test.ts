// AuthUserAddRequest.hashedPassword and AuthUserChangePasswordRequest.hashedPassword (etcd
// 3.5+). Written from etcd 3.6.14's server/etcdserver/v3_server.go (UserAdd hashes its
// password unless no-password, replacing any hash sent; UserChangePassword hashes a non-empty
// password, otherwise the client's hash goes to the log), server/auth/store.go
// (selectPassword: a plain password is hashed at apply, as entries of older logs carry it;
// otherwise the base64 hash is stored) and server/auth/store_test.go (TestUserChangePassword,
// TestUserChangePasswordWithOldLog). Beside the real etcd 3.4.23, where the fields do not
// exist, etcd-ts behaving as 3.4.23 answers the same requests the same way; a user added
// with no password is refused with the auth store's own error in both releases.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import bcrypt from 'bcryptjs';
import { fileURLToPath } from 'node:url';
import { passwordForLog, selectPassword, type PasswordRequests } from '../../src/auth/password.js';
import { AuthStore } from '../../src/auth/store.js';
import { MemoryBackend } from '../../src/backend/index.js';
import { Errors } from '../../src/rpctypes/errors.js';
import { startMember, startMembers, type Member, type Msg } from '../helpers/index.js';

const protoRoot = fileURLToPath(new URL('../../../proto', import.meta.url));
const pb = (grpc.loadPackageDefinition(protoLoader.loadSync('etcdserverpb/rpc.proto', { includeDirs: [protoRoot], longs: String, bytes: Buffer, enums: String, defaults: true, oneofs: true })) as any).etcdserverpb;

/** store_test.go's encodePassword: bcrypt at the lowest cost, base64. */
const encodePassword = (s: string) => Buffer.from(bcrypt.hashSync(s, 4)).toString('base64');
const NO_PASSWORD_USER = 'UNKNOWN: auth: authentication failed, password was given for no password user';
const AUTH_FAILED = 'INVALID_ARGUMENT: etcdserver: authentication failed, invalid user ID or password';

describe('the password on its way to the log', () => {
  test('3.5+: UserAdd hashes and drops the password, replacing a hash the client sent; no-password passes as sent', async () => {
    const add = (await passwordForLog({ authUserAdd: { name: 'u', password: 'pw', hashedPassword: encodePassword('other') } }, 4, true)).authUserAdd!;
    assert.equal(add.password, '');
    assert.ok(bcrypt.compareSync('pw', Buffer.from(add.hashedPassword!, 'base64').toString()));
    const np = { authUserAdd: { name: 'u', password: '', hashedPassword: 'x', options: { noPassword: true } } };
    assert.deepEqual(await passwordForLog(np, 4, true), np);
  });

  test('3.5+: UserChangePassword hashes a non-empty password; an empty one leaves the client\'s hash', async () => {
    const c = (await passwordForLog<PasswordRequests>({ authUserChangePassword: { name: 'u', password: 'new' } }, 4, true)).authUserChangePassword!;
    assert.equal(c.password, '');
    assert.ok(bcrypt.compareSync('new', Buffer.from(c.hashedPassword!, 'base64').toString()));
    const given = { authUserChangePassword: { name: 'u', password: '', hashedPassword: encodePassword('baz') } };
    assert.deepEqual(await passwordForLog(given, 4, true), given);
  });

  test('3.4: the client\'s hash is dropped and the password hashed as 3.4 hashed it, an empty one too', async () => {
    const c = (await passwordForLog({ authUserChangePassword: { name: 'u', password: '', hashedPassword: encodePassword('baz') } }, 4, false)).authUserChangePassword!;
    assert.ok(bcrypt.compareSync('', Buffer.from(c.hashedPassword!, 'base64').toString()));
    const np = (await passwordForLog({ authUserAdd: { name: 'u', password: '', hashedPassword: 'x', options: { noPassword: true } } }, 4, false)).authUserAdd!;
    assert.equal(np.hashedPassword, undefined);
  });

  test('selectPassword: a plain password of an older log is hashed at apply; a hash is stored as is; a hash that is not base64 is ErrNoPasswordUser', () => {
    assert.ok(bcrypt.compareSync('old', Buffer.from(selectPassword({ password: 'old' }, 4)).toString()));
    const h = encodePassword('baz');
    assert.deepEqual(Buffer.from(selectPassword({ password: '', hashedPassword: h }, 4)), Buffer.from(h, 'base64'));
    assert.equal(selectPassword({ password: '' }, 4).length, 0);
    assert.throws(() => selectPassword({ password: '', hashedPassword: 'not base64!' }, 4), Errors.NoPasswordUser);
    assert.throws(() => selectPassword({ password: '', hashedPassword: 'YWJj' + '=' }, 4), Errors.NoPasswordUser);
  });

  test('TestUserChangePassword / TestUserChangePasswordWithOldLog: the stored hash authenticates', async () => {
    const s = new AuthStore(new MemoryBackend(), { bcryptCost: 4, tokenTtlMs: 60_000 });
    s.userAdd('root', { password: '', hashedPassword: encodePassword('root') }, false);
    s.userGrantRole('root', 'root');
    s.userAdd('foo', { password: '', hashedPassword: encodePassword('bar') }, false);
    s.enable();
    await s.checkPassword('foo', 'bar');
    s.userChangePassword('foo', { password: '', hashedPassword: encodePassword('baz') });
    await s.checkPassword('foo', 'baz');
    await assert.rejects(s.checkPassword('foo', 'bar'), Errors.AuthFailed);
    s.userChangePassword('foo', { password: 'old-log' });
    await s.checkPassword('foo', 'old-log');
    assert.throws(() => s.userChangePassword('foo-test', { password: '', hashedPassword: encodePassword('bar') }), Errors.UserNotFound);
  });
});

interface Conn {
  call(service: string, method: string, req?: Msg, token?: string): Promise<Msg>;
  close(): void;
}

function connect(m: Member): Conn {
  const addr = m.endpoint.replace(/^http:\/\//, '');
  const clients = new Map<string, any>();
  return {
    call: (service, method, req = {}, token) => {
      let c = clients.get(service);
      if (!c) clients.set(service, (c = new pb[service](addr, grpc.credentials.createInsecure())));
      const md = new grpc.Metadata();
      if (token) md.set('token', token);
      return new Promise((resolve, reject) => c[method](req, md, { deadline: Date.now() + 15_000 }, (e: grpc.ServiceError | null, r: Msg) => (e ? reject(e) : resolve(r))));
    },
    close: () => clients.forEach((c) => c.close()),
  };
}

const outcome = (p: Promise<unknown>) => p.then(() => 'ok', (e: grpc.ServiceError) => `${grpc.status[e.code]}: ${e.details}`);

/** Users added and passwords changed with and without hashes, then who authenticates with what. */
async function passwords(m: Member): Promise<Record<string, string>> {
  const c = connect(m);
  try {
    await c.call('Auth', 'UserAdd', { name: 'root', password: 'rootpw' });
    await c.call('Auth', 'UserGrantRole', { user: 'root', role: 'root' });
    await c.call('Auth', 'UserAdd', { name: 'np', password: '', options: { noPassword: true } });
    await c.call('Auth', 'UserAdd', { name: 'h', password: 'y', hashedPassword: encodePassword('x') });
    await c.call('Auth', 'UserAdd', { name: 'c', password: 'old' });
    await c.call('Auth', 'UserAdd', { name: 'b', password: 'old' });
    await c.call('Auth', 'AuthEnable');
    const root = (await c.call('Auth', 'Authenticate', { name: 'root', password: 'rootpw' })).token;
    const out: Record<string, string> = {
      'change c to a hash of baz': await outcome(c.call('Auth', 'UserChangePassword', { name: 'c', password: '', hashedPassword: encodePassword('baz') }, root)),
      'change b to a hash that is not base64': await outcome(c.call('Auth', 'UserChangePassword', { name: 'b', password: '', hashedPassword: 'not base64!' }, root)),
    };
    for (const [name, password] of [['np', ''], ['np', 'x'], ['h', 'y'], ['h', 'x'], ['c', 'baz'], ['c', ''], ['c', 'old'], ['b', ''], ['b', 'old']]) {
      out[`authenticate ${name}:${password}`] = await outcome(c.call('Auth', 'Authenticate', { name, password }));
    }
    return out;
  } finally {
    c.close();
  }
}

describe('hashedPassword over gRPC', { concurrency: false }, () => {
  const ms: Member[] = [];
  after(async () => {
    await Promise.all(ms.map((m) => m.close()));
  });

  test('etcd 3.6.14 (default): the client\'s hash is the new password; a hash sent with UserAdd is replaced', async () => {
    const m = await startMember('etcd-ts');
    ms.push(m);
    assert.deepEqual(await passwords(m), {
      'change c to a hash of baz': 'ok',
      'change b to a hash that is not base64': NO_PASSWORD_USER,
      'authenticate np:': NO_PASSWORD_USER,
      'authenticate np:x': NO_PASSWORD_USER,
      'authenticate h:y': 'ok',
      'authenticate h:x': AUTH_FAILED,
      'authenticate c:baz': 'ok',
      'authenticate c:': AUTH_FAILED,
      'authenticate c:old': AUTH_FAILED,
      'authenticate b:': AUTH_FAILED,
      'authenticate b:old': 'ok',
    });
  });

  test('beside the real etcd 3.4.23: the field is unknown there, an empty new password is hashed, and etcd-ts as 3.4.23 answers alike', async () => {
    const pair = await startMembers([['etcd'], ['etcd-ts']]);
    ms.push(...pair);
    const [real, ts] = await Promise.all(pair.map(passwords));
    assert.deepEqual(ts, real);
    assert.equal(real['authenticate c:'], 'ok', 'etcd 3.4.23 ignored the hash and hashed the empty password');
    assert.equal(real['authenticate np:'], NO_PASSWORD_USER);
  });
});
