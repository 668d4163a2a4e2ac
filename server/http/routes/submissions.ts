/** Submissions: upload, read, progress (SSE), computed match and result, edit and cancel (access: domain/access.ts). */
import { Router } from 'express';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { InvalidInput, NotFound, RateLimited } from '../../domain/errors.ts';
import { MethodMetaPatch } from '../../domain/schemas.ts';
import { cancelSubmission, queuePlace, resultJsonOf, submissionView, submit } from '../../domain/submissions.ts';
import { receiveUpload, type UploadSlots } from '../upload-receive.ts';
import { mayDownloadModel, ownSubmission, readSubmission, submissionViewFor } from '../../domain/access.ts';
import { Id, type RouteContext } from './context.ts';

const MetaPatch = MethodMetaPatch.extend({ private: z.boolean().optional(), model_public: z.boolean().optional() }).strict();

export function submissionRoutes(c: RouteContext, slots: UploadSlots): Router {
  const { ctx, requireAuth, optionalAuth } = c;
  const r = Router();
  r.post('/submissions', requireAuth, async (req, res) => {
    const release = slots.take(req.user!.id);
    if (!release) {
      res.set('retry-after', '30');
      throw new RateLimited('too many uploads in progress; try again when yours have finished', { close: true });
    }
    try {
      const tmp = join(ctx.dataDir, 'uploads');
      await mkdir(tmp, { recursive: true });
      const received = await receiveUpload(req, tmp, { maxBytes: ctx.maxUploadBytes, maxModelBytes: ctx.models?.limits.maxBytes, idleMs: ctx.uploads.idleMs, minBytesPerSecond: ctx.uploads.minBytesPerSecond, inFlight: slots.received });
      const row = await submit(ctx, req.user!, received);
      if (row.model_state) ctx.modelRunner.kick(); else ctx.scorer.kick();
      res.status(202).location(`/api/submissions/${row.id}`).json({ id: row.id, status: row.status });
    } finally {
      release();
    }
  });
  r.get('/submissions', requireAuth, (req, res) => {
    res.json(ctx.q.submissionsOf(req.user!.id).map((s) => submissionView(ctx, s)));
  });
  r.get('/submissions/:id', optionalAuth, (req, res) => {
    res.json(submissionViewFor(ctx, req.user, Id.parse(req.params.id)));
  });
  r.get('/submissions/:id/match.json', optionalAuth, (req, res) => {
    const { s } = readSubmission(ctx, req.user, Id.parse(req.params.id));
    if (!s.computed_match) throw new NotFound('no computed match for this submission');
    res.type('application/json').attachment(`match-${s.id}.json`).send(s.computed_match);
  });
  r.get('/submissions/:id/result.json', optionalAuth, (req, res) => {
    const { s } = readSubmission(ctx, req.user, Id.parse(req.params.id));
    const result = resultJsonOf(ctx, s);
    if (!result) throw new NotFound('no verifiable result for this submission (a private-GT phase, or scored before results carried their resamples)');
    res.type('application/json').attachment(`result-${s.id}.json`).send(JSON.stringify(result));
  });
  r.get('/submissions/:id/model.zip', optionalAuth, (req, res) => {
    // a readable row whose bundle the viewer may have; otherwise not found (ids are not probed)
    const { s } = readSubmission(ctx, req.user, Id.parse(req.params.id));
    if (!mayDownloadModel(req.user, s)) throw new NotFound('no downloadable model for this submission');
    res.type('application/zip').attachment(`model-${s.id}-${s.model_sha256!.slice(0, 12)}.zip`).sendFile(join(ctx.dataDir, s.model_file!), { dotfiles: 'allow' });
  });
  r.get('/submissions/:id/predictions.zip', optionalAuth, (req, res) => {
    // the masks the server's run of a model made: on the model's terms (reproduce its score offline)
    const { s } = readSubmission(ctx, req.user, Id.parse(req.params.id));
    if (!mayDownloadModel(req.user, s) || s.model_state !== 'ran') throw new NotFound('no downloadable predictions for this submission');
    res.type('application/zip').attachment(`submission-${s.id}.zip`).sendFile(join(ctx.dataDir, s.file), { dotfiles: 'allow' });
  });
  r.get('/submissions/:id/events', optionalAuth, (req, res) => {
    const { s } = readSubmission(ctx, req.user, Id.parse(req.params.id));
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    const send = (e: { status: string; done: number; total: number }): void => {
      // while it waits, its place in line (the page shows it and keeps it up to date)
      const place = e.status === 'queued' || e.status === 'scoring' ? queuePlace(ctx, ctx.q.submission(s.id) ?? s) : null;
      res.write(`event: progress\ndata: ${JSON.stringify({ id: s.id, ...e, ...(place ? { position: place } : {}) })}\n\n`);
      if (['finished', 'failed', 'cancelled'].includes(e.status)) res.end();
    };
    const now = ctx.q.submission(s.id)!;
    send({ status: now.status, done: now.progress_done, total: now.images });
    if (res.writableEnded) return;
    const off = ctx.scorer.subscribe(s.id, send);
    const ping = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
    res.on('close', () => { off(); clearInterval(ping); });
  });
  r.patch('/submissions/:id', requireAuth, (req, res) => {
    const s = ownSubmission(ctx, req.user, Id.parse(req.params.id));
    const { model_public: publish, ...meta } = MetaPatch.parse(req.body ?? {});
    if (publish !== undefined && !s.model_file) throw new InvalidInput('model_public: this submission is not a model');
    ctx.q.updateMeta(s.id, meta);
    if (publish !== undefined) ctx.q.setModelPublic(s.id, publish);
    res.json(submissionView(ctx, ctx.q.submission(s.id)!));
  });
  r.delete('/submissions/:id', requireAuth, (req, res) => {
    res.json(submissionView(ctx, cancelSubmission(ctx, ownSubmission(ctx, req.user, Id.parse(req.params.id)))));
  });
  return r;
}
