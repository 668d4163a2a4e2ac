/** The caller's account: quotas, API tokens and browser sessions (domain/accounts.ts). */
import { Router } from 'express';
import { z } from 'zod';
import { issueToken } from '../../domain/auth.ts';
import { sessionsOf, tokensOf } from '../../domain/accounts.ts';
import { NotFound } from '../../domain/errors.ts';
import { quotaLeft } from '../../domain/submissions.ts';
import { Id, type RouteContext } from './context.ts';

export function accountRoutes({ ctx, requireAuth }: RouteContext): Router {
  const r = Router();
  r.get('/me', requireAuth, (req, res) => {
    const quotas = [...ctx.catalogue.benchmarks.values()].map((b) => ({ benchmark: b.id, ...quotaLeft(ctx, req.user!, b) }));
    res.json({ id: req.user!.id, name: req.user!.name, admin: req.user!.isAdmin, quotas });
  });
  r.get('/me/tokens', requireAuth, (req, res) => {
    res.json(tokensOf(ctx.q, req.user!));
  });
  r.post('/me/tokens', requireAuth, (req, res) => {
    const { label } = z.object({ label: z.string().max(100).optional() }).strict().parse(req.body ?? {});
    res.status(201).json(issueToken(ctx.q, req.user!.id, label ?? null));
  });
  // browser sessions: where and when each was made and last seen; any can be ended
  r.get('/me/sessions', requireAuth, (req, res) => {
    res.json(sessionsOf(ctx.q, req.user!));
  });
  r.delete('/me/sessions/:id', requireAuth, (req, res) => {
    if (!ctx.q.endSessionOf(req.user!.id, Id.parse(req.params.id))) throw new NotFound('no such session');
    res.status(204).end();
  });
  r.delete('/me/tokens/:id', requireAuth, (req, res) => {
    if (!ctx.q.revokeToken(Id.parse(req.params.id), req.user!.id)) throw new NotFound('no such active token');
    res.status(204).end();
  });
  return r;
}
