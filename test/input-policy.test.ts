/**
 * The input policy: each rule builds its bad input and checks the report. The official code
 * crashes or silently mis-scores on most of these; we answer with every problem at once.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { evaluate, type EvaluationResult } from '../evaluator/run/evaluate.ts';
import { parseMatch, type Match } from '../evaluator/input/match.ts';
import { InputError, type Problem } from '../evaluator/index.ts';
import { DirectorySource } from '../evaluator/input/sources.ts';
import { encodeMask } from '../datasets/imagenet-s/png-write.ts';
import { boxMask, TempSuite, type MaskSpec } from './helpers/suite.ts';

const suites: TempSuite[] = [];
after(() => suites.forEach((s) => s.cleanup()));
function suite(): TempSuite { const s = new TempSuite(); suites.push(s); return s; }

async function score(s: TempSuite, extra: { match?: Match | 'auto'; maxPixels?: number; classes?: number } = {}): Promise<EvaluationResult> {
  return evaluate({ gtRoot: s.gt, pred: await DirectorySource.open(s.pred), masks: s.names, classes: extra.classes ?? 5, match: extra.match, maxPixels: extra.maxPixels, workers: 1 });
}
async function problemsOf(s: TempSuite, extra: Parameters<typeof score>[1] = {}): Promise<Problem[]> {
  try { await score(s, extra); } catch (e) { if (e instanceof InputError) return e.problems; throw e; }
  assert.fail('expected an InputError');
}

const A = boxMask(40, 30, 1), B = boxMask(30, 40, 2), Cm = boxMask(50, 50, 3);

test('missing prediction files: every one is listed', async () => {
  const s = suite().add('w1/a.png', A).addGt('w2/b.png', B).addGt('w3/c.png', Cm);
  const p = await problemsOf(s);
  assert.deepEqual(p.map((x) => [x.file, x.code]), [['w2/b.png', 'missing-file'], ['w3/c.png', 'missing-file']]);
  // a names list naming a file twice reports it once
  const twice = suite().add('w1/a.png', A).addGt('w2/b.png', B);
  twice.names.push('w2/b.png');
  assert.deepEqual((await problemsOf(twice)).map((x) => x.file), ['w2/b.png']);
});

test('size mismatch, including a transposed prediction with the same pixel count, lists both sizes', async () => {
  const s = suite().add('w1/a.png', A, boxMask(30, 40, 1)).add('w2/b.png', B, boxMask(31, 40, 2)).add('w3/c.png', Cm);
  const p = await problemsOf(s);
  assert.equal(p.length, 2);
  assert.deepEqual([p[0].file, p[0].code, p[0].details], ['w1/a.png', 'transposed', { width: 30, height: 40, gtWidth: 40, gtHeight: 30 }]);
  assert.deepEqual([p[1].file, p[1].code, p[1].details], ['w2/b.png', 'size-mismatch', { width: 31, height: 40, gtWidth: 30, gtHeight: 40 }]);
});

test('RGBA (alpha ignored) and 8/16-bit grayscale (± alpha) predictions score exactly like RGB', async () => {
  const pred = boxMask(40, 30, 1, 5);
  const base = await score(suite().add('w1/a.png', A, pred));
  for (const encoding of ['rgba', 'gray8', 'gray16', 'graya8', 'graya16'] as const) {
    const r = await score(suite().add('w1/a.png', A, pred, { encoding }));
    assert.deepEqual(r.metrics, base.metrics, encoding);
  }
});

test('paletted and 16-bit RGB predictions are rejected with the expected encoding explained', async () => {
  const s = suite().add('w1/a.png', A, A, { encoding: 'palette' }).add('w2/b.png', B, B, { encoding: 'rgb16' });
  const p = await problemsOf(s);
  assert.deepEqual(p.map((x) => [x.file, x.code, x.details]), [['w1/a.png', 'palette-png', { encoding: '8-bit paletted' }], ['w2/b.png', 'rgb16-png', { encoding: '16-bit RGB' }]]);
});

test('not a PNG, truncated, and over the pixel limit are errors', async () => {
  const good = encodeMask(A.ids, A.width, A.height);
  const s = suite()
    .add('w1/a.png', A, Buffer.from('this is a JPEG, honestly'))
    .add('w2/b.png', A, good.subarray(0, good.length - 25))
    .add('w3/c.png', Cm);
  const p = await problemsOf(s, { maxPixels: 2000 });
  assert.deepEqual(p.map((x) => [x.file, x.code]), [['w1/a.png', 'not-png'], ['w2/b.png', 'truncated-png'], ['GT w3/c.png', 'gt-invalid'], ['w3/c.png', 'too-many-pixels']]);
  assert.deepEqual(p[3].details, { width: 50, height: 50, limit: 2000 });
});

test('a non-zero blue channel is accepted and reported as a warning with the file count', async () => {
  const r = await score(suite().add('w1/a.png', A, A, { blue: 9 }).add('w2/b.png', B, B, { blue: 1 }).add('w3/c.png', Cm));
  const w = r.warnings.find((x) => x.code === 'blue-channel');
  assert.ok(w);
  assert.equal(w.files, 2);
  assert.deepEqual(w.examples, ['w1/a.png', 'w2/b.png']);
  assert.equal(r.metrics.mIoU, (await score(suite().add('w1/a.png', A).add('w2/b.png', B).add('w3/c.png', Cm))).metrics.mIoU);
});

test('ids above C are scored as officially (a miss for IoU, foreground for F) and reported with files and pixels', async () => {
  const oor: MaskSpec = { ...A, ids: A.ids.map((v) => (v === 1 ? 60 : v)) };
  oor.ids[0] = 999; // under the GT ignore stripe: not counted
  oor.ids[45] = 1000;
  const r = await score(suite().add('w1/a.png', A, oor).add('w2/b.png', B));
  const w = r.warnings.find((x) => x.code === 'out-of-range-ids');
  assert.ok(w);
  assert.equal(w.files, 1);
  const objectPixels = A.ids.filter((v) => v === 1).length;
  assert.equal(A.ids[45], 0);
  assert.equal(w.pixels, objectPixels + 1, 'the object (as 60) plus one pixel of 1000; the 999 under ignore is not counted');
  assert.match(w.message, /\(60, 1000\)/);
  assert.equal(r.metrics.IoUs[1], 0, 'class 1 is all missed');
  assert.equal(r.accumulator.perImage[0].fmeasure > 0.9, true, 'out-of-range ids count as foreground');
});

test('match.json: an id that occurs in the predictions without a key is an error naming the ids', async () => {
  const s = suite().add('w1/a.png', A, { ...A, ids: A.ids.map((v) => (v === 1 ? 4 : v)) }).add('w2/b.png', B, { ...B, ids: B.ids.map((v) => (v === 2 ? 3 : v)) });
  const partial = parseMatch('{"1": 1, "3": 2}', 5).match!;
  const p = await problemsOf(s, { match: partial });
  assert.equal(p.length, 1);
  assert.deepEqual([p[0].file, p[0].code, p[0].details], ['match.json', 'match-missing-id', { ids: [{ id: 0, example: 'w1/a.png' }, { id: 4, example: 'w1/a.png' }], total: 2 }]);
  const full = parseMatch('{"0": 0, "4": 1, "3": 2}', 5).match!;
  assert.equal((await score(s, { match: full })).metrics.IoUs[1], 100);
  // ids above C cannot be keys, so they are errors under any match, the computed one too
  const withOor = suite().add('w1/a.png', A, { ...A, ids: A.ids.map((v) => (v === 1 ? 77 : v)) });
  const auto = (await problemsOf(withOor, { match: 'auto' }))[0];
  assert.deepEqual([auto.code, (auto.details!.ids as { id: number }[]).map((x) => x.id)], ['match-missing-id', [77]]);
});

test('extra prediction files not in the names list are a warning', async () => {
  const s = suite().add('w1/a.png', A).addPred('w1/zzz.png', A).addPred('stray/x.png', B);
  s.write(`${s.pred}/notes.docx`, 'x');
  const r = await score(s);
  const w = r.warnings.find((x) => x.code === 'extra-files');
  assert.ok(w);
  assert.equal(w.files, 3);
});

test('all problems of a run come in one report: a missing file does not hide a corrupt one', async () => {
  const good = encodeMask(B.ids, B.width, B.height);
  const s = suite()
    .add('w1/a.png', A, boxMask(30, 40, 1))
    .add('w2/b.png', B, good.subarray(0, 30))
    .addGt('w5/e.png', A)
    .add('w3/c.png', Cm, Cm, { encoding: 'palette' })
    .add('w4/d.png', A, Buffer.from('nope'))
    .add('w6/f.png', A);
  const p = await problemsOf(s);
  assert.deepEqual(p.map((x) => x.file), ['w1/a.png', 'w2/b.png', 'w5/e.png', 'w3/c.png', 'w4/d.png']);
  assert.equal(p[2].code, 'missing-file');
});
