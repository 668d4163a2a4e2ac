/**
 * Bench section `deadline`: the real server with the embedded scorer against the same server with
 * QUEUE and N local worker processes, one burst of submissions each (per-submission scoring time and
 * queue wait, from the database's timestamps), then a queueing simulation built on the measured
 * throughput: 500 submissions of the ImageNet-S-919 test size (27,423 images) in 24 h, and in the
 * last 2 h before a deadline; how many 2-core workers keep the 95th percentile of the wait under
 * 5 minutes.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, startServerProcess } from './server-process.ts';
import { Redis, WorkerProcess } from '../test/helpers/queue.ts';
import { rng } from '../datasets/imagenet-s/synth-image.ts';
import { dbFile, openDb } from '../server/storage/db.ts';
import { miniSplitWithZip } from './bench-fixtures.ts';

const ROOT = join(import.meta.dirname, '..');
const f = (x: number, d = 0) => x.toFixed(d);

interface Burst { seconds: number; images: number; scoring: number[]; waits: number[] }

async function burst(benchDir: string, label: string, env: Record<string, string>, zip: string, count: number, root: string, warmups: number, workers: () => Promise<() => Promise<void>>): Promise<Burst> {
  const dataDir = join(benchDir, `deadline-data-${label}`);
  rmSync(dataDir, { recursive: true, force: true });
  const full = { DATA_DIR: dataDir, IMAGENETS_ROOT: root, LOG_LEVEL: 'warn', QUOTA_VALIDATION_PER_DAY: '0', ...env };
  const tokens = ['d1', 'd2', 'd3', 'd4'].map((u) => spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts/admin.ts'), 'create-user', u], { env: { ...process.env, ...full }, encoding: 'utf8' }).stdout.trim());
  const sp = await startServerProcess(full, await freePort());
  let stop = async () => {};
  try {
    stop = await workers();
    const B = 'imagenetsmini.semi-supervised.validation';
    const submit = async (token: string) => {
      const form = new FormData();
      form.set('benchmark', B);
      form.set('file', new Blob([readFileSync(zip)]), 'preds.zip');
      const r = await fetch(`${sp.base}/api/submissions`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
      return ((await r.json()) as { id: number }).id;
    };
    // warm-up submissions, one per scoring process (each starts its pools and decodes the GT once), then the burst
    const warm = await Promise.all(Array.from({ length: warmups }, () => submit(tokens[0])));
    const status = async (id: number) => ((await (await fetch(`${sp.base}/api/submissions/${id}`, { headers: { authorization: `Bearer ${tokens[0]}` } })).json()) as { status: string }).status;
    for (const id of warm) while ((await status(id)) !== 'finished') await new Promise((r) => setTimeout(r, 100));
    const t = performance.now();
    const ids = await Promise.all(Array.from({ length: count }, (_, i) => submit(tokens[i % tokens.length])));
    const db = openDb(dbFile(dataDir));
    try {
      const done = () => (db.prepare(`SELECT COUNT(*) AS n FROM submissions WHERE status IN ('finished', 'failed') AND id IN (${ids.join(',')})`).get() as { n: number }).n;
      while (done() < count) await new Promise((r) => setTimeout(r, 100));
      const seconds = (performance.now() - t) / 1000;
      const rows = db.prepare(`SELECT status, images, created_at, started_at, finished_at FROM submissions WHERE id IN (${ids.join(',')})`).all() as { status: string; images: number; created_at: string; started_at: string; finished_at: string }[];
      if (rows.some((r) => r.status !== 'finished')) throw new Error(`${label}: not every submission finished`);
      const ms = (a: string, b: string) => (Date.parse(b) - Date.parse(a)) / 1000;
      return { seconds, images: rows.reduce((s, r) => s + r.images, 0), scoring: rows.map((r) => ms(r.started_at, r.finished_at)), waits: rows.map((r) => ms(r.created_at, r.started_at)) };
    } finally {
      db.close();
    }
  } finally {
    await stop();
    await sp.kill('SIGTERM');
  }
}

const pct = (xs: number[], q: number) => { const v = [...xs].sort((a, b) => a - b); return v[Math.min(v.length - 1, Math.max(0, Math.ceil(q * v.length) - 1))]; };

/**
 * FIFO with `servers` identical workers; arrivals at the given times (seconds), service `service`
 * seconds each: the 95th percentile of the waits.
 */
