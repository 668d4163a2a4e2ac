/**
 * Accepting submissions (checked completely before anything is queued, quota counted only for
 * accepted ones) and presenting them.
 */
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { MethodMetaOptional } from './schemas.ts';
import { bootstrapJson, intervalsUnreliable, matchToObject, namesHash, paired, pairSpread, pickScalars, problem, unpackSamples, type PairedResult, BOOTSTRAP_METRICS, type BootstrapMetric, type Problem, type ResultJson, type Warning } from '../../evaluator/index.ts';
import { Catalogue, type Benchmark } from './catalogue.ts';
import { readScoreRecord, type ScoreRecord } from './score-record.ts';
import { Conflict, Forbidden, InvalidInput, QuotaExceeded, Unavailable, UploadRejected } from './errors.ts';
import type { Scorer } from '../queue/scorer.ts';
import { METHOD_META_COLUMNS, type MethodMetaValues, type Queries, type SubmissionRow } from '../storage/queries.ts';
import type { Received } from '../http/upload-receive.ts';
import { checkUpload } from './upload-check.ts';
import { checkModel, MODEL_JSON_META, modelFiles, modelView, type ModelLimits } from './models.ts';
import type { AuthUser } from './auth.ts';
import type { ServerMetrics } from '../metrics.ts';
import type { SubmissionView } from '../../leaderboard-ui/views.ts';

export const SubmitFields = MethodMetaOptional.extend({
  benchmark: z.string().min(1).max(100),
  private: z.enum(['true', 'false', '1', '0']).optional(),
  baseline: z.enum(['true', 'false', '1', '0']).optional(),
});

export interface SubmitContext {
  q: Queries;
  catalogue: Catalogue;
  dataDir: string;
  quota: { test: number; validation: number };
  maxPixels: number;
  /** Counts accepted and rejected uploads (metrics.ts). */
  metrics?: ServerMetrics;
  /** Scorings handed to a queue that no worker has taken show as queued (scorer.ts). */
  scorer?: Pick<Scorer, 'waitingForWorker'>;
  /** Model submissions (models.ts): their limits, and whether ONNX Runtime loads here; unset: zips only. */
  models?: { limits: ModelLimits; runtime: () => Promise<{ ok: boolean; reason?: string }> };
}

/** Start of the current UTC day, and of the next one (when a daily quota resets). */
export function utcDay(now = new Date()): { start: string; next: string } {
  const start = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
  return { start: start.toISOString(), next: new Date(start.getTime() + 86_400_000).toISOString() };
}

/**
 * A user's daily quota for `b`. On a private-GT phase it is shared by every benchmark scored
 * against that GT (the protocols of one split's test phase), and a submission that failed by its
 * own fault after it was accepted counts too: each answer about the private GT costs one place.
 */
export function quotaLeft(ctx: SubmitContext, user: AuthUser, b: Benchmark): { limit: number; used: number; resetsAt: string; shared: string[] } {
  const limit = b.gtPrivate ? ctx.quota.test : ctx.quota.validation;
  const shared = b.gtPrivate ? ctx.catalogue.sameGt(b).map((x) => x.id) : [b.id];
  const day = utcDay();
  return { limit, used: limit > 0 ? ctx.q.countForQuota(user.id, shared, day.start, b.gtPrivate) : 0, resetsAt: day.next, shared };
}

function quotaReached(b: Benchmark, quota: ReturnType<typeof quotaLeft>): QuotaExceeded {
  const scope = quota.shared.length > 1 ? `shared by ${quota.shared.join(', ')} (one ground truth)` : `to ${b.id}`;
  return new QuotaExceeded(`quota reached: ${quota.limit} submission(s) per UTC day ${scope}`, { limit: quota.limit, used: quota.used, resets_at: quota.resetsAt, shared_by: quota.shared });
}

