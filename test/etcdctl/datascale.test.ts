// check datascale against etcdctl 3.4: same lines in the same order (numbers and
// progress frames masked, as memory and timing differ run to run), same errors.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { etcdctl, startMembers, type Member } from '../helpers/index.js';
import { etcdctlTs } from './run.js';

let member: Member;
let etcd: Member;

before(async () => {
  [member, etcd] = await startMembers([['etcd-ts', { name: 'datascale' }], ['etcd', { name: 'datascale' }]]);
});
after(async () => {
  await Promise.all([member?.close(), etcd?.close()]);
});

/** Keeps each progress line's last frame and masks numbers and the port. */
function shape(stdout: string, m: Member): string {
  return stdout
    .split('\n')
    .map((l) => l.slice(l.lastIndexOf('\r') + 1))
    .join('\n')
    .replaceAll(String(m.clientPort), '<port>')
    .replace(/-?\d+(\.\d+)?/g, 'N')
    .replace(/ N(h|m|s)(N(m|s))*(?=\n)/g, ' <time>');
}

describe('check datascale matches etcdctl 3.4', { concurrency: false }, () => {
  test('load s with auto-compact and auto-defrag: the report and its lines', { timeout: 60_000 }, async () => {
    const args = ['check', 'datascale', '--load', 's', '--auto-compact', '--auto-defrag'];
    // Each against its own server, at the same time: only the shape of the report is compared.
    const [ts, real] = await Promise.all([etcdctlTs(member, args, { timeoutMs: 40_000 }), etcdctl(etcd, args, { timeoutMs: 40_000 })]);
    assert.equal(ts.code, 0, ts.stderr);
    assert.equal(shape(ts.stdout, member), shape(real.stdout, etcd));
    assert.equal(ts.stderr, real.stderr);
    assert.match(ts.stdout, /^Start data scale check for work load \[10000 key-value pairs, 1024 bytes per key-value, 50 concurrent clients\]\.\n\r 0 \/ 10000 {4}0\.00%/);
    assert.match(ts.stdout, /\r 10000 \/ 10000  100\.00% \d+s\nCompacting with revision \d+\n/);
    const mb = Number(/PASS: Approximate system memory used : (-?\d+\.\d\d) MB\.\n$/.exec(ts.stdout)?.[1]);
    assert.ok(Number.isFinite(mb), ts.stdout);
    // The workload is gone afterwards.
    const left = await etcdctl(member, ['get', '/etcdctl-check-datascale/', '--prefix', '--keys-only']);
    assert.equal(left.stdout, '');
  });

  test('errors: unknown load, prefix already holding keys', async () => {
    for (const args of [
      ['check', 'datascale', '--load', 'huge'],
      ['put', '/etcdctl-check-datascale/leftover', 'x'],
      ['check', 'datascale'],
      ['check', 'datascale', '--prefix', '/elsewhere/', '--load', 'nope'],
      ['del', '/etcdctl-check-datascale/', '--prefix'],
    ]) {
      const ts = await etcdctlTs(member, args);
      const real = await etcdctl(member, args);
      if (args[0] === 'put' || args[0] === 'del') continue;
      assert.equal(ts.stdout, real.stdout, args.join(' '));
      assert.equal(ts.stderr, real.stderr, args.join(' '));
      assert.equal(ts.code, real.code, args.join(' '));
    }
  });
});
