/**
 * Who a request is: the middleware that reads an API token (or, for reads, a browser session) and
 * sets `req.user`, and the admin gate. HTTP lives here; tokens, limits and sessions themselves are
 * in auth.ts and sessions.ts, which know nothing of requests.
 */
import type { NextFunction, Request, Response } from 'express';
import { tokenUser, type AuthUser, type FailureLimiter } from '../../domain/auth.ts';
import { cookies, SESSION_COOKIE } from '../cookies.ts';
import { Forbidden, RateLimited, Unauthenticated } from '../../domain/errors.ts';
import type { Queries } from '../../storage/queries.ts';
import { sessionUser } from '../../domain/sessions.ts';

declare module 'express-serve-static-core' {
  interface Request { user?: AuthUser }
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
    const wait = limiter.wait(key);
    if (wait > 0) return next(new RateLimited(`too many failed authentications; try again in ${wait} s`, { retry_after: wait }));
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
