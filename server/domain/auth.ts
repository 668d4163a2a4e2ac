/**
 * API tokens: 32 random bytes, shown once, stored as their SHA-256. Requests authenticate with
 * `Authorization: Bearer <token>`. Failed attempts are rate-limited per client address.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Queries, UserRow } from '../storage/queries.ts';
import { Conflict, RateLimited } from './errors.ts';
import { nameSkeleton } from './schemas.ts';

export const TOKEN_PREFIX = 'isb_';

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function newToken(): string {
  return TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

/** Creates a token for a user; returns the token (the only time it exists in clear). */
export function issueToken(q: Queries, userId: number, label: string | null = null): { token: string; id: number } {
  const token = newToken();
  const row = q.addToken(userId, hashToken(token), token.slice(0, TOKEN_PREFIX.length + 6), label);
  return { token, id: row.id };
}

export function createUserWithToken(q: Queries, name: string, isAdmin: boolean): { user: UserRow; token: string } {
  return q.transaction(() => {
    if (q.userByName(name)) throw new Conflict(`user ${JSON.stringify(name)} exists`);
    const skeleton = nameSkeleton(name);
    const like = q.userNames().find((n) => nameSkeleton(n) === skeleton);
    if (like) throw new Conflict(`the name ${JSON.stringify(name)} is too like ${JSON.stringify(like)}, an existing user; choose another`);
    const user = q.createUser(name, isAdmin);
    return { user, token: issueToken(q, user.id, 'created with the account').token };
  });
}

/** `tokenId`: the API token the request came with (0: a password sign-in; negative: a browser session); `sessionId`: the browser session. */
export interface AuthUser { id: number; name: string; isAdmin: boolean; tokenId: number; sessionId?: number }

/** The user an API token stands for, or null (unknown or revoked). */
export function tokenUser(q: Queries, token: string): AuthUser | null {
  const row = q.activeTokenByHash(hashToken(token));
  return row ? { id: row.user_id, name: row.name, isAdmin: row.is_admin === 1, tokenId: row.id } : null;
}

/** Counts failures (or attempts) per key in a sliding window (a minute unless told). */
export class FailureLimiter {
  private readonly hits = new Map<string, number[]>();
  constructor(private readonly perMinute: number, private readonly windowMs = 60_000) {}
  /** Seconds until `key` may try again (0: now). */
  wait(key: string): number {
    const now = Date.now();
    const list = (this.hits.get(key) ?? []).filter((t) => now - t < this.windowMs);
    this.hits.set(key, list);
    if (this.perMinute <= 0 || list.length < this.perMinute) return 0;
    return Math.max(1, Math.ceil((list[list.length - this.perMinute] + this.windowMs - now) / 1000));
  }
  fail(key: string): void {
    const list = this.hits.get(key) ?? [];
    list.push(Date.now());
    this.hits.set(key, list);
    if (this.hits.size > 10_000) for (const [k, v] of this.hits) if (v.every((t) => Date.now() - t >= this.windowMs)) this.hits.delete(k);
  }
}

/**
 * Failed password sign-ins per account: the first FREE are free; each one after makes the account
 * wait twice as long as the last (1 s, 2 s, 4 s, … up to MAX_WAIT_S) before the next try, from any
 * address, the right password included. A success clears it; so do 15 quiet minutes. Capped so
 * that someone else's guessing can delay an account's owner, never lock them out for long.
 */
export class AccountBackoff {
  static readonly FREE = 5;
  static readonly MAX_WAIT_S = 300;
  private readonly accounts = new Map<string, { failures: number; until: number; last: number }>();
  private key(account: string): string { return account.toLowerCase(); }
  /** Seconds until the account may try again (0: now). */
  wait(account: string): number {
    const a = this.accounts.get(this.key(account));
    if (!a) return 0;
    if (Date.now() - a.last > 15 * 60_000) { this.accounts.delete(this.key(account)); return 0; }
    return Math.max(0, Math.ceil((a.until - Date.now()) / 1000));
  }
  fail(account: string): void {
    const k = this.key(account);
    const a = this.accounts.get(k) ?? { failures: 0, until: 0, last: 0 };
    a.failures++;
    a.last = Date.now();
    if (a.failures >= AccountBackoff.FREE) a.until = a.last + 1000 * Math.min(AccountBackoff.MAX_WAIT_S, 2 ** (a.failures - AccountBackoff.FREE));
    this.accounts.delete(k);
    this.accounts.set(k, a);
    if (this.accounts.size > 10_000) this.accounts.delete(this.accounts.keys().next().value!);
  }
  succeeded(account: string): void { this.accounts.delete(this.key(account)); }
}

/**
 * Sign-in limits at /login and /signup: failures per client address (the same sliding minute as API
 * tokens) and per account (AccountBackoff). Checked before any password is hashed, so a refused try
 * costs nothing; the refusal says how long to wait (Retry-After).
 */
export class SignInLimits {
  private readonly accounts = new AccountBackoff();
  constructor(private readonly addresses: FailureLimiter) {}
  check(address: string, account: string | null): void {
    const byAddress = this.addresses.wait(address);
    if (byAddress > 0) throw new RateLimited(`too many failed sign-ins from your address; try again in ${byAddress} s`, { retry_after: byAddress });
    const byAccount = account === null ? 0 : this.accounts.wait(account);
    if (byAccount > 0) throw new RateLimited(`too many failed sign-ins to this account; try again in ${byAccount} s`, { retry_after: byAccount });
  }
  failed(address: string, account: string | null): void {
    this.addresses.fail(address);
    if (account !== null) this.accounts.fail(account);
  }
  succeeded(account: string | null): void {
    if (account !== null) this.accounts.succeeded(account);
  }
}
