// The harness itself: ports, temp dirs, member lifecycle on real etcd, the
// etcdctl runner's bounds, and the normalizers on captured etcdctl output.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { etcdctl } from './etcdctl.js';
import { probeHealth, startMember, type Member } from './member.js';
import { normalize, normalizeStderr } from './normalize.js';
import { freePort } from './ports.js';
import { tmpDir } from './tmp.js';

test('freePort hands out distinct ports', async () => {
  const ports = await Promise.all(Array.from({ length: 8 }, () => freePort()));
  assert.equal(new Set(ports).size, ports.length);
  for (const p of ports) assert.ok(p > 0 && p < 65536);
});

test('tmpDir creates a directory under os.tmpdir() and removes it', () => {
  const d = tmpDir('harness/check');
  assert.ok(existsSync(d.path));
  d.cleanup();
  d.cleanup();
  assert.ok(!existsSync(d.path));
});

let member: Member;
before(async () => {
  member = await startMember('etcd', { name: 'h1' });
});
after(async () => {
  await member?.close();
  assert.ok(!existsSync(member.dataDir), 'close removes the owned data dir');
});

test('a started member is healthy, logs the milestone and answers etcdctl', async () => {
  assert.match(member.endpoint, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.ok(await probeHealth(member.endpoint));
  assert.match(member.logs(), /ready to serve client requests/);
  const r = await etcdctl(member, ['put', 'h/k', 'v']);
  assert.deepEqual({ stdout: r.stdout, stderr: r.stderr, code: r.code }, { stdout: 'OK\n', stderr: '', code: 0 });
  assert.deepEqual(r.stdoutBytes, Buffer.from('OK\n'));
});

test('restart keeps the data dir, ports and data; kill9 and stop report how the process ended', async () => {
  const before = member.pid;
  await member.restart();
  assert.notEqual(member.pid, before);
  assert.equal((await etcdctl(member, ['get', 'h/k', '--print-value-only'])).stdout, 'v\n');
  const killed = await member.kill9();
  assert.equal(killed.signal, 'SIGKILL');
  assert.equal(await probeHealth(member.endpoint, 300), false);
  await member.restart();
  assert.equal((await etcdctl(member, ['get', 'h/k', '--print-value-only'])).stdout, 'v\n');
  const stopped = await member.stop();
  assert.ok(stopped.code === 0 || stopped.signal === 'SIGTERM', JSON.stringify(stopped));
  await member.restart();
});

test('etcdctl against a closed port fails within its own bound; the runner bound kills a hung etcdctl', async () => {
  const port = await freePort();
  const r = await etcdctl(`http://127.0.0.1:${port}`, ['get', 'x', '--dial-timeout=300ms', '--command-timeout=500ms']);
  assert.notEqual(r.code, 0);
  await assert.rejects(etcdctl(member, ['watch', 'never'], { timeoutMs: 300 }), /timed out after 300 ms/);
});

test('normalize masks identities, terms, indexes, sizes, ports and timings, and keeps revisions', () => {
  const ports = { clientPort: 23791, peerPort: 23801 };
  const json = '{"header":{"cluster_id":15118495548433857066,"member_id":13668033151171901709,"revision":2,"raft_term":2},"kvs":[{"key":"Zm9v","create_revision":2,"mod_revision":2,"version":1,"value":"YmFy"}],"count":1}';
  assert.equal(normalize(json, 'json', ports), '{"header":{"cluster_id":"<cluster_id>","member_id":"<member_id>","revision":2,"raft_term":"<raft_term>"},"kvs":[{"key":"Zm9v","create_revision":2,"mod_revision":2,"version":1,"value":"YmFy"}],"count":1}');
  const fields = '"ClusterID" : 15118495548433857066\n"MemberID" : 13668033151171901709\n"Revision" : 2\n"RaftTerm" : 2\n"Key" : "foo"\n';
  assert.equal(normalize(fields, 'fields', ports), '"ClusterID" : <ClusterID>\n"MemberID" : <MemberID>\n"Revision" : 2\n"RaftTerm" : <RaftTerm>\n"Key" : "foo"\n');
  const table = [
    '+------------------------+------------------+---------+---------+-----------+------------+-----------+------------+--------------------+--------+',
    '|        ENDPOINT        |        ID        | VERSION | DB SIZE | IS LEADER | IS LEARNER | RAFT TERM | RAFT INDEX | RAFT APPLIED INDEX | ERRORS |',
    '+------------------------+------------------+---------+---------+-----------+------------+-----------+------------+--------------------+--------+',
    '| http://127.0.0.1:23791 | bdae9bbc11dd390d |  3.4.23 |   20 kB |      true |      false |         2 |          6 |                  6 |        |',
    '+------------------------+------------------+---------+---------+-----------+------------+-----------+------------+--------------------+--------+',
    '',
  ].join('\n');
  assert.equal(
    normalize(table, 'table', ports),
    '+\n|ENDPOINT|ID|VERSION|DB SIZE|IS LEADER|IS LEARNER|RAFT TERM|RAFT INDEX|RAFT APPLIED INDEX|ERRORS|\n+\n|http://127.0.0.1:<client-port>|<id>|3.4.23|<db-size>|true|false|<raft-term>|<raft-index>|<raft-applied-index>||\n+\n',
  );
  assert.equal(
    normalize('bdae9bbc11dd390d, started, n1, http://127.0.0.1:23801, http://127.0.0.1:23791, false\n', 'simple', ports),
    '<id>, started, n1, http://127.0.0.1:<peer-port>, http://127.0.0.1:<client-port>, false\n',
  );
  assert.equal(
    normalize('http://127.0.0.1:23791, bdae9bbc11dd390d, 3.4.23, 20 kB, true, false, 2, 6, 6, \n', 'simple', ports),
    'http://127.0.0.1:<client-port>, <id>, 3.4.23, <db-size>, true, false, <raft-term>, <raft-index>, <raft-applied-index>, \n',
  );
  // values that merely look like IDs stay untouched
  assert.equal(normalize('key\nbdae9bbc11dd390d\n', 'simple', ports), 'key\nbdae9bbc11dd390d\n');
  assert.equal(
    normalizeStderr('{"level":"warn","ts":"2026-11-24T21:01:15.652Z","target":"endpoint://client-fc6322d4-47a6-4365-b95e-fe821c680a20/127.0.0.1:23791","error":"x"}\nhttp://127.0.0.1:23791 is healthy: successfully committed proposal: took = 1.279577ms\n', ports),
    '{"level":"warn","ts":"<ts>","target":"endpoint://client-<uuid>/127.0.0.1:<client-port>","error":"x"}\nhttp://127.0.0.1:<client-port> is healthy: successfully committed proposal: took = <took>\n',
  );
});