/** Validates, checks and queues an upload; the temporary file is consumed either way. Counted in the metrics. */
export async function submit(ctx: SubmitContext, user: AuthUser, rec: Received): Promise<SubmissionRow> {
  try {
    const row = await checkAndQueue(ctx, user, rec);
    ctx.metrics?.submissions.inc({ outcome: 'accepted' });
    return row;
  } catch (e) {
    if (e instanceof InvalidInput) {
      ctx.metrics?.submissions.inc({ outcome: 'rejected' });
      for (const p of e.extra.problems ?? []) ctx.metrics?.rejections.inc({ code: p.code });
    }
    throw e;
  }
}

async function checkAndQueue(ctx: SubmitContext, user: AuthUser, rec: Received): Promise<SubmissionRow> {
  const tmp = rec.file?.path;
  try {
    const parsed = SubmitFields.safeParse(rec.fields);
    if (!parsed.success) {
      throw new InvalidInput('invalid submission fields', { problems: parsed.error.issues.map((i) => problem('invalid-field', i.path.join('.') || 'form', { message: i.message })) });
    }
    const f = parsed.data;
    const b = ctx.catalogue.benchmarks.get(f.benchmark);
    if (!b) throw new InvalidInput(`unknown benchmark ${JSON.stringify(f.benchmark)}`, { benchmarks: [...ctx.catalogue.benchmarks.keys()] });
    if (b.closed) throw new Unavailable(`benchmark ${b.id} is closed: ${b.closed}`);
    if (!rec.file) throw new InvalidInput(ctx.models ? 'no file: send the zip of masks in the field "file", or a model bundle in the field "model"' : 'no file: send the zip of masks in the field "file"');
    const baseline = f.baseline === 'true' || f.baseline === '1';
    if (baseline && !user.isAdmin) throw new Forbidden('only admins submit baselines');

    // baselines (admins only) are exempt: the server's reference rows, not a user probing the GT
    const quota = quotaLeft(ctx, user, b);
    if (!baseline && quota.limit > 0 && quota.used >= quota.limit) throw quotaReached(b, quota);

    // a model (its run and the predictions come later) or a zip of masks (checked whole now)
    const isModel = rec.field === 'model';
    if (isModel && !ctx.models) throw new InvalidInput('this server does not take models: send predictions in the field "file"');
    const day = utcDay();
    const checked = isModel
      ? { model: await checkModel({ ...ctx, models: ctx.models!.limits, runtime: ctx.models!.runtime }, user, b, rec.file, day) }
      : { zip: await checkUpload(rec.file.path, b, ctx.maxPixels) };
    if (checked.zip?.problems.length) throw new UploadRejected(`the upload has ${checked.zip.problems.length} problem(s); nothing was queued`, { problems: checked.zip.problems });
    const meta = (checked.zip?.meta ?? Object.fromEntries(MODEL_JSON_META.map((k) => [k, checked.model!.model[k]]))) as Partial<Record<(typeof METHOD_META_COLUMNS)[number], string | null>>;
    const match = checked.zip ? (checked.zip.match ? matchToObject(checked.zip.match) : null) : checked.model!.match;

    const dir = join(ctx.dataDir, 'submissions');
    await mkdir(dir, { recursive: true });
    const stem = `${Date.now()}-${Math.random().toString(36).slice(2, 10)}`;
    const files = modelFiles(stem);
    // a model's bundle is kept; its predictions will be written where a zip's upload goes
    const stored = join(ctx.dataDir, isModel ? files.bundle : files.predictions);
    await rename(rec.file.path, stored);
    try {
      // The quota is checked again inside the insert's transaction: concurrent uploads cannot both
      // take the last place (better-sqlite3 runs the transaction synchronously).
      return ctx.q.transaction(() => {
        const again = quotaLeft(ctx, user, b);
        if (!baseline && again.limit > 0 && again.used >= again.limit) throw quotaReached(b, again);
        return ctx.q.insertSubmission({
          user_id: user.id, benchmark: b.id,
          // each field from the form, else from method.txt (or model.json)
          ...Object.fromEntries(METHOD_META_COLUMNS.map((k) => [k, f[k] ?? meta[k] ?? null])),
          file: files.predictions, file_bytes: isModel ? 0 : rec.file!.bytes, file_sha256: isModel ? null : rec.file!.sha256 || null, images: b.masks.length, has_match: !!match, match,
          private: f.private === 'true' || f.private === '1', baseline,
          ...(isModel ? { model: { ...checked.model!.insert, model_file: files.bundle } } : {}),
        });
      });
    } catch (e) {
      await rm(stored, { force: true });
      throw e;
    }
  } finally {
    if (tmp) await rm(tmp, { force: true });
  }
}

