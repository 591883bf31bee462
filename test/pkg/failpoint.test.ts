// The failpoint grammar and how a point walks its terms; what each action does to a
// running member is checked in test/robustness/failpoints.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Failpoints, parseFailpoints, parseTerms, FAILPOINTS, failpointsOn } from '../../src/pkg/failpoint.js';

test('terms: probability, count, action and argument', () => {
  assert.deepEqual(parseTerms('panic'), [{ count: Infinity, probability: 1, action: 'panic' }]);
  assert.deepEqual(parseTerms('20*off->panic'), [
    { count: 20, probability: 1, action: 'off' },
    { count: Infinity, probability: 1, action: 'panic' },
  ]);
  assert.deepEqual(parseTerms('10%3*sleep(250)'), [{ count: 3, probability: 0.1, action: 'sleep', arg: '250' }]);
  assert.deepEqual(parseTerms('error(disk full)'), [{ count: Infinity, probability: 1, action: 'error', arg: 'disk full' }]);
});

test('bad specs are refused, naming what is wrong', () => {
  assert.throws(() => parseTerms('explode'), /cannot parse term "explode"/);
  assert.throws(() => parseTerms('sleep'), /sleep needs milliseconds/);
  assert.throws(() => parseTerms('0%panic'), /probability out of range/);
  assert.throws(() => parseFailpoints('raftBeforeSav=panic'), /unknown failpoint "raftBeforeSav"/);
  assert.throws(() => parseFailpoints('panic'), /expected name=terms/);
});

test('several points, separated by semicolons or newlines', () => {
  const m = parseFailpoints('raftBeforeSave=panic; beforeCommit=sleep(5)\ndefragBeforeCopy=error(x)');
  assert.deepEqual([...m.keys()], ['raftBeforeSave', 'beforeCommit', 'defragBeforeCopy']);
});

test('a point acts on its hits term by term, then falls silent', () => {
  const fp = new Failpoints('raftAfterSave=2*off->1*sleep(7)->error(boom)');
  const seen = Array.from({ length: 5 }, () => fp.take('raftAfterSave')?.action);
  assert.deepEqual(seen, ['off', 'off', 'sleep', 'error', 'error']);
  assert.equal(fp.take('raftBeforeSave'), undefined, 'an unarmed point never acts');
  const once = new Failpoints('beforeCommit=1*panic');
  assert.equal(once.take('beforeCommit')?.action, 'panic');
  assert.equal(once.take('beforeCommit'), undefined);
});

test('a probability term acts only on the hits it wins, and only those count', () => {
  const rolls = [0.9, 0.1, 0.6, 0.2, 0.05];
  const fp = new Failpoints('beforeCommit=30%2*sleep(1)->off', () => rolls.shift()!);
  const seen = Array.from({ length: 5 }, () => fp.take('beforeCommit')?.action);
  // 0.9 misses, 0.1 acts, 0.6 misses, 0.2 acts (its 2 hits are used up), then off (no roll).
  assert.deepEqual(seen, [undefined, 'sleep', undefined, 'sleep', 'off']);
});

test('off by default: the harness alone arms failpoints', () => {
  assert.equal(process.env.ETCD_TS_FAILPOINTS, undefined);
  assert.equal(failpointsOn, false);
  assert.equal(new Set(FAILPOINTS).size, FAILPOINTS.length);
});
