// HPACK against an independent implementation (hpack.js): our decoder reads what
// it writes, it reads what our encoder writes, across many blocks so that both
// dynamic tables must stay in step; and every malformation is refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { HpackDecoder, HpackError } from '../../src/http2/hpack-decoder.js';
import { HeaderBlock, HpackEncoder, maxEncodedLength } from '../../src/http2/hpack-encoder.js';
import { huffmanDecode, huffmanEncode, huffmanLength, HuffmanError } from '../../src/http2/huffman.js';
import { STATIC_TABLE } from '../../src/http2/hpack-static.js';
import { mulberry32 } from '../helpers/rng.js';

const require = createRequire(import.meta.url);
const hpack = require('hpack.js');

function theirEncode(c: any, fields: [string, string][], huffman: boolean): Buffer {
  c.write(fields.map(([name, value]) => ({ name, value, huffman })));
  const parts: Buffer[] = [];
  let chunk: Buffer | null;
  while ((chunk = c.read())) parts.push(chunk);
  return Buffer.concat(parts);
}

function theirDecode(d: any, block: Buffer): [string, string][] {
  d.write(block);
  d.execute();
  const out: [string, string][] = [];
  let h: { name: string; value: string } | null;
  while ((h = d.read())) out.push([h.name, h.value]);
  return out;
}

function pairs(flat: string[]): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i < flat.length; i += 2) out.push([flat[i]!, flat[i + 1]!]);
  return out;
}

test('the static table is RFC 7541 Appendix A', () => {
  const theirs = require('hpack.js/lib/hpack/static-table.js').table.map((e: { name: string; value: string }) => [e.name, e.value]);
  assert.deepEqual(STATIC_TABLE.map((e) => [...e]), theirs);
});

test('Huffman: every octet round trips, lengths and codes agree with hpack.js', () => {
  let all = '';
  for (let i = 0; i < 256; i++) all += String.fromCharCode(i);
  const samples = [all, '', 'a', 'www.example.com', 'no-cache', 'custom-value', '302', 'Mon, 21 Oct 2013 20:13:21 GMT', '\u00ff\u00fe\u0000'];
  const theirs = hpack.compressor.create({ table: { maxSize: 0 } });
  for (const s of samples) {
    const buf = Buffer.alloc(huffmanLength(s) + 1);
    const end = huffmanEncode(s, buf, 0);
    assert.equal(end, huffmanLength(s));
    assert.equal(huffmanDecode(buf, 0, end), s);
    // hpack.js's Huffman literal of the same string carries the same code bytes.
    const block = theirEncode(theirs, [['x-h', s]], true);
    assert.ok(block.includes(buf.subarray(0, end)), `codes differ for ${JSON.stringify(s)}`);
  }
  // RFC 7541 C.4.1: "www.example.com" is f1e3 c2e5 f23a 6ba0 ab90 f4ff.
  const b = Buffer.alloc(16);
  assert.equal(b.subarray(0, huffmanEncode('www.example.com', b, 0)).toString('hex'), 'f1e3c2e5f23a6ba0ab90f4ff');
});

test('Huffman: EOS inside a string, padding of 8+ bits and padding not made of ones are refused', () => {
  // EOS is 30 one-bits: four 0xff bytes hold it.
  assert.throws(() => huffmanDecode(Buffer.from([0xff, 0xff, 0xff, 0xff]), 0, 4), HuffmanError);
  // 'a' (00011) then 11 one-bits of padding: more than 7.
  assert.throws(() => huffmanDecode(Buffer.from([0x1f, 0xff]), 0, 2), HuffmanError);
  // 'a' then padding 000: not a prefix of EOS.
  assert.throws(() => huffmanDecode(Buffer.from([0x18]), 0, 1), HuffmanError);
  assert.equal(huffmanDecode(Buffer.from([0x1f]), 0, 1), 'a');
});

test('decoder reads hpack.js blocks over a long run with table churn, at several table sizes', () => {
  const rand = mulberry32(7);
  for (const size of [4096, 256, 0]) {
    const theirs = hpack.compressor.create({ table: { maxSize: size } });
    // Our SETTINGS_HEADER_TABLE_SIZE is what their encoder was told it may use.
    const ours = new HpackDecoder(size);
    for (let round = 0; round < 400; round++) {
      const fields: [string, string][] = [
        [':method', 'POST'],
        [':path', `/etcdserverpb.KV/${rand() < 0.5 ? 'Range' : 'Put'}`],
        [':authority', 'http://127.0.0.1:2379'],
        ['content-type', 'application/grpc'],
        ['grpc-timeout', `${Math.floor(rand() * 1e7)}u`],
      ];
      for (let k = Math.floor(rand() * 4); k > 0; k--) fields.push([`x-k${Math.floor(rand() * 50)}`, 'v'.repeat(Math.floor(rand() * 300)) + '\u00e9']);
      const block = theirEncode(theirs, fields, rand() < 0.5);
      const out: string[] = [];
      ours.decode(block, 0, block.length, out, 1 << 20);
      assert.deepEqual(pairs(out), fields, `round ${round} size ${size}`);
      assert.equal(ours.fieldsValid, true);
    }
  }
});

