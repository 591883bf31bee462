// JWT tokens: signed and verified with node:crypto for RS, PS, ES and HS methods,
// refused when tampered, expired or signed another way; and a token issued by
// etcd 3.4 with the same keys is accepted by etcd-ts (same claims, same signature).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { JwtTokens, parseJwtOptions } from '../../src/auth/jwt.js';
import { startMembers, type Member } from '../helpers/member.js';
import { etcdctl } from '../helpers/etcdctl.js';
import { tmpDir, type TmpDir } from '../helpers/tmp.js';

let dir: TmpDir;
const keys: Record<string, { priv: string; pub: string }> = {};
before(() => {
  dir = tmpDir('auth-jwt');
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  for (const [name, kp] of [['rsa', rsa], ['ec', ec]] as const) {
    const priv = join(dir.path, `${name}.key`);
    const pub = join(dir.path, `${name}.pub`);
    writeFileSync(priv, kp.privateKey.export({ type: 'pkcs8', format: 'pem' }));
    writeFileSync(pub, kp.publicKey.export({ type: 'spki', format: 'pem' }));
    keys[name] = { priv, pub };
  }
  const secret = join(dir.path, 'hmac.key');
  writeFileSync(secret, 'a shared secret of some length');
  keys.hmac = { priv: secret, pub: secret };
});
after(() => dir.cleanup());

const spec = (k: { priv: string; pub: string }, method: string, extra = '') => `jwt,pub-key=${k.pub},priv-key=${k.priv},sign-method=${method}${extra}`;

test('jwt round trip for every sign-method family, with refusals', () => {
  let now = 1_700_000_000_000;
  for (const [k, method] of [['rsa', 'RS256'], ['rsa', 'PS384'], ['ec', 'ES256'], ['hmac', 'HS512']] as const) {
    const tokens = new JwtTokens(parseJwtOptions(spec(keys[k], method, ',ttl=1m'), () => now));
    const t = tokens.assign('alice', 7);
    assert.deepEqual(tokens.info(t), { username: 'alice', revision: 7 }, method);
    const [h, c, s] = t.split('.');
    const forged = Buffer.from(JSON.stringify({ exp: 9e9, revision: 7, username: 'root' })).toString('base64url');
    assert.equal(tokens.info(`${h}.${forged}.${s}`), undefined, `${method}: claims changed under the signature`);
    assert.equal(tokens.info(`${h}.${c}.${s.slice(0, -4)}AAAA`), undefined, `${method}: signature changed`);
    const none = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
    assert.equal(tokens.info(`${none}.${c}.`), undefined, `${method}: alg none`);
    now += 61_000;
    assert.equal(tokens.info(t), undefined, `${method}: expired`);
    now -= 61_000;
  }
  assert.throws(() => parseJwtOptions(spec(keys.rsa, 'XX256')), /unsupported JWT sign-method/);
  assert.throws(() => parseJwtOptions(spec(keys.rsa, 'RS256', ',ttl=forever')), /invalid jwt ttl/);
});

test('a JWT issued by etcd 3.4 is accepted by etcd-ts holding the same keys, and the reverse', async () => {
  const flags = ['--auth-token', spec(keys.rsa, 'RS256'), '--bcrypt-cost', '4'];
  const ms: Member[] = await startMembers([['etcd-ts', { extraArgs: flags }], ['etcd', { extraArgs: flags }]]);
  const protoRoot = fileURLToPath(new URL('../../../proto', import.meta.url));
  const pkg = (grpc.loadPackageDefinition(protoLoader.loadSync('etcdserverpb/rpc.proto', { includeDirs: [protoRoot], longs: String, bytes: Buffer, defaults: true })) as any).etcdserverpb;
  const clients: any[] = [];
  try {
    for (const m of ms) {
      for (const s of [
        ['user', 'add', 'root', '--new-user-password=rootpw'],
        ['user', 'grant-role', 'root', 'root'],
        ['auth', 'enable'],
        ['--user', 'root:rootpw', 'role', 'add', 'app'],
        ['--user', 'root:rootpw', 'role', 'grant-permission', 'app', 'readwrite', 'app/', '--prefix'],
        ['--user', 'root:rootpw', 'user', 'add', 'alice', '--new-user-password=apw'],
        ['--user', 'root:rootpw', 'user', 'grant-role', 'alice', 'app'],
      ]) {
        const r = await etcdctl(m, s, { timeoutMs: 8000 });
        assert.equal(r.code, 0, `${m.kind} ${s.join(' ')}: ${r.stderr}`);
      }
    }
    const call = (c: any, method: string, req: object, token?: string) => {
      const md = new grpc.Metadata();
      if (token) md.set('token', token);
      return new Promise<any>((resolve, reject) => c[method](req, md, { deadline: Date.now() + 5000 }, (e: any, r: any) => (e ? reject(e) : resolve(r))));
    };
    const [tsAddr, etcdAddr] = ms.map((m) => m.endpoint.replace('http://', ''));
    const ts = { auth: new pkg.Auth(tsAddr, grpc.credentials.createInsecure()), kv: new pkg.KV(tsAddr, grpc.credentials.createInsecure()) };
    const real = { auth: new pkg.Auth(etcdAddr, grpc.credentials.createInsecure()), kv: new pkg.KV(etcdAddr, grpc.credentials.createInsecure()) };
    clients.push(ts.auth, ts.kv, real.auth, real.kv);
    const fromEtcd = (await call(real.auth, 'Authenticate', { name: 'alice', password: 'apw' })).token as string;
    const fromTs = (await call(ts.auth, 'Authenticate', { name: 'alice', password: 'apw' })).token as string;
    assert.equal(fromTs.split('.').length, 3);
    await call(ts.kv, 'Put', { key: Buffer.from('app/a'), value: Buffer.from('1') }, fromEtcd);
    await call(real.kv, 'Put', { key: Buffer.from('app/a'), value: Buffer.from('1') }, fromTs);
    // Refusals agree too: outside the grant, and after the auth revision moved on.
    for (const [c, t] of [[ts.kv, fromEtcd], [real.kv, fromTs]]) {
      await assert.rejects(call(c, 'Put', { key: Buffer.from('other'), value: Buffer.from('1') }, t), { details: 'etcdserver: permission denied' });
    }
    for (const m of ms) assert.equal((await etcdctl(m, ['--user', 'root:rootpw', 'role', 'add', 'later'])).code, 0);
    for (const [c, t] of [[ts.kv, fromEtcd], [real.kv, fromTs]]) {
      await assert.rejects(call(c, 'Put', { key: Buffer.from('app/a'), value: Buffer.from('2') }, t), { details: 'etcdserver: revision of auth store is old' });
    }
  } finally {
    for (const c of clients) c.close();
    await Promise.all(ms.map((m) => m.close()));
  }
});
