/**
 * The model runner: submitted models run here before their predictions are scored. A model
 * submission is queued with model_state 'pending'; the runner takes the next one fairly
 * (Queries.nextModel, the scorer's order), marks it running (attempt n), hands the job to its
 * executor, and stores the outcome only for the same attempt: the predictions zip becomes the
 * submission's file and the scorer takes it like any upload; a model that fails (model-timeout,
 * model-out-of-memory, model-crashed) fails its own submission, with the reason.
 *   - embedded (default): one run at a time, in a thread (model-worker.ts) that watches the model's
 *     child process, beside scoring: a slow model never holds up the scoring of zips;
 *   - a queue (QUEUE): runs go to a BullMQ queue of their own (queue.ts MODELS_LANE) consumed by
 *     `npm run worker -- --models`, with the scoring queue's outbox and resume guarantees.
 * Progress and state changes go to the scorer's listeners (the page's SSE).
 */
import { join, relative } from 'node:path';
import type { Logger } from 'pino';
import { problem } from '../../evaluator/index.ts';
import type { Device } from '../../baselines/runner/manifest.ts';
import type { Catalogue } from '../domain/catalogue.ts';
import type { Attempt, Queries, SubmissionRow } from '../storage/queries.ts';
import type { ServerMetrics } from '../metrics.ts';
import { ThreadExecutor, type Executor, type Scorer } from './scorer.ts';
import { JobLoop, type Taken } from './job-loop.ts';
import type { ModelJob, ModelOutcome, ModelProgress } from './model-job.ts';

export type ModelExecutor = Executor<ModelJob, ModelOutcome, ModelProgress>;

export interface ModelRunnerOptions {
  dataDir: string;
  datasetRoot: string | null;
  /** MODEL_TIMEOUT_SECONDS: per image. */
  seconds: number;
  memoryBytes: number;
  maxModelBytes: number;
  device: Device;
  log: Logger;
  metrics?: ServerMetrics;
}

const SERVER_FAULT = 'internal error while running the model; the administrators have the details';

export function embeddedModelExecutor(): ModelExecutor {
  return new ThreadExecutor<ModelJob, ModelOutcome, ModelProgress>(new URL('./model-worker.ts', import.meta.url), 'model');
}

export class ModelRunner extends JobLoop {
  constructor(
    private readonly q: Queries,
    private readonly catalogue: Catalogue,
    private readonly scorer: Scorer,
    private readonly opts: ModelRunnerOptions,
    private readonly executor: ModelExecutor = embeddedModelExecutor(),
  ) {
    super(opts.log, 'model run');
    scorer.onStop((id) => this.inFlight.get(id)?.abort(new Error('cancelled')));
  }

  start(): void {
    this.running = true;
    if (this.executor.resumable) {
      // a queue may still hold (or have finished) the runs in flight: wait for them again
      for (const row of this.q.modelsRunningNow()) this.launch(row, { id: row.id, attempt: row.model_attempts });
    } else {
      const n = this.q.requeueInterruptedModels();
      if (n) this.opts.log.info({ requeued: n }, 'model runs interrupted by a restart start again');
    }
    this.startLoop();
  }

  /** Queue executors: whether the models' queue answers and when a --models worker last beat. */
  health(): ReturnType<NonNullable<ModelExecutor['health']>> | null { return this.executor.health?.() ?? null; }

  protected get capacity(): number { return this.executor.concurrency; }
  protected take(): Taken {
    const next = this.q.nextModel();
    if (!next) return 'idle';
    const attempt = this.q.startModel(next.id);
    return attempt ? { row: next, attempt } : 'again';
  }
  protected work(s: SubmissionRow, attempt: Attempt, abort: AbortController): Promise<void> { return this.runOne(s, attempt, abort); }
  protected failed(s: SubmissionRow, attempt: Attempt): void {
    if (this.q.modelFailed(attempt, SERVER_FAULT, null, 'server', null)) this.publish(s, 'failed', 0);
  }
  protected closeExecutor(): Promise<void> { return this.executor.close(); }

  private publish(s: SubmissionRow, status: string, done: number): void {
    this.scorer.publish({ id: s.id, status, done, total: s.images });
  }

  private async runOne(s: SubmissionRow, attempt: Attempt, abort: AbortController): Promise<void> {
    const log = this.opts.log.child({ submission: s.id, benchmark: s.benchmark, model_attempt: attempt.attempt });
    const b = this.catalogue.benchmarks.get(s.benchmark);
    if (!b) { this.q.modelFailed(attempt, `benchmark ${s.benchmark} is no longer hosted`, null, 'server', null); return; }
    const imagesDir = join(b.split.dir, b.phase);
    const job: ModelJob = {
      id: s.id, bundle: join(this.opts.dataDir, s.model_file!), bundleRel: s.model_file!, out: join(this.opts.dataDir, s.file), outRel: s.file,
      imagesDir, imagesRel: this.opts.datasetRoot ? relative(this.opts.datasetRoot, imagesDir) : null,
      masks: b.masks, classes: b.classes, seconds: this.opts.seconds, memoryBytes: this.opts.memoryBytes, maxModelBytes: this.opts.maxModelBytes, device: this.opts.device,
    };
    log.info({ images: b.masks.length, sha256: s.model_sha256 }, 'running a submitted model');
    this.publish(s, this.executor.health ? 'queued' : 'running', 0);
    let outcome: ModelOutcome;
    try {
      outcome = await this.executor.run(job, attempt.attempt, {
        signal: abort.signal,
        onStarted: () => this.publish(s, 'running', 0),
        onProgress: (p) => {
          try { this.q.setModelProgress(attempt, p.done); } catch (e) { log.error({ err: e }, 'progress write failed'); }
          this.publish(s, 'running', p.done);
        },
      });
    } catch (e) {
      if (abort.signal.aborted || !this.running) { log.info('model run stopped'); return; }
      log.error({ err: e }, 'model run failed');
      if (this.q.modelFailed(attempt, SERVER_FAULT, null, 'server', null)) this.publish(s, 'failed', 0);
      return;
    }
    if (outcome.type === 'ran') {
      if (this.q.modelRan(attempt, outcome.run, { bytes: outcome.bytes, sha256: outcome.sha256 })) {
        log.info({ seconds: +outcome.run.seconds.toFixed(2), provider: outcome.run.provider }, 'model ran; its predictions go to scoring');
        this.opts.metrics?.modelRuns.inc({ outcome: 'ran' });
        this.publish(s, 'queued', 0);
        this.scorer.kick();
      } else log.info('model run discarded: the submission was cancelled or deleted meanwhile');
      return;
    }
    const code = outcome.problems[0]?.code ?? 'model-crashed';
    if (this.q.modelFailed(attempt, outcome.message, outcome.problems.length ? outcome.problems : [problem('model-crashed', 'model.onnx', { reason: outcome.message })], 'submission', { seconds: outcome.seconds })) {
      log.info({ code, seconds: +outcome.seconds.toFixed(2) }, 'the submitted model failed');
      this.opts.metrics?.modelRuns.inc({ outcome: code });
      this.publish(s, 'failed', 0);
    }
  }
}
