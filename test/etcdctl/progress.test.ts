// The check commands' progress bar against lines the real etcdctl 3.4 drew
// (cheggaaa/pb v1, "Bom !"), on an 80-column terminal and without a terminal.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { pbDuration, ProgressBar } from '../../src/cli/etcdctl/progress.js';

/** A bar on a clock the test moves; `lines` collects what it prints. */
function bar(total: number, width: number) {
  let now = 1_000_000;
  const lines: string[] = [];
  const b = new ProgressBar(total, (s) => lines.push(s), { width: () => width, clock: () => now });
  return { b, lines, at: (ms: number) => (now = 1_000_000 + ms) };
}

describe('progress bar draws as etcdctl check does', () => {
  test('no terminal: counters and percent, then the time left', () => {
    const { b, at } = bar(10000, 0);
    assert.equal(b.line(0), ' 0 / 10000    0.00%');
    for (let i = 0; i < 326; i++) b.increment();
    at(200);
    b.update();
    at(260);
    // 9674 more at 200/326 ms each, less the 60 ms since the last change: 5.87 s, shown whole.
    assert.equal(b.line(0), ' 326 / 10000    3.26% 00m05s');
  });

  test('80 columns: the bar fills the line, padded to its end', () => {
    const { b, at } = bar(10000, 80);
    assert.equal(b.line(80), ' 0 / 10000 B' + ' '.repeat(59) + '!   0.00%');
    for (let i = 0; i < 451; i++) b.increment();
    at(200);
    b.update();
    const line = b.line(80);
    assert.equal(line, ' 451 / 10000 Boom' + ' '.repeat(47) + '!   4.51% 00m04s');
    assert.equal(line.length, 80);
  });

  test('finished: the whole run time, then a newline', () => {
    const { b, lines, at } = bar(10000, 80);
    for (let i = 0; i < 10000; i++) b.increment();
    at(3400);
    b.finish();
    assert.deepEqual(lines, ['\r 10000 / 10000 B' + 'o'.repeat(52) + '! 100.00% 3s', '\n']);
  });

  test("pb's duration format for the time left", () => {
    assert.equal(pbDuration(4000), '00m04s');
    assert.equal(pbDuration(68_000), '01m08s');
    assert.equal(pbDuration(3_600_000), '60m00s');
    assert.equal(pbDuration(3_601_000), '1h00m01s');
  });
});