test('encoder output reads back with hpack.js; cached blocks stay right as the peer table size changes', () => {
  const enc = new HpackEncoder();
  let theirs = hpack.decompressor.create({ table: { maxSize: 4096 } });
  const response = new HeaderBlock([':status', '200', 'content-type', 'application/grpc', 'grpc-accept-encoding', 'identity']);
  const ok = new HeaderBlock(['grpc-status', '0']);
  const buf = Buffer.alloc(64 * 1024);
  const rand = mulberry32(11);
  for (let round = 0; round < 300; round++) {
    if (round === 100) enc.setPeerTableSize(64); // smaller than what is in the table
    if (round === 200) {
      enc.setPeerTableSize(0);
    }
    let at = enc.encodeBlock(response, buf, 0);
    const dyn = ['grpc-status', String(Math.floor(rand() * 17)), 'grpc-message', `m ${round} %`, 'content-type', rand() < 0.5 ? 'application/json' : 'text/plain'];
    at = enc.encode(dyn, buf, at);
    at = enc.encodeBlock(ok, buf, at);
    assert.ok(at <= response.maxLength + maxEncodedLength(dyn) + ok.maxLength);
    assert.deepEqual(theirDecode(theirs, buf.subarray(0, at)), [...pairs([...response.fields]), ...pairs(dyn), ...pairs([...ok.fields])], `round ${round}`);
  }
  // After the table settles, the response block is one byte per field.
  const fresh = new HpackEncoder();
  theirs = hpack.decompressor.create({ table: { maxSize: 4096 } });
  theirDecode(theirs, buf.subarray(0, fresh.encodeBlock(response, buf, 0)));
  const n = fresh.encodeBlock(response, buf, 0);
  assert.equal(n, 3);
  assert.deepEqual(theirDecode(theirs, buf.subarray(0, n)), pairs([...response.fields]));
});

test('malformed blocks are compression errors', () => {
  const cases: [string, number[]][] = [
    ['index 0', [0x80]],
    ['index past the tables', [0xbe]], // 62 with an empty dynamic table
    ['truncated integer', [0xff]],
    ['integer overflow', [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]],
    ['string past the block', [0x00, 0x05, 0x61]],
    ['truncated string', [0x40]],
    ['size update above our limit', [0x3f, 0xe2, 0x1f]], // 4097+
    ['size update after a field', [0x82, 0x20]],
    ['name index past the tables', [0x7f, 0x05, 0x01, 0x61]],
    ['EOS in a Huffman string', [0x00, 0x01, 0x61, 0x84, 0xff, 0xff, 0xff, 0xff]],
  ];
  for (const [what, bytes] of cases) {
    const d = new HpackDecoder(4096);
    assert.throws(() => d.decode(Buffer.from(bytes), 0, bytes.length, [], 1 << 20), HpackError, what);
  }
});

test('fields grpc-go refuses are flagged, an endpoint URL as :authority is not', () => {
  const c = hpack.compressor.create({ table: { maxSize: 4096 } });
  const d = new HpackDecoder(4096);
  const check = (fields: [string, string][]) => {
    const block = theirEncode(c, fields, false);
    d.decode(block, 0, block.length, [], 1 << 20);
    return d.fieldsValid;
  };
  assert.equal(check([[':authority', 'http://127.0.0.1:2379'], ['x-a', 'tab\tok \u00ff']]), true);
  assert.equal(check([['X-Upper', 'v']]), false);
  assert.equal(check([['x-a', 'line\nbreak']]), false);
  assert.equal(check([['bad name', 'v']]), false);
  // An invalid field indexed earlier stays invalid when referenced from the table.
  assert.equal(check([['x-ok', 'v']]), true);
});

test('a list over the size limit is decoded in full but not kept', () => {
  const c = hpack.compressor.create({ table: { maxSize: 4096 } });
  const d = new HpackDecoder(4096);
  const block = theirEncode(c, [['x-a', 'a'.repeat(100)], ['x-b', 'b']], false);
  const out: string[] = [];
  d.decode(block, 0, block.length, out, 50);
  assert.ok(d.listSize > 50);
  assert.deepEqual(out, []);
  // The table is still in step: the next block indexes those entries.
  const next = theirEncode(c, [['x-a', 'a'.repeat(100)], ['x-b', 'b']], false);
  const out2: string[] = [];
  d.decode(next, 0, next.length, out2, 1 << 20);
  assert.deepEqual(pairs(out2), [['x-a', 'a'.repeat(100)], ['x-b', 'b']]);
});
