// etcd's "jwt" tokens (--auth-token jwt,pub-key=…,priv-key=…,sign-method=…,ttl=…):
// signed claims {username, revision, exp}. Any member holding the public key can
// verify them; they are not revoked, they age out — or go stale with the auth revision.
import { createHmac, createPrivateKey, createPublicKey, sign, verify, constants, timingSafeEqual, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';

export interface JwtOptions {
  signMethod: string;
  /** Absent: this member only verifies tokens. */
  privateKey?: KeyObject | Buffer;
  publicKey: KeyObject | Buffer;
  ttlMs: number;
  now?: () => number;
}

interface Algorithm {
  hash: 'sha256' | 'sha384' | 'sha512';
  family: 'RS' | 'PS' | 'ES' | 'HS';
}

function algorithm(method: string): Algorithm {
  const m = /^(RS|PS|ES|HS)(256|384|512)$/.exec(method);
  if (!m) throw new Error(`auth: unsupported JWT sign-method ${JSON.stringify(method)}`);
  return { family: m[1] as Algorithm['family'], hash: `sha${m[2]}` as Algorithm['hash'] };
}

/** Parses etcd's --auth-token value for jwt, reading the key files it names. */
export function parseJwtOptions(spec: string, now?: () => number): JwtOptions {
  const [kind, ...pairs] = spec.split(',');
  if (kind !== 'jwt') throw new Error(`auth: not a jwt token spec: ${spec}`);
  const kv = new Map(pairs.map((p) => p.split('=', 2) as [string, string]));
  const signMethod = kv.get('sign-method') ?? '';
  const alg = algorithm(signMethod);
  const ttlMs = kv.has('ttl') ? parseDurationMs(kv.get('ttl')!) : 5 * 60_000;
  const priv = kv.get('priv-key');
  const pub = kv.get('pub-key');
  if (alg.family === 'HS') {
    const secret = readFileSync(priv ?? pub ?? '');
    return { signMethod, privateKey: secret, publicKey: secret, ttlMs, now };
  }
  if (!pub && !priv) throw new Error('auth: jwt needs pub-key (and priv-key to issue tokens)');
  const privateKey = priv ? createPrivateKey(readFileSync(priv)) : undefined;
  const publicKey = pub ? createPublicKey(readFileSync(pub)) : createPublicKey(privateKey!);
  return { signMethod, privateKey, publicKey, ttlMs, now };
}

/** Go's time.ParseDuration for the units etcd operators use. */
function parseDurationMs(s: string): number {
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let total = 0;
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
  let matched = 0;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    total += Number(m[1]) * units[m[2]];
    matched = re.lastIndex;
  }
  if (matched !== s.length || s.length === 0) throw new Error(`auth: invalid jwt ttl ${JSON.stringify(s)}`);
  return total;
}

const b64 = (b: Buffer | string) => Buffer.from(b).toString('base64url');

export class JwtTokens {
  private readonly alg: Algorithm;
  private readonly now: () => number;

  constructor(private readonly opts: JwtOptions) {
    this.alg = algorithm(opts.signMethod);
    this.now = opts.now ?? Date.now;
    if (!(opts.ttlMs > 0)) throw new Error('auth: jwt ttl must be positive');
  }

  assign(username: string, revision: number): string {
    if (!this.opts.privateKey) throw new Error('auth: this member only verifies JWT tokens');
    const header = b64(JSON.stringify({ alg: this.opts.signMethod, typ: 'JWT' }));
    const claims = b64(JSON.stringify({ exp: Math.floor((this.now() + this.opts.ttlMs) / 1000), revision, username }));
    const input = `${header}.${claims}`;
    return `${input}.${b64(this.sign(Buffer.from(input)))}`;
  }

  /** The token's claims when its signature, algorithm and expiry hold. */
  info(token: string): { username: string; revision: number } | undefined {
    const parts = token.split('.');
    if (parts.length !== 3) return undefined;
    let header: { alg?: unknown };
    let claims: { username?: unknown; revision?: unknown; exp?: unknown };
    try {
      header = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8'));
      claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    } catch {
      return undefined;
    }
    if (header.alg !== this.opts.signMethod) return undefined;
    if (!this.verify(Buffer.from(`${parts[0]}.${parts[1]}`), Buffer.from(parts[2], 'base64url'))) return undefined;
    if (typeof claims.exp === 'number' && claims.exp * 1000 <= this.now()) return undefined;
    if (typeof claims.username !== 'string' || typeof claims.revision !== 'number') return undefined;
    return { username: claims.username, revision: claims.revision };
  }

  private sign(data: Buffer): Buffer {
    const key = this.opts.privateKey!;
    switch (this.alg.family) {
      case 'HS':
        return createHmac(this.alg.hash, key as Buffer).update(data).digest();
      case 'RS':
        return sign(this.alg.hash, data, key as KeyObject);
      case 'PS':
        return sign(this.alg.hash, data, { key: key as KeyObject, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST });
      case 'ES':
        return sign(this.alg.hash, data, { key: key as KeyObject, dsaEncoding: 'ieee-p1363' });
    }
  }

  private verify(data: Buffer, sig: Buffer): boolean {
    const key = this.opts.publicKey;
    try {
      switch (this.alg.family) {
        case 'HS': {
          const want = createHmac(this.alg.hash, key as Buffer).update(data).digest();
          return want.length === sig.length && timingSafeEqual(want, sig);
        }
        case 'RS':
          return verify(this.alg.hash, data, key as KeyObject, sig);
        case 'PS':
          return verify(this.alg.hash, data, { key: key as KeyObject, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_AUTO }, sig);
        case 'ES':
          return verify(this.alg.hash, data, { key: key as KeyObject, dsaEncoding: 'ieee-p1363' }, sig);
      }
    } catch {
      return false;
    }
  }
}
