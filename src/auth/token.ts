// etcd's "simple" tokens: 16 random letters, a dot, and the log index of the
// Authenticate entry that issued them. They live only in this member's memory,
// expire after the TTL without use, and die with their user's password.
import { randomInt } from 'node:crypto';

const LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
const PREFIX_LENGTH = 16;

export interface SimpleTokensOptions {
  ttlMs: number;
  now?: () => number;
}

export class SimpleTokens {
  private readonly users = new Map<string, { user: string; expiresAt: number }>();
  private readonly now: () => number;

  constructor(private readonly opts: SimpleTokensOptions) {
    if (!(opts.ttlMs > 0)) throw new Error('auth: token TTL must be positive');
    this.now = opts.now ?? Date.now;
  }

  /** The random part, chosen before proposing so every member issues the same token. */
  static prefix(): string {
    let s = '';
    for (let i = 0; i < PREFIX_LENGTH; i++) s += LETTERS[randomInt(LETTERS.length)];
    return s;
  }

  assign(prefix: string, index: number, user: string): string {
    const token = `${prefix}.${index}`;
    this.users.set(token, { user, expiresAt: this.now() + this.opts.ttlMs });
    return token;
  }

  /** The token's user, renewing its TTL as etcd's token keeper does on every use. */
  user(token: string): string | undefined {
    const t = this.users.get(token);
    if (!t) return undefined;
    const now = this.now();
    if (now >= t.expiresAt) {
      this.users.delete(token);
      return undefined;
    }
    t.expiresAt = now + this.opts.ttlMs;
    return t.user;
  }

  invalidateUser(user: string): void {
    for (const [token, t] of this.users) if (t.user === user) this.users.delete(token);
  }

  clear(): void {
    this.users.clear();
  }
}
