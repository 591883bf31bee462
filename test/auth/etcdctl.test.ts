// The real etcdctl against etcd-ts and etcd 3.4 started with the same TLS and
// auth flags: the operator sequence that turns auth on, and a permission matrix
// of users with read, write and readwrite grants trying operations inside and
// outside them. Both servers must answer every step alike.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startMembers, type Member } from '../helpers/member.js';
import { etcdctl, type EtcdctlOptions } from '../helpers/etcdctl.js';
import { tmpDir, type TmpDir } from '../helpers/tmp.js';
import { makePki, type Pki } from './certs.js';

let dir: TmpDir;
let pki: Pki;
let rootCert: { cert: string; key: string };
before(() => {
  dir = tmpDir('auth-pki');
  pki = makePki(dir.path);
  rootCert = pki.user('root');
});
after(() => dir.cleanup());

const serverFlags = () => ['--cert-file', pki.server.cert, '--key-file', pki.server.key, '--trusted-ca-file', pki.ca, '--client-cert-auth', '--bcrypt-cost', '4'];
const peerTls = () => ['--cacert', pki.ca, '--cert', pki.peer.cert, '--key', pki.peer.key];

interface Outcome {
  code: number;
  stdout: string;
  /** etcdctl's final "Error: …" line, without the retry warnings' timestamps. */
  error: string;
}

async function run(m: Member, args: string[], opts: EtcdctlOptions = {}): Promise<Outcome> {
  const r = await etcdctl(m, args, { timeoutMs: 8000, ...opts });
  const error = r.stderr.split('\n').filter((l) => l.startsWith('Error:')).join('\n');
  return { code: r.code, stdout: r.stdout, error };
}

/** Runs the same etcdctl step on both servers and insists they agree. */
async function both(ms: Member[], args: string[], opts: EtcdctlOptions = {}): Promise<Outcome> {
  const [ts, real] = await Promise.all(ms.map((m) => run(m, args, opts)));
  assert.deepEqual(ts, real, `etcd-ts and etcd differ on: etcdctl ${args.join(' ')}`);
  return ts;
}

async function startBoth(): Promise<Member[]> {
  return startMembers((['etcd-ts', 'etcd'] as const).map((k) => [k, { clientScheme: 'https', extraArgs: serverFlags() }]));
}

test('operator sequence: add root, grant root, enable auth, then list users as root', async () => {
  const ms = await startBoth();
  try {
    const tls = peerTls();
    assert.equal((await both(ms, [...tls, 'put', '/registry/pods/a', 'x'])).stdout, 'OK\n');
    assert.equal((await both(ms, [...tls, 'get', '/', '--prefix', '--keys-only'])).stdout, '/registry/pods/a\n\n');
    const add = await both(ms, [...tls, 'user', 'add', 'root'], { stdin: 'rootpw\nrootpw\n' });
    assert.equal(add.code, 0, add.error);
    assert.match(add.stdout, /User root created\n$/);
    assert.equal((await both(ms, [...tls, 'user', 'grant-role', 'root', 'root'])).stdout, 'Role root is granted to user root\n');
    assert.equal((await both(ms, [...tls, 'auth', 'enable'])).stdout, 'Authentication Enabled\n');
    const list = await both(ms, [...tls, '--user', 'root', 'user', 'list'], { stdin: 'rootpw\n' });
    assert.equal(list.code, 0, list.error);
    assert.match(list.stdout, /root\n$/);
    assert.equal((await both(ms, [...tls, '--user', 'root:rootpw', 'user', 'list'])).stdout, 'root\n');

    // The peer certificate's CN is no user: its requests are refused once auth is on.
    const anon = await both(ms, [...tls, 'get', '/', '--prefix', '--keys-only']);
    assert.notEqual(anon.code, 0);
    assert.match(anon.error, /permission denied/);
    // A certificate whose CN is root acts as root without a password.
    const byCert = await both(ms, ['--cacert', pki.ca, '--cert', rootCert.cert, '--key', rootCert.key, 'user', 'list']);
    assert.equal(byCert.stdout, 'root\n');
    const wrong = await both(ms, [...tls, '--user', 'root:nope', 'user', 'list']);
    assert.notEqual(wrong.code, 0);
    assert.match(wrong.error, /authentication failed, invalid user ID or password/);
    // And off again.
    assert.equal((await both(ms, [...tls, '--user', 'root:rootpw', 'auth', 'disable'])).stdout, 'Authentication Disabled\n');
    assert.equal((await both(ms, [...tls, 'get', '/registry/pods/a', '--print-value-only'])).stdout, 'x\n');
  } finally {
    await Promise.all(ms.map((m) => m.close()));
  }
});

