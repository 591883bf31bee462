// Membership in etcd's encodings: the member JSON etcd writes (decimal 64-bit IDs,
// omitted empty fields), conf-change contexts, and the v2 store snapshot etcd 3.4 takes
// its member list from, read from what the real etcd wrote and round-tripped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeV2Store, encodeV2Store, memberJson, parseConfChangeContext, parseMember, parseMembers, promoteContextJson, type Member } from '../../src/membership/index.js';
import { parseJsonExact } from '../../src/membership/json.js';

// The Root of a v2 store the real etcd 3.4.23 saved in a .snap file (its watcher history left out).
const ETCD_V2_STORE =
  '{"Root":{"Path":"/","CreatedIndex":0,"ModifiedIndex":0,"ExpireTime":"0001-01-01T00:00:00Z","Value":"","Children":{"0":{"Path":"/0","CreatedIndex":0,"ModifiedIndex":0,"ExpireTime":"0001-01-01T00:00:00Z","Value":"","Children":{"members":{"Path":"/0/members","CreatedIndex":1,"ModifiedIndex":1,"ExpireTime":"0001-01-01T00:00:00Z","Value":"","Children":{"667880157b8812c8":{"Path":"/0/members/667880157b8812c8","CreatedIndex":1,"ModifiedIndex":1,"ExpireTime":"0001-01-01T00:00:00Z","Value":"","Children":{"attributes":{"Path":"/0/members/667880157b8812c8/attributes","CreatedIndex":2,"ModifiedIndex":2,"ExpireTime":"0001-01-01T00:00:00Z","Value":"{\\"name\\":\\"e1\\",\\"clientURLs\\":[\\"http://127.0.0.1:42379\\"]}","Children":null},"raftAttributes":{"Path":"/0/members/667880157b8812c8/raftAttributes","CreatedIndex":1,"ModifiedIndex":1,"ExpireTime":"0001-01-01T00:00:00Z","Value":"{\\"peerURLs\\":[\\"http://127.0.0.1:42380\\"]}","Children":null}}}}},"version":{"Path":"/0/version","CreatedIndex":3,"ModifiedIndex":3,"ExpireTime":"0001-01-01T00:00:00Z","Value":"3.4.0","Children":null}}},"1":{"Path":"/1","CreatedIndex":0,"ModifiedIndex":0,"ExpireTime":"0001-01-01T00:00:00Z","Value":"","Children":{}}}},"CurrentIndex":3,"CurrentVersion":2}';

const big: Member = { id: 0xfedcba9876543210n, name: 'm1', peerUrls: ['http://10.0.0.1:2380'], clientUrls: ['http://10.0.0.1:2379'], isLearner: false };
const learner: Member = { id: 0x1234n, name: '', peerUrls: ['https://10.0.0.2:2380', 'https://10.0.0.3:2380'], clientUrls: [], isLearner: true };

test("member JSON: etcd's field order, decimal IDs past 2^53 exact, empty fields left out", () => {
  assert.equal(memberJson(big), '{"id":18364758544493064720,"peerURLs":["http://10.0.0.1:2380"],"name":"m1","clientURLs":["http://10.0.0.1:2379"]}');
  assert.equal(memberJson(learner), '{"id":4660,"peerURLs":["https://10.0.0.2:2380","https://10.0.0.3:2380"],"isLearner":true}');
  assert.deepEqual(parseMember(memberJson(big)), big);
  assert.deepEqual(parseMembers(`[${memberJson(big)},${memberJson(learner)}]\n`), [big, learner]);
  // etcd's bootstrap context, from its WAL.
  assert.deepEqual(parseMember('{"id":7383792418829112008,"peerURLs":["http://127.0.0.1:42380"],"name":"e1"}'), { id: 7383792418829112008n, name: 'e1', peerUrls: ['http://127.0.0.1:42380'], clientUrls: [], isLearner: false });
  assert.throws(() => parseMember('{"id":-1,"peerURLs":[]}'), /not a uint64/);
  assert.throws(() => parseMember('{"id":18446744073709551616,"peerURLs":[]}'), /not a uint64/);
});

test('conf-change contexts: a promotion is the ID and isPromote, an addition the member', () => {
  assert.equal(promoteContextJson(0xfedcba9876543210n), '{"id":18364758544493064720,"peerURLs":null,"isPromote":true}');
  assert.deepEqual(parseConfChangeContext(promoteContextJson(5n)), { member: { id: 5n, name: '', peerUrls: [], clientUrls: [], isLearner: false }, isPromote: true });
  assert.deepEqual(parseConfChangeContext(memberJson(learner)), { member: learner, isPromote: false });
});

test('exact JSON: only integers past 2^53 become strings; strings, fractions and exponents are left alone', () => {
  assert.deepEqual(parseJsonExact('{"a":18446744073709551615,"b":"18446744073709551615","c":1.5e300,"d":12345678901234567.5,"e":[-9007199254740993]}'), {
    a: '18446744073709551615',
    b: '18446744073709551615',
    c: 1.5e300,
    d: 12345678901234567.5,
    e: ['-9007199254740993'],
  });
  assert.deepEqual(parseJsonExact('{"k":"a \\" 18446744073709551615 \\\\","n":7}'), { k: 'a " 18446744073709551615 \\', n: 7 });
});

test("v2 store: etcd's snapshot data reads as its member list and cluster version; ours reads back the same", () => {
  const st = decodeV2Store(new TextEncoder().encode(ETCD_V2_STORE));
  assert.deepEqual(st, {
    members: [{ id: 0x667880157b8812c8n, name: 'e1', peerUrls: ['http://127.0.0.1:42380'], clientUrls: ['http://127.0.0.1:42379'], isLearner: false }],
    removed: [],
    clusterVersion: '3.4.0',
  });
  // Written for the same state, the tree is etcd's node for node (indexes aside).
  const ours = JSON.parse(new TextDecoder().decode(encodeV2Store(st)));
  const theirs = JSON.parse(ETCD_V2_STORE);
  const shape = (n: any): any => ({ Path: n.Path, Value: n.Value, ExpireTime: n.ExpireTime, Children: n.Children === null ? null : Object.fromEntries(Object.entries(n.Children).map(([k, v]) => [k, shape(v)])) });
  assert.deepEqual(shape(ours.Root), shape(theirs.Root));
  assert.equal(ours.CurrentVersion, 2);

  const state = { members: [big, learner], removed: [0xabcn, 0xffffffffffffffffn], clusterVersion: '3.4.0' };
  const back = decodeV2Store(encodeV2Store(state));
  assert.deepEqual(back, { members: [learner, big], removed: state.removed, clusterVersion: '3.4.0' });
  assert.deepEqual(decodeV2Store(encodeV2Store({ members: [], removed: [] })), { members: [], removed: [] });
});
