// Golden tests: each command line through the real etcdctl and through etcdctl-ts,
// each against its own freshly started etcd-ts member driven through the same
// history, must print the same stdout and stderr and exit with the same code.
// Read-only commands are also compared against one and the same member.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { etcdctl, normalize, normalizeStderr, REAL_ETCD_RELEASE, startMember, type Member } from '../helpers/index.js';
import { both, etcdctlTs, formatOf } from './run.js';

let real: Member;
let ts: Member;

// etcdctl 3.4's outputs are compared with members behaving as 3.4.23: a 3.6 member's Status
// carries fields (storageVersion, dbSizeQuota, downgradeInfo) etcdctl 3.4 does not know.
before(async () => {
  const opts = { name: 'golden', release: REAL_ETCD_RELEASE } as const;
  [real, ts] = await Promise.all([startMember('etcd-ts', opts), startMember('etcd-ts', opts)]);
});
after(async () => {
  await Promise.all([real?.close(), ts?.close()]);
});

async function same(args: string[], stdin?: string): Promise<void> {
  const r = await both(real, ts, args, { stdin });
  assert.equal(r.ts.stdout, r.real.stdout, `stdout of ${args.join(' ')}`);
  assert.equal(r.ts.stderr, r.real.stderr, `stderr of ${args.join(' ')}`);
  assert.equal(r.ts.code, r.real.code, `exit code of ${args.join(' ')}`);
}

/** Read-only: both etcdctls against the same member. */
async function sameMember(args: string[]): Promise<void> {
  const [a, b] = [await etcdctl(ts, args), await etcdctlTs(ts, args)];
  const fmt = formatOf(args);
  assert.equal(normalize(b.stdout, fmt, ts), normalize(a.stdout, fmt, ts), `stdout of ${args.join(' ')}`);
  assert.equal(normalizeStderr(b.stderr, ts), normalizeStderr(a.stderr, ts), `stderr of ${args.join(' ')}`);
  assert.equal(b.code, a.code, `exit code of ${args.join(' ')}`);
}