export type { SubmissionView } from '../../leaderboard-ui/views.ts';

const className = (b: Benchmark | undefined, k: number): string => (k === 0 ? 'other' : b?.split.classes[k - 1]?.name ?? `class ${k}`);

/** The offline command that re-scores a public-GT submission and checks it against its result.json. */
export function reproduceCommand(b: Benchmark, s: SubmissionRow): string {
  const match = Catalogue.needsMatch(b) === 'none' ? [] : s.has_match ? ['--match', 'match.json'] : ['--match', 'auto'];
  return ['npm run -s evaluate --', '--gt', `"$IMAGENETS_ROOT/${b.split.name}/${b.phase}-segmentation"`, '--pred', `submission-${s.id}.zip`,
    '--names', `${b.split.id}-${b.phase}.txt`, '--classes', String(b.classes), ...match, '--ci', '--verify', `result-${s.id}.json`].join(' ');
}

export function submissionView(ctx: SubmitContext, s: SubmissionRow): SubmissionView {
  const b = ctx.catalogue.benchmarks.get(s.benchmark);
  const score = ctx.q.latestScore(s.id);
  const record = score ? readScoreRecord(score.record) : undefined;
  // handed to the queue, not yet taken by a worker: queued, with its place among those waiting
  const waiting = s.status === 'scoring' ? ctx.scorer?.waitingForWorker(s.id) ?? null : null;
  const view: SubmissionView = {
    id: s.id,
    benchmark: s.benchmark,
    // a model submission's run is a step of its own before scoring
    status: waiting ? 'queued' : s.status === 'queued' && s.model_state === 'running' ? 'running' : s.status,
    ...(waiting ? { waiting_for_worker: { position: waiting.position, worker_last_seen: waiting.workerSeenAt === null ? null : new Date(waiting.workerSeenAt).toISOString() } } : {}),
    progress: { done: s.progress_done, total: s.images },
    ...Object.fromEntries(METHOD_META_COLUMNS.map((k) => [k, s[k]])) as MethodMetaValues,
    private: s.private === 1, hidden: s.hidden === 1, baseline: s.baseline === 1,
    created_at: s.created_at, started_at: s.started_at, finished_at: s.finished_at,
    // the download link is added for viewers who may have it (access.ts)
    ...(s.model_file ? { model: modelView(s, false) } : {}),
    warnings: s.warnings ? JSON.parse(s.warnings) : [],
  };
  if (record) {
    // the record as stored; `classes` is the same per-class numbers, named
    view.metrics = record.metrics;
    view.evaluator_version = score!.evaluator_version;
    view.classes = record.metrics.IoUs.map((iou, k) => ({
      id: k,
      wnid: k === 0 ? null : b?.split.classes[k - 1]?.wnid ?? null,
      name: k === 0 ? 'other' : b?.split.classes[k - 1]?.name ?? `class ${k}`,
      IoU: iou,
      BIoU: record.metrics.BIoUs[k] ?? null,
      // public-GT phases: how much ground truth the class has (none: its IoU 0 says nothing of the method)
      ...(b && !b.gtPrivate && record.analysis?.class_gt ? { gt_images: record.analysis.class_gt.images[k] ?? 0, gt_pixels: record.analysis.class_gt.pixels[k] ?? 0 } : {}),
    }));
    view.scores = ctx.q.scoresOf(s.id).map((x) => ({ evaluator_version: x.evaluator_version, created_at: x.created_at, mIoU: readScoreRecord(x.record).metrics.mIoU }));
    const other = b && s.method ? ctx.catalogue.counterpart(b) : undefined;
    const twin = other ? ctx.q.counterpart(s.user_id, other.id, s.method!) : null;
    view.other_phase = twin === null ? null : { phase: other!.phase, benchmark: other!.id, submission: twin };
    if (record.ci) { view.ci = record.ci; if (b) view.intervals_unreliable = intervalsUnreliable(record.images, b.classes); }
    if (record.provenance) view.provenance = record.provenance;
    if (b && !b.gtPrivate && record.provenance) {
      view.reproduce = { command: reproduceCommand(b, s), result_url: `/submissions/${s.id}/result.json`, names_url: `/api/splits/${b.split.id}/${b.phase}/list` };
    }
    if (b && !b.gtPrivate && record.analysis) {
      // the worst images are indices into the names list the score was computed with: shown only
      // while the hosted list is that list (after a change, an index would name another image)
      const sameList = record.provenance?.namesSha256 === namesListHash(b);
      view.analysis = {
        confusion: record.analysis.confusion.map((p) => ({ gt: { id: p.gt, name: className(b, p.gt) }, predicted: { id: p.predicted, name: className(b, p.predicted) }, pixels: p.pixels })),
        worst: (sameList ? record.analysis.worst : []).map((w) => ({
          index: w.image, image: b.masks[w.image], size: b.sizes.get(b.masks[w.image]) ?? null, mIoU: w.mIoU, fmeasure: w.fmeasure,
          gt_overlay: `/datasets/${b.split.id}/${b.phase}/overlay/${b.masks[w.image]}`,
          prediction_overlay: predictionOverlayUrl(s.id, b.masks[w.image]),
        })),
        ...(sameList ? {} : { names_changed: true }),
      };
    }
  }
  if (s.computed_match) view.match_url = `/api/submissions/${s.id}/match.json`;
  if (s.error) view.error = s.error;
  if (s.problems) view.problems = JSON.parse(s.problems);
  if (b && Catalogue.needsMatch(b) === 'auto') view.match = s.has_match ? 'match.json from the upload' : 'default matching (computed)';
  return view;
}

