/**
 * Building a GT store (gt-store.ts) from a mask directory and a names list, on the evaluation's
 * worker threads: every mask read once, checked, decoded into runs and hashed.
 */
import { join } from 'node:path';
import { packGtStore, type GtRuns, type GtStoreBuild } from './gt-store.ts';
import { decodeGt } from './pair.ts';
import type { PairPool } from './pool.ts';
import { InputError } from '../input/problems.ts';
import { sortProblems, type Problem } from '../input/rules.ts';
import { forEachLimit } from '../../util/pool.ts';
import { DEFAULT_MAX_PIXELS } from './evaluate.ts';

export interface BuildGtOptions {
  gtRoot: string;
  masks: string[];
  /** Worker threads to decode on (none: this thread). */
  pool?: PairPool;
  maxPixels?: number;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

/** The store of every mask of the list; an InputError with every GT problem when any mask is unreadable or invalid. */
export async function buildGtStore(opts: BuildGtOptions): Promise<GtStoreBuild> {
  const { masks } = opts;
  const runs = new Array<GtRuns>(masks.length), digests = new Array<string>(masks.length);
  const problems: Problem[] = [];
  let done = 0;
  const one = async (rel: string, i: number): Promise<void> => {
    opts.signal?.throwIfAborted();
    const job = { gtDecode: true as const, id: i, rel, gtPath: join(opts.gtRoot, rel), maxPixels: opts.maxPixels ?? DEFAULT_MAX_PIXELS };
    const r = opts.pool ? await opts.pool.decodeGt(job) : decodeGt(job);
    if ('problems' in r) problems.push(...r.problems);
    else { runs[i] = r.runs; digests[i] = r.sha256; }
    opts.onProgress?.(++done, masks.length);
  };
  if (opts.pool) await forEachLimit(masks, opts.pool.size * 8, one);
  else for (let i = 0; i < masks.length; i++) await one(masks[i], i);
  if (problems.length) throw new InputError(`${problems.length} problem(s) with the ground truth`, sortProblems(problems, masks));
  const { store, bytes } = packGtStore(runs);
  return { store, digests, bytes };
}
