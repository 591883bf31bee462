// The gateway's reading of JSON as Go's encoding/json and jsonpb read it; each
// expected message is what etcd 3.4.23's gateway answered for the same body.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { goBase64, goInteger, JsonNumber, parseGoJson } from '../../src/gateway/go-json.js';
import { JsonValueSplitter, ScalarValue, StrayClose } from '../../src/gateway/json-stream.js';
import { jsonToBinary, methodTypes } from '../../src/gateway/jsonpb.js';

const err = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return (e as Error).message;
  }
  return 'no error';
};

test('base64 as Go decodes a []byte: padding required, CR/LF skipped, the offset Go names', () => {
  assert.equal(goBase64('YQ==').toString(), 'a');
  assert.equal(goBase64('YWJj').toString(), 'abc');
  assert.equal(goBase64('YQ==\n').toString(), 'a');
  assert.equal(goBase64('').length, 0);
  assert.equal(err(() => goBase64('YQ=')), 'illegal base64 data at input byte 3');
  assert.equal(err(() => goBase64('YQ')), 'illegal base64 data at input byte 0');
  assert.equal(err(() => goBase64('Y Q==')), 'illegal base64 data at input byte 1');
  assert.equal(err(() => goBase64('YQ=x')), 'illegal base64 data at input byte 2');
  assert.equal(err(() => goBase64('YQ==YQ==')), 'illegal base64 data at input byte 4');
  assert.equal(err(() => goBase64('!!!')), 'illegal base64 data at input byte 0');
});

test('syntax errors in Go\'s words; the decoder stops after the first value; nesting past 10,000 refused without recursion', () => {
  assert.equal(err(() => parseGoJson('{"key":')), 'unexpected EOF');
  assert.equal(err(() => parseGoJson('{"key":', 'unmarshal')), 'unexpected end of JSON input');
  assert.equal(err(() => parseGoJson('{"key":"a",}')), "invalid character '}' looking for beginning of object key string");
  assert.equal(err(() => parseGoJson('{"key" 1}')), "invalid character '1' after object key");
  assert.equal(err(() => parseGoJson('{"a":1 "b":2}')), `invalid character '"' after object key:value pair`);
  assert.equal(err(() => parseGoJson('{"a":tru}')), "invalid character '}' in literal true (expecting 'e')");
  assert.equal(err(() => parseGoJson('{"a":1.}')), "invalid character '}' after decimal point in numeric literal");
  assert.equal(err(() => parseGoJson('{"a":"\\q"}')), "invalid character 'q' in string escape code");
  assert.equal(err(() => parseGoJson('{"a":"\t"}')), "invalid character '\\t' in string literal");
  assert.equal(err(() => parseGoJson('\xca')), "invalid character 'Ê' looking for beginning of value");
  assert.equal(err(() => parseGoJson('{\\')), "invalid character '\\\\' looking for beginning of object key string");
  assert.deepEqual(parseGoJson('{"a":1} trailing'), { a: new JsonNumber('1') });
  assert.equal(err(() => parseGoJson('{"a":1} x', 'unmarshal')), "invalid character 'x' after top-level value");
  assert.equal(err(() => parseGoJson('['.repeat(100_000))), "invalid character '[' exceeded max depth");
  assert.equal(parseGoJson('['.repeat(10_000) + ']'.repeat(10_000)) instanceof Array, true);
  // Strings are UTF-8 under the latin1 reading.
  assert.equal(parseGoJson(Buffer.from('"é\\u00e9"').toString('latin1')), 'éé');
});

test('integers as jsonpb takes them: quoted or not, integer literals in range only', () => {
  assert.equal(goInteger(new JsonNumber('42'), 'int64'), 42n);
  assert.equal(goInteger('9223372036854775807', 'int64'), 9223372036854775807n);
  assert.equal(goInteger('null', 'int64'), 0n);
  assert.equal(err(() => goInteger(new JsonNumber('1.0'), 'int64')), 'json: cannot unmarshal number 1.0 into Go value of type int64');
  assert.equal(err(() => goInteger('9223372036854775808', 'int64')), 'json: cannot unmarshal number 9223372036854775808 into Go value of type int64');
  assert.equal(err(() => goInteger(new JsonNumber('-1'), 'uint64')), 'json: cannot unmarshal number -1 into Go value of type uint64');
  assert.equal(err(() => goInteger('abc', 'int64')), "invalid character 'a' looking for beginning of value");
  assert.equal(err(() => goInteger('', 'int64')), 'unexpected end of JSON input');
  assert.equal(err(() => goInteger(true, 'int64')), 'json: cannot unmarshal bool into Go value of type int64');
});

