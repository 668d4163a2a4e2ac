/**
 * API tokens: 32 random bytes, shown once, stored as their SHA-256. Requests authenticate with
 * `Authorization: Bearer <token>`. Failed attempts are rate-limited per client address.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { Queries, UserRow } from './queries.ts';
import { Conflict, Forbidden, RateLimited, Unauthenticated } from './domain-errors.ts';
import { cookies, SESSION_COOKIE } from './cookies.ts';
import { sessionUser } from './sessions.ts';

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
    const user = q.createUser(name, isAdmin);
    return { user, token: issueToken(q, user.id, 'created with the account').token };
  });
}

export interface AuthUser { id: number; name: string; isAdmin: boolean; tokenId: number }

/** The user an API token stands for, or null (unknown or revoked). */
export function tokenUser(q: Queries, token: string): AuthUser | null {
  const row = q.activeTokenByHash(hashToken(token));
  return row ? { id: row.user_id, name: row.name, isAdmin: row.is_admin === 1, tokenId: row.id } : null;
}

declare module 'express-serve-static-core' {
  interface Request { user?: AuthUser }
}

/** Counts failures per address in a sliding minute. */
export class FailureLimiter {
  private readonly hits = new Map<string, number[]>();
  constructor(private readonly perMinute: number) {}
  blocked(key: string): boolean {
    const now = Date.now();
    const list = (this.hits.get(key) ?? []).filter((t) => now - t < 60_000);
    this.hits.set(key, list);
    return this.perMinute > 0 && list.length >= this.perMinute;
  }
  fail(key: string): void {
    const list = this.hits.get(key) ?? [];
    list.push(Date.now());
    this.hits.set(key, list);
    if (this.hits.size > 10_000) for (const [k, v] of this.hits) if (v.every((t) => Date.now() - t >= 60_000)) this.hits.delete(k);
  }
}

/** How often a token's last-used time is written: each write is a synced commit. */
export const TOKEN_TOUCH_MS = 60_000;

/**
 * Sets req.user when a valid token is given; `required` makes it mandatory (401 otherwise).
 * `touched` (token id → last write) is shared by the middlewares of one app.
 */
export function authenticate(q: Queries, limiter: FailureLimiter, required: boolean, touched: Map<number, number>) {
  return (req: Request, _res: Response, next: NextFunction): void => {
    const header = req.get('authorization');
    if (!header) {
      // a browser session may read (GET: progress events, exports); writes need a token or a
      // page form with its CSRF token
      const session = req.method === 'GET' || req.method === 'HEAD' ? sessionUser(q, cookies(req)[SESSION_COOKIE]) : null;
      if (session) { req.user = session; return next(); }
      if (required) return next(new Unauthenticated('authentication required: send "Authorization: Bearer <token>"'));
      return next();
    }
    const key = req.ip ?? 'unknown';
    if (limiter.blocked(key)) return next(new RateLimited('too many failed authentications; wait a minute'));
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    const user = m ? tokenUser(q, m[1]) : null;
    if (!user) {
      limiter.fail(key);
      return next(new Unauthenticated('invalid or revoked token'));
    }
    const now = Date.now();
    if (now - (touched.get(user.tokenId) ?? 0) >= TOKEN_TOUCH_MS) {
      q.touchToken(user.tokenId);
      touched.set(user.tokenId, now);
    }
    req.user = user;
    next();
  };
}

export function requireAdmin(req: Request, _res: Response, next: NextFunction): void {
  if (!req.user?.isAdmin) return next(new Forbidden('admin only'));
  next();
}
