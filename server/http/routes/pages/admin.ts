/** Pages: the admin page (health, queue, submissions, users) and its forms (domain/admin.ts). */
import { Router } from 'express';
import { z } from 'zod';
import { adminPage } from '../../../../leaderboard-ui/pages/admin.ts';
import { administer, adminView, rescoreBenchmark } from '../../../domain/admin.ts';
import { createUserWithToken } from '../../../domain/auth.ts';
import { InvalidInput } from '../../../domain/errors.ts';
import { UserName } from '../../../domain/schemas.ts';
import { Id } from '../context.ts';
import { pc, send, signedInAdmin, type PageRouteContext } from './common.ts';

export function adminPages({ ctx }: PageRouteContext): Router {
  const r = Router();
  r.get('/admin', async (req, res) => {
    // signed out: to the sign-in form, as /me does (a signed-in non-admin is told it is admins only)
    if (!req.user) { res.redirect(303, `/login?next=${encodeURIComponent('/admin')}`); return; }
    signedInAdmin(req);
    send(res, adminPage(pc(res), await adminView(ctx)));
  });
  r.post('/admin/submissions/:id/:action', async (req, res) => {
    await administer(ctx, signedInAdmin(req), Id.parse(req.params.id), String(req.params.action));
    res.redirect(303, '/admin');
  });
  r.post('/admin/benchmarks/:benchmark/rescore', (req, res) => {
    signedInAdmin(req);
    rescoreBenchmark(ctx, String(req.params.benchmark));
    res.redirect(303, '/admin');
  });
  r.post('/admin/users', async (req, res) => {
    signedInAdmin(req);
    const f = z.object({ name: UserName, admin: z.literal('true').optional() }).safeParse(req.body);
    if (!f.success) throw new InvalidInput(f.error.issues[0].message);
    const { user, token } = createUserWithToken(ctx.q, f.data.name, f.data.admin === 'true');
    res.set('cache-control', 'no-store');
    send(res, adminPage(pc(res), { ...(await adminView(ctx)), created: { name: user.name, token } }));
  });
  return r;
}
