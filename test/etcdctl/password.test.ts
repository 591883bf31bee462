// Password prompts with stdin piped: both etcdctls, each against its own etcd-ts
// member driven through the same history, print the same prompts, read the same
// lines (and leave the rest of stdin alone), and end the same way.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startMembers, type Member } from '../helpers/index.js';
import { both } from './run.js';

let real: Member;
let ts: Member;

before(async () => {
  [real, ts] = await startMembers([['etcd-ts', { name: 'prompts' }], ['etcd-ts', { name: 'prompts' }]]);
});
after(async () => {
  await Promise.all([real?.close(), ts?.close()]);
});

async function same(args: string[], stdin: string): Promise<{ stdout: string; code: number }> {
  const r = await both(real, ts, args, { stdin });
  const what = `${args.join(' ')} <<< ${JSON.stringify(stdin)}`;
  assert.equal(r.ts.stdout, r.real.stdout, `stdout of ${what}`);
  assert.equal(r.ts.stderr, r.real.stderr, `stderr of ${what}`);
  assert.equal(r.ts.code, r.real.code, `exit code of ${what}`);
  return r.ts;
}

describe('password prompts match etcdctl 3.4', { concurrency: false }, () => {
  test('user add asks twice; mismatched or empty passwords are refused', async () => {
    const ok = await same(['user', 'add', 'root'], 'rootpw\nrootpw\n');
    assert.equal(ok.stdout, 'Password of root: \nType password of root again for confirmation: \nUser root created\n');
    assert.equal((await same(['user', 'add', 'bob'], 'one\ntwo\n')).code, 128);
    assert.equal((await same(['user', 'add', 'carl'], '\n')).code, 128);
    assert.equal((await same(['user', 'add', 'carl'], '')).code, 128);
    // Trimmed, as the prompt reads it.
    await same(['user', 'add', 'erin'], '  spaced pw  \nspaced pw\n');
  });

  test('--interactive=false reads one word from stdin', async () => {
    await same(['user', 'add', 'dave', '--interactive=false'], '  dpw extra\n');
    await same(['user', 'add', 'frank', '--interactive=false'], '\nlater\n');
  });

  test('--user without a password asks "Password: " once; other stdin is left to the command', async () => {
    await same(['role', 'add', 'root'], '');
    await same(['user', 'grant-role', 'root', 'root'], '');
    await same(['auth', 'enable'], '');
    const listed = await same(['--user', 'root', 'user', 'list'], 'rootpw\n');
    assert.equal(listed.stdout, 'Password: \ndave\nerin\nfrank\nroot\n');
    assert.equal((await same(['--user', 'root', 'user', 'list'], 'wrong\n')).code, 2);
    // user passwd asks for the new password first, then the client asks for root's.
    await same(['--user', 'root', 'user', 'passwd', 'dave'], 'newpw\nnewpw\nrootpw\n');
    await same(['--user', 'dave:newpw', 'get', 'x'], '');
    await same(['--user', 'dave', 'get', 'x'], 'dpw\n');
    // put reads all of stdin first: the prompt then finds nothing and the call goes unauthenticated.
    await same(['--user', 'root', 'put', 'k'], 'rootpw\nvalue');
    await same(['--user', 'root:rootpw', 'auth', 'disable'], '');
  });
});