test('a streaming body: values split as they complete; a top-level scalar, a string too, is handed back to fail as Go fails it (fuzz seed 46223)', () => {
  const sp = new JsonValueSplitter();
  assert.deepEqual(sp.push('{"a":"}"} [1,'), ['{"a":"}"}']);
  assert.equal(sp.pending, true);
  assert.deepEqual(sp.push('2]'), ['[1,2]']);
  for (const scalar of ['"x"', '1', 'true', 'null']) {
    const s = new JsonValueSplitter();
    assert.throws(() => s.push(` ${scalar}`), (e: unknown) => e instanceof ScalarValue && e.text === scalar);
  }
});

test('what breaks a stream comes with the values complete before it, which Go reads (and may fail on) first (fuzz seed 34762)', () => {
  const sp = new JsonValueSplitter();
  assert.throws(
    () => sp.push('{"create_request":-"key":"Zm9v"}}'),
    (e: unknown) => e instanceof StrayClose && e.message === "invalid character '}' looking for beginning of value" && e.before.join() === '{"create_request":-"key":"Zm9v"}',
  );
  assert.throws(() => new JsonValueSplitter().push('{"a":1} {"b":2} 7'), (e: unknown) => e instanceof ScalarValue && e.before.length === 2 && e.text === '7');
  // The first value's own error is the one etcd reports.
  assert.equal(err(() => parseGoJson('{"create_request":-"key":"Zm9v"}')), `invalid character '"' in numeric literal`);
});

test("a quoted integer cut inside a number or literal: json.Unmarshal meets the end as a space, as etcd 3.4's gateway answers", () => {
  // etcd 3.4.23's answers to {"TTL":"30","ID":"<each>"} on /v3/lease/grant.
  assert.equal(err(() => goInteger('0e', 'int64')), "invalid character ' ' in exponent of numeric literal");
  assert.equal(err(() => goInteger('1.', 'int64')), "invalid character ' ' after decimal point in numeric literal");
  assert.equal(err(() => goInteger('-', 'int64')), "invalid character ' ' in numeric literal");
  assert.equal(err(() => goInteger('tr', 'int64')), "invalid character ' ' in literal true (expecting 'u')");
  // A body read by json.Decoder that stops there is only cut short.
  assert.equal(err(() => parseGoJson('{"ID":0e')), 'unexpected EOF');
  assert.equal(err(() => parseGoJson('{"ID":tr')), 'unexpected EOF');
});

test('a quoted number is read from its bytes as written, as jsonpb drops the quotes from them: escapes and bytes past ASCII are not digits', () => {
  // etcd 3.4.23's answers on /v3/kv/range.
  const { reqType } = methodTypes('etcdserverpb.KV', 'Range');
  const range = (body: string) => err(() => jsonToBinary(reqType, parseGoJson(Buffer.from(body).toString('latin1'))));
  assert.equal(range('{"key":"YQ==","limit":"\\u0031"}'), "invalid character '\\\\' looking for beginning of value");
  assert.equal(range('{"key":"YQ==","revision":"\\u00312"}'), "invalid character '\\\\' looking for beginning of value");
  assert.equal(range('{"key":"YQ==","limit":"1\\n"}'), "invalid character '\\\\' after top-level value");
  assert.equal(range('{"key":"YQ==","limit":"1é"}'), "invalid character 'Ã' after top-level value");
  // Escapes elsewhere are decoded as before: in the key's base64 and in an object key.
  assert.doesNotThrow(() => jsonToBinary(reqType, parseGoJson('{"key":"YQ\\u003d\\u003d","\\u006cimit":"1"}')));
  const decoded = reqType.decode(jsonToBinary(reqType, parseGoJson('{"key":"YQ\\u003d\\u003d","\\u006cimit":"7"}'))) as unknown as { key: Uint8Array; limit: unknown };
  assert.deepEqual([Buffer.from(decoded.key).toString(), String(decoded.limit)], ['a', '7']);
});
