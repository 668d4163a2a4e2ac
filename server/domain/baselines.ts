/**
 * Baselines the server runs itself: an admin registers a converted model (baselines/convert) for a
 * benchmark; the model runs over the phase's hosted images in a thread of its own (baseline-worker.ts,
 * beside scoring, never in its way), and its predictions are submitted like any upload (checked,
 * queued, scored), flagged as a baseline, with their provenance. PASS predicts cluster ids: on
 * validation the server computes the default match as for any submission; on test the match its
 * validation run got is applied.
 */
import { cp, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import { WorkerPool } from '../../util/pool.ts';
import { fileSha256 } from '../../evaluator/index.ts';
import { Manifest, type Device } from '../../baselines/runner/manifest.ts';
import { imageJobs } from '../../baselines/bundle/run.ts';
import { recipeOf, reportedFor } from '../../baselines/reported.ts';
import { zipDirectory } from '../../datasets/imagenet-s/zip-write.ts';
import type { AuthUser } from './auth.ts';
import { Conflict, InvalidInput, NotFound, Unavailable } from './errors.ts';
import type { Scorer } from '../queue/scorer.ts';
import { submit, type SubmitContext } from './submissions.ts';
import type { BaselineJob, BaselineRun } from './baseline-worker.ts';
import type { BaselineRow } from '../storage/queries.ts';
import type { Benchmark } from './catalogue.ts';

/** 'ViT-B/16 (MAE SSL+Sup)': the architecture and its recipe when it has several (rows are flagged as baselines besides). */
export function methodName(m: Manifest): string {
  const label = recipeOf(m)?.label;
  return `${m.name ?? m.arch.toUpperCase()}${label ? ` ${label}` : ''}`;
}

/** Whether ONNX Runtime loads on this host: its version, or why not. */
export type RuntimeStatus = { ok: true; version: string } | { ok: false; reason: string };

/**
 * Loads onnxruntime-node in a short-lived child process, never in the server's: a platform where its
 * native library cannot load (or crashes loading) costs the server nothing but baselines.
 */
export function probeOnnxRuntime(): Promise<RuntimeStatus> {
  return new Promise((done) => {
    execFile(process.execPath, ['-e', "process.stdout.write(require('onnxruntime-node').env.versions.common)"], { cwd: resolve(import.meta.dirname, '..', '..'), timeout: 30_000 }, (err, stdout, stderr) => {
      if (!err && stdout) { done({ ok: true, version: stdout.trim() }); return; }
      const lines = String(stderr).split('\n').map((l) => l.trim()).filter((l) => /error/i.test(l) && !l.startsWith('at '));
      const killed = (err as { killed?: boolean } | null)?.killed;
      done({ ok: false, reason: (killed ? 'loading it took longer than 30 s (a busy machine?); tried again when next needed' : lines[0] ?? (err as Error | null)?.message ?? 'no version printed').slice(0, 300) });
    });
  });
}

export class Baselines {
  private pool: WorkerPool<BaselineJob, BaselineRun, { done: number; total: number }> | null = null;
  private readonly running = new Set<Promise<void>>();
  private closing = false;
  private probe: Promise<RuntimeStatus>;
  private probedAt = Date.now();
  private known: RuntimeStatus | null = null;

  constructor(private readonly ctx: SubmitContext & { scorer: Scorer; baselineDevice: Device; probeRuntime?: () => Promise<RuntimeStatus> }, private readonly log: Logger) {
    // runs a stopped process left behind: they did not finish, and say so
    const n = ctx.q.failInterruptedBaselines();
    if (n) log.warn({ baselines: n }, 'baseline runs interrupted by a restart marked failed');
    // ONNX Runtime is loaded only when a baseline runs; whether it can be is known from the start
    this.probe = (ctx.probeRuntime ?? probeOnnxRuntime)().then((r) => {
      this.known = r;
      if (r.ok) log.info({ onnxruntime: r.version }, 'baselines: ONNX Runtime loads');
      else log.warn({ reason: r.reason }, 'baselines are unavailable: ONNX Runtime does not load on this host (everything else is served)');
      return r;
    });
  }

  /** The runtime's status once probed (null while the probe runs): the admin page shows it. */
  runtime(): RuntimeStatus | null { return this.known; }

  /**
   * The runtime's status when it is needed (a model submitted): the start's probe, awaited; one
   * that failed is tried again at most once a minute (a probe on a machine busy at start may time
   * out without the runtime being missing).
   */
  async runtimeNow(): Promise<RuntimeStatus> {
    const r = await this.probe;
    if (r.ok || Date.now() - this.probedAt < 60_000) return r;
    this.probedAt = Date.now();
    this.probe = (this.ctx.probeRuntime ?? probeOnnxRuntime)().then((again) => { this.known = again; return again; });
    return this.probe;
  }

  /**
   * Registers `modelDir` (a converted model on this machine) for a benchmark and starts its run. On
   * a validation benchmark the test phase of the same split and protocol follows when this host has
   * it (PASS: once the validation run is scored, with the match it got). The rows, in run order.
   */
  async register(admin: AuthUser, modelDir: string, benchmark: string): Promise<BaselineRow[]> {
    const rt = await this.probe;
    if (!rt.ok) throw new Unavailable(`baselines are unavailable on this server: ONNX Runtime does not load here (${rt.reason})`);
    const b = this.ctx.catalogue.benchmarks.get(benchmark);
    if (!b) throw new NotFound(`unknown benchmark ${JSON.stringify(benchmark)}`);
    let manifest: Manifest;
    try {
      manifest = Manifest.parse(JSON.parse(await readFile(join(modelDir, 'manifest.json'), 'utf8')));
    } catch (e) {
      throw new InvalidInput(`${modelDir} is not a converted model (npm run baseline -- convert): ${(e as Error).message.split('\n')[0]}`);
    }
    if (manifest.classes !== b.classes) throw new InvalidInput(`the model predicts ${manifest.classes} classes; ${b.id} has ${b.classes}`);
    if (manifest.protocol !== b.protocol) throw new InvalidInput(`${manifest.arch} is a ${manifest.protocol} model; ${b.id} is ${b.protocol}`);
    let match: string | null = null;
    if (manifest.family === 'pass' && b.gtPrivate) {
      // PASS on test applies the match its validation run got
      const val = `${b.split.id}.${b.protocol}.validation`;
      match = this.ctx.q.baselineMatch(val, manifest.onnx.sha256) ?? null;
      if (!match) throw new Conflict(`register this model on ${val} first: PASS applies the match of its validation run on test`);
    }
    // the server keeps its own copy: provenance must not depend on a directory someone may change
    const onnx = join(modelDir, manifest.onnx.file);
    if ((await fileSha256(onnx)) !== manifest.onnx.sha256) throw new InvalidInput(`${onnx} does not match the sha256 in its manifest`);
    const kept = join(this.ctx.dataDir, 'baselines', 'models', manifest.onnx.sha256.slice(0, 16));
    await mkdir(kept, { recursive: true });
    await cp(join(modelDir, 'manifest.json'), join(kept, 'manifest.json'));
    await cp(onnx, join(kept, manifest.onnx.file));
    const insert = (x: Benchmark) => this.ctx.q.insertBaseline({ benchmark: x.id, arch: manifest.arch, model_dir: kept, manifest: JSON.stringify(manifest), created_by: admin.id });
    const row = insert(b);
    const test = b.gtPrivate ? undefined : this.ctx.catalogue.benchmarks.get(`${b.split.id}.${b.protocol}.test`);
    const next = test && insert(test);
    const p = (async () => {
      const sub = await this.run(admin, row, manifest, match);
      if (!next) return;
      if (sub === null) { this.ctx.q.baselineFailed(next.id, this.closing ? 'the server stopped before this run started; register the model again' : `the ${b.id} run it follows failed`); return; }
      let testMatch: string | null = null;
      if (manifest.family === 'pass') {
        testMatch = await this.matchOf(sub, b, manifest);
        if (!testMatch) {
          this.ctx.q.baselineFailed(next.id, this.closing ? 'the server stopped before this run started; register the model again' : `the ${b.id} run was not scored, so there is no match to apply on test`);
          return;
        }
      }
      await this.run(admin, next, manifest, testMatch);
    })().finally(() => this.running.delete(p));
    this.running.add(p);
    return next ? [row, next] : [row];
  }

  /** The match a PASS validation submission was given, once it is scored (null if it never is). */
  private async matchOf(submission: number, b: Benchmark, manifest: Manifest): Promise<string | null> {
    for (;;) {
      const s = this.ctx.q.submission(submission);
      if (!s || this.closing || s.status === 'failed' || s.status === 'cancelled') return null;
      if (s.status === 'finished') return this.ctx.q.baselineMatch(b.id, manifest.onnx.sha256) ?? null;
      await new Promise((res) => setTimeout(res, 250));
    }
  }

  get(id: number): BaselineRow | undefined {
    return this.ctx.q.baseline(id);
  }

  /** Runs the model over the benchmark's images and submits the predictions: the submission's id, or null when it failed. */
  private async run(admin: AuthUser, row: BaselineRow, manifest: Manifest, match: string | null): Promise<number | null> {
    const b = this.ctx.catalogue.benchmarks.get(row.benchmark)!;
    const work = join(this.ctx.dataDir, 'baselines', 'runs', String(row.id));
    const log = this.log.child({ baseline: row.id, benchmark: b.id, arch: manifest.arch });
    try {
      this.pool ??= new WorkerPool(new URL('./baseline-worker.ts', import.meta.url), 1, 'baseline');
      await rm(work, { recursive: true, force: true });
      const images = imageJobs(resolve(b.split.dir, b.phase), b.masks);
      log.info({ images: images.length }, 'running a baseline');
      this.ctx.metrics?.baselineRuns.inc({ outcome: 'started' });
      const r = await this.pool.run({ modelDir: row.model_dir, images, outDir: join(work, 'pred'), device: this.ctx.baselineDevice });
      for (const f of r.fallbacks) log.warn({ provider: f.provider, reason: f.reason }, 'execution provider passed over');
      if (match) await writeFile(join(work, 'pred', 'match.json'), match);
      const zip = join(work, 'predictions.zip');
      await zipDirectory(join(work, 'pred'), zip);
      const reported = reportedFor(manifest, b.gtPrivate ? 'test' : 'validation');
      const description = [
        `Run by this server from a host-supplied checkpoint (sha256 ${manifest.checkpoint.sha256.slice(0, 16)}…), converted to ONNX (sha256 ${manifest.onnx.sha256.slice(0, 16)}…; parity max |Δlogit| ${manifest.parity?.maxAbsLogit.toExponential(1) ?? 'n/a'}).`,
        `${r.runtime} on ${r.provider}, ${(r.images / r.seconds).toFixed(1)} images/s.`,
        reported ? `Reported by the authors: ${reported.mIoU} mIoU (${reported.source}); the scores here are the server's own.` : '',
        `Provenance: /baselines/${row.id}/manifest.json`,
      ].filter(Boolean).join(' ');
      const size = (await stat(zip)).size;
      const sub = await submit(this.ctx, admin, {
        fields: { benchmark: b.id, method: methodName(manifest), description, baseline: 'true' },
        file: { path: zip, bytes: size, sha256: await fileSha256(zip) },
      });
      this.ctx.scorer.kick();
      this.ctx.q.baselineSubmitted(row.id, { submission: sub.id, images: r.images, seconds: r.seconds, provider: r.provider, runtime: r.runtime, fallbacks: r.fallbacks });
      log.info({ submission: sub.id, seconds: r.seconds }, 'baseline submitted');
      this.ctx.metrics?.baselineRuns.inc({ outcome: 'submitted' });
      return sub.id;
    } catch (e) {
      const why = this.closing ? 'the server stopped during the run; register the model again' : (e as Error).message;
      log.error({ err: e }, 'baseline run failed');
      this.ctx.q.baselineFailed(row.id, why);
      this.ctx.metrics?.baselineRuns.inc({ outcome: 'failed' });
      return null;
    } finally {
      await rm(join(work, 'pred'), { recursive: true, force: true }).catch(() => {});
    }
  }

  /** Stops a run in progress (its baseline is marked failed: register it again after the restart). */
  async close(): Promise<void> {
    this.closing = true;
    await this.pool?.close();
    await Promise.allSettled([...this.running]);
  }
}
