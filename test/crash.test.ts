/**
 * A server killed with SIGKILL at any moment loses no accepted submission: the server runs as a
 * separate process; ten times, a submission is accepted and the process is killed while scoring;
 * after the last restart every submission finishes with the metrics the evaluator gives.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { evaluate } from '../evaluator/run/evaluate.ts';
import { resultToJson } from '../evaluator/report.ts';
import { DirectorySource } from '../evaluator/input/sources.ts';
import { writeMiniSplit } from '../datasets/imagenet-s/mini.ts';
import { zipDirectory } from '../datasets/imagenet-s/zip-write.ts';
import { freePort, startServerProcess, type ServerProcess } from '../scripts/server-process.ts';
import { waitFor } from './helpers/server.ts';

const ROOT = resolve(import.meta.dirname, '..');
const work = mkdtempSync(join(tmpdir(), 'isb-crash-'));
after(() => rmSync(work, { recursive: true, force: true }));


test('ten SIGKILLs while scoring lose nothing: every accepted submission finishes with the right metrics', { timeout: 300_000 }, async () => {
  // a hosted split big enough that scoring takes a while on one worker
  const root = join(work, 'root');
  const mini = await writeMiniSplit(root, { validation: 500, test: 2, withPredictions: true });
  const v = mini.subsets.validation;
  const zip = join(work, 'preds.zip');
  await zipDirectory(v.predictionsDir!, zip);
  const expected = resultToJson(await evaluate({ gtRoot: v.masksDir, pred: await DirectorySource.open(v.predictionsDir!), masks: v.masks, classes: mini.classes, workers: 2 }));

  const dataDir = join(work, 'data');
  const port = await freePort();
  const env = { DATA_DIR: dataDir, IMAGENETS_ROOT: root, SCORING_WORKERS: '1', LOG_LEVEL: 'warn' };
  const token = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts/admin.ts'), 'create-user', 'crash'], { env: { ...process.env, ...env }, encoding: 'utf8' }).stdout.trim();
  assert.match(token, /^isb_/);
  const base = `http://127.0.0.1:${port}`;
  const auth = { authorization: `Bearer ${token}` };

  const start = (): Promise<ServerProcess> => startServerProcess(env, port);
  const kill = (p: ServerProcess): Promise<void> => p.kill('SIGKILL');
  const list = async (): Promise<{ id: number; status: string; metrics?: Record<string, unknown>; progress: { done: number; total: number } }[]> => (await fetch(`${base}/api/submissions`, { headers: auth })).json();

  const accepted: number[] = [];
  for (let k = 0; k < 10; k++) {
    const p = await start();
    const form = new FormData();
    form.set('benchmark', 'imagenetsmini.semi-supervised.validation');
    form.set('file', new Blob([readFileSync(zip)]), 'preds.zip');
    const r = await fetch(`${base}/api/submissions`, { method: 'POST', headers: auth, body: form });
    assert.equal(r.status, 202);
    accepted.push(((await r.json()) as { id: number }).id);
    // kill once a scoring is seen under way: on even rounds as soon as one starts (ground truth
    // still loading), on odd rounds once it has scored some images but not all
    const underWay = (s: Awaited<ReturnType<typeof list>>[number]) => s.status === 'scoring' && (k % 2 === 0 || (s.progress.done > 0 && s.progress.done < s.progress.total));
    await waitFor(async () => (await list()).some(underWay), 60_000, `round ${k}: a scoring under way`);
    await kill(p);
  }

  const p = await start();
  try {
    let subs = await list();
    for (let i = 0; i < 1200 && !subs.every((s) => s.status === 'finished'); i++) {
      await new Promise((res) => setTimeout(res, 100));
      subs = await list();
    }
    assert.deepEqual(subs.map((s) => s.id).sort((a, b) => a - b), accepted, 'every accepted submission is there');
    const { warnings: _w, images: _i, ...metrics } = expected;
    for (const s of subs) {
      assert.equal(s.status, 'finished');
      const { BIoUs: _b, ...official } = s.metrics as Record<string, unknown>;
      assert.deepEqual(official, metrics, `submission ${s.id}`);
    }
    // interrupted runs left no partial scores: exactly one score per submission
    const scores = subs.map(async (s) => ((await (await fetch(`${base}/api/submissions/${s.id}`, { headers: auth })).json()) as { scores: unknown[] }).scores.length);
    assert.deepEqual(await Promise.all(scores), accepted.map(() => 1));
  } finally {
    await kill(p);
  }
});