test('permission matrix: read, write and readwrite grants on keys, ranges, prefixes and from-key', async () => {
  const ms = await startBoth();
  try {
    const tls = peerTls();
    const root = [...tls, '--user', 'root:rootpw'];
    const setup: string[][] = [
      ['user', 'add', 'root', '--new-user-password=rootpw'],
      ['user', 'grant-role', 'root', 'root'],
      ['auth', 'enable'],
      ['role', 'add', 'reader'],
      ['role', 'grant-permission', 'reader', 'read', 'r/key'],
      ['role', 'grant-permission', 'reader', 'read', 'z', '--from-key'],
      ['role', 'add', 'writer'],
      ['role', 'grant-permission', 'writer', 'write', 'w/a', 'w/m'],
      ['role', 'add', 'both'],
      ['role', 'grant-permission', 'both', 'readwrite', 'rw/', '--prefix'],
      ['user', 'add', 'ann', '--new-user-password=a'],
      ['user', 'grant-role', 'ann', 'reader'],
      ['user', 'add', 'wes', '--new-user-password=w'],
      ['user', 'grant-role', 'wes', 'writer'],
      ['user', 'add', 'bo', '--new-user-password=b'],
      ['user', 'grant-role', 'bo', 'both'],
      ['put', 'r/key', 'v'],
      ['put', 'rw/x', 'v'],
      ['put', 'rx', 'v'],
      ['put', 'zz', 'v'],
    ];
    for (const step of setup) {
      const r = await both(ms, [...(step[0] === 'user' && step[2] === 'root' || step[1] === 'grant-role' && step[2] === 'root' || step[0] === 'auth' ? tls : root), ...step]);
      assert.equal(r.code, 0, `${step.join(' ')}: ${r.error}`);
    }
    const as = (u: string, pw: string) => [...tls, '--user', `${u}:${pw}`];
    const ok = async (user: string[], args: string[], opts: EtcdctlOptions = {}) => {
      const r = await both(ms, [...user, ...args], opts);
      assert.equal(r.code, 0, `${args.join(' ')} should be permitted: ${r.error}`);
      return r;
    };
    const denied = async (user: string[], args: string[], opts: EtcdctlOptions = {}) => {
      const r = await both(ms, [...user, ...args], opts);
      assert.notEqual(r.code, 0, `${args.join(' ')} should be refused`);
      assert.match(r.error, /permission denied/, args.join(' '));
    };
    const ann = as('ann', 'a');
    const wes = as('wes', 'w');
    const bo = as('bo', 'b');

    // reader: one key and everything from "z" on, read only.
    assert.equal((await ok(ann, ['get', 'r/key', '--print-value-only'])).stdout, 'v\n');
    await ok(ann, ['get', 'zz']);
    await ok(ann, ['get', 'z', '--from-key']);
    await denied(ann, ['get', 'y', '--from-key']);
    await denied(ann, ['get', 'r/', '--prefix']); // spans allowed and forbidden keys
    await denied(ann, ['put', 'r/key', 'x']);
    await denied(ann, ['del', 'r/key']);
    await denied(ann, ['get', 'rw/x']);

    // writer: [w/a, w/m), write only.
    await ok(wes, ['put', 'w/b', '1']);
    await ok(wes, ['del', 'w/a', 'w/m']);
    await denied(wes, ['put', 'w/m', '1']);
    await denied(wes, ['del', 'w/a', 'w/n']);
    await denied(wes, ['get', 'w/b']);
    await denied(wes, ['put', 'w/b', '1', '--prev-kv']); // reading the previous value needs read

    // readwrite on the prefix rw/.
    await ok(bo, ['put', 'rw/y', '1']);
    assert.equal((await ok(bo, ['get', 'rw/', '--prefix', '--keys-only'])).stdout, 'rw/x\n\nrw/y\n\n');
    await ok(bo, ['del', 'rw/y']);
    await denied(bo, ['get', 'rw', '--prefix']); // "rx" is in range
    await denied(bo, ['put', 'rx', '1']);
    // Txns: every compare and every op of both branches must be permitted.
    await ok(bo, ['txn'], { stdin: 'value("rw/x") = "v"\n\nput rw/t 1\n\nget rw/x\n\n' });
    await denied(bo, ['txn'], { stdin: 'value("rw/x") = "v"\n\nput rw/t 2\nput rx 2\n\n\n' });
    await denied(bo, ['txn'], { stdin: 'value("rx") = "v"\n\nput rw/t 3\n\n\n' });
    await denied(bo, ['txn'], { stdin: '\nput rw/t 4\n\nget r/key\n\n' });
    // Nothing the refused requests tried went through.
    assert.equal((await ok(root, ['get', 'rx', '--print-value-only'])).stdout, 'v\n');
    assert.equal((await ok(root, ['get', 'rw/t', '--print-value-only'])).stdout, '1\n');

    // A watch on a forbidden range is canceled by the server.
    const w = await both(ms, [...bo, 'watch', 'rx']);
    assert.notEqual(w.code, 0);
    assert.match(w.error, /watch is canceled by the server/);
    // Management needs root.
    await denied(bo, ['user', 'list']);
    await denied(bo, ['role', 'add', 'x']);
    assert.match((await ok(bo, ['user', 'get', 'bo'])).stdout, /Roles: both/);
    // Maintenance and membership that etcd keeps for root.
    await denied(bo, ['endpoint', 'hashkv']);
    assert.notEqual((await both(ms, [...bo, 'defrag'])).code, 0, 'defrag is refused');
    await denied(bo, ['member', 'add', 'extra', '--peer-urls=http://127.0.0.1:1']);
    await denied(bo, ['member', 'remove', '1234']);
    for (const m of ms) assert.equal((await run(m, [...bo, 'member', 'list'])).code, 0, `${m.kind}: listing members is open`);
    // Status is open to any authenticated user (its figures differ between servers).
    for (const m of ms) assert.equal((await run(m, [...bo, 'endpoint', 'status'])).code, 0, m.kind);
  } finally {
    await Promise.all(ms.map((m) => m.close()));
  }
});
