/**
 * Readiness: what `/readyz` answers and the admin page shows, checked afresh on each call. A check
 * that fails and `blocks` makes the server not ready (503: a load balancer sends it no traffic);
 * the others are warnings an operator should see (no scoring worker seen lately, no ONNX Runtime).
 */
import { accessSync, constants } from 'node:fs';
import type { Db } from '../storage/db.ts';
import type { Catalogue } from './catalogue.ts';
import type { QueueHealth, Scorer } from '../queue/scorer.ts';
import type { Baselines } from './baselines.ts';

export interface Check { name: string; ok: boolean; blocks: boolean; detail: string }

export interface HealthSources {
  db: Db;
  dataDir: string;
  catalogue: Catalogue;
  scorer: Scorer;
  baselines: Baselines;
  /** Submitted models' runner: with a queue, its --models workers' health (null: models run in this process). */
  models?: { health(): Promise<QueueHealth> | null };
  workerSilentMs: number;
}

const ago = (ms: number) => (ms < 120_000 ? `${Math.round(ms / 1000)} s` : `${Math.round(ms / 60_000)} min`);

export async function readiness(s: HealthSources): Promise<Check[]> {
  const checks: Check[] = [];
  try {
    accessSync(s.dataDir, constants.W_OK);
    // takes the write lock and lets it go: a read-only, locked-out or broken database fails here
    s.db.exec('BEGIN IMMEDIATE');
    s.db.exec('ROLLBACK');
    checks.push({ name: 'database', ok: true, blocks: true, detail: 'writable' });
  } catch (e) {
    checks.push({ name: 'database', ok: false, blocks: true, detail: `not writable: ${(e as Error).message}` });
  }
  const all = [...s.catalogue.benchmarks.values()];
  const open = all.filter((b) => !b.closed).length;
  checks.push({ name: 'datasets', ok: open > 0, blocks: true, detail: `${s.catalogue.splits.size} split(s) indexed, ${open} of ${all.length} benchmark(s) open` });
  const h = await s.scorer.queueHealth();
  if (h) {
    checks.push({ name: 'queue', ok: h.reachable, blocks: true, detail: h.reachable ? 'Redis answers' : `Redis does not answer (${h.reason})` });
    if (h.reachable) checks.push(workersCheck('workers', 'scoring worker', h, s.workerSilentMs, 'start one with npm run worker', 'submissions wait until one runs'));
  } else {
    checks.push({ name: 'scoring', ok: true, blocks: true, detail: 'in this process' });
  }
  // a warning, not a block: zips are scored without model workers; submitted models wait for one
  const mh = await s.models?.health();
  if (mh && mh.reachable) checks.push(workersCheck('model workers', 'model worker', mh, s.workerSilentMs, 'submitted models wait until one runs (npm run worker -- --models)', 'submitted models wait until one runs'));
  const rt = s.baselines.runtime();
  checks.push({ name: 'baselines', ok: !!rt?.ok, blocks: false, detail: rt === null ? 'checking whether ONNX Runtime loads' : rt.ok ? `ONNX Runtime ${rt.version}` : `unavailable: ONNX Runtime does not load here (${rt.reason})` });
  return checks;
}

/** Whether a kind of queue worker has beaten lately (a warning, never a block). */
function workersCheck(name: string, kind: string, h: QueueHealth, silentMs: number, none: string, late: string): Check {
  const silent = h.workerSeenAt === null ? null : Date.now() - h.workerSeenAt;
  const ok = silent !== null && silent <= silentMs;
  return { name, ok, blocks: false, detail: silent === null ? `no ${kind} has been seen: ${none}` : ok ? `a ${kind} was seen ${ago(silent)} ago` : `no ${kind} seen for ${ago(silent)}: ${late}` };
}

/**
 * With queue workers: a line for the submission pages when none has been seen for
 * WORKER_SILENT_SECONDS (from the last health check, refreshed in the background for the next view).
 */
export function workerWarning(scorer: Pick<Scorer, 'lastQueueHealth' | 'queued' | 'queueHealth'>, workerSilentMs: number): string | null {
  const h = scorer.lastQueueHealth;
  if (!scorer.queued) return null;
  void scorer.queueHealth().catch(() => {});
  if (!h) return null;
  if (!h.reachable) return 'The scoring queue does not answer; the administrators have been told by the server\'s readiness check.';
  if (h.workerSeenAt === null) return 'No scoring worker has been seen yet: scoring starts when one runs.';
  const silent = Date.now() - h.workerSeenAt;
  return silent > workerSilentMs ? `No scoring worker seen for ${Math.round(silent / 60_000) || 1} min: scoring starts when one runs again.` : null;
}
