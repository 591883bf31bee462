// gRPC status plumbing shared by server and client: grpc-message escaping and
// grpc-timeout parsing, byte-for-byte as grpc-go does them.

const HEX = '0123456789ABCDEF';

function isPlain(c: number): boolean {
  return c >= 0x20 && c <= 0x7e && c !== 0x25;
}

/** Percent-encodes every byte outside printable ASCII, and '%' itself (grpc-go encodeGrpcMessage). */
export function encodeGrpcMessage(msg: string): string {
  let i = 0;
  while (i < msg.length && isPlain(msg.charCodeAt(i))) i++;
  if (i === msg.length) return msg;
  const bytes = Buffer.from(msg, 'utf8');
  let out = '';
  for (const b of bytes) out += isPlain(b) ? String.fromCharCode(b) : '%' + HEX[b >> 4] + HEX[b & 15];
  return out;
}

function hexVal(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

/** Reverses encodeGrpcMessage; malformed escapes are kept literally, as grpc-go does. */
export function decodeGrpcMessage(msg: string): string {
  if (!msg.includes('%')) return msg;
  const src = Buffer.from(msg, 'latin1');
  const out = Buffer.allocUnsafe(src.length);
  let n = 0;
  for (let i = 0; i < src.length; i++) {
    if (src[i] === 0x25 && i + 2 < src.length) {
      const hi = hexVal(src[i + 1]);
      const lo = hexVal(src[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out[n++] = (hi << 4) | lo;
        i += 2;
        continue;
      }
    }
    out[n++] = src[i];
  }
  return out.subarray(0, n).toString('utf8');
}

const UNIT_MS: Record<string, number> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 1e-3, n: 1e-6 };

/** Parses a grpc-timeout value ("100m", "5S") to milliseconds; undefined when malformed. */
export function parseGrpcTimeout(v: string | string[] | undefined): number | undefined {
  if (typeof v !== 'string' || v.length < 2 || v.length > 9) return undefined;
  const unit = UNIT_MS[v[v.length - 1]];
  const digits = v.slice(0, -1);
  if (unit === undefined || !/^\d+$/.test(digits)) return undefined;
  return Number(digits) * unit;
}

/** Formats milliseconds as grpc-timeout, at most 8 digits as the spec requires. */
export function formatGrpcTimeout(ms: number): string {
  const t = Math.max(0, Math.ceil(ms));
  if (t < 1e8) return `${t}m`;
  const s = Math.ceil(t / 1000);
  if (s < 1e8) return `${s}S`;
  return `${Math.min(99_999_999, Math.ceil(s / 3600))}H`;
}

/** grpc-go's reason for refusing a grpc-timeout value (Go's %q quoting, as JSON for ASCII). */
export function grpcTimeoutError(v: string): string {
  const q = JSON.stringify(v);
  if (v.length < 2) return `transport: timeout string is too short: ${q}`;
  if (v.length > 9) return `transport: timeout string is too long: ${q}`;
  if (UNIT_MS[v[v.length - 1]] === undefined) return `transport: timeout unit is not recognized: ${q}`;
  return `strconv.ParseInt: parsing ${JSON.stringify(v.slice(0, -1))}: invalid syntax`;
}
