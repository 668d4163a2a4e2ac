/**
 * Model submissions: a researcher uploads a bundle (model.onnx + model.json, baselines/bundle/) in
 * place of a zip of masks. It is checked completely before anything is queued (the same problem
 * table and answer as zips, a trial run on two small images included), stored, and queued for the
 * model runner (server/queue/model-runner.ts); its predictions are then scored like any upload.
 * A row scored from them is "run by the server": its model's sha256, runtime and provider are shown,
 * and the bundle stays private to its owner and admins unless the owner publishes it.
 */
import { join } from 'node:path';
import { problem } from '../../evaluator/index.ts';
import { checkBundle } from '../../baselines/bundle/check.ts';
import type { ModelJson } from '../../baselines/bundle/bundle.ts';
import { Catalogue, type Benchmark } from './catalogue.ts';
import { QuotaExceeded, UploadRejected, Unavailable } from './errors.ts';
import type { AuthUser } from './auth.ts';
import type { ModelInsert, ModelRunRecord, Queries, SubmissionRow } from '../storage/queries.ts';
import type { ModelView } from '../../leaderboard-ui/views.ts';

/** The server's limits for models (config.ts MAX_MODEL_BYTES, MODEL_TIMEOUT_SECONDS, MODEL_MEMORY_MB, MODEL_SECONDS_PER_DAY). */
export interface ModelLimits { maxBytes: number; timeoutSeconds: number; memoryBytes: number; secondsPerDay: number }

/** The method fields model.json may carry (the form's win). */
export const MODEL_JSON_META = ['method', 'description', 'paper', 'code', 'backbone', 'pretraining', 'extra_data'] as const;

export interface CheckedModel {
  insert: ModelInsert;
  model: ModelJson;
  /** The match applied on test (a fully-unsupervised model's validation match), as JSON. */
  match: Record<string, number> | null;
}

/** A user's runner time today against the daily budget. */
export function computeBudget(q: Queries, limits: ModelLimits, user: AuthUser, dayStart: string, next: string): { budget: number; used: number; resetsAt: string } {
  return { budget: limits.secondsPerDay, used: limits.secondsPerDay > 0 ? q.computeUsed(user.id, dayStart) : 0, resetsAt: next };
}

function overBudget(b: ReturnType<typeof computeBudget>, projected: number | null): QuotaExceeded {
  const p = projected === null ? '' : `; this model is projected to take ${Math.ceil(projected)} s on this phase`;
  return new QuotaExceeded(`daily compute budget reached: your models may use ${b.budget} s of runner time per UTC day (MODEL_SECONDS_PER_DAY), ${Math.floor(b.used)} s used or booked${p}`,
    { budget_seconds: b.budget, used_seconds: Math.floor(b.used), ...(projected === null ? {} : { projected_seconds: Math.ceil(projected) }), resets_at: b.resetsAt });
}

/**
 * Checks an uploaded bundle for benchmark `b`: every problem at once (UploadRejected), the daily
 * compute budget (QuotaExceeded), and on a fully-unsupervised test phase the match of the same
 * model's validation run. `runtime`: whether ONNX Runtime loads on this host (awaited).
 */
export async function checkModel(ctx: { q: Queries; catalogue: Catalogue; models: ModelLimits; runtime: () => Promise<{ ok: boolean; reason?: string }> }, user: AuthUser, b: Benchmark, upload: { path: string; bytes: number; sha256: string }, day: { start: string; next: string }): Promise<CheckedModel> {
  const rt = await ctx.runtime();
  if (!rt.ok) throw new Unavailable(`this server cannot run models: ONNX Runtime does not load here (${rt.reason ?? 'unknown'}); upload predictions instead`);
  if (upload.bytes > ctx.models.maxBytes) throw new UploadRejected('the model bundle has 1 problem(s); nothing was queued', { problems: [problem('model-too-large', 'model.onnx', { bytes: upload.bytes, limit: ctx.models.maxBytes })] });
  const budget = computeBudget(ctx.q, ctx.models, user, day.start, day.next);
  if (budget.budget > 0 && budget.used >= budget.budget) throw overBudget(budget, null);
  const check = await checkBundle(upload.path, {
    classes: b.classes, maxModelBytes: ctx.models.maxBytes,
    trial: { seconds: ctx.models.timeoutSeconds, images: b.masks.length, memoryBytes: ctx.models.memoryBytes },
  });
  const problems = [...check.problems];
  let match: Record<string, number> | null = null;
  if (!problems.length && Catalogue.needsMatch(b) === 'required') {
    // as PASS baselines do: the match the model got on validation is applied on test
    const val = ctx.catalogue.counterpart(b);
    const m = val ? ctx.q.modelMatch(user.id, val.id, upload.sha256) : undefined;
    if (m) match = JSON.parse(m) as Record<string, number>;
    else problems.push(problem('model-match-missing', 'model.onnx', { validation: val?.id ?? `${b.split.id}.${b.protocol}.validation` }));
  }
  if (problems.length) throw new UploadRejected(`the model bundle has ${problems.length} problem(s); nothing was queued`, { problems });
  const projected = check.trial?.projectedSeconds ?? null;
  if (budget.budget > 0 && projected !== null && budget.used + projected > budget.budget) throw overBudget(budget, projected);
  return {
    model: check.model!, match,
    insert: { model_file: '', model_sha256: upload.sha256, model_bytes: upload.bytes, model_json: JSON.stringify(check.model), model_projected_seconds: projected },
  };
}

/** Stored names of a model submission's files under DATA_DIR: the bundle, and the predictions its run will write. */
export function modelFiles(stem: string): { bundle: string; predictions: string } {
  return { bundle: join('submissions', `${stem}.model.zip`), predictions: join('submissions', `${stem}.zip`) };
}

export const modelDownloadUrl = (id: number): string => `/api/submissions/${id}/model.zip`;
export const predictionsDownloadUrl = (id: number): string => `/api/submissions/${id}/predictions.zip`;

export function modelView(s: SubmissionRow, mayDownload: boolean): ModelView | undefined {
  if (!s.model_file || !s.model_sha256) return undefined;
  const m = s.model_json ? JSON.parse(s.model_json) as ModelJson : null;
  const run = s.model_run ? JSON.parse(s.model_run) as Partial<ModelRunRecord> : null;
  return {
    sha256: s.model_sha256, bytes: s.model_bytes ?? 0, public: s.model_public === 1,
    download_url: mayDownload ? modelDownloadUrl(s.id) : null,
    predictions_url: mayDownload && s.model_state === 'ran' ? predictionsDownloadUrl(s.id) : null,
    state: s.model_state ?? 'pending', projected_seconds: s.model_projected_seconds,
    run: run && run.runtime ? run as ModelRunRecord : null,
    input: m?.input ?? null, output: m?.output ?? null, flip_average: m?.flip_average ?? false,
  };
}
