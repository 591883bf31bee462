// Keys and values travel as base64 (as in etcd's JSON gateway); these turn them
// into bytes, readable text and hex, and build etcd range ends.

const utf8 = new TextDecoder('utf-8', { fatal: true });
const encoder = new TextEncoder();

/** @param {string} b64 @returns {Uint8Array} */
export function fromBase64(b64) {
  const bin = atob(b64 || '');
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** @param {Uint8Array} bytes @returns {string} */
export function toBase64(bytes) {
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin);
}

/** @param {string} text */
export const textToBase64 = (text) => toBase64(encoder.encode(text));

/** Text of UTF-8 bytes, or undefined when they are not valid UTF-8. @param {Uint8Array} bytes */
export function utf8OrUndefined(bytes) {
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}

/** A key as a person reads it: UTF-8 with control bytes and invalid sequences as \xNN. @param {Uint8Array} bytes */
export function displayKey(bytes) {
  const text = utf8OrUndefined(bytes);
  if (text !== undefined && !/[\u0000-\u001f\u007f]/.test(text)) return text;
  let out = '';
  for (const b of bytes) out += b >= 0x20 && b < 0x7f && b !== 0x5c ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`;
  return out;
}

/** The range end covering every key with this prefix (etcd's GetPrefixRangeEnd). @param {Uint8Array} prefix */
export function prefixEnd(prefix) {
  const end = Uint8Array.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i] < 0xff) {
      end[i] += 1;
      return end.slice(0, i + 1);
    }
  }
  return new Uint8Array([0]);
}

/** Classic 16-bytes-a-line hex dump with the printable bytes beside. @param {Uint8Array} bytes @param {number} max */
export function hexDump(bytes, max = 64 * 1024) {
  const lines = [];
  const n = Math.min(bytes.length, max);
  for (let off = 0; off < n; off += 16) {
    const row = bytes.subarray(off, Math.min(off + 16, n));
    const hex = [...row].map((b) => b.toString(16).padStart(2, '0')).join(' ');
    const ascii = [...row].map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
    lines.push(`${off.toString(16).padStart(8, '0')}  ${hex.padEnd(47)}  ${ascii}`);
  }
  if (bytes.length > n) lines.push(`… ${bytes.length - n} more bytes`);
  return lines.join('\n');
}
