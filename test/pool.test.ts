/** The one worker pool: results, errors, crashes, progress and aborts, handled one way everywhere. */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { forEachLimit, Gate, GateFull, WorkerPool, WorkerError } from '../util/pool.ts';
import type { TestJob } from './fixtures/pool-worker.ts';

const pool = new WorkerPool<TestJob, number, number>(new URL('./fixtures/pool-worker.ts', import.meta.url), 2, 'test');
after(() => pool.close());

test('jobs return their results; a job that throws rejects with its error, the pool goes on', async () => {
  assert.deepEqual(await Promise.all([1, 2, 3, 4].map((value) => pool.run({ kind: 'echo', value }))), [2, 4, 6, 8]);
  await assert.rejects(pool.run({ kind: 'throw' }), (e: unknown) => e instanceof WorkerError && e.message === 'the job failed on purpose');
  assert.equal(await pool.run({ kind: 'echo', value: 5 }), 10);
});

test('a worker that dies fails its job with a clear error, is replaced, and never hangs the pool', async () => {
  await assert.rejects(pool.run({ kind: 'exit' }), /test thread ended \(exit code 3/);
  assert.deepEqual(await Promise.all([1, 2, 3].map((value) => pool.run({ kind: 'echo', value }))), [2, 4, 6]);
});

test('progress reaches the caller; an aborted job rejects and its worker stays usable', async () => {
  const seen: number[] = [];
  assert.equal(await pool.run({ kind: 'progress', steps: 3 }, { onProgress: (p) => seen.push(p) }), 3);
  assert.deepEqual(seen, [1, 2, 3]);
  const abort = new AbortController();
  const waiting = pool.run({ kind: 'wait-abort' }, { signal: abort.signal });
  setTimeout(() => abort.abort(new Error('stop')), 50);
  await assert.rejects(waiting, /stop/);
  assert.equal(await pool.run({ kind: 'echo', value: 1 }), 2);
});

test('an aborted job that does not stop within its grace takes its thread with it: it rejects with the abort reason, and the pool goes on', async () => {
  const abort = new AbortController();
  const t = performance.now();
  const stuck = pool.run({ kind: 'spin' }, { signal: abort.signal, abortGraceMs: 100 });
  setTimeout(() => abort.abort(new Error('past its time limit')), 50);
  await assert.rejects(stuck, /past its time limit/);
  assert.ok(performance.now() - t < 5000);
  assert.deepEqual(await Promise.all([1, 2, 3, 4].map((value) => pool.run({ kind: 'echo', value }))), [2, 4, 6, 8]);
});

test('forEachLimit: in order, bounded, and no new item starts after a failure', async () => {
  let active = 0, peak = 0;
  const started: number[] = [];
  await assert.rejects(forEachLimit([0, 1, 2, 3, 4, 5, 6, 7], 3, async (x) => {
    started.push(x);
    active++; peak = Math.max(peak, active);
    await new Promise((r) => setTimeout(r, 10));
    active--;
    if (x === 2) throw new Error('stop at 2');
  }), /stop at 2/);
  assert.equal(peak, 3);
  assert.deepEqual(started, [0, 1, 2, 3, 4], 'items already running finish; none starts after the failure');
});

test('Gate: at most `limit` at once, first come first served, and one past the waiting room refused at once', async () => {
  const gate = new Gate(2, 3);
  let active = 0, peak = 0;
  const order: number[] = [];
  const release: (() => void)[] = [];
  const task = (i: number) => gate.run(async () => {
    active++; peak = Math.max(peak, active); order.push(i);
    await new Promise<void>((r) => release.push(r));
    active--;
    return i;
  });
  const running = [0, 1, 2, 3, 4].map(task);
  await assert.rejects(task(5), GateFull);
  assert.deepEqual(gate.load, { active: 2, waiting: 3 });
  while (order.length < 5 || release.length) { release.shift()?.(); await new Promise((r) => setImmediate(r)); }
  assert.deepEqual(await Promise.all(running), [0, 1, 2, 3, 4]);
  assert.deepEqual(order, [0, 1, 2, 3, 4]);
  assert.equal(peak, 2);
  assert.deepEqual(gate.load, { active: 0, waiting: 0 });
  await assert.rejects(gate.run(async () => { throw new Error('x'); }), /x/);
  assert.deepEqual(gate.load, { active: 0, waiting: 0 }, 'a failed task gives its turn back');
});