export function p95Wait(arrivals: number[], servers: number, service: number): number {
  const free = new Array<number>(servers).fill(0);
  const waits: number[] = [];
  for (const a of arrivals) {
    let k = 0;
    for (let i = 1; i < servers; i++) if (free[i] < free[k]) k = i;
    const start = Math.max(a, free[k]);
    waits.push(start - a);
    free[k] = start + service;
  }
  return pct(waits, 0.95);
}

/** `n` Poisson arrivals in [0, window) seconds (sorted uniform times). */
function arrivals(r: () => number, n: number, window: number): number[] {
  return Array.from({ length: n }, () => r() * window).sort((a, b) => a - b);
}

export async function deadlineBench(benchDir: string, cores: number): Promise<void> {
  const { root, zip } = await miniSplitWithZip(benchDir, 'deadline', 800);
  const COUNT = 8;
  const embedded = await burst(benchDir, 'embedded', { SCORING_WORKERS: String(cores) }, zip, COUNT, root, 1, async () => async () => {});
  const redis = new Redis(await freePort());
  await redis.start();
  let queued: Burst;
  try {
    queued = await burst(benchDir, 'queue', { QUEUE: redis.url, QUEUE_IN_FLIGHT: String(cores * 2), SCORING_WORKERS: '1' }, zip, COUNT, root, cores, async () => {
      const ws = Array.from({ length: cores }, () => new WorkerProcess({ QUEUE: redis.url, SCORING_WORKERS: '1', QUEUE_LOCK_SECONDS: '30' }));
      const stopAll = async () => { await Promise.all(ws.map((w) => w.kill('SIGTERM'))); };
      try { await Promise.all(ws.map((w) => w.ready())); } catch (e) { await stopAll(); throw e; }
      return stopAll;
    });
  } finally {
    await redis.kill();
  }
  const rate = (b: Burst) => b.images / b.seconds;
  for (const [label, b] of [[`embedded scorer (${cores} decode threads)`, embedded], [`QUEUE, ${cores} worker processes (1 thread each)`, queued]] as const) {
    console.log(`  ${label}: ${COUNT} submissions of 800 images in ${f(b.seconds, 1)} s, ${f(rate(b))} images/s; scoring per submission p50 ${f(pct(b.scoring, 0.5), 2)} s, queue wait p50 ${f(pct(b.waits, 0.5), 1)} s / max ${f(Math.max(...b.waits), 1)} s`);
  }
  console.log(`  queue throughput / embedded: ${f(rate(queued) / rate(embedded), 2)} (goal ≥ 0.90)`);

  // the simulation: one 2-core worker scores at the rate measured for the queue on this 2-core machine
  const perImage = 1 / rate(queued);
  const service = 27_423 * perImage;
  console.log(`  simulation: one 2-core worker scores an ImageNet-S-919 test submission (27,423 images) in ${f(service, 1)} s (measured ${f(perImage * 1000, 3)} ms an image, linear in the images); FIFO, Poisson arrivals, 200 runs each, median of the p95 wait`);
  const r = rng(2026);
  const scenarios: [string, number, number][] = [['500 in 24 h', 500, 24 * 3600], ['500 in the last 2 h', 500, 2 * 3600], ['500 in the last 30 min', 500, 1800]];
  console.log(`  ${'scenario'.padEnd(26)} ${'workers'.padStart(7)}  p95 wait`);
  for (const [name, n, window] of scenarios) {
    let c = 1;
    const rows: string[] = [];
    for (;; c++) {
      const p95s = Array.from({ length: 200 }, () => p95Wait(arrivals(r, n, window), c, service)).sort((a, b) => a - b);
      const med = p95s[100];
      rows.push(`  ${name.padEnd(26)} ${String(c).padStart(7)}  ${med < 60 ? `${f(med, 0)} s` : med < 7200 ? `${f(med / 60, 1)} min` : `${f(med / 3600, 1)} h`}`);
      if (med < 300 || c >= 200) break;
    }
    // the first rows say how bad too few workers are; the last is the answer
    for (const line of rows.length > 4 ? [rows[0], '  …', ...rows.slice(-2)] : rows) console.log(line);
    console.log(`  → ${name}: ${c} workers of 2 cores keep the p95 wait under 5 minutes`);
  }
}
