// Certificate revocation lists as etcd 3.4 reads them (transport.checkCRL): the file is
// read for each connection, PEM or DER, and a certificate whose serial number it lists
// is refused. Like etcd, neither the list's signature nor its nextUpdate is checked: a
// list past its nextUpdate still revokes (OpenSSL, which Node's `crl` option hands it
// to, would refuse every connection instead).
import { readFileSync } from 'node:fs';
import { Asn1Error, children, readTime, readTlv, TAG } from './der.js';

export interface RevocationList {
  thisUpdate: Date;
  nextUpdate?: Date;
  /** Serial numbers as lowercase hex of their big-endian bytes (no leading zero bytes). */
  revoked: Set<string>;
}

/** A serial number's canonical form: hex of the magnitude's bytes, as Go's big.Int.Bytes() gives them. */
export function serialKey(hexOrBytes: string | Uint8Array): string {
  let hex = typeof hexOrBytes === 'string' ? hexOrBytes.replace(/:/g, '').toLowerCase() : Buffer.from(hexOrBytes).toString('hex');
  hex = hex.replace(/^0+/, '');
  return hex.length % 2 === 1 ? '0' + hex : hex;
}

const PEM_CRL = /-----BEGIN X509 CRL-----([\s\S]*?)-----END X509 CRL-----/;

/** Parses a CRL in DER, or the first "X509 CRL" block of a PEM file. */
export function parseCrl(data: Uint8Array): RevocationList {
  const text = Buffer.from(data).toString('latin1');
  const pem = PEM_CRL.exec(text);
  const der = pem ? Buffer.from(pem[1].replace(/\s+/g, ''), 'base64') : data;
  const outer = readTlv(der, 0);
  if (outer.tag !== TAG.SEQUENCE) throw new Asn1Error('asn1: structure error: tags don\'t match (16 vs {class:0 tag:' + (outer.tag & 0x1f) + '})');
  const [tbs] = children(outer.value);
  if (tbs === undefined || tbs.tag !== TAG.SEQUENCE) throw new Asn1Error('asn1: structure error: tbsCertList is not a sequence');
  const fields = children(tbs.value);
  let i = 0;
  if (fields[i]?.tag === TAG.INTEGER) i++; // version
  i += 2; // signature algorithm, issuer
  const thisUpdateTlv = fields[i++];
  if (thisUpdateTlv === undefined || (thisUpdateTlv.tag !== TAG.UTC_TIME && thisUpdateTlv.tag !== TAG.GENERALIZED_TIME)) throw new Asn1Error('asn1: structure error: thisUpdate missing');
  const list: RevocationList = { thisUpdate: readTime(thisUpdateTlv), revoked: new Set() };
  const next = fields[i];
  if (next !== undefined && (next.tag === TAG.UTC_TIME || next.tag === TAG.GENERALIZED_TIME)) {
    list.nextUpdate = readTime(next);
    i++;
  }
  const revoked = fields[i];
  if (revoked !== undefined && revoked.tag === TAG.SEQUENCE) {
    for (const entry of children(revoked.value)) {
      const [serial] = children(entry.value);
      if (serial === undefined || serial.tag !== TAG.INTEGER) throw new Asn1Error('asn1: structure error: revoked certificate without a serial number');
      list.revoked.add(serialKey(serial.value));
    }
  }
  return list;
}

/**
 * etcd's checkCRL: undefined when none of the certificates (the peer's chain, by serial
 * number in hex) is revoked, else etcd's reason. A file that cannot be read or parsed
 * refuses the connection with that error, as in etcd.
 */
export function checkCrl(path: string, serials: readonly string[]): string | undefined {
  let list: RevocationList;
  try {
    list = parseCrl(readFileSync(path));
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT') return `open ${path}: no such file or directory`;
    return e.message;
  }
  for (const s of serials) {
    const key = serialKey(s);
    if (list.revoked.has(key)) return `transport: certificate serial ${key} revoked`;
  }
  return undefined;
}
