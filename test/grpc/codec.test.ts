// Message framing and status text helpers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MessageReader, frameMessage, type ReadError } from '../../src/grpc/frame.js';
import { decodeGrpcMessage, encodeGrpcMessage, formatGrpcTimeout, parseGrpcTimeout } from '../../src/grpc/status.js';

test('grpc-message escaping matches grpc-go', () => {
  assert.equal(encodeGrpcMessage('etcdserver: key not found'), 'etcdserver: key not found');
  assert.equal(encodeGrpcMessage('100%'), '100%25');
  assert.equal(encodeGrpcMessage('a\nb'), 'a%0Ab');
  assert.equal(encodeGrpcMessage('é'), '%C3%A9');
  for (const s of ['', 'plain', '50% off\t', 'ключ – 🔑', '%zz%']) assert.equal(decodeGrpcMessage(encodeGrpcMessage(s)), s);
  assert.equal(decodeGrpcMessage('bad %zz and %4'), 'bad %zz and %4');
});

test('grpc-timeout parses every unit and formats within 8 digits', () => {
  assert.equal(parseGrpcTimeout('100m'), 100);
  assert.equal(parseGrpcTimeout('2S'), 2000);
  assert.equal(parseGrpcTimeout('1M'), 60_000);
  assert.equal(parseGrpcTimeout('1H'), 3_600_000);
  assert.equal(parseGrpcTimeout('5000u'), 5);
  assert.equal(parseGrpcTimeout('3000000n'), 3);
  for (const bad of ['', 'm', '10x', '-1m', '123456789m', undefined]) assert.equal(parseGrpcTimeout(bad), undefined);
  assert.equal(formatGrpcTimeout(250), '250m');
  assert.equal(formatGrpcTimeout(1e9), '1000000S');
  assert.ok(parseGrpcTimeout(formatGrpcTimeout(1e12))! >= 1e12);
});

test('MessageReader reassembles any chunking byte by byte', () => {
  const msgs = ['', 'a', 'hello world', 'x'.repeat(70_000)];
  const wire = Buffer.concat(msgs.map((m) => frameMessage(Buffer.from(m))));
  for (const step of [1, 3, 5, 7, 4096, wire.length]) {
    const got: string[] = [];
    const r = new MessageReader(1 << 20, { onMessage: (m) => got.push(m.toString()), onReadError: () => assert.fail('no error expected') });
    for (let off = 0; off < wire.length; off += step) r.push(wire.subarray(off, off + step));
    assert.deepEqual(got, msgs, `step ${step}`);
    assert.equal(r.buffered, 0);
  }
});

test('MessageReader refuses oversize and bad flags, then stops', () => {
  const errors: ReadError[] = [];
  const got: string[] = [];
  const r = new MessageReader(10, { onMessage: (m) => got.push(m.toString()), onReadError: (e) => errors.push(e) });
  r.push(Buffer.concat([frameMessage(Buffer.from('ok')), frameMessage(Buffer.alloc(11))]));
  r.push(frameMessage(Buffer.from('ignored')));
  assert.deepEqual(got, ['ok']);
  assert.deepEqual(errors, [{ kind: 'tooLarge', length: 11 }]);
  const bad: ReadError[] = [];
  const r2 = new MessageReader(10, { onMessage: () => {}, onReadError: (e) => bad.push(e) });
  r2.push(Buffer.from([2, 0]));
  r2.push(Buffer.from([0, 0, 0]));
  assert.deepEqual(bad, [{ kind: 'badFlag', flag: 2 }]);
});
