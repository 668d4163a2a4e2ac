/**
 * What every page router shares: answering with a page, the page context (viewer, CSRF token),
 * the signed-in gates, and the cookies a sign-in sets. Pages are adapters: each gathers data from
 * the domain (domain/access.ts, accounts.ts, admin.ts, …) and hands it to a page function.
 */
import type { Request, Response } from 'express';
import { randomBytes } from 'node:crypto';
import type { Html } from '../../../../leaderboard-ui/html.ts';
import type { PageContext } from '../../../../leaderboard-ui/layout.ts';
import { Forbidden, Unauthenticated } from '../../../domain/errors.ts';
import { startSession } from '../../../domain/sessions.ts';
import type { UploadSlots } from '../../upload-receive.ts';
import { CSRF_COOKIE, SESSION_COOKIE } from '../../cookies.ts';
import type { RouteContext } from '../context.ts';

export interface PageRouteContext extends RouteContext { secureCookies: boolean; slots: UploadSlots }

export const send = (res: Response, body: Html, status = 200): void => { res.status(status).type('html').send(body.value); };
export const pc = (res: Response): PageContext => res.locals.page as PageContext;

export function signedIn(req: Request): NonNullable<Request['user']> {
  if (!req.user) throw new Unauthenticated('sign in first');
  return req.user;
}

export function signedInAdmin(req: Request): NonNullable<Request['user']> {
  const user = signedIn(req);
  if (!user.isAdmin) throw new Forbidden('admins only');
  return user;
}

/** A fresh CSRF token cookie (at first visit, and renewed with every sign-in). */
export function setCsrfCookie(res: Response, secure: boolean): string {
  const csrf = randomBytes(32).toString('base64url');
  res.cookie(CSRF_COOKIE, csrf, { httpOnly: true, sameSite: 'lax', secure, path: '/' });
  return csrf;
}

/** A new browser session for `userId`, begun on this response; the CSRF cookie is renewed with it. */
export function beginSession(c: PageRouteContext, req: Request, res: Response, userId: number, tokenId: number | null): void {
  const session = startSession(c.ctx.q, userId, { tokenId, address: req.ip ?? null, agent: req.get('user-agent') ?? null });
  res.cookie(SESSION_COOKIE, session.token, { httpOnly: true, sameSite: 'lax', secure: c.secureCookies, path: '/', expires: session.expires });
  setCsrfCookie(res, c.secureCookies);
}

export function endSessionCookie(res: Response): void {
  res.clearCookie(SESSION_COOKIE, { path: '/' });
}

/** Where to go after signing in: a local path only. */
export function safeNext(v: unknown): string {
  const s = typeof v === 'string' ? v : '/';
  return /^\/(?!\/)[\w\-./?=&%#]*$/.test(s) ? s : '/';
}
