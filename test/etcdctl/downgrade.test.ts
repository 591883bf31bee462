// etcdctl-ts downgrade validate|enable|cancel, with etcdctl 3.6's outputs: written from etcd
// 3.6.14's etcdctl/ctlv3/command/downgrade_command.go (argument checks, ExitBadArgs),
// printer_simple.go ("Downgrade <action> success, cluster version <v>"), printer.go (json and
// protobuf print the response; fields and table are unsupported) and etcdctl/README.md's
// examples. The command stays out of `etcdctl --help`, which is etcdctl 3.4's.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { etcdctl, startMember, type Member } from '../helpers/index.js';
import { etcdctlTs } from './run.js';

let m: Member;
before(async () => {
  m = await startMember('etcd-ts');
});
after(async () => {
  await m?.close();
});

test('validate, enable and cancel print what etcdctl 3.6 prints', async () => {
  // A failed call is also logged by the client's retry interceptor, as etcdctl's client logs it.
  const run = async (args: string[]) => {
    const r = await etcdctlTs(m, args);
    return [r.code, r.stdout, r.stderr.split('\n').filter((l) => !l.includes('"msg":"retrying of unary invoker failed"')).join('\n')];
  };
  assert.deepEqual(await run(['downgrade', 'validate', '3.5']), [0, 'Downgrade validate success, cluster version 3.6\n', '']);
  assert.deepEqual(await run(['downgrade', 'validate', '3.4']), [1, '', 'Error: etcdserver: invalid downgrade target version\n']);
  assert.deepEqual(await run(['downgrade', 'validate', 'three']), [1, '', 'Error: etcdserver: wrong downgrade target version format\n']);
  assert.deepEqual(await run(['downgrade', 'validate']), [128, '', 'Error: TARGET_VERSION not provided\n']);
  assert.deepEqual(await run(['downgrade', 'enable', '3.5', '3.4']), [128, '', 'Error: too many arguments\n']);
  assert.deepEqual(await run(['downgrade', 'validate', '3.5', '-w', 'fields']), [4, '', 'Error: fields not supported as output format\n']);
  assert.deepEqual(await run(['downgrade', 'enable', '3.5']), [0, 'Downgrade enable success, cluster version 3.6\n', '']);
  // The leader lowers the cluster version to the target within its 4 s monitor period.
  for (const deadline = Date.now() + 15_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 200))) {
    const v = (await (await fetch(`${m.endpoint}/version`, { signal: AbortSignal.timeout(5000) })).json()) as { etcdcluster: string };
    if (v.etcdcluster === '3.5.0') break;
  }
  // A valid target for the lowered cluster version, refused while the job runs.
  assert.deepEqual(await run(['downgrade', 'validate', '3.4']), [1, '', 'Error: etcdserver: cluster has a downgrade job in progress\n']);
  const json = await etcdctlTs(m, ['downgrade', 'cancel', '-w', 'json']);
  assert.equal(json.code, 0);
  const resp = JSON.parse(json.stdout);
  assert.equal(resp.version, '3.5');
  assert.ok(resp.header.member_id > 0);
  // No job left: etcd 3.6.14 still answers success, with the cluster version.
  const again = await run(['downgrade', 'cancel']);
  assert.equal(again[0], 0);
  assert.match(String(again[1]), /^Downgrade cancel success, cluster version 3\.[56]\n$/);
});

test('the help of etcdctl 3.4 is unchanged; the downgrade group has its own', async () => {
  const [ours, real] = await Promise.all([etcdctlTs(m, ['--help']), etcdctl(m, ['--help'])]);
  assert.equal(ours.stdout, real.stdout);
  assert.doesNotMatch(ours.stdout, /downgrade/);
  const group = await etcdctlTs(m, ['downgrade', '--help']);
  assert.equal(group.code, 0);
  assert.match(group.stdout, /^NAME:\n\tdowngrade - Downgrade related commands\n\nUSAGE:\n\tetcdctl downgrade <TARGET_VERSION> \[flags\]\n/);
  for (const line of ['\tcancel\t', '\tenable\t', '\tvalidate\t']) assert.ok(group.stdout.includes(line.replace(/\t$/, '')), line);
});
