// Tokens over the wire against etcd-ts and etcd 3.4: a token works until it
// expires, its user's password changes or its user is deleted; forged tokens and
// missing ones are refused with etcd's codes. Lease revoke and lock respect grants.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { startMember, type Member, type MemberKind } from '../helpers/member.js';
import { etcdctl } from '../helpers/etcdctl.js';

const TOKEN_TTL_S = 2;
const protoRoot = fileURLToPath(new URL('../../../proto', import.meta.url));
const pkg = (grpc.loadPackageDefinition(
  protoLoader.loadSync('etcdserverpb/rpc.proto', { includeDirs: [protoRoot], longs: String, bytes: Buffer, defaults: true }),
) as any).etcdserverpb;

interface Failure {
  code: number;
  details: string;
}

class Wire {
  readonly kv: any;
  readonly auth: any;
  constructor(endpoint: string) {
    const addr = endpoint.replace(/^https?:\/\//, '');
    this.kv = new pkg.KV(addr, grpc.credentials.createInsecure());
    this.auth = new pkg.Auth(addr, grpc.credentials.createInsecure());
  }
  call(client: any, method: string, req: object, token?: string): Promise<any> {
    const md = new grpc.Metadata();
    if (token !== undefined) md.set('token', token);
    return new Promise((resolve, reject) => client[method](req, md, { deadline: Date.now() + 5000 }, (err: any, res: any) => (err ? reject(err) : resolve(res))));
  }
  async fails(client: any, method: string, req: object, token?: string): Promise<Failure> {
    try {
      await this.call(client, method, req, token);
    } catch (err) {
      const e = err as { code: number; details: string };
      return { code: e.code, details: e.details };
    }
    throw new Error(`${method} unexpectedly succeeded`);
  }
  close(): void {
    this.kv.close();
    this.auth.close();
  }
}

const INVALID_TOKEN: Failure = { code: grpc.status.UNAUTHENTICATED, details: 'etcdserver: invalid auth token' };

const members = new Map<MemberKind, Member>();
before(async () => {
  for (const kind of ['etcd-ts', 'etcd'] as MemberKind[]) {
    members.set(kind, await startMember(kind, { extraArgs: ['--auth-token-ttl', String(TOKEN_TTL_S), '--bcrypt-cost', '4'] }));
  }
});
after(async () => {
  await Promise.all([...members.values()].map((m) => m.close()));
});

async function ctl(m: Member, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const r = await etcdctl(m, args, { timeoutMs: 8000 });
  return r;
}

async function setup(m: Member): Promise<void> {
  const steps = [
    ['user', 'add', 'root', '--new-user-password=rootpw'],
    ['user', 'grant-role', 'root', 'root'],
    ['role', 'add', 'app'],
    ['role', 'grant-permission', 'app', 'readwrite', 'app/', '--prefix'],
    ['user', 'add', 'alice', '--new-user-password=apw'],
    ['user', 'grant-role', 'alice', 'app'],
    ['auth', 'enable'],
  ];
  for (const s of steps) {
    const r = await ctl(m, s[0] === 'auth' || s[2] === 'root' ? s : ['--user', 'root:rootpw', ...s]);
    assert.equal(r.code, 0, `${s.join(' ')}: ${r.stderr}`);
  }
}

for (const kind of ['etcd-ts', 'etcd'] as MemberKind[]) {
  test(`${kind}: tokens — forged, missing, after password change, after user delete, expired`, async () => {
    const m = members.get(kind)!;
    await setup(m);
    const w = new Wire(m.endpoint);
    try {
      const login = async (name: string, password: string) => ((await w.call(w.auth, 'Authenticate', { name, password })) as { token: string }).token;
      const put = (token: string | undefined, key = 'app/k') => w.call(w.kv, 'Put', { key: Buffer.from(key), value: Buffer.from('v') }, token);

      assert.deepEqual(await w.fails(w.auth, 'Authenticate', { name: 'alice', password: 'bad' }), {
        code: grpc.status.INVALID_ARGUMENT,
        details: 'etcdserver: authentication failed, invalid user ID or password',
      });
      const t1 = await login('alice', 'apw');
      assert.match(t1, /^[A-Za-z]{16}\.\d+$/, 'etcd’s simple token format');
      await put(t1);
      assert.deepEqual(await w.fails(w.kv, 'Put', { key: Buffer.from('other'), value: Buffer.from('v') }, t1), {
        code: grpc.status.PERMISSION_DENIED,
        details: 'etcdserver: permission denied',
      });
      assert.deepEqual(await w.fails(w.kv, 'Range', { key: Buffer.from('app/k') }), { code: grpc.status.INVALID_ARGUMENT, details: 'etcdserver: user name is empty' });
      assert.deepEqual(await w.fails(w.kv, 'Range', { key: Buffer.from('app/k') }, 'abcdefghijklmnop.1'), INVALID_TOKEN, 'forged');

      const root = await login('root', 'rootpw');
      await w.call(w.auth, 'UserChangePassword', { name: 'alice', password: 'apw2' }, root);
      assert.deepEqual(await w.fails(w.kv, 'Range', { key: Buffer.from('app/k') }, t1), INVALID_TOKEN, 'after a password change');
      const t2 = await login('alice', 'apw2');
      await put(t2);

      // Expiry: an unused token dies after the TTL (etcd checks once a second).
      const t3 = await login('alice', 'apw2');
      await new Promise((r) => setTimeout(r, TOKEN_TTL_S * 1000 + 1500));
      assert.deepEqual(await w.fails(w.kv, 'Range', { key: Buffer.from('app/k') }, t3), INVALID_TOKEN, 'expired');

      const t4 = await login('alice', 'apw2');
      const root2 = await login('root', 'rootpw');
      await w.call(w.auth, 'UserDelete', { name: 'alice' }, root2);
      assert.deepEqual(await w.fails(w.kv, 'Range', { key: Buffer.from('app/k') }, t4), INVALID_TOKEN, 'after the user is deleted');
    } finally {
      w.close();
    }
  });

  test(`${kind}: lease revoke, lock and election need permission on the keys they touch`, async () => {
    const m = members.get(kind)!;
    const root = ['--user', 'root:rootpw'];
    for (const s of [['user', 'add', 'bob', '--new-user-password=b'], ['user', 'grant-role', 'bob', 'app']]) {
      assert.equal((await ctl(m, [...root, ...s])).code, 0);
    }
    const grant = await ctl(m, [...root, 'lease', 'grant', '60']);
    const id = /lease ([0-9a-f]+) granted/.exec(grant.stdout)?.[1];
    assert.ok(id, grant.stdout + grant.stderr);
    assert.equal((await ctl(m, [...root, 'put', 'secret', 's', '--lease', id])).code, 0);
    const revoke = await ctl(m, ['--user', 'bob:b', 'lease', 'revoke', id]);
    assert.notEqual(revoke.code, 0);
    assert.match(revoke.stderr, /permission denied/);
    const attach = await ctl(m, ['--user', 'bob:b', 'put', 'app/x', '1', '--lease', id]);
    assert.notEqual(attach.code, 0, 'a lease holding forbidden keys cannot take more');
    const lock = await ctl(m, ['--user', 'bob:b', 'lock', 'secret-lock', 'true']);
    assert.notEqual(lock.code, 0);
    assert.match(lock.stderr, /permission denied/);
    const okLock = await ctl(m, ['--user', 'bob:b', 'lock', 'app/lock', 'echo', 'held']);
    assert.equal(okLock.code, 0, okLock.stderr);
    assert.equal(okLock.stdout, 'held\n');
    const elect = await ctl(m, ['--user', 'bob:b', 'elect', 'secret-election', 'me']);
    assert.notEqual(elect.code, 0);
    assert.match(elect.stderr, /permission denied/);
    const leader = await ctl(m, ['--user', 'bob:b', 'elect', '-l', 'secret-election']);
    assert.notEqual(leader.code, 0, 'observing a forbidden election is refused');
    assert.equal((await ctl(m, [...root, 'get', 'secret', '--print-value-only'])).stdout, 's\n');
  });
}
