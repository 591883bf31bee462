import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crc32c } from '../../src/pkg/crc32c.js';

test('crc32c matches the RFC 3720 and standard check values', () => {
  assert.equal(crc32c(Buffer.from('123456789')), 0xe3069283);
  assert.equal(crc32c(Buffer.alloc(32, 0)), 0x8a9136aa);
  assert.equal(crc32c(Buffer.alloc(32, 0xff)), 0x62a8ab43);
  const ascending = Buffer.from(Array.from({ length: 32 }, (_, i) => i));
  assert.equal(crc32c(ascending), 0x46dd794e);
  assert.equal(crc32c(new Uint8Array(0)), 0);
});

test('crc32c continues across pieces and ranges like one stream', () => {
  const data = Buffer.from(Array.from({ length: 1000 }, (_, i) => (i * 131) & 0xff));
  const whole = crc32c(data);
  for (const cut of [0, 1, 7, 8, 9, 500, 999, 1000]) {
    assert.equal(crc32c(data, crc32c(data, 0, 0, cut), cut), whole, `split at ${cut}`);
    assert.equal(crc32c(data.subarray(cut)), crc32c(data, 0, cut), `range from ${cut}`);
  }
});
