/**
 * The web pages (leaderboard-ui/), served by the same process: shared middleware (static files,
 * the page CSP, the session, the CSRF check), one router per area, and errors answered as pages.
 * Sessions are a cookie; every form carries a CSRF token that must equal the `isb_csrf` cookie
 * (double submit; cookies are SameSite=Lax).
 */
import express, { Router, type NextFunction, type Request, type Response } from 'express';
import { timingSafeEqual } from 'node:crypto';
import { join } from 'node:path';
import { z } from 'zod';
import { errorPage } from '../../../../leaderboard-ui/pages/login.ts';
import type { PageContext } from '../../../../leaderboard-ui/layout.ts';
import { DomainError, Forbidden, NotFound } from '../../../domain/errors.ts';
import { sessionUser } from '../../../domain/sessions.ts';
import { bodyParserError, logAbortedBody } from '../../body.ts';
import { cookies, CSRF_COOKIE, SESSION_COOKIE } from '../../cookies.ts';
import { httpStatus, retryAfter } from '../../errors.ts';
import type { UploadSlots } from '../../upload-receive.ts';
import type { RouteContext } from '../context.ts';
import { accountPages } from './accounts.ts';
import { adminPages } from './admin.ts';
import { boardPages } from './boards.ts';
import { pc, send, setCsrfCookie, type PageRouteContext } from './common.ts';
import { datasetPages } from './datasets.ts';
import { submissionPages } from './submissions.ts';

const STATIC = join(import.meta.dirname, '..', '..', '..', '..', 'leaderboard-ui', 'static');
/** Pages may load their own stylesheet and scripts, nothing inline, nothing from elsewhere. */
const PAGE_CSP = "default-src 'none'; style-src 'self'; img-src 'self' data:; script-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

export function pageRoutes(routes: RouteContext, secureCookies: boolean, slots: UploadSlots): Router {
  const c: PageRouteContext = { ...routes, secureCookies, slots };
  const { ctx } = c;
  const r = Router();
  r.use('/static', express.static(STATIC, { maxAge: '1h', index: false }));
  r.use((req, res, next) => {
    res.set('content-security-policy', PAGE_CSP);
    const jar = cookies(req);
    req.user = sessionUser(ctx.q, jar[SESSION_COOKIE]) ?? undefined;
    let csrf = jar[CSRF_COOKIE];
    if (!csrf || !/^[A-Za-z0-9_-]{43}$/.test(csrf)) csrf = setCsrfCookie(res, secureCookies);
    res.locals.page = { viewer: req.user ? { name: req.user.name, admin: req.user.isAdmin } : null, csrf, path: req.path } satisfies PageContext;
    next();
  });
  r.use(express.urlencoded({ extended: false, limit: '16kb' }));
  // every state-changing form: the posted token (a field; in the query for multipart uploads,
  // checked before any byte of the file is read) must equal the cookie
  r.post('/*path', (req, res, next) => {
    const sent = String(req.is('multipart/form-data') ? req.query._csrf ?? '' : (req.body as Record<string, unknown> | undefined)?._csrf ?? '');
    // compared as bytes: a field of as many characters but more bytes (non-ASCII) is simply wrong
    const [a, b] = [Buffer.from(sent), Buffer.from(pc(res).csrf)];
    const ok = a.length === b.length && timingSafeEqual(a, b);
    next(ok ? undefined : new Forbidden('the form has expired or did not come from this site; reload the page and try again'));
  });

  r.use(boardPages(c));
  r.use(submissionPages(c));
  r.use(accountPages(c));
  r.use(datasetPages(c));
  r.use(adminPages(c));

  // pages answer errors as pages (the API keeps its JSON)
  r.use((req: Request, _res: Response, next: NextFunction) => { if (req.path.startsWith('/api')) next(); else next(new NotFound(`no page at ${req.path}`)); });
  r.use((err: unknown, req: Request, res: Response, next: NextFunction) => {
    if (req.path.startsWith('/api') || res.headersSent) { next(err); return; }
    if (err instanceof DomainError) {
      const wait = retryAfter(err);
      if (wait !== null) res.set('retry-after', String(wait));
      send(res, errorPage(pc(res), httpStatus(err), err.message), httpStatus(err));
      return;
    }
    if (err instanceof z.ZodError) { send(res, errorPage(pc(res), 400, 'That view does not exist (check the address).'), 400); return; }
    const body = bodyParserError(err);
    if (body?.aborted) { logAbortedBody(ctx.log, req, err); res.end(); return; }
    if (body) { send(res, errorPage(pc(res), body.status, body.status === 413 ? 'The form sent more than a form can hold.' : 'The form could not be read.'), body.status); return; }
    ctx.log.error({ err, url: req.originalUrl }, 'page error');
    send(res, errorPage(pc(res), 500, 'The server failed on this page; the administrators have the details.'), 500);
  });
  return r;
}
