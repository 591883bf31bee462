// Debian's python3-etcd3gw, a client of etcd's JSON gateway, driving etcd-ts: KV,
// leases (64-bit IDs as bare JSON numbers), compare-and-swap, status and watch.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { startMember, type Member } from '../helpers/member.js';
import { ETCD_API_VERSION } from '../../src/config/index.js';

const PYTHON = '/usr/bin/python3';
const available = spawnSync(PYTHON, ['-c', 'import etcd3gw'], { timeout: 10_000 }).status === 0;

const SCRIPT = `
import sys
from etcd3gw.client import Etcd3Client
c = Etcd3Client(host='127.0.0.1', port=int(sys.argv[1]), api_path='/v3beta/')
print(c.put('gw/a', 'one'))
print(c.get('gw/a'))
l = c.lease(ttl=30)
print(l.ttl() > 0)
print(c.put('gw/b', 'two', lease=l))
print(l.keys())
print(c.replace('gw/a', 'one', 'uno'), c.replace('gw/a', 'one', 'dos'), c.get('gw/a'))
print(c.delete('gw/a'))
print(c.status()['version'])
print(len(c.members()))
events, cancel = c.watch('gw/c')
c.put('gw/c', 'x')
print(next(events)['kv']['value'])
cancel()
print(l.revoke(), c.get('gw/b'))
`;

let ts: Member;
before(async () => {
  if (available) ts = await startMember('etcd-ts');
});
after(async () => {
  await ts?.close();
});

test('python3-etcd3gw works against etcd-ts', { skip: available ? false : 'python3-etcd3gw is not installed' }, () => {
  const r = spawnSync(PYTHON, ['-c', SCRIPT, String(ts.clientPort)], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, ["True", "[b'one']", 'True', 'True', "[b'gw/b']", "True False [b'uno']", 'True', ETCD_API_VERSION, '1', "b'x'", 'True []', ''].join('\n'));
});
