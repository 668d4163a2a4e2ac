/** Pages: signing in and out, open sign-up, and the account page (tokens, sessions, password). */
import { Router, type Response } from 'express';
import { z } from 'zod';
import type { Html } from '../../../../leaderboard-ui/html.ts';
import { loginPage, signupPage } from '../../../../leaderboard-ui/pages/login.ts';
import { mePage } from '../../../../leaderboard-ui/pages/me.ts';
import { accountView, changePassword, signUp } from '../../../domain/accounts.ts';
import { issueToken, type AuthUser } from '../../../domain/auth.ts';
import { Conflict, DomainError, InvalidInput, NotFound, Unauthenticated } from '../../../domain/errors.ts';
import { UserName } from '../../../domain/schemas.ts';
import { endSession, MIN_PASSWORD, signIn } from '../../../domain/sessions.ts';
import { cookies, SESSION_COOKIE } from '../../cookies.ts';
import { httpStatus, retryAfter } from '../../errors.ts';
import { Id } from '../context.ts';
import { beginSession, endSessionCookie, pc, safeNext, send, signedIn, type PageRouteContext } from './common.ts';

const Login = z.union([
  z.object({ _csrf: z.string(), next: z.string().optional(), token: z.string().min(1).max(200) }),
  z.object({ _csrf: z.string(), next: z.string().optional(), username: z.string().min(1).max(64), password: z.string().min(1).max(500) }),
]);

export function accountPages(c: PageRouteContext): Router {
  const { ctx } = c;
  const r = Router();
  const me = (res: Response, user: AuthUser, extra: { newToken?: string; notice?: string; passwordError?: string } = {}, status = 200) =>
    send(res, mePage(pc(res), { ...accountView(ctx, user), ...extra }), status);
  /** A refused form: the form again with the reason, and the status (with Retry-After) that says why. */
  const refused = (res: Response, e: DomainError, form: (error: string) => Html) => {
    const wait = retryAfter(e);
    if (wait !== null) res.set('retry-after', String(wait));
    send(res, form(e.message), e instanceof Unauthenticated || e instanceof InvalidInput || e instanceof Conflict ? 200 : httpStatus(e));
  };

  r.get('/me', (req, res) => {
    if (!req.user) { res.redirect(303, `/login?next=${encodeURIComponent('/me')}`); return; }
    me(res, req.user);
  });
  r.post('/me/tokens', (req, res) => {
    const user = signedIn(req);
    const { label } = z.object({ label: z.string().max(100).optional() }).parse(req.body);
    const { token } = issueToken(ctx.q, user.id, label || null);
    res.set('cache-control', 'no-store');
    me(res, user, { newToken: token });
  });
  r.post('/me/tokens/:id/revoke', (req, res) => {
    const user = signedIn(req);
    if (!ctx.q.revokeToken(Id.parse(req.params.id), user.id)) throw new NotFound('no such active token');
    // revoking the token this browser signed in with ends this session too
    if (!user.sessionId || !ctx.q.sessionsOf(user.id, new Date().toISOString()).some((x) => x.id === user.sessionId)) {
      endSessionCookie(res);
      res.redirect(303, '/login');
      return;
    }
    res.redirect(303, '/me');
  });
  r.post('/me/sessions/:id/end', (req, res) => {
    const user = signedIn(req);
    const id = Id.parse(req.params.id);
    if (!ctx.q.endSessionOf(user.id, id)) throw new NotFound('no such session');
    if (id === user.sessionId) { endSessionCookie(res); res.redirect(303, '/'); return; }
    res.redirect(303, '/me');
  });
  r.post('/me/sessions/end-others', (req, res) => {
    const user = signedIn(req);
    const ended = ctx.q.endSessionsOf(user.id, user.sessionId ?? null);
    me(res, user, { notice: `${ended} other session(s) ended.` });
  });
  r.post('/me/password', async (req, res) => {
    const user = signedIn(req);
    const f = z.object({ current: z.string().max(500).optional(), password: z.string().max(500) }).safeParse(req.body);
    if (!f.success) { me(res, user, { passwordError: 'Fill in the new password.' }, 400); return; }
    try {
      const { ended, changed } = await changePassword(ctx.q, c.signIn, user, f.data, req.ip ?? 'unknown');
      ctx.log.info({ user: user.id, sessionsEnded: ended }, 'password changed');
      me(res, user, { notice: `Password ${changed ? 'changed' : 'set'}; ${ended} other session(s) ended.` });
    } catch (e) {
      if (!(e instanceof DomainError)) throw e;
      const wait = retryAfter(e);
      if (wait !== null) res.set('retry-after', String(wait));
      me(res, user, { passwordError: e.message }, httpStatus(e));
    }
  });

  r.get('/login', (req, res) => {
    send(res, loginPage(pc(res), { next: safeNext(req.query.next), openSignup: ctx.openSignup }));
  });
  if (ctx.openSignup) {
    r.get('/signup', (_req, res) => { send(res, signupPage(pc(res), {})); });
    r.post('/signup', async (req, res) => {
      const f = z.object({ username: UserName, password: z.string().min(MIN_PASSWORD, `a password has at least ${MIN_PASSWORD} characters`).max(500) }).safeParse(req.body);
      if (!f.success) { send(res, signupPage(pc(res), { error: f.error.issues[0].message })); return; }
      try {
        const userId = await signUp(ctx.q, c.signUps, req.ip ?? 'unknown', f.data.username, f.data.password);
        beginSession(c, req, res, userId, null);
        res.redirect(303, '/me');
      } catch (e) {
        if (!(e instanceof DomainError)) throw e;
        refused(res, e, (error) => signupPage(pc(res), { error }));
      }
    });
  }
  r.post('/login', async (req, res) => {
    const form = Login.safeParse(req.body);
    const next = safeNext((req.body as { next?: string })?.next);
    if (!form.success) { send(res, loginPage(pc(res), { error: 'Fill in a user name and password, or a token.', next }), 400); return; }
    const address = req.ip ?? 'unknown';
    const account = 'username' in form.data ? form.data.username : null;
    try {
      c.signIn.check(address, account);
      let user: AuthUser;
      try {
        user = await signIn(ctx.q, 'token' in form.data ? { token: form.data.token } : { username: form.data.username, password: form.data.password });
      } catch (e) {
        if (e instanceof Unauthenticated) c.signIn.failed(address, account);
        throw e;
      }
      c.signIn.succeeded(account);
      beginSession(c, req, res, user.id, user.tokenId > 0 ? user.tokenId : null);
      res.redirect(303, next);
    } catch (e) {
      if (!(e instanceof DomainError)) throw e;
      // the form again, with the reason (a page, not an error: the browser shows it as one)
      refused(res, e, (error) => loginPage(pc(res), { error, next }));
    }
  });
  r.post('/logout', (req, res) => {
    endSession(ctx.q, cookies(req)[SESSION_COOKIE]);
    endSessionCookie(res);
    res.redirect(303, '/');
  });
  return r;
}