describe('etcdctl-ts matches etcdctl 3.4', { concurrency: false }, () => {
  test('put, get and del in every output format', async () => {
    await same(['put', 'foo', 'bar']);
    await same(['put', 'foo', 'baz', '--prev-kv']);
    await same(['put', 'foo2', 'x', '-w', 'json']);
    await same(['put', 'from-stdin'], 'line one\nline two');
    for (const w of ['simple', 'json', 'fields']) {
      await same(['get', 'foo', '-w', w]);
      await same(['get', 'f', '--prefix', `--write-out=${w}`]);
    }
    await same(['get', 'foo', '--print-value-only']);
    await same(['get', 'foo', '--hex']);
    await same(['get', 'a', '--from-key', '--limit', '1', '-w', 'json']);
    await same(['get', 'f', '--prefix', '--keys-only']);
    await same(['get', 'f', '--prefix', '--sort-by', 'VALUE', '--order', 'DESCEND']);
    await same(['get', 'foo', '--rev', '2', '-w', 'json']);
    await same(['get', 'f', 'foo3', '--consistency', 's']);
    await same(['get', 'from-stdin']);
    await same(['del', 'foo2', '--prev-kv']);
    await same(['del', 'nothing', '-w', 'json']);
    await same(['del', 'f', '--prefix', '-w', 'fields']);
  });

  test('read-only commands against the same member', async () => {
    await sameMember(['get', '', '--from-key', '-w', 'json']);
    await sameMember(['member', 'list']);
    await sameMember(['member', 'list', '-w', 'table']);
    await sameMember(['endpoint', 'status', '-w', 'json']);
    await sameMember(['endpoint', 'hashkv']);
  });

  test('txn from stdin, non-interactive and interactive', async () => {
    await same(['put', 'k', 'v1']);
    const body = 'val("k") = "v1"\nmod("k") > "0"\n\nput k v2\nget k\n\nget nothing\n\n';
    await same(['txn'], body);
    await same(['txn', '-w', 'json'], body);
    await same(['txn', '-i'], body);
    await same(['txn', '-w', 'fields'], 'version("k") = "1"\n\nput x y\n\ndel k\n\n');
    await same(['txn'], 'bogus\n\n\n\n');
    await same(['txn'], 'val("k") = "v2"\n\nput\n\n\n');
    await same(['txn'], 'val("k") = "v2"\n');
  });

  test('compaction and its errors', async () => {
    await same(['put', 'c', '1']);
    await same(['put', 'c', '2']);
    await same(['compaction', '3']);
    await same(['get', 'c', '--rev', '2']);
    await same(['compaction', '2']);
    await same(['compaction', '1000']);
    await same(['compaction', 'x']);
    await same(['compaction', '5', '--physical']);
  });

  test('cluster and endpoint commands', async () => {
    for (const w of ['simple', 'json', 'fields', 'table']) {
      await same(['member', 'list', '-w', w]);
      await same(['endpoint', 'status', '-w', w]);
      await same(['endpoint', 'hashkv', '-w', w]);
      await same(['endpoint', 'health', '-w', w]);
    }
    await same(['endpoint', 'status', '--cluster']);
    await same(['endpoint', 'health', '--cluster']);
    await same(['alarm', 'list']);
    await same(['version']);
  });

  test('lease commands', async () => {
    await same(['lease', 'grant', '100']);
    await same(['lease', 'grant', '100', '-w', 'json']);
    await same(['lease', 'list']);
    await same(['lease', 'timetolive', '1234']);
    await same(['lease', 'revoke', '1234']);
    await same(['lease', 'grant', 'abc']);
    await same(['lease', 'keep-alive', '--once', '1234']);
  });

  test('usage and server errors', async () => {
    await same(['get']);
    await same(['put']);
    await same(['put', 'a', 'b', '--lease', 'zz']);
    await same(['del']);
    await same(['get', 'a', '--prefix', '--from-key']);
    await same(['get', 'a', '-w', 'table']);
    await same(['get', 'a', '-w', 'yaml']);
    await same(['get', 'a', '--consistency', 'x']);
    await same(['get', 'a', '--order', 'UP']);
    await same(['put', '', 'v']);
    await same(['user', 'list']);
    await same(['role', 'add', 'r']);
    await same(['auth', 'enable']);
    await same(['check', 'perf', '--load', 'huge']);
    await same(['put', '/etcdctl-check-perf/leftover', 'x']);
    await same(['check', 'perf']);
    await same(['del', '/etcdctl-check-perf/', '--prefix']);
  });

  test('several endpoints: per-endpoint commands cover each, others fail over', async () => {
    const eps = `${real.endpoint},${ts.endpoint}`;
    for (const args of [['endpoint', 'status'], ['endpoint', 'hashkv', '-w', 'json'], ['endpoint', 'health', '-w', 'table']]) {
      const full = args;
      const [a, b] = [await etcdctl(eps, full), await etcdctlTs(eps, full)];
      const norm = (t: string, f: Parameters<typeof normalize>[1]) => normalize(t, f, ts).replace(/127\.0\.0\.1:\d+/g, '127.0.0.1:<port>');
      // Health runs the endpoints concurrently: compare the rows as a set.
      const rows = (t: string) => (args[1] === 'health' ? t.split('\n').sort().join('\n') : t);
      assert.equal(rows(norm(b.stdout, formatOf(full))), rows(norm(a.stdout, formatOf(full))), args.join(' '));
      assert.equal(b.code, a.code, args.join(' '));
    }
    // A dead first endpoint: KV calls go to the live one.
    const dead = 'http://127.0.0.1:1';
    const r = await etcdctlTs(`${dead},${ts.endpoint}`, ['get', 'c', '--print-value-only']);
    const e = await etcdctl(`${dead},${ts.endpoint}`, ['get', 'c', '--print-value-only']);
    assert.equal(r.stdout, e.stdout);
    assert.equal(r.code, e.code);
  });

  test('environment variables stand in for global flags', async () => {
    await same(['get', 'c'], undefined);
    const env = { ETCDCTL_WRITE_OUT: 'json' };
    const a = await etcdctl(ts, ['get', 'c'], { env });
    const b = await etcdctlTs(ts, ['get', 'c'], { env });
    assert.equal(normalize(b.stdout, 'json', ts), normalize(a.stdout, 'json', ts));
    assert.match(b.stdout, /^\{"header"/);
  });
});