/**
 * A public-GT submission's result in the evaluate CLI's --json format (intervals, resamples and
 * provenance included), so `npm run evaluate -- … --verify result.json` checks it offline.
 * Undefined for private-GT phases and for scores from before resamples were kept.
 */
/**
 * A queued submission's place in line (1: next), or null when it is not queued: those handed to the
 * queue and waiting for a worker are ahead of every submission still in SQLite.
 */
export function queuePlace(ctx: SubmitContext & { scorer: Scorer }, s: SubmissionRow): number | null {
  const waiting = s.status === 'scoring' ? ctx.scorer.waitingForWorker(s.id) : null;
  if (waiting) return waiting.position;
  // a model waiting for its run is in the models' line (Queries.queuePosition); running, in none
  if (s.model_state === 'pending' || s.model_state === 'running') return s.status === 'queued' && s.model_state === 'pending' ? ctx.q.queuePosition(s.id) : null;
  return s.status === 'queued' ? (ctx.q.queuePosition(s.id) ?? 0) + ctx.scorer.waitingCount : null;
}

/** The hosted names list's hash, once per benchmark (hashing 27,000 names on every view would show). */
const listHashes = new WeakMap<Benchmark, string>();
export function namesListHash(b: Benchmark): string {
  let h = listHashes.get(b);
  if (!h) { h = namesHash(b.masks); listHashes.set(b, h); }
  return h;
}

/** A prediction's overlay, addressed by its image's name in the names list (`wnid/name.png`). */
export function predictionOverlayUrl(id: number, mask: string): string {
  return `/submissions/${id}/prediction/${mask.replace(/\.png$/, '.webp')}`;
}

