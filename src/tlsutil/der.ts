// A minimal DER reader: enough of ASN.1's distinguished encoding to walk an X.509
// certificate revocation list. Every read is bounds-checked; malformed input throws
// an Asn1Error with Go's asn1 package wording.

export class Asn1Error extends Error {}

export interface Tlv {
  tag: number;
  /** The value's bytes (a view into the input). */
  value: Uint8Array;
  /** Offset just past this element. */
  end: number;
}

/** Reads one element at `offset`; definite lengths only, as DER requires. */
export function readTlv(buf: Uint8Array, offset: number): Tlv {
  if (offset + 2 > buf.length) throw new Asn1Error('asn1: syntax error: data truncated');
  const tag = buf[offset];
  if ((tag & 0x1f) === 0x1f) throw new Asn1Error('asn1: structure error: multi-byte tags are not used here');
  let len = buf[offset + 1];
  let pos = offset + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0) throw new Asn1Error('asn1: syntax error: indefinite length found (not DER)');
    if (n > 4) throw new Asn1Error('asn1: structure error: length too large');
    if (pos + n > buf.length) throw new Asn1Error('asn1: syntax error: data truncated');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[pos + i];
    pos += n;
    if (len < 0x80) throw new Asn1Error('asn1: structure error: non-minimal length');
  }
  if (pos + len > buf.length) throw new Asn1Error('asn1: syntax error: data truncated');
  return { tag, value: buf.subarray(pos, pos + len), end: pos + len };
}

/** The elements of a constructed value, in order. */
export function children(value: Uint8Array): Tlv[] {
  const out: Tlv[] = [];
  let pos = 0;
  while (pos < value.length) {
    const t = readTlv(value, pos);
    out.push(t);
    pos = t.end;
  }
  return out;
}

export const TAG = {
  INTEGER: 0x02,
  SEQUENCE: 0x30,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  CONTEXT_0: 0xa0,
} as const;

/** Reads UTCTime (YYMMDDHHMMSSZ; years 50–99 are 19xx) or GeneralizedTime (YYYYMMDDHHMMSSZ). */
export function readTime(t: Tlv): Date {
  const s = new TextDecoder().decode(t.value);
  const m = t.tag === TAG.UTC_TIME ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(s) : /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(s);
  if (m === null) throw new Asn1Error(`asn1: time did not serialize back to the original value and may be invalid: given ${JSON.stringify(s)}`);
  let year = Number(m[1]);
  if (t.tag === TAG.UTC_TIME) year += year < 50 ? 2000 : 1900;
  return new Date(Date.UTC(year, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])));
}
