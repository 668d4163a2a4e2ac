/** Administration: users, moderation (hide, baseline, delete), re-scoring, operations metrics. */
import { Router } from 'express';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { z } from 'zod';
import { createUserWithToken } from '../../domain/auth.ts';
import { NotFound } from '../../domain/errors.ts';
import { UserName } from '../../domain/schemas.ts';
import { deleteSubmission, rescoreSubmission, submissionView } from '../../domain/submissions.ts';
import type { UploadSlots } from '../upload-receive.ts';
import { administerSubmission } from '../../domain/access.ts';
import { rescoreBenchmark } from '../../domain/admin.ts';
import { Id, type RouteContext } from './context.ts';
import type { BaselineRow } from '../../storage/queries.ts';

/** A baseline run as the API shows it (its manifest parsed; where its model is kept stays on the server). */
function baselineView(r: BaselineRow) {
  return {
    id: r.id, benchmark: r.benchmark, arch: r.arch, status: r.status, error: r.error, submission: r.submission_id,
    images: r.images, seconds: r.seconds, provider: r.provider, passed_over: r.fallbacks ? JSON.parse(r.fallbacks) : [], runtime: r.runtime, created_at: r.created_at, finished_at: r.finished_at,
    manifest: JSON.parse(r.manifest),
  };
}

const Flag = z.object({ value: z.boolean().default(true) }).strict();

export function adminRoutes(c: RouteContext, slots: UploadSlots): Router {
  const { ctx, requireAuth, requireAdmin } = c;
  const r = Router();
  r.use('/admin', requireAuth, requireAdmin);
  r.post('/admin/users', (req, res) => {
    const { name, admin } = z.object({ name: UserName, admin: z.boolean().default(false) }).strict().parse(req.body ?? {});
    const { user, token } = createUserWithToken(ctx.q, name, admin);
    res.status(201).json({ id: user.id, name: user.name, admin: user.is_admin === 1, token });
  });
  for (const flag of ['hidden', 'baseline'] as const) {
    r.post(`/admin/submissions/:id/${flag === 'hidden' ? 'hide' : 'baseline'}`, (req, res) => {
      const s = administerSubmission(ctx, req.user, Id.parse(req.params.id));
      ctx.q.setFlag(s.id, flag, Flag.parse(req.body ?? {}).value);
      res.json(submissionView(ctx, ctx.q.submission(s.id)!));
    });
  }
  // reference models run by the server: a converted model directory on this machine, for a benchmark
  r.post('/admin/baselines', async (req, res) => {
    const body = z.object({ model: z.string().min(1).max(4096), benchmark: z.string().min(1).max(100) }).strict().parse(req.body ?? {});
    // the first run's view; `then`: the runs that follow it (validation → test)
    const [row, ...then] = await ctx.baselines.register(req.user!, body.model, body.benchmark);
    res.status(202).location(`/api/admin/baselines/${row.id}`).json({ ...baselineView(row), then: then.map((t) => ({ id: t.id, benchmark: t.benchmark })) });
  });
  r.get('/admin/baselines/:id', (req, res) => {
    const row = ctx.baselines.get(Id.parse(req.params.id));
    if (!row) throw new NotFound('no such baseline');
    res.json(baselineView(row));
  });
  r.post('/admin/submissions/:id/rescore', (req, res) => {
    const s = administerSubmission(ctx, req.user, Id.parse(req.params.id));
    rescoreSubmission(ctx, s);
    res.status(202).json({ id: s.id, status: 'queued' });
  });
  r.post('/admin/benchmarks/:benchmark/rescore', (req, res) => {
    res.status(202).json(rescoreBenchmark(ctx, String(req.params.benchmark)));
  });
  r.delete('/admin/submissions/:id', async (req, res) => {
    await deleteSubmission(ctx, administerSubmission(ctx, req.user, Id.parse(req.params.id)).id);
    res.status(204).end();
  });
  // Operations: memory, event-loop delay (since start or the last POST …/metrics/reset), uploads, queue.
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  r.get('/admin/metrics', (_req, res) => {
    const mem = process.memoryUsage();
    const ms = (ns: number) => Math.round(ns / 1e4) / 100;
    const body = {
      memory: { rssMB: Math.round(mem.rss / 1048576), heapUsedMB: Math.round(mem.heapUsed / 1048576) },
      eventLoop: { maxMs: ms(loop.max), p99Ms: ms(loop.percentile(99)), meanMs: ms(loop.mean) },
      uploadsInProgress: slots.inProgress,
      queue: ctx.q.queueCounts(),
    };
    res.json(body);
  });
  // a GET changes nothing: starting the event-loop figures afresh is a POST
  r.post('/admin/metrics/reset', (_req, res) => {
    loop.reset();
    res.status(204).end();
  });
  return r;
}
