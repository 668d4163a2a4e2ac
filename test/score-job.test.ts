/** What crosses the queue: a worker's result, encoded and checked at the boundary before it is believed. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BOOTSTRAP_METRICS, METRIC_KEYS } from '../evaluator/index.ts';
import { decodeOutcome, encodeOutcome, type ScoreOutcome } from '../server/queue/score-job.ts';

const B = 4;
const metrics = Object.fromEntries(METRIC_KEYS.map((k, i) => [k, i * 1.5])) as Record<string, number>;
const outcome: ScoreOutcome = {
  type: 'result',
  record: { version: 2, images: 3, metrics: { ...metrics, IoUs: [1, 2], BIoUs: [3, 4] } as never },
  warnings: [{ code: 'ignored-pixels' as never, message: 'm', files: 1, examples: ['a.png'] }],
  computedMatch: { 0: 0, 1: 2 },
  extras: { samples: { seed: 'abc', B, values: Float64Array.from({ length: B * BOOTSTRAP_METRICS.length }, (_, i) => i / 7) }, perImage: { mIoU: new Float32Array([0.5, 1]), fmeasure: new Float32Array([0.25, 0]) } },
};

test('a worker\'s result survives the trip through JSON exactly (resamples and per-image figures as bits)', () => {
  const back = decodeOutcome(JSON.parse(JSON.stringify(encodeOutcome(outcome))));
  assert.deepEqual(back, outcome);
  const failed: ScoreOutcome = { type: 'input-error', message: 'bad', problems: [{ code: 'zip-overlap' as never, file: 'x.png', problem: 'p' }], fault: 'submission' };
  assert.deepEqual(decodeOutcome(JSON.parse(JSON.stringify(encodeOutcome(failed)))), failed);
});

test('a malformed result is refused with what is wrong, not cast and stored', () => {
  const wire = JSON.parse(JSON.stringify(encodeOutcome(outcome)));
  assert.throws(() => decodeOutcome({ ...wire, record: { ...wire.record, metrics: { ...wire.record.metrics, mIoU: 'high' } } }), /expected shape: record\.metrics\.mIoU/);
  assert.throws(() => decodeOutcome({ type: 'result' }), /expected shape/);
  assert.throws(() => decodeOutcome({ type: 'something else' }), /expected shape/);
  assert.throws(() => decodeOutcome(null), /expected shape/);
  const short = { ...wire, extras: { ...wire.extras, samples: { ...wire.extras.samples, B: B + 1 } } };
  assert.throws(() => decodeOutcome(short), new RegExp(`holds ${B * BOOTSTRAP_METRICS.length} resampled values, not ${B + 1} × ${BOOTSTRAP_METRICS.length}`));
});