export function resultJsonOf(ctx: SubmitContext, s: SubmissionRow): ResultJson | undefined {
  const b = ctx.catalogue.benchmarks.get(s.benchmark);
  const score = ctx.q.latestScore(s.id);
  if (!b || b.gtPrivate || !score) return undefined;
  const record = readScoreRecord(score.record);
  const stored = ctx.q.samplesOf(score.id);
  if (!record.provenance || !record.ci || !stored) return undefined;
  const m = record.metrics;
  const samples = unpackSamples(stored.values, stored.B);
  const out: ResultJson = {
    ...pickScalars(m),
    IoUs: m.IoUs, images: record.images, warnings: s.warnings ? JSON.parse(s.warnings) : [],
  };
  if (s.computed_match) out.match = JSON.parse(s.computed_match);
  out.ci = record.ci;
  out.bootstrap = bootstrapJson(stored.seed, stored.B, samples, record.bootstrap?.spread as Record<BootstrapMetric, number | null> | undefined);
  out.provenance = record.provenance;
  out.reproduce = reproduceCommand(b, s);
  return out;
}

/**
 * The paired bootstrap comparison of b against a (b − a per metric, over their shared resamples),
 * or null when either score has no resamples or they are on different resamples.
 */
export function pairedComparison(ctx: SubmitContext, a: SubmissionRow, b: SubmissionRow): Partial<Record<BootstrapMetric, PairedResult>> | null {
  const [sa, sb] = [a, b].map((s) => ctx.q.latestScore(s.id));
  if (!sa || !sb) return null;
  const [ra, rb] = [sa, sb].map((x) => ctx.q.samplesOf(x.id));
  if (!ra || !rb || ra.seed !== rb.seed || ra.B !== rb.B) return null;
  const [pa, pb] = [sa, sb].map((x) => readScoreRecord(x.record));
  const [ma, mb] = [pa.metrics, pb.metrics];
  const [xa, xb] = [unpackSamples(ra.values, ra.B), unpackSamples(rb.values, rb.B)];
  const out: Partial<Record<BootstrapMetric, PairedResult>> = {};
  for (const k of BOOTSTRAP_METRICS) {
    const va = ma[k], vb = mb[k];
    if (va !== null && vb !== null) out[k] = paired(xa[k], xb[k], vb - va, pairSpread(pa.bootstrap?.spread?.[k], pb.bootstrap?.spread?.[k]));
  }
  return out;
}

/** The owner cancels a queued or scoring submission; Conflict (with the state it reached) otherwise. */
export function cancelSubmission(ctx: SubmitContext & { scorer: Scorer }, s: SubmissionRow): SubmissionRow {
  if (!ctx.scorer.cancel(s.id)) {
    const now = ctx.q.submission(s.id);
    throw new Conflict(`submission ${s.id} is ${now?.status ?? 'deleted'}; only queued or scoring submissions can be cancelled`, { status: now?.status ?? 'deleted', ...(now ? { submission: submissionView(ctx, now) } : {}) });
  }
  return ctx.q.submission(s.id)!;
}

/**
 * An admin deletes a submission, its scores and its file. The row goes first: a scoring of it that
 * ends meanwhile finds nothing to store (Queries.finish).
 */
export async function deleteSubmission(ctx: SubmitContext & { scorer: Scorer }, id: number): Promise<void> {
  const row = ctx.q.deleteSubmission(id);
  ctx.scorer.stopIfCurrent(id);
  if (row) for (const f of [row.file, row.model_file]) if (f) await rm(join(ctx.dataDir, f), { force: true });
}

/** An admin queues a finished or failed submission again (its earlier scores stay). */
export function rescoreSubmission(ctx: SubmitContext & { scorer: Scorer }, s: SubmissionRow): void {
  if (!ctx.q.requeue(s.id)) throw new Conflict(`submission ${s.id} is ${s.status}; only finished or failed submissions are re-scored`);
  ctx.scorer.kick();
}
