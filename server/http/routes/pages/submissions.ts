/**
 * Pages: a submission (as the viewer may see it: domain/access.ts), its result and overlays, its
 * owner's edit and cancel, a baseline's manifest, and the upload form.
 */
import { Router } from 'express';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { submissionPage, type SubmissionPageData } from '../../../../leaderboard-ui/pages/submission.ts';
import { submitPage, type SubmitData } from '../../../../leaderboard-ui/pages/submit.ts';
import { ZipSource } from '../../../../evaluator/index.ts';
import { ownSubmission, readableView, readSubmission } from '../../../domain/access.ts';
import type { AuthUser } from '../../../domain/auth.ts';
import { DomainError, InvalidInput, NotFound } from '../../../domain/errors.ts';
import { workerWarning } from '../../../domain/health.ts';
import { predictionOverlay } from '../../../domain/overlay.ts';
import { METHOD_META_COLUMNS, MethodMetaForm } from '../../../domain/schemas.ts';
import { computeBudget, type ModelLimits } from '../../../domain/models.ts';
import { cancelSubmission, namesListHash, queuePlace, quotaLeft, resultJsonOf, submit, utcDay } from '../../../domain/submissions.ts';
import type { Benchmark } from '../../../domain/catalogue.ts';
import { uploadLimits } from '../../../domain/upload-check.ts';
import { httpStatus } from '../../errors.ts';
import { receiveUpload } from '../../upload-receive.ts';
import { Id } from '../context.ts';
import { pc, send, signedIn, type PageRouteContext } from './common.ts';

const ClassView = z.object({
  sort: z.enum(['id', 'name', 'IoU', 'BIoU']).default('IoU'),
  order: z.enum(['asc', 'desc']).default('desc'),
  q: z.string().max(100).default(''),
  all: z.enum(['true', 'false']).optional().transform((v) => v === 'true'),
});
const EditForm = MethodMetaForm.extend({ private: z.literal('true').optional() });

/** A benchmark's mask names, as a set (looked up per overlay request). */
const maskSets = new WeakMap<Benchmark, Set<string>>();
function maskIndex(b: Benchmark): Set<string> {
  let m = maskSets.get(b);
  if (!m) { m = new Set(b.masks); maskSets.set(b, m); }
  return m;
}

