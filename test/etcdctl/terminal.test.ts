// etcdctl-ts typed into a terminal (a pty, not a pipe), side by side with the real
// etcdctl 3.4: txn --interactive, watch (plain, replaying with a command per event,
// ETCDCTL_WATCH_KEY with env, interactive), lock, elect, del and password prompts,
// with Ctrl-C and Ctrl-D. Every screen (prompts, echo of what was typed, stdout and
// stderr interleaved) and exit status must equal the real etcdctl's against etcd,
// both for etcdctl-ts against etcd and for etcdctl-ts against etcd-ts.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sameEverywhere, startSides, watchesAdded, type Sides } from './terminal.js';

let sides: Sides;

before(async () => {
  sides = await startSides();
});
after(async () => {
  await sides?.close();
});

/** The same writes on every side's member, so their histories stay alike. */
async function everywhere(write: (s: Sides['all'][number]) => Promise<unknown>): Promise<void> {
  await Promise.all(sides.all.map(write));
}

describe('etcdctl-ts in a terminal matches etcdctl 3.4', { concurrency: false }, () => {
  test('txn --interactive: prompts, echo, success and failure branches', async () => {
    await everywhere((s) => s.client.put('k', 'v1'));
    const r = await sameEverywhere(sides, ['txn', '--interactive'], async (t) => {
      await t.waitFor('compares:\r\n');
      t.type('val("k") = "v1"\nmod("k") > "0"\n\n');
      await t.waitFor('success requests (get, put, del):\r\n');
      t.type('put k v2\nget k\n\n');
      await t.waitFor('failure requests (get, put, del):\r\n');
      t.type('get nothing\n\n');
    });
    assert.equal(r.code, 0);
    assert.equal(r.screen, 'compares:\r\nval("k") = "v1"\r\nmod("k") > "0"\r\n\r\nsuccess requests (get, put, del):\r\nput k v2\r\nget k\r\n\r\nfailure requests (get, put, del):\r\nget nothing\r\n\r\nSUCCESS\r\n\r\nOK\r\n\r\nk\r\nv2\r\n');
    const failed = await sameEverywhere(sides, ['txn', '-i', '-w', 'json'], async (t) => {
      await t.waitFor('compares:\r\n');
      t.type('val("k") = "v1"\n\n');
      await t.waitFor('success requests (get, put, del):\r\n');
      t.type('\n');
      await t.waitFor('failure requests (get, put, del):\r\n');
      t.type('del k --prev-kv\n\n');
    });
    assert.equal(failed.code, 0);
    assert.match(failed.screen, /"deleted":1,"prev_kvs":\[\{"key":"aw==".*"value":"djI="/);
  });

  test('txn --interactive ends on Ctrl-D with EOF, on Ctrl-C with the signal, on a bad line with its error', async () => {
    const eof = await sameEverywhere(sides, ['txn', '-i'], async (t) => {
      await t.waitFor('compares:\r\n');
      t.type('\x04');
    });
    assert.deepEqual(eof, { code: 3, screen: 'compares:\r\nError: EOF\r\n' });
    const interrupted = await sameEverywhere(sides, ['txn', '-i'], async (t) => {
      await t.waitFor('compares:\r\n');
      t.type('version("k") > "0"\n\n');
      await t.waitFor('success requests (get, put, del):\r\n');
      t.type('\x03');
    });
    assert.deepEqual(interrupted, { code: 130, screen: 'compares:\r\nversion("k") > "0"\r\n\r\nsuccess requests (get, put, del):\r\n^C' });
    const bad = await sameEverywhere(sides, ['txn', '-i'], async (t) => {
      await t.waitFor('compares:\r\n');
      t.type('value(k) = v\n');
    });
    // Nothing was scanned: the empty operator leaves two spaces.
    assert.deepEqual(bad, { code: 3, screen: 'compares:\r\nvalue(k) = v\r\nError: malformed comparison: value(k) = v; got value("")  ""\r\n' });
  });

  test('watch prints events as they happen until Ctrl-C', async () => {
    const r = await sameEverywhere(sides, ['watch', 'foo', '--prev-kv'], async (t, side, before) => {
      await watchesAdded(side.member, before.watches);
      await side.client.put('foo', 'bar');
      await side.client.put('foo', 'baz');
      await side.client.delete('foo');
      await t.waitFor('DELETE\r\n');
      await t.waitFor(/DELETE\r\nfoo\r\nbaz\r\nfoo\r\n\r\n$/);
      t.type('\x03');
    });
    assert.deepEqual(r, { code: 130, screen: 'PUT\r\nfoo\r\nbar\r\nPUT\r\nfoo\r\nbar\r\nfoo\r\nbaz\r\nDELETE\r\nfoo\r\nbaz\r\nfoo\r\n\r\n^C' });
  });

  test("watch --rev 1 replays history and runs the command after each response's events", async () => {
    await everywhere(async (s) => {
      for (const v of ['s1', 's2', 's3']) await s.client.put('sample', v);
    });
    const r = await sameEverywhere(sides, ['watch', '--rev', '1', 'sample', '--', 'echo', 'watch event received'], async (t) => {
      await t.waitFor(/(watch event received\r\n){3}/);
      t.type('\x03');
    });
    assert.deepEqual(r, { code: 130, screen: 'PUT\r\nsample\r\ns1\r\nPUT\r\nsample\r\ns2\r\nPUT\r\nsample\r\ns3\r\n' + 'watch event received\r\n'.repeat(3) + '^C' });
  });

  test('watch --rev 1 -- env takes its key from ETCDCTL_WATCH_KEY and passes ETCD_WATCH_* on', async () => {
    const r = await sameEverywhere(
      sides,
      ['watch', '--rev', '1', '--', 'env'],
      async (t) => {
        await t.waitFor(/(ETCD_WATCH_VALUE="s3"\r\n)/);
        t.type('\x03');
      },
      { env: { ETCDCTL_WATCH_KEY: 'sample' } },
    );
    assert.equal(r.code, 130);
    for (const v of ['s1', 's2', 's3']) assert.match(r.screen, new RegExp(`ETCD_WATCH_EVENT_TYPE="PUT"\\r\\nETCD_WATCH_KEY="sample"\\r\\nETCD_WATCH_VALUE="${v}"\\r\\n`));
    assert.doesNotMatch(r.screen, /ETCDCTL_API/, 'etcdctl consumes ETCDCTL_API');
    const conflict = await sameEverywhere(sides, ['watch', 'sample'], async () => {}, { env: { ETCDCTL_WATCH_KEY: 'sample' } });
    assert.deepEqual(conflict, { code: 128, screen: 'Error: bad number of arguments (found conflicting environment key)\r\n' });
  });

  test('watch -i: watch and progress lines, bad lines, Ctrl-D', async () => {
    const r = await sameEverywhere(sides, ['watch', '-i'], async (t, side, before) => {
      t.type('watch wi --prev-kv\n');
      await watchesAdded(side.member, before.watches);
      await side.client.put('wi', '1');
      await side.client.put('wi', '2');
      await t.waitFor('PUT\r\nwi\r\n1\r\nwi\r\n2\r\n');
      t.type('bogus\n');
      await t.waitFor('Invalid command bogus (only support watch)\r\n');
      t.type('watch\n');
      await t.waitFor('Invalid command watch (command type or key is not provided)\r\n');
      t.type('progress\n');
      await t.waitFor(/progress notify: \d+\r\n/);
      t.type('\x04');
    });
    assert.equal(r.code, 3);
    assert.match(r.screen, /^watch wi --prev-kv\r\nPUT\r\nwi\r\n1\r\nPUT\r\nwi\r\n1\r\nwi\r\n2\r\nbogus\r\nInvalid command bogus \(only support watch\)\r\nwatch\r\nInvalid command watch \(command type or key is not provided\)\r\nprogress\r\nprogress notify: \d+\r\nError: Error reading watch request line: EOF\r\n$/);
  });

  test('lock holds until Ctrl-C and leaves its session lease to expire', async () => {
    const r = await sameEverywhere(sides, ['lock', 'mylock', '--ttl', '60'], async (t) => {
      await t.waitFor(/mylock\/[0-9a-f]+\r\n\r\n/);
      t.type('\x03');
    });
    assert.deepEqual(r, { code: 0, screen: 'mylock/<id>\r\n\r\n^C' });
    const leases = await sameEverywhere(sides, ['lease', 'list'], async () => {});
    assert.deepEqual(leases, { code: 0, screen: 'found 1 leases\r\n<id>\r\n' });
    await everywhere(async (s) => {
      for (const l of (await s.client.lease.leases()).leases) await s.client.lease.revoke(l.ID);
    });
  });

  test('lock waits for the holder; Ctrl-C while waiting cancels and takes its key back', async () => {
    await everywhere((s) => s.client.put('held/owner', ''));
    const r = await sameEverywhere(sides, ['lock', 'held', '--ttl', '60'], async (t, side, before) => {
      await watchesAdded(side.member, before.watches);
      t.type('\x03');
    });
    assert.deepEqual(r, { code: 1, screen: '^CError: context canceled\r\n' });
    const keys = await sameEverywhere(sides, ['get', 'held/', '--prefix', '--keys-only'], async () => {});
    assert.deepEqual(keys, { code: 0, screen: 'held/owner\r\n\r\n' });
  });

  test('lock runs a command with ETCD_LOCK_* and ends with its exit status', async () => {
    const r = await sameEverywhere(sides, ['lock', 'cmdlock', '--', 'sh', '-c', 'echo "key=$ETCD_LOCK_KEY rev=$ETCD_LOCK_REV"; exit 3'], async () => {});
    assert.equal(r.code, 1);
    assert.match(r.screen, /^key=cmdlock\/<id> rev=\d+\r\nError: exit status 3\r\n$/);
  });

  test('elect campaigns until Ctrl-C; elect -l observes the leader and its new values', async () => {
    const r = await sameEverywhere(sides, ['elect', 'myelection', 'p1'], async (t) => {
      await t.waitFor('p1\r\n');
      t.type('\x03');
    });
    assert.deepEqual(r, { code: 0, screen: 'myelection/<id>\r\np1\r\n^C' });
    await everywhere((s) => s.client.put('obs/leader', 'first'));
    const o = await sameEverywhere(sides, ['elect', '-l', 'obs'], async (t, side) => {
      await t.waitFor('first\r\n');
      await side.client.put('obs/leader', 'second');
      await t.waitFor('second\r\n');
      t.type('\x03');
    });
    assert.deepEqual(o, { code: 0, screen: 'obs/leader\r\nfirst\r\nobs/leader\r\nsecond\r\n^C' });
    const bad = await sameEverywhere(sides, ['elect', 'obs'], async () => {});
    assert.deepEqual(bad, { code: 128, screen: 'Error: no proposal argument but -l not set\r\n' });
  });

  test('del: one key, a prefix with previous values, and usage errors', async () => {
    await everywhere(async (s) => {
      await s.client.put('d/1', 'a');
      await s.client.put('d/2', 'b');
    });
    assert.deepEqual(await sameEverywhere(sides, ['del', 'd/1'], async () => {}), { code: 0, screen: '1\r\n' });
    assert.deepEqual(await sameEverywhere(sides, ['del', 'd/', '--prefix', '--prev-kv'], async () => {}), { code: 0, screen: '1\r\nd/2\r\nb\r\n' });
    assert.deepEqual(await sameEverywhere(sides, ['del'], async () => {}), { code: 128, screen: 'Error: del command needs one argument as key and an optional argument as range_end\r\n' });
  });

  test('password prompts: echo off while typing; Ctrl-C at a prompt exits 255 with echo back on', async () => {
    const added = await sameEverywhere(sides, ['user', 'add', 'carol'], async (t) => {
      await t.waitFor('Password of carol: ');
      await t.waitForEchoOff();
      t.type('secret\n');
      await t.waitFor('Type password of carol again for confirmation: ');
      await t.waitForEchoOff();
      t.type('secret\n');
    });
    assert.deepEqual(added, { code: 0, screen: 'Password of carol: \r\nType password of carol again for confirmation: \r\nUser carol created\r\n' });
    const interrupted = await sameEverywhere(
      sides,
      [],
      async (t) => {
        await t.waitFor('Password of dave: ');
        await t.waitForEchoOff();
        t.type('\x03');
      },
      { shell: 'trap : INT; $CTL user add dave; echo "status $?"; stty -a | tr " " "\\n" | grep -x -e echo -e -echo' },
    );
    assert.deepEqual(interrupted, { code: 0, screen: 'Password of dave: status 255\r\necho\r\n' });
  });

  test('commands named by a prefix, as etcdctl takes them', async () => {
    await everywhere(async (s) => {
      await s.client.put('c', '1');
      await s.client.put('c', '2');
    });
    const rev = (await sides.all[0]!.client.get('c')).header!.revision;
    assert.deepEqual(await sameEverywhere(sides, ['compact', String(rev)], async () => {}), { code: 0, screen: `compacted revision ${rev}\r\n` });
    await sameEverywhere(sides, ['role', 'add', 'r'], async () => {});
    assert.deepEqual(await sameEverywhere(sides, ['role', 'grant', 'r', 'read', 'foo'], async () => {}), { code: 0, screen: 'Role r updated\r\n' });
    assert.deepEqual(await sameEverywhere(sides, ['rol', 'g', 'r'], async () => {}).then((x) => x.code), 0);
    const unknown = await sameEverywhere(sides, ['e'], async () => {});
    assert.equal(unknown.code, 1);
    assert.match(unknown.screen, /^Error: unknown command "e" for "etcdctl"\r\n\r\nDid you mean this\?\r\n\tget\r\n\tdel\r\n\tendpoint\r\n\telect\r\n/);
  });
});
