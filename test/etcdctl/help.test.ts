// Usage text and usage errors: etcdctl-ts prints what etcdctl 3.4 prints, byte for
// byte, for help flags, the help command, bare command groups, bad flags and
// unknown commands. None of these reach a server.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { COMMAND_HELP, ROOT_COMMAND_ORDER } from '../../src/cli/etcdctl/help/table.js';
import { hiddenUnder, usageText } from '../../src/cli/etcdctl/help/render.js';
import { tabwrite } from '../../src/cli/etcdctl/help/tabwriter.js';
import { etcdctl } from '../helpers/index.js';
import { etcdctlTs } from './run.js';

// Nothing listens here: a command that got as far as dialing would show it.
const NOWHERE = '127.0.0.1:1';

describe('help matches etcdctl 3.4', () => {
  test('tabwriter aligns each block of cells to tab stops', () => {
    assert.equal(tabwrite('\ta\tshort\n\tlonger-name\tx\n\nnext\tz\n'), '\ta\t\tshort\n\tlonger-name\tx\n\nnext\tz\n');
    assert.equal(tabwrite('abcdefgh\t1\nab\t2\n'), 'abcdefgh\t1\nab\t\t2\n');
  });

  test("the suggestion order names exactly the table's top-level commands", () => {
    const tops = COMMAND_HELP.filter((c) => c.path !== '' && !c.path.includes(' ') && !c.hidden).map((c) => c.path);
    assert.deepEqual([...ROOT_COMMAND_ORDER].sort(), tops.sort());
  });

  test('every command in the table renders as `etcdctl <command> --help`', () => {
    // etcdctl 3.6's commands (hidden from 3.4's listing) have no etcdctl 3.4 help to match.
    for (const c of COMMAND_HELP.filter((x) => !hiddenUnder(x.path, ''))) {
      const real = execFileSync('/usr/bin/etcdctl', [...(c.path === '' ? [] : c.path.split(' ')), '--help'], { env: { ETCDCTL_API: '3' } }).toString();
      assert.equal(usageText(c.path), real, `etcdctl ${c.path} --help`);
    }
  });

  test('command lines: help flags, help command, groups, bad flags, unknown commands', async () => {
    const lines = [
      [],
      ['--help'],
      ['help'],
      ['help', 'member', 'add'],
      ['help', 'bogus'],
      ['get', '--help'],
      ['get', '-h', 'foo'],
      ['endpoint', 'status', '-h'],
      ['make-mirror', '--help'],
      ['member'],
      ['lease', 'bogus'],
      ['get', '--bogus'],
      ['get', '--limit', 'x'],
      ['get', '-w'],
      ['member', 'list', '--learner'],
      ['-x', 'get'],
      ['--prefix', 'get'],
      ['bogus'],
      ['gett'],
      // cobra's prefix matching: a unique prefix names the command, an ambiguous one nothing.
      ['compac', '--help'],
      ['help', 'compac'],
      ['help', 'comp'],
      ['help', 'mem', 'ad'],
      ['c'],
      ['e'],
      ['he'],
      ['ROLE'],
      ['role', 'g'],
      ['role', 'gr', '--help'],
      ['lea', 'gr', '-h'],
      ['us', 'li', '--bogus'],
    ];
    for (const args of lines) {
      const [real, ts] = [await etcdctl(NOWHERE, args), await etcdctlTs(NOWHERE, args)];
      const what = `etcdctl ${args.join(' ')}`;
      assert.equal(ts.stdout, real.stdout, `stdout of ${what}`);
      assert.equal(ts.stderr, real.stderr, `stderr of ${what}`);
      assert.equal(ts.code, real.code, `exit code of ${what}`);
    }
  });
});