export function submissionPages(c: PageRouteContext): Router {
  const { ctx, slots } = c;
  const r = Router();
  r.get('/submissions/:id', (req, res) => {
    const { view, s } = readableView(ctx, req.user, Id.parse(req.params.id));
    const data: SubmissionPageData = {
      ...view,
      user: ctx.q.userById(s.user_id)?.name ?? '?',
      queuePosition: queuePlace(ctx, s),
      workerWarning: view.status === 'queued' || view.status === 'scoring' ? workerWarning(ctx.scorer, ctx.workerSilentMs) : null,
      table: ClassView.parse(req.query),
    };
    send(res, submissionPage(pc(res), data));
  });

  // a baseline row's provenance: the converter's manifest (checksums, parity, preprocessing)
  r.get('/baselines/:id/manifest.json', (req, res) => {
    const row = ctx.baselines.get(Id.parse(req.params.id));
    if (!row || row.status !== 'submitted') throw new NotFound('no such baseline');
    res.type('application/json').send(JSON.stringify({ ...JSON.parse(row.manifest), run: { benchmark: row.benchmark, submission: row.submission_id, images: row.images, seconds: row.seconds, provider: row.provider, passed_over: row.fallbacks ? JSON.parse(row.fallbacks) : [], runtime: row.runtime, finished_at: row.finished_at } }, null, 2));
  });

  // error analysis and reproduction: public-GT phases only (resultJsonOf and the checks below)
  r.get('/submissions/:id/result.json', (req, res) => {
    const { s } = readSubmission(ctx, req.user, Id.parse(req.params.id));
    const result = resultJsonOf(ctx, s);
    if (!result) throw new NotFound('no verifiable result for this submission (a private-GT phase, or scored before results carried their resamples)');
    res.type('application/json').attachment(`result-${s.id}.json`).send(JSON.stringify(result));
  });
  // by the image's name; only while the hosted names list is the one the upload was checked against
  r.get('/submissions/:id/prediction/:wnid/:name.webp', async (req, res) => {
    const { s } = readSubmission(ctx, req.user, Id.parse(req.params.id));
    const b = ctx.catalogue.benchmarks.get(s.benchmark);
    const rel = `${req.params.wnid}/${req.params.name}.png`;
    if (!b || b.gtPrivate || !/^[\w.-]{1,100}\/[\w.-]{1,200}\.png$/.test(rel) || !maskIndex(b).has(rel)) throw new NotFound('no such image');
    // only a scored upload: it passed every check of its masks, not just the upload's
    if (s.status !== 'finished') throw new NotFound('no prediction to show before the submission is scored');
    // every overlay request asks this: one value read by SQLite, not the whole record parsed
    const scoredWith = ctx.q.scoredNamesHash(s.id);
    if (scoredWith !== null && scoredWith !== namesListHash(b)) throw new NotFound('the names list has changed since this submission was scored');
    // read only when the picture is not cached yet; bounded by the entry's checked extent
    const readMask = async () => {
      const source = await ZipSource.open(join(ctx.dataDir, s.file), b.masks, uploadLimits(b));
      try { return new Uint8Array(await source.read(rel)); } finally { await source.close(); }
    };
    const m = s.match ?? s.computed_match;
    const match = m ? new Map(Object.entries(JSON.parse(m) as Record<string, number>).map(([k, v]) => [Number(k), v])) : null;
    const image = join(b.split.dir, b.phase, rel.replace(/\.png$/, '.JPEG'));
    const body = await predictionOverlay(image, readMask, match, `${s.id}/${s.file}/${rel}`, join(ctx.dataDir, 'cache', 'overlays'));
    res.type('image/webp').set('cache-control', 'private, max-age=86400').send(body);
  });

  r.post('/submissions/:id/edit', (req, res) => {
    const s = ownSubmission(ctx, signedIn(req), Id.parse(req.params.id));
    const parsed = EditForm.safeParse(req.body);
    if (!parsed.success) throw new InvalidInput(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
    const f = parsed.data;
    ctx.q.updateMeta(s.id, { ...Object.fromEntries(METHOD_META_COLUMNS.map((k) => [k, f[k] || null])), private: f.private === 'true' });
    res.redirect(303, `/submissions/${s.id}`);
  });
  r.post('/submissions/:id/model', (req, res) => {
    const s = ownSubmission(ctx, signedIn(req), Id.parse(req.params.id));
    if (!s.model_file) throw new NotFound('this submission is not a model');
    ctx.q.setModelPublic(s.id, z.object({ public: z.enum(['true', 'false']) }).parse(req.body).public === 'true');
    res.redirect(303, `/submissions/${s.id}#model`);
  });
  r.post('/submissions/:id/cancel', (req, res) => {
    const s = ownSubmission(ctx, signedIn(req), Id.parse(req.params.id));
    cancelSubmission(ctx, s);
    res.redirect(303, `/submissions/${s.id}`);
  });

  const submitData = (user: AuthUser, extra: Partial<SubmitData> = {}): SubmitData => ({
    benchmarks: [...ctx.catalogue.benchmarks.values()].map((b) => {
      const q = quotaLeft(ctx, user, b);
      return { id: b.id, label: `${b.split.name} · ${b.protocol} · ${b.phase}`, open: !b.closed, quota: b.closed ? 'closed' : q.limit > 0 ? `${q.limit - q.used} of ${q.limit} left today` : 'no daily limit' };
    }),
    maxUploadMB: Math.round(ctx.maxUploadBytes / 1048576),
    ...(ctx.models ? { models: modelsOffer(ctx.models.limits, user) } : {}),
    resetsAt: utcDay().next,
    ...extra,
  });
  const modelsOffer = (limits: ModelLimits, user: AuthUser): NonNullable<SubmitData['models']> => {
    const day = utcDay();
    const b = computeBudget(ctx.q, limits, user, day.start, day.next);
    return {
      maxMB: Math.round(limits.maxBytes / 1048576), timeoutSeconds: limits.timeoutSeconds,
      budget: b.budget > 0 ? `${Math.max(0, Math.round((b.budget - b.used) / 60))} of ${Math.round(b.budget / 60)} runner minutes left today` : 'no daily limit',
    };
  };
  r.get('/submit', (req, res) => {
    if (!req.user) { res.redirect(303, `/login?next=${encodeURIComponent(req.originalUrl)}`); return; }
    send(res, submitPage(pc(res), submitData(req.user, { selected: typeof req.query.benchmark === 'string' ? req.query.benchmark : undefined })));
  });
  r.post('/submit', async (req, res) => {
    const user = signedIn(req);
    const release = slots.take(user.id);
    if (!release) { send(res, submitPage(pc(res), submitData(user, { error: 'you have uploads in progress; wait for them to finish' })), 429); return; }
    let benchmark: string | undefined;
    let kind: SubmitData['kind'];
    let fields: SubmitData['fields'];
    try {
      const tmp = join(ctx.dataDir, 'uploads');
      await mkdir(tmp, { recursive: true });
      const received = await receiveUpload(req, tmp, { maxBytes: ctx.maxUploadBytes, maxModelBytes: ctx.models?.limits.maxBytes, idleMs: ctx.uploads.idleMs, minBytesPerSecond: ctx.uploads.minBytesPerSecond, inFlight: slots.received });
      benchmark = received.fields.benchmark;
      kind = received.field ?? (received.fields.kind === 'model' ? 'model' : 'file');
      delete received.fields.kind;
      const f = received.fields;
      fields = { ...Object.fromEntries(METHOD_META_COLUMNS.map((k) => [k, f[k]])), private: f.private === 'true' };
      if (received.fields.private !== 'true') delete received.fields.private;
      for (const k of METHOD_META_COLUMNS) if (!received.fields[k]) delete received.fields[k];
      const row = await submit(ctx, user, received);
      if (row.model_state) ctx.modelRunner.kick(); else ctx.scorer.kick();
      res.redirect(303, `/submissions/${row.id}`);
    } catch (e) {
      if (!(e instanceof DomainError)) throw e;
      const problems = (e.extra.problems ?? []) as SubmitData['problems'];
      send(res, submitPage(pc(res), submitData(user, { selected: benchmark, kind, fields, error: e.message, problems })), httpStatus(e) === 413 ? 413 : 200);
    } finally {
      release();
    }
  });
  return r;
}
