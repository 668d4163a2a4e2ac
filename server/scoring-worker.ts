/**
 * The scoring thread: runs one evaluation at a time with its own pool of decode workers, so that
 * scoring never competes with HTTP traffic for the main event loop. It reports progress and the
 * result as messages; the main thread owns the database.
 */
import { parentPort } from 'node:worker_threads';
import { evaluate, InputError, matchToObject, PairPool, parseMatch, ZipSource, type SourceLimits, type Warning } from '../evaluator/index.ts';
import { scoreRecordOf, type ScoreRecord } from './score-record.ts';

export interface ScoreJob {
  id: number;
  zip: string;
  gtDir: string;
  masks: string[];
  classes: number;
  /** 'auto': compute the default matching when the zip has no match.json. */
  match: 'auto' | 'required' | 'none';
  maxPixels: number;
  /** A phase whose GT is private: checks look at every predicted pixel (EvaluateOptions.privateGt). */
  privateGt: boolean;
  /** The submission's own match.json, as validated at upload. */
  submittedMatch: Record<string, number> | null;
  /** An older submission whose match.json was not stored: read it from the zip. */
  legacyMatchInZip: boolean;
  /** The limits the upload was checked with. */
  limits: SourceLimits;
  maxMatchBytes: number;
}

export type ScoreMessage =
  | { type: 'progress'; id: number; done: number; total: number }
  | { type: 'result'; id: number; record: ScoreRecord; warnings: Warning[]; computedMatch: Record<string, number> | null }
  | { type: 'input-error'; id: number; message: string; problems: { file: string; problem: string }[]; fault: 'submission' | 'server' }
  | { type: 'error'; id: number; message: string; stack?: string }
  | { type: 'aborted'; id: number };

let pool: PairPool | null = null;
let current: { id: number; abort: AbortController } | null = null;

parentPort!.on('message', (m: { type: 'init'; workers: number } | { type: 'score'; job: ScoreJob } | { type: 'cancel'; id: number } | { type: 'close' }) => {
  if (m.type === 'init') pool = new PairPool(m.workers);
  else if (m.type === 'cancel') { if (current?.id === m.id) current.abort.abort(new Error('cancelled')); }
  else if (m.type === 'close') { current?.abort.abort(new Error('stopping')); void pool?.close().then(() => process.exit(0)); }
  else void score(m.job);
});

const post = (msg: ScoreMessage): void => parentPort!.postMessage(msg);

async function score(job: ScoreJob): Promise<void> {
  const abort = new AbortController();
  current = { id: job.id, abort };
  let source: ZipSource | null = null;
  let last = 0;
  try {
    source = await ZipSource.open(job.zip, job.masks, job.limits);
    // the match validated at upload travels with the job; only rows from before that was stored
    // (has_match without match) read it from the zip once more
    let match: Parameters<typeof evaluate>[0]['match'] = null;
    if (job.match !== 'none') {
      if (job.submittedMatch) match = new Map(Object.entries(job.submittedMatch).map(([k, v]) => [Number(k), v]));
      else if (job.legacyMatchInZip) {
        const buf = await source.readExtra('match.json', job.maxMatchBytes);
        if (buf) match = parseMatch(buf.toString('utf8'), job.classes).match;
      } else if (job.match === 'auto') match = 'auto';
    }
    const result = await evaluate({
      gtRoot: job.gtDir, pred: source, masks: job.masks, classes: job.classes, match, pool: pool!,
      maxPixels: job.maxPixels, signal: abort.signal, privateGt: job.privateGt,
      onProgress: (done, total) => {
        const now = performance.now();
        if (now - last > 100 || done === total) { last = now; post({ type: 'progress', id: job.id, done, total }); }
      },
    });
    // the computed match is stored on its own (downloadable), beside the score record
    post({ type: 'result', id: job.id, record: scoreRecordOf(result), warnings: result.warnings, computedMatch: result.matchComputed && result.match ? matchToObject(result.match) : null });
  } catch (e) {
    if (abort.signal.aborted) post({ type: 'aborted', id: job.id });
    else if (e instanceof InputError) {
      // a problem with the hosted GT is the server's fault; its details stay in the server's log
      const gtProblem = e.problems.some((p) => p.file.startsWith('GT '));
      post(gtProblem
        ? { type: 'input-error', id: job.id, message: 'the hosted ground truth could not be read; the administrators have the details', problems: e.problems, fault: 'server' }
        : { type: 'input-error', id: job.id, message: e.message, problems: e.problems, fault: 'submission' });
    }
    else post({ type: 'error', id: job.id, message: (e as Error).message, stack: (e as Error).stack });
  } finally {
    current = null;
    await source?.close().catch(() => {});
  }
}
